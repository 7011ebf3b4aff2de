// Local validation of an image BEFORE any network call: the same limits the Lark upload API
// enforces (im/v1/images), answered with the same error codes, plus 9xxx codes for file-system
// problems Lark never sees. Never imports 'vscode'.
//
// Principles
// - The format comes from the BYTES (image-size), never from the file name: a PNG named .jpg is
//   fine, text named .png is not.
// - Only the header is read (64 KiB by default), never the whole file. Two formats may keep what
//   we need further in, and for them we fetch just those bytes, in small windows:
//     * JPEG: the frame header (SOFn, which holds the size) follows every APPn segment; EXIF,
//       XMP, ICC and Photoshop blocks can push it well past 64 KiB. We walk the segment
//       headers (4 bytes each) and read only where the next one starts.
//     * TIFF: the first IFD (which holds the size) may sit anywhere; libtiff (and so sharp)
//       writes it AFTER the pixel data, i.e. at the end of the file. We read its offset from the
//       8-byte header and then read only the IFD.
//   image-size is then given a compact buffer with just that structure. The total read stays
//   below `maxHeaderBytes` (1 MiB by default); past that we give up with 234011.
// - The result always says how many bytes were read (`bytesRead`).
// - Never throws: every failure becomes a ValidationResult.

import { constants as fsConstants, promises as fsp } from 'fs';
import type { FileHandle } from 'fs/promises';
import { imageSize } from 'image-size';
import { ImageFormat, ImageInfo, ImageType, LocalCode, MAX_IMAGE_BYTES, ValidationResult } from './types';
import { mapPool } from './pool';

/** Lark error codes that validation reproduces locally. */
export const LarkImageCode = {
  FileTooLarge: 234006,
  EmptyFile: 234010,
  UnsupportedFormat: 234011,
  ResolutionTooLarge: 234039,
} as const;

const DEFAULT_HEADER_BYTES = 64 * 1024;
const DEFAULT_MAX_HEADER_BYTES = 1024 * 1024;
/** Largest side for GIF (doc: at most 2000×2000). */
const MAX_GIF_SIDE = 2000;
/** Largest side for every other format (doc: at most 12000×12000). */
const MAX_IMAGE_SIDE = 12000;
/** Largest side for image_type=avatar, any format (doc: at most 4096×4096). */
const MAX_AVATAR_SIDE = 4096;

/** headerBytes below this are raised to it: every format but JPEG/TIFF/ICO needs < 64 bytes. */
const MIN_HEADER_BYTES = 1024;
/** Size of each extra read past the header (JPEG segment headers, TIFF IFDs). */
const WINDOW_BYTES = 4096;
/** Never more IFD entries than this (real IFDs have a few dozen; width/height come first). */
const MAX_TIFF_ENTRIES = 1024;
const PASTED = '(pasted image)';

export interface ValidateOptions {
  /** How much to read first (default 64 KiB, at least 1 KiB). Every format but JPEG/TIFF is decided from it. */
  headerBytes?: number;
  /** Upper bound on the bytes read in total (default 1 MiB); past it the file is 234011. */
  maxHeaderBytes?: number;
}

const FORMAT_NAMES: Record<ImageFormat, string> = {
  jpg: 'JPEG',
  png: 'PNG',
  webp: 'WebP',
  gif: 'GIF',
  tiff: 'TIFF',
  bmp: 'BMP',
  ico: 'ICO',
};

const MIME: Record<ImageFormat, string> = {
  jpg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  tiff: 'image/tiff',
  bmp: 'image/bmp',
  ico: 'image/x-icon', // what browsers and most servers use; IANA's is image/vnd.microsoft.icon
};

const SUPPORTED_LIST = 'JPEG, PNG, WebP, GIF, TIFF, BMP or ICO';

/**
 * image-size type names we accept, mapped to ours; everything else it knows is 234011. JPEG,
 * TIFF, ICO and BMP never get this far: analyze reads them itself.
 */
const FROM_IMAGE_SIZE: Record<string, ImageFormat | undefined> = {
  png: 'png',
  webp: 'webp',
  gif: 'gif',
};

