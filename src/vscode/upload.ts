// The upload gesture, whatever started it (explorer, palette, editor menu, uploads view):
// collect files -> core pipeline (validate, dedupe, schedule, upload) under a cancellable
// progress notification -> diagnostics, history, and the keys where the gesture belongs: the
// editor gestures (palette, editor menu) at the cursor, in the form the place needs; the gestures
// outside an editor (Explorer, a drop onto the uploads view) to the clipboard, never typed into
// an editor, with a notification offering Insert at Cursor.
import * as vscode from 'vscode';
import { IMAGE_EXTENSIONS } from '../constants';
import { byPath, expandFolders } from '../core/collect';
import { UploadScheduler, rateLimiterFor } from '../core/scheduler';
import { DedupeIndex, type KeyValueStore } from '../core/dedupe';
import { uploadFiles, type FileOutcome, type PipelineErrorHandler } from '../core/uploadFiles';
import { isFittable, uploadFilesWithFit, type FitFileOutcome } from '../core/fitFiles';
import { filesBudgetKey, uploadAsFiles, type FileApiOutcome } from '../core/fileUpload';
import { isTokenError } from '../core/larkErrors';
import { fileMessage, renderTemplate, type TemplateId, type TemplateVars } from '../core/templates';
import { planInsertions } from '../core/insertContext';
import type { UploadHistory } from '../core/history';
import type { LarkClient } from '../core/larkClient';
import { LocalCode } from '../core/types';
import { withCancellableProgress } from './feedback';
import { isAsFile, messageOf, recordOutcomes, uploadTargetOf, type AsFileOutcome, type RecordedOutcome } from './record';
import { askToFit, canUploadAsFile, type FitMode } from './fitPrompt';
import { readSettings, type LarkSettings } from './settings';
import type { LarkSession } from './session';
import type { UploadDiagnostics } from './diagnostics';
import type { UploadLog } from './log';

export interface UploadServices {
  session: LarkSession;
  history: UploadHistory;
  diagnostics: UploadDiagnostics;
  log: UploadLog;
  dedupeStore: KeyValueStore;
}

/**
 * Where a gesture's keys go. `cursor`: into the editor at its cursors (palette, editor menu, the
 * API); `clipboard`: gestures outside an editor (Explorer, a drop onto the uploads view) never
 * type into an editor: the keys go to the clipboard and the notification offers Insert at Cursor.
 */
export type InsertTarget = 'cursor' | 'clipboard';

export interface UploadOptions {
  /** Set by each gesture; default `cursor`. */
  target?: InsertTarget;
  /** Where keys go with target `cursor`; default: the active text editor at the moment of the gesture. */
  editor?: vscode.TextEditor;
  /** Insert keys into the editor (default true); false: only record them. */
  insert?: boolean;
  /** Upload even if the same bytes were uploaded before. */
  force?: boolean;
  /** Cancels like the notification's Cancel button (for the API and tests). */
  signal?: AbortSignal;
  /**
   * The quick fixes: `fit` fits every image Lark would refuse before uploading it, `asFile` sends
   * every file through the files API; no question is asked. Default: the fitImages setting.
   */
  fit?: FitMode;
}

export interface UploadSummary {
  /** Per file, in order: its image upload (`fit` when it was fitted first); empty when `fit` was asFile. */
  outcomes: FitFileOutcome[];
  /**
   * Files that went up through the files API (Upload as Files), by their index in `outcomes`
   * (where such a file keeps the refusal that made it go up as a file, unless `fit` was asFile).
   */
  files?: { index: number; outcome: FileApiOutcome }[];
  /** The text inserted into the editor, or copied to the clipboard; '' when nothing. */
  text: string;
  target: 'editor' | 'clipboard' | 'none';
  cancelled: boolean;
}

const GLOB = `**/*.{${IMAGE_EXTENSIONS.join(',')},${IMAGE_EXTENSIONS.map((e) => e.toUpperCase()).join(',')}}`;

/**
 * What a menu handed us: the explorer passes `(uri, uris[])`, the palette nothing, the editor
 * title/context a uri. Folders expand to the images inside, recursively, honouring files.exclude
 * (findFiles applies it when no exclude is given).
 */
