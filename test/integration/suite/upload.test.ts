// The upload gestures end to end in a real VS Code, against the stand-in Lark server started in
// this extension host: explorer multi-select and folders, keys at the cursor, diagnostics,
// history, dedupe, token expiry, cancel, clipboard fallback.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Command, StateKey } from '../../../src/constants';
import type { LarkImageUploadApi } from '../../../src/extension';
import { UploadHistory } from '../../../src/core/history';
import { mementoHistoryStorage } from '../../../src/vscode/state';
import type { UploadSummary } from '../../../src/vscode/upload';
import { startLarkServer, type LarkServer } from '../../larkServer/server';
import { captureMessages, getExtension, getExtensionApi, waitFor } from './helpers';
import { describeError } from '../../../src/core/larkErrors';
import { UploadsTreeProvider } from '../../../src/vscode/uploadsView';
import { escapeMarkdown } from '../../../src/vscode/format';

const config = () => vscode.workspace.getConfiguration('larkImageUpload');

suite('Upload (real VS Code + stand-in Lark server)', () => {
  let api: LarkImageUploadApi;
  let server: LarkServer;
  let ws: string;
  let fixtures: string;

  const uploadRequests = () => server.requests.filter((r) => r.method === 'POST' && r.path === '/open-apis/im/v1/images');

  /** A distinct valid PNG (fixture bytes + a tag after IEND), so dedupe does not hide uploads. */
  function distinctPng(rel: string, tag: string): vscode.Uri {
    const file = path.join(ws, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.concat([fs.readFileSync(path.join(fixtures, 'png.png')), Buffer.from(`#${tag}#${Date.now()}#${Math.random()}`)]));
    return vscode.Uri.file(file);
  }
  function copyFixture(name: string, rel: string): vscode.Uri {
    const file = path.join(ws, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.copyFileSync(path.join(fixtures, name), file);
    return vscode.Uri.file(file);
  }
  async function openEditor(rel: string, content: string): Promise<vscode.TextEditor> {
    const file = path.join(ws, rel);
    fs.writeFileSync(file, content);
    const doc = await vscode.workspace.openTextDocument(file);
    const editor = await vscode.window.showTextDocument(doc);
    const end = doc.lineAt(doc.lineCount - 1).range.end;
    editor.selection = new vscode.Selection(end, end);
    return editor;
  }
  async function pointAt(s: LarkServer): Promise<void> {
    await config().update('region', 'custom', vscode.ConfigurationTarget.Global);
    await config().update('customBaseUrl', s.baseUrl, vscode.ConfigurationTarget.Global);
    const signedIn = await vscode.commands.executeCommand<boolean>(Command.SignIn, { appId: s.demo.appId, appSecret: s.demo.appSecret });
    assert.strictEqual(signedIn, true, 'sign in against the stand-in server');
  }

  suiteSetup(async function () {
    this.timeout(60000);
    api = await getExtensionApi();
    server = await startLarkServer();
    ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    assert.ok(ws, 'the test run opens a workspace folder');
    fixtures = path.join(getExtension().extensionPath, 'test', 'fixtures', 'generated');
    assert.ok(fs.existsSync(path.join(fixtures, 'png.png')), 'fixtures are generated before the integration run');
    await config().update('insertTemplate', 'raw', vscode.ConfigurationTarget.Global);
    await pointAt(server);
  });

  suiteTeardown(async () => {
    await server?.close();
  });

  setup(() => server.reset());

  test('explorer multi-select with one invalid file: keys at the cursor, one diagnostic with the Lark code', async () => {
    const a = distinctPng('shots/a.png', 'a');
    const bad = copyFixture('text-as.png', 'shots/notes-as.png');
    const b = copyFixture('jpg.jpg', 'shots/b.jpg');
    const editor = await openEditor('keys.txt', 'keys:\n');
    const summary = await vscode.commands.executeCommand<UploadSummary>(Command.UploadImages, a, [a, bad, b]);
    assert.ok(summary, 'the command returns its summary');
    assert.deepStrictEqual(summary.outcomes.map((o) => o.ok), [true, false, true]);
    const keys = summary.outcomes.filter((o) => o.ok).map((o) => (o.ok ? o.imageKey : ''));
    assert.strictEqual(summary.target, 'editor');
    assert.strictEqual(editor.document.getText(), `keys:\n${keys.join('\n')}`);
    for (const k of keys) assert.ok(server.images.has(k), `${k} exists on the server`);
    assert.strictEqual(uploadRequests().length, 2, 'the invalid file never reached the network');

    const diags = vscode.languages.getDiagnostics(bad);
    assert.strictEqual(diags.length, 1);
    assert.strictEqual(diags[0].severity, vscode.DiagnosticSeverity.Error);
    const code = diags[0].code as { value: number; target: vscode.Uri };
    assert.strictEqual(code.value, 234011);
    assert.match(code.target.toString(), /^https:\/\//);
    assert.deepStrictEqual(vscode.languages.getDiagnostics(a), []);
    assert.deepStrictEqual(vscode.languages.getDiagnostics(b), []);

    const history = api.history.list();
    assert.ok(history.some((r) => r.filePath === bad.fsPath && !r.ok && r.code === 234011));
    assert.ok(keys.every((k) => history.some((r) => r.imageKey === k)));
  });

  test('a later success clears the diagnostic; Remove clears a failure too', async () => {
    const file = copyFixture('text-as.png', 'fix/later.png');
    await api.uploadFiles([file], { insert: false });
    assert.strictEqual(vscode.languages.getDiagnostics(file).length, 1);
    fs.copyFileSync(path.join(fixtures, 'gif.gif'), file.fsPath); // the user fixes the file
    const record = api.history.list().find((r) => r.filePath === file.fsPath);
    assert.ok(record && !record.ok);
    await vscode.commands.executeCommand(Command.UploadAgain, record, [record]);
    assert.deepStrictEqual(vscode.languages.getDiagnostics(file), []);
    const entries = api.history.findByFile(file.fsPath);
    assert.strictEqual(entries.length, 1, 'the success replaced the failure: no duplicate entry');
    assert.ok(entries[0].ok);

    const broken = copyFixture('empty.png', 'fix/empty.png');
    await api.uploadFiles([broken], { insert: false });
    assert.strictEqual(vscode.languages.getDiagnostics(broken)[0]?.code && (vscode.languages.getDiagnostics(broken)[0].code as { value: number }).value, 234010);
    const failed = api.history.findByFile(broken.fsPath)[0];
    await vscode.commands.executeCommand(Command.RemoveEntry, failed, [failed]);
    assert.deepStrictEqual(vscode.languages.getDiagnostics(broken), []);
    assert.strictEqual(api.history.findByFile(broken.fsPath).length, 0);

    // Our own codes (9xxx) link to the README shipped with the extension.
    const missing = vscode.Uri.file(path.join(ws, 'fix', 'does-not-exist.png'));
    await api.uploadFiles([missing], { insert: false });
    const local = vscode.languages.getDiagnostics(missing)[0]?.code as { value: number; target: vscode.Uri };
    assert.strictEqual(local.value, 9001);
    assert.strictEqual(local.target.fragment, 'error-codes-of-this-tool');
    assert.ok(fs.existsSync(local.target.fsPath), `${local.target.toString()} exists`);
  });

  test('folder upload: every image inside, recursively, honouring files.exclude', async () => {
    const root = path.join(ws, 'album');
    const inside = [distinctPng('album/one.png', '1'), distinctPng('album/deep/two.png', '2'), copyFixture('webp.webp', 'album/deep/three.webp')];
    distinctPng('album/skipped/hidden.png', 'hidden');
    fs.writeFileSync(path.join(root, 'readme.txt'), 'not an image');
    await vscode.workspace.getConfiguration('files').update('exclude', { '**/skipped': true }, vscode.ConfigurationTarget.Workspace);
    try {
      await openEditor('album-keys.txt', '');
      const summary = await vscode.commands.executeCommand<UploadSummary>(Command.UploadImages, vscode.Uri.file(root), [vscode.Uri.file(root)]);
      const uploaded = summary.outcomes.map((o) => path.relative(ws, o.file)).sort();
      assert.deepStrictEqual(uploaded, inside.map((u) => path.relative(ws, u.fsPath)).sort());
      assert.ok(summary.outcomes.every((o) => o.ok));
      assert.strictEqual(uploadRequests().length, 3);
    } finally {
      await vscode.workspace.getConfiguration('files').update('exclude', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  test('the same bytes again: no request, the key is reused', async () => {
    const file = distinctPng('dedupe/same.png', 'same');
    const first = await api.uploadFiles([file], { insert: false });
    const again = await api.uploadFiles([file], { insert: false });
    assert.ok(first?.outcomes[0].ok && again?.outcomes[0].ok);
    assert.strictEqual(again.outcomes[0].ok && again.outcomes[0].deduped, true);
    assert.strictEqual(first.outcomes[0].ok && again.outcomes[0].ok && again.outcomes[0].imageKey, first.outcomes[0].ok ? first.outcomes[0].imageKey : '');
    assert.strictEqual(uploadRequests().length, 1);
  });

  test("the uploads history is written to the extension's globalState: a new reader of that state sees every entry", async () => {
    const hooks = api.testHooks;
    assert.ok(hooks, 'the extension exposes its test hooks when VS Code runs its tests');
    const listed = api.history.list().map((r) => `${r.id}:${r.imageKey ?? r.code}`);
    assert.ok(listed.length >= 4, `the tests above recorded uploads (${listed.length})`);
    const stored = hooks.globalState.get<{ version?: unknown; records?: unknown[] }>(StateKey.History);
    assert.strictEqual(stored?.version, 1);
    assert.strictEqual(stored?.records?.length, listed.length, 'every listed entry is in globalState');
    // What a new window (or the next session) reads: a new history over the same state, through
    // the extension's own storage adapter.
    const fresh = new UploadHistory(mementoHistoryStorage(hooks.globalState, StateKey.History));
    assert.deepStrictEqual(fresh.list().map((r) => `${r.id}:${r.imageKey ?? r.code}`), listed);
  });

  test('token expiry during a batch is survived: every file lands, one extra token request', async function () {
    this.timeout(30000);
    const expiring = await startLarkServer({ invalidateTokensAfterUploads: 2 });
    // One at a time, so the third upload certainly meets the invalidated token (in parallel, all
    // five could pass the gateway before the second one is stored).
    await config().update('concurrency', 1, vscode.ConfigurationTarget.Global);
    try {
      await pointAt(expiring);
      const files = [1, 2, 3, 4, 5].map((i) => distinctPng(`expiry/${i}.png`, `exp${i}`));
      const summary = await api.uploadFiles(files, { insert: false });
      assert.ok(summary?.outcomes.every((o) => o.ok), JSON.stringify(summary?.outcomes));
      assert.strictEqual(expiring.uploads(), 5);
      assert.strictEqual(expiring.tokenRequests(), 3, 'sign-in check + first token + one refresh');
    } finally {
      await config().update('concurrency', undefined, vscode.ConfigurationTarget.Global);
      await pointAt(server);
      await expiring.close();
    }
  });

  test('cancel keeps the finished uploads, inserts their keys and reports no failure', async function () {
    this.timeout(30000);
    await config().update('concurrency', 1, vscode.ConfigurationTarget.Global);
    try {
      const files = [1, 2, 3, 4, 5].map((i) => distinctPng(`cancel/${i}.png`, `c${i}`));
      // The third upload is held by the server until the batch is cancelled (the delay only has to
      // outlast the test; closing the server ends it).
      server.injectFaults({ kind: 'slow', delayMs: 0 }, { kind: 'slow', delayMs: 0 }, { kind: 'slow', delayMs: 120_000 }, { kind: 'slow', delayMs: 120_000 });
      const editor = await openEditor('cancel.txt', '');
      const controller = new AbortController();
      const running = api.uploadFiles(files, { signal: controller.signal });
      // One upload at a time: the third reaches the server (and takes its fault) only after the
      // first two have settled, so cancelling now leaves exactly two done, whatever the machine's speed.
      await waitFor(() => server.pendingFaults() === 1, 15000, 'the third upload to be held by the server');
      controller.abort();
      const summary = await running;
      assert.ok(summary?.cancelled);
      const ok = summary.outcomes.filter((o) => o.ok);
      assert.strictEqual(ok.length, 2);
      assert.strictEqual(editor.document.getText(), ok.map((o) => (o.ok ? o.imageKey : '')).join('\n'));
      for (const f of files) assert.deepStrictEqual(vscode.languages.getDiagnostics(f), [], 'cancel is not an error');
      assert.ok(files.slice(0, 2).every((f) => api.history.findByFile(f.fsPath).some((r) => r.ok)));
      assert.ok(files.slice(2).every((f) => api.history.findByFile(f.fsPath).length === 0));
    } finally {
      await config().update('concurrency', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('with no text editor open the keys go to the clipboard', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitFor(() => vscode.window.visibleTextEditors.length === 0, 15000, 'editors closed');
    const file = distinctPng('clip/c.png', 'clip');
    const summary = await vscode.commands.executeCommand<UploadSummary>(Command.UploadImages, file, [file]);
    assert.strictEqual(summary.target, 'clipboard');
    const key = summary.outcomes[0].ok ? summary.outcomes[0].imageKey : '';
    assert.strictEqual(await vscode.env.clipboard.readText(), key);
  });

  test('insert template: card markdown, and one key per cursor when the counts match', async () => {
    await config().update('insertTemplate', 'cardMarkdown', vscode.ConfigurationTarget.Global);
    try {
      const files = [distinctPng('tpl/first.png', 't1'), distinctPng('tpl/second.png', 't2')];
      const editor = await openEditor('tpl.md', 'A: \nB: \n');
      editor.selections = [new vscode.Selection(0, 3, 0, 3), new vscode.Selection(1, 3, 1, 3)];
      const summary = await vscode.commands.executeCommand<UploadSummary>(Command.UploadImages, files[0], files);
      const keys = summary.outcomes.map((o) => (o.ok ? o.imageKey : ''));
      assert.strictEqual(editor.document.getText(), `A: ![first](${keys[0]})\nB: ![second](${keys[1]})\n`);
    } finally {
      await config().update('insertTemplate', 'raw', vscode.ConfigurationTarget.Global);
    }
  });

  test('a Problems entry says the reason once, then what to do, with one spelling', async () => {
    const bad = copyFixture('text-as.png', 'once/notes.png');
    await api.uploadFiles([bad], { insert: false });
    const [diag] = vscode.languages.getDiagnostics(bad);
    assert.ok(diag, 'one diagnostic');
    assert.strictEqual(diag.message.match(/recogni[sz]e/gi)?.length, 1, diag.message);
    assert.strictEqual(diag.message.match(/JPEG/g)?.length, 1, diag.message);
    assert.ok(!diag.message.includes(describeError(234011).title), `the title does not say it again: ${diag.message}`);
    assert.ok(diag.message.startsWith('Not a recognized image; the supported formats are JPEG, PNG, WebP, GIF, TIFF, BMP or ICO.'), diag.message);
    assert.ok(diag.message.endsWith(describeError(234011).hint.en), diag.message);
  });

  test('the notifications: one image names its file and key; a reused key is not "uploaded"; failures name the files and reasons', async () => {
    const messages = captureMessages();
    try {
      const one = distinctPng('say/one.png', 'one');
      await openEditor('say.txt', '');
      const first = await api.uploadFiles([one]);
      const key = first?.outcomes[0].ok ? first.outcomes[0].imageKey : '';
      assert.deepStrictEqual(messages.texts('info'), [`Uploaded one.png to Lark: ${key} Key inserted at the cursor.`]);

      const again = await api.uploadFiles([one], { insert: false });
      assert.ok(again?.outcomes[0].ok && again.outcomes[0].deduped);
      assert.strictEqual(messages.texts('info')[1], `one.png was uploaded before (same bytes): its key ${key} is reused.`);

      const two = distinctPng('say/two.png', 'two');
      await api.uploadFiles([one, two], { insert: false });
      assert.strictEqual(messages.texts('info')[2], 'Lark: 1 uploaded, 1 reused from earlier uploads (same bytes).');

      const bad = copyFixture('text-as.png', 'say/bad.png');
      await api.uploadFiles([bad], { insert: false });
      assert.match(messages.texts('error')[0], /^Could not upload bad\.png: Not a recognized image; /);

      const more = [copyFixture('empty.png', 'say/e1.png'), copyFixture('text-as.png', 'say/t2.png'), copyFixture('empty.png', 'say/e3.png'), copyFixture('text-as.png', 'say/t4.png')];
      await api.uploadFiles([distinctPng('say/fine.png', 'fine'), ...more], { insert: false });
      const several = messages.texts('error')[1];
      assert.match(several, /^4 of 5 images could not be uploaded: e1\.png \(File is empty \(0 bytes\)\.\); t2\.png \(Not a recognized image; [^)]*\); e3\.png \(File is empty/);
      assert.match(several, /; and 1 more\. See the Problems panel for each file\.$/);
      assert.ok(!several.includes('t4.png'), 'only the first files are named');
    } finally {
      messages.dispose();
    }
  });

  test('the progress notification counts every file to n/n, failed ones too', async () => {
    const window = vscode.window as unknown as { withProgress: typeof vscode.window.withProgress };
    const original = window.withProgress;
    const reports: string[] = [];
    window.withProgress = ((options: vscode.ProgressOptions, task: (p: vscode.Progress<{ message?: string }>, t: vscode.CancellationToken) => Thenable<unknown>) =>
      original(options, (progress, token) =>
        task({ report: (value) => (reports.push(value.message ?? ''), progress.report(value)) }, token),
      )) as typeof vscode.window.withProgress;
    const messages = captureMessages();
    try {
      await api.uploadFiles([copyFixture('text-as.png', 'progress/only.png')], { insert: false });
      assert.deepStrictEqual(reports, ['0/1 done', '1/1 done']);
      reports.length = 0;
      await api.uploadFiles([distinctPng('progress/a.png', 'pa'), copyFixture('empty.png', 'progress/b.png')], { insert: false });
      assert.strictEqual(reports[reports.length - 1], '2/2 done');
    } finally {
      window.withProgress = original;
      messages.dispose();
    }
  });

  test('signed out: after signing in from the prompt, the upload the user asked for goes on', async () => {
    assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.SignOut, { confirm: false }), true);
    const messages = captureMessages(); // info and error notifications answered as dismissed
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
      const file = distinctPng('signedout/wanted.png', 'wanted');
      const summary = await api.uploadFiles([file], { insert: false });
      assert.ok(prompts.includes('Sign in to Lark to upload images.'), prompts.join('\n'));
      assert.deepStrictEqual(typed, [], 'the App ID and Secret were asked for');
      assert.ok(summary, 'the upload went on after signing in');
      assert.ok(summary.outcomes[0].ok, JSON.stringify(summary.outcomes));
      assert.strictEqual(uploadRequests().length, 1);
    } finally {
      Object.assign(window, originals);
      messages.dispose();
      await pointAt(server);
    }
  });

  test('a key dedupe answered keeps the original upload\'s log_id and time, and says "reused" with its own time', async () => {
    const original = distinctPng('reuse/original.png', 'orig');
    const copy = path.join(ws, 'reuse', 'copy.png');
    fs.copyFileSync(original.fsPath, copy);
    const first = await api.uploadFiles([original], { insert: false });
    const made = api.history.findByFile(original.fsPath)[0];
    assert.ok(first?.outcomes[0].ok && made?.logId, 'the upload has a log_id');
    const second = await api.uploadFiles([vscode.Uri.file(copy)], { insert: false });
    assert.ok(second?.outcomes[0].ok && second.outcomes[0].deduped);
    const reused = api.history.findByFile(copy)[0];
    assert.strictEqual(reused.reused, true);
    assert.strictEqual(reused.logId, made.logId, "the original upload's log_id");
    assert.strictEqual(reused.uploadedAt, made.at, "the original upload's time");
    assert.ok(reused.at >= made.at);
    const provider = new UploadsTreeProvider(api.history);
    try {
      const item = provider.getTreeItem(reused);
      assert.match(String(item.description), /\(reused\)$/);
      const tip = (item.tooltip as vscode.MarkdownString).value;
      assert.ok(tip.includes(`Uploaded: ${escapeMarkdown(new Date(made.at).toLocaleString())}`), tip);
      assert.ok(tip.includes(`Reused: ${escapeMarkdown(new Date(reused.at).toLocaleString())}`), tip);
    } finally {
      provider.dispose();
    }
  });
});
