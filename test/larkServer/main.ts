/*
 * `npm run mock-lark` — runs the stand-in Lark server until Ctrl+C.
 *
 * Options:
 *   --port N               port (default: env LARK_MOCK_PORT, else a random free port)
 *   --rate-limit off       no rate limit (default: 50/s and 1000/min per app, like Lark)
 *   --rate-limit S/M       e.g. 5/100: S per second and M per minute
 *   --latency-ms N         delay every upload answer by N ms
 *   --token-ttl N          tenant token lifetime in seconds (default 7200)
 *   --quiet                do not log each request
 *
 * Prints the base URL and the demo credentials (fake, for tests only), then one line per
 * request, and these machine-readable lines:
 *   LARK_MOCK_BASE_URL=http://127.0.0.1:PORT
 *   LARK_MOCK_APP_ID=...
 *   LARK_MOCK_APP_SECRET=...
 * and the variables the CLI reads, as one line to paste into a shell:
 *   export LARK_BASE_URL=http://127.0.0.1:PORT LARK_APP_ID=... LARK_APP_SECRET=...
 */
import { startLarkServer, LarkServerOptions, RecordedRequest } from './server';

function usage(msg: string): never {
  process.stderr.write(
    `${msg}\nusage: mock-lark [--port N] [--rate-limit off|S/M] [--latency-ms N] [--token-ttl N] [--quiet]\n`,
  );
  process.exit(2);
}

function intArg(name: string, v: string | undefined, min: number): number {
  if (v === undefined || !/^\d+$/.test(v) || Number(v) < min) usage(`${name} needs a whole number >= ${min}`);
  return Number(v);
}

function parseArgs(argv: string[]): { opts: LarkServerOptions; quiet: boolean } {
  const opts: LarkServerOptions = {};
  let quiet = false;
  const envPort = process.env.LARK_MOCK_PORT;
  if (envPort !== undefined && envPort !== '') opts.port = intArg('LARK_MOCK_PORT', envPort, 0);
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes('=') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--port':
        opts.port = intArg('--port', value(), 0);
        if (opts.port > 65535) usage('--port must be <= 65535');
        break;
      case '--rate-limit': {
        const v = value();
        if (v === 'off' || v === 'false' || v === '0') opts.rateLimit = false;
        else {
          const m = /^(\d+)\/(\d+)$/.exec(v ?? '');
          if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) usage('--rate-limit takes off or PER_SECOND/PER_MINUTE, e.g. 50/1000');
          opts.rateLimit = { perSecond: Number(m[1]), perMinute: Number(m[2]) };
        }
        break;
      }
      case '--latency-ms':
        opts.latencyMs = intArg('--latency-ms', value(), 0);
        break;
      case '--token-ttl':
        opts.tokenTtlSeconds = intArg('--token-ttl', value(), 1);
        break;
      case '--quiet':
        quiet = true;
        break;
      case '--help':
      case '-h':
        usage('Stand-in Lark Open Platform server (fake credentials, loopback only).');
        break;
      default:
        usage(`unknown option ${argv[i]}`);
    }
  }
  return { opts, quiet };
}

function logLine(r: RecordedRequest): string {
  const time = new Date(r.at).toISOString().slice(11, 23);
  const parts = [time, r.method.padEnd(4), r.path, '->', r.status === 0 ? 'no response' : String(r.status)];
  if (r.code !== undefined) parts.push(`code=${r.code}`);
  if (r.imageType) parts.push(`image_type=${r.imageType}`);
  if (r.fileType) parts.push(`file_type=${r.fileType}`);
  if (r.fileName) parts.push(`file=${JSON.stringify(r.fileName)}`);
  if (r.bytes !== undefined) parts.push(`${r.bytes} bytes`);
  parts.push(`log_id=${r.logId}`);
  return parts.join(' ');
}

async function main(): Promise<void> {
  const { opts, quiet } = parseArgs(process.argv.slice(2));
  if (!quiet) opts.onRequest = (r) => process.stdout.write(logLine(r) + '\n');
  const server = await startLarkServer(opts);
  const rl = opts.rateLimit === false ? 'off' : `${opts.rateLimit?.perSecond ?? 50}/s and ${opts.rateLimit?.perMinute ?? 1000}/min per app`;
  process.stdout.write(
    [
      'Stand-in Lark Open Platform server (for tests and demos; not the real Lark)',
      `  Base URL:    ${server.baseUrl}`,
      `  App ID:      ${server.demo.appId}`,
      `  App Secret:  ${server.demo.appSecret}   (fake demo credentials)`,
      `  Rate limit:  ${rl}`,
      `  Token TTL:   ${opts.tokenTtlSeconds ?? 7200} s`,
      ...(opts.latencyMs ? [`  Latency:     ${opts.latencyMs} ms per upload`] : []),
      '  Press Ctrl+C to stop.',
      `LARK_MOCK_BASE_URL=${server.baseUrl}`,
      `LARK_MOCK_APP_ID=${server.demo.appId}`,
      `LARK_MOCK_APP_SECRET=${server.demo.appSecret}`,
      'Paste into a shell to point the CLI (dist/cli.js) here:',
      `export LARK_BASE_URL=${server.baseUrl} LARK_APP_ID=${server.demo.appId} LARK_APP_SECRET=${server.demo.appSecret}`,
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1); // second Ctrl+C: leave at once
    stopping = true;
    process.stdout.write(`\n${signal}: stopping (${server.uploads()} uploads served)\n`);
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`mock-lark: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