export async function urisFromCommandArgs(arg: unknown, args: unknown): Promise<vscode.Uri[]> {
  const picked: vscode.Uri[] = Array.isArray(args) && args.length > 0 ? args.filter((a): a is vscode.Uri => a instanceof vscode.Uri) : arg instanceof vscode.Uri ? [arg] : [];
  const { files } = await expandFolders(picked, {
    isFolder: async (uri) => {
      try {
        return ((await vscode.workspace.fs.stat(uri)).type & vscode.FileType.Directory) !== 0;
      } catch {
        return false; // missing: validation reports it as 9001 with the path
      }
    },
    imagesIn: async (folder) => (await vscode.workspace.findFiles(new vscode.RelativePattern(folder, GLOB))).sort((a, b) => byPath(a.fsPath, b.fsPath)),
  });
  const seen = new Set<string>();
  return files.filter((u) => (seen.has(u.toString()) ? false : (seen.add(u.toString()), true)));
}

export async function pickImages(): Promise<vscode.Uri[]> {
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: true,
    canSelectFiles: true,
    canSelectFolders: false,
    openLabel: vscode.l10n.t('Upload to Lark'),
    title: vscode.l10n.t('Upload Images to Lark'),
    filters: { [vscode.l10n.t('Images')]: [...IMAGE_EXTENSIONS] },
  });
  return picked ?? [];
}

export async function uploadUris(uris: readonly vscode.Uri[], services: UploadServices, options: UploadOptions = {}): Promise<UploadSummary | undefined> {
  const nothing: UploadSummary = { outcomes: [], text: '', target: 'none', cancelled: false };
  const fileUris = uris.filter((u) => u.scheme === 'file');
  if (fileUris.length < uris.length) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Only files on disk can be uploaded; {0} item(s) skipped.', uris.length - fileUris.length));
  }
  if (fileUris.length === 0) return nothing;
  const client = await services.session.requireClient({ continueAfterSignIn: true });
  if (!client) return undefined;
  // The editor is chosen at the gesture: switching editors while uploading does not move the keys.
  const toClipboard = options.target === 'clipboard';
  const editor = toClipboard ? undefined : (options.editor ?? vscode.window.activeTextEditor);
  const settings = readSettings(editor?.document ?? fileUris[0]);
  const batch = { fileUris, client, settings, services, options, editor };
  if (options.fit === 'asFile') {
    const files = await uploadAsFilesWithProgress(fileUris, client, settings, services, options);
    const delivered = await deliver(batch, files.map((o) => ({ ...o, asFile: true as const })), new Set());
    return { outcomes: [], files: files.map((outcome, index) => ({ index, outcome })), ...delivered };
  }
  const fitting = options.fit === 'fit' || settings.fitImages === 'always';
  const outcomes = await uploadWithProgress(fileUris, client, settings, services, options, fitting);
  const cancelled = outcomes.some((o) => !o.ok && o.code === LocalCode.Cancelled);
  // `ask`: the images Lark would refuse wait for one question; the rest is delivered at once
  const refused = fitting || cancelled || (settings.fitImages ?? 'ask') !== 'ask' ? [] : fittableIndexes(fileUris, outcomes);
  const first = await deliver(batch, outcomes, new Set(refused));
  if (refused.length === 0) return { outcomes, ...first };
  const refusedUris = refused.map((i) => fileUris[i]);
  const mode = await askToFit(refusedUris.map((u) => u.path.split('/').pop() ?? u.fsPath), canUploadAsFile(settings.imageType));
  if (!mode) return { outcomes, ...first };
  const again = await uploadUris(refusedUris, services, { ...options, editor, fit: mode });
  if (!again) return { outcomes, ...first };
  if (mode === 'fit') refused.forEach((index, j) => (outcomes[index] = again.outcomes[j]));
  const texts = [first.text, again.text].filter((t) => t !== '');
  return {
    outcomes,
    ...(again.files ? { files: again.files.map((f) => ({ index: refused[f.index], outcome: f.outcome })) } : {}),
    text: texts.join('\n'),
    target: again.target !== 'none' ? again.target : first.target,
    cancelled: first.cancelled || again.cancelled,
  };
}

