// The whole pipeline for a batch of files: validate -> hash -> dedupe -> schedule uploads, as a
// stream: the first files are uploading while the rest are still being validated and hashed.
// Used by the CLI and by every gesture of the extension, so they behave the same.
import { resolve } from 'path';
import { validateImageFile } from './validate';
import { DedupeIndex, hashFile } from './dedupe';
import { createLimit, createPermits, mapPoolInOrder } from './pool';
import type { LarkClient, UploadSource } from './larkClient';
import type { JobOutcome, UploadScheduler } from './scheduler';
import { UploadError } from './larkErrors';
import { LocalCode, type ImageInfo, type ImageType, type ValidationResult } from './types';

export type FileOutcome =
  | {
      file: string; // as given by the caller
      ok: true;
      imageKey: string;
      logId: string | undefined;
      info: ImageInfo;
      /** true when the key came from the dedupe index (or an identical file earlier in the batch). */
      deduped: boolean;
      attempts: number;
      /** sha256 (hex) of the bytes (files: taken just before the upload; absent when the file could not be hashed). */
      sha256?: string;
    }
  | {
      file: string;
      ok: false;
      code: number;
      message: string;
      logId: string | undefined;
      stage: 'validate' | 'upload';
      info: ImageInfo | undefined;
      attempts: number;
    };

export interface UploadFilesOptions {
  client: LarkClient;
  scheduler: UploadScheduler;
  imageType: ImageType;
  dedupe?: DedupeIndex;
  /** Upload even when the dedupe index knows the bytes. */
  force?: boolean;
  signal?: AbortSignal;
  /**
   * After each file's outcome is known, in the order outcomes become known (a validation failure
   * can come after earlier files' uploads); `index` is the file's position in the input.
   */
  onProgress?: (done: number, total: number, outcome: FileOutcome, index: number) => void;
  /** Failures that cost no outcome (the dedupe index could not be read or written); for the log. */
  onError?: PipelineErrorHandler;
  /** Checks one file (default validateImageFile); a rejection counts as an unreadable file (9003). */
  validateFile?: (path: string, imageType: ImageType) => Promise<ValidationResult>;
  /** sha256 of one file, for dedupe and the outcome's sha256 (default hashFile). */
  hashFile?: (path: string, signal?: AbortSignal) => Promise<string>;
}

/** 'dedupe lookup': the file is uploaded as if unknown; 'dedupe remember': a later upload repeats it. */
export type PipelineErrorHandler = (error: unknown, context: 'dedupe lookup' | 'dedupe remember') => void;

/** Files validated and hashed at once, ahead of the uploads (reads only: cheap next to a request). */
export const PREPARE_CONCURRENCY = 8;

/**
 * Files started (validation begun) but not settled, at most: PREPARE_CONCURRENCY more than the
 * uploads in flight. Preparing stays just ahead of the uploads instead of reading the whole batch
 * while the first requests leave (they share the CPU and the file-system threads), and a file's
 * hash is taken shortly before it is sent.
 */
export function filesAhead(scheduler: Pick<UploadScheduler, 'concurrency'>): number {
  return scheduler.concurrency + PREPARE_CONCURRENCY;
}

/** What validating and hashing one file gave. */
type Prepared =
  | { settled: FileOutcome } // not uploadable: its outcome is known now
  | { info: ImageInfo; hash: string | undefined } // to upload (hash: undefined when it failed without dedupe)
  | { cancelled: ImageInfo }; // aborted before its hash was known: reported once the rest is done

/**
 * Outcomes in input order; never rejects. Files are validated and hashed PREPARE_CONCURRENCY at a
 * time (and at most filesAhead() files before the last settled one) and handed to the uploads in
 * input order as soon as they are ready, so the first request leaves while the rest of the batch
 * is still to be read. A file that fails validation is never
 * sent; identical content (dedupe on) or the same path (dedupe off) is uploaded once, however far
 * apart the copies are in the batch.
 */
