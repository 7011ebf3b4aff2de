// The user's Lark credentials: one JSON value in VS Code's SecretStorage (the OS keychain),
// never in settings, globalState or logs.
import * as vscode from 'vscode';
import { SecretKey } from '../constants';

export type StoredCredentials =
  | { kind: 'app'; appId: string; appSecret: string; savedAt: number }
  | { kind: 'token'; token: string; savedAt: number };

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

/** Parses the stored JSON; anything unexpected (old format, hand-edited, corrupt) reads as "none". */
export function parseStoredCredentials(raw: string | undefined): StoredCredentials | undefined {
  if (!raw) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  const savedAt = typeof v.savedAt === 'number' && Number.isFinite(v.savedAt) ? v.savedAt : 0;
  if (v.kind === 'app' && nonEmptyString(v.appId) && nonEmptyString(v.appSecret)) {
    return { kind: 'app', appId: v.appId.trim(), appSecret: v.appSecret.trim(), savedAt };
  }
  if (v.kind === 'token' && nonEmptyString(v.token)) {
    return { kind: 'token', token: v.token.trim(), savedAt };
  }
  return undefined;
}

export class CredentialStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires after save/clear here, and when another window changes the stored value. */
  readonly onDidChange: vscode.Event<void> = this.changed.event;
  private readonly subscription: vscode.Disposable;
  /**
   * The raw value this window last wrote or saw. SecretStorage also reports our own writes;
   * comparing with it keeps onDidChange to one event per real change.
   */
  private lastKnown: string | undefined;
  private lastKnownValid = false;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly now: () => number = Date.now,
  ) {
    this.subscription = secrets.onDidChange((e) => {
      if (e.key === SecretKey.Credentials) void this.refreshFromStorage();
    });
  }

  async get(): Promise<StoredCredentials | undefined> {
    let raw: string | undefined;
    try {
      raw = await this.secrets.get(SecretKey.Credentials);
    } catch {
      // The keychain can be unavailable (locked, no secret service on Linux): treat as signed out.
      return undefined;
    }
    return parseStoredCredentials(raw);
  }

  async saveApp(appId: string, appSecret: string): Promise<void> {
    const value: StoredCredentials = { kind: 'app', appId: appId.trim(), appSecret: appSecret.trim(), savedAt: this.now() };
    await this.write(JSON.stringify(value));
  }

  async saveToken(token: string): Promise<void> {
    const value: StoredCredentials = { kind: 'token', token: token.trim(), savedAt: this.now() };
    await this.write(JSON.stringify(value));
  }

  async clear(): Promise<void> {
    await this.write(undefined);
  }

  private async write(raw: string | undefined): Promise<void> {
    // Remembered before the write so the echo of our own change is recognised as such.
    this.remember(raw);
    try {
      if (raw === undefined) await this.secrets.delete(SecretKey.Credentials);
      else await this.secrets.store(SecretKey.Credentials, raw);
    } catch (e) {
      this.lastKnownValid = false;
      throw e;
    }
    this.changed.fire();
  }

  private remember(raw: string | undefined): void {
    this.lastKnown = raw;
    this.lastKnownValid = true;
  }

  private async refreshFromStorage(): Promise<void> {
    let raw: string | undefined;
    try {
      raw = await this.secrets.get(SecretKey.Credentials);
    } catch {
      raw = undefined;
    }
    if (this.lastKnownValid && raw === this.lastKnown) return; // our own write echoed back
    this.remember(raw);
    this.changed.fire();
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
