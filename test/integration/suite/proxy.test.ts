// Behind a proxy in a real VS Code: with `http.proxy` set, the extension's requests (token, upload,
// preview download) go through the proxy as CONNECT tunnels, because VS Code routes the extension
// host's http/https through it and our client brings no agent of its own that could bypass it.
//
// Set-up, and why: VS Code never proxies localhost / 127.0.0.1 / ::1, so the TLS stand-in is
// reached by a name only the test proxy resolves (TLS_STAND_IN_HOST, a `.test` name that never
// resolves anywhere else): a request that reaches the server at all went through the proxy. The
// name needs https (http is allowed on loopback only), so the stand-in serves TLS with a
// certificate from a test CA that the launcher (runner.js) made and handed to the extension host
// in NODE_EXTRA_CA_CERTS, as a user behind a corporate CA would: verification stays on
// (`http.proxyStrictSSL` is left at its default, true).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Command } from '../../../src/constants';
import { LocalCode } from '../../../src/core/types';
import type { LarkImageUploadApi } from '../../../src/extension';
import { startLarkServer, TOKEN_PATH, UPLOAD_PATH, type LarkServer } from '../../larkServer/server';
import { assertOnlyTunnels as assertTunnelsOnly, startRecordingProxy, type RecordingProxy } from '../../support/recordingProxy';
import { readTestCa, TLS_STAND_IN_HOST } from '../../support/testCa';
import { captureMessages, getExtension, getExtensionApi } from './helpers';

/**
 * VS Code 1.99's proxy support (its @vscode/proxy-agent 0.32) hands TLS connections its own CA
 * list (the OS store and Node's bundled roots), without the CAs of NODE_EXTRA_CA_CERTS: the
 * stand-in's certificate fails with SELF_SIGNED_CERT_IN_CHAIN
 * (measured on code-server 4.99.4; VS Code 1.139 keeps them). There a user's corporate CA must be
 * in the OS trust store, or `http.systemCertificates` off so that Node's store (with
 * NODE_EXTRA_CA_CERTS) is used: the test takes the second way on 1.99. Verification stays on.
 */
const AGENT_REPLACES_NODE_CA_STORE = /^1\.99\./.test(vscode.version);

const lark = () => vscode.workspace.getConfiguration('larkImageUpload');
const http = () => vscode.workspace.getConfiguration('http');