/**
 * Human names for formats image-size recognises but Lark does not take (HEIC/HEIF/AVIF are named
 * before image-size is asked, see analyze).
 */
const UNSUPPORTED_NAMES: Record<string, string> = {
  svg: 'SVG',
  psd: 'Photoshop (PSD)',
  cur: 'Windows cursor (CUR)',
  icns: 'Apple icon (ICNS)',
  dds: 'DDS',
  j2c: 'JPEG 2000',
  jp2: 'JPEG 2000',
  jxl: 'JPEG XL',
  'jxl-stream': 'JPEG XL',
  ktx: 'KTX',
  pnm: 'PNM',
  tga: 'TGA',
};

// ---------------------------------------------------------------------------------------------
// Byte access: the analysis asks for (pos, len); a file-backed view throws NeedBytes when that
// range has not been read yet, the caller reads it and runs the (cheap) analysis again.

class NeedBytes {
  constructor(
    readonly pos: number,
    readonly len: number,
  ) {}
}

interface ByteView {
  readonly size: number;
  /** What was read first (the header). */
  readonly head: Uint8Array;
  /** Bytes [pos, pos+len), or null when that range lies past the end of the file. */
  get(pos: number, len: number): Uint8Array | null;
}

class MemoryView implements ByteView {
  readonly size: number;
  readonly head: Uint8Array;
  constructor(private readonly bytes: Uint8Array) {
    this.size = bytes.length;
    this.head = bytes.subarray(0, DEFAULT_HEADER_BYTES); // judged like a file's header
  }
  get(pos: number, len: number): Uint8Array | null {
    return pos + len > this.size ? null : this.bytes.subarray(pos, pos + len);
  }
}

/**
 * image-size reads through DataViews on `input.buffer`, so given a view into a larger buffer
 * (a pooled Node Buffer, a subarray) it can read bytes past the view's end and report sizes
 * from garbage. Give it a copy that owns its buffer (at most the 64 KiB header, or a few bytes).
 */
function sizeOf(input: Uint8Array): ReturnType<typeof imageSize> {
  const own = input.byteOffset === 0 && input.byteLength === input.buffer.byteLength ? input : new Uint8Array(input);
  return imageSize(own);
}

class WindowedView implements ByteView {
  private readonly windows: { pos: number; bytes: Uint8Array }[] = [];
  constructor(
    readonly size: number,
    readonly head: Uint8Array,
  ) {
    this.windows.push({ pos: 0, bytes: head });
  }
  add(pos: number, bytes: Uint8Array): void {
    this.windows.push({ pos, bytes });
  }
  get(pos: number, len: number): Uint8Array | null {
    if (pos < 0 || len < 0 || pos + len > this.size) return null;
    for (let i = this.windows.length - 1; i >= 0; i--) {
      const w = this.windows[i];
      if (pos >= w.pos && pos + len <= w.pos + w.bytes.length) return w.bytes.subarray(pos - w.pos, pos - w.pos + len);
    }
    throw new NeedBytes(pos, len);
  }
}

// ---------------------------------------------------------------------------------------------
// Analysis: format and dimensions from bytes.

/** Survives the re-runs of `analyze` after a NeedBytes, so a JPEG walk resumes where it stopped. */
interface Progress {
  jpegPos?: number;
}

type Analysis = { ok: true; format: ImageFormat; width: number; height: number } | { ok: false; code: number; message: string };

const unsupported = (message: string): Analysis => ({ ok: false, code: LarkImageCode.UnsupportedFormat, message });
const NOT_AN_IMAGE = `Not a recognized image; the supported formats are ${SUPPORTED_LIST}.`;

function startsWith(bytes: Uint8Array, sig: readonly number[], at = 0): boolean {
  if (bytes.length < at + sig.length) return false;
  return sig.every((b, i) => bytes[at + i] === b);
}

function u16be(b: Uint8Array, at = 0): number {
  return (b[at] << 8) | b[at + 1];
}

function sized(format: ImageFormat, width: number | undefined, height: number | undefined): Analysis {
  if (!width || !height || !(width > 0) || !(height > 0)) {
    return unsupported(`The ${FORMAT_NAMES[format]} header declares no usable size (${width ?? '?'}×${height ?? '?'} px).`);
  }
  return { ok: true, format, width, height };
}

