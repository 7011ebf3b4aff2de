// Child process of the memory benchmark (one per contender, so each starts from a clean heap):
//   node --expose-gc out/test/bench/memChild.js '<json: {mode, baseUrl, appId, appSecret, warmFile, files, concurrency}>'
// Warms up (modules loaded, token fetched, one small upload), settles, takes the idle RSS, then
// samples process.memoryUsage().rss every 20 ms while uploading `files` at `concurrency` (with
// gcEachSample: after a full GC each time, which shows what is live rather than what awaits the GC).
// Prints one JSON line: { idleRss, peakRss, samples, uploaded, lost, seconds, breakdown } (breakdown:
// process.memoryUsage() fields at the peak sample, over idle).
import { performance } from 'perf_hooks';
import { LarkClient } from '../../src/core/larkClient';
import { RateLimiter, UploadScheduler } from '../../src/core/scheduler';
import { DedupeIndex, MemoryStore } from '../../src/core/dedupe';
import { uploadFiles } from '../../src/core/uploadFiles';
import { sdkClient, sdkUpload } from './sdk';

interface Args {
  mode: 'ours' | 'sdk';
  baseUrl: string;
  appId: string;
  appSecret: string;
  warmFile: string;
  files: string[];
  concurrency: number;
  /** A full GC before every sample: the peak of what is still referenced, without garbage. */
  gcEachSample?: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

async function main(): Promise<void> {
  const a = JSON.parse(process.argv[2]) as Args;
  let upload: (files: string[]) => Promise<number>; // resolves to the number of image keys obtained
  if (a.mode === 'ours') {
    const client = new LarkClient({ baseUrl: a.baseUrl, credentials: { kind: 'app', appId: a.appId, appSecret: a.appSecret } });
    const limiter = new RateLimiter();
    const dedupe = new DedupeIndex(new MemoryStore());
    upload = async (files) => {
      const scheduler = new UploadScheduler({ concurrency: a.concurrency, limiter });
      const out = await uploadFiles(files, { client, scheduler, imageType: 'message', dedupe });
      return out.filter((o) => o.ok).length;
    };
  } else {
    const client = sdkClient(a.baseUrl, a.appId, a.appSecret);
    upload = async (files) => {
      let next = 0;
      let ok = 0;
      const worker = async (): Promise<void> => {
        while (next < files.length) {
          const f = files[next++];
          if (await sdkUpload(client, f)) ok++;
        }
      };
      await Promise.all(Array.from({ length: Math.min(a.concurrency, files.length) }, worker));
      return ok;
    };
  }

  // warm-up: code paths loaded and compiled, token cached, a keep-alive socket if any
  if ((await upload([a.warmFile])) !== 1) throw new Error('warm-up upload failed');
  await sleep(300);
  gc();
  await sleep(200);
  gc();
  const idleRss = process.memoryUsage().rss;

  const idle = process.memoryUsage();
  let peakRss = idleRss;
  let atPeak = idle;
  let samples = 0;
  const timer = setInterval(() => {
    if (a.gcEachSample) gc();
    const m = process.memoryUsage();
    samples++;
    if (m.rss > peakRss) {
      peakRss = m.rss;
      atPeak = m;
    }
  }, 20);
  const t0 = performance.now();
  const uploaded = await upload(a.files);
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  const last = process.memoryUsage().rss;
  if (last > peakRss) peakRss = last;
  // Where the peak sits: V8 heap, and memory outside it (Buffers/ArrayBuffers), each over idle.
  const over = (k: 'heapTotal' | 'heapUsed' | 'external' | 'arrayBuffers'): number => atPeak[k] - idle[k];
  const breakdown = { heapTotal: over('heapTotal'), heapUsed: over('heapUsed'), external: over('external'), arrayBuffers: over('arrayBuffers') };
  process.stdout.write(JSON.stringify({ idleRss, peakRss, samples, uploaded, lost: a.files.length - uploaded, seconds, breakdown }) + '\n');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
