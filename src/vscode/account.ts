// Sign in / set token / sign out / test connection, and the `larkImageUpload.signedIn` context key.
// Every command also takes its input as an argument (for tests and other extensions) and
// returns what happened, so it can be driven without UI.
import * as vscode from 'vscode';
import { Command, ContextKey } from '../constants';
import { LarkClient } from '../core/larkClient';
import { UploadError, describeError, hintFor, isTokenError } from '../core/larkErrors';
import { LocalCode } from '../core/types';
import type { CredentialStore } from './credentials';
import type { UploadLog } from './log';
import type { LarkSession } from './session';

export interface ConnectionTestResult {
  ok: boolean;
  code?: number;
  logId?: string;
}

/** A key no app ever gets: the download answers 234001 once the gateway accepted the token. */
export const CONNECTION_TEST_IMAGE_KEY = 'img_v2_connection_test';
/** Answers of the download that prove the gateway accepted the token (unknown / foreign key, no download scope). */
const TOKEN_ACCEPTED_CODES: readonly number[] = [234001, 234005, 234008, 99991672];

function record(arg: unknown): Record<string, unknown> | undefined {
  return arg && typeof arg === 'object' && !Array.isArray(arg) ? (arg as Record<string, unknown>) : undefined;
}

function stringField(arg: unknown, name: string): string | undefined {
  const value = record(arg)?.[name];
  return typeof value === 'string' ? value : undefined;
}

export function validateAppId(value: string): string | undefined {
  const v = value.trim();
  if (v === '') return vscode.l10n.t('Enter the App ID of your Lark app.');
  if (/\s/.test(v)) return vscode.l10n.t('An App ID contains no spaces.');
  return undefined;
}

export function validateAppSecret(value: string): string | undefined {
  const v = value.trim();
  if (v === '') return vscode.l10n.t('Enter the App Secret.');
  if (/\s/.test(v)) return vscode.l10n.t('An App Secret contains no spaces.');
  return undefined;
}

export function validateTenantToken(value: string): string | undefined {
  const v = value.trim();
  if (!v.startsWith('t-')) return vscode.l10n.t('A tenant access token starts with "t-".');
  if (/\s/.test(v)) return vscode.l10n.t('A tenant access token contains no spaces.');
  return undefined;
}

function withLogId(message: string, logId: string | undefined): string {
  return logId ? vscode.l10n.t('{0} (log ID: {1})', message, logId) : message;
}

/** "<title> (<code>): <hint>" from the catalog, in the UI language. */
function explain(code: number): string {
  return vscode.l10n.t('{0} ({1}): {2}', describeError(code).title, code, hintFor(code, vscode.env.language));
}

function asUploadError(e: unknown): UploadError {
  if (e instanceof UploadError) return e;
  return new UploadError(LocalCode.NetworkError, e instanceof Error ? e.message : String(e), { cause: e });
}

function isNetworkProblem(code: number): boolean {
  return code === LocalCode.NetworkError || code === LocalCode.Timeout || code === LocalCode.BadResponse;
}

