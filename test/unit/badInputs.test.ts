// Bad-input corpus: every case gets its expected code (or uploads), in ONE batch, through
// uploadFiles and through the built CLI (dist/cli.js), against the stand-in server. The rest of
// the batch still uploads, nothing crashes or hangs (a FIFO, /dev/null), one line per input.
import * as assert from 'assert';
import * as cp from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { LarkClient } from '../../src/core/larkClient';
import { UploadScheduler } from '../../src/core/scheduler';
import { DedupeIndex, MemoryStore } from '../../src/core/dedupe';
import { uploadFiles, type FileOutcome } from '../../src/core/uploadFiles';
import { LocalCode, type ImageType } from '../../src/core/types';
import { generateFixtures, TEN_MIB, type FixtureSet } from '../fixtures/generate';
import { startLarkServer, type LarkServer } from '../larkServer/server';

const CLI = path.resolve(__dirname, '..', '..', '..', 'dist', 'cli.js');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

type Expect = number | 'ok';

interface Ctx {
  dir: string; // the corpus directory (the CLI runs with it as cwd)
  fx: FixtureSet; // generated fixtures, in dir/fx
  png: Buffer;
  jpg: Buffer;
  gif: Buffer;
  webp: Buffer;
  bmp: Buffer;
  tiff: Buffer;
  ico: Buffer;
  /** write `bytes` to dir/rel, return rel */
  write(rel: string, bytes: Buffer | string): string;
  /** a valid PNG with bytes no other case has (a tag after IEND) */
  uniquePng(tag: string): Buffer;
}

interface CorpusCase {
  name: string;
  /** creates the input; returns its path relative to the corpus dir (or absolute) */
  make: (c: Ctx) => string | Promise<string>;
  /** code expected for image_type=message, or 'ok' */
  expect: Expect;
  /** for image_type=avatar when different */
  avatar?: Expect;
  /** skip where the case cannot be built (e.g. chmod as root) */
  skip?: boolean;
  /** the server must have stored the file under this name */
  storedName?: string;
}

const rel = (c: Ctx, abs: string): string => path.relative(c.dir, abs);

