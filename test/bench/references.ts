// `npx tsc -p . && node out/test/bench/references.js [--runs N]`
//
// Issue 10's scanning figure: findImageReferences on a 1 MB Markdown document (target ≤ 50 ms),
// and rewriteReferences on it. The document mixes what card markdown and READMEs hold:
// headings, paragraphs with inline images and inline code, lists, tables, fenced code, HTML
// <img> blocks, links and URLs; about one local image reference per 500 bytes. Each figure is
// the median of --runs (default 15) after 3 warm-up runs (the first call also builds the parser).
import * as os from 'os';
import { performance } from 'perf_hooks';
import { findImageReferences } from '../../src/core/references';
import { rewriteReferences } from '../../src/core/rewrite';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 15;

/** A Markdown document of at least `bytes` bytes. */
export function markdownDocument(bytes: number): string {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const block = [
      `## Section ${i}`,
      '',
      `Some text about figure ${i}, with ![chart ${i}](./charts/chart-${i % 200}.png "Figure ${i}") and a link to [the docs](https://open.larksuite.com/document/${i}).`,
      `Inline code \`![not](code-${i}.png)\` stays, **bold** and _emphasis_ too; a remote ![web](https://example.com/${i}.png).`,
      '',
      `- item one ![icon](<icons/icon ${i % 50}.png>)`,
      `- item two with a longer sentence that wraps the way prose does in a document like this one`,
      '',
      '| name | picture |',
      '|---|---|',
      `| row ${i} | ![cell](cells/${i % 30}.png) |`,
      '',
      '```js',
      `const img = "![not](fenced-${i}.png)"; // code is never touched`,
      '```',
      '',
      `<p align="center"><img src="banners/banner-${i % 10}.png" width="600"></p>`,
      '',
      'Plain paragraph text without any image, to make the document read like one. '.repeat(3),
      '',
    ].join('\n');
    parts.push(block);
    size += Buffer.byteLength(block) + 1;
  }
  return parts.join('\n');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time<T>(fn: () => T): { ms: number; result: T } {
  const t0 = performance.now();
  const result = fn();
  return { ms: performance.now() - t0, result };
}

function main(): void {
  const text = markdownDocument(1_000_000);
  const warm = time(() => findImageReferences(text, 'markdown'));
  for (let i = 0; i < 2; i++) findImageReferences(text, 'markdown');
  const scans: number[] = [];
  for (let i = 0; i < runs; i++) scans.push(time(() => findImageReferences(text, 'markdown')).ms);
  const refs = warm.result;
  const keys = new Map(refs.map((r, i) => [r.ref, `img_v2_${String(i).padStart(8, '0')}-0000-0000-0000-000000000000`]));
  const rewrites: number[] = [];
  for (let i = 0; i < runs; i++) rewrites.push(time(() => rewriteReferences(text, refs, keys)).ms);
  const figures = {
    documentBytes: Buffer.byteLength(text),
    references: refs.length,
    distinctRefs: keys.size,
    firstScanMs: Math.round(warm.ms * 10) / 10,
    scanMedianMs: Math.round(median(scans) * 10) / 10,
    scanMinMs: Math.round(Math.min(...scans) * 10) / 10,
    scanMaxMs: Math.round(Math.max(...scans) * 10) / 10,
    loadAverage: Math.round(os.loadavg()[0] * 10) / 10,
    cpus: os.cpus().length,
    rewriteMedianMs: Math.round(median(rewrites) * 10) / 10,
    runs,
    node: process.version,
  };
  console.log(JSON.stringify(figures));
  console.log(`| scan 1 MB Markdown (${figures.references} references) | ${figures.scanMedianMs} ms median (min ${figures.scanMinMs}, max ${figures.scanMaxMs}, first ${figures.firstScanMs}; load ${figures.loadAverage} on ${figures.cpus} CPUs) | target ≤ 50 ms |`);
  console.log(`| rewrite it | ${figures.rewriteMedianMs} ms median | |`);
}

if (require.main === module) main();
