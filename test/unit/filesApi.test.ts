// LarkClient.uploadFile and uploadAsFiles (the files API) against the stand-in server, over real
// sockets; the rate budget on a manual clock shared by the client, the limiter and the server.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LarkClient } from '../../src/core/larkClient';
import { RateLimiter, UploadScheduler, rateLimiterFor, type Job } from '../../src/core/scheduler';
import { FILE_TYPES, MAX_FILE_BYTES, checkFileForUpload, fileTypeFor, filesBudgetKey, mimeForFile, uploadAsFiles } from '../../src/core/fileUpload';
import { execFileSync } from 'child_process';
import { fileApiHintFor, hintFor } from '../../src/core/larkErrors';
import { LocalCode } from '../../src/core/types';
import { TEMPLATE_IDS, fileMessage } from '../../src/core/templates';
import { FILES_PATH, UPLOAD_PATH, startLarkServer, type LarkServer } from '../larkServer/server';
import { ManualClock, drive } from '../support/manualClock';
import { arrivalsByOffset, clockedJobs as countedJobs } from '../support/clockedJobs';
import { rejectsWithCode } from '../support/rejectsWithCode';

/** Jobs that send through the limiter's acquire (counted as waiting for the clock). */
const clockedJobs = (count: number, send: (signal: AbortSignal, acquire: () => Promise<void>) => Promise<unknown>) => countedJobs(count, ({ signal, acquire }) => send(signal, acquire));

let dir: string;
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
const PNG1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

/** A file in the suite's folder; `size` makes a sparse file of that many zero bytes. */
function fileOf(name: string, content: Buffer | { size: number }): string {
  const p = path.join(dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  if (Buffer.isBuffer(content)) fs.writeFileSync(p, content);
  else {
    fs.writeFileSync(p, '');
    fs.truncateSync(p, content.size);
  }
  return p;
}

suiteSetup(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-files-'));
});
suiteTeardown(() => fs.rmSync(dir, { recursive: true, force: true }));

function appClient(server: LarkServer, extra: Partial<ConstructorParameters<typeof LarkClient>[0]> = {}): LarkClient {
  return new LarkClient({ baseUrl: server.baseUrl, credentials: { kind: 'app', appId: server.demo.appId, appSecret: server.demo.appSecret }, ...extra });
}

const filesRequests = (server: LarkServer) => server.requests.filter((r) => r.path === FILES_PATH);

