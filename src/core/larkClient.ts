// HTTP client for the Lark Open Platform: tenant_access_token handling, the image upload and the
// file upload (files API).
// node-fetch for HTTP, formdata-node for the multipart body (streamed from disk).
import nodeFetch, { type RequestInit, type Response } from 'node-fetch';
import { FormData } from 'formdata-node';
import { createHash } from 'crypto';
import { createReadStream, promises as fsp } from 'fs';
import { basename } from 'path';
import { UploadError, isTokenError, redact } from './larkErrors';
import { normalizeBaseUrl } from './baseUrl';
import { LocalCode, type ImageType } from './types';
import { checkFileForUpload, fileSizeProblem, fileTypeFor, type FileType } from './fileUpload';

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export type Credentials =
  | { kind: 'app'; appId: string; appSecret: string }
  | { kind: 'token'; token: string };

/** One line of the request log. Never carries a token or secret. */
export interface RequestLog {
  method: string;
  path: string;
  status: number | undefined; // undefined: no HTTP answer (reset, timeout, cancel)
  code: number | undefined;
  logId: string | undefined;
  durationMs: number;
}

export interface LarkClientOptions {
  baseUrl?: string;
  credentials: Credentials;
  /** Per-request timeout; an upload of 10 MB on a slow link needs time. */
  timeoutMs?: number;
  fetch?: FetchLike;
  now?: () => number;
  onRequest?: (entry: RequestLog) => void;
}

/** What to upload: a file on disk, or bytes with no file (pasted data). */
export type UploadSource =
  | { kind: 'file'; path: string; mime: string; name?: string }
  | { kind: 'bytes'; bytes: Uint8Array; mime: string; name: string };

/** Per-call options of requests that count against the app's budget. */
export interface RequestOptions {
  signal?: AbortSignal;
  /**
   * Awaited right before each request is sent (after the token and the body are ready), so a
   * rate limiter times the request itself, not its preparation. Called again for a retry.
   */
  beforeSend?: () => Promise<void>;
}

export interface DownloadResult {
  bytes: Buffer;
  contentType: string;
  logId: string | undefined;
}

export interface UploadResult {
  imageKey: string;
  logId: string | undefined;
}

export interface FileUploadOptions extends RequestOptions {
  /** Default: from the file name's extension (fileTypeFor). */
  fileType?: FileType;
  /** The duration field (ms) of a video or audio file; Lark shows no duration without it. */
  durationMs?: number;
}

export interface FileUploadResult {
  fileKey: string;
  fileType: FileType;
  logId: string | undefined;
}

const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';
const IMAGES_PATH = '/open-apis/im/v1/images';
const FILES_PATH = '/open-apis/im/v1/files';
const REFRESH_MARGIN_MS = 30 * 60 * 1000; // the platform issues a new token once < 30 min remain
/** After a failed refresh (old token still valid), and the refresh period of short-lived tokens. */
const REFRESH_RETRY_MS = 60_000;
/** Tokens rejected in a row (no success in between) after which a new token is not asked for. */
export const MAX_REJECTED_TOKENS = 3;
const DEFAULT_TIMEOUT_MS = 60_000;
/**
 * Node's TLS verification failures (OpenSSL's codes as Node reports them, and the host-name
 * check): retrying cannot help, so they are 9108, not the retryable 9101.
 */
const CERTIFICATE_ERRORS: ReadonlySet<string> = new Set([
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
]);

interface LarkEnvelope {
  code?: unknown;
  msg?: unknown;
  data?: { image_key?: unknown; file_key?: unknown } | null;
  tenant_access_token?: unknown;
  expire?: unknown;
  error?: { log_id?: unknown; troubleshooter?: unknown; permission_violations?: unknown; message?: unknown } | null;
}

interface HttpAnswer {
  status: number;
  logId: string | undefined;
  body: LarkEnvelope;
  headers: Response['headers'];
}

export class LarkClient {
  readonly baseUrl: string;
  private readonly credentials: Credentials;
  private readonly timeoutMs: number;
  private readonly fetchImpl: FetchLike;
  private readonly now: () => number;
  private readonly onRequest: ((entry: RequestLog) => void) | undefined;
  private cached: { token: string; expiresAt: number; refreshAt: number } | undefined;
  private inflightToken: Promise<string> | undefined;
  /** Distinct tokens Lark rejected since the last request that a token got through. */
  private readonly rejectedInARow = new Set<string>();

