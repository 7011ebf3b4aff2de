// Local image references in documents (issue 10): Markdown, JSON/JSONC and YAML documents that
// name images by path get a diagnostic on each path (setting larkImageUpload.localImageDiagnostics)
// and quick fixes that upload the images and replace the paths by their image_keys — one, all of
// the document, or those in the selection (also a source action and a command). One WorkspaceEdit
// per batch (one undo); a reference the user changed while its image was uploading is left alone.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { CONFIG_SECTION, Command, DIAGNOSTIC_SOURCE, Setting } from '../constants';
import type { LocalReference, NotLocalReason, ScanResult } from '../core/localReferences';
import { applyChanges, type TrackedRange } from '../core/trackRanges';
import { DedupeIndex } from '../core/dedupe';
import { uploadFiles, type FileOutcome } from '../core/uploadFiles';
import { isFittable, uploadFilesWithFit } from '../core/fitFiles';
import { isTokenError } from '../core/larkErrors';
import { LocalCode } from '../core/types';
import { withCancellableProgress } from './feedback';
import { askToFit } from './fitPrompt';
import { recordOutcomes, uploadTargetOf } from './record';
import { readSettings, type LarkSettings } from './settings';
import { pipelineErrorLogger, schedulerFor, type UploadServices } from './upload';
import type { LarkClient } from '../core/larkClient';
import type { FailureInfo } from './diagnostics';
import type { ReferenceScanner } from './referenceScanner';

/** `diagnostic.code` of a local image reference (failed uploads carry their Lark code instead). */
export const LOCAL_IMAGE_CODE = 'local-image';

/** What the quick fixes, the source action and the selection action are filed under. */
export const UPLOAD_LOCAL_IMAGES_KIND = vscode.CodeActionKind.Source.append('lark').append('uploadLocalImages');

const SEVERITIES = {
  hint: vscode.DiagnosticSeverity.Hint,
  information: vscode.DiagnosticSeverity.Information,
  warning: vscode.DiagnosticSeverity.Warning,
} as const;

/**
 * The languages scanned (src/core/references.ts documentKind knows them; not imported here, so
 * its parsers stay in the worker's bundle and out of the extension's).
 */
const SCANNED_LANGUAGES: readonly string[] = ['markdown', 'json', 'jsonc', 'yaml'];

/** After a change, how long the document must be quiet before it is scanned again. */
const RESCAN_DELAY_MS = 250;

/** Arguments of the command (what the quick fixes pass); no arguments: the active editor's whole document. */
export interface UploadLocalImagesArgs {
  uri?: vscode.Uri | string;
  /** Offsets: only references lying inside one of these. */
  ranges?: readonly { start: number; end: number }[];
  /** Cancels like the notification's Cancel button (for the API and tests). */
  signal?: AbortSignal;
  /** Fit the images Lark would refuse before uploading them, without a question (the Fit quick fix). */
  fit?: boolean;
}

/** What one run of "Upload local images" did (returned for the API and the tests). */
export interface LocalImagesSummary {
  /** local references in scope */
  total: number;
  /** paths replaced by keys */
  replaced: number;
  /** references whose upload failed (they stay as written, with an Error diagnostic) */
  failed: number;
  /** references left alone because the user changed them (or the document) while uploading */
  skipped: string[];
  /** paths in scope that name no file here */
  notLocal: { ref: string; reason: NotLocalReason }[];
  cancelled: boolean;
  /** false when the edit could not be applied (a read-only document) */
  applied: boolean;
}

interface DocumentScan {
  version: number;
  scan: ScanResult;
}

