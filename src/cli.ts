// Command-line adapter over the core. The contract (flags, env, one JSON line per file in input
// order, exit codes 0/1/2) is fixed: scripts depend on it. Progress goes to stderr only.
import { LarkClient, type Credentials } from './core/larkClient';
import { DEFAULT_CONCURRENCY, UploadScheduler, rateLimiterFor } from './core/scheduler';
import { DedupeIndex, MemoryStore } from './core/dedupe';
import { uploadFiles, type FileOutcome } from './core/uploadFiles';
import { UploadError, fileApiHintFor, hintFor, isTokenError, redact, tokenRejectedText } from './core/larkErrors';
import { filesBudgetKey, uploadAsFiles, type FileApiOutcome } from './core/fileUpload';
import { uploadFilesWithFit, type FitFileOutcome } from './core/fitFiles';
import { expandFolders, isFolder, walkImageFiles } from './core/collect';
import { IMAGE_TYPES, LocalCode, type ImageType } from './core/types';
import { certificateHint, proxyFetch } from './cliProxy';
import { rewriteMain } from './cliRewrite';
import { UsageError, parseOptions, type Io } from './cliArgs';

export { didYouMean, levenshtein } from './cliArgs';

const USAGE = `Usage: lark-image-upload [--base-url URL] [--image-type message|avatar] FILE|FOLDER...
       lark-image-upload rewrite [--base-url URL] [--image-type message|avatar] DOC...
         (replaces local image paths in Markdown / JSON documents by image_keys: rewrite --help;
         a file named "rewrite": ./rewrite)
       lark-image-upload --as-file [--base-url URL] FILE...
         (each file through the files API, POST /open-apis/im/v1/files: any file of 1 byte to 30 MB,
         images over Lark's image limits included; a line {"file":"a.pdf","ok":true,"fileKey":"file_v2_..."})

Uploads images to the Lark / Feishu Open Platform (POST /open-apis/im/v1/images) and prints one
JSON object per file on stdout, in input order (a FOLDER stands for the images inside it,
recursively, in path order):
  {"file":"a.png","ok":true,"imageKey":"img_v2_...","logId":"...","width":640,"height":480}
  {"file":"b.png","ok":false,"code":234011,"message":"...","logId":"..."}
"reused":true is added when the key came from an identical file earlier in the batch.

Credentials (environment): LARK_APP_ID + LARK_APP_SECRET (preferred), or LARK_TENANT_ACCESS_TOKEN.
Options:
  --base-url URL        https origin (default https://open.larksuite.com; Feishu: https://open.feishu.cn,
                        or the words "lark" / "feishu"); http:// only for loopback. Env: LARK_BASE_URL.
  --image-type TYPE     message (default) or avatar
  --concurrency N       parallel uploads (default 16)
  --as-file             upload through the files API instead (a file_key, for a message of msg_type
                        "file"); empty files and files over 30 MB are refused without a request
  --fit                 an image over Lark's limits (10 MiB; 12000 px a side, GIF 2000, avatar 4096)
                        or in a format Lark does not take (SVG, AVIF, HEIF) is converted locally,
                        aspect ratio kept, metadata dropped, and its line says "fitted":true; an
                        image within the limits is still uploaded byte-for-byte
  -h, --help            this text
Exit status: 0 all uploaded, 1 some failed, 2 usage error.`;

