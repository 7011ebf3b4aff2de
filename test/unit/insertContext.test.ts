import * as assert from 'assert';
import { insideJsonString, jsonErrorCount, planInsertions, textsPerPlace, type InsertCandidates, type Place } from '../../src/core/insertContext';
import { renderTemplate, type TemplateId } from '../../src/core/templates';

const K1 = 'img_v2_041b28e3-5680-48c2-9af2-497ace79333g';
const K2 = 'img_v2_95a1c3d0-0000-4c2b-9af2-1234567890ab';

function candidates(template: TemplateId, keys: readonly string[] = [K1]): InsertCandidates {
  return {
    template: keys.map((imageKey, i) => renderTemplate(template, { imageKey, fileName: `chart-${i + 1}.png` })),
    bare: [...keys],
  };
}

/** `|` marks the cursor(s). */
function at(marked: string): { text: string; places: Place[] } {
  const parts = marked.split('|');
  const places: Place[] = [];
  let text = '';
  parts.forEach((part, i) => {
    text += part;
    if (i < parts.length - 1) places.push({ start: text.length, end: text.length });
  });
  return { text, places };
}

function insertAll(text: string, insertions: readonly { start: number; end: number; text: string }[]): string {
  return [...insertions].sort((a, b) => b.start - a.start).reduce((t, i) => t.slice(0, i.start) + i.text + t.slice(i.end), text);
}

function plan(marked: string, languageId: string, c: InsertCandidates) {
  const { text, places } = at(marked);
  const insertions = planInsertions({ text, languageId }, places, c);
  return { insertions, result: insertAll(text, insertions) };
}

