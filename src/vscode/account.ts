// Sign in / add profile / set token / sign out / test connection, and the `larkImageUpload.signedIn`
// context key. Credentials belong to profiles (core/profiles).
// Every command also takes its input as an argument (for tests and other extensions) and
// returns what happened, so it can be driven without UI.
import * as vscode from 'vscode';
import { Command, ContextKey } from '../constants';
import { LarkClient } from '../core/larkClient';
import { hintFor, type UploadError } from '../core/larkErrors';
import { LocalCode } from '../core/types';
import { appCredentialsFrom, askProfileName, pickOrigin, profileNameProblemText, record, stringArg, tenantTokenFrom, wantsConfirmation, type AppCredentials } from './accountInput';
import { testConnection } from './connectionTest';
import { KeychainError, type ProfileCredentials } from './credentials';
import { normalizeBaseUrl } from '../core/baseUrl';
import { ProfileNameError, defaultProfileName, uniqueName, type Profile } from '../core/profiles';
import { asUploadError, explain, isNetworkProblem, withCancellableProgress, withLogId } from './feedback';
import { clearPreviews } from './hover';
import type { UploadLog } from './log';
import type { PreviewFolder } from '../core/previewFolder';
import type { LarkSession } from './session';

export type { ConnectionTestResult } from './connectionTest';

export interface AccountServices {
  session: LarkSession;
  profiles: ProfileCredentials;
  log: UploadLog;
  /** Fetched previews: deleted on sign out. */
  previews: PreviewFolder;
}

export function registerAccountCommands(services: AccountServices): vscode.Disposable {
  const { session, log } = services;
  const syncSignedIn = (): Promise<void> => syncSignedInContext(services.profiles);
  void syncSignedIn();
  return vscode.Disposable.from(
    session.onDidChange(() => void syncSignedIn()),
    vscode.commands.registerCommand(Command.SignIn, (arg?: unknown) => signIn(arg, services)),
    vscode.commands.registerCommand(Command.AddProfile, (arg?: unknown) => addProfile(arg, services)),
    vscode.commands.registerCommand(Command.SetToken, (arg?: unknown) => setToken(arg, services)),
    vscode.commands.registerCommand(Command.SignOut, (arg?: unknown) => signOut(arg, services)),
    vscode.commands.registerCommand(Command.TestConnection, () => testConnection(session, log)),
  );
}

/** The context key follows the keychain; a keychain that cannot be read counts as not signed in (the store logged why). */
async function syncSignedInContext(profiles: ProfileCredentials): Promise<void> {
  const signedIn = await profiles.get().then(
    (stored) => stored !== undefined,
    () => false,
  );
  await vscode.commands.executeCommand('setContext', ContextKey.SignedIn, signedIn);
}