function analyze(view: ByteView, progress: Progress = {}): Analysis {
  const head = view.head;
  if (startsWith(head, [0xff, 0xd8])) {
    // Every real JPEG has a marker right after SOI; image-size would guess at anything else.
    return head[2] === 0xff ? analyzeJpeg(view, progress) : unsupported(NOT_AN_IMAGE);
  }
  if (startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a])) return analyzeTiff(view, false);
  if (startsWith(head, [0x49, 0x49, 0x2b, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2b])) return analyzeTiff(view, true);
  if (startsWith(head, [0x00, 0x00, 0x01, 0x00]) && head.length >= 6) return analyzeIco(view);
  if (startsWith(head, [0x42, 0x4d])) return analyzeBmp(head);
  if (startsWith(head, [0x66, 0x74, 0x79, 0x70], 4)) {
    // ISO BMFF ("ftyp"): HEIC, HEIF, AVIF, also MP4/MOV. Named here because image-size only
    // recognises it when the whole 'meta' box is in the buffer. HEIC: the Feishu doc lists HEIC
    // among the upload formats, but the Lark doc we target (open.larksuite.com, im/v1/images)
    // does not, so HEIC/HEIF/AVIF are rejected.
    const brand = new TextDecoder().decode(head.subarray(8, 12));
    const name = /^(heic|heix|hevc|hevx)$/.test(brand) ? 'HEIC' : /^(mif1|msf1)$/.test(brand) ? 'HEIF' : /^avi[fs]$/.test(brand) ? 'AVIF' : undefined;
    return unsupported(name ? `${name} images are not supported; use ${SUPPORTED_LIST}.` : NOT_AN_IMAGE);
  }

  let result: ReturnType<typeof imageSize>;
  try {
    result = sizeOf(head);
  } catch {
    const known = knownSignature(head);
    return unsupported(known ? `The ${known} file is truncated or corrupt (no size found).` : NOT_AN_IMAGE);
  }
  const type = result.type ?? '';
  const format = FROM_IMAGE_SIZE[type];
  if (!format) return unsupported(`${UNSUPPORTED_NAMES[type] ?? type.toUpperCase()} images are not supported; use ${SUPPORTED_LIST}.`);
  return sized(format, result.width, result.height);
}

/** Name of a supported format whose signature `head` starts with (for a clearer message). */
function knownSignature(head: Uint8Array): string | undefined {
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'PNG';
  if (startsWith(head, [0x47, 0x49, 0x46, 0x38])) return 'GIF';
  if (startsWith(head, [0x52, 0x49, 0x46, 0x46]) && startsWith(head, [0x57, 0x45, 0x42, 0x50], 8)) return 'WebP';
  return undefined;
}

/** DIB header sizes of real BMPs (OS/2 1.x and 2.x, Windows 3 to 5 and their variants). */
const BMP_DIB_SIZES = [12, 16, 40, 52, 56, 64, 108, 124];

/**
 * Read here rather than by image-size, which takes anything starting with "BM" for a BMP and
 * reads 32-bit sizes even from an OS/2 1.x header, whose sizes are 16-bit.
 */
function analyzeBmp(head: Uint8Array): Analysis {
  if (head.length < 26) return unsupported(NOT_AN_IMAGE);
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const dib = dv.getUint32(14, true);
  if (!BMP_DIB_SIZES.includes(dib)) return unsupported(NOT_AN_IMAGE);
  if (dib === 12) return sized('bmp', dv.getUint16(18, true), dv.getUint16(20, true));
  // a negative height is a top-down bitmap
  return sized('bmp', dv.getUint32(18, true), Math.abs(dv.getInt32(22, true)));
}

function isSofMarker(m: number): boolean {
  // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
  return m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
}

