// Fitting an image to Lark's limits (issue 9): an image that Lark would refuse for its size, its
// dimensions or its format is decoded, turned upright (EXIF orientation), scaled down no more
// than the limits need (aspect ratio kept), stripped of every metadata block (EXIF, GPS, XMP,
// ICC) and re-encoded, trying the source format first, until it meets the limits for the
// image_type. An image already within the limits is returned byte-for-byte. Never imports 'vscode'.
//
// The codec is sharp (libvips). It is loaded on the first fit only, never at activation; the
// extension ships its WebAssembly build (@img/sharp-wasm32: one package for every OS), the CLI
// uses a native build when one is installed (sharp prefers it) and the WebAssembly one otherwise.
//
// Safety: the pixel budget (250 MP) is checked from the header BEFORE anything is decoded (our
// own header reader for the formats Lark takes, sharp's header-only metadata() for the others),
// and sharp gets it as limitInputPixels too. Everything stays in memory: no temporary files.
// Cancellation (AbortSignal) is checked between the steps.
import * as os from 'os';
import { promises as fsp } from 'fs';
import { basename } from 'path';
import type SharpModule from 'sharp';
import { UploadError } from './larkErrors';
import { formatName, imageHeader, LarkImageCode, sideLimit, validateImageBytes, validateImageFile } from './validate';
import { LocalCode, MAX_IMAGE_BYTES, type ImageFormat, type ImageType } from './types';

export type Sharp = typeof SharpModule;

/** Decoded pixels at most (width × height × frames): a 16k × 15k image; bombs declare far more. */
export const PIXEL_BUDGET = 250_000_000;
/** Files larger than this are not read into memory to be fitted (no real image needs it). */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024;

export type FitInput = { bytes: Uint8Array; name?: string } | { path: string };

export interface FitOptions {
  imageType: ImageType;
  signal?: AbortSignal;
  /** Loads the codec (default: require('sharp')); tests inject one to see whether it was asked. */
  loadSharp?: () => Sharp | Promise<Sharp>;
  /** Pixel budget (default PIXEL_BUDGET). */
  pixelBudget?: number;
}

export interface FitResult {
  /** What to upload: the input itself when `fitted` is false. */
  bytes: Uint8Array;
  format: ImageFormat;
  width: number;
  height: number;
  /** The input as it came: its format as sharp or our header reader names it ('svg', 'heif', 'png'…). */
  original: { width: number; height: number; format: string; size: number };
  fitted: boolean;
  /** An animation whose animation could not be kept: only its first frame was uploaded. */
  firstFrameOnly?: boolean;
  /** Which sharp build did the work (only when it was loaded). */
  engine?: 'wasm' | 'native';
}

/** Codes that fitting can cure: too many bytes, too many pixels per side, a format Lark does not take. */
const FITTABLE = new Set<number>([LarkImageCode.FileTooLarge, LarkImageCode.ResolutionTooLarge, LarkImageCode.UnsupportedFormat]);

/** Formats validation knows but libvips cannot decode. */
const NO_DECODER: Partial<Record<ImageFormat, string>> = { bmp: 'a BMP decoder', ico: 'an ICO decoder' };

let defaultSharp: Sharp | undefined;
/** require('sharp') on first use; esbuild keeps it external (test/build.mjs). */
export function loadSharp(): Sharp {
  if (!defaultSharp) {
    const s = require('sharp') as Sharp;
    s.cache(false); // one-off images: libvips' operation cache would only hold memory
    // The WebAssembly build starts with one libvips thread (VIPS_CONCURRENCY is not read there);
    // two measured 20 % faster on a 14000×9000 JPEG on a 2-core machine. Native sharp picks its own.
    if (sharpEngine(s) === 'wasm') s.concurrency(Math.max(1, Math.min(os.cpus().length, 4)));
    defaultSharp = s;
  }
  return defaultSharp;
}

/** 'wasm' when sharp runs its WebAssembly build. */
export function sharpEngine(s: Sharp): 'wasm' | 'native' {
  return 'emscripten' in s.versions ? 'wasm' : 'native';
}

function checkCancel(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new UploadError(LocalCode.Cancelled, 'Cancelled.');
}

const mp = (pixels: number): string => `${Math.round(pixels / 1e6).toLocaleString('en-US')} MP`;

