import * as assert from 'assert';
import * as path from 'path';
import { documentKind, findImageReferences, isNotAPath, localCandidates, percentDecode, resolveLocal, type ImageReference } from '../../src/core/references';

/** [ref, path, the text the range covers, line] of each reference: what a reader checks. */
function seen(text: string, kind: string): [string, string, string, number][] {
  return findImageReferences(text, kind).map((r) => [r.ref, r.path, text.slice(r.range.start, r.range.end), r.line]);
}

suite('core/references: Markdown', () => {
  test('inline image: the destination as written, its exact span and line', () => {
    const text = '# Title\n\nSee ![chart](./chart.png) here.\n';
    const [r] = findImageReferences(text, 'markdown');
    assert.deepStrictEqual(r, { ref: './chart.png', path: './chart.png', range: { start: 22, end: 33 }, line: 3 });
    assert.strictEqual(text.slice(22, 33), './chart.png');
  });

  test('a title stays outside the span; angle brackets are inside it, the ref is what they enclose', () => {
    const text = '![a](a.png "The title") ![b](<my pic.png>) ![c](<c d.png> \'t\')\n';
    assert.deepStrictEqual(seen(text, 'md'), [
      ['a.png', 'a.png', 'a.png', 1],
      ['my pic.png', 'my pic.png', '<my pic.png>', 1],
      ['c d.png', 'c d.png', '<c d.png>', 1],
    ]);
  });

  test('CRLF line endings: offsets into the text as it is, lines counted right', () => {
    const text = 'a\r\n\r\nline three ![x](x.png)\r\nand ![y](dir/y.png)\r\n\r\n- ![z](z.png)\r\n';
    const refs = findImageReferences(text, 'markdown');
    assert.deepStrictEqual(refs.map((r) => [text.slice(r.range.start, r.range.end), r.line]), [['x.png', 3], ['dir/y.png', 4], ['z.png', 6]]);
    assert.strictEqual(refs[0].range.start, text.indexOf('x.png'));
    assert.strictEqual(refs[2].range.start, text.indexOf('z.png'));
  });

  test('a lone CR is a line break too (as CommonMark reads it)', () => {
    const text = 'a\r\rb ![x](x.png)';
    assert.deepStrictEqual(seen(text, 'md'), [['x.png', 'x.png', 'x.png', 3]]);
  });

  test('escaped, inline code, fenced and indented code: untouched', () => {
    const text = [
      '\\![not](escaped.png)',
      '`![not](inline.png)` and ``![not](double.png)``',
      '',
      '```md',
      '![not](fenced.png)',
      '```',
      '',
      '~~~',
      '<img src="fenced-html.png">',
      '~~~',
      '',
      '    ![not](indented.png)',
      '',
      'only ![yes](yes.png)',
    ].join('\n');
    assert.deepStrictEqual(seen(text, 'md'), [['yes.png', 'yes.png', 'yes.png', 14]]);
  });

  test('a link is not an image; an image inside a link is', () => {
    const text = '[text](a.png) [![badge](b.png)](https://example.com)\n';
    assert.deepStrictEqual(seen(text, 'md'), [['b.png', 'b.png', 'b.png', 1]]);
  });

  test('URLs and image keys are not references', () => {
    const text = '![a](http://x/a.png) ![b](https://x/b.png) ![c](data:image/png;base64,AAAA) ![d](img_v2_041b28e3-5680-48c2-9af2-497ace79333g) ![e](//cdn/e.png) ![f](#frag) ![g](HTTPS://X/g.png) ![h](img_v3_abc) ![i](i.png)\n';
    assert.deepStrictEqual(seen(text, 'md'), [['i.png', 'i.png', 'i.png', 1]]);
  });

  test('escapes decoded in path: backslash, entity, percent', () => {
    const text = '![a](my\\_pic.png) ![b](a%20b.png) ![c](caf&eacute;.png) ![d](100%.png)\n';
    assert.deepStrictEqual(seen(text, 'md'), [
      ['my\\_pic.png', 'my_pic.png', 'my\\_pic.png', 1],
      ['a%20b.png', 'a b.png', 'a%20b.png', 1],
      ['caf&eacute;.png', 'café.png', 'caf&eacute;.png', 1],
      ['100%.png', '100%.png', '100%.png', 1],
    ]);
  });

  test('HTML img inline and as a block, double, single and no quotes; comments skipped', () => {
    const text = [
      'Inline <img src="a.png" width="20"> and <IMG alt="x" src=\'b c.png\'> and <img src=d.png/>.',
      '',
      '<div align="center">',
      '  <img width=10 src="e.png">',
      '  <!-- <img src="commented.png"> -->',
      '  <img data-src="no.png" alt="src=no2.png">',
      '</div>',
      '',
      'Text <!-- <img src="inline-comment.png"> --> end.',
      '<img src="https://example.com/x.png">',
    ].join('\n');
    assert.deepStrictEqual(seen(text, 'md'), [
      ['a.png', 'a.png', 'a.png', 1],
      ['b c.png', 'b c.png', 'b c.png', 1],
      ['d.png/', 'd.png/', 'd.png/', 1],
      ['e.png', 'e.png', 'e.png', 4],
    ]);
  });

  test('HTML src: character references decoded, backslashes kept', () => {
    const text = '<img src="a&amp;b.png"> <img src="dir\\x.png">\n';
    assert.deepStrictEqual(seen(text, 'md'), [
      ['a&amp;b.png', 'a&b.png', 'a&amp;b.png', 1],
      ['dir\\x.png', 'dir\\x.png', 'dir\\x.png', 1],
    ]);
  });

  test('the same image twice on a line, in table cells: each occurrence its own span', () => {
    const text = '| a | b |\n|---|---|\n| ![x](x.png) | ![x](x.png) |\n\n![y](y.png) ![y](y.png)\n';
    const refs = findImageReferences(text, 'md');
    const starts = refs.map((r) => r.range.start);
    assert.strictEqual(refs.length, 4);
    assert.strictEqual(new Set(starts).size, 4, 'each span is different');
    for (const r of refs) assert.strictEqual(text.slice(r.range.start, r.range.end), r.ref);
    assert.deepStrictEqual(refs.map((r) => r.line), [3, 3, 5, 5]);
  });

  test('blockquotes, nested lists, headings, setext headings, multi-line paragraphs', () => {
    const text = [
      '> quote ![a](a.png)',
      '> > deeper ![b](b.png)',
      '',
      '- item',
      '  - nested ![c](c.png)',
      '',
      '## Heading ![d](d.png)',
      '',
      'Setext ![e](e.png)',
      '===',
      '',
      'one',
      '  two ![f](f.png)',
      '',
      '1. ![g](g.png)',
    ].join('\n');
    const refs = findImageReferences(text, 'md');
    assert.deepStrictEqual(refs.map((r) => [r.ref, r.line]), [['a.png', 1], ['b.png', 2], ['c.png', 5], ['d.png', 7], ['e.png', 9], ['f.png', 13], ['g.png', 15]]);
    for (const r of refs) assert.strictEqual(text.slice(r.range.start, r.range.end), r.ref);
  });

  test('a destination on the next line, after spaces and a newline inside the parentheses', () => {
    const text = 'x ![a](\n  a.png\n  "title")\n';
    const refs = findImageReferences(text, 'md');
    assert.deepStrictEqual(refs.map((r) => [text.slice(r.range.start, r.range.end), r.line]), [['a.png', 2]]);
  });

  test('reference-style images: the destination of the definition they use, once however many use it', () => {
    assert.deepStrictEqual(seen('![a][logo]\n\n[logo]: ./logo.png\n', 'md'), [['./logo.png', './logo.png', './logo.png', 3]]);
    // full, collapsed and shortcut forms; labels match ignoring case and inner whitespace
    const text = '![one][My  Logo] ![my logo][] ![MY LOGO]\n\n[my logo]: <my logo.png> "The title"\n';
    assert.deepStrictEqual(seen(text, 'md'), [['my logo.png', 'my logo.png', '<my logo.png>', 3]]);
  });

  test('a definition only links use is not an image; the first of two definitions wins; URLs and keys are not paths', () => {
    const text = [
      '[doc][d] ![pic][p] ![web][w] ![key][k]',
      '',
      '[d]: ./doc.png',
      '[p]: first.png',
      '[p]: second.png',
      '[w]: https://example.com/w.png',
      '[k]: img_v2_0123',
    ].join('\n');
    assert.deepStrictEqual(seen(text, 'md'), [['first.png', 'first.png', 'first.png', 4]]);
  });

  test('definitions in document order with the inline images; in a quote or list, on the next line, escaped, CRLF', () => {
    const text = '[early]: early.png\n\n![e][early] ![i](inline.png)\n\n> [q]:\n>    ./quoted\\_pic.png\n\n- item ![q]\n\n  [late]: \tlate.png\n  ![l][late]\n';
    assert.deepStrictEqual(seen(text, 'md'), [
      ['early.png', 'early.png', 'early.png', 1],
      ['inline.png', 'inline.png', 'inline.png', 3],
      ['./quoted\\_pic.png', './quoted_pic.png', './quoted\\_pic.png', 6],
      ['late.png', 'late.png', 'late.png', 10],
    ]);
    const crlf = '![a][r]\r\n\r\n[r]: dir/r.png\r\n';
    const [r] = findImageReferences(crlf, 'md');
    assert.deepStrictEqual([r.range.start, r.range.end, r.line], [crlf.indexOf('dir/r.png'), crlf.indexOf('dir/r.png') + 9, 3]);
  });

  test('a definition inside a code block or undefined labels: nothing; a multi-line label still finds its destination', () => {
    assert.deepStrictEqual(seen('![a][c]\n\n```\n[c]: code.png\n```\n', 'md'), []);
    assert.deepStrictEqual(seen('![a][nowhere]\n', 'md'), []);
    const text = '![a][two\nlines]\n\n[two\nlines]: two.png\n';
    assert.deepStrictEqual(seen(text, 'md'), [['two.png', 'two.png', 'two.png', 5]]);
  });

  test('an image inside an image\'s alt text: only the outer one', () => {
    const text = '![outer ![inner](inner.png)](outer.png)\n';
    assert.deepStrictEqual(seen(text, 'md').map((s) => s[0]), ['outer.png']);
  });

  test('empty destinations and text without images', () => {
    assert.deepStrictEqual(seen('![a]() ![b](<>) plain text\n', 'md'), []);
    assert.deepStrictEqual(seen('', 'md'), []);
  });

  test('many calls on one parser: no state leaks between documents', () => {
    const a = seen('![a](a.png)', 'md');
    seen('```\n![b](b.png)\n', 'md'); // unclosed fence
    assert.deepStrictEqual(seen('![a](a.png)', 'md'), a);
  });
});

