// History integrity.
// (a) UploadHistory never holds duplicates: concurrent adds, two "windows" on one store, replays
//     of old or doubled store contents.
// (b) Kill test: child processes write the history in a loop through a FILE-backed
//     HistoryStorage that writes atomically (temp file + fsync + rename) and are killed with
//     SIGKILL at seeded random moments; after every kill the file parses and the history read
//     from it has no duplicates.
// The extension itself stores the history in VS Code's globalState (a Memento persisted by VS
// Code in its SQLite state database, in transactions), so it never writes a file of its own;
// this file-backed storage shows that the core keeps its promises over a plain file too.
//
// This file is also the child: `node historyIntegrity.test.js <store.json> <seed>`.
import * as assert from 'assert';
import * as cp from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HistoryReadError, UploadHistory, type HistoryStorage, type UploadRecord } from '../../src/core/history';

const BASE = 'https://open.larksuite.com';

/** mulberry32 */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A HistoryStorage over one JSON file. set() writes a temp file next to it, fsyncs it and renames
 * it over the store: rename(2) is atomic, so a reader (or a process restarted after a crash) sees
 * either the old or the new content, never a torn one. get() reads synchronously (like
 * Memento.get); a missing file is "nothing stored".
 */
export class AtomicFileStorage implements HistoryStorage {
  private seq = 0;
  constructor(readonly file: string) {}
  get(): unknown {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    return JSON.parse(text); // a torn file throws; UploadHistory reads that as empty
  }
  set(value: unknown): void {
    const tmp = `${this.file}.${process.pid}.${++this.seq}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify(value));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
  }
}

/** The identity UploadHistory dedupes by (see history.ts identityOf). */
function identityOf(r: UploadRecord): string | undefined {
  const subject = r.filePath !== undefined ? `file:${r.filePath}` : r.imageKey !== undefined ? `key:${r.imageKey}` : undefined;
  return subject === undefined ? undefined : JSON.stringify([subject, r.imageType, r.baseUrl, r.appId ?? '']);
}

function assertNoDuplicates(records: readonly UploadRecord[], where: string): void {
  const ids = records.map((r) => r.id);
  assert.strictEqual(new Set(ids).size, ids.length, `${where}: duplicate ids`);
  const identities = records.map(identityOf).filter((x): x is string => x !== undefined);
  assert.strictEqual(new Set(identities).size, identities.length, `${where}: duplicate entries for the same file/key`);
}

function newRecord(random: () => number, tag: string) {
  const n = Math.floor(random() * 40);
  const kind = random();
  const imageType = random() < 0.8 ? ('message' as const) : ('avatar' as const);
  if (kind < 0.1) {
    // pasted bytes: identity is the key
    return { fileName: 'pasted.png', ok: true, imageKey: `img_v2_pasted_${n % 5}`, imageType, baseUrl: BASE, appId: 'cli_a' };
  }
  const filePath = `/work/shots/img-${n}.png`;
  if (kind < 0.35) {
    // a failure with a long message: bigger writes, more chances to be killed mid-write
    return { filePath, fileName: `img-${n}.png`, ok: false, code: 234011, message: `Not an image (${tag}) ${'x'.repeat(200 + Math.floor(random() * 400))}`, logId: `log-${tag}`, imageType, baseUrl: BASE, appId: 'cli_a' };
  }
  return { filePath, fileName: `img-${n}.png`, ok: true, imageKey: `img_v2_${tag}`, size: 1234, width: 64, height: 48, format: 'png', imageType, baseUrl: BASE, appId: 'cli_a' };
}

/** Child: writes forever (adds, some concurrent; removes; a rare clear) until killed. */
async function childMain(file: string, seed: number): Promise<void> {
  const history = new UploadHistory(new AtomicFileStorage(file), 300);
  const random = prng(seed);
  let ready = false;
  for (let i = 0; ; i++) {
    const op = random();
    if (op < 0.7) await history.add(newRecord(random, `${seed}_${i}`));
    else if (op < 0.9) await Promise.all([0, 1, 2].map((k) => history.add(newRecord(random, `${seed}_${i}_${k}`)))); // concurrent adds
    else if (op < 0.995) {
      const list = history.list();
      if (list.length) await history.remove(list[Math.floor(random() * list.length)].id);
    } else await history.clear();
    if (!ready && fs.existsSync(file)) {
      ready = true;
      process.stdout.write('ready\n'); // the store exists: from now on a kill can hit a write
    }
  }
}

if (require.main === module) {
  childMain(process.argv[2], Number(process.argv[3])).catch((e: unknown) => {
    process.stderr.write(`child failed: ${String(e)}\n`);
    process.exit(3);
  });
} else {
  /** Like globalState for the in-process tests: JSON round trip, async set. */
  class MemoryStorage implements HistoryStorage {
    value: unknown;
    get(): unknown {
      return this.value === undefined ? undefined : JSON.parse(JSON.stringify(this.value));
    }
    async set(value: unknown): Promise<void> {
      const copy = JSON.parse(JSON.stringify(value)) as unknown;
      if (Math.random() < 0.3) await new Promise((r) => setTimeout(r, 1));
      else await Promise.resolve();
      this.value = copy;
    }
  }

  suite('history integrity: never a duplicate', () => {
    test('300 concurrent adds over 40 files and 2 image types: one entry per identity, the last call wins', async () => {
      const storage = new MemoryStorage();
      let t = 1_700_000_000_000;
      const history = new UploadHistory(storage, 500, () => (t += 1));
      const random = prng(7);
      const inputs = Array.from({ length: 300 }, (_, i) => newRecord(random, `c${i}`));
      const added = await Promise.all(inputs.map((r) => history.add(r)));
      assertNoDuplicates(history.list(), 'in memory');
      const fresh = new UploadHistory(storage, 500);
      assertNoDuplicates(fresh.list(), 'reloaded');
      assert.deepStrictEqual(fresh.list().map((r) => r.id), history.list().map((r) => r.id));
      // for each identity the entry kept is the last one added
      const lastByIdentity = new Map<string, string>();
      for (const r of added) {
        const id = identityOf(r);
        if (id) lastByIdentity.set(id, r.id);
      }
      assert.deepStrictEqual(new Set(history.list().map((r) => r.id)), new Set(lastByIdentity.values()));
    });

    test('two windows adding the same files at the same time: no duplicates in either, nor after a reload', async () => {
      const storage = new MemoryStorage();
      const a = new UploadHistory(storage);
      const b = new UploadHistory(storage);
      const random = prng(11);
      const ops: Promise<unknown>[] = [];
      for (let i = 0; i < 120; i++) ops.push((i % 2 ? a : b).add(newRecord(random, `w${i}`)));
      await Promise.all(ops);
      a.reload();
      b.reload();
      assertNoDuplicates(a.list(), 'window A');
      assertNoDuplicates(b.list(), 'window B');
      assertNoDuplicates(new UploadHistory(storage).list(), 'a third window');
    });

    test('replays: the same upload recorded 50 times, a doubled store, an old snapshot written back', async () => {
      const storage = new MemoryStorage();
      const history = new UploadHistory(storage);
      const same = { filePath: '/w/a.png', fileName: 'a.png', ok: true, imageKey: 'img_v2_a', imageType: 'message' as const, baseUrl: BASE, appId: 'cli_a' };
      await Promise.all(Array.from({ length: 50 }, () => history.add(same)));
      assert.strictEqual(history.findByFile('/w/a.png').length, 1);
      await history.add({ ...same, filePath: '/w/b.png', fileName: 'b.png', imageKey: 'img_v2_b' });
      const snapshot = storage.get() as { version: 1; records: UploadRecord[] };
      // a store whose records were appended twice (a replayed write)
      storage.value = { version: 1, records: [...snapshot.records, ...snapshot.records] };
      history.reload();
      assertNoDuplicates(history.list(), 'doubled store');
      assert.strictEqual(history.list().length, 2);
      // an older snapshot written back by another window, then more uploads of the same files
      await history.add({ ...same, imageKey: 'img_v2_a2' });
      storage.value = snapshot;
      await history.add({ ...same, imageKey: 'img_v2_a3' });
      await history.add({ ...same, filePath: '/w/b.png', fileName: 'b.png', imageKey: 'img_v2_b2' });
      assertNoDuplicates(history.list(), 'after the snapshot');
      assert.deepStrictEqual(history.list().map((r) => r.imageKey).sort(), ['img_v2_a3', 'img_v2_b2']);
    });
  });

  suite('history integrity: SIGKILL during writes never leaves an unreadable store', function () {
    this.timeout(60000);
    let tmp: string;
    suiteSetup(() => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-history-kill-'));
    });
    suiteTeardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

    function startWriter(file: string, seed: number): Promise<cp.ChildProcess> {
      return new Promise((resolve, reject) => {
        const child = cp.spawn(process.execPath, [__filename, file, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
        let err = '';
        child.stderr.on('data', (d) => (err += d));
        child.stdout.once('data', () => resolve(child));
        child.once('exit', (code, signal) => reject(new Error(`writer exited early: ${code ?? signal} ${err}`)));
        child.once('error', reject);
      });
    }

    function killed(child: cp.ChildProcess): Promise<NodeJS.Signals | null> {
      return new Promise((resolve) => {
        child.removeAllListeners('exit');
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.signalCode);
        child.once('exit', (_code, signal) => resolve(signal));
        child.kill('SIGKILL');
      });
    }

    function checkStore(file: string, round: number): number {
      const text = fs.readFileSync(file, 'utf8');
      let raw: { version?: unknown; records?: UploadRecord[] };
      try {
        raw = JSON.parse(text) as typeof raw;
      } catch (e) {
        assert.fail(`round ${round}: the store does not parse after a kill (${(e as Error).message}); ${text.length} bytes`);
      }
      assert.strictEqual(raw.version, 1, `round ${round}: versioned object`);
      assert.ok(Array.isArray(raw.records), `round ${round}: records array`);
      assertNoDuplicates(raw.records, `round ${round}, raw file`);
      const history = new UploadHistory(new AtomicFileStorage(file), 300);
      assertNoDuplicates(history.list(), `round ${round}, UploadHistory`);
      assert.strictEqual(history.list().length, raw.records.length, `round ${round}: no record was malformed`);
      return raw.records.length;
    }

    test('3 stores × 8 rounds (every third round with two writers on the same file): ≥ 30 kills at random moments', async () => {
      let kills = 0;
      let sizes = 0;
      const lane = async (l: number): Promise<void> => {
        const file = path.join(tmp, `history-${l}.json`);
        const random = prng(424242 + l);
        for (let round = 0; round < 8; round++) {
          const writers = await Promise.all(Array.from({ length: round % 3 === 2 ? 2 : 1 }, (_, k) => startWriter(file, l * 1000 + round * 10 + k + 1)));
          await new Promise((r) => setTimeout(r, Math.floor(random() * 120)));
          const signals = await Promise.all(writers.map(killed));
          for (const s of signals) assert.strictEqual(s, 'SIGKILL', 'the writer was still writing when killed');
          kills += writers.length;
          sizes += checkStore(file, l * 100 + round);
        }
      };
      await Promise.all([0, 1, 2].map(lane));
      assert.ok(kills >= 30, `${kills} kills`);
      assert.ok(sizes > 0, 'the writers did write');
      // A kill between writing the temp file and renaming it leaves the temp file behind; it is
      // never read as the store.
      const leftovers = fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp'));
      for (const f of leftovers) assert.match(f, /^history-\d\.json\.\d+\.\d+\.tmp$/);
      if (process.env.LARK_TEST_VERBOSE) console.log(`${kills} kills, ${leftovers.length} killed between write and rename`);
    });

    test('a torn store (what a non-atomic write could leave) is a read error: nothing is written over it', async () => {
      const file = path.join(tmp, 'torn.json');
      const storage = new AtomicFileStorage(file);
      const history = new UploadHistory(storage);
      const random = prng(99);
      for (let i = 0; i < 20; i++) await history.add(newRecord(random, `t${i}`));
      const whole = fs.readFileSync(file);
      for (const cut of [0, 1, Math.floor(whole.length / 3), whole.length - 1]) {
        const torn = whole.subarray(0, cut);
        fs.writeFileSync(file, torn);
        const reread = new UploadHistory(storage);
        assert.deepStrictEqual(reread.list(), [], `cut at ${cut}`);
        assert.ok(reread.readError instanceof HistoryReadError, `cut at ${cut}: the failed read is reported`);
        await assert.rejects(reread.add(newRecord(random, `after-${cut}`)), HistoryReadError);
        assert.ok(fs.readFileSync(file).equals(torn), `cut at ${cut}: the stored bytes are left for recovery`);
      }
    });
  });
}
