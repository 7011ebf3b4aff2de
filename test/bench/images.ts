// Distinct, valid PNGs for the benchmark: the fixture PNG with one private ancillary chunk
// inserted before IEND (CRC kept right), so every file has its own sha256 (dedupe must not skip
// them) while staying a real 64×48 PNG for our validator and the stand-in server's image-size.
import { promises as fsp } from 'fs';
import * as path from 'path';
import crc32 from 'buffer-crc32';

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = crc32(Buffer.concat([head.subarray(4), data]));
  return Buffer.concat([head, data, crc]);
}

function insertBeforeIend(png: Buffer, extra: Buffer): Buffer {
  const iend = png.lastIndexOf(Buffer.from('IEND', 'latin1')) - 4; // the length field before it
  if (iend < 8) throw new Error('not a PNG (no IEND)');
  return Buffer.concat([png.subarray(0, iend), extra, png.subarray(iend)]);
}

/** `base` with a small chunk carrying `index`: same picture, distinct bytes. */
export function distinctPng(base: Buffer, index: number): Buffer {
  return insertBeforeIend(base, chunk('bnCh', Buffer.from(`lark-bench-${index}`, 'latin1')));
}

/** `base` padded to exactly `total` bytes with a private chunk whose content depends on `seed`. */
export function paddedPng(base: Buffer, total: number, seed: number): Buffer {
  const dataLen = total - base.length - 12;
  if (dataLen < 0) throw new Error('target smaller than the PNG');
  const data = Buffer.alloc(dataLen, seed & 0xff);
  data.writeUInt32BE(seed >>> 0, 0);
  const out = insertBeforeIend(base, chunk('laPd', data));
  if (out.length !== total) throw new Error(`paddedPng produced ${out.length} bytes, wanted ${total}`);
  return out;
}

/** Writes `count` distinct PNGs named img-0000.png … into `dir`; returns their paths in order. */
export async function writeDistinctPngs(base: Buffer, dir: string, count: number, prefix = 'img'): Promise<string[]> {
  await fsp.mkdir(dir, { recursive: true });
  const paths = Array.from({ length: count }, (_, i) => path.join(dir, `${prefix}-${String(i).padStart(4, '0')}.png`));
  await Promise.all(paths.map((p, i) => fsp.writeFile(p, distinctPng(base, i))));
  return paths;
}
