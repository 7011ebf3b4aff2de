// `lark-image-upload rewrite`, end to end: the built dist/cli.js as a child process against the
// stand-in server, on documents in a temporary folder.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { startLarkServer, type LarkServer } from '../larkServer/server';
import { CLI, runCli, type CliRun } from '../support/runCli';

const IMAGES_PATH = '/open-apis/im/v1/images';

async function png(file: string, red: number): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp({ create: { width: 8, height: 6, channels: 3, background: { r: red, g: 10, b: 10 } } }).png().toFile(file);
}

suite('CLI rewrite (dist/cli.js) against the stand-in server', () => {
  let tmp: string;
  let dir: string;
  let server: LarkServer;
  let env: Record<string, string>;
  let caseNo = 0;

  suiteSetup(function () {
    assert.ok(fs.existsSync(CLI), 'dist/cli.js is missing: run `npm run build` first');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-rewrite-'));
  });
  suiteTeardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  setup(async () => {
    server = await startLarkServer();
    env = { LARK_APP_ID: server.demo.appId, LARK_APP_SECRET: server.demo.appSecret };
    dir = path.join(tmp, `case${++caseNo}`);
    fs.mkdirSync(dir);
    await png(path.join(dir, 'img', 'a.png'), 200);
    await png(path.join(dir, 'b c.png'), 100);
    await png(path.join(dir, 'same-as-a.png'), 200); // identical bytes to img/a.png
    fs.writeFileSync(path.join(dir, 'bad.png'), 'not an image at all');
  });
  teardown(() => server.close());

  const uploads = (): number => server.requests.filter((r) => r.path === IMAGES_PATH).length;
  const write = (name: string, text: string): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };
  function assertNoSecrets(run: CliRun): void {
    for (const text of [run.stdout, run.stderr]) {
      assert.ok(!text.includes(server.demo.appSecret), 'app secret leaked');
      assert.ok(!/\bt-[A-Za-z0-9_-]{10,}/.test(text), 'a tenant token leaked');
    }
  }

  test('Markdown with CRLF: local paths replaced, everything else byte-identical; one upload per distinct image', async () => {
    const doc = write(
      'notes.md',
      [
        '# Report',
        '',
        'Chart: ![the chart](./img/a.png "Q3 \\"final\\"") and ![logo](<b c.png>)',
        'Again: ![chart again](img/a.png) and a copy ![copy](same-as-a.png)',
        '<p align="center"><img src="b%20c.png" width="40"></p>',
        '',
        '```',
        '![in code](./img/a.png)',
        '```',
        '`![inline](img/a.png)` \\![escaped](img/a.png) ![web](https://example.com/x.png) ![key](img_v2_already) ![gone](missing.png)',
        '',
      ].join('\r\n'),
    );
    const before = fs.readFileSync(doc, 'utf8');
    const run = await runCli(['rewrite', '--base-url', server.baseUrl, doc], env);
    assert.strictEqual(run.code, 0, run.stderr);
    assert.deepStrictEqual(
      run.lines.map((l) => [l.file, l.ref, l.line, l.ok]),
      [
        [doc, './img/a.png', 3, true],
        [doc, 'b c.png', 3, true],
        [doc, 'img/a.png', 4, true],
        [doc, 'same-as-a.png', 4, true],
        [doc, 'b%20c.png', 5, true],
      ],
    );
    const [a, b, a2, same, b2] = run.lines.map((l) => l.imageKey as string);
    assert.match(a, /^img_v2_/);
    assert.strictEqual(a2, a, 'the same file: one key');
    assert.strictEqual(same, a, 'identical bytes: one key');
    assert.strictEqual(b2, b);
    assert.notStrictEqual(a, b);
    assert.strictEqual(uploads(), 2, 'two distinct images, two uploads');
    assert.deepStrictEqual(Object.keys(run.lines[0]), ['file', 'ref', 'line', 'ok', 'imageKey']);
    const expected = before
      .replace('](./img/a.png "Q3', `](${a} "Q3`)
      .replace('](<b c.png>)', `](${b})`)
      .replace('](img/a.png) and a copy ![copy](same-as-a.png)', `](${a}) and a copy ![copy](${a})`)
      .replace('src="b%20c.png"', `src="${b}"`);
    assert.strictEqual(fs.readFileSync(doc, 'utf8'), expected);
    assert.match(run.stderr, /missing\.png is not a file here/);
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['b c.png', 'bad.png', 'img', 'notes.md', 'same-as-a.png'], 'no temporary file left');
    assertNoSecrets(run);
  });

  test('card JSON (2.0) and post content: img_key / image_key values replaced, the JSON still parses, layout kept', async () => {
    const card = {
      schema: '2.0',
      header: { title: { tag: 'plain_text', content: 'Hi' } },
      body: { elements: [{ tag: 'img', img_key: 'img/a.png', alt: { tag: 'plain_text', content: '' } }, { tag: 'column_set', columns: [{ tag: 'column', elements: [{ tag: 'img', img_key: 'b c.png' }, { tag: 'img', img_key: 'img_v2_kept' }] }] }] },
    };
    const cardFile = write('card.json', JSON.stringify(card, null, 2) + '\n');
    const post = { zh_cn: { title: 't', content: [[{ tag: 'img', image_key: './img/a.png' }]] } };
    const postFile = write('post.JSON', JSON.stringify(post));
    fs.chmodSync(cardFile, 0o640);
    const run = await runCli(['rewrite', '--base-url', server.baseUrl, cardFile, postFile], env);
    assert.strictEqual(run.code, 0, run.stderr);
    assert.deepStrictEqual(run.lines.map((l) => [path.basename(l.file as string), l.ref, l.ok]), [['card.json', 'img/a.png', true], ['card.json', 'b c.png', true], ['post.JSON', './img/a.png', true]]);
    const [a, b, a2] = run.lines.map((l) => l.imageKey as string);
    assert.strictEqual(a2, a);
    card.body.elements[0].img_key = a;
    (card.body.elements[1].columns as { elements: { img_key: string }[] }[])[0].elements[0].img_key = b;
    post.zh_cn.content[0][0].image_key = a;
    assert.strictEqual(fs.readFileSync(cardFile, 'utf8'), JSON.stringify(card, null, 2) + '\n');
    assert.strictEqual(fs.readFileSync(postFile, 'utf8'), JSON.stringify(post));
    assert.strictEqual(fs.statSync(cardFile).mode & 0o777, 0o640, 'permissions kept');
    assert.strictEqual(uploads(), 2);
  });

  test('nothing to do: documents untouched, no request at all (not even a token), exit 0, no credentials needed', async () => {
    const text = '# Only remote\n\n![w](https://example.com/a.png) ![k](img_v2_x) ![m](missing.png)\n\n    ![code](img/a.png)\n';
    const doc = write('remote.md', text);
    const json = write('keys.json', '{"img_key": "img_v2_done", "other": "img/a.png"}');
    const empty = write('empty.md', '');
    const stamp = new Date('2020-01-01T00:00:00Z');
    for (const f of [doc, json, empty]) fs.utimesSync(f, stamp, stamp);
    const run = await runCli(['rewrite', '--base-url', server.baseUrl, doc, json, empty], env);
    assert.strictEqual(run.code, 0, run.stderr);
    assert.strictEqual(run.stdout, '');
    assert.deepStrictEqual(server.requests, [], 'no request');
    assert.strictEqual(server.tokenRequests(), 0);
    assert.strictEqual(fs.readFileSync(doc, 'utf8'), text);
    for (const f of [doc, json, empty]) assert.strictEqual(fs.statSync(f).mtimeMs, stamp.getTime(), `${f} not written`);
    const noCredentials = await runCli(['rewrite', doc], {});
    assert.strictEqual(noCredentials.code, 0, noCredentials.stderr);
  });

  test('a failed reference stays as written with its code; a document where every reference failed is not written; exit 1', async () => {
    const mixed = write('mixed.md', '![ok](img/a.png)\n![bad](bad.png)\n');
    const allBad = write('allbad.md', 'x ![bad](./bad.png)\n');
    const stamp = new Date('2020-01-01T00:00:00Z');
    fs.utimesSync(allBad, stamp, stamp);
    const run = await runCli(['rewrite', '--base-url', server.baseUrl, mixed, allBad], env);
    assert.strictEqual(run.code, 1, run.stderr);
    assert.deepStrictEqual(run.lines.map((l) => [path.basename(l.file as string), l.ref, l.line, l.ok, l.code]), [
      ['mixed.md', 'img/a.png', 1, true, undefined],
      ['mixed.md', 'bad.png', 2, false, 234011],
      ['allbad.md', './bad.png', 1, false, 234011],
    ]);
    assert.deepStrictEqual(Object.keys(run.lines[1]), ['file', 'ref', 'line', 'ok', 'code', 'message']);
    assert.strictEqual(fs.readFileSync(mixed, 'utf8'), `![ok](${String(run.lines[0].imageKey)})\n![bad](bad.png)\n`);
    assert.strictEqual(fs.readFileSync(allBad, 'utf8'), 'x ![bad](./bad.png)\n');
    assert.strictEqual(fs.statSync(allBad).mtimeMs, stamp.getTime(), 'not written');
    assert.strictEqual(uploads(), 1, 'the invalid image is never sent');
  });

  test('an upload Lark refuses: the reference stays, the code is Lark\'s, the hint is printed', async () => {
    const doc = write('refused.md', '![a](img/a.png)\n');
    server.injectFaults({ kind: 'code', code: 234007 });
    const run = await runCli(['rewrite', '--base-url', server.baseUrl, doc], env);
    assert.strictEqual(run.code, 1, run.stderr);
    assert.deepStrictEqual(run.lines.map((l) => [l.ok, l.code]), [[false, 234007]]);
    assert.strictEqual(fs.readFileSync(doc, 'utf8'), '![a](img/a.png)\n');
    assert.match(run.stderr, /hint \(234007\)/);
    assertNoSecrets(run);
  });

  test('usage errors: exit 2, nothing on stdout, no request', async () => {
    const doc = write('u.md', '![a](img/a.png)\n');
    const noDoc = await runCli(['rewrite', '--base-url', server.baseUrl], env);
    assert.strictEqual(noDoc.code, 2);
    assert.match(noDoc.stderr, /No documents given/);
    const txt = write('notes.txt', '![a](img/a.png)\n');
    const unsupported = await runCli(['rewrite', '--base-url', server.baseUrl, doc, txt], env);
    assert.strictEqual(unsupported.code, 2);
    assert.match(unsupported.stderr, /notes\.txt: not a document rewrite reads \(it reads \.md, \.markdown, \.json\)/);
    const typo = await runCli(['rewrite', '--bse-url', server.baseUrl, doc], env);
    assert.strictEqual(typo.code, 2);
    assert.match(typo.stderr, /unknown option --bse-url; did you mean --base-url\?/);
    assert.match(typo.stderr, /Usage: lark-image-upload rewrite/);
    // rewrite --fit is wired now (test/unit/fitCli.test.ts); an option of the upload command only is still refused
    const fit = await runCli(['rewrite', '--as-file', doc], env);
    assert.strictEqual(fit.code, 2, 'rewrite takes no --as-file');
    const type = await runCli(['rewrite', '--image-type', 'banner', doc], env);
    assert.strictEqual(type.code, 2);
    for (const run of [noDoc, unsupported, typo, fit, type]) assert.strictEqual(run.stdout, '');
    assert.deepStrictEqual(server.requests, []);
    assert.strictEqual(fs.readFileSync(doc, 'utf8'), '![a](img/a.png)\n');
    const help = await runCli(['rewrite', '--help'], {});
    assert.strictEqual(help.code, 0);
    assert.match(help.stdout, /^Usage: lark-image-upload rewrite/);
    const topHelp = await runCli(['--help'], {});
    assert.match(topHelp.stdout, /lark-image-upload rewrite \[--base-url URL\]/);
  });

  test('missing credentials when there is something to upload: exit 2, document untouched', async () => {
    const doc = write('c.md', '![a](img/a.png)\n');
    const run = await runCli(['rewrite', '--base-url', server.baseUrl, doc], {});
    assert.strictEqual(run.code, 2);
    assert.match(run.stderr, /No credentials/);
    assert.strictEqual(fs.readFileSync(doc, 'utf8'), '![a](img/a.png)\n');
    assert.deepStrictEqual(server.requests, []);
  });

  test('a document that is not UTF-8 is not rewritten (writing it back would change other bytes)', async () => {
    const doc = path.join(dir, 'latin1.md');
    const bytes = Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from(' ![a](img/a.png)\n')]);
    fs.writeFileSync(doc, bytes);
    const run = await runCli(['rewrite', '--base-url', server.baseUrl, doc], env);
    assert.strictEqual(run.code, 1);
    assert.match(run.stderr, /not UTF-8/);
    assert.ok(fs.readFileSync(doc).equals(bytes));
    assert.deepStrictEqual(server.requests, []);
  });
});
