// The CLI's proxy support: HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY (either case, lower case
// first), as curl and most tools read them (proxy-from-env). The extension never uses this: VS Code
// routes the extension host's http/https through the user's proxy settings itself, and a custom
// agent there could defeat that. The core client stays unaware of proxies: it gets a fetch.
import type { Agent, ClientRequest } from 'http';
import * as net from 'net';
import * as tls from 'tls';
import type { AgentConnectOpts } from 'agent-base';
import nodeFetch, { type RequestInit } from 'node-fetch';
import { getProxyForUrl } from 'proxy-from-env';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { HttpProxyAgent } from 'http-proxy-agent';
import type { FetchLike } from './core/larkClient';

/** Proxy URL for a request URL, '' for a direct connection (proxy-from-env's contract). */
export type ProxyLookup = (url: string) => string;

/**
 * Loopback names never go through a proxy: a proxy elsewhere cannot reach this machine's loopback
 * (it would reach its own). The same names VS Code's proxy resolver sends direct, so the CLI and
 * the extension agree; any other address, 127.0.0.2 included, follows the variables.
 */
const DIRECT_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/**
 * A fetch that sends each request through the proxy `lookup` names for its URL (by default
 * proxy-from-env, which reads the variables from process.env), or directly when it names none.
 * One agent per proxy and scheme, kept alive like Node's global agent, so a batch reuses its
 * tunnels. TLS to the server (inside the tunnel) uses Node's default CA list, which includes the
 * certificates of NODE_EXTRA_CA_CERTS.
 */
export function proxyFetch(lookup: ProxyLookup = getProxyForUrl): FetchLike {
  const agents = new Map<string, Agent>();
  const agentFor = (url: URL): Agent | undefined => {
    if (DIRECT_HOSTS.has(url.hostname.toLowerCase())) return undefined;
    const proxy = lookup(url.href);
    if (!proxy) return undefined;
    const key = `${url.protocol} ${proxy}`;
    let agent = agents.get(key);
    if (!agent) {
      agent = url.protocol === 'https:' ? new TunnelAgent(proxy, { keepAlive: true }) : new HttpProxyAgent(proxy, { keepAlive: true });
      agents.set(key, agent);
    }
    return agent;
  };
  return (url, init) => nodeFetch(url, { ...init, agent: agentFor } as RequestInit);
}

/**
 * https-proxy-agent checks the server's certificate inside the tunnel against the request's host
 * only when that host is a name (it passes it as the TLS servername); for an IP address it passes
 * nothing and Node then checks against "localhost", so a server at https://10.1.2.3 with a valid
 * certificate for that address is refused. Here an IP address is checked like a direct
 * connection does: the certificate must name that address.
 */
class TunnelAgent extends HttpsProxyAgent<string> {
  override connect(req: ClientRequest, opts: AgentConnectOpts): Promise<net.Socket> {
    const host = opts.host;
    if (opts.secureEndpoint && host && net.isIP(host) && !opts.checkServerIdentity) {
      return super.connect(req, { ...opts, checkServerIdentity: (_servername, cert) => tls.checkServerIdentity(host, cert) });
    }
    return super.connect(req, opts);
  }
}

const UNTRUSTED = /\b(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(?:_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_UNTRUSTED)\b/;
const WRONG_HOST = /\bERR_TLS_CERT_ALTNAME_INVALID\b/;

/**
 * A line for stderr when failures were about the server's TLS certificate: not trusted (typically
 * a corporate proxy or CA that re-signs traffic: name the variable that fixes it) or made for
 * another host; undefined otherwise.
 */
export function certificateHint(messages: readonly string[]): string | undefined {
  const untrusted = messages.map((m) => UNTRUSTED.exec(m)?.[1]).find((c) => c !== undefined);
  if (untrusted) {
    return `lark-image-upload: the server's TLS certificate is not trusted (${untrusted}). If a corporate proxy or CA signs it, set NODE_EXTRA_CA_CERTS to that CA's PEM file.`;
  }
  if (messages.some((m) => WRONG_HOST.test(m))) {
    return "lark-image-upload: the server's TLS certificate was made for another host (ERR_TLS_CERT_ALTNAME_INVALID); check the base URL.";
  }
  return undefined;
}
