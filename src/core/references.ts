// Local image references in documents (issue 10): where a Markdown, JSON/JSONC or YAML document
// names an image by a path, so that the image can be uploaded and the path replaced by its key.
// Parsed with the ecosystem's parsers (markdown-it, jsonc-parser, yaml), never by scanning the raw
// text, so code blocks, inline code, escaped text and comments are left alone. vscode-free.
import * as path from 'path';
import MarkdownIt from 'markdown-it';
import { parseTree, type Node as JsonNode } from 'jsonc-parser';
import { isMap, isPair, isScalar, parseAllDocuments, visit, Scalar } from 'yaml';

type Token = MarkdownIt.Token;
type StateInline = MarkdownIt.StateInline;
type StateCore = MarkdownIt.StateCore;
type RuleInline = MarkdownIt.ParserInline.RuleInline;
type RuleBlock = MarkdownIt.ParserBlock.RuleBlock;
type StateBlock = MarkdownIt.StateBlock;

export type DocumentKind = 'markdown' | 'json' | 'yaml';

/** One place a document names an image by a path. */
export interface ImageReference {
  /**
   * The path as written (without the syntax around it: no quotes, no angle brackets; escapes
   * kept as they are in the source).
   */
  ref: string;
  /** The path the reference means: escapes (Markdown, HTML, JSON, YAML) and percent-escapes decoded. */
  path: string;
  /**
   * What to replace to swap the path for a key: offsets into the text (end exclusive). It covers
   * the path as written, plus the angle brackets of a Markdown `<destination>`.
   */
  range: { start: number; end: number };
  /** 1-based line of range.start. */
  line: number;
}

/** The keys whose string values name an image in Lark's card / post JSON (and YAML). */
export const IMAGE_KEY_PROPERTIES: readonly string[] = ['img_key', 'image_key'];

const KIND_BY_NAME: Record<string, DocumentKind> = {
  markdown: 'markdown',
  md: 'markdown',
  json: 'json',
  jsonc: 'json',
  yaml: 'yaml',
  yml: 'yaml',
};

/** The kind of a document from a VS Code language id or a file extension ('.md', 'md'); undefined: not supported. */
export function documentKind(languageIdOrExtension: string): DocumentKind | undefined {
  const name = languageIdOrExtension.toLowerCase().replace(/^\./, '');
  return Object.prototype.hasOwnProperty.call(KIND_BY_NAME, name) ? KIND_BY_NAME[name] : undefined;
}

/**
 * Every image reference in `text` that is a path (not a URL, not an image key), in document order.
 * Whether the path names an existing file is `resolveLocal`'s question. `kind`: a language id or
 * file extension (see documentKind); an unsupported one gives no references.
 */
export function findImageReferences(text: string, languageIdOrExtension: string): ImageReference[] {
  switch (documentKind(languageIdOrExtension)) {
    case 'markdown':
      return markdownReferences(text);
    case 'json':
      return jsonReferences(text);
    case 'yaml':
      return yamlReferences(text);
    default:
      return [];
  }
}

/**
 * True for what is not a file path: a URL with a scheme (http:, https:, data:, file:, … — two
 * letters at least, so `C:\x.png` stays a path), a protocol-relative `//host/…`, a fragment, an
 * image key (img_…), or nothing.
 */
export function isNotAPath(p: string): boolean {
  const t = p.trim();
  return t === '' || /^[a-z][a-z0-9+.-]+:/i.test(t) || t.startsWith('//') || t.startsWith('#') || /^img_/.test(t);
}