export class LocalImages implements vscode.Disposable, vscode.CodeActionProvider {
  readonly collection = vscode.languages.createDiagnosticCollection('larkImageUpload.localImages');
  /** the latest scan of each open document, by uri */
  private readonly scans = new Map<string, DocumentScan>();
  /** failed uploads of a document's references, by uri, then by image path */
  private readonly failures = new Map<string, Map<string, FailureInfo>>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** the scan running for a document, and the documents to scan again when it is done */
  private readonly scanning = new Map<string, Promise<void>>();
  private readonly rescan = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly services: UploadServices,
    private readonly scanner: ReferenceScanner,
  ) {}

  /** Starts watching documents: call once. */
  register(): vscode.Disposable {
    const selector = SCANNED_LANGUAGES.flatMap((language) => [
      { language, scheme: 'file' },
      { language, scheme: 'untitled' },
    ]);
    this.disposables.push(
      vscode.languages.registerCodeActionsProvider(selector, this, {
        providedCodeActionKinds: [vscode.CodeActionKind.QuickFix, vscode.CodeActionKind.RefactorRewrite, UPLOAD_LOCAL_IMAGES_KIND],
      }),
      vscode.commands.registerCommand(Command.UploadLocalImages, (arg?: unknown) => this.uploadLocalImages(argsOf(arg))),
      vscode.workspace.onDidOpenTextDocument((doc) => this.schedule(doc, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length > 0) this.schedule(e.document, RESCAN_DELAY_MS);
      }),
      vscode.workspace.onDidCloseTextDocument((doc) => this.forget(doc.uri)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${CONFIG_SECTION}.${Setting.LocalImageDiagnostics}`)) this.rescanAll();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.rescanAll()),
    );
    this.rescanAll();
    return this;
  }

  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const d of this.disposables) d.dispose();
    this.collection.dispose();
  }

  private rescanAll(): void {
    for (const doc of vscode.workspace.textDocuments) this.schedule(doc, 0);
  }

  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.scans.delete(key);
    this.rescan.delete(key);
    this.failures.delete(key);
    this.collection.delete(uri);
  }

  private schedule(doc: vscode.TextDocument, delayMs: number): void {
    if (!isScannable(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        void this.refresh(doc);
      }, delayMs),
    );
  }

  /**
   * Scans the document (in the worker) and shows its diagnostics. One scan per document at a
   * time: a refresh asked for meanwhile runs once the current one is done (typing in a large
   * document never queues up scans), and a result overtaken by an edit is dropped.
   */
  async refresh(doc: vscode.TextDocument): Promise<void> {
    if (doc.isClosed || !isScannable(doc)) return;
    const key = doc.uri.toString();
    const running = this.scanning.get(key);
    if (running) {
      this.rescan.add(key);
      return running;
    }
    const done = this.scanOnce(doc).finally(() => {
      this.scanning.delete(key);
      if (this.rescan.delete(key) && !doc.isClosed) void this.refresh(doc);
    });
    this.scanning.set(key, done);
    return done;
  }

  private async scanOnce(doc: vscode.TextDocument): Promise<void> {
    const version = doc.version;
    let scan: ScanResult;
    try {
      scan = await this.scanner.scan(scanInput(doc));
    } catch (e) {
      this.services.log.warn(`could not look for local images in ${doc.uri.path.split('/').pop()}: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    if (doc.isClosed || doc.version !== version) return; // a newer scan is scheduled
    this.scans.set(doc.uri.toString(), { version, scan });
    this.publish(doc, scan);
  }

  private publish(doc: vscode.TextDocument, scan: ScanResult): void {
    const key = doc.uri.toString();
    const failed = this.failures.get(key);
    // failures of images the document no longer names are forgotten
    if (failed) {
      const named = new Set(scan.local.map((l) => l.image));
      for (const image of [...failed.keys()]) if (!named.has(image)) failed.delete(image);
      if (failed.size === 0) this.failures.delete(key);
    }
    const level = vscode.workspace.getConfiguration(CONFIG_SECTION, doc.uri).get<string>(Setting.LocalImageDiagnostics, 'hint');
    const severity = Object.prototype.hasOwnProperty.call(SEVERITIES, level) ? SEVERITIES[level as keyof typeof SEVERITIES] : level === 'off' ? undefined : SEVERITIES.hint;
    const diagnostics: vscode.Diagnostic[] = [];
    for (const local of scan.local) {
      const range = rangeOf(doc, local);
      const failure = failed?.get(local.image);
      if (failure) {
        diagnostics.push(this.services.diagnostics.failureDiagnostic(failure, range));
        continue;
      }
      if (severity === undefined) continue;
      const diagnostic = new vscode.Diagnostic(range, localMessage(local), severity);
      diagnostic.code = LOCAL_IMAGE_CODE;
      diagnostic.source = DIAGNOSTIC_SOURCE;
      diagnostics.push(diagnostic);
    }
    this.collection.set(doc.uri, diagnostics);
  }

  provideCodeActions(doc: vscode.TextDocument, range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const state = this.scans.get(doc.uri.toString());
    if (!state || state.scan.local.length === 0) return [];
    const fresh = state.version === doc.version;
    const local = state.scan.local;
    const actions: vscode.CodeAction[] = [];
    const command = (title: string, refs: readonly LocalReference[] | undefined, fit?: true): vscode.Command => ({
      title,
      command: Command.UploadLocalImages,
      arguments: [{ uri: doc.uri.toString(), ranges: refs?.map((r) => r.reference.range), ...(fit ? { fit } : {}) } satisfies UploadLocalImagesArgs],
    });
    const ours = new Set(this.collection.get(doc.uri) ?? []);
    const fixed = fresh
      ? context.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE && [...ours].some((o) => o.range.isEqual(d.range) && o.message === d.message))
      : [];
    for (const diagnostic of fixed) {
      const start = doc.offsetAt(diagnostic.range.start);
      const ref = local.find((l) => l.reference.range.start === start);
      if (!ref) continue;
      const title = vscode.l10n.t('Upload {0} and replace the path with its image_key', path.basename(ref.image));
      const action = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
      action.command = command(title, [ref]);
      action.diagnostics = [diagnostic];
      action.isPreferred = true;
      const code = typeof diagnostic.code === 'object' ? Number(diagnostic.code.value) : Number(diagnostic.code);
      if (this.failures.get(doc.uri.toString())?.has(ref.image) && isFittable(code, ref.image)) {
        // fitting cures this refusal: Fit first; only Fit and Upload, never a file_key in an image's place
        const fitTitle = vscode.l10n.t("Fit to Lark's limits and upload");
        const fit = new vscode.CodeAction(fitTitle, vscode.CodeActionKind.QuickFix);
        fit.command = command(fitTitle, [ref], true);
        fit.diagnostics = [diagnostic];
        fit.isPreferred = true;
        action.isPreferred = false;
        actions.push(fit);
      }
      actions.push(action);
    }
    const allTitle = vscode.l10n.t('Upload all {0} local images in this document', local.length);
    if (fixed.length > 0 && local.length > 1) {
      const all = new vscode.CodeAction(allTitle, vscode.CodeActionKind.QuickFix);
      all.command = command(allTitle, undefined);
      all.diagnostics = fixed;
      actions.push(all);
    }
    if (fresh && !range.isEmpty) {
      const from = doc.offsetAt(range.start);
      const to = doc.offsetAt(range.end);
      const inside = local.filter((l) => l.reference.range.start >= from && l.reference.range.end <= to);
      if (inside.length > 0) {
        const title = vscode.l10n.t('Upload the {0} local images in the selection and replace them with image_keys', inside.length);
        const action = new vscode.CodeAction(title, vscode.CodeActionKind.RefactorRewrite.append('lark'));
        action.command = command(title, inside);
        actions.push(action);
      }
    }
    const source = new vscode.CodeAction(vscode.l10n.t('Lark: Upload all local images in this document'), UPLOAD_LOCAL_IMAGES_KIND);
    source.command = command(allTitle, undefined);
    actions.push(source);
    return actions;
  }

  /** The command: upload the document's local images (or those in `ranges`) and replace their paths by keys. */
  async uploadLocalImages(args: UploadLocalImagesArgs = {}): Promise<LocalImagesSummary | undefined> {
    const doc = await documentFor(args.uri);
    if (!doc) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open a Markdown, JSON or YAML document to upload the local images it names.'));
      return undefined;
    }
    const name = doc.uri.path.split('/').pop() || doc.uri.path;
    if (!isScannable(doc)) {
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} is not a Markdown, JSON or YAML document on disk: there are no local images to upload.', name));
      return undefined;
    }
    const readOnly = await readOnlyReason(doc);
    if (readOnly) {
      void vscode.window.showWarningMessage(vscode.l10n.t('{0} is read-only ({1}): its image paths cannot be replaced, so nothing was uploaded. Upload the images from the Explorer to get their keys.', name, readOnly));
      return { total: 0, replaced: 0, failed: 0, skipped: [], notLocal: [], cancelled: false, applied: false };
    }
    const text = doc.getText();
    const version = doc.version;
    const scan = await this.scanner.scan(scanInput(doc));
    const inScope = <T extends { reference: { range: { start: number; end: number } } }>(items: readonly T[]): T[] =>
      args.ranges ? items.filter((i) => args.ranges?.some((r) => i.reference.range.start >= r.start && i.reference.range.end <= r.end)) : [...items];
    const refs = inScope(scan.local);
    const notLocal = inScope(scan.notLocal).map((n) => ({ ref: n.reference.ref, reason: n.reason }));
    const summary: LocalImagesSummary = { total: refs.length, replaced: 0, failed: 0, skipped: [], notLocal, cancelled: false, applied: true };
    if (refs.length === 0) {
      const none = vscode.l10n.t('No local images to upload in {0}.', name);
      void vscode.window.showInformationMessage(notLocal.length > 0 ? `${none} ${notLocalText(notLocal)}` : none);
      return summary;
    }
    if (doc.version === version) this.scans.set(doc.uri.toString(), { version, scan });

    // From here on, the user may edit the document (or close it) while the images upload.
    let tracked: TrackedRange[] = refs.map((r) => ({ ...r.reference.range, touched: false }));
    let closed = false;
    const watching = vscode.Disposable.from(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.toString() !== doc.uri.toString() || e.contentChanges.length === 0) return;
        tracked = applyChanges(
          tracked,
          e.contentChanges.map((c) => ({ offset: c.rangeOffset, length: c.rangeLength, text: c.text })),
        );
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (d.uri.toString() === doc.uri.toString()) closed = true;
      }),
    );
    let outcomes: FileOutcome[];
    let recorded: Promise<void>;
    const images = [...new Set(refs.map((r) => r.image))];
    try {
      const client = await this.services.session.requireClient({ continueAfterSignIn: true });
      if (!client) return undefined;
      const settings = readSettings(doc.uri);
      const fitting = args.fit === true || settings.fitImages === 'always';
      this.services.log.info(`upload ${images.length} local image(s) of ${name} as ${settings.imageType} to ${client.baseUrl}${fitting ? ', fitting those over the limits' : ''}`);
      outcomes = await this.upload(images, name, client, settings, fitting, args.signal);
      // `ask`: one question for the images fitting would take past Lark's refusal (no Upload as
      // Files: a file_key cannot take an image's place in a document); Skip keeps the refusals
      const cancelled = outcomes.some((o) => !o.ok && o.code === LocalCode.Cancelled);
      const refused = fitting || cancelled || (settings.fitImages ?? 'ask') !== 'ask' ? [] : outcomes.flatMap((o, i) => (!o.ok && o.stage === 'validate' && isFittable(o.code, images[i]) ? [i] : []));
      if (refused.length > 0 && (await askToFit(refused.map((i) => path.basename(images[i])), false)) === 'fit') {
        const fitted = await this.upload(refused.map((i) => images[i]), name, client, settings, true, args.signal);
        refused.forEach((index, j) => (outcomes[index] = fitted[j]));
      }
      recorded = recordOutcomes(
        images.map((image, i) => ({ subject: { filePath: image, fileName: path.basename(image), diagnosticUri: vscode.Uri.file(image) }, outcome: outcomes[i] })),
        uploadTargetOf(client, this.services.session, settings.imageType),
        this.services,
      );
      if (outcomes.some((o) => !o.ok && isTokenError(o.code)) && client.appId === undefined) this.services.session.reportTokenRejected();
    } finally {
      watching.dispose();
    }

    const outcomeOf = new Map(images.map((image, i) => [image, outcomes[i]]));
    summary.cancelled = outcomes.some((o) => !o.ok && o.code === LocalCode.Cancelled);
    const failures = this.failures.get(doc.uri.toString()) ?? new Map<string, FailureInfo>();
    for (const [image, o] of outcomeOf) {
      if (o.ok) failures.delete(image);
      else if (o.code !== LocalCode.Cancelled) failures.set(image, { code: o.code, message: o.message, logId: o.logId });
    }
    if (failures.size > 0) this.failures.set(doc.uri.toString(), failures);
    else this.failures.delete(doc.uri.toString());

    // The document now: the same one, or (closed meanwhile) the file as it is on disk.
    const current = closed || doc.isClosed ? await vscode.workspace.openTextDocument(doc.uri) : doc;
    const changedOnDisk = current !== doc && current.getText() !== text;
    const edit = new vscode.WorkspaceEdit();
    refs.forEach((ref, i) => {
      const o = outcomeOf.get(ref.image);
      if (!o?.ok) {
        if (o && o.code !== LocalCode.Cancelled) summary.failed++;
        return;
      }
      const t = current === doc ? tracked[i] : { ...ref.reference.range, touched: changedOnDisk };
      const range = t.touched ? undefined : new vscode.Range(current.positionAt(t.start), current.positionAt(t.end));
      if (!range || current.getText(range) !== text.slice(ref.reference.range.start, ref.reference.range.end)) {
        summary.skipped.push(ref.reference.ref);
        return;
      }
      edit.replace(current.uri, range, o.imageKey);
      summary.replaced++;
    });
    if (summary.replaced > 0) {
      summary.applied = await vscode.workspace.applyEdit(edit);
      if (summary.applied && current !== doc) await current.save();
    }
    if (!summary.applied) summary.replaced = 0;
    void this.refresh(current);
    this.announce(name, summary, outcomes, current !== doc);
    await recorded;
    return summary;
  }

  /** The images through the core pipeline under a cancellable notification; `fit`: those Lark would refuse are fitted first. */
  private upload(images: readonly string[], name: string, client: LarkClient, settings: LarkSettings, fit: boolean, cancel: AbortSignal | undefined): Thenable<FileOutcome[]> {
    const scheduler = schedulerFor(client, settings, this.services.log);
    return withCancellableProgress(
      vscode.l10n.t('Uploading the local images of {0}', name),
      (signal, progress) => {
        progress.report({ message: vscode.l10n.t('{0}/{1} done', 0, images.length) });
        const pipeline = {
          client,
          scheduler,
          imageType: settings.imageType,
          dedupe: settings.dedupe ? new DedupeIndex(this.services.dedupeStore) : undefined,
          signal,
          onError: pipelineErrorLogger(this.services.log),
          onProgress: (done: number, total: number) => progress.report({ message: vscode.l10n.t('{0}/{1} done', done, total), increment: 100 / total }),
        };
        if (!fit) return uploadFiles(images, pipeline);
        return uploadFilesWithFit(images, {
          ...pipeline,
          onFitStart: (file) => {
            this.services.log.info(`fitting ${path.basename(file)}`);
            progress.report({ message: vscode.l10n.t('Fitting {0}…', path.basename(file)) });
          },
        });
      },
      cancel,
    );
  }

  private announce(name: string, summary: LocalImagesSummary, outcomes: readonly FileOutcome[], reopened: boolean): void {
    const parts: string[] = [];
    if (!summary.applied) {
      parts.push(vscode.l10n.t('Could not change {0} (is it read-only?): its local images were uploaded, and their keys are in the Uploads view.', name));
    } else if (summary.cancelled) {
      parts.push(vscode.l10n.t('Cancelled: {0} of {1} local images in {2} replaced by their image_keys.', summary.replaced, summary.total, name));
    } else if (summary.replaced > 0) {
      const reused = outcomes.filter((o) => o.ok && o.deduped).length;
      parts.push(
        reused > 0
          ? vscode.l10n.t('Replaced {0} local images in {1} by their image_keys ({2} reused from earlier uploads).', summary.replaced, name, reused)
          : vscode.l10n.t('Replaced {0} local images in {1} by their image_keys.', summary.replaced, name),
      );
      if (reopened) parts.push(vscode.l10n.t('{0} was closed meanwhile: it was changed on disk.', name));
    }
    if (summary.skipped.length > 0) {
      parts.push(vscode.l10n.t('{0} not replaced because it changed while uploading: {1}.', summary.skipped.length, summary.skipped.join(', ')));
    }
    if (summary.notLocal.length > 0) parts.push(notLocalText(summary.notLocal));
    const failed = outcomes.filter((o): o is Extract<FileOutcome, { ok: false }> => !o.ok && o.code !== LocalCode.Cancelled);
    if (failed.length > 0) {
      const named = failed.slice(0, 3).map((o) => vscode.l10n.t('{0} ({1})', path.basename(o.file), o.message));
      parts.push(vscode.l10n.t('{0} could not be uploaded: {1}. The Problems panel shows each on its reference.', failed.length, named.join('; ') + (failed.length > 3 ? vscode.l10n.t('; and {0} more', failed.length - 3) : '')));
      const showProblems = vscode.l10n.t('Show Problems');
      void vscode.window.showErrorMessage(parts.join(' '), showProblems).then((choice) => {
        if (choice === showProblems) void vscode.commands.executeCommand('workbench.actions.view.problems');
      });
      return;
    }
    if (!summary.applied || summary.skipped.length > 0 || summary.cancelled) void vscode.window.showWarningMessage(parts.join(' '));
    else void vscode.window.showInformationMessage(parts.join(' '));
  }
}

