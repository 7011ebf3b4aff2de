// Real VS Code: what the user sees when the extension's own storage fails under it. The keychain
// (SecretStorage) and the history storage are replaced in the RUNNING extension through its test
// hooks (exposed only when VS Code runs the extension's tests), then the ordinary commands,
// paste provider and API are used against the stand-in Lark server.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Command, StateKey } from '../../../src/constants';
import type { LarkImageUploadApi } from '../../../src/extension';
import type { HistoryStorage } from '../../../src/core/history';
import type { TestHooks } from '../../../src/vscode/testHooks';
import type { ConnectionTestResult } from '../../../src/vscode/account';
import type { UploadSummary } from '../../../src/vscode/upload';
import { startLarkServer, type LarkServer } from '../../larkServer/server';
import { captureMessages, getExtension, getExtensionApi, waitForLog } from './helpers';

const config = () => vscode.workspace.getConfiguration('larkImageUpload');
const SIGNED_OUT = 'Sign in to Lark to upload images.';

/** A keychain whose chosen operations fail with `message` (the others reach the real one). */
function failingKeychain(real: vscode.SecretStorage, fail: { get?: string; store?: (value: string) => string; delete?: string }): vscode.SecretStorage {
  return {
    onDidChange: real.onDidChange,
    get: (key) => (fail.get ? Promise.reject(new Error(fail.get)) : real.get(key)),
    store: (key, value) => (fail.store ? Promise.reject(new Error(fail.store(value))) : real.store(key, value)),
    delete: (key) => (fail.delete ? Promise.reject(new Error(fail.delete)) : real.delete(key)),
  };
}

