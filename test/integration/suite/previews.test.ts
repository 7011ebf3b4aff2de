// Real VS Code: "Fetch preview from Lark" keeps the image in the extension's storage; Clear
// History and Sign Out delete what was fetched (the folder's size/age bound is tested at unit
// level, test/unit/previewFolder.test.ts).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Command } from '../../../src/constants';
import type { LarkImageUploadApi } from '../../../src/extension';
import { startLarkServer, type LarkServer } from '../../larkServer/server';
import { getExtension, getExtensionApi } from './helpers';

const config = () => vscode.workspace.getConfiguration('larkImageUpload');

suite('Fetched previews are deleted by Clear History and Sign Out (real VS Code + stand-in Lark server)', () => {
  let api: LarkImageUploadApi;
  let server: LarkServer;
  let ws: string;
  let fixtures: string;

  /** Uploads a new image and fetches its preview from the stand-in server; returns the preview file. */
  async function fetchedPreview(tag: string): Promise<string> {
    const file = path.join(ws, 'previews', `${tag}.png`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.concat([fs.readFileSync(path.join(fixtures, 'png.png')), Buffer.from(`#${tag}#${Date.now()}#${Math.random()}`)]));
    const summary = await api.uploadFiles([vscode.Uri.file(file)], { insert: false });
    const key = summary?.outcomes[0].ok ? summary.outcomes[0].imageKey : undefined;
    assert.ok(key, JSON.stringify(summary?.outcomes));
    const preview = await vscode.commands.executeCommand<vscode.Uri | undefined>(Command.PreviewImage, key);
    assert.ok(preview, 'the preview was fetched');
    assert.deepStrictEqual(fs.readFileSync(preview.fsPath), fs.readFileSync(file), 'the preview holds the uploaded bytes');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    return preview.fsPath;
  }

  async function signIn(): Promise<void> {
    const ok = await vscode.commands.executeCommand<boolean>(Command.SignIn, { appId: server.demo.appId, appSecret: server.demo.appSecret });
    assert.strictEqual(ok, true, 'sign in against the stand-in server');
  }

  suiteSetup(async function () {
    this.timeout(60000);
    api = await getExtensionApi();
    server = await startLarkServer();
    ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    assert.ok(ws, 'the test run opens a workspace folder');
    fixtures = path.join(getExtension().extensionPath, 'test', 'fixtures', 'generated');
    await config().update('region', 'custom', vscode.ConfigurationTarget.Global);
    await config().update('customBaseUrl', server.baseUrl, vscode.ConfigurationTarget.Global);
    await signIn();
  });

  suiteTeardown(async () => {
    await server?.close();
  });

  test('Clear History deletes every fetched preview, also when the list is already empty', async () => {
    const first = await fetchedPreview('clear-1');
    const second = await fetchedPreview('clear-2');
    assert.ok(fs.existsSync(first) && fs.existsSync(second));
    assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.ClearHistory, { confirm: false }), true);
    assert.deepStrictEqual(api.history.list(), []);
    assert.ok(!fs.existsSync(first), 'the first preview is gone');
    assert.ok(!fs.existsSync(second), 'the second preview is gone');

    const third = await fetchedPreview('clear-3');
    const entry = api.history.list()[0];
    assert.ok(entry);
    await api.history.remove(entry.id); // the list is empty, the preview is still there
    assert.ok(fs.existsSync(third));
    await vscode.commands.executeCommand(Command.ClearHistory, { confirm: false });
    assert.ok(!fs.existsSync(third), 'Clear History on an empty list still deletes the previews');
  });

  test('Sign Out deletes every fetched preview', async () => {
    const preview = await fetchedPreview('signout');
    assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.SignOut, { confirm: false }), true);
    assert.ok(!fs.existsSync(preview), 'the preview is gone');
    await signIn();
  });
});
