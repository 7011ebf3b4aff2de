import * as assert from 'assert';
import { applyChanges, type TextChange, type TrackedRange } from '../../src/core/trackRanges';

/** Applies changes (pre-change coordinates) to a text, the way an editor does, for cross-checks. */
function edit(text: string, changes: readonly TextChange[]): string {
  return [...changes].sort((a, b) => b.offset - a.offset).reduce((t, c) => t.slice(0, c.offset) + c.text + t.slice(c.offset + c.length), text);
}

const range = (start: number, end: number): TrackedRange => ({ start, end, touched: false });

suite('core/trackRanges', () => {
  const text = '![a](a.png) and ![b](b.png)';
  // a.png: 5..10, b.png: 21..26
  const refs = [range(5, 10), range(21, 26)];

  test('the fixture ranges read as the paths', () => {
    assert.deepStrictEqual(refs.map((r) => text.slice(r.start, r.end)), ['a.png', 'b.png']);
  });

  test('a change wholly before a range moves it by what it added or removed; one after leaves it', () => {
    const changes = [{ offset: 12, length: 3, text: 'or else' }]; // "and" -> "or else" between the two
    const out = applyChanges(refs, changes);
    const after = edit(text, changes);
    assert.deepStrictEqual(out, [range(5, 10), range(25, 30)]);
    assert.deepStrictEqual(out.map((r) => after.slice(r.start, r.end)), ['a.png', 'b.png']);
    const deleted = applyChanges(refs, [{ offset: 0, length: 2, text: '' }]);
    assert.deepStrictEqual(deleted, [range(3, 8), range(19, 24)]);
  });

  test('a change inside, overlapping or touching an end marks the range touched and stops moving it', () => {
    for (const change of [
      { offset: 6, length: 1, text: 'x' }, // inside
      { offset: 3, length: 4, text: '' }, // overlaps the start
      { offset: 9, length: 3, text: '' }, // overlaps the end
      { offset: 5, length: 0, text: 'z' }, // insertion right before the path
      { offset: 10, length: 0, text: 'z' }, // insertion right after the path
      { offset: 4, length: 1, text: '[' }, // a replacement ending where the path starts
      { offset: 0, length: 30, text: '' }, // everything
    ]) {
      const [a, b] = applyChanges(refs, [change]);
      assert.strictEqual(a.touched, true, JSON.stringify(change));
      assert.deepStrictEqual([a.start, a.end], [5, 10], 'a touched range keeps its last offsets');
      if (change.length < 30) assert.strictEqual(b.touched, false, `b is untouched by ${JSON.stringify(change)}`);
    }
  });

  test('an insertion one character away from either end does not touch', () => {
    const [before] = applyChanges([range(5, 10)], [{ offset: 4, length: 0, text: 'q' }]);
    assert.deepStrictEqual(before, range(6, 11));
    const [after] = applyChanges([range(5, 10)], [{ offset: 11, length: 0, text: 'q' }]);
    assert.deepStrictEqual(after, range(5, 10));
  });

  test('several changes of one event (pre-change coordinates, any order) add up', () => {
    const changes = [
      { offset: 27, length: 0, text: '!' },
      { offset: 11, length: 0, text: ' and more' },
      { offset: 0, length: 0, text: '# T\n' },
    ];
    const after = edit(text, changes);
    for (const order of [changes, [...changes].reverse()]) {
      const out = applyChanges(refs, order);
      assert.deepStrictEqual(out.map((r) => after.slice(r.start, r.end)), ['a.png', 'b.png']);
      assert.ok(out.every((r) => !r.touched));
    }
  });

  test('a touched range stays touched through later events; the input is not changed', () => {
    const input = [range(5, 10)];
    const once = applyChanges(input, [{ offset: 7, length: 0, text: 'x' }]);
    const twice = applyChanges(once, [{ offset: 0, length: 0, text: 'far before' }]);
    assert.deepStrictEqual(twice, [{ start: 5, end: 10, touched: true }]);
    assert.deepStrictEqual(input, [range(5, 10)]);
  });
});
