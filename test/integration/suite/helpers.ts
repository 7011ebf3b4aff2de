// Small helpers for the in-host integration tests (run inside the VS Code extension host).
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { LarkImageUploadApi } from '../../../src/extension';
import { Command } from '../../../src/constants';
import { startLarkServer, type LarkServer } from '../../larkServer/server';

export const EXTENSION_ID = 'lark-image-upload.lark-image-upload';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` (sync or async) every `intervalMs` until it returns a truthy value; returns that value. */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  timeoutMs = 10000,
  what = 'condition',
  intervalMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export function getExtension(): vscode.Extension<LarkImageUploadApi> {
  const ext = vscode.extensions.getExtension<LarkImageUploadApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} not found`);
  return ext;
}

/** Activates the extension (if needed) and returns what activate() returned. */
export async function getExtensionApi(): Promise<LarkImageUploadApi> {
  const ext = getExtension();
  return ext.isActive ? ext.exports : await ext.activate();
}

/** True when a launcher that can take screenshots runs us (test/integration/runner.js). */
export function canScreenshot(): boolean {
  return !!process.env.LARK_TEST_SCREENSHOT_DIR;
}

/**
 * Screenshot of the whole workbench (1280x800 viewport) into `$LARK_TEST_SCREENSHOT_DIR/<name>.png`.
 * Protocol with runner.js: we write `<name>.request` (atomically); the runner takes the picture and
 * answers with `<name>.done` or `<name>.error`. Returns the PNG path. Optional `clip` (CSS pixels)
 * crops the picture. Throws when no runner serves requests (e.g. the desktop launcher): check
 * canScreenshot() first.
 */
export async function screenshot(
  name: string,
  options: { clip?: { x: number; y: number; width: number; height: number }; settleMs?: number; timeoutMs?: number } = {},
): Promise<string> {
  const dir = process.env.LARK_TEST_SCREENSHOT_DIR;
  if (!dir) throw new Error('LARK_TEST_SCREENSHOT_DIR is not set: this launcher cannot take screenshots');
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`bad screenshot name: ${name}`);
  await sleep(options.settleMs ?? 300); // let the workbench paint what the test just did
  const base = path.join(dir, name);
  for (const ext of ['.png', '.done', '.error']) fs.rmSync(base + ext, { force: true });
  const tmp = `${base}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ clip: options.clip }));
  fs.renameSync(tmp, base + '.request');
  const outcome = await waitFor(
    () => (fs.existsSync(base + '.done') ? 'done' : fs.existsSync(base + '.error') ? 'error' : undefined),
    options.timeoutMs ?? 30000,
    `screenshot ${name}`,
  );
  if (outcome === 'error') {
    const msg = fs.readFileSync(base + '.error', 'utf8').trim();
    fs.rmSync(base + '.error', { force: true });
    throw new Error(`screenshot ${name} failed: ${msg}`);
  }
  fs.rmSync(base + '.done', { force: true });
  return base + '.png';
}

/** Log files of our output channel under the user-data logs folder (LogOutputChannel writes one). */
export function outputLogFiles(): string[] {
  const file = process.env.LARK_TEST_USER_SETTINGS;
  if (!file) return [];
  const logsRoot = path.join(path.dirname(path.dirname(file)), 'logs');
  const found: string[] = [];
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.log') && e.name.includes('Lark Image Upload')) found.push(p);
    }
  };
  walk(logsRoot);
  return found;
}

/** Everything our output channel has written to its log files so far ('' when none are found). */
export function outputLogText(): string {
  return outputLogFiles()
    .map((f) => fs.readFileSync(f, 'utf8'))
    .join('\n');
}

/** Waits until the output channel's log contains `needle` (the channel writes its file with a delay). */
export async function waitForLog(needle: string | RegExp, timeoutMs = 15000): Promise<string> {
  return waitFor(
    () => {
      const text = outputLogText();
      return (typeof needle === 'string' ? text.includes(needle) : needle.test(text)) ? text : undefined;
    },
    timeoutMs,
    `the output log to contain ${String(needle)}`,
  );
}

export interface ShownMessage {
  severity: 'error' | 'warning' | 'info';
  text: string;
  /** The buttons offered. */
  items: string[];
}

/**
 * Until disposed, records the notifications shown through `vscode.window.show*Message` and
 * answers each with `answer`'s button (a user's click; by default undefined: dismissed). Extension
 * code and these tests share the extension's API object, so the extension's own messages are
 * recorded too.
 */
export function captureMessages(answer: (m: ShownMessage) => string | undefined = () => undefined): { readonly shown: ShownMessage[]; texts(severity?: ShownMessage['severity']): string[]; dispose(): void } {
  const window = vscode.window as unknown as Record<string, unknown>;
  const names = { error: 'showErrorMessage', warning: 'showWarningMessage', info: 'showInformationMessage' } as const;
  const originals = Object.fromEntries(Object.values(names).map((n) => [n, window[n]]));
  const shown: ShownMessage[] = [];
  for (const [severity, name] of Object.entries(names) as [ShownMessage['severity'], string][]) {
    window[name] = (text: unknown, ...rest: unknown[]) => {
      const items = rest.map((r) => (typeof r === 'string' ? r : (r as { title?: unknown })?.title)).filter((t): t is string => typeof t === 'string');
      const message = { severity, text: String(text), items };
      shown.push(message);
      return Promise.resolve(answer(message));
    };
  }
  return {
    shown,
    texts: (severity) => shown.filter((m) => severity === undefined || m.severity === severity).map((m) => m.text),
    dispose: () => Object.assign(window, originals),
  };
}

/** What a suite that uploads needs: the API, a stand-in server it is signed in to, the workspace and the fixtures. */
export interface StandIn {
  api: LarkImageUploadApi;
  server: LarkServer;
  /** the workspace folder's path */
  ws: string;
  /** test/fixtures/generated of the extension under test */
  fixtures: string;
}

/** Starts a stand-in Lark server and signs in to it (user settings: region custom, its base URL). */
export async function signedInToStandIn(): Promise<StandIn> {
  const api = await getExtensionApi();
  const server = await startLarkServer();
  const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
  if (!ws) throw new Error('the test run opens a workspace folder');
  const fixtures = path.join(getExtension().extensionPath, 'test', 'fixtures', 'generated');
  const config = vscode.workspace.getConfiguration('larkImageUpload');
  await config.update('region', 'custom', vscode.ConfigurationTarget.Global);
  await config.update('customBaseUrl', server.baseUrl, vscode.ConfigurationTarget.Global);
  const signedIn = await vscode.commands.executeCommand<boolean>(Command.SignIn, { appId: server.demo.appId, appSecret: server.demo.appSecret });
  if (signedIn !== true) throw new Error('could not sign in to the stand-in server');
  return { api, server, ws, fixtures };
}