/** The files of a batch that fitting could take past Lark's refusal (size, dimensions, convertible format). */
function fittableIndexes(fileUris: readonly vscode.Uri[], outcomes: readonly FileOutcome[]): number[] {
  return outcomes.flatMap((o, i) => (!o.ok && o.stage === 'validate' && isFittable(o.code, fileUris[i].fsPath) ? [i] : []));
}

/** A batch as the gesture made it. */
interface Batch {
  fileUris: readonly vscode.Uri[];
  client: LarkClient;
  settings: LarkSettings;
  services: UploadServices;
  options: UploadOptions;
  editor: vscode.TextEditor | undefined;
}

/**
 * Diagnostics, log lines and history entries of a batch's outcomes; its keys where the gesture
 * belongs; the notification, which leaves out the files in `asked` (a question follows for them).
 */
async function deliver(batch: Batch, outcomes: readonly RecordedOutcome[], asked: ReadonlySet<number>): Promise<Omit<UploadSummary, 'outcomes'>> {
  const { fileUris, client, settings, services, options, editor } = batch;
  const toClipboard = options.target === 'clipboard';
  const cancelled = outcomes.some((o) => !o.ok && o.code === LocalCode.Cancelled);
  // Diagnostics and log lines now; the history is written meanwhile and never holds back the keys.
  const subjects = fileUris.map((uri, i) => ({ filePath: uri.fsPath, fileName: uri.path.split('/').pop() ?? outcomes[i].file, diagnosticUri: uri }));
  const recorded = recordOutcomes(outcomes.map((outcome, i) => ({ subject: subjects[i], outcome })), uploadTargetOf(client, services.session, settings.imageType), services);
  if (outcomes.some((o) => !o.ok && isTokenError(o.code)) && client.appId === undefined) services.session.reportTokenRejected();

  const asFiles = outcomes.some(isAsFile);
  const keys = asFiles ? fileKeysOf(outcomes.filter(isAsFile)) : keysOf(outcomes.filter((o): o is FitFileOutcome => !isAsFile(o)));
  // a file_key goes in a file message, never into an image template
  const form = asFiles ? FILE_MESSAGE_FORM : undefined;
  let text = '';
  let target: UploadSummary['target'] = 'none';
  if (keys.length > 0 && options.insert !== false) {
    ({ text, target } = toClipboard ? await copyKeys(keys, form ?? configuredForm(fileUris[0])) : await insertKeys(keys, editor, form, fileUris[0]));
  }
  const told = outcomes.filter((_o, i) => !asked.has(i));
  if (told.length > 0) void announce(told, keys.length, cancelled, target, services, toClipboard && target === 'clipboard' ? keys : undefined, form);
  await recorded;
  return { text, target, cancelled };
}

/**
 * A file_key in the form a message of msg_type "file" takes ({"file_key":"file_v2_…"}; the bare
 * key where that would break a JSON document): the key goes in the `imageKey` slot of the vars.
 */
export const FILE_MESSAGE_FORM: InsertForm = { template: 'custom', customTemplate: fileMessage('${imageKey}') };

function fileKeysOf(outcomes: readonly AsFileOutcome[]): TemplateVars[] {
  return outcomes.filter((o): o is Extract<AsFileOutcome, { ok: true }> => o.ok).map((o) => ({ imageKey: o.fileKey, fileName: o.file.split(/[\\/]/).pop() ?? '' }));
}

/** What the insert forms need of each uploaded image, in order. */
export function keysOf(outcomes: readonly FileOutcome[]): TemplateVars[] {
  return outcomes
    .filter((o): o is Extract<FileOutcome, { ok: true }> => o.ok)
    .map((o) => ({ imageKey: o.imageKey, fileName: o.info.path.split(/[\\/]/).pop() ?? '', width: o.info.width, height: o.info.height }));
}

/** Logs what the pipeline could not hand back as an outcome (the dedupe index failing: the upload still happens). */
export function pipelineErrorLogger(log: UploadLog): PipelineErrorHandler {
  return (error, context) => log.warn(`${context} failed: ${messageOf(error)}`);
}

