// The bytes pipeline (pasted / dropped data with no file) against the stand-in server.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LarkClient } from '../../src/core/larkClient';
import { UploadScheduler } from '../../src/core/scheduler';
import { DedupeIndex, MemoryStore, hashBytes } from '../../src/core/dedupe';
import { nameForPasted, uploadBytes } from '../../src/core/uploadBytes';
import { uploadFiles } from '../../src/core/uploadFiles';
import { LocalCode } from '../../src/core/types';
import { generateFixtures, type FixtureSet } from '../fixtures/generate';
import { startLarkServer, type LarkServer } from '../larkServer/server';

suite('core/uploadBytes against the stand-in server', () => {
  let fx: FixtureSet;
  let tmp: string;
  let server: LarkServer;
  let client: LarkClient;

  suiteSetup(async function () {
    this.timeout(30000);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-bytes-'));
    fx = await generateFixtures(path.join(tmp, 'fx'));
  });
  suiteTeardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  setup(async () => {
    server = await startLarkServer();
    client = new LarkClient({ baseUrl: server.baseUrl, credentials: { kind: 'app', appId: server.demo.appId, appSecret: server.demo.appSecret } });
  });
  teardown(() => server.close());

  const uploads = () => server.requests.filter((r) => r.method === 'POST' && r.path === '/open-apis/im/v1/images');

  test('valid bytes upload with their name and type; invalid bytes never reach the network', async () => {
    const png = fs.readFileSync(fx.png);
    const out = await uploadBytes(
      [
        { bytes: png, name: 'shot.png' },
        { bytes: fs.readFileSync(fx.textAsPng), name: 'notes.png' },
        { bytes: new Uint8Array(0) },
        { bytes: fs.readFileSync(fx.jpg) },
      ],
      { client, scheduler: new UploadScheduler(), imageType: 'message' },
    );
    assert.deepStrictEqual(out.map((o) => (o.ok ? 'ok' : o.code)), ['ok', 234011, 234010, 'ok']);
    assert.deepStrictEqual(out.map((o) => o.file), ['shot.png', 'notes.png', 'image.png', 'image.jpg']);
    assert.strictEqual(uploads().length, 2);
    const first = out[0];
    assert.ok(first.ok);
    const stored = server.images.get(first.imageKey);
    assert.strictEqual(stored?.fileName, 'shot.png');
    assert.strictEqual(stored?.contentType, 'image/png');
    assert.strictEqual(first.info.width, stored?.width);
  });

  test('dedupe: the same bytes twice in one call and again later -> one request; shared with files', async () => {
    const dedupe = new DedupeIndex(new MemoryStore());
    const scheduler = new UploadScheduler();
    const png = fs.readFileSync(fx.png);
    const once = await uploadBytes([{ bytes: png }, { bytes: Buffer.from(png), name: 'again.png' }], { client, scheduler, imageType: 'message', dedupe });
    assert.ok(once[0].ok && once[1].ok);
    assert.strictEqual(once[0].ok && once[0].imageKey, once[1].ok && once[1].imageKey);
    assert.strictEqual(once[1].ok && once[1].deduped, true);
    const later = await uploadBytes([{ bytes: png }], { client, scheduler, imageType: 'message', dedupe });
    assert.ok(later[0].ok && later[0].deduped);
    const asFile = await uploadFiles([fx.png], { client, scheduler, imageType: 'message', dedupe });
    assert.ok(asFile[0].ok && asFile[0].deduped, 'the file with the same bytes reuses the pasted key');
    assert.strictEqual(uploads().length, 1);
    const forced = await uploadBytes([{ bytes: png }], { client, scheduler, imageType: 'message', dedupe, force: true });
    assert.ok(forced[0].ok && !forced[0].deduped);
    assert.strictEqual(uploads().length, 2);
  });

  test('outcomes carry the sha256 of the bytes (bytes always; files when hashed for dedupe), copies included', async () => {
    const dedupe = new DedupeIndex(new MemoryStore());
    const scheduler = new UploadScheduler();
    const png = fs.readFileSync(fx.png);
    const sha = hashBytes(png);
    const fromBytes = await uploadBytes([{ bytes: png }, { bytes: Buffer.from(png) }], { client, scheduler, imageType: 'message' });
    assert.deepStrictEqual(fromBytes.map((o) => o.ok && o.sha256), [sha, sha]);
    const fromFiles = await uploadFiles([fx.png, fx.png], { client, scheduler, imageType: 'message', dedupe });
    assert.deepStrictEqual(fromFiles.map((o) => o.ok && o.sha256), [sha, sha]);
    const reused = await uploadBytes([{ bytes: png }], { client, scheduler, imageType: 'message', dedupe });
    assert.ok(reused[0].ok && reused[0].deduped);
    assert.strictEqual(reused[0].sha256, sha, 'a key the index answered too');
  });

  test('dedupe store failures: the upload is still ok, lookup and remember failures go to onError', async () => {
    const errors: [string, string][] = [];
    const store = {
      get: () => Promise.reject(new Error('read failed')),
      set: () => Promise.reject(new Error('write failed')),
      delete: () => undefined,
    };
    const out = await uploadBytes([{ bytes: fs.readFileSync(fx.png) }], {
      client,
      scheduler: new UploadScheduler(),
      imageType: 'message',
      dedupe: new DedupeIndex(store),
      onError: (e, context) => errors.push([(e as Error).message, context]),
    });
    assert.ok(out[0].ok && !out[0].deduped);
    assert.strictEqual(uploads().length, 1);
    assert.deepStrictEqual(errors, [
      ['read failed', 'dedupe lookup'],
      ['write failed', 'dedupe remember'],
    ]);
  });

  test('without dedupe: identical bytes in one call upload once; the rest of the outcome', async () => {
    const png = fs.readFileSync(fx.png);
    const out = await uploadBytes([{ bytes: png, name: 'a.png' }, { bytes: png, name: 'b.png' }, { bytes: fs.readFileSync(fx.jpg), name: 'dir/c.jpg' }], {
      client,
      scheduler: new UploadScheduler(),
      imageType: 'message',
    });
    assert.deepStrictEqual(out.map((o) => o.ok && o.deduped), [false, true, false]);
    assert.strictEqual(uploads().length, 2);
    const [a, b, c] = out;
    assert.ok(a.ok && b.ok && c.ok);
    assert.strictEqual(a.imageKey, b.imageKey);
    assert.deepStrictEqual([b.file, b.info.path, c.file, c.info.path, c.info.format, a.attempts], ['b.png', 'b.png', 'c.jpg', 'c.jpg', 'jpg', 1]);
    assert.strictEqual(server.images.get(c.imageKey)?.fileName, 'c.jpg');
    assert.ok(a.logId && a.logId === uploads()[0].logId);
  });

  test('invalid bytes: the named file and the code, nothing learned', async () => {
    const [bad] = await uploadBytes([{ bytes: new TextEncoder().encode('not an image'), name: 'notes.png' }], { client, scheduler: new UploadScheduler(), imageType: 'message' });
    assert.ok(!bad.ok);
    assert.deepStrictEqual([bad.file, bad.code, bad.stage, bad.info, bad.attempts, bad.logId], ['notes.png', 234011, 'validate', undefined, 0, undefined]);
    assert.match(bad.message, /Not a recognized image/);
  });

  test('server errors and cancel come back as outcomes', async () => {
    server.injectFaults({ kind: 'code', code: 234007 });
    const [failed] = await uploadBytes([{ bytes: fs.readFileSync(fx.png) }], { client, scheduler: new UploadScheduler(), imageType: 'message' });
    assert.ok(!failed.ok && failed.code === 234007 && failed.stage === 'upload');
    const controller = new AbortController();
    controller.abort();
    const [cancelled] = await uploadBytes([{ bytes: fs.readFileSync(fx.gif) }], { client, scheduler: new UploadScheduler(), imageType: 'message', signal: controller.signal });
    assert.ok(!cancelled.ok && cancelled.code === LocalCode.Cancelled);
  });

  test('nameForPasted: the base name, else image.<format>', () => {
    assert.strictEqual(nameForPasted('C:\\shots\\a.png', undefined), 'a.png');
    assert.strictEqual(nameForPasted('  ', { format: 'webp' }), 'image.webp');
    assert.strictEqual(nameForPasted(undefined, undefined), 'image.png');
  });
});
