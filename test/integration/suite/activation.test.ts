// Real VS Code: the extension loads from its development path, activates and contributes its commands.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Command } from '../../../src/constants';
import { EXTENSION_ID, getExtension, getExtensionApi } from './helpers';

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

  test('runs in the workspace extension host', () => {
    assert.strictEqual(getExtension().extensionKind, vscode.ExtensionKind.Workspace);
  });

  test('user settings.json written by the launcher are in effect', () => {
    const file = process.env.LARK_TEST_USER_SETTINGS;
    assert.ok(file, 'the launcher passes LARK_TEST_USER_SETTINGS (index.ts checks it before any test)');
    const written = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    const config = vscode.workspace.getConfiguration();
    for (const key of ['workbench.startupEditor', 'telemetry.telemetryLevel']) {
      assert.notStrictEqual(written[key], undefined, `the launcher's settings.json sets ${key}`);
      assert.notDeepStrictEqual(written[key], config.inspect(key)?.defaultValue, `${key} is set to something other than its default`);
      assert.deepStrictEqual(config.inspect(key)?.globalValue, written[key], `user setting ${key}`);
    }
  });
});