/** One batch's scheduler: the configured concurrency, the app's shared rate budget, retries logged. */
export function schedulerFor(client: LarkClient, settings: LarkSettings, log: UploadLog): UploadScheduler {
  return new UploadScheduler({
    concurrency: settings.concurrency,
    limiter: rateLimiterFor(client.scopeKey),
    onRetry: (_i, attempt, delayMs, err) => log.info(`retry ${attempt} in ${Math.round(delayMs)} ms after ${err.code}: ${err.message}`),
  });
}

/**
 * The core pipeline under a cancellable progress notification ("2/5 uploaded"); `fit`: images Lark
 * would refuse are fitted first, one at a time, and the notification names the one being fitted.
 */
function uploadWithProgress(fileUris: readonly vscode.Uri[], client: LarkClient, settings: LarkSettings, services: UploadServices, options: UploadOptions, fit = false): Thenable<FitFileOutcome[]> {
  const scheduler = schedulerFor(client, settings, services.log);
  const paths = fileUris.map((u) => u.fsPath);
  services.log.info(`upload ${paths.length} file(s) as ${settings.imageType} to ${client.baseUrl}${fit ? ', fitting those over the limits' : ''}`);
  return withCancellableProgress(
    vscode.l10n.t('Uploading to Lark'),
    (signal, progress) => {
      // counts every file that is done, failed or not, so it ends at n/n
      progress.report({ message: vscode.l10n.t('{0}/{1} done', 0, paths.length) });
      const pipeline = {
        client,
        scheduler,
        imageType: settings.imageType,
        dedupe: settings.dedupe ? new DedupeIndex(services.dedupeStore) : undefined,
        force: options.force,
        signal,
        onError: pipelineErrorLogger(services.log),
        onProgress: (done: number, total: number) => progress.report({ message: vscode.l10n.t('{0}/{1} done', done, total), increment: 100 / total }),
      };
      if (!fit) return uploadFiles(paths, pipeline);
      return uploadFilesWithFit(paths, {
        ...pipeline,
        onFitStart: (file) => {
          services.log.info(`fitting ${file.split(/[\\/]/).pop() ?? file}`);
          progress.report({ message: vscode.l10n.t('Fitting {0}…', file.split(/[\\/]/).pop() ?? file) });
        },
      });
    },
    options.signal,
  );
}

/** Every file through the files API (Upload as a file), under the same cancellable notification. */
function uploadAsFilesWithProgress(fileUris: readonly vscode.Uri[], client: LarkClient, settings: LarkSettings, services: UploadServices, options: UploadOptions): Thenable<FileApiOutcome[]> {
  const paths = fileUris.map((u) => u.fsPath);
  services.log.info(`upload ${paths.length} file(s) as files to ${client.baseUrl}`);
  const scheduler = new UploadScheduler({
    concurrency: settings.concurrency,
    limiter: rateLimiterFor(filesBudgetKey(client)),
    onRetry: (_i, attempt, delayMs, err) => services.log.info(`retry ${attempt} in ${Math.round(delayMs)} ms after ${err.code}: ${err.message}`),
  });
  return withCancellableProgress(
    vscode.l10n.t('Uploading to Lark as files'),
    (signal, progress) => {
      progress.report({ message: vscode.l10n.t('{0}/{1} done', 0, paths.length) });
      return uploadAsFiles(paths, {
        client,
        scheduler,
        signal,
        onProgress: (done, total) => progress.report({ message: vscode.l10n.t('{0}/{1} done', done, total), increment: 100 / total }),
      });
    },
    options.signal,
  );
}

/** A form for one insert (Insert Key As…); without one, the insertTemplate setting for the document's language. */
export interface InsertForm {
  template: TemplateId;
  customTemplate?: string;
}

function render(keys: readonly TemplateVars[], form: InsertForm): string[] {
  return keys.map((k) => renderTemplate(form.template, k, form.customTemplate));
}

/** The configured form for `scope` (a document: its language's value). */
function configuredForm(scope: vscode.ConfigurationScope | undefined): InsertForm {
  const settings = readSettings(scope);
  return { template: settings.insertTemplate, customTemplate: settings.customTemplate };
}

