// Real VS Code: Lark: Re-upload Keys for Profile… against one stand-in server hosting two apps
// (profiles "RkTest" and "RkProd") and a third app no profile uses. The bytes of each key come
// from its local file (sha256 still matching), the copy kept from a paste (file gone), or a
// download by the source profile (no file, no copy); every occurrence is replaced in one edit (one
// undo); a second run for the same bytes sends nothing (dedupe); and the failures: source profile
// signed out, 234008 from the download, target profile removed during the run, cancel, read-only.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { CONFIG_SECTION, Command, Setting } from '../../../src/constants';
import { LarkClient } from '../../../src/core/larkClient';
import type { LarkImageUploadApi } from '../../../src/extension';
import type { RekeySummary } from '../../../src/vscode/rekey';
import { startLarkServer, type LarkServer } from '../../larkServer/server';
import { captureMessages, getExtension, getExtensionApi } from './helpers';

const APP_TEST = { appId: 'cli_rekey_test_0001', appSecret: 'rekey-test-secret-0001' };
const APP_PROD = { appId: 'cli_rekey_prod_0002', appSecret: 'rekey-prod-secret-0002' };
const APP_OTHER = { appId: 'cli_rekey_other_0003', appSecret: 'rekey-other-secret-0003' };

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(CONFIG_SECTION);
}