function analyzeJpeg(view: ByteView, progress: Progress): Analysis {
  const truncated = unsupported('The JPEG ends before its frame header (no size found).');
  let pos = progress.jpegPos ?? 2; // after SOI
  for (;;) {
    progress.jpegPos = pos;
    const m = view.get(pos, 2);
    if (!m) return truncated;
    if (m[0] !== 0xff) return unsupported(`Corrupt JPEG: no segment marker at byte ${pos}.`);
    const marker = m[1];
    if (marker === 0xff) {
      pos += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2; // standalone markers: no length
      continue;
    }
    if (marker === 0xd8 || marker === 0xd9 || marker === 0xda) {
      return unsupported('Corrupt JPEG: image data starts before any frame header.');
    }
    if (isSofMarker(marker)) {
      const sof = view.get(pos, 9); // FF Cn, length (2), precision (1), height (2), width (2)
      if (!sof) return truncated;
      // Hand image-size a minimal JPEG: SOI, an empty COM segment (image-size skips the first
      // segment unseen), then this frame header.
      const mini = new Uint8Array(2 + 4 + 9);
      mini.set([0xff, 0xd8, 0xff, 0xfe, 0x00, 0x02]);
      mini.set(sof, 6);
      try {
        const r = sizeOf(mini);
        return sized('jpg', r.width, r.height);
      } catch {
        return unsupported(`Unsupported JPEG variant (frame marker 0x${marker.toString(16).toUpperCase()}).`);
      }
    }
    const len = view.get(pos + 2, 2);
    if (!len) return truncated;
    const segmentLength = u16be(len);
    if (segmentLength < 2) return unsupported(`Corrupt JPEG: bad segment length at byte ${pos}.`);
    pos += 2 + segmentLength;
  }
}

function analyzeTiff(view: ByteView, big: boolean): Analysis {
  const truncated = unsupported('The TIFF ends before its image directory (no size found).');
  const le = view.head[0] === 0x49;
  const headerLen = big ? 16 : 8;
  const header = view.get(0, headerLen);
  if (!header) return truncated;
  const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const ifdOffset = big ? Number(dv(header).getBigUint64(8, le)) : dv(header).getUint32(4, le);
  const countSize = big ? 8 : 2;
  const entrySize = big ? 20 : 12;
  const countBytes = view.get(ifdOffset, countSize);
  if (ifdOffset < headerLen || !countBytes) return truncated;
  const count = Math.min(big ? Number(dv(countBytes).getBigUint64(0, le)) : dv(countBytes).getUint16(0, le), MAX_TIFF_ENTRIES);
  const entries = view.get(ifdOffset + countSize, count * entrySize);
  if (!entries) return truncated;
  // A compact TIFF for image-size: the header pointing at an IFD right after it, the IFD's
  // entries, and a zero "next IFD" offset (image-size reads the entries up to the buffer's end).
  const mini = new Uint8Array(headerLen + countSize + entries.length + countSize * 4);
  mini.set(header);
  const mdv = dv(mini);
  if (big) {
    mdv.setBigUint64(8, BigInt(headerLen), le);
    mdv.setBigUint64(headerLen, BigInt(count), le);
  } else {
    mdv.setUint32(4, headerLen, le);
    mdv.setUint16(headerLen, count, le);
  }
  mini.set(entries, headerLen + countSize);
  try {
    const r = sizeOf(mini);
    return sized('tiff', r.width, r.height);
  } catch {
    return unsupported('The TIFF image directory has no usable width/height.');
  }
}

function analyzeIco(view: ByteView): Analysis {
  const count = view.head[4] | (view.head[5] << 8);
  const dir = view.get(0, 6 + 16 * count); // header + one 16-byte entry per image
  if (!dir) return unsupported('The ICO file ends inside its directory.');
  let r: ReturnType<typeof imageSize>;
  try {
    r = sizeOf(dir);
  } catch {
    return unsupported(NOT_AN_IMAGE);
  }
  if (r.type !== 'ico') return unsupported(NOT_AN_IMAGE);
  // A multi-size icon is judged (and reported) by its largest entry: image-size's lookup already
  // answers with that one (pinned by a test).
  return sized('ico', r.width, r.height);
}

// ---------------------------------------------------------------------------------------------
// Limits.

