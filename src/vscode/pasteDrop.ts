// Paste and drop images into editors, and drop them onto the uploads view, through VS Code's own
// DataTransfer APIs (no OS clipboard scripts, so it works over Remote and WSL). The edit we offer
// ("Upload to Lark and insert image_key", kind `lark.imageKey`) is cheap to offer: it only
// collects what was pasted. The upload runs in the resolve step, i.e. only when the user (or
// `editor.pasteAs.preferences` / `editor.dropIntoEditor.preferences`) picks our edit, through the
// same validate -> dedupe -> schedule -> upload pipeline as the commands.
import { promises as fsp } from 'fs';
import * as vscode from 'vscode';
import { IMAGE_EXTENSIONS, PASTE_DROP_EDIT_KIND } from '../constants';
import { DedupeIndex } from '../core/dedupe';
import { isTokenError } from '../core/larkErrors';
import { renderTemplate } from '../core/templates';
import { planInsertions } from '../core/insertContext';
import { uploadBytes, type BytesItem } from '../core/uploadBytes';
import { uploadFiles, type FileOutcome } from '../core/uploadFiles';
import { isFittable, uploadBytesWithFit, uploadFilesWithFit } from '../core/fitFiles';
import { LarkImageCode } from '../core/validate';
import { LocalCode, MAX_IMAGE_BYTES } from '../core/types';
import type { UploadRecord } from '../core/history';
import type { PastedCopies } from '../core/pastedCopies';
import { withCancellableProgress } from './feedback';
import { askToFit } from './fitPrompt';
import { recordOutcomes, uploadTargetOf, type OutcomeSubject } from './record';
import { pasteDropLanguages, readSettings, type LarkSettings } from './settings';
import { announce, copyKeys, keysOf, pipelineErrorLogger, schedulerFor, urisFromCommandArgs, type UploadServices } from './upload';

/** What a paste or drop brought, collected while offering the edit (the DataTransfer dies after). */
export type ImageSource =
  /** a file on the extension host's disk: uploaded like the commands do, recorded with its path */
  | { kind: 'path'; uri: vscode.Uri }
  /** bytes with no file here (a screenshot, a file dropped from the OS into a remote window) */
  | { kind: 'bytes'; bytes: Uint8Array; name: string }
  /** a resource of another file system (virtual, remote), read through workspace.fs on upload */
  | { kind: 'resource'; uri: vscode.Uri };

const pasteDropEditKind = (): vscode.DocumentDropOrPasteEditKind => vscode.DocumentDropOrPasteEditKind.Empty.append(...PASTE_DROP_EDIT_KIND);

/** The built-in text, URI-path and markdown edits stay first unless the user prefers ours. */
const yieldTo = (): vscode.DocumentDropOrPasteEditKind[] => [
  vscode.DocumentDropOrPasteEditKind.Text,
  vscode.DocumentDropOrPasteEditKind.Empty.append('uri'),
  vscode.DocumentDropOrPasteEditKind.Empty.append('markdown'),
];

const PASTE_DROP_MIME_TYPES = ['image/*', 'files', 'text/uri-list'] as const;

function hasImageExtension(name: string): boolean {
  const ext = name.split('.').pop()?.toLowerCase() ?? '';
  return name.includes('.') && (IMAGE_EXTENSIONS as readonly string[]).includes(ext);
}

function baseName(uri: vscode.Uri): string {
  return uri.path.split('/').pop() ?? uri.path;
}

