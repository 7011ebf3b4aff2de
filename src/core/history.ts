// The uploads history shown in the sidebar: one record per file (or pasted image) and target,
// newest first, bounded, persisted through an injected storage (globalState in the extension,
// a memory fake in tests).
import { randomUUID } from 'crypto';
import type { ImageType } from './types';

export interface UploadRecord {
  /** Stable unique id. */
  id: string;
  /** Absolute fs path; undefined for pasted bytes. */
  filePath?: string;
  fileName: string;
  ok: boolean;
  /** When ok. */
  imageKey?: string;
  /** When failed. */
  code?: number;
  message?: string;
  logId?: string;
  size?: number;
  width?: number;
  height?: number;
  format?: string;
  imageType: ImageType;
  /** ms epoch: when this entry was made (for a reused key: when it was reused) */
  at: number;
  /** The key came from an earlier upload of the same bytes (dedupe): nothing was sent. */
  reused?: boolean;
  /** For a reused key: when the earlier upload happened (its log_id is `logId`), when known. */
  uploadedAt?: number;
  baseUrl: string;
  /** The app the key belongs to (a static token's profile: `tenant-token:<profile id>`). */
  appId?: string;
  /** The profile that uploaded it; undefined for records made before profiles (and not migrated). */
  profileId?: string;
  /** sha256 (hex) of the bytes uploaded, when known (records made before re-keying have none). */
  sha256?: string;
  /**
   * The image was fitted to Lark's limits before it was uploaded: the original as it was on disk
   * (size, width, height, format above describe what was uploaded).
   */
  fit?: FitOrigin;
  /** Uploaded through the files API (as a file): its file_key; such a record has no imageKey. */
  fileKey?: string;
}

/** The original of a fitted upload. */
export interface FitOrigin {
  width: number;
  height: number;
  size: number;
  format: string;
  /** An animation of which only the first frame was uploaded. */
  firstFrameOnly?: boolean;
}

function toFitOrigin(value: unknown): FitOrigin | undefined {
  if (!isObject(value)) return undefined;
  const { width, height, size, format } = value;
  const n = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;
  if (!n(width) || !n(height) || !n(size) || typeof format !== 'string') return undefined;
  return Object.freeze({ width, height, size, format, ...(value.firstFrameOnly === true ? { firstFrameOnly: true } : {}) });
}

export interface HistoryStorage {
  get(): unknown;
  set(value: unknown): Thenable<void> | Promise<void> | void;
}

/** What is written to storage. */
interface StoredHistory {
  version: 1;
  records: UploadRecord[];
}

const HISTORY_VERSION = 1;
const DEFAULT_HISTORY_LIMIT = 500;

type NewRecord = Omit<UploadRecord, 'id' | 'at'> & { at?: number };

const OPTIONAL_STRINGS = ['filePath', 'imageKey', 'message', 'logId', 'format', 'appId', 'profileId', 'sha256', 'fileKey'] as const;
const OPTIONAL_NUMBERS = ['code', 'size', 'width', 'height', 'uploadedAt'] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A loose check for command arguments (tree items hand the record itself to commands). */
export function isUploadRecord(value: unknown): value is UploadRecord {
  return toRecord(value) !== undefined;
}

/**
 * A clean copy of a stored record, or undefined when it is unusable. Required fields must be
 * right; optional fields of the wrong type are dropped rather than losing the whole record.
 */
function toRecord(value: unknown): UploadRecord | undefined {
  if (!isObject(value)) return undefined;
  const { id, fileName, ok, imageType, at, baseUrl } = value;
  if (typeof id !== 'string' || id === '') return undefined;
  if (typeof fileName !== 'string') return undefined;
  if (typeof ok !== 'boolean') return undefined;
  if (imageType !== 'message' && imageType !== 'avatar') return undefined;
  if (typeof at !== 'number' || !Number.isFinite(at)) return undefined;
  if (typeof baseUrl !== 'string') return undefined;
  const hasKey = (k: 'imageKey' | 'fileKey'): boolean => typeof value[k] === 'string' && value[k] !== '';
  // an upload has its image_key, or (uploaded as a file) its file_key, never both
  if (ok && hasKey('imageKey') === hasKey('fileKey')) return undefined;
  const record: UploadRecord = { id, fileName, ok, imageType, at, baseUrl };
  for (const k of OPTIONAL_STRINGS) {
    const v = value[k];
    if (typeof v === 'string' && v !== '') record[k] = v;
  }
  for (const k of OPTIONAL_NUMBERS) {
    const v = value[k];
    if (typeof v === 'number' && Number.isFinite(v)) record[k] = v;
  }
  if (ok && value.reused === true) record.reused = true;
  const fit = ok ? toFitOrigin(value.fit) : undefined;
  if (fit) record.fit = fit;
  return Object.freeze(record);
}

