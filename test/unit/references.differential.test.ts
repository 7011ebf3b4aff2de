// The fast Markdown scan (src/core/references.ts) against the scan it replaced
// (test/unit/referencesOracle.ts, kept unchanged): over many seeded random documents mixing every
// Markdown construct that decides where an image is, both must give exactly the same references.
import * as assert from 'assert';
import { findImageReferences, type ImageReference } from '../../src/core/references';
import { markdownDocument } from '../bench/references';
import { oracleMarkdownReferences } from './referencesOracle';
import { prng as random } from '../support/prng';

const LABELS = ['logo', 'Logo', 'my  logo', 'pic', 'two\nlines', 'x\\]y', 'web', 'key', 'missing'];

/** One random Markdown document: blocks of every kind, odd destinations, several line endings. */
export function randomMarkdown(seed: number): string {
  const r = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const n = (k: number): number => Math.floor(r() * k);
  const destination = (): string =>
    pick([
      `img/a${n(5)}.png`,
      `./b ${n(3)}.png`, // a space: not a destination unless in <>
      `<c d${n(3)}.png>`,
      `<>`,
      '',
      `e\\_${n(3)}.png`,
      `f%20${n(3)}.png`,
      `g&amp;${n(2)}.png`,
      `caf&eacute;.png`,
      `100%.png`,
      `https://example.com/${n(9)}.png`,
      `img_v2_${n(99)}`,
      `//cdn/x.png`,
      `#frag`,
      `h(${n(3)}).png`,
      `i(j.png`,
      `\n  k${n(3)}.png`,
      `l.png "title"`,
      `m.png 'title'`,
      `n.png (title)`,
      `o.png "unclosed`,
      `p\u0000.png`,
      `<q\nr.png>`,
    ]);
  const label = (): string => pick(LABELS);
  const inline = (depth = 0): string => {
    const parts: string[] = [];
    for (let i = 0, k = 1 + n(5); i < k; i++) {
      parts.push(
        pick([
          () => 'plain words',
          () => `![alt ${n(9)}](${destination()})`,
          () => `![alt](${destination()})`,
          () => `![alt][${label()}]`,
          () => `![${label()}][]`,
          () => `![${label()}]`,
          () => (depth < 2 ? `![outer ${inline(depth + 1)}](${destination()})` : 'x'),
          () => (depth < 2 ? `![outer ![in][${label()}]](${destination()})` : 'y'),
          () => (depth < 2 ? `[${inline(depth + 1)}](https://example.com)` : 'z'),
          () => `[link](${destination()})`,
          () => `[ref link][${label()}]`,
          () => '`![code](code.png)`',
          () => '``![double](` `code.png)``',
          () => '`unclosed ![u](u.png)',
          () => '\\![escaped](e.png)',
          () => '*emph ![e](em.png)* **strong** _u_',
          () => `<img src="${pick(['h1.png', 'h 2.png', 'a&amp;b.png', 'https://x/y.png', 'd\\e.png', ''])}" width="3">`,
          () => `<IMG alt='x' src='${pick(['s.png', 's t.png'])}'>`,
          () => `<img src=${pick(['u.png', 'v.png/'])}>`,
          () => '<img data-src="no.png">',
          () => '<!-- <img src="comment.png"> -->',
          () => '<span>![in span](span.png)</span>',
          () => '&lt;img src="entity.png"&gt;',
          () => '![unclosed](open.png',
          () => '![a] (spaced.png)',
          () => '| cell ![c](cell.png) | ![d](cell.png) \\| x |',
          () => 'line  \nbreak',
          () => '\t![tab](tab.png)',
        ])(),
      );
    }
    return parts.join(pick([' ', ' ', '\n', '  ']));
  };
  const block = (depth: number): string => {
    const kinds: (() => string)[] = [
      () => inline(),
      () => inline(),
      () => `${'#'.repeat(1 + n(6))} ${inline()}`,
      () => `${inline()}\n${pick(['===', '---'])}`,
      () => `${pick(['```', '~~~', '````'])}${pick(['', 'md', 'js'])}\n${inline()}\n${pick(['```', '~~~', '', '````'])}`,
      () => `    ${inline().split('\n').join('\n    ')}`,
      () => `<div align="center">\n  <img width=10 src="${pick(['blk.png', 'b l k.png', 'https://x/b.png'])}">\n  <!-- <img src="c.png"> -->\n</div>`,
      () => `<p><img src="para${n(3)}.png"></p>`,
      () => `<!--\n<img src="multi.png">\n-->`,
      () => `<pre>\n![pre](pre.png)\n</pre>`,
      () => `[${label()}]: ${pick([destination(), '\n  ./next-line.png', '<an gled.png> "t"', 'https://x/d.png', 'img_v3_k', 'dup.png', 'sp ace.png'])}`,
      () => `[${label()}]:\n${pick(['   ', '\t'])}./indented-next.png 'title'`,
      () => `[${label()}]: ${pick(['def.png', '<def d.png>', 'd\\_ef.png', 'def%20x.png'])}${pick(['', ' "t"', '\n"t"'])}`,
      () => '***',
      () => `| a | b |\n|---|---|\n| ![t](t${n(3)}.png) | ![t](t${n(3)}.png) |`,
      () => '',
    ];
    if (depth < 3) {
      kinds.push(
        () => prefixed(block(depth + 1), '> ', pick(['> ', '', '>'])),
        () => prefixed(block(depth + 1), `${pick(['-', '*', '+', '1.', '2)'])} `, pick(['  ', '   ', ''])),
        () => `${pick(['-', '1.'])} ${inline()}\n\n  ${block(depth + 1).split('\n').join('\n  ')}`,
      );
    }
    return pick(kinds)();
  };
  const blocks: string[] = [];
  for (let i = 0, k = 1 + n(12); i < k; i++) blocks.push(block(0));
  let text = blocks.join(pick(['\n\n', '\n', '\n\n\n']));
  const eol = pick(['\n', '\n', '\n', '\r\n', '\r', 'mixed']);
  if (eol === 'mixed') text = text.replace(/\n/g, () => pick(['\n', '\r\n', '\r']));
  else if (eol !== '\n') text = text.replace(/\n/g, eol);
  if (r() < 0.1) text = text.replace(/ /, '\u0000');
  return text + pick(['', '\n', '\r\n']);
}

