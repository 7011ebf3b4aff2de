// Real VS Code: "Fetch preview from Lark" keeps the image in the extension's storage; Clear
// History and Sign Out delete what was fetched (the folder's size/age bound is tested at unit
// level, test/unit/previewFolder.test.ts).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Command } from '../../../src/constants';
import type { LarkImageUploadApi } from '../../../src/extension';
import { DEMO_APP, startLarkServer, type LarkServer } from '../../larkServer/server';
import { LarkClient } from '../../../src/core/larkClient';
import { captureMessages, getExtension, getExtensionApi } from './helpers';

const config = () => vscode.workspace.getConfiguration('larkImageUpload');
/** Another app of the same tenant: what it uploads, ours cannot download (234008). */
const OTHER_APP = { appId: 'cli_other0000000002', appSecret: 'other-secret-not-real' };

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
    server = await startLarkServer({ apps: [DEMO_APP, OTHER_APP] });
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

  test('signed out: after signing in from the prompt, the preview the user asked for is fetched', async () => {
    const file = path.join(ws, 'previews', 'signed-out.png');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.concat([fs.readFileSync(path.join(fixtures, 'png.png')), Buffer.from(`#signed-out#${Date.now()}`)]));
    const summary = await api.uploadFiles([vscode.Uri.file(file)], { insert: false });
    const key = summary?.outcomes[0].ok ? summary.outcomes[0].imageKey : undefined;
    assert.ok(key, JSON.stringify(summary?.outcomes));
    assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.SignOut, { confirm: false }), true);
    const messages = captureMessages();
    const window = vscode.window as unknown as Record<string, unknown>;
    const originals = { showWarningMessage: window.showWarningMessage, showInputBox: window.showInputBox };
    const prompts: string[] = [];
    window.showWarningMessage = (text: string, ...items: unknown[]) => {
      prompts.push(text);
      return Promise.resolve(items.includes('Sign In') ? 'Sign In' : undefined); // the user clicks "Sign In"
    };
    const typed = [server.demo.appId, server.demo.appSecret];
    window.showInputBox = () => Promise.resolve(typed.shift()); // and types the App ID and Secret
    try {
      const preview = await vscode.commands.executeCommand<vscode.Uri | undefined>(Command.PreviewImage, key);
      assert.ok(prompts.some((p) => /sign in/i.test(p)), `the user was asked to sign in: ${prompts.join(' | ')}`);
      assert.deepStrictEqual(typed, [], 'the App ID and Secret were asked for');
      assert.ok(preview, 'the preview was fetched after signing in');
      assert.deepStrictEqual(fs.readFileSync(preview.fsPath), fs.readFileSync(file));
    } finally {
      Object.assign(window, originals);
      messages.dispose();
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await signIn();
    }
  });

  test('a TIFF fetched from Lark (which serves it as JPEG) is named by its bytes and opens as an image', async () => {
    const file = path.join(ws, 'previews', 'scan.tiff');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.copyFileSync(path.join(fixtures, 'tiff.tiff'), file);
    const summary = await api.uploadFiles([vscode.Uri.file(file)], { insert: false, force: true });
    const key = summary?.outcomes[0].ok ? summary.outcomes[0].imageKey : undefined;
    assert.ok(key, JSON.stringify(summary?.outcomes));
    const preview = await vscode.commands.executeCommand<vscode.Uri | undefined>(Command.PreviewImage, key);
    assert.ok(preview, 'the preview was fetched');
    assert.match(preview.fsPath, /\.jpg$/, 'named by the bytes Lark sent (JPEG)');
    const tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => (t.input as { uri?: vscode.Uri })?.uri?.toString() === preview.toString());
    assert.ok(tab, 'the preview is open');
    assert.ok(tab.input instanceof vscode.TabInputCustom, `opened in an editor of its own: ${tab.input?.constructor.name}`);
    assert.strictEqual(tab.input.viewType, 'imagePreview.previewEditor', 'as an image');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('fetching a key Lark does not know (234001), or one another app uploaded (234008), says so in words', async () => {
    const messages = captureMessages();
    try {
      assert.strictEqual(await vscode.commands.executeCommand(Command.PreviewImage, 'img_v2_00000000-0000-0000-0000-00000000dead'), undefined);
      const other = new LarkClient({ baseUrl: server.baseUrl, credentials: { kind: 'app', ...OTHER_APP } });
      const { imageKey } = await other.uploadImage({ kind: 'file', path: path.join(fixtures, 'png.png'), mime: 'image/png' }, 'message');
      assert.strictEqual(await vscode.commands.executeCommand(Command.PreviewImage, imageKey), undefined);
      const [unknown, foreign] = messages.texts('error');
      assert.match(unknown, /^Could not fetch img_v2_0+-0000-0000-0000-00000000dead from Lark: Lark does not know this image_key \(234001\)\. Check that the key was copied whole/);
      assert.match(foreign, /: App is not the uploader of this image \(234008\)\. Only the app that uploaded an image can download it/);
    } finally {
      messages.dispose();
    }
  });
});
