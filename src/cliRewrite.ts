// `lark-image-upload rewrite DOC...` (issue 10): every local image a Markdown or JSON document
// names by path is uploaded (an image named twice: once) and its path replaced in place by the
// image_key. The contract (one JSON line per local reference in document order, exit 0/1/2, a
// document written atomically and only when a reference succeeded, no request at all when there
// is nothing to do) is fixed: scripts depend on it. Progress and notes go to stderr.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { LarkClient, type Credentials } from './core/larkClient';
import { DEFAULT_CONCURRENCY, UploadScheduler, rateLimiterFor } from './core/scheduler';
import { DedupeIndex, MemoryStore } from './core/dedupe';
import { uploadFiles, type FileOutcome } from './core/uploadFiles';
import { uploadFilesWithFit } from './core/fitFiles';
import { UploadError, redact } from './core/larkErrors';
import { findImageReferences, resolveLocal, type ImageReference } from './core/references';
import { rewriteReferences } from './core/rewrite';
import { IMAGE_TYPES, LocalCode, type ImageType } from './core/types';
import { certificateHint, proxyFetch } from './cliProxy';
import { UsageError, parseOptions, type Io } from './cliArgs';

export const REWRITE_USAGE = `Usage: lark-image-upload rewrite [--base-url URL] [--image-type message|avatar] [--fit] DOC...

Uploads every local image a document names by path and replaces the path, in place, by its
image_key; alt text, titles and everything else stay byte-identical (line endings too).
DOC: Markdown (.md, .markdown: ![alt](path), ![alt](<path>), <img src="path">) or JSON (.json:
string values of "img_key" / "image_key" at any depth, as in Lark cards and post content).
A path is local when, relative to the document's folder (percent-escapes decoded), it names an
existing file; URLs and image keys are left alone, and so are code blocks and inline code.
An image named several times is uploaded once. One JSON object per local reference on stdout,
in document order:
  {"file":"doc.md","ref":"./chart.png","line":3,"ok":true,"imageKey":"img_v2_..."}
  {"file":"doc.md","ref":"big.png","line":9,"ok":false,"code":234006,"message":"..."}
A failed reference stays as written. A document is written (atomically) only when at least one
reference succeeded; one with nothing to do is not touched and costs no request at all.

--fit: an image over Lark's limits, or in a format Lark does not take (SVG, AVIF, HEIF), is
converted locally first (as lark-image-upload --fit does); its line says "fitted":true.
Credentials and --base-url: as for uploading (lark-image-upload --help).
Exit status: 0 all replaced, 1 some failed, 2 usage error (no DOC, unsupported file type,
unknown option).`;

/** What the rewrite command borrows from the upload command (cli.ts), so both speak alike. */
export interface RewriteKit {
  /** hint lines for these failures, as the upload command prints them */
  hints(outcomes: readonly FileOutcome[], credentials: Credentials, said: readonly number[]): string[];
}

