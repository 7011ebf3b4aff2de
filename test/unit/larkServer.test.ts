// Tests of the stand-in Lark server over real sockets (global fetch + FormData/Blob).
// The servers run on a frozen clock (moved only by advanceClock), so rate windows and token
// lifetimes never depend on how long a request took; waits are for the server's own events
// (a request arrived, a request finished), not sleeps.
import * as assert from 'assert';
import * as http from 'http';
import * as path from 'path';
import { spawn } from 'child_process';
import sharp from 'sharp';
import { startLarkServer, LarkServer, LarkServerOptions, MockApp, DEMO_APP, MAX_IMAGE_BYTES } from '../larkServer/server';

const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';
const UPLOAD_PATH = '/open-apis/im/v1/images';

let PNG1: Buffer; // 1x1 PNG made by sharp

/** Sets the IHDR width/height of a PNG (image-size reads only the header). */
function pngOfSize(width: number, height: number): Buffer {
  const b = Buffer.from(PNG1);
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  return b;
}
/** A minimal GIF header + 1x1 body with the logical screen size patched. */
function gifOfSize(width: number, height: number): Buffer {
  const b = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
  b.writeUInt16LE(width, 6);
  b.writeUInt16LE(height, 8);
  return b;
}
/** A valid PNG padded with zero bytes after IEND to exactly `size` bytes. */
function paddedPng(size: number): Buffer {
  const b = Buffer.alloc(size);
  PNG1.copy(b, 0);
  return b;
}

interface Json {
  code: number;
  msg: string;
  data?: Record<string, unknown>;
  error?: { log_id: string; troubleshooter: string; message?: string; permission_violations?: { type: string; subject: string; description: string }[] };
  tenant_access_token?: string;
  expire?: number;
}
interface Answer {
  status: number;
  json: Json;
  headers: Headers;
}

async function asJson(r: Response): Promise<Answer> {
  const text = await r.text();
  let json: Json;
  try {
    json = JSON.parse(text) as Json;
  } catch {
    throw new Error(`not JSON (HTTP ${r.status}): ${text.slice(0, 200)}`);
  }
  return { status: r.status, json, headers: r.headers };
}

async function tokenCall(s: LarkServer, body: unknown, raw?: string): Promise<Answer> {
  return asJson(
    await fetch(s.baseUrl + TOKEN_PATH, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: raw ?? JSON.stringify(body),
    }),
  );
}
async function getToken(s: LarkServer, app: MockApp = s.demo): Promise<string> {
  const a = await tokenCall(s, { app_id: app.appId, app_secret: app.appSecret });
  assert.strictEqual(a.json.code, 0, JSON.stringify(a.json));
  return a.json.tenant_access_token as string;
}

interface UploadOpts {
  token?: string | null; // null = no Authorization header
  authorization?: string; // raw header value
  imageType?: string | null; // null = field omitted
  bytes?: Buffer | null; // null = part omitted
  fileName?: string;
  contentType?: string;
  signal?: AbortSignal;
}
function uploadRaw(s: LarkServer, o: UploadOpts): Promise<Response> {
  const fd = new FormData();
  if (o.imageType !== null) fd.append('image_type', o.imageType ?? 'message');
  if (o.bytes !== null) fd.append('image', new Blob([new Uint8Array(o.bytes ?? PNG1)], { type: o.contentType ?? 'image/png' }), o.fileName ?? 'a.png');
  const headers: Record<string, string> = {};
  if (o.authorization !== undefined) headers.Authorization = o.authorization;
  else if (o.token) headers.Authorization = `Bearer ${o.token}`;
  return fetch(s.baseUrl + UPLOAD_PATH, { method: 'POST', headers, body: fd, signal: o.signal });
}
async function upload(s: LarkServer, o: UploadOpts): Promise<Answer> {
  return asJson(await uploadRaw(s, o));
}
function assertLarkError(a: Answer, code: number, status = 400): void {
  assert.strictEqual(a.json.code, code, JSON.stringify(a.json));
  assert.strictEqual(a.status, status);
  const logId = a.headers.get('x-tt-logid');
  assert.ok(logId, 'X-Tt-Logid header');
  assert.ok(a.json.error, 'error object');
  assert.strictEqual(a.json.error.log_id, logId);
  assert.ok(a.json.error.troubleshooter.includes(`log_id=${logId}`) && a.json.error.troubleshooter.includes(`code=${code}`));
  assert.strictEqual(typeof a.json.msg, 'string');
}

/** A fixed instant: the servers' clock stands still unless a test moves it (advanceClock). */
const FROZEN = (): number => Date.UTC(2026, 0, 1, 9, 30);

/**
 * Requests a server has finished (its onRequest: answered, reset, or the client went away), and a
 * promise for "the server has finished n requests".
 */
