// Runs the bundled CLI (dist/cli.js) as a child process, the way a user would, for the CLI tests.
import * as cp from 'child_process';
import * as path from 'path';

/** dist/cli.js of this checkout (tests run from out/test/<level>/). */
export const CLI = path.resolve(__dirname, '..', '..', '..', 'dist', 'cli.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** the JSON lines of stdout, parsed */
  lines: Record<string, unknown>[];
}

/**
 * Runs the CLI with only PATH, HOME and `env`: no variable of this machine (credentials, a proxy)
 * leaks in. Resolves when the process has closed its output.
 */
export function runCli(args: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = cp.spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code, stdout, stderr, lines });
    });
  });
}
