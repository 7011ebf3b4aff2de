// Security in the real editor, against stand-in Lark servers started in this extension host:
//   - after sign-in and uploads that succeed and fail (validation, a Lark error, a retried 502),
//     the App Secret and the tenant token are in none of: the output channel's log file, any
//     diagnostic, the user settings.json, the workspace .vscode/settings.json, the history;
//   - a workspace .vscode/settings.json that points the base URL at another server is ignored:
//     uploads and the connection test go to the user-configured server, the other one receives
//     no request at all.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Command, Setting } from '../../../src/constants';
import type { LarkImageUploadApi } from '../../../src/extension';
import { startLarkServer, type LarkServer } from '../../larkServer/server';
import { getExtension, getExtensionApi, outputLogFiles, waitFor } from './helpers';

const config = () => vscode.workspace.getConfiguration('larkImageUpload');
const IMAGES_PATH = '/open-apis/im/v1/images';

/** A secret with characters that change under base64, URL and JSON encoding. */
const APP_ID = 'cli_security0000001';
const APP_SECRET = 'Vs+/Code=&?%~"sec"\\ret-7781'; // no spaces: the sign-in refuses them

function secretForms(secret: string): string[] {
  const b = Buffer.from(secret, 'utf8');
  return [
    ...new Set([
      secret,
      b.toString('base64'),
      b.toString('base64').replace(/=+$/, ''),
      b.toString('base64url'),
      encodeURIComponent(secret),
      JSON.stringify(secret).slice(1, -1),
      JSON.stringify(JSON.stringify(secret)).slice(1, -1),
    ]),
  ];
}
const ISSUED_TOKEN = /\bt-[0-9a-f]{40}\b/;

function assertClean(text: string, where: string): void {
  for (const form of secretForms(APP_SECRET)) assert.ok(!text.includes(form), `${where}: the App Secret (as ${JSON.stringify(form)}) is there`);
  assert.ok(!ISSUED_TOKEN.test(text), `${where}: a tenant access token is there`);
}

/** Text of our output channel's log files, or undefined when there are none. */
function outputLogText(): string | undefined {
  const found = outputLogFiles();
  return found.length ? found.map((f) => fs.readFileSync(f, 'utf8')).join('\n') : undefined;
}

function diagnosticsText(): string {
  return JSON.stringify(
    vscode.languages.getDiagnostics().map(([uri, diags]) => ({
      uri: uri.toString(),
      diags: diags.map((d) => ({ message: d.message, source: d.source, code: typeof d.code === 'object' ? { value: d.code.value, target: d.code.target.toString() } : d.code, related: d.relatedInformation?.map((r) => r.message) })),
    })),
  );
}

