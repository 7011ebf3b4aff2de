// The CLI behind a proxy, end to end: dist/cli.js as a child process, a local CONNECT proxy
// (test/support/recordingProxy.ts) and a TLS stand-in server whose certificate a throwaway test CA
// signed (test/support/testCa.ts). The stand-in listens on 127.0.0.2: the CLI, like VS Code, never
// proxies localhost / 127.0.0.1 / ::1, and any other address follows the proxy variables.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startLarkServer, TOKEN_PATH, UPLOAD_PATH, type LarkServer } from '../larkServer/server';
import { makeTestCa, TLS_STAND_IN_HOST, type TestCa } from '../support/testCa';
import { assertOnlyTunnels as assertTunnelsOnly, startRecordingProxy, type RecordingProxy } from '../support/recordingProxy';
import { CLI, runCli, type CliRun } from '../support/runCli';

const HOST = '127.0.0.2';
/** a 1×1 PNG */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

suite('CLI behind a proxy (HTTPS_PROXY / NO_PROXY / NODE_EXTRA_CA_CERTS)', () => {
  let tmp: string;
  let ca: TestCa;
  let files: string[];
  let server: LarkServer;
  let proxy: RecordingProxy;
  let credentials: Record<string, string>;

  suiteSetup(function () {
    this.timeout(20000);
    assert.ok(fs.existsSync(CLI), 'dist/cli.js is missing: run `npm run build` first');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lark-cli-proxy-'));
    ca = makeTestCa(path.join(tmp, 'ca'), [HOST, TLS_STAND_IN_HOST]);
    files = ['a', 'b'].map((n) => {
      const f = path.join(tmp, `${n}.png`);
      fs.writeFileSync(f, Buffer.concat([PNG, Buffer.from(n)])); // distinct bytes after IEND
      return f;
    });
  });
  suiteTeardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  setup(async () => {
    server = await startLarkServer({ host: HOST, tls: { key: ca.key, cert: ca.cert } });
    proxy = await startRecordingProxy({ hosts: { [TLS_STAND_IN_HOST]: HOST } });
    credentials = { LARK_APP_ID: server.demo.appId, LARK_APP_SECRET: server.demo.appSecret };
  });
  teardown(async () => {
    await proxy.close();
    await server.close();
  });

  function assertUploaded(run: CliRun): void {
    assert.strictEqual(run.code, 0, run.stderr);
    assert.deepStrictEqual(run.lines.map((l) => l.file), files);
    for (const l of run.lines) assert.ok(l.ok === true && server.images.has(String(l.imageKey)), JSON.stringify(l));
    assert.strictEqual(server.tokenRequests(), 1);
    assert.strictEqual(server.uploads(), 2);
  }

  /** Everything the proxy saw: CONNECT lines only, no credential, token or request of ours. */
  function assertOnlyTunnels(target = `${HOST}:${server.port}`): void {
    assertTunnelsOnly(proxy, target, server.demo.appSecret);
  }

  test('HTTPS_PROXY: the token request and every upload go through a CONNECT tunnel; the proxy sees no credential', async () => {
    const run = await runCli(['--base-url', server.baseUrl, ...files], { ...credentials, HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: ca.caFile });
    assertUploaded(run);
    assertOnlyTunnels();
  });

  test('a host name only the proxy can resolve: the CLI leaves the name to the proxy and checks the certificate against it', async () => {
    // Behind a corporate proxy the client often cannot resolve outside names; `.test` never resolves.
    const base = `https://${TLS_STAND_IN_HOST}:${server.port}`;
    const run = await runCli(['--base-url', base, ...files], { ...credentials, HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: ca.caFile });
    assertUploaded(run);
    assertOnlyTunnels(`${TLS_STAND_IN_HOST}:${server.port}`);
  });

  test('lower-case https_proxy works the same', async () => {
    const run = await runCli(['--base-url', server.baseUrl, ...files], { ...credentials, https_proxy: proxy.url, NODE_EXTRA_CA_CERTS: ca.caFile });
    assertUploaded(run);
    assertOnlyTunnels();
  });

  test('NO_PROXY / no_proxy naming the host: direct connection, the proxy sees nothing', async () => {
    const cases: Record<string, string>[] = [{ NO_PROXY: HOST }, { no_proxy: `example.com,${HOST}` }];
    for (const noProxy of cases) {
      server.reset();
      const run = await runCli(['--base-url', server.baseUrl, files[0]], { ...credentials, HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: ca.caFile, ...noProxy });
      assert.strictEqual(run.code, 0, `${JSON.stringify(noProxy)}: ${run.stderr}`);
      assert.strictEqual(server.uploads(), 1);
    }
    assert.deepStrictEqual(proxy.connects, []);
    assert.strictEqual(proxy.wire(), '');
  });

  test('without NODE_EXTRA_CA_CERTS: exit 1, the failure and a hint name the untrusted certificate, no secret printed', async function () {
    const before = proxy.connects.length;
    const run = await runCli(['--base-url', server.baseUrl, files[0]], { ...credentials, HTTPS_PROXY: proxy.url });
    assert.strictEqual(run.code, 1, run.stderr);
    assert.strictEqual(run.lines.length, 1);
    assert.strictEqual(run.lines[0].ok, false);
    assert.strictEqual(run.lines[0].code, 9108);
    assert.match(String(run.lines[0].message), /UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    assert.match(run.stderr, /TLS certificate is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\).*NODE_EXTRA_CA_CERTS/);
    assert.doesNotMatch(run.stderr, /hint \(9108\)/, 'the TLS line is the hint: not said twice');
    // One tunnel for the early token request uploadFiles makes while hashing, one for the upload's
    // own when that one had already failed (1 when they overlap). A retried 9101 made 6 (5 attempts).
    const tunnels = proxy.connects.length - before;
    assert.ok(tunnels >= 1 && tunnels <= 2, `a rejected certificate is not retried: ${tunnels} CONNECTs; ${run.stderr}`);
    assert.ok(!run.stdout.includes(server.demo.appSecret) && !run.stderr.includes(server.demo.appSecret), 'secret printed');
    assert.strictEqual(server.requests.length, 0, 'no request reached the server');
    assertOnlyTunnels(); // the handshake failed inside the tunnel
  });

  test('through the tunnel the certificate must still name the server: one made for another address is refused', async function () {
    const other = makeTestCa(path.join(tmp, 'ca-other'), ['127.0.0.3']);
    const wrong = await startLarkServer({ host: HOST, tls: { key: other.key, cert: other.cert } });
    try {
      const run = await runCli(['--base-url', wrong.baseUrl, files[0]], { LARK_APP_ID: wrong.demo.appId, LARK_APP_SECRET: wrong.demo.appSecret, HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: other.caFile });
      assert.strictEqual(run.code, 1, run.stderr);
      assert.strictEqual(run.lines[0].code, 9108);
      assert.match(String(run.lines[0].message), /ERR_TLS_CERT_ALTNAME_INVALID/);
      assert.match(run.stderr, /certificate was made for another host \(ERR_TLS_CERT_ALTNAME_INVALID\); check the base URL/);
      assert.doesNotMatch(run.stderr, /NODE_EXTRA_CA_CERTS/);
      assert.strictEqual(wrong.requests.length, 0, 'no request reached the server');
      assert.deepStrictEqual([...new Set(proxy.connects)], [`${HOST}:${wrong.port}`]);
    } finally {
      await wrong.close();
    }
  });

  test('HTTP_PROXY applies to an http:// base URL (allowed on loopback such as 127.0.0.2): forwarded in clear, so the tap does see secrets there', async () => {
    // Shows that the tap records what a proxy sees: without TLS the proxy reads the secret. This is
    // why only loopback may be http://, and what the tunnel tests above rule out.
    const plain = await startLarkServer({ host: HOST });
    try {
      const run = await runCli(['--base-url', plain.baseUrl, files[0]], { LARK_APP_ID: plain.demo.appId, LARK_APP_SECRET: plain.demo.appSecret, HTTP_PROXY: proxy.url });
      assert.strictEqual(run.code, 0, run.stderr);
      assert.strictEqual(plain.uploads(), 1);
      assert.deepStrictEqual(proxy.forwarded, [`POST ${plain.baseUrl}${TOKEN_PATH}`, `POST ${plain.baseUrl}${UPLOAD_PATH}`]);
      assert.deepStrictEqual(proxy.connects, []);
      assert.ok(proxy.wire().includes(plain.demo.appSecret));
    } finally {
      await plain.close();
    }
  });

  test('localhost / 127.0.0.1 are never proxied, as in VS Code (a proxy elsewhere cannot reach this loopback)', async () => {
    const local = await startLarkServer();
    try {
      const env = { LARK_APP_ID: local.demo.appId, LARK_APP_SECRET: local.demo.appSecret, HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, ALL_PROXY: proxy.url };
      for (const base of [local.baseUrl, `http://localhost:${local.port}`]) {
        const run = await runCli(['--base-url', base, files[0]], env);
        assert.strictEqual(run.code, 0, `${base}: ${run.stderr}`);
      }
      assert.strictEqual(local.tokenRequests(), 2);
      assert.strictEqual(proxy.wire(), '');
    } finally {
      await local.close();
    }
  });
});
