import * as assert from 'assert';
import {
  ERROR_CATALOG,
  ErrorAction,
  README_ERRORS_URL,
  UploadError,
  describeError,
  downloadFailureText,
  hintFor,
  problemText,
  tokenRejectedText,
  isRetryable,
  isTokenError,
  redact,
} from '../../src/core/larkErrors';
import { LocalCode } from '../../src/core/types';
import { validateImageBytes } from '../../src/core/validate';

// Hard-coded from the shared Lark docs upload-image-api.md and api-facts.md (not from the catalog).
const UPLOAD_CODES = [232096, 234001, 234002, 234006, 234007, 234010, 234011, 234039, 234041, 234042];
const DOWNLOAD_CODES = [234005, 234008];
const GATEWAY_CODES = [
  99991661, 99991663, 99991664, 99991665, 99991671, 99991668, 99991677, 99991672, 99991676, 99991679, 99991400, 99991401,
  99991403, 99991662, 99991673,
];
const AUTH_CODES = [10003, 10014, 10015];
const LOCAL_CODES = [9001, 9002, 9003, 9101, 9102, 9103, 9104, 9105, 9106, 9107, 9108];
const ALL_CODES = [...UPLOAD_CODES, ...DOWNLOAD_CODES, ...GATEWAY_CODES, ...AUTH_CODES, ...LOCAL_CODES];

const VALID_ACTIONS: ErrorAction[] = [
  'retry-later',
  'fix-file',
  'use-file-api',
  'check-credentials',
  'sign-in-again',
  'enable-bot',
  'grant-scope',
  'check-ip-allowlist',
  'contact-admin',
  'contact-support',
  'check-network',
  'check-settings',
  'none',
];
const CJK = /[\u4e00-\u9fff]/;

