// Virtual time for tests of the limiter, the scheduler's waits and the stand-in server's rate
// windows. Time moves only when the test says so, so what a test asserts about windows and waits
// is exact and does not depend on how fast (or how loaded) the machine is.
import type { Clock } from '../../src/core/scheduler';
import { UploadError } from '../../src/core/larkErrors';
import { LocalCode } from '../../src/core/types';

interface Sleeper {
  at: number;
  resolve: () => void;
}

export class ManualClock implements Clock {
  private t: number;
  private readonly sleepers = new Set<Sleeper>();

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  readonly now = (): number => this.t;

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(new UploadError(LocalCode.Cancelled, 'Cancelled.'));
      const sleeper: Sleeper = {
        at: this.t + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.sleepers.delete(sleeper);
        reject(new UploadError(LocalCode.Cancelled, 'Cancelled.'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.add(sleeper);
    });
  }

  /** Sleeps not yet woken. */
  get pending(): number {
    return this.sleepers.size;
  }

  /** Moves time forward by `ms` and wakes every sleeper that is due. */
  advance(ms: number): void {
    this.t += ms;
    this.wakeDue();
  }

  /** Moves time to the earliest sleeper's wake-up time and wakes every sleeper due then. */
  advanceToNext(): boolean {
    if (this.sleepers.size === 0) return false;
    const next = Math.min(...[...this.sleepers].map((s) => s.at));
    if (next > this.t) this.t = next;
    this.wakeDue();
    return true;
  }

  private wakeDue(): void {
    for (const s of [...this.sleepers]) {
      if (s.at <= this.t) {
        this.sleepers.delete(s);
        s.resolve();
      }
    }
  }
}

/** Lets every queued microtask and pending immediate run (I/O callbacks may still be outstanding). */
export function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Runs `work` while moving `clock` forward whenever nothing but virtual-time waits is left to
 * happen: `idle()` tells when every started piece of work is waiting on the clock (no request on
 * the wire, no file being read). Time never moves while a request is in flight, so the server sees
 * each request at exactly the virtual time it was let go. `deadlineMs` (real time) only turns a
 * hang into a failure; nothing is asserted about it.
 */
export async function drive<T>(clock: ManualClock, work: Promise<T>, idle: () => boolean, deadlineMs = 60_000): Promise<T> {
  let done = false;
  let failure: unknown;
  let result: T | undefined;
  work.then(
    (r) => {
      result = r;
      done = true;
    },
    (e: unknown) => {
      failure = e;
      done = true;
    },
  );
  const giveUp = Date.now() + deadlineMs;
  while (!done) {
    await macrotask();
    await macrotask();
    if (done) break;
    if (clock.pending > 0 && idle()) {
      clock.advanceToNext();
      continue;
    }
    if (Date.now() > giveUp) throw new Error(`drive: no progress within ${deadlineMs} ms of real time (pending sleeps: ${clock.pending})`);
    await new Promise((r) => setTimeout(r, 1)); // let I/O happen
  }
  if (failure !== undefined) throw failure;
  return result as T;
}
