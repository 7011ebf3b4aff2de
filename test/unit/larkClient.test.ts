// The Lark client and scheduler against the stand-in server, over real sockets.
import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import type { AddressInfo } from 'net';
import sharp from 'sharp';
import nodeFetch, { Response } from 'node-fetch';
import { Readable } from 'stream';
import { LarkClient, MAX_REJECTED_TOKENS, type FetchLike, type RequestLog } from '../../src/core/larkClient';
import { normalizeBaseUrl, LARK_BASE_URL, FEISHU_BASE_URL } from '../../src/core/baseUrl';
import { RateLimiter, UploadScheduler, rateLimiterFor, type Job } from '../../src/core/scheduler';
import { DedupeIndex, MemoryStore } from '../../src/core/dedupe';
import { uploadFiles } from '../../src/core/uploadFiles';
import { UploadError } from '../../src/core/larkErrors';
import { LocalCode } from '../../src/core/types';
import { startLarkServer, TOKEN_PATH, UPLOAD_PATH, type LarkServer, type MockApp } from '../larkServer/server';
import { ManualClock, drive } from '../support/manualClock';
import { arrivalsByOffset, clockedJobs } from '../support/clockedJobs';
import { rejectsWithCode } from '../support/rejectsWithCode';

let dir: string;
let png: string;
let jpg: string;

suiteSetup(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-client-'));
  png = path.join(dir, '图 one.png');
  jpg = path.join(dir, 'photo.jpg');
  await sharp({ create: { width: 32, height: 24, channels: 3, background: '#3370ff' } }).png().toFile(png);
  await sharp({ create: { width: 40, height: 30, channels: 3, background: '#ff7000' } }).jpeg().toFile(jpg);
});
suiteTeardown(() => fs.rmSync(dir, { recursive: true, force: true }));

function appClient(server: LarkServer, extra: Partial<ConstructorParameters<typeof LarkClient>[0]> = {}): LarkClient {
  return new LarkClient({ baseUrl: server.baseUrl, credentials: { kind: 'app', appId: server.demo.appId, appSecret: server.demo.appSecret }, ...extra });
}

const pngSource = () => ({ kind: 'file' as const, path: png, mime: 'image/png' });

/** Resolves once `condition` holds; checks after every macrotask (no fixed sleep to miss it). */
async function until(condition: () => boolean, what = 'condition', deadlineMs = 20_000): Promise<void> {
  const giveUp = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > giveUp) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

suite('core/baseUrl', () => {
  test('presets, https origins and loopback http are accepted', () => {
    assert.strictEqual(normalizeBaseUrl(undefined), LARK_BASE_URL);
    assert.strictEqual(normalizeBaseUrl('feishu'), FEISHU_BASE_URL);
    assert.strictEqual(normalizeBaseUrl('https://open.feishu.cn/'), FEISHU_BASE_URL);
    assert.strictEqual(normalizeBaseUrl('https://lark.example.com:8443'), 'https://lark.example.com:8443');
    assert.strictEqual(normalizeBaseUrl('http://127.0.0.1:8080'), 'http://127.0.0.1:8080');
    assert.strictEqual(normalizeBaseUrl('http://localhost:3000'), 'http://localhost:3000');
    assert.strictEqual(normalizeBaseUrl('http://[::1]:3000'), 'http://[::1]:3000');
  });

  test('http to a non-loopback host, paths, user info and garbage are refused with 9105', () => {
    for (const bad of ['http://open.larksuite.com', 'http://10.0.0.5', 'ftp://x.example', 'https://open.larksuite.com/open-apis/im/v1/images', 'https://u:p@open.larksuite.com', 'not a url', 'http://127.0.0.1.evil.example']) {
      assert.throws(() => normalizeBaseUrl(bad), (e: unknown) => e instanceof UploadError && e.code === LocalCode.InsecureBaseUrl, bad);
    }
  });

  test('an http:// non-loopback base URL is refused before any credential is sent', () => {
    let calls = 0;
    assert.throws(
      () =>
        new LarkClient({
          baseUrl: 'http://open.larksuite.com',
          credentials: { kind: 'app', appId: 'cli_x', appSecret: 'secret-secret' },
          fetch: async () => {
            calls++;
            throw new Error('must not be called');
          },
        }),
      (e: unknown) => e instanceof UploadError && e.code === LocalCode.InsecureBaseUrl,
    );
    assert.strictEqual(calls, 0);
  });
});

