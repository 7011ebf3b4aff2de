// Keeps offsets into a document valid while the user edits it (issue 10): a batch upload takes
// seconds, and its replacements must land where the references are now — or not at all where
// the user changed a reference meanwhile. vscode-free.

/** One change of a document, in the coordinates of the text before the change. */
export interface TextChange {
  offset: number;
  /** how many characters it replaced (0: an insertion) */
  length: number;
  /** what it put there */
  text: string;
}

export interface TrackedRange {
  start: number;
  end: number;
  /** true once a change touched the range (its text may no longer be what it was) */
  touched: boolean;
}

/**
 * The ranges after one batch of changes that all refer to the text before the batch (as in
 * one VS Code change event). A range moves by the changes wholly before it; a change that
 * overlaps it or touches one of its ends (an insertion right before or after a path extends
 * the path) marks it touched, and it is no longer moved. Returns new objects; the input is
 * unchanged.
 */
export function applyChanges(ranges: readonly TrackedRange[], changes: readonly TextChange[]): TrackedRange[] {
  return ranges.map((range) => {
    if (range.touched) return { ...range };
    let delta = 0;
    for (const c of changes) {
      const changeEnd = c.offset + c.length;
      if (changeEnd < range.start) delta += c.text.length - c.length;
      else if (c.offset <= range.end) return { ...range, touched: true };
    }
    return { start: range.start + delta, end: range.end + delta, touched: false };
  });
}