export async function uploadFiles(files: readonly string[], options: UploadFilesOptions): Promise<FileOutcome[]> {
  const { client, imageType, dedupe, signal } = options;
  const validate = options.validateFile ?? validateImageFile;
  const hash = options.hashFile ?? hashFile;
  const outcomes = new Array<FileOutcome>(files.length);
  const ahead = createPermits(filesAhead(options.scheduler));
  const freed = new Set<number>();
  const free = (index: number): void => {
    if (freed.has(index)) return;
    freed.add(index);
    ahead.release();
  };
  let done = 0;
  const settle = (index: number, outcome: FileOutcome): void => {
    outcomes[index] = outcome;
    done++;
    free(index);
    options.onProgress?.(done, files.length, outcome, index);
  };
  const uploads = new GroupUploads(options, settle);
  let tokenAsked = false;

  const prepare = async (file: string): Promise<Prepared> => {
    await ahead.acquire();
    const v = await validate(resolve(file), imageType).catch(
      (e: unknown): ValidationResult => ({ ok: false, path: file, code: LocalCode.FileUnreadable, message: `Cannot read ${file}: ${messageOf(e)}`, bytesRead: 0 }),
    );
    if (!v.ok) return { settled: { file, ok: false, code: v.code, message: v.message, logId: undefined, stage: 'validate', info: undefined, attempts: 0 } };
    if (!tokenAsked) {
      // Fetch the token while the first file is hashed, so its upload does not wait for it (a
      // failure here surfaces, with its code, on every upload). A batch with nothing valid asks nothing.
      tokenAsked = true;
      client.getToken(signal).catch(() => undefined);
    }
    // Hashed with dedupe off too: the record's sha256 is how re-keying knows the file is unchanged.
    try {
      return { info: v.info, hash: await hash(v.info.path, signal) };
    } catch (e) {
      if (signal?.aborted) return { cancelled: v.info };
      if (!dedupe) return { info: v.info, hash: undefined }; // costs only the sha256: the upload reads the file itself
      return { settled: failed(file, v.info, new UploadError(LocalCode.FileUnreadable, `Cannot read ${file}: ${messageOf(e)}`), 'validate') };
    }
  };

  const cancelled = new Map<number, ImageInfo>();
  await mapPoolInOrder(files, PREPARE_CONCURRENCY, prepare, (p, index) => {
    if ('settled' in p) return settle(index, p.settled);
    if ('cancelled' in p) {
      cancelled.set(index, p.cancelled);
      return free(index); // waits for nothing more
    }
    const file = files[index];
    // Identical content is one group (dedupe on); without dedupe, the same path is.
    const key = p.hash === undefined || !dedupe ? undefined : DedupeIndex.keyFor(p.hash, imageType, client.scopeKey);
    uploads.add(key ?? `path:${p.info.path}`, { key, source: { kind: 'file', path: p.info.path, mime: p.info.mime }, members: [{ index, file, info: p.info }], sha256: p.hash });
  });
  await uploads.finished();

  // Files cancelled while being hashed are reported, never dropped.
  for (const [index, info] of cancelled) settle(index, failed(files[index], info, new UploadError(LocalCode.Cancelled, 'Cancelled.'), 'upload'));
  return outcomes;
}

/** Identical content (or one file when dedupe is off): uploaded once, its key given to every member. */
export interface UploadGroup {
  /** Dedupe index key; undefined when dedupe is off. */
  key: string | undefined;
  source: UploadSource;
  members: { index: number; file: string; info: ImageInfo }[];
  /** sha256 of the content, when hashed: given to the members' outcomes. */
  sha256?: string;
}

type UploadOptions = Pick<UploadFilesOptions, 'client' | 'scheduler' | 'imageType' | 'dedupe' | 'force' | 'signal' | 'onError'>;

/**
 * The shared tail of uploadFiles and uploadBytes: answer groups the dedupe index knows (no
 * request), upload the rest through the scheduler, remember new keys, settle every member.
 */
export async function uploadGroups(groups: Iterable<UploadGroup>, options: UploadOptions, settle: (index: number, outcome: FileOutcome) => void): Promise<void> {
  const uploads = new GroupUploads(options, settle);
  let id = 0;
  for (const group of groups) uploads.add(String(id++), group);
  await uploads.finished();
}

