// Upload as a FILE through Lark's files API (POST /open-apis/im/v1/files): the documented route
// for images the images API refuses (over its resolution or size limits, formats it does not
// take). Lark keeps the bytes as they are; the answer is a file_key (file_v2_…), which a message
// of msg_type "file" carries. vscode-free: the CLI (--as-file) and the extension use it.
//
// The image pipeline (uploadFiles.ts) validates with image-size, dedupes by content hash per
// image_type and answers image_keys; none of that applies to a file. What both share is the
// client (auth, token refresh, gateway codes, error model, streaming from disk) and the
// scheduler (concurrency, the rate budget, retries, cancel); this module is the thin batch over
// those two, with its own local checks and its own budget (filesBudgetKey).
import { promises as fsp } from 'fs';
import { extname, resolve } from 'path';
import type { LarkClient } from './larkClient';
import type { JobOutcome, UploadScheduler } from './scheduler';
import { UploadError } from './larkErrors';
import { openError } from './validate';
import { LocalCode } from './types';
import { mapPool } from './pool';

/** The files API's file_type values (the doc's list). */
export type FileType = 'opus' | 'mp4' | 'pdf' | 'doc' | 'xls' | 'ppt' | 'stream';
export const FILE_TYPES: readonly FileType[] = ['opus', 'mp4', 'pdf', 'doc', 'xls', 'ppt', 'stream'];

/** 30 MB as Lark counts (MiB, like the images API's 10 MB = 10,485,760): exactly this passes. */
export const MAX_FILE_BYTES = 30 * 1024 * 1024;

/** Lark codes of the files API that are checked here before any request. */
export const FileApiCode = {
  FileTooLarge: 234006,
  EmptyFile: 234010,
} as const;

const TYPE_BY_EXTENSION: Readonly<Record<string, FileType>> = {
  pdf: 'pdf',
  doc: 'doc',
  docx: 'doc',
  xls: 'xls',
  xlsx: 'xls',
  ppt: 'ppt',
  pptx: 'ppt',
  mp4: 'mp4',
  opus: 'opus',
};

/** file_type for a file name: by its extension (any case); images and everything else: stream. */
export function fileTypeFor(fileName: string): FileType {
  return TYPE_BY_EXTENSION[extensionOf(fileName)] ?? 'stream';
}

const MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  pdf: 'application/pdf',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  mp4: 'video/mp4',
  opus: 'audio/opus',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  bmp: 'image/bmp',
  ico: 'image/x-icon',
  svg: 'image/svg+xml',
  heic: 'image/heic',
  avif: 'image/avif',
};

/** The multipart part's Content-Type for a file name; unknown: application/octet-stream. */
export function mimeForFile(fileName: string): string {
  return MIME_BY_EXTENSION[extensionOf(fileName)] ?? 'application/octet-stream';
}

function extensionOf(fileName: string): string {
  return extname(fileName).slice(1).toLowerCase();
}

const n = (x: number): string => x.toLocaleString('en-US');

/** 234010 / 234006 for a size the files API refuses, before anything is sent. */
export function fileSizeProblem(size: number): UploadError | undefined {
  if (size === 0) return new UploadError(FileApiCode.EmptyFile, 'File is empty (0 bytes).');
  if (size > MAX_FILE_BYTES) {
    return new UploadError(FileApiCode.FileTooLarge, `File is ${n(size)} bytes; the files API takes at most ${n(MAX_FILE_BYTES)} bytes (30 MiB).`);
  }
  return undefined;
}

/**
 * The size of the file at `path` if the files API can take it; else rejects with its code:
 * 9001 not found, 9002 a folder or special file, 9003 unreadable, 234010 empty, 234006 too large.
 */
export async function checkFileForUpload(path: string): Promise<number> {
  let size: number;
  try {
    const st = await fsp.stat(path);
    if (st.isDirectory()) throw new UploadError(LocalCode.NotAFile, 'This is a folder, not a file.');
    if (!st.isFile()) throw new UploadError(LocalCode.NotAFile, 'Not a regular file (a pipe, socket or device).');
    size = st.size;
  } catch (e) {
    if (e instanceof UploadError) throw e;
    const { code, message } = openError(e);
    throw new UploadError(code, message, { cause: e });
  }
  const problem = fileSizeProblem(size);
  if (problem) throw problem;
  return size;
}