/** Percent-escapes decoded; a path with a malformed escape (`100%.png`) is taken as written. */
export function percentDecode(p: string): string {
  if (!p.includes('%')) return p;
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

/**
 * The absolute path a reference means, relative to the document's folder: the percent-decoded
 * path when `isFile` says it names a file, else the path as written before percent-decoding (a
 * file really called `a%20b.png`), else undefined (missing, a folder, a URL or key).
 */
export function resolveLocal(ref: Pick<ImageReference, 'ref' | 'path'>, documentDir: string, isFile: (absolutePath: string) => boolean): string | undefined {
  for (const candidate of localCandidates(ref, documentDir)) if (isFile(candidate)) return candidate;
  return undefined;
}

/** The absolute paths resolveLocal tries, in order (for callers whose file check is asynchronous). */
export function localCandidates(ref: Pick<ImageReference, 'ref' | 'path'>, documentDir: string): string[] {
  if (isNotAPath(ref.path)) return [];
  const decoded = path.resolve(documentDir, ref.path);
  const undecoded = path.resolve(documentDir, undecodedPath(ref));
  return undecoded === decoded ? [decoded] : [decoded, undecoded];
}

/** ref.path before percent-decoding (ref.path is decoded; re-encoding is not the inverse, so recompute). */
function undecodedPath(ref: Pick<ImageReference, 'ref' | 'path'>): string {
  const unescaped = markdown().md.utils.unescapeAll(ref.ref);
  return percentDecode(unescaped) === ref.path ? unescaped : ref.path;
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

/** The document being scanned: the text as written (before markdown-it's normalising), its line starts. */
interface ScannedDocument {
  text: string;
  starts: number[];
  /** per source line: where the last block mapped on it ended (table cells share a line) */
  cursors: Map<number, number>;
  found: ImageReference[];
}

interface MarkdownScan {
  /** the document findImageReferences is scanning (undefined: none) */
  doc: ScannedDocument | undefined;
  /** true while a block's inline content is parsed at the top level (not an alt text) */
  inBlock: boolean;
  /** what that parse found, in order */
  hits: InlineHit[];
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
  const scan: MarkdownScan = { doc: undefined, inBlock: false, hits: [], definitions: [], imageLabels: new Set() };
  const rules = (md.inline.ruler as unknown as { __rules__: { name: string; fn: RuleInline }[] }).__rules__;
  const original = (name: string): RuleInline => {
    const rule = rules.find((r) => r.name === name);
    if (!rule) throw new Error(`markdown-it has no inline rule "${name}"`);
    return rule.fn;
  };
  // The inline tokens are parsed into one scratch list, emptied after each block: what the scan
  // needs is noted by the rules; the tokens themselves are never read.
  const scratch: Token[] = [];
  const topLevel = (state: StateInline): boolean => scan.inBlock && state.tokens === scratch;
  const note = (hit: InlineHit): void => {
    scan.hits.push(hit);
  };

  const image = original('image');
  md.inline.ruler.at('image', (state, silent) => {
    const start = state.pos;
    // Always the rule's silent mode: it moves state.pos exactly as the full mode does, without
    // the image token and the parse of the alt text into tokens nobody reads.
    if (!image(state, true)) return false;
    if (silent) return true;
    // Find the destination again as the rule did: `!` `[label]` `(` spaces `destination`
    const src = state.src;
    const labelEnd = state.md.helpers.parseLinkLabel(state, start + 1, false);
    // The full mode parses the alt text: only an image in it (`![`) can note something (the label
    // of a reference-style image; nested images are not at the top level, so never hits)
    if (labelEnd >= 0) {
      const nested = src.indexOf('![', start + 2);
      if (nested >= 0 && nested + 1 < labelEnd) state.md.inline.parse(src.slice(start + 2, labelEnd), state.md, state.env, []);
    }
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

  const link = original('link');
  md.inline.ruler.at('link', (state, silent) => {
    const start = state.pos;
    if (!link(state, true)) return false;
    if (silent) return true;
    // The full mode parses the link text into tokens: only an image (`![`) or an HTML tag (`<`) in
    // it can note something, so without either the silent mode's move is the whole effect.
    const end = state.pos;
    const span = state.src.slice(start, end);
    if (!span.includes('![') && !span.includes('<')) return true;
    state.pos = start;
    return link(state, false);
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

  // \r\n and \r become \n, NUL becomes U+FFFD: a text with neither is kept as it is (not copied)
  const normalize = (md.core.ruler as unknown as { __rules__: { name: string; fn: (state: StateCore) => void }[] }).__rules__.find((r) => r.name === 'normalize')?.fn;
  if (!normalize) throw new Error('markdown-it has no core rule "normalize"');
  md.core.ruler.at('normalize', (state: StateCore) => {
    if (state.src.includes('\r') || state.src.includes('\0')) normalize(state);
  });

  // One pass over the block tokens, in document order: each block that may hold an image is parsed
  // (into the scratch list) and what it holds mapped back to the text at once. Definitions are all
  // known here (the block pass is done); the images that use them are counted at the end.
  md.core.ruler.at('inline', (state: StateCore) => {
    const doc = scan.doc;
    if (!doc) return;
    let lastMap: [number, number] | null = null;
    for (const token of state.tokens) {
      if (token.map) lastMap = token.map;
      if (token.type === 'html_block') {
        if (token.map && /<img/i.test(token.content)) {
          const mapper = new ContentMapper(doc, token.map[0], token.content);
          for (const src of imgSources(token.content, 0, token.content.length)) addMapped(doc, mapper, src.start, src.end, htmlDecode, false);
        }
        continue;
      }
      if (token.type !== 'inline' || !mayHoldImage(token.content)) continue;
      scan.inBlock = true;
      try {
        state.md.inline.parse(token.content, state.md, state.env, scratch);
      } finally {
        scan.inBlock = false;
        scratch.length = 0;
      }
      if (scan.hits.length === 0) continue;
      const hits = scan.hits;
      scan.hits = [];
      if (!lastMap) continue;
      // a table cell's inline token has no map of its own: its row's (the last map seen) is the line
      const mapper = new ContentMapper(doc, lastMap[0], token.content);
      for (const hit of hits) {
        if (hit.kind === 'image') {
          const angled = token.content.charCodeAt(hit.destStart) === 0x3c; /* < */
          const refStart = angled ? hit.destStart + 1 : hit.destStart;
          const refEnd = angled ? hit.destEnd - 1 : hit.destEnd;
          addMapped(doc, mapper, refStart, refEnd, markdownUnescape, angled);
        } else {
          for (const src of imgSources(token.content, hit.start, hit.end)) addMapped(doc, mapper, src.start, src.end, htmlDecode, false);
        }
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
  return content.includes('![') || (content.includes('<') && /<img/i.test(content));
}

/**
 * Maps offsets in a block's content (lines with their indentation, list and quote markers taken
 * off, a table cell trimmed) back to the source: content line i is found in source line
 * firstLine + i, at or after the point where the previous block on that line ended.
 */
class ContentMapper {
  /** per content line: its offset in the content */
  private readonly contentLineStarts: number[] = [];
  /** per content line: the source offset of its first character, or -1 */
  private readonly lineOffsets: number[] = [];

  constructor(
    doc: ScannedDocument,
    firstLine: number,
    readonly content: string,
  ) {
    const { text, starts, cursors } = doc;
    for (let o = 0, sourceLine = firstLine; ; sourceLine++) {
      const nl = content.indexOf('\n', o);
      const end = nl < 0 ? content.length : nl;
      let at = -1;
      if (sourceLine < starts.length) {
        const from = cursors.get(sourceLine) ?? starts[sourceLine];
        if (end === o) at = from;
        else {
          const lineEnd = sourceLine + 1 < starts.length ? starts[sourceLine + 1] : text.length;
          at = indexWithin(text, content, o, end, from, lineEnd);
          if (at >= 0) cursors.set(sourceLine, at + end - o);
        }
      }
      this.contentLineStarts.push(o);
      this.lineOffsets.push(at);
      if (nl < 0) break;
      o = nl + 1;
    }
  }

  /** The source offset of a content offset, or -1 when that line could not be found. */
  source(offset: number): number {
    const line = lineAt(this.contentLineStarts, offset) - 1;
    const base = this.lineOffsets[line];
    return base < 0 ? -1 : base + offset - this.contentLineStarts[line];
  }
}

/** Where content[start, end) first occurs in text[from, to), or -1. */
function indexWithin(text: string, content: string, start: number, end: number, from: number, to: number): number {
  const length = end - start;
  if (length > to - from) return -1;
  // most often where the source line starts (a paragraph's lines)
  let i = 0;
  while (i < length && text.charCodeAt(from + i) === content.charCodeAt(start + i)) i++;
  if (i === length) return from;
  const within = text.slice(from, to).indexOf(content.slice(start, end));
  return within < 0 ? -1 : from + within;
}

function markdownReferences(text: string): ImageReference[] {
  if (!text.includes('![') && !/<img/i.test(text)) return [];
  const { md, scan } = markdown();
  const doc: ScannedDocument = { text, starts: lineStartsOf(text), cursors: new Map(), found: [] };
  const { starts, found } = doc;
  scan.doc = doc;
  scan.hits = [];
  scan.definitions = [];
  scan.imageLabels = new Set();
  try {
    md.parse(text, {});
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
  } finally {
    scan.doc = undefined;
    scan.hits = [];
    scan.definitions = [];
    scan.imageLabels = new Set();
  }
  // in document order (a stable sort: one already in order, as without definitions, is kept)
  for (let i = 1; i < found.length; i++) if (found[i - 1].range.start > found[i].range.start) return found.sort((a, b) => a.range.start - b.range.start);
  return found;
}

/**
 * Adds the reference written at content offsets [start, end) when both ends map back to the source
 * and the source there reads the same (a table cell with `\|`, which markdown-it rewrites, is
 * skipped). `bracketed`: a Markdown `<destination>`, whose brackets are replaced with the path.
 */
function addMapped(doc: ScannedDocument, mapper: ContentMapper, start: number, end: number, decode: (raw: string) => string, bracketed: boolean): void {
  const { text, starts, found } = doc;
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

/** Markdown backslash escapes and character references decoded. */
function markdownUnescape(raw: string): string {
  return markdown().md.utils.unescapeAll(raw);
}

/** HTML character references decoded (backslashes are not escapes in HTML: kept). */
function htmlDecode(raw: string): string {
  return markdown().md.utils.unescapeAll(raw.replace(/\\/g, '&#92;'));
}

// ---------------------------------------------------------------------------------------------
// JSON / JSONC

function jsonReferences(text: string): ImageReference[] {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  if (!root) return [];
  const starts = lineStartsOf(text);
  const found: ImageReference[] = [];
  const walk = (node: JsonNode): void => {
    if (node.type === 'property' && node.children?.length === 2) {
      const [key, value] = node.children;
      if (IMAGE_KEY_PROPERTIES.includes(String(key.value)) && value.type === 'string' && typeof value.value === 'string' && value.length >= 2) {
        const start = value.offset + 1;
        const end = value.offset + value.length - 1;
        const r = reference(starts, start, end, text.slice(start, end), value.value);
        if (r) found.push(r);
      }
    }
    for (const child of node.children ?? []) walk(child);
  };
  walk(root);
  return found;
}

// ---------------------------------------------------------------------------------------------
// YAML

function yamlReferences(text: string): ImageReference[] {
  const starts = lineStartsOf(text);
  const found: ImageReference[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (!('contents' in doc)) continue;
    visit(doc, {
      Pair(_key, pair, ancestors) {
        if (!isPair(pair) || !isMap(ancestors[ancestors.length - 1])) return;
        const { key, value } = pair;
        if (!isScalar(key) || !IMAGE_KEY_PROPERTIES.includes(String(key.value))) return;
        if (!isScalar(value) || typeof value.value !== 'string' || !value.range) return;
        const quoted = value.type === Scalar.QUOTE_DOUBLE || value.type === Scalar.QUOTE_SINGLE;
        if (!quoted && value.type !== Scalar.PLAIN) return; // block scalars (| >): not a path
        const start = value.range[0] + (quoted ? 1 : 0);
        const end = value.range[1] - (quoted ? 1 : 0);
        const written = text.slice(start, end);
        if (written.includes('\n') || written.includes('\r')) return; // a folded multi-line scalar
        const r = reference(starts, start, end, written, value.value);
        if (r) found.push(r);
      },
    });
  }
  return found.sort((a, b) => a.range.start - b.range.start);
}
