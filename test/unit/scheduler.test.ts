import * as assert from 'assert';
import { RateLimiter, UploadScheduler, retryDelayMs, shouldRetry, realClock, DEFAULT_RETRY, DEFAULT_CONCURRENCY, DEFAULT_GUARD_MS, MAX_GUARD_MS, type Clock, type Job } from '../../src/core/scheduler';
import { ManualClock, drive } from '../support/manualClock';
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

suite('core/scheduler: UploadScheduler on a manual clock', () => {
  const always = (): boolean => true; // jobs here wait only on the manual clock

  test('after a 429 nothing new starts before x-ogw-ratelimit-reset, though workers are free', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(50, 1000, clock);
    const scheduler = new UploadScheduler({ concurrency: 2, limiter, clock, random: () => 0 });
    const t0 = clock.now();
    const sent: { job: number; at: number }[] = [];
    let limitedOnce = false;
    const jobs: Job<number>[] = Array.from({ length: 5 }, (_, i) => async ({ acquire }) => {
      if (i > 0) await clock.sleep(10); // preparing (reading a file) takes a little time
      await acquire();
      sent.push({ job: i, at: clock.now() - t0 });
      if (i === 0 && !limitedOnce) {
        limitedOnce = true;
        throw new UploadError(99991400, 'request trigger frequency limit', { httpStatus: 429, retryAfterMs: 3000 });
      }
      return i;
    });
    const out = await drive(clock, scheduler.run(jobs), always);
    assert.deepStrictEqual(out.map((o) => o.ok && o.value), [0, 1, 2, 3, 4]);
    // The 429 came at t0: job 1 (ready at t0 + 10) and every later start wait for t0 + 3000.
    assert.deepStrictEqual(sent, [
      { job: 0, at: 0 },
      { job: 1, at: 3000 },
      { job: 0, at: 3000 },
      { job: 2, at: 3010 },
      { job: 3, at: 3010 },
      { job: 4, at: 3020 },
    ]);
    assert.strictEqual(limiter.guardMs, 50, 'the 429 widened the guard');
  });

  test('a 429 without a reset header still widens the guard and is retried with backoff', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(50, 1000, clock);
    const delays: number[] = [];
    const scheduler = new UploadScheduler({ limiter, clock, random: () => 1, retry: { baseDelayMs: 100 }, onRetry: (_i, _a, d) => delays.push(d) });
    let calls = 0;
    const out = await drive(
      clock,
      scheduler.run([
        async ({ acquire }) => {
          await acquire();
          if (++calls < 3) throw new UploadError(99991400, 'limited', { httpStatus: 429 });
          return 'ok';
        },
      ]),
      always,
    );
    assert.ok(out[0].ok && out[0].attempts === 3);
    assert.deepStrictEqual(delays, [100, 200]);
    assert.strictEqual(limiter.guardMs, 100);
  });

  test('onRetry gets the job index, the attempt and the delay actually waited', async () => {
    const clock = new ManualClock();
    const seen: string[] = [];
    const scheduler = new UploadScheduler({
      limiter: new RateLimiter(1000, 100000, clock),
      clock,
      random: () => 0.5,
      retry: { baseDelayMs: 100, maxDelayMs: 1000 },
      onRetry: (i, attempt, delay, err) => seen.push(`${i}/${attempt}/${delay}/${err.code}`),
    });
    let n = 0;
    const t0 = clock.now();
    const out = await drive(
      clock,
      scheduler.run([
        async () => -1,
        async () => {
          if (++n < 3) throw new UploadError(LocalCode.NetworkError, 'ECONNRESET');
          return clock.now() - t0;
        },
      ]),
      always,
    );
    assert.deepStrictEqual(seen, ['1/1/50/9101', '1/2/100/9101']);
    assert.ok(out[1].ok && out[1].value === 150);
  });

  test('cancel during a retry wait: 9104 with the attempts made, and no further attempt', async () => {
    const clock = new ManualClock();
    const ac = new AbortController();
    const scheduler = new UploadScheduler({ limiter: new RateLimiter(1000, 100000, clock), clock, random: () => 1, retry: { baseDelayMs: 1000 }, onRetry: () => ac.abort() });
    let calls = 0;
    const [o] = await drive(
      clock,
      scheduler.run(
        [
          async () => {
            calls++;
            throw new UploadError(232096, 'meta writing stopped', { httpStatus: 400 });
          },
        ],
        { signal: ac.signal },
      ),
      always,
    );
    assert.ok(!o.ok && o.error.code === LocalCode.Cancelled && o.attempts === 1, JSON.stringify(o));
    assert.strictEqual(calls, 1);
  });

  test('an abort that makes a job fail reads as cancelled; a real verdict during the abort stays', async () => {
    const ac = new AbortController();
    const scheduler = new UploadScheduler({ limiter: new RateLimiter(1000, 100000) });
    const out = await scheduler.run(
      [
        async () => {
          ac.abort();
          throw new UploadError(LocalCode.NetworkError, 'socket closed by the abort');
        },
        async () => {
          throw new UploadError(234011, 'bad format', { httpStatus: 400 });
        },
      ],
      { signal: ac.signal },
    );
    assert.ok(!out[0].ok && out[0].error.code === LocalCode.Cancelled && out[0].attempts === 1);
    // the second job never started: cancelled without an attempt
    assert.ok(!out[1].ok && out[1].error.code === LocalCode.Cancelled && out[1].attempts === 0);
    const ac2 = new AbortController();
    const verdict = await new UploadScheduler({ limiter: new RateLimiter(1000, 100000) }).run(
      [
        async () => {
          const e = new UploadError(234011, 'bad format', { httpStatus: 400 });
          ac2.abort();
          throw e;
        },
      ],
      { signal: ac2.signal },
    );
    assert.ok(!verdict[0].ok && verdict[0].error.code === 234011 && verdict[0].attempts === 1);
  });

  test('a plain Error from a job becomes 9101 with its message; after an abort it is 9104', async () => {
    const scheduler = new UploadScheduler({ limiter: new RateLimiter(1000, 100000), retry: { maxAttempts: 1 } });
    const [o] = await scheduler.run([async () => Promise.reject(new Error('EPIPE somewhere'))]);
    assert.ok(!o.ok && o.error.code === LocalCode.NetworkError && o.error.message === 'EPIPE somewhere');
    assert.ok(!o.ok && o.error.cause instanceof Error && o.error.cause.message === 'EPIPE somewhere');
    const [s] = await scheduler.run([async () => Promise.reject('a string')]);
    assert.ok(!s.ok && s.error.code === LocalCode.NetworkError && s.error.message === 'a string');
    const ac = new AbortController();
    const [c] = await scheduler.run(
      [
        async () => {
          ac.abort();
          throw new Error('aborted');
        },
      ],
      { signal: ac.signal },
    );
    assert.ok(!c.ok && c.error.code === LocalCode.Cancelled);
  });

  test('concurrency: default 16, clamped to 1..64, fractions floored', () => {
    assert.strictEqual(new UploadScheduler().concurrency, DEFAULT_CONCURRENCY);
    assert.strictEqual(DEFAULT_CONCURRENCY, 16);
    assert.strictEqual(new UploadScheduler({ concurrency: 0 }).concurrency, 1);
    assert.strictEqual(new UploadScheduler({ concurrency: 500 }).concurrency, 64);
    assert.strictEqual(new UploadScheduler({ concurrency: 64 }).concurrency, 64);
    assert.strictEqual(new UploadScheduler({ concurrency: 3.9 }).concurrency, 3);
  });

  test('default retry policy: 5 attempts, 500 ms base, 20 s cap', async () => {
    assert.deepStrictEqual(DEFAULT_RETRY, { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 20_000 });
    const clock = new ManualClock();
    const delays: number[] = [];
    const scheduler = new UploadScheduler({ limiter: new RateLimiter(1000, 100000, clock), clock, random: () => 1, onRetry: (_i, _a, d) => delays.push(d) });
    const [o] = await drive(clock, scheduler.run([async () => Promise.reject(new UploadError(LocalCode.Timeout, 'slow'))]), always);
    assert.ok(!o.ok && o.attempts === 5);
    assert.deepStrictEqual(delays, [500, 1000, 2000, 4000]);
  });

  test('no jobs: no outcomes, no workers', async () => {
    assert.deepStrictEqual(await new UploadScheduler().run([]), []);
  });

  test('onSettled reports each outcome with its index as it finishes', async () => {
    const clock = new ManualClock();
    const settled: string[] = [];
    const scheduler = new UploadScheduler({ concurrency: 3, limiter: new RateLimiter(1000, 100000, clock), clock });
    await drive(
      clock,
      scheduler.run(
        [30, 10, 20].map((ms, i) => async () => {
          await clock.sleep(ms);
          return i;
        }),
        { onSettled: (i, o) => settled.push(`${i}:${o.ok && o.value}`) },
      ),
      always,
    );
    assert.deepStrictEqual(settled, ['1:1', '2:2', '0:0']);
  });
});

