// Fitting and upload-as-file in a real VS Code against the stand-in Lark server (issue 9, the
// editor side): the fitImages setting (ask and its three answers, always, never), the quick fixes
// on the Problems entries (got through vscode.executeCodeActionProvider), the fitted entry in the
// uploads view and the hover, an upload as a file (the files endpoint got it, the record has its
// file_key), cancel while fitting, and what dedupe may hand out.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Command } from '../../../src/constants';
import type { LarkImageUploadApi } from '../../../src/extension';
import type { UploadRecord } from '../../../src/core/history';
import type { UploadSummary } from '../../../src/vscode/upload';
import type { LocalImagesSummary } from '../../../src/vscode/localImages';
import { UploadsTreeProvider } from '../../../src/vscode/uploadsView';
import { formatKb } from '../../../src/vscode/format';
import type { LarkServer } from '../../larkServer/server';
import { gradientPng } from '../../support/pngMaker';
import { captureMessages, signedInToStandIn, waitFor } from './helpers';

const config = () => vscode.workspace.getConfiguration('larkImageUpload');
const IMAGE_KEY = /^img_v\d+_[A-Za-z0-9_-]+$/;
const FILE_KEY = /^file_v\d+_[A-Za-z0-9_-]+$/;
const QUESTION = /exceeds? Lark's limits/;

