// Runs upload jobs with bounded concurrency inside the API's budget (50 requests/s and
// 1000/min per app), retries what is worth retrying with backoff + jitter, and can be cancelled
// while keeping every result that already finished.
import { setMaxListeners } from 'events';
import { UploadError, isRetryable } from './larkErrors';
import { LocalCode } from './types';
import { mapPool } from './pool';

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(cancelledError());
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(cancelledError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

function cancelledError(): UploadError {
  return new UploadError(LocalCode.Cancelled, 'Cancelled.');
}

/**
 * Sliding-window limiter: no more than `limit` starts in any window of `windowMs`. A sliding
 * window is stricter than the gateway's windows, whatever their alignment, as long as requests
 * reach the gateway in the order and at the spacing we let them go. They do not always: a request
 * can take longer to arrive than the next one (a new connection, a busy event loop), so the
 * window is widened by a guard (RateLimiter). The budget is per process: other processes or
 * machines using the same app can still spend it, and their 429s pause us (pauseFor).
 */
class SlidingWindow {
  private readonly starts: number[] = [];
  constructor(
    readonly limit: number,
    public windowMs: number,
  ) {}

  /** ms to wait before one more start is allowed at `now` (0 = now). */
  waitMs(now: number): number {
    while (this.starts.length && this.starts[0] <= now - this.windowMs) this.starts.shift();
    if (this.starts.length < this.limit) return 0;
    return this.starts[this.starts.length - this.limit] + this.windowMs - now;
  }

  record(now: number): void {
    this.starts.push(now);
  }
}

/**
 * Uploads in flight. 16 lets the first 50 of a batch leave close together even on a 100 ms link
 * (8 took 0.6 s per window there); the budget, not this, bounds the rate.
 */
export const DEFAULT_CONCURRENCY = 16;

export const DEFAULT_GUARD_MS = 25;
export const MAX_GUARD_MS = 400;

/** The per-app request budget. Share one instance for everything that uses the same app. */
export class RateLimiter {
  private readonly windows: SlidingWindow[];
  private pausedUntil = 0;
  private queue: Promise<void> = Promise.resolve();
  private guard: number;

  /**
   * `guardMs` widens each window: a request reaches the gateway a little after we let it go, and
   * that delay varies (a new connection, a busy event loop, the network), which can squeeze 51
   * arrivals into the gateway's second. The default suits a steady link (no 429 against the
   * stand-in server, see README "Performance"); every 429 doubles it (up to MAX_GUARD_MS), so a
   * jittery link costs one retry, not one per window.
   */
  constructor(
    readonly perSecond = 50,
    readonly perMinute = 1000,
    private readonly clock: Clock = realClock,
    guardMs = DEFAULT_GUARD_MS,
  ) {
    this.guard = guardMs;
    this.windows = [new SlidingWindow(perSecond, 1000 + guardMs), new SlidingWindow(perMinute, 60_000 + guardMs)];
  }

  get guardMs(): number {
    return this.guard;
  }

  /** The gateway saw more than we sent in its window: allow for more arrival jitter from now on. */
  widenGuard(): void {
    this.guard = Math.min(MAX_GUARD_MS, Math.max(2 * this.guard, DEFAULT_GUARD_MS));
    const [second, minute] = this.windows;
    second.windowMs = 1000 + this.guard;
    minute.windowMs = 60_000 + this.guard;
  }

  /** Resolves when one request may start; callers are served in order (FIFO). */
  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.waitForSlot(signal));
    // The next caller waits for this one, whether it got its slot or was cancelled.
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** After a 429, nobody starts before the gateway's window resets. */
  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
  }

  private async waitForSlot(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw cancelledError();
      const now = this.clock.now();
      const wait = Math.max(this.pausedUntil - now, ...this.windows.map((w) => w.waitMs(now)));
      if (wait <= 0) {
        for (const w of this.windows) w.record(now);
        return;
      }
      await this.clock.sleep(wait, signal);
    }
  }
}

const limiters = new Map<string, RateLimiter>();

/** One limiter per app and origin for the whole process, so parallel batches share the budget. */
export function rateLimiterFor(scopeKey: string, perSecond = 50, perMinute = 1000): RateLimiter {
  let limiter = limiters.get(scopeKey);
  if (!limiter) {
    limiter = new RateLimiter(perSecond, perMinute);
    limiters.set(scopeKey, limiter);
  }
  return limiter;
}

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 20_000 };

