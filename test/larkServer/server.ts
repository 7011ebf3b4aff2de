/*
 * Stand-in Lark / Feishu Open Platform server for tests and the demo.
 *
 * A real HTTP server on 127.0.0.1 reproducing what the shared Lark docs upload-image-api.md and
 * api-facts.md describe for:
 *   POST /open-apis/auth/v3/tenant_access_token/internal
 *   POST /open-apis/im/v1/images                      (multipart: image_type + image)
 *   GET  /open-apis/im/v1/images/:image_key
 *   POST /open-apis/im/v1/files                       (multipart: file_type + file_name + file)
 *
 * Order of checks for POST /open-apis/im/v1/images (first failing check answers):
 *   1. gateway: Authorization missing/empty -> 99991661; token not "t-"/"u-" after "Bearer "
 *      (or no "Bearer " scheme) -> 99991671; "u-" tokens (never issued here) -> 99991668;
 *      unknown / expired / invalidated tenant token -> 99991663; app has neither
 *      im:resource nor im:resource:upload -> 99991672 (with error.permission_violations).
 *   2. rate limit per app (50/s and 1000/min by default) -> HTTP 429, 99991400.
 *   3. the next queued fault is consumed (one per request that got this far):
 *      reset / html502 / http5xx answer at once; slow waits delayMs and then goes on
 *      (if the client left meanwhile nothing else happens: nothing stored, nothing counted);
 *      a `code` fault is remembered for step 5; `invalidateTokens` invalidates every token
 *      issued so far and answers 99991663 (the platform revoked the token mid-batch).
 *   4. bot ability disabled -> 234007.
 *   5. queued `code` fault -> that code (HTTP `status`, default 401 for 234002, else 400).
 *   6. body: not multipart / malformed multipart / missing image_type / image_type not
 *      message|avatar / no `image` file part -> 234001.
 *   7. 0-byte image -> 234010.
 *   8. more than 10,485,760 bytes -> 234006 (exactly 10,485,760 passes).
 *   9. image-size cannot read it, or format not JPEG/PNG/WEBP/GIF/TIFF/BMP/ICO -> 234011.
 *  10. resolution: GIF > 2000 either side, others > 12000, avatar > 4096 -> 234039.
 *  11. success: HTTP 200 {"code":0,"data":{"image_key":"img_v2_..."},"msg":"success"}.
 * Upload errors are HTTP 400 except 234002 (401). The request body is always read to its end
 * (discarded when not needed) before an answer is written, except for the `reset` fault.
 *
 * POST /open-apis/im/v1/files: steps 1 to 5 as above (its own rate window: "files:<app>"; the
 * fault queue is shared with the images API), then: not multipart / malformed / file_type not
 * opus|mp4|pdf|doc|xls|ppt|stream / file_name missing or empty / duration not a whole number /
 * no `file` part -> 234001; 0 bytes -> 234010; more than 31,457,280 bytes (30 MiB) -> 234006
 * (exactly 30 MiB passes). Any content is accepted (no format check). Success: HTTP 200
 * {"code":0,"data":{"file_key":"file_v2_..."},"msg":"success"}; stored in `files`.
 *
 * GET /open-apis/im/v1/images/:key: gateway as above (scope im:resource required: the
 * upload-only scope does not allow downloads), rate limit (own bucket per app), 234007 if the
 * bot is disabled, then: key never issued by this server -> 234001; key deleted with
 * deleteImage() -> 234005; image of another app or an avatar -> 234008; else 200 with the bytes
 * and the Content-Type of the detected format (image/png, ...); a TIFF is served as JPEG
 * (image/jpeg), as Lark converts TIFF uploads.
 *
 * Rate limiting: FIXED windows per app and per API (upload / download / files), each window starting
 * with the first admitted request after the previous window ran out (so a burst is never split
 * by a wall-clock boundary). Only admitted requests count. x-ogw-ratelimit-limit = the limit hit,
 * x-ogw-ratelimit-reset = whole seconds (>= 1, rounded up) until that window ends. When the
 * per-minute window is exhausted it is reported even if the per-second one is too.
 *
 * Faults `http5xx` answer with a PLAIN TEXT body (Content-Type text/plain, e.g.
 * "Internal Server Error"), `html502` with an nginx-like HTML page (text/html, 502).
 *
 * Every response carries X-Tt-Logid; every JSON error body carries
 * error: { log_id, troubleshooter, message? , permission_violations? }.
 * Unknown paths (and wrong methods) answer 404 with the plain text "404 page not found" like
 * the real gateway; under /open-apis/im/ the token checks run first.
 *
 * The server has its own clock (options.now, default Date.now, + offset) that tests can move
 * with advanceClock(): token expiry and rate windows use it.
 */
