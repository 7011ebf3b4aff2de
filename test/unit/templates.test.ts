import * as assert from 'assert';
import { TEMPLATE_IDS, altTextFor, isTemplateId, renderTemplate, type TemplateId } from '../../src/core/templates';

const KEY = 'img_v2_041b28e3-5680-48c2-9af2-497ace79333g';
const vars = { imageKey: KEY, fileName: 'diagram.png', width: 640, height: 480 };

suite('core/templates', () => {
  test('TEMPLATE_IDS lists every template, matching the insertTemplate setting enum', () => {
    assert.deepStrictEqual([...TEMPLATE_IDS], ['raw', 'imageMessage', 'postImg', 'cardImg', 'cardMarkdown', 'custom']);
    for (const id of TEMPLATE_IDS) assert.ok(isTemplateId(id));
    assert.strictEqual(isTemplateId('markdown'), false);
    assert.strictEqual(isTemplateId(undefined), false);
  });

  test('raw is the image_key alone', () => {
    assert.strictEqual(renderTemplate('raw', vars), KEY);
  });

  test('imageMessage is the message content JSON', () => {
    const text = renderTemplate('imageMessage', vars);
    assert.strictEqual(text, `{"image_key":"${KEY}"}`);
    assert.deepStrictEqual(JSON.parse(text), { image_key: KEY });
  });

  test('postImg is the rich-text img element', () => {
    const text = renderTemplate('postImg', vars);
    assert.strictEqual(text, `{"tag":"img","image_key":"${KEY}"}`);
    assert.deepStrictEqual(JSON.parse(text), { tag: 'img', image_key: KEY });
  });

  test('cardImg uses img_key and an alt of the name without extension', () => {
    const text = renderTemplate('cardImg', vars);
    assert.strictEqual(text, `{"tag":"img","img_key":"${KEY}","alt":{"tag":"plain_text","content":"diagram"}}`);
    assert.deepStrictEqual(JSON.parse(text), { tag: 'img', img_key: KEY, alt: { tag: 'plain_text', content: 'diagram' } });
  });

  test('cardMarkdown is ![alt](key)', () => {
    assert.strictEqual(renderTemplate('cardMarkdown', vars), `![diagram](${KEY})`);
  });

  test('JSON templates are one compact line', () => {
    for (const id of ['imageMessage', 'postImg', 'cardImg'] as const) {
      const text = renderTemplate(id, { ...vars, fileName: 'a\nb.png' });
      assert.ok(!/[\r\n]/.test(text), `${id} spans lines: ${text}`);
      assert.ok(!/[:,] /.test(text), `${id} is not compact: ${text}`);
    }
  });

  test('quotes, backslashes and unicode in names stay valid JSON', () => {
    const fileName = 'he said "hi" \\ 图.v2.png';
    const text = renderTemplate('cardImg', { imageKey: KEY, fileName });
    const parsed = JSON.parse(text) as { alt: { content: string } };
    assert.strictEqual(parsed.alt.content, 'he said "hi" \\ 图.v2');
  });

  test('cardMarkdown escapes brackets and backslashes in the alt text', () => {
    assert.strictEqual(renderTemplate('cardMarkdown', { imageKey: KEY, fileName: 'a [b] \\c.png' }), `![a \\[b\\] \\\\c](${KEY})`);
    assert.strictEqual(renderTemplate('cardMarkdown', { imageKey: KEY, fileName: 'x]](evil).jpg' }), `![x\\]\\](evil)](${KEY})`);
    assert.strictEqual(renderTemplate('cardMarkdown', { imageKey: KEY, fileName: 'two\nlines.png' }), `![two lines](${KEY})`);
  });

  test('alt text: last extension only; dotfiles and extensionless names kept whole', () => {
    assert.strictEqual(altTextFor('a.b.png'), 'a.b');
    assert.strictEqual(altTextFor('noext'), 'noext');
    assert.strictEqual(altTextFor('.png'), '.png');
    assert.strictEqual(altTextFor('pic.JPEG'), 'pic');
    assert.strictEqual(renderTemplate('cardMarkdown', { imageKey: KEY, fileName: '' }), `![](${KEY})`);
  });

  test('custom substitutes the four variables', () => {
    const text = renderTemplate('custom', vars, '<img key="${imageKey}" name="${fileName}" w=${width} h=${height}>');
    assert.strictEqual(text, `<img key="${KEY}" name="diagram.png" w=640 h=480>`);
  });

  test('custom: every occurrence, unknown placeholders kept, missing sizes empty', () => {
    const text = renderTemplate('custom', { imageKey: KEY, fileName: 'p.png' }, '${imageKey}|${imageKey}|${nope}|${width}x${height}|$imageKey|${ imageKey }');
    assert.strictEqual(text, `${KEY}|${KEY}|\${nope}|x|$imageKey|\${ imageKey }`);
  });

  test('custom: a value containing a placeholder is not expanded again', () => {
    const text = renderTemplate('custom', { imageKey: KEY, fileName: '${imageKey}.png' }, '${fileName} -> ${imageKey}');
    assert.strictEqual(text, `\${imageKey}.png -> ${KEY}`);
  });

  test('custom: "$&"-like sequences in values are inserted literally', () => {
    assert.strictEqual(renderTemplate('custom', { imageKey: KEY, fileName: "$&$1$'.png" }, '[${fileName}]'), "[$&$1$'.png]");
  });

  test('custom without a template (or an empty one) falls back to the key', () => {
    assert.strictEqual(renderTemplate('custom', vars), KEY);
    assert.strictEqual(renderTemplate('custom', vars, ''), KEY);
  });

  test('a custom template is ignored by the other templates', () => {
    assert.strictEqual(renderTemplate('raw', vars, 'X ${imageKey}'), KEY);
  });

  test('an unknown id falls back to raw', () => {
    assert.strictEqual(renderTemplate('markdown' as TemplateId, vars), KEY);
    assert.strictEqual(renderTemplate(undefined as unknown as TemplateId, vars), KEY);
  });
});