function bombError(width: number, height: number, frames: number, budget: number): UploadError {
  const what = frames > 1 ? `${width}×${height} px × ${frames} frames` : `${width}×${height} px`;
  return new UploadError(
    LarkImageCode.ResolutionTooLarge,
    `The image declares ${what} (${mp(width * height * frames)}); fitting decodes at most ${mp(budget)}, so it was refused before decoding.`,
  );
}

/**
 * The image as Lark will take it for `options.imageType`: unchanged (fitted: false) when it is
 * within the limits, else fitted (see the file comment). Rejects with an UploadError: the
 * validation code for what fitting cannot cure (empty file, unreadable…), 234011 for what cannot
 * be decoded (naming what would be needed), 234039 for a pixel bomb, 9104 when cancelled.
 */
export async function fitImage(input: FitInput, options: FitOptions): Promise<FitResult> {
  const { imageType, signal } = options;
  checkCancel(signal);
  const bytes = await readInput(input, imageType);
  checkCancel(signal);
  const name = 'path' in input ? basename(input.path) : input.name;
  const v = validateImageBytes(bytes, imageType, name);
  const header = imageHeader(bytes);
  if (v.ok) {
    const { format, width, height } = v.info;
    return { bytes, format, width, height, original: { width, height, format, size: bytes.length }, fitted: false };
  }
  if (!FITTABLE.has(v.code)) throw new UploadError(v.code, v.message);
  const budget = options.pixelBudget ?? PIXEL_BUDGET;
  if (header) {
    const needed = NO_DECODER[header.format];
    if (needed) throw new UploadError(v.code, `${v.message} Fitting it would need ${needed}, which sharp (libvips) does not have: convert it to PNG or JPEG first.`);
    // an animated GIF's frames multiply this; sharp's metadata() counts them below
    if (header.width * header.height > budget) throw bombError(header.width, header.height, 1, budget);
  }
  const sharp = await (options.loadSharp ?? loadSharp)();
  checkCancel(signal);
  const fitted = await fitDecodable(sharp, bytes, imageType, budget, signal);
  return { ...fitted, engine: sharpEngine(sharp) };
}

async function readInput(input: FitInput, imageType: ImageType): Promise<Uint8Array> {
  if (!('path' in input)) return input.bytes;
  // the header first: a missing file or folder gets its own code, an empty one 234010
  const v = await validateImageFile(input.path, imageType);
  if (!v.ok && !FITTABLE.has(v.code)) throw new UploadError(v.code, v.message);
  const size = (await fsp.stat(input.path)).size;
  if (size > MAX_INPUT_BYTES) {
    throw new UploadError(LarkImageCode.FileTooLarge, `File is ${size.toLocaleString('en-US')} bytes; fitting reads at most ${MAX_INPUT_BYTES / 1024 / 1024} MiB.`);
  }
  return fsp.readFile(input.path);
}

/** What sharp's header says, oriented (EXIF orientations 5-8 swap the sides). */
interface Source {
  format: string;
  /** Upright size of one frame. */
  width: number;
  height: number;
  frames: number;
  animated: boolean;
  hasAlpha: boolean;
  /** SVG: rendered at this DPI so that no more pixels than needed are drawn (72 = intrinsic size). */
  density?: number;
}

async function fitDecodable(sharp: Sharp, bytes: Uint8Array, imageType: ImageType, budget: number, signal: AbortSignal | undefined): Promise<Omit<FitResult, 'engine'>> {
  const src = await inspect(sharp, bytes, imageType, budget);
  checkCancel(signal);
  const original = { width: src.width, height: src.height, format: src.format, size: bytes.length };
  const run = new FitRun(sharp, bytes, src, imageType, budget, signal);
  try {
    const out = await run.fit();
    return { ...out, original, fitted: true };
  } catch (e) {
    if (e instanceof UploadError) throw e;
    // the animation could not be re-encoded as one: its first frame, and the result says so
    if (src.animated) {
      const still = new FitRun(sharp, bytes, { ...src, frames: 1, animated: false }, imageType, budget, signal);
      const out = await still.fit();
      return { ...out, original, fitted: true, firstFrameOnly: true };
    }
    throw decodeError(e, src.format);
  }
}