import * as http from 'http';
import * as https from 'https';
import * as crypto from 'crypto';
import type { AddressInfo } from 'net';
import busboy from 'busboy';
import { imageSize } from 'image-size';

export interface MockApp {
  appId: string;
  appSecret: string;
  botEnabled?: boolean;
  /** default ['im:resource'] */
  scopes?: string[];
}

export type Fault =
  /** plain text body (text/plain), status default 500 */
  | { kind: 'http5xx'; status?: number }
  /** nginx-like HTML page, text/html, status 502 */
  | { kind: 'html502' }
  /** socket destroyed without any response */
  | { kind: 'reset' }
  /** waits delayMs, then handles the request normally */
  | { kind: 'slow'; delayMs: number }
  /** calls `arrived` when the request gets here, waits until `until` settles, then handles it normally */
  | { kind: 'hold'; until: Promise<unknown>; arrived?: () => void }
  /** this Lark code in the proper envelope; status default 401 for 234002, else 400 */
  | { kind: 'code'; code: number; status?: number }
  /** every token issued so far becomes invalid, and this request is answered 99991663 */
  | { kind: 'invalidateTokens' };

export interface LarkServerOptions {
  /** default 0 (random) */
  port?: number;
  /** default: [DEMO_APP]; the first one is `demo` */
  apps?: MockApp[];
  /** default 50/s and 1000/min per app; false = no limit */
  rateLimit?: { perSecond: number; perMinute: number } | false;
  /** default 7200 */
  tokenTtlSeconds?: number;
  /** added to every upload response (default 0) */
  latencyMs?: number;
  /** after N successful uploads every issued token becomes invalid (99991663) once */
  invalidateTokensAfterUploads?: number;
  /**
   * The server's clock (ms epoch) for token expiry, rate windows and log ids; default Date.now.
   * A test that also drives the client's limiter from it controls every window exactly.
   */
  now?: () => number;
  /** called when a request is finished (answered, reset, or the client went away) */
  onRequest?: (r: RecordedRequest) => void;
  /** address to listen on; default 127.0.0.1 (e.g. 127.0.0.2: an address proxies do not skip) */
  host?: string;
  /** serve https with this key and certificate (PEM) instead of http */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

export interface RecordedRequest {
  method: string;
  /** path without query string */
  path: string;
  /** HTTP status sent; 0 = no response (reset fault, or the client went away first) */
  status: number;
  /** Lark code of the JSON answer; undefined for non-JSON answers / no answer */
  code: number | undefined;
  logId: string;
  /** 'present' | 'absent' — the token text is never stored */
  authorization?: string;
  /** from the token (im APIs) or the body's app_id (token API) */
  appId?: string;
  /** ms epoch, server clock, at arrival */
  at: number;
  imageType?: string;
  /** files API: the file_type field */
  fileType?: string;
  /** images API: the part's file name; files API: the file_name field */
  fileName?: string;
  /** Content-Type of the uploaded `image` (or `file`) part as the client sent it */
  contentType?: string;
  /** bytes of the `image` (or `file`) part (for oversize parts: the limit + 1, reading stops there) */
  bytes?: number;
}

/** An upload through the files API. */
export interface StoredFile {
  appId: string;
  /** the file_type field: opus | mp4 | pdf | doc | xls | ppt | stream */
  fileType: string;
  /** the file_name field */
  fileName: string;
  /** the `file` part's own file name in its Content-Disposition */
  partFileName: string;
  /** Content-Type of the part as the client sent it */
  contentType: string;
  /** the duration field (ms), when sent */
  durationMs?: number;
  bytes: Buffer;
}

export interface StoredImage {
  appId: string;
  imageType: string;
  bytes: Buffer;
  /** Content-Type of the part as the client sent it */
  contentType: string;
  fileName: string;
  /** detected by image-size: 'png' | 'jpg' | 'gif' | 'webp' | 'tiff' | 'bmp' | 'ico' */
  format: string;
  /** MIME type of the detected format (served by GET) */
  mime: string;
  width: number;
  height: number;
}

export interface LarkServer {
  /** 'http://127.0.0.1:PORT' */
  readonly baseUrl: string;
  readonly port: number;
  /** the default (first) app's credentials */
  readonly demo: MockApp;
  /** every request, in arrival order (entries are completed when the request finishes) */
  readonly requests: RecordedRequest[];
  /** count of successful uploads (since start / reset) */
  uploads(): number;
  /** count of token API requests, failed ones included (since start / reset) */
  tokenRequests(): number;
  /** queue: each upload request past the gateway + rate limit consumes the next fault */
  injectFaults(...faults: Fault[]): void;
  /** faults not consumed yet */
  pendingFaults(): number;
  /** 234007 when disabled. Throws for an unknown app. */
  setBotEnabled(appId: string, enabled: boolean): void;
  /** replace an app's scopes. Throws for an unknown app. */
  setScopes(appId: string, scopes: string[]): void;
  addApp(app: MockApp): void;
  /** every token issued so far -> 99991663; the next token request gets a new token */
  invalidateAllTokens(): void;
  /** a valid tenant token (default: demo app, tokenTtlSeconds) for static-token tests */
  issueStaticToken(appId?: string, ttlSeconds?: number): string;
  /** moves the server clock forward (token expiry, rate windows) */
  advanceClock(ms: number): void;
  /** server clock, ms epoch */
  now(): number;
  readonly images: ReadonlyMap<string, StoredImage>;
  /** uploads of the files API, by file_key */
  readonly files: ReadonlyMap<string, StoredFile>;
  /** count of successful files API uploads (since start / reset) */
  fileUploads(): number;
  /** later GETs of the key answer 234005; returns false if the key was unknown */
  deleteImage(imageKey: string): boolean;
  /** clear requests/counters/faults/rate windows (keeps apps, tokens, images, clock) */
  reset(): void;
  close(): Promise<void>;
}

export const DEMO_APP: MockApp = Object.freeze({
  appId: 'cli_demo0000000001',
  appSecret: 'demo-secret-not-real-0001',
}) as MockApp;

export const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';
export const UPLOAD_PATH = '/open-apis/im/v1/images';
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024; // 10,485,760 passes, one more fails
export const FILES_PATH = '/open-apis/im/v1/files';
export const MAX_FILE_BYTES = 30 * 1024 * 1024; // 31,457,280 passes, one more fails
export const FILE_TYPES: readonly string[] = ['opus', 'mp4', 'pdf', 'doc', 'xls', 'ppt', 'stream'];

const THIRTY_MIN_MS = 30 * 60 * 1000;
const ALLOWED_FORMATS: Record<string, string> = {
  jpg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  tiff: 'image/tiff',
  bmp: 'image/bmp',
  ico: 'image/x-icon',
};

const MESSAGES: Record<number, string> = {
  99991400: 'request trigger frequency limit',
  99991661: 'Missing access token for authorization. Please make a request with token attached.',
  99991663: 'Invalid access token for authorization. Please make a request with token attached.',
  99991668: 'Invalid access token for authorization. Please make a request with token attached.',
  99991671: 'Invalid access token for authorization. Token must start with t- or u-.',
  99991672: 'Access denied. One of the following scopes is required: [im:resource, im:resource:upload].',
  232096: 'Meta writing has stopped, please try again later.',
  234001: 'Invalid request param.',
  234002: 'Unauthorized.',
  234005: 'Image has been deleted.',
  234006: 'The file size exceed the max value.',
  234007: 'App does not enable bot feature.',
  234008: 'The app is not the resource sender.',
  234010: "File's size can't be 0.",
  234011: "Can't regonnize the image format.",
  234039: 'Image resolution exceeds limit.',
  234041: 'Tenant master key has been deleted, please contact the tenant administrator.',
  234042: 'Hybrid deployment tenant storage error, such as full storage space, please contact tenant administrator.',
  10003: 'invalid param',
  10014: 'app id not exists',
  10015: 'app secret invalid',
};

interface AppState {
  app: MockApp;
  botEnabled: boolean;
  scopes: string[];
}
interface TokenState {
  appId: string;
  expiresAt: number;
  valid: boolean;
}
interface Window {
  start: number;
  count: number;
}
interface ParsedUpload {
  bad?: string; // why the request is a 234001
  aborted?: boolean;
  /** text fields; the first value of a name wins */
  fields: Record<string, string>;
  file?: { bytes: Buffer; size: number; truncated: boolean; fileName: string; mimeType: string };
}

class HttpError extends Error {}

/** A TIFF as Lark serves it back: converted to JPEG. */
async function tiffAsJpeg(tiff: Buffer): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  return sharp(tiff).jpeg().toBuffer();
}

