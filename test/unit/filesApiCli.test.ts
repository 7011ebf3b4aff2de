// The CLI's --as-file contract, end to end: the built dist/cli.js as a child process against the
// stand-in server's files API.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileApiHintFor } from '../../src/core/larkErrors';
import { MAX_FILE_BYTES } from '../../src/core/fileUpload';
import { LocalCode } from '../../src/core/types';
import { FILES_PATH, UPLOAD_PATH, startLarkServer, type LarkServer } from '../larkServer/server';
import { CLI, runCli, type CliRun } from '../support/runCli';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
/** A 1×1 PNG whose header declares 50000×50000: the images API refuses it (234039). */
function hugeDeclaredPng(): Buffer {
  const b = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');
  b.writeUInt32BE(50000, 16);
  b.writeUInt32BE(50000, 20);
  return b;
}

suite('CLI --as-file (dist/cli.js) against the stand-in server', () => {
  let tmp: string;
  let server: LarkServer;
  let env: Record<string, string>;
  let pdf: string;
  let png: string;
  let empty: string;
  let tooBig: string;

  suiteSetup(() => {
    assert.ok(fs.existsSync(CLI), 'dist/cli.js is missing: run `npm run build` first');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-cli-files-'));
    pdf = path.join(tmp, 'docs', '季度 report.pdf');
    fs.mkdirSync(path.dirname(pdf));
    fs.writeFileSync(pdf, PDF);
    png = path.join(tmp, 'panorama.png');
    fs.writeFileSync(png, hugeDeclaredPng());
    empty = path.join(tmp, 'empty.docx');
    fs.writeFileSync(empty, '');
    tooBig = path.join(tmp, 'film.mp4');
    fs.writeFileSync(tooBig, '');
    fs.truncateSync(tooBig, MAX_FILE_BYTES + 1); // sparse: nothing of it is ever read
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

  test('every file goes up through the files API: {"file","ok":true,"fileKey"} lines in input order, exit 0', async () => {
    const run = await runCli(['--as-file', '--base-url', server.baseUrl, pdf, png], env);
    assert.strictEqual(run.code, 0, run.stderr);
    assert.deepStrictEqual(run.lines.map((l) => l.file), [pdf, png]);
    for (const line of run.lines) {
      assert.deepStrictEqual(Object.keys(line), ['file', 'ok', 'fileKey', 'logId']);
      assert.strictEqual(line.ok, true);
      assert.match(String(line.fileKey), /^file_v2_/);
      assert.ok(server.files.has(String(line.fileKey)));
    }
    const [p, i] = run.lines.map((l) => server.files.get(String(l.fileKey)));
    assert.deepStrictEqual([p?.fileName, p?.fileType, i?.fileName, i?.fileType], ['季度 report.pdf', 'pdf', 'panorama.png', 'stream']);
    assert.ok(i?.bytes.equals(fs.readFileSync(png)), 'byte for byte');
    assert.strictEqual(server.requests.filter((r) => r.path === UPLOAD_PATH).length, 0, 'nothing through the images API');
    assert.match(run.stderr, /2 uploaded as files, 0 reused, 0 failed/);
    assertNoSecrets(run);
    // the same image without --as-file: the images API refuses it
    const asImage = await runCli(['--base-url', server.baseUrl, png], env);
    assert.strictEqual(asImage.code, 1);
    assert.strictEqual(asImage.lines[0].code, 234039);
  });

  test('empty, over 30 MB, missing, a folder: their codes, checked locally, the rest uploads; exit 1', async () => {
    const missing = path.join(tmp, 'missing.pdf');
    const run = await runCli(['--as-file', '--base-url', server.baseUrl, empty, pdf, tooBig, missing, tmp, pdf], env);
    assert.strictEqual(run.code, 1, run.stderr);
    assert.deepStrictEqual(
      run.lines.map((l) => [l.file, l.ok, l.ok ? 'key' : l.code]),
      [
        [empty, false, 234010],
        [pdf, true, 'key'],
        [tooBig, false, 234006],
        [missing, false, LocalCode.FileNotFound],
        [tmp, false, LocalCode.NotAFile],
        [pdf, true, 'key'],
      ],
    );
    for (const l of run.lines.filter((x) => !x.ok)) assert.deepStrictEqual(Object.keys(l), ['file', 'ok', 'code', 'message']);
    assert.match(String(run.lines[2].message), /31,457,281 bytes; the files API takes at most 31,457,280 bytes/);
    assert.strictEqual(run.lines[5].reused, true);
    assert.strictEqual(run.lines[5].fileKey, run.lines[1].fileKey);
    assert.strictEqual(server.requests.filter((r) => r.path === FILES_PATH).length, 1, 'only the valid file was sent, once');
    assert.ok(run.stderr.includes(`hint (234006): ${fileApiHintFor(234006, 'en')}`), run.stderr);
    assert.ok(run.stderr.includes(`hint (234010): ${fileApiHintFor(234010, 'en')}`), run.stderr);
    assertNoSecrets(run);
  });

  test('nothing valid: no request at all, not even for a token', async () => {
    const run = await runCli(['--as-file', '--base-url', server.baseUrl, empty, tooBig], env);
    assert.strictEqual(run.code, 1);
    assert.deepStrictEqual(run.lines.map((l) => l.code), [234010, 234006]);
    assert.deepStrictEqual(server.requests, []);
  });

  test('Lark errors are lines with code, message and logId; hints in the user\'s language', async () => {
    server.setBotEnabled(server.demo.appId, false);
    const run = await runCli(['--as-file', '--base-url', server.baseUrl, pdf], { ...env, LANG: 'zh_CN.UTF-8' });
    assert.strictEqual(run.code, 1);
    const [line] = run.lines;
    assert.deepStrictEqual([line.ok, line.code, line.logId], [false, 234007, server.requests.find((r) => r.path === FILES_PATH)?.logId]);
    assert.match(run.stderr, /hint \(234007\): 请在开发者后台为该应用开启机器人能力/);
  });

  test('--as-file with --image-type or --fit, or without files: usage error, exit 2, no request', async () => {
    const cases: [string[], RegExp][] = [
      [['--as-file', '--image-type', 'message', pdf], /--image-type does not apply/],
      [['--as-file', '--image-type', 'avatar', pdf], /--image-type does not apply/],
      [['--as-file', '--fit', pdf], /--fit/],
      [['--as-file'], /No files/],
    ];
    for (const [args, re] of cases) {
      const run = await runCli(['--base-url', server.baseUrl, ...args], env);
      assert.strictEqual(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.strictEqual(run.stdout, '');
      assert.match(run.stderr, re);
    }
    assert.deepStrictEqual(server.requests, []);
  });

  test('--help names --as-file', async () => {
    const run = await runCli(['--help'], {});
    assert.match(run.stdout, /--as-file/);
    assert.match(run.stdout, /30 MB/);
  });
});
