// The packaged extension, installed from its .vsix into a clean profile (runner.js with
// LARK_TEST_VSIX; suite/index.ts runs this file only then): VS Code loads the INSTALLED copy, not
// the development folder; it activates by itself, registers its commands, carries its icon and the
// README's pictures, and signs in, uploads and inserts a key against the stand-in Lark server.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Command } from '../../../src/constants';
import { pngSize, relativePictures } from '../../support/readmePictures';
import { startLarkServer, type LarkServer } from '../../larkServer/server';
import { EXTENSION_ID, waitFor } from './helpers';
import { gradientPng, pngDimensions } from '../../support/pngMaker';
import type { LarkImageUploadApi } from '../../../src/extension';

interface Manifest {
  version: string;
  icon?: string;
  contributes?: { commands?: { command: string }[] };
}

/** A 1×1 PNG. */
const PIXEL_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

/** true when `child` is `dir` or inside it (both resolved through symlinks). */
function inside(dir: string, child: string): boolean {
  const rel = path.relative(fs.realpathSync(dir), fs.realpathSync(child));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

suite('Installed from the .vsix into a clean profile (real VS Code)', () => {
  const extensionsDir = process.env.LARK_TEST_VSIX_EXTENSIONS_DIR ?? '';
  const sourceRoot = process.env.LARK_TEST_SOURCE_ROOT ?? '';
  let ext: vscode.Extension<unknown>;

  suiteSetup(() => {
    assert.ok(extensionsDir && fs.existsSync(extensionsDir), 'runner.js passes LARK_TEST_VSIX_EXTENSIONS_DIR');
    assert.ok(sourceRoot && fs.existsSync(path.join(sourceRoot, 'package.json')), 'runner.js passes LARK_TEST_SOURCE_ROOT');
    const found = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(found, `${EXTENSION_ID} is not installed`);
    ext = found;
  });

  test('VS Code loads the copy installed in the extensions dir, not the development folder', () => {
    assert.ok(inside(extensionsDir, ext.extensionPath), `${ext.extensionPath} is not inside the extensions dir ${extensionsDir}`);
    assert.ok(!inside(sourceRoot, ext.extensionPath), `${ext.extensionPath} is the development folder`);
    const source = JSON.parse(fs.readFileSync(path.join(sourceRoot, 'package.json'), 'utf8')) as Manifest;
    assert.strictEqual((ext.packageJSON as Manifest).version, source.version);
    // what the package holds: the bundle, and no sources, tests or node_modules
    assert.ok(fs.existsSync(path.join(ext.extensionPath, 'dist', 'extension.js')), 'dist/extension.js is installed');
    for (const d of ['src', 'test', 'out', 'node_modules']) {
      assert.ok(!fs.existsSync(path.join(ext.extensionPath, d)), `${d}/ is in the installed extension`);
    }
  });

  test('activates by itself (onStartupFinished) in the workspace extension host and registers every contributed command', async () => {
    await waitFor(() => ext.isActive, 30000, 'the installed extension to activate');
    assert.strictEqual(ext.extensionKind, vscode.ExtensionKind.Workspace);
    const contributed = ((ext.packageJSON as Manifest).contributes?.commands ?? []).map((c) => c.command);
    assert.ok(contributed.length > 0, 'the installed manifest contributes no commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((c) => !registered.has(c));
    assert.deepStrictEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  test('the installed extension carries its 128×128 icon and every picture its README links to', () => {
    const icon = (ext.packageJSON as Manifest).icon;
    assert.ok(icon, 'the installed manifest names no icon');
    assert.deepStrictEqual(pngSize(fs.readFileSync(path.join(ext.extensionPath, icon))), { width: 128, height: 128 });
    const readme = fs.readdirSync(ext.extensionPath).find((f) => /^readme\.md$/i.test(f));
    assert.ok(readme, 'no README in the installed extension');
    const pictures = relativePictures(fs.readFileSync(path.join(ext.extensionPath, readme), 'utf8'));
    assert.ok(pictures.length > 0, 'the installed README links no pictures');
    const missing = pictures.filter((p) => !fs.existsSync(path.join(ext.extensionPath, p)));
    assert.deepStrictEqual(missing, [], 'README pictures missing from the installed extension');
  });

  test('fits an over-limit image with the packaged WebAssembly build of sharp (the shipped files are complete)', async function () {
    this.timeout(60000);
    const api = (await ext.activate()) as LarkImageUploadApi;
    const r = await api.fit({ bytes: gradientPng(12500, 50) }, { imageType: 'message' });
    assert.deepStrictEqual([r.fitted, r.format, r.width, r.height], [true, 'png', 12000, 48]);
    assert.deepStrictEqual(pngDimensions(r.bytes), { width: 12000, height: 48 });
    assert.strictEqual(r.engine, 'wasm');
  });

  suite('against the stand-in Lark server', () => {
    let server: LarkServer;
    const config = () => vscode.workspace.getConfiguration('larkImageUpload');

    suiteSetup(async () => {
      server = await startLarkServer();
    });
    suiteTeardown(async () => {
      await server?.close();
    });

    test('signs in, uploads an image and inserts its key at the cursor', async () => {
      await waitFor(() => ext.isActive, 30000, 'the installed extension to activate');
      await config().update('region', 'custom', vscode.ConfigurationTarget.Global);
      await config().update('customBaseUrl', server.baseUrl, vscode.ConfigurationTarget.Global);
      await config().update('insertTemplate', 'raw', vscode.ConfigurationTarget.Global);
      const signedIn = await vscode.commands.executeCommand<boolean>(Command.SignIn, { appId: server.demo.appId, appSecret: server.demo.appSecret });
      assert.strictEqual(signedIn, true, 'sign in against the stand-in server');

      const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
      assert.ok(ws, 'the test run opens a workspace folder');
      const image = path.join(ws, 'vsix-pixel.png');
      fs.writeFileSync(image, PIXEL_PNG);
      const note = path.join(ws, 'vsix-keys.txt');
      fs.writeFileSync(note, 'key: ');
      const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(note));
      const end = editor.document.lineAt(0).range.end;
      editor.selection = new vscode.Selection(end, end);

      await vscode.commands.executeCommand(Command.UploadImages, vscode.Uri.file(image), [vscode.Uri.file(image)]);
      const uploads = server.requests.filter((r) => r.method === 'POST' && r.path === '/open-apis/im/v1/images');
      assert.strictEqual(uploads.length, 1, 'one upload request reached the stand-in server');
      const text = await waitFor(() => {
        const t = editor.document.getText();
        return /img_v2_[0-9a-f-]+/.test(t) ? t : undefined;
      }, 10000, 'the key at the cursor');
      assert.match(text, /^key: img_v2_[0-9a-f-]+$/);
      fs.rmSync(image, { force: true });
    });
  });
});
