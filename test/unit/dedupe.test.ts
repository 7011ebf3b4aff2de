// The content-addressed index and the hashing it keys on.
import * as assert from 'assert';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DedupeIndex, MemoryStore, hashBytes, hashFile } from '../../src/core/dedupe';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

suite('core/dedupe', () => {
  let tmp: string;
  suiteSetup(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-dedupe-'));
  });
  suiteTeardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('hashBytes and hashFile agree with sha256, across chunk boundaries', async () => {
    // 0 bytes, 1 byte, one chunk exactly, one byte past it, several chunks and a tail
    for (const size of [0, 1, 256 * 1024, 256 * 1024 + 1, 3 * 256 * 1024 + 17]) {
      const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 31 + (i >> 8)) & 0xff);
      const file = path.join(tmp, `f${size}.bin`);
      fs.writeFileSync(file, bytes);
      assert.strictEqual(hashBytes(bytes), sha256(bytes), `hashBytes ${size}`);
      assert.strictEqual(await hashFile(file), sha256(bytes), `hashFile ${size}`);
      assert.strictEqual(await hashFile(file, new AbortController().signal), sha256(bytes), `hashFile ${size} with a signal`);
    }
  });

  test('hashFile of a missing file rejects with the file-system error', async () => {
    await assert.rejects(hashFile(path.join(tmp, 'missing.png')), { code: 'ENOENT' });
  });

  test('hashFile with an aborted signal rejects before reading', async () => {
    const ac = new AbortController();
    ac.abort();
    // a missing file: if it were opened, the error would be ENOENT
    await assert.rejects(hashFile(path.join(tmp, 'missing.png'), ac.signal), { name: 'AbortError' });
  });

  test('hashFile stops at an abort while reading (an endless file ends only that way)', async function () {
    if (process.platform === 'win32') this.skip(); // no /dev/zero
    const ac = new AbortController();
    const hashing = hashFile('/dev/zero', ac.signal);
    setImmediate(() => ac.abort());
    await assert.rejects(hashing, { name: 'AbortError' });
  });

  test('keyFor joins scope, image type and hash, so each of them separates entries', () => {
    const h = hashBytes(Uint8Array.of(1, 2, 3));
    assert.strictEqual(DedupeIndex.keyFor(h, 'message', 'https://open.larksuite.com|cli_a'), `https://open.larksuite.com|cli_a|message|${h}`);
    const keys = new Set([
      DedupeIndex.keyFor(h, 'message', 'scope-a'),
      DedupeIndex.keyFor(h, 'avatar', 'scope-a'),
      DedupeIndex.keyFor(h, 'message', 'scope-b'),
      DedupeIndex.keyFor(hashBytes(Uint8Array.of(1, 2)), 'message', 'scope-a'),
    ]);
    assert.strictEqual(keys.size, 4);
  });

  test('remember, lookup, forget; an empty stored value is "unknown"', async () => {
    const store = new MemoryStore();
    const index = new DedupeIndex(store);
    assert.strictEqual(await index.lookup('k'), undefined);
    await index.remember('k', 'img_v2_1');
    assert.strictEqual(await index.lookup('k'), 'img_v2_1');
    assert.strictEqual(store.get('k'), 'img_v2_1');
    assert.strictEqual(store.size, 1);
    await index.remember('k', 'img_v2_2');
    assert.strictEqual(await index.lookup('k'), 'img_v2_2');
    assert.strictEqual(store.size, 1);
    await index.forget('k');
    assert.strictEqual(await index.lookup('k'), undefined);
    assert.strictEqual(store.size, 0);
    store.set('empty', '');
    assert.strictEqual(await index.lookup('empty'), undefined);
  });

  test('an async store is awaited: remember resolves once it is stored, a failure rejects', async () => {
    const map = new Map<string, string>();
    const index = new DedupeIndex({
      get: async (k) => map.get(k),
      set: async (k, v) => {
        await new Promise<void>((r) => setImmediate(r));
        if (v === 'bad') throw new Error('disk full');
        map.set(k, v);
      },
      delete: async (k) => {
        await new Promise<void>((r) => setImmediate(r));
        map.delete(k);
      },
    });
    await index.remember('k', 'img_v2_1');
    assert.strictEqual(map.get('k'), 'img_v2_1');
    assert.strictEqual(await index.lookup('k'), 'img_v2_1');
    await assert.rejects(index.remember('k2', 'bad'), /disk full/);
    await index.forget('k');
    assert.strictEqual(map.has('k'), false);
  });
});
