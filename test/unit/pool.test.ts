// The bounded worker pool, driven by hand: every call returns a promise the test settles, so
// what is in flight at each moment is known exactly (no timers).
import * as assert from 'assert';
import { createLimit, createPermits, mapPool, mapPoolInOrder } from '../../src/core/pool';

interface Call {
  item: string;
  index: number;
  resolve(value: string): void;
  reject(error: unknown): void;
}

/** An fn for mapPool whose calls wait for the test; `running` is what has started and not settled. */
function manual() {
  const calls: Call[] = [];
  const running = new Set<Call>();
  let maxRunning = 0;
  const fn = (item: string, index: number): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      const call: Call = {
        item,
        index,
        resolve: (v) => {
          running.delete(call);
          resolve(v);
        },
        reject: (e) => {
          running.delete(call);
          reject(e);
        },
      };
      calls.push(call);
      running.add(call);
      maxRunning = Math.max(maxRunning, running.size);
    });
  return { calls, running, fn, maxRunning: () => maxRunning };
}

/** Lets every pending promise callback run (the pool starts the next call in a microtask). */
const settled = (): Promise<void> => new Promise((r) => setImmediate(r));

const ITEMS = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];

suite('core/pool: mapPool', () => {
  test('at most `limit` calls in flight, started in input order, each with its index', async () => {
    const m = manual();
    const pool = mapPool(ITEMS, 3, m.fn);
    await settled();
    assert.deepStrictEqual(m.calls.map((c) => c.item), ['a', 'b', 'c']);
    // finishing one starts exactly one more, the next in input order
    m.calls[1].resolve('B');
    await settled();
    assert.deepStrictEqual(m.calls.map((c) => c.item), ['a', 'b', 'c', 'd']);
    assert.strictEqual(m.running.size, 3);
    while (m.running.size) {
      for (const c of [...m.running]) c.resolve(c.item.toUpperCase());
      await settled();
    }
    assert.deepStrictEqual(await pool, ['A', 'B', 'C', 'D', 'E', 'F', 'G']);
    assert.strictEqual(m.maxRunning(), 3);
    assert.deepStrictEqual(m.calls.map((c) => c.index), [0, 1, 2, 3, 4, 5, 6]);
    assert.deepStrictEqual(m.calls.map((c) => c.item), ITEMS);
  });

  test('results are in input order whatever order the calls finish in', async () => {
    const m = manual();
    const pool = mapPool(ITEMS, 4, m.fn);
    await settled();
    // always finish the newest running call first
    while (m.running.size) {
      const newest = [...m.running].pop()!;
      newest.resolve(`${newest.item}${newest.index}`);
      await settled();
    }
    assert.deepStrictEqual(await pool, ['a0', 'b1', 'c2', 'd3', 'e4', 'f5', 'g6']);
  });

  for (const [limit, lanes] of [
    [1, 1],
    [2.9, 2],
    [0, 1],
    [-3, 1],
    [NaN, 1],
    [7, 7],
    [100, 7],
    [Infinity, 7],
  ] as const) {
    test(`limit ${limit} runs ${lanes} at once`, async () => {
      const m = manual();
      const pool = mapPool(ITEMS, limit, m.fn);
      await settled();
      assert.strictEqual(m.running.size, lanes);
      while (m.running.size) {
        for (const c of [...m.running]) c.resolve(c.item);
        await settled();
      }
      assert.deepStrictEqual(await pool, ITEMS);
      assert.strictEqual(m.maxRunning(), lanes);
    });
  }

  test('no items: resolves [] without calling fn', async () => {
    let calls = 0;
    assert.deepStrictEqual(
      await mapPool([], 4, async () => {
        calls++;
      }),
      [],
    );
    assert.strictEqual(calls, 0);
  });

  test('a rejection: no further call starts, the calls running finish, then the first error', async () => {
    const m = manual();
    const pool = mapPool(ITEMS, 3, m.fn);
    let outcome: string | undefined;
    pool.then(
      () => (outcome = 'resolved'),
      (e: Error) => (outcome = e.message),
    );
    await settled();
    m.calls[1].reject(new Error('first'));
    await settled();
    assert.deepStrictEqual(m.calls.map((c) => c.item), ['a', 'b', 'c'], 'nothing new starts after a failure');
    assert.strictEqual(outcome, undefined, 'still waiting for a and c');
    m.calls[2].reject(new Error('second'));
    await settled();
    assert.strictEqual(outcome, undefined, 'still waiting for a');
    m.calls[0].resolve('A');
    await settled();
    assert.strictEqual(outcome, 'first');
    assert.strictEqual(m.calls.length, 3);
  });

  test('a call that throws synchronously rejects the pool like a rejection', async () => {
    await assert.rejects(
      mapPool([1, 2, 3], 2, (n) => {
        if (n === 2) throw new Error('sync');
        return Promise.resolve(n);
      }),
      /sync/,
    );
  });
});

