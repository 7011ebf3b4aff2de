// What the account commands ask for: App ID + App Secret, or a tenant access token, taken from
// the command's argument (for tests and other extensions) or from input boxes, and checked
// before anything is sent.
import * as vscode from 'vscode';
import { FEISHU_BASE_URL, LARK_BASE_URL, normalizeBaseUrl } from '../core/baseUrl';
import { PROFILE_NAME_MAX_LENGTH, nameProblem, type NameProblem, type Profile } from '../core/profiles';

export interface AppCredentials {
  appId: string;
  appSecret: string;
  /** Given as the command's argument (no UI: failures are reported, never asked about). */
  programmatic: boolean;
}

export function record(arg: unknown): Record<string, unknown> | undefined {
  return arg && typeof arg === 'object' && !Array.isArray(arg) ? (arg as Record<string, unknown>) : undefined;
}

export function stringArg(arg: unknown, name: string): string | undefined {
  const value = record(arg)?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** `{ confirm: false }` skips the confirmation of a destructive command. */
export function wantsConfirmation(arg: unknown): boolean {
  return record(arg)?.confirm !== false;
}

function validateAppId(value: string): string | undefined {
  const v = value.trim();
  if (v === '') return vscode.l10n.t('Enter the App ID of your Lark app.');
  if (/\s/.test(v)) return vscode.l10n.t('An App ID contains no spaces.');
  return undefined;
}

function validateAppSecret(value: string): string | undefined {
  const v = value.trim();
  if (v === '') return vscode.l10n.t('Enter the App Secret.');
  if (/\s/.test(v)) return vscode.l10n.t('An App Secret contains no spaces.');
  return undefined;
}

function validateTenantToken(value: string): string | undefined {
  const v = value.trim();
  if (!v.startsWith('t-')) return vscode.l10n.t('A tenant access token starts with "t-".');
  if (/\s/.test(v)) return vscode.l10n.t('A tenant access token contains no spaces.');
  return undefined;
}

/**
 * `{ appId, appSecret }` from the argument (validated), else asked in two input boxes (the App
 * ID prefilled with `storedAppId()`). Undefined when cancelled or invalid (already said).
 */
export async function appCredentialsFrom(arg: unknown, storedAppId: () => Promise<string | undefined>): Promise<AppCredentials | undefined> {
  const appId = stringArg(arg, 'appId');
  const appSecret = stringArg(arg, 'appSecret');
  if (appId !== undefined && appSecret !== undefined) {
    const problem = validateAppId(appId) ?? validateAppSecret(appSecret);
    if (problem) {
      void vscode.window.showErrorMessage(problem);
      return undefined;
    }
    return { appId: appId.trim(), appSecret: appSecret.trim(), programmatic: true };
  }
  const askedId = await askAppId(appId ?? (await storedAppId()));
  if (askedId === undefined) return undefined;
  const askedSecret = await askAppSecret(askedId);
  return askedSecret === undefined ? undefined : { appId: askedId, appSecret: askedSecret, programmatic: false };
}

async function askAppId(value: string | undefined): Promise<string | undefined> {
  const appId = await vscode.window.showInputBox({
    title: vscode.l10n.t('Sign in to Lark (1/2): App ID'),
    prompt: vscode.l10n.t('The App ID of your Lark app (Developer Console → Credentials & Basic Info).'),
    placeHolder: 'cli_a1b2c3d4e5f6a7b8',
    value,
    ignoreFocusOut: true,
    validateInput: (input) => {
      const problem = validateAppId(input);
      if (problem) return problem;
      if (!input.trim().startsWith('cli_')) {
        return { message: vscode.l10n.t('App IDs usually look like cli_…; check that you copied the App ID.'), severity: vscode.InputBoxValidationSeverity.Warning };
      }
      return undefined;
    },
  });
  return appId?.trim();
}

async function askAppSecret(appId: string): Promise<string | undefined> {
  const appSecret = await vscode.window.showInputBox({
    title: vscode.l10n.t('Sign in to Lark (2/2): App Secret'),
    prompt: vscode.l10n.t('The App Secret of {0}. It is kept in the system keychain, never in settings.', appId),
    password: true,
    ignoreFocusOut: true,
    validateInput: validateAppSecret,
  });
  return appSecret?.trim();
}

/** `{ token }` from the argument (validated), else asked. Undefined when cancelled or invalid (already said). */
export async function tenantTokenFrom(arg: unknown): Promise<string | undefined> {
  const given = stringArg(arg, 'token');
  if (given !== undefined) {
    const problem = validateTenantToken(given);
    if (problem) {
      void vscode.window.showErrorMessage(problem);
      return undefined;
    }
    return given.trim();
  }
  const token = await vscode.window.showInputBox({
    title: vscode.l10n.t('Set Tenant Access Token'),
    prompt: vscode.l10n.t('Paste a tenant_access_token (t-…). It expires within 2 hours; signing in with App ID and Secret refreshes tokens automatically.'),
    placeHolder: 't-…',
    password: true,
    ignoreFocusOut: true,
    validateInput: validateTenantToken,
  });
  return token?.trim();
}

/** What is wrong with a profile name, in words. */
export function profileNameProblemText(problem: NameProblem, name: string): string {
  switch (problem) {
    case 'empty':
      return vscode.l10n.t('Enter a name for the profile.');
    case 'tooLong':
      return vscode.l10n.t('A profile name has at most {0} characters.', PROFILE_NAME_MAX_LENGTH);
    case 'controlCharacters':
      return vscode.l10n.t('A profile name cannot contain line breaks or other control characters.');
    case 'duplicate':
      return vscode.l10n.t('A profile named "{0}" exists already. Profile names are unique (upper and lower case count as the same).', name.trim());
  }
}

/** Asks for a profile name (checked as typed); undefined when cancelled. `exceptId`: the profile being renamed. */
export async function askProfileName(profiles: readonly Profile[], value: string, exceptId?: string): Promise<string | undefined> {
  const name = await vscode.window.showInputBox({
    title: vscode.l10n.t('Profile Name'),
    prompt: vscode.l10n.t('A name for this app, shown in the status bar (e.g. Test, Production). A workspace can choose a profile by this name.'),
    value,
    ignoreFocusOut: true,
    validateInput: (input) => {
      const problem = nameProblem(input, profiles, exceptId);
      return problem ? profileNameProblemText(problem, input) : undefined;
    },
  });
  return name?.trim();
}

/** Lark, Feishu or a custom origin (https, or http on loopback); undefined when cancelled. */
export async function pickOrigin(session: { settingsBaseUrl(): string | Error }): Promise<string | undefined> {
  const current = session.settingsBaseUrl();
  const items: (vscode.QuickPickItem & { origin?: string })[] = [
    { label: 'Lark', description: LARK_BASE_URL, origin: LARK_BASE_URL },
    { label: 'Feishu', description: FEISHU_BASE_URL, origin: FEISHU_BASE_URL },
    { label: vscode.l10n.t('Custom origin…'), description: vscode.l10n.t('https, or http on this machine only') },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Add Profile: Region'), placeHolder: vscode.l10n.t('Where is the app?'), ignoreFocusOut: true });
  if (!picked) return undefined;
  if (picked.origin) return picked.origin;
  const typed = await vscode.window.showInputBox({
    title: vscode.l10n.t('Add Profile: Custom Origin'),
    value: typeof current === 'string' && current !== LARK_BASE_URL && current !== FEISHU_BASE_URL ? current : 'https://',
    ignoreFocusOut: true,
    validateInput: (input) => {
      try {
        normalizeBaseUrl(input);
        return undefined;
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
    },
  });
  return typed === undefined ? undefined : normalizeBaseUrl(typed);
}