function argsOf(arg: unknown): UploadLocalImagesArgs {
  if (arg instanceof vscode.Uri) return { uri: arg };
  if (arg && typeof arg === 'object') return arg as UploadLocalImagesArgs;
  return {};
}

async function documentFor(uri: UploadLocalImagesArgs['uri']): Promise<vscode.TextDocument | undefined> {
  if (uri === undefined) return vscode.window.activeTextEditor?.document;
  const parsed = typeof uri === 'string' ? vscode.Uri.parse(uri) : uri;
  return vscode.workspace.textDocuments.find((d) => d.uri.toString() === parsed.toString()) ?? vscode.workspace.openTextDocument(parsed);
}

function isScannable(doc: vscode.TextDocument): boolean {
  return (doc.uri.scheme === 'file' || doc.uri.scheme === 'untitled') && SCANNED_LANGUAGES.includes(doc.languageId);
}

/**
 * Why VS Code treats the document as read-only, or undefined: `files.readonlyInclude` (less
 * `files.readonlyExclude`) names it, or `files.readonlyFromPermissions` is on and the file is
 * not writable. (A WorkspaceEdit would still change such a document: check first.)
 */
export async function readOnlyReason(doc: vscode.TextDocument): Promise<string | undefined> {
  if (doc.uri.scheme !== 'file') return undefined;
  const files = vscode.workspace.getConfiguration('files', doc.uri);
  const matches = (setting: string): boolean => {
    const globs = files.get<Record<string, boolean>>(setting) ?? {};
    const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
    return Object.entries(globs).some(
      ([glob, on]) => on === true && vscode.languages.match({ pattern: folder && !path.isAbsolute(glob) ? new vscode.RelativePattern(folder, glob) : glob }, doc) > 0,
    );
  };
  if (matches('readonlyInclude') && !matches('readonlyExclude')) return 'files.readonlyInclude';
  if (files.get<boolean>('readonlyFromPermissions')) {
    try {
      await fs.promises.access(doc.uri.fsPath, fs.constants.W_OK);
    } catch {
      return 'files.readonlyFromPermissions';
    }
  }
  return undefined;
}