suite('Fitting and upload as a file in the editor (real VS Code + stand-in Lark server)', function () {
  this.timeout(60000);
  let api: LarkImageUploadApi;
  let server: LarkServer;
  let dir: string;
  let n = 0;
  let answers: ReturnType<typeof captureMessages> | undefined;

  const imageUploads = () => server.requests.filter((r) => r.method === 'POST' && r.path === '/open-apis/im/v1/images' && r.status === 200).length;
  const questions = () => (answers?.shown ?? []).filter((m) => QUESTION.test(m.text));
  const ours = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Lark Image Upload');
  const codeOf = (d: vscode.Diagnostic) => (typeof d.code === 'object' ? Number(d.code.value) : Number(d.code));
  /** The code actions on a Problems entry, as the Problems panel asks for them (the file open as a document). */
  async function quickFixes(uri: vscode.Uri, range: vscode.Range): Promise<vscode.CodeAction[]> {
    await vscode.workspace.openTextDocument(uri);
    return (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, range)) ?? [];
  }
  const recordOf = (file: string): UploadRecord | undefined => api.history.findByFile(file)[0];

  /** A distinct PNG `width` px wide (over 12000: Lark refuses it with 234039), so dedupe hides nothing. */
  function wide(name: string, width = 12001): string {
    const file = path.join(dir, `${n++}-${name}`);
    fs.writeFileSync(file, gradientPng(width, 8 + n));
    return file;
  }
  function small(name: string): string {
    return wide(name, 32 + n);
  }
  function svg(name: string): string {
    const file = path.join(dir, `${n++}-${name}`);
    fs.writeFileSync(file, `<svg xmlns="http://www.w3.org/2000/svg" width="${60 + n}" height="40"><rect width="30" height="40" fill="#3370ff"/></svg>\n`);
    return file;
  }
  const upload = (files: string[], target: 'cursor' | 'clipboard' = 'clipboard', signal?: AbortSignal) =>
    api.uploadFiles(
      files.map((f) => vscode.Uri.file(f)),
      { target, signal },
    ) as Promise<UploadSummary>;

  suiteSetup(async () => {
    const standIn = await signedInToStandIn();
    ({ api, server } = standIn);
    dir = path.join(standIn.ws, 'fit-editor');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
  });

  suiteTeardown(async () => {
    await config().update('fitImages', undefined, vscode.ConfigurationTarget.Global);
    fs.rmSync(dir, { recursive: true, force: true });
    await server.close();
  });

  setup(() => server.reset());
  teardown(async () => {
    answers?.dispose();
    answers = undefined;
    await config().update('fitImages', undefined, vscode.ConfigurationTarget.Global);
  });

  test('ask (the default) -> Fit and Upload: the rest uploads first, one question names the image, then it is fitted and uploaded', async () => {
    const ok = small('ok.png');
    const big = wide('big.png');
    let uploadedBeforeQuestion = -1;
    answers = captureMessages((m) => {
      if (!QUESTION.test(m.text)) return undefined;
      uploadedBeforeQuestion = imageUploads();
      return 'Fit and Upload';
    });
    const summary = await upload([ok, big]);
    assert.strictEqual(questions().length, 1, JSON.stringify(answers.shown));
    const [question] = questions();
    assert.ok(question.text.includes(path.basename(big)), question.text);
    assert.deepStrictEqual(question.items, ['Fit and Upload', 'Upload as Files', 'Skip']);
    assert.strictEqual(uploadedBeforeQuestion, 1, 'the image within the limits was uploaded before the question');
    const [first, second] = summary.outcomes;
    assert.ok(first.ok && second.ok, JSON.stringify(summary.outcomes));
    assert.match(second.imageKey, IMAGE_KEY);
    assert.deepStrictEqual(second.fit?.original && [second.fit.original.width, second.fit.original.format], [12001, 'png']);
    const stored = server.images.get(second.imageKey);
    assert.deepStrictEqual(stored && [stored.width, stored.format], [12000, 'png'], 'Lark got the fitted image');
    const record = recordOf(big);
    assert.ok(record?.ok && record.imageKey === second.imageKey, JSON.stringify(record));
    assert.deepStrictEqual([record.fit?.width, record.width], [12001, 12000]);
    assert.strictEqual(ours(vscode.Uri.file(big)).length, 0, 'no Problems entry is left');
    assert.strictEqual(imageUploads(), 2);
  });

  test('ask -> Upload as Files: the files endpoint gets it unchanged, the record holds its file_key, the clipboard a file message', async () => {
    const big = wide('as-file.png');
    answers = captureMessages((m) => (QUESTION.test(m.text) ? 'Upload as Files' : undefined));
    const summary = await upload([big]);
    assert.strictEqual(questions().length, 1);
    const entry = summary.files?.[0];
    assert.ok(entry?.outcome.ok && entry.index === 0, JSON.stringify(summary));
    const { fileKey } = entry.outcome;
    assert.match(fileKey, FILE_KEY);
    const stored = server.files.get(fileKey);
    assert.ok(stored, 'the stand-in server stored the file');
    assert.deepStrictEqual([stored.fileType, stored.fileName], ['stream', path.basename(big)]);
    assert.ok(stored.bytes.equals(fs.readFileSync(big)), 'sent byte-for-byte');
    assert.strictEqual(imageUploads(), 0, 'nothing went to the images API');
    const record = recordOf(big);
    assert.ok(record?.ok, JSON.stringify(record));
    assert.deepStrictEqual([record.fileKey, record.imageKey], [fileKey, undefined]);
    assert.strictEqual(await vscode.env.clipboard.readText(), JSON.stringify({ file_key: fileKey }));
    assert.strictEqual(ours(vscode.Uri.file(big)).length, 0);
    const item = new UploadsTreeProvider(api.history);
    try {
      assert.strictEqual(item.getTreeItem(record).description, `${fileKey} (uploaded as a file)`);
    } finally {
      item.dispose();
    }
  });

  test('ask -> Skip: today\'s behaviour, a Problems entry (234039); Fit from its failed entry in the uploads view uploads it and clears the entry', async () => {
    const big = wide('skip.png');
    answers = captureMessages((m) => (QUESTION.test(m.text) ? 'Skip' : undefined));
    const summary = await upload([big]);
    assert.strictEqual(questions().length, 1);
    assert.ok(!summary.outcomes[0].ok && summary.outcomes[0].code === 234039, JSON.stringify(summary.outcomes));
    assert.strictEqual(imageUploads(), 0);
    const uri = vscode.Uri.file(big);
    assert.deepStrictEqual(ours(uri).map(codeOf), [234039]);
    const failed = recordOf(big);
    assert.strictEqual(failed?.code, 234039);
    // a PNG cannot be opened as a text document, so VS Code asks no code actions for its entry:
    // the uploads view's failed entry carries the same two commands
    const fixed = await vscode.commands.executeCommand<UploadSummary>(Command.FitAndUpload, failed);
    const [o] = fixed.outcomes;
    assert.ok(o.ok && o.fit, JSON.stringify(fixed.outcomes));
    assert.strictEqual(await vscode.env.clipboard.readText(), o.imageKey, 'handed over like the Explorer gesture: the clipboard');
    assert.strictEqual(ours(uri).length, 0, 'the entry is cleared');
    assert.strictEqual(recordOf(big)?.imageKey, o.imageKey, 'the failed entry is replaced by the fitted upload');
  });

  test('quick fixes from the Problems panel (an SVG, 234011): Fit to Lark\'s limits and upload, Upload as a file; Fit draws it as a PNG', async () => {
    await config().update('fitImages', 'never', vscode.ConfigurationTarget.Global);
    answers = captureMessages(() => undefined);
    const vector = svg('quick-fit.svg');
    await upload([vector]);
    const uri = vscode.Uri.file(vector);
    const [problem] = ours(uri);
    assert.strictEqual(codeOf(problem), 234011);
    const actions = await quickFixes(uri, problem.range);
    const titles = actions.filter((a) => a.kind?.value === 'quickfix').map((a) => a.title);
    assert.deepStrictEqual(titles, ["Fit to Lark's limits and upload", 'Upload as a file']);
    const fit = actions.find((a) => a.title.startsWith('Fit'));
    assert.ok(fit?.command);
    const fixed = await vscode.commands.executeCommand<UploadSummary>(fit.command.command, ...(fit.command.arguments ?? []));
    const [o] = fixed.outcomes;
    assert.ok(o.ok && o.fit?.original.format === 'svg', JSON.stringify(fixed.outcomes));
    assert.strictEqual(server.images.get(o.imageKey)?.format, 'png');
    assert.strictEqual(ours(uri).length, 0, 'the entry is cleared');
    assert.strictEqual(recordOf(vector)?.fit?.format, 'svg');
  });

  test('always: fitted without a question; the uploads view and the hover show original → fitted', async () => {
    await config().update('fitImages', 'always', vscode.ConfigurationTarget.Global);
    answers = captureMessages(() => undefined);
    const big = wide('always.png');
    const summary = await upload([big]);
    assert.strictEqual(questions().length, 0);
    const [o] = summary.outcomes;
    assert.ok(o.ok && o.fit, JSON.stringify(summary.outcomes));
    const record = recordOf(big);
    assert.ok(record?.ok && record.fit, JSON.stringify(record));
    assert.ok(record.fit.size < 1024 * 1024 && record.size !== undefined, 'sizes below 1 MiB are shown in KB');
    const line = `fitted 12001×${record.fit.height} → 12000×${record.height}, ${formatKb(record.fit.size)} KB → ${formatKb(record.size)} KB`;
    const view = new UploadsTreeProvider(api.history);
    try {
      assert.strictEqual(view.getTreeItem(record).description, `${o.imageKey} · ${line}`);
    } finally {
      view.dispose();
    }
    const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content: `key: ${o.imageKey}\n` });
    const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(0, 8))) ?? [];
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
    assert.ok(text.replace(/\\/g, '').includes(line), text);
  });

  test('never: no question, the Problems entry keeps the quick fixes; "Upload as a file" on an SVG (234011) sends it as a file', async () => {
    await config().update('fitImages', 'never', vscode.ConfigurationTarget.Global);
    answers = captureMessages(() => undefined);
    const big = wide('never.png');
    const vector = svg('never.svg');
    const summary = await upload([big, vector]);
    assert.strictEqual(questions().length, 0);
    assert.deepStrictEqual(
      summary.outcomes.map((o) => (o.ok ? 'ok' : o.code)),
      [234039, 234011],
    );
    assert.strictEqual(codeOf(ours(vscode.Uri.file(big))[0]), 234039);
    const uri = vscode.Uri.file(vector);
    const [problem] = ours(uri);
    assert.strictEqual(codeOf(problem), 234011);
    const actions = await quickFixes(uri, problem.range);
    const asFile = actions.find((a) => a.title === 'Upload as a file');
    assert.ok(asFile?.command, actions.map((a) => a.title).join(' | '));
    const fixed = await vscode.commands.executeCommand<UploadSummary>(asFile.command.command, ...(asFile.command.arguments ?? []));
    const entry = fixed.files?.[0]?.outcome;
    assert.ok(entry?.ok, JSON.stringify(fixed));
    assert.ok(server.files.get(entry.fileKey)?.bytes.equals(fs.readFileSync(vector)));
    assert.strictEqual(recordOf(vector)?.fileKey, entry.fileKey);
    assert.strictEqual(ours(uri).length, 0);
  });

  test('a refusal fitting cannot cure (an empty file, 234010) gets no quick fix', async () => {
    await config().update('fitImages', 'never', vscode.ConfigurationTarget.Global);
    answers = captureMessages(() => undefined);
    const empty = path.join(dir, `${n++}-empty.png`);
    fs.writeFileSync(empty, '');
    await upload([empty]);
    const uri = vscode.Uri.file(empty);
    const [problem] = ours(uri);
    assert.strictEqual(codeOf(problem), 234010);
    const actions = await quickFixes(uri, problem.range);
    assert.deepStrictEqual(actions.filter((a) => /Fit|as a file/.test(a.title)).map((a) => a.title), []);
  });

  test('cancel while fitting: nothing is uploaded or recorded as fitted, the upload that finished before is kept', async () => {
    const ok = small('kept.png');
    const big = wide('cancelled.png');
    const controller = new AbortController();
    answers = captureMessages((m) => (QUESTION.test(m.text) ? 'Fit and Upload' : undefined));
    // the progress notification says "Fitting …": Cancel at that moment
    const window = vscode.window as unknown as { withProgress: typeof vscode.window.withProgress };
    const original = window.withProgress;
    const reports: string[] = [];
    window.withProgress = <R>(options: vscode.ProgressOptions, task: (progress: vscode.Progress<{ message?: string; increment?: number }>, token: vscode.CancellationToken) => Thenable<R>): Thenable<R> =>
      original.call<typeof vscode.window, [vscode.ProgressOptions, typeof task], Thenable<R>>(vscode.window, options, (progress, token) =>
        task(
          {
            report: (value) => {
              reports.push(value.message ?? '');
              if (value.message?.startsWith('Fitting ')) controller.abort();
              progress.report(value);
            },
          },
          token,
        ),
      );
    let summary: UploadSummary;
    try {
      summary = await upload([ok, big], 'clipboard', controller.signal);
    } finally {
      window.withProgress = original;
    }
    assert.ok(reports.includes(`Fitting ${path.basename(big)}…`), reports.join(' | '));
    assert.strictEqual(summary.cancelled, true);
    const [first, second] = summary.outcomes;
    assert.ok(first.ok, 'the finished upload is kept');
    assert.ok(!second.ok && second.code === 9104, JSON.stringify(second));
    assert.strictEqual(imageUploads(), 1, 'the image being fitted was not uploaded');
    assert.strictEqual(recordOf(ok)?.imageKey, first.imageKey);
    const record = recordOf(big);
    assert.ok(!record?.ok && record?.fit === undefined, JSON.stringify(record));
  });

  test('dedupe: the same image fitted again reuses its fitted key; an upload as a file never answers an image upload', async () => {
    await config().update('fitImages', 'always', vscode.ConfigurationTarget.Global);
    answers = captureMessages(() => undefined);
    const big = wide('twice.png');
    const copy = path.join(dir, `${n++}-twice-copy.png`);
    fs.copyFileSync(big, copy);
    const a = (await upload([big])).outcomes[0];
    const b = (await upload([copy])).outcomes[0];
    assert.ok(a.ok && b.ok, JSON.stringify([a, b]));
    assert.strictEqual(b.imageKey, a.imageKey);
    assert.ok(b.deduped && !a.deduped);
    assert.strictEqual(imageUploads(), 1);

    const plain = small('file-then-image.png');
    const asFile = await vscode.commands.executeCommand<UploadSummary>(Command.UploadAsFile, vscode.Uri.file(plain));
    assert.ok(asFile.files?.[0].outcome.ok);
    const image = (await upload([plain])).outcomes[0];
    assert.ok(image.ok && !image.deduped, JSON.stringify(image));
    assert.match(image.imageKey, IMAGE_KEY);
    assert.strictEqual(imageUploads(), 2);
  });
  /** A Markdown document naming `image` (a path relative to it), open in an editor. */
  async function markdownNaming(image: string): Promise<vscode.TextDocument> {
    const file = path.join(dir, `${n++}-doc.md`);
    fs.writeFileSync(file, `see ![wide](${path.basename(image)}) here\n`);
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    return doc;
  }
  const uploadLocal = (doc: vscode.TextDocument) => vscode.commands.executeCommand<LocalImagesSummary>(Command.UploadLocalImages, { uri: doc.uri.toString() });
  /** The key that replaced the document's reference, and the width Lark stored for it. */
  function replacedKey(doc: vscode.TextDocument): { key: string; width: number | undefined } {
    const m = /^see !\[wide\]\((img_v\d+_[A-Za-z0-9_-]+)\) here\n$/.exec(doc.getText());
    assert.ok(m, doc.getText());
    return { key: m[1], width: server.images.get(m[1])?.width };
  }

  test('local images, always: a Markdown reference to a 12001-px PNG is replaced by the key of a 12000-px image, no question', async () => {
    await config().update('fitImages', 'always', vscode.ConfigurationTarget.Global);
    answers = captureMessages(() => undefined);
    const big = wide('local-always.png');
    const doc = await markdownNaming(big);
    const summary = await uploadLocal(doc);
    assert.deepStrictEqual([summary.total, summary.replaced, summary.failed], [1, 1, 0], JSON.stringify(summary));
    assert.strictEqual(questions().length, 0);
    assert.strictEqual(replacedKey(doc).width, 12000, 'Lark got the fitted image');
    assert.strictEqual(recordOf(big)?.fit?.width, 12001);
  });

  test('local images, ask: one question with only Fit and Skip (a file_key cannot stand in a Markdown image); Fit replaces the reference', async () => {
    answers = captureMessages((m) => (QUESTION.test(m.text) ? 'Fit and Upload' : undefined));
    const big = wide('local-ask.png');
    const doc = await markdownNaming(big);
    const summary = await uploadLocal(doc);
    assert.strictEqual(questions().length, 1, JSON.stringify(answers.shown));
    assert.deepStrictEqual(questions()[0].items, ['Fit and Upload', 'Skip']);
    assert.deepStrictEqual([summary.replaced, summary.failed], [1, 0], JSON.stringify(summary));
    assert.strictEqual(replacedKey(doc).width, 12000);
  });

  test('local images, never: an Error (234039) on the reference offers "Fit to Lark\'s limits and upload", which replaces it by a 12000-px image', async () => {
    await config().update('fitImages', 'never', vscode.ConfigurationTarget.Global);
    answers = captureMessages(() => undefined);
    const big = wide('local-never.png');
    const doc = await markdownNaming(big);
    const summary = await uploadLocal(doc);
    assert.deepStrictEqual([summary.replaced, summary.failed], [0, 1], JSON.stringify(summary));
    assert.strictEqual(questions().length, 0);
    assert.strictEqual(imageUploads(), 0);
    const error = await waitFor(
      () => vscode.languages.getDiagnostics(doc.uri).find((d) => d.severity === vscode.DiagnosticSeverity.Error),
      10000,
      'the error on the reference',
    );
    assert.strictEqual(codeOf(error), 234039);
    assert.strictEqual(doc.getText(error.range), path.basename(big));
    const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, error.range)) ?? [];
    const fit = actions.find((a) => a.kind?.value === 'quickfix' && a.title === "Fit to Lark's limits and upload");
    assert.ok(fit?.command, actions.map((a) => a.title).join(' | '));
    assert.ok(!actions.some((a) => /as a file/i.test(a.title)), 'no file_key in a Markdown image');
    const fixed = await vscode.commands.executeCommand<LocalImagesSummary>(fit.command.command, ...(fit.command.arguments ?? []));
    assert.deepStrictEqual([fixed.replaced, fixed.failed], [1, 0], JSON.stringify(fixed));
    assert.strictEqual(replacedKey(doc).width, 12000);
    await waitFor(() => vscode.languages.getDiagnostics(doc.uri).length === 0, 10000, 'the error to go with the path');
  });
  /** Pastes a 12001-px PNG (bytes, no file) into a new Markdown document; its text after the edit. */
  async function pasteWide(): Promise<string> {
    const file = path.join(dir, `${n++}-paste.md`);
    fs.writeFileSync(file, 'pasted: ');
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    const dt = new vscode.DataTransfer();
    const bytes = gradientPng(12001, 8 + n++);
    dt.set('image/png', new (class extends vscode.DataTransferItem {
      override asFile(): vscode.DataTransferFile {
        return { name: 'image.png', uri: undefined, data: () => Promise.resolve(bytes) };
      }
    })(''));
    const at = new vscode.Range(doc.positionAt(8), doc.positionAt(8));
    const cancel = new vscode.CancellationTokenSource();
    const edits = await api.pasteProvider.provideDocumentPasteEdits(doc, [at], dt, { only: undefined, triggerKind: vscode.DocumentPasteTriggerKind.PasteAs }, cancel.token);
    assert.ok(edits?.length === 1, 'our edit is offered');
    const resolved = await api.pasteProvider.resolveDocumentPasteEdit(edits[0], cancel.token);
    if (resolved.additionalEdit) assert.ok(await vscode.workspace.applyEdit(resolved.additionalEdit));
    return doc.getText();
  }
  const storedWidthIn = (text: string): number | undefined => {
    const key = /img_v\d+_[A-Za-z0-9_-]+/.exec(text)?.[0];
    assert.ok(key, text);
    return server.images.get(key)?.width;
  };

  test('paste, always: a pasted 12001-px screenshot (bytes, no file) is fitted, and the key of a 12000-px image is inserted', async () => {
    await config().update('fitImages', 'always', vscode.ConfigurationTarget.Global);
    answers = captureMessages(() => undefined);
    const text = await pasteWide();
    assert.strictEqual(questions().length, 0);
    assert.strictEqual(storedWidthIn(text), 12000, 'Lark got the fitted image');
    assert.strictEqual(imageUploads(), 1);
  });

  test('paste, ask: one question with only Fit and Skip; Fit inserts the key of the fitted image, Skip inserts nothing', async () => {
    answers = captureMessages((m) => (QUESTION.test(m.text) ? 'Fit and Upload' : undefined));
    const text = await pasteWide();
    assert.strictEqual(questions().length, 1, JSON.stringify(answers.shown));
    assert.deepStrictEqual(questions()[0].items, ['Fit and Upload', 'Skip']);
    assert.strictEqual(storedWidthIn(text), 12000);
    answers.dispose();
    answers = captureMessages((m) => (QUESTION.test(m.text) ? 'Skip' : undefined));
    assert.strictEqual(await pasteWide(), 'pasted: ');
    assert.strictEqual(questions().length, 1);
    assert.strictEqual(imageUploads(), 1, 'the skipped image was not uploaded');
  });
});
