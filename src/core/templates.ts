// What is inserted into the editor for an uploaded image: the image_key on its own, or the
// snippet of Lark JSON / card markdown where an image_key goes (see api-facts.md).

export type TemplateId = 'raw' | 'imageMessage' | 'postImg' | 'cardImg' | 'cardMarkdown' | 'custom';

export const TEMPLATE_IDS: readonly TemplateId[] = ['raw', 'imageMessage', 'postImg', 'cardImg', 'cardMarkdown', 'custom'];

export interface TemplateVars {
  imageKey: string;
  fileName: string;
  width?: number;
  height?: number;
}

export function isTemplateId(value: unknown): value is TemplateId {
  return typeof value === 'string' && (TEMPLATE_IDS as readonly string[]).includes(value);
}

/**
 * The name without its last extension ("a.b.png" -> "a.b"; ".png" stays ".png"). `fileName` is a
 * base name already: a backslash is a legal character in a POSIX file name, so no path splitting.
 */
export function altTextFor(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 ? fileName.slice(0, dot) : fileName;
}

/** Card markdown link text: brackets and backslashes escaped, line breaks flattened. */
function escapeMarkdownAlt(text: string): string {
  return text.replace(/\r\n?|\n/g, ' ').replace(/[\\[\]]/g, (c) => `\\${c}`);
}

const CUSTOM_PLACEHOLDER = /\$\{(imageKey|fileName|width|height)\}/g;

/** One pass, so a value that itself contains `${imageKey}` is inserted literally. */
function renderCustom(template: string, vars: TemplateVars): string {
  return template.replace(CUSTOM_PLACEHOLDER, (_match, name: keyof TemplateVars) => {
    const value = vars[name];
    return value === undefined ? '' : String(value);
  });
}

export function renderTemplate(id: TemplateId, vars: TemplateVars, customTemplate?: string): string {
  const { imageKey } = vars;
  switch (id) {
    case 'imageMessage':
      return JSON.stringify({ image_key: imageKey });
    case 'postImg':
      return JSON.stringify({ tag: 'img', image_key: imageKey });
    case 'cardImg':
      return JSON.stringify({ tag: 'img', img_key: imageKey, alt: { tag: 'plain_text', content: altTextFor(vars.fileName) } });
    case 'cardMarkdown':
      return `![${escapeMarkdownAlt(altTextFor(vars.fileName))}](${imageKey})`;
    case 'custom':
      // An empty custom template would insert nothing at all: fall back to the key itself.
      return customTemplate ? renderCustom(customTemplate, vars) : imageKey;
    case 'raw':
    default:
      return imageKey;
  }
}

/**
 * The content of a message of msg_type "file" for a file_key from the files API:
 * {"file_key":"file_v2_…"} (Lark sends `content` as this JSON, encoded as a string). Not one of
 * TEMPLATE_IDS: those render an image_key (the insert-template setting), and a file_key in an
 * image template (or an image_key here) is what Lark refuses.
 */
export function fileMessage(fileKey: string): string {
  return JSON.stringify({ file_key: fileKey });
}