/** Worth another attempt: rate limits, 5xx, resets, timeouts, and Lark's "retry later" codes. */
export function shouldRetry(err: unknown): boolean {
  if (!(err instanceof UploadError)) return false;
  if (err.code === LocalCode.Cancelled) return false;
  if (err.httpStatus !== undefined && (err.httpStatus >= 500 || err.httpStatus === 429)) return true;
  if (err.code === LocalCode.BadResponse) return false; // a non-JSON 4xx will not get better
  return isRetryable(err.code);
}

/** Full jitter backoff; a rate limit waits at least until the gateway's reset. */
export function retryDelayMs(err: unknown, attempt: number, policy: RetryPolicy, random: () => number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jitter = random() * cap;
  const floor = err instanceof UploadError && err.retryAfterMs !== undefined ? err.retryAfterMs : 0;
  return floor > 0 ? floor + random() * Math.min(1000, cap) : jitter;
}

export type JobOutcome<T> =
  | { ok: true; value: T; attempts: number }
  | { ok: false; error: UploadError; attempts: number };

export interface SchedulerOptions {
  concurrency?: number;
  limiter?: RateLimiter;
  retry?: Partial<RetryPolicy>;
  clock?: Clock;
  random?: () => number;
  /** Called before each retry (for logs and progress text). */
  onRetry?: (index: number, attempt: number, delayMs: number, err: UploadError) => void;
}

export interface JobContext {
  signal: AbortSignal;
  attempt: number;
  /**
   * Waits for the app's budget. Call it right before each request is sent (LarkClient's
   * `beforeSend`): timing the send itself, not the preparation, keeps the gateway's view of our
   * rate inside the limit even when preparation takes longer for some jobs than for others.
   */
  acquire: () => Promise<void>;
}

export type Job<T> = (ctx: JobContext) => Promise<T>;

export class UploadScheduler {
  readonly concurrency: number;
  private readonly limiter: RateLimiter;
  private readonly retry: RetryPolicy;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly onRetry: SchedulerOptions['onRetry'];

  constructor(options: SchedulerOptions = {}) {
    this.concurrency = Math.max(1, Math.min(64, Math.floor(options.concurrency ?? DEFAULT_CONCURRENCY)));
    this.limiter = options.limiter ?? new RateLimiter();
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    this.onRetry = options.onRetry;
  }

  /**
   * Runs every job; outcomes come back in input order and never reject. After `signal` aborts,
   * finished outcomes are kept, running jobs see the abort, and jobs not started are reported
   * as cancelled (code 9104) without touching the network.
   */
  async run<T>(jobs: readonly Job<T>[], options: { signal?: AbortSignal; onSettled?: (index: number, outcome: JobOutcome<T>) => void } = {}): Promise<JobOutcome<T>[]> {
    const signal = options.signal ?? new AbortController().signal;
    // Every waiting job listens for the abort: more than the default 10 listeners is expected.
    setMaxListeners(0, signal);
    return mapPool(jobs, this.concurrency, async (job, index) => {
      const outcome = await this.runOne(job, index, signal);
      options.onSettled?.(index, outcome);
      return outcome;
    });
  }

  private async runOne<T>(job: Job<T>, index: number, signal: AbortSignal): Promise<JobOutcome<T>> {
    let attempt = 0;
    for (;;) {
      attempt++;
      if (signal.aborted) return { ok: false, error: cancelledError(), attempts: attempt - 1 };
      try {
        const value = await job({ signal, attempt, acquire: () => this.limiter.acquire(signal) });
        return { ok: true, value, attempts: attempt };
      } catch (e) {
        const err = toUploadError(e, signal);
        if (err.code === 99991400) {
          if (err.retryAfterMs !== undefined) this.limiter.pauseFor(err.retryAfterMs);
          this.limiter.widenGuard();
        }
        if (signal.aborted || attempt >= this.retry.maxAttempts || !shouldRetry(err)) {
          // A failure caused by the abort reads as "cancelled"; a real verdict (e.g. 234011) stays.
          const cancelledByUser = signal.aborted && (err.code === LocalCode.Cancelled || shouldRetry(err));
          return { ok: false, error: cancelledByUser ? cancelledError() : err, attempts: attempt };
        }
        const delay = retryDelayMs(err, attempt, this.retry, this.random);
        this.onRetry?.(index, attempt, delay, err);
        try {
          await this.clock.sleep(delay, signal);
        } catch {
          return { ok: false, error: cancelledError(), attempts: attempt };
        }
      }
    }
  }
}

function toUploadError(e: unknown, signal: AbortSignal): UploadError {
  if (e instanceof UploadError) return e;
  if (signal.aborted) return cancelledError();
  const message = e instanceof Error ? e.message : String(e);
  return new UploadError(LocalCode.NetworkError, message, { cause: e });
}
