// Security at the unit level, grep-style:
//   - the CLI's stdout/stderr never carry the App Secret or a token (nor their base64 / URL-encoded
//     / JSON-escaped forms), on success and on every kind of failure, even when a hostile or
//     buggy server echoes them back in msg, log_id or X-Tt-Logid;
//   - errors and results of the client never carry its own credentials;
//   - redact() on the shapes secrets take in text;
//   - an http:// base URL that is not loopback is refused before any socket or DNS lookup;
//   - a redirect (another port, another host name for the same machine) never receives the
//     Authorization header or the App Secret: for uploads, the token request and downloadImage.
import * as assert from 'assert';
import dns = require('dns'); // the module object itself (a namespace import is read-only)
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as util from 'util';
import type { AddressInfo } from 'net';
import sharp from 'sharp';
import { LarkClient } from '../../src/core/larkClient';
import { UploadError, redact } from '../../src/core/larkErrors';
import { LocalCode } from '../../src/core/types';
import { main as cliMain } from '../../src/cli';
import { startLarkServer, type LarkServer } from '../larkServer/server';
import { runCli } from '../support/runCli';

const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';
const IMAGES_PATH = '/open-apis/im/v1/images';

/** A secret with characters that change under base64, URL and JSON encoding. */
const APP_ID = 'cli_secrets0000001';
const APP_SECRET = 'Sx9+/q=&?%~ "quoted" \\ secret-0042';
const WRONG_SECRET = 'wr0ng+/Secret=&?% value';

/** Every form a secret could take in text. */
export function secretForms(secret: string): string[] {
  const b = Buffer.from(secret, 'utf8');
  return [
    ...new Set([
      secret,
      b.toString('base64'),
      b.toString('base64').replace(/=+$/, ''),
      b.toString('base64url'),
      encodeURIComponent(secret),
      encodeURIComponent(secret).replace(/%20/g, '+'),
      escape(secret),
      JSON.stringify(secret).slice(1, -1),
      JSON.stringify(JSON.stringify(secret)).slice(1, -1),
    ]),
  ].filter((f) => f.length >= 8);
}

/** Tokens the stand-in server issues: "t-" + 40 hex. */
const ISSUED_TOKEN = /\bt-[0-9a-f]{40}\b/;

function assertClean(text: string, secrets: string[], where: string): void {
  for (const s of secrets) {
    for (const form of secretForms(s)) assert.ok(!text.includes(form), `${where}: a secret (as ${JSON.stringify(form)}) is in the text:\n${text.slice(0, 3000)}`);
  }
  assert.ok(!ISSUED_TOKEN.test(text), `${where}: an issued tenant token is in the text:\n${text.slice(0, 3000)}`);
  assert.ok(!/Bearer\s+(?!\*\*\*)\S/.test(text), `${where}: an Authorization value is in the text`);
}

async function listen(server: http.Server, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((r) => server.listen(0, host, r));
  return (server.address() as AddressInfo).port;
}
const closeServer = (s: http.Server) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())));

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.setEncoding('latin1');
    req.on('data', (d) => (body += d));
    req.on('end', () => resolve(body));
    req.on('error', () => resolve(body));
  });
}

/**
 * A hostile / buggy Lark: echoes what it was sent. The token API answers 10015 with the secret in
 * msg, error.log_id, troubleshooter and X-Tt-Logid ('token' mode), or issues a token and then
 * answers uploads with the Authorization value echoed the same way ('upload' mode), or accepts
 * the upload with the token as its log id ('ok' mode).
 */
async function startEchoServer(mode: 'token' | 'upload' | 'ok'): Promise<{ url: string; close: () => Promise<void>; token: string }> {
  const token = 't-' + 'e'.repeat(8) + Date.now().toString(16).padStart(32, '0');
  const server = http.createServer(async (req, res) => {
    const body = await readBody(req);
    const send = (status: number, json: unknown, logId: string): void => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'X-Tt-Logid': encodeURIComponent(logId) });
      res.end(JSON.stringify(json));
    };
    if (req.url === TOKEN_PATH) {
      let secret = '';
      try {
        secret = String((JSON.parse(Buffer.from(body, 'latin1').toString('utf8')) as { app_secret?: string }).app_secret ?? '');
      } catch {
        /* empty */
      }
      if (mode === 'token') {
        const echoed = `${secret} / ${encodeURIComponent(secret)} / ${Buffer.from(secret).toString('base64')}`;
        return send(200, { code: 10015, msg: `app secret invalid: ${echoed}`, error: { log_id: secret, troubleshooter: `https://open.larksuite.com/search?q=${encodeURIComponent(secret)}` } }, secret);
      }
      return send(200, { code: 0, msg: 'ok', tenant_access_token: token, expire: 7200 }, 'log-token-ok');
    }
    const auth = req.headers.authorization ?? '';
    const bare = auth.replace(/^Bearer\s+/i, '');
    if (mode === 'ok') return send(200, { code: 0, msg: 'success', data: { image_key: 'img_v2_echo' } }, bare);
    return send(400, { code: 234001, msg: `Invalid request param. You sent Authorization: ${auth} (${bare}, ${Buffer.from(bare).toString('base64')})`, error: { log_id: bare, troubleshooter: `https://x.example/?t=${bare}` } }, bare);
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, close: () => closeServer(server), token };
}

