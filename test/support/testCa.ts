// A throwaway certificate authority and one server certificate it signed, made at test time with
// the `openssl` command (nothing secret is committed). Used for the TLS stand-in server behind a
// proxy: clients trust it only when told to (NODE_EXTRA_CA_CERTS=caFile).
import * as cp from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';

/**
 * The TLS stand-in's name in the real-editor proxy test. `.test` never resolves (RFC 2606), so a
 * request that reaches it went through the test proxy, the only thing that knows where it is.
 */
export const TLS_STAND_IN_HOST = 'lark-stand-in.test';

export interface TestCa {
  /** PEM file of the CA certificate (what NODE_EXTRA_CA_CERTS points at) */
  caFile: string;
  /** the server's private key and certificate (PEM), for https.createServer */
  key: string;
  cert: string;
}

function openssl(args: string[], cwd: string): void {
  const run = cp.spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (run.error) throw new Error(`openssl could not run (${run.error.message}); the TLS tests need the openssl command`);
  if (run.status !== 0) throw new Error(`openssl ${args[0]} failed: ${run.stderr}`);
}

/** Writes a CA and a certificate for `hosts` (IP addresses or DNS names) into `dir`. */
export function makeTestCa(dir: string, hosts: string[]): TestCa {
  fs.mkdirSync(dir, { recursive: true });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Lark Image Upload test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  openssl(['req', '-new', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${hosts[0]}`], dir);
  const san = hosts.map((h) => (net.isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  fs.writeFileSync(path.join(dir, 'server.ext'), `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext'], dir);
  return readTestCa(dir);
}

/** The CA and server certificate makeTestCa wrote into `dir` (e.g. by the launcher, for the extension host). */
export function readTestCa(dir: string): TestCa {
  return {
    caFile: path.join(dir, 'ca.pem'),
    key: fs.readFileSync(path.join(dir, 'server.key'), 'utf8'),
    cert: fs.readFileSync(path.join(dir, 'server.pem'), 'utf8'),
  };
}

/**
 * For a launcher of the real-editor suite: a CA for TLS_STAND_IN_HOST in `dir`, and the variables
 * that make the extension host trust it (Node reads NODE_EXTRA_CA_CERTS once, at process start,
 * so it must be set before the editor starts; an existing NODE_EXTRA_CA_CERTS file is kept in the
 * bundle) and tell the suite where it is (LARK_TEST_TLS_DIR).
 */
export function extensionHostTestCaEnv(dir: string, existingExtraCaFile?: string): Record<string, string> {
  const ca = makeTestCa(dir, [TLS_STAND_IN_HOST]);
  let bundle = ca.caFile;
  if (existingExtraCaFile && fs.existsSync(existingExtraCaFile)) {
    bundle = path.join(dir, 'extra-ca-bundle.pem');
    fs.writeFileSync(bundle, fs.readFileSync(existingExtraCaFile, 'utf8') + '\n' + fs.readFileSync(ca.caFile, 'utf8'));
  }
  return { NODE_EXTRA_CA_CERTS: bundle, LARK_TEST_TLS_DIR: dir };
}