suite('larkErrors: catalog', () => {
  test('every documented code is present', () => {
    const missing = ALL_CODES.filter((c) => !ERROR_CATALOG.has(c));
    assert.deepStrictEqual(missing, []);
  });

  test('every LocalCode from types.ts is present and categorised local', () => {
    for (const code of Object.values(LocalCode)) {
      const info = ERROR_CATALOG.get(code);
      assert.ok(info, `missing local code ${code}`);
      assert.strictEqual(info.category, 'local');
      assert.strictEqual(info.docUrl, README_ERRORS_URL);
    }
    assert.deepStrictEqual([...Object.values(LocalCode)].sort(), [...LOCAL_CODES].sort());
  });

  test('catalog holds exactly the expected codes', () => {
    assert.deepStrictEqual([...ERROR_CATALOG.keys()].sort((a, b) => a - b), [...ALL_CODES].sort((a, b) => a - b));
  });

  test('categories match the documents', () => {
    const expect = (codes: number[], cat: string) => {
      for (const c of codes) assert.strictEqual(ERROR_CATALOG.get(c)?.category, cat, `code ${c}`);
    };
    expect(UPLOAD_CODES, 'upload');
    expect(DOWNLOAD_CODES, 'download');
    expect(GATEWAY_CODES, 'gateway');
    expect(AUTH_CODES, 'auth');
    expect(LOCAL_CODES, 'local');
  });

  test('every entry is complete: title, en/zh hints, https docUrl (README section for local codes), valid action', () => {
    for (const [code, info] of ERROR_CATALOG) {
      assert.strictEqual(info.code, code);
      assert.ok(info.title.trim().length > 0, `title of ${code}`);
      assert.ok(info.hint.en.trim().length > 0, `en hint of ${code}`);
      assert.ok(!CJK.test(info.hint.en), `en hint of ${code} should be English`);
      assert.ok(info.hint.zhCn.trim().length > 0, `zh hint of ${code}`);
      assert.ok(CJK.test(info.hint.zhCn), `zh hint of ${code} has Chinese characters`);
      assert.ok(!info.hint.en.includes('\n') && !info.hint.zhCn.includes('\n'), `one-line hints for ${code}`);
      if (info.category === 'local') assert.strictEqual(info.docUrl, README_ERRORS_URL, `docUrl of ${code}`);
      else assert.match(info.docUrl, /^https:\/\/\S+$/, `docUrl of ${code}`);
      assert.ok(VALID_ACTIONS.includes(info.action), `action of ${code}: ${info.action}`);
    }
  });

  test('exactly these codes are retryable: 232096, 99991400 and the network-level 9101, 9102, 9103', () => {
    const retryable = [...ERROR_CATALOG.values()].filter((i) => i.retryable).map((i) => i.code).sort((a, b) => a - b);
    assert.deepStrictEqual(retryable, [9101, 9102, 9103, 232096, 99991400]);
  });

  test('doc links: upload codes -> upload doc, 234007 -> bot ability, 99991400 -> rate limit', () => {
    const uploadDoc = ERROR_CATALOG.get(234001)!.docUrl;
    assert.match(uploadDoc, /^https:\/\/open\.larksuite\.com\/.*im-v1\/image\/create$/);
    for (const c of UPLOAD_CODES.filter((c) => c !== 234007)) assert.strictEqual(ERROR_CATALOG.get(c)!.docUrl, uploadDoc);
    assert.match(ERROR_CATALOG.get(234007)!.docUrl, /how-to-enable-bot-ability$/);
    assert.strictEqual(ERROR_CATALOG.get(99991400)!.docUrl, 'https://open.larksuite.com/document/ukTMukTMukTM/uUzN04SN3QjL1cDN');
    assert.strictEqual(
      ERROR_CATALOG.get(99991663)!.docUrl,
      'https://open.larksuite.com/document/server-docs/getting-started/server-error-codes',
    );
  });

  test('documented HTTP statuses', () => {
    assert.strictEqual(ERROR_CATALOG.get(234002)!.httpStatus, 401);
    assert.strictEqual(ERROR_CATALOG.get(234039)!.httpStatus, 400);
    assert.strictEqual(ERROR_CATALOG.get(232096)!.httpStatus, 400);
    assert.strictEqual(ERROR_CATALOG.get(99991400)!.httpStatus, 429);
  });

  test('actions for the notable codes', () => {
    assert.strictEqual(describeError(234007).action, 'enable-bot');
    assert.strictEqual(describeError(234039).action, 'use-file-api');
    assert.strictEqual(describeError(99991672).action, 'grant-scope');
    assert.strictEqual(describeError(99991401).action, 'check-ip-allowlist');
    assert.strictEqual(describeError(99991400).action, 'retry-later');
    assert.strictEqual(describeError(10015).action, 'check-credentials');
    assert.strictEqual(describeError(9101).action, 'check-network');
    assert.strictEqual(describeError(234006).action, 'fix-file');
  });

  test('entries are frozen', () => {
    const info = ERROR_CATALOG.get(234039)!;
    assert.ok(Object.isFrozen(info));
    assert.ok(Object.isFrozen(info.hint));
  });
});