suite('core/references: JSON and JSONC', () => {
  test('card 2.0: img_key at any depth; span is the string without quotes', () => {
    const card = JSON.stringify(
      {
        schema: '2.0',
        body: {
          elements: [
            { tag: 'img', img_key: './assets/logo.png', alt: { tag: 'plain_text', content: 'logo' } },
            { tag: 'column_set', columns: [{ tag: 'column', elements: [{ tag: 'img', img_key: 'img_v2_already' }, { tag: 'img', img_key: 'charts/q3.png' }] }] },
            { tag: 'markdown', content: '![not](in-a-string.png)' },
          ],
        },
      },
      null,
      2,
    );
    const refs = findImageReferences(card, 'json');
    const lineOf = (s: string): number => card.slice(0, card.indexOf(s)).split('\n').length;
    assert.deepStrictEqual(refs.map((r) => [r.ref, card.slice(r.range.start, r.range.end), r.line]), [
      ['./assets/logo.png', './assets/logo.png', lineOf('./assets/logo.png')],
      ['charts/q3.png', 'charts/q3.png', lineOf('charts/q3.png')],
    ]);
    assert.deepStrictEqual([lineOf('./assets/logo.png'), lineOf('charts/q3.png')], [7, 25]);
    assert.strictEqual(card[refs[0].range.start - 1], '"');
    assert.strictEqual(card[refs[0].range.end], '"');
  });

  test('post content: image_key in nested arrays', () => {
    const post = '{"zh_cn":{"title":"t","content":[[{"tag":"text","text":"hi"}],[{"tag":"img","image_key":"pics/a b.png"}]]}}';
    assert.deepStrictEqual(seen(post, 'json'), [['pics/a b.png', 'pics/a b.png', 'pics/a b.png', 1]]);
  });

  test('JSONC: comments and trailing commas; a key inside a comment is not read', () => {
    const text = '{\r\n  // "img_key": "commented.png"\r\n  /* "image_key": "block.png" */\r\n  "img_key": "a.png", // trailing\r\n  "x": [1, 2,],\r\n}\r\n';
    assert.deepStrictEqual(seen(text, 'jsonc'), [['a.png', 'a.png', 'a.png', 4]]);
  });

  test('JSON escapes: ref as written, path decoded (JSON then percent)', () => {
    const text = '{"img_key": "dir\\/caf\\u00e9%20x.png"}';
    assert.deepStrictEqual(seen(text, 'json'), [['dir\\/caf\\u00e9%20x.png', 'dir/café x.png', 'dir\\/caf\\u00e9%20x.png', 1]]);
  });

  test('only string values of the two keys; not keys elsewhere, not other types, not URLs or keys', () => {
    const text = JSON.stringify({ img_key: 5, image_key: null, other: 'x.png', list: ['img_key', 'a.png'], a: { image_key: ['b.png'] }, b: { img_key: 'https://x/y.png' }, c: { image_key: 'img_v3_k' }, d: { img_key: '' }, e: { img_key: 'yes.png' } });
    assert.deepStrictEqual(seen(text, 'json').map((s) => s[0]), ['yes.png']);
  });

  test('broken JSON: what parses is still found', () => {
    assert.deepStrictEqual(seen('{"img_key": "a.png", "x": ', 'json').map((s) => s[0]), ['a.png']);
    assert.deepStrictEqual(seen('not json', 'json'), []);
  });
});

