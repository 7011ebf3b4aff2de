// The folder of previews fetched from Lark: bounded by age and total size (oldest first), emptied
// by clear(). Time is the injected clock (file ages are the mtimes it set), so nothing waits.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_PREVIEW_LIMITS, PreviewFolder } from '../../src/core/previewFolder';

const T0 = 1_700_000_000_000;
const HOUR = 3600_000;

suite('PreviewFolder: the bounded folder of fetched previews', () => {
  let root: string;
  let folder: string;
  let now: number;
  const clock = (): number => now;
  const bytes = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill);
  const names = (): string[] => (fs.existsSync(folder) ? fs.readdirSync(folder).sort() : []);

  setup(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-previews-'));
    folder = path.join(root, 'previews');
    now = T0;
  });

  teardown(() => fs.rmSync(root, { recursive: true, force: true }));

  test('the defaults: 50 MB and 7 days', () => {
    assert.deepStrictEqual(DEFAULT_PREVIEW_LIMITS, { maxBytes: 50 * 1024 * 1024, maxAgeMs: 7 * 24 * HOUR });
  });

  test('save writes <key>.<ext> (creating the folder) and find returns it; a new type of the same key replaces the old file', async () => {
    const previews = new PreviewFolder(folder, {}, clock);
    assert.strictEqual(previews.find('img_v2_a'), undefined, 'no folder yet');
    const file = await previews.save('img_v2_a', 'png', bytes(3));
    assert.strictEqual(file, path.join(folder, 'img_v2_a.png'));
    assert.deepStrictEqual([...fs.readFileSync(file)], [1, 1, 1]);
    assert.strictEqual(previews.find('img_v2_a'), file);
    assert.strictEqual(previews.find('img_v2_b'), undefined);
    await previews.save('img_v2_a', 'jpg', bytes(2));
    assert.deepStrictEqual(names(), ['img_v2_a.jpg']);
    assert.strictEqual(previews.find('img_v2_a'), path.join(folder, 'img_v2_a.jpg'));
    // a key that is a prefix of another is not confused with it
    await previews.save('img_v2_a_b', 'png', bytes(1));
    assert.strictEqual(previews.find('img_v2_a'), path.join(folder, 'img_v2_a.jpg'));
  });

  test('age: a file older than maxAgeMs goes at the next save; one exactly maxAgeMs old stays', async () => {
    const previews = new PreviewFolder(folder, { maxAgeMs: 10 * HOUR, maxBytes: 1e9 }, clock);
    await previews.save('img_v2_old', 'png', bytes(1));
    now = T0 + HOUR;
    await previews.save('img_v2_newer', 'png', bytes(1));
    now = T0 + 10 * HOUR; // img_v2_old is exactly maxAgeMs old
    await previews.save('img_v2_third', 'png', bytes(1));
    assert.deepStrictEqual(names(), ['img_v2_newer.png', 'img_v2_old.png', 'img_v2_third.png']);
    now = T0 + 10 * HOUR + 1;
    await previews.save('img_v2_fourth', 'png', bytes(1));
    assert.deepStrictEqual(names(), ['img_v2_fourth.png', 'img_v2_newer.png', 'img_v2_third.png']);
  });

  test('size: over maxBytes the oldest go first, until the total fits; exactly maxBytes stays', async () => {
    const previews = new PreviewFolder(folder, { maxBytes: 300, maxAgeMs: 1e12 }, clock);
    for (const [i, key] of ['img_v2_1', 'img_v2_2', 'img_v2_3'].entries()) {
      now = T0 + i * 1000;
      await previews.save(key, 'png', bytes(100));
    }
    assert.deepStrictEqual(names(), ['img_v2_1.png', 'img_v2_2.png', 'img_v2_3.png'], '300 bytes: exactly the bound');
    now = T0 + 3000;
    await previews.save('img_v2_4', 'png', bytes(150));
    // 450 bytes: without 1 (100) still 350 > 300, without 2 as well: 250
    assert.deepStrictEqual(names(), ['img_v2_3.png', 'img_v2_4.png']);
  });

  test('the file just saved stays even when it alone is over maxBytes; everything else goes', async () => {
    const previews = new PreviewFolder(folder, { maxBytes: 100, maxAgeMs: 1e12 }, clock);
    await previews.save('img_v2_small', 'png', bytes(50));
    now += 1000;
    await previews.save('img_v2_big', 'png', bytes(500));
    assert.deepStrictEqual(names(), ['img_v2_big.png']);
  });

  test('prune() alone: what earlier sessions left past the age bound goes, the rest stays', async () => {
    const earlier = new PreviewFolder(folder, {}, clock);
    await earlier.save('img_v2_last_week', 'png', bytes(1));
    now = T0 + 2 * 24 * HOUR;
    await earlier.save('img_v2_yesterday', 'png', bytes(1));
    now = T0 + DEFAULT_PREVIEW_LIMITS.maxAgeMs + HOUR;
    const removed = await new PreviewFolder(folder, {}, clock).prune();
    assert.deepStrictEqual(removed, ['img_v2_last_week.png']);
    assert.deepStrictEqual(names(), ['img_v2_yesterday.png']);
  });

  test('clear() deletes every preview and says how many; a folder that does not exist is empty', async () => {
    assert.strictEqual(await new PreviewFolder(folder, {}, clock).clear(), 0);
    const previews = new PreviewFolder(folder, {}, clock);
    await previews.save('img_v2_a', 'png', bytes(1));
    await previews.save('img_v2_b', 'gif', bytes(1));
    assert.strictEqual(await previews.clear(), 2);
    assert.deepStrictEqual(names(), []);
    assert.strictEqual(previews.find('img_v2_a'), undefined);
  });

  test('keys and extensions that could leave the folder are refused', async () => {
    const previews = new PreviewFolder(folder, {}, clock);
    for (const key of ['../img_v2_x', 'img_v2_x/../../y', 'img.v2', '']) {
      await assert.rejects(previews.save(key, 'png', bytes(1)), TypeError, key);
      assert.strictEqual(previews.find(key), undefined);
    }
    await assert.rejects(previews.save('img_v2_x', '../png', bytes(1)), TypeError);
    assert.deepStrictEqual(fs.readdirSync(root), [], 'nothing was written');
  });
});
