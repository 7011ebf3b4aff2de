// The pipeline of uploadFiles for images that are only BYTES (pasted or dropped data with no
// file on this machine): validate -> dedupe by content hash -> schedule uploads. Same outcomes,
// same codes, same dedupe index, so a pasted image and the file it came from share one key.
import { validateImageBytes } from './validate';
import { DedupeIndex, hashBytes } from './dedupe';
import type { LarkClient } from './larkClient';
import type { UploadScheduler } from './scheduler';
import type { FileOutcome } from './uploadFiles';
import type { ImageInfo, ImageType } from './types';

export interface BytesItem {
  bytes: Uint8Array;
  /** Shown in history and sent as the part's file name; '' or undefined: a name from the format. */
  name?: string;
}

export interface UploadBytesOptions {
  client: LarkClient;
  scheduler: UploadScheduler;
  imageType: ImageType;
  dedupe?: DedupeIndex;
  force?: boolean;
  signal?: AbortSignal;
}

/** "image.png" for a pasted PNG that came without a name. */
export function nameForPasted(name: string | undefined, info: Pick<ImageInfo, 'format'> | undefined): string {
  const trimmed = (name ?? '').split(/[\\/]/).pop()?.trim() ?? '';
  if (trimmed) return trimmed;
  return `image.${info?.format ?? 'png'}`;
}

/** Outcomes in input order; never rejects. `file` (and info.path) is the item's name. */
export async function uploadBytes(items: readonly BytesItem[], options: UploadBytesOptions): Promise<FileOutcome[]> {
  const { client, scheduler, imageType, dedupe, signal } = options;
  const outcomes = new Array<FileOutcome>(items.length);
  const groups = new Map<string, { key: string | undefined; bytes: Uint8Array; members: { index: number; info: ImageInfo }[] }>();

  items.forEach((item, index) => {
    const first = validateImageBytes(item.bytes, imageType, item.name || undefined);
    const name = nameForPasted(item.name, first.ok ? first.info : undefined);
    if (!first.ok) {
      outcomes[index] = { file: name, ok: false, code: first.code, message: first.message, logId: undefined, stage: 'validate', info: undefined, attempts: 0 };
      return;
    }
    const info: ImageInfo = { ...first.info, path: name };
    // Identical bytes in one gesture are uploaded once, with or without the index.
    const hash = hashBytes(item.bytes);
    const key = dedupe ? DedupeIndex.keyFor(hash, imageType, client.scopeKey) : undefined;
    const group = groups.get(hash) ?? { key, bytes: item.bytes, members: [] };
    group.members.push({ index, info });
    groups.set(hash, group);
  });

  const pending: { key: string | undefined; bytes: Uint8Array; members: { index: number; info: ImageInfo }[] }[] = [];
  for (const group of groups.values()) {
    const known = dedupe && group.key && !options.force ? await dedupe.lookup(group.key) : undefined;
    if (known) {
      for (const m of group.members) outcomes[m.index] = { file: m.info.path, ok: true, imageKey: known, logId: undefined, info: m.info, deduped: true, attempts: 0 };
    } else {
      pending.push(group);
    }
  }

  await scheduler.run(
    pending.map((group) => ({ signal: jobSignal, acquire }) => {
      const { info } = group.members[0];
      return client.uploadImage({ kind: 'bytes', bytes: group.bytes, mime: info.mime, name: info.path }, imageType, { signal: jobSignal, beforeSend: acquire });
    }),
    {
      signal,
      onSettled: (i, outcome) => {
        const group = pending[i];
        if (outcome.ok && dedupe && group.key) dedupe.remember(group.key, outcome.value.imageKey).catch(() => undefined);
        group.members.forEach((m, position) => {
          outcomes[m.index] = outcome.ok
            ? { file: m.info.path, ok: true, imageKey: outcome.value.imageKey, logId: outcome.value.logId, info: m.info, deduped: position > 0, attempts: outcome.attempts }
            : { file: m.info.path, ok: false, code: outcome.error.code, message: outcome.error.message, logId: outcome.error.logId, stage: 'upload', info: m.info, attempts: outcome.attempts };
        });
      },
    },
  );
  return outcomes;
}
