import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { promises as fsp } from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { FixtureSet, generateFixtures, TEN_MIB } from '../fixtures/generate';
import { openError, readAt, validateImageBytes, validateImageFile, validateImageFiles } from '../../src/core/validate';
import { ImageFormat, ImageType, ValidationResult } from '../../src/core/types';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const icoEndec = require('ico-endec') as { encode(images: Buffer[]): Buffer };

type Key = Exclude<keyof FixtureSet, 'dir'>;

/** What validation reads first ("only the header": 64 KiB). */
const DEFAULT_HEADER_BYTES = 64 * 1024;

/** The Content-Type sent for each format. */
const MIME: Record<ImageFormat, string> = {
  jpg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  tiff: 'image/tiff',
  bmp: 'image/bmp',
  ico: 'image/x-icon',
};
type Expect = { format: ImageFormat; width: number; height: number } | { code: number };

const ok = (format: ImageFormat, width = 64, height = 48): Expect => ({ format, width, height });
const err = (code: number): Expect => ({ code });

/** Expected outcome of every fixture as image_type=message. */
const MESSAGE: Record<Key, Expect> = {
  png: ok('png'),
  jpg: ok('jpg'),
  webp: ok('webp'),
  gif: ok('gif'),
  tiff: ok('tiff'),
  bmp: ok('bmp'),
  ico: ok('ico'),
  pngNamedJpg: ok('png'),
  jpegLargeExif: ok('jpg'),
  tiffIfdAtEnd: ok('tiff', 320, 320),
  unicodeName: ok('png'),
  exactly10MiB: ok('png'),
  avatarOk: ok('png', 4096, 4096),
  symlinkToPng: ok('png'),
  empty: err(234010),
  over10MiB: err(234006),
  textAsPng: err(234011),
  svg: err(234011),
  avif: err(234011),
  truncatedPng: err(234011),
  gifTooBig: err(234039),
  pngTooBig: err(234039),
  avatarTooBig: ok('png', 4097, 4097),
  hugeDeclared: err(234039),
  aDirectory: err(9002),
  missing: err(9001),
  danglingSymlink: err(9001),
};

/** Where image_type=avatar differs from message. */
const AVATAR: Partial<Record<Key, Expect>> = {
  avatarTooBig: err(234039),
  pngTooBig: err(234039),
};

const KEYS = Object.keys(MESSAGE) as Key[];
/** Fixtures allowed to read past the 64 KiB header (their size info lies further in). */
const DEEP: Key[] = ['jpegLargeExif', 'tiffIfdAtEnd'];

function check(r: ValidationResult, want: Expect, label: string): void {
  if ('code' in want) {
    assert.strictEqual(r.ok, false, `${label}: expected ${want.code}, got OK`);
    if (!r.ok) {
      assert.strictEqual(r.code, want.code, `${label}: ${r.message}`);
      assert.ok(r.message.length > 0 && r.message.length < 200, `${label}: message "${r.message}"`);
    }
  } else {
    assert.ok(r.ok, `${label}: ${r.ok ? '' : `${r.code} ${r.message}`}`);
    if (r.ok) {
      assert.deepStrictEqual(
        { format: r.info.format, width: r.info.width, height: r.info.height, mime: r.info.mime },
        { ...want, mime: MIME[want.format] },
        label,
      );
    }
  }
}

const bytesReadOf = (r: ValidationResult) => (r.ok ? r.info.bytesRead : r.bytesRead);
const isPosix = process.platform !== 'win32';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

