// Real VS Code: the uploads tree provider renders history records into TreeItems and follows
// history changes. The view id itself is registered by the extension at activation, so the
// provider is exercised directly (a second createTreeView for the same id would fail).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { ContextKey, UPLOADS_VIEW_ID, VIEW_CONTAINER_ID, ViewItem } from '../../../src/constants';
import { UploadHistory, type HistoryStorage, type UploadRecord } from '../../../src/core/history';
import { getExtension } from './helpers';
import { UploadsTreeProvider, recordsFromCommandArgs } from '../../../src/vscode/uploadsView';
import { escapeMarkdown } from '../../../src/vscode/format';

function memoryStorage(): HistoryStorage & { value: unknown } {
  const s = {
    value: undefined as unknown,
    get: () => s.value,
    set: (v: unknown) => {
      s.value = JSON.parse(JSON.stringify(v));
    },
  };
  return s;
}

const BASE = 'http://127.0.0.1:9';
const filePath = path.resolve('/tmp/lark-uploads-view/pixel.png');

suite('Uploads view (real VS Code extension host)', () => {
  let history: UploadHistory;
  let provider: UploadsTreeProvider;
  let t: number;

  setup(() => {
    t = 1_700_000_000_000;
    history = new UploadHistory(memoryStorage(), 500, () => (t += 60_000));
    provider = new UploadsTreeProvider(history);
  });

  teardown(() => provider.dispose());

  async function addOk(name: string, imageKey: string, extra: Partial<UploadRecord> = {}): Promise<UploadRecord> {
    return history.add({
      filePath: path.join(path.dirname(filePath), name),
      fileName: name,
      ok: true,
      imageKey,
      imageType: 'message',
      baseUrl: BASE,
      appId: 'cli_test',
      ...extra,
    });
  }

  async function addFailed(name: string, code: number, message: string, extra: Partial<UploadRecord> = {}): Promise<UploadRecord> {
    return history.add({
      filePath: path.join(path.dirname(filePath), name),
      fileName: name,
      ok: false,
      code,
      message,
      logId: 'log_failed_1',
      imageType: 'message',
      baseUrl: BASE,
      ...extra,
    });
  }

  test('getChildren lists the history newest first; items have no children', async () => {
    assert.deepStrictEqual(provider.getChildren(), []);
    const a = await addOk('a.png', 'img_v2_a');
    const b = await addFailed('b.png', 234011, 'bad image');
    const c = await addOk('c.png', 'img_v2_c');
    const children = provider.getChildren();
    assert.deepStrictEqual(
      children.map((r) => r.id),
      [c.id, b.id, a.id],
    );
    assert.deepStrictEqual(provider.getChildren(children[0]), []);
    assert.strictEqual(provider.getParent(), undefined);
  });

  test('a successful upload: label, image_key description, the file as icon, ok contextValue, tooltip', async () => {
    const r = await addOk('pixel.png', 'img_v2_pixel', { size: 3 * 1024, width: 1, height: 1, format: 'png', logId: '20240101abcdef' });
    const item = provider.getTreeItem(r);
    assert.strictEqual(item.label, 'pixel.png');
    assert.strictEqual(item.description, 'img_v2_pixel');
    assert.strictEqual(item.id, r.id);
    assert.strictEqual(item.contextValue, ViewItem.Uploaded);
    assert.strictEqual(item.collapsibleState, vscode.TreeItemCollapsibleState.None);
    assert.strictEqual(item.command, undefined, 'clicking an item runs no command');
    assert.ok(item.iconPath instanceof vscode.Uri, 'icon is the image file');
    assert.strictEqual((item.iconPath as vscode.Uri).fsPath, vscode.Uri.file(filePath).fsPath);
    assert.ok(item.tooltip instanceof vscode.MarkdownString);
    const tip = (item.tooltip as vscode.MarkdownString).value;
    assert.ok(tip.includes(escapeMarkdown('20240101abcdef')), tip);
    assert.ok(tip.includes(escapeMarkdown('img_v2_pixel')), tip);
    assert.ok(tip.includes('3.0'), `size in KB: ${tip}`);
    assert.ok(tip.includes('1 × 1'), `dimensions: ${tip}`);
    assert.ok(tip.includes('message'), `image_type: ${tip}`);
    assert.ok(tip.includes(escapeMarkdown('cli_test')), `app id: ${tip}`);
    assert.strictEqual((item.tooltip as vscode.MarkdownString).isTrusted, false);
  });

  test('a failed upload: ✗ code, error icon, failed contextValue, code and message in the tooltip', async () => {
    const r = await addFailed('big.png', 234006, 'The image size exceeds the limit');
    const item = provider.getTreeItem(r);
    assert.strictEqual(item.label, 'big.png');
    assert.strictEqual(item.description, '✗ 234006');
    assert.strictEqual(item.contextValue, ViewItem.Failed);
    assert.ok(item.iconPath instanceof vscode.ThemeIcon);
    assert.strictEqual((item.iconPath as vscode.ThemeIcon).id, 'error');
    assert.strictEqual((item.iconPath as vscode.ThemeIcon).color?.id, 'list.errorForeground');
    const tip = (item.tooltip as vscode.MarkdownString).value;
    assert.ok(tip.includes('234006'), tip);
    assert.ok(tip.includes(escapeMarkdown('The image size exceeds the limit')), tip);
    assert.ok(tip.includes(escapeMarkdown('log_failed_1')), tip);
  });

  test('a pasted upload (no file) gets the file-media icon', async () => {
    const r = await history.add({ fileName: 'pasted.png', ok: true, imageKey: 'img_v2_p', imageType: 'avatar', baseUrl: BASE });
    const icon = provider.getTreeItem(r).iconPath;
    assert.ok(icon instanceof vscode.ThemeIcon);
    assert.strictEqual(icon.id, 'file-media');
  });

  test('user-controlled text in the tooltip cannot inject markdown or links', async () => {
    const r = await addFailed('x](command:evil)<img src=x>.png', 1, '**bold** [link](https://evil.example) <b>html</b>');
    const tip = (provider.getTreeItem(r).tooltip as vscode.MarkdownString).value;
    assert.ok(!tip.includes('](command:evil)'), tip);
    assert.ok(!tip.includes('[link](https'), tip);
    assert.ok(!tip.includes('<b>'), tip);
    assert.ok(!tip.includes('**bold**'), tip);
  });

  test('onDidChangeTreeData fires on add, remove, clear and refresh', async () => {
    let fired = 0;
    const sub = provider.onDidChangeTreeData(() => fired++);
    try {
      const a = await addOk('a.png', 'img_v2_a');
      assert.strictEqual(fired, 1);
      await addOk('b.png', 'img_v2_b');
      assert.strictEqual(fired, 2);
      await history.remove(a.id);
      assert.strictEqual(fired, 3);
      assert.deepStrictEqual(
        provider.getChildren().map((r) => r.imageKey),
        ['img_v2_b'],
      );
      await history.clear();
      assert.strictEqual(fired, 4);
      assert.deepStrictEqual(provider.getChildren(), []);
      provider.refresh();
      assert.strictEqual(fired, 5);
    } finally {
      sub.dispose();
    }
  });

  test('after dispose the provider no longer follows the history', async () => {
    let fired = 0;
    provider.onDidChangeTreeData(() => fired++);
    provider.dispose();
    await addOk('a.png', 'img_v2_a');
    assert.strictEqual(fired, 0);
  });

  test('recordsFromCommandArgs: clicked item, selection, palette, garbage', async () => {
    const a = await addOk('a.png', 'img_v2_a');
    const b = await addOk('b.png', 'img_v2_b');
    const c = await addOk('c.png', 'img_v2_c');
    // clicked item inside a multi-selection: the whole selection
    assert.deepStrictEqual(recordsFromCommandArgs(a, [a, b]), [a, b]);
    // clicked item outside the selection: only that item
    assert.deepStrictEqual(recordsFromCommandArgs(c, [a, b]), [c]);
    assert.deepStrictEqual(recordsFromCommandArgs(c, []), [c]);
    // no item (keybinding): the selection
    assert.deepStrictEqual(recordsFromCommandArgs(undefined, [b]), [b]);
    // an array of records as the argument
    assert.deepStrictEqual(recordsFromCommandArgs([a, 'x', c], []), [a, c]);
    // something else (a Uri from the explorer, garbage)
    assert.deepStrictEqual(recordsFromCommandArgs(vscode.Uri.file(filePath), [a]), []);
    assert.deepStrictEqual(recordsFromCommandArgs({ id: 'x' }, [a]), []);
    assert.deepStrictEqual(recordsFromCommandArgs(a, [{ bogus: true } as unknown as UploadRecord]), [a]);
  });

  test('the contextValues, the context key, the view and its container are the ones the manifest uses', () => {
    const pkg = fs.readFileSync(path.join(getExtension().extensionPath, 'package.json'), 'utf8');
    assert.ok(pkg.includes(`viewItem == ${ViewItem.Uploaded}`), ViewItem.Uploaded);
    assert.ok(pkg.includes(`viewItem == ${ViewItem.Failed}`), ViewItem.Failed);
    assert.ok(pkg.includes(`${ContextKey.HasUploads}`), ContextKey.HasUploads);
    const contributes = (JSON.parse(pkg) as { contributes: { viewsContainers: { activitybar: { id: string }[] }; views: Record<string, { id: string }[]> } }).contributes;
    assert.deepStrictEqual(contributes.viewsContainers.activitybar.map((c) => c.id), [VIEW_CONTAINER_ID]);
    assert.deepStrictEqual(contributes.views[VIEW_CONTAINER_ID]?.map((v) => v.id), [UPLOADS_VIEW_ID]);
  });
});
