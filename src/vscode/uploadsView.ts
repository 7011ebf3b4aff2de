// The "Uploads" tree in the Lark sidebar: the upload history, newest first. Item actions (insert,
// copy, reveal, upload again, remove) are contributed menus keyed on contextValue; this module
// only renders records and keeps the hasUploads context key current.
import * as vscode from 'vscode';
import { ContextKey, UPLOADS_VIEW_ID, ViewItem } from '../constants';
import { isUploadRecord, type UploadHistory, type UploadRecord } from '../core/history';
import { escapeMarkdown, formatKb } from './format';

export class UploadsTreeProvider implements vscode.TreeDataProvider<UploadRecord>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<UploadRecord | undefined | void>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly subscription: { dispose(): void };

  constructor(private readonly history: UploadHistory) {
    this.subscription = history.onDidChange(() => this.refresh());
  }

  refresh(): void {
    this.changeEmitter.fire();
  }

  getChildren(element?: UploadRecord): UploadRecord[] {
    return element ? [] : [...this.history.list()];
  }

  /** Flat list: lets TreeView.reveal() work. */
  getParent(): undefined {
    return undefined;
  }

  getTreeItem(record: UploadRecord): vscode.TreeItem {
    const item = new vscode.TreeItem(record.fileName, vscode.TreeItemCollapsibleState.None);
    item.id = record.id;
    item.contextValue = record.ok ? ViewItem.Uploaded : ViewItem.Failed;
    if (record.ok) {
      item.description = record.reused ? vscode.l10n.t('{0} (reused)', record.imageKey ?? '') : record.imageKey;
      // the image itself as its icon; pasted bytes have no file to show
      item.iconPath = record.filePath ? vscode.Uri.file(record.filePath) : new vscode.ThemeIcon('file-media');
    } else {
      item.description = record.code !== undefined ? `✗ ${record.code}` : '✗';
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
    }
    item.tooltip = tooltipFor(record);
    item.accessibilityInformation = {
      label: record.ok
        ? vscode.l10n.t('{0}, uploaded, image key {1}', record.fileName, record.imageKey ?? '')
        : vscode.l10n.t('{0}, upload failed, error {1}', record.fileName, String(record.code ?? '')),
    };
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changeEmitter.dispose();
  }
}

/**
 * When: an upload's time; for a key dedupe answered (nothing sent), the earlier upload's time and
 * this entry's own, as "reused".
 */
export function timeLines(r: UploadRecord): string[] {
  const time = (at: number): string => escapeMarkdown(new Date(at).toLocaleString());
  if (!r.ok) return [vscode.l10n.t('Time: {0}', time(r.at))];
  if (!r.reused) return [vscode.l10n.t('Uploaded: {0}', time(r.at))];
  const lines = r.uploadedAt !== undefined ? [vscode.l10n.t('Uploaded: {0}', time(r.uploadedAt))] : [];
  lines.push(vscode.l10n.t('Reused: {0} (same bytes: nothing was sent)', time(r.at)));
  return lines;
}

function tooltipFor(r: UploadRecord): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, false);
  md.isTrusted = false;
  md.supportHtml = false;
  const lines: string[] = [`**${escapeMarkdown(r.fileName)}**`, ''];
  if (r.ok) lines.push(vscode.l10n.t('image_key: {0}', escapeMarkdown(r.imageKey ?? '')));
  else {
    lines.push(vscode.l10n.t('Upload failed: error {0}', String(r.code ?? '?')));
    if (r.message) lines.push(escapeMarkdown(r.message));
  }
  lines.push(r.filePath ? vscode.l10n.t('File: {0}', escapeMarkdown(r.filePath)) : vscode.l10n.t('Pasted image'));
  if (r.size !== undefined) lines.push(vscode.l10n.t('Size: {0} KB', formatKb(r.size)));
  if (r.width !== undefined && r.height !== undefined) lines.push(vscode.l10n.t('Dimensions: {0} × {1}', r.width, r.height));
  if (r.format) lines.push(vscode.l10n.t('Format: {0}', escapeMarkdown(r.format)));
  lines.push(vscode.l10n.t('image_type: {0}', r.imageType));
  lines.push(...timeLines(r));
  if (r.logId) lines.push(vscode.l10n.t('log_id: {0}', escapeMarkdown(r.logId)));
  lines.push(
    r.appId
      ? vscode.l10n.t('Server: {0} (app {1})', escapeMarkdown(r.baseUrl), escapeMarkdown(r.appId))
      : vscode.l10n.t('Server: {0}', escapeMarkdown(r.baseUrl)),
  );
  // two trailing spaces: a hard line break between the detail lines
  md.appendMarkdown(lines.slice(0, 2).join('\n\n') + '\n\n' + lines.slice(2).join('  \n'));
  return md;
}

/**
 * What an uploads-view command acts on. VS Code calls item commands with `(item, selectedItems)`
 * (canSelectMany); pass the item as `arg` and either that second argument or `view.selection` as
 * `selection`. The whole selection counts when the clicked item is part of it; otherwise only the
 * clicked item. Without an item (keybinding, palette) the selection is used. Anything else
 * (a Uri from another menu, garbage) yields [].
 */
export function recordsFromCommandArgs(arg: unknown, selection: readonly UploadRecord[]): UploadRecord[] {
  const selected = Array.isArray(selection) ? selection.filter(isUploadRecord) : [];
  if (arg === undefined || arg === null) return selected;
  if (Array.isArray(arg)) return arg.filter(isUploadRecord);
  if (!isUploadRecord(arg)) return [];
  return selected.some((r) => r.id === arg.id) ? selected : [arg];
}

export function registerUploadsView(
  history: UploadHistory,
  dragAndDropController?: vscode.TreeDragAndDropController<UploadRecord>,
): {
  view: vscode.TreeView<UploadRecord>;
  provider: UploadsTreeProvider;
  disposable: vscode.Disposable;
} {
  const provider = new UploadsTreeProvider(history);
  const view = vscode.window.createTreeView(UPLOADS_VIEW_ID, {
    treeDataProvider: provider,
    showCollapseAll: false,
    canSelectMany: true,
    dragAndDropController,
  });
  view.message = undefined;
  const updateContext = (): void => {
    void vscode.commands.executeCommand('setContext', ContextKey.HasUploads, history.list().length > 0);
  };
  updateContext();
  const subscription = history.onDidChange(updateContext);
  return {
    view,
    provider,
    disposable: vscode.Disposable.from(view, provider, { dispose: () => subscription.dispose() }),
  };
}