/** A reference in a definition: `]:` before it on its line, or on the line before (a next-line destination). */
function fromDefinition(text: string, e: ImageReference): boolean {
  const before = text.slice(0, e.range.start).split(/\r\n|\r|\n/);
  return before[before.length - 1].includes(']:') || (before.length > 1 && /\]:\s*$/.test(before[before.length - 2]));
}

/** The first line prefixed with `first`, the others with `rest`. */
function prefixed(text: string, first: string, rest: string): string {
  return text
    .split('\n')
    .map((line, i) => (i === 0 ? first : rest) + line)
    .join('\n');
}

suite('core/references: the fast Markdown scan gives what the old one gave', () => {
  test('2,000 seeded random documents: the same references (ref, path, range, line), in the same order', () => {
    let references = 0;
    let fromDefinitions = 0;
    let crlf = 0;
    let html = 0;
    for (let seed = 1; seed <= 2000; seed++) {
      const text = randomMarkdown(seed);
      const expected = oracleMarkdownReferences(text);
      const actual = findImageReferences(text, 'markdown');
      assert.deepStrictEqual(actual, expected, `seed ${seed}: ${JSON.stringify(text)}`);
      references += expected.length;
      fromDefinitions += expected.filter((e: ImageReference) => fromDefinition(text, e)).length;
      html += expected.filter((e: ImageReference) => /src=["']?$/i.test(text.slice(0, e.range.start))).length;
      if (text.includes('\r')) crlf++;
    }
    // the documents exercise what they are meant to (a generator that found nothing proves nothing)
    assert.ok(references > 5000, `${references} references`);
    assert.ok(fromDefinitions > 120, `${fromDefinitions} from definitions`);
    assert.ok(html > 1500, `${html} from HTML`);
    assert.ok(crlf > 800, `${crlf} with CR`);
  });

  test('the bench document and hand-picked corner cases: the same references', () => {
    const cases = [
      '![outer ![in][l]](o.png)\n\n[l]: nested-label.png\n',
      '![a][l]\r\n\r\n[l]: crlf.png\r\n',
      'a\u0000b ![x](nul.png)\n',
      '| ![a](x.png) | ![a](x.png) |\n|---|---|\n',
      '> - ![q](q.png)\n>   ![r](r.png)\n',
      '![a](\n  next.png\n  "t")\n',
      '```\n![b](unclosed-fence.png)\n',
      '',
      'no images at all',
    ];
    cases.push(markdownDocument(200_000));
    for (const text of cases) assert.deepStrictEqual(findImageReferences(text, 'markdown'), oracleMarkdownReferences(text), JSON.stringify(text));
  });
});
