// Command-line adapter over the core. The contract (flags, env, one JSON line per file in input
// order, exit codes 0/1/2) is fixed: scripts depend on it. Progress goes to stderr only.
import { parseArgs } from 'util';
import { LarkClient, type Credentials } from './core/larkClient';
import { DEFAULT_CONCURRENCY, UploadScheduler, rateLimiterFor } from './core/scheduler';
import { DedupeIndex, MemoryStore } from './core/dedupe';
import { uploadFiles, type FileOutcome } from './core/uploadFiles';
import { UploadError, redact } from './core/larkErrors';
import { IMAGE_TYPES, type ImageType } from './core/types';
import { certificateHint, proxyFetch } from './cliProxy';

const USAGE = `Usage: lark-image-upload [--base-url URL] [--image-type message|avatar] FILE...

Uploads images to the Lark / Feishu Open Platform (POST /open-apis/im/v1/images) and prints one
JSON object per file on stdout, in input order:
  {"file":"a.png","ok":true,"imageKey":"img_v2_..."}
  {"file":"b.png","ok":false,"code":234011,"message":"...","logId":"..."}

Credentials (environment): LARK_APP_ID + LARK_APP_SECRET (preferred), or LARK_TENANT_ACCESS_TOKEN.
Options:
  --base-url URL        https origin (default https://open.larksuite.com; Feishu: https://open.feishu.cn,
                        or the words "lark" / "feishu"); http:// only for loopback. Env: LARK_BASE_URL.
  --image-type TYPE     message (default) or avatar
  --concurrency N       parallel uploads (default 16)
  -h, --help            this text
Exit status: 0 all uploaded, 1 some failed, 2 usage error.`;

interface Io {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  env: NodeJS.ProcessEnv;
}

class UsageError extends Error {}

function parse(argv: string[], env: NodeJS.ProcessEnv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        'base-url': { type: 'string' },
        'image-type': { type: 'string' },
        concurrency: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true as const };
  const imageType = (values['image-type'] ?? 'message') as ImageType;
  if (!IMAGE_TYPES.includes(imageType)) throw new UsageError(`--image-type must be message or avatar, not "${values['image-type']}".`);
  const concurrency = values.concurrency === undefined ? DEFAULT_CONCURRENCY : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UsageError('--concurrency must be an integer from 1 to 64.');
  if (positionals.length === 0) throw new UsageError('No files given.');
  let credentials: Credentials;
  if (env.LARK_APP_ID && env.LARK_APP_SECRET) credentials = { kind: 'app', appId: env.LARK_APP_ID, appSecret: env.LARK_APP_SECRET };
  else if (env.LARK_TENANT_ACCESS_TOKEN) credentials = { kind: 'token', token: env.LARK_TENANT_ACCESS_TOKEN };
  else throw new UsageError('No credentials: set LARK_APP_ID and LARK_APP_SECRET, or LARK_TENANT_ACCESS_TOKEN.');
  return { help: false as const, files: positionals, imageType, concurrency, credentials, baseUrl: values['base-url'] ?? env.LARK_BASE_URL };
}

export async function main(argv: string[], io: Io, signal?: AbortSignal): Promise<number> {
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
    if (e instanceof UsageError || e instanceof UploadError) {
      io.stderr(`lark-image-upload: ${safe(e.message)}`);
      io.stderr('Run with --help for usage.');
      return 2;
    }
    throw e;
  }
  const { files, imageType } = options;
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
  const outcomes = await uploadFiles(files, {
    client,
    scheduler,
    imageType,
    dedupe: new DedupeIndex(new MemoryStore()),
    signal,
    onProgress: (done, total, outcome, index) => {
      lines[index] = JSON.stringify(toJson(outcome, safe));
      io.stderr(`[${done}/${total}] ${outcome.ok ? `ok   ${outcome.file} -> ${outcome.imageKey}${outcome.deduped ? ' (already uploaded)' : ''}` : `FAIL ${outcome.file}: ${outcome.code} ${safe(outcome.message)}`}`);
      flush();
    },
  });
  flush();
  const failedCount = outcomes.filter((o) => !o.ok).length;
  const tlsHint = certificateHint(outcomes.flatMap((o) => (o.ok ? [] : [o.message])));
  if (tlsHint) io.stderr(tlsHint);
  io.stderr(`${outcomes.length - failedCount} uploaded, ${failedCount} failed`);
  return failedCount === 0 ? 0 : 1;
}

function toJson(o: FileOutcome, safe: (s: string) => string): Record<string, unknown> {
  if (o.ok) return { file: o.file, ok: true, imageKey: o.imageKey };
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
