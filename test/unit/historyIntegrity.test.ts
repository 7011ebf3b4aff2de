// History integrity.
// (a) UploadHistory never holds duplicates: concurrent adds, two "windows" on one store, replays
//     of old or doubled store contents.
// (b) Kill test: a child process writes through the real UploadHistory (adds, concurrent adds,
//     removes) and prints what each call did as it settles; its storage fails one read in seven
//     (seeded). The child is killed with SIGKILL after a seeded number of acknowledgements, 30
//     times over 3 stores. After every kill the store is read back through UploadHistory and
//     checked against the child's own acknowledgements only (no model of the history's rules):
//     every add it acknowledged is there unless it started removing that record, nothing whose
//     add or removal it saw fail or succeed is wrong, and the store is never read as empty.
//     A history that turned a failed read into a write of what it held, or that acknowledged
//     before its write, loses acknowledged records here.
// What this does NOT show: the extension stores the history in VS Code's globalState, whose
// durability on a crash is VS Code's (this child's storage is an atomic file: temp + fsync +
// rename). It shows that UploadHistory acknowledges only what its storage accepted and that no
// later write, nor a failed read, drops it.
//
// This file is also the child: `node historyIntegrity.test.js <store.json> <seed>`.
import * as assert from 'assert';
import * as cp from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HistoryReadError, UploadHistory, type HistoryStorage, type UploadRecord } from '../../src/core/history';
import { prng } from '../support/prng';

const BASE = 'https://open.larksuite.com';

/**
 * A HistoryStorage over one JSON file. set() writes a temp file next to it, fsyncs it and renames
 * it over the store: rename(2) is atomic, so a reader (or a process restarted after a crash) sees
 * either the old or the new content, never a torn one. get() reads synchronously (like
 * Memento.get); a missing file is "nothing stored"; a torn file throws.
 */
class AtomicFileStorage implements HistoryStorage {
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
    return JSON.parse(text);
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

/**
 * The storage of the child: one read in seven fails (seeded), like a locked state database, and
 * a write completes a turn of the event loop after it is asked for (like Memento.update).
 */
class FlakyReads implements HistoryStorage {
  constructor(
    private readonly inner: HistoryStorage,
    private readonly random: () => number,
  ) {}
  get(): unknown {
    if (this.random() < 1 / 7) throw new Error('injected read failure');
    return this.inner.get();
  }
  async set(value: unknown): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
    await this.inner.set(value);
  }
}

/**
 * The entry a record stands for, as the history's contract states it: the same file (or, for
 * pasted bytes, the same image_key) as the same image_type to the same origin and app. Every
 * record these tests make has a file path or a key.
 */
function entryOf(r: { filePath?: string; imageKey?: string; imageType: string; baseUrl: string; appId?: string }): string {
  return [r.filePath !== undefined ? `file ${r.filePath}` : `pasted ${r.imageKey}`, r.imageType, r.baseUrl, r.appId ?? ''].join(' | ');
}

function assertNoDuplicates(records: readonly UploadRecord[], where: string): void {
  const ids = records.map((r) => r.id);
  assert.strictEqual(new Set(ids).size, ids.length, `${where}: duplicate ids`);
  const entries = records.map(entryOf);
  assert.strictEqual(new Set(entries).size, entries.length, `${where}: duplicate entries for the same file/key`);
}

/** An upload record of one of 40 files (or 5 pasted keys), ok or failed. */
function newRecord(random: () => number, tag: string) {
  const n = Math.floor(random() * 40);
  const kind = random();
  const imageType = random() < 0.8 ? ('message' as const) : ('avatar' as const);
  if (kind < 0.1) return { fileName: 'pasted.png', ok: true, imageKey: `img_v2_pasted_${n % 5}`, imageType, baseUrl: BASE, appId: 'cli_a' };
  const filePath = `/shots/img-${n}.png`;
  if (kind < 0.35) {
    return { filePath, fileName: `img-${n}.png`, ok: false, code: 234011, message: `Not an image (${tag})`, logId: `log-${tag}`, imageType, baseUrl: BASE, appId: 'cli_a' };
  }
  return { filePath, fileName: `img-${n}.png`, ok: true, imageKey: `img_v2_${tag}`, size: 1234, width: 64, height: 48, format: 'png', imageType, baseUrl: BASE, appId: 'cli_a' };
}