/** Header-only: format, size, frames; the pixel budget is enforced here, before any decoding. */
async function inspect(sharp: Sharp, bytes: Uint8Array, imageType: ImageType, budget: number): Promise<Source> {
  let meta: SharpModule.Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false, animated: true }).metadata();
  } catch (e) {
    throw decodeError(e, undefined);
  }
  const swap = (meta.orientation ?? 1) >= 5;
  const frameHeight = meta.pageHeight ?? meta.height;
  const frames = meta.pages && meta.pageHeight ? meta.pages : 1;
  let width = swap ? frameHeight : meta.width;
  let height = swap ? meta.width : frameHeight;
  let density: number | undefined;
  if (meta.format === 'svg') {
    // vector: draw it directly at the size the limits allow instead of drawing it larger first
    const scale = Math.min(1, sideLimit('png', imageType) / width, sideLimit('png', imageType) / height);
    density = 72 * scale;
    width = Math.max(1, Math.floor(width * scale));
    height = Math.max(1, Math.floor(height * scale));
  }
  if (width * height * frames > budget) throw bombError(width, height, frames, budget);
  const animated = frames > 1 && (meta.format === 'gif' || meta.format === 'webp');
  return { format: meta.format, width, height, frames: animated ? frames : 1, animated, hasAlpha: meta.hasAlpha, density };
}

function decodeError(e: unknown, format: string | undefined): UploadError {
  const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
  if (format === 'heif' && /hevc|codec|decod|support/i.test(why)) {
    return new UploadError(LarkImageCode.UnsupportedFormat, `This HEIC image needs an HEVC decoder, which sharp's build does not include: convert it to JPEG first (${why}).`);
  }
  if (!format && /unsupported image format/i.test(why)) {
    return new UploadError(LarkImageCode.UnsupportedFormat, 'Not an image sharp (libvips) can decode: fitting needs a JPEG, PNG, WebP, GIF, TIFF, AVIF, HEIF or SVG input.');
  }
  return new UploadError(LarkImageCode.UnsupportedFormat, `The ${format ? format.toUpperCase() + ' ' : ''}image could not be decoded (truncated or corrupt?): ${why}`);
}

/** One way of encoding the result, from the preferred to the last resort. */
interface Encoding {
  format: 'jpg' | 'png' | 'webp' | 'gif';
  apply(s: SharpModule.Sharp): SharpModule.Sharp;
}

const JPEG_STEPS: Encoding[] = [85, 75, 65, 55].map((quality) => ({ format: 'jpg', apply: (s) => s.jpeg({ quality }) }));
const WEBP_STEPS: Encoding[] = [85, 70, 55].map((quality) => ({ format: 'webp', apply: (s) => s.webp({ quality, effort: 4 }) }));
// lossless only: palette quantisation (libimagequant) takes a minute on a noisy 3 MP image, and
// zlib level 9 saves almost nothing over the default
const PNG_STEPS: Encoding[] = [{ format: 'png', apply: (s) => s.png() }];
// libimagequant's dithering and high effort cost seconds per large frame (measured: 2000×1333,
// 4 frames, 3.8 s without dithering at effort 1, 12.8 s with the defaults) for little gain here
const GIF_STEPS: Encoding[] = [
  { format: 'gif', apply: (s) => s.gif({ effort: 1, dither: 0 }) },
  { format: 'gif', apply: (s) => s.gif({ colours: 128, effort: 7, dither: 0, interFrameMaxError: 8 }) },
];

/**
 * The source format first (when Lark takes it and sharp writes it); then JPEG for opaque images,
 * PNG and WebP for transparent ones. TIFF is not tried: Lark turns TIFF uploads into JPEG anyway.
 */
export function encodingsFor(format: string, animated: boolean, transparent: boolean | undefined): Encoding[] {
  if (animated) return format === 'webp' ? WEBP_STEPS : GIF_STEPS;
  const alphaSafe = [...PNG_STEPS, ...WEBP_STEPS];
  const fallback = transparent === false ? JPEG_STEPS : transparent === true ? alphaSafe : [];
  switch (format) {
    case 'jpeg':
      return JPEG_STEPS;
    case 'png':
      return [...PNG_STEPS, ...(transparent === false ? JPEG_STEPS : transparent === true ? WEBP_STEPS : [])];
    case 'webp':
      return [...WEBP_STEPS, ...(transparent === false ? JPEG_STEPS : [])];
    case 'gif':
      return [GIF_STEPS[0], ...fallback];
    default:
      // not a format Lark takes (SVG, AVIF, HEIF, TIFF…): before opacity is known, PNG keeps alpha
      return transparent === undefined ? [PNG_STEPS[0]] : fallback;
  }
}

