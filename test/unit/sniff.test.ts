// A downloaded image is named by its bytes: Lark serves TIFF uploads back as JPEG.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { sniffImageFormat } from '../../src/core/sniff';
import { generateFixtures, type FixtureSet } from '../fixtures/generate';

suite('sniffImageFormat', () => {
  let tmp: string;
  let fx: FixtureSet;
  suiteSetup(async function () {
    this.timeout(30000);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-sniff-'));
    fx = await generateFixtures(path.join(tmp, 'fx'));
  });
  suiteTeardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('every upload format by its bytes, whatever the file is called', () => {
    const cases: [string, string][] = [
      [fx.png, 'png'],
      [fx.jpg, 'jpg'],
      [fx.webp, 'webp'],
      [fx.gif, 'gif'],
      [fx.tiff, 'tiff'],
      [fx.bmp, 'bmp'],
      [fx.ico, 'ico'],
      [fx.pngNamedJpg, 'png'],
    ];
    for (const [file, format] of cases) assert.strictEqual(sniffImageFormat(fs.readFileSync(file)), format, path.basename(file));
  });

  test('bytes that are no image we know: undefined (the caller falls back to the Content-Type)', () => {
    assert.strictEqual(sniffImageFormat(fs.readFileSync(fx.textAsPng)), undefined);
    assert.strictEqual(sniffImageFormat(new Uint8Array(0)), undefined);
    assert.strictEqual(sniffImageFormat(fs.readFileSync(fx.svg)), undefined);
  });
});