let tmp: string;
let png: string;

suiteSetup(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-secrets-'));
  png = path.join(tmp, 'a.png');
  await sharp({ create: { width: 20, height: 10, channels: 3, background: '#123456' } }).png().toFile(png);
  fs.writeFileSync(path.join(tmp, 'b.png'), Buffer.concat([fs.readFileSync(png), Buffer.from('#b')]));
  fs.writeFileSync(path.join(tmp, 'bad.png'), 'not an image');
});
suiteTeardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

suite('secrets: CLI output never carries a secret or a token', function () {
  this.timeout(30000);
  let server: LarkServer;
  setup(async () => {
    server = await startLarkServer({ apps: [{ appId: APP_ID, appSecret: APP_SECRET }] });
  });
  teardown(() => server.close());

  const files = () => [png, path.join(tmp, 'b.png'), path.join(tmp, 'bad.png')];
  const appEnv = () => ({ LARK_APP_ID: APP_ID, LARK_APP_SECRET: APP_SECRET });

  interface CliCase {
    name: string;
    arrange?: (s: LarkServer) => { env?: Record<string, string>; args?: string[]; secrets?: string[] } | void;
    exit: number;
    /** codes expected on the JSON lines (in file order), when files are given */
    codes?: (number | 'ok')[];
  }

  const CASES: CliCase[] = [
    { name: 'success (and a validation failure)', exit: 1, codes: ['ok', 'ok', 234011] },
    { name: 'wrong App Secret (10015)', arrange: () => ({ env: { LARK_APP_ID: APP_ID, LARK_APP_SECRET: WRONG_SECRET }, secrets: [WRONG_SECRET] }), exit: 1, codes: [10015, 10015, 234011] },
    { name: 'unknown App ID (10014)', arrange: () => ({ env: { LARK_APP_ID: 'cli_unknown', LARK_APP_SECRET: APP_SECRET } }), exit: 1, codes: [10014, 10014, 234011] },
    {
      name: 'static token accepted',
      arrange: (s) => {
        const token = s.issueStaticToken();
        return { env: { LARK_TENANT_ACCESS_TOKEN: token }, secrets: [token] };
      },
      exit: 1,
      codes: ['ok', 'ok', 234011],
    },
    {
      name: 'static token rejected (99991663)',
      arrange: (s) => {
        const token = s.issueStaticToken();
        s.invalidateAllTokens();
        return { env: { LARK_TENANT_ACCESS_TOKEN: token }, secrets: [token] };
      },
      exit: 1,
      codes: [99991663, 99991663, 234011],
    },
    { name: 'transient faults retried (5xx, HTML 502, reset, 232096)', arrange: (s) => s.injectFaults({ kind: 'http5xx' }, { kind: 'html502' }, { kind: 'reset' }, { kind: 'code', code: 232096 }), exit: 1, codes: ['ok', 'ok', 234011] },
    { name: 'token invalidated mid-batch', arrange: (s) => s.injectFaults({ kind: 'code', code: 99991663 }), exit: 1, codes: ['ok', 'ok', 234011] },
    { name: 'bot disabled (234007)', arrange: (s) => s.setBotEnabled(APP_ID, false), exit: 1, codes: [234007, 234007, 234011] },
    { name: 'missing scope (99991672)', arrange: (s) => s.setScopes(APP_ID, []), exit: 1, codes: [99991672, 99991672, 234011] },
    { name: 'usage error: http:// base URL refused', arrange: () => ({ args: ['--base-url', 'http://example.invalid'] }), exit: 2 },
    { name: 'usage error: base URL with user info', arrange: () => ({ args: ['--base-url', `https://${APP_ID}:${encodeURIComponent(APP_SECRET)}@open.larksuite.com`] }), exit: 2 },
    { name: 'usage error: unknown option', arrange: () => ({ args: ['--secret', APP_SECRET] }), exit: 2 },
  ];

  for (const c of CASES) {
    test(c.name, async () => {
      const extra = c.arrange?.(server) ?? {};
      const env = extra.env ?? appEnv();
      const run = await runCli([...(extra.args ?? ['--base-url', server.baseUrl]), ...(c.exit === 2 ? [png] : files())], env);
      assert.strictEqual(run.code, c.exit, run.stderr);
      if (c.codes) {
        const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { ok: boolean; code?: number });
        assert.deepStrictEqual(lines.map((l) => (l.ok ? 'ok' : l.code)), c.codes);
      }
      assertClean(run.stdout + '\n' + run.stderr, [APP_SECRET, WRONG_SECRET, ...(extra.secrets ?? [])], c.name);
    });
  }

  test('connection refused (9101) and a redirecting server (9106)', async () => {
    const dead = `http://127.0.0.1:${server.port}`;
    await server.close();
    const refused = await runCli(['--base-url', dead, png], appEnv());
    assert.strictEqual(refused.code, 1);
    assert.match(refused.stdout, /"code":9101/);
    assertClean(refused.stdout + refused.stderr, [APP_SECRET], 'refused');
    const redirector = http.createServer((req, res) => {
      req.resume();
      res.writeHead(307, { Location: `http://localhost:9${req.url}?app_secret=${encodeURIComponent(APP_SECRET)}` });
      res.end();
    });
    const port = await listen(redirector);
    try {
      const run = await runCli(['--base-url', `http://127.0.0.1:${port}`, png], appEnv());
      assert.strictEqual(run.code, 1);
      assert.match(run.stdout, /"code":9106/);
      assertClean(run.stdout + run.stderr, [APP_SECRET], 'redirect');
    } finally {
      await closeServer(redirector);
    }
  });

  // Regression: a server that echoes the App Secret / token into error.log_id, X-Tt-Logid or an
  // encoded msg must not get it printed on stdout (nor, in the extension, into diagnostics and
  // history). LarkClient redacts every server-provided text with its own credentials, and
  // redact() also masks the encoded forms of each given secret.
  for (const mode of ['token', 'upload'] as const) {
    test(`a server echoing the ${mode === 'token' ? 'App Secret' : 'token'} back (msg, log_id, X-Tt-Logid) cannot make the CLI print it`, async () => {
      const echo = await startEchoServer(mode);
      try {
        const run = await runCli(['--base-url', echo.url, png], appEnv());
        assert.strictEqual(run.code, 1);
        assert.match(run.stdout, mode === 'token' ? /"code":10015/ : /"code":234001/);
        assertClean(run.stdout + '\n' + run.stderr, [APP_SECRET, echo.token], `echo ${mode}`);
      } finally {
        await echo.close();
      }
    });
  }
});

