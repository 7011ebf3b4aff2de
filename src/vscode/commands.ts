// Upload commands (explorer, palette, editor menu) and the uploads view's item and title actions.
import * as vscode from 'vscode';
import { Command } from '../constants';
import { renderTemplate } from '../core/templates';
import type { UploadRecord } from '../core/history';
import type { PreviewFolder } from '../core/previewFolder';
import { clearPreviews } from './hover';
import { readSettings } from './settings';
import { insertTexts, pickImages, uploadUris, urisFromCommandArgs, type UploadServices } from './upload';
import { recordsFromCommandArgs } from './uploadsView';

export function registerUploadCommands(services: UploadServices, previews: PreviewFolder, view: vscode.TreeView<UploadRecord>): vscode.Disposable {
  const selected = (): readonly UploadRecord[] => view.selection;
  const records = (arg: unknown, args: unknown): UploadRecord[] => {
    const fromArgs = recordsFromCommandArgs(arg, Array.isArray(args) ? (args as UploadRecord[]) : []);
    return fromArgs.length > 0 ? fromArgs : recordsFromCommandArgs(undefined, selected());
  };

  async function uploadFromMenu(arg?: unknown, args?: unknown) {
    let uris = await urisFromCommandArgs(arg, args);
    if (uris.length === 0 && arg === undefined) uris = await pickImages();
    if (uris.length === 0) {
      if (arg !== undefined) void vscode.window.showInformationMessage(vscode.l10n.t('No images found to upload.'));
      return undefined;
    }
    return uploadUris(uris, services);
  }

  return vscode.Disposable.from(
    vscode.commands.registerCommand(Command.UploadImages, uploadFromMenu),
    vscode.commands.registerCommand(Command.UploadFromExplorer, uploadFromMenu),

    vscode.commands.registerCommand(Command.UploadAndInsert, async () => {
      const editor = vscode.window.activeTextEditor;
      const uris = await pickImages();
      if (uris.length === 0) return undefined;
      return uploadUris(uris, services, { editor });
    }),

    vscode.commands.registerCommand(Command.InsertKey, async (arg?: unknown, args?: unknown) => {
      const chosen = records(arg, args).filter((r) => r.ok && r.imageKey);
      if (chosen.length === 0) return undefined;
      const editor = vscode.window.activeTextEditor;
      const settings = readSettings(editor?.document.uri);
      const texts = chosen.map((r) =>
        renderTemplate(settings.insertTemplate, { imageKey: r.imageKey as string, fileName: r.fileName, width: r.width, height: r.height }, settings.customTemplate),
      );
      const result = await insertTexts(texts, editor);
      if (result.target === 'clipboard') void vscode.window.showInformationMessage(vscode.l10n.t('No text editor was active: the keys were copied to the clipboard.'));
      return result;
    }),

    vscode.commands.registerCommand(Command.CopyKey, async (arg?: unknown, args?: unknown) => {
      const keys = records(arg, args)
        .filter((r) => r.ok && r.imageKey)
        .map((r) => r.imageKey as string);
      if (keys.length === 0) return undefined;
      await vscode.env.clipboard.writeText(keys.join('\n'));
      vscode.window.setStatusBarMessage(vscode.l10n.t('Copied {0}', keys.length === 1 ? keys[0] : vscode.l10n.t('{0} image keys', keys.length)), 3000);
      return keys.join('\n');
    }),

    vscode.commands.registerCommand(Command.RevealFile, async (arg?: unknown, args?: unknown) => {
      const record = records(arg, args).find((r) => r.filePath);
      if (!record?.filePath) return;
      await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(record.filePath));
    }),

    vscode.commands.registerCommand(Command.UploadAgain, async (arg?: unknown, args?: unknown) => {
      const uris = records(arg, args)
        .filter((r) => r.filePath)
        .map((r) => vscode.Uri.file(r.filePath as string));
      if (uris.length === 0) return undefined;
      return uploadUris(uris, services, { force: true });
    }),

    vscode.commands.registerCommand(Command.RemoveEntry, async (arg?: unknown, args?: unknown) => {
      for (const record of records(arg, args)) {
        await services.history.remove(record.id);
        if (record.filePath && !record.ok) services.diagnostics.clear(vscode.Uri.file(record.filePath));
      }
    }),

    /** Empties the list and deletes the fetched previews (they are cached copies of uploads too). */
    vscode.commands.registerCommand(Command.ClearHistory, async (options?: { confirm?: boolean }) => {
      const count = services.history.list().length;
      if (count === 0) {
        await clearPreviews(previews, services.log);
        return false;
      }
      if (options?.confirm !== false) {
        const clear = vscode.l10n.t('Clear');
        const answer = await vscode.window.showWarningMessage(
          vscode.l10n.t('Remove all {0} uploads from the list? The images stay on Lark and their keys keep working.', count),
          { modal: true },
          clear,
        );
        if (answer !== clear) return false;
      }
      const removed = await services.history.clear();
      for (const r of removed) if (r.filePath && !r.ok) services.diagnostics.clear(vscode.Uri.file(r.filePath));
      await clearPreviews(previews, services.log);
      return true;
    }),

    vscode.commands.registerCommand(Command.ShowLog, () => services.log.channel.show()),
  );
}
