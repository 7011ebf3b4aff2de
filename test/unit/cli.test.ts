// The CLI contract, end to end: the built dist/cli.js as a child process against the stand-in server.
import * as assert from 'assert';
import * as cp from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { generateFixtures, type FixtureSet } from '../fixtures/generate';
import { startLarkServer, type LarkServer } from '../larkServer/server';

const CLI = path.resolve(__dirname, '..', '..', '..', 'dist', 'cli.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  lines: Record<string, unknown>[];
}

function runCli(args: string[], env: Record<string, string | undefined>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const clean: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
    const child = cp.spawn(process.execPath, [CLI, ...args], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code, stdout, stderr, lines });
    });
  });
}

suite('CLI (dist/cli.js) against the stand-in server', () => {
  let fx: FixtureSet;
  let tmp: string;
  let server: LarkServer;
  let env: Record<string, string>;

  suiteSetup(async function () {
    this.timeout(30000);
    assert.ok(fs.existsSync(CLI), 'dist/cli.js is missing: run `npm run build` first');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-cli-'));
    fx = await generateFixtures(path.join(tmp, 'fx'));
  });
  suiteTeardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  setup(async () => {
    server = await startLarkServer();
    env = { LARK_APP_ID: server.demo.appId, LARK_APP_SECRET: server.demo.appSecret };
  });
  teardown(() => server.close());

  function assertNoSecrets(run: Run): void {
    for (const text of [run.stdout, run.stderr]) {
      assert.ok(!text.includes(server.demo.appSecret), 'app secret leaked');
      assert.ok(!/\bt-[A-Za-z0-9_-]{10,}/.test(text), 'a tenant token leaked');
    }
  }

  test('valid files: one JSON line each in input order, keys exist on the server, exit 0', async () => {
    const files = [fx.png, fx.jpg, fx.webp, fx.gif, fx.tiff, fx.bmp, fx.ico, fx.pngNamedJpg, fx.unicodeName, fx.jpegLargeExif];
    const run = await runCli(['--base-url', server.baseUrl, ...files], env);
    assert.strictEqual(run.code, 0, run.stderr);
    assert.deepStrictEqual(run.lines.map((l) => l.file), files);
    for (const l of run.lines) {
      assert.strictEqual(l.ok, true);
      assert.match(String(l.imageKey), /^img_v2_/);
      assert.ok(server.images.has(String(l.imageKey)));
      assert.deepStrictEqual(Object.keys(l).sort(), ['file', 'imageKey', 'ok']);
    }
    assert.match(run.stderr, /10 uploaded, 0 failed/);
    assertNoSecrets(run);
  });

  test('every bad input gets its code, the rest uploads, exit 1', async () => {
    const cases: [string, number][] = [
      [fx.empty, 234010],
      [fx.over10MiB, 234006],
      [fx.textAsPng, 234011],
      [fx.svg, 234011],
      [fx.truncatedPng, 234011],
      [fx.gifTooBig, 234039],
      [fx.pngTooBig, 234039],
      [fx.hugeDeclared, 234039],
      [fx.aDirectory, 9002],
      [fx.missing, 9001],
      [fx.danglingSymlink, 9001],
    ];
    const files = [fx.png, ...cases.map((c) => c[0]), fx.exactly10MiB];
    const run = await runCli(['--base-url', server.baseUrl, ...files], env);
    assert.strictEqual(run.code, 1);
    assert.deepStrictEqual(run.lines.map((l) => l.file), files);
    assert.strictEqual(run.lines[0].ok, true);
    assert.strictEqual(run.lines[run.lines.length - 1].ok, true, 'exactly 10 MiB uploads');
    cases.forEach(([file, code], i) => {
      const line = run.lines[i + 1];
      assert.strictEqual(line.ok, false, file);
      assert.strictEqual(line.code, code, `${file}: ${JSON.stringify(line)}`);
      assert.ok(typeof line.message === 'string' && line.message.length > 5);
    });
    assert.strictEqual(server.uploads(), 2);
    assertNoSecrets(run);
  });

  test('avatar limits apply with --image-type avatar', async () => {
    const run = await runCli(['--base-url', server.baseUrl, '--image-type', 'avatar', fx.avatarOk, fx.avatarTooBig], env);
    assert.strictEqual(run.code, 1);
    assert.deepStrictEqual(run.lines.map((l) => l.ok), [true, false]);
    assert.strictEqual(run.lines[1].code, 234039);
    assert.strictEqual(server.images.get(String(run.lines[0].imageKey))?.imageType, 'avatar');
  });

  test('a static tenant token from LARK_TENANT_ACCESS_TOKEN works; a rejected one reports 99991663 with logId', async () => {
    const token = server.issueStaticToken();
    const ok = await runCli(['--base-url', server.baseUrl, fx.png], { LARK_TENANT_ACCESS_TOKEN: token });
    assert.strictEqual(ok.code, 0, ok.stderr);
    server.invalidateAllTokens();
    const bad = await runCli(['--base-url', server.baseUrl, fx.jpg], { LARK_TENANT_ACCESS_TOKEN: token });
    assert.strictEqual(bad.code, 1);
    assert.strictEqual(bad.lines[0].code, 99991663);
    assert.ok(typeof bad.lines[0].logId === 'string' && bad.lines[0].logId.length > 0);
    assert.ok(!bad.stdout.includes(token) && !bad.stderr.includes(token));
  });

  test('wrong secret: every file fails with 10015, secret never printed', async () => {
    const run = await runCli(['--base-url', server.baseUrl, fx.png, fx.jpg], { LARK_APP_ID: server.demo.appId, LARK_APP_SECRET: 'wrong-secret-should-not-print' });
    assert.strictEqual(run.code, 1);
    assert.deepStrictEqual(run.lines.map((l) => l.code), [10015, 10015]);
    assert.ok(!run.stdout.includes('wrong-secret-should-not-print') && !run.stderr.includes('wrong-secret-should-not-print'));
  });

  test('120 distinct files stay inside 50/s: no 429, all uploaded', async function () {
    this.timeout(30000);
    const dir = path.join(tmp, 'many');
    fs.mkdirSync(dir, { recursive: true });
    const base = fs.readFileSync(fx.png);
    const files = Array.from({ length: 120 }, (_, i) => {
      const f = path.join(dir, `img-${i}.png`);
      fs.writeFileSync(f, Buffer.concat([base, Buffer.from(`#${i}`)])); // distinct bytes after IEND
      return f;
    });
    const run = await runCli(['--base-url', server.baseUrl, '--concurrency', '16', ...files], env);
    assert.strictEqual(run.code, 0, run.stderr.slice(-2000));
    assert.strictEqual(run.lines.length, 120);
    assert.strictEqual(server.uploads(), 120);
    // Without the limiter 18 of these were 429s (measured). A busy machine can still delay one
    // request past the 25 ms guard; the first 429 widens the guard, so at most a stray one or two.
    const limited = server.requests.filter((r) => r.status === 429).length;
    assert.ok(limited <= 2, `${limited} answers were 429`);
  });

  test('token expiry mid-batch and transient faults are survived; nothing is lost or duplicated', async function () {
    this.timeout(30000);
    await server.close();
    server = await startLarkServer({ invalidateTokensAfterUploads: 3 });
    env = { LARK_APP_ID: server.demo.appId, LARK_APP_SECRET: server.demo.appSecret };
    server.injectFaults({ kind: 'html502' }, { kind: 'reset' }, { kind: 'http5xx', status: 503 }, { kind: 'code', code: 232096 });
    const files = [fx.png, fx.jpg, fx.webp, fx.gif, fx.tiff, fx.bmp, fx.ico, fx.jpegLargeExif]; // all distinct bytes
    const run = await runCli(['--base-url', server.baseUrl, '--concurrency', '2', ...files], env);
    assert.strictEqual(run.code, 0, run.stderr);
    assert.strictEqual(server.uploads(), files.length, 'each file stored exactly once');
    assert.strictEqual(new Set(run.lines.map((l) => l.imageKey)).size, files.length);
    assert.match(run.stderr, /retry/);
  });

  test('bot disabled (234007) is permanent: one request per file, no retry storm', async () => {
    server.setBotEnabled(server.demo.appId, false);
    const run = await runCli(['--base-url', server.baseUrl, fx.png, fx.jpg, fx.gif], env);
    assert.strictEqual(run.code, 1);
    assert.deepStrictEqual(run.lines.map((l) => l.code), [234007, 234007, 234007]);
    assert.ok(run.lines.every((l) => typeof l.logId === 'string'));
    assert.strictEqual(server.requests.filter((r) => r.path === '/open-apis/im/v1/images').length, 3);
  });

  test('usage errors exit 2 with a message on stderr and nothing on stdout', async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['--base-url', server.baseUrl], env, /No files/],
      [['--base-url', server.baseUrl, '--image-type', 'sticker', fx.png], env, /image-type/],
      [['--base-url', server.baseUrl, '--bogus', fx.png], env, /bogus/],
      [['--base-url', server.baseUrl, fx.png], {}, /No credentials/],
      [['--base-url', 'http://open.larksuite.com', fx.png], env, /https/],
      [['--concurrency', '0', fx.png], env, /concurrency/],
    ];
    for (const [args, e, re] of cases) {
      const run = await runCli(args, e);
      assert.strictEqual(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.strictEqual(run.stdout, '');
      assert.match(run.stderr, re);
    }
    assert.strictEqual(server.requests.length, 0, 'no request on a usage error');
  });

  test('--help prints usage on stdout and exits 0', async () => {
    const run = await runCli(['--help'], {});
    assert.strictEqual(run.code, 0);
    assert.match(run.stdout, /Usage: lark-image-upload/);
  });
});
