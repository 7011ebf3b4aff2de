// Real VS Code: fitting runs inside the extension host through the extension's API (the codec,
// sharp, loaded on first use from the extension's dist/node_modules). The installed-.vsix run
// (installedVsix.test.ts) proves the same with the packaged WebAssembly build.
import * as assert from 'assert';
import { getExtensionApi } from './helpers';
import { gradientPng, pngDimensions } from '../../support/pngMaker';

suite('Fitting images (real VS Code extension host)', function () {
  this.timeout(60000);

  test('an over-limit PNG is fitted to 12000 px wide, aspect ratio kept', async () => {
    const api = await getExtensionApi();
    const png = gradientPng(12500, 50);
    const r = await api.fit({ bytes: png, name: 'wide.png' }, { imageType: 'message' });
    assert.strictEqual(r.fitted, true);
    assert.deepStrictEqual([r.format, r.width, r.height], ['png', 12000, 48]);
    assert.deepStrictEqual(pngDimensions(r.bytes), { width: 12000, height: 48 });
    assert.ok(r.engine === 'wasm' || r.engine === 'native', `engine ${r.engine}`);
    console.log(`[fit] sharp engine in the extension host: ${r.engine}`);
  });

  test('an SVG is drawn as a PNG; an image within the limits comes back unchanged', async () => {
    const api = await getExtensionApi();
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><rect width="100" height="100" fill="#3370ff"/></svg>');
    const r = await api.fit({ bytes: svg }, { imageType: 'message' });
    assert.deepStrictEqual([r.fitted, r.format, r.width, r.height, r.original.format], [true, 'png', 200, 100, 'svg']);
    const small = gradientPng(64, 32);
    const same = await api.fit({ bytes: small }, { imageType: 'message' });
    assert.strictEqual(same.fitted, false);
    assert.ok(Buffer.from(same.bytes).equals(small));
  });
});
