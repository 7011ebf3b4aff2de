// Lark: Re-upload Keys for Profile… (issue 11 item 5): the image_keys of a document (or of the
// selection) uploaded again by another profile, each occurrence replaced in ONE WorkspaceEdit
// (one undo). The bytes come from core/rekey.ts (file, pasted copy, download by the source
// profile); keys it cannot re-key get a Warning on each occurrence saying why. Occurrences the
// user edits while the run goes on are left alone (core/trackRanges.ts), as localImages does.
import { promises as fsp } from 'fs';
import * as vscode from 'vscode';
import { Command, DIAGNOSTIC_SOURCE, NEW_STYLE_IMAGE_KEY } from '../constants';
import { DedupeIndex } from '../core/dedupe';
import { downloadFailureText } from '../core/larkErrors';
import { appIdOf, type Profile } from '../core/profiles';
import type { PastedCopies } from '../core/pastedCopies';
import { findImageKeys, rekeyKeys, type KeyOccurrence, type KeyResult, type RekeyProblem, type RekeyUpload } from '../core/rekey';
import { applyChanges, type TrackedRange } from '../core/trackRanges';
import { uploadBytes } from '../core/uploadBytes';
import type { FileOutcome } from '../core/uploadFiles';
import type { LarkClient } from '../core/larkClient';
import type { ImageType } from '../core/types';
import type { ProfileCredentials } from './credentials';
import { withCancellableProgress } from './feedback';
import { readOnlyReason } from './localImages';
import { appLabel, regionLabel } from './profiles';
import { recordOutcomes, uploadTargetOf } from './record';
import { readSettings } from './settings';
import { pipelineErrorLogger, schedulerFor, type UploadServices } from './upload';

/** `diagnostic.code` of a key that could not be re-keyed. */
export const REKEY_CODE = 'rekey';

export interface RekeyArgs {
  uri?: vscode.Uri | string;
  /** Offsets: only keys lying inside one of these (default: the editor's selection when not empty, else the document). */
  ranges?: readonly { start: number; end: number }[];
  /** The target profile (default: asked). */
  profileId?: string;
  /** Cancels like the notification's Cancel button (for the API and tests). */
  signal?: AbortSignal;
}

export interface RekeySummary {
  results: KeyResult[];
  /** occurrences replaced */
  replaced: number;
  /** occurrences left alone because the user changed them meanwhile */
  skipped: number;
  cancelled: boolean;
  /** false when nothing could be changed (read-only document, target removed) */
  applied: boolean;
}

interface RekeyServices extends UploadServices {
  profiles: ProfileCredentials;
  copies: PastedCopies;
}

/** The Warnings of one document, with their offsets so an edit at one removes it. */
type Flagged = { range: TrackedRange; diagnostic: vscode.Diagnostic }[];