/** The corpus. Exported so the count can be reported. */
export const CORPUS: CorpusCase[] = [
  // ---- valid: the format comes from the bytes, any name works ----
  { name: 'PNG', make: (c) => rel(c, c.fx.png), expect: 'ok' },
  { name: 'JPEG', make: (c) => rel(c, c.fx.jpg), expect: 'ok' },
  { name: 'WebP', make: (c) => rel(c, c.fx.webp), expect: 'ok' },
  { name: 'GIF', make: (c) => rel(c, c.fx.gif), expect: 'ok' },
  { name: 'TIFF', make: (c) => rel(c, c.fx.tiff), expect: 'ok' },
  { name: 'BMP', make: (c) => rel(c, c.fx.bmp), expect: 'ok' },
  { name: 'ICO', make: (c) => rel(c, c.fx.ico), expect: 'ok' },
  { name: 'PNG named .jpg', make: (c) => rel(c, c.fx.pngNamedJpg), expect: 'ok' },
  { name: 'PNG named .gif', make: (c) => c.write('png-named.gif', c.uniquePng('as-gif')), expect: 'ok' },
  { name: 'JPEG named .png', make: (c) => c.write('jpeg-named.png', c.jpg), expect: 'ok' },
  { name: 'JPEG with 100 KiB of EXIF/XMP before the frame header', make: (c) => rel(c, c.fx.jpegLargeExif), expect: 'ok' },
  { name: 'TIFF whose IFD is past 64 KiB', make: (c) => rel(c, c.fx.tiffIfdAtEnd), expect: 'ok' },
  { name: 'name with spaces and CJK', make: (c) => c.write('图片 with space 2.png', c.uniquePng('cjk')), expect: 'ok', storedName: '图片 with space 2.png' },
  { name: 'name with emoji', make: (c) => c.write('📷 snap 🎉.png', c.uniquePng('emoji')), expect: 'ok', storedName: '📷 snap 🎉.png' },
  { name: 'name with a leading dash', make: (c) => c.write('-x.png', c.uniquePng('dash')), expect: 'ok', storedName: '-x.png' },
  { name: 'name of 255 bytes (the longest allowed)', make: (c) => c.write('a'.repeat(251) + '.png', c.uniquePng('long')), expect: 'ok' },
  { name: 'name with a newline', make: (c) => c.write('line\nbreak.png', c.uniquePng('newline')), expect: 'ok' },
  { name: 'name with quotes, backslash, percent and semicolon', make: (c) => c.write('q"uo\'te\\b%20;x.png', c.uniquePng('quotes')), expect: 'ok' },
  { name: 'path with ./ and .. segments', make: (c) => (fs.mkdirSync(path.join(c.dir, 'sub'), { recursive: true }), c.write('dots.png', c.uniquePng('dots')), './sub/../dots.png'), expect: 'ok' },
  { name: 'exactly 10 MiB (10,485,760 bytes)', make: (c) => rel(c, c.fx.exactly10MiB), expect: 'ok' },
  { name: 'symlink to a valid image', make: (c) => rel(c, c.fx.symlinkToPng), expect: 'ok' },
  { name: 'PNG 4096×4096 (avatar limit exactly)', make: (c) => rel(c, c.fx.avatarOk), expect: 'ok' },
  { name: 'PNG 4097×4097 (message ok, avatar too large)', make: (c) => rel(c, c.fx.avatarTooBig), expect: 'ok', avatar: 234039 },
  {
    name: 'GIF 2000×16 (GIF limit exactly)',
    make: async (c) => c.write('gif-2000x16.gif', await sharp({ create: { width: 2000, height: 16, channels: 3, background: '#336699' } }).gif().toBuffer()),
    expect: 'ok',
  },
  {
    name: 'PNG 12000×8 (message limit exactly)',
    make: async (c) => c.write('png-12000x8.png', await sharp({ create: { width: 12000, height: 8, channels: 3, background: '#808080' } }).toColourspace('b-w').png().toBuffer()),
    expect: 'ok',
    avatar: 234039,
  },
  // ---- empty, truncated, not an image ----
  { name: 'zero bytes (.png)', make: (c) => rel(c, c.fx.empty), expect: 234010 },
  { name: 'zero bytes (.jpg)', make: (c) => c.write('empty.jpg', Buffer.alloc(0)), expect: 234010 },
  { name: 'one byte', make: (c) => c.write('one-byte.png', Buffer.from([0x89])), expect: 234011 },
  { name: 'PNG signature only (8 bytes)', make: (c) => c.write('png-signature.png', c.png.subarray(0, 8)), expect: 234011 },
  { name: 'PNG truncated to 10 bytes', make: (c) => rel(c, c.fx.truncatedPng), expect: 234011 },
  { name: 'JPEG truncated to 4 bytes', make: (c) => c.write('jpeg-4.jpg', c.jpg.subarray(0, 4)), expect: 234011 },
  { name: 'JPEG truncated before its frame header', make: (c) => c.write('jpeg-20.jpg', c.jpg.subarray(0, 20)), expect: 234011 },
  { name: 'GIF truncated to 8 bytes', make: (c) => c.write('gif-8.gif', c.gif.subarray(0, 8)), expect: 234011 },
  { name: 'WebP truncated to 16 bytes', make: (c) => c.write('webp-16.webp', c.webp.subarray(0, 16)), expect: 234011 },
  { name: 'BMP truncated to 12 bytes', make: (c) => c.write('bmp-12.bmp', c.bmp.subarray(0, 12)), expect: 234011 },
  { name: 'TIFF header only (8 bytes)', make: (c) => c.write('tiff-8.tiff', c.tiff.subarray(0, 8)), expect: 234011 },
  { name: 'ICO truncated inside its directory', make: (c) => c.write('ico-10.ico', c.ico.subarray(0, 10)), expect: 234011 },
  { name: 'text named .png', make: (c) => rel(c, c.fx.textAsPng), expect: 234011 },
  { name: 'text named .jpg', make: (c) => c.write('notes.jpg', 'just some notes\n'), expect: 234011 },
  { name: 'HTML named .png', make: (c) => c.write('page.png', '<!doctype html><html><body><img src="x.png"></body></html>\n'), expect: 234011 },
  { name: 'SVG', make: (c) => rel(c, c.fx.svg), expect: 234011 },
  { name: 'PDF', make: (c) => c.write('doc.pdf', '%PDF-1.7\n%\u00e2\u00e3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n'), expect: 234011 },
  { name: 'Photoshop PSD', make: (c) => c.write('art.psd', Buffer.from('8BPS\x00\x01\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x10\x00\x00\x00\x20\x00\x08\x00\x03', 'latin1')), expect: 234011 },
  { name: 'HEIC', make: (c) => c.write('photo.heic', Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1')])), expect: 234011 },
  { name: 'AVIF', make: (c) => rel(c, c.fx.avif), expect: 234011 },
  {
    name: 'PNG declaring a width of 0',
    make: (c) => {
      const b = Buffer.from(c.png);
      b.writeUInt32BE(0, 16);
      return c.write('zero-width.png', b);
    },
    expect: 234011,
  },
  // ---- sizes and dimensions ----
  { name: 'one byte over 10 MiB', make: (c) => rel(c, c.fx.over10MiB), expect: 234006 },
  { name: 'tiny PNG declaring 50000×50000', make: (c) => rel(c, c.fx.hugeDeclared), expect: 234039 },
  {
    name: 'tiny GIF declaring 60000×60000',
    make: (c) => {
      const b = Buffer.from(c.gif.subarray(0, 13));
      b.writeUInt16LE(60000, 6);
      b.writeUInt16LE(60000, 8);
      return c.write('huge-declared.gif', b);
    },
    expect: 234039,
  },
  {
    name: 'tiny BMP declaring 20000×20000',
    make: (c) => {
      const b = Buffer.from(c.bmp.subarray(0, 54));
      b.writeInt32LE(20000, 18);
      b.writeInt32LE(20000, 22);
      return c.write('huge-declared.bmp', b);
    },
    expect: 234039,
  },
  { name: 'GIF 2001×16', make: (c) => rel(c, c.fx.gifTooBig), expect: 234039 },
  { name: 'PNG 12001×8', make: (c) => rel(c, c.fx.pngTooBig), expect: 234039 },
  // ---- not a regular file, missing, unreadable ----
  { name: 'a directory', make: (c) => rel(c, c.fx.aDirectory), expect: LocalCode.NotAFile },
  { name: 'a directory named like an image', make: (c) => (fs.mkdirSync(path.join(c.dir, 'folder.png'), { recursive: true }), 'folder.png'), expect: LocalCode.NotAFile },
  { name: 'a symlink to a directory', make: (c) => (fs.symlinkSync('sub', path.join(c.dir, 'link-to-dir.png')), 'link-to-dir.png'), expect: LocalCode.NotAFile },
  { name: 'a FIFO (must not hang)', make: (c) => (cp.execFileSync('mkfifo', [path.join(c.dir, 'pipe.png')]), 'pipe.png'), expect: LocalCode.NotAFile, skip: process.platform === 'win32' },
  { name: 'a character device (/dev/null)', make: () => '/dev/null', expect: LocalCode.NotAFile, skip: process.platform === 'win32' },
  { name: 'a missing file', make: (c) => rel(c, c.fx.missing), expect: LocalCode.FileNotFound },
  { name: 'a dangling symlink', make: (c) => rel(c, c.fx.danglingSymlink), expect: LocalCode.FileNotFound },
  { name: 'a path through a file (png.png/child.png)', make: (c) => path.join(rel(c, c.fx.png), 'child.png'), expect: LocalCode.FileNotFound },
  {
    name: 'a symlink loop',
    make: (c) => {
      fs.symlinkSync('loop-b.png', path.join(c.dir, 'loop-a.png'));
      fs.symlinkSync('loop-a.png', path.join(c.dir, 'loop-b.png'));
      return 'loop-a.png';
    },
    expect: LocalCode.FileUnreadable,
  },
  { name: 'a name of 300 bytes (too long)', make: () => 'b'.repeat(296) + '.png', expect: LocalCode.FileUnreadable },
  {
    name: 'an unreadable file (chmod 000)',
    make: (c) => {
      const f = c.write('unreadable.png', c.uniquePng('unreadable'));
      fs.chmodSync(path.join(c.dir, f), 0o000);
      return f;
    },
    expect: LocalCode.FileUnreadable,
    skip: isRoot || process.platform === 'win32', // root reads anything
  },
];

/** Cases that run on this machine. */
export const ACTIVE_CORPUS = CORPUS.filter((c) => !c.skip);
export const CORPUS_SIZE = CORPUS.length;

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = cp.spawn(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

suite(`bad-input corpus (${CORPUS_SIZE} cases) in one batch`, function () {
  this.timeout(60000);
  let tmp: string;
  let ctx: Ctx;
  let inputs: string[]; // as given to the CLI (relative to ctx.dir, or absolute)
  let server: LarkServer;

  suiteSetup(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-corpus-'));
    const dir = path.join(tmp, 'corpus');
    fs.mkdirSync(dir);
    const fx = await generateFixtures(path.join(dir, 'fx'));
    const read = (p: string) => fs.readFileSync(p);
    let n = 0;
    ctx = {
      dir,
      fx,
      png: read(fx.png),
      jpg: read(fx.jpg),
      gif: read(fx.gif),
      webp: read(fx.webp),
      bmp: read(fx.bmp),
      tiff: read(fx.tiff),
      ico: read(fx.ico),
      write: (r, bytes) => {
        fs.writeFileSync(path.join(dir, r), bytes);
        return r;
      },
      uniquePng: (tag) => Buffer.concat([read(fx.png), Buffer.from(`#${tag}#${++n}`)]),
    };
    inputs = [];
    for (const c of ACTIVE_CORPUS) inputs.push(await c.make(ctx));
    assert.strictEqual(new Set(inputs).size, inputs.length, 'every case is its own input');
  });
  suiteTeardown(() => {
    // let rm remove the chmod-000 file
    try {
      fs.chmodSync(path.join(tmp, 'corpus', 'unreadable.png'), 0o644);
    } catch {
      /* not created */
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  setup(async () => {
    server = await startLarkServer();
  });
  teardown(() => server.close());

  test(`the corpus has at least 25 cases (${CORPUS_SIZE}; ${ACTIVE_CORPUS.length} run here)`, () => {
    assert.ok(ACTIVE_CORPUS.length >= 25);
    const codes = new Set(ACTIVE_CORPUS.map((c) => c.expect));
    for (const code of ['ok', 234006, 234010, 234011, 234039, 9001, 9002, 9003] as Expect[]) assert.ok(codes.has(code), `the corpus covers ${code}`);
  });

  const expected = (c: CorpusCase, imageType: ImageType): Expect => (imageType === 'avatar' && c.avatar !== undefined ? c.avatar : c.expect);

  /** The server holds each uploaded content once, and every ok key holds that input's bytes. */
  function checkServer(outcomes: { ok: boolean; imageKey?: string; file: string }[], absOf: (i: number) => string): void {
    const hashes = [...server.images.values()].map((i) => sha(i.bytes));
    assert.strictEqual(new Set(hashes).size, hashes.length, 'no content stored twice');
    outcomes.forEach((o, i) => {
      if (!o.ok) return;
      const img = server.images.get(String(o.imageKey));
      assert.ok(img, `${ACTIVE_CORPUS[i].name}: key not on the server`);
      assert.strictEqual(sha(img.bytes), sha(fs.readFileSync(absOf(i))), `${ACTIVE_CORPUS[i].name}: the key holds these bytes`);
    });
    const okContents = new Set(outcomes.flatMap((o, i) => (o.ok ? [sha(fs.readFileSync(absOf(i)))] : [])));
    assert.strictEqual(server.images.size, okContents.size, 'one stored image per distinct ok content');
  }

  for (const imageType of ['message', 'avatar'] as ImageType[]) {
    test(`uploadFiles, image_type=${imageType}: every case gets its code, valid ones upload`, async () => {
      const abs = inputs.map((p) => path.resolve(ctx.dir, p));
      const client = new LarkClient({ baseUrl: server.baseUrl, credentials: { kind: 'app', appId: server.demo.appId, appSecret: server.demo.appSecret } });
      const out: FileOutcome[] = await uploadFiles(abs, { client, scheduler: new UploadScheduler(), imageType, dedupe: new DedupeIndex(new MemoryStore()) });
      assert.strictEqual(out.length, abs.length);
      const problems: string[] = [];
      out.forEach((o, i) => {
        const c = ACTIVE_CORPUS[i];
        const got = o.ok ? 'ok' : o.code;
        if (got !== expected(c, imageType)) problems.push(`${c.name}: expected ${expected(c, imageType)}, got ${got}${o.ok ? '' : ` (${o.message})`}`);
        if (!o.ok) {
          if (!(o.message.length > 10) || /undefined|\[object|^Error/.test(o.message)) problems.push(`${c.name}: unclear message "${o.message}"`);
          if (o.stage !== 'validate') problems.push(`${c.name}: failed at ${o.stage}, not before the network`);
        }
      });
      assert.deepStrictEqual(problems, []);
      checkServer(out.map((o) => ({ ok: o.ok, imageKey: o.ok ? o.imageKey : undefined, file: o.file })), (i) => abs[i]);
      // invalid files never reached the network: every upload request succeeded
      const uploads = server.requests.filter((r) => r.path === '/open-apis/im/v1/images');
      assert.ok(uploads.every((r) => r.code === 0), JSON.stringify(uploads.filter((r) => r.code !== 0)));
      for (const c of ACTIVE_CORPUS) {
        if (!c.storedName) continue;
        assert.ok([...server.images.values()].some((img) => img.fileName === c.storedName), `stored under its own name: ${c.storedName}`);
      }
      const ten = out[ACTIVE_CORPUS.findIndex((c) => c.name.startsWith('exactly 10 MiB'))];
      assert.ok(ten.ok && server.images.get(ten.imageKey)?.bytes.length === TEN_MIB);
    });
  }

  test('the built CLI (dist/cli.js): one JSON line per input in order, every code right, exit 1, no crash', async () => {
    assert.ok(fs.existsSync(CLI), 'dist/cli.js is missing: run `npm run build` first');
    const env = { LARK_APP_ID: server.demo.appId, LARK_APP_SECRET: server.demo.appSecret };
    // `--` ends the options, so "-x.png" is a file, not an unknown option
    const run = await runCli(['--base-url', server.baseUrl, '--', ...inputs], env, ctx.dir);
    assert.strictEqual(run.code, 1, run.stderr.slice(-2000));
    assert.ok(!/unexpected error|\n\s+at [\w<]/.test(run.stderr), `no crash: ${run.stderr.slice(-2000)}`);
    const lines = run.stdout.split('\n').filter((l) => l !== '');
    assert.strictEqual(lines.length, inputs.length, 'stdout lines = inputs');
    const parsed = lines.map((l) => JSON.parse(l) as { file: string; ok: boolean; code?: number; message?: string; imageKey?: string });
    assert.deepStrictEqual(parsed.map((l) => l.file), inputs, 'in input order, names as given');
    const problems: string[] = [];
    parsed.forEach((l, i) => {
      const c = ACTIVE_CORPUS[i];
      const got = l.ok ? 'ok' : l.code;
      if (got !== c.expect) problems.push(`${c.name}: expected ${c.expect}, got ${got} ${l.message ?? ''}`);
      if (!l.ok && !(typeof l.message === 'string' && l.message.length > 10)) problems.push(`${c.name}: no clear message`);
    });
    assert.deepStrictEqual(problems, []);
    const okCount = parsed.filter((l) => l.ok).length;
    const reused = parsed.filter((l) => (l as { reused?: boolean }).reused === true).length;
    assert.match(run.stderr, new RegExp(`${okCount - reused} uploaded, ${reused} reused, ${inputs.length - okCount} failed`));
    checkServer(parsed, (i) => path.resolve(ctx.dir, inputs[i]));
    assert.ok(!run.stdout.includes(server.demo.appSecret) && !run.stderr.includes(server.demo.appSecret));
  });

  test('without `--` a file named "-x.png" is an unknown option: usage error (exit 2), nothing uploaded', async () => {
    const env = { LARK_APP_ID: server.demo.appId, LARK_APP_SECRET: server.demo.appSecret };
    const run = await runCli(['--base-url', server.baseUrl, '-x.png'], env, ctx.dir);
    assert.strictEqual(run.code, 2);
    assert.strictEqual(run.stdout, '');
    assert.strictEqual(server.requests.length, 0);
    const dotted = await runCli(['--base-url', server.baseUrl, './-x.png'], env, ctx.dir);
    assert.strictEqual(dotted.code, 0, dotted.stderr);
  });
});
