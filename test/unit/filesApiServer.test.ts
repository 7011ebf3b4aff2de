// The stand-in server's files API (POST /open-apis/im/v1/files) over real sockets (global fetch +
// FormData/Blob), on a frozen clock like test/unit/larkServer.test.ts.
import * as assert from 'assert';
import { startLarkServer, LarkServer, DEMO_APP, FILES_PATH, MAX_FILE_BYTES, UPLOAD_PATH } from '../larkServer/server';

const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';
const FROZEN = (): number => Date.UTC(2026, 0, 1, 9, 30);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

interface Json {
  code: number;
  msg: string;
  data?: { file_key?: string; image_key?: string };
  error?: { log_id: string; message?: string };
}
interface Answer {
  status: number;
  json: Json;
  headers: Headers;
}

async function asJson(r: Response): Promise<Answer> {
  return { status: r.status, json: JSON.parse(await r.text()) as Json, headers: r.headers };
}

async function tokenOf(s: LarkServer): Promise<string> {
  const r = await fetch(s.baseUrl + TOKEN_PATH, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ app_id: s.demo.appId, app_secret: s.demo.appSecret }) });
  return ((await r.json()) as { tenant_access_token: string }).tenant_access_token;
}

interface FileOpts {
  token?: string | null;
  fileType?: string | null; // null = field omitted
  fileName?: string | null;
  duration?: string;
  bytes?: Buffer | null; // null = part omitted
  partName?: string;
  contentType?: string;
}

async function uploadFile(s: LarkServer, o: FileOpts): Promise<Answer> {
  const fd = new FormData();
  if (o.fileType !== null) fd.append('file_type', o.fileType ?? 'pdf');
  if (o.fileName !== null) fd.append('file_name', o.fileName ?? 'report.pdf');
  if (o.duration !== undefined) fd.append('duration', o.duration);
  if (o.bytes !== null) fd.append('file', new Blob([new Uint8Array(o.bytes ?? PDF)], { type: o.contentType ?? 'application/pdf' }), o.partName ?? 'part.bin');
  const headers: Record<string, string> = {};
  if (o.token) headers.Authorization = `Bearer ${o.token}`;
  return asJson(await fetch(s.baseUrl + FILES_PATH, { method: 'POST', headers, body: fd }));
}

async function uploadImage(s: LarkServer, token: string, png: Buffer): Promise<Answer> {
  const fd = new FormData();
  fd.append('image_type', 'message');
  fd.append('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'a.png');
  return asJson(await fetch(s.baseUrl + UPLOAD_PATH, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: fd }));
}

function assertCode(a: Answer, code: number, status = 400): void {
  assert.strictEqual(a.json.code, code, JSON.stringify(a.json));
  assert.strictEqual(a.status, status);
  assert.ok(a.headers.get('x-tt-logid'));
  assert.strictEqual(a.json.error?.log_id, a.headers.get('x-tt-logid'));
}

/** 1×1 PNG (a real one: the images API checks the format). */
const PNG1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