function finishEvents(): { onRequest: () => void; finished: (n: number) => Promise<void> } {
  let count = 0;
  let waiters: (() => void)[] = [];
  return {
    onRequest: () => {
      count++;
      const w = waiters;
      waiters = [];
      w.forEach((wake) => wake());
    },
    finished: async (n) => {
      while (count < n) await new Promise<void>((wake) => waiters.push(wake));
    },
  };
}

/** Resolves when `condition` holds (checked every 2 ms; the test's timeout is the only deadline). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 2));
}

function withServer(opts: LarkServerOptions = {}): { s: () => LarkServer; finished: (n: number) => Promise<void> } {
  let server: LarkServer | undefined;
  let events = finishEvents();
  suiteSetup(async () => {
    if (!PNG1) PNG1 = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#ff0000' } }).png().toBuffer();
    server = await startLarkServer({ now: FROZEN, ...opts, onRequest: () => events.onRequest() });
  });
  // counts restart with reset(), like server.requests
  setup(() => {
    events = finishEvents();
  });
  suiteTeardown(async () => {
    await server?.close();
  });
  return { s: () => server as LarkServer, finished: (n) => events.finished(n) };
}

suite('larkServer: tenant_access_token', () => {
  const { s } = withServer();
  setup(() => s().reset());

  test('happy path: HTTP 200, fields at top level, t- token, expire 7200', async () => {
    const a = await tokenCall(s(), { app_id: DEMO_APP.appId, app_secret: DEMO_APP.appSecret });
    assert.strictEqual(a.status, 200);
    assert.strictEqual(a.json.code, 0);
    assert.strictEqual(a.json.msg, 'ok');
    assert.match(a.json.tenant_access_token ?? '', /^t-[0-9a-f]{20,}$/);
    assert.strictEqual(a.json.expire, 7200);
    assert.strictEqual(a.json.data, undefined);
    assert.ok(a.headers.get('x-tt-logid'));
    assert.strictEqual(s().tokenRequests(), 1);
    assert.strictEqual(s().requests[0].appId, DEMO_APP.appId);
  });

  test('10003 for missing / empty fields and bad JSON, always HTTP 200 with data {}', async () => {
    for (const [body, raw] of [
      [{ app_id: DEMO_APP.appId }, undefined],
      [{ app_id: '', app_secret: 'x' }, undefined],
      [{ app_secret: DEMO_APP.appSecret }, undefined],
      [{ app_id: DEMO_APP.appId, app_secret: 5 }, undefined],
      [undefined, '{not json'],
      [undefined, ''],
    ] as [unknown, string | undefined][]) {
      const a = await tokenCall(s(), body, raw);
      assertLarkError(a, 10003, 200);
      assert.strictEqual(a.json.msg, 'invalid param');
      assert.deepStrictEqual(a.json.data, {});
    }
  });

  test('10014 unknown app id, 10015 wrong secret (HTTP 200)', async () => {
    assertLarkError(await tokenCall(s(), { app_id: 'cli_nope', app_secret: 'x' }), 10014, 200);
    assertLarkError(await tokenCall(s(), { app_id: DEMO_APP.appId, app_secret: 'wrong' }), 10015, 200);
    assert.strictEqual(s().tokenRequests(), 2);
  });

  test('same token while more than 30 min remain, with a smaller expire', async () => {
    s().invalidateAllTokens(); // start from a fresh token
    const t1 = await getToken(s());
    s().advanceClock(60_000);
    const a = await tokenCall(s(), { app_id: DEMO_APP.appId, app_secret: DEMO_APP.appSecret });
    assert.strictEqual(a.json.tenant_access_token, t1);
    assert.strictEqual(a.json.expire, 7140);
  });

  test('new token when less than 30 min remain; the old one stays valid until its expiry', async () => {
    s().invalidateAllTokens();
    const t1 = await getToken(s());
    s().advanceClock((7200 - 1799) * 1000); // 1799 s left
    const a = await tokenCall(s(), { app_id: DEMO_APP.appId, app_secret: DEMO_APP.appSecret });
    const t2 = a.json.tenant_access_token as string;
    assert.notStrictEqual(t2, t1);
    assert.strictEqual(a.json.expire, 7200);
    assert.strictEqual((await upload(s(), { token: t1 })).json.code, 0, 'old token still valid');
    s().advanceClock(1800 * 1000); // t1 expired now
    assertLarkError(await upload(s(), { token: t1 }), 99991663);
    assert.strictEqual((await upload(s(), { token: t2 })).json.code, 0);
    // at exactly 30 min left (ttl 7200 -> advance 5400 s) a new token is issued too
    s().advanceClock(5400 * 1000 - 1800 * 1000);
    const t3 = await getToken(s());
    assert.notStrictEqual(t3, t2);
  });

  test('short-lived tokens from tokenTtlSeconds expire for real', async () => {
    const short = await startLarkServer({ tokenTtlSeconds: 1801, now: FROZEN });
    try {
      const a = await tokenCall(short, { app_id: DEMO_APP.appId, app_secret: DEMO_APP.appSecret });
      assert.strictEqual(a.json.expire, 1801);
      const again = await tokenCall(short, { app_id: DEMO_APP.appId, app_secret: DEMO_APP.appSecret });
      assert.strictEqual(again.json.tenant_access_token, a.json.tenant_access_token, '1801 s left > 30 min');
      short.advanceClock(2000);
      const third = await tokenCall(short, { app_id: DEMO_APP.appId, app_secret: DEMO_APP.appSecret });
      assert.notStrictEqual(third.json.tenant_access_token, a.json.tenant_access_token, '1799 s left');
      short.advanceClock(1800 * 1000);
      assertLarkError(await upload(short, { token: a.json.tenant_access_token }), 99991663);
    } finally {
      await short.close();
    }
  });
});

suite('larkServer: gateway', () => {
  const { s } = withServer({
    apps: [DEMO_APP, { appId: 'cli_noscope', appSecret: 's1', scopes: [] }, { appId: 'cli_uponly', appSecret: 's2', scopes: ['im:resource:upload'] }],
  });
  setup(() => s().reset());

  test('99991661 without Authorization or with an empty one', async () => {
    assertLarkError(await upload(s(), { token: null }), 99991661);
    assertLarkError(await upload(s(), { authorization: 'Bearer ' }), 99991661);
    assert.strictEqual(s().requests[0].authorization, 'absent');
  });

  test('99991671 when the token does not start with t-/u-', async () => {
    assertLarkError(await upload(s(), { authorization: 'Bearer abc123' }), 99991671);
    assertLarkError(await upload(s(), { authorization: 'Basic dXNlcjpwYXNz' }), 99991671);
  });

  test('99991663 for unknown, invalidated and expired tokens; gateway before body checks', async () => {
    assertLarkError(await upload(s(), { token: 't-doesnotexist' }), 99991663);
    // body would be a 234001, but the token is checked first
    assertLarkError(await upload(s(), { token: 't-doesnotexist', imageType: null, bytes: null }), 99991663);
    const t = await getToken(s());
    s().invalidateAllTokens();
    assertLarkError(await upload(s(), { token: t }), 99991663);
    const st = s().issueStaticToken(undefined, 10);
    assert.strictEqual((await upload(s(), { token: st })).json.code, 0);
    s().advanceClock(10_000);
    assertLarkError(await upload(s(), { token: st }), 99991663);
    assert.strictEqual(s().uploads(), 1);
  });

  test('99991672 with permission_violations when the app has no image scope', async () => {
    const t = await getToken(s(), { appId: 'cli_noscope', appSecret: 's1' });
    const a = await upload(s(), { token: t });
    assertLarkError(a, 99991672);
    const pv = a.json.error?.permission_violations ?? [];
    assert.ok(pv.length >= 1);
    assert.strictEqual(pv[0].type, 'action_privilege_required');
    assert.strictEqual(pv[0].subject, 'im:resource');
    assert.ok(pv[0].description.length > 0);
  });

  test('im:resource:upload alone allows uploads but not downloads', async () => {
    const t = await getToken(s(), { appId: 'cli_uponly', appSecret: 's2' });
    const a = await upload(s(), { token: t });
    assert.strictEqual(a.json.code, 0);
    const key = (a.json.data as { image_key: string }).image_key;
    const g = await asJson(await fetch(`${s().baseUrl}${UPLOAD_PATH}/${key}`, { headers: { Authorization: `Bearer ${t}` } }));
    assertLarkError(g, 99991672);
  });

  test('the token text is never recorded', async () => {
    const t = await getToken(s());
    await upload(s(), { token: t });
    assert.ok(!JSON.stringify(s().requests).includes(t));
    assert.strictEqual(s().requests[1].authorization, 'present');
    assert.strictEqual(s().requests[1].appId, DEMO_APP.appId);
  });
});

suite('larkServer: rate limit', () => {
  const { s } = withServer();
  setup(() => s().reset());

  test('50/s: 60 parallel uploads -> 50 ok, 10 HTTP 429 99991400 with both headers', async () => {
    const t = await getToken(s());
    const answers = await Promise.all(Array.from({ length: 60 }, () => upload(s(), { token: t })));
    const ok = answers.filter((a) => a.json.code === 0);
    const limited = answers.filter((a) => a.status === 429);
    assert.strictEqual(ok.length, 50);
    assert.strictEqual(limited.length, 10);
    for (const a of limited) {
      assertLarkError(a, 99991400, 429);
      assert.match(a.json.msg, /frequency limit/);
      assert.strictEqual(a.headers.get('x-ogw-ratelimit-limit'), '50');
      assert.strictEqual(a.headers.get('x-ogw-ratelimit-reset'), '1', 'the window started at this frozen instant: 1 s to go');
    }
    assert.strictEqual(s().uploads(), 50);
    assert.strictEqual(s().requests.filter((r) => r.status === 429).length, 10);
    s().advanceClock(1000); // next second window
    assert.strictEqual((await upload(s(), { token: t })).json.code, 0);
  });

  test('per app: another app has its own window', async () => {
    const other: MockApp = { appId: 'cli_other_rl', appSecret: 'o' };
    s().addApp(other);
    const t = await getToken(s());
    const t2 = await getToken(s(), other);
    await Promise.all(Array.from({ length: 50 }, () => upload(s(), { token: t })));
    assert.strictEqual((await upload(s(), { token: t })).status, 429);
    assert.strictEqual((await upload(s(), { token: t2 })).json.code, 0);
  });

  test('per minute limit', async () => {
    const srv = await startLarkServer({ rateLimit: { perSecond: 1000, perMinute: 5 }, now: FROZEN });
    try {
      const t = await getToken(srv);
      for (let i = 0; i < 5; i++) assert.strictEqual((await upload(srv, { token: t })).json.code, 0);
      const a = await upload(srv, { token: t });
      assertLarkError(a, 99991400, 429);
      assert.strictEqual(a.headers.get('x-ogw-ratelimit-limit'), '5');
      assert.strictEqual(a.headers.get('x-ogw-ratelimit-reset'), '60');
      srv.advanceClock(30_000);
      const b = await upload(srv, { token: t });
      assert.strictEqual(b.status, 429);
      assert.strictEqual(b.headers.get('x-ogw-ratelimit-reset'), '30');
      srv.advanceClock(30_000);
      assert.strictEqual((await upload(srv, { token: t })).json.code, 0);
      assert.strictEqual(srv.uploads(), 6);
    } finally {
      await srv.close();
    }
  });

  test('rateLimit: false disables the limit', async () => {
    const srv = await startLarkServer({ rateLimit: false });
    try {
      const t = await getToken(srv);
      const answers = await Promise.all(Array.from({ length: 60 }, () => upload(srv, { token: t })));
      assert.ok(answers.every((a) => a.json.code === 0));
    } finally {
      await srv.close();
    }
  });
});

suite('larkServer: upload validation', () => {
  const { s } = withServer({ rateLimit: false });
  let t = '';
  suiteSetup(async () => {
    t = await getToken(s());
  });
  setup(() => s().reset());

  test('success: image_key img_v2_..., stored with metadata, recorded', async () => {
    const a = await upload(s(), { token: t, fileName: 'shot.png' });
    assert.strictEqual(a.status, 200);
    assert.strictEqual(a.json.code, 0);
    assert.strictEqual(a.json.msg, 'success');
    const key = (a.json.data as { image_key: string }).image_key;
    assert.match(key, /^img_v2_[0-9a-f-]{36}$/);
    const img = s().images.get(key);
    assert.ok(img);
    assert.strictEqual(img.appId, DEMO_APP.appId);
    assert.strictEqual(img.imageType, 'message');
    assert.strictEqual(img.fileName, 'shot.png');
    assert.strictEqual(img.contentType, 'image/png');
    assert.ok(img.bytes.equals(PNG1));
    const r = s().requests[0];
    assert.deepStrictEqual(
      [r.method, r.path, r.status, r.code, r.imageType, r.fileName, r.contentType, r.bytes],
      ['POST', UPLOAD_PATH, 200, 0, 'message', 'shot.png', 'image/png', PNG1.length],
    );
    assert.strictEqual(s().uploads(), 1);
  });

  test('234001: missing image_type, bad image_type, missing image, not multipart', async () => {
    assertLarkError(await upload(s(), { token: t, imageType: null }), 234001);
    assertLarkError(await upload(s(), { token: t, imageType: 'sticker' }), 234001);
    assertLarkError(await upload(s(), { token: t, bytes: null }), 234001);
    const json = await fetch(s().baseUrl + UPLOAD_PATH, {
      method: 'POST',
      headers: { Authorization: `Bearer ${t}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ image_type: 'message' }),
    });
    assertLarkError(await asJson(json), 234001);
    const badMultipart = await fetch(s().baseUrl + UPLOAD_PATH, {
      method: 'POST',
      headers: { Authorization: `Bearer ${t}`, 'Content-Type': 'multipart/form-data; boundary=xyz' },
      body: '--xyz\r\nContent-Disposition: form-data; name="image_type"\r\n\r\nmess',
    });
    assertLarkError(await asJson(badMultipart), 234001);
    assert.strictEqual(s().uploads(), 0);
  });

  test('234010 for a 0-byte image', async () => {
    assertLarkError(await upload(s(), { token: t, bytes: Buffer.alloc(0) }), 234010);
  });

  test('10 MiB boundary: exactly 10,485,760 bytes pass, one more -> 234006', async () => {
    assert.strictEqual(MAX_IMAGE_BYTES, 10_485_760);
    const ok = await upload(s(), { token: t, bytes: paddedPng(MAX_IMAGE_BYTES) });
    assert.strictEqual(ok.json.code, 0, JSON.stringify(ok.json));
    const key = (ok.json.data as { image_key: string }).image_key;
    assert.strictEqual(s().images.get(key)?.bytes.length, MAX_IMAGE_BYTES);
    assertLarkError(await upload(s(), { token: t, bytes: paddedPng(MAX_IMAGE_BYTES + 1) }), 234006);
    // the server drained the oversize body and still serves on
    assert.strictEqual((await upload(s(), { token: t })).json.code, 0);
  });

  test('234011: text named .png, SVG (recognised but not accepted), truncated header', async () => {
    assertLarkError(await upload(s(), { token: t, bytes: Buffer.from('hello, not an image\n'), fileName: 'fake.png' }), 234011);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>');
    assertLarkError(await upload(s(), { token: t, bytes: svg, fileName: 'a.svg', contentType: 'image/svg+xml' }), 234011);
    assertLarkError(await upload(s(), { token: t, bytes: PNG1.subarray(0, 12) }), 234011);
  });

  test('234039: avatar > 4096, GIF > 2000, others > 12000; limits themselves pass', async () => {
    assertLarkError(await upload(s(), { token: t, imageType: 'avatar', bytes: pngOfSize(4097, 4097) }), 234039);
    assert.strictEqual((await upload(s(), { token: t, imageType: 'avatar', bytes: pngOfSize(4096, 4096) })).json.code, 0);
    assert.strictEqual((await upload(s(), { token: t, bytes: pngOfSize(4097, 4097) })).json.code, 0);
    assert.strictEqual((await upload(s(), { token: t, bytes: pngOfSize(12000, 12000) })).json.code, 0);
    assertLarkError(await upload(s(), { token: t, bytes: pngOfSize(12001, 10) }), 234039);
    assertLarkError(await upload(s(), { token: t, bytes: gifOfSize(2001, 10), fileName: 'a.gif', contentType: 'image/gif' }), 234039);
    assertLarkError(await upload(s(), { token: t, bytes: gifOfSize(10, 2001), fileName: 'a.gif', contentType: 'image/gif' }), 234039);
    assert.strictEqual((await upload(s(), { token: t, bytes: gifOfSize(2000, 2000), fileName: 'a.gif', contentType: 'image/gif' })).json.code, 0);
  });

  test('real sharp-made JPEG and WEBP are accepted', async () => {
    const base = sharp({ create: { width: 8, height: 6, channels: 3, background: '#00ff00' } });
    const jpg = await base.clone().jpeg().toBuffer();
    const webp = await base.clone().webp().toBuffer();
    for (const [bytes, name] of [[jpg, 'a.jpg'], [webp, 'a.webp']] as [Buffer, string][]) {
      const a = await upload(s(), { token: t, bytes, fileName: name, contentType: 'application/octet-stream' });
      assert.strictEqual(a.json.code, 0, name);
      const img = s().images.get((a.json.data as { image_key: string }).image_key);
      assert.deepStrictEqual([img?.width, img?.height], [8, 6]);
    }
  });

  test('error order: 234001 before 234010/234006/234011', async () => {
    assertLarkError(await upload(s(), { token: t, imageType: 'x', bytes: Buffer.alloc(0) }), 234001);
    assertLarkError(await upload(s(), { token: t, imageType: null, bytes: Buffer.from('text') }), 234001);
    assertLarkError(await upload(s(), { token: t, bytes: Buffer.alloc(0), fileName: 'a.txt' }), 234010);
  });

  test('234007 when the bot is disabled, before body checks', async () => {
    s().setBotEnabled(DEMO_APP.appId, false);
    try {
      assertLarkError(await upload(s(), { token: t }), 234007);
      assertLarkError(await upload(s(), { token: t, imageType: null, bytes: null }), 234007);
    } finally {
      s().setBotEnabled(DEMO_APP.appId, true);
    }
    assert.strictEqual((await upload(s(), { token: t })).json.code, 0);
    assert.throws(() => s().setBotEnabled('cli_unknown', false));
  });

  test('X-Tt-Logid on every response, all different', async () => {
    const ids: string[] = [];
    const push = (r: Response): void => {
      const id = r.headers.get('x-tt-logid');
      assert.ok(id, `${r.url} ${r.status}`);
      assert.match(id, /^\d{14}[0-9A-F]+$/);
      ids.push(id);
    };
    const responses = [
      await fetch(s().baseUrl + TOKEN_PATH, { method: 'POST', body: JSON.stringify({ app_id: DEMO_APP.appId, app_secret: DEMO_APP.appSecret }) }),
      await fetch(s().baseUrl + TOKEN_PATH, { method: 'POST', body: '{}' }),
      await uploadRaw(s(), { token: t }),
      await uploadRaw(s(), { token: t, bytes: Buffer.alloc(0) }),
      await uploadRaw(s(), { token: null }),
      await fetch(s().baseUrl + '/nope'),
      await fetch(s().baseUrl + '/open-apis/im/v1/messages', { headers: { Authorization: `Bearer ${t}` } }),
      await fetch(s().baseUrl + UPLOAD_PATH + '/img_v2_unknown', { headers: { Authorization: `Bearer ${t}` } }),
    ];
    for (const r of responses) {
      push(r);
      await r.arrayBuffer();
    }
    assert.strictEqual(responses[5].status, 404);
    assert.strictEqual(responses[6].status, 404);
    assert.strictEqual(new Set(ids).size, ids.length);
    assert.deepStrictEqual(
      s().requests.map((r) => r.logId),
      ids,
    );
  });
});

suite('larkServer: faults', () => {
  const { s, finished } = withServer({ rateLimit: false });
  let t = '';
  suiteSetup(async () => {
    t = await getToken(s());
  });
  setup(() => s().reset());

  test('html502: HTML body, text/html, 502, with X-Tt-Logid', async () => {
    s().injectFaults({ kind: 'html502' });
    const r = await uploadRaw(s(), { token: t });
    assert.strictEqual(r.status, 502);
    assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
    assert.ok(r.headers.get('x-tt-logid'));
    assert.match(await r.text(), /<html>[\s\S]*502 Bad Gateway/);
    assert.strictEqual(s().uploads(), 0);
    assert.strictEqual((await upload(s(), { token: t })).json.code, 0, 'one fault per request');
  });

  test('http5xx: plain text body, default 500, custom status', async () => {
    s().injectFaults({ kind: 'http5xx' }, { kind: 'http5xx', status: 503 });
    const r1 = await uploadRaw(s(), { token: t });
    assert.strictEqual(r1.status, 500);
    assert.match(r1.headers.get('content-type') ?? '', /^text\/plain/);
    assert.strictEqual(await r1.text(), 'Internal Server Error');
    const r2 = await uploadRaw(s(), { token: t });
    assert.strictEqual(r2.status, 503);
    await r2.text();
    assert.strictEqual(s().pendingFaults(), 0);
  });

  test('reset: the socket is destroyed without a response; the server stays usable', async () => {
    s().injectFaults({ kind: 'reset' });
    await assert.rejects(uploadRaw(s(), { token: t }));
    assert.strictEqual(s().requests[0].status, 0);
    assert.strictEqual(s().uploads(), 0);
    assert.strictEqual((await upload(s(), { token: t })).json.code, 0);
  });

  test('faults are consumed only after the gateway check', async () => {
    s().injectFaults({ kind: 'reset' });
    assertLarkError(await upload(s(), { token: 't-bad' }), 99991663);
    assert.strictEqual(s().pendingFaults(), 1);
    await assert.rejects(uploadRaw(s(), { token: t }));
  });

  test('code faults: 232096 (400), 234002 (401), 234041, custom status', async () => {
    s().injectFaults({ kind: 'code', code: 232096 }, { kind: 'code', code: 234002 }, { kind: 'code', code: 234041 }, { kind: 'code', code: 234042, status: 500 });
    const a = await upload(s(), { token: t });
    assertLarkError(a, 232096);
    assert.strictEqual(a.json.msg, 'Meta writing has stopped, please try again later.');
    assertLarkError(await upload(s(), { token: t }), 234002, 401);
    assertLarkError(await upload(s(), { token: t }), 234041);
    assertLarkError(await upload(s(), { token: t }), 234042, 500);
    assert.strictEqual(s().uploads(), 0);
    assert.strictEqual((await upload(s(), { token: t })).json.code, 0);
  });

  test('bot disabled (234007) wins over a queued code fault, which is still consumed', async () => {
    s().setBotEnabled(DEMO_APP.appId, false);
    s().injectFaults({ kind: 'code', code: 232096 });
    try {
      assertLarkError(await upload(s(), { token: t }), 234007);
    } finally {
      s().setBotEnabled(DEMO_APP.appId, true);
    }
    assert.strictEqual(s().pendingFaults(), 0);
  });

  // A lower bound on the time a held answer takes is the same on any machine. 2 ms of slack: the
  // server's timer counts whole milliseconds of the event loop's monotonic clock, Date.now() whole
  // milliseconds of the wall clock, so each side can round the other's 250 ms down by up to 1 ms.
  const TIMER_ROUNDING_MS = 2;

  test('slow: answers normally after delayMs', async () => {
    s().injectFaults({ kind: 'slow', delayMs: 250 });
    const t0 = Date.now();
    const a = await upload(s(), { token: t });
    assert.ok(Date.now() - t0 >= 250 - TIMER_ROUNDING_MS, `took ${Date.now() - t0} ms`);
    assert.strictEqual(a.json.code, 0);
  });

  test('slow: a client that gives up does not crash the server and stores nothing', async () => {
    s().injectFaults({ kind: 'slow', delayMs: 300 });
    const gaveUp = new AbortController();
    const first = uploadRaw(s(), { token: t, fileName: 'given-up.png', signal: gaveUp.signal });
    await until(() => s().requests.length === 1 && s().pendingFaults() === 0); // the server holds it
    gaveUp.abort();
    await assert.rejects(first);
    await finished(1);
    assert.strictEqual(s().requests[0].status, 0);
    // The held request's timer fires before this one's (same delay, armed later: Node runs equal
    // timers in order, and the first one's continuation before the next timer), so when this
    // answer arrives the server has already decided what to do with the abandoned upload.
    s().injectFaults({ kind: 'slow', delayMs: 300 });
    const a = await upload(s(), { token: t, fileName: 'after.png' });
    assert.strictEqual(a.json.code, 0);
    assert.deepStrictEqual([...s().images.values()].filter((i) => i.fileName === 'given-up.png'), [], 'the abandoned upload was stored');
    assert.strictEqual(s().uploads(), 1);
  });

  test('a client aborting mid-upload leaves the server usable', async () => {
    const boundary = 'abortboundary';
    await new Promise<void>((resolve) => {
      const req = http.request(s().baseUrl + UPLOAD_PATH, {
        method: 'POST',
        headers: { Authorization: `Bearer ${t}`, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(5_000_000) },
      });
      req.on('error', () => resolve());
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="image_type"\r\n\r\nmessage\r\n`);
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`);
      req.write(Buffer.alloc(200_000), () => {
        // leave once the server is reading this request, not after a guessed delay
        void until(() => s().requests.length === 1).then(() => {
          req.destroy();
          resolve();
        });
      });
    });
    await finished(1); // the server saw the client go
    assert.strictEqual((await upload(s(), { token: t })).json.code, 0);
    assert.strictEqual(s().uploads(), 1);
    assert.strictEqual(s().requests[0].status, 0);
  });

  test('latencyMs delays every upload answer', async () => {
    const srv = await startLarkServer({ latencyMs: 150 });
    try {
      const tk = await getToken(srv);
      let t0 = Date.now();
      assert.strictEqual((await upload(srv, { token: tk })).json.code, 0);
      assert.ok(Date.now() - t0 >= 150 - TIMER_ROUNDING_MS, `took ${Date.now() - t0} ms`);
      t0 = Date.now();
      assert.strictEqual((await upload(srv, { token: tk, bytes: Buffer.alloc(0) })).json.code, 234010);
      assert.ok(Date.now() - t0 >= 150 - TIMER_ROUNDING_MS, `took ${Date.now() - t0} ms`);
    } finally {
      await srv.close();
    }
  });
});

suite('larkServer: download, token invalidation, lifecycle', () => {
  const { s } = withServer({ rateLimit: false, apps: [DEMO_APP, { appId: 'cli_second', appSecret: 'second' }] });
  setup(() => s().reset());

  const download = (key: string, token: string): Promise<Response> =>
    fetch(`${s().baseUrl}${UPLOAD_PATH}/${encodeURIComponent(key)}`, { headers: { Authorization: `Bearer ${token}` } });

  test('GET round trip for message images; 234008 for avatars and other apps; 234001 unknown; 234005 deleted', async () => {
    const t = await getToken(s());
    const msg = await upload(s(), { token: t });
    const msgKey = (msg.json.data as { image_key: string }).image_key;
    const r = await download(msgKey, t);
    assert.strictEqual(r.status, 200);
    assert.strictEqual(r.headers.get('content-type'), 'image/png');
    assert.ok(r.headers.get('x-tt-logid'));
    assert.ok(Buffer.from(await r.arrayBuffer()).equals(PNG1));

    const av = await upload(s(), { token: t, imageType: 'avatar' });
    const avKey = (av.json.data as { image_key: string }).image_key;
    assertLarkError(await asJson(await download(avKey, t)), 234008);

    const t2 = await getToken(s(), { appId: 'cli_second', appSecret: 'second' });
    assertLarkError(await asJson(await download(msgKey, t2)), 234008);
    assertLarkError(await asJson(await download('img_v2_00000000-0000-0000-0000-000000000000', t)), 234001);
    assertLarkError(await asJson(await download(msgKey, 't-bad')), 99991663);

    assert.ok(s().deleteImage(msgKey));
    assertLarkError(await asJson(await download(msgKey, t)), 234005);
  });

  test('a TIFF comes back as JPEG, as Lark converts TIFF uploads (image/jpeg, same size)', async () => {
    const t = await getToken(s());
    const tiff = await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 200, g: 10, b: 10 } } }).tiff().toBuffer();
    const up = await upload(s(), { token: t, bytes: tiff, contentType: 'image/tiff', fileName: 'scan.tiff' });
    const key = (up.json.data as { image_key: string }).image_key;
    assert.strictEqual(s().images.get(key)?.format, 'tiff', 'stored as uploaded');
    const r = await download(key, t);
    assert.strictEqual(r.status, 200);
    assert.strictEqual(r.headers.get('content-type'), 'image/jpeg');
    const bytes = Buffer.from(await r.arrayBuffer());
    const meta = await sharp(bytes).metadata();
    assert.deepStrictEqual([meta.format, meta.width, meta.height], ['jpeg', 40, 30]);
  });

  test('invalidateTokensAfterUploads: tokens die once after N uploads; a fresh token works', async () => {
    const srv = await startLarkServer({ invalidateTokensAfterUploads: 2 });
    try {
      const t1 = await getToken(srv);
      assert.strictEqual((await upload(srv, { token: t1 })).json.code, 0);
      assert.strictEqual((await upload(srv, { token: t1 })).json.code, 0);
      assertLarkError(await upload(srv, { token: t1 }), 99991663);
      const t2 = await getToken(srv);
      assert.notStrictEqual(t2, t1);
      for (let i = 0; i < 3; i++) assert.strictEqual((await upload(srv, { token: t2 })).json.code, 0, 'only once');
      assert.strictEqual(srv.uploads(), 5);
      assert.strictEqual(srv.tokenRequests(), 2);
    } finally {
      await srv.close();
    }
  });

  test('reset() clears requests, counters and faults', async () => {
    const t = await getToken(s());
    await upload(s(), { token: t });
    s().injectFaults({ kind: 'reset' });
    s().reset();
    assert.deepStrictEqual([s().requests.length, s().uploads(), s().tokenRequests(), s().pendingFaults()], [0, 0, 0, 0]);
    assert.strictEqual((await upload(s(), { token: t })).json.code, 0, 'tokens survive reset');
  });

  test('close() ends keep-alive connections and pending slow answers without waiting for them', async () => {
    const srv = await startLarkServer();
    const tk = await getToken(srv); // leaves a keep-alive connection open
    srv.injectFaults({ kind: 'slow', delayMs: 600_000 });
    const pending = uploadRaw(srv, { token: tk }).then(
      () => 'answered',
      () => 'failed',
    );
    await until(() => srv.pendingFaults() === 0); // the server is holding the answer
    // A close() that waited for the held answer would take 10 minutes; 15 s only turns that into
    // a clear failure instead of the test's timeout. Nothing here depends on the machine's speed.
    let guard: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      srv.close().then(() => 'closed'),
      new Promise<string>((r) => (guard = setTimeout(() => r('still waiting after 15 s'), 15_000))),
    ]);
    clearTimeout(guard);
    assert.strictEqual(closed, 'closed');
    assert.strictEqual(await pending, 'failed');
    await assert.rejects(fetch(srv.baseUrl + TOKEN_PATH, { method: 'POST', body: '{}' }));
  });

  test('npm run mock-lark entry: prints the base URL and credentials, stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [path.join(__dirname, '..', 'larkServer', 'main.js'), '--port', '0', '--rate-limit', 'off'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LARK_MOCK_PORT: '' },
    });
    let out = '';
    const base = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^LARK_MOCK_BASE_URL=(http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
        if (m) resolve(m[1]);
      });
      child.once('exit', (c) => reject(new Error(`exited ${c}: ${out}`)));
    });
    assert.ok(out.includes(DEMO_APP.appId) && out.includes(DEMO_APP.appSecret));
    const r = await fetch(base + TOKEN_PATH, { method: 'POST', body: JSON.stringify({ app_id: DEMO_APP.appId, app_secret: DEMO_APP.appSecret }) });
    assert.strictEqual(((await r.json()) as Json).code, 0);
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    assert.strictEqual(code, 0);
    assert.match(out, /POST \/open-apis\/auth\/v3\/tenant_access_token\/internal -> 200 code=0/);
  });
});