suite('core/fileUpload: file_type and Content-Type from the name', () => {
  test('pdf, doc(x), xls(x), ppt(x), mp4, opus by extension in any case; everything else is stream', () => {
    const cases: [string, string][] = [
      ['a.pdf', 'pdf'],
      ['A.PDF', 'pdf'],
      ['b.doc', 'doc'],
      ['b.Docx', 'doc'],
      ['c.xls', 'xls'],
      ['c.xlsx', 'xls'],
      ['d.ppt', 'ppt'],
      ['d.pptx', 'ppt'],
      ['e.mp4', 'mp4'],
      ['f.opus', 'opus'],
      ['big.png', 'stream'],
      ['photo.jpeg', 'stream'],
      ['clip.mov', 'stream'],
      ['song.mp3', 'stream'],
      ['archive.tar.gz', 'stream'],
      ['pdf', 'stream'],
      ['.pdf', 'stream'],
      ['report.pdf.txt', 'stream'],
      ['', 'stream'],
    ];
    assert.deepStrictEqual(
      cases.map(([name]) => [name, fileTypeFor(name)]),
      cases,
    );
    assert.deepStrictEqual([...FILE_TYPES].sort(), ['doc', 'mp4', 'opus', 'pdf', 'ppt', 'stream', 'xls']);
  });

  test('the part type: known extensions, else application/octet-stream', () => {
    assert.deepStrictEqual(
      ['a.pdf', 'b.DOCX', 'c.mp4', 'd.opus', 'e.png', 'f.svg', 'g.bin', 'h'].map(mimeForFile),
      ['application/pdf', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'video/mp4', 'audio/opus', 'image/png', 'image/svg+xml', 'application/octet-stream', 'application/octet-stream'],
    );
    // every extension with its registered media type (IANA), as the part's Content-Type
    const table: [string, string][] = [
      ['x.doc', 'application/msword'],
      ['x.xls', 'application/vnd.ms-excel'],
      ['x.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
      ['x.ppt', 'application/vnd.ms-powerpoint'],
      ['x.pptx', 'application/vnd.openxmlformats-officedocument.presentationml.presentation'],
      ['x.jpg', 'image/jpeg'],
      ['x.JPEG', 'image/jpeg'],
      ['x.gif', 'image/gif'],
      ['x.webp', 'image/webp'],
      ['x.tif', 'image/tiff'],
      ['x.tiff', 'image/tiff'],
      ['x.bmp', 'image/bmp'],
      ['x.ico', 'image/x-icon'],
      ['x.heic', 'image/heic'],
      ['x.avif', 'image/avif'],
    ];
    assert.deepStrictEqual(table.map(([name]) => [name, mimeForFile(name)]), table);
  });

  test('the hints of 234006 / 234010 speak of files, the other codes keep the catalog\'s', () => {
    assert.match(fileApiHintFor(234006, 'en'), /30 MB/);
    assert.ok(!/image/i.test(fileApiHintFor(234006, 'en')), fileApiHintFor(234006, 'en'));
    assert.match(fileApiHintFor(234006, 'zh-CN'), /30 MB/);
    assert.match(fileApiHintFor(234010, 'en'), /empty files/);
    assert.notStrictEqual(fileApiHintFor(234010, 'en'), hintFor(234010, 'en'));
    assert.strictEqual(fileApiHintFor(234007, 'en'), hintFor(234007, 'en'));
    assert.strictEqual(fileApiHintFor(99991400, 'zh-cn'), hintFor(99991400, 'zh-cn'));
  });
});

suite('core/templates: fileMessage', () => {
  test('the file message content: {"file_key":…} as JSON text, the key escaped; not an image template', () => {
    assert.strictEqual(fileMessage('file_v2_0123abcd-ef'), '{"file_key":"file_v2_0123abcd-ef"}');
    assert.deepStrictEqual(JSON.parse(fileMessage('file_v2_"quoted"\\')), { file_key: 'file_v2_"quoted"\\' });
    assert.ok(!(TEMPLATE_IDS as readonly string[]).includes('fileMessage'));
  });
});

suite('core/larkClient.uploadFile against the stand-in server', () => {
  let server: LarkServer;
  setup(async () => {
    server = await startLarkServer();
  });
  teardown(() => server.close());

  test('a file: file_key back; file_name is the base name, the type from its name, every byte; the token is shared with images', async () => {
    const pdf = fileOf('sub dir/季度 report.pdf', PDF);
    const client = appClient(server);
    const out = await client.uploadFile({ kind: 'file', path: pdf, mime: 'application/pdf' });
    assert.match(out.fileKey, /^file_v2_/);
    assert.strictEqual(out.fileType, 'pdf');
    assert.ok(out.logId && out.logId === filesRequests(server)[0].logId);
    const stored = server.files.get(out.fileKey);
    assert.ok(stored);
    assert.deepStrictEqual([stored.fileName, stored.partFileName, stored.fileType, stored.contentType, stored.durationMs], ['季度 report.pdf', '季度 report.pdf', 'pdf', 'application/pdf', undefined]);
    assert.ok(stored.bytes.equals(PDF));
    const png = fileOf('shot.png', PNG1);
    await client.uploadImage({ kind: 'file', path: png, mime: 'image/png' }, 'message');
    const asFile = await client.uploadFile({ kind: 'file', path: png, mime: 'image/png' });
    assert.strictEqual(server.files.get(asFile.fileKey)?.fileType, 'stream', 'an image goes up as a stream');
    assert.strictEqual(server.tokenRequests(), 1);
    assert.deepStrictEqual([server.fileUploads(), server.uploads()], [2, 1]);
  });

  test('file_type from each name; an explicit file_type and duration are sent as given; bytes with a name', async () => {
    const client = appClient(server);
    const names = ['a.DOCX', 'b.xlsx', 'c.ppt', 'd.mp4', 'e.opus', 'f.png', 'noext', 'g.tar.gz'];
    const types: string[] = [];
    for (const name of names) {
      const { fileKey } = await client.uploadFile({ kind: 'file', path: fileOf(name, PDF), mime: mimeForFile(name) });
      types.push(server.files.get(fileKey)?.fileType ?? '?');
    }
    assert.deepStrictEqual(types, ['doc', 'xls', 'ppt', 'mp4', 'opus', 'stream', 'stream', 'stream']);
    const video = await client.uploadFile({ kind: 'file', path: fileOf('clip.bin', PDF), mime: 'video/mp4' }, { fileType: 'mp4', durationMs: 3000.4 });
    assert.deepStrictEqual([server.files.get(video.fileKey)?.fileType, server.files.get(video.fileKey)?.durationMs, video.fileType], ['mp4', 3000, 'mp4']);
    const pasted = await client.uploadFile({ kind: 'bytes', bytes: PDF, mime: 'application/pdf', name: 'pasted.pdf' });
    assert.deepStrictEqual([server.files.get(pasted.fileKey)?.fileName, server.files.get(pasted.fileKey)?.fileType], ['pasted.pdf', 'pdf']);
  });

  test('empty (234010), over 30 MiB (234006), a folder (9002), a missing file (9001): refused with no request at all', async () => {
    const client = appClient(server);
    const empty = await rejectsWithCode(client.uploadFile({ kind: 'file', path: fileOf('empty.pdf', Buffer.alloc(0)), mime: 'application/pdf' }), 234010);
    assert.match(empty.message, /empty \(0 bytes\)/);
    const big = await rejectsWithCode(client.uploadFile({ kind: 'file', path: fileOf('big.mp4', { size: MAX_FILE_BYTES + 1 }), mime: 'video/mp4' }), 234006);
    assert.match(big.message, /31,457,281 bytes; the files API takes at most 31,457,280 bytes \(30 MiB\)/);
    await rejectsWithCode(client.uploadFile({ kind: 'file', path: dir, mime: 'application/octet-stream' }), LocalCode.NotAFile);
    await rejectsWithCode(client.uploadFile({ kind: 'file', path: path.join(dir, 'nope.pdf'), mime: 'application/pdf' }), LocalCode.FileNotFound);
    await rejectsWithCode(client.uploadFile({ kind: 'bytes', bytes: new Uint8Array(0), mime: 'application/pdf', name: 'e.pdf' }), 234010);
    await rejectsWithCode(client.uploadFile({ kind: 'bytes', bytes: new Uint8Array(MAX_FILE_BYTES + 1), mime: 'application/pdf', name: 'e.pdf' }), 234006);
    assert.deepStrictEqual(server.requests, [], 'neither a token request nor an upload');
  });

  test('exactly 30 MiB goes up, streamed from disk', async function () {
    this.timeout(60_000);
    const client = appClient(server);
    const { fileKey } = await client.uploadFile({ kind: 'file', path: fileOf('limit.bin', { size: MAX_FILE_BYTES }), mime: 'application/octet-stream' });
    assert.strictEqual(server.files.get(fileKey)?.bytes.length, MAX_FILE_BYTES);
  });

  for (const code of [99991663, 99991664, 99991671]) {
    test(`${code}: the token is refreshed and the file upload retried, once`, async () => {
      const client = appClient(server);
      await client.getToken();
      server.injectFaults({ kind: 'code', code });
      const out = await client.uploadFile({ kind: 'file', path: fileOf('r.pdf', PDF), mime: 'application/pdf' });
      assert.match(out.fileKey, /^file_v2_/);
      assert.strictEqual(server.tokenRequests(), 2);
      assert.deepStrictEqual(filesRequests(server).map((r) => r.code), [code, 0]);
    });
  }

  test('tokens revoked mid-batch (every token invalid): a new token, the file still lands', async () => {
    const client = appClient(server);
    await client.uploadFile({ kind: 'file', path: fileOf('v.pdf', PDF), mime: 'application/pdf' });
    server.injectFaults({ kind: 'invalidateTokens' });
    const out = await client.uploadFile({ kind: 'file', path: fileOf('v.pdf', PDF), mime: 'application/pdf' });
    assert.ok(server.files.has(out.fileKey));
    assert.strictEqual(server.tokenRequests(), 2);
    assert.deepStrictEqual(filesRequests(server).map((r) => r.code), [0, 99991663, 0]);
  });

  test('a user-token code (99991668) is not retried; a static token Lark rejects is not refreshed', async () => {
    const client = appClient(server);
    server.injectFaults({ kind: 'code', code: 99991668 });
    await rejectsWithCode(client.uploadFile({ kind: 'file', path: fileOf('u.pdf', PDF), mime: 'application/pdf' }), 99991668);
    assert.strictEqual(filesRequests(server).length, 1);
    const token = server.issueStaticToken();
    server.invalidateAllTokens();
    const staticClient = new LarkClient({ baseUrl: server.baseUrl, credentials: { kind: 'token', token } });
    await rejectsWithCode(staticClient.uploadFile({ kind: 'file', path: fileOf('u.pdf', PDF), mime: 'application/pdf' }), 99991663);
    assert.strictEqual(filesRequests(server).length, 2);
    assert.strictEqual(server.tokenRequests(), 1);
  });

  test('gateway and upload codes come back typed with log id and status; bot disabled is 234007', async () => {
    const client = appClient(server);
    server.injectFaults({ kind: 'code', code: 234042 });
    const e = await rejectsWithCode(client.uploadFile({ kind: 'file', path: fileOf('g.pdf', PDF), mime: 'application/pdf' }), 234042);
    assert.strictEqual(e.httpStatus, 400);
    assert.strictEqual(e.logId, filesRequests(server)[0].logId);
    assert.match(e.message, /^File upload failed: Hybrid deployment/);
    server.setBotEnabled(server.demo.appId, false);
    await rejectsWithCode(client.uploadFile({ kind: 'file', path: fileOf('g.pdf', PDF), mime: 'application/pdf' }), 234007);
  });

  test('through the scheduler: 5xx, HTML 502 and a reset are retried; 234007 is not', async function () {
    this.timeout(20_000);
    const client = appClient(server);
    const scheduler = new UploadScheduler({ concurrency: 1, retry: { baseDelayMs: 10, maxDelayMs: 50 } });
    const pdf = fileOf('retry.pdf', PDF);
    const job: Job<unknown> = ({ signal, acquire }) => client.uploadFile({ kind: 'file', path: pdf, mime: 'application/pdf' }, { signal, beforeSend: acquire });
    server.injectFaults({ kind: 'http5xx' }, { kind: 'html502' }, { kind: 'reset' });
    const [ok] = await scheduler.run([job]);
    assert.ok(ok.ok && ok.attempts === 4, JSON.stringify(ok));
    server.setBotEnabled(server.demo.appId, false);
    const before = filesRequests(server).length;
    const [bad] = await scheduler.run([job]);
    assert.ok(!bad.ok && bad.error.code === 234007 && bad.attempts === 1);
    assert.strictEqual(filesRequests(server).length - before, 1);
  });

  test('cancelled before it starts: 9104 and no request', async () => {
    const controller = new AbortController();
    controller.abort();
    await rejectsWithCode(appClient(server).uploadFile({ kind: 'file', path: fileOf('c.pdf', PDF), mime: 'application/pdf' }, { signal: controller.signal }), LocalCode.Cancelled);
    assert.deepStrictEqual(server.requests, []);
  });
});


suite('core/fileUpload: the files API has its own budget (manual clock shared with the stand-in)', () => {
  let server: LarkServer | undefined;
  teardown(async () => {
    await server?.close();
    server = undefined;
  });

  test('rateLimiterFor(filesBudgetKey): one per app, not the images limiter, 50/s and 1000/min', () => {
    const a = new LarkClient({ baseUrl: 'https://open.feishu.cn', credentials: { kind: 'app', appId: 'cli_budget_a', appSecret: 's' } });
    const b = new LarkClient({ baseUrl: 'https://open.feishu.cn', credentials: { kind: 'app', appId: 'cli_budget_b', appSecret: 's' } });
    const files = rateLimiterFor(filesBudgetKey(a));
    assert.notStrictEqual(files, rateLimiterFor(a.scopeKey));
    assert.notStrictEqual(files, rateLimiterFor(filesBudgetKey(b)));
    assert.strictEqual(files, rateLimiterFor(filesBudgetKey(new LarkClient({ baseUrl: 'feishu', credentials: { kind: 'app', appId: 'cli_budget_a', appSecret: 's' } }))));
    assert.deepStrictEqual([files.perSecond, files.perMinute], [50, 1000]);
  });

  test('60 images and 60 files at once: 50 of each at the first instant, the rest a window later, zero 429s', async () => {
    const clock = new ManualClock();
    server = await startLarkServer({ now: clock.now });
    const client = appClient(server, { now: clock.now });
    const png = fileOf('b.png', PNG1);
    const pdf = fileOf('b.pdf', PDF);
    const images = clockedJobs(60, (signal, beforeSend) => client.uploadImage({ kind: 'file', path: png, mime: 'image/png' }, 'message', { signal, beforeSend }));
    const files = clockedJobs(60, (signal, beforeSend) => client.uploadFile({ kind: 'file', path: pdf, mime: 'application/pdf' }, { signal, beforeSend }));
    const options = { concurrency: 16, clock, random: () => 0 };
    const imageScheduler = new UploadScheduler({ ...options, limiter: new RateLimiter(undefined, undefined, clock) });
    const fileScheduler = new UploadScheduler({ ...options, limiter: new RateLimiter(undefined, undefined, clock) });
    const t0 = clock.now();
    const both = Promise.all([imageScheduler.run(images.jobs), fileScheduler.run(files.jobs)]);
    const [imageOut, fileOut] = await drive(clock, both, () => images.idle() && files.idle());
    assert.strictEqual(imageOut.filter((o) => o.ok).length + fileOut.filter((o) => o.ok).length, 120);
    assert.strictEqual(server.requests.filter((r) => r.status === 429).length, 0);
    assert.deepStrictEqual(arrivalsByOffset(filesRequests(server), t0), { 0: 50, 1025: 10 });
    assert.deepStrictEqual(arrivalsByOffset(server.requests.filter((r) => r.path === UPLOAD_PATH), t0), { 0: 50, 1025: 10 });
  });

  test('someone else filled the files window: a 429, nothing sent before x-ogw-ratelimit-reset, then it lands', async () => {
    const clock = new ManualClock();
    server = await startLarkServer({ now: clock.now });
    const pdf = fileOf('w.pdf', PDF);
    const other = appClient(server, { now: clock.now });
    const spent = clockedJobs(50, (signal, beforeSend) => other.uploadFile({ kind: 'file', path: pdf, mime: 'application/pdf' }, { signal, beforeSend }));
    await drive(clock, new UploadScheduler({ concurrency: 16, clock, limiter: new RateLimiter(undefined, undefined, clock) }).run(spent.jobs), spent.idle);
    const t0 = clock.now();
    const client = appClient(server, { now: clock.now });
    const ours = clockedJobs(1, (signal, beforeSend) => client.uploadFile({ kind: 'file', path: pdf, mime: 'application/pdf' }, { signal, beforeSend }));
    const scheduler = new UploadScheduler({ concurrency: 1, clock, random: () => 0, limiter: new RateLimiter(undefined, undefined, clock) });
    const [out] = await drive(clock, scheduler.run(ours.jobs), ours.idle);
    assert.ok(out.ok && out.attempts === 2, JSON.stringify(out));
    const mine = filesRequests(server).slice(50);
    assert.deepStrictEqual(mine.map((r) => [r.at - t0, r.status]), [
      [0, 429],
      [1000, 200],
    ]);
  });
});

suite('core/fileUpload: uploadAsFiles, a batch', () => {
  let server: LarkServer;
  setup(async () => {
    server = await startLarkServer();
  });
  teardown(() => server.close());

  test('outcomes in input order; local failures never sent; the same file twice goes up once', async () => {
    const pdf = fileOf('batch/a.pdf', PDF);
    const files = [pdf, fileOf('batch/empty.txt', Buffer.alloc(0)), path.join(dir, 'batch/missing.pdf'), pdf, path.join(dir, 'batch'), fileOf('batch/huge.mov', { size: MAX_FILE_BYTES + 1 }), fileOf('batch/b.png', PNG1)];
    const progress: [number, number, number][] = [];
    const client = appClient(server);
    const out = await uploadAsFiles(files, {
      client,
      scheduler: new UploadScheduler({ limiter: rateLimiterFor(filesBudgetKey(client)) }),
      onProgress: (done, total, _o, index) => progress.push([done, total, index]),
    });
    assert.deepStrictEqual(
      out.map((o) => (o.ok ? `ok${o.reused ? ' reused' : ''}` : `${o.code} ${o.stage}`)),
      ['ok', '234010 validate', `${LocalCode.FileNotFound} validate`, 'ok reused', `${LocalCode.NotAFile} validate`, '234006 validate', 'ok'],
    );
    assert.deepStrictEqual(out.map((o) => o.file), files);
    const [a, , , again, , , png] = out;
    assert.ok(a.ok && again.ok && png.ok);
    assert.strictEqual(again.fileKey, a.fileKey);
    assert.deepStrictEqual([a.fileType, a.size, png.fileType, a.attempts], ['pdf', PDF.length, 'stream', 1]);
    assert.strictEqual(filesRequests(server).length, 2);
    assert.deepStrictEqual(progress.map(([done]) => done), [1, 2, 3, 4, 5, 6, 7]);
    assert.ok(progress.every(([, total]) => total === 7));
    assert.deepStrictEqual(progress.map(([, , index]) => index).sort(), [0, 1, 2, 3, 4, 5, 6]);
  });

  test('server errors and cancel come back as outcomes; nothing valid in the batch asks for nothing', async () => {
    server.injectFaults({ kind: 'code', code: 234007 });
    const client = appClient(server);
    const scheduler = new UploadScheduler();
    const [failed] = await uploadAsFiles([fileOf('s.pdf', PDF)], { client, scheduler });
    assert.ok(!failed.ok && failed.code === 234007 && failed.stage === 'upload' && failed.logId === filesRequests(server)[0].logId);
    const controller = new AbortController();
    controller.abort();
    const before = server.requests.length;
    const [cancelled] = await uploadAsFiles([fileOf('s.pdf', PDF)], { client, scheduler, signal: controller.signal });
    assert.ok(!cancelled.ok && cancelled.code === LocalCode.Cancelled);
    assert.strictEqual(server.requests.length, before);
    const fresh = appClient(server);
    const none = await uploadAsFiles([fileOf('z.pdf', Buffer.alloc(0))], { client: fresh, scheduler });
    assert.ok(!none[0].ok && none[0].code === 234010);
    assert.strictEqual(server.requests.length, before);
  });

  test('distinct files go up in the order first named, each through the scheduler rate budget', async () => {
    class CountingLimiter extends RateLimiter {
      calls = 0;
      override acquire(signal?: AbortSignal): Promise<void> {
        this.calls++;
        return super.acquire(signal);
      }
    }
    const [c, a, b] = ['order/c.pdf', 'order/a.pdf', 'order/b.pdf'].map((name, i) => fileOf(name, Buffer.concat([PDF, Buffer.from([i])])));
    const limiter = new CountingLimiter();
    const out = await uploadAsFiles([c, a, c, b, a], { client: appClient(server), scheduler: new UploadScheduler({ concurrency: 1, limiter }) });
    assert.ok(out.every((o) => o.ok));
    assert.deepStrictEqual(filesRequests(server).map((r) => r.fileName), ['c.pdf', 'a.pdf', 'b.pdf']);
    assert.strictEqual(limiter.calls, 3, 'one acquire per request sent');
  });

  test('cancel while a file is on the wire: 9104 for it and its repeats, the request is abandoned', async () => {
    let release!: () => void;
    const until = new Promise<void>((r) => (release = r));
    let arrived!: () => void;
    const onWire = new Promise<void>((r) => (arrived = r));
    server.injectFaults({ kind: 'hold', until, arrived });
    const controller = new AbortController();
    const pdf = fileOf('cancel/held.pdf', PDF);
    const running = uploadAsFiles([pdf, pdf], { client: appClient(server), scheduler: new UploadScheduler({ concurrency: 1, retry: { maxAttempts: 1 } }), signal: controller.signal });
    await onWire;
    controller.abort();
    const out = await running;
    release();
    assert.deepStrictEqual(out.map((o) => (o.ok ? 'ok' : o.code)), [LocalCode.Cancelled, LocalCode.Cancelled]);
    assert.strictEqual(server.files.size, 0, 'nothing stored');
  });

  test('checkFileForUpload: a folder and a pipe are not files, each says which', async function () {
    await assert.rejects(checkFileForUpload(dir), (e: UploadErrorLike) => e.code === LocalCode.NotAFile && /folder/.test(e.message));
    if (process.platform === 'win32') this.skip();
    const fifo = path.join(dir, 'a-pipe');
    execFileSync('mkfifo', [fifo]);
    await assert.rejects(checkFileForUpload(fifo), (e: UploadErrorLike) => e.code === LocalCode.NotAFile && /pipe/.test(e.message));
    assert.strictEqual(await checkFileForUpload(fileOf('check/ok.pdf', PDF)), PDF.length);
  });
});

type UploadErrorLike = { code: number; message: string };