  constructor(options: LarkClientOptions) {
    this.baseUrl = normalizeBaseUrl(options.baseUrl);
    this.credentials = options.credentials;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetchImpl = options.fetch ?? (nodeFetch as FetchLike);
    this.now = options.now ?? Date.now;
    this.onRequest = options.onRequest;
    if (this.credentials.kind === 'app' && (!this.credentials.appId || !this.credentials.appSecret)) {
      throw new UploadError(LocalCode.MissingCredentials, 'App ID and App Secret are both required.');
    }
    if (this.credentials.kind === 'token' && !this.credentials.token) {
      throw new UploadError(LocalCode.MissingCredentials, 'The tenant access token is empty.');
    }
  }

  /**
   * Identifies the budget/dedupe scope: the app at this origin. A static token has no app id, so
   * its scope is a digest of the token (never the token itself): two tenants' tokens never share
   * a dedupe index or a limiter.
   */
  get scopeKey(): string {
    const c = this.credentials;
    const who = c.kind === 'app' ? `app:${c.appId}` : `token:${createHash('sha256').update(c.token).digest('hex').slice(0, 32)}`;
    return `${this.baseUrl}|${who}`;
  }

  get appId(): string | undefined {
    return this.credentials.kind === 'app' ? this.credentials.appId : undefined;
  }

  /**
   * A valid tenant_access_token. App credentials: cached in memory, refreshed once fewer than
   * 30 minutes remain (the platform then issues a new one). Concurrent callers share one request,
   * which no caller's cancellation can abort for the others (each caller stops waiting on its own
   * signal). If a refresh fails while the cached token is still valid, that token is used and the
   * refresh is tried again a minute later.
   */
  async getToken(signal?: AbortSignal): Promise<string> {
    if (this.credentials.kind === 'token') return this.credentials.token;
    if (signal?.aborted) throw cancelled();
    const c = this.cached;
    if (c && this.now() < c.refreshAt) return c.token;
    if (!this.inflightToken) {
      this.inflightToken = this.refreshToken().finally(() => {
        this.inflightToken = undefined;
      });
    }
    return untilAborted(this.inflightToken, signal);
  }

  /** Seconds the cached token has left, for "Test Connection" and the status bar. */
  tokenSecondsLeft(): number | undefined {
    return this.cached ? Math.max(0, Math.round((this.cached.expiresAt - this.now()) / 1000)) : undefined;
  }

  private async refreshToken(): Promise<string> {
    const previous = this.cached;
    try {
      return await this.fetchToken();
    } catch (err) {
      const now = this.now();
      // Still valid (the platform keeps an old token valid after issuing a new one): keep using it.
      if (previous && previous === this.cached && now < previous.expiresAt) {
        previous.refreshAt = Math.min(previous.expiresAt, now + REFRESH_RETRY_MS);
        return previous.token;
      }
      throw err;
    }
  }