function limitFor(format: ImageFormat, imageType: ImageType): { side: number; what: string } {
  const side = format === 'gif' ? MAX_GIF_SIDE : MAX_IMAGE_SIDE;
  if (imageType === 'avatar' && MAX_AVATAR_SIDE < side) return { side: MAX_AVATAR_SIDE, what: 'avatar images' };
  return { side, what: FORMAT_NAMES[format] };
}

/** The largest width and height Lark takes for `format` as `imageType` (for fitting: core/fit.ts). */
export function sideLimit(format: ImageFormat, imageType: ImageType): number {
  return limitFor(format, imageType).side;
}

/**
 * Format and size as the header declares them, without any limit applied: what fitting checks
 * its pixel budget against before anything is decoded. undefined when validation cannot read a
 * size (a format it does not know, or a corrupt header).
 */
export function imageHeader(bytes: Uint8Array): { format: ImageFormat; width: number; height: number } | undefined {
  const a = analyze(new MemoryView(bytes));
  return a.ok ? { format: a.format, width: a.width, height: a.height } : undefined;
}

/** "JPEG", "PNG", … for messages. */
export function formatName(format: ImageFormat): string {
  return FORMAT_NAMES[format];
}

const n = (x: number) => x.toLocaleString('en-US');

function checkSize(size: number): { code: number; message: string } | undefined {
  if (size === 0) return { code: LarkImageCode.EmptyFile, message: 'File is empty (0 bytes).' };
  if (size > MAX_IMAGE_BYTES) {
    return {
      code: LarkImageCode.FileTooLarge,
      message: `File is ${n(size)} bytes; the limit is ${n(MAX_IMAGE_BYTES)} bytes (10 MiB).`,
    };
  }
  return undefined;
}

function finish(path: string, size: number, a: Analysis, imageType: ImageType, bytesRead: number): ValidationResult {
  if (!a.ok) return { ok: false, path, code: a.code, message: a.message, bytesRead };
  const { side, what } = limitFor(a.format, imageType);
  if (a.width > side || a.height > side) {
    return {
      ok: false,
      path,
      code: LarkImageCode.ResolutionTooLarge,
      message: `Image is ${a.width}×${a.height} px; the limit is ${side}×${side} for ${what}.`,
      bytesRead,
    };
  }
  const info: ImageInfo = { path, size, format: a.format, mime: MIME[a.format], width: a.width, height: a.height, bytesRead };
  return { ok: true, info };
}

// ---------------------------------------------------------------------------------------------
// Public API.

/** Validate bytes that have no file (e.g. a pasted image). `bytesRead` is 0: nothing is read from disk. */
export function validateImageBytes(bytes: Uint8Array, imageType: ImageType, name?: string): ValidationResult {
  const path = name ?? PASTED;
  const bad = checkSize(bytes.byteLength);
  if (bad) return { ok: false, path, ...bad, bytesRead: 0 };
  return finish(path, bytes.byteLength, analyze(new MemoryView(bytes)), imageType, 0);
}

/** What an error of opening or reading a file means for the user (exported for its tests). */
export function openError(e: unknown): { code: number; message: string } {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOENT':
      return { code: LocalCode.FileNotFound, message: 'File not found.' };
    case 'ENOTDIR':
      return { code: LocalCode.FileNotFound, message: 'File not found (a part of the path is not a folder).' };
    case 'EISDIR':
      return { code: LocalCode.NotAFile, message: 'This is a folder, not a file.' };
    case 'ENXIO':
    case 'ENODEV':
      return { code: LocalCode.NotAFile, message: 'Not a regular file (a socket or device).' };
    case 'EACCES':
    case 'EPERM':
      return { code: LocalCode.FileUnreadable, message: 'Cannot read the file: permission denied.' };
    case 'ELOOP':
      return { code: LocalCode.FileUnreadable, message: 'Cannot read the file: too many levels of symbolic links.' };
    case 'ENAMETOOLONG':
      return { code: LocalCode.FileUnreadable, message: 'Cannot read the file: the path is too long.' };
    default: {
      const why = err?.code ?? (err instanceof Error ? err.message : String(e));
      return { code: LocalCode.FileUnreadable, message: `Cannot read the file (${why}).` };
    }
  }
}