/**
 * A record of its own file (`/shots/<name>.png`), so that no two adds of the child replace each
 * other: the oracle needs no rule of the history. Failures carry a long message (bigger writes,
 * more chances to be killed inside one).
 */
function uniqueRecord(random: () => number, name: string) {
  const filePath = `/shots/${name}.png`;
  const common = { filePath, fileName: `${name}.png`, imageType: 'message' as const, baseUrl: BASE, appId: 'cli_a' };
  if (random() < 0.3) return { ...common, ok: false, code: 234011, message: `Not an image ${'x'.repeat(200 + Math.floor(random() * 400))}` };
  return { ...common, ok: true, imageKey: `img_v2_${name}`, size: 1234, width: 64, height: 48, format: 'png' };
}

/**
 * Child: adds (one, or three at once) and removes until killed. Before each call it prints
 * `begin <op> <file>`, after it `ack <op> <file>` or `rejected <op> <file>` (one line each, so
 * one write(2) to the pipe).
 */
async function childMain(file: string, seed: number): Promise<void> {
  const random = prng(seed);
  const history = new UploadHistory(new FlakyReads(new AtomicFileStorage(file), random));
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  const settle = async (op: 'add' | 'remove', filePath: string, call: () => Promise<unknown>): Promise<void> => {
    say(`begin ${op} ${filePath}`);
    try {
      await call();
      say(`ack ${op} ${filePath}`);
    } catch (e) {
      if (!(e instanceof HistoryReadError)) throw e;
      say(`rejected ${op} ${filePath}`);
    }
  };
  const add = (name: string): Promise<void> => {
    const record = uniqueRecord(random, name);
    return settle('add', record.filePath, () => history.add(record));
  };
  for (let i = 0; ; i++) {
    const op = random();
    if (op < 0.65) await add(`${seed}-${i}`);
    else if (op < 0.85) await Promise.all([0, 1, 2].map((k) => add(`${seed}-${i}-${k}`)));
    else {
      const list = history.list();
      if (list.length) {
        const victim = list[Math.floor(random() * list.length)];
        await settle('remove', victim.filePath ?? '', () => history.remove(victim.id));
      }
    }
  }
}