/**
 * Two records with the same identity are the same entry (the newer replaces the older): the same
 * file (or, for pasted bytes, the same image_key) uploaded as the same image_type to the same
 * origin, app and profile. A pasted image that failed has no identity: each such failure is its own entry.
 */
function identityOf(r: UploadRecord): string | undefined {
  const subject =
    r.filePath !== undefined ? `file:${r.filePath}` : r.imageKey !== undefined ? `key:${r.imageKey}` : r.fileKey !== undefined ? `file_key:${r.fileKey}` : undefined;
  return subject === undefined ? undefined : JSON.stringify([subject, r.imageType, r.baseUrl, r.appId ?? '', r.profileId ?? '']);
}

/** Newest first (stable for equal times), no duplicate ids or identities, at most `limit`. */
function normalize(records: readonly UploadRecord[], limit: number): UploadRecord[] {
  const sorted = records
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r.at - a.r.at || a.i - b.i)
    .map((x) => x.r);
  const ids = new Set<string>();
  const identities = new Set<string>();
  const out: UploadRecord[] = [];
  for (const r of sorted) {
    if (out.length >= limit) break;
    if (ids.has(r.id)) continue;
    const identity = identityOf(r);
    if (identity !== undefined && identities.has(identity)) continue;
    ids.add(r.id);
    if (identity !== undefined) identities.add(identity);
    out.push(r);
  }
  return out;
}

/** Stored data that is not a history (wrong shape, malformed entries) reads as "no records". */
function parseStored(value: unknown, limit: number): UploadRecord[] {
  let items: unknown;
  if (Array.isArray(value)) items = value; // tolerate a bare array
  else if (isObject(value) && Array.isArray(value.records)) items = value.records;
  if (!Array.isArray(items)) return [];
  const records: UploadRecord[] = [];
  for (const item of items) {
    const r = toRecord(item);
    if (r) records.push(r);
  }
  return normalize(records, limit);
}

/**
 * Storage could not be read. While that lasts, add/remove/clear reject with this error and
 * write nothing: writing what we hold (possibly nothing) would replace what is stored.
 */
export class HistoryReadError extends Error {
  constructor(cause: unknown) {
    super(`The upload history could not be read (${cause instanceof Error ? cause.message : String(cause)}); it was left unchanged.`, { cause });
    this.name = 'HistoryReadError';
  }
}

/** Where the history reports what it cannot throw to a caller (a failed read, a broken listener). */
export type HistoryErrorHandler = (error: unknown, context: 'history read' | 'history listener') => void;

export class UploadHistory {
  private records: UploadRecord[] = [];
  private readonly limit: number;
  private readonly listeners = new Set<() => void>();
  /** Tail of the write queue: every mutation runs after the previous one has been written. */
  private queue: Promise<unknown> = Promise.resolve();
  private failedRead: HistoryReadError | undefined;

  /** `onError` hears every failed read of storage and every listener that threw. */
  constructor(
    private readonly storage: HistoryStorage,
    limit: number = DEFAULT_HISTORY_LIMIT,
    private readonly now: () => number = Date.now,
    private readonly onError?: HistoryErrorHandler,
  ) {
    this.limit = Number.isFinite(limit) && limit >= 1 ? Math.floor(limit) : DEFAULT_HISTORY_LIMIT;
    const read = this.read();
    if (read) this.records = read;
  }

  /**
   * Set while the last read of storage failed (the list then shows the last records read, and
   * add/remove/clear reject with it); undefined again after a good read.
   */
  get readError(): HistoryReadError | undefined {
    return this.failedRead;
  }

  /** Newest first. */
  list(): readonly UploadRecord[] {
    return this.records;
  }

  get(id: string): UploadRecord | undefined {
    return this.records.find((r) => r.id === id);
  }

  /** The newest successful upload that produced `imageKey`. */
  findByKey(imageKey: string): UploadRecord | undefined {
    return this.records.find((r) => r.ok && r.imageKey === imageKey);
  }

  /**
   * What an entry for a key that dedupe answered (nothing sent) keeps of the upload that made the
   * key: its log_id and time, from the newest entry holding the key (itself reused or not).
   * Empty when no entry holds the key any more.
   */
  originOf(imageKey: string): { logId?: string; uploadedAt?: number } {
    const known = this.findByKey(imageKey);
    if (!known) return {};
    const origin: { logId?: string; uploadedAt?: number } = { uploadedAt: known.reused ? known.uploadedAt : known.at };
    if (known.logId !== undefined) origin.logId = known.logId;
    if (origin.uploadedAt === undefined) delete origin.uploadedAt;
    return origin;
  }