async function kindOnThisHost(uri: vscode.Uri): Promise<'file' | 'folder' | undefined> {
  if (uri.scheme !== 'file') return undefined;
  try {
    const stat = await fsp.stat(uri.fsPath);
    return stat.isFile() ? 'file' : stat.isDirectory() ? 'folder' : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The images in a DataTransfer: image data (`image/*`), dropped/pasted files (`files`) and
 * resources (`text/uri-list`, e.g. from the explorer). A file that exists on this host is taken
 * by path; otherwise its bytes are read now. Non-images by type and name are left out (the bytes
 * still decide when uploading). `expandFolders`: a dropped folder means the images inside it.
 */
async function imageSourcesFrom(dataTransfer: vscode.DataTransfer, options: { expandFolders?: boolean } = {}): Promise<ImageSource[]> {
  const sources: ImageSource[] = [];
  const seen = new Set<string>();
  const addPath = (uri: vscode.Uri): void => {
    if (seen.has(uri.toString())) return;
    seen.add(uri.toString());
    sources.push({ kind: 'path', uri });
  };
  let uriList: vscode.DataTransferItem | undefined;
  for (const [mime, item] of dataTransfer) {
    if (mime.toLowerCase() === 'text/uri-list') {
      uriList = item;
      continue;
    }
    const file = item.asFile();
    if (file) {
      if (!mime.toLowerCase().startsWith('image/') && !hasImageExtension(file.name) && !(file.uri && hasImageExtension(file.uri.path))) continue;
      if (file.uri && (await kindOnThisHost(file.uri)) === 'file') {
        addPath(file.uri);
        continue;
      }
      if (file.uri) {
        if (seen.has(file.uri.toString())) continue;
        seen.add(file.uri.toString());
      }
      sources.push({ kind: 'bytes', bytes: await file.data(), name: file.name });
    } else if (mime.toLowerCase().startsWith('image/') && item.value instanceof Uint8Array) {
      sources.push({ kind: 'bytes', bytes: item.value, name: '' });
    }
  }
  if (uriList) {
    const text = await uriList.asString();
    for (const line of text.split(/\r?\n/)) {
      const entry = line.trim();
      if (!entry || entry.startsWith('#')) continue;
      let uri: vscode.Uri;
      try {
        uri = vscode.Uri.parse(entry, true);
      } catch {
        continue;
      }
      if (seen.has(uri.toString())) continue;
      const here = await kindOnThisHost(uri);
      if (here === 'folder') {
        if (options.expandFolders) for (const inside of await urisFromCommandArgs(uri, [uri])) addPath(inside);
        continue;
      }
      if (!hasImageExtension(uri.path)) continue;
      if (here === 'file') addPath(uri);
      else if (uri.scheme !== 'file' && uri.scheme !== 'http' && uri.scheme !== 'https') {
        seen.add(uri.toString());
        sources.push({ kind: 'resource', uri });
      }
    }
  }
  return sources;
}

/** One outcome per source, in order. */
export interface SourcesUpload {
  outcomes: FileOutcome[];
  cancelled: boolean;
  settings: LarkSettings;
}

/**
 * Uploads what was pasted or dropped: files by path (exactly like the commands), bytes through
 * the bytes pipeline, both under one scheduler budget. Records every outcome in history and
 * diagnostics: a file's failure on the file, pasted bytes' failure on `document` at
 * `diagnosticRange` (they have no file of their own). Undefined when signed out (already said).
 */
async function uploadSources(
  sources: readonly ImageSource[],
  services: UploadServices,
  options: { document?: vscode.TextDocument; diagnosticRange?: vscode.Range; signal?: AbortSignal; copies?: PastedCopies } = {},
): Promise<SourcesUpload | undefined> {
  const client = await services.session.requireClient();
  if (!client) return undefined;
  const firstUri = sources.flatMap((s) => (s.kind === 'bytes' ? [] : [s.uri]))[0];
  const settings = readSettings(options.document ?? firstUri);
  const scheduler = schedulerFor(client, settings, services.log);
  const dedupe = settings.dedupe ? new DedupeIndex(services.dedupeStore) : undefined;
  const { outcomes, pathIndexes, bytesIndexes, bytesItems } = await partition(sources);
  const fitting = settings.fitImages === 'always';
  services.log.info(`upload ${sources.length} pasted/dropped image(s) as ${settings.imageType} to ${client.baseUrl}${fitting ? ', fitting those over the limits' : ''}`);
  const common = { client, scheduler, imageType: settings.imageType, dedupe, signal: options.signal, onError: pipelineErrorLogger(services.log) };
  /** Uploads the sources at `indexes` (of pathIndexes / bytesIndexes), fitted first when `fit`. */
  const run = async (paths: readonly number[], bytes: readonly number[], fit: boolean): Promise<void> => {
    const items = bytes.map((j) => bytesItems[j]);
    const [fromFiles, fromBytes] = await Promise.all([
      paths.length ? (fit ? uploadFilesWithFit : uploadFiles)(paths.map((j) => (sources[pathIndexes[j]] as { uri: vscode.Uri }).uri.fsPath), common) : Promise.resolve([]),
      items.length ? (fit ? uploadBytesWithFit(items, { ...common, onFitStart: (name) => services.log.info(`fitting pasted ${name || 'image'}`) }) : uploadBytes(items, common).then((o) => ({ outcomes: o, uploaded: items }))) : Promise.resolve({ outcomes: [], uploaded: [] }),
    ]);
    fromFiles.forEach((o, k) => (outcomes[pathIndexes[paths[k]]] = o));
    fromBytes.outcomes.forEach((o, k) => (outcomes[bytesIndexes[bytes[k]]] = o));
    if (options.copies) await keepCopies(fromBytes.uploaded, fromBytes.outcomes, options.copies, services);
  };
  await run(pathIndexes.map((_, j) => j), bytesIndexes.map((_, j) => j), fitting);
  // `ask`: one question for the images fitting would take past Lark's refusal: Fit or Skip (no
  // Upload as Files: a file_key cannot take an image's place where the key is inserted)
  if (!fitting && (settings.fitImages ?? 'ask') === 'ask' && !outcomes.some((o) => !o.ok && o.code === LocalCode.Cancelled)) {
    const refusedOf = (indexes: readonly number[]) => indexes.flatMap((i, j) => (refusable(outcomes[i], sources[i]) ? [j] : []));
    const paths = refusedOf(pathIndexes);
    const bytes = refusedOf(bytesIndexes);
    const names = [...paths.map((j) => outcomes[pathIndexes[j]].file), ...bytes.map((j) => outcomes[bytesIndexes[j]].file)].map((f) => f.split(/[\\/]/).pop() ?? f);
    if (names.length > 0 && (await askToFit(names, false)) === 'fit') await run(paths, bytes, true);
  }

  const items = sources.map((source, i) => ({ subject: subjectOf(source, outcomes[i], options), outcome: outcomes[i] }));
  await recordOutcomes(items, uploadTargetOf(client, services.session, settings.imageType), services);
  if (outcomes.some((o) => !o.ok && isTokenError(o.code)) && client.appId === undefined) services.session.reportTokenRejected();
  return { outcomes, cancelled: outcomes.some((o) => !o.ok && o.code === LocalCode.Cancelled), settings };
}

/** An outcome that fitting could turn into an upload: refused before any request for size, dimensions or a convertible format. */
function refusable(o: FileOutcome, source: ImageSource): boolean {
  if (o.ok || o.stage !== 'validate') return false;
  return isFittable(o.code, source.kind === 'bytes' ? source.name : source.uri.path);
}

/**
 * Keeps a copy of each uploaded image that has no file here (re-keying and thumbnails use it),
 * before the history lists it. A copy that cannot be written is logged: the upload stands.
 */
async function keepCopies(items: readonly BytesItem[], outcomes: readonly FileOutcome[], copies: PastedCopies, services: UploadServices): Promise<void> {
  for (const [j, o] of outcomes.entries()) {
    if (!o.ok) continue;
    await copies.save(items[j].bytes, o.info.format).catch((e: unknown) => services.log.warn(`could not keep a copy of pasted ${o.file}: ${e instanceof Error ? e.message : String(e)}`));
  }
}

/** Files go by path; bytes and readable resources as bytes; an unreadable resource fails here. */
async function partition(sources: readonly ImageSource[]): Promise<{ outcomes: FileOutcome[]; pathIndexes: number[]; bytesIndexes: number[]; bytesItems: BytesItem[] }> {
  const outcomes = new Array<FileOutcome>(sources.length);
  const pathIndexes: number[] = [];
  const bytesIndexes: number[] = [];
  const bytesItems: BytesItem[] = [];
  for (let i = 0; i < sources.length; i++) {
    const source = sources[i];
    if (source.kind === 'path') pathIndexes.push(i);
    else if (source.kind === 'bytes') {
      bytesIndexes.push(i);
      bytesItems.push({ bytes: source.bytes, name: source.name });
    } else {
      const read = await readResource(source.uri);
      if ('bytes' in read) {
        bytesIndexes.push(i);
        bytesItems.push({ bytes: read.bytes, name: baseName(source.uri) });
      } else {
        outcomes[i] = { file: baseName(source.uri), ok: false, ...read, logId: undefined, stage: 'validate', info: undefined, attempts: 0 };
      }
    }
  }
  return { outcomes, pathIndexes, bytesIndexes, bytesItems };
}

async function readResource(uri: vscode.Uri): Promise<{ bytes: Uint8Array } | { code: number; message: string }> {
  try {
    const stat = await vscode.workspace.fs.stat(uri);
    if (stat.size > MAX_IMAGE_BYTES) return { code: LarkImageCode.FileTooLarge, message: `The image is ${stat.size} bytes; Lark takes at most ${MAX_IMAGE_BYTES} bytes (10 MB).` };
    return { bytes: await vscode.workspace.fs.readFile(uri) };
  } catch (e) {
    return { code: LocalCode.FileUnreadable, message: `Cannot read ${uri.toString(true)}: ${(e as Error).message}` };
  }
}

/** A file's failure shows on the file; pasted bytes' failure on the document pasted into, at the paste. */
function subjectOf(source: ImageSource, o: FileOutcome, options: { document?: vscode.TextDocument; diagnosticRange?: vscode.Range }): OutcomeSubject {
  if (source.kind === 'bytes') return { fileName: o.file, diagnosticUri: options.document?.uri, diagnosticRange: options.diagnosticRange };
  return { filePath: source.kind === 'path' ? source.uri.fsPath : undefined, fileName: baseName(source.uri), diagnosticUri: source.uri };
}

/**
 * The edit inserting the keys at the ranges in the form each place needs (core/insertContext):
 * the insertTemplate setting for the document's language (Markdown's default: card markdown), in
 * JSON only where it keeps the document valid, inside a JSON string the bare key.
 */
function editInserting(document: vscode.TextDocument, ranges: readonly vscode.Range[], outcomes: readonly FileOutcome[], settings: Pick<LarkSettings, 'insertTemplate' | 'customTemplate'>): vscode.WorkspaceEdit | undefined {
  const keys = keysOf(outcomes);
  if (keys.length === 0) return undefined;
  const places = ranges.map((r) => ({ start: document.offsetAt(r.start), end: document.offsetAt(r.end) }));
  const template = keys.map((k) => renderTemplate(settings.insertTemplate, k, settings.customTemplate));
  const plan = planInsertions({ text: document.getText(), languageId: document.languageId }, places, { template, bare: keys.map((k) => k.imageKey) });
  const edit = new vscode.WorkspaceEdit();
  ranges.forEach((range, i) => edit.replace(document.uri, range, plan[i].text));
  return edit;
}

interface PendingUpload {
  document: vscode.TextDocument;
  ranges: readonly vscode.Range[];
  sources: readonly ImageSource[];
}

/**
 * The edit we offer. Its text is empty until resolved; then an additionalEdit replaces the
 * ranges (the workbench applies only the additionalEdit when insertText is empty; drop edits can
 * change nothing else when resolved).
 */
export class LarkPasteEdit extends vscode.DocumentPasteEdit {
  constructor(readonly pending: PendingUpload) {
    super('', vscode.l10n.t('Upload to Lark and insert image_key'), pasteDropEditKind());
    this.yieldTo = yieldTo();
  }
}

export class LarkDropEdit extends vscode.DocumentDropEdit {
  constructor(readonly pending: PendingUpload) {
    super('', vscode.l10n.t('Upload to Lark and insert image_key'), pasteDropEditKind());
    this.yieldTo = yieldTo();
  }
}

function appliesTo(document: vscode.TextDocument): boolean {
  const languages = pasteDropLanguages(document.uri);
  return languages.includes('*') || languages.includes(document.languageId);
}

function abortOn(token: vscode.CancellationToken): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  const subscription = token.onCancellationRequested(() => controller.abort());
  return { signal: controller.signal, dispose: () => subscription.dispose() };
}

/** The resolve step of both providers: upload, then the WorkspaceEdit with the keys (undefined: nothing to insert). */
async function resolveUpload(pending: PendingUpload, services: UploadServices, token: vscode.CancellationToken, copies?: PastedCopies): Promise<vscode.WorkspaceEdit | undefined> {
  const abort = abortOn(token);
  try {
    const result = await uploadSources(pending.sources, services, { document: pending.document, diagnosticRange: pending.ranges[0], signal: abort.signal, copies });
    if (!result) return undefined;
    const okCount = result.outcomes.filter((o) => o.ok).length;
    const failed = result.outcomes.some((o) => !o.ok && o.code !== LocalCode.Cancelled);
    // Success speaks for itself (the key appears); failures say so like the commands do.
    if (failed) void announce(result.outcomes, okCount, false, okCount > 0 ? 'editor' : 'none', services);
    if (token.isCancellationRequested || okCount === 0) return undefined;
    return editInserting(pending.document, pending.ranges, result.outcomes, result.settings);
  } finally {
    abort.dispose();
  }
}

export class ImagePasteEditProvider implements vscode.DocumentPasteEditProvider<LarkPasteEdit> {
  constructor(
    private readonly services: UploadServices,
    private readonly copies?: PastedCopies,
  ) {}

  async provideDocumentPasteEdits(
    document: vscode.TextDocument,
    ranges: readonly vscode.Range[],
    dataTransfer: vscode.DataTransfer,
    context: vscode.DocumentPasteEditContext,
    token: vscode.CancellationToken,
  ): Promise<LarkPasteEdit[] | undefined> {
    if (!appliesTo(document)) return undefined;
    if (context.only && !context.only.intersects(pasteDropEditKind())) return undefined;
    const sources = await imageSourcesFrom(dataTransfer);
    if (sources.length === 0 || token.isCancellationRequested) return undefined;
    return [new LarkPasteEdit({ document, ranges, sources })];
  }

  async resolveDocumentPasteEdit(edit: LarkPasteEdit, token: vscode.CancellationToken): Promise<LarkPasteEdit> {
    edit.additionalEdit = await resolveUpload(edit.pending, this.services, token, this.copies);
    return edit;
  }
}

export class ImageDropEditProvider implements vscode.DocumentDropEditProvider<LarkDropEdit> {
  constructor(
    private readonly services: UploadServices,
    private readonly copies?: PastedCopies,
  ) {}

  async provideDocumentDropEdits(document: vscode.TextDocument, position: vscode.Position, dataTransfer: vscode.DataTransfer, token: vscode.CancellationToken): Promise<LarkDropEdit[] | undefined> {
    if (!appliesTo(document)) return undefined;
    const sources = await imageSourcesFrom(dataTransfer);
    if (sources.length === 0 || token.isCancellationRequested) return undefined;
    return [new LarkDropEdit({ document, ranges: [new vscode.Range(position, position)], sources })];
  }

  async resolveDocumentDropEdit(edit: LarkDropEdit, token: vscode.CancellationToken): Promise<LarkDropEdit> {
    edit.additionalEdit = await resolveUpload(edit.pending, this.services, token, this.copies);
    return edit;
  }
}

/** Files (or folders of images) dropped from the explorer or the OS onto the uploads view. */
export class UploadsDropController implements vscode.TreeDragAndDropController<UploadRecord> {
  readonly dropMimeTypes = ['files', 'text/uri-list'];
  readonly dragMimeTypes: string[] = [];

  constructor(
    private readonly services: UploadServices,
    private readonly copies?: PastedCopies,
  ) {}

  async handleDrop(_target: UploadRecord | undefined, dataTransfer: vscode.DataTransfer, token: vscode.CancellationToken): Promise<void> {
    await this.uploadDropped(dataTransfer, token);
  }

  /** handleDrop, returning what happened (for the API and tests). */
  async uploadDropped(dataTransfer: vscode.DataTransfer, token?: vscode.CancellationToken): Promise<SourcesUpload | undefined> {
    const sources = await imageSourcesFrom(dataTransfer, { expandFolders: true });
    if (sources.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('No images found to upload.'));
      return undefined;
    }
    const dropCancelled = token ? abortOn(token) : undefined;
    let result: SourcesUpload | undefined;
    try {
      result = await withCancellableProgress(vscode.l10n.t('Uploading to Lark'), (signal) => uploadSources(sources, this.services, { signal, copies: this.copies }), dropCancelled?.signal);
    } finally {
      dropCancelled?.dispose();
    }
    if (!result) return undefined;
    // Not an editor gesture: the keys go to the clipboard, and the notification offers Insert at Cursor.
    const keys = keysOf(result.outcomes);
    const copied = keys.length > 0 ? await copyKeys(keys, { template: result.settings.insertTemplate, customTemplate: result.settings.customTemplate }) : undefined;
    void announce(result.outcomes, keys.length, result.cancelled, copied ? 'clipboard' : 'none', this.services, copied ? keys : undefined);
    return result;
  }
}

export function registerPasteDrop(
  services: UploadServices,
  copies?: PastedCopies,
): {
  pasteProvider: ImagePasteEditProvider;
  dropProvider: ImageDropEditProvider;
  disposable: vscode.Disposable;
} {
  const pasteProvider = new ImagePasteEditProvider(services, copies);
  const dropProvider = new ImageDropEditProvider(services, copies);
  // Every document: the languages setting is read at each paste, so changing it needs no reload.
  const selector: vscode.DocumentSelector = '*';
  return {
    pasteProvider,
    dropProvider,
    disposable: vscode.Disposable.from(
      vscode.languages.registerDocumentPasteEditProvider(selector, pasteProvider, {
        providedPasteEditKinds: [pasteDropEditKind()],
        pasteMimeTypes: [...PASTE_DROP_MIME_TYPES],
      }),
      vscode.languages.registerDocumentDropEditProvider(selector, dropProvider, {
        providedDropEditKinds: [pasteDropEditKind()],
        dropMimeTypes: [...PASTE_DROP_MIME_TYPES],
      }),
    ),
  };
}
