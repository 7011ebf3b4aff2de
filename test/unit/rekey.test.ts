// The re-key planner and runner (core/rekey.ts) with in-memory sources: which source gives a
// key's bytes (file while its sha256 matches, pasted copy, download by the source profile), why
// a key cannot be re-keyed, keys the target owns, keys with no history, cancel and a target
// profile removed during the run.
import * as assert from 'assert';
import { hashBytes } from '../../src/core/dedupe';
import { UploadError } from '../../src/core/larkErrors';
import type { UploadRecord } from '../../src/core/history';
import type { FileOutcome } from '../../src/core/uploadFiles';
import { findImageKeys, rekeyKeys, type Downloader, type RekeyDeps, type RekeyUpload } from '../../src/core/rekey';
import { LocalCode } from '../../src/core/types';

const BASE = 'http://127.0.0.1:9';
const TARGET = { profileId: 'prod', appId: 'cli_prod', baseUrl: BASE };
const bytes = (fill: number): Uint8Array => new Uint8Array(16).fill(fill);

let n = 0;
function record(key: string, extra: Partial<UploadRecord> = {}): UploadRecord {
  return { id: `r${n++}`, fileName: `${key}.png`, ok: true, imageKey: key, imageType: 'message', at: 1, baseUrl: BASE, appId: 'cli_test', profileId: 'test', ...extra };
}

interface World {
  records: UploadRecord[];
  files: Map<string, Uint8Array>;
  copies: Map<string, Uint8Array>;
  /** per profile: key -> bytes, or the error its download throws; a profile not here is signed out */
  servers: Map<string, Map<string, Uint8Array | UploadError>>;
  others: string[];
  downloads: string[];
  uploaded: RekeyUpload[][];
  uploadOutcome?: (u: RekeyUpload) => FileOutcome;
  removed?: () => boolean;
  signal?: AbortSignal;
}

function world(partial: Partial<World> = {}): World {
  return { records: [], files: new Map(), copies: new Map(), servers: new Map(), others: [], downloads: [], uploaded: [], ...partial };
}

function depsOf(w: World): RekeyDeps {
  return {
    records: w.records,
    target: TARGET,
    async downloaderFor(profileId): Promise<Downloader | undefined> {
      const server = w.servers.get(profileId);
      if (!server) return undefined;
      return {
        async downloadImage(key) {
          w.downloads.push(`${profileId}:${key}`);
          const got = server.get(key) ?? new UploadError(234001, 'unknown key');
          if (got instanceof UploadError) throw got;
          return { bytes: got };
        },
      };
    },
    otherProfiles: () => w.others,
    readFile: async (p) => w.files.get(p),
    readCopy: async (sha) => w.copies.get(sha),
    async upload(items) {
      w.uploaded.push([...items]);
      return items.map(
        (u) =>
          w.uploadOutcome?.(u) ?? { file: u.name, ok: true, imageKey: `new_${u.key}`, logId: undefined, info: undefined as never, deduped: false, attempts: 1, sha256: u.sha256 },
      );
    },
    targetRemoved: w.removed,
    signal: w.signal,
    batchSize: 2,
  };
}