  /** Every entry of that file (one per image_type / origin / app), newest first. */
  findByFile(filePath: string): UploadRecord[] {
    return this.records.filter((r) => r.filePath === filePath);
  }

  /**
   * Adds a record (newest first); an older entry with the same identity (file or pasted key,
   * image_type, origin, app) is replaced. Resolves with the stored record once it is written;
   * rejects with a TypeError when the record is malformed (e.g. ok without an image_key).
   */
  add(input: NewRecord): Promise<UploadRecord> {
    const record = toRecord({ ...input, id: randomUUID(), at: input.at ?? this.now() });
    if (!record) return Promise.reject(new TypeError('UploadHistory.add: malformed upload record'));
    return this.mutate((records) => ({ records: [record, ...records], result: record }));
  }

  /** Resolves with the removed record, or undefined when there was none with that id. */
  remove(id: string): Promise<UploadRecord | undefined> {
    return this.mutate((records) => {
      const removed = records.find((r) => r.id === id);
      return removed ? { records: records.filter((r) => r !== removed), result: removed } : { result: undefined };
    });
  }

  /**
   * Gives every record without a profile that `matches` the profile (and `appId`, which a static
   * token's records lack). Used once, when the pre-profiles layout is migrated; resolves with how many.
   */
  assignProfile(matches: (record: UploadRecord) => boolean, profileId: string, appId: string): Promise<number> {
    return this.mutate((records) => {
      let count = 0;
      const next = records.map((r) => {
        if (r.profileId !== undefined || !matches(r)) return r;
        count++;
        return Object.freeze({ ...r, profileId, appId: r.appId ?? appId });
      });
      return count > 0 ? { records: next, result: count } : { result: 0 };
    });
  }

  /** Resolves with what was removed. */
  clear(): Promise<readonly UploadRecord[]> {
    return this.mutate((records) => (records.length ? { records: [], result: records } : { result: [] }));
  }

  /**
   * Re-reads storage (e.g. after another window wrote); notifies listeners when it changed. A
   * failed read keeps the list as it was (see readError).
   */
  reload(): void {
    const read = this.read();
    if (read) this.replace(read);
  }

  onDidChange(listener: () => void): { dispose(): void } {
    // a wrapper, so the same function can subscribe twice and dispose independently
    const wrapped = (): void => listener();
    this.listeners.add(wrapped);
    return { dispose: () => void this.listeners.delete(wrapped) };
  }

  /** What storage holds, or undefined when it cannot be read (then readError says why). */
  private read(): UploadRecord[] | undefined {
    try {
      const records = parseStored(this.storage.get(), this.limit);
      this.failedRead = undefined;
      return records;
    } catch (e) {
      // also a getter that throws on a hostile stored object
      this.failedRead = new HistoryReadError(e);
      this.report(e, 'history read');
      return undefined;
    }
  }

  private report(error: unknown, context: 'history read' | 'history listener'): void {
    try {
      this.onError?.(error, context);
    } catch {
      // the error handler's own failure has nowhere left to go
    }
  }

  /**
   * Serialized read-modify-write. Each step starts from what storage holds now (another window
   * may have written since), so neither a concurrent call here nor another window's write is lost.
   * `change` returns no `records` when there is nothing to write. A failed read writes nothing;
   * a failed write changes nothing here either.
   */
  private mutate<T>(change: (records: UploadRecord[]) => { records?: UploadRecord[]; result: T }): Promise<T> {
    const step = this.queue.then(async () => {
      const current = this.read();
      if (!current) throw this.failedRead;
      this.replace(current);
      const { records, result } = change(this.records);
      if (records) {
        const next = normalize(records, this.limit);
        const stored: StoredHistory = { version: HISTORY_VERSION, records: next };
        await this.storage.set(stored);
        // shown once stored: a failed write leaves the list as storage holds it
        this.replace(next);
      }
      return result;
    });
    this.queue = step.catch(() => undefined); // a failed write must not stall later ones
    return step;
  }

  private replace(fresh: UploadRecord[]): void {
    if (sameRecords(this.records, fresh)) return;
    // keep the objects callers already hold (tree selections) for entries that did not change
    const known = new Map(this.records.map((r) => [r.id, r]));
    this.records = fresh.map((r) => {
      const old = known.get(r.id);
      return old && sameRecord(old, r) ? old : r;
    });
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (e) {
        // one broken listener must not keep the others (or the write) from happening
        this.report(e, 'history listener');
      }
    }
  }
}

function sameRecord(a: UploadRecord, b: UploadRecord): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

function sameRecords(a: readonly UploadRecord[], b: readonly UploadRecord[]): boolean {
  return a.length === b.length && a.every((r, i) => sameRecord(r, b[i]));
}
