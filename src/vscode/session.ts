// The signed-in state: which LarkClient to use for the credentials in use (the profile of this
// window) and its origin (the profile's; without a profile, the configured base URL). One client
// per profile is kept (with its token cache) until its credentials or origin change.
import * as vscode from 'vscode';
import { Command, CONFIG_SECTION, Setting } from '../constants';
import { LarkClient } from '../core/larkClient';
import { UploadError, tokenRejectedText } from '../core/larkErrors';
import { LocalCode } from '../core/types';
import { KeychainError, type CredentialSource, type StoredCredentials } from './credentials';
import type { Profile } from '../core/profiles';
import type { UploadLog } from './log';
import type { LarkSettings } from './settings';

/** A static tenant_access_token lives at most 2 h; warn once it is this old. */
const STATIC_TOKEN_WARN_AFTER_MS = 105 * 60 * 1000;
const STATIC_TOKEN_MAX_AGE_MS = 120 * 60 * 1000;

/** Opens the settings editor on the region / base URL settings. */
function openBaseUrlSettings(): Thenable<unknown> {
  return vscode.commands.executeCommand('workbench.action.openSettings', `${CONFIG_SECTION}.${Setting.Region}`);
}

function toBaseUrlError(e: Error): UploadError {
  return e instanceof UploadError ? e : new UploadError(LocalCode.InsecureBaseUrl, e.message);
}

function secretsOf(c: StoredCredentials | undefined): string[] {
  if (!c) return [];
  return c.kind === 'app' ? [c.appSecret] : [c.token];
}