suite('core/larkClient against the stand-in server', () => {
  let server: LarkServer;
  setup(async () => {
    server = await startLarkServer();
  });
  teardown(async () => {
    await server.close();
  });

  test('uploads a file: image_key back, multipart carries name and content type, token cached', async () => {
    const logs: RequestLog[] = [];
    const client = appClient(server, { onRequest: (l) => logs.push(l) });
    const a = await client.uploadImage(pngSource(), 'message');
    const b = await client.uploadImage({ kind: 'file', path: jpg, mime: 'image/jpeg' }, 'message');
    assert.match(a.imageKey, /^img_v2_/);
    assert.notStrictEqual(a.imageKey, b.imageKey);
    assert.ok(a.logId && a.logId.length > 5);
    assert.strictEqual(server.tokenRequests(), 1);
    assert.strictEqual(server.uploads(), 2);
    const stored = server.images.get(a.imageKey);
    assert.ok(stored);
    assert.strictEqual(stored.fileName, '图 one.png');
    assert.strictEqual(stored.contentType, 'image/png');
    assert.strictEqual(stored.imageType, 'message');
    assert.deepStrictEqual(stored.bytes, fs.readFileSync(png));
    // The log has one line per request and never the token or the secret.
    assert.deepStrictEqual(logs.map((l) => `${l.method} ${l.path} ${l.status} ${l.code}`), [
      'POST /open-apis/auth/v3/tenant_access_token/internal 200 0',
      'POST /open-apis/im/v1/images 200 0',
      'POST /open-apis/im/v1/images 200 0',
    ]);
    const text = JSON.stringify(logs);
    assert.ok(!text.includes(server.demo.appSecret) && !/t-[A-Za-z0-9]{8}/.test(text));
  });

  test('uploads pasted bytes with no file', async () => {
    const client = appClient(server);
    const bytes = fs.readFileSync(png);
    const r = await client.uploadImage({ kind: 'bytes', bytes, mime: 'image/png', name: 'pasted.png' }, 'avatar');
    const stored = server.images.get(r.imageKey);
    assert.ok(stored && stored.imageType === 'avatar' && stored.fileName === 'pasted.png');
    assert.deepStrictEqual(stored.bytes, bytes);
  });

  test('concurrent callers share one token request', async () => {
    const client = appClient(server);
    await Promise.all(Array.from({ length: 10 }, () => client.uploadImage(pngSource(), 'message')));
    assert.strictEqual(server.tokenRequests(), 1);
  });

  test('an invalidated token is refreshed once and the upload retried once', async () => {
    const client = appClient(server);
    await client.uploadImage(pngSource(), 'message');
    server.invalidateAllTokens();
    const r = await client.uploadImage(pngSource(), 'message');
    assert.match(r.imageKey, /^img_v2_/);
    assert.strictEqual(server.tokenRequests(), 2);
    const codes = server.requests.filter((q) => q.path === '/open-apis/im/v1/images').map((q) => q.code);
    assert.deepStrictEqual(codes, [0, 99991663, 0]);
  });

  test('a rejected static token fails with 99991663 and is not retried', async () => {
    const token = server.issueStaticToken();
    const client = new LarkClient({ baseUrl: server.baseUrl, credentials: { kind: 'token', token } });
    assert.match((await client.uploadImage(pngSource(), 'message')).imageKey, /^img_v2_/);
    server.invalidateAllTokens();
    const err = await rejectsWithCode(client.uploadImage(pngSource(), 'message'), 99991663);
    assert.ok(err.logId);
    assert.ok(!err.message.includes(token));
    assert.strictEqual(server.tokenRequests(), 0);
    assert.strictEqual(server.requests.filter((q) => q.path === '/open-apis/im/v1/images').length, 2);
  });

  test('auth errors: unknown app 10014, wrong secret 10015', async () => {
    await rejectsWithCode(new LarkClient({ baseUrl: server.baseUrl, credentials: { kind: 'app', appId: 'cli_nope', appSecret: 'x' } }).testConnection(), 10014);
    const err = await rejectsWithCode(
      new LarkClient({ baseUrl: server.baseUrl, credentials: { kind: 'app', appId: server.demo.appId, appSecret: 'wrong-secret-value' } }).testConnection(),
      10015,
    );
    assert.ok(!err.message.includes('wrong-secret-value'));
  });

  test('missing scope gives 99991672 with permission violations', async () => {
    server.setScopes(server.demo.appId, []);
    const err = await rejectsWithCode(appClient(server).uploadImage(pngSource(), 'message'), 99991672);
    assert.ok(err.permissionViolations && err.permissionViolations.length > 0);
  });

  test('every upload error code comes back typed, with log_id and HTTP status', async () => {
    const client = appClient(server);
    for (const [code, status] of [
      [232096, 400],
      [234001, 400],
      [234002, 401],
      [234006, 400],
      [234007, 400],
      [234010, 400],
      [234011, 400],
      [234039, 400],
      [234041, 400],
      [234042, 400],
    ] as const) {
      server.injectFaults({ kind: 'code', code });
      const err = await rejectsWithCode(client.uploadImage(pngSource(), 'message'), code);
      assert.strictEqual(err.httpStatus, status, String(code));
      assert.ok(err.logId, `log id for ${code}`);
    }
  });

  test('bot disabled: 234007', async () => {
    server.setBotEnabled(server.demo.appId, false);
    await rejectsWithCode(appClient(server).uploadImage(pngSource(), 'message'), 234007);
  });

  test('an HTML 502 from a proxy is a clear error with the HTTP status, not a parse crash', async () => {
    server.injectFaults({ kind: 'html502' });
    const err = await rejectsWithCode(appClient(server).uploadImage(pngSource(), 'message'), LocalCode.BadResponse);
    assert.strictEqual(err.httpStatus, 502);
    assert.match(err.message, /HTTP 502/);
    assert.match(err.message, /text\/html/);
  });

  test('a plain-text 503 is a BadResponse with status 503', async () => {
    server.injectFaults({ kind: 'http5xx', status: 503 });
    const err = await rejectsWithCode(appClient(server).uploadImage(pngSource(), 'message'), LocalCode.BadResponse);
    assert.strictEqual(err.httpStatus, 503);
  });

  test('a connection reset is a network error', async () => {
    server.injectFaults({ kind: 'reset' });
    await rejectsWithCode(appClient(server).uploadImage(pngSource(), 'message'), LocalCode.NetworkError);
  });

  test('a slow answer past the timeout is 9102', async () => {
    const client = appClient(server, { timeoutMs: 300 });
    await client.getToken();
    server.injectFaults({ kind: 'slow', delayMs: 2000 });
    await rejectsWithCode(client.uploadImage(pngSource(), 'message'), LocalCode.Timeout);
  });

  test('cancelling mid-request gives 9104', async () => {
    const client = appClient(server);
    await client.getToken();
    server.injectFaults({ kind: 'slow', delayMs: 2000 });
    const ac = new AbortController();
    const upload = client.uploadImage(pngSource(), 'message', { signal: ac.signal });
    // abort once the server holds the request (it answers only after 2 s)
    await until(() => server.requests.some((q) => q.path === UPLOAD_PATH));
    ac.abort();
    await rejectsWithCode(upload, LocalCode.Cancelled);
  });

  test('downloads an uploaded image; an avatar is 234008', async () => {
    const client = appClient(server);
    const { imageKey } = await client.uploadImage(pngSource(), 'message');
    const got = await client.downloadImage(imageKey);
    assert.deepStrictEqual(got.bytes, fs.readFileSync(png));
    assert.match(got.contentType, /image\/png/);
    const avatar = await client.uploadImage(pngSource(), 'avatar');
    await rejectsWithCode(client.downloadImage(avatar.imageKey), 234008);
  });
});