suite('core/pool: mapPoolInOrder', () => {
  test('each result is handed over in input order as soon as every earlier one is known', async () => {
    const m = manual();
    const handed: string[] = [];
    let finished = false;
    const pool = mapPoolInOrder(ITEMS, 3, m.fn, (r, i) => handed.push(`${i}:${r}`)).then(() => (finished = true));
    await settled();
    m.calls[2].resolve('C'); // c is ready, a and b are not: nothing handed over yet
    await settled();
    assert.deepStrictEqual(handed, []);
    assert.deepStrictEqual(m.calls.map((c) => c.item), ['a', 'b', 'c', 'd'], 'a finished call frees its lane at once');
    m.calls[0].resolve('A');
    await settled();
    assert.deepStrictEqual(handed, ['0:A']);
    m.calls[1].resolve('B'); // b releases b and the waiting c
    await settled();
    assert.deepStrictEqual(handed, ['0:A', '1:B', '2:C']);
    while (m.running.size) {
      const newest = [...m.running].pop()!;
      newest.resolve(newest.item.toUpperCase());
      await settled();
    }
    await pool;
    assert.ok(finished);
    assert.deepStrictEqual(handed, ['0:A', '1:B', '2:C', '3:D', '4:E', '5:F', '6:G']);
    assert.strictEqual(m.maxRunning(), 3);
  });

  test('resolves only after the last result was handed over; an onResult that throws rejects it', async () => {
    const handed: number[] = [];
    await mapPoolInOrder([1, 2, 3], 2, async (n) => n * 10, (r) => handed.push(r));
    assert.deepStrictEqual(handed, [10, 20, 30]);
    await assert.rejects(
      mapPoolInOrder([1, 2, 3], 2, async (n) => n, (r) => {
        if (r === 2) throw new Error('consumer');
      }),
      /consumer/,
    );
    await assert.rejects(mapPoolInOrder([1], 1, () => Promise.reject(new Error('fn')), () => undefined), /fn/);
  });
});

suite('core/pool: createLimit', () => {
  test('at most `limit` at once; the others start in arrival order as slots free up; results and errors are each call\'s own', async () => {
    const limit = createLimit(2);
    const m = manual();
    const results: string[] = [];
    const calls = ITEMS.slice(0, 5).map((item, i) =>
      limit(() => m.fn(item, i)).then(
        (r) => void results.push(r),
        (e: Error) => void results.push(`error ${e.message}`),
      ),
    );
    await settled();
    assert.deepStrictEqual(m.calls.map((c) => c.item), ['a', 'b']);
    m.calls[1].reject(new Error('b failed'));
    await settled();
    assert.deepStrictEqual(m.calls.map((c) => c.item), ['a', 'b', 'c'], 'a failure frees its slot too');
    m.calls[0].resolve('A');
    m.calls[2].resolve('C');
    await settled();
    assert.deepStrictEqual(m.calls.map((c) => c.item), ['a', 'b', 'c', 'd', 'e']);
    assert.strictEqual(m.running.size, 2);
    m.calls[4].resolve('E');
    m.calls[3].resolve('D');
    await Promise.all(calls);
    assert.deepStrictEqual(results, ['error b failed', 'A', 'C', 'E', 'D']);
    assert.strictEqual(m.maxRunning(), 2);
    // all slots free again: the next two start at once
    const again = manual();
    const more = [limit(() => again.fn('x', 0)), limit(() => again.fn('y', 1))];
    await settled();
    assert.strictEqual(again.running.size, 2);
    for (const c of again.calls) c.resolve(c.item);
    assert.deepStrictEqual(await Promise.all(more), ['x', 'y']);
  });

  for (const [limit, lanes] of [
    [0, 1],
    [NaN, 1],
    [2.9, 2],
  ] as const) {
    test(`limit ${limit} runs ${lanes} at once`, async () => {
      const gate = createLimit(limit);
      const m = manual();
      const all = ITEMS.map((item, i) => gate(() => m.fn(item, i)));
      await settled();
      assert.strictEqual(m.running.size, lanes);
      while (m.running.size) {
        for (const c of [...m.running]) c.resolve(c.item);
        await settled();
      }
      assert.deepStrictEqual(await Promise.all(all), ITEMS);
      assert.strictEqual(m.maxRunning(), lanes);
    });
  }

  test('a call that throws synchronously rejects with its error and frees its slot', async () => {
    const gate = createLimit(1);
    await assert.rejects(
      gate(() => {
        throw new Error('sync');
      }),
      /sync/,
    );
    assert.strictEqual(await gate(async () => 'next'), 'next');
  });
});

suite('core/pool: createPermits', () => {
  test('`limit` acquire at once; the rest wait in order; each release serves the first waiter, then frees a permit', async () => {
    const permits = createPermits(2);
    const got: string[] = [];
    const ask = (name: string): Promise<void> => permits.acquire().then(() => void got.push(name));
    void ask('a');
    void ask('b');
    void ask('c');
    void ask('d');
    await settled();
    assert.deepStrictEqual(got, ['a', 'b']);
    permits.release();
    await settled();
    assert.deepStrictEqual(got, ['a', 'b', 'c']);
    permits.release();
    permits.release(); // nobody waits after d: one permit is free again
    await settled();
    assert.deepStrictEqual(got, ['a', 'b', 'c', 'd']);
    void ask('e');
    void ask('f');
    await settled();
    assert.deepStrictEqual(got, ['a', 'b', 'c', 'd', 'e'], 'one free permit: e gets it, f waits');
    permits.release();
    await settled();
    assert.deepStrictEqual(got, ['a', 'b', 'c', 'd', 'e', 'f']);
  });
});
