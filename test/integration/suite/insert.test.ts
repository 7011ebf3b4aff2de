// Insertion in a real VS Code, against the stand-in Lark server started in this extension host:
// the form the place needs (inside a JSON string, after a `}`, at a valid JSON spot, Markdown's
// default), gestures that keep to their place (Explorer and uploads-view drops never type into an
// editor; Insert at Cursor from the notification), Lark: Insert Key As…, and the Ctrl/Cmd+Alt+U
// keybinding to paste as our kind.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Command, PASTE_DROP_EDIT_KIND } from '../../../src/constants';
import type { LarkImageUploadApi } from '../../../src/extension';
import type { UploadSummary } from '../../../src/vscode/upload';
import type { LarkServer } from '../../larkServer/server';
import { getExtension, signedInToStandIn, waitFor, type ShownMessage } from './helpers';

const config = (scope?: vscode.ConfigurationScope) => vscode.workspace.getConfiguration('larkImageUpload', scope);
const GLOBAL = vscode.ConfigurationTarget.Global;

type Window = Record<string, unknown>;

/**
 * Until disposed, notifications are recorded and answered by `answer` (the title of a button, or
 * undefined as if dismissed). The extension shares this vscode API object, so its messages come here.
 */
function answerMessages(answer: (m: ShownMessage) => string | undefined = () => undefined): { shown: ShownMessage[]; dispose(): void } {
  const window = vscode.window as unknown as Window;
  const names = { error: 'showErrorMessage', warning: 'showWarningMessage', info: 'showInformationMessage' } as const;
  const originals = Object.fromEntries(Object.values(names).map((n) => [n, window[n]]));
  const shown: ShownMessage[] = [];
  for (const [severity, name] of Object.entries(names) as [ShownMessage['severity'], string][]) {
    window[name] = (text: unknown, ...rest: unknown[]) => {
      const items = rest.filter((r): r is string => typeof r === 'string');
      const message = { severity, text: String(text), items };
      shown.push(message);
      const chosen = answer(message);
      return Promise.resolve(chosen !== undefined && items.includes(chosen) ? chosen : undefined);
    };
  }
  return { shown, dispose: () => Object.assign(window, originals) };
}

/** Until disposed, quick picks are answered by `choose` (given the items offered) and recorded. */
function answerQuickPicks(choose: (items: readonly vscode.QuickPickItem[], call: number) => vscode.QuickPickItem | undefined): { offered: vscode.QuickPickItem[][]; dispose(): void } {
  const window = vscode.window as unknown as Window;
  const original = window.showQuickPick;
  const offered: vscode.QuickPickItem[][] = [];
  window.showQuickPick = async (items: readonly vscode.QuickPickItem[] | Thenable<readonly vscode.QuickPickItem[]>) => {
    const list = [...(await items)];
    offered.push(list);
    return choose(list, offered.length - 1);
  };
  return { offered, dispose: () => (window.showQuickPick = original) };
}

