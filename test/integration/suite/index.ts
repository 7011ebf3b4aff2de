// In-host mocha entry: loaded inside the VS Code extension host through extensionTestsPath
// (by test/integration/runner.js offline, or by @vscode/test-electron via desktop.ts); must export run().
// console.* in the extension host goes to the workbench log, not to a terminal, so the report is
// appended to the file named by env VSCODE_TEST_LOG (the runner streams it to its stdout). Without
// VSCODE_TEST_LOG (desktop launcher) the report goes to console.log as usual.
// The report ends with a line exactly `N passed, N failed` for the outer level to count.
import * as fs from 'fs';
import * as path from 'path';
import * as util from 'util';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const logFile = process.env.VSCODE_TEST_LOG;
  const write = (...a: unknown[]): void => {
    const line = util.format(...a);
    if (logFile) fs.appendFileSync(logFile, line + '\n');
    else console.log(line);
  };
  // every mocha reporter prints through Base.consoleLog
  (Mocha.reporters.Base as unknown as { consoleLog: (...a: unknown[]) => void }).consoleLog = write;

  const mocha = new Mocha({ ui: 'tdd', reporter: 'spec', color: false, timeout: 20000 });
  const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort();
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  if (files.length === 0) {
    write(`No *.test.js files in ${__dirname}`);
    write('0 passed, 1 failed');
    return Promise.reject(new Error('no test files'));
  }

  return new Promise<void>((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        const passed = runner.stats?.passes ?? 0;
        write(`${passed} passed, ${failures} failed`);
        if (failures > 0) reject(new Error(`${failures} test(s) failed`));
        else resolve();
      });
    } catch (err) {
      // a test file threw while loading: nothing ran
      const stack = (err instanceof Error && err.stack) || String(err);
      write(`A test file failed to load: ${stack.split('\n').slice(0, 4).join('\n')}`);
      write('0 passed, 1 failed');
      reject(new Error('a test file failed to load (see the report)'));
    }
  });
}