suite('Storage failures: keychain and history (real VS Code + stand-in Lark server)', () => {
  let api: LarkImageUploadApi;
  let hooks: TestHooks;
  let server: LarkServer;
  let ws: string;
  let fixtures: string;
  let messages: ReturnType<typeof captureMessages>;
  const undo: vscode.Disposable[] = [];

  const uploads = () => server.requests.filter((r) => r.method === 'POST' && r.path === '/open-apis/im/v1/images').length;
  function distinctPng(rel: string): vscode.Uri {
    const file = path.join(ws, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.concat([fs.readFileSync(path.join(fixtures, 'png.png')), Buffer.from(`#${rel}#${Date.now()}#${Math.random()}`)]));
    return vscode.Uri.file(file);
  }
  async function signIn(): Promise<void> {
    const ok = await vscode.commands.executeCommand<boolean>(Command.SignIn, { appId: server.demo.appId, appSecret: server.demo.appSecret });
    assert.strictEqual(ok, true, 'sign in against the stand-in server');
  }

  suiteSetup(async function () {
    this.timeout(60000);
    api = await getExtensionApi();
    assert.ok(api.testHooks, 'the extension exposes its test hooks when VS Code runs its tests');
    hooks = api.testHooks;
    server = await startLarkServer();
    ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    assert.ok(ws, 'the test run opens a workspace folder');
    fixtures = path.join(getExtension().extensionPath, 'test', 'fixtures', 'generated');
    await config().update('region', 'custom', vscode.ConfigurationTarget.Global);
    await config().update('customBaseUrl', server.baseUrl, vscode.ConfigurationTarget.Global);
    await config().update('insertTemplate', 'raw', vscode.ConfigurationTarget.Global);
  });

  suiteTeardown(async () => {
    await config().update('insertTemplate', undefined, vscode.ConfigurationTarget.Global);
    await server?.close();
  });

  setup(async () => {
    server.reset();
    await signIn();
    messages = captureMessages();
  });

  teardown(async () => {
    for (const d of undo.splice(0)) d.dispose();
    messages.dispose();
  });

  test('a keychain that cannot be read: uploads and the connection test say the keychain failed, not "signed out"; the credentials survive', async () => {
    undo.push(hooks.wrapSecrets((real) => failingKeychain(real, { get: 'keychain locked (test)' })));
    const file = distinctPng('keychain/read.png');
    const requestsBefore = server.requests.length;

    const summary = await api.uploadFiles([file], { insert: false });
    assert.strictEqual(summary, undefined, 'nothing was uploaded');
    assert.strictEqual(uploads(), 0);
    const result = await vscode.commands.executeCommand<ConnectionTestResult>(Command.TestConnection);
    assert.strictEqual(result.ok, false);
    assert.strictEqual(server.requests.length, requestsBefore, 'no request without credentials');

    const errors = messages.texts('error');
    assert.strictEqual(errors.length, 2, JSON.stringify(messages.shown));
    for (const e of errors) assert.match(e, /keychain/i);
    for (const e of errors) assert.match(e, /keychain locked \(test\)/);
    assert.ok(!messages.texts().includes(SIGNED_OUT), 'a keychain failure is not reported as "signed out"');
    assert.ok(!messages.texts().some((t) => /base URL/.test(t)), 'nor as a refused base URL');
    await waitForLog('keychain locked (test)');

    // The keychain recovers: still signed in, nothing was wiped.
    for (const d of undo.splice(0)) d.dispose();
    const again = await api.uploadFiles([file], { insert: false });
    assert.ok(again?.outcomes[0].ok, 'signed in once the keychain can be read again');
  });

  test('sign out while the keychain cannot be read says so (not "You are not signed in")', async () => {
    undo.push(hooks.wrapSecrets((real) => failingKeychain(real, { get: 'keychain unavailable (test)' })));
    assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.SignOut, { confirm: false }), false);
    const errors = messages.texts('error');
    assert.strictEqual(errors.length, 1, JSON.stringify(messages.shown));
    assert.match(errors[0], /keychain unavailable \(test\)/);
    assert.ok(!messages.texts('info').some((t) => /not signed in/.test(t)), JSON.stringify(messages.shown));
  });

  test('a keychain that cannot save or delete: sign in, set token and sign out fail with a keychain message; no secret in messages or log', async () => {
    // A hostile keychain that echoes the value it was given in its error.
    undo.push(hooks.wrapSecrets((real) => failingKeychain(real, { store: (value) => `cannot store ${value} (test)`, delete: 'cannot delete (test)' })));
    const token = server.issueStaticToken();

    assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.SignIn, { appId: server.demo.appId, appSecret: server.demo.appSecret }), false);
    assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.SetToken, { token }), false);
    assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.SignOut, { confirm: false }), false);

    const errors = messages.texts('error');
    assert.strictEqual(errors.length, 3, JSON.stringify(messages.shown));
    for (const e of errors) assert.match(e, /keychain/i);
    assert.match(errors[2], /cannot delete \(test\)/);
    assert.ok(!messages.texts('info').some((t) => /Signed in|saved|Signed out/.test(t)), `no success is claimed: ${JSON.stringify(messages.shown)}`);
    const everything = JSON.stringify(messages.shown);
    assert.ok(!everything.includes(server.demo.appSecret), 'the App Secret is in a message');
    assert.ok(!everything.includes(token), 'the token is in a message');
    const log = await waitForLog('cannot delete (test)');
    assert.match(log, /cannot store .* \(test\)/);
    assert.ok(!log.includes(server.demo.appSecret), 'the App Secret is in the log');
    assert.ok(!log.includes(token), 'the token is in the log');

    // The keychain recovers: the earlier credentials are still there.
    for (const d of undo.splice(0)) d.dispose();
    assert.strictEqual(await api.session.label(), server.demo.appId);
  });

  test('history storage that rejects writes: the keys are still inserted and announced; the history failure is logged and shown on its own', async () => {
    undo.push(hooks.wrapHistoryStorage((real): HistoryStorage => ({ get: () => real.get(), set: () => Promise.reject(new Error('disk full (test)')) })));
    const files = [distinctPng('history/one.png'), distinctPng('history/two.png')];
    const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content: '' });
    const editor = await vscode.window.showTextDocument(doc);

    const summary = await vscode.commands.executeCommand<UploadSummary>(Command.UploadImages, files[0], files);
    assert.ok(summary, 'the command returns its summary');
    assert.ok(summary.outcomes.every((o) => o.ok), JSON.stringify(summary.outcomes));
    const keys = summary.outcomes.map((o) => (o.ok ? o.imageKey : ''));
    assert.strictEqual(summary.target, 'editor');
    assert.strictEqual(editor.document.getText(), keys.join('\n'), 'the keys Lark returned are in the editor');
    assert.ok(messages.texts('info').some((t) => t.startsWith('Uploaded 2 images to Lark.')), JSON.stringify(messages.shown));
    const warnings = messages.texts('warning').filter((t) => /history/i.test(t));
    assert.strictEqual(warnings.length, 1, `one warning about the history: ${JSON.stringify(messages.shown)}`);
    assert.match(warnings[0], /disk full \(test\)/);
    await waitForLog('disk full (test)');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('history storage that rejects writes: a pasted image still gets its key inserted', async () => {
    undo.push(hooks.wrapHistoryStorage((real): HistoryStorage => ({ get: () => real.get(), set: () => Promise.reject(new Error('quota exceeded (test)')) })));
    const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content: '' });
    const dt = new vscode.DataTransfer();
    dt.set('image/png', new vscode.DataTransferItem(new Uint8Array(fs.readFileSync(distinctPng('history/pasted.png').fsPath))));
    const range = new vscode.Range(0, 0, 0, 0);
    const token = new vscode.CancellationTokenSource().token;
    const edits = await api.pasteProvider.provideDocumentPasteEdits(doc, [range], dt, { only: undefined, triggerKind: vscode.DocumentPasteTriggerKind.PasteAs }, token);
    assert.ok(edits && edits.length === 1, 'our edit is offered');
    const resolved = await api.pasteProvider.resolveDocumentPasteEdit(edits[0], token);
    assert.ok(resolved.additionalEdit, 'the edit inserts the key');
    assert.ok(await vscode.workspace.applyEdit(resolved.additionalEdit));
    assert.match(doc.getText(), /^img_v2_/);
    assert.ok(server.images.has(doc.getText()), 'the inserted key is the one Lark returned');
    const warnings = messages.texts('warning').filter((t) => /history/i.test(t));
    assert.strictEqual(warnings.length, 1, JSON.stringify(messages.shown));
    await waitForLog('quota exceeded (test)');
  });

  test('a dedupe index that cannot be read or written: the upload still lands, and both failures are in the log', async () => {
    undo.push(
      hooks.wrapDedupeStore((real) => ({
        get: () => Promise.reject(new Error('dedupe index unreadable (test)')),
        set: () => Promise.reject(new Error('dedupe index full (test)')),
        delete: (key) => real.delete(key),
      })),
    );
    const summary = await api.uploadFiles([distinctPng('dedupe/broken-index.png')], { insert: false });
    assert.ok(summary?.outcomes[0].ok, JSON.stringify(summary?.outcomes));
    assert.strictEqual(uploads(), 1);
    const log = await waitForLog('dedupe index full (test)');
    assert.match(log, /dedupe index unreadable \(test\)/);
  });

  test('a history listener that throws is logged, and the other listeners still hear the change', async () => {
    const broken = api.history.onDidChange(() => {
      throw new Error('listener broke (test)');
    });
    let heard = 0;
    const working = api.history.onDidChange(() => heard++);
    try {
      const file = distinctPng('history/listener.png');
      const summary = await api.uploadFiles([file], { insert: false });
      assert.ok(summary?.outcomes[0].ok);
      assert.ok(heard > 0, 'the listener after the broken one heard the change');
      assert.ok(api.history.findByFile(file.fsPath).length === 1);
      await waitForLog('listener broke (test)');
    } finally {
      broken.dispose();
      working.dispose();
    }
  });

  test('history storage that cannot be read: keys inserted, nothing stored is overwritten, one warning per episode, logged', async () => {
    const storedBefore = JSON.stringify(hooks.globalState.get(StateKey.History));
    assert.ok(api.history.list().length > 0, 'the tests above left entries to protect');
    undo.push(
      hooks.wrapHistoryStorage((real): HistoryStorage => ({
        get: () => {
          throw new Error('history unreadable (test)');
        },
        set: (value) => real.set(value),
      })),
    );
    const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content: '' });
    const editor = await vscode.window.showTextDocument(doc);
    const keys: string[] = [];
    for (const name of ['a', 'b']) {
      const file = distinctPng(`unreadable/${name}.png`);
      const summary = await vscode.commands.executeCommand<UploadSummary>(Command.UploadImages, file, [file]);
      assert.ok(summary?.outcomes[0].ok, JSON.stringify(summary?.outcomes));
      assert.strictEqual(summary.target, 'editor');
      keys.push(summary.outcomes[0].imageKey);
    }
    for (const key of keys) assert.ok(editor.document.getText().includes(key), `${key} was inserted`);
    assert.strictEqual(JSON.stringify(hooks.globalState.get(StateKey.History)), storedBefore, 'what was stored is untouched');
    const warnings = messages.texts('warning').filter((t) => /history/i.test(t));
    assert.strictEqual(warnings.length, 1, `one warning while the history cannot be read: ${JSON.stringify(messages.shown)}`);
    assert.match(warnings[0], /history unreadable \(test\)/);
    await waitForLog('history unreadable (test)');

    // readable again: new entries are recorded; a new episode warns again
    for (const d of undo.splice(0)) d.dispose();
    const third = await api.uploadFiles([distinctPng('unreadable/c.png')], { insert: false });
    assert.ok(third?.outcomes[0].ok && api.history.findByKey(third.outcomes[0].imageKey), 'recorded once the history can be read');
    undo.push(
      hooks.wrapHistoryStorage((real): HistoryStorage => ({
        get: () => {
          throw new Error('history unreadable again (test)');
        },
        set: (value) => real.set(value),
      })),
    );
    await api.uploadFiles([distinctPng('unreadable/d.png')], { insert: false });
    const again = messages.texts('warning').filter((t) => /history unreadable again \(test\)/.test(t));
    assert.strictEqual(again.length, 1, JSON.stringify(messages.shown));
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
