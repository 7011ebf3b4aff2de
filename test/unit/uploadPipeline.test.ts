// uploadFiles as a stream: uploads start while later files are still being validated and hashed.
// Each test holds one file's validation or hash open (a promise the test releases when the stand-in
// server has answered an upload), so what it asserts is an order of events, never a duration.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LarkClient } from '../../src/core/larkClient';
import { RateLimiter, UploadScheduler } from '../../src/core/scheduler';
import { DedupeIndex, MemoryStore, hashFile, type KeyValueStore } from '../../src/core/dedupe';
import { validateImageFile } from '../../src/core/validate';
import { filesAhead, uploadFiles, type FileOutcome, type UploadFilesOptions } from '../../src/core/uploadFiles';
import { LocalCode } from '../../src/core/types';
import { generateFixtures, type FixtureSet } from '../fixtures/generate';
import { startLarkServer, TOKEN_PATH, type LarkServer, type RecordedRequest } from '../larkServer/server';

/** A promise the test resolves by hand. */
function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

/**
 * `event`, or `hung` if it has not happened after `ms` of real time. The time only turns a hang
 * (the pipeline waiting for a file the test holds) into an assertion failure; no test asserts on it.
 */
async function orHang<T>(event: Promise<T>, ms: number, hung: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const giveUp = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(hung), ms)));
  try {
    return await Promise.race([event, giveUp]);
  } finally {
    clearTimeout(timer);
  }
}

const HANG_MS = 10_000;

