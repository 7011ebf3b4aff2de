// Text for the uploads view and the hover: Markdown made safe, sizes in KB.

/** Backslash-escapes everything Markdown could read as syntax (or HTML) in user-controlled text. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~&"'=:]/g, (c) => `\\${c}`).replace(/\r\n?|\n/g, ' ');
}

/** Bytes as KB: one decimal below 10 KB, none above. */
export function formatKb(bytes: number): string {
  return (bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0);
}
