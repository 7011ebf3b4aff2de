import * as assert from 'assert';
import { HistoryReadError, UploadHistory, isUploadRecord, type HistoryStorage, type UploadRecord } from '../../src/core/history';

/** Like globalState: a JSON round trip, the value is visible to get() only once set() resolved. */
class MemoryStorage implements HistoryStorage {
  value: unknown;
  writes = 0;
  /** While set, each set() waits until release() (a slow disk the test steps through). */
  holding = false;
  private readonly held: (() => void)[] = [];
  failNext = false;
  /** While set, get() throws it (a locked or corrupt state database). */
  failGet: Error | undefined;
  constructor(initial?: unknown) {
    this.value = initial;
  }
  get(): unknown {
    if (this.failGet) throw this.failGet;
    return this.value === undefined ? undefined : JSON.parse(JSON.stringify(this.value));
  }
  async set(value: unknown): Promise<void> {
    const copy = JSON.parse(JSON.stringify(value)) as unknown;
    if (this.holding) await new Promise<void>((r) => this.held.push(r));
    else await Promise.resolve();
    if (this.failNext) {
      this.failNext = false;
      throw new Error('disk full');
    }
    this.value = copy;
    this.writes++;
  }
  /** Writes asked for and not finished. */
  get pendingWrites(): number {
    return this.held.length;
  }
  release(): void {
    this.held.shift()?.();
  }
  get stored(): { version: number; records: UploadRecord[] } {
    return this.value as { version: number; records: UploadRecord[] };
  }
}

/** Lets every queued promise callback run. */
const settled = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Steps a holding storage through every write of `calls`, checking that the history never has
 * more than one write in flight. Resolves with the calls' results.
 */
async function oneWriteAtATime<T extends readonly unknown[]>(storage: MemoryStorage, calls: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  let done = false;
  const all = Promise.all(calls);
  all.then(
    () => (done = true),
    () => (done = true),
  );
  for (;;) {
    await settled();
    if (done) break;
    assert.strictEqual(storage.pendingWrites, 1, 'exactly one write in flight');
    storage.release();
  }
  return all as Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }>;
}

function clock(start = 1_700_000_000_000): () => number {
  let t = start;
  return () => (t += 1000);
}

const BASE = 'https://open.larksuite.com';

function ok(filePath: string | undefined, imageKey: string, extra: Partial<UploadRecord> = {}) {
  return {
    filePath,
    fileName: filePath ? filePath.split('/').pop()! : 'pasted.png',
    ok: true,
    imageKey,
    imageType: 'message' as const,
    baseUrl: BASE,
    appId: 'cli_a',
    ...extra,
  };
}

function failed(filePath: string | undefined, code: number, extra: Partial<UploadRecord> = {}) {
  return {
    filePath,
    fileName: filePath ? filePath.split('/').pop()! : 'pasted.png',
    ok: false,
    code,
    message: 'boom',
    imageType: 'message' as const,
    baseUrl: BASE,
    appId: 'cli_a',
    ...extra,
  };
}

const keys = (h: UploadHistory) => h.list().map((r) => r.imageKey ?? `fail:${r.code}`);

