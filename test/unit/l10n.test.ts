// Every user-visible string has a Simplified Chinese translation: manifest strings (%key% in
// package.json -> package.nls*.json) and runtime strings (vscode.l10n.t literals -> l10n bundle).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const readJson = (file: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as Record<string, unknown>;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The first argument of every `l10n.t(...)` call, when it is a string literal. */
export function runtimeStrings(): Map<string, string> {
  const found = new Map<string, string>();
  const re = /l10n\.t\(\s*(['"])((?:\\.|(?!\1)[^\\])*)\1/g;
  for (const file of sourceFiles(path.join(ROOT, 'src'))) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(re)) {
      const value = m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      found.set(value, path.relative(ROOT, file));
    }
  }
  return found;
}

const hasChinese = (s: unknown): boolean => typeof s === 'string' && /[\u4e00-\u9fff]/.test(s);

suite('l10n: every string has a zh-cn translation', () => {
  test('every %key% in package.json is in package.nls.json and package.nls.zh-cn.json', () => {
    const manifest = fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8');
    const keys = [...manifest.matchAll(/"%([^%"]+)%"/g)].map((m) => m[1]);
    assert.ok(keys.length > 20, `only ${keys.length} manifest keys`);
    const en = readJson('package.nls.json');
    const zh = readJson('package.nls.zh-cn.json');
    for (const k of keys) {
      assert.ok(typeof en[k] === 'string', `package.nls.json lacks ${k}`);
      assert.ok(typeof zh[k] === 'string', `package.nls.zh-cn.json lacks ${k}`);
    }
    for (const k of Object.keys(en)) assert.ok(k in zh, `zh-cn lacks ${k}`);
    const untranslated = Object.keys(zh).filter((k) => !hasChinese(zh[k]) && k !== 'category');
    assert.deepStrictEqual(untranslated, []);
  });

  test('every vscode.l10n.t string is in l10n/bundle.l10n.zh-cn.json, in Chinese, with the same placeholders', () => {
    const strings = runtimeStrings();
    assert.ok(strings.size > 20, `only ${strings.size} runtime strings found`);
    const bundle = readJson('l10n/bundle.l10n.zh-cn.json');
    const missing = [...strings.keys()].filter((s) => typeof bundle[s] !== 'string');
    assert.deepStrictEqual(missing, [], `missing translations:\n${missing.join('\n')}`);
    for (const s of strings.keys()) {
      const zh = String(bundle[s]);
      // Chinese required unless the source has no words to translate (placeholders, product names).
      assert.ok(hasChinese(zh) || !/[a-z]{3}/i.test(s.replace(/\b(Lark|Feishu)\b/g, '')), `not translated: ${s}`);
      const placeholders = (t: string) => [...t.matchAll(/\{(\d+)\}/g)].map((m) => m[1]).sort().join(',');
      assert.strictEqual(placeholders(zh), placeholders(s), `placeholders differ for: ${s}`);
    }
    const stale = Object.keys(bundle).filter((k) => !strings.has(k));
    assert.deepStrictEqual(stale, [], 'translations of strings no longer used');
  });
});

suite('l10n: one spelling for what a new user reads', () => {
  test('recognized (not recognised), WebP (not WEBP), 2000×2000 (not 2000x2000): manifest strings, runtime strings and their translations', () => {
    const texts: [string, string][] = [];
    for (const file of ['package.nls.json', 'package.nls.zh-cn.json', 'l10n/bundle.l10n.zh-cn.json']) {
      for (const [k, v] of Object.entries(readJson(file))) texts.push([`${file}: ${k}`, `${k}\n${String(v)}`]);
    }
    for (const [s, file] of runtimeStrings()) texts.push([file, s]);
    const wrong = texts.filter(([, t]) => /recognis|\bWEBP\b|\bWebp\b|\d\s?x\s?\d/.test(t)).map(([where]) => where);
    assert.deepStrictEqual(wrong, []);
  });
});