suite('core/insertContext', () => {
  test('the test helper finds the cursors', () => {
    assert.deepStrictEqual(at('a|b|c'), { text: 'abc', places: [{ start: 1, end: 1 }, { start: 2, end: 2 }] });
    assert.deepStrictEqual(at('|'), { text: '', places: [{ start: 0, end: 0 }] });
  });

  test('inside a JSON string value: the bare key, never the snippet, and no message', () => {
    const { insertions, result } = plan('{"img_key": "|"}', 'json', candidates('cardImg'));
    assert.strictEqual(result, `{"img_key": "${K1}"}`);
    assert.strictEqual(insertions[0].form, 'bare');
    assert.strictEqual(insertions[0].reason, 'insideJsonString');
    assert.strictEqual(jsonErrorCount(result, 'json'), 0);
  });

  test('inside a string with text around the cursor, and inside a property name', () => {
    assert.strictEqual(plan('{"a": "x|y"}', 'json', candidates('imageMessage')).result, `{"a": "x${K1}y"}`);
    assert.strictEqual(plan('{"na|me": 1}', 'jsonc', candidates('postImg')).result, `{"na${K1}me": 1}`);
  });

  test('just before the opening quote or just after the closing quote is not inside the string', () => {
    assert.strictEqual(insideJsonString('{"a": "v"}', { start: 6, end: 6 }), false);
    assert.strictEqual(insideJsonString('{"a": "v"}', { start: 7, end: 7 }), true);
    assert.strictEqual(insideJsonString('{"a": "v"}', { start: 8, end: 8 }), true);
    assert.strictEqual(insideJsonString('{"a": "v"}', { start: 9, end: 9 }), false);
  });

  test('a selection counts as inside only when it lies within one string', () => {
    assert.strictEqual(insideJsonString('{"a": "value"}', { start: 7, end: 12 }), true);
    assert.strictEqual(insideJsonString('{"a": "value"}', { start: 7, end: 13 }), false);
    assert.strictEqual(insideJsonString('{"a": "x", "b": "y"}', { start: 7, end: 17 }), false);
    const { result } = plan('{"a": "value"}', 'json', candidates('cardImg'));
    assert.strictEqual(result, '{"a": "value"}', 'no cursor, nothing inserted');
    const replaced = planInsertions({ text: '{"a": "old"}', languageId: 'json' }, [{ start: 7, end: 10 }], candidates('cardImg'));
    assert.strictEqual(insertAll('{"a": "old"}', replaced), `{"a": "${K1}"}`);
  });

  test('an unterminated string: the cursor at its end is inside it', () => {
    assert.strictEqual(insideJsonString('{"a": "abc', { start: 10, end: 10 }), true);
    const { insertions } = plan('{"a": "abc|', 'json', candidates('cardImg'));
    assert.strictEqual(insertions[0].form, 'bare');
  });

  test('after a `:` the configured JSON form fits: it is inserted', () => {
    const { insertions, result } = plan('{"content": |}', 'json', candidates('imageMessage'));
    assert.strictEqual(result, `{"content": {"image_key":"${K1}"}}`);
    assert.strictEqual(insertions[0].form, 'template');
    assert.strictEqual(insertions[0].reason, undefined);
    assert.strictEqual(jsonErrorCount(result, 'json'), 0);
  });

  test('between array items (after the comma) the card image element fits', () => {
    const { insertions, result } = plan('{"elements": [{"tag": "hr"}, |]}', 'jsonc', candidates('cardImg'));
    assert.strictEqual(insertions[0].form, 'template');
    assert.deepStrictEqual(JSON.parse(result).elements[1], { tag: 'img', img_key: K1, alt: { tag: 'plain_text', content: 'chart-1' } });
  });

  test('after a `}`: the form would break the JSON, so the bare key with a reason', () => {
    const { insertions } = plan('{"elements": [{"tag": "hr"}|]}', 'json', candidates('cardImg'));
    assert.deepStrictEqual(insertions, [{ start: 27, end: 27, text: K1, form: 'bare', reason: 'wouldBreakJson' }]);
  });

  test('at the end of a complete document (after the last `}`): bare key with a reason', () => {
    const { insertions } = plan('{"a": 1}\n|', 'json', candidates('postImg'));
    assert.strictEqual(insertions[0].text, K1);
    assert.strictEqual(insertions[0].reason, 'wouldBreakJson');
  });

  test('card markdown in JSON outside a string breaks it: the bare key', () => {
    const { insertions } = plan('{"a": |}', 'json', candidates('cardMarkdown'));
    assert.strictEqual(insertions[0].form, 'bare');
    assert.strictEqual(insertions[0].reason, 'wouldBreakJson');
  });

  test('raw configured: the bare key is the form already, so no message even where it breaks the JSON', () => {
    const { insertions } = plan('{"a": |}', 'json', candidates('raw'));
    assert.deepStrictEqual(insertions.map((i) => [i.text, i.form, i.reason]), [[K1, 'template', undefined]]);
  });

  test('an empty JSON document: the JSON form is a valid document', () => {
    const { insertions, result } = plan('|', 'json', candidates('imageMessage'));
    assert.strictEqual(insertions[0].form, 'template');
    assert.deepStrictEqual(JSON.parse(result), { image_key: K1 });
  });

  test('JSONC comments: allowed in jsonc and not counted against the insertion; inside a comment is not inside a string', () => {
    const doc = '// the card\n{\n  /* "quoted" */ "body": |\n}';
    assert.strictEqual(jsonErrorCount(doc.replace('|', '1'), 'jsonc'), 0);
    const { insertions, result } = plan(doc, 'jsonc', candidates('postImg'));
    assert.strictEqual(insertions[0].form, 'template');
    assert.ok(result.includes(`"body": {"tag":"img","image_key":"${K1}"}`));
    assert.strictEqual(insideJsonString('/* "abc" */', { start: 5, end: 5 }), false);
    // in .json, comments are errors already: the comparison before/after keeps that fair
    assert.strictEqual(plan(doc, 'json', candidates('postImg')).insertions[0].form, 'template');
  });

  test('an already broken document is judged fairly: a form that adds no error goes in', () => {
    // a missing comma elsewhere: 1 error before, still 1 after inserting a value after `:`
    const doc = '{"a": 1 "b": 2, "c": |}';
    assert.ok(jsonErrorCount(doc.replace('|', ''), 'json') > 0);
    const { insertions } = plan(doc, 'json', candidates('imageMessage'));
    assert.strictEqual(insertions[0].form, 'template');
    // ... but one that adds an error does not
    assert.strictEqual(plan('{"a": 1 "b": 2}|', 'json', candidates('imageMessage')).insertions[0].reason, 'wouldBreakJson');
  });

  test('several keys at one place in an array: as array items, the document stays valid', () => {
    const { insertions, result } = plan('[|]', 'json', candidates('postImg', [K1, K2]));
    assert.strictEqual(insertions[0].form, 'template');
    assert.deepStrictEqual(JSON.parse(result), [{ tag: 'img', image_key: K1 }, { tag: 'img', image_key: K2 }]);
  });

  test('several keys inside one string: separated by a space (no raw line break in a JSON string)', () => {
    const { result } = plan('{"keys": "|"}', 'json', candidates('cardImg', [K1, K2]));
    assert.deepStrictEqual(JSON.parse(result), { keys: `${K1} ${K2}` });
  });

  test('multiple cursors: one key per cursor, each place judged on its own', () => {
    const { insertions, result } = plan('{"a": "|", "b": |, "c": {}|}', 'json', candidates('imageMessage', [K1, K2, 'img_v2_third']));
    assert.deepStrictEqual(
      insertions.map((i) => [i.text, i.form, i.reason]),
      [
        [K1, 'bare', 'insideJsonString'],
        [`{"image_key":"${K2}"}`, 'template', undefined],
        ['img_v2_third', 'bare', 'wouldBreakJson'],
      ],
    );
    assert.ok(result.startsWith(`{"a": "${K1}", "b": {"image_key":"${K2}"}, "c": {}img_v2_third}`));
  });

  test('the exact texts: keys as array items are one per line after a comma; keys where the form breaks the JSON one per line', () => {
    const items = plan('[|]', 'json', candidates('postImg', [K1, K2])).insertions[0];
    assert.strictEqual(items.text, `{"tag":"img","image_key":"${K1}"},\n{"tag":"img","image_key":"${K2}"}`);
    const broken = plan('{"a": {}|}', 'json', candidates('postImg', [K1, K2])).insertions[0];
    assert.deepStrictEqual([broken.text, broken.form, broken.reason], [`${K1}\n${K2}`, 'bare', 'wouldBreakJson']);
    // raw (the bare key is the form): several keys where nothing fits, no reason either
    const raw = plan('{"a": {}|}', 'json', candidates('raw', [K1, K2])).insertions[0];
    assert.deepStrictEqual([raw.text, raw.form, raw.reason], [`${K1}\n${K2}`, 'template', undefined]);
  });

  test('inside a string with the raw form: the keys, no reason (one key or several)', () => {
    const one = plan('{"a": "|"}', 'json', candidates('raw')).insertions[0];
    assert.deepStrictEqual([one.text, one.reason], [K1, undefined]);
    const two = plan('{"a": "|"}', 'json', candidates('raw', [K1, K2])).insertions[0];
    assert.deepStrictEqual([two.text, two.reason], [`${K1} ${K2}`, undefined]);
  });

  test('a cursor before a string (in whitespace, a comment, or at its opening quote) is not inside it', () => {
    assert.strictEqual(insideJsonString('{ "a": "b" }', { start: 1, end: 1 }), false, 'whitespace before the property');
    assert.strictEqual(insideJsonString('{ "a": "b" }', { start: 2, end: 5 }), false, 'a selection starting at the opening quote');
    assert.strictEqual(insideJsonString('{ /* "x" */ "a": 1 }', { start: 5, end: 5 }), false, 'inside a comment');
    assert.strictEqual(insideJsonString('[1, "ab"]', { start: 1, end: 1 }), false, 'inside a number token');
    assert.strictEqual(insideJsonString('"ab"', { start: 3, end: 3 }), true, 'just before the closing quote');
    assert.strictEqual(insideJsonString('"ab"', { start: 1, end: 4 }), false, 'a selection taking the closing quote');
  });

  test('jsonErrorCount: comments and trailing commas are errors in json, not in jsonc; an empty document is none', () => {
    assert.deepStrictEqual([jsonErrorCount('// c\n{}', 'json'), jsonErrorCount('// c\n{}', 'jsonc')], [1, 0]);
    assert.ok(jsonErrorCount('{"a": 1,}', 'json') > 0, 'a trailing comma is an error in json');
    assert.strictEqual(jsonErrorCount('{"a": 1,}', 'jsonc'), 0);
    assert.deepStrictEqual([jsonErrorCount('', 'json'), jsonErrorCount('  \n', 'jsonc')], [0, 0]);
  });

  test('more cursors than keys: every key at every cursor', () => {
    assert.deepStrictEqual(textsPerPlace(['a', 'b'], 3), [['a', 'b'], ['a', 'b'], ['a', 'b']]);
    assert.deepStrictEqual(textsPerPlace(['a', 'b'], 2), [['a'], ['b']]);
    assert.deepStrictEqual(textsPerPlace(['a'], 2), [['a'], ['a']]);
    assert.strictEqual(plan('x: | y: |', 'plaintext', candidates('raw')).result, `x: ${K1} y: ${K1}`);
    assert.strictEqual(plan('x: | y: | z: |', 'plaintext', candidates('raw', [K1, K2])).result, `x: ${K1}\n${K2} y: ${K1}\n${K2} z: ${K1}\n${K2}`);
  });

  test('Markdown and other languages: the configured form as it is, wherever the cursor is', () => {
    assert.strictEqual(plan('# Notes\n\n|', 'markdown', candidates('cardMarkdown')).result, `# Notes\n\n![chart-1](${K1})`);
    assert.strictEqual(plan('const s = "|";', 'typescript', candidates('imageMessage')).result, `const s = "{"image_key":"${K1}"}";`);
    const two = plan('|', 'markdown', candidates('cardMarkdown', [K1, K2]));
    assert.strictEqual(two.result, `![chart-1](${K1})\n![chart-2](${K2})`);
    assert.ok(two.insertions.every((i) => i.form === 'template' && i.reason === undefined));
  });
});