function scanInput(doc: vscode.TextDocument) {
  const roots = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  // an untitled document has no folder: its paths resolve against the first workspace folder
  const documentDir = doc.uri.scheme === 'file' ? path.dirname(doc.uri.fsPath) : (roots[0] ?? process.cwd());
  return { text: doc.getText(), language: doc.languageId, documentDir, roots };
}

function rangeOf(doc: vscode.TextDocument, local: LocalReference): vscode.Range {
  return new vscode.Range(doc.positionAt(local.reference.range.start), doc.positionAt(local.reference.range.end));
}

function localMessage(local: LocalReference): string {
  const base = vscode.l10n.t('Local image {0}: upload it to Lark and replace the path with its image_key.', local.reference.ref);
  return local.outside ? `${base} ${vscode.l10n.t('(The file is outside the workspace: {0})', local.image)}` : base;
}

function notLocalText(items: readonly { ref: string; reason: NotLocalReason }[]): string {
  const reasons: Record<NotLocalReason, string> = {
    missing: vscode.l10n.t('no such file'),
    folder: vscode.l10n.t('a folder'),
    loop: vscode.l10n.t('a symbolic link loop'),
    unreadable: vscode.l10n.t('not readable'),
  };
  const named = items.slice(0, 3).map((i) => vscode.l10n.t('{0} ({1})', i.ref, reasons[i.reason]));
  const more = items.length > 3 ? vscode.l10n.t('; and {0} more', items.length - 3) : '';
  return vscode.l10n.t('{0} image paths name no file here and were left as written: {1}.', items.length, named.join('; ') + more);
}
