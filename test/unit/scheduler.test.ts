import * as assert from 'assert';
import { RateLimiter, UploadScheduler, retryDelayMs, shouldRetry, DEFAULT_RETRY, MAX_GUARD_MS, type Clock } from '../../src/core/scheduler';
import { UploadError } from '../../src/core/larkErrors';
import { LocalCode } from '../../src/core/types';

/** A clock whose sleeps advance virtual time instantly (enough for sequential limiter use). */
function virtualClock(): Clock & { slept: number[] } {
  let t = 1_000_000;
  const slept: number[] = [];
  return {
    slept,
    now: () => t,
    sleep: async (ms) => {
      slept.push(ms);
      t += Math.max(0, ms);
    },
  };
}

const fast = { baseDelayMs: 1, maxDelayMs: 5 };

suite('core/scheduler: RateLimiter', () => {
  test('never lets more than 50 starts into any 1 s window, nor 1000 into any minute', async () => {
    const clock = virtualClock();
    const limiter = new RateLimiter(50, 1000, clock);
    const starts: number[] = [];
    for (let i = 0; i < 1100; i++) {
      await limiter.acquire();
      starts.push(clock.now());
    }
    for (let i = 50; i < starts.length; i++) assert.ok(starts[i] - starts[i - 50] >= 1000, `start ${i} breaks 50/s`);
    for (let i = 1000; i < starts.length; i++) assert.ok(starts[i] - starts[i - 1000] >= 60_000, `start ${i} breaks 1000/min`);
    // And it is not needlessly slow: the first 1000 take under 20 s of virtual time.
    assert.ok(starts[999] - starts[0] < 20_000, `1000 starts took ${starts[999] - starts[0]} ms`);
    // The 1001st waits for the minute window.
    assert.ok(starts[1000] - starts[0] >= 60_000);
  });

  test('pauseFor holds every caller until the gateway reset', async () => {
    const clock = virtualClock();
    const limiter = new RateLimiter(50, 1000, clock);
    await limiter.acquire();
    const before = clock.now();
    limiter.pauseFor(3000);
    await limiter.acquire();
    assert.ok(clock.now() - before >= 3000);
  });

  test('a 429 widens the guard (doubling, bounded), so later windows allow for more jitter', async () => {
    const clock = virtualClock();
    const limiter = new RateLimiter(50, 1000, clock, 25);
    limiter.widenGuard();
    assert.strictEqual(limiter.guardMs, 50);
    for (let i = 0; i < 10; i++) limiter.widenGuard();
    assert.strictEqual(limiter.guardMs, MAX_GUARD_MS);
    const starts: number[] = [];
    for (let i = 0; i < 101; i++) {
      await limiter.acquire();
      starts.push(clock.now());
    }
    assert.ok(starts[50] - starts[0] >= 1000 + MAX_GUARD_MS);
  });

  test('a cancelled waiter rejects with 9104 and does not block the queue', async () => {
    const limiter = new RateLimiter(1, 1000);
    await limiter.acquire();
    const ac = new AbortController();
    const waiting = limiter.acquire(ac.signal);
    ac.abort();
    await assert.rejects(waiting, (e: unknown) => e instanceof UploadError && e.code === LocalCode.Cancelled);
  });
});

suite('core/scheduler: retry policy', () => {
  test('shouldRetry: transient yes, permanent no', () => {
    assert.strictEqual(shouldRetry(new UploadError(232096, 'meta writing stopped', { httpStatus: 400 })), true);
    assert.strictEqual(shouldRetry(new UploadError(99991400, 'rate limited', { httpStatus: 429 })), true);
    assert.strictEqual(shouldRetry(new UploadError(LocalCode.BadResponse, 'html', { httpStatus: 502 })), true);
    assert.strictEqual(shouldRetry(new UploadError(LocalCode.BadResponse, 'html', { httpStatus: 400 })), false);
    assert.strictEqual(shouldRetry(new UploadError(LocalCode.NetworkError, 'reset')), true);
    assert.strictEqual(shouldRetry(new UploadError(LocalCode.Timeout, 'slow')), true);
    assert.strictEqual(shouldRetry(new UploadError(234007, 'no bot', { httpStatus: 400 })), false);
    assert.strictEqual(shouldRetry(new UploadError(234039, 'too big', { httpStatus: 400 })), false);
    assert.strictEqual(shouldRetry(new UploadError(LocalCode.Cancelled, 'cancelled')), false);
    assert.strictEqual(shouldRetry(new Error('plain')), false);
  });

  test('backoff grows with the attempt, stays under the cap, and honours retryAfterMs', () => {
    const policy = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000 };
    const err = new UploadError(LocalCode.NetworkError, 'x');
    assert.strictEqual(retryDelayMs(err, 1, policy, () => 1), 100);
    assert.strictEqual(retryDelayMs(err, 3, policy, () => 1), 400);
    assert.strictEqual(retryDelayMs(err, 10, policy, () => 1), 1000);
    assert.strictEqual(retryDelayMs(err, 3, policy, () => 0), 0);
    const limited = new UploadError(99991400, 'rl', { httpStatus: 429, retryAfterMs: 2000 });
    assert.ok(retryDelayMs(limited, 1, policy, () => 0.5) >= 2000);
  });
});

