// Replaces image references' paths by image keys in a document's text (issue 10). Pure: only the
// path spans change; everything else (alt text, titles, quotes, line endings, the final newline)
// stays byte-identical. vscode-free.
import type { ImageReference } from './references';

export interface RewriteResult {
  text: string;
  /** the references replaced, in document order */
  replaced: ImageReference[];
}

/**
 * `text` with each reference whose `ref` has a key in `keys` replaced by that key (references
 * without a key, a failed upload, stay as written). References must come from this text
 * (findImageReferences); overlapping or out-of-range spans are refused with an error rather than
 * guessed at, and so is a span that no longer reads as its reference.
 */
export function rewriteReferences(text: string, references: readonly ImageReference[], keys: ReadonlyMap<string, string>): RewriteResult {
  const sorted = [...references].sort((a, b) => a.range.start - b.range.start);
  const parts: string[] = [];
  const replaced: ImageReference[] = [];
  let at = 0;
  for (const r of sorted) {
    const { start, end } = r.range;
    if (start < at || end < start || end > text.length) throw new RangeError(`reference "${r.ref}" (line ${r.line}): its span overlaps another or lies outside the text`);
    if (!text.slice(start, end).includes(r.ref)) throw new RangeError(`reference "${r.ref}" (line ${r.line}): the text there is no longer the reference`);
    const key = keys.get(r.ref);
    if (key === undefined) continue;
    parts.push(text.slice(at, start), key);
    replaced.push(r);
    at = end;
  }
  parts.push(text.slice(at));
  return { text: parts.join(''), replaced };
}
