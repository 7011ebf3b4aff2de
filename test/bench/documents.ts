// The bench's `documents` section (issue 10):
//   - scanning a 1 MB Markdown document for image references (target ≤ 50 ms), in-process;
//   - an 8 MB document with 2,000 local references scanned in the extension's worker thread
//     (dist/referencesWorker.js): the scan's wall time, and how long the calling thread's event
//     loop was ever blocked meanwhile (the "no freeze" figure: the extension host keeps running);
//   - `rewrite` of a document naming 200 distinct local images against the stand-in server in its
//     own process, wall time over the rate-limit floor (N − 50) / 50 s (target ≤ 1.10, as the batch).
import { promises as fsp } from 'fs';
import * as path from 'path';
import { monitorEventLoopDelay, performance } from 'perf_hooks';
import { findImageReferences } from '../../src/core/references';
import { rewriteMain } from '../../src/cliRewrite';
import { ReferenceScanner } from '../../src/vscode/referenceScanner';
import { markdownDocument } from './references';
import { RemoteServer } from './serverProcess';

const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

export interface DocumentFigures {
  scan1MB: { bytes: number; references: number; medianMs: number; minMs: number; maxMs: number; runs: number };
  worker8MB: { bytes: number; references: number; local: number; wallMs: number; maxEventLoopBlockMs: number };
  rewrite: { images: number; references: number; seconds: number; lowerBoundSeconds: number; ratio: number; failed: number; uploadRequests: number; exitCode: number };
}

/** `root`: the repository (for dist/referencesWorker.js); `images`: at least 200 distinct PNG files. */
export async function benchDocuments(root: string, tmp: string, images: readonly string[], runs = 15): Promise<DocumentFigures> {
  // 1 MB, in-process
  const text = markdownDocument(1_000_000);
  for (let i = 0; i < 3; i++) findImageReferences(text, 'markdown');
  const scans: number[] = [];
  let references = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    references = findImageReferences(text, 'markdown').length;
    scans.push(performance.now() - t0);
  }
  const scan1MB = { bytes: Buffer.byteLength(text), references, medianMs: round(median(scans)), minMs: round(Math.min(...scans)), maxMs: round(Math.max(...scans)), runs };

  // 8 MB with 2,000 local references, in the worker, while this thread's event loop is watched
  const dir = path.join(tmp, 'documents');
  await fsp.mkdir(dir, { recursive: true });
  const local = images.slice(0, 200);
  const lines: string[] = [];
  for (let i = 0; i < 2000; i++) lines.push(`![figure ${i}](${path.relative(dir, local[i % local.length]).split(path.sep).join('/')})`);
  const filler = markdownDocument(8_000_000 - lines.join('\n').length);
  const big = `${lines.slice(0, 1000).join('\n')}\n\n${filler}\n\n${lines.slice(1000).join('\n')}\n`;
  const scanner = ReferenceScanner.forExtension(root);
  try {
    await scanner.scan({ text: '![warm](up.png)', language: 'markdown', documentDir: dir, roots: [] }); // the worker's start-up is not the scan
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const t0 = performance.now();
    const result = await scanner.scan({ text: big, language: 'markdown', documentDir: dir, roots: [tmp] });
    const wallMs = performance.now() - t0;
    delay.disable();
    const worker8MB = {
      bytes: Buffer.byteLength(big),
      references: result.local.length + result.notLocal.length,
      local: result.local.length,
      wallMs: round(wallMs),
      maxEventLoopBlockMs: round(delay.max / 1e6),
    };

    // rewrite: 200 distinct local images, the stand-in server in its own process
    const doc = path.join(dir, 'card.md');
    await fsp.writeFile(doc, local.map((f, i) => `![image ${i}](${path.relative(dir, f).split(path.sep).join('/')})`).join('\n') + '\n');
    const server = await RemoteServer.start({});
    let rewrite: DocumentFigures['rewrite'];
    try {
      const out: string[] = [];
      const t1 = performance.now();
      const exitCode = await rewriteMain(
        ['--base-url', server.baseUrl, doc],
        { stdout: (l) => out.push(l), stderr: () => undefined, env: { LARK_APP_ID: server.demo.appId, LARK_APP_SECRET: server.demo.appSecret } },
        { hints: () => [] },
      );
      const seconds = (performance.now() - t1) / 1000;
      const st = await server.stats();
      const lowerBound = (local.length - 50) / 50;
      rewrite = {
        images: local.length,
        references: out.length,
        seconds: round(seconds, 3),
        lowerBoundSeconds: lowerBound,
        ratio: round(seconds / lowerBound, 3),
        failed: out.filter((l) => (JSON.parse(l) as { ok: boolean }).ok === false).length,
        uploadRequests: st.uploadRequests,
        exitCode,
      };
    } finally {
      await server.close();
    }
    return { scan1MB, worker8MB, rewrite };
  } finally {
    scanner.dispose();
  }
}