suite('core/rekey: re-keying a document for another profile', () => {
  test('findImageKeys: every occurrence the rule accepts, not glued to a longer word', () => {
    const text = 'a img_v3_one b "img_v3_two" x_img_v3_glued img_v3_one img_old_known img_old_unknown';
    const isKey = (k: string): boolean => /^img_v\d+_/.test(k) || k === 'img_old_known';
    assert.deepStrictEqual(
      findImageKeys(text, isKey).map((o) => [o.key, text.slice(o.start, o.end)]),
      [
        ['img_v3_one', 'img_v3_one'],
        ['img_v3_two', 'img_v3_two'],
        ['img_v3_one', 'img_v3_one'],
        ['img_old_known', 'img_old_known'],
      ],
    );
  });

  test('the local file while its sha256 matches; else the pasted copy; else a download by the source profile', async () => {
    const fileBytes = bytes(1);
    const w = world({
      records: [
        record('img_v3_file', { filePath: '/w/a.png', sha256: hashBytes(fileBytes) }),
        record('img_v3_changed', { filePath: '/w/b.png', sha256: hashBytes(bytes(2)) }),
        record('img_v3_pasted', { sha256: hashBytes(bytes(3)) }),
        record('img_v3_gone', { sha256: hashBytes(bytes(4)) }),
      ],
      files: new Map([
        ['/w/a.png', fileBytes],
        ['/w/b.png', bytes(9)],
      ]),
      copies: new Map([
        [hashBytes(bytes(2)), bytes(2)],
        [hashBytes(bytes(3)), bytes(3)],
      ]),
      servers: new Map([['test', new Map([['img_v3_gone', bytes(4)]])]]),
    });
    const results = await rekeyKeys(['img_v3_file', 'img_v3_changed', 'img_v3_pasted', 'img_v3_gone', 'img_v3_file'], depsOf(w));
    assert.deepStrictEqual(results, [
      { key: 'img_v3_file', status: 'rekeyed', newKey: 'new_img_v3_file', via: 'file', deduped: false },
      { key: 'img_v3_changed', status: 'rekeyed', newKey: 'new_img_v3_changed', via: 'copy', deduped: false },
      { key: 'img_v3_pasted', status: 'rekeyed', newKey: 'new_img_v3_pasted', via: 'copy', deduped: false },
      { key: 'img_v3_gone', status: 'rekeyed', newKey: 'new_img_v3_gone', via: 'download', deduped: false },
    ]);
    assert.deepStrictEqual(w.downloads, ['test:img_v3_gone'], 'only the key without a file or copy is downloaded');
    const sent = w.uploaded.flat();
    assert.deepStrictEqual(sent.map((u) => [u.key, u.filePath, [...u.bytes][0]]), [
      ['img_v3_file', '/w/a.png', 1],
      ['img_v3_changed', undefined, 2],
      ['img_v3_pasted', undefined, 3],
      ['img_v3_gone', undefined, 4],
    ]);
    assert.deepStrictEqual(w.uploaded.map((b) => b.length), [2, 2], 'two keys at a time');
  });

  test('a key the target app owns is left as is (no download, no upload)', async () => {
    const w = world({ records: [record('img_v3_mine', { profileId: 'prod', appId: 'cli_prod' }), record('img_v3_sameapp', { profileId: 'other', appId: 'cli_prod' })] });
    assert.deepStrictEqual(await rekeyKeys(['img_v3_mine', 'img_v3_sameapp'], depsOf(w)), [
      { key: 'img_v3_mine', status: 'same' },
      { key: 'img_v3_sameapp', status: 'same' },
    ]);
    assert.deepStrictEqual([w.downloads, w.uploaded], [[], []]);
  });

  test('why a key cannot be re-keyed: file changed and no copy and source signed out; 234008; 234005; avatar; before profiles', async () => {
    const w = world({
      records: [
        record('img_v3_out', { filePath: '/w/c.png', sha256: hashBytes(bytes(5)), profileId: 'gone' }),
        record('img_v3_foreign', { sha256: hashBytes(bytes(6)) }),
        record('img_v3_deleted'),
        record('img_v3_avatar', { imageType: 'avatar' }),
        record('img_v3_old', { profileId: undefined, filePath: '/w/missing.png' }),
      ],
      files: new Map([['/w/c.png', bytes(1)]]),
      servers: new Map([
        [
          'test',
          new Map<string, Uint8Array | UploadError>([
            ['img_v3_foreign', new UploadError(234008, 'The app is not the resource sender.', { logId: 'L8' })],
            ['img_v3_deleted', new UploadError(234005, 'Image has been deleted.')],
          ]),
        ],
      ]),
    });
    const results = await rekeyKeys(['img_v3_out', 'img_v3_foreign', 'img_v3_deleted', 'img_v3_avatar', 'img_v3_old'], depsOf(w));
    assert.deepStrictEqual(results, [
      { key: 'img_v3_out', status: 'failed', problems: [{ kind: 'fileChanged', path: '/w/c.png' }, { kind: 'signedOut', profileId: 'gone' }] },
      { key: 'img_v3_foreign', status: 'failed', problems: [{ kind: 'noCopy' }, { kind: 'download', profileId: 'test', code: 234008, message: 'The app is not the resource sender.', logId: 'L8' }] },
      { key: 'img_v3_deleted', status: 'failed', problems: [{ kind: 'noCopy' }, { kind: 'download', profileId: 'test', code: 234005, message: 'Image has been deleted.' }] },
      { key: 'img_v3_avatar', status: 'failed', problems: [{ kind: 'noCopy' }, { kind: 'avatar' }] },
      { key: 'img_v3_old', status: 'failed', problems: [{ kind: 'fileMissing', path: '/w/missing.png' }, { kind: 'noProfile' }] },
    ]);
    assert.deepStrictEqual(w.uploaded, [], 'nothing to upload');
    assert.deepStrictEqual(w.downloads, ['test:img_v3_foreign', 'test:img_v3_deleted'], 'no download of an avatar');
  });

  test('a file whose record has no sha256 is not trusted: it counts as changed', async () => {
    const w = world({ records: [record('img_v3_nosha', { filePath: '/w/d.png' })], files: new Map([['/w/d.png', bytes(1)]]), servers: new Map([['test', new Map([['img_v3_nosha', bytes(7)]])]]) });
    const [result] = await rekeyKeys(['img_v3_nosha'], depsOf(w));
    assert.deepStrictEqual(result, { key: 'img_v3_nosha', status: 'rekeyed', newKey: 'new_img_v3_nosha', via: 'download', deduped: false });
    assert.deepStrictEqual([...w.uploaded[0][0].bytes], [...bytes(7)]);
  });

  test('a fitted upload: its file is skipped (the fitted bytes are not kept), not called changed; on to the copy and the download', async () => {
    const original = bytes(1);
    const fit = { width: 9000, height: 9000, size: 30_000_000, format: 'png' };
    const w = world({
      records: [
        record('img_v3_fitted', { filePath: '/w/big.png', sha256: hashBytes(bytes(2)), fit }),
        record('img_v3_fitcopy', { filePath: '/w/big2.png', sha256: hashBytes(bytes(3)), fit }),
        record('img_v3_fitout', { filePath: '/w/big3.png', sha256: hashBytes(bytes(4)), fit, profileId: 'gone' }),
      ],
      files: new Map([
        ['/w/big.png', original],
        ['/w/big2.png', original],
        ['/w/big3.png', original],
      ]),
      copies: new Map([[hashBytes(bytes(3)), bytes(3)]]),
      servers: new Map([['test', new Map([['img_v3_fitted', bytes(2)]])]]),
    });
    const results = await rekeyKeys(['img_v3_fitted', 'img_v3_fitcopy', 'img_v3_fitout'], depsOf(w));
    assert.deepStrictEqual(results, [
      { key: 'img_v3_fitted', status: 'rekeyed', newKey: 'new_img_v3_fitted', via: 'download', deduped: false },
      { key: 'img_v3_fitcopy', status: 'rekeyed', newKey: 'new_img_v3_fitcopy', via: 'copy', deduped: false },
      { key: 'img_v3_fitout', status: 'failed', problems: [{ kind: 'fitted', path: '/w/big3.png' }, { kind: 'signedOut', profileId: 'gone' }] },
    ]);
    assert.deepStrictEqual(
      w.uploaded.flat().map((u) => [u.key, [...u.bytes][0], u.filePath]),
      [
        ['img_v3_fitted', 2, undefined],
        ['img_v3_fitcopy', 3, undefined],
      ],
      'never the original file',
    );
  });

  test('keys with no history: each other signed-in profile tries a download; none can -> why', async () => {
    const w = world({
      others: ['a', 'b'],
      servers: new Map([
        ['a', new Map<string, Uint8Array | UploadError>([['img_v3_x', new UploadError(234008, 'not sender')], ['img_v3_y', new UploadError(234008, 'not sender')]])],
        ['b', new Map<string, Uint8Array | UploadError>([['img_v3_x', bytes(8)], ['img_v3_y', new UploadError(234008, 'not sender')]])],
      ]),
    });
    const results = await rekeyKeys(['img_v3_x', 'img_v3_y'], depsOf(w));
    assert.deepStrictEqual(results[0], { key: 'img_v3_x', status: 'rekeyed', newKey: 'new_img_v3_x', via: 'download', deduped: false });
    assert.deepStrictEqual(results[1], {
      key: 'img_v3_y',
      status: 'failed',
      problems: [{ kind: 'noHistory' }, { kind: 'download', profileId: 'a', code: 234008, message: 'not sender' }, { kind: 'download', profileId: 'b', code: 234008, message: 'not sender' }],
    });
    const none = await rekeyKeys(['img_v3_z'], depsOf(world()));
    assert.deepStrictEqual(none, [{ key: 'img_v3_z', status: 'failed', problems: [{ kind: 'noHistory' }] }]);
  });

  test('a key with no history that the target can download is its own: same, no upload; 234008 from the target: on to the others', async () => {
    const w = world({
      others: ['a'],
      servers: new Map([
        ['prod', new Map<string, Uint8Array | UploadError>([['img_v3_theirs', bytes(1)], ['img_v3_foreign', new UploadError(234008, 'not sender')]])],
        ['a', new Map<string, Uint8Array | UploadError>([['img_v3_foreign', bytes(2)]])],
      ]),
    });
    assert.deepStrictEqual(await rekeyKeys(['img_v3_theirs', 'img_v3_foreign'], depsOf(w)), [
      { key: 'img_v3_theirs', status: 'same' },
      { key: 'img_v3_foreign', status: 'rekeyed', newKey: 'new_img_v3_foreign', via: 'download', deduped: false },
    ]);
    assert.deepStrictEqual(w.downloads, ['prod:img_v3_theirs', 'prod:img_v3_foreign', 'a:img_v3_foreign'], 'the target is asked first, once per key');
    assert.deepStrictEqual(
      w.uploaded.flat().map((u) => u.key),
      ['img_v3_foreign'],
    );
  });

  test('the target asked about a key with no history: its other failures are told, a key with history is never asked about', async () => {
    const w = world({
      records: [record('img_v3_known', { sha256: hashBytes(bytes(3)) })],
      copies: new Map([[hashBytes(bytes(3)), bytes(3)]]),
      servers: new Map([['prod', new Map<string, Uint8Array | UploadError>([['img_v3_known', bytes(3)], ['img_v3_deleted', new UploadError(234005, 'Image has been deleted.')]])]]),
    });
    assert.deepStrictEqual(await rekeyKeys(['img_v3_known', 'img_v3_deleted'], depsOf(w)), [
      { key: 'img_v3_known', status: 'rekeyed', newKey: 'new_img_v3_known', via: 'copy', deduped: false },
      { key: 'img_v3_deleted', status: 'failed', problems: [{ kind: 'noHistory' }, { kind: 'download', profileId: 'prod', code: 234005, message: 'Image has been deleted.' }] },
    ]);
    assert.deepStrictEqual(w.downloads, ['prod:img_v3_deleted']);
  });

  test('upload failures and dedupe answers come back per key', async () => {
    const w = world({
      records: [record('img_v3_a', { sha256: hashBytes(bytes(1)) }), record('img_v3_b', { sha256: hashBytes(bytes(2)) })],
      copies: new Map([
        [hashBytes(bytes(1)), bytes(1)],
        [hashBytes(bytes(2)), bytes(2)],
      ]),
      uploadOutcome: (u) =>
        u.key === 'img_v3_a'
          ? { file: u.name, ok: true, imageKey: 'img_v3_known', logId: undefined, info: undefined as never, deduped: true, attempts: 0 }
          : { file: u.name, ok: false, code: 234011, message: 'bad image', logId: 'L1', stage: 'upload', info: undefined, attempts: 1 },
    });
    assert.deepStrictEqual(await rekeyKeys(['img_v3_a', 'img_v3_b'], depsOf(w)), [
      { key: 'img_v3_a', status: 'rekeyed', newKey: 'img_v3_known', via: 'copy', deduped: true },
      { key: 'img_v3_b', status: 'failed', problems: [{ kind: 'upload', code: 234011, message: 'bad image', logId: 'L1' }] },
    ]);
  });

  test('cancel keeps the finished keys; the rest fail as cancelled, and nothing more is fetched or sent', async () => {
    const controller = new AbortController();
    const copies = new Map([1, 2, 3, 4].map((i) => [hashBytes(bytes(i)), bytes(i)] as const));
    const w = world({ records: [1, 2, 3, 4].map((i) => record(`img_v3_${i}`, { sha256: hashBytes(bytes(i)) })), copies, signal: controller.signal });
    const deps = depsOf(w);
    const upload = deps.upload;
    deps.upload = async (items, signal) => {
      const out = await upload(items, signal);
      controller.abort(); // the user cancels while the first batch is uploading
      return out;
    };
    const results = await rekeyKeys(['img_v3_1', 'img_v3_2', 'img_v3_3', 'img_v3_4'], deps);
    assert.deepStrictEqual(
      results.map((r) => (r.status === 'failed' ? r.problems.map((p) => p.kind).join() : r.status)),
      ['rekeyed', 'rekeyed', 'cancelled', 'cancelled'],
    );
    assert.strictEqual(w.uploaded.length, 1);
    const cancelledUpload = world({ records: [record('img_v3_c', { sha256: hashBytes(bytes(1)) })], copies, uploadOutcome: (u) => ({ file: u.name, ok: false, code: LocalCode.Cancelled, message: 'Cancelled.', logId: undefined, stage: 'upload', info: undefined, attempts: 0 }) });
    assert.deepStrictEqual(await rekeyKeys(['img_v3_c'], depsOf(cancelledUpload)), [{ key: 'img_v3_c', status: 'failed', problems: [{ kind: 'cancelled' }] }]);
  });

  test('the target profile removed during the run: nothing more is uploaded for it', async () => {
    let removed = false;
    const copies = new Map([1, 2, 3].map((i) => [hashBytes(bytes(i)), bytes(i)] as const));
    const w = world({ records: [1, 2, 3].map((i) => record(`img_v3_${i}`, { sha256: hashBytes(bytes(i)) })), copies, removed: () => removed });
    const deps = depsOf(w);
    const readCopy = deps.readCopy;
    deps.readCopy = async (sha) => {
      const got = await readCopy(sha);
      if (sha === hashBytes(bytes(2))) removed = true; // removed while the second key's bytes are read
      return got;
    };
    const results = await rekeyKeys(['img_v3_1', 'img_v3_2', 'img_v3_3'], deps);
    assert.deepStrictEqual(
      results.map((r) => (r.status === 'failed' ? r.problems.map((p) => p.kind).join() : r.status)),
      ['targetRemoved', 'targetRemoved', 'targetRemoved'],
    );
    assert.deepStrictEqual(w.uploaded, [], 'the batch found before the removal is not sent either');
  });
});