const OPTIONS = {
  'base-url': { type: 'string' },
  'image-type': { type: 'string' },
  concurrency: { type: 'string' },
  'as-file': { type: 'boolean' },
  fit: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Options that only mean something for the images API (the files API has no image_type). */
const IMAGE_ONLY_OPTIONS = ['image-type', 'fit'];

function parse(argv: string[], env: NodeJS.ProcessEnv) {
  const { values, positionals } = parseOptions(argv, OPTIONS);
  if (values.help) return { help: true as const };
  const imageType = (values['image-type'] ?? 'message') as ImageType;
  if (!IMAGE_TYPES.includes(imageType)) throw new UsageError(`--image-type must be message or avatar, not "${values['image-type']}".`);
  const concurrency = values.concurrency === undefined ? DEFAULT_CONCURRENCY : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UsageError('--concurrency must be an integer from 1 to 64.');
  const asFile = values['as-file'] === true;
  const imageOnly = IMAGE_ONLY_OPTIONS.find((name) => (values as Record<string, unknown>)[name] !== undefined);
  if (asFile && values.fit) throw new UsageError('--fit and --as-file do not go together: --as-file sends files unchanged through the files API.');
  if (asFile && imageOnly) throw new UsageError(`--as-file uploads through the files API, which has no image type: --${imageOnly} does not apply to it.`);
  if (positionals.length === 0) throw new UsageError('No files given.');
  let credentials: Credentials;
  if (env.LARK_APP_ID && env.LARK_APP_SECRET) credentials = { kind: 'app', appId: env.LARK_APP_ID, appSecret: env.LARK_APP_SECRET };
  else if (env.LARK_TENANT_ACCESS_TOKEN) credentials = { kind: 'token', token: env.LARK_TENANT_ACCESS_TOKEN };
  else throw new UsageError('No credentials: set LARK_APP_ID and LARK_APP_SECRET, or LARK_TENANT_ACCESS_TOKEN.');
  return { help: false as const, files: positionals, imageType, asFile, concurrency, credentials, baseUrl: values['base-url'] ?? env.LARK_BASE_URL, fit: values.fit === true };
}

export async function main(argv: string[], io: Io, signal?: AbortSignal): Promise<number> {
  if (argv[0] === 'rewrite') {
    const locale = localeOf(io.env);
    return rewriteMain(argv.slice(1), io, { hints: (outcomes, credentials, said) => hints(outcomes, credentials, locale, said) }, signal);
  }
  const secrets = [io.env.LARK_APP_SECRET, io.env.LARK_TENANT_ACCESS_TOKEN].filter((s): s is string => !!s);
  const safe = (text: string): string => redact(text, secrets);
  let options: ReturnType<typeof parse>;
  let client: LarkClient;
  try {
    options = parse(argv, io.env);
    if (options.help) {
      io.stdout(USAGE);
      return 0;
    }
    // HTTPS_PROXY / HTTP_PROXY / NO_PROXY are read from process.env (see cliProxy.ts).
    client = new LarkClient({ baseUrl: options.baseUrl, credentials: options.credentials, fetch: proxyFetch() });
  } catch (e) {
    if (e instanceof UsageError || e instanceof UploadError) return usageError(e, io, safe);
    throw e;
  }
  if (options.asFile) return asFileMain(options.files, client, options, io, safe, signal);
  const { imageType } = options;
  // A folder stands for the images inside; one with none gets its own failure line (9002).
  const { files, emptyFolders } = await expandFolders(options.files, { isFolder, imagesIn: walkImageFiles, keepEmpty: true });
  const empty = new Set(emptyFolders);
  const explained = (o: FileOutcome): FileOutcome => (!o.ok && o.code === LocalCode.NotAFile && empty.has(o.file) ? { ...o, message: 'No images in this folder (searched recursively).' } : o);
  const scheduler = new UploadScheduler({
    concurrency: options.concurrency,
    limiter: rateLimiterFor(client.scopeKey),
    onRetry: (_i, attempt, delayMs, err) => io.stderr(`  retry ${attempt} in ${(delayMs / 1000).toFixed(1)} s after ${err.code}: ${safe(err.message)}`),
  });

  // Print each line as soon as every earlier file is done, so output is streamed AND ordered.
  const lines = new Array<string | undefined>(files.length);
  let printed = 0;
  const flush = (): void => {
    while (printed < files.length && lines[printed] !== undefined) io.stdout(lines[printed++] as string);
  };
  const upload = options.fit ? uploadFilesWithFit : uploadFiles;
  const outcomes = await upload(files, {
    client,
    scheduler,
    imageType,
    dedupe: new DedupeIndex(new MemoryStore()),
    signal,
    onProgress: (done, total, settled, index) => {
      const outcome = explained(settled);
      lines[index] = JSON.stringify(toJson(outcome, safe));
      io.stderr(`[${done}/${total}] ${outcome.ok ? `ok   ${outcome.file} -> ${outcome.imageKey}${outcome.deduped ? ' (already uploaded)' : ''}` : `FAIL ${outcome.file}: ${outcome.code} ${safe(outcome.message)}`}`);
      flush();
    },
  });
  flush();
  const failedCount = outcomes.filter((o) => !o.ok).length;
  const tlsHint = certificateHint(outcomes.flatMap((o) => (o.ok ? [] : [o.message])));
  if (tlsHint) io.stderr(tlsHint);
  const reusedCount = outcomes.filter((o) => o.ok && o.deduped).length;
  io.stderr(`${outcomes.length - failedCount - reusedCount} uploaded, ${reusedCount} reused, ${failedCount} failed`);
  // the TLS line names the exact cause and the fix: the catalog's general 9108 hint would repeat it
  const said = tlsHint ? [LocalCode.CertificateRejected] : [];
  for (const line of hints(outcomes, options.credentials, localeOf(io.env), said)) io.stderr(line);
  return failedCount === 0 ? 0 : 1;
}

/**
 * `--as-file`: each file through the files API, one line per file in input order (a folder is a
 * 9002 line: files are named one by one). Exit 0 when every file went up, else 1.
 */
async function asFileMain(files: string[], client: LarkClient, options: { concurrency: number; credentials: Credentials }, io: Io, safe: (s: string) => string, signal?: AbortSignal): Promise<number> {
  const scheduler = new UploadScheduler({
    concurrency: options.concurrency,
    limiter: rateLimiterFor(filesBudgetKey(client)),
    onRetry: (_i, attempt, delayMs, err) => io.stderr(`  retry ${attempt} in ${(delayMs / 1000).toFixed(1)} s after ${err.code}: ${safe(err.message)}`),
  });
  const lines = new Array<string | undefined>(files.length);
  let printed = 0;
  const flush = (): void => {
    while (printed < files.length && lines[printed] !== undefined) io.stdout(lines[printed++] as string);
  };
  const outcomes = await uploadAsFiles(files, {
    client,
    scheduler,
    signal,
    onProgress: (done, total, outcome, index) => {
      lines[index] = JSON.stringify(fileApiJson(outcome, safe));
      io.stderr(`[${done}/${total}] ${outcome.ok ? `ok   ${outcome.file} -> ${outcome.fileKey}${outcome.reused ? ' (same file as before)' : ''}` : `FAIL ${outcome.file}: ${outcome.code} ${safe(outcome.message)}`}`);
      flush();
    },
  });
  flush();
  const failedCount = outcomes.filter((o) => !o.ok).length;
  const tlsHint = certificateHint(outcomes.flatMap((o) => (o.ok ? [] : [o.message])));
  if (tlsHint) io.stderr(tlsHint);
  const reusedCount = outcomes.filter((o) => o.ok && o.reused).length;
  io.stderr(`${outcomes.length - failedCount - reusedCount} uploaded as files, ${reusedCount} reused, ${failedCount} failed`);
  const said = tlsHint ? [LocalCode.CertificateRejected] : [];
  for (const line of hints(outcomes, options.credentials, localeOf(io.env), said, fileApiHintFor)) io.stderr(line);
  return failedCount === 0 ? 0 : 1;
}

function fileApiJson(o: FileApiOutcome, safe: (s: string) => string): Record<string, unknown> {
  const out: Record<string, unknown> = o.ok ? { file: o.file, ok: true, fileKey: o.fileKey } : { file: o.file, ok: false, code: o.code, message: safe(o.message) };
  if (o.logId) out.logId = safe(o.logId);
  if (o.ok && o.reused) out.reused = true;
  return out;
}

function usageError(e: UsageError | UploadError, io: Io, safe: (s: string) => string): number {
  io.stderr(`lark-image-upload: ${safe(e.message)}`);
  if (e instanceof UsageError && e.showUsage) io.stderr(USAGE);
  else io.stderr('Run with --help for usage.');
  return 2;
}

/** The user's language for hints, as the C library would pick it. */
function localeOf(env: NodeJS.ProcessEnv): string {
  return env.LC_ALL || env.LC_MESSAGES || env.LANG || 'en';
}

/**
 * One hint per failure code, the extension's words (the catalog's); a static token Lark rejects
 * gets the hint to set a new one.
 */
function hints(outcomes: readonly ({ ok: true } | { ok: false; code: number })[], credentials: Credentials, locale: string, said: readonly number[], hintOf = hintFor): string[] {
  const codes = [...new Set(outcomes.flatMap((o) => (o.ok || o.code === LocalCode.Cancelled || said.includes(o.code) ? [] : [o.code])))];
  return codes.map((code) => `hint (${code}): ${credentials.kind === 'token' && (isTokenError(code) || code === 99991661) ? tokenRejectedText(locale) : hintOf(code, locale)}`);
}

function toJson(o: FitFileOutcome, safe: (s: string) => string): Record<string, unknown> {
  if (o.ok) {
    const out: Record<string, unknown> = { file: o.file, ok: true, imageKey: o.imageKey };
    if (o.logId) out.logId = safe(o.logId);
    out.width = o.info.width;
    out.height = o.info.height;
    if (o.deduped) out.reused = true;
    if (o.fit) out.fitted = true;
    if (o.fit?.firstFrameOnly) out.firstFrameOnly = true;
    return out;
  }
  const out: Record<string, unknown> = { file: o.file, ok: false, code: o.code, message: safe(o.message) };
  if (o.logId) out.logId = safe(o.logId);
  return out;
}

if (require.main === module) {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('Cancelling: finished uploads are kept...\n');
    controller.abort();
  });
  const secrets = [process.env.LARK_APP_SECRET, process.env.LARK_TENANT_ACCESS_TOKEN].filter((s): s is string => !!s);
  main(process.argv.slice(2), {
    stdout: (line) => process.stdout.write(line + '\n'),
    stderr: (line) => process.stderr.write(line + '\n'),
    env: process.env,
  }, controller.signal).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`lark-image-upload: unexpected error: ${redact(e instanceof Error ? e.message : String(e), secrets)}\n`);
      process.exitCode = 1;
    },
  );
}
