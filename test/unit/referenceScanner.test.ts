// The worker-thread scanner the extension uses for local image references (dist/referencesWorker.js,
// built by `npm run build` before the unit tests run).
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ReferenceScanner } from '../../src/vscode/referenceScanner';

const ROOT = path.resolve(__dirname, '..', '..', '..');

suite('vscode/referenceScanner (worker thread)', () => {
  let dir: string;
  suiteSetup(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-scanner-'));
    fs.writeFileSync(path.join(dir, 'a.png'), 'x');
    assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'referencesWorker.js')), 'dist/referencesWorker.js is built (npm run build)');
  });
  suiteTeardown(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('scans in the worker: the same result as in-process, several requests answered each with its own', async () => {
    const scanner = ReferenceScanner.forExtension(ROOT);
    try {
      const [one, two] = await Promise.all([
        scanner.scan({ text: '![a](a.png) ![b](b.png)', language: 'markdown', documentDir: dir, roots: [dir] }),
        scanner.scan({ text: '{"img_key": "a.png"}', language: 'json', documentDir: dir, roots: [] }),
      ]);
      assert.deepStrictEqual(one.local.map((l) => [l.reference.ref, l.image, l.outside]), [['a.png', path.join(dir, 'a.png'), false]]);
      assert.deepStrictEqual(one.notLocal.map((n) => [n.reference.ref, n.reason]), [['b.png', 'missing']]);
      assert.deepStrictEqual(two.local.map((l) => l.reference.range), [{ start: 13, end: 18 }]);
    } finally {
      scanner.dispose();
    }
  });

  test('a worker that dies fails the scans waiting on it, and the next scan starts a new one', async () => {
    const dying = path.join(dir, 'dying-worker.js');
    // answers nothing and exits once it got the first request
    fs.writeFileSync(dying, "require('worker_threads').parentPort.on('message', () => process.exit(3));");
    const scanner = new ReferenceScanner(dying);
    try {
      await assert.rejects(scanner.scan({ text: '', language: 'md', documentDir: dir, roots: [] }), /stopped \(exit 3\)/);
      await assert.rejects(scanner.scan({ text: '', language: 'md', documentDir: dir, roots: [] }), /stopped \(exit 3\)/);
    } finally {
      scanner.dispose();
    }
  });

  test('dispose fails pending scans and refuses new ones', async () => {
    const scanner = ReferenceScanner.forExtension(ROOT);
    const pending = scanner.scan({ text: '![a](a.png)'.repeat(1000), language: 'md', documentDir: dir, roots: [] });
    scanner.dispose();
    await assert.rejects(pending, /disposed/);
    await assert.rejects(scanner.scan({ text: '', language: 'md', documentDir: dir, roots: [] }), /disposed/);
  });
});
