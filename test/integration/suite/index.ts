// In-host mocha entry: loaded inside the VS Code extension host through extensionTestsPath
// (by test/integration/runner.js offline, or by @vscode/test-electron via desktop.ts); must export run().
// console.* in the extension host goes to the workbench log, not to a terminal, so the report is
// appended to the file named by env VSCODE_TEST_LOG (the runner streams it to its stdout). Without
// VSCODE_TEST_LOG (desktop launcher) the report goes to console.log as usual.
// The report ends with a line `N passed, N failed` (`, N skipped` added when tests were skipped)
// for the outer level to count.
// env: LARK_TEST_USER_SETTINGS (required: both launchers write the user settings.json and pass
//      its path; settings and log checks need it), LARK_DEMO_FAIL=1 (adds one deliberately failing
//      test), LARK_TEST_PICTURES=1 (no tests: take the README pictures, test/demo/readmePictures.ts),
//      LARK_TEST_VSIX_EXTENSIONS_DIR (set by runner.js when the extension under test was installed
//      from its .vsix: only installedVsix.test.js runs then, and only then).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as util from 'util';
import Mocha from 'mocha';

/** Runs only when the extension under test was installed from its .vsix (runner.js LARK_TEST_VSIX). */
const VSIX_TEST = 'installedVsix.test.js';

/** The line the outer level (test/run-all.sh) reads. */
export function countLine(passed: number, failed: number, skipped: number): string {
  return `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
}

/** What the launcher must provide; a missing piece fails the run instead of skipping checks. */
function launcherProblem(): string | undefined {
  const settings = process.env.LARK_TEST_USER_SETTINGS;
  if (!settings) return 'LARK_TEST_USER_SETTINGS is not set: the launcher must pass the path of the user settings.json it wrote (runner.js and desktop.ts do)';
  if (!fs.existsSync(settings)) return `LARK_TEST_USER_SETTINGS names a file that does not exist: ${settings}`;
  if (process.env.LARK_TEST_PICTURES === '1' && !process.env.LARK_TEST_SCREENSHOT_DIR) return 'LARK_TEST_PICTURES=1 needs a launcher that takes screenshots (test/integration/runner.js)';
  return undefined;
}

export function run(): Promise<void> {
  const logFile = process.env.VSCODE_TEST_LOG;
  const write = (...a: unknown[]): void => {
    const line = util.format(...a);
    if (logFile) fs.appendFileSync(logFile, line + '\n');
    else console.log(line);
  };
  // every mocha reporter prints through Base.consoleLog
  (Mocha.reporters.Base as unknown as { consoleLog: (...a: unknown[]) => void }).consoleLog = write;

  const problem = launcherProblem();
  if (problem) {
    write(problem);
    write(countLine(0, 1, 0));
    return Promise.reject(new Error(problem));
  }
  if (process.env.LARK_TEST_PICTURES === '1') return takePictures(write);

  const mocha = new Mocha({ ui: 'tdd', reporter: 'spec', color: false, timeout: 20000 });
  // The installed-.vsix test needs the packaged extension; every other test needs the development
  // folder (fixtures under its test/): each mode runs only its own files.
  const vsixMode = !!process.env.LARK_TEST_VSIX_EXTENSIONS_DIR;
  // LARK_TEST_ONLY="insert,upload": only the files whose names contain one of these (a quick local loop)
  const only = (process.env.LARK_TEST_ONLY ?? '').split(',').filter(Boolean);
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js') && (f === VSIX_TEST) === vsixMode && (only.length === 0 || only.some((o) => f.includes(o))))
    .sort();
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  if (files.length === 0) {
    write(`No *.test.js files in ${__dirname}`);
    write(countLine(0, 1, 0));
    return Promise.reject(new Error('no test files'));
  }
  // Shows what a failure looks like at every level; registered only when asked for, so a normal
  // run carries no test that is always skipped.
  if (process.env.LARK_DEMO_FAIL === '1') {
    mocha.suite.addTest(new Mocha.Test('deliberately failing test (LARK_DEMO_FAIL=1)', () => assert.strictEqual(1 + 1, 3, 'deliberate failure (LARK_DEMO_FAIL=1)')));
  }

  return new Promise<void>((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        write(countLine(runner.stats?.passes ?? 0, failures, runner.stats?.pending ?? 0));
        if (failures > 0) reject(new Error(`${failures} test(s) failed`));
        else resolve();
      });
    } catch (err) {
      // a test file threw while loading: nothing ran
      const stack = (err instanceof Error && err.stack) || String(err);
      write(`A test file failed to load: ${stack.split('\n').slice(0, 4).join('\n')}`);
      write(countLine(0, 1, 0));
      reject(new Error('a test file failed to load (see the report)'));
    }
  });
}

/** LARK_TEST_PICTURES=1: the README pictures instead of the tests (nothing is counted). */
async function takePictures(write: (...a: unknown[]) => void): Promise<void> {
  try {
    const { takeReadmePictures } = await import('../../demo/readmePictures');
    const taken = await takeReadmePictures((line) => write(line));
    write(`pictures: ${taken.length} taken`);
  } catch (err) {
    write(`pictures failed: ${(err instanceof Error && err.stack) || String(err)}`);
    throw err;
  }
}
