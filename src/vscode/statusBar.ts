// Status bar item: who is signed in (click: test the connection), or what to do next.
import * as vscode from 'vscode';
import { Command, CONFIG_SECTION, STATUS_BAR_ITEM_ID, Setting } from '../constants';
import { KeychainError } from './credentials';
import type { LarkSession } from './session';

export function registerStatusBar(session: LarkSession): vscode.Disposable {
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
      item.text = `$(key) ${vscode.l10n.t('Lark: sign in')}`;
      item.tooltip = vscode.l10n.t('Not signed in to Lark ({0}). Click to sign in with App ID and App Secret.', baseUrl);
      item.backgroundColor = undefined;
      item.command = Command.SignIn;
    } else {
      item.text = `$(cloud-upload) ${vscode.l10n.t('Lark: {0}', label)}`;
      item.tooltip = vscode.l10n.t('Lark Image Upload: signed in as {0} at {1}.\nClick to test the connection. To sign out, run "Lark: Sign Out" from the Command Palette.', label, baseUrl);
      item.backgroundColor = undefined;
      item.command = Command.TestConnection;
    }
    item.show();
  };

  void update();
  return vscode.Disposable.from(item, session.onDidChange(() => void update()));
}
