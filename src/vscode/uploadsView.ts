// The "Uploads" tree in the Lark sidebar: the upload history, newest first. Item actions (insert,
// copy, reveal, upload again, remove) are contributed menus keyed on contextValue; this module
// only renders records and keeps the hasUploads context key current.
import * as vscode from 'vscode';
import { Command, ContextKey, StateKey, UPLOADS_VIEW_ID, ViewItem } from '../constants';
import { isUploadRecord, type UploadHistory, type UploadRecord } from '../core/history';
import type { Profile, ProfileStore } from '../core/profiles';
import { escapeMarkdown, formatKb } from './format';

/** A profile's uploads when the view shows every profile (profileId undefined: made before profiles). */
export interface ProfileGroup {
  group: true;
  profileId: string | undefined;
  label: string;
  records: UploadRecord[];
}

export type UploadsNode = UploadRecord | ProfileGroup;

function isGroup(node: UploadsNode): node is ProfileGroup {
  return (node as ProfileGroup).group === true;
}

/** What the view needs to show one profile's uploads, or all of them grouped. */
export interface ProfileViewOptions {
  profiles: Pick<ProfileStore, 'list'>;
  /** The profile this window uses. */
  current(): Profile | undefined;
  onDidChangeProfile: vscode.Event<void>;
  /** Where the "show all" choice is kept. */
  state: vscode.Memento;
}

/**
 * The records, for one profile or grouped by profile (groups in the order of the profile list,
 * then removed profiles, then records made before profiles). Pure: the view and tests use it.
 */
export function groupByProfile(records: readonly UploadRecord[], profiles: readonly Pick<Profile, 'id' | 'name'>[], names: { removed: string; none: string }): ProfileGroup[] {
  const groups = new Map<string | undefined, ProfileGroup>();
  for (const p of profiles) groups.set(p.id, { group: true, profileId: p.id, label: p.name, records: [] });
  for (const r of records) {
    let g = groups.get(r.profileId);
    if (!g) {
      g = { group: true, profileId: r.profileId, label: r.profileId === undefined ? names.none : names.removed, records: [] };
      groups.set(r.profileId, g);
    }
    g.records.push(r);
  }
  const known = new Set(profiles.map((p) => p.id));
  const ordered = [...groups.values()].filter((g) => g.records.length > 0);
  const rank = (g: ProfileGroup): number => (g.profileId === undefined ? 2 : known.has(g.profileId) ? 0 : 1);
  return ordered.sort((a, b) => rank(a) - rank(b));
}

/** `T`: UploadRecord without profile options (a flat list), UploadsNode with them (groups when showing all). */
export class UploadsTreeProvider<T extends UploadsNode = UploadRecord> implements vscode.TreeDataProvider<T>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<T | undefined | void>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly subscriptions: { dispose(): void }[] = [];

  constructor(
    private readonly history: UploadHistory,
    private readonly profileView?: ProfileViewOptions,
    /** The kept copy of a pasted image (its thumbnail), if any. */
    private readonly copyOf?: (record: UploadRecord) => vscode.Uri | undefined,
  ) {
    this.subscriptions.push(history.onDidChange(() => this.refresh()));
    if (profileView) this.subscriptions.push(profileView.onDidChangeProfile(() => this.refresh()));
  }

  /** Every profile's uploads, grouped (true), or only the current profile's. */
  get showAll(): boolean {
    return this.profileView?.state.get<boolean>(StateKey.UploadsShowAll) === true;
  }

  async setShowAll(value: boolean): Promise<void> {
    await this.profileView?.state.update(StateKey.UploadsShowAll, value);
    await vscode.commands.executeCommand('setContext', ContextKey.UploadsShowAll, value);
    this.refresh();
  }

  refresh(): void {
    this.changeEmitter.fire();
  }

  /**
   * Without profiles: the whole history. With them: the current profile's uploads (every upload
   * when no profile is in use), or with "show all" one group per profile.
   */
  getChildren(element?: T): T[] {
    return this.nodes(element) as T[];
  }

  private nodes(element?: UploadsNode): UploadsNode[] {
    if (element) return isGroup(element) ? element.records : [];
    const records = this.history.list();
    const view = this.profileView;
    if (!view) return [...records];
    if (this.showAll) return groupByProfile(records, view.profiles.list(), { removed: vscode.l10n.t('Removed profile'), none: vscode.l10n.t('Before profiles') });
    const current = view.current();
    return current ? records.filter((r) => r.profileId === current.id) : [...records];
  }

  /** Lets TreeView.reveal() work: a record's parent is its group when grouped. */
  getParent(node?: T): T | undefined {
    if (!node || isGroup(node) || !this.profileView || !this.showAll) return undefined;
    return (this.nodes() as ProfileGroup[]).find((g) => g.records.some((r) => r.id === node.id)) as T | undefined;
  }

  getTreeItem(element: T): vscode.TreeItem {
    const node: UploadsNode = element;
    if (isGroup(node)) {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `profile:${node.profileId ?? ''}`;
      item.contextValue = ViewItem.ProfileGroup;
      item.description = vscode.l10n.t('{0} uploads', node.records.length);
      item.iconPath = new vscode.ThemeIcon('account');
      return item;
    }
    const record: UploadRecord = node;
    const item = new vscode.TreeItem(record.fileName, vscode.TreeItemCollapsibleState.None);
    item.id = record.id;
    item.contextValue = record.ok ? ViewItem.Uploaded : ViewItem.Failed;
    if (record.ok) {
      const how = howUploaded(record);
      if (record.fileKey) item.description = vscode.l10n.t('{0} ({1})', record.fileKey, how ?? '');
      else {
        const key = record.reused ? vscode.l10n.t('{0} (reused)', record.imageKey ?? '') : (record.imageKey ?? '');
        item.description = how ? `${key} · ${how}` : key;
      }
      // the image itself as its icon; pasted bytes have no file to show
      item.iconPath = record.filePath ? vscode.Uri.file(record.filePath) : (this.copyOf?.(record) ?? new vscode.ThemeIcon('file-media'));
    } else {
      item.description = record.code !== undefined ? `✗ ${record.code}` : '✗';
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
    }
    item.tooltip = tooltipFor(record);
    item.accessibilityInformation = {
      label: record.ok
        ? record.fileKey
          ? vscode.l10n.t('{0}, uploaded as a file, file key {1}', record.fileName, record.fileKey)
          : vscode.l10n.t('{0}, uploaded, image key {1}', record.fileName, record.imageKey ?? '')
        : vscode.l10n.t('{0}, upload failed, error {1}', record.fileName, String(record.code ?? '')),
    };
    return item;
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0)) s.dispose();
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

