// Paste, drop and hover in a real VS Code, against the stand-in Lark server started in this
// extension host. The providers are called with real vscode.DataTransfer objects (image bytes,
// file items, uri lists) and their edits applied the way the workbench applies them.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Command } from '../../../src/constants';
import type { LarkImageUploadApi } from '../../../src/extension';
import { startLarkServer, type LarkServer } from '../../larkServer/server';
import { getExtension, getExtensionApi, waitFor } from './helpers';

const config = () => vscode.workspace.getConfiguration('larkImageUpload');
const KEY = /img_v2_[0-9a-f-]+/;

/** A file as the workbench hands it over (created by the editor only; here a stand-in). */
class FileItem extends vscode.DataTransferItem {
  constructor(private readonly file: vscode.DataTransferFile) {
    super('');
  }
  override asFile(): vscode.DataTransferFile {
    return this.file;
  }
}

function fileItem(name: string, bytes: Uint8Array, uri?: vscode.Uri): FileItem {
  return new FileItem({ name, uri, data: () => Promise.resolve(bytes) });
}

function pastedImage(bytes: Uint8Array, name = 'image.png', mime = 'image/png'): vscode.DataTransfer {
  const dt = new vscode.DataTransfer();
  dt.set(mime, fileItem(name, bytes));
  return dt;
}

function uriList(...uris: vscode.Uri[]): vscode.DataTransfer {
  const dt = new vscode.DataTransfer();
  dt.set('text/uri-list', new vscode.DataTransferItem(uris.map((u) => u.toString()).join('\r\n')));
  return dt;
}

const token = (): vscode.CancellationToken => new vscode.CancellationTokenSource().token;
const pasteContext: vscode.DocumentPasteEditContext = { only: undefined, triggerKind: vscode.DocumentPasteTriggerKind.PasteAs };

/** What the workbench does with a chosen edit: insertText at each range (unless empty), plus additionalEdit. */
async function applyLikeWorkbench(doc: vscode.TextDocument, ranges: readonly vscode.Range[], edit: { insertText: string | vscode.SnippetString; additionalEdit?: vscode.WorkspaceEdit }): Promise<void> {
  const we = new vscode.WorkspaceEdit();
  const text = typeof edit.insertText === 'string' ? edit.insertText : edit.insertText.value;
  if (text !== '') for (const r of ranges) we.replace(doc.uri, r, text);
  for (const [uri, edits] of edit.additionalEdit?.entries() ?? []) for (const e of edits) we.replace(uri, e.range, e.newText);
  if (we.size === 0) return; // nothing to insert (the workbench applies nothing either)
  assert.ok(await vscode.workspace.applyEdit(we), 'the edit applies');
}

function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : c.value))
    .filter((v) => v.includes('Lark'))
    .join('\n---\n');
}

