// Mocha reporter: the usual spec output, plus the counts written to the file named by
// LARK_TEST_COUNTS so test/run-all.sh can add up every level into one "N passed, N failed".
import * as fs from 'fs';
import Mocha from 'mocha';

class CountingReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const file = process.env.LARK_TEST_COUNTS;
      const stats = runner.stats ?? { passes: 0, failures: 0, pending: 0 };
      if (file) fs.writeFileSync(file, JSON.stringify({ passed: stats.passes, failed: stats.failures, skipped: stats.pending }));
    });
  }
}

export = CountingReporter;
