// core/fit.ts on images made here with sharp: an image within the limits comes back byte-for-byte
// (the codec is not even loaded); every kind of over-limit image comes back within the limits
// with its aspect ratio (±1 px), upright and without metadata; transparency stays; an animated
// GIF stays animated; SVG and AVIF are converted; bombs are refused from the header before the
// codec is loaded; corrupt, truncated and undecodable inputs keep a code; cancelling gives 9104.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import crc32 from 'buffer-crc32';
import sharp from 'sharp';
import { fitDimensions, fitImage, loadSharp, PIXEL_BUDGET, type FitOptions, type FitResult, type Sharp } from '../../src/core/fit';
import { validateImageBytes } from '../../src/core/validate';
import { LocalCode, MAX_IMAGE_BYTES } from '../../src/core/types';
import type { UploadError } from '../../src/core/larkErrors';
import { noise } from '../support/noise';

/** A loader that counts its calls (and hands out the real sharp). */
function countingLoader(): { load: () => Sharp; calls: () => number } {
  let calls = 0;
  return {
    load: () => {
      calls++;
      return loadSharp();
    },
    calls: () => calls,
  };
}


async function rejection(p: Promise<unknown>): Promise<UploadError> {
  try {
    await p;
  } catch (e) {
    return e as UploadError;
  }
  assert.fail('expected a rejection');
}

/** The result is what Lark takes for `imageType` (the same validation an upload runs). */
function assertAccepted(r: FitResult, imageType: 'message' | 'avatar' = 'message'): void {
  assert.ok(r.bytes.length <= MAX_IMAGE_BYTES, `${r.bytes.length} bytes`);
  const v = validateImageBytes(r.bytes, imageType);
  assert.ok(v.ok, v.ok ? '' : `${v.code}: ${v.message}`);
  assert.deepStrictEqual([v.info.width, v.info.height, v.info.format], [r.width, r.height, r.format]);
}

/** Same aspect ratio as width × height, within one pixel of rounding. */
function assertAspect(r: FitResult, width: number, height: number): void {
  const expectedHeight = (r.width * height) / width;
  assert.ok(Math.abs(r.height - expectedHeight) <= 1, `${r.width}×${r.height} is not ${width}:${height}`);
}

const message: FitOptions = { imageType: 'message' };

