// uploadFiles with fitting (issue 9, the CLI's --fit): a file that Lark would refuse for its size,
// its dimensions or its format (234006 / 234039 / 234011) is fitted in memory (core/fit.ts) and
// its bytes uploaded; every other file goes through uploadFiles unchanged, byte-for-byte. Fitting
// runs one file at a time (a 126 MP photo takes hundreds of MB while it is decoded) while the
// other files upload. Same outcomes, order, dedupe and progress as uploadFiles.
import { basename, resolve } from 'path';
import { fitImage, type FitOptions, type FitResult } from './fit';
import { uploadBytes, type BytesItem, type UploadBytesOptions } from './uploadBytes';
import { uploadFiles, type FileOutcome, type UploadFilesOptions } from './uploadFiles';
import { LarkImageCode, validateImageBytes, validateImageFiles } from './validate';
import { UploadError } from './larkErrors';
import { LocalCode } from './types';

/** An outcome; `fit` when the file was fitted before it was uploaded. */
export type FitFileOutcome = FileOutcome & { fit?: Pick<FitResult, 'original' | 'firstFrameOnly'> };

export interface UploadFitOptions extends Omit<UploadFilesOptions, 'onProgress'> {
  onProgress?: (done: number, total: number, outcome: FitFileOutcome, index: number) => void;
  /** Before each file is fitted (the progress notification says so); `index` is its position. */
  onFitStart?: (file: string, index: number) => void;
  /** The codec loader (tests). */
  loadSharp?: FitOptions['loadSharp'];
}

const FITTABLE = new Set<number>([LarkImageCode.FileTooLarge, LarkImageCode.ResolutionTooLarge, LarkImageCode.UnsupportedFormat]);

/** Outcomes in input order; never rejects. */
export async function uploadFilesWithFit(files: readonly string[], options: UploadFitOptions): Promise<FitFileOutcome[]> {
  const checks = await validateImageFiles(files.map((f) => resolve(f)), options.imageType);
  const toFit = files.flatMap((_, i) => (!checks[i].ok && FITTABLE.has((checks[i] as { code: number }).code) ? [i] : []));
  const fitting = new Set(toFit);
  const plain = files.flatMap((_, i) => (fitting.has(i) ? [] : [i]));
  const outcomes = new Array<FitFileOutcome>(files.length);
  let done = 0;
  const settle = (index: number, outcome: FitFileOutcome): void => {
    outcomes[index] = outcome;
    options.onProgress?.(++done, files.length, outcome, index);
  };
  const { onProgress: _ignored, loadSharp, onFitStart, ...rest } = options;
  const plainRun = uploadFiles(plain.map((i) => files[i]), { ...rest, onProgress: (_d, _t, o, i) => settle(plain[i], o) });
  const uploads: Promise<void>[] = [];
  for (const index of toFit) {
    const file = files[index];
    let fitted: FitResult;
    onFitStart?.(file, index);
    try {
      fitted = await fitImage({ path: resolve(file) }, { imageType: options.imageType, signal: options.signal, loadSharp });
    } catch (e) {
      const err = e instanceof UploadError ? e : new UploadError(LocalCode.FileUnreadable, `Cannot fit ${file}: ${e instanceof Error ? e.message : String(e)}`);
      settle(index, { file, ok: false, code: err.code, message: err.message, logId: undefined, stage: 'validate', info: undefined, attempts: 0 });
      continue;
    }
    const fit = { original: fitted.original, ...(fitted.firstFrameOnly ? { firstFrameOnly: true } : {}) };
    uploads.push(
      uploadBytes([{ bytes: fitted.bytes, name: basename(file) }], rest).then(([o]) => settle(index, { ...o, file, fit })),
    );
  }
  await Promise.all([plainRun, ...uploads]);
  return outcomes;
}

/** Formats Lark refuses (234011) that sharp decodes; HEIC needs an HEVC decoder sharp lacks. */
const CONVERTIBLE = /\.(svg|avif|heif|hif)$/i;

/** True when a failure with `code` for the file (or pasted name) `filePath` can be cured by fitting it. */
export function isFittable(code: number, filePath: string): boolean {
  if (code === LarkImageCode.FileTooLarge || code === LarkImageCode.ResolutionTooLarge) return true;
  return code === LarkImageCode.UnsupportedFormat && CONVERTIBLE.test(filePath);
}

/**
 * uploadBytes, fitting first the items Lark would refuse (size, dimensions, a convertible format:
 * isFittable), one at a time; `uploaded`: the bytes that went up for each item (the fitted ones
 * when fitted). `onFitStart` is told before each fit.
 */
export async function uploadBytesWithFit(
  items: readonly BytesItem[],
  options: UploadBytesOptions & { onFitStart?: (name: string, index: number) => void },
): Promise<{ outcomes: FitFileOutcome[]; uploaded: BytesItem[] }> {
  const { onFitStart, ...rest } = options;
  const outcomes = new Array<FitFileOutcome>(items.length);
  const uploaded = [...items];
  const fits = new Map<number, NonNullable<FitFileOutcome['fit']>>();
  const send: number[] = [];
  for (const [i, item] of items.entries()) {
    const check = validateImageBytes(item.bytes, rest.imageType, item.name);
    if (check.ok || !isFittable(check.code, item.name ?? '')) {
      send.push(i);
      continue;
    }
    onFitStart?.(item.name ?? '', i);
    try {
      const fitted = await fitImage({ bytes: item.bytes, name: item.name }, { imageType: rest.imageType, signal: rest.signal });
      uploaded[i] = { bytes: fitted.bytes, name: item.name };
      fits.set(i, { original: fitted.original, ...(fitted.firstFrameOnly ? { firstFrameOnly: true } : {}) });
      send.push(i);
    } catch (e) {
      const err = e instanceof UploadError ? e : new UploadError(LocalCode.FileUnreadable, `Cannot fit ${item.name || 'the pasted image'}: ${e instanceof Error ? e.message : String(e)}`);
      outcomes[i] = { file: item.name ?? '', ok: false, code: err.code, message: err.message, logId: undefined, stage: 'validate', info: undefined, attempts: 0 };
    }
  }
  const sent = await uploadBytes(send.map((i) => uploaded[i]), rest);
  sent.forEach((o, k) => {
    const fit = fits.get(send[k]);
    outcomes[send[k]] = fit ? { ...o, fit } : o;
  });
  return { outcomes, uploaded };
}