suite('validate', () => {
  let fx: FixtureSet;
  let tmp: string;

  suiteSetup(async function () {
    this.timeout(30000);
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'lark-validate-'));
    fx = await generateFixtures(path.join(tmp, 'fixtures'));
  });

  suiteTeardown(async () => {
    if (tmp) await fsp.rm(tmp, { recursive: true, force: true });
  });

  suite('every fixture', () => {
    for (const key of KEYS) {
      test(`${key} as message → ${'code' in MESSAGE[key] ? (MESSAGE[key] as { code: number }).code : 'OK'}`, async () => {
        const r = await validateImageFile(fx[key], 'message');
        check(r, MESSAGE[key], key);
        assert.strictEqual(r.ok ? r.info.path : r.path, fx[key], 'path is echoed as given');
      });
    }
    for (const key of KEYS) {
      const want = AVATAR[key] ?? MESSAGE[key];
      test(`${key} as avatar → ${'code' in want ? want.code : 'OK'}`, async () => {
        check(await validateImageFile(fx[key], 'avatar'), want, key);
      });
    }
  });

  suite('details', () => {
    test('format comes from the bytes: a PNG named .jpg is a PNG', async () => {
      const r = await validateImageFile(fx.pngNamedJpg, 'message');
      assert.ok(r.ok);
      assert.strictEqual(r.info.format, 'png');
      assert.strictEqual(r.info.mime, 'image/png');
      assert.strictEqual(r.info.size, (await fsp.stat(fx.pngNamedJpg)).size);
    });

    test('messages are human and name the limit', async () => {
      const msg = async (p: string, t: ImageType) => {
        const r = await validateImageFile(p, t);
        assert.ok(!r.ok);
        return r.message;
      };
      assert.strictEqual(await msg(fx.pngTooBig, 'message'), 'Image is 12001×8 px; the limit is 12000×12000 for PNG.');
      assert.strictEqual(await msg(fx.gifTooBig, 'message'), 'Image is 2001×16 px; the limit is 2000×2000 for GIF.');
      assert.strictEqual(await msg(fx.gifTooBig, 'avatar'), 'Image is 2001×16 px; the limit is 2000×2000 for GIF.');
      assert.strictEqual(await msg(fx.avatarTooBig, 'avatar'), 'Image is 4097×4097 px; the limit is 4096×4096 for avatar images.');
      assert.match(await msg(fx.over10MiB, 'message'), /10,485,761 bytes; the limit is 10,485,760/);
      assert.match(await msg(fx.svg, 'message'), /^SVG images are not supported/);
      assert.match(await msg(fx.avif, 'message'), /^AVIF images are not supported/);
      assert.match(await msg(fx.truncatedPng, 'message'), /PNG file is truncated/);
      assert.match(await msg(fx.danglingSymlink, 'message'), /symbolic link/);
    });

    test(`bytesRead ≤ ${DEFAULT_HEADER_BYTES} for every fixture but the deep JPEG/TIFF`, async () => {
      const figures: number[] = [];
      for (const key of KEYS) {
        const n = bytesReadOf(await validateImageFile(fx[key], 'message'));
        figures.push(n);
        if (!DEEP.includes(key)) assert.ok(n <= DEFAULT_HEADER_BYTES, `${key} read ${n} bytes`);
      }
      assert.ok(Math.max(...figures) < 80 * 1024);
    });

    test('JPEG with ~100 KiB of APP1 before SOF: found, without reading the whole file', async () => {
      const bytes = await fsp.readFile(fx.jpegLargeExif);
      const sof = bytes.indexOf(Buffer.from([0xff, 0xc0]));
      assert.ok(sof > 64 * 1024, `fixture SOF at ${sof}`);
      const r = await validateImageFile(fx.jpegLargeExif, 'message');
      assert.ok(r.ok, r.ok ? '' : r.message);
      assert.strictEqual(r.info.width, 64);
      assert.ok(r.info.bytesRead > DEFAULT_HEADER_BYTES, 'had to read past the header');
      assert.ok(r.info.bytesRead < bytes.length, `read ${r.info.bytesRead} of ${bytes.length}`);
      // A tiny header works too: only segment headers are fetched past it.
      const small = await validateImageFile(fx.jpegLargeExif, 'message', { headerBytes: 256 });
      assert.ok(small.ok);
      assert.ok(small.info.bytesRead < 16 * 1024, `read ${small.info.bytesRead}`);
    });

    test('JPEG: gives up with 234011 past maxHeaderBytes', async () => {
      const r = await validateImageFile(fx.jpegLargeExif, 'message', { headerBytes: 1024, maxHeaderBytes: 4096 });
      assert.ok(!r.ok);
      assert.strictEqual(r.code, 234011);
      assert.ok(r.bytesRead <= 4096);
    });

    test('JPEG cut off before its SOF → 234011, and so is FFD8 + garbage', async () => {
      const bytes = await fsp.readFile(fx.jpegLargeExif);
      const cut = path.join(tmp, 'cut.jpg');
      await fsp.writeFile(cut, bytes.subarray(0, 70000));
      const r = await validateImageFile(cut, 'message');
      assert.ok(!r.ok);
      assert.strictEqual(r.code, 234011);
      assert.match(r.message, /ends before its frame header/);
      assert.ok(r.bytesRead <= 70000);
      const garbage = validateImageBytes(Uint8Array.from([0xff, 0xd8, 0x00, 0xc0, 0, 17, 8, 0, 8, 0, 8]), 'message');
      assert.ok(!garbage.ok && garbage.code === 234011);
    });

    test('TIFF whose IFD sits at the end: found with a bounded read', async () => {
      const size = (await fsp.stat(fx.tiffIfdAtEnd)).size;
      const r = await validateImageFile(fx.tiffIfdAtEnd, 'message');
      assert.ok(r.ok);
      assert.ok(r.info.bytesRead < DEFAULT_HEADER_BYTES + 8 * 1024 && r.info.bytesRead < size, `read ${r.info.bytesRead} of ${size}`);
      const tiny = await validateImageFile(fx.tiffIfdAtEnd, 'message', { headerBytes: 64 });
      assert.ok(tiny.ok);
      assert.deepStrictEqual([tiny.info.width, tiny.info.height], [320, 320]);
      assert.ok(tiny.info.bytesRead < 8 * 1024, `read ${tiny.info.bytesRead}`);
      // The same bytes pasted (all in memory) agree.
      const pasted = validateImageBytes(await fsp.readFile(fx.tiffIfdAtEnd), 'message');
      assert.ok(pasted.ok && pasted.info.width === 320);
    });

    test('exactly 10 MiB passes, one byte more fails, neither reads more than the header', async () => {
      assert.strictEqual((await fsp.stat(fx.exactly10MiB)).size, TEN_MIB);
      assert.strictEqual((await fsp.stat(fx.over10MiB)).size, TEN_MIB + 1);
      const a = await validateImageFile(fx.exactly10MiB, 'message');
      assert.ok(a.ok);
      assert.strictEqual(a.info.size, TEN_MIB);
      assert.ok(a.info.bytesRead <= DEFAULT_HEADER_BYTES);
      const b = await validateImageFile(fx.over10MiB, 'message');
      assert.ok(!b.ok);
      assert.strictEqual(b.code, 234006);
      assert.ok(b.bytesRead <= DEFAULT_HEADER_BYTES);
    });

    test('ICO with several entries is judged by the largest', () => {
      const r = validateImageBytes(icoEndec.encode([pngOf(16, 16), pngOf(48, 48), pngOf(32, 32)]), 'message', 'multi.ico');
      assert.ok(r.ok, r.ok ? '' : r.message);
      assert.deepStrictEqual([r.info.format, r.info.width, r.info.height, r.info.path], ['ico', 48, 48, 'multi.ico']);
    });
  });

  suite('file-system errors', () => {
    test('unreadable file (chmod 000) → 9003', async function () {
      if (!isPosix || isRoot) this.skip(); // root reads through mode 000; Windows has no such mode
      const p = path.join(tmp, 'locked.png');
      await fsp.copyFile(fx.png, p);
      await fsp.chmod(p, 0o000);
      try {
        const r = await validateImageFile(p, 'message');
        assert.ok(!r.ok);
        assert.strictEqual(r.code, 9003);
        assert.match(r.message, /permission denied/);
      } finally {
        await fsp.chmod(p, 0o644);
      }
    });

    test('a file even root may not read (a write-only sysctl) → 9003 permission denied', async function () {
      // the kernel refuses reads of write-only /proc/sys entries whatever the capabilities
      const writeOnly = '/proc/sys/vm/drop_caches';
      if (process.platform !== 'linux' || !fs.existsSync(writeOnly)) this.skip();
      const r = await validateImageFile(writeOnly, 'message');
      assert.ok(!r.ok);
      assert.deepStrictEqual([r.code, r.message, r.bytesRead], [9003, 'Cannot read the file: permission denied.', 0]);
    });

    test('a socket → 9002 (not a regular file)', async function () {
      if (!isPosix) this.skip();
      const sock = path.join(tmp, 'sock.png');
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(sock, resolve));
      try {
        const r = await validateImageFile(sock, 'message');
        assert.ok(!r.ok);
        assert.deepStrictEqual([r.code, r.message], [9002, 'Not a regular file (a socket or device).']);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });

    test('a character device → 9002 (opened, then refused by its type)', async function () {
      if (!isPosix) this.skip();
      const r = await validateImageFile('/dev/null', 'message');
      assert.ok(!r.ok);
      assert.deepStrictEqual([r.code, r.message, r.bytesRead], [9002, 'Not a regular file (a pipe, socket or device).', 0]);
    });

    test('a path Node refuses (NUL byte) → 9003 naming the error', async () => {
      const r = await validateImageFile('bad\0name.png', 'message');
      assert.ok(!r.ok);
      assert.deepStrictEqual([r.code, r.message], [9003, 'Cannot read the file (ERR_INVALID_ARG_VALUE).']);
    });

    test('a name too long → 9003 saying so', async () => {
      const r = await validateImageFile(path.join(tmp, 'n'.repeat(300) + '.png'), 'message');
      assert.ok(!r.ok);
      assert.deepStrictEqual([r.code, r.message], [9003, 'Cannot read the file: the path is too long.']);
    });

    test('symbolic link loop → 9003 (fails to open even for root)', async function () {
      if (!isPosix) this.skip();
      const a = path.join(tmp, 'loop-a.png');
      const b = path.join(tmp, 'loop-b.png');
      await fsp.symlink(b, a);
      await fsp.symlink(a, b);
      const r = await validateImageFile(a, 'message');
      assert.ok(!r.ok);
      assert.strictEqual(r.code, 9003);
      assert.match(r.message, /symbolic links/);
    });

    test('named pipe → 9002 at once (never blocks waiting for a writer)', async function () {
      if (!isPosix) this.skip();
      const fifo = path.join(tmp, 'pipe.png');
      try {
        execFileSync('mkfifo', [fifo]);
      } catch {
        this.skip();
      }
      const r = await validateImageFile(fifo, 'message');
      assert.ok(!r.ok);
      assert.deepStrictEqual([r.code, r.message], [9002, 'Not a regular file (a pipe, socket or device).']);
    });

    test('a path through a file (ENOTDIR) → 9001', async () => {
      const r = await validateImageFile(path.join(fx.png, 'inside.png'), 'message');
      assert.ok(!r.ok);
      assert.deepStrictEqual([r.code, r.message], [9001, 'File not found (a part of the path is not a folder).']);
      const missing = await validateImageFile(fx.missing, 'message');
      assert.ok(!missing.ok);
      assert.deepStrictEqual([missing.code, missing.message], [9001, 'File not found.']);
      const folder = await validateImageFile(fx.aDirectory, 'message');
      assert.ok(!folder.ok);
      assert.deepStrictEqual([folder.code, folder.message], [9002, 'This is a folder, not a file.']);
    });
  });

  suite('validateImageFiles', () => {
    test('keeps input order, never rejects, honours any concurrency', async () => {
      const keys: Key[] = ['missing', 'png', 'aDirectory', 'gif', 'empty', 'jpegLargeExif', 'danglingSymlink', 'svg', 'tiff', 'over10MiB'];
      const paths = [...keys.map((k) => fx[k]), path.join(tmp, 'nope', 'x.png'), ''];
      for (const c of [1, 3, 8, 100, 0, NaN]) {
        const rs = await validateImageFiles(paths, 'message', c);
        assert.strictEqual(rs.length, paths.length);
        rs.forEach((r, i) => assert.strictEqual(r.ok ? r.info.path : r.path, paths[i], `c=${c} #${i}`));
        keys.forEach((k, i) => check(rs[i], MESSAGE[k], `c=${c} ${k}`));
        assert.ok(!rs[keys.length].ok && !rs[keys.length + 1].ok);
      }
      assert.deepStrictEqual(await validateImageFiles([], 'avatar'), []);
    });
  });

  suite('validateImageBytes (pasted data)', () => {
    test('PNG bytes → OK, default name, nothing read from disk', async () => {
      const r = validateImageBytes(await fsp.readFile(fx.png), 'message');
      assert.ok(r.ok);
      assert.deepStrictEqual(
        [r.info.path, r.info.format, r.info.width, r.info.height, r.info.bytesRead, r.info.mime],
        ['(pasted image)', 'png', 64, 48, 0, 'image/png'],
      );
      const named = validateImageBytes(new Uint8Array(await fsp.readFile(fx.jpegLargeExif)), 'avatar', 'clip.jpg');
      assert.ok(named.ok && named.info.path === 'clip.jpg' && named.info.format === 'jpg');
    });

    test('random bytes, text, empty, oversize, HEIC and "BM" text are refused', () => {
      let s = 0x2545f491;
      const random = Uint8Array.from({ length: 4096 }, () => ((s = (s * 1664525 + 1013904223) >>> 0), s >>> 24));
      random[0] = 0x13; // no image signature starts with 0x13
      const cases: [Uint8Array, number][] = [
        [random, 234011],
        [new TextEncoder().encode('hello, not an image'), 234011],
        [new TextEncoder().encode('BM is how this text starts, and it is long enough to fill a header.'), 234011],
        [Uint8Array.from([0, 0, 0, 24, ...new TextEncoder().encode('ftypheic'), 0, 0, 0, 0, ...new TextEncoder().encode('mif1heic')]), 234011],
        [new Uint8Array(0), 234010],
        [new Uint8Array(TEN_MIB + 1), 234006],
      ];
      for (const [bytes, code] of cases) {
        const r = validateImageBytes(bytes, 'message');
        assert.ok(!r.ok, `expected ${code}`);
        assert.strictEqual(r.code, code, r.message);
        assert.strictEqual(r.path, '(pasted image)');
      }
      const heic = validateImageBytes(cases[3][0], 'message');
      assert.ok(!heic.ok && /^HEIC images are not supported/.test(heic.message));
    });

    test('a view into a larger Buffer is judged on its own bytes only', async () => {
      // image-size alone, given webp.subarray(0, 26), reads past the view and answers 64×48.
      const webp = await fsp.readFile(fx.webp);
      const r = validateImageBytes(webp.subarray(0, 26), 'message');
      assert.ok(!r.ok, 'a 26-byte WebP has no size');
      assert.strictEqual(r.code, 234011);
      const whole = validateImageBytes(webp.subarray(0, webp.length), 'message');
      assert.ok(whole.ok && whole.info.width === 64);
    });
  });
});