suite('core/references: YAML', () => {
  test('plain, double- and single-quoted values of img_key / image_key at any depth', () => {
    const text = 'card:\n  header:\n    img_key: ./a.png\n  elements:\n    - tag: img\n      image_key: "b c.png"\n    - image_key: \'d.png\'\n';
    assert.deepStrictEqual(seen(text, 'yaml'), [
      ['./a.png', './a.png', './a.png', 3],
      ['b c.png', 'b c.png', 'b c.png', 6],
      ['d.png', 'd.png', 'd.png', 7],
    ]);
  });

  test('CRLF, comments, several documents; flow maps; block scalars and keys skipped', () => {
    const text = '# img_key: no.png\r\nimg_key: a.png # comment\r\n---\r\nx: {image_key: b.png}\r\nimage_key: |\r\n  block.png\r\nk: img_key\r\nz:\r\n  img_key: img_v2_x\r\n';
    assert.deepStrictEqual(seen(text, 'yml'), [
      ['a.png', 'a.png', 'a.png', 2],
      ['b.png', 'b.png', 'b.png', 4],
    ]);
  });

  test('double-quoted escapes: path decoded', () => {
    const text = 'img_key: "caf\\u00e9.png"\n';
    assert.deepStrictEqual(seen(text, 'yaml'), [['caf\\u00e9.png', 'café.png', 'caf\\u00e9.png', 1]]);
  });
});