suite('secrets: client errors and results never carry its own credentials', () => {
  // Regression, at the source: UploadError.message / logId / troubleshooter and
  // UploadResult.logId never carry server text that contains the client's own credentials.
  for (const mode of ['token', 'upload', 'ok'] as const) {
    test(`echo server (${mode}): nothing the client returns or throws contains the secret or token`, async () => {
      const echo = await startEchoServer(mode);
      try {
        const client = new LarkClient({ baseUrl: echo.url, credentials: { kind: 'app', appId: APP_ID, appSecret: APP_SECRET } });
        let text: string;
        try {
          const r = await client.uploadImage({ kind: 'file', path: png, mime: 'image/png' }, 'message');
          text = JSON.stringify(r) + util.inspect(r);
        } catch (e) {
          assert.ok(e instanceof UploadError, String(e));
          text = [e.message, e.logId, e.troubleshooter, JSON.stringify(e), String(e), util.inspect(e, { depth: 4 })].join('\n');
        }
        assertClean(text, [APP_SECRET, echo.token], `client, echo ${mode}`);
      } finally {
        await echo.close();
      }
    });
  }

  test('errors against the real stand-in server: wrong secret, rejected static token, faults', async () => {
    const server = await startLarkServer({ apps: [{ appId: APP_ID, appSecret: APP_SECRET }] });
    try {
      const texts: string[] = [];
      const codes: (number | 'ok')[] = [];
      const grab = async (p: Promise<unknown>): Promise<void> => {
        try {
          texts.push(JSON.stringify(await p));
          codes.push('ok');
        } catch (e) {
          const err = e as UploadError;
          texts.push([err.message, err.logId, err.troubleshooter, util.inspect(err, { depth: 4 })].join('\n'));
          codes.push(err.code);
        }
      };
      await grab(new LarkClient({ baseUrl: server.baseUrl, credentials: { kind: 'app', appId: APP_ID, appSecret: WRONG_SECRET } }).testConnection());
      const token = server.issueStaticToken(APP_ID);
      server.invalidateAllTokens();
      await grab(new LarkClient({ baseUrl: server.baseUrl, credentials: { kind: 'token', token } }).uploadImage({ kind: 'file', path: png, mime: 'image/png' }, 'message'));
      // 2 s: only the held answer may time out, never an ordinary one (at most 0.3 s measured on
      // the 2-core machine under two busy loops; 300 ms here made ordinary answers time out)
      const client = new LarkClient({ baseUrl: server.baseUrl, credentials: { kind: 'app', appId: APP_ID, appSecret: APP_SECRET }, timeoutMs: 2000 });
      for (const f of [{ kind: 'http5xx' }, { kind: 'html502' }, { kind: 'reset' }, { kind: 'slow', delayMs: 600_000 }, { kind: 'code', code: 234007 }] as const) {
        server.injectFaults(f);
        await grab(client.uploadImage({ kind: 'file', path: png, mime: 'image/png' }, 'message'));
      }
      // each kind of failure really happened (a timeout in place of another error would hide it)
      assert.deepStrictEqual(codes, [10015, 99991663, LocalCode.BadResponse, LocalCode.BadResponse, LocalCode.NetworkError, LocalCode.Timeout, 234007]);
      assertClean(texts.join('\n'), [APP_SECRET, WRONG_SECRET, token], 'client errors');
    } finally {
      await server.close();
    }
  });
});

