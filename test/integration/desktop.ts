// Desktop launcher for the SAME integration suite as test/integration/run.sh, using
// @vscode/test-electron (downloads VS Code from Microsoft; needs internet, so it cannot run offline).
//   npm run test:desktop            (= npm run build && tsc -p . && bundle-suite.mjs && node out/test/integration/desktop.js)
//   VSCODE_TEST_VERSION=1.99.3 npm run test:desktop   (the oldest VS Code we claim, engines.vscode)
// env: VSCODE_TEST_VERSION (default 'stable'), LARK_TEST_ENV_JSON, LARK_TEST_SETTINGS_FILE,
//      LARK_TEST_SETTINGS_JSON, LARK_TEST_KEEP=1 -- same meaning as for test/integration/runner.js.
// Screenshots are not available here: tests that need them skip themselves (helpers.canScreenshot()).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runTests } from '@vscode/test-electron';
import { extensionHostTestCaEnv } from '../support/testCa';

function jsonObject(name: string, text: string): Record<string, unknown> {
  const v: unknown = JSON.parse(text);
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${name} must be a JSON object`);
  return v as Record<string, unknown>;
}

async function main(): Promise<number> {
  // compiled to out/test/integration/desktop.js
  const repoRoot = path.resolve(__dirname, '..', '..', '..');
  const extensionTestsPath = path.resolve(__dirname, 'suite');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-vsct-desktop-'));
  const workspace = path.join(tmp, 'workspace');
  fs.mkdirSync(workspace, { recursive: true });
  fs.writeFileSync(path.join(workspace, 'README.md'), '# Sample workspace\n\nUsed by the integration tests.\n');

  const settings: Record<string, unknown> = {
    'workbench.startupEditor': 'none',
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'security.workspace.trust.enabled': false,
  };
  if (process.env.LARK_TEST_SETTINGS_FILE) {
    Object.assign(settings, jsonObject('LARK_TEST_SETTINGS_FILE', fs.readFileSync(process.env.LARK_TEST_SETTINGS_FILE, 'utf8')));
  }
  if (process.env.LARK_TEST_SETTINGS_JSON) Object.assign(settings, jsonObject('LARK_TEST_SETTINGS_JSON', process.env.LARK_TEST_SETTINGS_JSON));
  const userDataDir = path.join(tmp, 'user-data');
  const settingsFile = path.join(userDataDir, 'User', 'settings.json');
  fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
  fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2) + '\n');

  const report = path.join(tmp, 'report.log');
  fs.writeFileSync(report, '');
  const extensionTestsEnv: Record<string, string> = { VSCODE_TEST_LOG: report, LARK_TEST_USER_SETTINGS: settingsFile };
  // the test CA of suite/proxy.test.ts (NODE_EXTRA_CA_CERTS + LARK_TEST_TLS_DIR), as runner.js does
  Object.assign(extensionTestsEnv, extensionHostTestCaEnv(path.join(tmp, 'test-ca'), process.env.NODE_EXTRA_CA_CERTS));
  if (process.env.LARK_TEST_ENV_JSON) {
    for (const [k, v] of Object.entries(jsonObject('LARK_TEST_ENV_JSON', process.env.LARK_TEST_ENV_JSON))) {
      extensionTestsEnv[k] = v === null || v === undefined ? '' : String(v);
    }
  }

  let pos = 0;
  const pump = (): void => {
    const buf = fs.readFileSync(report);
    if (buf.length > pos) { process.stdout.write(buf.subarray(pos)); pos = buf.length; }
  };
  const timer = setInterval(pump, 200);
  try {
    return await runTests({
      version: process.env.VSCODE_TEST_VERSION || 'stable',
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath,
      extensionTestsEnv,
      launchArgs: [workspace, '--disable-extensions', '--user-data-dir', userDataDir, '--skip-welcome', '--skip-release-notes'],
    });
  } catch (err) {
    console.error(`[desktop] ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    clearInterval(timer);
    pump();
    if (process.env.LARK_TEST_KEEP) console.error(`[desktop] kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => { console.error(err); process.exit(1); },
);