suite('core/references: kinds, paths, resolving', () => {
  test('documentKind: language ids and extensions', () => {
    for (const k of ['markdown', '.md', 'md', '.MARKDOWN', 'markdown']) assert.strictEqual(documentKind(k), 'markdown', k);
    for (const k of ['json', 'jsonc', '.json', '.JSONC']) assert.strictEqual(documentKind(k), 'json', k);
    for (const k of ['yaml', '.yml', '.yaml']) assert.strictEqual(documentKind(k), 'yaml', k);
    for (const k of ['plaintext', '.txt', '', 'toString', '__proto__']) assert.strictEqual(documentKind(k), undefined, k);
    assert.deepStrictEqual(findImageReferences('![a](a.png)', 'plaintext'), []);
  });

  test('isNotAPath: schemes of two letters or more, //, #, keys, blanks; drive letters are paths', () => {
    for (const p of ['http://a', 'https://a', 'data:x', 'file:///a.png', 'ftp://x', '//cdn/a.png', '#x', 'img_v2_x', '', '  ']) assert.ok(isNotAPath(p), p);
    for (const p of ['a.png', './a.png', '../a.png', '/abs/a.png', 'C:\\x.png', 'c:/x.png', 'image.png', 'img/a.png', 'imgs_a.png']) assert.ok(!isNotAPath(p), p);
  });

  test('percentDecode: decoded, or as written when malformed', () => {
    assert.strictEqual(percentDecode('a%20b%E2%82%AC.png'), 'a b€.png');
    assert.strictEqual(percentDecode('100%.png'), '100%.png');
  });

  test('resolveLocal: relative to the document folder, only existing files', () => {
    const dir = path.resolve('/docs/sub');
    const files = new Set([path.resolve('/docs/sub/a b.png'), path.resolve('/docs/img/c.png'), path.resolve('/abs/d.png'), path.resolve('/docs/sub/x%41.png')]);
    const isFile = (p: string): boolean => files.has(p);
    const ref = (text: string, kind = 'md'): ImageReference => findImageReferences(text, kind)[0];
    assert.strictEqual(resolveLocal(ref('![a](a%20b.png)'), dir, isFile), path.resolve('/docs/sub/a b.png'));
    assert.strictEqual(resolveLocal(ref('![a](<a b.png>)'), dir, isFile), path.resolve('/docs/sub/a b.png'));
    assert.strictEqual(resolveLocal(ref('![c](../img/c.png)'), dir, isFile), path.resolve('/docs/img/c.png'));
    assert.strictEqual(resolveLocal(ref('![d](/abs/d.png)'), dir, isFile), path.resolve('/abs/d.png'));
    assert.strictEqual(resolveLocal(ref('![m](missing.png)'), dir, isFile), undefined);
    // a file whose name really contains %41: found as written when the decoded name does not exist
    assert.strictEqual(resolveLocal(ref('![x](x%41.png)'), dir, isFile), path.resolve('/docs/sub/x%41.png'));
    assert.strictEqual(resolveLocal(ref('{"img_key":"a%20b.png"}', 'json'), dir, isFile), path.resolve('/docs/sub/a b.png'));
    assert.strictEqual(resolveLocal({ ref: 'https://x/a.png', path: 'https://x/a.png' }, dir, () => true), undefined);
    assert.deepStrictEqual(localCandidates({ ref: 'a.png', path: 'a.png' }, dir), [path.resolve('/docs/sub/a.png')]);
  });
});
