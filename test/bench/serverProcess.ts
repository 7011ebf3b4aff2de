// The stand-in Lark server in a process of its own, driven over IPC, so the client under test
// does not share its event loop (and, on a 2-core machine, its core) with the server's multipart
// parsing — the real Lark gateway is not in our process either.
//   const s = await RemoteServer.start({ latencyMs: 100 }); … await s.stats(); await s.close();
// This file is both the parent-side wrapper and (run as a child with fork) the server process.
import { fork, type ChildProcess } from 'child_process';
import { startLarkServer, type LarkServer, type LarkServerOptions, type MockApp } from '../larkServer/server';

export interface ServerStats {
  uploadRequests: number;
  r429: number;
  uploads: number;
  tokenRequests: number;
  totalRequests: number;
  /** server-clock arrival times (ms epoch) of the successful uploads, sorted */
  okArrivals: number[];
  /** server-clock arrival time of the first request of any kind (the token request, usually) */
  firstArrival: number | undefined;
  /** server-clock arrival time of the first upload request, whatever its answer */
  firstUploadArrival: number | undefined;
}

type Msg = { id: number; cmd: 'stats' | 'close' } | { id: number; result?: unknown; error?: string };

function statsOf(server: LarkServer): ServerStats {
  const up = server.requests.filter((r) => r.method === 'POST' && r.path === '/open-apis/im/v1/images');
  return {
    uploadRequests: up.length,
    r429: up.filter((r) => r.status === 429).length,
    uploads: server.uploads(),
    tokenRequests: server.tokenRequests(),
    totalRequests: server.requests.length,
    okArrivals: up.filter((r) => r.status === 200).map((r) => r.at).sort((a, b) => a - b),
    firstArrival: server.requests.length ? Math.min(...server.requests.map((r) => r.at)) : undefined,
    firstUploadArrival: up.length ? Math.min(...up.map((r) => r.at)) : undefined,
  };
}

export class RemoteServer {
  private seq = 0;
  private readonly waiting = new Map<number, (m: Msg) => void>();
  private constructor(
    private readonly child: ChildProcess,
    readonly baseUrl: string,
    readonly demo: MockApp,
  ) {
    child.on('message', (m: Msg) => {
      const done = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      done?.(m);
    });
  }

  static async start(opts: Pick<LarkServerOptions, 'latencyMs' | 'rateLimit'> = {}): Promise<RemoteServer> {
    const child = fork(__filename, ['--serve', JSON.stringify(opts)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ready = await new Promise<{ baseUrl: string; demo: MockApp }>((resolve, reject) => {
      child.once('message', (m: { baseUrl: string; demo: MockApp }) => resolve(m));
      child.once('exit', (code) => reject(new Error(`server process exited ${code} before it was ready`)));
    });
    return new RemoteServer(child, ready.baseUrl, ready.demo);
  }

  private call(cmd: 'stats' | 'close'): Promise<unknown> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (m) => ('error' in m && m.error ? reject(new Error(m.error)) : resolve((m as { result?: unknown }).result)));
      this.child.send({ id, cmd });
    });
  }

  stats(): Promise<ServerStats> {
    return this.call('stats') as Promise<ServerStats>;
  }

  async close(): Promise<void> {
    await this.call('close').catch(() => undefined);
    if (this.child.exitCode === null) await new Promise((r) => this.child.once('exit', r));
  }
}

if (require.main === module && process.argv[2] === '--serve') {
  const opts = JSON.parse(process.argv[3] ?? '{}') as LarkServerOptions;
  startLarkServer(opts).then((server) => {
    process.on('message', (m: { id: number; cmd: string }) => {
      if (m.cmd === 'stats') process.send?.({ id: m.id, result: statsOf(server) });
      else if (m.cmd === 'close') {
        server.close().finally(() => {
          process.send?.({ id: m.id, result: true }, () => process.exit(0));
        });
      }
    });
    process.send?.({ baseUrl: server.baseUrl, demo: server.demo });
  });
}