suite('Behind a proxy: http.proxy routes token, upload and download through a CONNECT tunnel (real VS Code)', () => {
  let api: LarkImageUploadApi;
  let server: LarkServer;
  let proxy: RecordingProxy;
  let ws: string;
  let png: Buffer;
  let target: string;

  suiteSetup(async function () {
    this.timeout(60000);
    const tlsDir = process.env.LARK_TEST_TLS_DIR;
    assert.ok(tlsDir, 'LARK_TEST_TLS_DIR is not set: the launcher (test/integration/runner.js) makes the test CA and passes it with NODE_EXTRA_CA_CERTS');
    const ca = readTestCa(tlsDir);
    assert.strictEqual(process.env.NODE_EXTRA_CA_CERTS && fs.readFileSync(process.env.NODE_EXTRA_CA_CERTS, 'utf8').includes(fs.readFileSync(ca.caFile, 'utf8').trim()), true, 'the extension host trusts the test CA');
    api = await getExtensionApi();
    server = await startLarkServer({ tls: { key: ca.key, cert: ca.cert } });
    proxy = await startRecordingProxy({ hosts: { [TLS_STAND_IN_HOST]: '127.0.0.1' } });
    target = `${TLS_STAND_IN_HOST}:${server.port}`;
    ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    assert.ok(ws, 'the test run opens a workspace folder');
    png = fs.readFileSync(path.join(getExtension().extensionPath, 'test', 'fixtures', 'generated', 'png.png'));
    if (AGENT_REPLACES_NODE_CA_STORE) await http().update('systemCertificates', false, vscode.ConfigurationTarget.Global);
    await http().update('proxy', proxy.url, vscode.ConfigurationTarget.Global);
    await lark().update('region', 'custom', vscode.ConfigurationTarget.Global);
    await lark().update('customBaseUrl', `https://${target}`, vscode.ConfigurationTarget.Global);
  });

  suiteTeardown(async () => {
    await http().update('proxy', undefined, vscode.ConfigurationTarget.Global);
    await http().update('proxySupport', undefined, vscode.ConfigurationTarget.Global);
    await http().update('systemCertificates', undefined, vscode.ConfigurationTarget.Global);
    await lark().update('customBaseUrl', undefined, vscode.ConfigurationTarget.Global);
    await lark().update('region', undefined, vscode.ConfigurationTarget.Global);
    await proxy?.close();
    await server?.close();
  });

  /** Sign in (token), upload one new image, fetch its preview (download): all through the proxy. */
  async function signInUploadAndFetch(tag: string): Promise<void> {
    const signedIn = await vscode.commands.executeCommand<boolean>(Command.SignIn, { appId: server.demo.appId, appSecret: server.demo.appSecret });
    assert.strictEqual(signedIn, true, 'sign in through the proxy');
    const file = path.join(ws, 'proxy', `${tag}.png`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.concat([png, Buffer.from(`#proxy-${tag}#${Date.now()}`)]));
    const summary = await api.uploadFiles([vscode.Uri.file(file)], { insert: false });
    const outcome = summary?.outcomes[0];
    assert.ok(outcome?.ok, JSON.stringify(summary?.outcomes));
    const preview = await vscode.commands.executeCommand<vscode.Uri | undefined>(Command.PreviewImage, outcome.imageKey);
    assert.ok(preview, 'the preview was fetched through the proxy');
    assert.deepStrictEqual(fs.readFileSync(preview.fsPath), fs.readFileSync(file));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');

    const seen = server.requests.map((r) => `${r.method} ${r.path.replace(/\/images\/.+$/, '/images/:key')}`);
    for (const r of [`POST ${TOKEN_PATH}`, `POST ${UPLOAD_PATH}`, `GET ${UPLOAD_PATH}/:key`]) assert.ok(seen.includes(r), `the server saw ${r}: ${seen.join(', ')}`);
  }

  /** The proxy saw tunnels to the stand-in only: no request line, header or body of ours, no secret. */
  function assertOnlyTunnels(): void {
    assertTunnelsOnly(proxy, target, server.demo.appSecret);
  }

  for (const support of ['override', 'on'] as const) {
    test(`http.proxySupport "${support}": token, upload and download go through the proxy; it sees CONNECT only`, async function () {
      this.timeout(60000);
      await http().update('proxySupport', support, vscode.ConfigurationTarget.Global);
      server.reset();
      proxy.connects.length = 0;
      await signInUploadAndFetch(support);
      assertOnlyTunnels();
    });
  }

  test('http.proxySupport "off": the stand-in cannot be reached (its name resolves only at the proxy), the proxy sees nothing', async function () {
    this.timeout(60000);
    await http().update('proxySupport', 'override', vscode.ConfigurationTarget.Global);
    const signedIn = await vscode.commands.executeCommand<boolean>(Command.SignIn, { appId: server.demo.appId, appSecret: server.demo.appSecret });
    assert.strictEqual(signedIn, true, 'sign in through the proxy');
    await http().update('proxySupport', 'off', vscode.ConfigurationTarget.Global);
    const before = { connects: proxy.connects.length, wire: proxy.wire().length };
    server.reset();
    const messages = captureMessages();
    let result: { ok: boolean; code?: number } | undefined;
    try {
      result = await vscode.commands.executeCommand<{ ok: boolean; code?: number }>(Command.TestConnection);
    } finally {
      messages.dispose();
    }
    assert.strictEqual(result?.ok, false, 'without the proxy the name does not resolve');
    assert.strictEqual(result?.code, LocalCode.NetworkError, JSON.stringify(result));
    assert.strictEqual(server.requests.length, 0);
    assert.deepStrictEqual({ connects: proxy.connects.length, wire: proxy.wire().length }, before);
  });
});