export function registerAccountCommands(session: LarkSession, credentials: CredentialStore, log: UploadLog): vscode.Disposable {
  const syncSignedIn = async (): Promise<void> => {
    const signedIn = (await credentials.get()) !== undefined;
    await vscode.commands.executeCommand('setContext', ContextKey.SignedIn, signedIn);
  };

  /** Runs `task` under a cancellable progress notification; cancelling aborts the request. */
  const withProgress = <T>(title: string, task: (signal: AbortSignal) => Promise<T>): Thenable<T> =>
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_progress, token) => {
      const controller = new AbortController();
      const sub = token.onCancellationRequested(() => controller.abort());
      return task(controller.signal).finally(() => sub.dispose());
    });

  async function signIn(arg?: unknown): Promise<boolean> {
    const given = { appId: stringField(arg, 'appId'), appSecret: stringField(arg, 'appSecret') };
    const programmatic = given.appId !== undefined && given.appSecret !== undefined;
    let appId: string | undefined;
    let appSecret: string | undefined;
    if (programmatic) {
      const problem = validateAppId(given.appId ?? '') ?? validateAppSecret(given.appSecret ?? '');
      if (problem) {
        void vscode.window.showErrorMessage(problem);
        return false;
      }
      appId = (given.appId ?? '').trim();
      appSecret = (given.appSecret ?? '').trim();
    } else {
      const stored = await credentials.get();
      appId = await vscode.window.showInputBox({
        title: vscode.l10n.t('Sign in to Lark (1/2): App ID'),
        prompt: vscode.l10n.t('The App ID of your Lark app (Developer Console → Credentials & Basic Info).'),
        placeHolder: 'cli_a1b2c3d4e5f6a7b8',
        value: given.appId ?? (stored?.kind === 'app' ? stored.appId : undefined),
        ignoreFocusOut: true,
        validateInput: (value) => {
          const problem = validateAppId(value);
          if (problem) return problem;
          if (!value.trim().startsWith('cli_')) {
            return { message: vscode.l10n.t('App IDs usually look like cli_…; check that you copied the App ID.'), severity: vscode.InputBoxValidationSeverity.Warning };
          }
          return undefined;
        },
      });
      if (appId === undefined) return false;
      appId = appId.trim();
      appSecret = await vscode.window.showInputBox({
        title: vscode.l10n.t('Sign in to Lark (2/2): App Secret'),
        prompt: vscode.l10n.t('The App Secret of {0}. It is kept in the system keychain, never in settings.', appId),
        password: true,
        ignoreFocusOut: true,
        validateInput: validateAppSecret,
      });
      if (appSecret === undefined) return false;
      appSecret = appSecret.trim();
    }
    session.maskSecret(appSecret);

    const baseUrl = session.baseUrl();
    if (typeof baseUrl !== 'string') {
      session.showBaseUrlRefused(baseUrl);
      return false;
    }

    const id = appId;
    const secret = appSecret;
    let failure: UploadError | undefined;
    try {
      await withProgress(vscode.l10n.t('Checking credentials with Lark…'), (signal) =>
        new LarkClient({ baseUrl, credentials: { kind: 'app', appId: id, appSecret: secret }, onRequest: (entry) => log.request(entry) }).testConnection(signal),
      );
    } catch (e) {
      failure = asUploadError(e);
    }

    if (failure) {
      if (failure.code === LocalCode.Cancelled) return false;
      log.warn(`Sign-in check for ${id} at ${baseUrl} failed: code=${failure.code} log_id=${failure.logId ?? '-'} ${failure.message}`);
      if (isNetworkProblem(failure.code)) {
        const message = vscode.l10n.t('Could not check the credentials with Lark: {0} {1}', failure.message, hintFor(failure.code, vscode.env.language));
        if (programmatic) {
          void vscode.window.showErrorMessage(message);
          return false;
        }
        const saveAnyway = vscode.l10n.t('Save Anyway');
        if ((await vscode.window.showErrorMessage(message, saveAnyway)) !== saveAnyway) return false;
      } else {
        const message = vscode.l10n.t('Lark did not accept these credentials. {0}', explain(failure.code));
        void vscode.window.showErrorMessage(withLogId(message, failure.logId));
        return false;
      }
    }

    await credentials.saveApp(id, secret);
    await syncSignedIn();
    log.info(`Signed in as ${id} (${baseUrl}).`);
    void vscode.window.showInformationMessage(vscode.l10n.t('Signed in to Lark as {0}.', id));
    return true;
  }

  async function setToken(arg?: unknown): Promise<boolean> {
    const given = stringField(arg, 'token');
    let token: string | undefined;
    if (given !== undefined) {
      const problem = validateTenantToken(given);
      if (problem) {
        void vscode.window.showErrorMessage(problem);
        return false;
      }
      token = given.trim();
    } else {
      token = await vscode.window.showInputBox({
        title: vscode.l10n.t('Set Tenant Access Token'),
        prompt: vscode.l10n.t('Paste a tenant_access_token (t-…). It expires within 2 hours; signing in with App ID and Secret refreshes tokens automatically.'),
        placeHolder: 't-…',
        password: true,
        ignoreFocusOut: true,
        validateInput: validateTenantToken,
      });
      if (token === undefined) return false;
      token = token.trim();
    }
    session.maskSecret(token);
    await credentials.saveToken(token);
    await syncSignedIn();
    log.info('Tenant access token set.');
    const signIn = vscode.l10n.t('Sign In');
    void vscode.window
      .showInformationMessage(
        vscode.l10n.t('Tenant access token saved. It expires within 2 hours of being issued; signing in with App ID and Secret is recommended, as tokens are then refreshed automatically.'),
        signIn,
      )
      .then((choice) => (choice === signIn ? vscode.commands.executeCommand(Command.SignIn) : undefined));
    return true;
  }

  async function signOut(arg?: unknown): Promise<boolean> {
    const stored = await credentials.get();
    if (!stored) {
      await syncSignedIn();
      void vscode.window.showInformationMessage(vscode.l10n.t('You are not signed in to Lark.'));
      return false;
    }
    const confirm = record(arg)?.confirm !== false;
    if (confirm) {
      const signOutLabel = vscode.l10n.t('Sign Out');
      const what = stored.kind === 'app' ? vscode.l10n.t('the App ID and App Secret of {0}', stored.appId) : vscode.l10n.t('the tenant access token');
      const choice = await vscode.window.showWarningMessage(
        vscode.l10n.t('Sign out of Lark? This removes {0} from this machine.', what),
        { modal: true },
        signOutLabel,
      );
      if (choice !== signOutLabel) return false;
    }
    await credentials.clear();
    await syncSignedIn();
    log.info('Signed out.');
    void vscode.window.showInformationMessage(vscode.l10n.t('Signed out of Lark.'));
    return true;
  }

  async function testConnection(): Promise<ConnectionTestResult> {
    let client: LarkClient | undefined;
    try {
      client = await session.client();
    } catch (e) {
      const err = asUploadError(e);
      session.showBaseUrlRefused(err);
      return { ok: false, code: err.code };
    }
    if (!client) {
      session.showSignedOut();
      return { ok: false };
    }
    const c = client;
    const appId = c.appId;
    try {
      if (appId !== undefined) {
        const { tokenSecondsLeft } = await withProgress(vscode.l10n.t('Testing the connection to Lark…'), (signal) => c.testConnection(signal));
        const minutes = Math.floor((tokenSecondsLeft ?? 0) / 60);
        log.info(`Connection test: ${c.baseUrl} as ${appId}, token valid for ${minutes} min.`);
        void vscode.window.showInformationMessage(vscode.l10n.t('Connected to {0} as {1}; token valid for {2} minutes.', c.baseUrl, appId, minutes));
        return { ok: true };
      }
      // A static token cannot be checked by fetching one: make a harmless download of a key that
      // does not exist. Past the gateway (token accepted) Lark answers "unknown image".
      let logId: string | undefined;
      try {
        ({ logId } = await withProgress(vscode.l10n.t('Testing the connection to Lark…'), (signal) => c.downloadImage(CONNECTION_TEST_IMAGE_KEY, { signal })));
      } catch (e) {
        const err = asUploadError(e);
        if (!TOKEN_ACCEPTED_CODES.includes(err.code)) throw err;
        logId = err.logId;
      }
      log.info(`Connection test: ${c.baseUrl} accepts the tenant access token (log_id=${logId ?? '-'}).`);
      void vscode.window.showInformationMessage(vscode.l10n.t('Connected to {0}; Lark accepts the tenant access token.', c.baseUrl));
      return { ok: true };
    } catch (e) {
      const err = asUploadError(e);
      if (err.code === LocalCode.Cancelled) return { ok: false, code: err.code };
      log.warn(`Connection test failed: code=${err.code} log_id=${err.logId ?? '-'} ${err.message}`);
      if (appId === undefined && (isTokenError(err.code) || err.code === 99991661)) {
        session.reportTokenRejected(err.logId);
      } else if (err.code === LocalCode.InsecureBaseUrl || err.code === LocalCode.RedirectRefused) {
        session.showBaseUrlRefused(err);
      } else {
        const detail = isNetworkProblem(err.code) ? vscode.l10n.t('{0} {1}', err.message, hintFor(err.code, vscode.env.language)) : explain(err.code);
        void vscode.window.showErrorMessage(withLogId(vscode.l10n.t('Connection test failed: {0}', detail), err.logId));
      }
      const result: ConnectionTestResult = { ok: false, code: err.code };
      if (err.logId !== undefined) result.logId = err.logId;
      return result;
    }
  }

  void syncSignedIn();
  return vscode.Disposable.from(
    session.onDidChange(() => void syncSignedIn()),
    vscode.commands.registerCommand(Command.SignIn, signIn),
    vscode.commands.registerCommand(Command.SetToken, setToken),
    vscode.commands.registerCommand(Command.SignOut, signOut),
    vscode.commands.registerCommand(Command.TestConnection, testConnection),
  );
}
