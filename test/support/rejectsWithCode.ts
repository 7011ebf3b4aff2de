// The assertion the client tests share: a promise rejects with an UploadError of this code.
import * as assert from 'assert';
import { UploadError } from '../../src/core/larkErrors';

/** Resolves with the UploadError when `p` rejects with `code`; fails the test otherwise. */
export async function rejectsWithCode(p: Promise<unknown>, code: number): Promise<UploadError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof UploadError, `expected UploadError, got ${String(e)}`);
    assert.strictEqual(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected code ${code}, but it resolved`);
}
