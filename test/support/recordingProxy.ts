// A local HTTP proxy (the `proxy` package: CONNECT tunnels and plain forwarding, as corporate
// proxies do) that records what it was asked, behind a TCP tap that keeps every byte the client
// sent to it. The tap is what a proxy can see: a test searches it for secrets to prove they only
// crossed the proxy inside a TLS tunnel.
import * as assert from 'assert';
import * as http from 'http';
import * as net from 'net';
import type { AddressInfo } from 'net';
import { createProxy } from 'proxy';
import { TOKEN_PATH, UPLOAD_PATH } from '../larkServer/server';

export interface RecordingProxy {
  /** http://127.0.0.1:<port>, for HTTPS_PROXY or `http.proxy` */
  readonly url: string;
  /** targets of CONNECT requests, e.g. "127.0.0.2:4431", in arrival order */
  readonly connects: string[];
  /** plain (non-tunnelled) requests, "METHOD absolute-url" */
  readonly forwarded: string[];
  /** every byte clients sent to the proxy, as latin1 text (binary-safe) */
  wire(): string;
  close(): Promise<void>;
}

export interface RecordingProxyOptions {
  /**
   * Names only this proxy can resolve, e.g. { 'lark-stand-in.test': '127.0.0.1' }: a client that
   * reaches such a host at all must have gone through the proxy (as behind a corporate proxy, the
   * client never resolves the name itself). `connects` keeps the name the client asked for.
   */
  hosts?: Record<string, string>;
}

export async function startRecordingProxy(options: RecordingProxyOptions = {}): Promise<RecordingProxy> {
  const hosts = options.hosts ?? {};
  const connects: string[] = [];
  const forwarded: string[] = [];
  const received: Buffer[] = [];
  const proxy = createProxy(http.createServer());
  // Runs before the proxy's own handler, which connects to whatever req.url says.
  proxy.prependListener('connect', (req: http.IncomingMessage) => {
    const target = String(req.url);
    connects.push(target);
    const m = /^(.*):(\d+)$/.exec(target);
    if (m && hosts[m[1]]) req.url = `${hosts[m[1]]}:${m[2]}`;
  });
  proxy.prependListener('request', (req: http.IncomingMessage) => forwarded.push(`${req.method} ${req.url}`));
  const proxySockets = new Set<net.Socket>();
  proxy.on('connection', (s: net.Socket) => {
    proxySockets.add(s);
    s.on('close', () => proxySockets.delete(s));
  });
  await listen(proxy);
  const proxyPort = (proxy.address() as AddressInfo).port;

  const tapSockets = new Set<net.Socket>();
  const tap = net.createServer((client) => {
    const upstream = net.connect(proxyPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      tapSockets.add(s);
      s.on('close', () => tapSockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (d: Buffer) => received.push(Buffer.from(d)));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await listen(tap);

  return {
    url: `http://127.0.0.1:${(tap.address() as AddressInfo).port}`,
    connects,
    forwarded,
    wire: () => Buffer.concat(received).toString('latin1'),
    close: async () => {
      for (const s of [...tapSockets, ...proxySockets]) s.destroy();
      await Promise.all([new Promise<void>((r) => tap.close(() => r())), new Promise<void>((r) => proxy.close(() => r()))]);
    },
  };
}

function listen(server: net.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * What `proxy` saw was tunnels to `target` only: CONNECT lines, no request line, header or body
 * of ours, and never `secret` (the app secret) in clear text.
 */
export function assertOnlyTunnels(proxy: RecordingProxy, target: string, secret: string): void {
  assert.ok(proxy.connects.length >= 1, 'the proxy saw no CONNECT');
  assert.deepStrictEqual([...new Set(proxy.connects)], [target]);
  assert.deepStrictEqual(proxy.forwarded, []);
  const wire = proxy.wire();
  assert.ok(wire.includes(`CONNECT ${target} HTTP/1.1`), 'the tap recorded the CONNECT request');
  assert.ok(!wire.includes(secret), 'the app secret crossed the proxy in clear text');
  for (const word of ['app_secret', 'authorization', 'bearer', TOKEN_PATH, UPLOAD_PATH, 'image_type']) {
    assert.ok(!wire.toLowerCase().includes(word.toLowerCase()), `the proxy saw "${word}"`);
  }
}
