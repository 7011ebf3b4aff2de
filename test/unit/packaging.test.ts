// The .vsix stays clean: `vsce ls --no-dependencies` (what `npm run package` would put in the
// package, governed by .vscodeignore) lists the bundle and the manifest, and no sources, tests,
// compiled tests, node_modules or source maps. Needs dist/extension.js (`npm test` builds first).
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** Repository root: this file runs from out/test/unit/. */
const ROOT = path.resolve(__dirname, '..', '..', '..');

suite('packaging (vsce ls)', function () {
  this.timeout(30000);
  let files: string[] = [];

  suiteSetup(function () {
    assert.ok(
      fs.existsSync(path.join(ROOT, 'dist', 'extension.js')),
      'dist/extension.js is missing: run `npm run build` first',
    );
    const out = execFileSync('npx', ['--no-install', 'vsce', 'ls', '--no-dependencies'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, npm_config_update_notifier: 'false' },
      timeout: 25000,
    });
    files = out
      .split(/\r?\n/)
      .map((l) => l.trim().replace(/\\/g, '/'))
      .filter((l) => l !== '');
  });

  test('ships the bundle and the manifest', () => {
    for (const f of ['package.json', 'dist/extension.js']) {
      assert.ok(files.includes(f), `${f} is not in the package; vsce ls listed:\n${files.join('\n')}`);
    }
  });

  test('ships no sources, tests, compiled tests, node_modules or source maps', () => {
    const bad = files.filter(
      (f) =>
        /^(src|test|out|node_modules)\//.test(f) ||
        /\.ts$/.test(f) ||
        /\.map$/.test(f) ||
        /\.vsix$/.test(f),
    );
    assert.deepStrictEqual(bad, [], `files that must not be packaged:\n${bad.join('\n')}`);
  });
});
