// Re-keying a document for another profile (issue 11 item 5): a key belongs to the app that
// uploaded it, so sending a document's images from another app needs that app's own keys. For
// each distinct key: where it came from (the upload history: profile, app, file, sha256), then
// its bytes from, in order, the local file (only while its sha256 still matches, never for a
// fitted upload: the file is the original, the fitted bytes are not kept), the kept copy
// of a pasted image, or a download by the source profile (only a `message` image, only while
// that profile is signed in); then an upload by the target profile (dedupe applies). A key the
// target app already owns (by the history, or, with no history, because the target can download
// it) is left as is; one that cannot be re-keyed says why. vscode-free:
// every effect is an injected dependency.
import { IMAGE_KEY_PATTERN } from '../constants';
import { hashBytes } from './dedupe';
import { UploadError } from './larkErrors';
import type { UploadRecord } from './history';
import type { FileOutcome } from './uploadFiles';
import { LocalCode } from './types';

/** One occurrence of a key in a text (offsets). */
export interface KeyOccurrence {
  key: string;
  start: number;
  end: number;
}

/** A Lark image key not glued to a longer word (the hover's pattern, IMAGE_KEY_PATTERN, with a left boundary). */
const KEY_IN_TEXT = new RegExp(`(?<![A-Za-z0-9_-])${IMAGE_KEY_PATTERN.source}`, 'g');

/** Every occurrence of a key `isKey` accepts (the hover's rule: in history, or a new-style key), in text order. */
export function findImageKeys(text: string, isKey: (key: string) => boolean): KeyOccurrence[] {
  const found: KeyOccurrence[] = [];
  for (const m of text.matchAll(KEY_IN_TEXT)) {
    if (m.index !== undefined && isKey(m[0])) found.push({ key: m[0], start: m.index, end: m.index + m[0].length });
  }
  return found;
}

/** Where the new keys go. */
export interface RekeyTarget {
  profileId: string;
  appId: string;
  baseUrl: string;
}

/** Why one source gave no bytes (all of them are told when no source did). */
export type RekeyProblem =
  /** no history record, and no signed-in profile but the target that could try a download */
  | { kind: 'noHistory' }
  /** the file the key was uploaded from no longer has those bytes (or no sha256 was recorded to check) */
  | { kind: 'fileChanged'; path: string }
  | { kind: 'fileMissing'; path: string }
  /** uploaded after fitting to Lark's limits: the file is the original, the fitted bytes are not kept */
  | { kind: 'fitted'; path: string }
  /** a pasted image whose copy is gone (evicted, cleared, corrupt) */
  | { kind: 'noCopy' }
  /** the source profile is signed out, or was removed */
  | { kind: 'signedOut'; profileId: string }
  /** the record was made before profiles: no profile to download with */
  | { kind: 'noProfile' }
  /** Lark serves only `message` images back */
  | { kind: 'avatar' }
  | { kind: 'download'; profileId: string; code: number; message: string; logId?: string }
  | { kind: 'upload'; code: number; message: string; logId?: string }
  /** the target profile was removed while the run went on */
  | { kind: 'targetRemoved' }
  | { kind: 'cancelled' };

export type RekeyVia = 'file' | 'copy' | 'download';

export type KeyResult =
  /** the target app owns the key already: left as is */
  | { key: string; status: 'same' }
  | { key: string; status: 'rekeyed'; newKey: string; via: RekeyVia; deduped: boolean }
  | { key: string; status: 'failed'; problems: RekeyProblem[] };

/** What the runner uploads for one key (the adapter records it: the file when it came from one). */
export interface RekeyUpload {
  key: string;
  bytes: Uint8Array;
  sha256: string;
  /** the source's file name ('' when unknown: a name from the format) */
  name: string;
  via: RekeyVia;
  /** the history record it came from, if any */
  record?: UploadRecord;
  /** set when `via` is `file` */
  filePath?: string;
}

export interface Downloader {
  downloadImage(imageKey: string, options?: { signal?: AbortSignal }): Promise<{ bytes: Uint8Array }>;
}