  private async fetchToken(): Promise<string> {
    if (this.credentials.kind !== 'app') throw new Error('unreachable');
    const { appId, appSecret } = this.credentials;
    const answer = await this.send('POST', TOKEN_PATH, {
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ app_id: appId, app_secret: appSecret }),
    });
    const b = answer.body;
    const token = b.tenant_access_token;
    const expire = b.expire;
    if (b.code !== 0 || typeof token !== 'string' || typeof expire !== 'number') {
      throw this.errorFrom(answer, 'Could not get a tenant access token');
    }
    const now = this.now();
    const ttl = expire * 1000;
    let refreshIn = ttl - REFRESH_MARGIN_MS;
    // Short-lived token (already < 30 min left): re-ask at most every minute, well before expiry.
    if (refreshIn <= 0) refreshIn = Math.min(REFRESH_RETRY_MS, ttl / 2);
    this.cached = { token, expiresAt: now + ttl, refreshAt: now + refreshIn };
    return token;
  }

  /**
   * Runs `call` with a tenant token. When Lark rejects the token (99991663/99991664/99991671) and
   * the client holds app credentials, it drops the token, fetches a new one and tries again, as
   * long as each retry uses a token that was not rejected already and fewer than
   * MAX_REJECTED_TOKENS tokens in a row (across all calls: a whole batch) were rejected. So a batch
   * survives tokens revoked again and again, and a server that rejects every token still ends
   * with its code after a few token requests.
   */
  private async withToken<T>(signal: AbortSignal | undefined, call: (token: string) => Promise<T>): Promise<T> {
    const rejectedHere = new Set<string>();
    for (;;) {
      const token = await this.getToken(signal);
      try {
        const result = await call(token);
        this.rejectedInARow.clear();
        return result;
      } catch (err) {
        if (!(err instanceof UploadError) || !isTokenError(err.code) || this.credentials.kind !== 'app') throw err;
        if (this.cached?.token === token) this.cached = undefined;
        this.rejectedInARow.add(token);
        // The same token again (the platform handed it back) gets one more try, then the code stands.
        if (rejectedHere.has(token) || this.rejectedInARow.size >= MAX_REJECTED_TOKENS) throw err;
        rejectedHere.add(token);
      }
    }
  }

  /** Uploads one image; see withToken for what happens when Lark rejects the token. */
  async uploadImage(source: UploadSource, imageType: ImageType, options: RequestOptions = {}): Promise<UploadResult> {
    return this.withToken(options.signal, (token) => this.uploadOnce(source, imageType, token, options));
  }

  private async uploadOnce(source: UploadSource, imageType: ImageType, token: string, options: RequestOptions): Promise<UploadResult> {
    const answer = await this.postMultipart(IMAGES_PATH, token, { image_type: imageType }, 'image', source, options);
    return { imageKey: this.keyOf(answer, 'image_key', 'Upload failed'), logId: answer.logId };
  }

  /**
   * Uploads one file through the files API (file_type from the name unless given, file_name the
   * base name). An empty file (234010) or one over 30 MiB (234006) is refused here, before any
   * request (the token's included); otherwise as uploadImage: token refresh, typed errors.
   */
  async uploadFile(source: UploadSource, options: FileUploadOptions = {}): Promise<FileUploadResult> {
    if (options.signal?.aborted) throw cancelled();
    if (source.kind === 'file') await checkFileForUpload(source.path);
    else {
      const problem = fileSizeProblem(source.bytes.byteLength);
      if (problem) throw problem;
    }
    const fileName = source.kind === 'file' ? (source.name ?? basename(source.path)) : source.name;
    const fileType = options.fileType ?? fileTypeFor(fileName);
    const fields: Record<string, string> = { file_type: fileType, file_name: fileName };
    if (options.durationMs !== undefined) fields.duration = String(Math.round(options.durationMs));
    return this.withToken(options.signal, async (token) => {
      const answer = await this.postMultipart(FILES_PATH, token, fields, 'file', { ...source, name: fileName }, options);
      return { fileKey: this.keyOf(answer, 'file_key', 'File upload failed'), fileType, logId: answer.logId };
    });
  }

  /** One multipart request of an upload API: the text `fields`, then `source` as the part `partName`. */
  private async postMultipart(path: string, token: string, fields: Record<string, string>, partName: string, source: UploadSource, options: RequestOptions): Promise<HttpAnswer> {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.set(name, value);
    form.set(partName, await StreamedFile.of(source));
    await options.beforeSend?.();
    return this.send('POST', path, {
      headers: { Authorization: `Bearer ${token}` },
      body: form as unknown as RequestInit['body'],
      signal: options.signal,
    });
  }

  /** The key a successful upload answers with; any other answer is its error. */
  private keyOf(answer: HttpAnswer, field: 'image_key' | 'file_key', what: string): string {
    const key = answer.body.data?.[field];
    if (answer.body.code !== 0 || typeof key !== 'string' || key === '') throw this.errorFrom(answer, what);
    return key;
  }

  /** Fetches an image this app uploaded (image_type message), e.g. to preview or verify a key. */
  async downloadImage(imageKey: string, options: RequestOptions = {}): Promise<DownloadResult> {
    return this.withToken(options.signal, (token) => this.downloadOnce(imageKey, token, options));
  }

  private async downloadOnce(imageKey: string, token: string, options: RequestOptions): Promise<DownloadResult> {
    const path = `${IMAGES_PATH}/${encodeURIComponent(imageKey)}`;
    await options.beforeSend?.();
    const started = this.now();
    const res = await this.rawFetch('GET', path, { headers: { Authorization: `Bearer ${token}` }, signal: options.signal }, started);
    const logId = this.logIdOf(res);
    const contentType = res.headers.get('content-type') ?? '';
    if (res.status === 200 && !contentType.includes('json')) {
      const bytes = Buffer.from(await res.arrayBuffer());
      this.log('GET', path, res.status, 0, logId, started);
      return { bytes, contentType, logId };
    }
    const answer = await this.readAnswer(res, 'GET', path, started);
    throw this.errorFrom(answer, 'Download failed');
  }

  /** "Test Connection": for app credentials, fetches a token; reports how long it is valid. */
  async testConnection(signal?: AbortSignal): Promise<{ tokenSecondsLeft: number | undefined }> {
    this.cached = undefined;
    await this.getToken(signal);
    return { tokenSecondsLeft: this.tokenSecondsLeft() };
  }

  // ---- HTTP plumbing -------------------------------------------------------------------

  private async send(method: string, path: string, init: { headers: Record<string, string>; body?: RequestInit['body']; signal?: AbortSignal }): Promise<HttpAnswer> {
    const started = this.now();
    const res = await this.rawFetch(method, path, init, started);
    return this.readAnswer(res, method, path, started);
  }

  private async rawFetch(method: string, path: string, init: { headers: Record<string, string>; body?: RequestInit['body']; signal?: AbortSignal }, started: number): Promise<Response> {
    const { signal: userSignal } = init;
    if (userSignal?.aborted) throw cancelled();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    const onAbort = (): void => controller.abort();
    userSignal?.addEventListener('abort', onAbort, { once: true });
    let res: Response;
    try {
      res = await this.fetchImpl(this.baseUrl + path, {
        method,
        headers: init.headers,
        body: init.body,
        // Never follow a redirect: node-fetch keeps Authorization on a same-host redirect to
        // another port, and a streamed body cannot be replayed anyway.
        redirect: 'manual',
        signal: controller.signal as RequestInit['signal'],
      });
    } catch (e) {
      this.log(method, path, undefined, undefined, undefined, started);
      if (userSignal?.aborted) throw cancelled();
      if (timedOut) throw new UploadError(LocalCode.Timeout, `No answer from ${this.baseUrl} within ${Math.round(this.timeoutMs / 1000)} s.`);
      if (e instanceof UploadError) throw e;
      const err = e as { code?: string; message?: string };
      if (err.code !== undefined && CERTIFICATE_ERRORS.has(err.code)) {
        throw new UploadError(LocalCode.CertificateRejected, `The TLS certificate of ${this.baseUrl} was not accepted: ${err.code}.`, { cause: e });
      }
      throw new UploadError(LocalCode.NetworkError, `Network error talking to ${this.baseUrl}: ${err.code ?? err.message ?? 'unknown'}.`, { cause: e });
    } finally {
      clearTimeout(timer);
      userSignal?.removeEventListener('abort', onAbort);
    }
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get('location') ?? '';
      let where = 'another location';
      try {
        where = new URL(location, this.baseUrl).origin;
      } catch {
        /* keep the generic wording */
      }
      this.log(method, path, res.status, undefined, this.logIdOf(res), started);
      res.body?.resume?.();
      throw new UploadError(
        LocalCode.RedirectRefused,
        `The server answered HTTP ${res.status} redirecting to ${where}; redirects are not followed so credentials cannot leak. Check the base URL.`,
        { httpStatus: res.status, logId: this.logIdOf(res) },
      );
    }
    return res;
  }

  private async readAnswer(res: Response, method: string, path: string, started: number): Promise<HttpAnswer> {
    const logId = this.logIdOf(res);
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      this.log(method, path, res.status, undefined, logId, started);
      throw new UploadError(LocalCode.NetworkError, `Connection lost while reading the answer (HTTP ${res.status}).`, { httpStatus: res.status, logId, cause: e });
    }
    let body: LarkEnvelope | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object') body = parsed as LarkEnvelope;
    } catch {
      body = undefined;
    }
    const code = typeof body?.code === 'number' ? body.code : undefined;
    this.log(method, path, res.status, code, logId, started);
    if (!body) {
      const type = (res.headers.get('content-type') ?? 'unknown type').split(';')[0];
      throw new UploadError(
        LocalCode.BadResponse,
        `Unexpected answer from ${this.baseUrl}: HTTP ${res.status} ${res.statusText || ''} (${type}, not Lark JSON).`.replace(/\s+\(/, ' ('),
        { httpStatus: res.status, logId },
      );
    }
    return { status: res.status, logId, body, headers: res.headers };
  }

  private errorFrom(answer: HttpAnswer, what: string): UploadError {
    const b = answer.body;
    const logId = typeof b.error?.log_id === 'string' ? this.clean(b.error.log_id) : answer.logId;
    const troubleshooter = typeof b.error?.troubleshooter === 'string' ? this.clean(b.error.troubleshooter) : undefined;
    const violations = Array.isArray(b.error?.permission_violations) ? (b.error?.permission_violations as unknown[]) : undefined;
    const reset = Number(answer.headers.get('x-ogw-ratelimit-reset'));
    const retryAfterMs = Number.isFinite(reset) && reset > 0 ? reset * 1000 : undefined;
    if (typeof b.code !== 'number' || b.code === 0) {
      return new UploadError(LocalCode.BadResponse, `${what}: HTTP ${answer.status} without the expected fields.`, { httpStatus: answer.status, logId });
    }
    const msg = typeof b.msg === 'string' && b.msg ? this.clean(b.msg) : `code ${b.code}`;
    return new UploadError(b.code, `${what}: ${msg}`, {
      logId,
      httpStatus: answer.status,
      retryAfterMs,
      troubleshooter,
      permissionViolations: violations,
    });
  }

  /** The credentials this client holds, to mask in anything a server sends back. */
  private ownSecrets(): string[] {
    const c = this.credentials;
    return [c.kind === 'app' ? c.appSecret : c.token, this.cached?.token].filter((s): s is string => !!s);
  }

  /** Server-provided text (msg, log_id, troubleshooter) with this client's own secrets masked. */
  private clean(text: string): string {
    return redact(text, this.ownSecrets());
  }

  private logIdOf(res: Response): string | undefined {
    const id = res.headers.get('x-tt-logid') ?? res.headers.get('x-request-id') ?? undefined;
    return id === undefined ? undefined : this.clean(id);
  }

  private log(method: string, path: string, status: number | undefined, code: number | undefined, logId: string | undefined, started: number): void {
    this.onRequest?.({ method, path: path.replace(/\/images\/[^/]+$/, '/images/:image_key'), status, code, logId, durationMs: this.now() - started });
  }
}