suite('core/larkClient: redirects never carry the token elsewhere', () => {
  test('a redirect to another origin (another port of the same host) is refused; the target sees nothing', async () => {
    let targetHits = 0;
    const target = http.createServer((req, res) => {
      targetHits++;
      res.end(JSON.stringify({ code: 0, data: { image_key: 'img_v2_stolen' }, msg: 'success', auth: req.headers.authorization }));
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
    const redirector = http.createServer((req, res) => {
      req.resume();
      res.writeHead(307, { Location: `${targetUrl}${req.url}`, 'X-Tt-Logid': 'redirect-log' });
      res.end();
    });
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
    try {
      const client = new LarkClient({ baseUrl: `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`, credentials: { kind: 'token', token: 't-static-token-for-redirect-test' } });
      const err = await rejectsWithCode(client.uploadImage(pngSource(), 'message'), LocalCode.RedirectRefused);
      assert.match(err.message, new RegExp(targetUrl.replace(/[.:/]/g, '\\$&')));
      assert.ok(!err.message.includes('t-static-token-for-redirect-test'));
      assert.strictEqual(targetHits, 0);
    } finally {
      target.close();
      redirector.close();
    }
  });
});

suite('core/scheduler + client against the stand-in server', () => {
  let server: LarkServer;
  setup(async () => {
    server = await startLarkServer();
  });
  teardown(async () => {
    await server.close();
  });

  test('tokens invalidated mid-batch: every file still lands, one extra token request', async function () {
    this.timeout(20000);
    await server.close();
    server = await startLarkServer({ invalidateTokensAfterUploads: 5 });
    const client = appClient(server);
    const scheduler = new UploadScheduler({ concurrency: 1 });
    const out = await scheduler.run(Array.from({ length: 12 }, () => ({ signal, acquire }) => client.uploadImage(pngSource(), 'message', { signal, beforeSend: acquire })));
    assert.strictEqual(out.filter((o) => o.ok).length, 12);
    assert.strictEqual(server.tokenRequests(), 2);
  });

  test('5xx, HTML 502 and resets are retried; 234007 is not', async function () {
    this.timeout(20000);
    const client = appClient(server);
    const scheduler = new UploadScheduler({ concurrency: 1, retry: { baseDelayMs: 10, maxDelayMs: 50 } });
    server.injectFaults({ kind: 'http5xx' }, { kind: 'html502' }, { kind: 'reset' }, { kind: 'code', code: 232096 });
    const [ok] = await scheduler.run([({ signal, acquire }) => client.uploadImage(pngSource(), 'message', { signal, beforeSend: acquire })]);
    assert.ok(ok.ok && ok.attempts === 5, JSON.stringify(ok));
    server.setBotEnabled(server.demo.appId, false);
    const before = server.requests.length;
    const [bad] = await scheduler.run([({ signal, acquire }) => client.uploadImage(pngSource(), 'message', { signal, beforeSend: acquire })]);
    assert.ok(!bad.ok && bad.error.code === 234007 && bad.attempts === 1);
    assert.strictEqual(server.requests.length - before, 1);
  });
});

/** Upload requests the stand-in received, in arrival order. */
function uploadRequests(server: LarkServer) {
  return server.requests.filter((q) => q.path === UPLOAD_PATH);
}

suite('core/larkClient: the tenant token over time (client and server on one manual clock)', () => {
  let server: LarkServer | undefined;
  teardown(async () => {
    await server?.close();
    server = undefined;
  });

  async function setUp(tokenTtlSeconds?: number): Promise<{ clock: ManualClock; client: LarkClient; server: LarkServer }> {
    const clock = new ManualClock();
    server = await startLarkServer({ now: clock.now, tokenTtlSeconds });
    return { clock, server, client: appClient(server, { now: clock.now }) };
  }

  test('a 2 h token is used until exactly 30 minutes are left, then a new one is fetched', async () => {
    const { clock, client, server } = await setUp();
    const first = await client.getToken();
    clock.advance(90 * 60_000 - 1); // 30 min + 1 ms left
    assert.strictEqual(await client.getToken(), first);
    assert.strictEqual(server.tokenRequests(), 1);
    assert.strictEqual(client.tokenSecondsLeft(), 30 * 60);
    clock.advance(1); // exactly 30 min left: the platform hands out a new token now
    const second = await client.getToken();
    assert.notStrictEqual(second, first);
    assert.strictEqual(server.tokenRequests(), 2);
    await client.uploadImage(pngSource(), 'message');
    assert.strictEqual(server.tokenRequests(), 2);
  });

  test('a short-lived token (10 min) is re-asked after 1 minute, not at expiry', async () => {
    const { clock, client, server } = await setUp(600);
    await client.getToken();
    clock.advance(60_000 - 1);
    await client.getToken();
    assert.strictEqual(server.tokenRequests(), 1);
    clock.advance(1);
    await client.getToken();
    assert.strictEqual(server.tokenRequests(), 2);
  });

  test('a very short-lived token (40 s) is re-asked at half its life', async () => {
    const { clock, client, server } = await setUp(40);
    await client.getToken();
    clock.advance(20_000 - 1);
    await client.getToken();
    assert.strictEqual(server.tokenRequests(), 1);
    clock.advance(1);
    await client.getToken();
    assert.strictEqual(server.tokenRequests(), 2);
  });

  test('a failed refresh while the cached token is still valid: uploads use it, the refresh is retried a minute later', async () => {
    const clock = new ManualClock();
    server = await startLarkServer({ now: clock.now });
    let tokenEndpointDown = false;
    let tokenAttempts = 0;
    const fetch: FetchLike = async (url, init) => {
      if (url.endsWith(TOKEN_PATH)) {
        tokenAttempts++;
        if (tokenEndpointDown) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      }
      return nodeFetch(url, init);
    };
    const client = appClient(server, { now: clock.now, fetch });
    const first = await client.getToken();
    clock.advance(91 * 60_000); // 29 min left: time to refresh
    tokenEndpointDown = true;
    const r = await client.uploadImage(pngSource(), 'message');
    assert.match(r.imageKey, /^img_v2_/);
    assert.strictEqual(tokenAttempts, 2, 'the refresh was tried');
    assert.strictEqual(await client.getToken(), first);
    assert.strictEqual(tokenAttempts, 2, 'no second attempt within the minute');
    clock.advance(60_000 - 1);
    await client.uploadImage(pngSource(), 'message');
    assert.strictEqual(tokenAttempts, 2);
    clock.advance(1);
    tokenEndpointDown = false;
    const second = await client.getToken();
    assert.strictEqual(tokenAttempts, 3);
    assert.notStrictEqual(second, first);
  });

  test('a failed refresh after the cached token expired is an error, not a dead token', async () => {
    const clock = new ManualClock();
    server = await startLarkServer({ now: clock.now });
    let down = false;
    const fetch: FetchLike = async (url, init) => {
      if (down && url.endsWith(TOKEN_PATH)) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      return nodeFetch(url, init);
    };
    const client = appClient(server, { now: clock.now, fetch });
    await client.getToken();
    clock.advance(2 * 60 * 60_000); // expired
    down = true;
    await rejectsWithCode(client.uploadImage(pngSource(), 'message'), LocalCode.NetworkError);
    assert.strictEqual(uploadRequests(server).length, 0);
  });

  test('a wrong secret on refresh while the token is still valid keeps uploads going (the old token is still accepted)', async () => {
    const clock = new ManualClock();
    server = await startLarkServer({ now: clock.now });
    let secretRotated = false;
    const fetch: FetchLike = async (url, init) => {
      if (secretRotated && url.endsWith(TOKEN_PATH)) init = { ...init, body: JSON.stringify({ app_id: server!.demo.appId, app_secret: 'rotated' }) };
      return nodeFetch(url, init);
    };
    const client = appClient(server, { now: clock.now, fetch });
    await client.getToken();
    clock.advance(100 * 60_000);
    secretRotated = true;
    assert.match((await client.uploadImage(pngSource(), 'message')).imageKey, /^img_v2_/);
    clock.advance(20 * 60_000 + 1); // now expired: the refresh's own error (10015) is what the user sees
    await rejectsWithCode(client.uploadImage(pngSource(), 'message'), 10015);
  });
});

suite('core/larkClient: rejected tokens', () => {
  let server: LarkServer;
  setup(async () => {
    server = await startLarkServer();
  });
  teardown(async () => {
    await server.close();
  });

  for (const code of [99991663, 99991664, 99991671]) {
    test(`${code}: the token is refreshed and the upload retried, once`, async () => {
      const client = appClient(server);
      await client.getToken();
      server.injectFaults({ kind: 'code', code });
      const r = await client.uploadImage(pngSource(), 'message');
      assert.match(r.imageKey, /^img_v2_/);
      assert.strictEqual(server.tokenRequests(), 2);
      assert.deepStrictEqual(uploadRequests(server).map((q) => q.code), [code, 0]);
    });

    test(`${code} twice with the same token handed back: the code stands after one retry`, async () => {
      const client = appClient(server);
      server.injectFaults({ kind: 'code', code }, { kind: 'code', code }, { kind: 'code', code });
      await rejectsWithCode(client.uploadImage(pngSource(), 'message'), code);
      assert.deepStrictEqual(uploadRequests(server).map((q) => q.code), [code, code]);
      assert.strictEqual(server.pendingFaults(), 1);
    });
  }

  test('other token codes (a user token 99991668) are not retried', async () => {
    const client = appClient(server);
    server.injectFaults({ kind: 'code', code: 99991668 });
    await rejectsWithCode(client.uploadImage(pngSource(), 'message'), 99991668);
    assert.strictEqual(server.tokenRequests(), 1);
    assert.strictEqual(uploadRequests(server).length, 1);
  });

  test('the refreshed token revoked too: a new token each time, the file still lands', async () => {
    const client = appClient(server);
    server.injectFaults({ kind: 'invalidateTokens' }, { kind: 'invalidateTokens' });
    const r = await client.uploadImage(pngSource(), 'message');
    assert.match(r.imageKey, /^img_v2_/);
    assert.strictEqual(server.tokenRequests(), 3);
    assert.deepStrictEqual(uploadRequests(server).map((q) => q.code), [99991663, 99991663, 0]);
  });

  test('tokens revoked again and again through a batch: every file lands', async () => {
    const client = appClient(server);
    const scheduler = new UploadScheduler({ concurrency: 1, limiter: new RateLimiter(1000, 100000) });
    // each file meets a revoked token, the third file two in a row
    server.injectFaults({ kind: 'invalidateTokens' }, { kind: 'invalidateTokens' });
    const jobs: Job<unknown>[] = Array.from({ length: 4 }, (_, i) => async ({ signal, acquire }) => {
      if (i === 2) server.injectFaults({ kind: 'invalidateTokens' }, { kind: 'invalidateTokens' });
      else if (i > 0) server.injectFaults({ kind: 'invalidateTokens' });
      return client.uploadImage(pngSource(), 'message', { signal, beforeSend: acquire });
    });
    const out = await scheduler.run(jobs);
    assert.ok(out.every((o) => o.ok && o.attempts === 1), JSON.stringify(out));
    assert.strictEqual(server.uploads(), 4);
  });

  test(`a server that rejects every token: the code after ${MAX_REJECTED_TOKENS} tokens, then one try per file`, async () => {
    const client = appClient(server);
    server.injectFaults(...Array.from({ length: 20 }, () => ({ kind: 'invalidateTokens' as const })));
    await rejectsWithCode(client.uploadImage(pngSource(), 'message'), 99991663);
    assert.strictEqual(server.tokenRequests(), MAX_REJECTED_TOKENS);
    assert.strictEqual(uploadRequests(server).length, MAX_REJECTED_TOKENS);
    await rejectsWithCode(client.uploadImage(pngSource(), 'message'), 99991663);
    assert.strictEqual(server.tokenRequests(), MAX_REJECTED_TOKENS + 1);
    assert.strictEqual(uploadRequests(server).length, MAX_REJECTED_TOKENS + 1);
    // once a token gets through again, the client refreshes freely again
    server.reset();
    assert.match((await client.uploadImage(pngSource(), 'message')).imageKey, /^img_v2_/);
    server.injectFaults({ kind: 'invalidateTokens' }, { kind: 'invalidateTokens' });
    assert.match((await client.uploadImage(pngSource(), 'message')).imageKey, /^img_v2_/);
  });

  test('a download whose token was revoked refreshes and retries too', async () => {
    const client = appClient(server);
    const { imageKey } = await client.uploadImage(pngSource(), 'message');
    server.invalidateAllTokens();
    const got = await client.downloadImage(imageKey);
    assert.deepStrictEqual(got.bytes, fs.readFileSync(png));
    assert.strictEqual(server.tokenRequests(), 2);
  });

  test('cancelling one caller does not cancel the shared token request for the others', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let tokenCalls = 0;
    const fetch: FetchLike = async (url, init) => {
      if (url.endsWith(TOKEN_PATH)) {
        tokenCalls++;
        await gate;
      }
      return nodeFetch(url, init);
    };
    const client = appClient(server, { fetch });
    const ac = new AbortController();
    const cancelledOne = client.uploadImage(pngSource(), 'message', { signal: ac.signal });
    const other = client.uploadImage(pngSource(), 'message');
    await until(() => tokenCalls === 1, 'the token request');
    ac.abort();
    await rejectsWithCode(cancelledOne, LocalCode.Cancelled);
    release();
    assert.match((await other).imageKey, /^img_v2_/);
    assert.strictEqual(tokenCalls, 1);
    assert.strictEqual(server.uploads(), 1);
    // the token it fetched is cached for the next call
    await client.uploadImage(pngSource(), 'message');
    assert.strictEqual(server.tokenRequests(), 1);
  });

  test('a caller cancelled before asking gets 9104 and starts no token request', async () => {
    const client = appClient(server);
    const ac = new AbortController();
    ac.abort();
    await rejectsWithCode(client.getToken(ac.signal), LocalCode.Cancelled);
    assert.strictEqual(server.tokenRequests(), 0);
  });
});

suite('core/larkClient: one scope per app or tenant (dedupe index and rate budget)', () => {
  const APP_B: MockApp = { appId: 'cli_second_app_0002', appSecret: 'second-app-secret-0002' };
  let server: LarkServer;
  setup(async () => {
    server = await startLarkServer({ apps: [{ ...DEMO }, APP_B] });
  });
  teardown(async () => {
    await server.close();
  });
  const DEMO: MockApp = { appId: 'cli_demo0000000001', appSecret: 'demo-secret-not-real-0001' };

  const clientOf = (credentials: ConstructorParameters<typeof LarkClient>[0]['credentials']) => new LarkClient({ baseUrl: server.baseUrl, credentials });

  test('two apps at one origin: separate scopes, separate limiters, each uploads its own copy', async () => {
    const a = clientOf({ kind: 'app', ...DEMO });
    const b = clientOf({ kind: 'app', ...APP_B });
    assert.notStrictEqual(a.scopeKey, b.scopeKey);
    assert.strictEqual(a.scopeKey, clientOf({ kind: 'app', ...DEMO }).scopeKey);
    assert.notStrictEqual(rateLimiterFor(a.scopeKey), rateLimiterFor(b.scopeKey));
    assert.strictEqual(rateLimiterFor(a.scopeKey), rateLimiterFor(clientOf({ kind: 'app', ...DEMO }).scopeKey));
    // the shared limiter has the documented budget
    assert.deepStrictEqual([rateLimiterFor(a.scopeKey).perSecond, rateLimiterFor(a.scopeKey).perMinute], [50, 1000]);
    await assertOwnKeys(a, b, APP_B.appId);
  });

  test('two tenants with static tokens: separate scopes (no token in them), each uploads its own copy', async () => {
    const tokenA = server.issueStaticToken(DEMO.appId);
    const tokenB = server.issueStaticToken(APP_B.appId);
    const a = clientOf({ kind: 'token', token: tokenA });
    const b = clientOf({ kind: 'token', token: tokenB });
    assert.notStrictEqual(a.scopeKey, b.scopeKey);
    assert.strictEqual(a.scopeKey, clientOf({ kind: 'token', token: tokenA }).scopeKey);
    for (const k of [a.scopeKey, b.scopeKey]) {
      assert.ok(!k.includes(tokenA) && !k.includes(tokenA.slice(2, 18)) && !k.includes(tokenB.slice(2, 18)), k);
    }
    assert.notStrictEqual(rateLimiterFor(a.scopeKey), rateLimiterFor(b.scopeKey));
    await assertOwnKeys(a, b, APP_B.appId);
  });

  /** A uploads a file, then B the same file through one dedupe index: B must get a key of its own app. */
  async function assertOwnKeys(a: LarkClient, b: LarkClient, appOfB: string): Promise<void> {
    const dedupe = new DedupeIndex(new MemoryStore());
    const scheduler = new UploadScheduler({ limiter: new RateLimiter(1000, 100000) });
    const [ra] = await uploadFiles([png], { client: a, scheduler, imageType: 'message', dedupe });
    const [again] = await uploadFiles([png], { client: a, scheduler, imageType: 'message', dedupe });
    const [rb] = await uploadFiles([png], { client: b, scheduler, imageType: 'message', dedupe });
    assert.ok(ra.ok && again.ok && rb.ok);
    assert.ok(again.deduped && again.imageKey === ra.imageKey, 'same app: the index answers');
    assert.ok(!rb.deduped && rb.imageKey !== ra.imageKey, 'another app/tenant: uploaded again');
    assert.strictEqual(server.images.get(rb.imageKey)?.appId, appOfB);
    assert.strictEqual(server.uploads(), 2);
  }
});

/** Jobs that upload a PNG through the limiter (optionally after a preparation time on the clock). */
function budgetedUploads(client: LarkClient, count: number, onSend?: () => void, prep?: { clock: ManualClock; prepMs: (index: number) => number }) {
  return clockedJobs(count, async ({ index, signal, acquire, waiting }) => {
    const prepMs = prep?.prepMs(index) ?? 0;
    if (prep && prepMs > 0) await waiting(() => prep.clock.sleep(prepMs, signal));
    return client.uploadImage(pngSource(), 'message', {
      signal,
      beforeSend: async () => {
        await acquire();
        onSend?.();
      },
    });
  });
}

suite('core/scheduler + client: the 50/s budget, exactly (manual clock shared with the stand-in)', () => {
  let server: LarkServer | undefined;
  teardown(async () => {
    await server?.close();
    server = undefined;
  });

  test('120 uploads at concurrency 16: 50 per window, zero 429s, no window left half-used', async () => {
    const clock = new ManualClock();
    server = await startLarkServer({ now: clock.now });
    const client = appClient(server, { now: clock.now });
    const limiter = new RateLimiter(undefined, undefined, clock);
    const scheduler = new UploadScheduler({ concurrency: 16, limiter, clock, random: () => 0 });
    const { jobs, idle } = budgetedUploads(client, 120);
    const t0 = clock.now();
    const out = await drive(clock, scheduler.run(jobs), idle);
    assert.strictEqual(out.filter((o) => o.ok).length, 120);
    assert.deepStrictEqual(
      uploadRequests(server).filter((q) => q.status === 429).length,
      0,
      'our own traffic never meets a 429 when nobody else uses the app',
    );
    // The sliding window of 1000 ms + the 25 ms guard: 50 at once, then 50 per 1025 ms.
    assert.deepStrictEqual(arrivalsByOffset(uploadRequests(server), t0), { 0: 50, 1025: 50, 2050: 20 });
    assert.strictEqual(server.uploads(), 120);
  });

  test('1100 starts: the minute budget (1000) holds too, through the stand-in', async function () {
    this.timeout(120_000);
    const clock = new ManualClock();
    server = await startLarkServer({ now: clock.now });
    const client = appClient(server, { now: clock.now });
    const scheduler = new UploadScheduler({ concurrency: 16, limiter: new RateLimiter(undefined, undefined, clock), clock, random: () => 0 });
    const { jobs, idle } = budgetedUploads(client, 1010);
    const t0 = clock.now();
    const out = await drive(clock, scheduler.run(jobs), idle, 110_000);
    assert.strictEqual(out.filter((o) => o.ok).length, 1010);
    const uploads = uploadRequests(server);
    assert.strictEqual(uploads.filter((q) => q.status === 429).length, 0);
    const byOffset = arrivalsByOffset(uploads, t0);
    // 20 windows of 50 fill the minute by 19 x 1025 ms; the last 10 wait for the minute to slide.
    assert.strictEqual(byOffset[19 * 1025], 50);
    assert.strictEqual(byOffset[60_025], 10);
  });

  test('someone else spent the budget: after a 429 nothing starts before x-ogw-ratelimit-reset, then all land', async () => {
    const clock = new ManualClock();
    server = await startLarkServer({ now: clock.now });
    // Another process of the same app used 45 of this second's 50 requests.
    const other = appClient(server, { now: clock.now });
    const spent = budgetedUploads(other, 45);
    await drive(clock, new UploadScheduler({ concurrency: 8, limiter: new RateLimiter(undefined, undefined, clock), clock }).run(spent.jobs), spent.idle);
    const before = uploadRequests(server).length;
    const t0 = clock.now();

    // Ours knows the budget but not the other process. Jobs after the sixth need 100 ms to prepare
    // (reading a file), so they ask for the budget after the 429 has been seen.
    let limitedUntil = -Infinity;
    const sends: number[] = [];
    const client = appClient(server, { now: clock.now });
    const scheduler = new UploadScheduler({
      concurrency: 4,
      limiter: new RateLimiter(undefined, undefined, clock),
      clock,
      random: () => 0,
      onRetry: (_i, _attempt, _delay, err) => {
        if (err.code === 99991400) limitedUntil = Math.max(limitedUntil, clock.now() + (err.retryAfterMs ?? 0));
      },
    });
    const { jobs, idle } = budgetedUploads(client, 20, () => sends.push(clock.now() - limitedUntil), { clock, prepMs: (i) => (i >= 6 ? 100 : 0) });
    const out = await drive(clock, scheduler.run(jobs), idle);

    assert.strictEqual(out.filter((o) => o.ok).length, 20);
    const ours = uploadRequests(server).slice(before);
    const limited = ours.filter((q) => q.status === 429);
    assert.ok(limited.length >= 1, 'the other process left 5 requests: the sixth meets the limit');
    assert.ok(limited.every((q) => q.at === t0), `429s at ${limited.map((q) => q.at - t0)}`);
    const early = sends.filter((d) => d < 0);
    assert.deepStrictEqual(early, [], 'requests sent before the gateway reset');
    // 5 slots were left at t0; everything else went from the reset (t0 + 1 s) on, and landed.
    assert.strictEqual(ours.filter((q) => q.at === t0 && q.status === 200).length, 5);
    const later = ours.filter((q) => q.at !== t0).map((q) => `${q.at - t0}:${q.status}`);
    assert.deepStrictEqual(later.filter((x) => !/^1[0-9]{3}:200$/.test(x)), [], later.join(' '));
    assert.strictEqual(server.uploads(), 65);
  });
});

suite('core/larkClient: every kind of answer, from a scripted fetch', () => {
  type Answer = { status?: number; statusText?: string; body?: string | Readable; headers?: Record<string, string> };
  const calls: { url: string; method: string; auth: string | undefined; contentType?: string; body?: string }[] = [];
  const tokenOk = (): Answer => ({ body: JSON.stringify({ code: 0, msg: 'ok', tenant_access_token: 't-scripted-token-000000000001', expire: 7200 }) });

  /** A client whose fetch answers from `script` in order (the token request included). */
  function scripted(script: Answer[], extra: Partial<ConstructorParameters<typeof LarkClient>[0]> = {}): LarkClient {
    calls.length = 0;
    const fetch: FetchLike = async (url, init) => {
      const headers = (init.headers ?? {}) as Record<string, string>;
      calls.push({ url, method: String(init.method), auth: headers.Authorization, contentType: headers['Content-Type'], body: typeof init.body === 'string' ? init.body : undefined });
      const a = script.shift();
      if (!a) throw new Error('script exhausted');
      return new Response(a.body ?? '', { status: a.status ?? 200, statusText: a.statusText, headers: { 'content-type': 'application/json', ...a.headers } });
    };
    return new LarkClient({ baseUrl: 'https://lark.example.com', credentials: { kind: 'app', appId: 'cli_scripted', appSecret: 'scripted-secret-value' }, fetch, ...extra });
  }
  const upload = (c: LarkClient) => c.uploadImage(pngSource(), 'message');

  test('missing credentials are refused before any request (9107)', () => {
    for (const credentials of [
      { kind: 'app' as const, appId: '', appSecret: 'x' },
      { kind: 'app' as const, appId: 'cli_x', appSecret: '' },
      { kind: 'token' as const, token: '' },
    ]) {
      assert.throws(
        () => new LarkClient({ credentials, fetch: async () => assert.fail('no request') }),
        (e: unknown) =>
          e instanceof UploadError &&
          e.code === LocalCode.MissingCredentials &&
          e.message === (credentials.kind === 'app' ? 'App ID and App Secret are both required.' : 'The tenant access token is empty.'),
      );
    }
  });

  test('a success: the key, the log id from X-Tt-Logid (else X-Request-Id), the token sent as Bearer', async () => {
    const c = scripted([tokenOk(), { body: JSON.stringify({ code: 0, data: { image_key: 'img_v2_a' } }), headers: { 'x-tt-logid': 'LOG-A' } }, { body: JSON.stringify({ code: 0, data: { image_key: 'img_v2_b' } }), headers: { 'x-request-id': 'REQ-B' } }, { body: JSON.stringify({ code: 0, data: { image_key: 'img_v2_c' } }) }]);
    assert.deepStrictEqual(await upload(c), { imageKey: 'img_v2_a', logId: 'LOG-A' });
    assert.deepStrictEqual(await upload(c), { imageKey: 'img_v2_b', logId: 'REQ-B' });
    assert.deepStrictEqual(await upload(c), { imageKey: 'img_v2_c', logId: undefined });
    assert.deepStrictEqual(
      calls.map((k) => `${k.method} ${k.url} ${k.auth ?? '-'}`),
      [
        'POST https://lark.example.com/open-apis/auth/v3/tenant_access_token/internal -',
        'POST https://lark.example.com/open-apis/im/v1/images Bearer t-scripted-token-000000000001',
        'POST https://lark.example.com/open-apis/im/v1/images Bearer t-scripted-token-000000000001',
        'POST https://lark.example.com/open-apis/im/v1/images Bearer t-scripted-token-000000000001',
      ],
    );
  });

  test('the token request: JSON with app_id and app_secret', async () => {
    await scripted([tokenOk()]).getToken();
    assert.strictEqual(calls[0].contentType, 'application/json; charset=utf-8');
    assert.deepStrictEqual(JSON.parse(calls[0].body ?? ''), { app_id: 'cli_scripted', app_secret: 'scripted-secret-value' });
  });

  test('a token that lives exactly 30 minutes is re-asked after a minute', async () => {
    const clock = new ManualClock();
    const t = (n: number): Answer => ({ body: JSON.stringify({ code: 0, tenant_access_token: `t-thirty-minutes-00000${n}`, expire: 1800 }) });
    const c = scripted([t(1), t(2)], { now: clock.now });
    await c.getToken();
    clock.advance(59_999);
    assert.strictEqual(await c.getToken(), 't-thirty-minutes-000001');
    clock.advance(1);
    assert.strictEqual(await c.getToken(), 't-thirty-minutes-000002');
  });

  test('an error code with an image_key is still an error', async () => {
    await rejectsWithCode(upload(scripted([tokenOk(), { status: 200, body: JSON.stringify({ code: 234001, msg: 'bad', data: { image_key: 'img_v2_not_really' } }) }])), 234001);
  });

  test('code 0 without an image_key (or an empty one) is 9103 with the HTTP status', async () => {
    for (const data of [{}, { image_key: '' }, { image_key: 7 }, null]) {
      const err = await rejectsWithCode(upload(scripted([tokenOk(), { status: 200, body: JSON.stringify({ code: 0, data }) }])), LocalCode.BadResponse);
      assert.strictEqual(err.httpStatus, 200);
      assert.match(err.message, /^Upload failed: HTTP 200 without the expected fields\.$/);
    }
  });

  test('a Lark error carries code, msg, log id (body first), troubleshooter, violations and the reset', async () => {
    const body = { code: 99991400, msg: 'request trigger frequency limit', error: { log_id: 'BODY-LOG', troubleshooter: 'https://t.example/x', permission_violations: [{ subject: 'im:resource' }] } };
    const err = await rejectsWithCode(upload(scripted([tokenOk(), { status: 429, body: JSON.stringify(body), headers: { 'x-tt-logid': 'HEADER-LOG', 'x-ogw-ratelimit-reset': '2' } }])), 99991400);
    assert.strictEqual(err.message, 'Upload failed: request trigger frequency limit');
    assert.strictEqual(err.logId, 'BODY-LOG');
    assert.strictEqual(err.httpStatus, 429);
    assert.strictEqual(err.retryAfterMs, 2000);
    assert.strictEqual(err.troubleshooter, 'https://t.example/x');
    assert.deepStrictEqual(err.permissionViolations, [{ subject: 'im:resource' }]);
    const bare = await rejectsWithCode(upload(scripted([tokenOk(), { status: 400, body: JSON.stringify({ code: 234011 }), headers: { 'x-tt-logid': 'H2' } }])), 234011);
    assert.strictEqual(bare.message, 'Upload failed: code 234011');
    assert.strictEqual(bare.logId, 'H2');
    assert.strictEqual(bare.troubleshooter, undefined);
    assert.strictEqual(bare.permissionViolations, undefined);
    assert.strictEqual(bare.retryAfterMs, undefined);
  });

  test('x-ogw-ratelimit-reset that is 0, negative or not a number gives no retryAfterMs', async () => {
    for (const reset of ['0', '-3', 'soon']) {
      const err = await rejectsWithCode(upload(scripted([tokenOk(), { status: 429, body: JSON.stringify({ code: 99991400, msg: 'limited' }), headers: { 'x-ogw-ratelimit-reset': reset } }])), 99991400);
      assert.strictEqual(err.retryAfterMs, undefined, reset);
    }
  });

  test('not Lark JSON: HTML, a JSON array or number, a non-numeric code', async () => {
    const html = await rejectsWithCode(upload(scripted([tokenOk(), { status: 502, statusText: 'Bad Gateway', body: '<html>bad gateway</html>', headers: { 'content-type': 'text/html; charset=utf-8' } }])), LocalCode.BadResponse);
    assert.strictEqual(html.message, 'Unexpected answer from https://lark.example.com: HTTP 502 Bad Gateway (text/html, not Lark JSON).');
    assert.strictEqual(html.httpStatus, 502);
    const plain = await rejectsWithCode(upload(scripted([tokenOk(), { status: 503, body: 'busy', headers: { 'content-type': 'text/plain' } }])), LocalCode.BadResponse);
    assert.strictEqual(plain.message, 'Unexpected answer from https://lark.example.com: HTTP 503 (text/plain, not Lark JSON).');
    for (const body of ['[1,2]', '42', 'null']) {
      await rejectsWithCode(upload(scripted([tokenOk(), { status: 200, body }])), LocalCode.BadResponse);
    }
    const weird = await rejectsWithCode(upload(scripted([tokenOk(), { status: 400, body: JSON.stringify({ code: '234011', msg: 'x' }) }])), LocalCode.BadResponse);
    assert.match(weird.message, /HTTP 400 without the expected fields/);
  });

  test('an answer cut off while reading is 9101 with the status', async () => {
    const broken = new Readable({
      read() {
        this.destroy(new Error('socket hang up'));
      },
    });
    const err = await rejectsWithCode(upload(scripted([tokenOk(), { status: 200, body: broken }])), LocalCode.NetworkError);
    assert.strictEqual(err.message, 'Connection lost while reading the answer (HTTP 200).');
    assert.strictEqual(err.httpStatus, 200);
  });

  test('a token answer without a token, or with code != 0, is an error of its own', async () => {
    await rejectsWithCode(scripted([{ body: JSON.stringify({ code: 0, msg: 'ok', expire: 7200 }) }]).getToken(), LocalCode.BadResponse);
    await rejectsWithCode(scripted([{ body: JSON.stringify({ code: 0, tenant_access_token: 't-x', expire: '7200' }) }]).getToken(), LocalCode.BadResponse);
    const e = await rejectsWithCode(scripted([{ body: JSON.stringify({ code: 10003, msg: 'invalid param', tenant_access_token: 't-x', expire: 7200 }) }]).getToken(), 10003);
    assert.strictEqual(e.message, 'Could not get a tenant access token: invalid param');
  });

  test('redirects of every 3xx are refused, naming where they pointed', async () => {
    for (const status of [300, 301, 308, 399]) {
      const err = await rejectsWithCode(upload(scripted([tokenOk(), { status, headers: { location: 'https://elsewhere.example:8443/x' } }])), LocalCode.RedirectRefused);
      assert.strictEqual(err.httpStatus, status);
      assert.match(err.message, new RegExp(`HTTP ${status} redirecting to https://elsewhere\\.example:8443;`));
    }
    const odd = await rejectsWithCode(upload(scripted([tokenOk(), { status: 302, headers: { location: 'http://[bad' } }])), LocalCode.RedirectRefused);
    assert.match(odd.message, /redirecting to another location;/);
    const none = await rejectsWithCode(upload(scripted([tokenOk(), { status: 302 }])), LocalCode.RedirectRefused);
    assert.match(none.message, /redirecting to https:\/\/lark\.example\.com;/);
  });

  test('network failures name the cause; an abort before sending makes no request', async () => {
    const refused = new LarkClient({
      baseUrl: 'https://lark.example.com',
      credentials: { kind: 'token', token: 't-static-000000000000000001' },
      fetch: async () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    });
    const e1 = await rejectsWithCode(upload(refused), LocalCode.NetworkError);
    assert.strictEqual(e1.message, 'Network error talking to https://lark.example.com: ECONNREFUSED.');
    const noCode = new LarkClient({ baseUrl: 'https://lark.example.com', credentials: { kind: 'token', token: 't-static-000000000000000001' }, fetch: async () => Promise.reject(new Error('getaddrinfo failed')) });
    assert.strictEqual((await rejectsWithCode(upload(noCode), LocalCode.NetworkError)).message, 'Network error talking to https://lark.example.com: getaddrinfo failed.');
    const typed = new LarkClient({ baseUrl: 'https://lark.example.com', credentials: { kind: 'token', token: 't-static-000000000000000001' }, fetch: async () => Promise.reject(new UploadError(LocalCode.InsecureBaseUrl, 'typed')) });
    await rejectsWithCode(upload(typed), LocalCode.InsecureBaseUrl);
    let fetched = 0;
    const c = new LarkClient({ baseUrl: 'https://lark.example.com', credentials: { kind: 'token', token: 't-static-000000000000000001' }, fetch: async () => (fetched++, new Response('{}')) });
    const ac = new AbortController();
    ac.abort();
    await rejectsWithCode(c.uploadImage(pngSource(), 'message', { signal: ac.signal }), LocalCode.Cancelled);
    await rejectsWithCode(c.downloadImage('img_v2_x', { signal: ac.signal }), LocalCode.Cancelled);
    assert.strictEqual(fetched, 0);
  });

  test('a TLS certificate Node rejects is 9108, not retried; other errors of the same call stay 9101', async () => {
    const tlsCodes = [
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'UNABLE_TO_GET_ISSUER_CERT',
      'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'CERT_UNTRUSTED',
      'CERT_HAS_EXPIRED',
      'CERT_NOT_YET_VALID',
      'CERT_REVOKED',
      'ERR_TLS_CERT_ALTNAME_INVALID',
    ];
    for (const code of tlsCodes) {
      let fetched = 0;
      const c = new LarkClient({
        baseUrl: 'https://lark.example.com',
        credentials: { kind: 'token', token: 't-static-000000000000000001' },
        fetch: async () => (fetched++, Promise.reject(Object.assign(new Error(`request failed, reason: ${code}`), { code }))),
      });
      const scheduler = new UploadScheduler({ concurrency: 1, retry: { baseDelayMs: 1, maxDelayMs: 1 } });
      const [out] = await scheduler.run([({ signal, acquire }) => c.uploadImage(pngSource(), 'message', { signal, beforeSend: acquire })]);
      assert.ok(!out.ok, code);
      assert.strictEqual(out.error.code, LocalCode.CertificateRejected, code);
      assert.strictEqual(out.error.message, `The TLS certificate of https://lark.example.com was not accepted: ${code}.`);
      assert.strictEqual(out.attempts, 1, `${code}: retried`);
      assert.strictEqual(fetched, 1, code);
    }
    // a code that only looks alike is a network error, retried
    let fetched = 0;
    const c = new LarkClient({
      baseUrl: 'https://lark.example.com',
      credentials: { kind: 'token', token: 't-static-000000000000000001' },
      fetch: async () => (fetched++, Promise.reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))),
    });
    const scheduler = new UploadScheduler({ concurrency: 1, retry: { baseDelayMs: 1, maxDelayMs: 1, maxAttempts: 3 } });
    const [out] = await scheduler.run([({ signal, acquire }) => c.uploadImage(pngSource(), 'message', { signal, beforeSend: acquire })]);
    assert.ok(!out.ok && out.error.code === LocalCode.NetworkError && out.attempts === 3 && fetched === 3, JSON.stringify(out));
  });

  test('the timeout message names the limit in seconds', async () => {
    const hang: FetchLike = (_url, init) =>
      new Promise((_resolve, reject) => (init.signal as AbortSignal).addEventListener('abort', () => reject(new Error('aborted'))));
    const c = new LarkClient({ baseUrl: 'https://lark.example.com', credentials: { kind: 'token', token: 't-static-000000000000000001' }, fetch: hang, timeoutMs: 1500 });
    const e = await rejectsWithCode(upload(c), LocalCode.Timeout);
    assert.strictEqual(e.message, 'No answer from https://lark.example.com within 2 s.');
  });

  test('the request log: one line per request, the key hidden in download paths, durations from the clock', async () => {
    const clock = new ManualClock();
    const logs: RequestLog[] = [];
    const c = scripted(
      [
        tokenOk(),
        { body: 'PNGBYTES', headers: { 'content-type': 'image/png', 'x-tt-logid': 'DL' } },
        { status: 400, body: JSON.stringify({ code: 234008, msg: 'not the sender' }), headers: { 'x-tt-logid': 'DL2' } },
        { status: 200, body: JSON.stringify({ code: 234005, msg: 'deleted' }) },
      ],
      { now: clock.now, onRequest: (l) => logs.push(l) },
    );
    const got = await c.downloadImage('img_v2_secret/key');
    assert.deepStrictEqual([got.bytes.toString(), got.contentType, got.logId], ['PNGBYTES', 'image/png', 'DL']);
    assert.strictEqual(calls[1].url, 'https://lark.example.com/open-apis/im/v1/images/img_v2_secret%2Fkey');
    await rejectsWithCode(c.downloadImage('img_v2_other'), 234008);
    await rejectsWithCode(c.downloadImage('img_v2_json'), 234005); // a 200 that is JSON is an error answer
    assert.deepStrictEqual(
      logs.map((l) => `${l.method} ${l.path} ${l.status} ${l.code} ${l.logId} ${l.durationMs}`),
      [
        'POST /open-apis/auth/v3/tenant_access_token/internal 200 0 undefined 0',
        'GET /open-apis/im/v1/images/:image_key 200 0 DL 0',
        'GET /open-apis/im/v1/images/:image_key 400 234008 DL2 0',
        'GET /open-apis/im/v1/images/:image_key 200 234005 undefined 0',
      ],
    );
  });

  test('tokenSecondsLeft and testConnection (which always asks for a fresh token)', async () => {
    const clock = new ManualClock();
    const c = scripted([tokenOk(), tokenOk()], { now: clock.now });
    assert.strictEqual(c.tokenSecondsLeft(), undefined);
    await c.getToken();
    clock.advance(1400); // 7198.6 s left
    assert.strictEqual(c.tokenSecondsLeft(), 7199);
    assert.deepStrictEqual(await c.testConnection(), { tokenSecondsLeft: 7200 });
    assert.strictEqual(calls.length, 2);
    clock.advance(3 * 3600_000);
    assert.strictEqual(c.tokenSecondsLeft(), 0);
    const staticClient = new LarkClient({ baseUrl: 'https://lark.example.com', credentials: { kind: 'token', token: 't-static-000000000000000001' }, fetch: async () => assert.fail('no request') });
    assert.strictEqual(await staticClient.getToken(), 't-static-000000000000000001');
    assert.deepStrictEqual(await staticClient.testConnection(), { tokenSecondsLeft: undefined });
    assert.strictEqual(staticClient.appId, undefined);
    assert.strictEqual(c.appId, 'cli_scripted');
  });

  test('the image part: the file name (or the given one), its type and every byte; a missing file is 9003', async () => {
    let seen: { name: string; type: string; bytes: Buffer } | undefined;
    const fetch: FetchLike = async (url, init) => {
      if (url.endsWith(TOKEN_PATH)) return new Response(JSON.stringify({ code: 0, tenant_access_token: 't-part-0000000000000001', expire: 7200 }));
      const form = init.body as unknown as { get(name: string): { name: string; type: string; arrayBuffer(): Promise<ArrayBuffer> } };
      const part = form.get('image');
      seen = { name: part.name, type: part.type, bytes: Buffer.from(await part.arrayBuffer()) };
      return new Response(JSON.stringify({ code: 0, data: { image_key: 'img_v2_part' } }));
    };
    const c = new LarkClient({ baseUrl: 'https://lark.example.com', credentials: { kind: 'app', appId: 'cli_p', appSecret: 'part-secret' }, fetch });
    await c.uploadImage({ kind: 'file', path: jpg, mime: 'image/jpeg' }, 'message');
    assert.deepStrictEqual(seen, { name: 'photo.jpg', type: 'image/jpeg', bytes: fs.readFileSync(jpg) });
    await c.uploadImage({ kind: 'file', path: jpg, mime: 'image/jpeg', name: 'renamed.jpg' }, 'message');
    assert.strictEqual(seen?.name, 'renamed.jpg');
    const bytes = fs.readFileSync(png);
    await c.uploadImage({ kind: 'bytes', bytes, mime: 'image/png', name: 'pasted.png' }, 'avatar');
    assert.deepStrictEqual(seen, { name: 'pasted.png', type: 'image/png', bytes });
    const missing = path.join(dir, 'gone.png');
    const err = await rejectsWithCode(c.uploadImage({ kind: 'file', path: missing, mime: 'image/png' }, 'message'), LocalCode.FileUnreadable);
    assert.ok(err.message.startsWith(`Cannot read ${missing}: `), err.message);
  });
});
