// The `fit` section of `npm run bench` (issue 9): time and peak RSS over idle to fit, per input,
// with the WebAssembly build of sharp the .vsix ships and with the native build installed here
// (the alternative, measured in the same run). Inputs are generated here, deterministically:
// a 14000×9000 JPEG (smooth, photo-like), a ~15 MB PNG screenshot (noisy: incompressible), an
// SVG of 4000×3000, and a 2400×1600 animated GIF of 4 frames.
//   node out/test/bench/fitBench.js        (alone; bench.ts calls benchFit too)
import { spawn } from 'child_process';
import { promises as fsp, mkdtempSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { noise } from '../support/noise';

const MB = 1_000_000;


export async function makeFitInputs(dir: string): Promise<Record<string, string>> {
  await fsp.mkdir(dir, { recursive: true });
  const files: Record<string, string> = {};
  // 14000×9000 JPEG: 140×90 noise blown up (smooth like a photo), q90
  files['jpeg 14000×9000'] = path.join(dir, 'photo.jpg');
  await sharp(noise(140 * 90 * 3, 1), { raw: { width: 140, height: 90, channels: 3 } })
    .resize(14000, 9000, { kernel: 'cubic' })
    .jpeg({ quality: 90 })
    .toFile(files['jpeg 14000×9000']);
  // PNG screenshot over 10 MiB: 2700×2000 noise, fast compression
  files['png screenshot'] = path.join(dir, 'screenshot.png');
  await sharp(noise(2700 * 2000 * 3, 2), { raw: { width: 2700, height: 2000, channels: 3 } }).png({ compressionLevel: 1 }).toFile(files['png screenshot']);
  // SVG: 4000×3000, 400 shapes
  files['svg 4000×3000'] = path.join(dir, 'drawing.svg');
  const shapes = Array.from({ length: 400 }, (_, i) => `<circle cx="${(i * 97) % 4000}" cy="${(i * 61) % 3000}" r="${20 + (i % 90)}" fill="hsl(${(i * 37) % 360},70%,50%)" fill-opacity="0.6"/>`);
  await fsp.writeFile(files['svg 4000×3000'], `<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="3000">${shapes.join('')}</svg>`);
  // animated GIF 2400×1600, 4 frames: gradient with a moving disc
  const [w, h, n] = [2400, 1600, 4];
  const raw = Buffer.alloc(w * h * n * 3);
  for (let f = 0; f < n; f++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = ((f * h + y) * w + x) * 3;
        const disc = (x - 600 - f * 300) ** 2 + (y - 800) ** 2 < 250000;
        raw[i] = disc ? 255 : (x * 255) / w;
        raw[i + 1] = disc ? 40 : (y * 255) / h;
        raw[i + 2] = f * 60;
      }
    }
  }
  files['gif 2400 px, 4 frames'] = path.join(dir, 'anim.gif');
  await sharp(raw, { raw: { width: w, height: h * n, channels: 3, pageHeight: h } }).gif({ loop: 0, delay: [100, 100, 100, 100], effort: 1 }).toFile(files['gif 2400 px, 4 frames']);
  return files;
}

interface FitSample {
  input: string;
  engine: string;
  seconds: number;
  peakOverIdleMB: number;
  inMB: number;
  outMB: number;
  result: string;
}

function runChild(file: string, engine: 'wasm' | 'native'): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'fitChild.js'), JSON.stringify({ file, engine })], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<string, unknown>) : reject(new Error(`fit child (${engine}) exited ${code}: ${err.trim().slice(0, 400)}`))));
  });
}

export async function benchFit(tmp: string, log: (msg: string) => void): Promise<FitSample[]> {
  const inputs = await makeFitInputs(path.join(tmp, 'fit'));
  const samples: FitSample[] = [];
  for (const [input, file] of Object.entries(inputs)) {
    for (const engine of ['wasm', 'native'] as const) {
      const r = await runChild(file, engine);
      const s: FitSample = {
        input,
        engine: String(r.engine),
        seconds: Math.round(Number(r.ms)) / 1000,
        peakOverIdleMB: Math.round((Number(r.peakRss) - Number(r.idleRss)) / MB),
        inMB: Math.round(Number(r.inBytes) / 1e4) / 100,
        outMB: Math.round(Number(r.outBytes) / 1e4) / 100,
        result: `${r.format} ${r.width}×${r.height}${r.firstFrameOnly ? ' (first frame)' : ''}`,
      };
      log(`  fit ${input} [${s.engine}]: ${s.seconds} s, +${s.peakOverIdleMB} MB, ${s.inMB} MB -> ${s.outMB} MB ${s.result}`);
      samples.push(s);
    }
  }
  return samples;
}

export function fitTable(samples: FitSample[]): string {
  const rows = samples.map((s) => `| ${s.input} | ${s.engine} | ${s.seconds} s | ${s.peakOverIdleMB} MB | ${s.inMB} → ${s.outMB} MB, ${s.result} |`);
  return ['| fit: input | sharp build | time | peak RSS over idle | result |', '|---|---|---|---|---|', ...rows].join('\n');
}

if (require.main === module) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'lark-bench-fit-'));
  const started = os.loadavg()[0];
  benchFit(tmp, (m) => process.stderr.write(`[bench] ${m}\n`))
    .then((samples) => console.log(`${fitTable(samples)}\n\nload average ${started.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end`))
    .catch((e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    })
    .finally(() => rmSync(tmp, { recursive: true, force: true }));
}
