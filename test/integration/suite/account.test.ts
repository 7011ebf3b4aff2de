// Real VS Code: sign in / set token / sign out / test connection against the stand-in Lark server,
// through the extension's own commands, with the base URL taken from the user settings only.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { CONFIG_SECTION, Command, SecretKey, Setting } from '../../../src/constants';
import { readSettings, type LarkSettings } from '../../../src/vscode/settings';
import { CredentialStore, KeychainError } from '../../../src/vscode/credentials';
import { LarkSession } from '../../../src/vscode/session';
import { UploadLog } from '../../../src/vscode/log';
import type { ConnectionTestResult } from '../../../src/vscode/account';
import type { LarkImageUploadApi } from '../../../src/extension';
import { startLarkServer, type LarkServer } from '../../larkServer/server';
import { captureMessages, getExtensionApi, outputLogText, waitFor } from './helpers';

const IMAGES_PATH = '/open-apis/im/v1/images';
const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(CONFIG_SECTION);
}

async function setUserSetting(key: string, value: unknown): Promise<void> {
  await config().update(key, value, vscode.ConfigurationTarget.Global);
}

function userSettingsText(): string | undefined {
  const file = process.env.LARK_TEST_USER_SETTINGS;
  return file && fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
}

const testConnection = (): Thenable<ConnectionTestResult> => vscode.commands.executeCommand<ConnectionTestResult>(Command.TestConnection);