suite('core/history', () => {
  test('starts empty over empty storage and writes nothing', () => {
    const storage = new MemoryStorage();
    const h = new UploadHistory(storage);
    assert.deepStrictEqual(h.list(), []);
    assert.strictEqual(storage.writes, 0);
  });

  test('add assigns id and time, persists a versioned object, newest first', async () => {
    const storage = new MemoryStorage();
    const h = new UploadHistory(storage, 500, clock());
    const a = await h.add(ok('/i/a.png', 'img_v2_a', { size: 2048, width: 10, height: 20, format: 'png', logId: 'L1' }));
    const b = await h.add(ok('/i/b.png', 'img_v2_b'));
    assert.ok(a.id && b.id && a.id !== b.id);
    assert.strictEqual(b.at - a.at, 1000);
    assert.deepStrictEqual(keys(h), ['img_v2_b', 'img_v2_a']);
    assert.strictEqual(storage.stored.version, 1);
    assert.deepStrictEqual(
      storage.stored.records.map((r) => r.id),
      [b.id, a.id],
    );
    assert.deepStrictEqual(storage.stored.records[1], {
      id: a.id,
      fileName: 'a.png',
      ok: true,
      imageType: 'message',
      at: a.at,
      baseUrl: BASE,
      filePath: '/i/a.png',
      imageKey: 'img_v2_a',
      logId: 'L1',
      format: 'png',
      appId: 'cli_a',
      size: 2048,
      width: 10,
      height: 20,
    });
    // a second instance over the same storage sees the same thing
    assert.deepStrictEqual(new UploadHistory(storage).list(), h.list());
  });

  test('sha256 of the uploaded bytes is kept (and survives a reload); a malformed one is dropped, not the record', async () => {
    const storage = new MemoryStorage();
    const h = new UploadHistory(storage, 500, clock());
    const sha = 'a'.repeat(64);
    await h.add(ok('/i/a.png', 'img_v2_a', { sha256: sha }));
    assert.strictEqual(h.findByKey('img_v2_a')?.sha256, sha);
    const raw = storage.get() as { records: Record<string, unknown>[] };
    raw.records.push({ ...raw.records[0], id: 'other', imageKey: 'img_v2_b', filePath: '/i/b.png', sha256: 42 });
    const again = new UploadHistory(storage, 500, clock());
    assert.strictEqual(again.findByKey('img_v2_a')?.sha256, sha);
    assert.strictEqual(again.findByKey('img_v2_b')?.sha256, undefined);
  });

  test('an explicit at is kept', async () => {
    const h = new UploadHistory(new MemoryStorage());
    const r = await h.add({ ...ok('/i/a.png', 'k'), at: 42 });
    assert.strictEqual(r.at, 42);
  });

  test('get, findByKey, findByFile', async () => {
    const h = new UploadHistory(new MemoryStorage(), 500, clock());
    const a = await h.add(ok('/i/a.png', 'img_v2_a'));
    const aAvatar = await h.add(ok('/i/a.png', 'img_v2_a2', { imageType: 'avatar' }));
    await h.add(failed('/i/c.png', 234011));
    assert.strictEqual(h.get(a.id)?.imageKey, 'img_v2_a');
    assert.strictEqual(h.get('nope'), undefined);
    assert.strictEqual(h.findByKey('img_v2_a2')?.id, aAvatar.id);
    assert.strictEqual(h.findByKey('img_v2_zz'), undefined);
    assert.deepStrictEqual(
      h.findByFile('/i/a.png').map((r) => r.id),
      [aAvatar.id, a.id],
    );
    assert.deepStrictEqual(h.findByFile('/i/none.png'), []);
  });

  test('re-uploading the same file replaces its entry and moves it to the top', async () => {
    const h = new UploadHistory(new MemoryStorage(), 500, clock());
    const first = await h.add(ok('/i/a.png', 'img_v2_old'));
    await h.add(ok('/i/b.png', 'img_v2_b'));
    const again = await h.add(ok('/i/a.png', 'img_v2_new'));
    assert.deepStrictEqual(keys(h), ['img_v2_new', 'img_v2_b']);
    assert.strictEqual(h.get(first.id), undefined);
    assert.strictEqual(h.list()[0].id, again.id);
  });

  test('a success after a failure replaces the failure (and vice versa)', async () => {
    const h = new UploadHistory(new MemoryStorage(), 500, clock());
    await h.add(failed('/i/a.png', 99991400));
    assert.deepStrictEqual(keys(h), ['fail:99991400']);
    await h.add(ok('/i/a.png', 'img_v2_a'));
    assert.deepStrictEqual(keys(h), ['img_v2_a']);
    await h.add(failed('/i/a.png', 9101));
    assert.deepStrictEqual(keys(h), ['fail:9101']);
  });

  test('identity includes image_type, base URL and app id', async () => {
    const h = new UploadHistory(new MemoryStorage(), 500, clock());
    await h.add(ok('/i/a.png', 'k1'));
    await h.add(ok('/i/a.png', 'k2', { imageType: 'avatar' }));
    await h.add(ok('/i/a.png', 'k3', { baseUrl: 'https://open.feishu.cn' }));
    await h.add(ok('/i/a.png', 'k4', { appId: 'cli_b' }));
    await h.add(ok('/i/a.png', 'k5', { appId: undefined }));
    assert.deepStrictEqual(keys(h), ['k5', 'k4', 'k3', 'k2', 'k1']);
    await h.add(ok('/i/a.png', 'k6', { appId: 'cli_b' }));
    assert.deepStrictEqual(keys(h), ['k6', 'k5', 'k3', 'k2', 'k1']);
  });

  test('pasted bytes: deduped by image_key; pasted failures are each kept', async () => {
    const h = new UploadHistory(new MemoryStorage(), 500, clock());
    await h.add(ok(undefined, 'img_v2_p'));
    await h.add(ok(undefined, 'img_v2_p'));
    await h.add(ok(undefined, 'img_v2_q'));
    await h.add(failed(undefined, 9101));
    await h.add(failed(undefined, 9102));
    assert.deepStrictEqual(keys(h), ['fail:9102', 'fail:9101', 'img_v2_q', 'img_v2_p']);
    // a file with the same key as a pasted one is a different entry
    await h.add(ok('/i/p.png', 'img_v2_p'));
    assert.strictEqual(h.list().length, 5);
  });

  test('bounded to limit: the oldest go', async () => {
    const storage = new MemoryStorage();
    const h = new UploadHistory(storage, 3, clock());
    for (let i = 0; i < 5; i++) await h.add(ok(`/i/${i}.png`, `k${i}`));
    assert.deepStrictEqual(keys(h), ['k4', 'k3', 'k2']);
    assert.strictEqual(storage.stored.records.length, 3);
  });

  test('default limit is 500; a nonsensical limit falls back to it', async () => {
    for (const limit of [undefined, 0, -1, NaN, Infinity]) {
      const many = Array.from({ length: 600 }, (_, i) => ({ ...ok(`/i/${i}.png`, `k${i}`), id: `id${i}`, at: 600 - i }));
      const h = new UploadHistory(new MemoryStorage({ version: 1, records: many }), limit);
      assert.strictEqual(h.list().length, 500, `limit ${limit}`);
      assert.strictEqual(h.list()[0].imageKey, 'k0');
      assert.strictEqual(h.list()[499].imageKey, 'k499');
    }
  });

  test('an older explicit time sorts below newer entries', async () => {
    const h = new UploadHistory(new MemoryStorage(), 500, clock());
    await h.add(ok('/i/a.png', 'a'));
    await h.add({ ...ok('/i/b.png', 'b'), at: 5 });
    assert.deepStrictEqual(keys(h), ['a', 'b']);
  });

  test('remove returns the record and persists; unknown id resolves undefined without writing', async () => {
    const storage = new MemoryStorage();
    const h = new UploadHistory(storage, 500, clock());
    const a = await h.add(ok('/i/a.png', 'a'));
    await h.add(ok('/i/b.png', 'b'));
    const writes = storage.writes;
    assert.strictEqual(await h.remove('nope'), undefined);
    assert.strictEqual(storage.writes, writes);
    const removed = await h.remove(a.id);
    assert.strictEqual(removed?.id, a.id);
    assert.deepStrictEqual(keys(h), ['b']);
    assert.deepStrictEqual(
      storage.stored.records.map((r) => r.imageKey),
      ['b'],
    );
  });

  test('clear returns what was removed and leaves an empty versioned object', async () => {
    const storage = new MemoryStorage();
    const h = new UploadHistory(storage, 500, clock());
    await h.add(ok('/i/a.png', 'a'));
    await h.add(failed('/i/b.png', 1));
    const removed = await h.clear();
    assert.deepStrictEqual(
      removed.map((r) => r.fileName),
      ['b.png', 'a.png'],
    );
    assert.deepStrictEqual(h.list(), []);
    assert.deepStrictEqual(storage.value, { version: 1, records: [] });
    assert.deepStrictEqual(await h.clear(), []);
  });

  test('garbage in storage never throws; malformed entries are skipped, good ones kept', () => {
    for (const garbage of [null, 42, 'x', true, [], {}, { version: 1 }, { version: 1, records: 'no' }, { records: null }, [null, 1]]) {
      assert.deepStrictEqual(new UploadHistory(new MemoryStorage(garbage)).list(), [], JSON.stringify(garbage));
    }
    const good = { id: 'g', fileName: 'g.png', ok: true, imageKey: 'img_v2_g', imageType: 'message', at: 10, baseUrl: BASE };
    const records = [
      null,
      'string',
      [good],
      { ...good, id: '' },
      { ...good, id: 'noKey', imageKey: undefined }, // ok without key
      { ...good, id: 'badType', imageType: 'file' },
      { ...good, id: 'badAt', at: 'yesterday' },
      { ...good, id: 'nanAt', at: null },
      { ...good, id: 'noBase', baseUrl: undefined },
      { ...good, id: 'noName', fileName: 3 },
      { ...good, id: 'okStr', ok: 'true' },
      good,
      { ...good, imageKey: 'img_v2_dupId', filePath: '/other' }, // duplicate id: first wins
      { id: 'f', fileName: 'f.png', ok: false, imageType: 'avatar', at: 5, baseUrl: BASE, code: 'x', size: -Infinity, logId: 7, extra: { deep: 1 } },
    ];
    const h = new UploadHistory(new MemoryStorage({ version: 1, records }));
    assert.deepStrictEqual(
      h.list().map((r) => r.id),
      ['g', 'f'],
    );
    // wrong-typed optional fields are dropped, unknown fields not carried along
    assert.deepStrictEqual(h.get('f'), { id: 'f', fileName: 'f.png', ok: false, imageType: 'avatar', at: 5, baseUrl: BASE });
    // a bare array (no version wrapper) is read too
    assert.deepStrictEqual(
      new UploadHistory(new MemoryStorage([good])).list().map((r) => r.id),
      ['g'],
    );
  });

  test('a storage whose get() throws at start: empty list, readError, reported, and nothing is written', async () => {
    const stored = { version: 1, records: [{ ...ok('/i/a.png', 'a'), id: 'a', at: 1 }] };
    const storage = new MemoryStorage(stored);
    storage.failGet = new Error('state database locked');
    const errors: [string, string][] = [];
    const h = new UploadHistory(storage, 500, clock(), (e, context) => errors.push([(e as Error).message, context]));
    assert.deepStrictEqual(h.list(), []);
    assert.ok(h.readError instanceof HistoryReadError);
    assert.deepStrictEqual(errors, [['state database locked', 'history read']]);
    await assert.rejects(h.add(ok('/i/b.png', 'b')), HistoryReadError);
    await assert.rejects(h.clear(), HistoryReadError);
    assert.strictEqual(storage.writes, 0);
    assert.deepStrictEqual(storage.value, stored, 'what was stored is kept');
    // once storage reads again, so does the history, and writes keep what was stored
    storage.failGet = undefined;
    h.reload();
    assert.strictEqual(h.readError, undefined);
    assert.deepStrictEqual(keys(h), ['a']);
    await h.add(ok('/i/b.png', 'b'));
    assert.deepStrictEqual(storage.stored.records.map((r) => r.imageKey), ['b', 'a']);
  });

  test('a read that fails later: the last records read are kept, every mutation rejects and writes nothing', async () => {
    const storage = new MemoryStorage();
    const errors: string[] = [];
    const h = new UploadHistory(storage, 500, clock(), (_e, context) => errors.push(context));
    const a = await h.add(ok('/i/a.png', 'a'));
    await h.add(ok('/i/b.png', 'b'));
    const before = JSON.stringify(storage.value);
    const writes = storage.writes;
    let changes = 0;
    h.onDidChange(() => changes++);
    storage.failGet = new Error('EIO');
    h.reload();
    assert.deepStrictEqual(keys(h), ['b', 'a'], 'a failed read does not empty the list');
    assert.ok(h.readError instanceof HistoryReadError);
    assert.strictEqual((h.readError as Error & { cause?: unknown }).cause, storage.failGet);
    const results = await Promise.allSettled([h.add(ok('/i/c.png', 'c')), h.remove(a.id), h.clear()]);
    for (const r of results) {
      assert.strictEqual(r.status, 'rejected');
      assert.ok((r as PromiseRejectedResult).reason instanceof HistoryReadError);
    }
    assert.strictEqual(storage.writes, writes);
    assert.strictEqual(JSON.stringify(storage.value), before);
    assert.deepStrictEqual(keys(h), ['b', 'a']);
    assert.strictEqual(changes, 0);
    assert.deepStrictEqual(errors, ['history read', 'history read', 'history read', 'history read']);
    storage.failGet = undefined;
    assert.deepStrictEqual((await h.add(ok('/i/c.png', 'c'))).imageKey, 'c');
    assert.strictEqual(h.readError, undefined);
    assert.deepStrictEqual(storage.stored.records.map((r) => r.imageKey), ['c', 'b', 'a']);
  });

  test('duplicates already in storage are collapsed on load (newest wins)', () => {
    const rec = (id: string, at: number, imageKey: string) => ({ ...ok('/i/a.png', imageKey), id, at });
    const h = new UploadHistory(new MemoryStorage({ version: 1, records: [rec('old', 1, 'k1'), rec('new', 2, 'k2')] }));
    assert.deepStrictEqual(
      h.list().map((r) => r.id),
      ['new'],
    );
  });

  test('add rejects a malformed record and leaves the history alone', async () => {
    const storage = new MemoryStorage();
    const h = new UploadHistory(storage);
    await assert.rejects(h.add({ ...ok('/i/a.png', 'k'), imageKey: undefined }), TypeError);
    await assert.rejects(h.add({ ...ok('/i/a.png', 'k'), imageType: 'file' as 'message' }), TypeError);
    assert.deepStrictEqual(h.list(), []);
    assert.strictEqual(storage.writes, 0);
  });

  test('concurrent adds are serialized (one write at a time) and none is lost', async () => {
    const storage = new MemoryStorage();
    storage.holding = true;
    const h = new UploadHistory(storage, 500, clock());
    const added = await oneWriteAtATime(
      storage,
      Array.from({ length: 20 }, (_, i) => h.add(ok(`/i/${i}.png`, `k${i}`))),
    );
    assert.strictEqual(storage.writes, 20);
    assert.strictEqual(h.list().length, 20);
    assert.strictEqual(storage.stored.records.length, 20);
    assert.deepStrictEqual(new Set(storage.stored.records.map((r) => r.id)), new Set(added.map((r) => r.id)));
    // newest (last called) first
    assert.strictEqual(h.list()[0].imageKey, 'k19');
  });

  test('concurrent add/remove/clear apply in call order', async () => {
    const storage = new MemoryStorage();
    const h = new UploadHistory(storage, 500, clock());
    const a = await h.add(ok('/i/a.png', 'a'));
    storage.holding = true;
    const [, removed, , cleared, d] = await oneWriteAtATime(storage, [
      h.add(ok('/i/b.png', 'b')),
      h.remove(a.id),
      h.add(ok('/i/c.png', 'c')),
      h.clear(),
      h.add(ok('/i/d.png', 'd')),
    ] as const);
    assert.strictEqual(removed?.id, a.id);
    assert.deepStrictEqual(
      cleared.map((r) => r.imageKey),
      ['c', 'b'],
    );
    assert.deepStrictEqual(keys(h), ['d']);
    assert.deepStrictEqual(
      storage.stored.records.map((r) => r.id),
      [d.id],
    );
  });

  test('a failed write rejects that call only; later writes go on', async () => {
    const storage = new MemoryStorage();
    const h = new UploadHistory(storage, 500, clock());
    storage.failNext = true;
    const p1 = h.add(ok('/i/a.png', 'a'));
    const p2 = h.add(ok('/i/b.png', 'b'));
    await assert.rejects(p1, /disk full/);
    await p2;
    assert.deepStrictEqual(
      storage.stored.records.map((r) => r.imageKey),
      ['b'],
    );
    assert.deepStrictEqual(keys(h), ['b']);
  });

  test('a failed write changes nothing: the list stays what is stored and nobody is notified', async () => {
    const storage = new MemoryStorage();
    const h = new UploadHistory(storage, 500, clock());
    const a = await h.add(ok('/i/a.png', 'a'));
    let changes = 0;
    h.onDidChange(() => changes++);
    for (const call of [() => h.add(ok('/i/b.png', 'b')), () => h.remove(a.id), () => h.clear()]) {
      storage.failNext = true;
      await assert.rejects(call(), /disk full/);
      assert.deepStrictEqual(keys(h), ['a']);
      assert.strictEqual(h.get(a.id), a);
    }
    assert.strictEqual(changes, 0);
  });

  test('writes merge with what another window stored meanwhile', async () => {
    const storage = new MemoryStorage();
    const mine = new UploadHistory(storage, 500, clock(1000));
    const theirs = new UploadHistory(storage, 500, clock(5000));
    await mine.add(ok('/i/a.png', 'a'));
    await theirs.add(ok('/i/b.png', 'b'));
    await mine.add(ok('/i/c.png', 'c'));
    assert.deepStrictEqual(
      storage.stored.records.map((r) => r.imageKey).sort(),
      ['a', 'b', 'c'],
    );
  });

  test('reload re-reads storage and notifies only when something changed', async () => {
    const storage = new MemoryStorage();
    const h = new UploadHistory(storage, 500, clock());
    const other = new UploadHistory(storage, 500, clock(2_000_000_000_000));
    let changes = 0;
    h.onDidChange(() => changes++);
    h.reload();
    assert.strictEqual(changes, 0);
    await other.add(ok('/i/x.png', 'x'));
    assert.deepStrictEqual(keys(h), []);
    h.reload();
    assert.strictEqual(changes, 1);
    assert.deepStrictEqual(keys(h), ['x']);
    h.reload();
    assert.strictEqual(changes, 1);
  });

  test('records keep their identity across unrelated changes; records are frozen', async () => {
    const h = new UploadHistory(new MemoryStorage(), 500, clock());
    const a = await h.add(ok('/i/a.png', 'a'));
    await h.add(ok('/i/b.png', 'b'));
    assert.strictEqual(h.get(a.id), a);
    assert.ok(Object.isFrozen(a));
  });

  test('onDidChange fires once per effective change and can be disposed', async () => {
    const h = new UploadHistory(new MemoryStorage(), 500, clock());
    const seen: number[] = [];
    const sub = h.onDidChange(() => seen.push(h.list().length));
    const a = await h.add(ok('/i/a.png', 'a'));
    await h.add(ok('/i/b.png', 'b'));
    await h.remove('nope');
    await h.remove(a.id);
    await h.clear();
    await h.clear();
    assert.deepStrictEqual(seen, [1, 2, 1, 0]);
    sub.dispose();
    await h.add(ok('/i/c.png', 'c'));
    assert.deepStrictEqual(seen, [1, 2, 1, 0]);
  });

  test('a throwing listener does not stop others or the write, and is reported', async () => {
    const storage = new MemoryStorage();
    const errors: [string, string][] = [];
    const h = new UploadHistory(storage, 500, clock(), (e, context) => errors.push([(e as Error).message, context]));
    let called = false;
    h.onDidChange(() => {
      throw new Error('listener bug');
    });
    h.onDidChange(() => (called = true));
    await h.add(ok('/i/a.png', 'a'));
    assert.ok(called);
    assert.strictEqual(storage.stored.records.length, 1);
    assert.deepStrictEqual(errors, [['listener bug', 'history listener']]);
  });

  test('an error handler that throws changes nothing', async () => {
    const storage = new MemoryStorage();
    const h = new UploadHistory(storage, 500, clock(), () => {
      throw new Error('handler bug');
    });
    let called = false;
    h.onDidChange(() => {
      throw new Error('listener bug');
    });
    h.onDidChange(() => (called = true));
    await h.add(ok('/i/a.png', 'a'));
    assert.ok(called);
    assert.deepStrictEqual(keys(h), ['a']);
    storage.failGet = new Error('EIO');
    h.reload();
    assert.ok(h.readError);
    await assert.rejects(h.add(ok('/i/b.png', 'b')), HistoryReadError);
  });

  test('HistoryReadError says what failed, for Error and non-Error causes alike', () => {
    for (const [thrown, shown] of [
      [new Error('EIO'), 'EIO'],
      ['locked', 'locked'],
    ] as const) {
      const h = new UploadHistory({
        get: () => {
          throw thrown;
        },
        set: () => undefined,
      });
      const err = h.readError;
      assert.ok(err instanceof HistoryReadError && err instanceof Error);
      assert.strictEqual(err.name, 'HistoryReadError');
      assert.strictEqual(err.message, `The upload history could not be read (${shown}); it was left unchanged.`);
      assert.strictEqual(err.cause, thrown);
    }
  });

  test('a stored object whose getter throws is a failed read too', async () => {
    const hostile = {
      version: 1,
      get records(): unknown {
        throw new Error('hostile getter');
      },
    };
    const storage: HistoryStorage & { writes: number } = { writes: 0, get: () => hostile, set: () => void storage.writes++ };
    const h = new UploadHistory(storage);
    assert.ok(h.readError instanceof HistoryReadError);
    await assert.rejects(h.add(ok('/i/a.png', 'a')), HistoryReadError);
    assert.strictEqual(storage.writes, 0);
  });

  test('limit: 1 keeps one, a fraction is floored', async () => {
    const many = Array.from({ length: 5 }, (_, i) => ({ ...ok(`/i/${i}.png`, `k${i}`), id: `id${i}`, at: 10 - i }));
    assert.deepStrictEqual(keys(new UploadHistory(new MemoryStorage({ version: 1, records: many }), 1)), ['k0']);
    assert.deepStrictEqual(keys(new UploadHistory(new MemoryStorage({ version: 1, records: many }), 2.9)), ['k0', 'k1']);
  });

  test('records with the same time keep their stored order', () => {
    const records = ['x', 'y', 'z'].map((k) => ({ ...ok(`/i/${k}.png`, k), id: k, at: 7 }));
    assert.deepStrictEqual(keys(new UploadHistory(new MemoryStorage({ version: 1, records }))), ['x', 'y', 'z']);
    assert.deepStrictEqual(keys(new UploadHistory(new MemoryStorage({ version: 1, records: [...records].reverse() }))), ['z', 'y', 'x']);
  });

  test('empty strings and non-finite numbers are not values', () => {
    const base = { id: 'r', fileName: 'r.png', imageType: 'message', baseUrl: BASE };
    const h = new UploadHistory(
      new MemoryStorage({
        version: 1,
        records: [
          { ...base, id: 'emptyKey', ok: true, imageKey: '', at: 9 },
          { ...base, id: 'infAt', ok: true, imageKey: 'k', at: Infinity },
          { ...base, id: 'f', ok: false, at: 1, filePath: '', message: '', logId: '', appId: '', format: '', code: NaN, width: Infinity, size: 0 },
        ],
      }),
    );
    assert.deepStrictEqual(
      h.list().map((r) => r.id),
      ['f'],
    );
    assert.deepStrictEqual(h.get('f'), { ...base, id: 'f', ok: false, at: 1, size: 0 });
  });

  test('findByKey finds successes only; clear of an empty history writes nothing', async () => {
    const storage = new MemoryStorage();
    const h = new UploadHistory(storage, 500, clock());
    assert.deepStrictEqual(await h.clear(), []);
    assert.strictEqual(storage.writes, 0);
    await h.add({ ...failed('/i/a.png', 1), imageKey: 'img_v2_x' });
    assert.strictEqual(h.findByKey('img_v2_x'), undefined);
    const good = await h.add(ok('/i/b.png', 'img_v2_x'));
    assert.strictEqual(h.findByKey('img_v2_x')?.id, good.id);
  });

  test('the same listener subscribed twice is called twice; each subscription disposes on its own', async () => {
    const h = new UploadHistory(new MemoryStorage(), 500, clock());
    let calls = 0;
    const listener = (): void => void calls++;
    const first = h.onDidChange(listener);
    h.onDidChange(listener);
    await h.add(ok('/i/a.png', 'a'));
    assert.strictEqual(calls, 2);
    first.dispose();
    await h.add(ok('/i/b.png', 'b'));
    assert.strictEqual(calls, 3);
  });

  test('isUploadRecord narrows command arguments', async () => {
    const h = new UploadHistory(new MemoryStorage());
    const a = await h.add(ok('/i/a.png', 'a'));
    assert.ok(isUploadRecord(a));
    for (const x of [undefined, null, 'a', { id: 'x' }, [a], { ...a, ok: 'yes' }]) assert.strictEqual(isUploadRecord(x), false);
  });
});