suite('secrets: redact and UploadError', () => {
  const token = 't-g1044ab3c6b9e1f9d8e7c6b5a4f3e2d1c0b9a8f7';
  test('UploadError scrubs token shapes from any message it is given', () => {
    const samples = [
      `Authorization: Bearer ${token}`,
      `authorization: bearer ${token}\nnext line`,
      `{"tenant_access_token" : "${token}", "expire": 7200}`,
      `{"app_secret":"${APP_SECRET.replace(/["\\]/g, '')}"}`,
      `POST /x?app_access_token=${token}&b=1`,
      `token ${token}.`,
      `u-${'a'.repeat(30)} used`,
    ];
    for (const s of samples) {
      const e = new UploadError(234001, s, { logId: 'log' });
      assert.ok(!e.message.includes(token) && !/u-a{30}/.test(e.message), e.message);
      assert.ok(!JSON.stringify(e).includes(token));
    }
  });

  test('redact masks every given secret wherever it appears, longest first', () => {
    const text = `a=${APP_SECRET}; b=${APP_SECRET}x; c=${WRONG_SECRET}`;
    const out = redact(text, [APP_SECRET.slice(0, 6), APP_SECRET, WRONG_SECRET]);
    assertClean(out, [APP_SECRET, WRONG_SECRET], 'redact');
    assert.ok(!out.includes(APP_SECRET.slice(0, 6)));
  });

  // Regression: redact(text, [secret]) also masks the URL-encoded and base64 forms of the secret.
  test('redact also masks the encoded forms of a given secret (URL, base64, JSON-escaped)', () => {
    const text = [encodeURIComponent(APP_SECRET), Buffer.from(APP_SECRET).toString('base64'), JSON.stringify(APP_SECRET)].join(' | ');
    assertClean(redact(text, [APP_SECRET]), [APP_SECRET], 'redact encoded');
  });
});

