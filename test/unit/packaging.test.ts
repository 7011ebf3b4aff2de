// The .vsix stays clean and is ready for the marketplaces: `vsce ls --no-dependencies` (what
// `npm run package` would put in the package, governed by .vscodeignore) lists the bundle, the
// manifest, the icon and the README's pictures, sharp with its WebAssembly build (no native
// build), and no sources, tests, compiled tests, node_modules or source maps; the manifest carries the marketplace fields; `npm run package`'s
// vsce command packages without a prompt (no stdin, as in CI). Needs dist/extension.js (`npm test`
// builds first).
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pngSize, relativePictures } from '../support/readmePictures';

/** Repository root: this file runs from out/test/unit/. */
const ROOT = path.resolve(__dirname, '..', '..', '..');

interface Manifest {
  icon?: string;
  keywords?: string[];
  categories?: string[];
  galleryBanner?: { color?: string; theme?: string };
  engines?: { vscode?: string };
  devDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
}

/** The categories the Visual Studio Marketplace and Open VSX accept (vsce's list). */
const MARKETPLACE_CATEGORIES = [
  'AI', 'Azure', 'Chat', 'Data Science', 'Debuggers', 'Education', 'Extension Packs', 'Formatters',
  'Keymaps', 'Language Packs', 'Linters', 'Machine Learning', 'Notebooks', 'Programming Languages',
  'SCM Providers', 'Snippets', 'Testing', 'Themes', 'Visualization', 'Other',
];

const manifest = (): Manifest => JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;

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
    for (const f of ['package.json', 'dist/extension.js', 'dist/referencesWorker.js']) {
      assert.ok(files.includes(f), `${f} is not in the package; vsce ls listed:\n${files.join('\n')}`);
    }
  });

  test('ships no sources, tests, compiled tests, node_modules or source maps', () => {
    const bad = files.filter(
      (f) =>
        /^(src|test|out|node_modules)\//.test(f) ||
        /\.ts$/.test(f) ||
        /\.map$/.test(f) ||
        /\.vsix$/.test(f) ||
        /\.m?js$/.test(f) && f !== 'dist/extension.js' && f !== 'dist/referencesWorker.js' && !f.startsWith('dist/node_modules/'),
    );
    assert.deepStrictEqual(bad, [], `files that must not be packaged:\n${bad.join('\n')}`);
  });

  test('ships sharp with its WebAssembly build, and no native build (one .vsix for every OS)', () => {
    for (const f of ['dist/node_modules/sharp/package.json', 'dist/node_modules/@img/sharp-wasm32/package.json']) {
      assert.ok(files.includes(f), `${f} is not in the package`);
    }
    assert.ok(files.some((f) => /^dist\/node_modules\/@img\/sharp-wasm32\/lib\/.*\.wasm$/.test(f)), 'the WebAssembly module of @img/sharp-wasm32 is not in the package');
    const native = files.filter((f) => /\.(node|so(\.\d+)*|dylib|dll)$/.test(f) || /\/@img\/sharp-(?!wasm32\/)/.test(f));
    assert.deepStrictEqual(native, [], `native (per-platform) files in the package:\n${native.join('\n')}`);
  });

  test('the packaged sharp loads on its own and runs its WebAssembly build', function () {
    this.timeout(30000);
    // the packaged files alone, away from this checkout's node_modules (which has a native build)
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-vsix-files-'));
    try {
      for (const f of files.filter((f) => f.startsWith('dist/'))) {
        fs.mkdirSync(path.dirname(path.join(tmp, f)), { recursive: true });
        fs.copyFileSync(path.join(ROOT, f), path.join(tmp, f));
      }
      const script = "const s=require('./dist/node_modules/sharp');s({create:{width:8,height:4,channels:3,background:'#3370ff'}}).png().toBuffer().then(b=>console.log(JSON.stringify({wasm:'emscripten' in s.versions,png:b.length})))";
      const out = execFileSync(process.execPath, ['-e', script], { cwd: tmp, encoding: 'utf8', timeout: 25000 });
      const result = JSON.parse(out.trim()) as { wasm: boolean; png: number };
      assert.strictEqual(result.wasm, true, 'sharp did not load its WebAssembly build');
      assert.ok(result.png > 0, 'no PNG encoded');
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('ships every picture the README links to, at the linked path', () => {
    const pictures = relativePictures(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
    assert.ok(pictures.length > 0, 'the README links no pictures (the check would prove nothing)');
    const missing = pictures.filter((p) => !files.includes(p));
    assert.deepStrictEqual(missing, [], `README pictures not in the package:\n${missing.join('\n')}`);
    for (const p of pictures) assert.ok(fs.existsSync(path.join(ROOT, p)), `README links ${p}, which does not exist`);
  });

  test('the icon is a 128×128 PNG and is packaged', () => {
    const icon = manifest().icon;
    assert.ok(icon, 'package.json has no "icon"');
    assert.match(icon, /\.png$/, 'the marketplaces want a PNG icon (vsce rejects SVG)');
    assert.ok(files.includes(icon), `${icon} is not in the package`);
    assert.deepStrictEqual(pngSize(fs.readFileSync(path.join(ROOT, icon))), { width: 128, height: 128 });
  });

  test('marketplace fields: keywords, categories, gallery banner', () => {
    const m = manifest();
    for (const k of ['lark', 'feishu', '飞书', 'image', 'upload', 'image_key', 'card']) {
      assert.ok(m.keywords?.includes(k), `keyword ${k} is missing`);
    }
    assert.ok((m.keywords?.length ?? 0) <= 30, 'vsce allows at most 30 keywords');
    assert.ok(m.categories && m.categories.length > 0, 'no categories');
    const unknown = m.categories.filter((c) => !MARKETPLACE_CATEGORIES.includes(c));
    assert.deepStrictEqual(unknown, [], 'categories the marketplaces do not know');
    assert.match(m.galleryBanner?.color ?? '', /^#[0-9a-fA-F]{6}$/, 'galleryBanner.color');
    assert.ok(['dark', 'light'].includes(m.galleryBanner?.theme ?? ''), 'galleryBanner.theme is dark or light');
  });

  test('engines.vscode is the oldest VS Code the suite runs on, and @types/vscode matches it', () => {
    const m = manifest();
    assert.strictEqual(m.engines?.vscode, '^1.99.0');
    assert.strictEqual(m.devDependencies?.['@types/vscode'], '~1.99.0');
  });
});

suite('packaging (npm run package, without stdin)', function () {
  this.timeout(60000);

  test("the package script's vsce command packages without a prompt or a warning", function () {
    const script = manifest().scripts?.package ?? '';
    const m = /\bvsce (package(?: [^&|;]+)?)$/.exec(script);
    assert.ok(m, `the package script runs no \`vsce package\`: ${script}`);
    const args = m[1].split(/\s+/);
    const out = args.indexOf('--out');
    assert.ok(out > 0 && args[out + 1], 'the package script names its output (--out)');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-vsix-'));
    try {
      args[out + 1] = path.join(tmp, 'test.vsix');
      let text: string;
      try {
        text = execFileSync('npx', ['--no-install', 'vsce', ...args], {
          cwd: ROOT,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, npm_config_update_notifier: 'false' },
          timeout: 50000,
        });
      } catch (e) {
        const err = e as { stdout?: string; stderr?: string; message: string };
        assert.fail(`vsce ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
      }
      assert.ok(fs.statSync(args[out + 1]).size > 0, 'no .vsix written');
      assert.doesNotMatch(text, /WARNING|Do you want to continue/i, `vsce warned:\n${text}`);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