/** The rate budget of the files API for this client's app: apart from the images API's. */
export function filesBudgetKey(client: Pick<LarkClient, 'scopeKey'>): string {
  return `${client.scopeKey}|files`;
}

export type FileApiOutcome =
  | {
      file: string; // as given by the caller
      ok: true;
      fileKey: string;
      fileType: FileType;
      size: number;
      logId: string | undefined;
      /** true for a second mention of the same file in the batch (uploaded once). */
      reused: boolean;
      attempts: number;
    }
  | {
      file: string;
      ok: false;
      code: number;
      message: string;
      logId: string | undefined;
      /** 'validate': refused here, nothing was sent */
      stage: 'validate' | 'upload';
      attempts: number;
    };

export interface UploadAsFilesOptions {
  client: LarkClient;
  /** Give it the files API's limiter: rateLimiterFor(filesBudgetKey(client)). */
  scheduler: UploadScheduler;
  signal?: AbortSignal;
  /** After each file's outcome is known, in the order they become known; `index` is its position. */
  onProgress?: (done: number, total: number, outcome: FileApiOutcome, index: number) => void;
}

/** Files checked at once before the uploads start (stat only). */
const CHECK_CONCURRENCY = 8;

/**
 * Uploads each file through the files API. Outcomes in input order; never rejects. Every file is
 * checked first (a failure is never sent); the same file named twice is uploaded once.
 */
export async function uploadAsFiles(files: readonly string[], options: UploadAsFilesOptions): Promise<FileApiOutcome[]> {
  const { client, scheduler, signal } = options;
  const outcomes = new Array<FileApiOutcome>(files.length);
  let done = 0;
  const groups = new Map<string, { path: string; size: number; members: number[] }>();
  await mapPool(files, CHECK_CONCURRENCY, async (file, index) => {
    const path = resolve(file);
    try {
      const size = await checkFileForUpload(path);
      const group = groups.get(path) ?? { path, size, members: [] };
      group.members.push(index);
      groups.set(path, group);
    } catch (e) {
      const err = e instanceof UploadError ? e : new UploadError(LocalCode.FileUnreadable, `Cannot read ${file}: ${String(e)}`);
      report(index, { file, ok: false, code: err.code, message: err.message, logId: undefined, stage: 'validate', attempts: 0 });
    }
  });
  // the checks finish in any order: a group's first member (the one not "reused") is the file named first
  for (const g of groups.values()) g.members.sort((a, b) => a - b);
  const ordered = [...groups.values()].sort((a, b) => a.members[0] - b.members[0]);
  await scheduler.run(
    ordered.map((g) => ({ signal: jobSignal, acquire }) => client.uploadFile({ kind: 'file', path: g.path, mime: mimeForFile(g.path) }, { signal: jobSignal, beforeSend: acquire })),
    {
      signal,
      onSettled: (i, outcome) => ordered[i].members.forEach((index, position) => report(index, answerOf(files[index], ordered[i].size, outcome, position > 0))),
    },
  );
  return outcomes;

  function report(index: number, outcome: FileApiOutcome): void {
    outcomes[index] = outcome;
    done++;
    options.onProgress?.(done, files.length, outcome, index);
  }
}

function answerOf(file: string, size: number, outcome: JobOutcome<{ fileKey: string; fileType: FileType; logId: string | undefined }>, reused: boolean): FileApiOutcome {
  if (!outcome.ok) {
    return { file, ok: false, code: outcome.error.code, message: outcome.error.message, logId: outcome.error.logId, stage: 'upload', attempts: outcome.attempts };
  }
  const { fileKey, fileType, logId } = outcome.value;
  return { file, ok: true, fileKey, fileType, size, logId, reused, attempts: outcome.attempts };
}

