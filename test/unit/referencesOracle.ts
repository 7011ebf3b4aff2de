// The Markdown scan of src/core/references.ts as it was before it was made faster (kept here,
// in the test folder only, as the oracle of the differential test references.differential.test.ts:
// the new scan must give exactly what this one gives). Do not "fix" or speed it up.
import MarkdownIt from 'markdown-it';
import { isNotAPath, percentDecode, type ImageReference } from '../../src/core/references';

type Token = MarkdownIt.Token;
type StateInline = MarkdownIt.StateInline;
type StateCore = MarkdownIt.StateCore;
type RuleInline = MarkdownIt.ParserInline.RuleInline;
type RuleBlock = MarkdownIt.ParserBlock.RuleBlock;
type StateBlock = MarkdownIt.StateBlock;

/** The Markdown references findImageReferences(text, 'markdown') gave before the fast scan. */
export function oracleMarkdownReferences(text: string): ImageReference[] {
  return markdownReferences(text);
}

// ---------------------------------------------------------------------------------------------
// Offsets and lines

/** Start offset of every line; a line ends at \r\n, \r or \n (as markdown-it splits lines). */
function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) starts.push(i + 1);
    else if (c === 0x0d) starts.push(text.charCodeAt(i + 1) === 0x0a ? ++i + 1 : i + 1);
  }
  return starts;
}