export interface RekeyDeps {
  /** the upload history, newest first */
  records: readonly UploadRecord[];
  target: RekeyTarget;
  /** A client of that profile able to download (the target's too); undefined when it is signed out or gone. */
  downloaderFor(profileId: string): Promise<Downloader | undefined>;
  /** Signed-in profiles other than the target (asked, in order, for keys with no history). */
  otherProfiles(): readonly string[];
  /** The file's bytes, undefined when it cannot be read. */
  readFile(path: string): Promise<Uint8Array | undefined>;
  /** The verified pasted copy of those bytes, undefined when absent. */
  readCopy(sha256: string): Promise<Uint8Array | undefined>;
  /** Uploads to the target (dedupe applies): one outcome per item, in order. */
  upload(items: readonly RekeyUpload[], signal?: AbortSignal): Promise<FileOutcome[]>;
  /** true once the target profile no longer exists: nothing more is uploaded for it. */
  targetRemoved?(): boolean;
  signal?: AbortSignal;
  /** keys whose bytes are held at once (default 8: at most 80 MB) */
  batchSize?: number;
  onProgress?(done: number, total: number): void;
}

type Found = { upload: RekeyUpload } | { problems: RekeyProblem[] };

function sameApp(r: UploadRecord, target: RekeyTarget): boolean {
  if (r.profileId !== undefined && r.profileId === target.profileId) return true;
  return r.appId !== undefined && r.appId === target.appId && r.baseUrl === target.baseUrl;
}

function downloadProblem(e: unknown, profileId: string): RekeyProblem {
  if (e instanceof UploadError) {
    if (e.code === LocalCode.Cancelled) return { kind: 'cancelled' };
    return { kind: 'download', profileId, code: e.code, message: e.message, ...(e.logId ? { logId: e.logId } : {}) };
  }
  return { kind: 'download', profileId, code: LocalCode.NetworkError, message: e instanceof Error ? e.message : String(e) };
}

async function download(key: string, profileId: string, deps: RekeyDeps): Promise<{ bytes: Uint8Array } | { problem: RekeyProblem }> {
  const client = await deps.downloaderFor(profileId).catch(() => undefined);
  if (!client) return { problem: { kind: 'signedOut', profileId } };
  try {
    return { bytes: (await client.downloadImage(key, { signal: deps.signal })).bytes };
  } catch (e) {
    return { problem: deps.signal?.aborted ? { kind: 'cancelled' } : downloadProblem(e, profileId) };
  }
}

/**
 * A key with no history may still be the target's own (uploaded on another machine, or before
 * this history): a download by the target that succeeds says so (Lark serves an image only to the
 * app that sent it). 234008 (another app's) or a signed-out target says nothing; other failures are told.
 */
async function targetOwns(key: string, deps: RekeyDeps): Promise<boolean | RekeyProblem> {
  const got = await download(key, deps.target.profileId, deps);
  if ('bytes' in got) return true;
  const p = got.problem;
  return p.kind === 'signedOut' || (p.kind === 'download' && p.code === NOT_SENDER) ? false : p;
}

/** Lark's "The app is not the resource sender." */
const NOT_SENDER = 234008;

/** A key with no history: the target's own, or whichever other signed-in profile can download it. */
async function fromOtherProfiles(key: string, deps: RekeyDeps): Promise<Found | 'same'> {
  const problems: RekeyProblem[] = [{ kind: 'noHistory' }];
  const owned = await targetOwns(key, deps);
  if (owned === true) return 'same';
  if (owned !== false) {
    if (owned.kind === 'cancelled') return { problems: [owned] };
    problems.push(owned);
  }
  for (const profileId of deps.otherProfiles()) {
    const got = await download(key, profileId, deps);
    if ('bytes' in got) return { upload: { key, bytes: got.bytes, sha256: hashBytes(got.bytes), name: '', via: 'download' } };
    if (got.problem.kind === 'cancelled') return { problems: [got.problem] };
    problems.push(got.problem);
  }
  return { problems };
}