suite('Paste, drop and hover (real VS Code + stand-in Lark server)', () => {
  let api: LarkImageUploadApi;
  let server: LarkServer;
  let ws: string;
  let fixtures: string;

  const uploadRequests = () => server.requests.filter((r) => r.method === 'POST' && r.path === '/open-apis/im/v1/images');
  /** Fixture bytes + a tag after IEND: valid, and unknown to the dedupe index of earlier runs. */
  const distinctPng = (tag: string): Buffer => Buffer.concat([fs.readFileSync(path.join(fixtures, 'png.png')), Buffer.from(`#${tag}#${Date.now()}#${Math.random()}`)]);
  function writeFile(rel: string, bytes: Uint8Array): vscode.Uri {
    const file = path.join(ws, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, bytes);
    return vscode.Uri.file(file);
  }
  async function openDoc(rel: string, content: string, language?: string): Promise<vscode.TextEditor> {
    const uri = writeFile(rel, Buffer.from(content));
    let doc = await vscode.workspace.openTextDocument(uri);
    if (language && doc.languageId !== language) doc = await vscode.languages.setTextDocumentLanguage(doc, language);
    return vscode.window.showTextDocument(doc);
  }
  const endOf = (doc: vscode.TextDocument): vscode.Range => {
    const end = doc.lineAt(doc.lineCount - 1).range.end;
    return new vscode.Range(end, end);
  };

  async function paste(editor: vscode.TextEditor, dt: vscode.DataTransfer, ranges: readonly vscode.Range[] = [endOf(editor.document)], cancel?: vscode.CancellationToken) {
    const requestsBefore = uploadRequests().length;
    const edits = await api.pasteProvider.provideDocumentPasteEdits(editor.document, ranges, dt, pasteContext, token());
    assert.ok(edits && edits.length === 1, 'our edit is offered');
    const [edit] = edits;
    assert.strictEqual(edit.kind.value, 'lark.imageKey');
    assert.strictEqual(edit.insertText, '', 'nothing is uploaded before the edit is chosen');
    assert.strictEqual(uploadRequests().length, requestsBefore, 'no request before resolve');
    const resolved = await api.pasteProvider.resolveDocumentPasteEdit(edit, cancel ?? token());
    await applyLikeWorkbench(editor.document, ranges, resolved);
    return resolved;
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
    await config().update('insertTemplate', 'raw', vscode.ConfigurationTarget.Global);
    const signedIn = await vscode.commands.executeCommand<boolean>(Command.SignIn, { appId: server.demo.appId, appSecret: server.demo.appSecret });
    assert.strictEqual(signedIn, true, 'sign in against the stand-in server');
  });

  suiteTeardown(async () => {
    await config().update('insertTemplate', undefined, vscode.ConfigurationTarget.Global);
    await config().update('pasteDrop.languages', undefined, vscode.ConfigurationTarget.Global);
    await server?.close();
  });

  setup(() => server.reset());

  test('pasted image bytes into markdown: card markdown with the key, history entry; the same bytes again -> no second request', async () => {
    const bytes = distinctPng('paste');
    const editor = await openDoc('paste/notes.md', '# Notes\n\n', 'markdown');
    await paste(editor, pastedImage(bytes, 'screenshot.png'));
    const key = editor.document.getText().match(KEY)?.[0];
    assert.ok(key, editor.document.getText());
    assert.strictEqual(editor.document.getText(), `# Notes\n\n![screenshot](${key})`);
    assert.strictEqual(uploadRequests().length, 1);
    assert.ok(server.images.has(key));
    assert.strictEqual(server.images.get(key)?.fileName, 'screenshot.png');
    const record = api.history.findByKey(key);
    assert.ok(record?.ok);
    assert.strictEqual(record.fileName, 'screenshot.png');
    assert.strictEqual(record.filePath, undefined, 'pasted bytes have no file');
    assert.strictEqual(record.width, 64);
    assert.strictEqual(record.format, 'png');

    // the same bytes, pasted without a name this time
    const dt = new vscode.DataTransfer();
    dt.set('image/png', new vscode.DataTransferItem(new Uint8Array(bytes)));
    await paste(editor, dt);
    assert.strictEqual(uploadRequests().length, 1, 'deduped: one request at the stand-in server');
    assert.strictEqual(editor.document.getText(), `# Notes\n\n![screenshot](${key})![image](${key})`);
    assert.strictEqual(api.history.list().filter((r) => r.imageKey === key).length, 1, 'one history entry per key');
  });

  test('a file pasted by URI into JSON uses the configured template and is recorded with its path', async () => {
    await config().update('insertTemplate', 'imageMessage', vscode.ConfigurationTarget.Global);
    try {
      const file = writeFile('paste/banner.png', distinctPng('json'));
      const editor = await openDoc('paste/message.json', '{"content": }\n', 'json');
      const at = new vscode.Range(0, 12, 0, 12);
      await paste(editor, uriList(file), [at]);
      const key = editor.document.getText().match(KEY)?.[0];
      assert.ok(key);
      assert.strictEqual(editor.document.getText(), `{"content": {"image_key":"${key}"}}\n`);
      assert.strictEqual(api.history.findByKey(key)?.filePath, file.fsPath);
      assert.strictEqual(uploadRequests().length, 1);
    } finally {
      await config().update('insertTemplate', 'raw', vscode.ConfigurationTarget.Global);
    }
  });

  test('several images: one key per cursor when the counts match', async () => {
    const editor = await openDoc('paste/two.txt', 'a: \nb: \n', 'plaintext');
    const dt = new vscode.DataTransfer();
    dt.set('image/png', fileItem('one.png', distinctPng('one')));
    dt.set('image/jpeg', fileItem('two.jpg', fs.readFileSync(path.join(fixtures, 'jpg.jpg'))));
    await paste(editor, dt, [new vscode.Range(0, 3, 0, 3), new vscode.Range(1, 3, 1, 3)]);
    const lines = editor.document.getText().split('\n');
    assert.match(lines[0], /^a: img_v2_/);
    assert.match(lines[1], /^b: img_v2_/);
    assert.notStrictEqual(lines[0].slice(3), lines[1].slice(3));
  });

  test('drop a file from the OS (a file item with its path) into plain text: the raw key at the drop position', async () => {
    const file = writeFile('drop/photo.png', distinctPng('drop'));
    const editor = await openDoc('drop/keys.txt', 'key=\n', 'plaintext');
    const dt = new vscode.DataTransfer();
    dt.set('image/png', fileItem('photo.png', fs.readFileSync(file.fsPath), file));
    const position = new vscode.Position(0, 4);
    const edits = await api.dropProvider.provideDocumentDropEdits(editor.document, position, dt, token());
    assert.ok(edits && edits.length === 1);
    assert.strictEqual(edits[0].kind?.value, 'lark.imageKey');
    assert.strictEqual(uploadRequests().length, 0);
    const resolved = await api.dropProvider.resolveDocumentDropEdit(edits[0], token());
    await applyLikeWorkbench(editor.document, [new vscode.Range(position, position)], resolved);
    const key = editor.document.getText().match(KEY)?.[0];
    assert.ok(key);
    assert.strictEqual(editor.document.getText(), `key=${key}\n`);
    assert.strictEqual(api.history.findByKey(key)?.filePath, file.fsPath, 'a file that exists here is uploaded by path');
  });

  test('invalid pasted bytes: nothing inserted, no request, the diagnostic with the Lark code on the document', async () => {
    const editor = await openDoc('paste/broken.md', 'text\n', 'markdown');
    const range = new vscode.Range(1, 0, 1, 0);
    await paste(editor, pastedImage(fs.readFileSync(path.join(fixtures, 'text-as.png')), 'notes.png'), [range]);
    assert.strictEqual(editor.document.getText(), 'text\n');
    assert.strictEqual(uploadRequests().length, 0);
    const diags = await waitFor(() => vscode.languages.getDiagnostics(editor.document.uri).filter((d) => d.source === 'Lark Image Upload'), 15000, 'diagnostic');
    assert.strictEqual(diags.length, 1);
    assert.strictEqual((diags[0].code as { value: number }).value, 234011);
    assert.deepStrictEqual(diags[0].range, range);
    assert.ok(api.history.list().some((r) => !r.ok && r.fileName === 'notes.png' && r.code === 234011));

    // a server-side failure too; then a success in the same document clears the diagnostic
    server.injectFaults({ kind: 'code', code: 234007 });
    await paste(editor, pastedImage(distinctPng('bot-off')), [range]);
    assert.strictEqual((vscode.languages.getDiagnostics(editor.document.uri)[0]?.code as { value: number }).value, 234007);
    await paste(editor, pastedImage(distinctPng('fixed')), [range]);
    assert.deepStrictEqual(vscode.languages.getDiagnostics(editor.document.uri), []);
    assert.match(editor.document.getText(), /^text\n!\[image\]\(img_v2_/);
  });

  test('cancelled while uploading: nothing inserted, no diagnostic, no history entry', async function () {
    this.timeout(20000);
    const editor = await openDoc('paste/cancel.md', '', 'markdown');
    const before = api.history.list().length;
    // The upload is held by the server until it is cancelled (the delay only has to outlast the test).
    server.injectFaults({ kind: 'slow', delayMs: 120_000 });
    const source = new vscode.CancellationTokenSource();
    const range = endOf(editor.document);
    const edits = await api.pasteProvider.provideDocumentPasteEdits(editor.document, [range], pastedImage(distinctPng('cancel')), pasteContext, token());
    assert.ok(edits?.length);
    const resolving = api.pasteProvider.resolveDocumentPasteEdit(edits[0], source.token);
    await waitFor(() => server.pendingFaults() === 0, 15000, 'the upload to be held by the server');
    source.cancel();
    const resolved = await resolving;
    assert.strictEqual(resolved.additionalEdit, undefined);
    assert.strictEqual(editor.document.getText(), '');
    assert.deepStrictEqual(vscode.languages.getDiagnostics(editor.document.uri), []);
    assert.strictEqual(api.history.list().length, before);
  });

  test('not offered: languages outside the setting, non-images, a PasteAs for another kind', async () => {
    await config().update('pasteDrop.languages', ['markdown'], vscode.ConfigurationTarget.Global);
    try {
      const txt = await openDoc('paste/other.txt', '', 'plaintext');
      const bytes = distinctPng('nope');
      assert.strictEqual(await api.pasteProvider.provideDocumentPasteEdits(txt.document, [endOf(txt.document)], pastedImage(bytes), pasteContext, token()), undefined);
      assert.strictEqual(await api.dropProvider.provideDocumentDropEdits(txt.document, new vscode.Position(0, 0), pastedImage(bytes), token()), undefined);
      const md = await openDoc('paste/other.md', '', 'markdown');
      const notImage = writeFile('paste/readme.txt', Buffer.from('hello'));
      assert.strictEqual(await api.pasteProvider.provideDocumentPasteEdits(md.document, [endOf(md.document)], uriList(notImage), pasteContext, token()), undefined);
      const other = { only: vscode.DocumentDropOrPasteEditKind.Text, triggerKind: vscode.DocumentPasteTriggerKind.PasteAs };
      assert.strictEqual(await api.pasteProvider.provideDocumentPasteEdits(md.document, [endOf(md.document)], pastedImage(bytes), other, token()), undefined);
      assert.ok(await api.pasteProvider.provideDocumentPasteEdits(md.document, [endOf(md.document)], pastedImage(bytes), pasteContext, token()));
    } finally {
      await config().update('pasteDrop.languages', undefined, vscode.ConfigurationTarget.Global);
    }
    assert.strictEqual(uploadRequests().length, 0);
  });

  test('drop files and a folder onto the uploads view: every image uploaded and listed', async () => {
    const single = writeFile('viewdrop/single.png', distinctPng('v1'));
    writeFile('viewdrop/album/a.png', distinctPng('v2'));
    writeFile('viewdrop/album/deep/b.png', distinctPng('v3'));
    writeFile('viewdrop/album/readme.txt', Buffer.from('not an image'));
    const dt = uriList(single, vscode.Uri.file(path.join(ws, 'viewdrop', 'album')));
    const result = await api.uploadsDropController.uploadDropped(dt);
    assert.ok(result);
    assert.strictEqual(result.outcomes.length, 3);
    assert.ok(result.outcomes.every((o) => o.ok));
    assert.strictEqual(uploadRequests().length, 3);
    for (const rel of ['single.png', 'album/a.png', 'album/deep/b.png']) {
      assert.ok(api.history.findByFile(path.join(ws, 'viewdrop', rel)).some((r) => r.ok), rel);
    }
  });

  test('hover: a key from history shows the image, size, dimensions, type, time and links; an unknown key offers a preview', async () => {
    const file = writeFile('hover/logo.png', distinctPng('hover'));
    const summary = await api.uploadFiles([file], { insert: false });
    const key = summary?.outcomes[0].ok ? summary.outcomes[0].imageKey : '';
    assert.ok(key);
    const editor = await openDoc('hover/card.md', `Logo: ![logo](${key})\nOther: img_v2_00000000-not-ours\n`, 'markdown');
    const at = new vscode.Position(0, 20);
    const known = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, at));
    assert.ok(known.includes(key), known);
    assert.ok(known.includes(vscode.Uri.file(file.fsPath).toString()), 'the local image is shown');
    assert.match(known, /64 × 48/);
    assert.match(known, /KB/);
    assert.match(known, /PNG/);
    assert.ok(known.includes(`command:${Command.CopyKey}?`));
    assert.ok(known.includes(`command:${Command.RevealFile}?`));

    const unknown = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, new vscode.Position(1, 12)));
    assert.match(unknown, /Not in the upload history/);
    assert.ok(unknown.includes(`command:${Command.PreviewImage}?`));

    // a key Lark knows but this history does not: the preview is fetched with GET and then shown
    const record = api.history.findByKey(key);
    assert.ok(record);
    await api.history.remove(record.id);
    const fetched = await vscode.commands.executeCommand<vscode.Uri | undefined>(Command.PreviewImage, key);
    assert.ok(fetched, 'the preview was fetched');
    assert.deepStrictEqual(Buffer.from(await vscode.workspace.fs.readFile(fetched)), fs.readFileSync(file.fsPath));
    assert.ok(server.requests.some((r) => r.method === 'GET' && r.path === `/open-apis/im/v1/images/${key}` && r.status === 200));
    const after = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, at));
    // a key we now hold is not "not in the upload history"; the picture's alt text is the bare key
    assert.doesNotMatch(after, /Not in the upload history/);
    assert.match(after, /Fetched from Lark/);
    assert.ok(after.includes(`![${key}](${fetched.toString()}|width=`), `alt text without markdown escapes: ${after}`);
    assert.ok(after.includes(fetched.toString()), 'the fetched preview is in the hover');

    // an img_ key that is not img_v… and not in history: no hover of ours
    const plain = await openDoc('hover/plain.txt', 'img_banner\n', 'plaintext');
    assert.strictEqual(hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', plain.document.uri, new vscode.Position(0, 3))), '');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

});