suite('core/scheduler: UploadScheduler', () => {
  test('returns outcomes in input order and respects the concurrency bound', async () => {
    const scheduler = new UploadScheduler({ concurrency: 3, limiter: new RateLimiter(1000, 100000) });
    let running = 0;
    let peak = 0;
    const jobs = Array.from({ length: 12 }, (_, i) => async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, (12 - i) * 2));
      running--;
      return i * 10;
    });
    const out = await scheduler.run(jobs);
    assert.deepStrictEqual(out.map((o) => (o.ok ? o.value : -1)), jobs.map((_, i) => i * 10));
    assert.strictEqual(peak, 3);
  });

  test('retries a transient failure and reports the attempts', async () => {
    const scheduler = new UploadScheduler({ limiter: new RateLimiter(1000, 100000), retry: fast });
    let calls = 0;
    const [o] = await scheduler.run([
      async () => {
        calls++;
        if (calls < 3) throw new UploadError(232096, 'Meta writing has stopped', { httpStatus: 400 });
        return 'img_v2_ok';
      },
    ]);
    assert.ok(o.ok);
    assert.strictEqual(o.attempts, 3);
  });

  test('a permanent error is not retried (no retry storm)', async () => {
    const scheduler = new UploadScheduler({ limiter: new RateLimiter(1000, 100000), retry: fast });
    let calls = 0;
    const out = await scheduler.run(
      Array.from({ length: 5 }, () => async () => {
        calls++;
        throw new UploadError(234007, 'App does not enable bot feature', { httpStatus: 400 });
      }),
    );
    assert.strictEqual(calls, 5);
    assert.ok(out.every((o) => !o.ok && o.error.code === 234007 && o.attempts === 1));
  });

  test('attempts are bounded', async () => {
    const scheduler = new UploadScheduler({ limiter: new RateLimiter(1000, 100000), retry: { ...fast, maxAttempts: 4 } });
    let calls = 0;
    const [o] = await scheduler.run([
      async () => {
        calls++;
        throw new UploadError(LocalCode.NetworkError, 'ECONNRESET');
      },
    ]);
    assert.strictEqual(calls, 4);
    assert.ok(!o.ok && o.attempts === 4 && o.error.code === LocalCode.NetworkError);
  });

  test('cancel keeps finished results, reports the rest as cancelled and starts nothing new', async () => {
    const scheduler = new UploadScheduler({ concurrency: 2, limiter: new RateLimiter(1000, 100000) });
    const ac = new AbortController();
    let started = 0;
    const jobs = Array.from({ length: 10 }, (_, i) => ({ signal }: { signal: AbortSignal }) => {
      started++;
      return new Promise<number>((resolve, reject) => {
        const t = setTimeout(() => resolve(i), 20);
        signal.addEventListener('abort', () => {
          clearTimeout(t);
          reject(new UploadError(LocalCode.Cancelled, 'Cancelled.'));
        });
      });
    });
    let settled = 0;
    const out = await scheduler.run(jobs, {
      signal: ac.signal,
      onSettled: () => {
        if (++settled === 4) ac.abort();
      },
    });
    const ok = out.filter((o) => o.ok);
    assert.ok(ok.length >= 4, `kept ${ok.length}`);
    assert.ok(out.slice(0, 4).every((o) => o.ok));
    assert.ok(out.filter((o) => !o.ok).every((o) => !o.ok && o.error.code === LocalCode.Cancelled));
    assert.ok(started <= 6, `started ${started} jobs after a cancel at 4`);
    assert.strictEqual(out.length, 10);
  });
});