/** Runs a keychain write; a KeychainError is shown (the store logged it) and yields undefined. */
async function saved<T>(write: () => Promise<T>, services: AccountServices): Promise<T | undefined> {
  let result: T;
  try {
    result = await services.profiles.write(write);
  } catch (e) {
    if (e instanceof KeychainError) {
      services.session.showKeychainFailure(e);
      return undefined;
    }
    if (e instanceof ProfileNameError) {
      void vscode.window.showErrorMessage(profileNameProblemText(e.problem, e.profileName));
      return undefined;
    }
    // the profile list (globalState) could not be written: nothing changed
    const reason = services.log.mask(e instanceof Error ? e.message : String(e));
    services.log.error(`could not save the profile: ${reason}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('Could not save the Lark profile: {0}', reason));
    return undefined;
  }
  await syncSignedInContext(services.profiles);
  return result;
}

/** The profile in use when it has no usable credentials (signed out, or its secret vanished): signing in fills it in again. */
async function profileToSignInAgain(services: AccountServices): Promise<Profile | undefined> {
  const profile = services.profiles.profile();
  if (!profile) return undefined;
  const stored = await services.profiles.credentialsOf(profile.id).catch(() => undefined);
  return stored === undefined ? profile : undefined;
}

/**
 * Where new credentials go: `{ baseUrl }` from the argument, else the profile being signed in
 * again, else the user settings' origin. Undefined when refused (already said).
 */
function originFor(arg: unknown, again: Profile | undefined, session: LarkSession): string | undefined {
  const given = stringArg(arg, 'baseUrl');
  let origin: string | UploadError;
  if (given !== undefined) {
    try {
      origin = normalizeBaseUrl(given);
    } catch (e) {
      origin = asUploadError(e);
    }
  } else origin = again?.origin ?? session.settingsBaseUrl();
  if (typeof origin === 'string') return origin;
  session.showBaseUrlRefused(origin);
  return undefined;
}

/**
 * Sign In: App ID + Secret checked with Lark, then saved. Interactively, a profile in use without
 * credentials (signed out, or its secret vanished) gets them again; otherwise the credentials go
 * to the profile of the same app at the same origin, or to a new profile (named after the region,
 * or `{ name }`). Returns true once saved.
 */
async function signIn(arg: unknown, services: AccountServices): Promise<boolean> {
  const again = stringArg(arg, 'appId') === undefined ? await profileToSignInAgain(services) : undefined;
  return saveAppCredentials(arg, again, services);
}

/** Add Profile…: region, App ID + Secret (checked with Lark), then the name. */
async function addProfile(arg: unknown, services: AccountServices): Promise<boolean> {
  if (stringArg(arg, 'appId') !== undefined || stringArg(arg, 'token') !== undefined) {
    return stringArg(arg, 'token') !== undefined ? setToken({ ...(arg as object), newProfile: true }, services) : saveAppCredentials(arg, undefined, services, true);
  }
  const origin = await pickOrigin(services.session);
  if (origin === undefined) return false;
  return saveAppCredentials({ baseUrl: origin }, undefined, services, true);
}

async function saveAppCredentials(arg: unknown, again: Profile | undefined, services: AccountServices, askName = false): Promise<boolean> {
  const { session, profiles, log } = services;
  const entered = await appCredentialsFrom(arg, async () => again?.appId);
  if (!entered) return false;
  session.maskSecret(entered.appSecret);
  const baseUrl = originFor(arg, again, session);
  if (baseUrl === undefined) return false;
  const failure = await checkWithLark(entered, baseUrl, log);
  if (failure && !(await keepDespite(failure, entered, baseUrl, log))) return false;
  const credentials = { kind: 'app' as const, appId: entered.appId, appSecret: entered.appSecret };
  const existing = again ?? profiles.store.findSameApp(baseUrl, entered.appId);
  let name = stringArg(arg, 'name');
  if (!existing && name === undefined && askName && !entered.programmatic) {
    name = await askProfileName(profiles.store.list(), uniqueName(defaultProfileName(baseUrl), profiles.store.list()));
    if (name === undefined) return false;
  }
  const profile = await saved(
    async () => {
      const result = existing ? await profiles.store.setCredentials(existing.id, credentials) : await profiles.store.add({ name, origin: baseUrl, credentials });
      await profiles.use(result.id);
      return result;
    },
    services,
  );
  if (!profile) return false;
  log.info(`Signed in as ${entered.appId} (${baseUrl}), profile "${profile.name}".`);
  void vscode.window.showInformationMessage(vscode.l10n.t('Signed in to Lark as {0} (profile "{1}").', entered.appId, profile.name));
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

/**
 * Set Token: a static tenant token for the profile in use when it is a token profile or has no
 * credentials; otherwise (or with `{ newProfile: true }`) for a new token profile at the user
 * settings' origin (or `{ baseUrl }`).
 */
async function setToken(arg: unknown, services: AccountServices): Promise<boolean> {
  const { profiles, session } = services;
  const token = await tenantTokenFrom(arg);
  if (token === undefined) return false;
  session.maskSecret(token);
  const current = profiles.profile();
  const reuse =
    record(arg)?.newProfile === true || !current ? undefined : current.kind === 'token' || (await profileToSignInAgain(services)) !== undefined ? current : undefined;
  const baseUrl = reuse ? reuse.origin : originFor(arg, undefined, session);
  if (baseUrl === undefined) return false;
  const credentials = { kind: 'token' as const, token };
  const profile = await saved(
    async () => {
      const result = reuse ? await profiles.store.setCredentials(reuse.id, credentials) : await profiles.store.add({ name: stringArg(arg, 'name'), origin: baseUrl, credentials });
      await profiles.use(result.id);
      return result;
    },
    services,
  );
  if (!profile) return false;
  services.log.info(`Tenant access token set. Profile "${profile.name}".`);
  const signIn = vscode.l10n.t('Sign In');
  void vscode.window
    .showInformationMessage(
      vscode.l10n.t('Tenant access token saved. It expires within 2 hours of being issued; signing in with App ID and Secret is recommended, as tokens are then refreshed automatically.'),
      signIn,
    )
    .then((choice) => (choice === signIn ? vscode.commands.executeCommand(Command.SignIn) : undefined));
  return true;
}

/**
 * Sign Out of the profile in use, or `{ profile: name }`: removes its credentials (the profile
 * and its history stay) and the previews fetched with them.
 */
async function signOut(arg: unknown, services: AccountServices): Promise<boolean> {
  const { session, profiles, log } = services;
  const named = stringArg(arg, 'profile');
  let profile = named !== undefined ? profiles.store.findByName(named) : profiles.profile();
  if (!profile && named === undefined && wantsConfirmation(arg)) profile = await pickSignedInProfile(profiles);
  let stored;
  try {
    stored = profile ? await profiles.credentialsOf(profile.id) : undefined;
  } catch (e) {
    if (!(e instanceof KeychainError)) throw e;
    session.showKeychainFailure(e);
    return false;
  }
  if (!profile || !stored) {
    await syncSignedInContext(profiles);
    void vscode.window.showInformationMessage(vscode.l10n.t('You are not signed in to Lark.'));
    return false;
  }
  if (wantsConfirmation(arg)) {
    const signOutLabel = vscode.l10n.t('Sign Out');
    const what = stored.kind === 'app' ? vscode.l10n.t('the App ID and App Secret of {0}', stored.appId) : vscode.l10n.t('the tenant access token');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('Sign out of profile "{0}"? This removes {1} from this machine; the profile and its upload history stay.', profile.name, what),
      { modal: true },
      signOutLabel,
    );
    if (choice !== signOutLabel) return false;
  }
  if ((await saved(async () => (await profiles.store.signOut(profile.id)) ?? profile, services)) === undefined) return false;
  await clearPreviews(services.previews, log);
  log.info(`Signed out. Profile "${profile.name}".`);
  void vscode.window.showInformationMessage(vscode.l10n.t('Signed out of Lark (profile "{0}").', profile.name));
  return true;
}

/** None in use: which of the profiles that still have credentials to sign out of (undefined: none, or cancelled). */
async function pickSignedInProfile(profiles: ProfileCredentials): Promise<Profile | undefined> {
  const candidates = profiles.store.list().filter((p) => !p.signedOut);
  if (candidates.length === 0) return undefined;
  const picked = await vscode.window.showQuickPick(
    candidates.map((p) => ({ label: p.name, description: p.appId ?? vscode.l10n.t('tenant token'), profile: p })),
    { title: vscode.l10n.t('Sign Out of Profile'), ignoreFocusOut: true },
  );
  return picked?.profile;
}