/** 1-based line of an offset. */
function lineAt(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

function reference(starts: readonly number[], start: number, end: number, ref: string, decoded: string): ImageReference | undefined {
  const p = percentDecode(decoded);
  if (isNotAPath(p)) return undefined;
  return { ref, path: p, range: { start, end }, line: lineAt(starts, start) };
}

// ---------------------------------------------------------------------------------------------
// Markdown

/** Where, in a block's inline content, an image destination or an HTML tag was found. */
type InlineHit = { kind: 'image'; destStart: number; destEnd: number } | { kind: 'html'; start: number; end: number };

/** A link reference definition (`[label]: destination`): where its destination is, by line and column. */
interface Definition {
  label: string;
  /** 0-based line of the destination */
  line: number;
  /** columns of the destination on that line (end exclusive), angle brackets included */
  from: number;
  to: number;
}

interface MarkdownScan {
  /** the inline token whose content is being parsed at the top level */
  current: Token | undefined;
  hits: Map<Token, InlineHit[]>;
  /** the first definition of each label, in document order */
  definitions: Definition[];
  /** the (normalized) labels that reference-style images use */
  imageLabels: Set<string>;
}

let markdownParser: { md: MarkdownIt; scan: MarkdownScan } | undefined;

/**
 * One markdown-it (CommonMark + HTML) whose `image` and `html_inline` rules note where they
 * matched, and whose inline pass skips blocks that cannot hold an image (no `![`, no `<img`).
 */
function markdown(): { md: MarkdownIt; scan: MarkdownScan } {
  if (markdownParser) return markdownParser;
  const md = MarkdownIt('commonmark', { html: true });
  // Nothing is rendered: the rules that only shape output (emphasis, entities, line breaks, the
  // post-processing passes) cannot change where an image or an HTML tag is (CommonMark's links
  // and images bind tighter than emphasis; in silent mode emphasis matches nothing), so they go.
  md.inline.ruler.disable(['emphasis', 'entity', 'newline']);
  md.inline.ruler2.disable(['balance_pairs', 'emphasis', 'fragments_join']);
  md.core.ruler.disable(['text_join']);
  // Destinations are read from the source, never from the tokens: skip URL normalising (punycode,
  // percent-encoding); every destination is an image here (isNotAPath sorts out the URLs).
  md.normalizeLink = (url) => url;
  md.normalizeLinkText = (text) => text;
  md.validateLink = () => true;
  const scan: MarkdownScan = { current: undefined, hits: new Map(), definitions: [], imageLabels: new Set() };
  const rules = (md.inline.ruler as unknown as { __rules__: { name: string; fn: RuleInline }[] }).__rules__;
  const original = (name: string): RuleInline => {
    const rule = rules.find((r) => r.name === name);
    if (!rule) throw new Error(`markdown-it has no inline rule "${name}"`);
    return rule.fn;
  };
  const topLevel = (state: StateInline): boolean => scan.current !== undefined && state.tokens === scan.current.children;
  const note = (hit: InlineHit): void => {
    const token = scan.current as Token;
    const list = scan.hits.get(token);
    if (list) list.push(hit);
    else scan.hits.set(token, [hit]);
  };

  const image = original('image');
  md.inline.ruler.at('image', (state, silent) => {
    const start = state.pos;
    if (!image(state, silent)) return false;
    if (silent) return true;
    // Find the destination again as the rule did: `!` `[label]` `(` spaces `destination`
    const src = state.src;
    const labelEnd = state.md.helpers.parseLinkLabel(state, start + 1, false);
    let pos = labelEnd + 1;
    if (labelEnd >= 0 && src.charCodeAt(pos) !== 0x28 /* ( */) {
      // a reference-style image (`![alt][label]`, `![label][]`, `![label]`): its path is in the
      // definition; the label is found as markdown-it's image rule finds it
      let label = '';
      if (src.charCodeAt(pos) === 0x5b /* [ */) {
        const end = state.md.helpers.parseLinkLabel(state, pos);
        if (end >= 0) label = src.slice(pos + 1, end);
      }
      scan.imageLabels.add(state.md.utils.normalizeReference(label || src.slice(start + 2, labelEnd)));
      return true;
    }
    if (!topLevel(state)) return true;
    pos++;
    while (pos < state.posMax && (state.md.utils.isSpace(src.charCodeAt(pos)) || src.charCodeAt(pos) === 0x0a)) pos++;
    const dest = state.md.helpers.parseLinkDestination(src, pos, state.posMax);
    if (dest.ok && dest.pos > pos) note({ kind: 'image', destStart: pos, destEnd: dest.pos });
    return true;
  });

  const htmlInline = original('html_inline');
  md.inline.ruler.at('html_inline', (state, silent) => {
    const start = state.pos;
    if (!htmlInline(state, silent)) return false;
    if (!silent && topLevel(state)) note({ kind: 'html', start, end: state.pos });
    return true;
  });

  const blockRules = (md.block.ruler as unknown as { __rules__: { name: string; fn: RuleBlock }[] }).__rules__;
  const referenceRule = blockRules.find((r) => r.name === 'reference')?.fn;
  if (!referenceRule) throw new Error('markdown-it has no block rule "reference"');
  md.block.ruler.at('reference', (state, startLine, endLine, silent) => {
    const references = state.env.references as Record<string, unknown> | undefined;
    const known = references ? Object.keys(references).length : 0;
    if (!referenceRule(state, startLine, endLine, silent)) return false;
    const labels = Object.keys(state.env.references as Record<string, unknown>);
    // a later definition of a label already defined changes nothing (the first one wins)
    if (!silent && labels.length > known) {
      const destination = definitionDestination(state, startLine);
      if (destination) scan.definitions.push({ label: labels[labels.length - 1], ...destination });
    }
    return true;
  });

  md.core.ruler.at('inline', (state: StateCore) => {
    for (const token of state.tokens) {
      if (token.type !== 'inline' || !mayHoldImage(token.content)) continue;
      scan.current = token;
      try {
        state.md.inline.parse(token.content, state.md, state.env, token.children ?? (token.children = []));
      } finally {
        scan.current = undefined;
      }
    }
  });
  markdownParser = { md, scan };
  return markdownParser;
}

/**
 * Where the destination of the definition that markdown-it's `reference` rule just accepted at
 * `startLine` is: the rule's own walk (the label, which may span lines and hold escapes, `]:`,
 * spaces and at most one line break) redone on the lines it read. Lines and columns are those of
 * the text (markdown-it only turns \r\n and \r into \n, and NUL into one character).
 */
function definitionDestination(state: StateBlock, startLine: number): Omit<Definition, 'label'> | undefined {
  const src = state.src;
  let line = startLine;
  const contentStart = (l: number): number => state.bMarks[l] + state.tShift[l];
  let pos = contentStart(line) + 1; // after `[`
  for (;;) {
    let ch = src.charCodeAt(pos);
    if (ch === 0x5d /* ] */ || Number.isNaN(ch)) break;
    if (ch === 0x5c /* \ */) ch = src.charCodeAt(++pos);
    if (ch === 0x0a) {
      if (++line >= state.lineMax) return undefined;
      pos = contentStart(line);
      continue;
    }
    pos++;
  }
  pos += 2; // `]:`
  let lineBreaks = 0;
  for (;;) {
    const ch = src.charCodeAt(pos);
    if (ch === 0x0a && lineBreaks++ === 0 && line + 1 < state.lineMax) pos = contentStart(++line);
    else if (ch === 0x20 || ch === 0x09) pos++;
    else break;
  }
  const lineEnd = state.eMarks[line];
  const dest = state.md.helpers.parseLinkDestination(src, pos, lineEnd);
  if (!dest.ok || dest.pos <= pos) return undefined;
  const rawLineStart = src.lastIndexOf('\n', pos - 1) + 1;
  return { line, from: pos - rawLineStart, to: dest.pos - rawLineStart };
}

function mayHoldImage(content: string): boolean {
  return content.includes('![') || /<img/i.test(content);
}

/**
 * Maps offsets in a block's content (lines with their indentation, list and quote markers taken
 * off, a table cell trimmed) back to the source: content line i is found in source line
 * firstLine + i, at or after the point where the previous block on that line ended.
 */
class ContentMapper {
  private readonly lineOffsets: number[] = []; // per content line: source offset of its first character, or -1

  constructor(
    text: string,
    starts: readonly number[],
    cursors: Map<number, number>,
    firstLine: number,
    readonly content: string,
  ) {
    const lines = content.split('\n');
    lines.forEach((line, i) => {
      const sourceLine = firstLine + i;
      let at = -1;
      if (sourceLine < starts.length) {
        const lineEnd = sourceLine + 1 < starts.length ? starts[sourceLine + 1] : text.length;
        const from = cursors.get(sourceLine) ?? starts[sourceLine];
        const within = line === '' ? 0 : text.slice(from, lineEnd).indexOf(line);
        at = within < 0 ? -1 : from + within;
      }
      this.lineOffsets.push(at);
      if (at >= 0 && line !== '') cursors.set(sourceLine, at + line.length);
    });
    this.contentLineStarts = [0];
    for (let i = 0, o = 0; i < lines.length - 1; i++) this.contentLineStarts.push((o += lines[i].length + 1));
  }

  private readonly contentLineStarts: number[];

  /** The source offset of a content offset, or -1 when that line could not be found. */
  source(offset: number): number {
    const line = lineAt(this.contentLineStarts, offset) - 1;
    const base = this.lineOffsets[line];
    return base < 0 ? -1 : base + offset - this.contentLineStarts[line];
  }
}

function markdownReferences(text: string): ImageReference[] {
  if (!text.includes('![') && !/<img/i.test(text)) return [];
  const { md, scan } = markdown();
  scan.hits = new Map();
  scan.definitions = [];
  scan.imageLabels = new Set();
  const tokens = md.parse(text, {});
  const starts = lineStartsOf(text);
  const cursors = new Map<number, number>();
  const found: ImageReference[] = [];
  let lastMap: [number, number] | null = null;
  for (const token of tokens) {
    if (token.map) lastMap = token.map;
    if (token.type === 'html_block' && /<img/i.test(token.content) && token.map) {
      const mapper = new ContentMapper(text, starts, cursors, token.map[0], token.content);
      for (const src of imgSources(token.content, 0, token.content.length)) addMapped(found, text, starts, mapper, src.start, src.end, htmlDecode, false);
      continue;
    }
    const hits = token.type === 'inline' ? scan.hits.get(token) : undefined;
    if (!hits || !lastMap) continue;
    // a table cell's inline token has no map of its own: its row's (the last map seen) is the line
    const mapper = new ContentMapper(text, starts, cursors, (token.map ?? lastMap)[0], token.content);
    for (const hit of hits) {
      if (hit.kind === 'image') {
        const angled = token.content.charCodeAt(hit.destStart) === 0x3c; /* < */
        const refStart = angled ? hit.destStart + 1 : hit.destStart;
        const refEnd = angled ? hit.destEnd - 1 : hit.destEnd;
        addMapped(found, text, starts, mapper, refStart, refEnd, (raw) => md.utils.unescapeAll(raw), angled);
      } else {
        for (const src of imgSources(token.content, hit.start, hit.end)) addMapped(found, text, starts, mapper, src.start, src.end, htmlDecode, false);
      }
    }
  }
  // the definitions that images use (once each, however many images use them)
  for (const d of scan.definitions) {
    if (!scan.imageLabels.has(d.label) || d.line >= starts.length) continue;
    const s = starts[d.line] + d.from;
    const e = starts[d.line] + d.to;
    const written = text.slice(s, e);
    const angled = written.charCodeAt(0) === 0x3c; /* < */
    const ref = angled ? written.slice(1, -1) : written;
    const r = reference(starts, s, e, ref, md.utils.unescapeAll(ref));
    if (r) found.push(r);
  }
  scan.hits = new Map();
  scan.definitions = [];
  scan.imageLabels = new Set();
  return found.sort((a, b) => a.range.start - b.range.start);
}

/**
 * Adds the reference written at content offsets [start, end) when both ends map back to the source
 * and the source there reads the same (a table cell with `\|`, which markdown-it rewrites, is
 * skipped). `bracketed`: a Markdown `<destination>`, whose brackets are replaced with the path.
 */
function addMapped(found: ImageReference[], text: string, starts: readonly number[], mapper: ContentMapper, start: number, end: number, decode: (raw: string) => string, bracketed: boolean): void {
  const s = mapper.source(start);
  const e = mapper.source(end - 1) + 1;
  if (s < 0 || e <= 0 || e < s) return;
  const ref = text.slice(s, e);
  if (ref !== mapper.content.slice(start, end)) return;
  const r = reference(starts, bracketed ? s - 1 : s, bracketed ? e + 1 : e, ref, decode(ref));
  if (r) found.push(r);
}

const ATTRIBUTE = /\s+([a-zA-Z_:][a-zA-Z0-9:._-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^"'=<>`\x00-\x20]+)))?/y;

/**
 * The src values (offsets of the value, quotes excluded) of the `<img>` tags in content[from, to),
 * outside HTML comments. Attributes follow CommonMark's definition of an HTML open tag.
 */
function imgSources(content: string, from: number, to: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  const tag = /<!--[\s\S]*?(?:-->|$)|<img(?=[\s/>])/giy;
  for (let pos = from; pos < to; ) {
    const lt = content.indexOf('<', pos);
    if (lt < 0 || lt >= to) break;
    tag.lastIndex = lt;
    const m = tag.exec(content);
    if (!m) {
      pos = lt + 1;
      continue;
    }
    if (m[0].startsWith('<!--')) {
      pos = lt + m[0].length;
      continue;
    }
    let at = lt + m[0].length;
    for (;;) {
      ATTRIBUTE.lastIndex = at;
      const a = ATTRIBUTE.exec(content);
      if (!a || at >= to) break;
      if (a[1].toLowerCase() === 'src') {
        const value = a[2] ?? a[3] ?? a[4];
        if (value !== undefined) {
          const valueEnd = ATTRIBUTE.lastIndex - (a[4] !== undefined ? 0 : 1);
          out.push({ start: valueEnd - value.length, end: valueEnd });
        }
        break;
      }
      at = ATTRIBUTE.lastIndex;
    }
    pos = at;
  }
  return out.filter((s) => s.end > s.start);
}

/** HTML character references decoded (backslashes are not escapes in HTML: kept). */
function htmlDecode(raw: string): string {
  return markdown().md.utils.unescapeAll(raw.replace(/\\/g, '&#92;'));
}