/** A minimal valid PNG header (signature + IHDR) of the given size: enough for an ICO entry. */
function pngOf(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(25);
  ihdr.writeUInt32BE(13, 0);
  ihdr.write('IHDR', 4, 'latin1');
  ihdr.writeUInt32BE(width, 8);
  ihdr.writeUInt32BE(height, 12);
  ihdr.set([8, 6, 0, 0, 0], 16);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr]);
}

suite('core/validate: the pieces the file tests cannot reach', () => {
  test('every errno of opening or reading a file gets its own code and words', () => {
    const errno = (code: string) => Object.assign(new Error(`${code}: something`), { code });
    const table: [unknown, number, string][] = [
      [errno('ENOENT'), 9001, 'File not found.'],
      [errno('ENOTDIR'), 9001, 'File not found (a part of the path is not a folder).'],
      [errno('EISDIR'), 9002, 'This is a folder, not a file.'],
      [errno('ENXIO'), 9002, 'Not a regular file (a socket or device).'],
      [errno('ENODEV'), 9002, 'Not a regular file (a socket or device).'],
      [errno('EACCES'), 9003, 'Cannot read the file: permission denied.'],
      [errno('EPERM'), 9003, 'Cannot read the file: permission denied.'],
      [errno('ELOOP'), 9003, 'Cannot read the file: too many levels of symbolic links.'],
      [errno('ENAMETOOLONG'), 9003, 'Cannot read the file: the path is too long.'],
      [errno('EIO'), 9003, 'Cannot read the file (EIO).'],
      [new Error('disk on fire'), 9003, 'Cannot read the file (disk on fire).'],
      [undefined, 9003, 'Cannot read the file (undefined).'],
      ['a string', 9003, 'Cannot read the file (a string).'],
    ];
    for (const [e, code, message] of table) assert.deepStrictEqual(openError(e), { code, message }, String((e as Error)?.message ?? e));
  });

  test('readAt continues short reads at the right place and stops at the end of the file', async () => {
    const file = Uint8Array.from({ length: 100 }, (_, i) => i);
    const calls: [number, number, number][] = [];
    // a handle that hands out at most 7 bytes per read, as a pipe or a network file system may
    const fh = {
      read: async (buf: Uint8Array, offset: number, length: number, position: number) => {
        calls.push([offset, length, position]);
        const chunk = file.subarray(position, Math.min(position + Math.min(length, 7), file.length));
        buf.set(chunk, offset);
        return { bytesRead: chunk.length, buffer: buf };
      },
    } as unknown as Parameters<typeof readAt>[0];
    assert.deepStrictEqual([...(await readAt(fh, 10, 20))], [...file.slice(10, 30)]);
    assert.deepStrictEqual(calls, [[0, 20, 10], [7, 13, 17], [14, 6, 24]]);
    calls.length = 0;
    const tail = await readAt(fh, 95, 20); // 5 bytes left: fewer, and no endless loop
    assert.deepStrictEqual([...tail], [95, 96, 97, 98, 99]);
    assert.deepStrictEqual(calls, [[0, 20, 95], [5, 15, 100]]);
  });

  test('a multi-size ICO is judged by its largest entry, wherever it stands', () => {
    const ico = (sizes: [number, number][]): Buffer => {
      const head = Buffer.from([0, 0, 1, 0, sizes.length, 0]);
      const entries = sizes.map(([w, h], i) => {
        const e = Buffer.alloc(16);
        e[0] = w % 256;
        e[1] = h % 256;
        e.writeUInt16LE(1, 4);
        e.writeUInt16LE(32, 6);
        e.writeUInt32LE(40, 8);
        e.writeUInt32LE(6 + 16 * sizes.length + 40 * i, 12);
        return e;
      });
      return Buffer.concat([head, ...entries, Buffer.alloc(40 * sizes.length)]);
    };
    const sizeOf = (r: ValidationResult) => (r.ok ? [r.info.width, r.info.height] : r.message);
    assert.deepStrictEqual(sizeOf(validateImageBytes(ico([[16, 16], [64, 32], [48, 48]]), 'message', 'a.ico')), [48, 48]);
    assert.deepStrictEqual(sizeOf(validateImageBytes(ico([[16, 16], [64, 32]]), 'message', 'b.ico')), [64, 32]);
    assert.deepStrictEqual(sizeOf(validateImageBytes(ico([[16, 16]]), 'message', 'c.ico')), [16, 16]);
  });
});
