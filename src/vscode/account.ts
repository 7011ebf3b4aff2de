// Sign in / set token / sign out / test connection, and the `larkImageUpload.signedIn` context key.
// Every command also takes its input as an argument (for tests and other extensions) and
// returns what happened, so it can be driven without UI.
import * as vscode from 'vscode';
import { Command, ContextKey } from '../constants';
import { LarkClient } from '../core/larkClient';
import { hintFor, type UploadError } from '../core/larkErrors';
import { LocalCode } from '../core/types';
import { appCredentialsFrom, tenantTokenFrom, wantsConfirmation, type AppCredentials } from './accountInput';
import { testConnection } from './connectionTest';
import { KeychainError, type CredentialStore } from './credentials';
import { asUploadError, explain, isNetworkProblem, withCancellableProgress, withLogId } from './feedback';
import { clearPreviews } from './hover';
import type { UploadLog } from './log';
import type { PreviewFolder } from '../core/previewFolder';
import type { LarkSession } from './session';

export type { ConnectionTestResult } from './connectionTest';

interface AccountServices {
  session: LarkSession;
  credentials: CredentialStore;
  log: UploadLog;
  /** Fetched previews: deleted on sign out. */
  previews: PreviewFolder;
}

export function registerAccountCommands(services: AccountServices): vscode.Disposable {
  const { session, log } = services;
  const syncSignedIn = (): Promise<void> => syncSignedInContext(services.credentials);
  void syncSignedIn();
  return vscode.Disposable.from(
    session.onDidChange(() => void syncSignedIn()),
    vscode.commands.registerCommand(Command.SignIn, (arg?: unknown) => signIn(arg, services)),
    vscode.commands.registerCommand(Command.SetToken, (arg?: unknown) => setToken(arg, services)),
    vscode.commands.registerCommand(Command.SignOut, (arg?: unknown) => signOut(arg, services)),
    vscode.commands.registerCommand(Command.TestConnection, () => testConnection(session, log)),
  );
}

/** The context key follows the keychain; a keychain that cannot be read counts as not signed in (the store logged why). */
async function syncSignedInContext(credentials: CredentialStore): Promise<void> {
  const signedIn = await credentials.get().then(
    (stored) => stored !== undefined,
    () => false,
  );
  await vscode.commands.executeCommand('setContext', ContextKey.SignedIn, signedIn);
}

/** Runs a keychain write; a KeychainError is shown (the store logged it) and yields false. */
async function saved(write: () => Promise<void>, services: AccountServices): Promise<boolean> {
  try {
    await write();
  } catch (e) {
    if (!(e instanceof KeychainError)) throw e;
    services.session.showKeychainFailure(e);
    return false;
  }
  await syncSignedInContext(services.credentials);
  return true;
}

async function signIn(arg: unknown, services: AccountServices): Promise<boolean> {
  const { session, credentials, log } = services;
  const storedAppId = async (): Promise<string | undefined> => {
    const stored = await credentials.get().catch(() => undefined); // only a prefill: a keychain failure was logged
    return stored?.kind === 'app' ? stored.appId : undefined;
  };
  const entered = await appCredentialsFrom(arg, storedAppId);
  if (!entered) return false;
  session.maskSecret(entered.appSecret);
  const baseUrl = session.baseUrl();
  if (typeof baseUrl !== 'string') {
    session.showBaseUrlRefused(baseUrl);
    return false;
  }
  const failure = await checkWithLark(entered, baseUrl, log);
  if (failure && !(await keepDespite(failure, entered, baseUrl, log))) return false;
  if (!(await saved(() => credentials.saveApp(entered.appId, entered.appSecret), services))) return false;
  log.info(`Signed in as ${entered.appId} (${baseUrl}).`);
  void vscode.window.showInformationMessage(vscode.l10n.t('Signed in to Lark as {0}.', entered.appId));
  return true;
}

/** Fetches a token with the entered credentials; the UploadError when that failed. */
async function checkWithLark(entered: AppCredentials, baseUrl: string, log: UploadLog): Promise<UploadError | undefined> {
  const client = new LarkClient({ baseUrl, credentials: { kind: 'app', appId: entered.appId, appSecret: entered.appSecret }, onRequest: (entry) => log.request(entry) });
  try {
    await withCancellableProgress(vscode.l10n.t('Checking credentials with Lark…'), (signal) => client.testConnection(signal));
    return undefined;
  } catch (e) {
    return asUploadError(e);
  }
}

/**
 * After a failed check: Lark refused the credentials -> say why, false. Lark could not be
 * reached -> say so, and (asked interactively only) offer "Save Anyway". Cancelled -> false.
 */
async function keepDespite(failure: UploadError, entered: AppCredentials, baseUrl: string, log: UploadLog): Promise<boolean> {
  if (failure.code === LocalCode.Cancelled) return false;
  log.warn(`Sign-in check for ${entered.appId} at ${baseUrl} failed: code=${failure.code} log_id=${failure.logId ?? '-'} ${failure.message}`);
  if (!isNetworkProblem(failure.code)) {
    const message = vscode.l10n.t('Lark did not accept these credentials. {0}', explain(failure.code));
    void vscode.window.showErrorMessage(withLogId(message, failure.logId));
    return false;
  }
  const message = vscode.l10n.t('Could not check the credentials with Lark: {0} {1}', failure.message, hintFor(failure.code, vscode.env.language));
  if (entered.programmatic) {
    void vscode.window.showErrorMessage(message);
    return false;
  }
  const saveAnyway = vscode.l10n.t('Save Anyway');
  return (await vscode.window.showErrorMessage(message, saveAnyway)) === saveAnyway;
}

async function setToken(arg: unknown, services: AccountServices): Promise<boolean> {
  const token = await tenantTokenFrom(arg);
  if (token === undefined) return false;
  services.session.maskSecret(token);
  if (!(await saved(() => services.credentials.saveToken(token), services))) return false;
  services.log.info('Tenant access token set.');
  const signIn = vscode.l10n.t('Sign In');
  void vscode.window
    .showInformationMessage(
      vscode.l10n.t('Tenant access token saved. It expires within 2 hours of being issued; signing in with App ID and Secret is recommended, as tokens are then refreshed automatically.'),
      signIn,
    )
    .then((choice) => (choice === signIn ? vscode.commands.executeCommand(Command.SignIn) : undefined));
  return true;
}

/** Removes the credentials and the previews fetched with them. */
async function signOut(arg: unknown, services: AccountServices): Promise<boolean> {
  const { session, credentials, log } = services;
  let stored;
  try {
    stored = await credentials.get();
  } catch (e) {
    if (!(e instanceof KeychainError)) throw e;
    session.showKeychainFailure(e);
    return false;
  }
  if (!stored) {
    await syncSignedInContext(credentials);
    void vscode.window.showInformationMessage(vscode.l10n.t('You are not signed in to Lark.'));
    return false;
  }
  if (wantsConfirmation(arg)) {
    const signOutLabel = vscode.l10n.t('Sign Out');
    const what = stored.kind === 'app' ? vscode.l10n.t('the App ID and App Secret of {0}', stored.appId) : vscode.l10n.t('the tenant access token');
    const choice = await vscode.window.showWarningMessage(vscode.l10n.t('Sign out of Lark? This removes {0} from this machine.', what), { modal: true }, signOutLabel);
    if (choice !== signOutLabel) return false;
  }
  if (!(await saved(() => credentials.clear(), services))) return false;
  await clearPreviews(services.previews, log);
  log.info('Signed out.');
  void vscode.window.showInformationMessage(vscode.l10n.t('Signed out of Lark.'));
  return true;
}
