// Local image references in documents (issue 10), in a real VS Code against the stand-in Lark
// server: the diagnostics on each path, the quick fixes (this one, all, the selection), the
// source action, one undo for the batch, a reference edited while uploading, failures on the
// reference, JSON cards.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Command } from '../../../src/constants';
import type { LarkImageUploadApi } from '../../../src/extension';
import type { LocalImagesSummary } from '../../../src/vscode/localImages';
import type { LarkServer } from '../../larkServer/server';
import { captureMessages, signedInToStandIn, waitFor } from './helpers';

const config = () => vscode.workspace.getConfiguration('larkImageUpload');
const KEY = /^img_v\d+_[A-Za-z0-9_-]+$/;

suite('Local images in documents (real VS Code + stand-in Lark server)', () => {
  let api: LarkImageUploadApi;
  let server: LarkServer;
  let ws: string;
  let fixtures: string;
  let dir: string;
  let n = 0;

  const uploadRequests = () => server.requests.filter((r) => r.method === 'POST' && r.path === '/open-apis/im/v1/images');

  /** A distinct valid PNG under the test folder (fixture bytes + a tag after IEND), so dedupe hides nothing. */
  function png(rel: string): string {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.concat([fs.readFileSync(path.join(fixtures, 'png.png')), Buffer.from(`#${rel}#${Date.now()}#${n++}#${Math.random()}`)]));
    return file;
  }
  async function open(rel: string, text: string): Promise<vscode.TextEditor> {
    const file = path.join(dir, rel);
    fs.writeFileSync(file, text);
    const doc = await vscode.workspace.openTextDocument(file);
    return vscode.window.showTextDocument(doc);
  }
  /** Our diagnostics on the document once the scan has published `count` of them. */
  async function localDiagnostics(uri: vscode.Uri, count: number): Promise<vscode.Diagnostic[]> {
    return waitFor(
      () => {
        const ours = vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Lark Image Upload');
        return ours.length === count ? ours : undefined;
      },
      10000,
      `${count} local-image diagnostics on ${path.basename(uri.fsPath)}`,
    );
  }
  async function actionsAt(uri: vscode.Uri, range: vscode.Range, kind?: string): Promise<vscode.CodeAction[]> {
    return (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, range, kind)) ?? [];
  }
  async function run(action: vscode.CodeAction | undefined): Promise<LocalImagesSummary> {
    assert.ok(action?.command, 'the action runs a command');
    return vscode.commands.executeCommand<LocalImagesSummary>(action.command.command, ...(action.command.arguments ?? []));
  }
  const textAt = (doc: vscode.TextDocument, d: vscode.Diagnostic) => doc.getText(d.range);

  suiteSetup(async function () {
    this.timeout(60000);
    ({ api, server, ws, fixtures } = await signedInToStandIn());
    dir = path.join(ws, 'local-images');
    fs.mkdirSync(dir, { recursive: true });
  });

  suiteTeardown(async () => {
    await config().update('localImageDiagnostics', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await server?.close();
  });

  setup(() => server.reset());

  test('each local image path gets a Hint on exactly the path; URLs, keys, missing files and code spans none; the setting changes the severity', async () => {
    png('img/chart.png');
    png('my logo.png');
    const editor = await open(
      'diag.md',
      '# Report\n\n![chart](img/chart.png "Q3") and ![logo](<my logo.png>)\n![web](https://example.com/a.png) ![key](img_v2_abc) ![gone](gone.png)\n\n`![code](img/chart.png)`\n',
    );
    const uri = editor.document.uri;
    const diags = await localDiagnostics(uri, 2);
    assert.deepStrictEqual(diags.map((d) => textAt(editor.document, d)), ['img/chart.png', '<my logo.png>']);
    assert.ok(diags.every((d) => d.severity === vscode.DiagnosticSeverity.Hint && d.code === 'local-image'));
    assert.match(diags[0].message, /img\/chart\.png/);

    await config().update('localImageDiagnostics', 'warning', vscode.ConfigurationTarget.Global);
    await waitFor(() => vscode.languages.getDiagnostics(uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Warning).length === 2, 10000, 'warnings');
    await config().update('localImageDiagnostics', 'off', vscode.ConfigurationTarget.Global);
    await waitFor(() => vscode.languages.getDiagnostics(uri).length === 0, 10000, 'no diagnostics with "off"');
    await config().update('localImageDiagnostics', undefined, vscode.ConfigurationTarget.Global);
    await localDiagnostics(uri, 2);

    // typing a new reference shows it after the scan
    const end = editor.document.lineAt(editor.document.lineCount - 1).range.end;
    await editor.edit((e) => e.insert(end, '![again](img/chart.png)\n'));
    await localDiagnostics(uri, 3);
    assert.strictEqual(uploadRequests().length, 0, 'diagnostics never upload');
  });

  test('quick fix on one reference: only that path becomes its key', async () => {
    png('one/a.png');
    png('one/b.png');
    const editor = await open('one.md', '![a](one/a.png)\n![b](one/b.png)\n');
    const doc = editor.document;
    const diags = await localDiagnostics(doc.uri, 2);
    const actions = await actionsAt(doc.uri, diags[0].range);
    const fix = actions.find((a) => a.kind?.value === 'quickfix' && /^Upload a\.png and replace/.test(a.title));
    assert.ok(fix, `the quick fix is offered; got: ${actions.map((a) => a.title).join(' | ')}`);
    assert.ok(actions.some((a) => /^Upload all 2 local images/.test(a.title)), 'and "Upload all" for the document');
    const summary = await run(fix);
    assert.strictEqual(summary.replaced, 1);
    assert.strictEqual(uploadRequests().length, 1);
    const [first, second] = doc.getText().split('\n');
    const key = /^!\[a\]\((.*)\)$/.exec(first)?.[1] ?? '';
    assert.match(key, KEY);
    assert.ok(server.images.has(key), 'the key is the one Lark returned');
    assert.strictEqual(second, '![b](one/b.png)');
    await localDiagnostics(doc.uri, 1);
  });

  test('source action "upload all": the same image twice is uploaded once, every path replaced, one undo restores the document', async () => {
    png('all/x.png');
    png('all/y.png');
    const original = '# Card\r\n\r\n![x](all/x.png)\r\n<img src="all/y.png" width="80">\r\n![x again](all/x.png "title")\r\n';
    const editor = await open('all.md', original);
    const doc = editor.document;
    await localDiagnostics(doc.uri, 3);
    const actions = await actionsAt(doc.uri, new vscode.Range(0, 0, 0, 0), 'source.lark.uploadLocalImages');
    assert.strictEqual(actions.length, 1, `one source action; got: ${actions.map((a) => `${a.kind?.value} ${a.title}`).join(' | ')}`);
    const summary = await run(actions[0]);
    assert.deepStrictEqual([summary.total, summary.replaced, summary.failed, summary.skipped], [3, 3, 0, []]);
    assert.strictEqual(uploadRequests().length, 2, 'x.png twice in the document, uploaded once');
    const text = doc.getText();
    const m = /^# Card\r\n\r\n!\[x\]\((img_\S+)\)\r\n<img src="(img_\S+)" width="80">\r\n!\[x again\]\((img_\S+) "title"\)\r\n$/.exec(text);
    assert.ok(m, `only the paths changed (CRLF kept):\n${text}`);
    assert.strictEqual(m[1], m[3], 'the same image has the same key');
    assert.notStrictEqual(m[1], m[2]);
    assert.ok(api.history.list().some((r) => r.imageKey === m[2] && r.filePath === path.join(dir, 'all', 'y.png')), 'the uploads are in the history');

    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('undo');
    assert.strictEqual(doc.getText(), original, 'one undo takes the whole batch back');
  });

  test('on a selection: only the references inside it', async () => {
    png('sel/1.png');
    png('sel/2.png');
    const editor = await open('sel.json', JSON.stringify({ elements: [{ tag: 'img', img_key: 'sel/1.png' }, { tag: 'img', img_key: 'sel/2.png' }] }, null, 2));
    const doc = editor.document;
    await localDiagnostics(doc.uri, 2);
    const line = doc.getText().split('\n').findIndex((l) => l.includes('sel/2.png'));
    const selection = new vscode.Range(line, 0, line + 1, 0);
    const actions = await actionsAt(doc.uri, selection);
    const forSelection = actions.find((a) => a.kind?.value.startsWith('refactor.rewrite'));
    assert.ok(forSelection, `a refactor action for the selection; got: ${actions.map((a) => a.title).join(' | ')}`);
    assert.match(forSelection.title, /the 1 local images in the selection/);
    const summary = await run(forSelection);
    assert.strictEqual(summary.replaced, 1);
    const card = JSON.parse(doc.getText()) as { elements: { img_key: string }[] };
    assert.strictEqual(card.elements[0].img_key, 'sel/1.png');
    assert.match(card.elements[1].img_key, KEY);
  });

  test('a reference edited while its image uploads is left alone and named; the others land where they moved to', async () => {
    png('race/a.png');
    png('race/b.png');
    const editor = await open('race.md', '![a](race/a.png)\n![b](race/b.png)\n');
    const doc = editor.document;
    await localDiagnostics(doc.uri, 2);
    let release!: () => void;
    let arrived!: () => void;
    const bothArrived = new Promise<void>((resolve) => {
      let count = 0;
      arrived = () => (++count === 2 ? resolve() : undefined);
    });
    const until = new Promise<void>((resolve) => (release = resolve));
    server.injectFaults({ kind: 'hold', until, arrived }, { kind: 'hold', until, arrived });
    const messages = captureMessages();
    try {
      const running = vscode.commands.executeCommand<LocalImagesSummary>(Command.UploadLocalImages, { uri: doc.uri });
      await bothArrived;
      // the user renames a.png's path and adds a heading (moving b's line)
      const aAt = doc.getText().indexOf('race/a.png');
      await editor.edit((e) => {
        e.insert(doc.positionAt(aAt + 'race/'.length), 'new-');
        e.insert(new vscode.Position(0, 0), '# Heading\n');
      });
      release();
      const summary = await running;
      assert.deepStrictEqual(summary.skipped, ['race/a.png']);
      assert.strictEqual(summary.replaced, 1);
      const lines = doc.getText().split('\n');
      assert.strictEqual(lines[0], '# Heading');
      assert.strictEqual(lines[1], '![a](race/new-a.png)', 'the user’s edit is kept');
      assert.match(/^!\[b\]\((.*)\)$/.exec(lines[2])?.[1] ?? '', KEY);
      await waitFor(() => messages.texts('warning').some((t) => /1 not replaced because it changed while uploading: race\/a\.png/.test(t)), 5000, 'the warning');
    } finally {
      release();
      messages.dispose();
    }
  });

  test('a failed upload: an Error with the Lark code on the reference, the path stays; fixing it again clears it', async () => {
    png('fail/bad.png');
    const editor = await open('fail.md', 'see ![bad](fail/bad.png)\n');
    const doc = editor.document;
    await localDiagnostics(doc.uri, 1);
    server.injectFaults({ kind: 'code', code: 234011 });
    const messages = captureMessages();
    try {
      const summary = await vscode.commands.executeCommand<LocalImagesSummary>(Command.UploadLocalImages, { uri: doc.uri });
      assert.deepStrictEqual([summary.replaced, summary.failed], [0, 1]);
      assert.strictEqual(doc.getText(), 'see ![bad](fail/bad.png)\n');
      const [error] = await waitFor(
        () => {
          const e = vscode.languages.getDiagnostics(doc.uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
          return e.length === 1 ? e : undefined;
        },
        10000,
        'the error on the reference',
      );
      assert.strictEqual((error.code as { value: number }).value, 234011);
      assert.strictEqual(doc.getText(error.range), 'fail/bad.png');
      assert.ok(messages.texts('error').some((t) => /1 could not be uploaded: bad\.png/.test(t)), messages.texts().join(' | '));

      const retry = (await actionsAt(doc.uri, error.range)).find((a) => a.kind?.value === 'quickfix' && /^Upload bad\.png/.test(a.title));
      const again = await run(retry);
      assert.strictEqual(again.replaced, 1);
      await waitFor(() => vscode.languages.getDiagnostics(doc.uri).length === 0, 10000, 'the error to go with the path');
    } finally {
      messages.dispose();
    }
  });

  test('cancel: the replacements already finished are applied, the rest stay as written', async () => {
    png('cancel/a.png');
    png('cancel/b.png');
    const editor = await open('cancel.md', '![a](cancel/a.png)\n![b](cancel/b.png)\n');
    const doc = editor.document;
    await localDiagnostics(doc.uri, 2);
    let release!: () => void;
    let held!: () => void;
    const oneHeld = new Promise<void>((resolve) => (held = resolve));
    // whichever upload comes first is answered at once; the other waits until the end of the test
    server.injectFaults({ kind: 'slow', delayMs: 0 }, { kind: 'hold', until: new Promise<void>((resolve) => (release = resolve)), arrived: () => held() });
    const controller = new AbortController();
    const messages = captureMessages();
    try {
      const running = api.localImages.uploadLocalImages({ uri: doc.uri, signal: controller.signal });
      await oneHeld;
      await waitFor(() => server.uploads() === 1, 10000, 'the first upload to finish');
      controller.abort();
      const summary = await running;
      assert.ok(summary);
      assert.deepStrictEqual([summary.cancelled, summary.replaced, summary.failed], [true, 1, 0]);
      const lines = doc.getText().split('\n');
      const replaced = lines.filter((l) => /^!\[[ab]\]\(img_/.test(l));
      const kept = lines.filter((l) => /^!\[[ab]\]\(cancel\/[ab]\.png\)$/.test(l));
      assert.deepStrictEqual([replaced.length, kept.length], [1, 1], doc.getText());
      assert.ok(messages.texts('warning').some((t) => /Cancelled: 1 of 2 local images/.test(t)), messages.texts().join(' | '));
    } finally {
      release();
      messages.dispose();
    }
  });

  test('a read-only document (files.readonlyInclude) is not changed and nothing is uploaded; the message says why', async () => {
    png('ro/a.png');
    const files = vscode.workspace.getConfiguration('files');
    await files.update('readonlyInclude', { '**/readonly-card.md': true }, vscode.ConfigurationTarget.Workspace);
    const messages = captureMessages();
    try {
      const editor = await open('readonly-card.md', '![a](ro/a.png)\n');
      const doc = editor.document;
      await localDiagnostics(doc.uri, 1);
      const summary = await vscode.commands.executeCommand<LocalImagesSummary>(Command.UploadLocalImages, { uri: doc.uri });
      assert.deepStrictEqual([summary.applied, summary.replaced], [false, 0]);
      assert.strictEqual(doc.getText(), '![a](ro/a.png)\n');
      assert.strictEqual(server.requests.length, 0, 'nothing uploaded');
      assert.ok(messages.texts('warning').some((t) => /readonly-card\.md is read-only \(files\.readonlyInclude\)/.test(t)), messages.texts().join(' | '));
    } finally {
      messages.dispose();
      await files.update('readonlyInclude', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  test('an 8 MB document with 2,000 references to 20 images: 20 uploads, 2,000 replacements in one edit, one undo', async function () {
    this.timeout(180000);
    const images = Array.from({ length: 20 }, (_, i) => png(`big/img-${i}.png`));
    const paragraph = 'Plain text that makes the document large, the way long release notes are. '.repeat(55);
    const parts: string[] = [];
    for (let i = 0; i < 2000; i++) parts.push(`![figure ${i}](big/img-${i % 20}.png)`, paragraph);
    const original = parts.join('\n\n') + '\n';
    assert.ok(original.length >= 7_500_000, `the document is about 8 MB (${original.length})`);
    const editor = await open('big.md', original);
    const doc = editor.document;
    await localDiagnostics(doc.uri, 2000);
    const summary = await vscode.commands.executeCommand<LocalImagesSummary>(Command.UploadLocalImages, { uri: doc.uri });
    assert.deepStrictEqual([summary.total, summary.replaced, summary.failed], [2000, 2000, 0]);
    assert.strictEqual(uploadRequests().length, images.length, 'each image once');
    const text = doc.getText();
    assert.ok(!text.includes('](big/img-'), 'no path is left');
    assert.strictEqual((text.match(/\]\(img_v\d+_/g) ?? []).length, 2000);
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('undo');
    assert.ok(doc.getText() === original, 'one undo takes back all 2,000 replacements');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('nothing local: no request at all, and the message names the paths that lead nowhere', async () => {
    fs.mkdirSync(path.join(dir, 'a-folder.png'), { recursive: true });
    const editor = await open('none.md', '![x](missing.png) ![y](a-folder.png) ![z](https://example.com/z.png)\n');
    const messages = captureMessages();
    try {
      const summary = await vscode.commands.executeCommand<LocalImagesSummary>(Command.UploadLocalImages, { uri: editor.document.uri });
      assert.strictEqual(summary.total, 0);
      assert.deepStrictEqual(summary.notLocal, [
        { ref: 'missing.png', reason: 'missing' },
        { ref: 'a-folder.png', reason: 'folder' },
      ]);
      assert.strictEqual(server.requests.length, 0, 'not even a token request');
      assert.ok(messages.texts('info').some((t) => /missing\.png \(no such file\); a-folder\.png \(a folder\)/.test(t)), messages.texts().join(' | '));
    } finally {
      messages.dispose();
    }
  });
});
