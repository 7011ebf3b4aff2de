// The CLI contract, end to end: the built dist/cli.js as a child process against the stand-in server.
import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { LarkClient } from '../../src/core/larkClient';
import { describeError, tokenRejectedText } from '../../src/core/larkErrors';
import { didYouMean, levenshtein } from '../../src/cli';
import { generateFixtures, type FixtureSet } from '../fixtures/generate';
import { startLarkServer, type LarkServer } from '../larkServer/server';
import { CLI, runCli, type CliRun } from '../support/runCli';

const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';
const IMAGES_PATH = '/open-apis/im/v1/images';

/**
 * A proxy in front of the stand-in server that holds the answer to the token request for `holdMs`
 * and notes when it let it go, and notes when each upload reached it (this process's clock).
 */
async function tokenHoldingProxy(target: string, holdMs: number): Promise<{ url: string; tokenReleasedAt: () => number; uploadsAt: number[]; close: () => Promise<void> }> {
  let tokenReleasedAt = NaN;
  const uploadsAt: number[] = [];
  const proxy = http.createServer((req, res) => {
    if (req.url === IMAGES_PATH) uploadsAt.push(Date.now());
    const upstream = http.request(target + req.url, { method: req.method, headers: req.headers }, (answer) => {
      const pass = (): void => {
        if (req.url === TOKEN_PATH) tokenReleasedAt = Date.now();
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      };
      if (req.url === TOKEN_PATH) setTimeout(pass, holdMs);
      else pass();
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    tokenReleasedAt: () => tokenReleasedAt,
    uploadsAt,
    close: () => new Promise<void>((r) => (proxy.closeAllConnections(), proxy.close(() => r()))),
  };
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

  function assertNoSecrets(run: CliRun): void {
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
    run.lines.forEach((l, i) => {
      assert.strictEqual(l.ok, true);
      assert.match(String(l.imageKey), /^img_v2_/);
      assert.ok(server.images.has(String(l.imageKey)));
      // identical bytes earlier in the batch (a PNG named .jpg is the PNG): "reused":true, same key
      const reused = run.lines.slice(0, i).some((earlier) => earlier.imageKey === l.imageKey);
      assert.deepStrictEqual(Object.keys(l).sort(), ['file', 'height', 'imageKey', 'logId', 'ok', ...(reused ? ['reused'] : []), 'width']);
      assert.strictEqual(l.reused, reused ? true : undefined);
      const stored = server.images.get(String(l.imageKey));
      assert.deepStrictEqual([l.width, l.height], [stored?.width, stored?.height], `${String(l.file)}: the size Lark was sent`);
      assert.ok(server.requests.some((r) => r.logId === l.logId && r.path === IMAGES_PATH), `${String(l.file)}: logId of its upload request`);
    });
    assert.ok(run.lines.some((l) => l.reused), 'the fixtures hold identical bytes under two names');
    const reused = run.lines.filter((l) => l.reused).length;
    assert.match(run.stderr, new RegExp(`\\n${10 - reused} uploaded, ${reused} reused, 0 failed\\n`));
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

  test('wrong secret, unknown app, rejected static token: exit 1 with the extension\'s hint, in the user\'s language', async () => {
    const wrong = await runCli(['--base-url', server.baseUrl, fx.png], { LARK_APP_ID: server.demo.appId, LARK_APP_SECRET: 'wrong-secret-should-not-print' });
    assert.strictEqual(wrong.code, 1);
    assert.ok(wrong.stderr.includes(`hint (10015): ${describeError(10015).hint.en}`), wrong.stderr);
    const unknown = await runCli(['--base-url', server.baseUrl, fx.png], { LARK_APP_ID: 'cli_nobody', LARK_APP_SECRET: 'whatever-secret' });
    assert.strictEqual(unknown.code, 1);
    assert.strictEqual(unknown.lines[0].code, 10014);
    assert.ok(unknown.stderr.includes(`hint (10014): ${describeError(10014).hint.en}`), unknown.stderr);
    const zh = await runCli(['--base-url', server.baseUrl, fx.png], { LARK_APP_ID: 'cli_nobody', LARK_APP_SECRET: 'whatever-secret', LANG: 'zh_CN.UTF-8' });
    assert.ok(zh.stderr.includes(describeError(10014).hint.zhCn), zh.stderr);

    const token = server.issueStaticToken();
    server.invalidateAllTokens();
    const rejected = await runCli(['--base-url', server.baseUrl, fx.png, fx.jpg], { LARK_TENANT_ACCESS_TOKEN: token });
    assert.strictEqual(rejected.code, 1);
    assert.ok(rejected.stderr.includes(`hint (99991663): ${tokenRejectedText('en')}`), rejected.stderr);
    assert.strictEqual(rejected.stderr.match(/hint \(/g)?.length, 1, 'one hint per code, not per file');
    assert.ok(!rejected.stdout.includes(token) && !rejected.stderr.includes(token));
  });

  test('a folder uploads the images inside, recursively, in path order; an empty folder gets a 9002 line', async () => {
    const album = path.join(tmp, 'album');
    fs.rmSync(album, { recursive: true, force: true });
    const png = fs.readFileSync(fx.png);
    const put = (rel: string, bytes: Buffer): string => {
      const f = path.join(album, rel);
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, bytes);
      return f;
    };
    const inside = [put('b.png', Buffer.concat([png, Buffer.from('#b')])), put('deep/er/c.JPG', fs.readFileSync(fx.jpg)), put('a.gif', fs.readFileSync(fx.gif))].sort((x, y) => x.localeCompare(y));
    put('notes.txt', Buffer.from('not an image'));
    put('.git/objects/d.png', Buffer.concat([png, Buffer.from('#git')]));
    const empty = path.join(tmp, 'empty-folder');
    fs.mkdirSync(empty, { recursive: true });
    const run = await runCli(['--base-url', server.baseUrl, fx.webp, album, empty], env);
    assert.strictEqual(run.code, 1, run.stderr);
    assert.deepStrictEqual(run.lines.map((l) => l.file), [fx.webp, ...inside, empty]);
    assert.ok(run.lines.slice(0, 4).every((l) => l.ok), run.stdout);
    assert.deepStrictEqual([run.lines[4].code, run.lines[4].message], [9002, 'No images in this folder (searched recursively).']);
    assert.strictEqual(server.uploads(), 4);
    const alone = await runCli(['--base-url', server.baseUrl, album], env);
    assert.strictEqual(alone.code, 0, alone.stderr);
    assert.deepStrictEqual(alone.lines.map((l) => l.file), inside);
  });

  test('identical files in one batch: uploaded once, the others say "reused":true with the same key', async () => {
    const copy = path.join(tmp, 'copy-of-png.png');
    fs.copyFileSync(fx.png, copy);
    const run = await runCli(['--base-url', server.baseUrl, fx.png, copy], env);
    assert.strictEqual(run.code, 0, run.stderr);
    assert.strictEqual(run.lines[0].reused, undefined);
    assert.strictEqual(run.lines[1].reused, true);
    assert.strictEqual(run.lines[1].imageKey, run.lines[0].imageKey);
    assert.strictEqual(run.lines[1].logId, run.lines[0].logId, 'the log ID of the one upload');
    assert.match(run.stderr, /\n1 uploaded, 1 reused, 0 failed\n/, 'the summary counts the reused file apart');
    assert.strictEqual(server.uploads(), 1);
  });

  test('an unknown option: "did you mean", the usage, not node\'s parser text; exit 2', async () => {
    const run = await runCli(['--bse-url', server.baseUrl, fx.png], env);
    assert.strictEqual(run.code, 2);
    assert.strictEqual(run.stdout, '');
    assert.match(run.stderr, /^lark-image-upload: unknown option --bse-url; did you mean --base-url\?\nUsage: lark-image-upload /);
    assert.ok(!/positional argument|ERR_PARSE_ARGS/.test(run.stderr), run.stderr);
    const nothingClose = await runCli(['--zzzzzz', fx.png], env);
    assert.match(nothingClose.stderr, /unknown option --zzzzzz\.\nUsage:/);
    const missing = await runCli([fx.png, '--base-url'], env);
    assert.strictEqual(missing.code, 2);
    assert.match(missing.stderr, /--base-url needs a value\./);
    assert.strictEqual(server.requests.length, 0);
  });

  test('wrong secret: every file fails with 10015, secret never printed', async () => {
    const run = await runCli(['--base-url', server.baseUrl, fx.png, fx.jpg], { LARK_APP_ID: server.demo.appId, LARK_APP_SECRET: 'wrong-secret-should-not-print' });
    assert.strictEqual(run.code, 1);
    assert.deepStrictEqual(run.lines.map((l) => l.code), [10015, 10015]);
    assert.ok(!run.stdout.includes('wrong-secret-should-not-print') && !run.stderr.includes('wrong-secret-should-not-print'));
  });

  test('101 files go through the 50/s budget: the 51st upload is sent >= 1 s and the 101st >= 2 s after the token arrived', async function () {
    this.timeout(60000);
    const dir = path.join(tmp, 'many');
    fs.mkdirSync(dir, { recursive: true });
    const base = fs.readFileSync(fx.png);
    const files = Array.from({ length: 101 }, (_, i) => {
      const f = path.join(dir, `img-${i}.png`);
      fs.writeFileSync(f, Buffer.concat([base, Buffer.from(`#${i}`)])); // distinct bytes after IEND
      return f;
    });
    // The server enforces no limit here: its 429s (and the pause after them) would slow a
    // too-fast CLI down and hide it. 64 in parallel: every upload of a window is let go at once,
    // without waiting for earlier answers. The token answer is held 1.5 s, so the CLI has read
    // and hashed every file by then and starts uploading the moment the token arrives.
    await server.close();
    server = await startLarkServer({ rateLimit: false });
    const proxy = await tokenHoldingProxy(server.baseUrl, 1500);
    let run: CliRun;
    try {
      run = await runCli(['--base-url', proxy.url, '--concurrency', '64', ...files], { LARK_APP_ID: server.demo.appId, LARK_APP_SECRET: server.demo.appSecret });
    } finally {
      await proxy.close();
    }
    assert.strictEqual(run.code, 0, run.stderr.slice(-2000));
    assert.strictEqual(run.lines.length, 101);
    assert.strictEqual(new Set(run.lines.map((l) => l.imageKey)).size, 101);
    assert.strictEqual(server.uploads(), 101);
    const sent = [...proxy.uploadsAt].sort((a, b) => a - b);
    assert.strictEqual(sent.length, 101, 'one request per file');
    // Lower bounds, the same on any machine: the CLI lets no upload go before it has its token, and
    // at 50 per second no 51 uploads go within one second. Among the first 51 to arrive at least
    // one was let go 51st or later, so the 51st arrival is >= 1 s, and the 101st >= 2 s, after the
    // token answer left the proxy, however slow the machine. A limiter at 51/s (or 55/s) lets 51
    // go at once: its 51st arrives as soon as they can be sent (about 0.1-0.3 s here).
    for (const nth of [51, 101]) {
      const after = sent[nth - 1] - proxy.tokenReleasedAt();
      assert.ok(after >= ((nth - 1) / 50) * 1000, `upload ${nth} arrived ${after} ms after the token: more than 50 per second`);
    }
  });

  test('a 429 from the gateway (another tool filled the window): the CLI waits the reset, says so, and every file lands', async () => {
    // The server's clock stands still, so the window another tool filled is still full when the
    // CLI's uploads arrive, however long the CLI took to start; each 429 moves it on by a second,
    // so the retry (which the CLI sends only after the reset) finds a new window.
    await server.close();
    let s: LarkServer | undefined;
    server = s = await startLarkServer({ now: () => Date.UTC(2026, 0, 1), onRequest: (r) => r.status === 429 && s?.advanceClock(1000) });
    const other = new LarkClient({ baseUrl: server.baseUrl, credentials: { kind: 'app', appId: server.demo.appId, appSecret: server.demo.appSecret } });
    const png = fs.readFileSync(fx.png);
    for (let i = 0; i < 50; i++) await other.uploadImage({ kind: 'bytes', bytes: Buffer.concat([png, Buffer.from(`#other-${i}`)]), mime: 'image/png', name: `other-${i}.png` }, 'message');
    const run = await runCli(['--base-url', server.baseUrl, fx.png, fx.jpg], env);
    assert.strictEqual(run.code, 0, run.stderr);
    assert.strictEqual(server.uploads(), 52);
    const limited = server.requests.filter((r) => r.status === 429);
    assert.ok(limited.length >= 1 && limited.every((r) => r.code === 99991400), 'the CLI met the full window');
    const waits = [...run.stderr.matchAll(/ retry \d+ in ([\d.]+) s after 99991400:/g)].map((m) => Number(m[1]));
    assert.strictEqual(waits.length, limited.length, 'each 429 is retried, and said so');
    assert.ok(waits.every((w) => w >= 1), `waited ${waits.join(', ')} s; x-ogw-ratelimit-reset said 1 s`);
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

suite('CLI: did you mean', () => {
  test('levenshtein counts insertions, deletions and substitutions', () => {
    assert.strictEqual(levenshtein('', ''), 0);
    assert.strictEqual(levenshtein('abc', ''), 3);
    assert.strictEqual(levenshtein('', 'abc'), 3);
    assert.strictEqual(levenshtein('kitten', 'sitting'), 3);
    assert.strictEqual(levenshtein('base-url', 'bse-url'), 1);
    assert.strictEqual(levenshtein('flaw', 'lawn'), 2);
    assert.strictEqual(levenshtein('same', 'same'), 0);
  });

  test('didYouMean: a unique prefix, else the nearest when it is close', () => {
    const known = ['base-url', 'image-type', 'concurrency', 'help'];
    assert.strictEqual(didYouMean('--bse-url', known), 'base-url');
    assert.strictEqual(didYouMean('base', known), 'base-url', 'prefix');
    assert.strictEqual(didYouMean('--imagetype', known), 'image-type');
    assert.strictEqual(didYouMean('--concurency', known), 'concurrency');
    assert.strictEqual(didYouMean('--Help', known), 'help');
    assert.strictEqual(didYouMean('--hlp', known), 'help');
    assert.strictEqual(didYouMean('--zzzzzz', known), undefined);
    assert.strictEqual(didYouMean('--', known), undefined);
    assert.strictEqual(didYouMean('--verbose', known), undefined);
  });
});
