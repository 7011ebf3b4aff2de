// Upload commands (explorer, palette, editor menu) and the uploads view's item and title actions.
import * as vscode from 'vscode';
import { Command } from '../constants';
import { TEMPLATE_IDS, renderTemplate, type TemplateVars } from '../core/templates';
import type { UploadHistory, UploadRecord } from '../core/history';
import type { PreviewFolder } from '../core/previewFolder';
import type { PastedCopies } from '../core/pastedCopies';
import { clearPreviews } from './hover';
import { reportHistoryFailure } from './record';
import { readSettings } from './settings';
import { FILE_MESSAGE_FORM, formLabel, insertKeys, pickImages, uploadUris, urisFromCommandArgs, type InsertForm, type UploadServices, type UploadSummary } from './upload';
import { recordsFromCommandArgs } from './uploadsView';

/** What an item action acts on: the records handed to the command, else the view's selection. */
type Chosen = (arg: unknown, args: unknown) => UploadRecord[];

export function registerUploadCommands(services: UploadServices, previews: PreviewFolder, view: vscode.TreeView<UploadRecord>, copies?: PastedCopies): vscode.Disposable {
  const chosen: Chosen = (arg, args) => {
    const fromArgs = recordsFromCommandArgs(arg, Array.isArray(args) ? (args as UploadRecord[]) : []);
    return fromArgs.length > 0 ? fromArgs : recordsFromCommandArgs(undefined, view.selection);
  };
  return vscode.Disposable.from(
    vscode.commands.registerCommand(Command.UploadImages, (arg?: unknown, args?: unknown) => uploadFromMenuArgs(arg, args, services, 'cursor')),
    // the Explorer is not an editor: its uploads never type into one (keys to the clipboard, Insert at Cursor offered)
    vscode.commands.registerCommand(Command.UploadFromExplorer, (arg?: unknown, args?: unknown) => uploadFromMenuArgs(arg, args, services, 'clipboard')),
    vscode.commands.registerCommand(Command.UploadAndInsert, () => uploadAndInsert(services)),
    vscode.commands.registerCommand(Command.InsertKey, (arg?: unknown, args?: unknown) => insertRecords(chosen(arg, args))),
    vscode.commands.registerCommand(Command.InsertKeyAs, (arg?: unknown, args?: unknown) => insertRecordsAs(arg === undefined ? [] : chosen(arg, args), services.history)),
    vscode.commands.registerCommand(Command.CopyKey, (arg?: unknown, args?: unknown) => copyKeys(chosen(arg, args))),
    vscode.commands.registerCommand(Command.RevealFile, (arg?: unknown, args?: unknown) => revealFile(chosen(arg, args))),
    vscode.commands.registerCommand(Command.UploadAgain, (arg?: unknown, args?: unknown) => uploadAgain(chosen(arg, args), services)),
    vscode.commands.registerCommand(Command.RemoveEntry, (arg?: unknown, args?: unknown) => removeEntries(chosen(arg, args), services, copies)),
    vscode.commands.registerCommand(Command.ClearHistory, (options?: { confirm?: boolean }) => clearHistory(options, services, previews, copies)),
    vscode.commands.registerCommand(Command.ShowLog, () => services.log.channel.show()),
  );
}

/** Explorer / palette / editor menu: the files or folders handed over, else a file picker. `target`: set by the gesture. */
async function uploadFromMenuArgs(arg: unknown, args: unknown, services: UploadServices, target: 'cursor' | 'clipboard'): Promise<UploadSummary | undefined> {
  let uris = await urisFromCommandArgs(arg, args);
  if (uris.length === 0 && arg === undefined) uris = await pickImages();
  if (uris.length === 0) {
    if (arg !== undefined) void vscode.window.showInformationMessage(vscode.l10n.t('No images found to upload.'));
    return undefined;
  }
  return uploadUris(uris, services, { target });
}

async function uploadAndInsert(services: UploadServices): Promise<UploadSummary | undefined> {
  const editor = vscode.window.activeTextEditor;
  const uris = await pickImages();
  if (uris.length === 0) return undefined;
  return uploadUris(uris, services, { editor });
}

function keysOfRecords(records: readonly UploadRecord[]): TemplateVars[] {
  return records.filter((r) => r.ok && r.imageKey).map((r) => ({ imageKey: r.imageKey as string, fileName: r.fileName, width: r.width, height: r.height }));
}

type InsertResult = Awaited<ReturnType<typeof insertKeys>>;

async function insertRecords(records: UploadRecord[], form?: InsertForm): Promise<InsertResult | undefined> {
  const keys = keysOfRecords(records);
  // uploads as files: their file_key in a file message (never in an image template)
  if (keys.length === 0 && !form) return insertFileRecords(records);
  if (keys.length === 0) return undefined;
  const result = await insertKeys(keys, vscode.window.activeTextEditor, form);
  if (result.target === 'clipboard') void vscode.window.showInformationMessage(vscode.l10n.t('No text editor was active: the keys were copied to the clipboard.'));
  return result;
}

async function insertFileRecords(records: UploadRecord[]): Promise<InsertResult | undefined> {
  const keys = records.flatMap((r) => (r.ok && r.fileKey ? [{ imageKey: r.fileKey, fileName: r.fileName }] : []));
  if (keys.length === 0) return undefined;
  const result = await insertKeys(keys, vscode.window.activeTextEditor, FILE_MESSAGE_FORM);
  if (result.target === 'clipboard') void vscode.window.showInformationMessage(vscode.l10n.t('No text editor was active: the keys were copied to the clipboard.'));
  return result;
}

/**
 * Lark: Insert Key As…: the records handed over (uploads view), else one picked from the history
 * (most recent first); then the form for this one insert; then the same context-aware insertion.
 */