suite('core/uploadFiles as a stream (uploads start before the batch is read)', function () {
  this.timeout(60_000);
  let fx: FixtureSet;
  let tmp: string;
  let server: LarkServer;
  let client: LarkClient;
  /** Called for every upload request the server has finished with. */
  let onUpload: (r: RecordedRequest) => void;
  let batch200: string[];

  suiteSetup(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-stream-'));
    fx = await generateFixtures(path.join(tmp, 'fx'));
    const png = fs.readFileSync(fx.png);
    const dir = path.join(tmp, 'batch');
    fs.mkdirSync(dir);
    // 200 distinct valid PNGs (bytes after IEND differ): 200 hashes, 200 uploads
    batch200 = Array.from({ length: 200 }, (_, i) => {
      const file = path.join(dir, `img-${String(i).padStart(3, '0')}.png`);
      fs.writeFileSync(file, Buffer.concat([png, Buffer.from(`#${i}`)]));
      return file;
    });
  });
  suiteTeardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  setup(async () => {
    onUpload = () => undefined;
    // No rate limit here (the limiter has its own tests): 200 uploads take a moment, not 4 s.
    server = await startLarkServer({ rateLimit: false, onRequest: (r) => r.path === '/open-apis/im/v1/images' && onUpload(r) });
    client = new LarkClient({ baseUrl: server.baseUrl, credentials: { kind: 'app', appId: server.demo.appId, appSecret: server.demo.appSecret } });
  });
  teardown(() => server.close());

  const uploads = (): RecordedRequest[] => server.requests.filter((r) => r.path === '/open-apis/im/v1/images');
  const scheduler = (concurrency = 16): UploadScheduler => new UploadScheduler({ concurrency, limiter: new RateLimiter(1e6, 1e9) });
  /** Resolves when the server has answered the first upload with 200 (and records the event). */
  const firstUploadAnswered = (events: string[]): Promise<'upload answered'> => {
    const answered = gate<'upload answered'>();
    onUpload = (r) => {
      if (r.status !== 200 || events.includes('upload answered')) return;
      events.push('upload answered');
      answered.open('upload answered');
    };
    return answered.promise;
  };
  const options = (extra: Partial<UploadFilesOptions> = {}): UploadFilesOptions => ({ client, scheduler: scheduler(), imageType: 'message', ...extra });

  test('200 files: the first upload is answered while the 200th file is still being validated', async () => {
    const events: string[] = [];
    const answered = firstUploadAnswered(events);
    const last = batch200[batch200.length - 1];
    let held: string | undefined;
    const out = await uploadFiles(batch200, {
      ...options(),
      validateFile: async (p, type) => {
        if (p === last) {
          held = await orHang(answered, HANG_MS, 'no upload while the 200th file was held');
          events.push('200th validated');
        }
        return validateImageFile(p, type);
      },
    });
    assert.strictEqual(held, 'upload answered');
    assert.deepStrictEqual(events, ['upload answered', '200th validated']);
    assert.deepStrictEqual(out.map((o) => o.ok), batch200.map(() => true));
    assert.deepStrictEqual(out.map((o) => o.file), batch200);
    assert.strictEqual(uploads().length, 200);
  });

  test('with dedupe: the first upload is answered while the last file is still being hashed', async () => {
    const files = batch200.slice(0, 20);
    const events: string[] = [];
    const answered = firstUploadAnswered(events);
    let held: string | undefined;
    const out = await uploadFiles(files, {
      ...options({ dedupe: new DedupeIndex(new MemoryStore()) }),
      hashFile: async (p, signal) => {
        if (p === files[19]) {
          held = await orHang(answered, HANG_MS, 'no upload while the last hash was held');
          events.push('last hashed');
        }
        return hashFile(p, signal);
      },
    });
    assert.strictEqual(held, 'upload answered');
    assert.deepStrictEqual(events, ['upload answered', 'last hashed']);
    assert.ok(out.every((o) => o.ok && !o.deduped));
    assert.strictEqual(uploads().length, 20);
  });

  test('the token is fetched while the first valid file is still being hashed; a batch with nothing valid asks for none', async () => {
    const tokenAnswered = gate<'token fetched'>();
    const tokenServer = await startLarkServer({ rateLimit: false, onRequest: (r) => r.path === TOKEN_PATH && tokenAnswered.open('token fetched') });
    try {
      const c = new LarkClient({ baseUrl: tokenServer.baseUrl, credentials: { kind: 'app', appId: tokenServer.demo.appId, appSecret: tokenServer.demo.appSecret } });
      const files = [fx.textAsPng, ...batch200.slice(0, 3)]; // the first valid file is the second one
      let held: string | undefined;
      const out = await uploadFiles(files, {
        client: c,
        scheduler: scheduler(),
        imageType: 'message',
        dedupe: new DedupeIndex(new MemoryStore()),
        hashFile: async (p, signal) => {
          if (p === files[1]) held = await orHang(tokenAnswered.promise, HANG_MS, 'no token request while the first valid file was hashed');
          return hashFile(p, signal);
        },
      });
      assert.strictEqual(held, 'token fetched');
      assert.deepStrictEqual(out.map((o) => o.ok), [false, true, true, true]);
      assert.strictEqual(tokenServer.requests.filter((r) => r.path === TOKEN_PATH).length, 1, 'one token for the batch');
      // nothing valid: no request at all, not even the token
      const before = tokenServer.requests.length;
      const none = await uploadFiles([fx.textAsPng, fx.missing], { client: new LarkClient({ baseUrl: tokenServer.baseUrl, credentials: { kind: 'app', appId: tokenServer.demo.appId, appSecret: tokenServer.demo.appSecret } }), scheduler: scheduler(), imageType: 'message' });
      assert.deepStrictEqual(none.map((o) => o.ok), [false, false]);
      assert.strictEqual(tokenServer.requests.length, before);
    } finally {
      await tokenServer.close();
    }
  });

  test('a file found invalid after uploads began is never sent and keeps its code', async () => {
    const bad = path.join(tmp, 'late-bad.png');
    fs.copyFileSync(fx.textAsPng, bad);
    const files = [fx.png, bad, fx.jpg, fx.missing, fx.gif];
    const events: string[] = [];
    const answered = firstUploadAnswered(events);
    let held: string | undefined;
    const out = await uploadFiles(files, {
      ...options({ dedupe: new DedupeIndex(new MemoryStore()) }),
      validateFile: async (p, type) => {
        if (p === bad) held = await orHang(answered, HANG_MS, 'no upload while the bad file was held');
        return validateImageFile(p, type);
      },
    });
    assert.strictEqual(held, 'upload answered');
    assert.deepStrictEqual(
      out.map((o) => (o.ok ? 'ok' : `${o.code} ${o.stage}`)),
      ['ok', '234011 validate', 'ok', `${LocalCode.FileNotFound} validate`, 'ok'],
    );
    assert.deepStrictEqual(uploads().map((r) => r.fileName).sort(), ['gif.gif', 'jpg.jpg', 'png.png']);
  });

  test('a copy whose hash arrives after its original was uploaded: the same key, no second request', async () => {
    const copy = path.join(tmp, 'copy-of-png.png');
    fs.copyFileSync(fx.png, copy);
    const files = [fx.png, fx.jpg, copy];
    const events: string[] = [];
    const answered = firstUploadAnswered(events);
    let held: string | undefined;
    const out = await uploadFiles(files, {
      ...options({ dedupe: new DedupeIndex(new MemoryStore()), scheduler: scheduler(1) }),
      hashFile: async (p, signal) => {
        if (p === copy) held = await orHang(answered, HANG_MS, 'no upload while the copy was held');
        return hashFile(p, signal);
      },
    });
    assert.strictEqual(held, 'upload answered');
    const [first, , late] = out as Extract<FileOutcome, { ok: true }>[];
    assert.ok(first.ok && late.ok);
    assert.strictEqual(late.imageKey, first.imageKey);
    assert.deepStrictEqual([first.deduped, late.deduped], [false, true]);
    assert.deepStrictEqual([late.logId, late.attempts], [first.logId, first.attempts]);
    assert.deepStrictEqual(uploads().map((r) => r.fileName), ['png.png', 'jpg.jpg']);
  });

  test('copies that arrive while their content is still being looked up join it: one request for all', async () => {
    // The index answers the first lookup only when the test says so; every copy is hashed and
    // handed over meanwhile.
    const map = new Map<string, string>();
    const lookups: string[] = [];
    const release = gate();
    const store: KeyValueStore = {
      get: async (k) => {
        lookups.push(k);
        if (lookups.length === 1) await release.promise;
        return map.get(k);
      },
      set: (k, v) => void map.set(k, v),
      delete: (k) => void map.delete(k),
    };
    const copies = Array.from({ length: 6 }, (_, i) => {
      const p = path.join(tmp, `same-${i}.png`);
      fs.copyFileSync(fx.png, p);
      return p;
    });
    const prepared: string[] = [];
    const run = uploadFiles(copies, {
      ...options({ dedupe: new DedupeIndex(store) }),
      hashFile: async (p, signal) => {
        const h = await hashFile(p, signal);
        prepared.push(p);
        // after the microtasks that hand this last copy over: every copy has joined by then
        if (prepared.length === copies.length) setImmediate(() => release.open());
        return h;
      },
    });
    const out = await run;
    assert.strictEqual(lookups.length, 1, 'one lookup for the one content');
    assert.strictEqual(uploads().length, 1);
    assert.deepStrictEqual(out.map((o) => o.ok && o.deduped), [false, true, true, true, true, true]);
    assert.strictEqual(new Set(out.map((o) => (o.ok ? o.imageKey : ''))).size, 1);
  });

  test('files ready in reverse order: outcomes and requests still in input order', async () => {
    const files = [fx.png, fx.jpg, fx.gif, fx.webp, fx.bmp, fx.tiff];
    // each file's validation ends only after the next file's has ended: the last file is ready first
    const ended = files.map(() => gate());
    const readyOrder: number[] = [];
    const progress: number[] = [];
    const out = await uploadFiles(files, {
      ...options({ scheduler: scheduler(1) }),
      validateFile: async (p, type) => {
        const i = files.indexOf(p);
        const r = await validateImageFile(p, type);
        if (i + 1 < files.length) await ended[i + 1].promise;
        readyOrder.push(i);
        ended[i].open();
        return r;
      },
      onProgress: (_done, _total, _o, index) => progress.push(index),
    });
    assert.deepStrictEqual(readyOrder, [5, 4, 3, 2, 1, 0]);
    assert.deepStrictEqual(out.map((o) => o.file), files);
    assert.deepStrictEqual(out.map((o) => o.ok && o.info.format), ['png', 'jpg', 'gif', 'webp', 'bmp', 'tiff']);
    assert.deepStrictEqual(uploads().map((r) => r.fileName), ['png.png', 'jpg.jpg', 'gif.gif', 'webp.webp', 'bmp.bmp', 'tiff.tiff']);
    assert.deepStrictEqual(progress, [0, 1, 2, 3, 4, 5], 'one upload at a time: settled in input order');
  });

  for (const withDedupe of [true, false]) {
    test(`cancel mid-batch${withDedupe ? '' : ' (no dedupe)'}: files read after the abort are never sent; every file reported once`, async () => {
      const files = batch200.slice(0, 12);
      files[9] = fx.textAsPng;
      const ac = new AbortController();
      // files 6–11 are validated only after the abort, which comes with the first key
      const afterAbort = new Promise<void>((resolve) => ac.signal.addEventListener('abort', () => resolve(), { once: true }));
      const reported: number[] = [];
      let held: string | undefined;
      const out = await uploadFiles(files, {
        ...options({ dedupe: withDedupe ? new DedupeIndex(new MemoryStore()) : undefined, signal: ac.signal, scheduler: scheduler(2) }),
        validateFile: async (p, type) => {
          if (files.indexOf(p) >= 6) held = await orHang(afterAbort.then(() => 'aborted'), HANG_MS, 'no abort while files were held');
          return validateImageFile(p, type);
        },
        onProgress: (_d, _t, o, index) => {
          reported.push(index);
          if (o.ok) ac.abort();
        },
      });
      assert.strictEqual(held, 'aborted');
      assert.deepStrictEqual([...reported].sort((a, b) => a - b), files.map((_, i) => i), 'every file reported exactly once');
      const ok = out.filter((o) => o.ok);
      assert.ok(ok.length >= 1 && ok.length <= 6, `ok ${ok.length}`);
      for (const o of ok) assert.ok(o.ok && server.images.has(o.imageKey));
      out.forEach((o, i) => {
        if (i === 9) assert.deepStrictEqual(!o.ok && [o.code, o.stage], [234011, 'validate']);
        else if (!o.ok) assert.deepStrictEqual([o.code, o.stage, o.info?.format, o.message], [LocalCode.Cancelled, 'upload', 'png', 'Cancelled.']);
      });
      for (const o of out.slice(6)) assert.ok(!o.ok, `${o.file} was read after the abort`);
      const sent = new Set(uploads().map((r) => r.fileName));
      for (const f of files.slice(6)) assert.ok(!sent.has(path.basename(f)), `${f} must not be sent`);
    });
  }

  test('reading stays just ahead of the uploads: no more than filesAhead() files started and not settled', async () => {
    const files = batch200.slice(0, 40);
    const sched = scheduler(2);
    const limit = filesAhead(sched);
    assert.strictEqual(limit, 10);
    // every lookup waits for the test: nothing settles until it says so
    const release = gate();
    const lookedUp = gate();
    let lookups = 0;
    const store: KeyValueStore = {
      get: async () => {
        if (++lookups === limit) lookedUp.open();
        await release.promise;
        return undefined;
      },
      set: () => undefined,
      delete: () => undefined,
    };
    const started: number[] = [];
    let settled = 0;
    let most = 0;
    const run = uploadFiles(files, {
      ...options({ scheduler: sched, dedupe: new DedupeIndex(store) }),
      validateFile: (p, type) => {
        started.push(files.indexOf(p));
        most = Math.max(most, started.length - settled);
        return validateImageFile(p, type);
      },
      onProgress: () => void settled++,
    });
    assert.strictEqual(await orHang(lookedUp.promise.then(() => 'looked up'), HANG_MS, 'fewer lookups than expected'), 'looked up');
    for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
    assert.deepStrictEqual(started, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'the 11th file waits for a file to settle');
    release.open();
    const out = await run;
    assert.ok(out.every((o) => o.ok));
    assert.strictEqual(started.length, 40);
    assert.strictEqual(most, limit);
    assert.strictEqual(uploads().length, 40);
  });

  test('a validator that throws: that file is 9003 at the validate stage and is not sent; the rest upload', async () => {
    const out = await uploadFiles([fx.png, fx.jpg], {
      ...options(),
      validateFile: async (p, type) => {
        if (p === fx.jpg) throw new Error('disk on fire');
        return validateImageFile(p, type);
      },
    });
    assert.ok(out[0].ok);
    assert.deepStrictEqual(!out[1].ok && [out[1].code, out[1].stage, out[1].message, out[1].info], [LocalCode.FileUnreadable, 'validate', `Cannot read ${fx.jpg}: disk on fire`, undefined]);
    assert.deepStrictEqual(uploads().map((r) => r.fileName), ['png.png']);
  });
});