async function isDanglingSymlink(path: string): Promise<boolean> {
  try {
    return (await fsp.lstat(path)).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Read up to `len` bytes at `pos` (fewer only at end of file); a short read is continued. Exported for its tests. */
export async function readAt(fh: Pick<FileHandle, 'read'>, pos: number, len: number): Promise<Uint8Array> {
  const buf = new Uint8Array(len);
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, pos + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

function positiveInt(x: number | undefined, fallback: number): number {
  return x !== undefined && Number.isFinite(x) && x >= 1 ? Math.floor(x) : fallback;
}

/**
 * Validate one file for upload as `imageType`, reading only its header. Never rejects.
 * Order of checks: missing (9001) → not a regular file (9002) → unreadable (9003) → empty
 * (234010) → over 10 MiB (234006) → not JPEG/PNG/WebP/GIF/TIFF/BMP/ICO (234011) → resolution
 * (234039: GIF 2000, others 12000, avatar 4096 per side).
 */
export async function validateImageFile(path: string, imageType: ImageType, opts: ValidateOptions = {}): Promise<ValidationResult> {
  const headerBytes = Math.max(MIN_HEADER_BYTES, positiveInt(opts.headerBytes, DEFAULT_HEADER_BYTES));
  const maxHeaderBytes = Math.max(headerBytes, positiveInt(opts.maxHeaderBytes, DEFAULT_MAX_HEADER_BYTES));
  let bytesRead = 0;
  const fail = (code: number, message: string): ValidationResult => ({ ok: false, path, code, message, bytesRead });

  let fh: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever. It has
    // no effect on regular files (and is absent on Windows, where FIFOs do not exist).
    fh = await fsp.open(path, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch (e) {
    const { code, message } = openError(e);
    if (code === LocalCode.FileNotFound && (e as NodeJS.ErrnoException)?.code === 'ENOENT' && (await isDanglingSymlink(path))) {
      return fail(code, 'Broken symbolic link: its target does not exist.');
    }
    return fail(code, message);
  }

  try {
    const st = await fh.stat();
    if (st.isDirectory()) return fail(LocalCode.NotAFile, 'This is a folder, not a file.');
    if (!st.isFile()) return fail(LocalCode.NotAFile, 'Not a regular file (a pipe, socket or device).');
    const size = st.size;
    const bad = checkSize(size);
    if (bad) return fail(bad.code, bad.message);

    const head = await readAt(fh, 0, Math.min(size, headerBytes));
    bytesRead += head.length;
    // A file that shrank since fstat is judged by what is there now.
    const view = new WindowedView(head.length < Math.min(size, headerBytes) ? head.length : size, head);
    const progress: Progress = {};
    for (;;) {
      try {
        return finish(path, size, analyze(view, progress), imageType, bytesRead);
      } catch (e) {
        if (!(e instanceof NeedBytes)) throw e;
        const len = Math.min(Math.max(e.len, WINDOW_BYTES), view.size - e.pos);
        if (bytesRead + len > maxHeaderBytes) {
          return fail(
            LarkImageCode.UnsupportedFormat,
            `Could not find the image size in the first ${n(maxHeaderBytes)} bytes read (metadata too large?).`,
          );
        }
        const win = await readAt(fh, e.pos, len);
        bytesRead += win.length;
        if (win.length < e.len) return fail(LarkImageCode.UnsupportedFormat, 'The file ended while being read (truncated?).');
        view.add(e.pos, win);
      }
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err?.code === 'EISDIR') return fail(LocalCode.NotAFile, 'This is a folder, not a file.');
    return fail(LocalCode.FileUnreadable, `Cannot read the file (${err?.code ?? (err instanceof Error ? err.message : String(e))}).`);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * Validate many files, at most `concurrency` at a time. Results are in input order; never
 * rejects (each failure is a result, as validateImageFile never rejects).
 */
export function validateImageFiles(
  paths: readonly string[],
  imageType: ImageType,
  concurrency = 8,
  opts: ValidateOptions = {},
): Promise<ValidationResult[]> {
  return mapPool(paths, concurrency, (path) => validateImageFile(path, imageType, opts));
}
