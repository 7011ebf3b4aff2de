// Validation of hand-built headers, byte by byte: every branch of the format analysis (JPEG
// segment walk, TIFF and BigTIFF in both byte orders, ICO directory, BMP header sizes, ISO BMFF
// brands, formats Lark does not take) with the exact message the user reads.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { validateImageBytes, validateImageFile } from '../../src/core/validate';
import type { ValidationResult } from '../../src/core/types';

const SUPPORTED = 'JPEG, PNG, WebP, GIF, TIFF, BMP or ICO';
const NOT_AN_IMAGE = `Not a recognized image; the supported formats are ${SUPPORTED}.`;

type Part = string | readonly number[] | Uint8Array;
function bytes(...parts: Part[]): Uint8Array {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
}
const u16be = (n: number): number[] => [n >>> 8, n & 255];
const u16le = (n: number): number[] => [n & 255, n >>> 8];
const u32be = (n: number): number[] => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const u32le = (n: number): number[] => [...u32be(n)].reverse();
const u64le = (n: number): number[] => [...u32le(n), 0, 0, 0, 0];
const u64be = (n: number): number[] => [0, 0, 0, 0, ...u32be(n)];
const zeros = (n: number): Uint8Array => new Uint8Array(n);
const box = (type: string, ...body: Part[]): Uint8Array => {
  const inner = bytes(...body);
  return bytes(u32be(8 + inner.length), type, inner);
};

/** "ok WxH format" or "code: message". */
function verdict(r: ValidationResult): string {
  return r.ok ? `ok ${r.info.width}x${r.info.height} ${r.info.format}` : `${r.code}: ${r.message}`;
}
const judge = (b: Uint8Array, imageType: 'message' | 'avatar' = 'message'): string => verdict(validateImageBytes(b, imageType));

// --- JPEG -------------------------------------------------------------------------------------
const SOI = [0xff, 0xd8];
/** A frame header (SOFn) for width × height. */
const sof = (n: number, width: number, height: number): number[] => [0xff, n, 0, 17, 8, ...u16be(height), ...u16be(width), 3];
/** A segment with a length field and `len - 2` bytes of payload. */
const segment = (marker: number, payload: Part = zeros(4)): Uint8Array => {
  const p = bytes(payload);
  return bytes([0xff, marker], u16be(p.length + 2), p);
};

// --- TIFF -------------------------------------------------------------------------------------
interface TiffSpec {
  big?: boolean;
  be?: boolean;
  /** IFD entries as [tag, value]; SHORT values. */
  tags?: [number, number][];
  /** Where the IFD starts (default: right after the header); bytes in between are zero. */
  ifdAt?: number;
  /** Entry count written in the IFD (default: tags.length). */
  count?: number;
  /** Zero bytes after the IFD. */
  pad?: number;
}
function tiff({ big = false, be = false, tags = [[256, 30], [257, 20]], ifdAt, count, pad = 0 }: TiffSpec): Uint8Array {
  const u16 = be ? u16be : u16le;
  const u32 = be ? u32be : u32le;
  const u64 = be ? u64be : u64le;
  const headerLen = big ? 16 : 8;
  const at = ifdAt ?? headerLen;
  const header = big ? bytes(be ? 'MM' : 'II', u16(43), u16(8), u16(0), u64(at)) : bytes(be ? 'MM' : 'II', u16(42), u32(at));
  const entries = tags.map(([tag, value]) =>
    big ? bytes(u16(tag), u16(3), u64(1), u16(value), zeros(6)) : bytes(u16(tag), u16(3), u32(1), u16(value), zeros(2)),
  );
  const n = count ?? tags.length;
  return bytes(header, zeros(Math.max(0, at - headerLen)), big ? u64(n) : u16(n), ...entries, zeros(big ? 8 : 4), zeros(pad));
}

