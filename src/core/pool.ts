// Bounded worker pools for the core: validation, hashing and the uploads each run many async
// calls with at most N in flight.

/**
 * Like `Promise.all(items.map(fn))` with at most `limit` calls in flight, started in input
 * order; results in input order. `limit` is floored; below 1 (or NaN) means 1, Infinity means
 * all at once. After a call rejects no further call starts, and the pool rejects with that
 * first error once the calls already running have settled (nothing is left running behind it).
 */
export async function mapPool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (!failure && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index], index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const lanes = Math.min(items.length, Math.max(1, Math.floor(limit) || 1));
  await Promise.all(Array.from({ length: lanes }, lane));
  if (failure) throw failure.error;
  return results;
}

/**
 * mapPool that hands each result to `onResult` in input order, as soon as it and every earlier
 * result are known (result 3 waits for 0–2; 0 never waits for 3). Resolves once every result was
 * handed over; rejects like mapPool, and when `onResult` throws.
 */
export async function mapPoolInOrder<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  onResult: (result: R, index: number) => void,
): Promise<void> {
  const ready = new Map<number, R>();
  let next = 0;
  await mapPool(items, limit, async (item, index) => {
    ready.set(index, await fn(item, index));
    while (ready.has(next)) {
      const result = ready.get(next) as R;
      ready.delete(next);
      onResult(result, next++);
    }
  });
}

/**
 * `limit` permits (floored, at least 1): `acquire` resolves when one is free, waiters are served in
 * the order they asked; `release` gives one back (to the first waiter, if any).
 */
export function createPermits(limit: number): { acquire(): Promise<void>; release(): void } {
  const max = Math.max(1, Math.floor(limit) || 1);
  const waiting: (() => void)[] = [];
  let taken = 0;
  return {
    acquire: async () => {
      if (taken < max) taken++;
      else await new Promise<void>((take) => waiting.push(take));
    },
    release: () => {
      const take = waiting.shift();
      if (take) take();
      else taken--;
    },
  };
}

/**
 * A gate for calls that arrive over time: at most `limit` run at once (floored, at least 1), the
 * others wait and start in the order they arrived. Each call's own result or error is returned.
 */
export function createLimit(limit: number): <R>(fn: () => Promise<R>) => Promise<R> {
  const permits = createPermits(limit);
  return async <R>(fn: () => Promise<R>): Promise<R> => {
    await permits.acquire();
    try {
      return await fn();
    } finally {
      permits.release();
    }
  };
}