/** The keys in `form` to the clipboard, one per line. */
export async function copyKeys(keys: readonly TemplateVars[], form: InsertForm): Promise<{ text: string; target: 'clipboard' }> {
  const text = render(keys, form).join('\n');
  await vscode.env.clipboard.writeText(text);
  return { text, target: 'clipboard' };
}

/**
 * The keys at the editor's cursors in the form each place needs (core/insertContext): one key per
 * cursor when the counts match, else all of them at every cursor, as VS Code's own paste does; in
 * JSON the form only where it keeps the document valid, else the bare key (and we say why). No
 * usable editor: the clipboard (`clipboardScope`: whose settings apply then).
 */
export async function insertKeys(
  keys: readonly TemplateVars[],
  editor: vscode.TextEditor | undefined,
  form?: InsertForm,
  clipboardScope?: vscode.Uri,
): Promise<{ text: string; target: 'editor' | 'clipboard' }> {
  const usable = editor && !editor.document.isClosed && vscode.window.visibleTextEditors.includes(editor);
  if (usable) {
    const { document } = editor;
    const chosen = form ?? configuredForm(document);
    const selections = editor.selections;
    const places = selections.map((s) => ({ start: document.offsetAt(s.start), end: document.offsetAt(s.end) }));
    const plan = planInsertions({ text: document.getText(), languageId: document.languageId }, places, { template: render(keys, chosen), bare: keys.map((k) => k.imageKey) });
    const applied = await editor.edit((edit) => plan.forEach((p, i) => edit.replace(selections[i], p.text)));
    if (applied) {
      if (plan.some((p) => p.reason === 'wouldBreakJson')) {
        void vscode.window.showInformationMessage(
          vscode.l10n.t('{0} would make the JSON invalid at the cursor, so only the image_key was inserted. Put the cursor where a value goes to insert the whole form.', formLabel(chosen.template)),
        );
      }
      return { text: [...new Set(plan.map((p) => p.text))].join('\n'), target: 'editor' };
    }
  }
  return copyKeys(keys, form ?? configuredForm(editor?.document.uri ?? clipboardScope));
}

/** The insert forms as the user sees them (quick pick, messages). */
export function formLabel(template: TemplateId): string {
  switch (template) {
    case 'raw':
      return vscode.l10n.t('The image_key alone');
    case 'imageMessage':
      return vscode.l10n.t('Image message content JSON');
    case 'postImg':
      return vscode.l10n.t('Rich text (post) img element');
    case 'cardImg':
      return vscode.l10n.t('Card img element');
    case 'cardMarkdown':
      return vscode.l10n.t('Card markdown');
    case 'custom':
      return vscode.l10n.t('Custom template');
  }
}

/** The file name of an outcome, for messages. */
function nameOf(o: FileOutcome | RecordedOutcome): string {
  return o.file.split(/[\\/]/).pop() || o.file;
}

/** How many failures a notification names before "and N more". */
const NAMED_FAILURES = 3;

/**
 * The result of a gesture: one image names its file and key; several count what was uploaded
 * and what was reused (same bytes as an earlier upload); failures name the file and the reason
 * (the first few when there are several). `offerInsert`: the keys of a gesture outside an editor
 * (now on the clipboard): when a text editor is visible the notification offers Insert at Cursor,
 * which inserts them, with the context rules, into the editor active when it is chosen.
 */