/** The bytes of a key the history knows: its file (sha256 checked), its pasted copy, a download by its profile. */
async function fromHistory(key: string, records: readonly UploadRecord[], deps: RekeyDeps): Promise<Found> {
  const problems: RekeyProblem[] = [];
  const name = records[0].fileName;
  for (const r of records) {
    if (r.filePath === undefined) continue;
    if (r.fit) {
      // its sha256 is that of the fitted bytes: the original on disk never matches it
      problems.push({ kind: 'fitted', path: r.filePath });
      continue;
    }
    const bytes = await deps.readFile(r.filePath);
    if (!bytes) problems.push({ kind: 'fileMissing', path: r.filePath });
    else {
      const sha256 = hashBytes(bytes);
      if (r.sha256 !== undefined && sha256 === r.sha256) return { upload: { key, bytes, sha256, name: r.fileName, via: 'file', record: r, filePath: r.filePath } };
      problems.push({ kind: 'fileChanged', path: r.filePath });
    }
  }
  for (const sha256 of new Set(records.flatMap((r) => (r.sha256 !== undefined ? [r.sha256] : [])))) {
    const bytes = await deps.readCopy(sha256);
    if (bytes) return { upload: { key, bytes, sha256, name, via: 'copy', record: records.find((r) => r.sha256 === sha256) } };
  }
  if (records.some((r) => r.filePath === undefined)) problems.push({ kind: 'noCopy' });
  const tried = new Set<string>();
  for (const r of records) {
    if (r.imageType === 'avatar') {
      if (!problems.some((p) => p.kind === 'avatar')) problems.push({ kind: 'avatar' });
      continue;
    }
    if (r.profileId === undefined) {
      if (!problems.some((p) => p.kind === 'noProfile')) problems.push({ kind: 'noProfile' });
      continue;
    }
    if (tried.has(r.profileId)) continue;
    tried.add(r.profileId);
    const got = await download(key, r.profileId, deps);
    if ('bytes' in got) return { upload: { key, bytes: got.bytes, sha256: hashBytes(got.bytes), name, via: 'download', record: r } };
    if (got.problem.kind === 'cancelled') return { problems: [got.problem] };
    problems.push(got.problem);
  }
  return { problems };
}

/** Where one key's bytes come from, or why none could be had; `same` when the target app owns it. */
export async function findSource(key: string, deps: RekeyDeps): Promise<Found | 'same'> {
  const records = deps.records.filter((r) => r.ok && r.imageKey === key);
  if (records.some((r) => sameApp(r, deps.target))) return 'same';
  return records.length > 0 ? fromHistory(key, records, deps) : fromOtherProfiles(key, deps);
}

/**
 * Re-keys the distinct `keys` for the target, `batchSize` keys at a time (their bytes found, then
 * uploaded in one call). Results in input order; never rejects. Cancelled (or the target removed):
 * the keys not uploaded yet fail with that reason, the finished ones stay.
 */
export async function rekeyKeys(keys: readonly string[], deps: RekeyDeps): Promise<KeyResult[]> {
  const distinct = [...new Set(keys)];
  const results: KeyResult[] = [];
  const batch = Math.max(1, Math.floor(deps.batchSize ?? 8));
  const stop = (): RekeyProblem | undefined => (deps.signal?.aborted ? { kind: 'cancelled' } : deps.targetRemoved?.() ? { kind: 'targetRemoved' } : undefined);
  for (let i = 0; i < distinct.length; i += batch) {
    const chunk = distinct.slice(i, i + batch);
    const uploads: RekeyUpload[] = [];
    const chunkResults: KeyResult[] = [];
    for (const key of chunk) {
      const stopped = stop();
      const found = stopped ? { problems: [stopped] } : await findSource(key, deps);
      if (found === 'same') chunkResults.push({ key, status: 'same' });
      else if ('problems' in found) chunkResults.push({ key, status: 'failed', problems: found.problems });
      else {
        uploads.push(found.upload);
        chunkResults.push({ key, status: 'failed', problems: [] }); // settled below
      }
    }
    const stopped = stop();
    const outcomes = uploads.length === 0 || stopped ? [] : await deps.upload(uploads, deps.signal);
    uploads.forEach((u, j) => {
      const at = chunkResults.findIndex((r) => r.key === u.key);
      const o = outcomes[j];
      if (stopped || !o) chunkResults[at] = { key: u.key, status: 'failed', problems: [stopped ?? { kind: 'cancelled' }] };
      else if (o.ok) chunkResults[at] = { key: u.key, status: 'rekeyed', newKey: o.imageKey, via: u.via, deduped: o.deduped };
      else if (o.code === LocalCode.Cancelled) chunkResults[at] = { key: u.key, status: 'failed', problems: [{ kind: 'cancelled' }] };
      else chunkResults[at] = { key: u.key, status: 'failed', problems: [{ kind: 'upload', code: o.code, message: o.message, ...(o.logId ? { logId: o.logId } : {}) }] };
    });
    results.push(...chunkResults);
    deps.onProgress?.(results.length, distinct.length);
  }
  return results;
}
