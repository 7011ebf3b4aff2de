// The user's Lark credentials in VS Code's SecretStorage (the OS keychain), never in settings,
// globalState or logs: per profile (ProfileCredentials), or the one value of the pre-profiles
// layout (CredentialStore, still read once to migrate it).
import * as vscode from 'vscode';
import { CONFIG_SECTION, SecretKey, Setting } from '../constants';
import { SecretStoreError, chooseProfile, parseStoredCredentials, profileIdOfSecretKey, type Profile, type ProfileChoice, type ProfileStore, type StoredCredentials } from '../core/profiles';

export type { StoredCredentials } from '../core/profiles';

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

/** What the session needs from where credentials come from. */
export interface CredentialSource {
  /** The credentials in use; undefined when signed out. Rejects with a KeychainError. */
  get(): Promise<StoredCredentials | undefined>;
  readonly onDidChange: vscode.Event<void>;
  /** The profile in use, when credentials come from profiles. */
  profile?(): Profile | undefined;
  /** Any profile's credentials, when credentials come from profiles. Rejects with a KeychainError. */
  credentialsOf?(id: string): Promise<StoredCredentials | undefined>;
}

/**
 * The credentials of the profile this window uses: the workspace's `larkImageUpload.profile`
 * (by name, trusted workspaces only), else the active profile. Keychain failures become
 * KeychainErrors, told once until a read works again.
 */
export class ProfileCredentials implements CredentialSource, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange: vscode.Event<void> = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private toldReadFailure: string | undefined;
  /** Chosen in this window with Switch Profile while the workspace setting names another. */
  private windowChoice: string | undefined;
  /** Credentials are read once this settles (the migration of the pre-profiles layout). */
  private ready: Promise<unknown> = Promise.resolve();

  constructor(
    readonly store: ProfileStore,
    secrets: vscode.SecretStorage,
    private readonly onError: (error: KeychainError) => void = () => undefined,
  ) {
    const storeSubscription = store.onDidChange(() => this.changed.fire());
    this.disposables.push(
      this.changed,
      { dispose: () => storeSubscription.dispose() },
      secrets.onDidChange((e) => {
        if (profileIdOfSecretKey(e.key) !== undefined) this.changed.fire();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${CONFIG_SECTION}.${Setting.Profile}`)) this.changed.fire();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.changed.fire()),
    );
  }

  /** Which profile this window uses, and why (see chooseProfile). */
  choice(): ProfileChoice {
    const profiles = this.store.list();
    const pinned = this.windowChoice !== undefined ? profiles.find((p) => p.id === this.windowChoice) : undefined;
    if (pinned) return { profile: pinned, source: 'active' };
    const named = vscode.workspace.getConfiguration(CONFIG_SECTION).get<unknown>(Setting.Profile);
    return chooseProfile(profiles, this.store.activeId, named, vscode.workspace.isTrusted);
  }

  profile(): Profile | undefined {
    return this.choice().profile;
  }

  /** Makes `id` the profile of this window (and the active one); undefined: none. */
  async use(id: string | undefined): Promise<void> {
    // the workspace setting would otherwise keep choosing its profile in this window
    this.windowChoice = this.choice().source === 'workspace' ? id : undefined;
    await this.store.setActive(id);
    this.changed.fire();
  }

  /** Reads of credentials wait for `work` (never failing because of it). */
  waitFor(work: Promise<unknown>): void {
    this.ready = work.then(
      () => this.changed.fire(),
      () => undefined,
    );
  }

  async get(): Promise<StoredCredentials | undefined> {
    await this.ready;
    const profile = this.profile();
    if (!profile || profile.signedOut) return undefined;
    return this.credentialsOf(profile.id);
  }

  /** A profile's credentials; rejects with a KeychainError. */
  async credentialsOf(id: string): Promise<StoredCredentials | undefined> {
    try {
      const stored = await this.store.credentials(id);
      this.toldReadFailure = undefined;
      return stored;
    } catch (e) {
      if (!(e instanceof SecretStoreError)) throw e;
      const error = new KeychainError('read', e.cause);
      if (error.message !== this.toldReadFailure) this.onError(error);
      this.toldReadFailure = error.message;
      throw error;
    }
  }

  /** Runs a profile store write; a keychain failure in it becomes a KeychainError (told), anything else is rethrown. */
  async write<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      if (!(e instanceof SecretStoreError) || e.operation === 'read') throw e;
      const error = new KeychainError(e.operation, e.cause);
      this.onError(error);
      throw error;
    }
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