if (require.main === module) {
  childMain(process.argv[2], Number(process.argv[3])).catch((e: unknown) => {
    process.stderr.write(`child failed: ${String(e)}\n`);
    process.exit(3);
  });
} else {
  /** Like globalState for the in-process tests: JSON round trip, async set (seeded interleaving, no timers). */
  class MemoryStorage implements HistoryStorage {
    value: unknown;
    private readonly random = prng(5);
    get(): unknown {
      return this.value === undefined ? undefined : JSON.parse(JSON.stringify(this.value));
    }
    async set(value: unknown): Promise<void> {
      const copy = JSON.parse(JSON.stringify(value)) as unknown;
      if (this.random() < 0.3) await new Promise<void>((r) => setImmediate(r));
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
      assert.deepStrictEqual(
        fresh.list().map((r) => r.id),
        history.list().map((r) => r.id),
      );
      // for each entry the record kept is the last one added
      const lastByEntry = new Map<string, string>();
      for (const r of added) lastByEntry.set(entryOf(r), r.id);
      assert.deepStrictEqual(new Set(history.list().map((r) => r.id)), new Set(lastByEntry.values()));
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

  suite('history integrity: SIGKILL while writing never loses an acknowledged record', function () {
    // a guard against a hang only: 30 child processes, each killed after at most 30 acknowledgements
    this.timeout(120000);
    let tmp: string;
    suiteSetup(() => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-history-kill-'));
    });
    suiteTeardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

    /** What the children of one store said about each file, over all rounds. */
    interface Told {
      addBegun: Set<string>;
      addAcked: Set<string>;
      addRejected: Set<string>;
      removeBegun: Set<string>;
      removeAcked: Set<string>;
    }

    function listen(told: Told, line: string): boolean {
      const m = /^(begin|ack|rejected) (add|remove) (\S+)$/.exec(line);
      if (!m) return false;
      const [, what, op, file] = m;
      if (op === 'add') (what === 'begin' ? told.addBegun : what === 'ack' ? told.addAcked : told.addRejected).add(file);
      else if (what === 'begin') told.removeBegun.add(file);
      else if (what === 'ack') told.removeAcked.add(file);
      return what === 'ack';
    }

    /**
     * Runs one child on `file` and kills it with SIGKILL once it has acknowledged `acks` calls;
     * resolves when it is gone and all it printed has been read.
     */
    function runAndKill(file: string, seed: number, acks: number, told: Told): Promise<NodeJS.Signals | null> {
      return new Promise((resolve, reject) => {
        const child = cp.spawn(process.execPath, [__filename, file, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
        let err = '';
        let out = '';
        let seen = 0;
        child.stderr.on('data', (d) => (err += d));
        child.stdout.on('data', (d) => {
          out += d;
          const lines = out.split('\n');
          out = lines.pop() ?? ''; // a line cut by the kill is not counted
          for (const line of lines) {
            if (listen(told, line) && ++seen === acks) child.kill('SIGKILL');
          }
        });
        child.once('error', reject);
        child.once('close', (code, signal) => (signal === 'SIGKILL' ? resolve(signal) : reject(new Error(`writer exited by itself (${code ?? signal}): ${err}`))));
      });
    }

    function checkStore(file: string, told: Told, where: string): void {
      // no file yet reads as an empty store (then every acknowledged add shows up as lost)
      const raw = (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : { version: 1, records: [] }) as { version?: unknown; records?: unknown[] };
      assert.strictEqual(raw.version, 1, `${where}: versioned object`);
      const history = new UploadHistory(new AtomicFileStorage(file));
      assert.strictEqual(history.readError, undefined, `${where}: the store reads`);
      assert.strictEqual(history.list().length, raw.records?.length, `${where}: no record was malformed`);
      const stored = history.list().map((r) => r.filePath ?? '');
      assert.strictEqual(new Set(stored).size, stored.length, `${where}: no record twice`);
      const have = new Set(stored);
      // (so the store is never read as empty while an acknowledged record should be in it)
      const lost = [...told.addAcked].filter((f) => !have.has(f) && !told.removeBegun.has(f));
      assert.deepStrictEqual(lost, [], `${where}: acknowledged records missing`);
      const wrong = stored.filter((f) => !told.addBegun.has(f) || told.addRejected.has(f) || told.removeAcked.has(f));
      assert.deepStrictEqual(wrong, [], `${where}: records that were never added, whose add failed, or that were removed`);
    }

    test('30 kills over 3 stores: every acknowledged record is there after each, failed reads never wipe one', async () => {
      let kills = 0;
      let acked = 0;
      let rejected = 0;
      const lane = async (l: number): Promise<void> => {
        const file = path.join(tmp, `history-${l}.json`);
        const random = prng(424242 + l);
        const told: Told = { addBegun: new Set(), addAcked: new Set(), addRejected: new Set(), removeBegun: new Set(), removeAcked: new Set() };
        for (let round = 0; round < 10; round++) {
          const signal = await runAndKill(file, l * 1000 + round + 1, 1 + Math.floor(random() * 30), told);
          assert.strictEqual(signal, 'SIGKILL');
          kills++;
          checkStore(file, told, `store ${l}, after kill ${round + 1}`);
        }
        acked += told.addAcked.size;
        rejected += told.addRejected.size;
      };
      await Promise.all([0, 1, 2].map(lane));
      assert.strictEqual(kills, 30);
      // the run met what it is meant to: failed reads (rejected calls) and plenty of writes
      assert.ok(rejected > 0, 'some calls met a failed read');
      assert.ok(acked >= 30, `${acked} acknowledged adds`);
      const leftovers = fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp'));
      if (process.env.LARK_TEST_VERBOSE) console.log(`${kills} kills, ${acked} acknowledged adds, ${rejected} rejected, ${leftovers.length} killed between write and rename`);
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
