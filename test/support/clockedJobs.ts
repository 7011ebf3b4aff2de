// Scheduler jobs for the exact-budget tests (larkClient.test.ts, filesApi.test.ts): each job
// counts whether it runs or waits for the manual clock, so a test moves the clock only when every
// running job waits for it (`idle()`), and counts arrivals per millisecond of that clock.
import type { Job } from '../../src/core/scheduler';

export interface ClockedJobContext {
  index: number;
  signal: AbortSignal;
  /** the limiter's acquire, counted as waiting for the clock */
  acquire: () => Promise<void>;
  /** any other wait on the manual clock, counted as waiting */
  waiting: <T>(wait: () => Promise<T>) => Promise<T>;
}

/** `count` jobs running `send`; `idle()` is true when every running job waits for the clock. */
export function clockedJobs(count: number, send: (ctx: ClockedJobContext) => Promise<unknown>): { jobs: Job<unknown>[]; idle: () => boolean } {
  let running = 0;
  let waitingCount = 0;
  const waiting = async <T>(wait: () => Promise<T>): Promise<T> => {
    waitingCount++;
    try {
      return await wait();
    } finally {
      waitingCount--;
    }
  };
  const jobs: Job<unknown>[] = Array.from({ length: count }, (_, index) => async ({ signal, acquire }) => {
    running++;
    try {
      return await send({ index, signal, acquire: () => waiting(acquire), waiting });
    } finally {
      running--;
    }
  });
  return { jobs, idle: () => running === waitingCount };
}

/** How many requests arrived at each offset from `t0` (ms of the manual clock). */
export function arrivalsByOffset(requests: { at: number }[], t0: number): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const r of requests) counts[r.at - t0] = (counts[r.at - t0] ?? 0) + 1;
  return counts;
}
