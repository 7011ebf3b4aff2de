// `npm run mock-lark` (out/test/larkServer/main.js) as a new user runs it: the line it prints for
// the CLI, pasted into a shell, is all the CLI needs.
import * as assert from 'assert';
import * as cp from 'child_process';
import * as path from 'path';
import { generateFixtures } from '../fixtures/generate';
import * as fs from 'fs';
import * as os from 'os';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const MAIN = path.join(ROOT, 'out', 'test', 'larkServer', 'main.js');
const CLI = path.join(ROOT, 'dist', 'cli.js');

suite('mock-lark prints the CLI variables as one line to paste', () => {
  let server: cp.ChildProcess | undefined;
  let tmp: string;
  suiteSetup(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-mock-'));
  });
  suiteTeardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  teardown(() => {
    server?.kill('SIGTERM');
    server = undefined;
  });

  test('the pasted line runs the CLI against the stand-in, in a shell, with no other setting', async function () {
    this.timeout(30000);
    const child = cp.spawn(process.execPath, [MAIN, '--port', '0', '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
    server = child;
    let out = '';
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^export LARK_BASE_URL=\S+ LARK_APP_ID=\S+ LARK_APP_SECRET=\S+$/m.exec(out);
        if (m) resolve(m[0]);
      });
      child.on('exit', (code) => reject(new Error(`mock-lark exited (${code}) before printing the line:\n${out}`)));
    });
    assert.match(line, /LARK_BASE_URL=http:\/\/127\.0\.0\.1:\d+ /);
    const png = (await generateFixtures(path.join(tmp, 'fx'))).png;
    // what the user does: paste the line, then run the CLI (a clean environment: nothing else set)
    const result = cp.spawnSync('sh', ['-c', `${line}\nexec "$0" "$1" "$2"`, process.execPath, CLI, png], {
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
      timeout: 20000,
    });
    assert.strictEqual(result.status, 0, result.stderr);
    const answer = JSON.parse(result.stdout.trim()) as { ok: boolean; imageKey?: string };
    assert.strictEqual(answer.ok, true, result.stdout);
    assert.match(String(answer.imageKey), /^img_v2_/);
  });
});