/** How a group ended, for its members and for copies that join it later. */
type Answer = { ok: true; imageKey: string; logId: string | undefined; attempts: number; reused: boolean } | { ok: false; error: UploadError; attempts: number };

/**
 * Groups arriving one by one: each is looked up in the dedupe index, then uploaded through the
 * scheduler with at most `scheduler.concurrency` requests in flight across the groups, in the
 * order they arrived. A member added to a group that is still running gets its answer with the
 * others; one added after the group ended gets the same answer at once (never a second request).
 */
class GroupUploads {
  private readonly groups = new Map<string, { members: UploadGroup['members']; answer?: Answer; sha256?: string }>();
  private readonly running: Promise<void>[] = [];
  private readonly remembering: Promise<void>[] = [];
  private readonly lane: <R>(fn: () => Promise<R>) => Promise<R>;

  constructor(
    private readonly options: UploadOptions,
    private readonly settle: (index: number, outcome: FileOutcome) => void,
  ) {
    this.lane = createLimit(options.scheduler.concurrency);
  }

  /** Adds `group`'s members to the group named `id`, starting that group if it is new. */
  add(id: string, group: UploadGroup): void {
    const live = this.groups.get(id);
    if (!live) {
      const created = { members: [...group.members], sha256: group.sha256 };
      this.groups.set(id, created);
      this.running.push(this.run(created, group));
    } else if (live.answer) {
      for (const m of group.members) this.answer(m, live.answer, true, live.sha256);
    } else {
      live.members.push(...group.members);
    }
  }

  /** Resolves once every group added so far is settled and the index knows every new key. */
  async finished(): Promise<void> {
    await Promise.all(this.running);
    await Promise.all(this.remembering);
  }

  private report(error: unknown, context: 'dedupe lookup' | 'dedupe remember'): void {
    try {
      this.options.onError?.(error, context);
    } catch {
      // the handler's own failure must not cost an outcome
    }
  }

  private async run(live: { members: UploadGroup['members']; answer?: Answer; sha256?: string }, group: UploadGroup): Promise<void> {
    const { client, scheduler, imageType, dedupe, signal } = this.options;
    let answer: Answer | undefined;
    if (dedupe && group.key && !this.options.force) {
      // An index that cannot be read costs one upload, never the batch.
      const known = await dedupe.lookup(group.key).catch((e: unknown) => void this.report(e, 'dedupe lookup'));
      if (known) answer = { ok: true, imageKey: known, logId: undefined, attempts: 0, reused: true };
    }
    if (!answer) {
      const [outcome] = await this.lane(() =>
        scheduler.run([({ signal: jobSignal, acquire }) => client.uploadImage(group.source, imageType, { signal: jobSignal, beforeSend: acquire })], { signal }),
      );
      answer = this.answerOf(outcome);
      if (answer.ok && dedupe && group.key) {
        // A store that fails to persist costs a future re-upload, never this result.
        this.remembering.push(dedupe.remember(group.key, answer.imageKey).catch((e: unknown) => this.report(e, 'dedupe remember')));
      }
    }
    live.answer = answer;
    live.members.forEach((m, position) => this.answer(m, answer, position > 0, live.sha256));
  }

  private answerOf(outcome: JobOutcome<{ imageKey: string; logId: string | undefined }>): Answer {
    if (!outcome.ok) return outcome;
    return { ok: true, imageKey: outcome.value.imageKey, logId: outcome.value.logId, attempts: outcome.attempts, reused: false };
  }

  private answer(m: UploadGroup['members'][number], a: Answer, copy: boolean, sha256: string | undefined): void {
    if (a.ok) {
      this.settle(m.index, { file: m.file, ok: true, imageKey: a.imageKey, logId: a.logId, info: m.info, deduped: a.reused || copy, attempts: a.attempts, ...(sha256 ? { sha256 } : {}) });
    } else {
      this.settle(m.index, failed(m.file, m.info, a.error, 'upload', a.attempts));
    }
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function failed(file: string, info: ImageInfo | undefined, err: UploadError, stage: 'validate' | 'upload', attempts = 0): FileOutcome {
  return { file, ok: false, code: err.code, message: err.message, logId: err.logId, stage, info, attempts };
}
