// The whole pipeline for a batch of files: validate all -> dedupe -> schedule uploads.
// Used by the CLI and by every gesture of the extension, so they behave the same.
import { resolve } from 'path';
import { validateImageFiles } from './validate';
import { DedupeIndex, hashFile } from './dedupe';
import { mapPool } from './pool';
import type { LarkClient, UploadSource } from './larkClient';
import type { UploadScheduler } from './scheduler';
import { UploadError } from './larkErrors';
import { LocalCode, type ImageInfo, type ImageType } from './types';

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
  /** After each file's outcome is known (validation failures first, then uploads as they finish). */
  onProgress?: (done: number, total: number, outcome: FileOutcome, index: number) => void;
  /** Failures that cost no outcome (the dedupe index could not be read or written); for the log. */
  onError?: PipelineErrorHandler;
}

/** 'dedupe lookup': the file is uploaded as if unknown; 'dedupe remember': a later upload repeats it. */
export type PipelineErrorHandler = (error: unknown, context: 'dedupe lookup' | 'dedupe remember') => void;

export async function uploadFiles(files: readonly string[], options: UploadFilesOptions): Promise<FileOutcome[]> {
  const { client, imageType, dedupe, signal } = options;
  const outcomes = new Array<FileOutcome>(files.length);
  let done = 0;
  const settle = (index: number, outcome: FileOutcome): void => {
    outcomes[index] = outcome;
    done++;
    options.onProgress?.(done, files.length, outcome, index);
  };

  const validations = await validateImageFiles(files.map((f) => resolve(f)), imageType);
  const valid: { index: number; info: ImageInfo }[] = [];
  validations.forEach((v, index) => {
    if (v.ok) valid.push({ index, info: v.info });
    else
      settle(index, { file: files[index], ok: false, code: v.code, message: v.message, logId: undefined, stage: 'validate', info: undefined, attempts: 0 });
  });

  // Fetch the token while hashing, so the first upload does not wait for it (a failure here
  // surfaces, with its code, on every upload).
  if (valid.length > 0) client.getToken(signal).catch(() => undefined);

  // Hash in parallel (reads whole files: only dedupe needs that), then group identical content
  // so it is uploaded once, in input order.
  const hashes = dedupe ? await mapPool(valid, 8, (item) => hashFile(item.info.path, signal).catch((e: unknown) => e as Error)) : [];
  const groups = new Map<string, UploadGroup>();
  valid.forEach((item, i) => {
    let groupKey = `path:${item.info.path}`;
    let dedupeKey: string | undefined;
    if (dedupe) {
      const hash = hashes[i];
      if (hash instanceof Error) {
        if (!signal?.aborted) {
          settle(item.index, failed(files[item.index], item.info, new UploadError(LocalCode.FileUnreadable, `Cannot read ${files[item.index]}: ${hash.message}`), 'validate'));
        }
        return; // aborted: reported as cancelled below
      }
      dedupeKey = DedupeIndex.keyFor(hash, imageType, client.scopeKey);
      groupKey = dedupeKey;
    }
    const group = groups.get(groupKey) ?? { key: dedupeKey, source: { kind: 'file', path: item.info.path, mime: item.info.mime }, members: [] };
    group.members.push({ index: item.index, file: files[item.index], info: item.info });
    groups.set(groupKey, group);
  });

  await uploadGroups(groups.values(), options, settle);

  // Anything not reached (cancelled while hashing) is reported, never dropped.
  for (let i = 0; i < files.length; i++) {
    if (!outcomes[i]) {
      const v = validations[i];
      settle(i, failed(files[i], v.ok ? v.info : undefined, new UploadError(LocalCode.Cancelled, 'Cancelled.'), 'upload'));
    }
  }
  return outcomes;
}

/** Identical content (or one file when dedupe is off): uploaded once, its key given to every member. */
export interface UploadGroup {
  /** Dedupe index key; undefined when dedupe is off. */
  key: string | undefined;
  source: UploadSource;
  members: { index: number; file: string; info: ImageInfo }[];
}

/**
 * The shared tail of uploadFiles and uploadBytes: answer groups the dedupe index knows (no
 * request), upload the rest through the scheduler, remember new keys, settle every member.
 */
export async function uploadGroups(
  groups: Iterable<UploadGroup>,
  options: Pick<UploadFilesOptions, 'client' | 'scheduler' | 'imageType' | 'dedupe' | 'force' | 'signal' | 'onError'>,
  settle: (index: number, outcome: FileOutcome) => void,
): Promise<void> {
  const { client, scheduler, imageType, dedupe, signal } = options;
  const report = (error: unknown, context: 'dedupe lookup' | 'dedupe remember'): void => {
    try {
      options.onError?.(error, context);
    } catch {
      // the handler's own failure must not cost an outcome
    }
  };
  const pending: UploadGroup[] = [];
  for (const group of groups) {
    let known: string | undefined;
    if (dedupe && group.key && !options.force) {
      // An index that cannot be read costs one upload, never the batch.
      known = await dedupe.lookup(group.key).catch((e: unknown) => void report(e, 'dedupe lookup'));
    }
    if (known) {
      for (const m of group.members) settle(m.index, { file: m.file, ok: true, imageKey: known, logId: undefined, info: m.info, deduped: true, attempts: 0 });
    } else {
      pending.push(group);
    }
  }

  const remembering: Promise<void>[] = [];
  await scheduler.run(
    pending.map((group) => ({ signal: jobSignal, acquire }) => client.uploadImage(group.source, imageType, { signal: jobSignal, beforeSend: acquire })),
    {
      signal,
      onSettled: (i, outcome) => {
        const group = pending[i];
        if (outcome.ok && dedupe && group.key) {
          // A store that fails to persist costs a future re-upload, never this result.
          remembering.push(dedupe.remember(group.key, outcome.value.imageKey).catch((e: unknown) => report(e, 'dedupe remember')));
        }
        group.members.forEach((m, position) => {
          if (outcome.ok) {
            settle(m.index, { file: m.file, ok: true, imageKey: outcome.value.imageKey, logId: outcome.value.logId, info: m.info, deduped: position > 0, attempts: outcome.attempts });
          } else {
            settle(m.index, failed(m.file, m.info, outcome.error, 'upload', outcome.attempts));
          }
        });
      },
    },
  );
  // Resolve once the index knows every new key, so the next gesture finds them.
  await Promise.all(remembering);
}

function failed(file: string, info: ImageInfo | undefined, err: UploadError, stage: 'validate' | 'upload', attempts = 0): FileOutcome {
  return { file, ok: false, code: err.code, message: err.message, logId: err.logId, stage, info, attempts };
}
