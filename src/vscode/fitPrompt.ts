// Images Lark would refuse for their size (234006), their dimensions (234039) or a format the codec
// can convert (234011 for SVG, AVIF, HEIF) need not be dead ends (issue 9): a batch asks once what
// to do with them (setting larkImageUpload.fitImages), and their Problems entries offer two quick
// fixes, Fit to Lark's limits and upload, Upload as a file. Both run the upload gesture again for
// that file (upload.ts, options.fit), which clears the entry on success or replaces it.
import * as vscode from 'vscode';
import { Command, DIAGNOSTIC_SOURCE } from '../constants';
import { isFittable } from '../core/fitFiles';
import type { ImageType } from '../core/types';
import { isUploadRecord } from '../core/history';
import type { UploadDiagnostics } from './diagnostics';

/** How a file Lark refuses goes up after all: fitted (images API) or as a file (files API). */
export type FitMode = 'fit' | 'asFile';

/** Lark's files cannot stand in for an avatar: Upload as a file only for `message`. */
export function canUploadAsFile(imageType: ImageType): boolean {
  return imageType === 'message';
}

/**
 * The one question of a batch: "N images exceed Lark's limits" (one: named), answered with Fit and
 * Upload, Upload as Files (`offerAsFiles`: message images, and only where a file_key may take the
 * image's place) or Skip; dismissed counts as Skip.
 */
export async function askToFit(names: readonly string[], offerAsFiles: boolean): Promise<FitMode | undefined> {
  const fit = vscode.l10n.t('Fit and Upload');
  const asFiles = vscode.l10n.t('Upload as Files');
  const skip = vscode.l10n.t('Skip');
  const one = names[0];
  const text = offerAsFiles
    ? names.length === 1
      ? vscode.l10n.t("{0} exceeds Lark's limits (size, dimensions or format). Fit it to the limits (scaled down, aspect ratio kept) and upload it, or upload it as a file?", one)
      : vscode.l10n.t("{0} images exceed Lark's limits (size, dimensions or format). Fit them to the limits (scaled down, aspect ratio kept) and upload them, or upload them as files?", names.length)
    : names.length === 1
      ? vscode.l10n.t("{0} exceeds Lark's limits (size, dimensions or format). Fit it to the limits (scaled down, aspect ratio kept) and upload it?", one)
      : vscode.l10n.t("{0} images exceed Lark's limits (size, dimensions or format). Fit them to the limits (scaled down, aspect ratio kept) and upload them?", names.length);
  const items = offerAsFiles ? [fit, asFiles, skip] : [fit, skip];
  const choice = await vscode.window.showWarningMessage(text, ...items);
  return choice === fit ? 'fit' : choice === asFiles && offerAsFiles ? 'asFile' : undefined;
}

/**
 * The quick fixes on our Problems entries of an image file (not of a document an image was pasted
 * into: those are on the document, and pasted bytes have no file to fit again).
 */
export class FitQuickFixes implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  constructor(
    private readonly diagnostics: UploadDiagnostics,
    private readonly imageTypeOf: (uri: vscode.Uri) => ImageType,
  ) {}

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const ours = this.diagnostics.collection.get(doc.uri) ?? [];
    if (ours.length === 0 || doc.uri.scheme !== 'file') return [];
    const actions: vscode.CodeAction[] = [];
    for (const diagnostic of context.diagnostics) {
      if (diagnostic.source !== DIAGNOSTIC_SOURCE || !ours.some((o) => o.range.isEqual(diagnostic.range) && o.message === diagnostic.message)) continue;
      const code = typeof diagnostic.code === 'object' ? Number(diagnostic.code.value) : Number(diagnostic.code);
      if (!isFittable(code, doc.uri.fsPath) || !isImageFile(doc.uri)) continue;
      const fit = new vscode.CodeAction(vscode.l10n.t("Fit to Lark's limits and upload"), vscode.CodeActionKind.QuickFix);
      fit.command = { command: Command.FitAndUpload, title: fit.title, arguments: [doc.uri] };
      fit.diagnostics = [diagnostic];
      fit.isPreferred = true;
      actions.push(fit);
      if (canUploadAsFile(this.imageTypeOf(doc.uri))) {
        const asFile = new vscode.CodeAction(vscode.l10n.t('Upload as a file'), vscode.CodeActionKind.QuickFix);
        asFile.command = { command: Command.UploadAsFile, title: asFile.title, arguments: [doc.uri] };
        asFile.diagnostics = [diagnostic];
        actions.push(asFile);
      }
    }
    return actions;
  }
}

/** A file named like an image (an entry on a Markdown document is a pasted image's, not a file's). */
function isImageFile(uri: vscode.Uri): boolean {
  return /\.(png|jpe?g|gif|webp|tiff?|bmp|ico|svg|avif|heic|heif|hif)$/i.test(uri.path);
}

/**
 * The provider and the two commands it runs; `upload` is the Explorer gesture for one file (keys
 * to the clipboard, Insert at Cursor offered). VS Code asks for code actions only on documents it
 * can open as text: an SVG's entry shows them in the Problems panel, a PNG's or JPEG's cannot, so
 * the same two commands are on a failed entry of the uploads view (package.json menus).
 */
export function registerFitQuickFixes(diagnostics: UploadDiagnostics, imageTypeOf: (uri: vscode.Uri) => ImageType, upload: (uri: vscode.Uri, mode: FitMode) => Promise<unknown>): vscode.Disposable {
  // a Problems entry's quick fix hands the file's Uri; the uploads view's failed entry its record
  const run = (mode: FitMode) => (arg: unknown) => {
    const uri = arg instanceof vscode.Uri ? arg : isUploadRecord(arg) && arg.filePath ? vscode.Uri.file(arg.filePath) : undefined;
    return uri ? upload(uri, mode) : undefined;
  };
  return vscode.Disposable.from(
    vscode.languages.registerCodeActionsProvider({ scheme: 'file' }, new FitQuickFixes(diagnostics, imageTypeOf), { providedCodeActionKinds: FitQuickFixes.kinds }),
    vscode.commands.registerCommand(Command.FitAndUpload, run('fit')),
    vscode.commands.registerCommand(Command.UploadAsFile, run('asFile')),
  );
}