/** Bytes as "31.2 MB" from 1 MiB on, else KB. */
function formatSize(bytes: number): string {
  return bytes >= 1024 * 1024 ? vscode.l10n.t('{0} MB', (bytes / 1024 / 1024).toFixed(1)) : vscode.l10n.t('{0} KB', formatKb(bytes));
}

/**
 * How an upload differs from the file as it was: "fitted 14000×9000 → 12000×7714, 31.2 MB → 8.1
 * MB" (the original, then what was uploaded), "uploaded as a file"; undefined for a plain upload.
 */
export function howUploaded(r: UploadRecord): string | undefined {
  if (r.ok && r.fileKey) return vscode.l10n.t('uploaded as a file');
  const fit = r.ok ? r.fit : undefined;
  if (!fit) return undefined;
  const to = r.width !== undefined && r.height !== undefined ? `${r.width}×${r.height}` : '?';
  const text = vscode.l10n.t('fitted {0} → {1}, {2} → {3}', `${fit.width}×${fit.height}`, to, formatSize(fit.size), r.size !== undefined ? formatSize(r.size) : '?');
  return fit.firstFrameOnly ? vscode.l10n.t('{0} (first frame only)', text) : text;
}

function tooltipFor(r: UploadRecord): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, false);
  md.isTrusted = false;
  md.supportHtml = false;
  const lines: string[] = [`**${escapeMarkdown(r.fileName)}**`, ''];
  if (r.ok && r.fileKey) lines.push(vscode.l10n.t('file_key: {0}', escapeMarkdown(r.fileKey)));
  else if (r.ok) lines.push(vscode.l10n.t('image_key: {0}', escapeMarkdown(r.imageKey ?? '')));
  else {
    lines.push(vscode.l10n.t('Upload failed: error {0}', String(r.code ?? '?')));
    if (r.message) lines.push(escapeMarkdown(r.message));
  }
  lines.push(r.filePath ? vscode.l10n.t('File: {0}', escapeMarkdown(r.filePath)) : vscode.l10n.t('Pasted image'));
  if (r.size !== undefined) lines.push(vscode.l10n.t('Size: {0} KB', formatKb(r.size)));
  if (r.width !== undefined && r.height !== undefined) lines.push(vscode.l10n.t('Dimensions: {0} × {1}', r.width, r.height));
  if (r.format) lines.push(vscode.l10n.t('Format: {0}', escapeMarkdown(r.format)));
  const how = howUploaded(r);
  if (how) lines.push(escapeMarkdown(how));
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
  profileView?: ProfileViewOptions,
  copyOf?: (record: UploadRecord) => vscode.Uri | undefined,
): {
  view: vscode.TreeView<UploadRecord>;
  provider: UploadsTreeProvider<UploadsNode>;
  disposable: vscode.Disposable;
} {
  const provider = new UploadsTreeProvider<UploadsNode>(history, profileView, copyOf);
  void vscode.commands.executeCommand('setContext', ContextKey.UploadsShowAll, provider.showAll);
  // group nodes are never dropped on (the controller only receives drops) nor acted on (commands keep records only)
  const view = vscode.window.createTreeView<UploadsNode>(UPLOADS_VIEW_ID, {
    treeDataProvider: provider,
    showCollapseAll: false,
    canSelectMany: true,
    dragAndDropController: dragAndDropController as vscode.TreeDragAndDropController<UploadsNode> | undefined,
  });
  view.message = undefined;
  const updateContext = (): void => {
    void vscode.commands.executeCommand('setContext', ContextKey.HasUploads, history.list().length > 0);
  };
  updateContext();
  const subscription = history.onDidChange(updateContext);
  return {
    // the item commands narrow what they get to records (recordsFromCommandArgs)
    view: view as unknown as vscode.TreeView<UploadRecord>,
    provider,
    disposable: vscode.Disposable.from(
      view,
      provider,
      { dispose: () => subscription.dispose() },
      vscode.commands.registerCommand(Command.ShowAllProfilesUploads, () => provider.setShowAll(true)),
      vscode.commands.registerCommand(Command.ShowActiveProfileUploads, () => provider.setShowAll(false)),
    ),
  };
}
