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
function parseStoredCredentials(raw: string | undefined): StoredCredentials | undefined {
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

/**
 * The keychain (VS Code's SecretStorage) failed: locked, no secret service, a broken entry.
 * Not the same as "signed out": the stored credentials may be intact.
 */
export class KeychainError extends Error {
  /** What the keychain said (may be empty). */
  readonly reason: string;

  constructor(
    readonly operation: 'read' | 'save' | 'delete',
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause ?? '');
    super(`The system keychain could not ${operation} the Lark credentials: ${reason}`, { cause });
    this.name = 'KeychainError';
    this.reason = reason;
  }
}

export interface CredentialStoreOptions {
  now?: () => number;
  /**
   * Told about each keychain failure (log it; the caller of the failed operation gets the
   * KeychainError too). Read failures are told once until a read succeeds again, since a broken
   * keychain is asked at every status-bar update and hover.
   */
  onError?: (error: KeychainError) => void;
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
  private readonly now: () => number;
  private readonly onError: (error: KeychainError) => void;
  /** The last read failure told to onError; cleared by a successful read. */
  private toldReadFailure: string | undefined;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    options: CredentialStoreOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? (() => undefined);
    this.subscription = secrets.onDidChange((e) => {
      if (e.key === SecretKey.Credentials) void this.refreshFromStorage();
    });
  }

  /**
   * The stored credentials; undefined when none are stored (or what is stored is unusable).
   * Rejects with a KeychainError when the keychain cannot be read: that is not "signed out".
   */
  async get(): Promise<StoredCredentials | undefined> {
    return parseStoredCredentials(await this.read());
  }

  private async read(): Promise<string | undefined> {
    try {
      const raw = await this.secrets.get(SecretKey.Credentials);
      this.toldReadFailure = undefined;
      return raw;
    } catch (e) {
      const error = new KeychainError('read', e);
      if (error.message !== this.toldReadFailure) this.onError(error);
      this.toldReadFailure = error.message;
      throw error;
    }
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

  /** Rejects with a KeychainError when the keychain refuses the write (nothing changed then). */
  private async write(raw: string | undefined): Promise<void> {
    // Remembered before the write so the echo of our own change is recognised as such.
    this.remember(raw);
    try {
      if (raw === undefined) await this.secrets.delete(SecretKey.Credentials);
      else await this.secrets.store(SecretKey.Credentials, raw);
    } catch (e) {
      this.lastKnownValid = false;
      const error = new KeychainError(raw === undefined ? 'delete' : 'save', e);
      this.onError(error);
      throw error;
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
      raw = await this.read();
    } catch {
      // already told; listeners re-read and meet the failure themselves
      this.lastKnownValid = false;
      this.changed.fire();
      return;
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