suite('validate: formats byte by byte', () => {
  let tmp: string;
  suiteSetup(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-formats-'));
  });
  suiteTeardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const write = (name: string, b: Uint8Array): string => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, b);
    return file;
  };

  suite('JPEG segment walk', () => {
    test('baseline, extended and progressive frames give their size', () => {
      for (const n of [0xc0, 0xc1, 0xc2]) assert.strictEqual(judge(bytes(SOI, segment(0xe0), sof(n, 64, 48))), 'ok 64x48 jpg', n.toString(16));
    });

    test('fill bytes and standalone markers (TEM, RST0..7) are stepped over', () => {
      assert.strictEqual(judge(bytes(SOI, [0xff, 0xff, 0xff], sof(0xc0, 30, 20))), 'ok 30x20 jpg');
      assert.strictEqual(judge(bytes(SOI, [0xff, 0x01, 0xff, 0xd0, 0xff, 0xd7], sof(0xc0, 30, 20))), 'ok 30x20 jpg');
    });

    test('DHT (C4), JPG (C8) and DAC (CC) are segments, not frames', () => {
      for (const m of [0xc4, 0xc8, 0xcc]) {
        // their payload would read as 0×0 (or as 257×257) if taken for a frame header
        assert.strictEqual(judge(bytes(SOI, segment(m, [0, 1, 1, 1, 1, 1, 1]), sof(0xc0, 30, 20))), 'ok 30x20 jpg', m.toString(16));
      }
    });

    test('frame kinds image-size cannot read are named', () => {
      for (const [m, hex] of [
        [0xc3, 'C3'],
        [0xc5, 'C5'],
        [0xcf, 'CF'],
      ] as const) {
        assert.strictEqual(judge(bytes(SOI, sof(m, 30, 20))), `234011: Unsupported JPEG variant (frame marker 0x${hex}).`);
      }
    });

    test('scan data, EOI or a second SOI before any frame header', () => {
      for (const m of [0xd8, 0xd9, 0xda]) {
        assert.strictEqual(judge(bytes(SOI, [0xff, m], zeros(40))), '234011: Corrupt JPEG: image data starts before any frame header.');
      }
    });

    test('a bad segment length, a missing marker, a file that ends', () => {
      assert.strictEqual(judge(bytes(SOI, [0xff, 0xe0, 0, 1], zeros(20))), '234011: Corrupt JPEG: bad segment length at byte 2.');
      assert.strictEqual(judge(bytes(SOI, [0xff, 0xe0, 0, 2], [0x12], zeros(20))), '234011: Corrupt JPEG: no segment marker at byte 6.');
      const truncated = '234011: The JPEG ends before its frame header (no size found).';
      assert.strictEqual(judge(bytes(SOI, segment(0xe0))), truncated, 'no marker after the last segment');
      assert.strictEqual(judge(bytes(SOI, [0xff])), truncated, 'half a marker');
      assert.strictEqual(judge(bytes(SOI, [0xff, 0xe0, 0])), truncated, 'half a length');
      assert.strictEqual(judge(bytes(SOI, [0xff, 0xc0, 0, 17, 8, 0, 20, 0])), truncated, 'half a frame header');
      assert.strictEqual(judge(bytes(SOI, [0x00, 0xc0])), `234011: ${NOT_AN_IMAGE}`, 'no marker right after SOI');
    });

    test('a frame header declaring 0 px', () => {
      assert.strictEqual(judge(bytes(SOI, sof(0xc0, 0, 20))), '234011: The JPEG header declares no usable size (0×20 px).');
      assert.strictEqual(judge(bytes(SOI, sof(0xc0, 30, 0))), '234011: The JPEG header declares no usable size (30×0 px).');
    });

    test('from a file, the walk fetches only segment headers past the header read', async () => {
      // 40 APP segments of 4000 bytes: the frame header sits at ~160 KB
      const app = Array.from({ length: 40 }, () => segment(0xe1, zeros(3998)));
      const file = write('deep.jpg', bytes(SOI, ...app, sof(0xc0, 640, 480), zeros(100)));
      const r = await validateImageFile(file, 'message', { headerBytes: 1024 });
      assert.strictEqual(verdict(r), 'ok 640x480 jpg');
      assert.ok(r.ok && r.info.bytesRead < 1024 + 41 * 4096, `read ${r.ok && r.info.bytesRead}`);
      // with a budget too small for the walk
      const capped = await validateImageFile(file, 'message', { headerBytes: 1024, maxHeaderBytes: 20_000 });
      assert.strictEqual(verdict(capped), '234011: Could not find the image size in the first 20,000 bytes read (metadata too large?).');
      assert.ok(!capped.ok && capped.bytesRead <= 20_000);
    });
  });

  suite('read budget', () => {
    /** A valid 30×20 PNG header followed by `size` bytes in all. */
    const bigPng = (size: number): Uint8Array => {
      const b = new Uint8Array(size);
      b.set(bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], u32be(13), 'IHDR', u32be(30), u32be(20), [8, 6, 0, 0, 0]));
      return b;
    };

    test('the header read is headerBytes, floored, at least 1 KiB, 64 KiB when not a positive number', async () => {
      const file = write('big.png', bigPng(200_000));
      const read = async (headerBytes?: number): Promise<number> => {
        const r = await validateImageFile(file, 'message', { headerBytes });
        assert.strictEqual(verdict(r), 'ok 30x20 png');
        return r.ok ? r.info.bytesRead : -1;
      };
      assert.strictEqual(await read(), 65536);
      assert.strictEqual(await read(2000.7), 2000);
      assert.strictEqual(await read(1024), 1024);
      assert.strictEqual(await read(10), 1024);
      for (const odd of [0, -5, NaN, Infinity]) assert.strictEqual(await read(odd), 65536, String(odd));
      const small = write('small.png', bigPng(500));
      const r = await validateImageFile(small, 'message');
      assert.ok(r.ok && r.info.bytesRead === 500, 'a file smaller than the header is read once, whole');
    });

    test('maxHeaderBytes is a hard bound on what is read, and never below the header', async () => {
      const app = Array.from({ length: 10 }, () => segment(0xe1, zeros(3998)));
      const file = write('walk.jpg', bytes(SOI, ...app, sof(0xc0, 64, 48), zeros(10)));
      const free = await validateImageFile(file, 'message', { headerBytes: 1024 });
      assert.ok(free.ok);
      const needed = free.info.bytesRead;
      assert.ok(needed > 1024, `${needed}`);
      const exact = await validateImageFile(file, 'message', { headerBytes: 1024, maxHeaderBytes: needed });
      assert.ok(exact.ok && exact.info.bytesRead === needed, 'a budget of exactly what is needed is enough');
      const short = await validateImageFile(file, 'message', { headerBytes: 1024, maxHeaderBytes: needed - 1 });
      assert.strictEqual(verdict(short), `234011: Could not find the image size in the first ${(needed - 1).toLocaleString('en-US')} bytes read (metadata too large?).`);
      // a budget below the header is raised to it: the header is always read
      const png = write('budget.png', bigPng(100_000));
      const r = await validateImageFile(png, 'message', { headerBytes: 4096, maxHeaderBytes: 100 });
      assert.ok(r.ok && r.info.bytesRead === 4096);
      // the default budget is 1 MiB read: past the header, each 5000-byte segment costs one 4 KiB
      // window, so 300 of them are out of reach and 200 are not
      const walk = (n: number): Uint8Array => bytes(SOI, ...Array.from({ length: n }, () => segment(0xe1, zeros(4996))), sof(0xc0, 64, 48));
      const far = await validateImageFile(write('far.jpg', walk(300)), 'message');
      assert.strictEqual(verdict(far), '234011: Could not find the image size in the first 1,048,576 bytes read (metadata too large?).');
      const near = await validateImageFile(write('near.jpg', walk(200)), 'message');
      assert.strictEqual(verdict(near), 'ok 64x48 jpg');
      assert.ok(near.ok && near.info.bytesRead > 512 * 1024, `read ${near.ok && near.info.bytesRead}`);
    });
  });

  suite('TIFF and BigTIFF', () => {
    for (const big of [false, true]) {
      for (const be of [false, true]) {
        const kind = `${big ? 'BigTIFF' : 'TIFF'} ${be ? 'big' : 'little'}-endian`;
        test(`${kind}: size from the first directory, wherever it is`, async () => {
          assert.strictEqual(judge(tiff({ big, be })), 'ok 30x20 tiff');
          assert.strictEqual(judge(tiff({ big, be, ifdAt: 70_000 })), 'ok 30x20 tiff');
          const file = write(`${big}-${be}.tif`, tiff({ big, be, ifdAt: 300_000, tags: [[256, 1200], [257, 900]] }));
          const r = await validateImageFile(file, 'message');
          assert.strictEqual(verdict(r), 'ok 1200x900 tiff');
          assert.ok(r.ok && r.info.bytesRead <= 64 * 1024 + 4096, `read ${r.ok && r.info.bytesRead}`);
        });

        test(`${kind}: a directory before the header's end, past the file's end, or cut short`, () => {
          const truncated = '234011: The TIFF ends before its image directory (no size found).';
          assert.strictEqual(judge(tiff({ big, be, ifdAt: 4 }).subarray(0, 100)), truncated, 'inside the header');
          const whole = tiff({ big, be });
          assert.strictEqual(judge(whole.subarray(0, big ? 16 : 8)), truncated, 'header only');
          assert.strictEqual(judge(whole.subarray(0, (big ? 16 + 8 : 8 + 2) + 5)), truncated, 'entries cut');
          assert.strictEqual(judge(tiff({ big, be, count: 3 }).subarray(0, (big ? 16 + 8 + 40 : 8 + 2 + 24) + 3)), truncated, 'count larger than the entries');
        });

        test(`${kind}: a directory without width or height`, () => {
          assert.strictEqual(judge(tiff({ big, be, tags: [[256, 30]] })), '234011: The TIFF image directory has no usable width/height.');
        });
      }
    }

    test('a BigTIFF header cut inside its 16 bytes', () => {
      assert.strictEqual(judge(tiff({ big: true }).subarray(0, 12)), '234011: The TIFF ends before its image directory (no size found).');
    });

    test('an entry count over 1024 reads 1024 entries at most', () => {
      // 65535 entries declared, 2 real ones and room for 1022 more: readable only if capped
      assert.strictEqual(judge(tiff({ count: 65535, pad: 1022 * 12 })), 'ok 30x20 tiff');
      assert.strictEqual(judge(tiff({ count: 65535, pad: 1021 * 12 })), '234011: The TIFF ends before its image directory (no size found).');
    });
  });

  suite('ICO', () => {
    const entry = (w: number, h: number): number[] => [w, h, 0, 0, 1, 0, 32, 0, ...u32le(40), ...u32le(0)];
    const ico = (...entries: number[][]): Uint8Array => bytes([0, 0, 1, 0], u16le(entries.length), ...entries, zeros(40));

    test('the largest entry is judged; 0 means 256', () => {
      assert.strictEqual(judge(ico(entry(16, 16), entry(48, 32), entry(32, 32))), 'ok 48x32 ico');
      assert.strictEqual(judge(ico(entry(16, 16), entry(0, 0))), 'ok 256x256 ico');
    });

    test('a directory cut short, or too short to have one', () => {
      assert.strictEqual(judge(ico(entry(16, 16), entry(32, 32)).subarray(0, 6 + 16 + 8)), '234011: The ICO file ends inside its directory.');
      assert.strictEqual(judge(bytes([0, 0, 1, 0, 1])), `234011: ${NOT_AN_IMAGE}`);
    });
  });

  suite('BMP', () => {
    const bmp = (dib: number, width = 30, height = 20): Uint8Array => bytes('BM', u32le(200), zeros(4), u32le(54), u32le(dib), u32le(width), u32le(height), zeros(160));

    test('every known DIB header size is a BMP', () => {
      for (const dib of [16, 40, 52, 56, 64, 108, 124]) assert.strictEqual(judge(bmp(dib)), 'ok 30x20 bmp', `DIB ${dib}`);
      assert.strictEqual(judge(bmp(40, 30, -20)), 'ok 30x20 bmp', 'top-down (negative height)');
      assert.strictEqual(judge(bmp(40, 12001, 20)), '234039: Image is 12001×20 px; the limit is 12000×12000 for BMP.');
      assert.strictEqual(judge(bmp(40, 30, 0)), '234011: The BMP header declares no usable size (30×0 px).');
    });

    test('the OS/2 1.x header (12 bytes) holds 16-bit sizes', () => {
      const core = (width: number, height: number): Uint8Array => bytes('BM', u32le(200), zeros(4), u32le(26), u32le(12), u16le(width), u16le(height), u16le(1), u16le(24), zeros(160));
      assert.strictEqual(judge(core(30, 20)), 'ok 30x20 bmp');
      assert.strictEqual(judge(core(12001, 20)), '234039: Image is 12001×20 px; the limit is 12000×12000 for BMP.');
      assert.strictEqual(judge(core(30, 0)), '234011: The BMP header declares no usable size (30×0 px).');
    });

    test('"BM" with any other header size, or under 26 bytes, is not an image', () => {
      for (const dib of [0, 11, 41, 125]) assert.strictEqual(judge(bmp(dib)), `234011: ${NOT_AN_IMAGE}`, `DIB ${dib}`);
      assert.strictEqual(judge(bmp(40).subarray(0, 25)), `234011: ${NOT_AN_IMAGE}`);
    });
  });

  suite('ISO BMFF (ftyp) brands', () => {
    const ftyp = (brand: string): Uint8Array => bytes(u32be(24), 'ftyp', brand, u32be(0), brand, 'mif1');
    for (const [brands, name] of [
      [['heic', 'heix', 'hevc', 'hevx'], 'HEIC'],
      [['mif1', 'msf1'], 'HEIF'],
      [['avif', 'avis'], 'AVIF'],
    ] as const) {
      test(`${brands.join(', ')} → ${name} named`, () => {
        for (const brand of brands) assert.strictEqual(judge(ftyp(brand)), `234011: ${name} images are not supported; use ${SUPPORTED}.`, brand);
      });
    }
    test('other brands (MP4, QuickTime) are not images', () => {
      for (const brand of ['isom', 'qt  ', 'heif', 'avi']) assert.strictEqual(judge(ftyp(brand.padEnd(4, ' '))), `234011: ${NOT_AN_IMAGE}`, brand);
    });
  });

  suite('formats Lark does not take are named', () => {
    const cases: [string, Uint8Array][] = [
      ['Photoshop (PSD)', bytes('8BPS', [0, 1], zeros(6), [0, 3], u32be(20), u32be(30), [0, 8, 0, 3])],
      ['Windows cursor (CUR)', bytes([0, 0, 2, 0, 1, 0, 32, 32, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 22, 0, 0, 0], zeros(40))],
      ['Apple icon (ICNS)', bytes('icns', u32be(80), 'is32', u32be(72), zeros(64))],
      ['DDS', bytes('DDS ', u32le(124), u32le(0), u32le(20), u32le(30), zeros(120))],
      ['JPEG 2000', bytes([0xff, 0x4f, 0xff, 0x51, 0, 41, 0, 0], u32be(30), u32be(20), zeros(40))],
      ['JPEG 2000', bytes(box('jP  ', [13, 10, 135, 10]), box('ftyp', 'jp2 ', u32be(0), 'jp2 '), box('jp2h', box('ihdr', u32be(20), u32be(30), [0, 3, 7, 7, 0, 0])))],
      ['JPEG XL', bytes([0xff, 0x0a, 0x7f, 0x00], zeros(16))],
      ['JPEG XL', bytes(box('JXL ', [13, 10, 135, 10]), box('ftyp', 'jxl ', u32be(0), 'jxl '), box('jxlc', [0xff, 0x0a, 0x7f, 0x00], zeros(16)))],
      ['KTX', bytes([0xab], 'KTX 11', [0xbb, 0x0d, 0x0a, 0x1a, 0x0a], zeros(24), u32le(30), u32le(20), zeros(40))],
      ['KTX2', bytes([0xab], 'KTX 20', [0xbb, 0x0d, 0x0a, 0x1a, 0x0a], zeros(8), u32le(30), u32le(20), zeros(40))],
      ['PNM', bytes('P6\n30 20\n255\n', zeros(30))],
      ['TGA', bytes([0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 30, 0, 20, 0, 24, 0], zeros(30))],
      ['SVG', bytes('<svg xmlns="http://www.w3.org/2000/svg" width="30" height="20"></svg>')],
    ];
    for (const [name, b] of cases) {
      test(`${name}`, () => {
        assert.strictEqual(judge(b), `234011: ${name} images are not supported; use ${SUPPORTED}.`);
      });
    }
  });

  suite('the common formats, cut or empty', () => {
    test('PNG, GIF and WebP signatures without a size say "truncated or corrupt"', () => {
      assert.strictEqual(judge(bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0])), '234011: The PNG file is truncated or corrupt (no size found).');
      assert.strictEqual(judge(bytes('GIF8')), '234011: The GIF file is truncated or corrupt (no size found).');
      assert.strictEqual(judge(bytes('RIFF', u32le(100), 'WEBP')), '234011: The WebP file is truncated or corrupt (no size found).');
      assert.strictEqual(judge(bytes('RIFF', u32le(100), 'WAVE')), `234011: ${NOT_AN_IMAGE}`);
    });

    test('size limits: GIF 2000, others 12000, avatar 4096, each side', () => {
      const gif = (w: number, h: number): Uint8Array => bytes('GIF89a', u16le(w), u16le(h), zeros(20));
      const png = (w: number, h: number): Uint8Array => bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], u32be(13), 'IHDR', u32be(w), u32be(h), [8, 6, 0, 0, 0], zeros(4));
      assert.strictEqual(judge(gif(2000, 2000)), 'ok 2000x2000 gif');
      assert.strictEqual(judge(gif(16, 2001)), '234039: Image is 16×2001 px; the limit is 2000×2000 for GIF.');
      assert.strictEqual(judge(png(12000, 12000)), 'ok 12000x12000 png');
      assert.strictEqual(judge(png(8, 12001)), '234039: Image is 8×12001 px; the limit is 12000×12000 for PNG.');
      assert.strictEqual(judge(png(4096, 4096), 'avatar'), 'ok 4096x4096 png');
      assert.strictEqual(judge(png(8, 4097), 'avatar'), '234039: Image is 8×4097 px; the limit is 4096×4096 for avatar images.');
      assert.strictEqual(judge(gif(2000, 2000), 'avatar'), 'ok 2000x2000 gif');
      assert.strictEqual(judge(png(0, 5)), '234011: The PNG header declares no usable size (0×5 px).');
    });
  });
});