suite('Security (real VS Code + stand-in Lark servers)', () => {
  let api: LarkImageUploadApi;
  let server: LarkServer;
  let other: LarkServer;
  let ws: string;
  let fixtures: string;
  let wsSettingsFile = '';
  let wsSettingsBefore: string | undefined;

  function distinctPng(rel: string): vscode.Uri {
    const file = path.join(ws, 'security', rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.concat([fs.readFileSync(path.join(fixtures, 'png.png')), Buffer.from(`#sec#${rel}#${Date.now()}#${Math.random()}`)]));
    return vscode.Uri.file(file);
  }

  suiteSetup(async function () {
    this.timeout(60000);
    api = await getExtensionApi();
    ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    assert.ok(ws, 'the test run opens a workspace folder');
    fixtures = path.join(getExtension().extensionPath, 'test', 'fixtures', 'generated');
    assert.ok(fs.existsSync(path.join(fixtures, 'png.png')), 'fixtures are generated before the integration run');
    const apps = [{ appId: APP_ID, appSecret: APP_SECRET }];
    server = await startLarkServer({ apps });
    other = await startLarkServer({ apps });
    wsSettingsFile = path.join(ws, '.vscode', 'settings.json');
    wsSettingsBefore = fs.existsSync(wsSettingsFile) ? fs.readFileSync(wsSettingsFile, 'utf8') : undefined;
    await config().update(Setting.Region, 'custom', vscode.ConfigurationTarget.Global);
    await config().update(Setting.CustomBaseUrl, server.baseUrl, vscode.ConfigurationTarget.Global);
    const signedIn = await vscode.commands.executeCommand<boolean>(Command.SignIn, { appId: APP_ID, appSecret: APP_SECRET });
    assert.strictEqual(signedIn, true, 'sign in against the stand-in server');
    // the origin belongs to the profile signed in with (made at the user settings' origin)
    assert.strictEqual(api.session.baseUrl(), server.baseUrl, 'the session uses the stand-in server');
  });

  suiteTeardown(async () => {
    if (wsSettingsFile) {
      if (wsSettingsBefore === undefined) fs.rmSync(wsSettingsFile, { force: true });
      else fs.writeFileSync(wsSettingsFile, wsSettingsBefore);
    }
    await vscode.commands.executeCommand(Command.SignOut, { confirm: false });
    await config().update(Setting.CustomBaseUrl, undefined, vscode.ConfigurationTarget.Global);
    await config().update(Setting.Region, undefined, vscode.ConfigurationTarget.Global);
    await server?.close();
    await other?.close();
  });

  test('after uploads that succeed and fail, the secret and the token are in no log, diagnostic, settings file or history', async function () {
    this.timeout(60000);
    server.reset();
    const good = distinctPng('good.png');
    const laterGood = distinctPng('good-after-502.png');
    const serverFails = distinctPng('server-fails.png');
    const invalid = vscode.Uri.file(path.join(ws, 'security', 'invalid.png'));
    fs.writeFileSync(invalid.fsPath, 'not an image');
    await config().update(Setting.Concurrency, 1, vscode.ConfigurationTarget.Global);
    try {
      // in order: good -> ok; the next one meets an HTML 502 (retried) and lands; the last one gets 234041
      server.injectFaults({ kind: 'slow', delayMs: 0 }, { kind: 'html502' }, { kind: 'slow', delayMs: 0 }, { kind: 'code', code: 234041 });
      const summary = await api.uploadFiles([good, laterGood, serverFails, invalid], { insert: false });
      assert.ok(summary, 'an upload summary');
      assert.deepStrictEqual(summary.outcomes.map((o) => (o.ok ? 'ok' : o.code)), ['ok', 'ok', 234041, 234011]);
    } finally {
      await config().update(Setting.Concurrency, undefined, vscode.ConfigurationTarget.Global);
    }
    // the failures are visible to the user...
    await waitFor(() => vscode.languages.getDiagnostics(serverFails).length === 1 && vscode.languages.getDiagnostics(invalid).length === 1, 10000, 'the diagnostics');
    // ...and nothing anywhere carries a secret
    assertClean(diagnosticsText(), 'diagnostics');
    assertClean(JSON.stringify(api.history.list()), 'the history (globalState)');
    // Both launchers write the user settings.json into the user data folder and say where
    // (index.ts fails the run when they do not), so these checks always run.
    const userSettings = process.env.LARK_TEST_USER_SETTINGS;
    assert.ok(userSettings && fs.existsSync(userSettings), `LARK_TEST_USER_SETTINGS: ${userSettings}`);
    const text = fs.readFileSync(userSettings, 'utf8');
    assert.ok(text.includes(server.baseUrl), 'this is the user settings file we configured');
    assertClean(text, 'the user settings.json');
    if (fs.existsSync(wsSettingsFile)) assertClean(fs.readFileSync(wsSettingsFile, 'utf8'), 'the workspace settings.json');
    assertClean(JSON.stringify(vscode.workspace.getConfiguration().inspect('larkImageUpload') ?? {}) + JSON.stringify(config()), 'the configuration');
    // The output channel's log file lives in the same user data folder; it is written with a
    // delay: wait for the upload lines.
    const log = await waitFor(() => {
      const t = outputLogText() ?? '';
      return t.includes('code=234041') && t.includes(' 502 ') ? t : undefined;
    }, 15000, 'the output log (under the user data folder) to contain the uploads');
    assert.ok(log.includes(IMAGES_PATH) && log.includes('auth/v3/tenant_access_token'), 'the requests are logged');
    assertClean(log, 'the output channel log');
  });

  test('a workspace .vscode/settings.json pointing the base URL at another server is ignored', async function () {
    this.timeout(60000);
    server.reset();
    other.reset();
    const editorConfig = () => vscode.workspace.getConfiguration('editor');
    fs.mkdirSync(path.dirname(wsSettingsFile), { recursive: true });
    fs.writeFileSync(
      wsSettingsFile,
      JSON.stringify({ 'larkImageUpload.region': 'custom', 'larkImageUpload.customBaseUrl': other.baseUrl, 'editor.tabSize': 7 }, null, 2),
    );
    try {
      // editor.tabSize shows the file has been read
      await waitFor(() => editorConfig().get('tabSize') === 7, 15000, 'the workspace settings file to be read');
      const inspected = config().inspect<string>(Setting.CustomBaseUrl);
      assert.strictEqual(inspected?.globalValue, server.baseUrl);
      // session.baseUrl() reads the configuration on every call (no cache to wait for): the
      // workspace file is in effect from the moment editor.tabSize reads 7
      assert.strictEqual(api.session.baseUrl(), server.baseUrl, 'the session keeps the user base URL');

      const file = distinctPng('ws-settings.png');
      const summary = await api.uploadFiles([file], { insert: false });
      const outcome = summary?.outcomes[0];
      assert.ok(outcome?.ok, JSON.stringify(outcome));
      assert.ok(server.images.has(outcome.imageKey), 'the upload went to the user-configured server');
      const probe = await vscode.commands.executeCommand<{ ok: boolean }>(Command.TestConnection);
      assert.strictEqual(probe.ok, true);
      assert.ok(server.requests.length >= 2);
      assert.strictEqual(other.requests.length, 0, `the workspace's server received ${other.requests.length} request(s)`);
    } finally {
      if (wsSettingsBefore === undefined) fs.rmSync(wsSettingsFile, { force: true });
      else fs.writeFileSync(wsSettingsFile, wsSettingsBefore);
    }
    await waitFor(() => editorConfig().get('tabSize') !== 7, 15000, 'the workspace settings file to be gone');
    assert.strictEqual(other.requests.length, 0);
  });
});
