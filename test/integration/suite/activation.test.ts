// Real VS Code: the extension loads from its development path, activates and contributes its commands.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Command } from '../../../src/constants';
import { EXTENSION_ID, canScreenshot, getExtension, getExtensionApi, screenshot } from './helpers';

interface PackageJson {
  name: string;
  publisher: string;
  version: string;
  contributes?: { commands?: { command: string; title: string }[] };
}

suite('Activation (real VS Code extension host)', () => {
  let pkg: PackageJson;

  suiteSetup(() => {
    pkg = JSON.parse(fs.readFileSync(path.join(getExtension().extensionPath, 'package.json'), 'utf8')) as PackageJson;
  });

  test('the extension is found by id and activates', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} not found`);
    assert.strictEqual(`${pkg.publisher}.${pkg.name}`, EXTENSION_ID);
    await ext.activate();
    assert.strictEqual(ext.isActive, true);
  });

  test('every command contributed in package.json is registered', async () => {
    await getExtensionApi();
    const contributed = (pkg.contributes?.commands ?? []).map((c) => c.command);
    assert.ok(contributed.length > 0, 'package.json contributes no commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((c) => !registered.has(c));
    assert.deepStrictEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  test('ids live in one place: src/constants Command matches the manifest exactly; no * activation', () => {
    const contributed = (pkg.contributes?.commands ?? []).map((c) => c.command).sort();
    assert.deepStrictEqual(contributed, Object.values(Command).sort());
    const events = (pkg as unknown as { activationEvents?: string[] }).activationEvents ?? [];
    assert.ok(!events.includes('*'), 'activation must come from contributions only');
  });

  test('activate() returns the API object', async () => {
    const api = await getExtensionApi();
    assert.ok(api && typeof api === 'object', 'no API object exported');
    assert.strictEqual(api.version, pkg.version);
    assert.strictEqual(getExtension().exports, api);
  });

  test('runs in the workspace (Node) extension host', () => {
    assert.strictEqual(getExtension().extensionKind, vscode.ExtensionKind.Workspace);
    assert.strictEqual(typeof process.versions.node, 'string');
  });

  test('user settings.json written by the launcher are in effect', function () {
    const file = process.env.LARK_TEST_USER_SETTINGS;
    if (!file) this.skip(); // the desktop launcher writes no settings
    const written = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    const config = vscode.workspace.getConfiguration();
    for (const key of ['workbench.startupEditor', 'telemetry.telemetryLevel']) {
      assert.deepStrictEqual(config.inspect(key)?.globalValue, written[key], `user setting ${key}`);
    }
  });

  test('a screenshot of the workbench can be taken', async function () {
    if (!canScreenshot()) this.skip(); // only test/integration/runner.js serves screenshot requests
    const png = await screenshot('activation-smoke');
    const size = fs.statSync(png).size;
    assert.ok(size > 10 * 1024, `screenshot is only ${size} bytes`);
    assert.deepStrictEqual([...fs.readFileSync(png).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'not a PNG');
  });

  test('deliberately failing test (only when LARK_DEMO_FAIL=1)', function () {
    if (process.env.LARK_DEMO_FAIL !== '1') this.skip();
    assert.strictEqual(1 + 1, 3, 'deliberate failure (LARK_DEMO_FAIL=1)');
  });
});