suite('Re-key a document for another profile (real VS Code + stand-in server)', () => {
  let api: LarkImageUploadApi;
  let server: LarkServer;
  let ws: string;
  let png: Buffer;

  const posts = (): number => server.requests.filter((r) => r.method === 'POST' && r.path === '/open-apis/im/v1/images').length;
  const gets = (): number => server.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/open-apis/im/v1/images/')).length;
  const idOf = (name: string): string => {
    const p = api.profiles.store.findByName(name);
    assert.ok(p, `profile ${name}`);
    return p.id;
  };
  const use = async (name: string): Promise<void> => {
    assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.SwitchProfile, { profile: name }), true);
  };
  /** Unique image bytes (a PNG with a tag after its end). */
  const unique = (tag: string): Buffer => Buffer.concat([png, Buffer.from(`#${tag}#${Date.now()}#${Math.random()}`)]);
  function imageFile(tag: string): vscode.Uri {
    const file = path.join(ws, 'rekey', `${tag}.png`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, unique(tag));
    return vscode.Uri.file(file);
  }
  async function uploadFile(uri: vscode.Uri): Promise<string> {
    const summary = await api.uploadFiles([uri], { insert: false });
    const o = summary?.outcomes[0];
    assert.ok(o?.ok, `uploaded ${uri.fsPath}`);
    return o.imageKey;
  }
  async function paste(bytes: Uint8Array): Promise<string> {
    const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: '' });
    const dt = new vscode.DataTransfer();
    dt.set('image/png', new vscode.DataTransferItem(bytes));
    const token = new vscode.CancellationTokenSource().token;
    const edits = await api.pasteProvider.provideDocumentPasteEdits(doc, [new vscode.Range(0, 0, 0, 0)], dt, { only: undefined, triggerKind: vscode.DocumentPasteTriggerKind.Automatic }, token);
    assert.ok(edits?.[0]);
    await api.pasteProvider.resolveDocumentPasteEdit(edits[0], token);
    const record = api.history.list()[0];
    assert.ok(record.ok && record.imageKey && record.sha256 && !record.filePath, 'a pasted record with its sha256');
    return record.imageKey;
  }
  async function document(name: string, content: string): Promise<vscode.TextDocument> {
    const file = path.join(ws, 'rekey', name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    await vscode.window.showTextDocument(doc);
    return doc;
  }
  const rekey = (doc: vscode.TextDocument, profile: string, extra: { signal?: AbortSignal } = {}): Thenable<RekeySummary | undefined> =>
    vscode.commands.executeCommand<RekeySummary | undefined>(Command.RekeyForProfile, { uri: doc.uri, profileId: idOf(profile), ...extra });
  const warnings = (doc: vscode.TextDocument): string[] => api.rekeyer.collection.get(doc.uri)?.map((d) => `${doc.getText(d.range)}: ${d.message}`) ?? [];

  suiteSetup(async function () {
    this.timeout(60000);
    api = await getExtensionApi();
    server = await startLarkServer({ apps: [APP_TEST, APP_PROD, APP_OTHER], rateLimit: false });
    ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    assert.ok(ws);
    png = fs.readFileSync(path.join(getExtension().extensionPath, 'test', 'fixtures', 'generated', 'png.png'));
    await config().update(Setting.Region, 'custom', vscode.ConfigurationTarget.Global);
    await config().update(Setting.CustomBaseUrl, server.baseUrl, vscode.ConfigurationTarget.Global);
    assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.AddProfile, { ...APP_PROD, name: 'RkProd' }), true);
    assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.AddProfile, { ...APP_TEST, name: 'RkTest' }), true);
  });

  suiteTeardown(async () => {
    for (const name of ['RkTest', 'RkProd']) await vscode.commands.executeCommand(Command.RemoveProfile, { profile: name, confirm: false });
    await config().update(Setting.CustomBaseUrl, undefined, vscode.ConfigurationTarget.Global);
    await config().update(Setting.Region, undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await server?.close();
  });

  test('from the local file, from a pasted copy (no file) and by download (no file, no copy): every occurrence replaced in one undoable edit; a second run sends nothing', async () => {
    await use('RkTest');
    const fromFile = await uploadFile(imageFile('file'));
    const fromCopy = await paste(unique('pasted'));
    const downloaded = await paste(unique('downloaded'));
    const record = api.history.findByKey(downloaded);
    assert.ok(record?.sha256);
    assert.strictEqual(await api.pastedCopies.remove(record.sha256), true, 'the paste kept a copy; now it is gone');
    assert.ok(api.pastedCopies.find(api.history.findByKey(fromCopy)?.sha256 ?? ''), 'the other paste keeps its copy');
    const original = `# Card\n\n![a](${fromFile}) and ${fromCopy}\n\n"${downloaded}" then ${fromFile} again\n`;
    const doc = await document('three.md', original);
    const [postsBefore, getsBefore] = [posts(), gets()];
    const summary = await rekey(doc, 'RkProd');
    assert.ok(summary);
    assert.deepStrictEqual(
      summary.results.map((r) => (r.status === 'rekeyed' ? [r.key, r.via] : [r.key, r.status])),
      [
        [fromFile, 'file'],
        [fromCopy, 'copy'],
        [downloaded, 'download'],
      ],
    );
    assert.strictEqual(summary.replaced, 4);
    assert.strictEqual(gets() - getsBefore, 1, 'only the key with neither file nor copy was downloaded');
    assert.strictEqual(posts() - postsBefore, 3);
    const newKey = new Map(summary.results.flatMap((r) => (r.status === 'rekeyed' ? [[r.key, r.newKey] as const] : [])));
    const expected = original.split(fromFile).join(newKey.get(fromFile) ?? '?').replace(fromCopy, newKey.get(fromCopy) ?? '?').replace(downloaded, newKey.get(downloaded) ?? '?');
    assert.strictEqual(doc.getText(), expected);
    for (const key of newKey.values()) {
      assert.strictEqual(server.images.get(key)?.appId, APP_PROD.appId, 'uploaded by the target app');
      assert.strictEqual(api.history.findByKey(key)?.profileId, idOf('RkProd'), 'recorded under the target profile');
    }
    assert.ok(api.pastedCopies.find(api.history.findByKey(newKey.get(downloaded) ?? '')?.sha256 ?? ''), 'the downloaded bytes are kept as a copy');
    assert.deepStrictEqual(warnings(doc), []);
    await vscode.commands.executeCommand('undo');
    assert.strictEqual(doc.getText(), original, 'one undo restores every key');

    // the same bytes again for the same target: dedupe answers, no request
    const [p2, g2] = [posts(), gets()];
    const again = await rekey(doc, 'RkProd');
    assert.ok(again);
    assert.strictEqual(posts() - p2, 0, 'no upload: the target app has these bytes already');
    assert.deepStrictEqual(
      again.results.map((r) => r.status === 'rekeyed' && r.deduped && r.newKey === newKey.get(r.key)),
      [true, true, true],
    );
    assert.strictEqual(gets() - g2, 0, 'the downloaded key now has a copy');
    assert.strictEqual(doc.getText(), expected);
    // keys the target owns are left as they are
    const owned = await rekey(doc, 'RkProd');
    assert.deepStrictEqual(owned?.results.map((r) => r.status), ['same', 'same', 'same']);
  });

  test('keys not in this history: the target app\'s own is left as is after one download (no upload); another profile\'s is downloaded by it and re-keyed', async () => {
    const prodClient = new LarkClient({ baseUrl: server.baseUrl, credentials: { kind: 'app', ...APP_PROD } });
    const testClient = new LarkClient({ baseUrl: server.baseUrl, credentials: { kind: 'app', ...APP_TEST } });
    // uploaded elsewhere (another machine, another tool): this history has neither
    const theirs = (await prodClient.uploadImage({ kind: 'bytes', bytes: unique('theirs'), mime: 'image/png', name: 't.png' }, 'message')).imageKey;
    const fromTest = (await testClient.uploadImage({ kind: 'bytes', bytes: unique('fromtest'), mime: 'image/png', name: 'u.png' }, 'message')).imageKey;
    assert.strictEqual(api.history.findByKey(theirs), undefined);
    assert.strictEqual(api.history.findByKey(fromTest), undefined);
    const doc = await document('nohistory.md', `${theirs}\n${fromTest}\n${theirs}\n`);
    const [postsBefore, getsBefore, requestsBefore] = [posts(), gets(), server.requests.length];
    const summary = await rekey(doc, 'RkProd');
    assert.ok(summary);
    assert.deepStrictEqual(
      summary.results.map((r) => (r.status === 'rekeyed' ? [r.key, r.via] : [r.key, r.status])),
      [
        [theirs, 'same'],
        [fromTest, 'download'],
      ],
    );
    assert.strictEqual(posts() - postsBefore, 1, 'only the other app\'s key is uploaded');
    const getsOf = (key: string): number => server.requests.slice(requestsBefore).filter((r) => r.method === 'GET' && r.path === `/open-apis/im/v1/images/${key}`).length;
    assert.strictEqual(getsOf(theirs), 1, 'one download by the target says the key is its own');
    assert.ok(getsOf(fromTest) >= 2, 'the target asked (234008), then RkTest downloaded it');
    assert.strictEqual(gets() - getsBefore, getsOf(theirs) + getsOf(fromTest));
    const rekeyed = summary.results[1];
    assert.ok(rekeyed.status === 'rekeyed');
    assert.strictEqual(server.images.get(rekeyed.newKey)?.appId, APP_PROD.appId);
    assert.strictEqual(doc.getText(), `${theirs}\n${rekeyed.newKey}\n${theirs}\n`);
    assert.deepStrictEqual(warnings(doc), []);
  });

  test('source profile signed out, 234008 from the download: Warnings on each occurrence say why; the rest is re-keyed', async () => {
    await use('RkTest');
    const ok = await uploadFile(imageFile('fine'));
    // a key of an app no profile uses, in the history as if RkTest had uploaded it: RkTest's download gets 234008
    const other = new LarkClient({ baseUrl: server.baseUrl, credentials: { kind: 'app', ...APP_OTHER } });
    const foreign = (await other.uploadImage({ kind: 'bytes', bytes: unique('foreign'), mime: 'image/png', name: 'f.png' }, 'message')).imageKey;
    await api.history.add({ fileName: 'f.png', ok: true, imageKey: foreign, imageType: 'message', baseUrl: server.baseUrl, appId: APP_TEST.appId, profileId: idOf('RkTest') });
    const doc = await document('foreign.md', `${foreign}\n${ok}\n${foreign}\n`);
    const messages = captureMessages();
    let summary: RekeySummary | undefined;
    try {
      summary = await rekey(doc, 'RkProd');
    } finally {
      messages.dispose();
    }
    assert.deepStrictEqual(summary?.results.map((r) => r.status), ['failed', 'rekeyed']);
    const lines = warnings(doc);
    assert.strictEqual(lines.length, 2, 'one Warning per occurrence');
    for (const line of lines) {
      assert.ok(line.startsWith(`${foreign}: `), line);
      assert.match(line, /could not download it: .*\(234008\)/);
    }
    assert.ok(messages.texts('warning').some((t) => /Re-keyed 1 keys for RkProd\. 1 could not be re-keyed \(see Problems\)\./.test(t)), messages.texts().join(' | '));

    // an edit at a flagged key clears its Warning
    const first = api.rekeyer.collection.get(doc.uri)?.[0];
    assert.ok(first);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, first.range.end, 'x');
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.strictEqual(warnings(doc).length, 1);

    // the source profile signed out: a file that changed, no copy, no download
    await use('RkTest');
    const changing = imageFile('changing');
    const changed = await uploadFile(changing);
    fs.appendFileSync(changing.fsPath, 'changed');
    assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.SignOut, { profile: 'RkTest', confirm: false }), true);
    const doc2 = await document('signedout.md', `key: ${changed}\n`);
    const getsBefore = gets();
    const out = await rekey(doc2, 'RkProd');
    assert.deepStrictEqual(out?.results.map((r) => (r.status === 'failed' ? r.problems.map((p) => p.kind) : r.status)), [['fileChanged', 'signedOut']]);
    assert.strictEqual(gets(), getsBefore, 'no download without a signed-in source');
    const [warning] = warnings(doc2);
    assert.match(warning, /changing\.png has changed since it was uploaded; profile "RkTest", which uploaded it, is signed out\./);
    assert.strictEqual(doc2.getText(), `key: ${changed}\n`);
    await api.profiles.store.setCredentials(idOf('RkTest'), { kind: 'app', ...APP_TEST }); // signed in again for the next tests
  });

  test('cancel keeps nothing half-done; the target profile removed during the run: the document is not changed', async () => {
    await use('RkTest');
    const key = await uploadFile(imageFile('cancel'));
    const doc = await document('cancel.md', `${key}\n`);
    let arrived!: () => void;
    const held = new Promise<void>((resolve) => (arrived = resolve));
    let release!: () => void;
    server.injectFaults({ kind: 'hold', until: new Promise<void>((resolve) => (release = resolve)), arrived });
    const controller = new AbortController();
    const running = rekey(doc, 'RkProd', { signal: controller.signal });
    await held;
    controller.abort();
    release();
    const cancelled = await running;
    assert.strictEqual(cancelled?.cancelled, true);
    assert.strictEqual(doc.getText(), `${key}\n`, 'nothing replaced');
    assert.deepStrictEqual(warnings(doc), [], 'a cancelled key is not a problem');

    // a throwaway target, removed while its upload is held
    assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.AddProfile, { ...APP_OTHER, name: 'RkGone' }), true);
    const goneId = idOf('RkGone');
    await use('RkTest');
    let arrived2!: () => void;
    const held2 = new Promise<void>((resolve) => (arrived2 = resolve));
    let release2!: () => void;
    server.injectFaults({ kind: 'hold', until: new Promise<void>((resolve) => (release2 = resolve)), arrived: arrived2 });
    const messages = captureMessages();
    try {
      const pending = rekey(doc, 'RkGone');
      await held2;
      assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.RemoveProfile, { profile: 'RkGone', confirm: false }), true);
      release2();
      const summary = await pending;
      assert.strictEqual(summary?.applied, false);
      assert.strictEqual(doc.getText(), `${key}\n`, 'not changed');
      assert.ok(messages.texts('error').some((t) => t.includes('Profile "RkGone" was removed while its keys were uploaded')), messages.texts().join(' | '));
    } finally {
      messages.dispose();
    }
    for (const r of api.history.list().filter((h) => h.appId === APP_OTHER.appId && h.profileId !== undefined)) {
      assert.strictEqual(r.profileId, goneId, 'recorded only under the profile that uploaded, never the one in use');
    }
  });

  test('a read-only document: refused before anything is uploaded', async () => {
    await use('RkTest');
    const key = await uploadFile(imageFile('readonly'));
    const files = vscode.workspace.getConfiguration('files');
    await files.update('readonlyInclude', { '**/rekey-readonly.md': true }, vscode.ConfigurationTarget.Workspace);
    const messages = captureMessages();
    try {
      const doc = await document('rekey-readonly.md', `${key}\n`);
      const before = server.requests.length;
      const summary = await rekey(doc, 'RkProd');
      assert.deepStrictEqual(summary, { results: [], replaced: 0, skipped: 0, cancelled: false, applied: false });
      assert.strictEqual(server.requests.length, before, 'no request');
      assert.ok(messages.texts('warning').some((t) => /rekey-readonly\.md is read-only \(files\.readonlyInclude\)/.test(t)), messages.texts().join(' | '));
    } finally {
      messages.dispose();
      await files.update('readonlyInclude', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  test('Clear History deletes the pasted copies; Remove deletes an entry\'s copy once no other entry has those bytes; the view shows the copy as the thumbnail', async () => {
    await use('RkTest');
    const key = await paste(unique('thumb'));
    const record = api.history.findByKey(key);
    assert.ok(record?.sha256);
    const file = api.pastedCopies.find(record.sha256);
    assert.ok(file);
    const { UploadsTreeProvider } = await import('../../../src/vscode/uploadsView');
    const provider = new UploadsTreeProvider(api.history, undefined, (r) => (r.sha256 ? vscode.Uri.file(api.pastedCopies.find(r.sha256) ?? '') : undefined));
    const icon = provider.getTreeItem(record).iconPath;
    assert.ok(icon instanceof vscode.Uri && icon.fsPath === file, 'the thumbnail is the copy');
    provider.dispose();
    const hover = await api.hoverProvider.provideHover(await vscode.workspace.openTextDocument({ content: key }), new vscode.Position(0, 2));
    const md = hover?.contents.map((c) => (c as vscode.MarkdownString).value).join('\n') ?? '';
    assert.ok(md.includes(vscode.Uri.file(file).toString()), md);
    await vscode.commands.executeCommand(Command.RemoveEntry, record);
    assert.strictEqual(api.pastedCopies.find(record.sha256), undefined, 'removed with its only entry');
    await paste(unique('clear'));
    assert.ok(api.pastedCopies.find(api.history.list()[0].sha256 ?? ''));
    assert.strictEqual(await vscode.commands.executeCommand<boolean>(Command.ClearHistory, { confirm: false }), true);
    assert.deepStrictEqual(fs.existsSync(api.pastedCopies.folder) ? fs.readdirSync(api.pastedCopies.folder) : [], []);
  });
});
