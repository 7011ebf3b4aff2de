// Profile commands: Switch (the status bar's quick pick), Rename, Remove, and the one-time notice
// when a workspace names a profile that does not exist. Add Profile / Sign In / Sign Out are
// account commands (account.ts). Each command also takes its input as an argument (tests, other
// extensions) and returns what happened.
import * as vscode from 'vscode';
import { Command } from '../constants';
import { appIdOf, type Profile } from '../core/profiles';
import { askProfileName, profileNameProblemText, stringArg, wantsConfirmation } from './accountInput';
import { KeychainError, type ProfileCredentials } from './credentials';
import { ProfileNameError } from '../core/profiles';
import type { UploadLog } from './log';
import type { LarkSession } from './session';

interface ProfileServices {
  session: LarkSession;
  profiles: ProfileCredentials;
  log: UploadLog;
}

export function regionLabel(profile: Pick<Profile, 'region' | 'origin'>): string {
  if (profile.region === 'lark') return 'Lark';
  if (profile.region === 'feishu') return 'Feishu';
  return profile.origin;
}

/** The app a profile uses, for lists: the App ID, or "tenant token". */
export function appLabel(profile: Profile): string {
  return profile.kind === 'app' ? (profile.appId ?? '') : vscode.l10n.t('tenant token');
}

type ProfileItem = vscode.QuickPickItem & { profileId?: string; add?: true };

function profileItems(profiles: ProfileCredentials): ProfileItem[] {
  const current = profiles.profile();
  const items: ProfileItem[] = profiles.store.list().map((p) => ({
    label: `${p.id === current?.id ? '$(check) ' : ''}${p.name}`,
    description: `${appLabel(p)} · ${regionLabel(p)}`,
    detail: p.signedOut ? vscode.l10n.t('Signed out') : undefined,
    profileId: p.id,
  }));
  return items;
}

/** A profile from `{ profile: name }`, else picked; undefined when none (already said) or cancelled. */
async function profileFrom(arg: unknown, profiles: ProfileCredentials, title: string): Promise<Profile | undefined> {
  const named = stringArg(arg, 'profile');
  if (named !== undefined) {
    const found = profiles.store.findByName(named);
    if (!found) void vscode.window.showErrorMessage(vscode.l10n.t('There is no profile named "{0}".', named));
    return found;
  }
  const items = profileItems(profiles);
  if (items.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('There are no Lark profiles yet. Add one with "Lark: Add Profile…".'));
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(items, { title, ignoreFocusOut: true });
  return picked?.profileId === undefined ? undefined : profiles.store.get(picked.profileId);
}

/** Switch Profile… (also the status bar's click): the profiles with their app ids and regions, plus "Add Profile…". */
async function switchProfile(arg: unknown, services: ProfileServices): Promise<boolean> {
  const { profiles } = services;
  let target: Profile | undefined;
  if (stringArg(arg, 'profile') !== undefined) {
    target = await profileFrom(arg, profiles, '');
  } else {
    const items: ProfileItem[] = [...profileItems(profiles), { label: '', kind: vscode.QuickPickItemKind.Separator }, { label: `$(add) ${vscode.l10n.t('Add Profile…')}`, add: true }];
    const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Lark: Switch Profile'), placeHolder: vscode.l10n.t('The app uploads go to'), ignoreFocusOut: true });
    if (picked?.add) return (await vscode.commands.executeCommand<boolean>(Command.AddProfile)) === true;
    target = picked?.profileId === undefined ? undefined : profiles.store.get(picked.profileId);
  }
  if (!target) return false;
  try {
    await profiles.use(target.id);
  } catch (e) {
    services.log.error(`could not switch to profile "${target.name}": ${e instanceof Error ? e.message : String(e)}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('Could not switch to profile "{0}": {1}', target.name, e instanceof Error ? e.message : String(e)));
    return false;
  }
  services.log.info(`Switched to profile "${target.name}" (${appIdOf(target)} at ${target.origin}).`);
  return true;
}

async function renameProfile(arg: unknown, services: ProfileServices): Promise<boolean> {
  const { profiles } = services;
  const target = await profileFrom(arg, profiles, vscode.l10n.t('Lark: Rename Profile'));
  if (!target) return false;
  const name = stringArg(arg, 'name') ?? (await askProfileName(profiles.store.list(), target.name, target.id));
  if (name === undefined) return false;
  try {
    await profiles.store.rename(target.id, name);
  } catch (e) {
    if (!(e instanceof ProfileNameError)) throw e;
    void vscode.window.showErrorMessage(profileNameProblemText(e.problem, e.profileName));
    return false;
  }
  services.log.info(`Renamed profile "${target.name}" to "${name.trim()}".`);
  return true;
}

/** Remove Profile… (asks): the profile and its credentials go; its upload history stays. */
async function removeProfile(arg: unknown, services: ProfileServices): Promise<boolean> {
  const { profiles, session } = services;
  const target = await profileFrom(arg, profiles, vscode.l10n.t('Lark: Remove Profile'));
  if (!target) return false;
  if (wantsConfirmation(arg)) {
    const remove = vscode.l10n.t('Remove');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('Remove profile "{0}"? Its credentials are removed from this machine; its upload history is kept.', target.name),
      { modal: true },
      remove,
    );
    if (choice !== remove) return false;
  }
  let active: Profile | undefined;
  try {
    ({ active } = await profiles.write(() => profiles.store.remove(target.id)));
  } catch (e) {
    if (!(e instanceof KeychainError)) throw e;
    session.showKeychainFailure(e);
    return false;
  }
  services.log.info(`Removed profile "${target.name}".`);
  void vscode.window.showInformationMessage(
    active
      ? vscode.l10n.t('Removed profile "{0}". Now using profile "{1}".', target.name, active.name)
      : vscode.l10n.t('Removed profile "{0}". No profile is active: sign in or add a profile to upload.', target.name),
  );
  return true;
}

/** Says once per name that the workspace's `larkImageUpload.profile` names no profile. */
function workspaceChoiceNotice(profiles: ProfileCredentials, log: UploadLog): () => void {
  const told = new Set<string>();
  return () => {
    const { unknownName, profile } = profiles.choice();
    if (unknownName === undefined || told.has(unknownName.toLowerCase())) return;
    told.add(unknownName.toLowerCase());
    log.warn(`the workspace setting larkImageUpload.profile names "${unknownName}", which is not one of your profiles`);
    void vscode.window.showWarningMessage(
      profile
        ? vscode.l10n.t('This workspace asks for the Lark profile "{0}", which you do not have. Using your active profile "{1}".', unknownName, profile.name)
        : vscode.l10n.t('This workspace asks for the Lark profile "{0}", which you do not have.', unknownName),
    );
  };
}

export function registerProfileCommands(services: ProfileServices): vscode.Disposable {
  const notice = workspaceChoiceNotice(services.profiles, services.log);
  notice();
  return vscode.Disposable.from(
    services.profiles.onDidChange(notice),
    vscode.commands.registerCommand(Command.SwitchProfile, (arg?: unknown) => switchProfile(arg, services)),
    vscode.commands.registerCommand(Command.RenameProfile, (arg?: unknown) => renameProfile(arg, services)),
    vscode.commands.registerCommand(Command.RemoveProfile, (arg?: unknown) => removeProfile(arg, services)),
  );
}