suite('secrets: http:// to a non-loopback host is refused before any socket or DNS lookup', () => {
  const REFUSED = ['http://example.invalid', 'http://open.larksuite.com', 'http://10.0.0.1:8080', 'http://127.0.0.1.nip.io', 'http://localhost.evil.example', 'http://0.0.0.0:80', 'http://[::ffff:10.0.0.1]', 'ftp://open.larksuite.com'];

  test('the CLI main(): exit 2 with a message, no connect(), no DNS lookup, no output on stdout', async () => {
    let connects = 0;
    let lookups = 0;
    const realConnect = net.Socket.prototype.connect;
    const realLookup = dns.lookup;
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
      connects++;
      return (realConnect as (...a: unknown[]) => net.Socket).apply(this, args);
    } as typeof realConnect;
    (dns as { lookup: unknown }).lookup = (...args: unknown[]) => {
      lookups++;
      return (realLookup as (...a: unknown[]) => unknown)(...args);
    };
    try {
      // control: the instrumentation sees a connection when one is made (a closed loopback port)
      const closed = http.createServer();
      const closedPort = await listen(closed);
      await closeServer(closed);
      const control = await cliMain(['--base-url', `http://127.0.0.1:${closedPort}`, png], { stdout: () => undefined, stderr: () => undefined, env: { LARK_APP_ID: APP_ID, LARK_APP_SECRET: APP_SECRET } });
      assert.strictEqual(control, 1);
      assert.ok(connects > 0, 'the connect() counter works');
      connects = 0;
      lookups = 0;
      for (const url of REFUSED) {
        for (const how of ['flag', 'env'] as const) {
          const out: string[] = [];
          const err: string[] = [];
          const env = { LARK_APP_ID: APP_ID, LARK_APP_SECRET: APP_SECRET, ...(how === 'env' ? { LARK_BASE_URL: url } : {}) };
          const rc = await cliMain([...(how === 'flag' ? ['--base-url', url] : []), png], { stdout: (l) => out.push(l), stderr: (l) => err.push(l), env });
          assert.strictEqual(rc, 2, `${url} (${how})`);
          assert.deepStrictEqual(out, []);
          assert.match(err.join('\n'), /refused|only https|not a valid URL/i, url);
          assertClean(err.join('\n'), [APP_SECRET], url);
        }
      }
    } finally {
      net.Socket.prototype.connect = realConnect;
      (dns as { lookup: unknown }).lookup = realLookup;
    }
    assert.strictEqual(connects, 0, 'a socket was opened');
    assert.strictEqual(lookups, 0, 'a DNS lookup was made');
  });

  test('the built CLI: --base-url http://example.invalid exits 2 at once', async () => {
    const run = await runCli(['--base-url', 'http://example.invalid', png], { LARK_APP_ID: APP_ID, LARK_APP_SECRET: APP_SECRET });
    assert.strictEqual(run.code, 2);
    assert.strictEqual(run.stdout, '');
    assert.match(run.stderr, /only https/);
    assert.ok(!/ENOTFOUND|EAI_AGAIN|ECONNREFUSED/.test(run.stderr), 'no network was tried');
  });

  test('LarkClient construction throws 9105 and the injected fetch is never called', () => {
    for (const url of REFUSED) {
      let calls = 0;
      assert.throws(
        () => new LarkClient({ baseUrl: url, credentials: { kind: 'app', appId: APP_ID, appSecret: APP_SECRET }, fetch: async () => (calls++, Promise.reject(new Error('no'))) }),
        (e: unknown) => e instanceof UploadError && e.code === LocalCode.InsecureBaseUrl && !e.message.includes(APP_SECRET),
        url,
      );
      assert.strictEqual(calls, 0);
    }
  });
});

