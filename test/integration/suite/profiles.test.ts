// Real VS Code: profiles against one stand-in Lark server hosting two apps. The upgrade from the
// one-sign-in layout, adding two profiles, switching from the status bar's quick pick, keys per
// app (the same bytes uploaded once per app), the uploads view per profile and grouped, the
// hover's uploader line and warning, the workspace's choice by name, a vanished secret, and a
// profile removed while its upload is in flight.
// Restricted Mode cannot be entered in this test host (the workspace is trusted); the decision
// that ignores the setting there is tested in test/unit/profiles.test.ts (chooseProfile).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { CONFIG_SECTION, Command, SecretKey, Setting, StateKey } from '../../../src/constants';
import { LEGACY_PROFILE_ID, secretKeyFor, type Profile } from '../../../src/core/profiles';
import type { UploadRecord } from '../../../src/core/history';
import type { LarkImageUploadApi } from '../../../src/extension';
import type { TestHooks } from '../../../src/vscode/testHooks';
import { UploadsTreeProvider, type ProfileGroup, type UploadsNode } from '../../../src/vscode/uploadsView';
import { startLarkServer, type LarkServer } from '../../larkServer/server';
import { captureMessages, getExtension, getExtensionApi, waitFor } from './helpers';

const APP_TEST = { appId: 'cli_profile_test_0001', appSecret: 'profile-test-secret-0001' };
const APP_PROD = { appId: 'cli_profile_prod_0002', appSecret: 'profile-prod-secret-0002' };

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(CONFIG_SECTION);
}