async function insertRecordsAs(records: UploadRecord[], history: UploadHistory): Promise<InsertResult | undefined> {
  let chosen = records.filter((r) => r.ok && r.imageKey);
  if (chosen.length === 0) {
    const picked = await pickRecord(history);
    if (!picked) return undefined;
    chosen = [picked];
  }
  const form = await pickForm(keysOfRecords(chosen)[0]);
  return form ? insertRecords(chosen, form) : undefined;
}

async function pickRecord(history: UploadHistory): Promise<UploadRecord | undefined> {
  const uploaded = history.list().filter((r) => r.ok && r.imageKey);
  if (uploaded.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No uploaded images yet.'));
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    uploaded.map((record) => ({ label: record.fileName, description: record.imageKey, detail: new Date(record.at).toLocaleString(), record })),
    { title: vscode.l10n.t('Insert Key As…'), placeHolder: vscode.l10n.t('Which upload?'), matchOnDescription: true },
  );
  return picked?.record;
}

/** The forms, each previewed with the first key; custom asks for the template (prefilled with the setting). */
async function pickForm(sample: TemplateVars): Promise<InsertForm | undefined> {
  const settings = readSettings(vscode.window.activeTextEditor?.document);
  const items = TEMPLATE_IDS.map((template) => ({
    label: formLabel(template),
    description: template === settings.insertTemplate ? vscode.l10n.t('(configured)') : undefined,
    detail: template === 'custom' ? settings.customTemplate : renderTemplate(template, sample),
    template,
  }));
  const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Insert Key As…'), placeHolder: vscode.l10n.t('Insert the image_key in which form?') });
  if (!picked) return undefined;
  if (picked.template !== 'custom') return { template: picked.template };
  const customTemplate = await vscode.window.showInputBox({
    title: vscode.l10n.t('Insert Key As…'),
    prompt: vscode.l10n.t('Template: {0}, {1}, {2} and {3} are replaced.', '${imageKey}', '${fileName}', '${width}', '${height}'),
    value: settings.customTemplate,
  });
  return customTemplate === undefined ? undefined : { template: 'custom', customTemplate };
}

async function copyKeys(records: UploadRecord[]): Promise<string | undefined> {
  // an upload as a file: its bare file_key
  const keys = records.flatMap((r) => (r.ok && (r.imageKey ?? r.fileKey) ? [(r.imageKey ?? r.fileKey) as string] : []));
  if (keys.length === 0) return undefined;
  await vscode.env.clipboard.writeText(keys.join('\n'));
  vscode.window.setStatusBarMessage(vscode.l10n.t('Copied {0}', keys.length === 1 ? keys[0] : vscode.l10n.t('{0} image keys', keys.length)), 3000);
  return keys.join('\n');
}

async function revealFile(records: UploadRecord[]): Promise<void> {
  const record = records.find((r) => r.filePath);
  if (!record?.filePath) return;
  await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(record.filePath));
}

async function uploadAgain(records: UploadRecord[], services: UploadServices): Promise<UploadSummary | undefined> {
  const uris = records.filter((r) => r.filePath).map((r) => vscode.Uri.file(r.filePath as string));
  if (uris.length === 0) return undefined;
  return uploadUris(uris, services, { force: true });
}

async function removeEntries(records: UploadRecord[], services: UploadServices, copies?: PastedCopies): Promise<void> {
  for (const record of records) {
    if (!(await changedHistory(() => services.history.remove(record.id), services))) return;
    if (record.filePath && !record.ok) services.diagnostics.clear(vscode.Uri.file(record.filePath));
    if (copies) await removeUnusedCopy(record, services, copies);
  }
}

/** A removed entry's pasted copy goes when no other entry has those bytes. A failure is logged. */
async function removeUnusedCopy(record: UploadRecord, services: UploadServices, copies: PastedCopies): Promise<void> {
  const { sha256 } = record;
  if (sha256 === undefined || services.history.list().some((r) => r.sha256 === sha256)) return;
  await copies.remove(sha256).catch((e: unknown) => services.log.error(`could not delete the copy of ${record.fileName}: ${e instanceof Error ? e.message : String(e)}`));
}

/** Runs a change of the history; a failure (e.g. storage that cannot be read) is logged, told, and yields false. */
async function changedHistory(change: () => Promise<unknown>, services: UploadServices): Promise<boolean> {
  try {
    await change();
    return true;
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    services.log.error(`could not change the upload history: ${error.message}`);
    reportHistoryFailure(services.history, error, services.log);
    return false;
  }
}

/** Empties the list (after a modal confirmation unless `{ confirm: false }`) and deletes the fetched previews. */
async function clearHistory(options: { confirm?: boolean } | undefined, services: UploadServices, previews: PreviewFolder, copies?: PastedCopies): Promise<boolean> {
  const count = services.history.list().length;
  if (count === 0) {
    await clearPreviews(previews, services.log);
    if (copies) await clearCopies(copies, services);
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
  let removed: readonly UploadRecord[] = [];
  const cleared = await changedHistory(async () => (removed = await services.history.clear()), services);
  for (const r of removed) if (r.filePath && !r.ok) services.diagnostics.clear(vscode.Uri.file(r.filePath));
  await clearPreviews(previews, services.log);
  if (copies && cleared) await clearCopies(copies, services);
  return cleared;
}

/** Deletes every pasted copy (Clear History); a failure is logged. */
async function clearCopies(copies: PastedCopies, services: UploadServices): Promise<void> {
  try {
    const removed = await copies.clear();
    if (removed > 0) services.log.info(`deleted ${removed} pasted image copies`);
  } catch (e) {
    services.log.error(`could not delete the pasted image copies: ${e instanceof Error ? e.message : String(e)}`);
  }
}
