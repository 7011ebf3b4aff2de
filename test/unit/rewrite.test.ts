import * as assert from 'assert';
import { findImageReferences, type ImageReference } from '../../src/core/references';
import { rewriteReferences } from '../../src/core/rewrite';

const K1 = 'img_v2_041b28e3-5680-48c2-9af2-497ace79333g';
const K2 = 'img_v2_11111111-2222-3333-4444-555555555555';

suite('core/rewrite', () => {
  test('Markdown: only the paths change; alt, titles, CRLF and the final newline stay', () => {
    const text = '# Chart\r\n\r\n![the chart](./chart.png "Q3 \\"numbers\\"")\r\nand ![logo](<my logo.png>) ![web](https://x/y.png)\r\n';
    const refs = findImageReferences(text, 'md');
    const { text: out, replaced } = rewriteReferences(text, refs, new Map([['./chart.png', K1], ['my logo.png', K2]]));
    assert.strictEqual(out, `# Chart\r\n\r\n![the chart](${K1} "Q3 \\"numbers\\"")\r\nand ![logo](${K2}) ![web](https://x/y.png)\r\n`);
    assert.deepStrictEqual(replaced.map((r) => r.ref), ['./chart.png', 'my logo.png']);
  });

  test('a reference without a key (failed upload) stays as written; the same ref twice gets the key twice', () => {
    const text = '![a](a.png) ![b](b.png) ![a again](a.png)';
    const refs = findImageReferences(text, 'md');
    const { text: out, replaced } = rewriteReferences(text, refs, new Map([['a.png', K1]]));
    assert.strictEqual(out, `![a](${K1}) ![b](b.png) ![a again](${K1})`);
    assert.strictEqual(replaced.length, 2);
  });

  test('JSON card: the key inside the quotes, the document still parses, nothing else moves', () => {
    const card = { schema: '2.0', body: { elements: [{ tag: 'img', img_key: 'assets/logo.png', alt: { tag: 'plain_text', content: '' } }, { tag: 'img', img_key: 'a b.png' }] } };
    const text = JSON.stringify(card, null, '\t');
    const refs = findImageReferences(text, 'json');
    const { text: out } = rewriteReferences(text, refs, new Map([['assets/logo.png', K1], ['a b.png', K2]]));
    const expected = structuredClone(card);
    expected.body.elements[0].img_key = K1;
    expected.body.elements[1].img_key = K2;
    assert.strictEqual(out, JSON.stringify(expected, null, '\t'));
  });

  test('HTML src and YAML values: replaced inside their quotes', () => {
    const md = '<p><img alt="x" src=\'a.png\' width=3></p>\n';
    assert.strictEqual(rewriteReferences(md, findImageReferences(md, 'md'), new Map([['a.png', K1]])).text, `<p><img alt="x" src='${K1}' width=3></p>\n`);
    const yaml = 'a:\r\n  img_key: "x.png"  # c\r\n  image_key: y.png\r\n';
    assert.strictEqual(rewriteReferences(yaml, findImageReferences(yaml, 'yaml'), new Map([['x.png', K1], ['y.png', K2]])).text, `a:\r\n  img_key: "${K1}"  # c\r\n  image_key: ${K2}\r\n`);
  });

  test('no keys: the very same text', () => {
    const text = '![a](a.png)\n\n';
    const out = rewriteReferences(text, findImageReferences(text, 'md'), new Map());
    assert.strictEqual(out.text, text);
    assert.deepStrictEqual(out.replaced, []);
  });

  test('references in any order are applied in document order', () => {
    const text = '![a](a.png) ![b](b.png)';
    const refs = findImageReferences(text, 'md').reverse();
    assert.strictEqual(rewriteReferences(text, refs, new Map([['a.png', 'A'], ['b.png', 'B']])).text, '![a](A) ![b](B)');
  });

  test('spans that overlap, fall outside the text or no longer read as the reference: refused', () => {
    const text = '![a](a.png)';
    const [r] = findImageReferences(text, 'md');
    const keys = new Map([['a.png', K1]]);
    assert.throws(() => rewriteReferences(text, [r, r], keys), RangeError);
    const outside: ImageReference = { ...r, range: { start: 5, end: 50 } };
    assert.throws(() => rewriteReferences(text, [outside], keys), RangeError);
    assert.throws(() => rewriteReferences('![a](b.png)', [r], keys), RangeError);
  });
});
