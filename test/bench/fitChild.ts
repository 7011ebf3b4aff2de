// Child process of the fit benchmark (one per input and engine, so each starts from a clean heap):
//   node out/test/bench/fitChild.js '<json: {file, engine: "wasm"|"native", imageType}>'
// engine "wasm": the native @img/sharp-<os>-<cpu> is made unfindable before sharp loads, so sharp
// falls back to @img/sharp-wasm32 (what the .vsix ships). Warms up (sharp loaded, one tiny fit),
// takes the idle RSS, then samples RSS every 20 ms while fitting `file`. Prints one JSON line.
import Module from 'module';
import { promises as fsp } from 'fs';
import { performance } from 'perf_hooks';

interface Args {
  file: string;
  engine: 'wasm' | 'native';
}

function hideNativeSharp(): void {
  const m = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = m._resolveFilename;
  m._resolveFilename = function (request: string, ...rest: unknown[]) {
    if (/^@img\/sharp-(?!wasm32)[^/]+\/sharp\.node$/.test(request) || /build\/Release\/sharp-/.test(request)) {
      throw Object.assign(new Error(`Cannot find module '${request}'`), { code: 'MODULE_NOT_FOUND' });
    }
    return original.call(this, request, ...rest);
  };
}

async function main(): Promise<void> {
  const a = JSON.parse(process.argv[2]) as Args;
  if (a.engine === 'wasm') hideNativeSharp();
  const { fitImage } = await import('../../src/core/fit');
  const { gradientPng } = await import('../support/pngMaker');
  await fitImage({ bytes: gradientPng(12100, 4) }, { imageType: 'message' }); // loads and warms sharp
  const bytes = await fsp.readFile(a.file);
  await new Promise((r) => setTimeout(r, 200));
  const idleRss = process.memoryUsage().rss;
  let peakRss = idleRss;
  const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
  const t0 = performance.now();
  const r = await fitImage({ bytes }, { imageType: 'message' });
  const ms = performance.now() - t0;
  clearInterval(timer);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  console.log(JSON.stringify({ ms: Math.round(ms), idleRss, peakRss, engine: r.engine, inBytes: bytes.length, outBytes: r.bytes.length, format: r.format, width: r.width, height: r.height, original: r.original, firstFrameOnly: r.firstFrameOnly ?? false }));
  process.exit(0); // the WebAssembly build's worker threads would keep the process alive
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exit(1);
});