suite('Insert what the place needs (real VS Code + stand-in Lark server)', () => {
  let api: LarkImageUploadApi;
  let server: LarkServer;
  let ws: string;
  let fixtures: string;

  function distinctPng(rel: string, tag: string): vscode.Uri {
    const file = path.join(ws, 'insert', rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.concat([fs.readFileSync(path.join(fixtures, 'png.png')), Buffer.from(`#${tag}#${Date.now()}#${Math.random()}`)]));
    return vscode.Uri.file(file);
  }
  /** Opens `rel` with `marked` as its text; `|` marks the cursor(s). */
  async function openAt(rel: string, marked: string, language?: string): Promise<vscode.TextEditor> {
    const file = path.join(ws, 'insert', rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, marked.split('|').join(''));
    let doc = await vscode.workspace.openTextDocument(file);
    if (language && doc.languageId !== language) doc = await vscode.languages.setTextDocumentLanguage(doc, language);
    const editor = await vscode.window.showTextDocument(doc);
    const parts = marked.split('|');
    let offset = 0;
    const selections = parts.slice(0, -1).map((part) => {
      offset += part.length;
      const p = doc.positionAt(offset);
      return new vscode.Selection(p, p);
    });
    if (selections.length > 0) editor.selections = selections;
    return editor;
  }
  const keysOf = (summary: UploadSummary): string[] => summary.outcomes.map((o) => (o.ok ? o.imageKey : ''));
  const upload = (...files: vscode.Uri[]) => vscode.commands.executeCommand<UploadSummary>(Command.UploadImages, files[0], files);

  suiteSetup(async function () {
    this.timeout(60000);
    ({ api, server, ws, fixtures } = await signedInToStandIn());
  });

  suiteTeardown(async () => {
    await config().update('insertTemplate', undefined, GLOBAL);
    await server?.close();
  });

  setup(async () => {
    server.reset();
    await config().update('insertTemplate', 'cardImg', GLOBAL);
  });

  test('insertTemplate is language-overridable; Markdown defaults to card markdown; a "[markdown]" value wins', async () => {
    await config().update('insertTemplate', undefined, GLOBAL);
    assert.strictEqual(config({ languageId: 'markdown' }).get('insertTemplate'), 'cardMarkdown', 'the contributed [markdown] default');
    assert.strictEqual(config({ languageId: 'json' }).get('insertTemplate'), 'raw');
    assert.strictEqual(config().get('insertTemplate'), 'raw');
    // VS Code's precedence: a language default beats a value set for all languages ...
    await config().update('insertTemplate', 'postImg', GLOBAL);
    assert.strictEqual(config({ languageId: 'markdown' }).get('insertTemplate'), 'cardMarkdown');
    assert.strictEqual(config({ languageId: 'json' }).get('insertTemplate'), 'postImg');
    // ... and the user's own "[markdown]" value beats the default
    await config({ languageId: 'markdown' }).update('insertTemplate', 'raw', GLOBAL, true);
    try {
      assert.strictEqual(config({ languageId: 'markdown' }).get('insertTemplate'), 'raw');
    } finally {
      await config({ languageId: 'markdown' }).update('insertTemplate', undefined, GLOBAL, true);
    }
  });

  test('Markdown, nothing configured: `![name](img_…)` at the cursor', async () => {
    await config().update('insertTemplate', undefined, GLOBAL);
    const editor = await openAt('notes.md', '# Release\n\nChart: |\n', 'markdown');
    const summary = await upload(distinctPng('release-chart.png', 'md'));
    assert.strictEqual(summary.target, 'editor');
    assert.strictEqual(editor.document.getText(), `# Release\n\nChart: ![release-chart](${keysOf(summary)[0]})\n`);
  });

  test('inside a JSON string value: the bare key, never the snippet, no message', async () => {
    const editor = await openAt('card-string.json', '{"tag": "img", "img_key": "|"}\n', 'json');
    const messages = answerMessages();
    try {
      const summary = await upload(distinctPng('in-string.png', 'str'));
      const [key] = keysOf(summary);
      assert.strictEqual(editor.document.getText(), `{"tag": "img", "img_key": "${key}"}\n`);
      assert.deepStrictEqual(JSON.parse(editor.document.getText()), { tag: 'img', img_key: key });
      assert.ok(!messages.shown.some((m) => m.text.includes('invalid')), JSON.stringify(messages.shown));
    } finally {
      messages.dispose();
    }
  });

  test('at a valid JSON spot (an array of elements): the configured card img element', async () => {
    const editor = await openAt('card-elements.json', '{"elements": [|]}\n', 'json');
    const summary = await upload(distinctPng('hero.png', 'valid'));
    const [key] = keysOf(summary);
    assert.deepStrictEqual(JSON.parse(editor.document.getText()), { elements: [{ tag: 'img', img_key: key, alt: { tag: 'plain_text', content: 'hero' } }] });
  });

  test('after a `}`: the bare key and a message saying why (the card element would break the JSON)', async () => {
    const before = '{"elements": [{"tag": "hr"}|]}\n';
    const editor = await openAt('card-after-brace.json', before, 'json');
    const messages = answerMessages();
    try {
      const summary = await upload(distinctPng('after.png', 'brace'));
      const [key] = keysOf(summary);
      assert.strictEqual(editor.document.getText(), `{"elements": [{"tag": "hr"}${key}]}\n`, 'the bare key, not a second object glued to the first');
      const why = await waitFor(() => messages.shown.find((m) => m.text.includes('would make the JSON invalid')), 10000, 'the message saying why');
      assert.ok(why.text.startsWith('Card img element'), why.text);
    } finally {
      messages.dispose();
    }
  });

  test('multiple cursors in JSON: one key per cursor, each in the form its place needs', async () => {
    const editor = await openAt('two.json', '{"a": "|", "b": [|]}\n', 'json');
    const summary = await upload(distinctPng('m1.png', 'm1'), distinctPng('m2.png', 'm2'));
    const [k1, k2] = keysOf(summary);
    assert.deepStrictEqual(JSON.parse(editor.document.getText()), { a: k1, b: [{ tag: 'img', img_key: k2, alt: { tag: 'plain_text', content: 'm2' } }] });
  });

  test('the Explorer gesture never types into the open editor: keys on the clipboard, Insert at Cursor offered and working', async () => {
    const editor = await openAt('explorer.json', '{"img_key": "|"}\n', 'json');
    const before = editor.document.getText();
    await vscode.env.clipboard.writeText('untouched');
    let answered = false;
    const messages = answerMessages((m) => (answered ? undefined : m.items.includes('Insert at Cursor') ? ((answered = true), 'Insert at Cursor') : undefined));
    try {
      const file = distinctPng('from-explorer.png', 'explorer');
      const summary = await vscode.commands.executeCommand<UploadSummary>(Command.UploadFromExplorer, file, [file]);
      const [key] = keysOf(summary);
      assert.strictEqual(summary.target, 'clipboard');
      assert.strictEqual(await vscode.env.clipboard.readText(), renderedCardImg(key, 'from-explorer'), 'the configured form on the clipboard');
      const offer = await waitFor(() => messages.shown.find((m) => m.items.includes('Insert at Cursor')), 10000, 'the notification');
      assert.match(offer.text, /copied to the clipboard/);
      // Insert at Cursor: into the active editor, with the context rules (inside a string: the bare key)
      const inserted = await waitFor(() => editor.document.getText() !== before, 10000, 'Insert at Cursor to insert');
      assert.ok(inserted);
      assert.strictEqual(editor.document.getText(), `{"img_key": "${key}"}\n`);
    } finally {
      messages.dispose();
    }
  });

  test('the Explorer gesture, notification dismissed: the editor is unchanged', async () => {
    const editor = await openAt('untouched.md', 'text |\n', 'markdown');
    const messages = answerMessages();
    try {
      const files = [distinctPng('folder/a.png', 'fa'), distinctPng('folder/b.png', 'fb')];
      const summary = await vscode.commands.executeCommand<UploadSummary>(Command.UploadFromExplorer, files[0], files);
      assert.strictEqual(summary.target, 'clipboard');
      assert.strictEqual(editor.document.getText(), 'text \n');
      assert.strictEqual(await vscode.env.clipboard.readText(), keysOf(summary).map((k, i) => renderedCardImg(k, i === 0 ? 'a' : 'b')).join('\n'));
      const offer = await waitFor(() => messages.shown.find((m) => m.severity === 'info'), 10000, 'the notification');
      assert.deepStrictEqual(offer.items, ['Insert at Cursor']);
      assert.match(offer.text, /The keys were copied to the clipboard\./);
    } finally {
      messages.dispose();
    }
  });

  test('a drop onto the uploads view never types into the open editor: clipboard, Insert at Cursor offered', async () => {
    const editor = await openAt('drop-target.txt', 'x|\n', 'plaintext');
    await config().update('insertTemplate', 'raw', GLOBAL);
    const messages = answerMessages();
    try {
      const file = distinctPng('dropped.png', 'viewdrop');
      const dt = new vscode.DataTransfer();
      dt.set('text/uri-list', new vscode.DataTransferItem(file.toString()));
      const result = await api.uploadsDropController.uploadDropped(dt);
      assert.ok(result?.outcomes[0].ok);
      const key = result.outcomes[0].ok ? result.outcomes[0].imageKey : '';
      assert.strictEqual(editor.document.getText(), 'x\n');
      assert.strictEqual(await vscode.env.clipboard.readText(), key);
      const offer = await waitFor(() => messages.shown.find((m) => m.severity === 'info'), 10000, 'the notification');
      assert.deepStrictEqual(offer.items, ['Insert at Cursor']);
    } finally {
      messages.dispose();
    }
  });

  test('Lark: Insert Key As… from an uploads-view item: the picked form, with the context rules', async () => {
    const file = distinctPng('as.png', 'as');
    const summary = await vscode.commands.executeCommand<UploadSummary>(Command.UploadFromExplorer, file, [file]);
    const [key] = keysOf(summary);
    const record = api.history.findByKey(key);
    assert.ok(record);
    const editor = await openAt('as.json', '{"content": |}\n', 'json');
    const picks = answerQuickPicks((items) => items.find((i) => i.label === 'Image message content JSON'));
    const messages = answerMessages();
    try {
      await vscode.commands.executeCommand(Command.InsertKeyAs, record, [record]);
      assert.strictEqual(picks.offered.length, 1, 'an item handed over: only the form is asked');
      assert.deepStrictEqual(
        picks.offered[0].map((i) => i.label),
        ['The image_key alone', 'Image message content JSON', 'Rich text (post) img element', 'Card img element', 'Card markdown', 'Custom template'],
      );
      assert.strictEqual(picks.offered[0].find((i) => i.label === 'Card img element')?.description, '(configured)');
      assert.strictEqual(editor.document.getText(), `{"content": {"image_key":"${key}"}}\n`);
    } finally {
      picks.dispose();
      messages.dispose();
    }
  });

  test('Lark: Insert Key As… from the palette: the record picked from the history (most recent first), then the form', async () => {
    const older = keysOf(await upload(distinctPng('older.png', 'older')))[0];
    const newer = keysOf(await upload(distinctPng('newer.png', 'newer')))[0];
    const editor = await openAt('palette.md', 'See |\n', 'markdown');
    const picks = answerQuickPicks((items, call) => (call === 0 ? items[0] : items.find((i) => i.label === 'Card markdown')));
    try {
      await vscode.commands.executeCommand(Command.InsertKeyAs);
      assert.strictEqual(picks.offered.length, 2);
      assert.strictEqual(picks.offered[0][0].description, newer, 'the most recent upload on top');
      assert.ok(picks.offered[0].some((i) => i.description === older));
      assert.strictEqual(editor.document.getText(), `See ![newer](${newer})\n`);
    } finally {
      picks.dispose();
    }
  });

  test('the keybinding: Ctrl/Cmd+Alt+U runs editor.action.pasteAs with our paste kind, in a writable focused editor', async () => {
    const manifest = getExtension().packageJSON as { contributes: { keybindings?: { command: string; key: string; mac?: string; when?: string; args?: unknown }[] } };
    const binding = manifest.contributes.keybindings?.find((k) => k.command === 'editor.action.pasteAs');
    assert.ok(binding, 'contributed');
    assert.strictEqual(binding.key, 'ctrl+alt+u');
    assert.strictEqual(binding.mac, 'cmd+alt+u');
    assert.strictEqual(binding.when, 'editorTextFocus && !editorReadonly');
    assert.deepStrictEqual(binding.args, { kind: PASTE_DROP_EDIT_KIND.join('.') });
    // what pasteAs with that kind asks the providers: ours offers its edit for pasted image bytes
    const editor = await openAt('keybinding.md', '|', 'markdown');
    const dt = new vscode.DataTransfer();
    dt.set('image/png', new vscode.DataTransferItem(new Uint8Array(fs.readFileSync(path.join(fixtures, 'png.png')))));
    const only = vscode.DocumentDropOrPasteEditKind.Empty.append(...(binding.args as { kind: string }).kind.split('.'));
    const context: vscode.DocumentPasteEditContext = { only, triggerKind: vscode.DocumentPasteTriggerKind.PasteAs };
    const range = new vscode.Range(0, 0, 0, 0);
    const edits = await api.pasteProvider.provideDocumentPasteEdits(editor.document, [range], dt, context, new vscode.CancellationTokenSource().token);
    assert.strictEqual(edits?.length, 1);
    assert.strictEqual(edits[0].kind.value, binding.args && (binding.args as { kind: string }).kind);
    // The command takes those args on this VS Code and pastes from VS Code's own clipboard. This
    // host cannot put image bytes (or copied files) on the clipboard, so only text is there: our
    // provider is not asked, nothing is uploaded, no key appears.
    await vscode.env.clipboard.writeText('plain text');
    const requests = server.requests.length;
    await vscode.commands.executeCommand('editor.action.pasteAs', binding.args);
    assert.doesNotMatch(editor.document.getText(), /img_v2_/);
    assert.strictEqual(server.requests.length, requests);
  });
});

function renderedCardImg(key: string, alt: string): string {
  return JSON.stringify({ tag: 'img', img_key: key, alt: { tag: 'plain_text', content: alt } });
}