suite('Account: sign in, token, sign out, test connection (real VS Code)', () => {
  let api: LarkImageUploadApi;
  let server: LarkServer;
  const wrongSecret = `wrong-secret-${Date.now().toString(36)}-x9`;
  let staticToken = '';
  let workspaceSettingsFile: string | undefined;
  let workspaceSettingsBefore: string | undefined;

  suiteSetup(async () => {
    api = await getExtensionApi();
    server = await startLarkServer({ rateLimit: false });
    await setUserSetting(Setting.Region, 'custom');
    await setUserSetting(Setting.CustomBaseUrl, server.baseUrl);
    await waitFor(() => api.session.baseUrl() === server.baseUrl, 10000, 'the session to use the stand-in server');
    await vscode.commands.executeCommand(Command.SignOut, { confirm: false });
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand(Command.SignOut, { confirm: false });
    if (workspaceSettingsFile) {
      if (workspaceSettingsBefore === undefined) fs.rmSync(workspaceSettingsFile, { force: true });
      else fs.writeFileSync(workspaceSettingsFile, workspaceSettingsBefore);
    }
    await setUserSetting(Setting.CustomBaseUrl, undefined);
    await setUserSetting(Setting.Region, undefined);
    await server?.close();
  });

  test('the user base URL setting reaches the session, which reports the change', async () => {
    assert.strictEqual(readSettings().baseUrl, server.baseUrl);
    let fired = 0;
    const sub = api.session.onDidChange(() => fired++);
    try {
      await setUserSetting(Setting.CustomBaseUrl, 'http://127.0.0.1:9');
      await waitFor(() => api.session.baseUrl() === 'http://127.0.0.1:9', 10000, 'the new base URL');
      await waitFor(() => fired > 0, 15000, 'session.onDidChange');
      await setUserSetting(Setting.CustomBaseUrl, server.baseUrl);
      await waitFor(() => api.session.baseUrl() === server.baseUrl, 10000, 'the stand-in base URL again');
    } finally {
      sub.dispose();
    }
  });

  test('a workspace .vscode/settings.json cannot redirect the base URL', async function () {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder || folder.uri.scheme !== 'file') this.skip();
    // The API refuses to write application-scoped settings to the workspace...
    await assert.rejects(
      Promise.resolve(config().update(Setting.CustomBaseUrl, 'https://attacker.example', vscode.ConfigurationTarget.Workspace)),
      'writing customBaseUrl to the workspace should be refused',
    );
    // ...so write the file by hand, with a resource setting that shows when the file was read.
    const dir = path.join(folder.uri.fsPath, '.vscode');
    fs.mkdirSync(dir, { recursive: true });
    workspaceSettingsFile = path.join(dir, 'settings.json');
    workspaceSettingsBefore = fs.existsSync(workspaceSettingsFile) ? fs.readFileSync(workspaceSettingsFile, 'utf8') : undefined;
    fs.writeFileSync(
      workspaceSettingsFile,
      JSON.stringify({ 'larkImageUpload.region': 'custom', 'larkImageUpload.customBaseUrl': 'https://attacker.example', 'larkImageUpload.imageType': 'avatar' }, null, 2),
    );
    try {
      await waitFor(() => config().get(Setting.ImageType) === 'avatar', 15000, 'the workspace settings file to be read');
      // the base URL is read from the configuration at each use: nothing to wait for
      assert.strictEqual(readSettings().baseUrl, server.baseUrl);
      assert.strictEqual(api.session.baseUrl(), server.baseUrl);
    } finally {
      if (workspaceSettingsBefore === undefined) fs.rmSync(workspaceSettingsFile, { force: true });
      else fs.writeFileSync(workspaceSettingsFile, workspaceSettingsBefore);
      workspaceSettingsFile = undefined;
    }
    await waitFor(() => config().get(Setting.ImageType) !== 'avatar', 15000, 'the workspace settings file to be gone');
  });

  test('signed out: test connection says so and no request is made', async () => {
    assert.strictEqual(await api.session.label(), undefined);
    assert.strictEqual(await api.session.client(), undefined);
    const before = server.requests.length;
    const result = await testConnection();
    assert.deepStrictEqual(result, { ok: false });
    assert.strictEqual(server.requests.length, before);
  });

  test('sign in with a wrong App Secret fails and stores nothing', async () => {
    const before = server.tokenRequests();
    const saved = await vscode.commands.executeCommand<boolean>(Command.SignIn, { appId: server.demo.appId, appSecret: wrongSecret });
    assert.strictEqual(saved, false);
    assert.strictEqual(server.tokenRequests(), before + 1, 'the credentials were checked with one token request');
    const tokenRequest = server.requests.filter((r) => r.path === TOKEN_PATH).at(-1);
    assert.strictEqual(tokenRequest?.code, 10015);
    assert.strictEqual(await api.session.label(), undefined, 'nothing stored');
    assert.deepStrictEqual(await testConnection(), { ok: false });
  });

  test('malformed programmatic input is refused without a request', async () => {
    const before = server.requests.length;
    assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.SignIn, { appId: 'cli with space', appSecret: 'x' }), false);
    assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.SignIn, { appId: server.demo.appId, appSecret: '  ' }), false);
    assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.SetToken, { token: 'not-a-tenant-token' }), false);
    assert.strictEqual(server.requests.length, before);
    assert.strictEqual(await api.session.label(), undefined);
  });

  test('sign in with the demo app succeeds; the secret is in no settings file nor the history', async () => {
    const saved = await vscode.commands.executeCommand<boolean>(Command.SignIn, { appId: server.demo.appId, appSecret: server.demo.appSecret });
    assert.strictEqual(saved, true);
    assert.strictEqual(await api.session.label(), server.demo.appId);
    const client = await api.session.client();
    assert.ok(client, 'signed in: the session has a client');
    assert.strictEqual(client.appId, server.demo.appId);
    assert.strictEqual(client.baseUrl, server.baseUrl);
    assert.strictEqual(await api.session.client(), client, 'the client (and its token cache) is reused');

    const settingsText = userSettingsText();
    assert.ok(settingsText !== undefined, 'both launchers name the user settings file (LARK_TEST_USER_SETTINGS)');
    assert.ok(settingsText.includes(server.baseUrl), 'the user settings file is the one we configured');
    assert.ok(!settingsText.includes(server.demo.appSecret), 'App Secret found in the user settings.json');
    const everySetting = JSON.stringify(vscode.workspace.getConfiguration().inspect(CONFIG_SECTION) ?? {}) + JSON.stringify(config());
    assert.ok(!everySetting.includes(server.demo.appSecret), 'App Secret found in the configuration');
    assert.ok(!JSON.stringify(api.history.list()).includes(server.demo.appSecret), 'App Secret found in the upload history (globalState)');
  });

  test('test connection with App ID + Secret fetches a fresh token', async () => {
    const before = server.tokenRequests();
    const result = await testConnection();
    assert.deepStrictEqual(result, { ok: true });
    assert.strictEqual(server.tokenRequests(), before + 1);
  });

  test('a base URL refused by the settings: a new sign-in says 9105 without a request; the signed-in profile keeps its own origin', async () => {
    const before = server.requests.length;
    const messages = captureMessages();
    try {
      await setUserSetting(Setting.CustomBaseUrl, 'http://example.com');
      await waitFor(() => typeof api.session.settingsBaseUrl() !== 'string', 10000, 'the refused base URL');
      // with profiles, the origin belongs to the profile: the settings only choose where a new one goes
      assert.strictEqual(api.session.baseUrl(), server.baseUrl);
      assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.SignIn, { appId: 'cli_another_app', appSecret: 'another-secret' }), false);
      assert.ok(messages.texts('error').some((t) => /base URL setting is refused/.test(t)), JSON.stringify(messages.shown));
      assert.strictEqual(server.requests.length, before, 'no request for a refused origin');
      assert.deepStrictEqual(await testConnection(), { ok: true }, 'the signed-in profile is not affected');
    } finally {
      messages.dispose();
      await setUserSetting(Setting.CustomBaseUrl, server.baseUrl);
      await waitFor(() => api.session.settingsBaseUrl() === server.baseUrl, 10000, 'the stand-in base URL again');
    }
  });

  test('an unreachable server is reported as a network error (9101)', async () => {
    // a profile whose origin nobody listens on (the store takes any origin the https rule allows)
    const before = api.profiles.profile();
    assert.ok(before, 'signed in with a profile');
    const dead = await api.profiles.store.add({ name: 'Dead port', origin: 'http://127.0.0.1:9', credentials: { kind: 'app', appId: server.demo.appId, appSecret: server.demo.appSecret } });
    try {
      await waitFor(() => api.session.baseUrl() === 'http://127.0.0.1:9', 10000, 'the dead base URL');
      const result = await testConnection();
      assert.strictEqual(result.ok, false);
      assert.strictEqual(result.code, 9101);
    } finally {
      await vscode.commands.executeCommand(Command.RemoveProfile, { profile: dead.name, confirm: false });
      await api.profiles.use(before.id);
      await waitFor(() => api.session.baseUrl() === server.baseUrl, 10000, 'the stand-in base URL again');
    }
  });

  test('static token: accepted, then rejected with 99991663 and a log ID once invalidated', async () => {
    staticToken = server.issueStaticToken();
    assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.SetToken, { token: staticToken }), true);
    assert.strictEqual(await api.session.label(), 'tenant token');
    const client = await api.session.client();
    assert.ok(client);
    assert.strictEqual(client.appId, undefined);

    const tokenRequestsBefore = server.tokenRequests();
    assert.deepStrictEqual(await testConnection(), { ok: true });
    const probe = server.requests.at(-1);
    assert.strictEqual(probe?.method, 'GET');
    assert.strictEqual(probe?.path, `${IMAGES_PATH}/img_v2_connection_test`);
    assert.strictEqual(probe?.code, 234001, 'past the gateway: the token was accepted');
    assert.strictEqual(server.tokenRequests(), tokenRequestsBefore, 'a static token never asks for a token');

    server.invalidateAllTokens();
    const rejected = await testConnection();
    assert.strictEqual(rejected.ok, false);
    assert.strictEqual(rejected.code, 99991663);
    assert.ok(rejected.logId, 'the log ID is reported');
    assert.strictEqual(rejected.logId, server.requests.at(-1)?.logId);

    const settingsText = userSettingsText();
    assert.ok(settingsText !== undefined, 'both launchers name the user settings file (LARK_TEST_USER_SETTINGS)');
    assert.ok(settingsText.includes(server.baseUrl), 'the user settings file is the one we configured');
    assert.ok(!settingsText.includes(staticToken), 'token found in the user settings.json');
  });

  test('sign out clears the stored credentials', async () => {
    assert.notStrictEqual(await api.session.label(), undefined);
    assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.SignOut, { confirm: false }), true);
    assert.strictEqual(await api.session.label(), undefined);
    assert.strictEqual(await api.session.client(), undefined);
    assert.deepStrictEqual(await testConnection(), { ok: false });
    assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.SignOut, { confirm: false }), false, 'nothing left to clear');
  });

  test('the output log masks every secret that was used', async () => {
    const secrets = [server.demo.appSecret, wrongSecret, staticToken].filter(Boolean);
    assert.strictEqual(secrets.length, 3);
    // the channel's file is written with a delay: wait until the last requests are in
    const text = await waitFor(() => {
      const t = outputLogText();
      return t.includes('Tenant access token set.') && t.includes('Signed out.') ? t : undefined;
    }, 15000, 'the output log file to contain the requests');
    assert.ok(text.includes(TOKEN_PATH), 'the token requests are logged');
    for (const s of secrets) assert.ok(!text.includes(s), 'a secret is in the output log');
    // Unit level, whatever the host: UploadLog masks known secrets and token-shaped text.
    // Built without its constructor: a second channel of the same name would share (and, when
    // disposed, close) the extension's own log.
    const lines: string[] = [];
    const recorder: Pick<vscode.LogOutputChannel, 'info' | 'warn' | 'error'> = {
      info: (m: string) => void lines.push(m),
      warn: (m: string) => void lines.push(m),
      error: (m: string) => void lines.push(m),
    };
    const log = Object.create(UploadLog.prototype) as UploadLog;
    Object.assign(log, { channel: recorder, secrets: [] });
    log.setSecrets([server.demo.appSecret]);
    log.info(`app_secret=${server.demo.appSecret} and ${server.demo.appSecret}`);
    log.warn(`Authorization: Bearer ${staticToken}`);
    log.error(`token ${staticToken}`);
    assert.strictEqual(lines.length, 3);
    for (const line of lines) for (const s of secrets) assert.ok(!line.includes(s), `not masked: ${line}`);
  });
});