export async function startLarkServer(opts: LarkServerOptions = {}): Promise<LarkServer> {
  const appList = opts.apps && opts.apps.length > 0 ? opts.apps : [DEMO_APP];
  const apps = new Map<string, AppState>();
  const addApp = (app: MockApp): void => {
    apps.set(app.appId, {
      app,
      botEnabled: app.botEnabled !== false,
      scopes: [...(app.scopes ?? ['im:resource'])],
    });
  };
  appList.forEach(addApp);
  const rateLimit = opts.rateLimit === undefined ? { perSecond: 50, perMinute: 1000 } : opts.rateLimit;
  const tokenTtlMs = (opts.tokenTtlSeconds ?? 7200) * 1000;
  const latencyMs = opts.latencyMs ?? 0;

  let clockOffset = 0;
  const baseNow = opts.now ?? Date.now;
  const now = (): number => baseNow() + clockOffset;

  const tokens = new Map<string, TokenState>();
  const currentToken = new Map<string, string>(); // appId -> latest token from the token API
  const images = new Map<string, StoredImage>();
  const files = new Map<string, StoredFile>();
  let fileUploadCount = 0;
  const deleted = new Set<string>();
  const requests: RecordedRequest[] = [];
  let faults: Fault[] = [];
  let uploadCount = 0;
  let tokenRequestCount = 0;
  let invalidationDone = false;
  const windows = new Map<string, { sec: Window; min: Window }>();
  let closed = false;
  const sleepers = new Map<NodeJS.Timeout, (ok: boolean) => void>();
  let logSeq = 0;

  const sleep = (ms: number): Promise<boolean> => {
    if (closed) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        sleepers.delete(t);
        resolve(!closed);
      }, ms);
      sleepers.set(t, resolve);
    });
  };

  const newLogId = (): string => {
    const d = new Date(now());
    const p = (n: number, w = 2): string => String(n).padStart(w, '0');
    const stamp =
      `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}` +
      `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
    logSeq = (logSeq + 1) % 0x1000000;
    return stamp + crypto.randomBytes(6).toString('hex').toUpperCase() + logSeq.toString(16).toUpperCase().padStart(6, '0');
  };

  const issueToken = (appId: string, ttlMs: number): string => {
    const token = 't-' + crypto.randomBytes(20).toString('hex');
    tokens.set(token, { appId, expiresAt: now() + ttlMs, valid: true });
    return token;
  };
  const tokenUsable = (t: TokenState | undefined): t is TokenState => !!t && t.valid && t.expiresAt > now();
  const invalidateAllTokens = (): void => {
    for (const t of tokens.values()) t.valid = false;
  };

  const rateCheck = (key: string): { limit: number; resetSec: number } | undefined => {
    if (!rateLimit) return undefined;
    const t = now();
    let w = windows.get(key);
    if (!w) {
      w = { sec: { start: t, count: 0 }, min: { start: t, count: 0 } };
      windows.set(key, w);
    }
    if (t >= w.sec.start + 1000 || t < w.sec.start) w.sec = { start: t, count: 0 };
    if (t >= w.min.start + 60_000 || t < w.min.start) w.min = { start: t, count: 0 };
    const resetOf = (win: Window, len: number): number => Math.max(1, Math.ceil((win.start + len - t) / 1000));
    if (w.min.count >= rateLimit.perMinute) return { limit: rateLimit.perMinute, resetSec: resetOf(w.min, 60_000) };
    if (w.sec.count >= rateLimit.perSecond) return { limit: rateLimit.perSecond, resetSec: resetOf(w.sec, 1000) };
    w.sec.count++;
    w.min.count++;
    return undefined;
  };

  const errorBody = (code: number, logId: string, extra: Record<string, unknown> = {}, msg?: string): Record<string, unknown> => ({
    code,
    msg: msg ?? MESSAGES[code] ?? 'mock fault',
    error: {
      log_id: logId,
      troubleshooter: `https://open.larksuite.com/search?from=openapi&log_id=${logId}&code=${code}`,
      ...extra,
    },
  });

  // ---- low-level response helpers --------------------------------------------------------
  const canWrite = (res: http.ServerResponse): boolean => !res.destroyed && !res.writableEnded && !res.socket?.destroyed;

  const sendJson = (
    res: http.ServerResponse,
    rec: RecordedRequest,
    status: number,
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): void => {
    if (!canWrite(res)) return;
    const text = JSON.stringify(body);
    rec.status = status;
    rec.code = typeof body.code === 'number' ? body.code : undefined;
    res.writeHead(status, {
      ...headers,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  };
  const sendText = (res: http.ServerResponse, rec: RecordedRequest, status: number, body: string | Buffer, type: string): void => {
    if (!canWrite(res)) return;
    rec.status = status;
    rec.code = undefined;
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };

  /** Reads and discards the rest of the request body. */
  const drain = (req: http.IncomingMessage): Promise<void> =>
    new Promise((resolve) => {
      if (req.readableEnded || req.destroyed) return resolve();
      const done = (): void => resolve();
      req.once('end', done);
      req.once('close', done);
      req.once('error', done);
      req.resume();
    });

  const readBody = (req: http.IncomingMessage, max: number): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= max) chunks.push(c);
      });
      req.once('end', () => (size > max ? reject(new HttpError('too large')) : resolve(Buffer.concat(chunks))));
      req.once('error', reject);
      req.once('close', () => {
        if (!req.complete) reject(new HttpError('aborted'));
      });
    });

  /** The multipart body: its text fields and the part named `partName` (at most `maxBytes` + 1 kept). */
  const parseUpload = (req: http.IncomingMessage, partName: 'image' | 'file', maxBytes: number): Promise<ParsedUpload> =>
    new Promise((resolve) => {
      const ct = String(req.headers['content-type'] ?? '');
      if (!/^multipart\/form-data/i.test(ct.trim())) {
        void drain(req).then(() => resolve({ bad: 'not multipart/form-data', fields: {} }));
        return;
      }
      let bb: busboy.Busboy;
      try {
        bb = busboy({
          headers: req.headers,
          defParamCharset: 'utf8',
          limits: { fileSize: maxBytes + 1, files: 20, fields: 50, parts: 100 },
        });
      } catch {
        void drain(req).then(() => resolve({ bad: 'bad multipart header', fields: {} }));
        return;
      }
      const result: ParsedUpload = { fields: {} };
      let fileDone: Promise<void> = Promise.resolve();
      let settled = false;
      const finish = (r: ParsedUpload): void => {
        if (settled) return;
        settled = true;
        resolve(r);
      };
      bb.on('field', (name, value) => {
        if (!Object.prototype.hasOwnProperty.call(result.fields, name)) result.fields[name] = value;
      });
      bb.on('file', (name, stream, info) => {
        if (name !== partName || result.file) {
          stream.resume();
          return;
        }
        const chunks: Buffer[] = [];
        const file = { bytes: Buffer.alloc(0), size: 0, truncated: false, fileName: info.filename ?? '', mimeType: info.mimeType ?? '' };
        result.file = file;
        stream.on('data', (c: Buffer) => {
          chunks.push(c);
          file.size += c.length;
        });
        stream.on('limit', () => {
          file.truncated = true;
        });
        fileDone = new Promise((r) => {
          stream.once('end', () => {
            file.bytes = Buffer.concat(chunks);
            r();
          });
          stream.once('error', () => r());
          stream.once('close', () => r());
        });
      });
      bb.once('close', () => {
        void fileDone.then(() => {
          if (req.complete) finish(result);
          else void drain(req).then(() => finish(result));
        });
      });
      bb.once('error', () => {
        req.unpipe(bb);
        void drain(req).then(() => finish(req.complete ? { bad: 'malformed multipart', fields: {} } : { aborted: true, fields: {} }));
      });
      req.once('close', () => {
        if (!req.complete) {
          req.unpipe(bb);
          bb.removeAllListeners('close');
          bb.on('error', () => undefined);
          bb.destroy();
          finish({ aborted: true, fields: {} });
        }
      });
      req.pipe(bb);
    });

  // ---- gateway -------------------------------------------------------------------------------
  /** Token checks; returns the app or undefined after answering. */
  const gateway = (req: http.IncomingMessage, rec: RecordedRequest): { code: number } | AppState => {
    const auth = req.headers.authorization;
    if (auth === undefined || auth.trim() === '') return { code: 99991661 };
    const m = /^Bearer(?:\s+(.*))?$/i.exec(auth.trim()); // "Bearer" alone: fetch trims "Bearer "
    if (!m) return { code: 99991671 };
    const token = (m[1] ?? '').trim();
    if (token === '') return { code: 99991661 };
    if (!token.startsWith('t-') && !token.startsWith('u-')) return { code: 99991671 };
    if (token.startsWith('u-')) return { code: 99991668 };
    const st = tokens.get(token);
    if (!tokenUsable(st)) return { code: 99991663 };
    rec.appId = st.appId;
    const app = apps.get(st.appId);
    if (!app) return { code: 99991663 };
    return app;
  };

  const scopeViolation = (required: string[]): Record<string, unknown> => ({
    message: `Access denied. One of the following scopes is required: [${required.join(', ')}].`,
    permission_violations: required.map((s) => ({
      type: 'action_privilege_required',
      subject: s,
      description: `Requires the scope ${s}. Enable it for the app in the developer console (Permissions & Scopes).`,
    })),
  });

  // ---- handlers ------------------------------------------------------------------------------
  const handleToken = async (req: http.IncomingMessage, res: http.ServerResponse, rec: RecordedRequest, logId: string): Promise<void> => {
    tokenRequestCount++;
    let body: unknown;
    try {
      const raw = await readBody(req, 1024 * 1024);
      body = JSON.parse(raw.toString('utf8'));
    } catch (e) {
      if (e instanceof HttpError && e.message === 'aborted') return;
      body = undefined;
    }
    const invalid = (): void => sendJson(res, rec, 200, { ...errorBody(10003, logId), data: {} });
    if (!body || typeof body !== 'object' || Array.isArray(body)) return invalid();
    const { app_id: appId, app_secret: appSecret } = body as Record<string, unknown>;
    if (typeof appId === 'string') rec.appId = appId;
    if (typeof appId !== 'string' || appId === '' || typeof appSecret !== 'string' || appSecret === '') return invalid();
    const app = apps.get(appId);
    if (!app) return sendJson(res, rec, 200, { ...errorBody(10014, logId), data: {} });
    if (app.app.appSecret !== appSecret) return sendJson(res, rec, 200, { ...errorBody(10015, logId), data: {} });
    const cur = currentToken.get(appId);
    const st = cur === undefined ? undefined : tokens.get(cur);
    let token: string;
    let expireMs: number;
    if (cur !== undefined && tokenUsable(st) && st.expiresAt - now() > THIRTY_MIN_MS) {
      token = cur;
      expireMs = st.expiresAt - now();
    } else {
      token = issueToken(appId, tokenTtlMs);
      currentToken.set(appId, token);
      expireMs = tokenTtlMs;
    }
    sendJson(res, rec, 200, { code: 0, msg: 'ok', tenant_access_token: token, expire: Math.round(expireMs / 1000) });
  };

  /** How an upload request (images or files API) is answered once it got past admission. */
  interface Admitted {
    app: AppState;
    fail: (code: number, status?: number, extra?: Record<string, unknown>) => Promise<void>;
    reply: (status: number, body: Record<string, unknown>) => Promise<void>;
  }

  /**
   * Steps 1 to 5 of an upload, shared by the images and the files API: gateway, scope, the API's
   * own rate window (`rateKey`), the next fault, bot ability, a queued code fault. Undefined when
   * one of them answered (or the fault left the client without an answer).
   */
  const admitUpload = async (req: http.IncomingMessage, res: http.ServerResponse, rec: RecordedRequest, logId: string, rateKey: string, isGone: () => boolean): Promise<Admitted | undefined> => {
    // every answer of an upload API waits latencyMs first
    const reply = async (status: number, body: Record<string, unknown>, headers?: Record<string, string>): Promise<void> => {
      if (!(await sleep(latencyMs))) return void res.destroy();
      sendJson(res, rec, status, body, headers);
    };
    const fail = async (code: number, status?: number, extra?: Record<string, unknown>): Promise<void> => {
      await drain(req);
      await reply(status ?? (code === 234002 ? 401 : 400), errorBody(code, logId, extra));
    };

    const g = gateway(req, rec);
    if (!('app' in g)) return void (await fail(g.code, 400));
    const app = g;
    if (!app.scopes.includes('im:resource') && !app.scopes.includes('im:resource:upload')) {
      return void (await fail(99991672, 400, scopeViolation(['im:resource', 'im:resource:upload'])));
    }
    if (rateLimit) {
      const limited = rateCheck(`${rateKey}:${app.app.appId}`);
      if (limited) {
        await drain(req);
        return void (await reply(429, errorBody(99991400, logId), {
          'x-ogw-ratelimit-limit': String(limited.limit),
          'x-ogw-ratelimit-reset': String(limited.resetSec),
        }));
      }
    }

    const fault = faults.shift();
    let codeFault: { code: number; status?: number } | undefined;
    if (fault) {
      switch (fault.kind) {
        case 'reset':
          rec.status = 0;
          req.socket.destroy();
          return undefined;
        case 'html502':
          await drain(req);
          if (!(await sleep(latencyMs))) return void res.destroy();
          return void sendText(
            res,
            rec,
            502,
            '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n',
            'text/html',
          );
        case 'http5xx': {
          const status = fault.status ?? 500;
          await drain(req);
          if (!(await sleep(latencyMs))) return void res.destroy();
          return void sendText(res, rec, status, http.STATUS_CODES[status] ?? 'Server Error', 'text/plain; charset=utf-8');
        }
        case 'slow':
          if (!(await sleep(fault.delayMs)) || isGone()) {
            res.destroy();
            return undefined;
          }
          break;
        case 'hold':
          fault.arrived?.();
          await fault.until.then(
            () => undefined,
            () => undefined,
          );
          if (isGone()) {
            res.destroy();
            return;
          }
          break;
        case 'code':
          codeFault = fault;
          break;
        case 'invalidateTokens':
          invalidateAllTokens();
          return void (await fail(99991663, 400));
      }
    }

    if (!app.botEnabled) return void (await fail(234007));
    if (codeFault) return void (await fail(codeFault.code, codeFault.status));
    return { app, fail, reply };
  };

  const handleUpload = async (req: http.IncomingMessage, res: http.ServerResponse, rec: RecordedRequest, logId: string, isGone: () => boolean): Promise<void> => {
    const admitted = await admitUpload(req, res, rec, logId, 'upload', isGone);
    if (!admitted) return;
    const { app, fail, reply } = admitted;
    const parsed = await parseUpload(req, 'image', MAX_IMAGE_BYTES);
    if (parsed.aborted || isGone()) return;
    const imageType = parsed.fields.image_type;
    if (imageType !== undefined) rec.imageType = imageType;
    if (parsed.file) {
      rec.fileName = parsed.file.fileName;
      rec.contentType = parsed.file.mimeType;
      rec.bytes = parsed.file.size;
    }
    if (parsed.bad) return fail(234001, 400, { message: parsed.bad });
    if (imageType === undefined) return fail(234001, 400, { message: 'image_type is required' });
    if (imageType !== 'message' && imageType !== 'avatar') {
      return fail(234001, 400, { message: 'image_type must be message or avatar' });
    }
    const file = parsed.file;
    if (!file) return fail(234001, 400, { message: 'image is required' });
    if (file.size === 0) return fail(234010);
    if (file.truncated || file.size > MAX_IMAGE_BYTES) return fail(234006);
    let dim: { width: number; height: number; type?: string };
    try {
      dim = imageSize(file.bytes);
    } catch {
      return fail(234011);
    }
    const format = dim.type ?? '';
    const mime = ALLOWED_FORMATS[format];
    if (!mime) return fail(234011);
    let maxSide = format === 'gif' ? 2000 : 12000;
    if (imageType === 'avatar') maxSide = Math.min(maxSide, 4096);
    if (dim.width > maxSide || dim.height > maxSide) return fail(234039);

    const key = `img_v2_${crypto.randomUUID()}`;
    images.set(key, {
      appId: app.app.appId,
      imageType,
      bytes: file.bytes,
      contentType: file.mimeType,
      fileName: file.fileName,
      format,
      mime,
      width: dim.width,
      height: dim.height,
    });
    uploadCount++;
    if (opts.invalidateTokensAfterUploads !== undefined && !invalidationDone && uploadCount >= opts.invalidateTokensAfterUploads) {
      invalidationDone = true;
      invalidateAllTokens();
    }
    await reply(200, { code: 0, data: { image_key: key }, msg: 'success' });
  };

  const handleFileUpload = async (req: http.IncomingMessage, res: http.ServerResponse, rec: RecordedRequest, logId: string, isGone: () => boolean): Promise<void> => {
    const admitted = await admitUpload(req, res, rec, logId, 'files', isGone);
    if (!admitted) return;
    const { app, fail, reply } = admitted;
    const parsed = await parseUpload(req, 'file', MAX_FILE_BYTES);
    if (parsed.aborted || isGone()) return;
    const { file_type: fileType, file_name: fileName, duration } = parsed.fields;
    if (fileType !== undefined) rec.fileType = fileType;
    if (fileName !== undefined) rec.fileName = fileName;
    if (parsed.file) {
      rec.contentType = parsed.file.mimeType;
      rec.bytes = parsed.file.size;
    }
    if (parsed.bad) return fail(234001, 400, { message: parsed.bad });
    if (fileType === undefined || !FILE_TYPES.includes(fileType)) return fail(234001, 400, { message: `file_type must be one of ${FILE_TYPES.join(', ')}` });
    if (!fileName) return fail(234001, 400, { message: 'file_name is required' });
    if (duration !== undefined && !/^\d+$/.test(duration)) return fail(234001, 400, { message: 'duration must be a whole number of milliseconds' });
    const file = parsed.file;
    if (!file) return fail(234001, 400, { message: 'file is required' });
    if (file.size === 0) return fail(234010);
    if (file.truncated || file.size > MAX_FILE_BYTES) return fail(234006);

    const key = `file_v2_${crypto.randomUUID()}`;
    files.set(key, {
      appId: app.app.appId,
      fileType,
      fileName,
      partFileName: file.fileName,
      contentType: file.mimeType,
      ...(duration !== undefined ? { durationMs: Number(duration) } : {}),
      bytes: file.bytes,
    });
    fileUploadCount++;
    await reply(200, { code: 0, data: { file_key: key }, msg: 'success' });
  };

  const handleDownload = async (req: http.IncomingMessage, res: http.ServerResponse, rec: RecordedRequest, logId: string, key: string): Promise<void> => {
    await drain(req);
    const fail = (code: number, status = 400, extra?: Record<string, unknown>): void => sendJson(res, rec, status, errorBody(code, logId, extra));
    const g = gateway(req, rec);
    if (!('app' in g)) return fail(g.code);
    const app = g;
    if (!app.scopes.includes('im:resource')) return fail(99991672, 400, scopeViolation(['im:resource']));
    const limited = rateCheck(`download:${app.app.appId}`);
    if (limited) {
      return sendJson(res, rec, 429, errorBody(99991400, logId), {
        'x-ogw-ratelimit-limit': String(limited.limit),
        'x-ogw-ratelimit-reset': String(limited.resetSec),
      });
    }
    if (!app.botEnabled) return fail(234007);
    if (deleted.has(key)) return fail(234005);
    const img = images.get(key);
    if (!img) return fail(234001, 400, { message: 'image_key not found' });
    if (img.appId !== app.app.appId || img.imageType !== 'message') return fail(234008);
    rec.imageType = img.imageType;
    // Lark converts TIFF uploads to JPEG: the download is a JPEG (sharp loaded only for TIFFs)
    const served = img.format === 'tiff' ? { bytes: await tiffAsJpeg(img.bytes), mime: 'image/jpeg' } : img;
    rec.bytes = served.bytes.length;
    sendText(res, rec, 200, served.bytes, served.mime);
  };

  const notFound = async (req: http.IncomingMessage, res: http.ServerResponse, rec: RecordedRequest): Promise<void> => {
    await drain(req);
    sendText(res, rec, 404, '404 page not found', 'text/plain; charset=utf-8');
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const logId = newLogId();
    const url = req.url ?? '/';
    const qi = url.indexOf('?');
    const path = qi >= 0 ? url.slice(0, qi) : url;
    const method = (req.method ?? 'GET').toUpperCase();
    const rec: RecordedRequest = {
      method,
      path,
      status: 0,
      code: undefined,
      logId,
      authorization: req.headers.authorization !== undefined && req.headers.authorization.trim() !== '' ? 'present' : 'absent',
      at: now(),
    };
    requests.push(rec);
    let gone = false;
    let reported = false;
    const report = (): void => {
      if (reported) return;
      reported = true;
      try {
        opts.onRequest?.(rec);
      } catch {
        /* a listener's problem is not the server's */
      }
    };
    res.once('close', () => {
      if (!res.writableFinished) gone = true;
      report();
    });
    res.setHeader('X-Tt-Logid', logId);
    req.on('error', () => undefined); // a client abort must never become an uncaught 'error'

    if (path === TOKEN_PATH && method === 'POST') return handleToken(req, res, rec, logId);
    if (path.startsWith('/open-apis/im/')) {
      if (path === UPLOAD_PATH && method === 'POST') return handleUpload(req, res, rec, logId, () => gone);
      if (path === FILES_PATH && method === 'POST') return handleFileUpload(req, res, rec, logId, () => gone);
      const dm = /^\/open-apis\/im\/v1\/images\/([^/]+)$/.exec(path);
      if (dm && method === 'GET') {
        let key: string;
        try {
          key = decodeURIComponent(dm[1]);
        } catch {
          key = dm[1];
        }
        return handleDownload(req, res, rec, logId, key);
      }
      // unknown im route: token checks first, then 404
      const g = gateway(req, rec);
      if (!('app' in g)) {
        await drain(req);
        return sendJson(res, rec, 400, errorBody(g.code, logId));
      }
    }
    return notFound(req, res, rec);
  };

  const onHttpRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    handle(req, res).catch(() => {
      try {
        if (canWrite(res) && !res.headersSent) {
          res.writeHead(500, { 'Content-Type': 'text/plain' });
          res.end('mock server error');
        } else res.destroy();
      } catch {
        /* ignore */
      }
    });
  };
  const server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, onHttpRequest) : http.createServer(onHttpRequest);
  server.keepAliveTimeout = 5000;
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const demoApp = appList[0];

  const appOrThrow = (appId: string): AppState => {
    const a = apps.get(appId);
    if (!a) throw new Error(`mock Lark server: unknown app ${appId}`);
    return a;
  };

  const api: LarkServer = {
    baseUrl: `${opts.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    demo: demoApp,
    requests,
    images,
    files,
    uploads: () => uploadCount,
    fileUploads: () => fileUploadCount,
    tokenRequests: () => tokenRequestCount,
    injectFaults: (...f: Fault[]) => {
      faults.push(...f);
    },
    pendingFaults: () => faults.length,
    setBotEnabled: (appId: string, enabled: boolean) => {
      appOrThrow(appId).botEnabled = enabled;
    },
    setScopes: (appId: string, scopes: string[]) => {
      appOrThrow(appId).scopes = [...scopes];
    },
    addApp: (app: MockApp) => addApp(app),
    invalidateAllTokens,
    issueStaticToken: (appId?: string, ttlSeconds?: number) => {
      const id = appId ?? demoApp.appId;
      appOrThrow(id);
      return issueToken(id, ttlSeconds !== undefined ? ttlSeconds * 1000 : tokenTtlMs);
    },
    advanceClock: (ms: number) => {
      clockOffset += ms;
    },
    now,
    deleteImage: (imageKey: string) => {
      if (!images.has(imageKey)) return false;
      images.delete(imageKey);
      deleted.add(imageKey);
      return true;
    },
    reset: () => {
      requests.length = 0;
      faults = [];
      uploadCount = 0;
      fileUploadCount = 0;
      tokenRequestCount = 0;
      invalidationDone = false;
      windows.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        for (const [t, r] of sleepers) {
          clearTimeout(t);
          r(false);
        }
        sleepers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return api;
}