/** Largest size within `side` × `side` keeping the aspect ratio, then scaled by `shrink`. */
export function fitDimensions(width: number, height: number, side: number, shrink = 1): { width: number; height: number } {
  const scale = Math.min(1, side / width, side / height) * shrink;
  if (scale >= 1) return { width, height };
  return { width: Math.max(1, Math.min(side, Math.round(width * scale))), height: Math.max(1, Math.min(side, Math.round(height * scale))) };
}

/** Rounds of smaller sizes tried when no encoding meets 10 MiB at the limits' size. */
const MAX_ROUNDS = 8;

/**
 * The encode loop. The first attempt goes straight from the input (decode, orient, resize and
 * encode stream through libvips: the least memory for a 126 MP JPEG); if it is refused, the
 * upright, resized pixels are kept once (raw) and every further attempt encodes from them.
 */
class FitRun {
  private pixels: { data: Buffer; info: SharpModule.OutputInfo } | undefined;
  private transparent: boolean | undefined;

  constructor(
    private readonly sharp: Sharp,
    private readonly bytes: Uint8Array,
    private readonly src: Source,
    private readonly imageType: ImageType,
    private readonly budget: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    if (!src.hasAlpha) this.transparent = false;
  }

  async fit(): Promise<{ bytes: Uint8Array; format: ImageFormat; width: number; height: number }> {
    let shrink = 1;
    let smallest = Infinity;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const tried = new Set<Encoding>();
      for (let i = 0; ; i++) {
        const encoding = encodingsFor(this.src.format, this.src.animated, this.transparent).find((e) => !tried.has(e));
        if (!encoding) break;
        tried.add(encoding);
        checkCancel(this.signal);
        const target = fitDimensions(this.src.width, this.src.height, sideLimit(encoding.format, this.imageType), shrink);
        const out = await this.encode(encoding, target);
        const v = validateImageBytes(out, this.imageType);
        if (v.ok) return { bytes: out, format: v.info.format, width: v.info.width, height: v.info.height };
        smallest = Math.min(smallest, out.length);
        if (i === 0 && round === 0 && !this.src.animated) await this.keepPixels();
      }
      // nothing fit at this size: shrink by what the best attempt says (bytes grow with the area)
      shrink *= Math.min(0.9, Math.max(0.5, Math.sqrt(MAX_IMAGE_BYTES / smallest) * 0.95));
    }
    throw new UploadError(LarkImageCode.FileTooLarge, `Could not fit the image within ${formatName('jpg')}/${formatName('png')} limits of 10 MiB.`);
  }

  /** The upright pixels at the largest size any encoding may use; their opacity decides the fallbacks. */
  private async keepPixels(): Promise<void> {
    checkCancel(this.signal);
    const target = fitDimensions(this.src.width, this.src.height, sideLimit('png', this.imageType));
    this.pixels = await this.decoded().resize({ width: target.width, height: target.height, fit: 'inside' }).raw().toBuffer({ resolveWithObject: true });
    if (this.transparent === undefined) {
      const { info, data } = this.pixels;
      const stats = await this.sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).stats();
      this.transparent = !stats.isOpaque;
    }
  }

  private decoded(): SharpModule.Sharp {
    const { animated, density } = this.src;
    return this.sharp(this.bytes, { limitInputPixels: this.budget, animated, density, failOn: 'error' }).autoOrient();
  }

  private async encode(encoding: Encoding, target: { width: number; height: number }): Promise<Uint8Array> {
    let s: SharpModule.Sharp;
    if (this.pixels) {
      const { data, info } = this.pixels;
      s = this.sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
      if (target.width < info.width || target.height < info.height) s = s.resize({ width: target.width, height: target.height, fit: 'inside' });
    } else {
      s = this.decoded();
      if (target.width < this.src.width || target.height < this.src.height) s = s.resize({ width: target.width, height: target.height, fit: 'inside' });
    }
    // metadata is dropped unless asked for: no EXIF, GPS, XMP or ICC in the result
    return encoding.apply(s).toBuffer();
  }
}
