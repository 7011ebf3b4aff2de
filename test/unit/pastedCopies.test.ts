// The folder of pasted-image copies: named by sha256, bounded by age and total size (oldest
// first, with the injected clock: file ages are the mtimes it set), atomic writes that leave no
// temp file on failure, and a corrupt or missing copy reading as absent.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_PASTED_COPY_LIMITS, PastedCopies, type CopyWriter } from '../../src/core/pastedCopies';
import { hashBytes } from '../../src/core/dedupe';

const T0 = 1_700_000_000_000;
const DAY = 24 * 3600_000;

suite('PastedCopies: bounded copies of pasted images by sha256', () => {
  let root: string;
  let folder: string;
  let now: number;
  const clock = (): number => now;
  const bytes = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill);
  const names = (): string[] => (fs.existsSync(folder) ? fs.readdirSync(folder).sort() : []);

  setup(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-copies-'));
    folder = path.join(root, 'pasted');
    now = T0;
  });

  teardown(() => fs.rmSync(root, { recursive: true, force: true }));

  test('the defaults: 200 MB and 90 days', () => {
    assert.deepStrictEqual(DEFAULT_PASTED_COPY_LIMITS, { maxBytes: 200 * 1024 * 1024, maxAgeMs: 90 * DAY });
  });

  test('save writes <sha256>.<ext> (creating the folder); find and read return it; the same bytes again are one copy', async () => {
    const copies = new PastedCopies(folder, {}, clock);
    const data = bytes(5, 7);
    const sha = hashBytes(data);
    assert.strictEqual(copies.find(sha), undefined, 'no folder yet');
    assert.strictEqual(await copies.read(sha), undefined);
    const saved = await copies.save(data, 'PNG');
    assert.deepStrictEqual(saved, { sha256: sha, file: path.join(folder, `${sha}.png`) });
    assert.strictEqual(copies.find(sha), saved.file);
    assert.deepStrictEqual([...((await copies.read(sha)) ?? [])], [...data]);
    now = T0 + DAY;
    await copies.save(data, 'png');
    assert.deepStrictEqual(names(), [`${sha}.png`]);
    assert.strictEqual(fs.statSync(saved.file).mtimeMs, T0 + DAY, 'saving the same bytes again marks the copy as used');
    assert.strictEqual(copies.find('not-a-sha'), undefined);
    await assert.rejects(copies.save(data, '../x'), TypeError);
  });

  test('age: a copy not used for longer than maxAgeMs goes at the next save; reading one marks it as used', async () => {
    const copies = new PastedCopies(folder, { maxAgeMs: 10 * DAY, maxBytes: 1e9 }, clock);
    const a = await copies.save(bytes(1, 1), 'png');
    const b = await copies.save(bytes(1, 2), 'png');
    now = T0 + 5 * DAY;
    assert.ok(await copies.read(b.sha256), 'b is used on day 5');
    now = T0 + 10 * DAY; // a is exactly maxAgeMs old: kept
    await copies.save(bytes(1, 3), 'png');
    assert.ok(copies.find(a.sha256));
    now = T0 + 10 * DAY + 1;
    const c = await copies.save(bytes(1, 4), 'jpg');
    assert.strictEqual(copies.find(a.sha256), undefined, 'a: older than maxAgeMs');
    assert.ok(copies.find(b.sha256), 'b was read on day 5: not old');
    assert.ok(copies.find(c.sha256));
  });

  test('size: the oldest copies are evicted first until the total fits; the copy just saved stays even when alone too big', async () => {
    const copies = new PastedCopies(folder, { maxBytes: 25, maxAgeMs: 1e12 }, clock);
    const first = await copies.save(bytes(10, 1), 'png');
    now += 1000;
    const second = await copies.save(bytes(10, 2), 'png');
    now += 1000;
    const third = await copies.save(bytes(10, 3), 'png');
    assert.strictEqual(copies.find(first.sha256), undefined, 'the oldest went first');
    assert.ok(copies.find(second.sha256));
    assert.ok(copies.find(third.sha256));
    now += 1000;
    const huge = await copies.save(bytes(40, 4), 'png');
    assert.deepStrictEqual(names(), [path.basename(huge.file)]);
  });

  test('a corrupt copy (bytes that no longer hash to its name) reads as absent and is deleted; a missing one too', async () => {
    const copies = new PastedCopies(folder, {}, clock);
    const saved = await copies.save(bytes(8, 9), 'png');
    fs.writeFileSync(saved.file, bytes(8, 1));
    assert.strictEqual(await copies.read(saved.sha256), undefined);
    assert.deepStrictEqual(names(), []);
    // saving the right bytes again restores it
    await copies.save(bytes(8, 9), 'png');
    fs.rmSync(saved.file);
    assert.strictEqual(await copies.read(saved.sha256), undefined);
    // a corrupt file is replaced by a good one when the bytes are saved again
    await copies.save(bytes(8, 9), 'png');
    fs.writeFileSync(saved.file, bytes(3, 3));
    await copies.save(bytes(8, 9), 'png');
    assert.deepStrictEqual([...((await copies.read(saved.sha256)) ?? [])], [...bytes(8, 9)]);
  });

  test('a full disk or a refused rename: save rejects and leaves no temp file and no copy', async () => {
    const failing = (step: 'write' | 'rename', code: string): CopyWriter => ({
      async writeFile(file, data) {
        if (step === 'write') {
          await fs.promises.writeFile(file, data.subarray(0, 2)); // a partial write, then the disk is full
          throw Object.assign(new Error(`${code}: no space left on device`), { code });
        }
        await fs.promises.writeFile(file, data);
      },
      async rename() {
        throw Object.assign(new Error(`${code}: permission denied`), { code });
      },
    });
    for (const [step, code] of [
      ['write', 'ENOSPC'],
      ['rename', 'EACCES'],
    ] as const) {
      const copies = new PastedCopies(folder, {}, clock, failing(step, code));
      await assert.rejects(copies.save(bytes(4, 5), 'png'), (e: NodeJS.ErrnoException) => e.code === code);
      assert.deepStrictEqual(names(), [], `${step}: nothing left behind`);
      assert.strictEqual(await copies.read(hashBytes(bytes(4, 5))), undefined);
    }
  });

  test('remove deletes one copy; clear deletes all (and temp files); prune drops stale temp files', async () => {
    const copies = new PastedCopies(folder, {}, clock);
    const a = await copies.save(bytes(2, 1), 'png');
    const b = await copies.save(bytes(2, 2), 'gif');
    assert.strictEqual(await copies.remove(a.sha256), true);
    assert.strictEqual(await copies.remove(a.sha256), false);
    assert.deepStrictEqual(names(), [path.basename(b.file)]);
    const stale = path.join(folder, `.${path.basename(b.file)}.abc.tmp`);
    fs.writeFileSync(stale, 'x');
    fs.utimesSync(stale, T0 / 1000, T0 / 1000);
    now = T0 + 2 * 3600_000;
    await copies.prune();
    assert.deepStrictEqual(names(), [path.basename(b.file)], 'a temp file hours old is from an interrupted write');
    fs.writeFileSync(stale, 'x');
    assert.strictEqual(await copies.clear(), 1);
    assert.deepStrictEqual(names(), []);
    assert.strictEqual(await copies.clear(), 0);
  });
  test('a corrupt copy saved again under another extension: one good copy, under the new name', async () => {
    const copies = new PastedCopies(folder, {}, clock);
    const saved = await copies.save(bytes(6, 4), 'png');
    fs.writeFileSync(saved.file, bytes(1, 1));
    const again = await copies.save(bytes(6, 4), 'jpg');
    assert.deepStrictEqual(names(), [`${saved.sha256}.jpg`]);
    assert.strictEqual(again.file, path.join(folder, `${saved.sha256}.jpg`));
  });

  test('prune: the names it deleted, oldest first (ties by name); other files, folders and fresh temp files are left alone', async () => {
    const copies = new PastedCopies(folder, { maxBytes: 1e9, maxAgeMs: DAY }, clock);
    const x = await copies.save(bytes(3, 1), 'png');
    const y = await copies.save(bytes(3, 2), 'png');
    now = T0 + 1000;
    const z = await copies.save(bytes(3, 3), 'png');
    fs.writeFileSync(path.join(folder, 'notes.txt'), 'mine');
    fs.mkdirSync(path.join(folder, `${'a'.repeat(64)}.png`));
    const fresh = path.join(folder, '.fresh.abc.tmp');
    fs.writeFileSync(fresh, 'x');
    fs.utimesSync(fresh, (T0 + 2 * DAY - 3500_000) / 1000, (T0 + 2 * DAY - 3500_000) / 1000);
    now = T0 + 2 * DAY;
    const removed = await copies.prune();
    assert.deepStrictEqual(removed, [path.basename(x.file), path.basename(y.file)].sort().concat(path.basename(z.file)));
    assert.deepStrictEqual(names(), ['.fresh.abc.tmp', `${'a'.repeat(64)}.png`, 'notes.txt'], 'a temp file under an hour old may be a write in progress');
    assert.strictEqual(await copies.read('a'.repeat(64)), undefined, 'a folder is no copy');
    assert.strictEqual(await copies.remove('not-a-sha'), false);
    assert.strictEqual(await copies.clear(), 0, 'only copies are counted');
  });
});
