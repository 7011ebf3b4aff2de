// Status bar item: the profile in use (name and region; click: switch profiles), or what to do next.
import * as vscode from 'vscode';
import { Command, CONFIG_SECTION, STATUS_BAR_ITEM_ID, Setting } from '../constants';
import { KeychainError } from './credentials';
import type { LarkSession } from './session';
import { appLabel, regionLabel } from './profiles';

/** `hasProfiles`: whether the user has any profile (a click then offers them rather than a new sign-in). */
export function registerStatusBar(session: LarkSession, hasProfiles: () => boolean = () => false): { item: vscode.StatusBarItem; disposable: vscode.Disposable } {
  const item = vscode.window.createStatusBarItem(STATUS_BAR_ITEM_ID, vscode.StatusBarAlignment.Left, 0);
  item.name = 'Lark Image Upload';
  let generation = 0;

  const update = async (): Promise<void> => {
    const mine = ++generation;
    const baseUrl = session.baseUrl();
    // a keychain that cannot be read is not "signed out" (the store logged why)
    const label = await session.label().catch((e: unknown) => {
      if (e instanceof KeychainError) return e;
      throw e;
    });
    if (mine !== generation) return; // a newer update already ran
    if (label instanceof KeychainError) {
      item.text = `$(error) ${vscode.l10n.t('Lark: keychain error')}`;
      item.tooltip = vscode.l10n.t('Could not read the Lark credentials from the system keychain. Click to show the log.');
      item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      item.command = Command.ShowLog;
    } else if (typeof baseUrl !== 'string') {
      item.text = `$(warning) ${vscode.l10n.t('Lark: settings')}`;
      item.tooltip = vscode.l10n.t('The Lark base URL setting is refused: {0}\nClick to open the settings.', baseUrl.message);
      item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
      item.command = {
        title: vscode.l10n.t('Open Settings'),
        command: 'workbench.action.openSettings',
        arguments: [`${CONFIG_SECTION}.${Setting.Region}`],
      };
    } else if (label === undefined) {
      const profile = session.profile();
      item.text = `$(key) ${profile ? vscode.l10n.t('Lark: {0} (signed out)', profile.name) : vscode.l10n.t('Lark: sign in')}`;
      item.tooltip = profile
        ? vscode.l10n.t('Profile "{0}" ({1}) has no credentials. Click to switch profiles or add one; run "Lark: Sign In" to sign in again.', profile.name, baseUrl)
        : vscode.l10n.t('Not signed in to Lark ({0}). Click to sign in with App ID and App Secret.', baseUrl);
      item.backgroundColor = undefined;
      item.command = profile || hasProfiles() ? Command.SwitchProfile : Command.SignIn;
    } else {
      const profile = session.profile();
      if (profile) {
        item.text = `$(cloud-upload) ${vscode.l10n.t('Lark: {0} · {1}', profile.name, regionLabel(profile))}`;
        item.tooltip = vscode.l10n.t('Lark Image Upload: profile "{0}", app {1} at {2}.\nClick to switch profiles.', profile.name, appLabel(profile), baseUrl);
        item.command = Command.SwitchProfile;
      } else {
        item.text = `$(cloud-upload) ${vscode.l10n.t('Lark: {0}', label)}`;
        item.tooltip = vscode.l10n.t('Lark Image Upload: signed in as {0} at {1}.\nClick to test the connection. To sign out, run "Lark: Sign Out" from the Command Palette.', label, baseUrl);
        item.command = Command.TestConnection;
      }
      item.backgroundColor = undefined;
    }
    item.show();
  };

  void update();
  return { item, disposable: vscode.Disposable.from(item, session.onDidChange(() => void update())) };
}