export class LarkSession implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Credentials or the effective base URL changed. */
  readonly onDidChange: vscode.Event<void> = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private cached: { key: string; client: LarkClient } | undefined;
  /** Clients of profiles other than the one in use (clientForProfile), by profile id. */
  private readonly otherClients = new Map<string, { key: string; client: LarkClient }>();
  /** The profile each client was made for: an upload records its keys under that one, even if the user switches meanwhile. */
  private readonly profiles = new WeakMap<LarkClient, Profile>();
  private lastBaseUrl: string;
  /** Secrets typed in this window (e.g. a rejected App Secret): masked in the log too. */
  private readonly typedSecrets = new Set<string>();
  /** Every stored secret seen in this window: switching profiles must not unmask the previous one (an upload may still be running with it). */
  private readonly storedSecrets = new Set<string>();
  /** savedAt of the static token we already warned about (once per token). */
  private warnedTokenSavedAt: number | undefined;

  constructor(
    private readonly credentials: CredentialSource,
    private readonly log: UploadLog,
    private readonly settings: () => LarkSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.lastBaseUrl = this.baseUrlSignature();
    this.disposables.push(
      this.changed,
      credentials.onDidChange(() => {
        this.cached = undefined;
        this.refreshMask();
        this.changed.fire();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(`${CONFIG_SECTION}.${Setting.Region}`) && !e.affectsConfiguration(`${CONFIG_SECTION}.${Setting.CustomBaseUrl}`)) return;
        // Only an effective change counts (a workspace value is ignored by readSettings).
        const signature = this.baseUrlSignature();
        if (signature === this.lastBaseUrl) return;
        this.lastBaseUrl = signature;
        this.cached = undefined;
        this.changed.fire();
      }),
    );
    // Mask the stored secret in the log from the start, before any request is made.
    this.refreshMask();
  }

  /** Re-reads the stored secret for the log mask (a keychain failure was already logged by the store). */
  private refreshMask(): void {
    this.credentials.get().then(
      (c) => this.updateMask(c),
      () => undefined,
    );
  }

  /** The profile in use (undefined without profiles, or when none is active). */
  profile(): Profile | undefined {
    return this.credentials.profile?.();
  }

  /** The profile a client of this session was made for. */
  profileOf(client: LarkClient): Profile | undefined {
    return this.profiles.get(client);
  }

  /**
   * The origin in use: the profile's, else the configured one, or the UploadError (9105)
   * explaining why the configured one is refused.
   */
  baseUrl(): string | UploadError {
    return this.profile()?.origin ?? this.settingsBaseUrl();
  }

  /** The origin the user settings give (region / customBaseUrl): where a new profile goes by default. */
  settingsBaseUrl(): string | UploadError {
    const { baseUrl } = this.settings();
    return typeof baseUrl === 'string' ? baseUrl : toBaseUrlError(baseUrl);
  }

  private baseUrlSignature(): string {
    const b = this.baseUrl();
    return typeof b === 'string' ? b : `error:${b.message}`;
  }

  /** Adds a secret the user typed (not necessarily stored) to what the log masks. */
  maskSecret(secret: string): void {
    if (!secret) return;
    this.typedSecrets.add(secret);
    this.pushMask();
  }

  private updateMask(c: StoredCredentials | undefined): void {
    for (const secret of secretsOf(c)) this.storedSecrets.add(secret);
    this.pushMask();
  }

  private pushMask(): void {
    this.log.setSecrets([...new Set([...this.storedSecrets, ...this.typedSecrets])]);
  }

  /**
   * LarkClient for the current credentials + base URL, cached (so its token cache survives)
   * until either changes; undefined when signed out. Throws the UploadError (9105) when the
   * base URL setting is refused, a KeychainError when the keychain cannot be read.
   */
  async client(): Promise<LarkClient | undefined> {
    const stored = await this.credentials.get();
    this.updateMask(stored);
    if (!stored) return undefined;
    const baseUrl = this.baseUrl();
    if (typeof baseUrl !== 'string') throw baseUrl;
    const profile = this.profile();
    const key = JSON.stringify([baseUrl, stored, profile?.id]);
    if (this.cached?.key === key) return this.cached.client;
    const client = new LarkClient({
      baseUrl,
      credentials: stored.kind === 'app' ? { kind: 'app', appId: stored.appId, appSecret: stored.appSecret } : { kind: 'token', token: stored.token },
      onRequest: (entry) => this.log.request(entry),
    });
    this.cached = { key, client };
    if (profile) this.profiles.set(client, profile);
    return client;
  }

  /**
   * A client for any profile (re-keying downloads with the source profile and uploads with the
   * target): the one in use is client(); others are cached per profile like it. Undefined when
   * the profile is signed out or its credentials are gone. Rejects with a KeychainError.
   */
  async clientForProfile(profile: Profile): Promise<LarkClient | undefined> {
    if (profile.id === this.profile()?.id) return this.client();
    if (profile.signedOut || !this.credentials.credentialsOf) return undefined;
    const stored = await this.credentials.credentialsOf(profile.id);
    this.updateMask(stored);
    if (!stored) return undefined;
    const key = JSON.stringify([profile.origin, stored, profile.id]);
    const cached = this.otherClients.get(profile.id);
    if (cached?.key === key) return cached.client;
    const client = new LarkClient({
      baseUrl: profile.origin,
      credentials: stored.kind === 'app' ? { kind: 'app', appId: stored.appId, appSecret: stored.appSecret } : { kind: 'token', token: stored.token },
      onRequest: (entry) => this.log.request(entry),
    });
    this.otherClients.set(profile.id, { key, client });
    this.profiles.set(client, profile);
    return client;
  }

  /**
   * Like client(); when signed out, offers "Sign In" / "Set Token" and returns undefined; when
   * the base URL is refused, shows why with "Open Settings" and returns undefined; when the
   * keychain fails, says so and returns undefined. Warns about an old static token (the warning
   * is shown, not waited for). `continueAfterSignIn`: when signed out, waits for the answer to
   * the prompt and, once the user has signed in (or set a token) from it, returns the client,
   * so the upload the user asked for goes on without picking the files again.
   */
  async requireClient(options: { continueAfterSignIn?: boolean } = {}): Promise<LarkClient | undefined> {
    let client: LarkClient | undefined;
    try {
      client = await this.client();
    } catch (e) {
      if (e instanceof KeychainError) {
        this.showKeychainFailure(e);
        return undefined;
      }
      if (!(e instanceof UploadError) || e.code !== LocalCode.InsecureBaseUrl) throw e;
      this.showBaseUrlRefused(e);
      return undefined;
    }
    if (!client) {
      if (!options.continueAfterSignIn) {
        this.showSignedOut();
        return undefined;
      }
      // the gesture goes on once the user has signed in from the prompt
      if (!(await this.signInFromPrompt())) return undefined;
      return this.requireClient();
    }
    if (client.appId === undefined) await this.warnIfStaticTokenOld();
    return client;
  }

  /** Says what the keychain failed to do, with "Show Log". Not awaited by callers. */
  showKeychainFailure(error: KeychainError): void {
    const reason = this.log.mask(error.reason);
    const message =
      error.operation === 'read'
        ? vscode.l10n.t('Could not read your Lark credentials from the system keychain: {0}. This is not a sign-out: the stored credentials are used again once the keychain works (for example after unlocking it).', reason)
        : error.operation === 'save'
          ? vscode.l10n.t('Could not save the credentials in the system keychain: {0}. Nothing was changed.', reason)
          : vscode.l10n.t('Could not remove the credentials from the system keychain: {0}. You are still signed in.', reason);
    const showLog = vscode.l10n.t('Show Log');
    void vscode.window.showErrorMessage(message, showLog).then((choice) => (choice === showLog ? this.log.channel.show(true) : undefined));
  }

  /** Shows why the base URL setting is refused, with "Open Settings". Not awaited by callers. */
  showBaseUrlRefused(error: UploadError): void {
    const openSettings = vscode.l10n.t('Open Settings');
    void vscode.window
      .showErrorMessage(vscode.l10n.t('The Lark base URL setting is refused: {0}', error.message), openSettings)
      .then((choice) => (choice === openSettings ? openBaseUrlSettings() : undefined));
  }

  /** "Sign in to Lark to upload images." with "Sign In" / "Set Token". Not awaited by callers. */
  showSignedOut(): void {
    this.signInFromPrompt().catch((e: unknown) => this.log.error(`signing in from the prompt failed: ${e instanceof Error ? e.message : String(e)}`));
  }

  /** Shows the signed-out prompt; true once the user signed in (or set a token) from it. */
  private async signInFromPrompt(): Promise<boolean> {
    const signIn = vscode.l10n.t('Sign In');
    const setToken = vscode.l10n.t('Set Token');
    const choice = await vscode.window.showWarningMessage(this.signedOutText(), signIn, setToken);
    const command = choice === signIn ? Command.SignIn : choice === setToken ? Command.SetToken : undefined;
    return command !== undefined && (await vscode.commands.executeCommand<boolean>(command)) === true;
  }

  /** Why there is no client: signed out, or the profile's secret vanished from the keychain. */
  private signedOutText(): string {
    const profile = this.profile();
    if (!profile) return vscode.l10n.t('Sign in to Lark to upload images.');
    if (profile.signedOut) return vscode.l10n.t('Profile "{0}" is signed out. Sign in to upload images.', profile.name);
    return vscode.l10n.t(
      'The credentials of profile "{0}" are no longer in the system keychain (it may have been reset). Enter them again to upload images; the profile\'s upload history is kept.',
      profile.name,
    );
  }

  private async warnIfStaticTokenOld(): Promise<void> {
    const stored = await this.credentials.get().catch(() => undefined); // a keychain failure was logged
    if (stored?.kind !== 'token' || stored.savedAt <= 0) return;
    const age = this.now() - stored.savedAt;
    if (age < STATIC_TOKEN_WARN_AFTER_MS || this.warnedTokenSavedAt === stored.savedAt) return;
    this.warnedTokenSavedAt = stored.savedAt;
    const minutes = Math.floor(age / 60_000);
    const message =
      age >= STATIC_TOKEN_MAX_AGE_MS
        ? vscode.l10n.t('Your tenant access token was set {0} minutes ago; tokens last at most 2 hours, so it has probably expired. Set a new one, or sign in with App ID and Secret to have tokens refreshed automatically.', minutes)
        : vscode.l10n.t('Your tenant access token was set {0} minutes ago and expires within 2 hours of being issued. Set a new one soon, or sign in with App ID and Secret to have tokens refreshed automatically.', minutes);
    this.offerNewToken(message, 'warning');
  }

  /**
   * Call when an upload failed with a token error (99991663/99991664/99991671) while a static
   * token is in use: says the token was rejected (with the log ID when given) and offers to set
   * a new one or to sign in.
   */
  reportTokenRejected(logId?: string): void {
    if (this.cached && this.cached.client.appId !== undefined) return; // app credentials refresh on their own
    const message = tokenRejectedText(vscode.env.language); // the CLI says the same
    this.offerNewToken(logId ? vscode.l10n.t('{0} (log ID: {1})', message, logId) : message, 'error');
  }

  private offerNewToken(message: string, severity: 'warning' | 'error'): void {
    const setToken = vscode.l10n.t('Set Tenant Access Token');
    const signIn = vscode.l10n.t('Sign In');
    const shown = severity === 'error' ? vscode.window.showErrorMessage(message, setToken, signIn) : vscode.window.showWarningMessage(message, setToken, signIn);
    void shown.then((choice) => {
      if (choice === setToken) return vscode.commands.executeCommand(Command.SetToken);
      if (choice === signIn) return vscode.commands.executeCommand(Command.SignIn);
      return undefined;
    });
  }

  /** Short label for the status bar: the app id or "tenant token"; undefined when signed out. Rejects with a KeychainError. */
  async label(): Promise<string | undefined> {
    const stored = await this.credentials.get();
    if (!stored) return undefined;
    return stored.kind === 'app' ? stored.appId : vscode.l10n.t('tenant token');
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    this.cached = undefined;
    this.otherClients.clear();
  }
}
