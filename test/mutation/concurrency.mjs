// Preloaded by test/mutation/run.sh into the Stryker main process (node --import; Stryker's
// worker processes get their own argv, so this never reaches them or the tests).
//
// Why: with a checker, StrykerJS 9 starts ceil(n/2) checker and floor(n/2) (at least 1) test
// runner processes, and when type checking ends it turns every checker slot into an extra test
// runner. `--concurrency 1` therefore ends up with 2 test runners. Here the total of test
// runners is capped at the configured concurrency, so `--concurrency 1` means one test runner
// (plus the checker while it checks); `--concurrency 2` (the default) is unchanged.
// If a Stryker version changes these internals, this warns and leaves Stryker as it is.
const target = new URL('./concurrent/concurrency-token-provider.js', import.meta.resolve('@stryker-mutator/core'));

try {
  const { ConcurrencyTokenProvider } = await import(target.href);
  const proto = ConcurrencyTokenProvider?.prototype;
  if (typeof proto?.computeConcurrency !== 'function' || typeof proto?.freeCheckers !== 'function') {
    throw new Error('ConcurrencyTokenProvider has no computeConcurrency/freeCheckers');
  }
  const computeConcurrency = proto.computeConcurrency;
  const freeCheckers = proto.freeCheckers;
  proto.computeConcurrency = function (...args) {
    const n = computeConcurrency.apply(this, args);
    this.configuredConcurrency = n;
    return n;
  };
  proto.freeCheckers = function () {
    const runners = this.concurrencyTestRunners;
    if (typeof this.configuredConcurrency === 'number' && typeof runners === 'number' && runners >= this.configuredConcurrency) {
      this.testRunnerTokenSubject.complete(); // no extra runner; close the stream as the original does
      return;
    }
    freeCheckers.call(this);
  };
} catch (err) {
  console.warn(`[mutate] cannot cap the test runners at --concurrency (${err instanceof Error ? err.message : err}); Stryker adds one when type checking ends`);
}