suite('core/scheduler: the limiter on a manual clock', () => {
  test('the 51st start waits exactly 1000 ms + the guard; the guard default is 25 ms', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(undefined, undefined, clock);
    assert.strictEqual(limiter.guardMs, DEFAULT_GUARD_MS);
    assert.strictEqual(DEFAULT_GUARD_MS, 25);
    const t0 = clock.now();
    const starts: number[] = [];
    const all = Array.from({ length: 101 }, () => limiter.acquire().then(() => starts.push(clock.now() - t0)));
    await drive(clock, Promise.all(all), () => true);
    assert.deepStrictEqual([starts[0], starts[49], starts[50], starts[99], starts[100]], [0, 0, 1025, 1025, 2050]);
  });

  test('pauseFor never shortens an earlier, longer pause', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(50, 1000, clock);
    limiter.pauseFor(3000);
    limiter.pauseFor(1000);
    const t0 = clock.now();
    await drive(clock, limiter.acquire(), () => true);
    assert.strictEqual(clock.now() - t0, 3000);
  });

  test('the guard widens 25 -> 50 -> 100 ... up to 400 ms, also from a guard of 0', () => {
    const limiter = new RateLimiter(50, 1000, new ManualClock(), 0);
    const seen: number[] = [];
    for (let i = 0; i < 7; i++) {
      limiter.widenGuard();
      seen.push(limiter.guardMs);
    }
    assert.deepStrictEqual(seen, [25, 50, 100, 200, 400, 400, 400]);
  });

  test('the minute window widens with the guard too', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(1000, 3, clock, 0);
    limiter.widenGuard(); // 25 ms
    const t0 = clock.now();
    const starts: number[] = [];
    const all = Array.from({ length: 4 }, () => limiter.acquire().then(() => starts.push(clock.now() - t0)));
    await drive(clock, Promise.all(all), () => true);
    assert.deepStrictEqual(starts, [0, 0, 0, 60_025]);
  });

  test('realClock.sleep waits and can be cancelled', async () => {
    const t = Date.now();
    await realClock.sleep(5);
    assert.ok(Date.now() - t >= 4); // a lower bound only: timers never fire early (1 ms rounding)
    const ac = new AbortController();
    const pending = realClock.sleep(60_000, ac.signal);
    ac.abort();
    await assert.rejects(pending, (e: unknown) => e instanceof UploadError && e.code === LocalCode.Cancelled);
    const pre = new AbortController();
    pre.abort();
    await assert.rejects(realClock.sleep(1, pre.signal), (e: unknown) => e instanceof UploadError && e.code === LocalCode.Cancelled);
  });
});

