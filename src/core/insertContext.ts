// Context-aware insertion: what goes in at each cursor, given the document and the place. In JSON
// the configured form is inserted only where it keeps the document as valid as it was (judged
// with jsonc-parser, comparing error counts before and after, so an already-broken document is
// judged fairly); inside a JSON string only the bare key fits. Elsewhere: the configured form.
import { ScanError, SyntaxKind, createScanner, parse, type ParseError } from 'jsonc-parser';

/** A cursor or selection as offsets into the document text (start <= end). */
export interface Place {
  start: number;
  end: number;
}

export interface InsertDocument {
  text: string;
  languageId: string;
}

/** What to insert for each key, in the configured form and bare (the image_key alone). */
export interface InsertCandidates {
  template: readonly string[];
  bare: readonly string[];
}

/**
 * Why the bare key went in instead of the configured form:
 * `insideJsonString`: the cursor is inside a JSON string (quietly: that is what belongs there);
 * `wouldBreakJson`: the configured form would make the JSON (more) invalid here (worth a message).
 */
export type InsertReason = 'insideJsonString' | 'wouldBreakJson';

export interface Insertion extends Place {
  text: string;
  form: 'template' | 'bare';
  reason?: InsertReason;
}

const JSON_LANGUAGES: ReadonlySet<string> = new Set(['json', 'jsonc']);

export function isJsonLanguage(languageId: string): boolean {
  return JSON_LANGUAGES.has(languageId);
}

/**
 * The texts for one place: one key per place when there are several keys and as many places
 * (multi-cursor), else all the keys at every place.
 */
export function textsPerPlace(texts: readonly string[], placeCount: number): (readonly string[])[] {
  const perPlace = texts.length === placeCount; // (one key, one place: the same either way)
  return Array.from({ length: placeCount }, (_, i) => (perPlace ? [texts[i]] : texts));
}

/** One insertion per place, in the order of `places`. Each place is judged on its own against the unchanged document. */
export function planInsertions(doc: InsertDocument, places: readonly Place[], candidates: InsertCandidates): Insertion[] {
  const templates = textsPerPlace(candidates.template, places.length);
  const bares = textsPerPlace(candidates.bare, places.length);
  if (!isJsonLanguage(doc.languageId)) {
    return places.map((p, i) => ({ start: p.start, end: p.end, text: templates[i].join('\n'), form: 'template' }));
  }
  const errorsBefore = jsonErrorCount(doc.text, doc.languageId);
  return places.map((p, i) => planJson(doc, p, templates[i], bares[i], errorsBefore));
}

function planJson(doc: InsertDocument, place: Place, templates: readonly string[], bares: readonly string[], errorsBefore: number): Insertion {
  const at = { start: place.start, end: place.end };
  if (insideJsonString(doc.text, place)) {
    // a raw line break is not allowed in a JSON string: several keys are separated by a space
    // (no reason when the configured form is the bare key: nothing was held back)
    return { ...at, text: bares.join(' '), form: 'bare', reason: isBare(templates, bares) ? undefined : 'insideJsonString' };
  }
  // several values at one place: as array items first (valid between `[` and `]`), then one per line
  const tries = [...new Set([templates.join(',\n'), templates.join('\n')])];
  for (const text of tries) {
    if (jsonErrorCount(splice(doc.text, place, text), doc.languageId) <= errorsBefore) return { ...at, text, form: 'template' };
  }
  const bare = bares.join('\n');
  // the configured form is the bare key already: nothing better to offer, nothing to say
  if (isBare(templates, bares)) return { ...at, text: bare, form: 'template' };
  return { ...at, text: bare, form: 'bare', reason: 'wouldBreakJson' };
}

function isBare(templates: readonly string[], bares: readonly string[]): boolean {
  return templates.every((t, i) => t === bares[i]);
}

function splice(text: string, place: Place, insert: string): string {
  return text.slice(0, place.start) + insert + text.slice(place.end);
}

/** How many syntax errors jsonc-parser finds (comments are allowed in jsonc, trailing commas too). */
export function jsonErrorCount(text: string, languageId: string): number {
  const errors: ParseError[] = [];
  const jsonc = languageId === 'jsonc';
  parse(text, errors, { disallowComments: !jsonc, allowTrailingComma: jsonc, allowEmptyContent: true });
  return errors.length;
}

/**
 * True when the whole place lies inside one string token (property names included): after its
 * opening quote and before its closing quote (an unterminated string runs to the end of its line).
 */
export function insideJsonString(text: string, place: Place): boolean {
  // (comments and whitespace are skipped: a cursor in them is in no string)
  // Stryker disable next-line BooleanLiteral: equivalent — a trivia token never holds the cursor "inside a string" either
  const scanner = createScanner(text, true);
  for (let kind = scanner.scan(); kind !== SyntaxKind.EOF; kind = scanner.scan()) {
    const start = scanner.getTokenOffset();
    if (start >= place.start) return false; // this token and all later ones begin at or after the cursor
    if (kind !== SyntaxKind.StringLiteral) continue;
    const end = start + scanner.getTokenLength();
    const innerEnd = scanner.getTokenError() === ScanError.UnexpectedEndOfString ? end : end - 1;
    if (place.end <= innerEnd) return true;
  }
  return false;
}