suite('Profiles (real VS Code + one stand-in server with two apps)', () => {
  let api: LarkImageUploadApi;
  let hooks: TestHooks;
  let server: LarkServer;
  let ws: string;
  let fixtures: string;
  let secrets: vscode.SecretStorage;

  const uploads = (): number => server.requests.filter((r) => r.method === 'POST' && r.path === '/open-apis/im/v1/images').length;
  const profileNamed = (name: string): Profile => {
    const p = api.profiles.store.findByName(name);
    assert.ok(p, `profile ${name}`);
    return p;
  };
  const use = async (name: string): Promise<void> => {
    assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.SwitchProfile, { profile: name }), true);
    assert.strictEqual(api.session.profile()?.name, name);
  };
  function pngCopy(rel: string, tag: string): vscode.Uri {
    const file = path.join(ws, 'profiles', rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.concat([fs.readFileSync(path.join(fixtures, 'png.png')), Buffer.from(`#${tag}#${Date.now()}#${Math.random()}`)]));
    return vscode.Uri.file(file);
  }

  suiteSetup(async function () {
    this.timeout(60000);
    api = await getExtensionApi();
    assert.ok(api.testHooks, 'the extension exposes its test hooks when VS Code runs its tests');
    hooks = api.testHooks;
    // the extension's own keychain, reached the way the extension reaches it
    const captured = hooks.wrapSecrets((real) => {
      secrets = real;
      return real;
    });
    captured.dispose();
    server = await startLarkServer({ apps: [APP_TEST, APP_PROD], rateLimit: false });
    ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    assert.ok(ws, 'the test run opens a workspace folder');
    fixtures = path.join(getExtension().extensionPath, 'test', 'fixtures', 'generated');
    await config().update(Setting.Region, 'custom', vscode.ConfigurationTarget.Global);
    await config().update(Setting.CustomBaseUrl, server.baseUrl, vscode.ConfigurationTarget.Global);
    await config().update('insertTemplate', 'raw', vscode.ConfigurationTarget.Global);
  });

  suiteTeardown(async () => {
    await config().update(Setting.Profile, undefined, vscode.ConfigurationTarget.Workspace);
    for (const p of api.profiles.store.list()) await vscode.commands.executeCommand(Command.RemoveProfile, { profile: p.name, confirm: false });
    await config().update('insertTemplate', undefined, vscode.ConfigurationTarget.Global);
    await config().update(Setting.CustomBaseUrl, undefined, vscode.ConfigurationTarget.Global);
    await config().update(Setting.Region, undefined, vscode.ConfigurationTarget.Global);
    await server?.close();
  });

  test('the upgrade: today\'s stored sign-in becomes a profile named after the region, with its history, without a prompt', async () => {
    // today's layout: no profiles, one secret, records without a profile
    await hooks.globalState.update(StateKey.Profiles, undefined);
    await secrets.store(SecretKey.Credentials, JSON.stringify({ kind: 'app', ...APP_TEST, savedAt: Date.now() }));
    const old = await api.history.add({ fileName: 'before.png', ok: true, imageKey: 'img_v3_before_profiles', imageType: 'message', baseUrl: server.baseUrl, appId: APP_TEST.appId });
    assert.strictEqual(old.profileId, undefined);
    const messages = captureMessages();
    try {
      assert.strictEqual(await hooks.migrateProfiles(), 'migrated');
      const profile = api.session.profile();
      assert.ok(profile, 'the migrated profile is in use');
      assert.deepStrictEqual([profile.id, profile.name, profile.origin, profile.appId], [LEGACY_PROFILE_ID, new URL(server.baseUrl).host, server.baseUrl, APP_TEST.appId]);
      assert.strictEqual(await secrets.get(SecretKey.Credentials), undefined, 'the old secret is gone');
      assert.ok(await secrets.get(secretKeyFor(LEGACY_PROFILE_ID)), 'the secret is under the profile');
      assert.strictEqual(api.history.findByKey('img_v3_before_profiles')?.profileId, LEGACY_PROFILE_ID, 'the old record belongs to the profile');
      assert.strictEqual(await hooks.migrateProfiles(), 'nothing', 'a second run changes nothing');
      assert.deepStrictEqual(messages.shown, [], 'no prompt');
      assert.deepStrictEqual(await vscode.commands.executeCommand(Command.TestConnection), { ok: true }, 'still signed in');
    } finally {
      messages.dispose();
    }
    // the migrated profile is the "Test" app: name it so
    assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.RenameProfile, { profile: new URL(server.baseUrl).host, name: 'Test' }), true);
  });

  test('a second profile for the second app; duplicate and empty names are refused', async () => {
    assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.AddProfile, { ...APP_PROD, name: 'Prod' }), true);
    assert.strictEqual(api.session.profile()?.name, 'Prod', 'the new profile is in use');
    assert.deepStrictEqual(
      api.profiles.store.list().map((p) => [p.name, p.appId]),
      [
        ['Test', APP_TEST.appId],
        ['Prod', APP_PROD.appId],
      ],
    );
    const messages = captureMessages();
    try {
      const requests = server.requests.length;
      assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.RenameProfile, { profile: 'Prod', name: ' TEST ' }), false);
      assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.RenameProfile, { profile: 'Prod', name: '   ' }), false);
      assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.SetToken, { token: server.issueStaticToken(APP_PROD.appId), name: 'test', newProfile: true }), false);
      assert.deepStrictEqual(messages.texts('error'), [
        'A profile named "TEST" exists already. Profile names are unique (upper and lower case count as the same).',
        'Enter a name for the profile.',
        'A profile named "test" exists already. Profile names are unique (upper and lower case count as the same).',
      ]);
      assert.strictEqual(server.requests.length, requests);
      assert.deepStrictEqual(api.profiles.store.list().map((p) => p.name), ['Test', 'Prod'], 'nothing renamed or added');
    } finally {
      messages.dispose();
    }
  });

  test('the status bar shows the profile and region; its click offers the profiles (app ids, regions) and Add Profile, and switches', async () => {
    const item = api.statusBarItem;
    await waitFor(() => item.text.includes('Prod'), 10000, 'the status bar to name the profile');
    assert.ok(item.text.includes(server.baseUrl), `the region (a custom origin) is shown: ${item.text}`);
    const command = typeof item.command === 'string' ? item.command : item.command?.command;
    assert.strictEqual(command, Command.SwitchProfile);
    const window = vscode.window as unknown as Record<string, unknown>;
    const original = window.showQuickPick;
    const offered: vscode.QuickPickItem[][] = [];
    window.showQuickPick = (items: readonly vscode.QuickPickItem[]) => {
      offered.push([...items]);
      return Promise.resolve(items.find((i) => i.label.endsWith('Test')));
    };
    try {
      assert.strictEqual(await vscode.commands.executeCommand<boolean>(command), true);
    } finally {
      window.showQuickPick = original;
    }
    const labels = offered[0].filter((i) => i.kind !== vscode.QuickPickItemKind.Separator);
    assert.deepStrictEqual(
      labels.map((i) => [i.label.replace('$(check) ', ''), i.description]),
      [
        ['Test', `${APP_TEST.appId} · ${server.baseUrl}`],
        ['Prod', `${APP_PROD.appId} · ${server.baseUrl}`],
        ['$(add) Add Profile…', undefined],
      ],
    );
    assert.strictEqual(api.session.profile()?.name, 'Test');
    await waitFor(() => item.text.includes('Test'), 10000, 'the status bar to follow the switch');
  });

  test('keys per app: the same bytes are uploaded once per app (two requests, two keys), then reused per app', async () => {
    server.reset();
    const file = pngCopy('same.png', 'same');
    await use('Test');
    const a = await api.uploadFiles([file], { insert: false });
    await use('Prod');
    const b = await api.uploadFiles([file], { insert: false });
    assert.ok(a?.outcomes[0].ok && b?.outcomes[0].ok, JSON.stringify([a?.outcomes, b?.outcomes]));
    assert.ok(!b.outcomes[0].deduped, 'the other app does not reuse the first app\'s key');
    const [keyA, keyB] = [a.outcomes[0].imageKey, b.outcomes[0].imageKey];
    assert.notStrictEqual(keyA, keyB);
    assert.strictEqual(uploads(), 2);
    assert.strictEqual(server.images.get(keyA)?.appId, APP_TEST.appId);
    assert.strictEqual(server.images.get(keyB)?.appId, APP_PROD.appId);
    const again = await api.uploadFiles([file], { insert: false });
    assert.ok(again?.outcomes[0].ok && again.outcomes[0].deduped && again.outcomes[0].imageKey === keyB, 'the same app reuses its own key');
    assert.strictEqual(uploads(), 2);
    const records = api.history.findByFile(file.fsPath);
    assert.deepStrictEqual(
      records.map((r) => [r.imageKey, r.profileId, r.appId, r.baseUrl]).sort(),
      [
        [keyA, profileNamed('Test').id, APP_TEST.appId, server.baseUrl],
        [keyB, profileNamed('Prod').id, APP_PROD.appId, server.baseUrl],
      ].sort(),
    );
  });

  test('the uploads view: the active profile\'s uploads by default; the title toggle shows all, grouped by profile', async () => {
    const provider = new UploadsTreeProvider<UploadsNode>(api.history, {
      profiles: api.profiles.store,
      current: () => api.session.profile(),
      onDidChangeProfile: api.session.onDidChange,
      state: hooks.globalState,
    });
    try {
      await vscode.commands.executeCommand(Command.ShowActiveProfileUploads);
      await use('Prod');
      const prod = profileNamed('Prod').id;
      const mine = provider.getChildren() as UploadRecord[];
      assert.ok(mine.length > 0);
      assert.ok(mine.every((r) => r.profileId === prod), 'only the active profile\'s uploads');
      await vscode.commands.executeCommand(Command.ShowAllProfilesUploads);
      const groups = provider.getChildren() as ProfileGroup[];
      assert.deepStrictEqual(groups.slice(0, 2).map((g) => g.label), ['Test', 'Prod'], 'the profiles first, in their order');
      // then profiles removed earlier (other suites' sign-ins), then records made before profiles
      for (const g of groups.slice(2)) assert.ok(['Removed profile', 'Before profiles'].includes(g.label), g.label);
      for (const g of groups) assert.ok((provider.getChildren(g) as UploadRecord[]).every((r) => r.profileId === g.profileId));
      const total = groups.reduce((n, g) => n + g.records.length, 0);
      assert.strictEqual(total, api.history.list().length, 'every upload is in one group');
      const record = groups[1].records[0];
      assert.strictEqual((provider.getParent(record) as ProfileGroup | undefined)?.profileId, groups[1].profileId, 'reveal() finds a record in its group');
      assert.strictEqual(provider.getTreeItem(groups[0]).label, 'Test');
    } finally {
      await vscode.commands.executeCommand(Command.ShowActiveProfileUploads);
      provider.dispose();
    }
  });

  test('the hover says which profile and app uploaded a key, and warns when that is not the active profile', async () => {
    await use('Prod');
    const testRecord = api.history.list().find((r) => r.ok && r.profileId === profileNamed('Test').id && r.filePath);
    const prodRecord = api.history.list().find((r) => r.ok && r.profileId === profileNamed('Prod').id && r.filePath);
    assert.ok(testRecord?.imageKey && prodRecord?.imageKey);
    const doc = await vscode.workspace.openTextDocument({ content: `${testRecord.imageKey}\n${prodRecord.imageKey}\n`, language: 'markdown' });
    const hoverText = async (line: number): Promise<string> => {
      const hover = await api.hoverProvider.provideHover(doc, new vscode.Position(line, 5));
      return hover ? hover.contents.map((c) => (c instanceof vscode.MarkdownString ? c.value : String(c))).join('\n') : '';
    };
    const other = await hoverText(0);
    assert.ok(other.includes(`Uploaded by profile Test (app ${APP_TEST.appId.replace(/_/g, '\\_')})`), other);
    assert.ok(other.includes('Not the active profile (Prod)'), other);
    const own = await hoverText(1);
    assert.ok(own.includes(`Uploaded by profile Prod (app ${APP_PROD.appId.replace(/_/g, '\\_')})`), own);
    assert.ok(!own.includes('Not the active profile'), own);
  });

  test('a workspace chooses a profile by name; a name that does not exist is said once and the active profile is used', async () => {
    await use('Prod');
    const messages = captureMessages();
    try {
      await config().update(Setting.Profile, 'test', vscode.ConfigurationTarget.Workspace);
      await waitFor(() => api.session.profile()?.name === 'Test', 10000, 'the workspace\'s profile');
      assert.strictEqual(api.profiles.store.active()?.name, 'Prod', 'the user\'s active profile is unchanged');
      assert.strictEqual(api.session.baseUrl(), server.baseUrl);
      await config().update(Setting.Profile, 'Staging', vscode.ConfigurationTarget.Workspace);
      await waitFor(() => messages.texts('warning').length > 0, 10000, 'the notice about the unknown profile');
      assert.strictEqual(api.session.profile()?.name, 'Prod');
      // another change does not repeat the notice
      await vscode.commands.executeCommand(Command.RenameProfile, { profile: 'Prod', name: 'Production' });
      await vscode.commands.executeCommand(Command.RenameProfile, { profile: 'Production', name: 'Prod' });
      assert.deepStrictEqual(messages.texts('warning'), ['This workspace asks for the Lark profile "Staging", which you do not have. Using your active profile "Prod".']);
    } finally {
      messages.dispose();
      await config().update(Setting.Profile, undefined, vscode.ConfigurationTarget.Workspace);
    }
    assert.strictEqual(vscode.workspace.isTrusted, true, 'Restricted Mode is covered by the unit tests (chooseProfile)');
  });

  test('a secret that vanished from the keychain: the upload says so and offers to enter it again; history stays', async () => {
    await use('Test');
    const test = profileNamed('Test');
    const before = api.history.list().filter((r) => r.profileId === test.id).length;
    await secrets.delete(secretKeyFor(test.id)); // the OS keychain was reset
    const messages = captureMessages();
    const window = vscode.window as unknown as Record<string, unknown>;
    const originals = { showWarningMessage: window.showWarningMessage, showInputBox: window.showInputBox };
    const prompts: string[] = [];
    const prefilled: (string | undefined)[] = [];
    window.showWarningMessage = (text: string, ...items: unknown[]) => {
      prompts.push(text);
      return Promise.resolve(items.includes('Sign In') ? 'Sign In' : undefined);
    };
    const typed = [APP_TEST.appId, APP_TEST.appSecret];
    window.showInputBox = (options: vscode.InputBoxOptions) => {
      prefilled.push(options.value);
      return Promise.resolve(typed.shift());
    };
    try {
      const summary = await api.uploadFiles([pngCopy('vanished.png', 'vanished')], { insert: false });
      assert.deepStrictEqual(prompts, [
        'The credentials of profile "Test" are no longer in the system keychain (it may have been reset). Enter them again to upload images; the profile\'s upload history is kept.',
      ]);
      assert.ok(summary?.outcomes[0].ok, 'the upload went on once the secret was entered again');
      assert.deepStrictEqual(typed, []);
      assert.strictEqual(prefilled[0], APP_TEST.appId, 'the App ID is prefilled from the profile');
    } finally {
      Object.assign(window, originals);
      messages.dispose();
    }
    assert.deepStrictEqual(api.profiles.store.list().map((p) => p.name), ['Test', 'Prod'], 'the same profile, not a new one');
    assert.strictEqual(api.history.list().filter((r) => r.profileId === test.id).length, before + 1, 'history kept');
  });

  test('removing a profile during its upload: the upload finishes and is recorded under that profile, not the next one', async () => {
    await use('Prod');
    const prod = profileNamed('Prod');
    server.reset();
    server.injectFaults({ kind: 'slow', delayMs: 2000 });
    const file = pngCopy('removed.png', 'removed');
    const upload = api.uploadFiles([file], { insert: false });
    // the upload request has reached the server (it took the slow fault)
    await waitFor(() => server.pendingFaults() === 0, 15000, 'the upload to reach the server');
    assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.RemoveProfile, { profile: 'Prod', confirm: false }), true);
    assert.strictEqual(api.session.profile()?.name, 'Test', 'another profile is active');
    const summary = await upload;
    assert.ok(summary?.outcomes[0].ok, JSON.stringify(summary?.outcomes));
    const [record] = api.history.findByFile(file.fsPath);
    assert.strictEqual(record.profileId, prod.id, 'recorded under the profile that uploaded');
    assert.strictEqual(record.appId, APP_PROD.appId);
    assert.strictEqual(await secrets.get(secretKeyFor(prod.id)), undefined, 'the removed profile\'s secret is gone');
  });
});