suite('core/scheduler: what is retried, and how long it waits', () => {
  test('any 5xx or 429 is retried even with a code the catalog calls permanent; Cancelled never is', () => {
    assert.strictEqual(shouldRetry(new UploadError(234001, 'odd', { httpStatus: 500 })), true);
    assert.strictEqual(shouldRetry(new UploadError(234001, 'odd', { httpStatus: 599 })), true);
    assert.strictEqual(shouldRetry(new UploadError(234001, 'odd', { httpStatus: 429 })), true);
    assert.strictEqual(shouldRetry(new UploadError(234001, 'odd', { httpStatus: 499 })), false);
    assert.strictEqual(shouldRetry(new UploadError(LocalCode.Cancelled, 'Cancelled.', { httpStatus: 503 })), false);
  });

  test('after a 429 with a reset: the reset plus up to 1 s (or the backoff cap, if smaller) of jitter', () => {
    const limited = new UploadError(99991400, 'rl', { httpStatus: 429, retryAfterMs: 2000 });
    assert.strictEqual(retryDelayMs(limited, 1, { ...DEFAULT_RETRY, baseDelayMs: 100 }, () => 0.5), 2050);
    assert.strictEqual(retryDelayMs(limited, 5, DEFAULT_RETRY, () => 0.5), 2500);
    assert.strictEqual(retryDelayMs(limited, 5, DEFAULT_RETRY, () => 0), 2000);
  });

  test('only a 429 pauses the budget and widens the guard; other retried errors do not', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(50, 1000, clock);
    const scheduler = new UploadScheduler({ limiter, clock, random: () => 0, retry: { baseDelayMs: 10 } });
    let n = 0;
    const t0 = clock.now();
    const out = await drive(
      clock,
      scheduler.run([
        async ({ acquire }) => {
          await acquire();
          if (++n === 1) throw new UploadError(232096, 'meta writing stopped', { httpStatus: 503, retryAfterMs: 5000 });
          return clock.now() - t0;
        },
      ]),
      () => true,
    );
    assert.ok(out[0].ok && out[0].value === 5000, JSON.stringify(out)); // its own wait honours the reset...
    assert.strictEqual(limiter.guardMs, DEFAULT_GUARD_MS); // ...but the shared budget is not touched
    const other = new UploadScheduler({ limiter, clock });
    const t1 = clock.now();
    await drive(clock, other.run([async ({ acquire }) => acquire()]), () => true);
    assert.strictEqual(clock.now(), t1);
  });

  test('a waiter whose signal is already aborted is refused and takes no slot', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(1, 1000, clock);
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(limiter.acquire(ac.signal), (e: unknown) => e instanceof UploadError && e.code === LocalCode.Cancelled && e.message === 'Cancelled.');
    const t0 = clock.now();
    await limiter.acquire(); // the one slot is still free
    assert.strictEqual(clock.now(), t0);
  });
});