const OPTIONS = {
  'base-url': { type: 'string' },
  'image-type': { type: 'string' },
  fit: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The document types `rewrite` takes, by extension (lower case). */
const DOCUMENT_TYPES: Record<string, string> = { '.md': 'markdown', '.markdown': 'markdown', '.json': 'json' };


function parse(argv: string[]) {
  const { values, positionals } = parseOptions(argv, OPTIONS);
  if (values.help) return { help: true as const };
  const imageType = (values['image-type'] ?? 'message') as ImageType;
  if (!IMAGE_TYPES.includes(imageType)) throw new UsageError(`--image-type must be message or avatar, not "${values['image-type']}".`);
  if (positionals.length === 0) throw new UsageError('No documents given.', true);
  for (const doc of positionals) {
    if (!Object.prototype.hasOwnProperty.call(DOCUMENT_TYPES, path.extname(doc).toLowerCase())) {
      throw new UsageError(`${doc}: not a document rewrite reads (it reads ${Object.keys(DOCUMENT_TYPES).join(', ')}).`);
    }
  }
  return { help: false as const, docs: [...new Set(positionals)], imageType, baseUrl: values['base-url'], fit: values.fit === true };
}

function credentialsFrom(env: NodeJS.ProcessEnv): Credentials {
  if (env.LARK_APP_ID && env.LARK_APP_SECRET) return { kind: 'app', appId: env.LARK_APP_ID, appSecret: env.LARK_APP_SECRET };
  if (env.LARK_TENANT_ACCESS_TOKEN) return { kind: 'token', token: env.LARK_TENANT_ACCESS_TOKEN };
  throw new UsageError('No credentials: set LARK_APP_ID and LARK_APP_SECRET, or LARK_TENANT_ACCESS_TOKEN.');
}

/** One document as read, and its local references with the file each names. */
interface Document {
  file: string; // as given
  text: string;
  local: { reference: ImageReference; image: string }[];
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The document's text when it is readable UTF-8 (so writing it back changes only what we replace). */
function readDocument(file: string): string {
  const bytes = fs.readFileSync(file);
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) throw new Error('not UTF-8 text');
  return text;
}

/**
 * Replaces `file` (the file a link points to, if it is one) by `text`: written to a temporary file
 * in the same folder with the same permissions, flushed, then renamed over it, so a reader sees
 * the old document or the new one, never half of one. Refuses when the document changed since
 * it was read (`before`).
 */
function writeAtomically(file: string, before: string, text: string): void {
  const target = fs.realpathSync(file);
  if (readDocument(target) !== before) throw new Error('it changed while the images were uploading; not written');
  const mode = fs.statSync(target).mode & 0o7777;
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}-${crypto.randomBytes(4).toString('hex')}.tmp`);
  try {
    const fd = fs.openSync(temp, 'wx', mode);
    try {
      fs.writeFileSync(fd, text);
      fs.fchmodSync(fd, mode);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, target);
  } catch (e) {
    fs.rmSync(temp, { force: true });
    throw e;
  }
}

export async function rewriteMain(argv: string[], io: Io, kit: RewriteKit, signal?: AbortSignal): Promise<number> {
  const secrets = [io.env.LARK_APP_SECRET, io.env.LARK_TENANT_ACCESS_TOKEN].filter((s): s is string => !!s);
  const safe = (text: string): string => redact(text, secrets);
  const usage = (e: UsageError | UploadError): number => {
    io.stderr(`lark-image-upload rewrite: ${safe(e.message)}`);
    if (e instanceof UsageError && e.showUsage) io.stderr(REWRITE_USAGE);
    else io.stderr('Run with rewrite --help for usage.');
    return 2;
  };
  let options: ReturnType<typeof parse>;
  try {
    options = parse(argv);
  } catch (e) {
    if (e instanceof UsageError) return usage(e);
    throw e;
  }
  if (options.help) {
    io.stdout(REWRITE_USAGE);
    return 0;
  }

  let failed = false;
  const documents: Document[] = [];
  for (const file of options.docs) {
    let text: string;
    try {
      text = readDocument(file);
    } catch (e) {
      io.stderr(`${file}: cannot read it: ${(e as Error).message}`);
      failed = true;
      continue;
    }
    const dir = path.dirname(path.resolve(file));
    const local: Document['local'] = [];
    for (const reference of findImageReferences(text, DOCUMENT_TYPES[path.extname(file).toLowerCase()])) {
      const image = resolveLocal(reference, dir, isFile);
      if (image) local.push({ reference, image });
      else io.stderr(`${file}:${reference.line}: ${reference.ref} is not a file here (relative to the document's folder); left as written`);
    }
    documents.push({ file, text, local });
  }
  const images = [...new Set(documents.flatMap((d) => d.local.map((l) => l.image)))];
  if (images.length === 0) {
    io.stderr('No local images to upload: no document changed.');
    return failed ? 1 : 0;
  }

  // Something to upload: now the credentials and the server matter.
  let credentials: Credentials;
  let client: LarkClient;
  try {
    credentials = credentialsFrom(io.env);
    client = new LarkClient({ baseUrl: options.baseUrl ?? io.env.LARK_BASE_URL, credentials, fetch: proxyFetch() });
  } catch (e) {
    if (e instanceof UsageError || e instanceof UploadError) return usage(e);
    throw e;
  }
  const scheduler = new UploadScheduler({
    concurrency: DEFAULT_CONCURRENCY,
    limiter: rateLimiterFor(client.scopeKey),
    onRetry: (_i, attempt, delayMs, err) => io.stderr(`  retry ${attempt} in ${(delayMs / 1000).toFixed(1)} s after ${err.code}: ${safe(err.message)}`),
  });
  const upload = options.fit ? uploadFilesWithFit : uploadFiles;
  const outcomes = await upload(images, {
    client,
    scheduler,
    imageType: options.imageType,
    dedupe: new DedupeIndex(new MemoryStore()),
    signal,
    onProgress: (done, total, o) => io.stderr(`[${done}/${total}] ${o.ok ? `ok   ${o.file} -> ${o.imageKey}` : `FAIL ${o.file}: ${o.code} ${safe(o.message)}`}`),
  });
  const outcomeOf = new Map(images.map((image, i) => [image, outcomes[i]]));

  let replacedCount = 0;
  let failedCount = 0;
  for (const doc of documents) {
    const keys = new Map<string, string>();
    const lines: string[] = [];
    for (const { reference, image } of doc.local) {
      const o = outcomeOf.get(image) as FileOutcome;
      const head = { file: doc.file, ref: reference.ref, line: reference.line };
      if (o.ok) keys.set(reference.ref, o.imageKey);
      else failedCount++;
      const fitted = o.ok && 'fit' in o && o.fit ? { fitted: true } : {};
      lines.push(JSON.stringify(o.ok ? { ...head, ok: true, imageKey: o.imageKey, ...fitted } : { ...head, ok: false, code: o.code, message: safe(o.message) }));
    }
    if (keys.size > 0) {
      const { text, replaced } = rewriteReferences(doc.text, doc.local.map((l) => l.reference), keys);
      try {
        writeAtomically(doc.file, doc.text, text);
        replacedCount += replaced.length;
      } catch (e) {
        io.stderr(`${doc.file}: cannot write it: ${(e as Error).message}; the keys printed for it are not in the document`);
        failed = true;
      }
    }
    for (const line of lines) io.stdout(line);
  }
  const tlsHint = certificateHint(outcomes.flatMap((o) => (o.ok ? [] : [o.message])));
  if (tlsHint) io.stderr(tlsHint);
  io.stderr(`${replacedCount} replaced, ${failedCount} failed (${images.length} distinct images)`);
  for (const line of kit.hints(outcomes, credentials, tlsHint ? [LocalCode.CertificateRejected] : [])) io.stderr(line);
  return failed || failedCount > 0 ? 1 : 0;
}