suite('secrets: redirects never carry credentials to another origin', function () {
  this.timeout(20000);
  interface Seen {
    method: string;
    url: string;
    authorization?: string;
    body: string;
  }
  let target: http.Server;
  let targetPort: number;
  const seenByTarget: Seen[] = [];
  // Every socket this process opens, as host:port, recorded when connect() is called. A redirect
  // followed to another origin opens a socket to it before any answer can come back, so checking
  // this list when the call has settled needs no waiting for a request that might still arrive.
  const connects: string[] = [];
  const realConnect = net.Socket.prototype.connect;
  const connectsTo = (port: number, host?: string): string[] => connects.filter((c) => c.endsWith(`:${port}`) && (host === undefined || c.startsWith(`${host}:`)));

  suiteSetup(() => {
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
      const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
      if (first && typeof first === 'object') {
        const o = first as { host?: string; port?: number | string };
        connects.push(`${o.host ?? 'localhost'}:${o.port}`);
      } else if (typeof first === 'number' || typeof first === 'string') {
        connects.push(`${typeof args[1] === 'string' ? args[1] : 'localhost'}:${first}`);
      }
      return (realConnect as (...a: unknown[]) => net.Socket).apply(this, args);
    } as typeof realConnect;
  });
  suiteTeardown(() => {
    net.Socket.prototype.connect = realConnect;
  });

  suiteSetup(async () => {
    // the target listens on every loopback address so "localhost" reaches it too (::1 or 127.0.0.1)
    target = http.createServer(async (req, res) => {
      seenByTarget.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body: await readBody(req) });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ code: 0, msg: 'ok', tenant_access_token: 't-stolen0000000000000000', expire: 7200, data: { image_key: 'img_v2_stolen' } }));
    });
    await new Promise<void>((r) => target.listen(0, r)); // all interfaces (IPv4 and IPv6 loopback)
    targetPort = (target.address() as AddressInfo).port;
  });
  suiteTeardown(() => closeServer(target));

  type Op = 'token' | 'upload' | 'download';
  const destinations = (redirectorPort: number): [string, string][] => [
    ['another port of 127.0.0.1', `http://127.0.0.1:${targetPort}`],
    ['localhost instead of 127.0.0.1', `http://localhost:${targetPort}`],
    ['localhost, same port (same server, other origin)', `http://localhost:${redirectorPort}`],
  ];

  for (const status of [301, 302, 303, 307, 308]) {
    for (const op of ['token', 'upload', 'download'] as Op[]) {
      test(`HTTP ${status} on the ${op} request: refused (9106), nothing reaches the other origin`, async () => {
        const seenByRedirector: Seen[] = [];
        let dest = '';
        const redirector = http.createServer(async (req, res) => {
          seenByRedirector.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body: await readBody(req) });
          if (op !== 'token' && req.url === TOKEN_PATH) {
            res.writeHead(200, { 'Content-Type': 'application/json' });
            res.end(JSON.stringify({ code: 0, msg: 'ok', tenant_access_token: 't-legit00000000000000000000', expire: 7200 }));
          } else {
            res.writeHead(status, { Location: `${dest}${req.url}` });
            res.end();
          }
        });
        const port = await listen(redirector);
        try {
          for (const [label, d] of destinations(port)) {
            dest = d;
            seenByTarget.length = 0;
            seenByRedirector.length = 0;
            const client = new LarkClient({ baseUrl: `http://127.0.0.1:${port}`, credentials: { kind: 'app', appId: APP_ID, appSecret: APP_SECRET } });
            const call = op === 'token' ? client.testConnection() : op === 'upload' ? client.uploadImage({ kind: 'file', path: png, mime: 'image/png' }, 'message') : client.downloadImage('img_v2_abc');
            await assert.rejects(call, (e: unknown) => e instanceof UploadError && e.code === LocalCode.RedirectRefused && e.httpStatus === status && !e.message.includes(APP_SECRET), `${label}`);
            assert.ok(connects.length > 0 && connectsTo(port, '127.0.0.1').length > 0, 'the connect() record works');
            assert.deepStrictEqual(connectsTo(targetPort), [], `${label}: a socket was opened to the other origin`);
            assert.deepStrictEqual(connectsTo(port, 'localhost'), [], `${label}: a socket was opened to localhost`);
            assert.deepStrictEqual(seenByTarget, [], `${label}: the other origin received a request`);
            const sameServer = seenByRedirector.filter((s) => s.url !== TOKEN_PATH || op === 'token');
            assert.strictEqual(sameServer.length, 1, `${label}: the redirect was followed back to the same server`);
            const expectedPath = op === 'token' ? TOKEN_PATH : op === 'upload' ? IMAGES_PATH : `${IMAGES_PATH}/img_v2_abc`;
            assert.strictEqual(sameServer[0].url, expectedPath);
          }
        } finally {
          await closeServer(redirector);
        }
      });
    }
  }

  test('a static token on a redirected upload and download stays at home too', async () => {
    const token = 't-static00000000000000000000000000';
    const redirector = http.createServer((req, res) => {
      req.resume();
      res.writeHead(307, { Location: `http://localhost:${targetPort}${req.url}` });
      res.end();
    });
    const port = await listen(redirector);
    try {
      seenByTarget.length = 0;
      const client = new LarkClient({ baseUrl: `http://127.0.0.1:${port}`, credentials: { kind: 'token', token } });
      await assert.rejects(client.uploadImage({ kind: 'file', path: png, mime: 'image/png' }, 'message'), (e: unknown) => e instanceof UploadError && e.code === LocalCode.RedirectRefused && !e.message.includes(token));
      await assert.rejects(client.downloadImage('img_v2_x'), (e: unknown) => e instanceof UploadError && e.code === LocalCode.RedirectRefused);
      assert.deepStrictEqual(connectsTo(targetPort), [], 'a socket was opened to the other origin');
      assert.deepStrictEqual(seenByTarget, []);
    } finally {
      await closeServer(redirector);
    }
  });
});