export async function announce(
  outcomes: readonly (FileOutcome | RecordedOutcome)[],
  okCount: number,
  cancelled: boolean,
  target: UploadSummary['target'],
  services: UploadServices,
  offerInsert?: readonly TemplateVars[],
  offerForm?: InsertForm,
): Promise<void> {
  const failures = outcomes.filter((o): o is Extract<FileOutcome | RecordedOutcome, { ok: false }> => !o.ok && o.code !== LocalCode.Cancelled);
  const where = whereKeysWent(target, okCount, offerInsert !== undefined);
  const insertAtCursor = vscode.l10n.t('Insert at Cursor');
  const offered = offerInsert && offerInsert.length > 0 && vscode.window.visibleTextEditors.length > 0 ? [insertAtCursor] : [];
  let choice: string | undefined;
  if (cancelled) {
    choice = await vscode.window.showWarningMessage(vscode.l10n.t('Upload cancelled: {0} of {1} images uploaded.', okCount, outcomes.length) + (where ? ' ' + where : ''), ...offered);
  } else if (failures.length > 0) {
    const showProblems = vscode.l10n.t('Show Problems');
    const showLog = vscode.l10n.t('Show Log');
    choice = await vscode.window.showErrorMessage(failureText(failures, outcomes.length) + (okCount > 0 && where ? ' ' + where : ''), ...offered, showProblems, showLog);
    if (choice === showProblems) void vscode.commands.executeCommand('workbench.actions.view.problems');
    if (choice === showLog) services.log.channel.show(true);
  } else {
    choice = await vscode.window.showInformationMessage(successText(outcomes) + (where ? ' ' + where : ''), ...offered);
  }
  if (choice === insertAtCursor && offerInsert) {
    const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
    await insertKeys(offerInsert, editor, offerForm);
  }
}

function whereKeysWent(target: UploadSummary['target'], okCount: number, byGesture: boolean): string {
  if (target === 'clipboard' && byGesture) return okCount === 1 ? vscode.l10n.t('The key was copied to the clipboard.') : vscode.l10n.t('The keys were copied to the clipboard.');
  if (target === 'clipboard') return okCount === 1 ? vscode.l10n.t('No text editor was active: the key was copied to the clipboard.') : vscode.l10n.t('No text editor was active: the keys were copied to the clipboard.');
  if (target === 'editor') return okCount === 1 ? vscode.l10n.t('Key inserted at the cursor.') : vscode.l10n.t('Keys inserted at the cursor.');
  return '';
}

function failureText(failures: readonly Extract<FileOutcome | RecordedOutcome, { ok: false }>[], total: number): string {
  if (total === 1) return vscode.l10n.t('Could not upload {0}: {1}', nameOf(failures[0]), failures[0].message);
  const named = failures.slice(0, NAMED_FAILURES).map((o) => vscode.l10n.t('{0} ({1})', nameOf(o), o.message));
  const more = failures.length - named.length;
  const list = named.join('; ') + (more > 0 ? vscode.l10n.t('; and {0} more', more) : '');
  return vscode.l10n.t('{0} of {1} images could not be uploaded: {2}. See the Problems panel for each file.', failures.length, total, list);
}

function successText(all: readonly (FileOutcome | RecordedOutcome)[]): string {
  const asFiles = all.filter((o): o is Extract<AsFileOutcome, { ok: true }> => o.ok && isAsFile(o));
  if (asFiles.length === 1) return vscode.l10n.t('Uploaded {0} to Lark as a file: {1}', nameOf(asFiles[0]), asFiles[0].fileKey);
  if (asFiles.length > 1) return vscode.l10n.t('Uploaded {0} files to Lark.', asFiles.length);
  const outcomes = all.filter((o): o is FitFileOutcome => !isAsFile(o));
  const ok = outcomes.filter((o): o is Extract<FitFileOutcome, { ok: true }> => o.ok);
  const reused = ok.filter((o) => o.deduped).length;
  if (ok.length === 1) {
    const [only] = ok;
    if (only.deduped) return vscode.l10n.t('{0} was uploaded before (same bytes): its key {1} is reused.', nameOf(only), only.imageKey);
    return only.fit
      ? vscode.l10n.t('Fitted {0} to Lark\'s limits and uploaded it: {1}', nameOf(only), only.imageKey)
      : vscode.l10n.t('Uploaded {0} to Lark: {1}', nameOf(only), only.imageKey);
  }
  if (reused === 0) return vscode.l10n.t('Uploaded {0} images to Lark.', ok.length);
  if (reused === ok.length) return vscode.l10n.t('All {0} images were uploaded before (same bytes): their keys are reused.', ok.length);
  return vscode.l10n.t('Lark: {0} uploaded, {1} reused from earlier uploads (same bytes).', ok.length - reused, reused);
}