/**
 * Resolves once everything the credential store does in reaction to a MemorySecrets event is done:
 * MemorySecrets answers without I/O, so those reactions are promise jobs (microtasks), and all of
 * them run before the next macrotask. No clock involved: it cannot miss a late event.
 */
const reactionsDone = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** In-memory SecretStorage; `external*` simulate another VS Code window changing the value. */
class MemorySecrets implements vscode.SecretStorage {
  readonly values = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<vscode.SecretStorageChangeEvent>();
  readonly onDidChange = this.emitter.event;
  async get(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }
  async store(key: string, value: string): Promise<void> {
    this.values.set(key, value);
    this.emitter.fire({ key }); // VS Code reports our own writes too
  }
  async delete(key: string): Promise<void> {
    this.values.delete(key);
    this.emitter.fire({ key });
  }
  externalStore(key: string, value: string): void {
    this.values.set(key, value);
    this.emitter.fire({ key });
  }
}

suite('Account: credential store and session (local wiring, fake secrets)', () => {
  const settings = (): LarkSettings => ({
    baseUrl: 'http://127.0.0.1:9',
    imageType: 'message',
    insertTemplate: 'raw',
    customTemplate: '${imageKey}',
    dedupe: true,
    concurrency: 8,
  });
  const nullLog = (): UploadLog & { masked: string[] } => {
    const log = Object.create(UploadLog.prototype) as UploadLog & { masked: string[] };
    log.masked = [];
    log.setSecrets = (s: string[]) => void (log.masked = [...s]);
    log.request = () => undefined;
    return log;
  };

  test('the store keeps one JSON value under SecretKey.Credentials and reads garbage as signed out', async () => {
    const secrets = new MemorySecrets();
    const store = new CredentialStore(secrets, { now: () => 1234 });
    try {
      await store.saveApp(' cli_a1b2c3 ', ' s3cret ');
      assert.deepStrictEqual([...secrets.values.keys()], [SecretKey.Credentials]);
      assert.deepStrictEqual(await store.get(), { kind: 'app', appId: 'cli_a1b2c3', appSecret: 's3cret', savedAt: 1234 });
      await store.saveToken('t-abc');
      assert.deepStrictEqual(await store.get(), { kind: 'token', token: 't-abc', savedAt: 1234 });
      for (const garbage of ['', 'not json', '42', 'null', '[]', '{"kind":"app","appId":"x"}', '{"kind":"token","token":""}', '{"kind":"oauth","token":"t-1"}']) {
        secrets.values.set(SecretKey.Credentials, garbage);
        assert.strictEqual(await store.get(), undefined, garbage);
      }
      await store.clear();
      assert.strictEqual(secrets.values.size, 0);
    } finally {
      store.dispose();
    }
  });

  test('onDidChange fires once per save/clear here, and when another window changes the value', async () => {
    const secrets = new MemorySecrets();
    const store = new CredentialStore(secrets);
    let fired = 0;
    const sub = store.onDidChange(() => fired++);
    try {
      await store.saveApp('cli_a', 'b');
      await reactionsDone();
      assert.strictEqual(fired, 1, 'our own write echoed back by SecretStorage is not a second change');
      secrets.externalStore(SecretKey.Credentials, JSON.stringify({ kind: 'token', token: 't-other-window', savedAt: 1 }));
      await waitFor(() => fired === 2, 10000, 'the change from another window');
      assert.strictEqual((await store.get())?.kind, 'token');
      await store.clear();
      await reactionsDone();
      assert.strictEqual(fired, 3);
      secrets.externalStore('someone.else', 'x');
      await reactionsDone();
      assert.strictEqual(fired, 3, 'other keys are ignored');
    } finally {
      sub.dispose();
      store.dispose();
    }
  });

  test('a keychain that throws: get() rejects with a KeychainError (not "signed out"), told once until a read works; a failed save is told and changes nothing', async () => {
    const secrets = new MemorySecrets();
    const told: KeychainError[] = [];
    const store = new CredentialStore(secrets, { onError: (e) => told.push(e) });
    let fired = 0;
    const sub = store.onDidChange(() => fired++);
    const realGet = secrets.get.bind(secrets);
    const realStore = secrets.store.bind(secrets);
    try {
      await store.saveApp('cli_kept', 'kept-secret');
      await reactionsDone();
      fired = 0;
      secrets.get = () => Promise.reject(new Error('locked'));
      for (let i = 0; i < 3; i++) {
        await assert.rejects(store.get(), (e: unknown) => e instanceof KeychainError && e.operation === 'read' && e.reason === 'locked');
      }
      assert.strictEqual(told.length, 1, 'the same read failure is told once');
      secrets.get = realGet;
      assert.strictEqual((await store.get())?.kind, 'app', 'the credentials were never lost');
      secrets.get = () => Promise.reject(new Error('locked'));
      await assert.rejects(store.get(), KeychainError);
      assert.strictEqual(told.length, 2, 'told again after a read worked in between');

      secrets.get = realGet;
      secrets.store = () => Promise.reject(new Error('read-only keychain'));
      await assert.rejects(store.saveToken('t-new'), (e: unknown) => e instanceof KeychainError && e.operation === 'save' && e.reason === 'read-only keychain');
      assert.strictEqual(told.length, 3);
      assert.strictEqual(told[2].operation, 'save');
      assert.strictEqual(fired, 0, 'a failed save is not a change');
      const kept = await store.get();
      assert.ok(kept?.kind === 'app' && kept.appId === 'cli_kept' && kept.appSecret === 'kept-secret', 'the stored credentials are unchanged');
      secrets.store = realStore;
    } finally {
      sub.dispose();
      store.dispose();
    }
  });

  test('the session caches its client, masks the stored secret, and warns once about an old static token', async () => {
    const secrets = new MemorySecrets();
    let now = 1_000_000;
    const store = new CredentialStore(secrets, { now: () => now });
    const log = nullLog();
    const session = new LarkSession(store, log, settings, () => now);
    const window = vscode.window as { showWarningMessage: unknown };
    const original = window.showWarningMessage;
    const warnings: string[] = [];
    window.showWarningMessage = (message: string) => {
      warnings.push(message);
      return Promise.resolve(undefined);
    };
    try {
      assert.strictEqual(await session.client(), undefined);
      assert.strictEqual(await session.label(), undefined);
      await store.saveApp('cli_local', 'local-secret');
      const a = await session.client();
      assert.strictEqual(a?.appId, 'cli_local');
      assert.strictEqual(await session.client(), a, 'cached');
      assert.strictEqual(await session.label(), 'cli_local');
      assert.ok(log.masked.includes('local-secret'), 'the stored secret is masked in the log');

      await store.saveToken('t-local-token');
      const b = await session.client();
      assert.ok(b && b !== a && b.appId === undefined, 'new client after the credentials changed');
      assert.ok(log.masked.includes('t-local-token'));

      // requireClient() shows its warnings before it resolves: no waiting needed (nor possible to miss)
      now += 105 * 60_000 - 1;
      await session.requireClient();
      assert.deepStrictEqual(warnings, [], 'no warning before 1 h 45 min');
      now += 1;
      await session.requireClient();
      assert.strictEqual(warnings.length, 1, 'the old-token warning at 1 h 45 min');
      assert.match(warnings[0], /set 105 minutes ago and expires within 2 hours/);
      await session.requireClient();
      assert.strictEqual(warnings.length, 1, 'once per token');

      await store.clear();
      assert.strictEqual(await session.requireClient(), undefined);
      assert.deepStrictEqual(warnings.slice(1), ['Sign in to Lark to upload images.']);
    } finally {
      window.showWarningMessage = original;
      session.dispose();
      store.dispose();
    }
  });
});
