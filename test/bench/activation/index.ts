// In-host "suite" for the activation benchmark: loaded by test/integration/runner.js as the
// extensionTestsPath (out/test/bench/activation), inside the real VS Code extension host.
// Measures the first activation of the (not yet active) extension: loading dist/extension.js
// plus running activate(), i.e. what `await ext.activate()` costs the first time.
// Writes one line `LARK_BENCH_ACTIVATION {json}` to the report file (env VSCODE_TEST_LOG, which
// the runner streams to its stdout) and the `N passed, N failed` line the runner expects.
import * as fs from 'fs';
import * as util from 'util';
import { performance } from 'perf_hooks';
import * as vscode from 'vscode';

// LARK_BENCH_EXTENSION_ID: the baseline run activates an empty extension instead (bench.ts).
const EXTENSION_ID = process.env.LARK_BENCH_EXTENSION_ID || 'lark-image-upload.lark-image-upload';

export async function run(): Promise<void> {
  const logFile = process.env.VSCODE_TEST_LOG;
  const write = (...a: unknown[]): void => {
    const line = util.format(...a);
    if (logFile) fs.appendFileSync(logFile, line + '\n');
    else console.log(line);
  };
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) {
    write(`LARK_BENCH_ACTIVATION ${JSON.stringify({ error: `${EXTENSION_ID} not found` })}`);
    write('0 passed, 1 failed');
    throw new Error('extension not found');
  }
  const wasActive = ext.isActive; // must be false: otherwise something activated it before us
  // CPU time of the extension host process over the same span: less sensitive than wall time to
  // other processes competing for the CPU (wall time also includes waiting for the workbench).
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await ext.activate();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const cpuMs = (c.user + c.system) / 1000;
  // A second call only returns the cached exports: shows the floor of the measurement itself.
  const t1 = performance.now();
  await ext.activate();
  const againMs = performance.now() - t1;
  write(`LARK_BENCH_ACTIVATION ${JSON.stringify({ id: EXTENSION_ID, ms, cpuMs, againMs, wasActive, isActive: ext.isActive, vscode: vscode.version })}`);
  write(wasActive ? '0 passed, 1 failed' : '1 passed, 0 failed');
  if (wasActive) throw new Error('the extension was already active before the measurement');
}
