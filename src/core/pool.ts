// One bounded worker pool for the core: validation, hashing and the upload scheduler each run
// many async calls with at most N in flight.

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
