// The CLI's --fit contract (issue 9 item 5), end to end: dist/cli.js as a child process against
// the stand-in server, which keeps the exact bytes of every upload.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { startLarkServer, type LarkServer } from '../larkServer/server';
import { CLI, runCli } from '../support/runCli';

suite('CLI --fit (dist/cli.js) against the stand-in server', function () {
  this.timeout(60000);
  let tmp: string;
  let server: LarkServer;
  let env: Record<string, string>;
  const files: Record<'wide' | 'svg' | 'small' | 'broken', string> = { wide: '', svg: '', small: '', broken: '' };
  let smallBytes: Buffer;

  suiteSetup(async () => {
    assert.ok(fs.existsSync(CLI), 'dist/cli.js is missing: run `npm run build` first');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-fit-cli-'));
    files.wide = path.join(tmp, 'wide.png');
    fs.writeFileSync(files.wide, await sharp({ create: { width: 12500, height: 250, channels: 3, background: '#3370ff' } }).png().toBuffer());
    files.svg = path.join(tmp, 'logo.svg');
    fs.writeFileSync(files.svg, '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="160"><circle cx="80" cy="80" r="60" fill="#3370ff"/></svg>');
    files.small = path.join(tmp, 'small.png');
    smallBytes = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#ff7000' } }).png().toBuffer();
    fs.writeFileSync(files.small, smallBytes);
    files.broken = path.join(tmp, 'broken.png');
    fs.writeFileSync(files.broken, 'this is text, not an image, whatever its name says');
    server = await startLarkServer();
    env = { LARK_APP_ID: server.demo.appId, LARK_APP_SECRET: server.demo.appSecret, LARK_BASE_URL: server.baseUrl };
  });
  suiteTeardown(async () => {
    await server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  setup(() => server.reset());

  test('--fit: over-limit and SVG are converted ("fitted":true); within limits is sent byte-for-byte; undecodable keeps 234011 and sends nothing', async () => {
    const run = await runCli(['--fit', files.wide, files.svg, files.small, files.broken], env);
    assert.strictEqual(run.code, 1, run.stderr);
    const [wide, svg, small, broken] = run.lines;
    assert.deepStrictEqual(run.lines.map((l) => l.file), [files.wide, files.svg, files.small, files.broken]);
    for (const l of [wide, svg, small]) assert.strictEqual(l.ok, true, JSON.stringify(l));
    assert.strictEqual(wide.fitted, true);
    assert.deepStrictEqual([wide.width, wide.height], [12000, 240]);
    assert.strictEqual(svg.fitted, true);
    assert.deepStrictEqual([svg.width, svg.height], [320, 160]);
    assert.strictEqual(small.fitted, undefined);
    assert.deepStrictEqual([broken.ok, broken.code], [false, 234011]);
    assert.strictEqual(server.uploads(), 3, 'the undecodable file was sent');
    const stored = (key: unknown) => server.images.get(String(key));
    assert.ok(stored(small.imageKey)?.bytes.equals(smallBytes), 'the image within the limits was not sent byte-for-byte');
    assert.strictEqual(stored(wide.imageKey)?.width, 12000);
    assert.strictEqual(stored(svg.imageKey)?.format, 'png');
  });

  test('without --fit nothing changes: over-limit 234039, SVG 234011, nothing sent for them', async () => {
    const run = await runCli([files.wide, files.svg, files.small], env);
    assert.strictEqual(run.code, 1, run.stderr);
    assert.deepStrictEqual(run.lines.map((l) => [l.ok, l.code ?? null, l.fitted ?? null]), [
      [false, 234039, null],
      [false, 234011, null],
      [true, null, null],
    ]);
    assert.strictEqual(server.uploads(), 1);
  });

  test('rewrite --fit: the document gets the fitted image\'s key', async () => {
    const doc = path.join(tmp, 'doc.md');
    fs.writeFileSync(doc, '# Doc\n\n![wide](wide.png)\n![small](small.png)\n');
    const run = await runCli(['rewrite', '--fit', doc], env);
    assert.strictEqual(run.code, 0, run.stderr);
    const [wide, small] = run.lines;
    assert.deepStrictEqual([wide.ok, wide.fitted, small.ok, small.fitted], [true, true, true, undefined]);
    assert.strictEqual(fs.readFileSync(doc, 'utf8'), `# Doc\n\n![wide](${wide.imageKey})\n![small](${small.imageKey})\n`);
  });
});