function cancelled(): UploadError {
  return new UploadError(LocalCode.Cancelled, 'Cancelled.');
}

/** `shared`, or 9104 as soon as `signal` aborts; the shared work itself goes on for others. */
function untilAborted<T>(shared: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return shared;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    shared.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * node-fetch sends a FormData through a byte ReadableStream, which TRANSFERS (detaches) the
 * ArrayBuffer of every chunk. A small Buffer usually lives in Node's shared pool; handing it over
 * would detach the pool under everyone else. Each chunk therefore gets its own ArrayBuffer.
 */
function copyOf(chunk: Uint8Array): Uint8Array {
  return new Uint8Array(chunk); // a copy (Buffer#slice would only be a view)
}

/**
 * The `image` part: a File as formdata-node's FormData accepts it (its File check is duck-typed),
 * streaming from disk as the request is sent. Not formdata-node's own File/fileFromPath: their
 * Blob.stream() closes its controller in a queued microtask, which throws an uncaught
 * "Controller is already closed" when a request is aborted (timeout, reset, cancel) right after
 * the last chunk was read, and that would crash the CLI or pollute the extension host.
 */
class StreamedFile {
  readonly [Symbol.toStringTag] = 'File';
  private constructor(
    readonly name: string,
    readonly type: string,
    readonly size: number,
    readonly lastModified: number,
    private readonly open: () => AsyncIterable<Uint8Array>,
  ) {}

  static async of(source: UploadSource): Promise<StreamedFile> {
    if (source.kind === 'bytes') {
      const { bytes } = source;
      return new StreamedFile(source.name, source.mime, bytes.byteLength, Date.now(), async function* () {
        yield copyOf(bytes);
      });
    }
    const stat = await fsp.stat(source.path).catch((e: unknown) => {
      throw new UploadError(LocalCode.FileUnreadable, `Cannot read ${source.path}: ${(e as Error).message}`, { cause: e });
    });
    const path = source.path;
    return new StreamedFile(source.name ?? basename(path), source.mime, stat.size, stat.mtimeMs, async function* () {
      for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) yield copyOf(chunk as Buffer);
    });
  }

  stream(): AsyncIterable<Uint8Array> {
    return this.open();
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of this.open()) chunks.push(chunk);
    const all = Buffer.concat(chunks);
    return all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  }
}
