// The history's fields for fitted uploads (`fit`: the original) and uploads as files (`fileKey`,
// no imageKey): kept through storage, malformed values dropped, and never confused with image keys.
import * as assert from 'assert';
import { UploadHistory, isUploadRecord, type HistoryStorage } from '../../src/core/history';

function storage(initial?: unknown): HistoryStorage & { value: unknown } {
  const s = {
    value: initial,
    get: () => (s.value === undefined ? undefined : (JSON.parse(JSON.stringify(s.value)) as unknown)),
    set: (v: unknown) => {
      s.value = JSON.parse(JSON.stringify(v));
    },
  };
  return s;
}

const base = { fileName: 'photo.jpg', imageType: 'message' as const, baseUrl: 'https://open.larksuite.com', filePath: '/w/photo.jpg' };

suite('history: fitted uploads and uploads as files', () => {
  test('a fitted record keeps its original (size, dimensions, format) through storage', async () => {
    const s = storage();
    const h = new UploadHistory(s);
    await h.add({ ...base, ok: true, imageKey: 'img_v3_fit', width: 12000, height: 7714, size: 8_100_000, fit: { width: 14000, height: 9000, size: 31_200_000, format: 'jpeg' } });
    const again = new UploadHistory(s).list()[0];
    assert.deepStrictEqual(again.fit, { width: 14000, height: 9000, size: 31_200_000, format: 'jpeg' });
    assert.strictEqual(again.imageKey, 'img_v3_fit');
  });

  test('a malformed fit is dropped, the record kept; a failed record carries no fit', () => {
    const at = 1;
    const h = new UploadHistory(
      storage({
        version: 1,
        records: [
          { ...base, id: 'a', at, ok: true, imageKey: 'img_v3_a', fit: { width: '14000', height: 9000, size: 1, format: 'jpeg' } },
          { ...base, filePath: '/w/b.png', id: 'b', at, ok: false, code: 234039, fit: { width: 1, height: 1, size: 1, format: 'png' } },
        ],
      }),
    );
    const [a, b] = h.list();
    assert.deepStrictEqual([a.id, a.fit, b.id, b.fit], ['a', undefined, 'b', undefined]);
  });

  test('an upload as a file has its file_key and no image_key; both keys, or neither, is malformed', async () => {
    const h = new UploadHistory(storage());
    const r = await h.add({ ...base, ok: true, fileKey: 'file_v2_x', size: 30 });
    assert.deepStrictEqual([r.fileKey, r.imageKey], ['file_v2_x', undefined]);
    assert.strictEqual(h.findByKey('file_v2_x'), undefined, 'a file_key is never answered where an image_key is looked up');
    await assert.rejects(h.add({ ...base, ok: true, fileKey: 'file_v2_x', imageKey: 'img_v3_x' }), TypeError);
    await assert.rejects(h.add({ ...base, ok: true }), TypeError);
    assert.ok(!isUploadRecord({ ...base, id: 'c', at: 1, ok: true, fileKey: '' }));
  });

  test('a pasted image sent as a file (no path) is one entry per file_key', async () => {
    const h = new UploadHistory(storage());
    const pasted = { fileName: 'image.png', imageType: 'message' as const, baseUrl: base.baseUrl };
    await h.add({ ...pasted, ok: true, fileKey: 'file_v2_1' });
    await h.add({ ...pasted, ok: true, fileKey: 'file_v2_2' });
    await h.add({ ...pasted, ok: true, fileKey: 'file_v2_1' });
    assert.deepStrictEqual(
      h.list().map((r) => r.fileKey),
      ['file_v2_1', 'file_v2_2'],
    );
  });
});
