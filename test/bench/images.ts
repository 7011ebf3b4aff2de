// Distinct, valid PNGs for the benchmark: the fixture PNG with one private ancillary chunk
// inserted before IEND (CRC kept right), so every file has its own sha256 (dedupe must not skip
// them) while staying a real 64×48 PNG for our validator and the stand-in server's image-size.
import { promises as fsp } from 'fs';
import * as path from 'path';
import { insertBeforeIend, pngChunk } from '../fixtures/generate';

/** `base` with a small chunk carrying `index`: same picture, distinct bytes. */
export function distinctPng(base: Buffer, index: number): Buffer {
  return insertBeforeIend(base, pngChunk('bnCh', Buffer.from(`lark-bench-${index}`, 'latin1')));
}

/** Writes `count` distinct PNGs named img-0000.png … into `dir`; returns their paths in order. */
export async function writeDistinctPngs(base: Buffer, dir: string, count: number, prefix = 'img'): Promise<string[]> {
  await fsp.mkdir(dir, { recursive: true });
  const paths = Array.from({ length: count }, (_, i) => path.join(dir, `${prefix}-${String(i).padStart(4, '0')}.png`));
  await Promise.all(paths.map((p, i) => fsp.writeFile(p, distinctPng(base, i))));
  return paths;
}
