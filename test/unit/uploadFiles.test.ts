// The batch pipeline (validate -> dedupe -> schedule -> upload) against the stand-in server.
// uploadPipeline.test.ts: the same pipeline as a stream (uploads start before the batch is read).
import * as assert from 'assert';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LarkClient } from '../../src/core/larkClient';
import { UploadScheduler } from '../../src/core/scheduler';
import { DedupeIndex, MemoryStore, type KeyValueStore } from '../../src/core/dedupe';
import { uploadFiles, type FileOutcome } from '../../src/core/uploadFiles';
import { LocalCode } from '../../src/core/types';
import { validateImageFile } from '../../src/core/validate';
import { generateFixtures, type FixtureSet } from '../fixtures/generate';
import { startLarkServer, type LarkServer } from '../larkServer/server';

suite('core/uploadFiles against the stand-in server', () => {
  let fx: FixtureSet;
  let tmp: string;
  let server: LarkServer;
  let client: LarkClient;

  suiteSetup(async function () {
    this.timeout(30000);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-batch-'));
    fx = await generateFixtures(path.join(tmp, 'fx'));
  });
  suiteTeardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  setup(async () => {
    server = await startLarkServer();
    client = new LarkClient({ baseUrl: server.baseUrl, credentials: { kind: 'app', appId: server.demo.appId, appSecret: server.demo.appSecret } });
  });
  teardown(() => server.close());

  const uploads = () => server.requests.filter((r) => r.path === '/open-apis/im/v1/images');

  test('invalid files never reach the network; the rest upload; outcomes in input order', async () => {
    const files = [fx.png, fx.textAsPng, fx.jpg, fx.missing, fx.gif, fx.aDirectory, fx.empty, fx.over10MiB, fx.pngTooBig];
    const progress: number[] = [];
    const out = await uploadFiles(files, { client, scheduler: new UploadScheduler(), imageType: 'message', onProgress: (done) => progress.push(done) });
    assert.deepStrictEqual(out.map((o) => o.file), files);
    assert.deepStrictEqual(
      out.map((o) => (o.ok ? 'ok' : o.code)),
      ['ok', 234011, 'ok', LocalCode.FileNotFound, 'ok', LocalCode.NotAFile, 234010, 234006, 234039],
    );
    assert.ok(out.filter((o) => !o.ok).every((o) => !o.ok && o.stage === 'validate'));
    assert.strictEqual(uploads().length, 3);
    assert.deepStrictEqual(progress, files.map((_, i) => i + 1));
    const first = out[0] as Extract<FileOutcome, { ok: true }>;
    assert.strictEqual(first.info.format, 'png');
    assert.ok(server.images.has(first.imageKey));
  });

  test('dedupe: identical bytes upload once per batch, never again, unless forced; image_type counts', async () => {
    const store = new MemoryStore();
    const dedupe = new DedupeIndex(store);
    const scheduler = new UploadScheduler();
    const once = await uploadFiles([fx.png, fx.symlinkToPng, fx.png, fx.jpg], { client, scheduler, imageType: 'message', dedupe });
    assert.ok(once.every((o) => o.ok));
    const keys = once.map((o) => (o.ok ? o.imageKey : ''));
    assert.strictEqual(keys[0], keys[1]);
    assert.strictEqual(keys[0], keys[2]);
    assert.notStrictEqual(keys[0], keys[3]);
    assert.strictEqual(uploads().length, 2);

    const again = await uploadFiles([fx.png, fx.jpg], { client, scheduler, imageType: 'message', dedupe });
    assert.deepStrictEqual(again.map((o) => o.ok && o.deduped), [true, true]);
    assert.deepStrictEqual(again.map((o) => (o.ok ? o.imageKey : '')), [keys[0], keys[3]]);
    assert.strictEqual(uploads().length, 2, 're-upload of known bytes makes no request');

    const forced = await uploadFiles([fx.png], { client, scheduler, imageType: 'message', dedupe, force: true });
    assert.ok(forced[0].ok && !forced[0].deduped && forced[0].imageKey !== keys[0]);
    const avatar = await uploadFiles([fx.png], { client, scheduler, imageType: 'avatar', dedupe });
    assert.ok(avatar[0].ok && !avatar[0].deduped);
    assert.strictEqual(uploads().length, 4);
  });

  test('a dedupe store that cannot remember: the uploads are still ok, each failure goes to onError', async () => {
    const store: KeyValueStore = {
      get: () => undefined,
      set: () => Promise.reject(new Error('state write failed')),
      delete: () => undefined,
    };
    const errors: [string, string][] = [];
    const out = await uploadFiles([fx.png, fx.jpg, fx.png], {
      client,
      scheduler: new UploadScheduler(),
      imageType: 'message',
      dedupe: new DedupeIndex(store),
      onError: (e, context) => errors.push([(e as Error).message, context]),
    });
    assert.deepStrictEqual(out.map((o) => o.ok), [true, true, true]);
    assert.strictEqual(uploads().length, 2);
    // reported by the time uploadFiles resolves: one per uploaded content
    assert.deepStrictEqual(errors, [
      ['state write failed', 'dedupe remember'],
      ['state write failed', 'dedupe remember'],
    ]);
  });

  test('a dedupe store that cannot be read: everything uploads, each failed lookup goes to onError', async () => {
    const remembered = new MemoryStore();
    const store: KeyValueStore = {
      get: () => {
        throw new Error('state read failed');
      },
      set: (k, v) => remembered.set(k, v),
      delete: () => undefined,
    };
    const errors: [string, string][] = [];
    const out = await uploadFiles([fx.png, fx.jpg], {
      client,
      scheduler: new UploadScheduler(),
      imageType: 'message',
      dedupe: new DedupeIndex(store),
      onError: (e, context) => errors.push([(e as Error).message, context]),
    });
    assert.deepStrictEqual(out.map((o) => o.ok && !o.deduped), [true, true]);
    assert.strictEqual(uploads().length, 2);
    assert.deepStrictEqual(errors, [
      ['state read failed', 'dedupe lookup'],
      ['state read failed', 'dedupe lookup'],
    ]);
    assert.strictEqual(remembered.size, 2, 'what was uploaded is still remembered');
  });

  test('by the time uploadFiles resolves, every new key is in the dedupe index', async () => {
    // a store that persists later than it is asked to (like a state database)
    const map = new Map<string, string>();
    const store: KeyValueStore = {
      get: (k) => map.get(k),
      set: async (k, v) => {
        await new Promise<void>((r) => setImmediate(r));
        map.set(k, v);
      },
      delete: (k) => void map.delete(k),
    };
    const out = await uploadFiles([fx.png, fx.jpg], { client, scheduler: new UploadScheduler(), imageType: 'message', dedupe: new DedupeIndex(store) });
    assert.deepStrictEqual(new Set(map.values()), new Set(out.map((o) => (o.ok ? o.imageKey : ''))));
  });

  test('a 30-file batch with a signal adds no more abort listeners than Node allows (no MaxListenersExceededWarning)', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'thirty-'));
    const png = fs.readFileSync(fx.png);
    const files = Array.from({ length: 30 }, (_, i) => {
      const file = path.join(dir, `${i}.png`);
      fs.writeFileSync(file, Buffer.concat([png, Buffer.from(`#${i}`)])); // distinct bytes: 30 hashes, 30 uploads
      return file;
    });
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      const out = await uploadFiles(files, {
        client,
        scheduler: new UploadScheduler(),
        imageType: 'message',
        dedupe: new DedupeIndex(new MemoryStore()),
        signal: new AbortController().signal,
      });
      assert.ok(out.every((o) => o.ok));
      // process warnings are emitted on the next tick
      await new Promise<void>((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepStrictEqual(warnings.map((w) => `${w.name}: ${w.message}`), []);
    assert.strictEqual(uploads().length, 30);
  });

  test('a batch with nothing valid makes no request at all (not even for a token)', async () => {
    const out = await uploadFiles([fx.textAsPng, fx.missing], { client, scheduler: new UploadScheduler(), imageType: 'message', dedupe: new DedupeIndex(new MemoryStore()) });
    assert.deepStrictEqual(out.map((o) => (o.ok ? 'ok' : o.code)), [234011, LocalCode.FileNotFound]);
    assert.deepStrictEqual(server.requests, []);
  });

  test('a file that cannot be read after validation: 9003 before any upload of it; the rest upload', async () => {
    const copy = path.join(fs.mkdtempSync(path.join(tmp, 'vanish-')), 'soon-gone.png');
    fs.copyFileSync(fx.png, copy);
    const out = await uploadFiles([fx.textAsPng, copy, fx.jpg], {
      client,
      scheduler: new UploadScheduler(),
      imageType: 'message',
      dedupe: new DedupeIndex(new MemoryStore()),
      // the file goes away between its validation and its hash
      validateFile: async (p, type) => {
        const result = await validateImageFile(p, type);
        if (p === copy) fs.rmSync(copy);
        return result;
      },
    });
    const gone = out[1];
    assert.ok(!gone.ok);
    assert.strictEqual(gone.code, LocalCode.FileUnreadable);
    assert.strictEqual(gone.stage, 'validate');
    assert.strictEqual(gone.info?.format, 'png', 'what validation learned is kept');
    assert.match(gone.message, /^Cannot read .*soon-gone\.png: ENOENT/);
    assert.ok(out[2].ok);
    assert.strictEqual(uploads().length, 1);
  });

  test('without dedupe: the same path twice uploads once, the same bytes under two paths twice', async () => {
    const out = await uploadFiles([fx.png, fx.png, fx.symlinkToPng], { client, scheduler: new UploadScheduler(), imageType: 'message' });
    assert.deepStrictEqual(out.map((o) => o.ok && o.deduped), [false, true, false]);
    assert.strictEqual(out[0].ok && out[0].imageKey, out[1].ok && out[1].imageKey);
    assert.notStrictEqual(out[0].ok && out[0].imageKey, out[2].ok && out[2].imageKey);
    assert.strictEqual(uploads().length, 2);
  });

  test('without dedupe the outcomes still carry the sha256 of the file (re-keying trusts the file by it); a hash that fails costs only the sha256', async () => {
    const sha = crypto.createHash('sha256').update(fs.readFileSync(fx.png)).digest('hex');
    const out = await uploadFiles([fx.png, fx.png, fx.symlinkToPng], { client, scheduler: new UploadScheduler(), imageType: 'message' });
    assert.deepStrictEqual(
      out.map((o) => o.ok && o.sha256),
      [sha, sha, sha],
    );
    const [unhashed] = await uploadFiles([fx.jpg], {
      client,
      scheduler: new UploadScheduler(),
      imageType: 'message',
      hashFile: () => Promise.reject(new Error('EIO while hashing')),
    });
    assert.ok(unhashed.ok, 'uploaded all the same');
    assert.strictEqual(unhashed.sha256, undefined);
    assert.strictEqual(uploads().length, 3);
  });

  test('cancelled before hashing: valid files are 9104 at the upload stage with nothing sent; invalid ones keep their codes', async () => {
    const ac = new AbortController();
    ac.abort();
    const done: number[] = [];
    const out = await uploadFiles([fx.png, fx.textAsPng, fx.jpg], {
      client,
      scheduler: new UploadScheduler(),
      imageType: 'message',
      dedupe: new DedupeIndex(new MemoryStore()),
      signal: ac.signal,
      onProgress: (n, total, _o, index) => done.push(n * 10 + total * 100 + index),
    });
    assert.deepStrictEqual(
      out.map((o) => (o.ok ? 'ok' : `${o.code} ${o.stage} ${o.attempts}`)),
      ['9104 upload 0', '234011 validate 0', '9104 upload 0'],
    );
    assert.strictEqual(out[0].info?.format, 'png');
    assert.deepStrictEqual(done, [311, 320, 332], 'every file reported once, in order of settling');
    assert.strictEqual(uploads().length, 0);
  });

  test('an ok outcome: key, log id, one attempt, what validation learned', async () => {
    const [o] = await uploadFiles([fx.gif], { client, scheduler: new UploadScheduler(), imageType: 'message' });
    assert.ok(o.ok);
    assert.strictEqual(o.file, fx.gif);
    assert.strictEqual(o.attempts, 1);
    assert.strictEqual(o.deduped, false);
    assert.ok(typeof o.logId === 'string' && o.logId !== '', "the server's log id");
    assert.strictEqual(uploads()[0].logId, o.logId);
    assert.deepStrictEqual([o.info.format, o.info.mime, o.info.path], ['gif', 'image/gif', fx.gif]);
    assert.strictEqual(server.images.get(o.imageKey)?.contentType, 'image/gif');
  });

  test('a known key: deduped, no attempt, no log id; an onError that throws costs nothing', async () => {
    const store = new MemoryStore();
    const dedupe = new DedupeIndex(store);
    const scheduler = new UploadScheduler();
    const onError = (): void => {
      throw new Error('handler bug');
    };
    const [first] = await uploadFiles([fx.png], { client, scheduler, imageType: 'message', dedupe, onError });
    const [again] = await uploadFiles([fx.png], { client, scheduler, imageType: 'message', dedupe, onError });
    assert.ok(first.ok && again.ok);
    assert.deepStrictEqual([again.imageKey, again.deduped, again.attempts, again.logId], [first.imageKey, true, 0, undefined]);
    const failing = new DedupeIndex({ get: () => Promise.reject(new Error('no')), set: () => Promise.reject(new Error('no')), delete: () => undefined });
    const [third] = await uploadFiles([fx.png], { client, scheduler, imageType: 'message', dedupe: failing, onError });
    assert.ok(third.ok && !third.deduped);
  });

  test('upload failures carry the Lark code and log_id; the rest of the batch lands', async () => {
    server.injectFaults({ kind: 'code', code: 234041 });
    const out = await uploadFiles([fx.png, fx.jpg, fx.gif], { client, scheduler: new UploadScheduler({ concurrency: 1 }), imageType: 'message' });
    const failed = out.filter((o) => !o.ok);
    assert.strictEqual(failed.length, 1);
    const f = failed[0] as Extract<FileOutcome, { ok: false }>;
    assert.strictEqual(f.code, 234041);
    assert.strictEqual(f.stage, 'upload');
    assert.ok(f.logId);
    assert.strictEqual(out.filter((o) => o.ok).length, 2);
  });

  test('cancel mid-batch keeps what finished and reports every other file as cancelled', async function () {
    this.timeout(20000);
    await server.close();
    server = await startLarkServer({ latencyMs: 150 });
    client = new LarkClient({ baseUrl: server.baseUrl, credentials: { kind: 'app', appId: server.demo.appId, appSecret: server.demo.appSecret } });
    const files = [fx.png, fx.jpg, fx.gif, fx.webp, fx.bmp, fx.tiff, fx.ico, fx.unicodeName];
    const ac = new AbortController();
    const out = await uploadFiles(files, {
      client,
      scheduler: new UploadScheduler({ concurrency: 2 }),
      imageType: 'message',
      signal: ac.signal,
      onProgress: (done) => {
        if (done === 2) ac.abort();
      },
    });
    assert.strictEqual(out.length, files.length);
    const ok = out.filter((o) => o.ok);
    assert.ok(ok.length >= 2 && ok.length < files.length, `ok ${ok.length}`);
    for (const o of ok) assert.ok(o.ok && server.images.has(o.imageKey), 'every reported key exists on the server');
    assert.ok(out.filter((o) => !o.ok).every((o) => !o.ok && o.code === LocalCode.Cancelled));
  });
});