suite('fit: within the limits', () => {
  test('an image within the limits comes back byte-for-byte, and the codec is never loaded', async () => {
    const png = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#3370ff' } }).png().toBuffer();
    const loader = countingLoader();
    const r = await fitImage({ bytes: png }, { imageType: 'message', loadSharp: loader.load });
    assert.strictEqual(r.fitted, false);
    assert.ok(Buffer.from(r.bytes).equals(png), 'bytes changed');
    assert.deepStrictEqual([r.format, r.width, r.height], ['png', 640, 480]);
    assert.strictEqual(loader.calls(), 0);
  });

  test('from a path: the file bytes, unchanged', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-fit-'));
    try {
      const file = path.join(dir, 'photo.jpg');
      const jpg = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#ff7000' } }).jpeg().toBuffer();
      fs.writeFileSync(file, jpg);
      const r = await fitImage({ path: file }, message);
      assert.strictEqual(r.fitted, false);
      assert.ok(Buffer.from(r.bytes).equals(jpg));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('what fitting cannot cure keeps its code: empty (234010), missing file (9001)', async () => {
    assert.strictEqual((await rejection(fitImage({ bytes: new Uint8Array(0) }, message))).code, 234010);
    assert.strictEqual((await rejection(fitImage({ path: path.join(os.tmpdir(), 'lark-fit-no-such-file.png') }, message))).code, LocalCode.FileNotFound);
  });
});

suite('fit: over the limits', function () {
  this.timeout(120000);

  test('fitDimensions: no more shrinking than the side limit needs, aspect ratio kept', () => {
    assert.deepStrictEqual(fitDimensions(13000, 6500, 12000), { width: 12000, height: 6000 });
    assert.deepStrictEqual(fitDimensions(6500, 13000, 12000), { width: 6000, height: 12000 });
    assert.deepStrictEqual(fitDimensions(800, 600, 12000), { width: 800, height: 600 });
    assert.deepStrictEqual(fitDimensions(4097, 1, 4096), { width: 4096, height: 1 });
  });

  test('a PNG wider than 12000 px: 12000 wide, aspect kept, still a PNG', async () => {
    const png = await sharp({ create: { width: 12500, height: 300, channels: 3, background: '#808080' } }).png().toBuffer();
    const r = await fitImage({ bytes: png }, message);
    assert.strictEqual(r.fitted, true);
    assertAccepted(r);
    assert.deepStrictEqual([r.format, r.width], ['png', 12000]);
    assertAspect(r, 12500, 300);
    assert.deepStrictEqual(r.original, { width: 12500, height: 300, format: 'png', size: png.length });
  });

  test('avatar: any side over 4096 px is brought to 4096', async () => {
    const jpg = await sharp({ create: { width: 5000, height: 2500, channels: 3, background: '#336699' } }).jpeg().toBuffer();
    const r = await fitImage({ bytes: jpg }, { imageType: 'avatar' });
    assertAccepted(r, 'avatar');
    assert.deepStrictEqual([r.format, r.width, r.height], ['jpg', 4096, 2048]);
  });

  test('a still GIF wider than 2000 px stays a GIF, 2000 wide', async () => {
    const gif = await sharp({ create: { width: 2400, height: 120, channels: 3, background: '#336699' } }).gif().toBuffer();
    const r = await fitImage({ bytes: gif }, message);
    assertAccepted(r);
    assert.deepStrictEqual([r.format, r.width], ['gif', 2000]);
    assertAspect(r, 2400, 120);
  });

  test('an opaque PNG over 10 MiB: under 10 MiB, same size if an encoding allows it', async () => {
    const [w, h] = [2200, 1700];
    const png = await sharp(noise(w * h * 3), { raw: { width: w, height: h, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer();
    assert.ok(png.length > MAX_IMAGE_BYTES, `the fixture is only ${png.length} bytes`);
    const r = await fitImage({ bytes: png }, message);
    assertAccepted(r);
    assertAspect(r, w, h);
  });

  test('a transparent PNG over 10 MiB stays transparent (PNG or WebP)', async () => {
    const [w, h] = [1900, 1600];
    const png = await sharp(noise(w * h * 4, 12345), { raw: { width: w, height: h, channels: 4 } }).png({ compressionLevel: 1 }).toBuffer();
    assert.ok(png.length > MAX_IMAGE_BYTES, `the fixture is only ${png.length} bytes`);
    const r = await fitImage({ bytes: png }, message);
    assertAccepted(r);
    assert.ok(r.format === 'png' || r.format === 'webp', r.format);
    assert.strictEqual((await sharp(r.bytes).metadata()).hasAlpha, true);
    assertAspect(r, w, h);
  });

  test('an EXIF-rotated JPEG comes out upright, with no EXIF (no GPS) left', async () => {
    // stored 12400×200, left half red, right half blue; orientation 6 = turn 90° clockwise to show
    const [w, h] = [12400, 200];
    const left = await sharp({ create: { width: w / 2, height: h, channels: 3, background: '#ff0000' } }).png().toBuffer();
    const jpg = await sharp({ create: { width: w, height: h, channels: 3, background: '#0000ff' } })
      .composite([{ input: left, left: 0, top: 0 }])
      .jpeg()
      .withMetadata({ orientation: 6, exif: { IFD0: { Make: 'TestCam' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 0/1' } } })
      .toBuffer();
    const before = await sharp(jpg).metadata();
    assert.strictEqual(before.orientation, 6, 'the fixture has no orientation');
    assert.ok(before.exif && before.exif.includes(Buffer.from('TestCam')), 'the fixture has no EXIF');
    const r = await fitImage({ bytes: jpg }, message);
    assertAccepted(r);
    assert.deepStrictEqual([r.width, r.height], [Math.round((12000 * h) / w), 12000], 'not upright (width and height not swapped)');
    const after = await sharp(r.bytes).metadata();
    assert.strictEqual(after.exif, undefined, 'EXIF left in the result');
    assert.strictEqual(after.orientation, undefined);
    assert.strictEqual(after.xmp, undefined);
    // turned clockwise, the stored left (red) is at the top
    const { data, info } = await sharp(r.bytes).raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3));
    const [top, bottom] = [at(Math.floor(info.width / 2), 10), at(Math.floor(info.width / 2), info.height - 10)];
    assert.ok(top[0] > 200 && top[2] < 60, `top is not red: ${top}`);
    assert.ok(bottom[2] > 200 && bottom[0] < 60, `bottom is not blue: ${bottom}`);
  });

  test('an animated GIF over 2000 px keeps its animation', async () => {
    const [w, h, frames] = [2200, 300, 3];
    const raw = Buffer.alloc(w * h * frames * 3);
    for (let f = 0; f < frames; f++) raw.fill(f * 100, f * w * h * 3, (f + 1) * w * h * 3);
    const gif = await sharp(raw, { raw: { width: w, height: h * frames, channels: 3, pageHeight: h } }).gif({ loop: 0, delay: [100, 100, 100] }).toBuffer();
    const r = await fitImage({ bytes: gif }, message);
    assertAccepted(r);
    assert.strictEqual(r.format, 'gif');
    assert.strictEqual(r.firstFrameOnly, undefined);
    const meta = await sharp(r.bytes, { animated: true }).metadata();
    assert.strictEqual(meta.pages, frames);
    assert.strictEqual(meta.width, 2000);
    assert.ok(Math.abs((meta.pageHeight ?? 0) - (2000 * h) / w) <= 1, `frame height ${meta.pageHeight}`);
  });

  test('SVG is drawn at its intrinsic size as a PNG; a huge one within 12000 px', async () => {
    const svg = (w: number, h: number) => Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect x="0" y="0" width="${w / 2}" height="${h}" fill="#3370ff"/></svg>`);
    const small = await fitImage({ bytes: svg(300, 200) }, message);
    assertAccepted(small);
    assert.deepStrictEqual([small.format, small.width, small.height, small.original.format], ['png', 300, 200, 'svg']);
    const huge = await fitImage({ bytes: svg(24000, 1200) }, message);
    assertAccepted(huge);
    assert.deepStrictEqual([huge.width, huge.height], [12000, 600]);
  });

  test('AVIF (a format Lark does not take) is converted: opaque -> JPEG', async () => {
    const avif = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#00aa00' } }).avif().toBuffer();
    const r = await fitImage({ bytes: avif }, message);
    assertAccepted(r);
    assert.deepStrictEqual([r.format, r.width, r.height, r.original.format], ['jpg', 200, 100, 'heif']);
  });
});

/** A PNG that is only a header: IHDR for width × height, one empty IDAT, IEND. */
function pngHeaderOnly(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    return Buffer.concat([len, body, crc32(body)]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', Buffer.alloc(0)), chunk('IEND', Buffer.alloc(0))]);
}

suite('fit: bad input, safely', function () {
  this.timeout(60000);

  test('a tiny PNG declaring 100000×100000 px is refused from its header: the codec is never loaded', async () => {
    const bomb = pngHeaderOnly(100000, 100000);
    assert.ok(bomb.length < 100);
    const loader = countingLoader();
    const e = await rejection(fitImage({ bytes: bomb }, { imageType: 'message', loadSharp: loader.load }));
    assert.strictEqual(e.code, 234039);
    assert.match(e.message, /100000×100000 px .*refused before decoding/);
    assert.strictEqual(loader.calls(), 0);
  });

  test('a highly compressible huge image (16000×16000 of one colour) is refused before decoding', async () => {
    const solid = await sharp({ create: { width: 16000, height: 16000, channels: 3, background: '#000000' }, limitInputPixels: false }).png({ compressionLevel: 9 }).toBuffer();
    assert.ok(solid.length < 2 * 1024 * 1024, `${solid.length} bytes`);
    assert.ok(16000 * 16000 > PIXEL_BUDGET);
    const loader = countingLoader();
    const e = await rejection(fitImage({ bytes: solid }, { imageType: 'message', loadSharp: loader.load }));
    assert.strictEqual(e.code, 234039);
    assert.strictEqual(loader.calls(), 0);
  });

  test("frames count: an over-limit animated GIF is checked against the budget from sharp's header", async () => {
    const [w, h, frames] = [2100, 16, 20];
    // frames that differ (identical ones would be merged by the encoder)
    const raw = Buffer.alloc(w * h * frames * 3);
    for (let f = 0; f < frames; f++) raw.fill(f * 12, f * w * h * 3, (f + 1) * w * h * 3);
    const gif = await sharp(raw, { raw: { width: w, height: h * frames, channels: 3, pageHeight: h } }).gif().toBuffer();
    const e = await rejection(fitImage({ bytes: gif }, { imageType: 'message', pixelBudget: w * h * 10 }));
    assert.strictEqual(e.code, 234039);
    assert.match(e.message, /2100×16 px × 20 frames .*refused before decoding/);
  });

  test('corrupt and truncated images fail with 234011', async () => {
    const png = await sharp(noise(12500 * 40 * 3), { raw: { width: 12500, height: 40, channels: 3 } }).png().toBuffer();
    const truncated = png.subarray(0, Math.floor(png.length / 2));
    assert.strictEqual((await rejection(fitImage({ bytes: truncated }, message))).code, 234011);
    const garbage = Buffer.concat([Buffer.from('<?xml version="1.0"?><nothing/>'), noise(100)]);
    const e = await rejection(fitImage({ bytes: garbage }, message));
    assert.strictEqual(e.code, 234011);
  });

  test('a BMP over the limits keeps its code and names the decoder it would need; the codec is not loaded', async () => {
    const bmp = Buffer.alloc(54);
    bmp.write('BM', 0, 'latin1');
    bmp.writeUInt32LE(54, 2);
    bmp.writeUInt32LE(54, 10);
    bmp.writeUInt32LE(40, 14); // BITMAPINFOHEADER
    bmp.writeInt32LE(13000, 18);
    bmp.writeInt32LE(10, 22);
    bmp.writeUInt16LE(1, 26);
    bmp.writeUInt16LE(24, 28);
    const loader = countingLoader();
    const e = await rejection(fitImage({ bytes: bmp }, { imageType: 'message', loadSharp: loader.load }));
    assert.strictEqual(e.code, 234039);
    assert.match(e.message, /BMP decoder/);
    assert.strictEqual(loader.calls(), 0);
  });

  test('cancelled before it starts, or while the codec loads: 9104', async () => {
    const png = await sharp({ create: { width: 12500, height: 20, channels: 3, background: '#808080' } }).png().toBuffer();
    const before = new AbortController();
    before.abort();
    assert.strictEqual((await rejection(fitImage({ bytes: png }, { imageType: 'message', signal: before.signal }))).code, LocalCode.Cancelled);
    const during = new AbortController();
    const e = await rejection(
      fitImage({ bytes: png }, {
        imageType: 'message',
        signal: during.signal,
        loadSharp: () => {
          during.abort();
          return loadSharp();
        },
      }),
    );
    assert.strictEqual(e.code, LocalCode.Cancelled);
    assert.strictEqual(e.message, 'Cancelled.');
  });
});