suite('UploadHistory: keys that dedupe answered (reused)', () => {
  const base = { imageType: 'message' as const, baseUrl: 'https://open.larksuite.com', appId: 'cli_a' };

  test('reused and uploadedAt survive storage; reused only on ok entries, uploadedAt only as a finite number', async () => {
    const storage = new MemoryStorage();
    let t = 1000;
    const history = new UploadHistory(storage, 500, () => (t += 10));
    await history.add({ ...base, filePath: '/a.png', fileName: 'a.png', ok: true, imageKey: 'img_v2_a', reused: true, uploadedAt: 500, logId: 'LOG_A' });
    await history.add({ ...base, filePath: '/b.png', fileName: 'b.png', ok: false, code: 234011, message: 'x', reused: true } as never);
    const fresh = new UploadHistory(storage);
    const a = fresh.list().find((r) => r.fileName === 'a.png');
    assert.deepStrictEqual([a?.reused, a?.uploadedAt, a?.logId, a?.at], [true, 500, 'LOG_A', 1010]);
    assert.strictEqual(fresh.list().find((r) => r.fileName === 'b.png')?.reused, undefined, 'a failure is never "reused"');

    const odd = new UploadHistory(
      new MemoryStorage({ version: 1, records: [{ id: 'x', fileName: 'x.png', ok: true, imageKey: 'img_v2_x', imageType: 'message', at: 5, baseUrl: 'b', reused: 'yes', uploadedAt: Infinity }] }),
    );
    const x = odd.list()[0];
    assert.ok(x, 'the entry is kept');
    assert.strictEqual(x.reused, undefined);
    assert.strictEqual(x.uploadedAt, undefined);
  });

  test('originOf: the log_id and time of the upload that made the key, also through an entry that reused it', async () => {
    let t = 10_000;
    const history = new UploadHistory(new MemoryStorage(), 500, () => (t += 1000));
    assert.deepStrictEqual(history.originOf('img_v2_k'), {}, 'nobody holds the key');
    const first = await history.add({ ...base, filePath: '/one.png', fileName: 'one.png', ok: true, imageKey: 'img_v2_k', logId: 'LOG_1' });
    assert.deepStrictEqual(history.originOf('img_v2_k'), { logId: 'LOG_1', uploadedAt: first.at });
    await history.add({ ...base, filePath: '/two.png', fileName: 'two.png', ok: true, imageKey: 'img_v2_k', reused: true, ...history.originOf('img_v2_k') });
    await history.remove(first.id); // the original entry is gone; the reused one still knows
    assert.deepStrictEqual(history.originOf('img_v2_k'), { logId: 'LOG_1', uploadedAt: first.at });
    await history.add({ ...base, filePath: '/three.png', fileName: 'three.png', ok: true, imageKey: 'img_v2_n', reused: true });
    assert.deepStrictEqual(history.originOf('img_v2_n'), {}, 'a reused entry that does not know its origin gives nothing');
  });
});
