// The re-key planner and runner (core/rekey.ts) with in-memory sources: which source gives a
// key's bytes (file while its sha256 matches, pasted copy, download by the source profile), why
// a key cannot be re-keyed, keys the target owns, keys with no history, cancel and a target
// profile removed during the run.
import * as assert from 'assert';
import { hashBytes } from '../../src/core/dedupe';
import { UploadError } from '../../src/core/larkErrors';
import type { UploadRecord } from '../../src/core/history';
import type { FileOutcome } from '../../src/core/uploadFiles';
import { findImageKeys, findSource, rekeyKeys, type Downloader, type RekeyDeps, type RekeyUpload } from '../../src/core/rekey';
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
  test('batches: 8 keys at a time by default, at least 1, whole numbers; progress after each batch', async () => {
    const keys = Array.from({ length: 10 }, (_, i) => `img_v3_k${i}`);
    const copies = new Map(keys.map((_, i) => [hashBytes(bytes(i)), bytes(i)] as const));
    const records = keys.map((k, i) => record(k, { sha256: hashBytes(bytes(i)) }));
    const sizes = async (batchSize: number | undefined): Promise<[number[], [number, number][]]> => {
      const w = world({ records, copies });
      const progress: [number, number][] = [];
      await rekeyKeys(keys.slice(0, batchSize === undefined ? 10 : 3), { ...depsOf(w), batchSize, onProgress: (done, total) => progress.push([done, total]) });
      return [w.uploaded.map((b) => b.length), progress];
    };
    assert.deepStrictEqual(await sizes(undefined), [[8, 2], [[8, 10], [10, 10]]]);
    assert.deepStrictEqual(await sizes(0), [[1, 1, 1], [[1, 3], [2, 3], [3, 3]]]);
    assert.deepStrictEqual(await sizes(2.9), [[2, 1], [[2, 3], [3, 3]]]);
  });

  test('download failures: a profile whose client cannot be made is signed out; a thrown non-Lark error is a network error; a cancelled download stops the search', async () => {
    const w = world({
      others: ['broken', 'net', 'str', 'later'],
      servers: new Map([['later', new Map([['img_v3_n', bytes(1)]])]]),
    });
    const deps = depsOf(w);
    const downloaderFor = deps.downloaderFor;
    deps.downloaderFor = async (id) => {
      if (id === 'broken') throw new Error('keychain unavailable');
      if (id === 'net') return { downloadImage: () => Promise.reject(new Error('socket hang up')) };
      if (id === 'str') return { downloadImage: () => Promise.reject('plain string') };
      return downloaderFor(id);
    };
    assert.deepStrictEqual(await rekeyKeys(['img_v3_n'], deps), [
      { key: 'img_v3_n', status: 'rekeyed', newKey: 'new_img_v3_n', via: 'download', deduped: false },
    ]);
    const failing = world({ others: ['broken', 'net', 'str'] });
    const d2 = { ...depsOf(failing), downloaderFor: deps.downloaderFor };
    assert.deepStrictEqual(await rekeyKeys(['img_v3_m'], d2), [
      {
        key: 'img_v3_m',
        status: 'failed',
        problems: [
          { kind: 'noHistory' },
          { kind: 'signedOut', profileId: 'broken' },
          { kind: 'download', profileId: 'net', code: LocalCode.NetworkError, message: 'socket hang up' },
          { kind: 'download', profileId: 'str', code: LocalCode.NetworkError, message: 'plain string' },
        ],
      },
    ]);
    // a download that ends as cancelled (Lark client's 9104) stops at that profile, with or without history
    const cancelling = world({
      others: ['c', 'later'],
      records: [record('img_v3_h', { profileId: 'c' }), record('img_v3_h', { profileId: 'later' })],
      servers: new Map([
        ['c', new Map<string, Uint8Array | UploadError>([['img_v3_h', new UploadError(LocalCode.Cancelled, 'Cancelled.')], ['img_v3_o', new UploadError(LocalCode.Cancelled, 'Cancelled.')]])],
        ['later', new Map([['img_v3_h', bytes(1)], ['img_v3_o', bytes(1)]])],
      ]),
    });
    assert.deepStrictEqual(await rekeyKeys(['img_v3_h', 'img_v3_o'], depsOf(cancelling)), [
      { key: 'img_v3_h', status: 'failed', problems: [{ kind: 'cancelled' }] },
      { key: 'img_v3_o', status: 'failed', problems: [{ kind: 'cancelled' }] },
    ]);
    assert.deepStrictEqual(cancelling.downloads, ['c:img_v3_h', 'c:img_v3_o']);
  });

  test('a download that fails because the user cancelled is "cancelled", whatever it threw; the target asked and cancelled too', async () => {
    const controller = new AbortController();
    const w = world({ others: ['a'], records: [record('img_v3_h')], signal: controller.signal });
    const deps = depsOf(w);
    deps.downloaderFor = async () => ({
      downloadImage: () => {
        controller.abort();
        return Promise.reject(new Error('aborted'));
      },
    });
    assert.deepStrictEqual(await findSource('img_v3_h', deps), { problems: [{ kind: 'cancelled' }] });
    assert.deepStrictEqual(await findSource('img_v3_none', deps), { problems: [{ kind: 'cancelled' }] });
  });

  test('one download per source profile, one avatar reason, one pre-profile reason; failed records and other keys are ignored', async () => {
    const w = world({
      records: [
        record('img_v3_k', { ok: false, profileId: 'prod' }),
        record('img_v3_other', { profileId: 'prod' }),
        record('img_v3_k', { fileName: 'newest.png' }),
        record('img_v3_k', { fileName: 'older.png' }),
        record('img_v3_k', { imageType: 'avatar' }),
        record('img_v3_k', { imageType: 'avatar' }),
        record('img_v3_k', { profileId: undefined }),
        record('img_v3_k', { profileId: undefined }),
      ],
      servers: new Map([['test', new Map<string, Uint8Array | UploadError>([['img_v3_k', new UploadError(234005, 'gone')]])]]),
    });
    assert.deepStrictEqual(await rekeyKeys(['img_v3_k'], depsOf(w)), [
      {
        key: 'img_v3_k',
        status: 'failed',
        problems: [{ kind: 'noCopy' }, { kind: 'download', profileId: 'test', code: 234005, message: 'gone' }, { kind: 'avatar' }, { kind: 'noProfile' }],
      },
    ]);
    assert.deepStrictEqual(w.downloads, ['test:img_v3_k'], 'the failed record of the target does not make the key "same"');
    // the name sent is that of the newest record; the record is the one whose bytes were found
    const sha = hashBytes(bytes(5));
    const w2 = world({
      records: [record('img_v3_c', { fileName: 'newest.png' }), record('img_v3_c', { fileName: 'older.png', sha256: sha })],
      copies: new Map([[sha, bytes(5)]]),
      servers: new Map([['test', new Map([['img_v3_d', bytes(6)]])]]),
    });
    w2.records.push(record('img_v3_d', { fileName: 'd-newest.png', profileId: 'gone' }), record('img_v3_d', { fileName: 'd-older.png' }));
    await rekeyKeys(['img_v3_c', 'img_v3_d'], depsOf(w2));
    assert.deepStrictEqual(
      w2.uploaded.flat().map((u) => [u.key, u.name, u.via, u.sha256, u.record?.fileName]),
      [
        ['img_v3_c', 'newest.png', 'copy', sha, 'older.png'],
        ['img_v3_d', 'd-newest.png', 'download', hashBytes(bytes(6)), 'd-older.png'],
      ],
    );
  });

  test('the same app is the same app id AT THE SAME ORIGIN (or the same profile); records without ids are never the target', async () => {
    const w = world({
      records: [
        record('img_v3_elsewhere', { profileId: 'x', appId: 'cli_prod', baseUrl: 'https://open.feishu.cn' }),
        record('img_v3_noids', { profileId: undefined, appId: undefined }),
      ],
    });
    const deps = { ...depsOf(w), target: { ...TARGET, profileId: 'prod' } };
    const results = await rekeyKeys(['img_v3_elsewhere', 'img_v3_noids'], deps);
    assert.deepStrictEqual(
      results.map((r) => r.status),
      ['failed', 'failed'],
    );
    const unnamed = await rekeyKeys(['img_v3_noids'], { ...depsOf(w), target: { profileId: 'p', appId: '', baseUrl: BASE } });
    assert.deepStrictEqual(unnamed.map((r) => r.status), ['failed']);
  });

  test('an upload that answers fewer outcomes than items: the rest count as cancelled', async () => {
    const sha = (i: number): string => hashBytes(bytes(i));
    const w = world({ records: [record('img_v3_1', { sha256: sha(1) }), record('img_v3_2', { sha256: sha(2) })], copies: new Map([[sha(1), bytes(1)], [sha(2), bytes(2)]]) });
    const deps = depsOf(w);
    const upload = deps.upload;
    deps.upload = async (items, signal) => (await upload(items, signal)).slice(0, 1);
    assert.deepStrictEqual(
      (await rekeyKeys(['img_v3_1', 'img_v3_2'], deps)).map((r) => (r.status === 'failed' ? r.problems : r.status)),
      ['rekeyed', [{ kind: 'cancelled' }]],
    );
  });
  test('the target\'s own 234008 is no reason worth telling; a download by another profile has no name; one file record among pasted ones still says no copy', async () => {
    const w = world({ others: ['a'], servers: new Map([['prod', new Map<string, Uint8Array | UploadError>([['img_v3_x', new UploadError(234008, 'not sender')]])], ['a', new Map([['img_v3_y', bytes(1)]])]]) });
    assert.deepStrictEqual(await rekeyKeys(['img_v3_x'], depsOf(w)), [{ key: 'img_v3_x', status: 'failed', problems: [{ kind: 'noHistory' }, { kind: 'download', profileId: 'a', code: 234001, message: 'unknown key' }] }]);
    await rekeyKeys(['img_v3_y'], depsOf(w));
    assert.deepStrictEqual(w.uploaded.flat().map((u) => [u.name, u.record]), [['', undefined]]);
    const mixed = world({ records: [record('img_v3_m', { filePath: '/w/gone.png' }), record('img_v3_m')] });
    const [result] = await rekeyKeys(['img_v3_m'], depsOf(mixed));
    assert.deepStrictEqual(result.status === 'failed' && result.problems.map((p) => p.kind), ['fileMissing', 'noCopy', 'signedOut']);
  });
});
