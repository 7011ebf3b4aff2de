// The pipeline of uploadFiles for images that are only BYTES (pasted or dropped data with no
// file on this machine): validate -> dedupe by content hash -> schedule uploads. Same outcomes,
// same codes, same dedupe index, so a pasted image and the file it came from share one key.
import { validateImageBytes } from './validate';
import { DedupeIndex, hashBytes } from './dedupe';
import type { LarkClient } from './larkClient';
import type { UploadScheduler } from './scheduler';
import { uploadGroups, type FileOutcome, type PipelineErrorHandler, type UploadGroup } from './uploadFiles';
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
  /** Failures that cost no outcome (the dedupe index could not be read or written); for the log. */
  onError?: PipelineErrorHandler;
}

/** "image.png" for a pasted PNG that came without a name. */
export function nameForPasted(name: string | undefined, info: Pick<ImageInfo, 'format'> | undefined): string {
  const trimmed = (name ?? '').split(/[\\/]/).pop()?.trim() ?? '';
  if (trimmed) return trimmed;
  return `image.${info?.format ?? 'png'}`;
}

/** Outcomes in input order; never rejects. `file` (and info.path) is the item's name. */
export async function uploadBytes(items: readonly BytesItem[], options: UploadBytesOptions): Promise<FileOutcome[]> {
  const { client, imageType, dedupe } = options;
  const outcomes = new Array<FileOutcome>(items.length);
  const groups = new Map<string, UploadGroup>();

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
    const group: UploadGroup = groups.get(hash) ?? { key, source: { kind: 'bytes', bytes: item.bytes, mime: info.mime, name }, members: [], sha256: hash };
    group.members.push({ index, file: name, info });
    groups.set(hash, group);
  });

  await uploadGroups(groups.values(), options, (index, outcome) => {
    outcomes[index] = outcome;
  });
  return outcomes;
}