suite('larkServer: files API (POST /open-apis/im/v1/files)', () => {
  let s: LarkServer;
  let t: string;
  setup(async () => {
    s = await startLarkServer({ now: FROZEN });
    t = await tokenOf(s);
    s.reset();
  });
  teardown(() => s.close());

  test('success: file_key file_v2_<uuid>, stored with its fields, recorded', async () => {
    const a = await uploadFile(s, { token: t, fileName: '季度 report.pdf', duration: '3000' });
    assert.deepStrictEqual([a.status, a.json.code, a.json.msg], [200, 0, 'success']);
    const key = a.json.data?.file_key ?? '';
    assert.match(key, /^file_v2_[0-9a-f-]{36}$/);
    assert.strictEqual(a.json.data?.image_key, undefined);
    const f = s.files.get(key);
    assert.ok(f);
    assert.deepStrictEqual([f.appId, f.fileType, f.fileName, f.contentType, f.durationMs], [DEMO_APP.appId, 'pdf', '季度 report.pdf', 'application/pdf', 3000]);
    assert.ok(f.bytes.equals(PDF));
    const r = s.requests[0];
    assert.deepStrictEqual([r.method, r.path, r.status, r.code, r.fileType, r.fileName, r.contentType, r.bytes], ['POST', FILES_PATH, 200, 0, 'pdf', '季度 report.pdf', 'application/pdf', PDF.length]);
    assert.strictEqual(s.fileUploads(), 1);
    assert.strictEqual(s.uploads(), 0, 'image uploads are counted apart');
    assert.strictEqual(s.images.size, 0);
  });

  test('every documented file_type is accepted; anything else, a missing field or part is 234001', async () => {
    for (const fileType of ['opus', 'mp4', 'pdf', 'doc', 'xls', 'ppt', 'stream']) {
      assert.strictEqual((await uploadFile(s, { token: t, fileType })).json.code, 0, fileType);
    }
    assertCode(await uploadFile(s, { token: t, fileType: 'docx' }), 234001);
    assertCode(await uploadFile(s, { token: t, fileType: 'PDF' }), 234001);
    assertCode(await uploadFile(s, { token: t, fileType: null }), 234001);
    assertCode(await uploadFile(s, { token: t, fileName: null }), 234001);
    assertCode(await uploadFile(s, { token: t, fileName: '' }), 234001);
    assertCode(await uploadFile(s, { token: t, bytes: null }), 234001);
    assertCode(await uploadFile(s, { token: t, duration: 'long' }), 234001);
    const image = await uploadFile(s, { token: t, partName: 'x' });
    assert.strictEqual(image.json.code, 0);
    // an `image` part is not a `file` part
    const fd = new FormData();
    fd.append('file_type', 'stream');
    fd.append('file_name', 'a.bin');
    fd.append('image', new Blob([new Uint8Array(PDF)]), 'a.bin');
    assertCode(await asJson(await fetch(s.baseUrl + FILES_PATH, { method: 'POST', headers: { Authorization: `Bearer ${t}` }, body: fd })), 234001);
    assert.strictEqual(s.fileUploads(), 8);
  });

  test('any bytes go up as a file (no image check); 0 bytes is 234010', async () => {
    const svg = await uploadFile(s, { token: t, fileType: 'stream', fileName: 'logo.svg', bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>') });
    assert.strictEqual(svg.json.code, 0);
    assertCode(await uploadFile(s, { token: t, bytes: Buffer.alloc(0) }), 234010);
    assert.strictEqual(s.fileUploads(), 1);
  });

  test('30 MiB boundary: exactly 31,457,280 bytes pass, one more is 234006 (and the server serves on)', async function () {
    this.timeout(60_000);
    assert.strictEqual(MAX_FILE_BYTES, 31_457_280);
    const ok = await uploadFile(s, { token: t, fileType: 'stream', bytes: Buffer.alloc(MAX_FILE_BYTES, 7) });
    assert.strictEqual(ok.json.code, 0, JSON.stringify(ok.json));
    assert.strictEqual(s.files.get(ok.json.data?.file_key ?? '')?.bytes.length, MAX_FILE_BYTES);
    assertCode(await uploadFile(s, { token: t, fileType: 'stream', bytes: Buffer.alloc(MAX_FILE_BYTES + 1, 7) }), 234006);
    assert.strictEqual((await uploadFile(s, { token: t })).json.code, 0);
  });

  test('gateway first: no token 99991661, unknown token 99991663, no scope 99991672, bot disabled 234007', async () => {
    assertCode(await uploadFile(s, { token: null }), 99991661);
    assertCode(await uploadFile(s, { token: 't-not-a-token-issued-here-000000' }), 99991663);
    s.setBotEnabled(s.demo.appId, false);
    assertCode(await uploadFile(s, { token: t, bytes: Buffer.alloc(0) }), 234007);
    s.setBotEnabled(s.demo.appId, true);
    s.setScopes(s.demo.appId, ['im:resource:upload']);
    assert.strictEqual((await uploadFile(s, { token: t })).json.code, 0, 'the upload scope is enough');
    s.setScopes(s.demo.appId, ['contact:user']);
    assertCode(await uploadFile(s, { token: t }), 99991672);
    assert.strictEqual(s.fileUploads(), 1);
  });

  test('faults are shared with the images API: 5xx, code faults and token invalidation', async () => {
    s.injectFaults({ kind: 'http5xx', status: 503 }, { kind: 'code', code: 232096 }, { kind: 'invalidateTokens' });
    const r = await fetch(s.baseUrl + FILES_PATH, { method: 'POST', headers: { Authorization: `Bearer ${t}` }, body: new FormData() });
    assert.strictEqual(r.status, 503);
    await r.text();
    assertCode(await uploadFile(s, { token: t }), 232096);
    assertCode(await uploadFile(s, { token: t }), 99991663);
    assertCode(await uploadFile(s, { token: t }), 99991663);
    assert.strictEqual(s.pendingFaults(), 0);
  });

  test('its own rate limit, 50/s per app, apart from the images API', async () => {
    await Promise.all(Array.from({ length: 50 }, () => uploadImage(s, t, PNG1)));
    assert.strictEqual(s.uploads(), 50);
    assert.strictEqual((await uploadImage(s, t, PNG1)).status, 429, 'the images window is full');
    const files = await Promise.all(Array.from({ length: 51 }, () => uploadFile(s, { token: t })));
    assert.strictEqual(files.filter((a) => a.json.code === 0).length, 50, 'the files API has a window of its own');
    const limited = files.filter((a) => a.status === 429);
    assert.strictEqual(limited.length, 1);
    assertCode(limited[0], 99991400, 429);
    assert.strictEqual(limited[0].headers.get('x-ogw-ratelimit-limit'), '50');
    assert.strictEqual(limited[0].headers.get('x-ogw-ratelimit-reset'), '1');
    s.advanceClock(1000);
    assert.strictEqual((await uploadFile(s, { token: t })).json.code, 0);
  });
});
