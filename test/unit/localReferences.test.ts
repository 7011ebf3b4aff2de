import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isInside, scanLocalReferences } from '../../src/core/localReferences';

suite('core/localReferences', () => {
  let dir: string;
  let outside: string;

  suiteSetup(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-localrefs-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-outside-'));
    fs.mkdirSync(path.join(dir, 'docs', 'img'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'docs', 'img', 'chart.png'), 'x');
    fs.writeFileSync(path.join(dir, 'docs', 'my logo.png'), 'x');
    fs.writeFileSync(path.join(dir, 'docs', 'a%20b.png'), 'x'); // really called a%20b.png
    fs.writeFileSync(path.join(outside, 'far.png'), 'x');
    fs.mkdirSync(path.join(dir, 'docs', 'folder.png'));
    fs.symlinkSync('loop-b.png', path.join(dir, 'docs', 'loop-a.png'));
    fs.symlinkSync('loop-a.png', path.join(dir, 'docs', 'loop-b.png'));
  });
  suiteTeardown(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  test('splits references into files (absolute path) and paths that name no file (with why), in document order', () => {
    const far = path.join(outside, 'far.png');
    const text = [
      '![c](img/chart.png) ![m](<my logo.png>) ![m2](my%20logo.png)',
      '![gone](nope.png) ![dir](folder.png) ![loop](loop-a.png)',
      `![web](https://example.com/x.png) ![key](img_v2_abc) ![far](${far})`,
      '`![code](img/chart.png)`',
    ].join('\n');
    const docs = path.join(dir, 'docs');
    const { local, notLocal } = scanLocalReferences(text, 'markdown', { documentDir: docs, roots: [dir] });
    assert.deepStrictEqual(
      local.map((l) => [l.reference.ref, l.image, l.outside, l.reference.line]),
      [
        ['img/chart.png', path.join(docs, 'img', 'chart.png'), false, 1],
        ['<my logo.png>'.slice(1, -1), path.join(docs, 'my logo.png'), false, 1],
        ['my%20logo.png', path.join(docs, 'my logo.png'), false, 1],
        [far, far, true, 3],
      ],
    );
    assert.deepStrictEqual(
      notLocal.map((n) => [n.reference.ref, n.reason]),
      [
        ['nope.png', 'missing'],
        ['folder.png', 'folder'],
        ['loop-a.png', 'loop'],
      ],
    );
  });

  test('a file really named with a percent-escape is found when the decoded name is not', () => {
    const { local } = scanLocalReferences('![x](a%20b.png)', 'md', { documentDir: path.join(dir, 'docs') });
    assert.deepStrictEqual(local.map((l) => path.basename(l.image)), ['a%20b.png']);
  });

  test('without workspace folders nothing is "outside"; JSON and YAML use the same rules', () => {
    const json = JSON.stringify({ elements: [{ tag: 'img', img_key: 'img/chart.png' }, { img_key: 'nope.png' }] });
    const r = scanLocalReferences(json, 'jsonc', { documentDir: path.join(dir, 'docs') });
    assert.deepStrictEqual(r.local.map((l) => [l.reference.ref, l.outside]), [['img/chart.png', false]]);
    assert.deepStrictEqual(r.notLocal.map((n) => n.reason), ['missing']);
    const yaml = 'image_key: img/chart.png\n';
    assert.strictEqual(scanLocalReferences(yaml, 'yaml', { documentDir: path.join(dir, 'docs') }).local.length, 1);
    assert.deepStrictEqual(scanLocalReferences(yaml, 'plaintext', { documentDir: path.join(dir, 'docs') }), { local: [], notLocal: [] });
  });

  test('a stat that fails otherwise (permission) is "unreadable"; something neither file nor folder too', () => {
    const denied = Object.assign(new Error('EACCES'), { code: 'EACCES' });
    const r = scanLocalReferences('![a](a.png)', 'md', {
      documentDir: dir,
      stat: () => {
        throw denied;
      },
    });
    assert.deepStrictEqual(r.notLocal.map((n) => n.reason), ['unreadable']);
    const fifo = scanLocalReferences('![a](a.png)', 'md', { documentDir: dir, stat: () => ({ isFile: () => false, isDirectory: () => false }) });
    assert.deepStrictEqual(fifo.notLocal.map((n) => n.reason), ['unreadable']);
  });

  test('the reason given is the first candidate\'s (percent-decoded first)', () => {
    const seen: string[] = [];
    const r = scanLocalReferences('![a](x%20y.png)', 'md', {
      documentDir: dir,
      stat: (p) => {
        seen.push(path.basename(p));
        if (p.endsWith('x y.png')) return { isFile: () => false, isDirectory: () => true };
        throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      },
    });
    assert.deepStrictEqual(seen, ['x y.png', 'x%20y.png']);
    assert.deepStrictEqual(r.notLocal.map((n) => n.reason), ['folder']);
  });

  test('a path through a file (ENOTDIR) is missing; inside any one of several roots is not outside', () => {
    const docs = path.join(dir, 'docs');
    const r = scanLocalReferences('![a](img/chart.png/x.png) ![b](img/chart.png)', 'md', { documentDir: docs, roots: [outside, dir] });
    assert.deepStrictEqual(r.notLocal.map((n) => [n.reference.ref, n.reason]), [['img/chart.png/x.png', 'missing']]);
    assert.deepStrictEqual(r.local.map((l) => l.outside), [false]);
  });

  test('a path named many times is looked at once per scan', () => {
    const looked: string[] = [];
    const r = scanLocalReferences('![a](a.png) ![b](a.png) ![c](./a.png) ![d](b.png) ![e](b.png)', 'md', {
      documentDir: dir,
      stat: (p) => {
        looked.push(path.basename(p));
        if (p.endsWith('a.png')) return { isFile: () => true, isDirectory: () => false };
        throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      },
    });
    assert.deepStrictEqual(looked, ['a.png', 'b.png']);
    assert.strictEqual(r.local.length, 3);
    assert.deepStrictEqual(r.notLocal.map((n) => n.reason), ['missing', 'missing']);
  });

  test('isInside: the root itself and below, not a sibling with the same prefix or above', () => {
    assert.strictEqual(isInside('/w/a/b.png', '/w/a'), true);
    assert.strictEqual(isInside('/w/a', '/w/a'), true);
    assert.strictEqual(isInside('/w/ab/b.png', '/w/a'), false);
    assert.strictEqual(isInside('/w/b.png', '/w/a'), false);
    assert.strictEqual(isInside('/w/a/..b/c.png', '/w/a'), true);
    assert.strictEqual(isInside('/w', '/w/a'), false, 'the parent');
    assert.strictEqual(isInside('/other/a.png', '/w'), false);
  });
});