suite('larkErrors: classification', () => {
  test('retryable classification', () => {
    const expected: Array<[number, boolean]> = [
      [232096, true],
      [99991400, true],
      [234007, false],
      [234039, false],
      [234006, false],
      [99991401, false],
      [10015, false],
      [9101, true],
      [9102, true],
      [9104, false],
      [9001, false],
    ];
    for (const [code, retry] of expected) {
      assert.strictEqual(isRetryable(code), retry, `isRetryable(${code})`);
      assert.strictEqual(describeError(code).retryable, retry, `describeError(${code}).retryable`);
    }
  });

  test('isTokenError: exactly 99991663, 99991664, 99991671', () => {
    assert.ok(isTokenError(99991663));
    assert.ok(isTokenError(99991664));
    assert.ok(isTokenError(99991671));
    for (const c of [99991661, 99991668, 99991677, 99991672, 99991400, 10015, 234002, 9101, 0]) {
      assert.ok(!isTokenError(c), `not a token error: ${c}`);
    }
  });

  test('unknown codes get a generic entry', () => {
    const info = describeError(1234567);
    assert.strictEqual(info.code, 1234567);
    assert.strictEqual(info.title, 'Lark error 1234567');
    assert.strictEqual(info.retryable, false);
    assert.strictEqual(info.action, 'contact-support');
    assert.ok(info.hint.en.length > 0);
    assert.match(info.hint.zhCn, CJK);
    assert.match(info.docUrl, /^https:\/\//);
    assert.strictEqual(isRetryable(1234567), false);
    assert.strictEqual(isTokenError(1234567), false);
    assert.ok(!ERROR_CATALOG.has(1234567), 'describeError must not add to the catalog');
  });

  test('hintFor picks the language from the locale', () => {
    const info = describeError(234039);
    for (const loc of ['zh-cn', 'zh-CN', 'zh', 'ZH-CN', 'zh_CN']) assert.strictEqual(hintFor(234039, loc), info.hint.zhCn, loc);
    for (const loc of ['en', 'en-US', 'de', 'ja', '', 'zhx']) assert.strictEqual(hintFor(234039, loc), info.hint.en, loc);
    assert.match(hintFor(7777777, 'zh-cn'), CJK);
    assert.ok(!CJK.test(hintFor(7777777, 'en')));
  });
});

suite('larkErrors: UploadError', () => {
  test('carries code, extras, info and retryable', () => {
    const cause = new Error('inner');
    const e = new UploadError(99991400, 'Upload image: too many requests', {
      logId: '20240101ABCDEF',
      httpStatus: 429,
      retryAfterMs: 2000,
      troubleshooter: 'https://open.larksuite.com/search?log_id=x',
      permissionViolations: [{ subject: 'im:resource' }],
      cause,
    });
    assert.ok(e instanceof Error);
    assert.ok(e instanceof UploadError);
    assert.strictEqual(e.name, 'UploadError');
    assert.strictEqual(e.code, 99991400);
    assert.strictEqual(e.message, 'Upload image: too many requests');
    assert.strictEqual(e.logId, '20240101ABCDEF');
    assert.strictEqual(e.httpStatus, 429);
    assert.strictEqual(e.retryAfterMs, 2000);
    assert.strictEqual(e.troubleshooter, 'https://open.larksuite.com/search?log_id=x');
    assert.deepStrictEqual(e.permissionViolations, [{ subject: 'im:resource' }]);
    assert.strictEqual(e.cause, cause);
    assert.strictEqual(e.info, ERROR_CATALOG.get(99991400));
    assert.strictEqual(e.retryable, true);
  });

  test('toJSON gives code, message and logId only', () => {
    const e = new UploadError(234039, 'Image resolution exceeds limit.', { logId: 'LOG1', httpStatus: 400 });
    assert.deepStrictEqual(e.toJSON(), { code: 234039, message: 'Image resolution exceeds limit.', logId: 'LOG1' });
    assert.deepStrictEqual(JSON.parse(JSON.stringify(e)), { code: 234039, message: 'Image resolution exceeds limit.', logId: 'LOG1' });
    const noLog = new UploadError(LocalCode.FileNotFound, 'No such file: a.png');
    assert.deepStrictEqual(noLog.toJSON(), { code: 9001, message: 'No such file: a.png' });
    assert.ok(!('logId' in noLog.toJSON()));
    assert.strictEqual(noLog.retryable, false);
    assert.strictEqual(noLog.info.category, 'local');
  });

  test('unknown codes: generic info; retryable only on HTTP 429/5xx', () => {
    const e = new UploadError(555555, 'odd');
    assert.strictEqual(e.info.title, 'Lark error 555555');
    assert.strictEqual(e.retryable, false);
    assert.strictEqual(new UploadError(555555, 'odd', { httpStatus: 503 }).retryable, true);
    assert.strictEqual(new UploadError(555555, 'odd', { httpStatus: 429 }).retryable, true);
    assert.strictEqual(new UploadError(555555, 'odd', { httpStatus: 400 }).retryable, false);
    // The catalog wins for known codes.
    assert.strictEqual(new UploadError(234039, 'x', { httpStatus: 503 }).retryable, false);
  });

  test('message is scrubbed of token-looking strings', () => {
    const e = new UploadError(99991663, 'Invalid access token: t-7f1bcd13fc57d46bac21793a18e560 (Bearer abc.def-123)');
    assert.ok(!e.message.includes('t-7f1bcd13fc57d46bac21793a18e560'));
    assert.ok(!e.message.includes('abc.def-123'));
    assert.ok(e.message.startsWith('Invalid access token: '));
  });
});

suite('larkErrors: redact', () => {
  const secret = 'S3cr3tAppSecretValue';

  test('removes given secrets everywhere', () => {
    const out = redact(`secret=${secret}; again ${secret}!`, [secret]);
    assert.ok(!out.includes(secret));
    assert.strictEqual(out, 'secret=***; again ***!');
  });

  test('treats secrets literally (regex characters) and ignores empty ones', () => {
    assert.strictEqual(redact('pw is a.b*c(d) ok', ['a.b*c(d)', '']), 'pw is *** ok');
    assert.strictEqual(redact('nothing here', ['']), 'nothing here');
  });

  test('removes bearer tokens', () => {
    const out = redact('Authorization: Bearer t-39eec8560faa3dded7971873eb649fd40e70e0f1', []);
    assert.ok(!out.includes('39eec8560faa3dded7971873eb649fd40e70e0f1'));
    assert.match(out, /Bearer \*\*\*/);
    const jwt = redact('header "Bearer eyJhbGciOi.J9eyJzdWIi.abc" sent', []);
    assert.ok(!jwt.includes('eyJhbGciOi'));
  });

  test('removes t- and u- tokens', () => {
    const out = redact('token t-ddf4732fda4aa8a8b1639ee42e8477001d8d5f7c and u-ABCDEFGHijklmnop_1234-xyz expired', []);
    assert.strictEqual(out, 'token *** and *** expired');
  });

  test('removes token/secret values in JSON bodies', () => {
    const out = redact('{"app_id":"cli_a1b2","app_secret":"zzzzzzzz","tenant_access_token":"t-abcdefghijklmnopqrstuvwxyz"}', []);
    assert.ok(!out.includes('zzzzzzzz'));
    assert.ok(!out.includes('abcdefghijklmnopqrstuvwxyz'));
    assert.ok(out.includes('"app_id":"cli_a1b2"'));
  });

  test('leaves normal text alone', () => {
    const texts = [
      'Image resolution exceeds limit. (log_id 2024010112345678ABCDEF)',
      'Uploaded img_v2_0b1c2d3e-4f56-7890-abcd-ef1234567890 as message',
      'a t-shirt and a u-turn; see https://open.larksuite.com/document/ukTMukTMukTM/uUzN04SN3QjL1cDN',
      '图片分辨率超出限制，请缩小图片。',
    ];
    for (const t of texts) assert.strictEqual(redact(t, [secret]), t);
  });

  test('is idempotent', () => {
    const once = redact(`Bearer t-ddf4732fda4aa8a8b1639ee42e8477001d8d5f7c ${secret}`, [secret]);
    assert.strictEqual(redact(once, [secret]), once);
  });
});

suite('larkErrors: wording a new user reads', () => {
  /** Real validation messages of bad files, as the Problems panel gets them. */
  function validationFailure(bytes: Uint8Array, imageType: 'message' | 'avatar' = 'message'): { code: number; message: string } {
    const v = validateImageBytes(bytes, imageType);
    assert.ok(!v.ok, 'the input is refused');
    return { code: v.code, message: v.message };
  }
  const gifHeader = (w: number, h: number): Uint8Array => {
    const b = Buffer.alloc(32);
    b.write('GIF89a', 0, 'latin1');
    b.writeUInt16LE(w, 6);
    b.writeUInt16LE(h, 8);
    return b;
  };
  const occurrences = (text: string, re: RegExp): number => [...text.matchAll(new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g'))].length;

  test('a Problems line says the reason once, then what to do', () => {
    const notAnImage = validationFailure(Buffer.from('just some text, not an image at all'));
    const line = problemText(notAnImage.code, notAnImage.message, 'en');
    assert.strictEqual(notAnImage.code, 234011);
    assert.strictEqual(occurrences(line, /recogni[sz]e/i), 1, line);
    assert.strictEqual(occurrences(line, /JPEG/), 1, line);
    assert.ok(line.startsWith(notAnImage.message), line);
    assert.ok(line.endsWith(describeError(234011).hint.en), line);

    const bigGif = validationFailure(gifHeader(2500, 2500));
    const gifLine = problemText(bigGif.code, bigGif.message, 'en');
    assert.strictEqual(bigGif.code, 234039);
    assert.strictEqual(occurrences(gifLine, /2000×2000/), 1, gifLine);

    const empty = validationFailure(new Uint8Array(0));
    assert.strictEqual(occurrences(problemText(empty.code, empty.message, 'en'), /\b(0 bytes|empty)\b/gi), 2, 'the message says it once (empty, 0 bytes); the hint not again');

    // no message: the catalog title is the reason
    assert.strictEqual(problemText(10015, '  ', 'en'), `Wrong App Secret — ${describeError(10015).hint.en}`);
    assert.strictEqual(problemText(10015, 'app secret invalid', 'zh-cn'), `app secret invalid — ${describeError(10015).hint.zhCn}`);
  });

  test('one spelling in every catalog text: recognized, WebP, 2000×2000', () => {
    for (const info of ERROR_CATALOG.values()) {
      for (const text of [info.title, info.hint.en, info.hint.zhCn]) {
        assert.ok(!/recognis/i.test(text), `${info.code}: "${text}" (recognized, not recognised)`);
        assert.ok(!/WEBP|Webp/.test(text), `${info.code}: "${text}" (WebP)`);
        assert.ok(!/\d\s*[xX*]\s*\d/.test(text), `${info.code}: "${text}" (2000×2000)`);
      }
    }
    for (const bytes of [Buffer.from('text'), gifHeader(2500, 2500), new Uint8Array(0)]) {
      const { message } = validationFailure(bytes);
      assert.ok(!/recognis|WEBP|\d[xX]\d/.test(message), message);
    }
  });

  test('a failed download says in words what 234001 and 234008 mean there', () => {
    assert.match(downloadFailureText(234001, 'en'), /^Lark does not know this image_key \(234001\)\. Check that the key was copied whole/);
    assert.ok(!/image type setting/.test(downloadFailureText(234001, 'en')), 'not the upload wording of 234001');
    assert.match(downloadFailureText(234001, 'zh-cn'), /\(234001\)\. 请检查 image_key/);
    assert.strictEqual(downloadFailureText(234008, 'en'), `App is not the uploader of this image (234008). ${describeError(234008).hint.en}`);
    assert.match(downloadFailureText(234008, 'en'), /Only the app that uploaded an image can download it/);
    assert.match(downloadFailureText(234005, 'en'), /deleted/);
  });

  test('the rejected static token text, in both languages', () => {
    assert.match(tokenRejectedText('en'), /^Lark rejected the tenant access token: .*Set a new one/);
    assert.match(tokenRejectedText('zh-CN'), /Lark 拒绝了该 tenant_access_token/);
  });
});