export class Rekeyer implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('larkImageUpload.rekey');
  private readonly flagged = new Map<string, Flagged>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly services: RekeyServices) {
    this.disposables.push(
      this.collection,
      vscode.commands.registerCommand(Command.RekeyForProfile, (arg?: unknown) => this.run(arg instanceof vscode.Uri ? { uri: arg } : arg && typeof arg === 'object' ? (arg as RekeyArgs) : {})),
      vscode.workspace.onDidChangeTextDocument((e) => this.textChanged(e)),
      vscode.workspace.onDidCloseTextDocument((d) => this.setFlagged(d, [])),
    );
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  /** A change at a flagged key clears its Warning; the others move with the text. */
  private textChanged(e: vscode.TextDocumentChangeEvent): void {
    const flagged = this.flagged.get(e.document.uri.toString());
    if (!flagged || e.contentChanges.length === 0) return;
    const changes = e.contentChanges.map((c) => ({ offset: c.rangeOffset, length: c.rangeLength, text: c.text }));
    const moved = applyChanges(
      flagged.map((f) => f.range),
      changes,
    );
    const kept = flagged.flatMap((f, i) => (moved[i].touched ? [] : [{ range: moved[i], diagnostic: f.diagnostic }]));
    for (const f of kept) f.diagnostic.range = new vscode.Range(e.document.positionAt(f.range.start), e.document.positionAt(f.range.end));
    this.setFlagged(e.document, kept);
  }

  private setFlagged(doc: vscode.TextDocument, flagged: Flagged): void {
    if (flagged.length === 0) this.flagged.delete(doc.uri.toString());
    else this.flagged.set(doc.uri.toString(), flagged);
    this.collection.set(
      doc.uri,
      flagged.map((f) => f.diagnostic),
    );
  }

  /** The command. */
  async run(args: RekeyArgs): Promise<RekeySummary | undefined> {
    const doc = await documentFor(args.uri);
    if (!doc) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open a document to re-upload its image keys.'));
      return undefined;
    }
    const name = doc.uri.path.split('/').pop() || doc.uri.path;
    const readOnly = await readOnlyReason(doc);
    if (readOnly) {
      void vscode.window.showWarningMessage(vscode.l10n.t('{0} is read-only ({1}): its image keys cannot be replaced, so nothing was uploaded.', name, readOnly));
      return { results: [], replaced: 0, skipped: 0, cancelled: false, applied: false };
    }
    const { history } = this.services;
    const text = doc.getText();
    const occurrences = inRanges(
      findImageKeys(text, (k) => history.findByKey(k) !== undefined || NEW_STYLE_IMAGE_KEY.test(k)),
      args.ranges ?? selectionOf(doc),
    );
    this.setFlagged(doc, []); // a new run: the last run's Warnings go
    if (occurrences.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('No image keys found in {0}.', name));
      return undefined;
    }
    const target = await this.targetProfile(args.profileId);
    if (!target) return undefined;
    const client = await this.services.session.clientForProfile(target).catch(() => undefined);
    if (!client) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Profile "{0}" is signed out. Sign in to it to re-upload keys for it.', target.name));
      return undefined;
    }

    let tracked: TrackedRange[] = occurrences.map((o) => ({ start: o.start, end: o.end, touched: false }));
    const watching = vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document.uri.toString() !== doc.uri.toString() || e.contentChanges.length === 0) return;
      tracked = applyChanges(
        tracked,
        e.contentChanges.map((c) => ({ offset: c.rangeOffset, length: c.rangeLength, text: c.text })),
      );
    });
    try {
      const keys = [...new Set(occurrences.map((o) => o.key))];
      this.services.log.info(`re-key ${keys.length} key(s) of ${name} for profile "${target.name}"`);
      const results = await withCancellableProgress(
        vscode.l10n.t('Re-uploading the image keys of {0} for {1}', name, target.name),
        (signal, progress) =>
          rekeyKeys(keys, {
            records: history.list(),
            target: { profileId: target.id, appId: appIdOf(target), baseUrl: target.origin },
            downloaderFor: (id) => this.clientOf(id),
            otherProfiles: () => this.services.profiles.store.list().flatMap((p) => (p.id !== target.id && !p.signedOut ? [p.id] : [])),
            readFile: (path) => fsp.readFile(path).catch(() => undefined),
            readCopy: (sha) => this.services.copies.read(sha).catch(() => undefined),
            upload: (items, s) => this.upload(items, client, doc, s),
            targetRemoved: () => this.services.profiles.store.get(target.id) === undefined,
            signal,
            onProgress: (done, total) => progress.report({ message: vscode.l10n.t('{0}/{1} done', done, total), increment: 100 / total }),
          }),
        args.signal,
      );
      return await this.finish(doc, name, target, occurrences, () => tracked, results, text);
    } finally {
      watching.dispose();
    }
  }

  private async clientOf(profileId: string): Promise<LarkClient | undefined> {
    const profile = this.services.profiles.store.get(profileId);
    return profile ? this.services.session.clientForProfile(profile) : undefined;
  }

  /** The target: the one named, else picked among all profiles (the one in use marked). */
  private async targetProfile(profileId: string | undefined): Promise<Profile | undefined> {
    const { profiles } = this.services;
    if (profileId !== undefined) {
      const named = profiles.store.get(profileId);
      if (!named) void vscode.window.showErrorMessage(vscode.l10n.t('There is no such profile.'));
      return named;
    }
    const list = profiles.store.list();
    if (list.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('There are no Lark profiles yet. Add one with "Lark: Add Profile…".'));
      return undefined;
    }
    const current = profiles.profile();
    const picked = await vscode.window.showQuickPick(
      list.map((p) => ({
        label: `${p.id === current?.id ? '$(check) ' : ''}${p.name}`,
        description: `${appLabel(p)} · ${regionLabel(p)}`,
        detail: p.signedOut ? vscode.l10n.t('Signed out') : undefined,
        id: p.id,
      })),
      { title: vscode.l10n.t('Lark: Re-upload Keys for Profile'), placeHolder: vscode.l10n.t('The profile whose app the keys should belong to'), ignoreFocusOut: true },
    );
    return picked ? profiles.store.get(picked.id) : undefined;
  }

  /** Uploads one batch to the target (by image_type), keeps copies of downloaded bytes, records the outcomes. */
  private async upload(items: readonly RekeyUpload[], client: LarkClient, doc: vscode.TextDocument, signal?: AbortSignal): Promise<FileOutcome[]> {
    const { services } = this;
    const settings = readSettings(doc.uri);
    const scheduler = schedulerFor(client, settings, services.log);
    const dedupe = settings.dedupe ? new DedupeIndex(services.dedupeStore) : undefined;
    const outcomes = new Array<FileOutcome>(items.length);
    for (const imageType of ['message', 'avatar'] as ImageType[]) {
      const indexes = items.flatMap((u, i) => ((u.record?.imageType ?? 'message') === imageType ? [i] : []));
      if (indexes.length === 0) continue;
      const out = await uploadBytes(
        indexes.map((i) => ({ bytes: items[i].bytes, name: items[i].name })),
        { client, scheduler, imageType, dedupe, signal, onError: pipelineErrorLogger(services.log) },
      );
      indexes.forEach((i, j) => (outcomes[i] = out[j]));
      for (const [j, i] of indexes.entries()) {
        const o = out[j];
        if (o.ok && items[i].via === 'download') await services.copies.save(items[i].bytes, o.info.format).catch((e: unknown) => services.log.warn(`could not keep a copy of ${items[i].key}: ${String(e)}`));
      }
      await recordOutcomes(
        indexes.map((i) => ({ subject: { filePath: items[i].filePath, fileName: outcomes[i].file }, outcome: outcomes[i] })),
        uploadTargetOf(client, services.session, imageType),
        services,
      );
    }
    return outcomes;
  }

  /** One edit for every re-keyed occurrence still as it was; Warnings on the keys that could not be re-keyed; the summary. */
  private async finish(
    doc: vscode.TextDocument,
    name: string,
    target: Profile,
    occurrences: readonly KeyOccurrence[],
    tracked: () => TrackedRange[],
    results: KeyResult[],
    text: string,
  ): Promise<RekeySummary> {
    const byKey = new Map(results.map((r) => [r.key, r]));
    const cancelled = results.some((r) => r.status === 'failed' && r.problems.some((p) => p.kind === 'cancelled'));
    const summary: RekeySummary = { results, replaced: 0, skipped: 0, cancelled, applied: true };
    if (this.services.profiles.store.get(target.id) === undefined) {
      summary.applied = false;
      void vscode.window.showErrorMessage(vscode.l10n.t('Profile "{0}" was removed while its keys were uploaded: {1} was not changed.', target.name, name));
      return summary;
    }
    const edit = new vscode.WorkspaceEdit();
    occurrences.forEach((o, i) => {
      const r = byKey.get(o.key);
      if (r?.status !== 'rekeyed' || r.newKey === o.key || doc.isClosed) return;
      const t = tracked()[i];
      const range = new vscode.Range(doc.positionAt(t.start), doc.positionAt(t.end));
      if (t.touched || doc.getText(range) !== text.slice(o.start, o.end)) summary.skipped++;
      else {
        edit.replace(doc.uri, range, r.newKey);
        summary.replaced++;
      }
    });
    if (summary.replaced > 0) summary.applied = await vscode.workspace.applyEdit(edit);
    if (!summary.applied) summary.replaced = 0;
    const flagged: Flagged = [];
    occurrences.forEach((o, i) => {
      const r = byKey.get(o.key);
      const t = tracked()[i];
      if (r?.status !== 'failed' || t.touched || doc.isClosed || r.problems.some((p) => p.kind === 'cancelled' || p.kind === 'targetRemoved')) return;
      const diagnostic = new vscode.Diagnostic(
        new vscode.Range(doc.positionAt(t.start), doc.positionAt(t.end)),
        vscode.l10n.t('{0} could not be re-keyed for profile "{1}": {2}.', o.key, target.name, r.problems.map((p) => this.problemText(p)).join('; ')),
        vscode.DiagnosticSeverity.Warning,
      );
      diagnostic.code = REKEY_CODE;
      diagnostic.source = DIAGNOSTIC_SOURCE;
      flagged.push({ range: t, diagnostic });
    });
    if (!doc.isClosed) this.setFlagged(doc, flagged);
    this.announce(name, target, summary);
    return summary;
  }

  private problemText(p: RekeyProblem): string {
    const profileName = (id: string): string => this.services.profiles.store.get(id)?.name ?? vscode.l10n.t('a removed profile');
    switch (p.kind) {
      case 'noHistory':
        return vscode.l10n.t('it is not in the upload history');
      case 'fileChanged':
        return vscode.l10n.t('its file {0} has changed since it was uploaded', vscode.workspace.asRelativePath(p.path));
      case 'fileMissing':
        return vscode.l10n.t('its file {0} is gone', vscode.workspace.asRelativePath(p.path));
      case 'fitted':
        return vscode.l10n.t('its file {0} was fitted to Lark\'s limits before it was uploaded, and the fitted bytes are not kept', vscode.workspace.asRelativePath(p.path));
      case 'noCopy':
        return vscode.l10n.t('no copy of the pasted image is kept');
      case 'signedOut':
        return vscode.l10n.t('profile "{0}", which uploaded it, is signed out', profileName(p.profileId));
      case 'noProfile':
        return vscode.l10n.t('it was uploaded before profiles, so no profile can download it');
      case 'avatar':
        return vscode.l10n.t('it is an avatar image, which Lark does not serve back');
      case 'download':
        return vscode.l10n.t('profile "{0}" could not download it: {1} ({2})', profileName(p.profileId), downloadFailureText(p.code, vscode.env.language), p.code);
      case 'upload':
        return vscode.l10n.t('the upload failed: {0} ({1})', p.message, p.code);
      default:
        return vscode.l10n.t('cancelled');
    }
  }

  private announce(name: string, target: Profile, s: RekeySummary): void {
    const rekeyed = s.results.filter((r) => r.status === 'rekeyed').length;
    const failed = s.results.filter((r) => r.status === 'failed' && !r.problems.some((p) => p.kind === 'cancelled')).length;
    const same = s.results.filter((r) => r.status === 'same').length;
    const parts: string[] = [];
    if (s.cancelled) parts.push(vscode.l10n.t('Cancelled: re-keyed {0} of {1} keys for {2}.', rekeyed, s.results.length, target.name));
    else if (rekeyed === 0 && failed === 0) parts.push(vscode.l10n.t('Every image key in {0} already belongs to {1}.', name, target.name));
    else parts.push(vscode.l10n.t('Re-keyed {0} keys for {1}.', rekeyed, target.name));
    if (!s.applied) parts.push(vscode.l10n.t('{0} could not be changed (is it read-only?): the new keys are in the Uploads view.', name));
    if (s.skipped > 0) parts.push(vscode.l10n.t('{0} not replaced because they changed meanwhile.', s.skipped));
    if (failed > 0) {
      parts.push(vscode.l10n.t('{0} could not be re-keyed (see Problems).', failed));
      const showProblems = vscode.l10n.t('Show Problems');
      void vscode.window.showWarningMessage(parts.join(' '), showProblems).then((choice) => {
        if (choice === showProblems) void vscode.commands.executeCommand('workbench.actions.view.problems');
      });
      return;
    }
    if (same > 0 && rekeyed > 0) parts.push(vscode.l10n.t('{0} already belonged to it.', same));
    if (s.cancelled || !s.applied || s.skipped > 0) void vscode.window.showWarningMessage(parts.join(' '));
    else void vscode.window.showInformationMessage(parts.join(' '));
  }
}

async function documentFor(uri: RekeyArgs['uri']): Promise<vscode.TextDocument | undefined> {
  if (uri === undefined) return vscode.window.activeTextEditor?.document;
  const parsed = typeof uri === 'string' ? vscode.Uri.parse(uri) : uri;
  return vscode.workspace.textDocuments.find((d) => d.uri.toString() === parsed.toString()) ?? vscode.workspace.openTextDocument(parsed);
}

/** The active editor's non-empty selections in `doc`, as offsets; undefined: the whole document. */
function selectionOf(doc: vscode.TextDocument): { start: number; end: number }[] | undefined {
  const editor = vscode.window.activeTextEditor;
  if (editor?.document !== doc) return undefined;
  const ranges = editor.selections.filter((s) => !s.isEmpty).map((s) => ({ start: doc.offsetAt(s.start), end: doc.offsetAt(s.end) }));
  return ranges.length > 0 ? ranges : undefined;
}

function inRanges(found: KeyOccurrence[], ranges: readonly { start: number; end: number }[] | undefined): KeyOccurrence[] {
  return ranges ? found.filter((o) => ranges.some((r) => o.start >= r.start && o.end <= r.end)) : found;
}
