// Hover over an image_key in any document: what it is. A key from the upload history shows its
// source image (the local file), size, dimensions, type, upload time and links to copy the key
// or reveal the file; any other `img_v…` key says it is not in history and, when signed in,
// offers to fetch a preview from Lark (GET /open-apis/im/v1/images/:image_key) into the
// bounded preview folder (core/previewFolder), which Clear History and Sign Out empty.
import { existsSync } from 'fs';
import * as vscode from 'vscode';
import { Command, IMAGE_KEY_PATTERN, NEW_STYLE_IMAGE_KEY } from '../constants';
import type { UploadHistory, UploadRecord } from '../core/history';
import type { Profile } from '../core/profiles';
import { UploadError, downloadFailureText } from '../core/larkErrors';
import { sniffImageFormat } from '../core/sniff';
import type { PreviewFolder } from '../core/previewFolder';
import type { LarkSession } from './session';
import type { UploadLog } from './log';
import { escapeMarkdown, formatKb } from './format';
import { howUploaded, timeLines } from './uploadsView';

/** The hover is at most ~250 px tall: the picture fits a box that leaves room for the details. */
const HOVER_IMAGE_BOX = { width: 240, height: 110 };

function commandLink(label: string, command: string, args: unknown[]): string {
  return `[${escapeMarkdown(label)}](command:${command}?${encodeURIComponent(JSON.stringify(args))})`;
}

/** Width that fits the image in HOVER_IMAGE_BOX, keeping its aspect (small images are enlarged at most 3×). */
function hoverImageWidth(width: number | undefined, height: number | undefined): number {
  if (!width || !height) return HOVER_IMAGE_BOX.height;
  const scale = Math.min(HOVER_IMAGE_BOX.width / width, HOVER_IMAGE_BOX.height / height, 3);
  return Math.max(1, Math.round(width * scale));
}

/**
 * Alt text as plain words: markdown escapes are not undone inside an image's alt text (the hover
 * would show `img\_v2\_…`), so the few characters that could end or restyle it are dropped.
 */
export function altText(text: string): string {
  return text.replace(/[[\]\\*`<>\r\n]/g, '');
}

function imageMarkdown(alt: string, uri: vscode.Uri, width: number): string {
  // `|width=` is VS Code's own image-size syntax in MarkdownString
  return `![${altText(alt)}](${uri.toString()}|width=${width})`;
}

export class ImageKeyHoverProvider implements vscode.HoverProvider {
  constructor(
    private readonly history: UploadHistory,
    private readonly session: LarkSession,
    private readonly previews: PreviewFolder,
    private readonly profiles?: { get(id: string): Profile | undefined },
    /** The kept copy of a pasted image, if any. */
    private readonly copyOf?: (record: UploadRecord) => vscode.Uri | undefined,
  ) {}

  /**
   * Which profile and app uploaded the key, and a warning when that is not the profile in use
   * (Lark ties a key to the app that uploaded it). Empty without profile or app information.
   */
  uploaderLines(r: UploadRecord): string[] {
    const app = r.appId?.startsWith('tenant-token:') ? vscode.l10n.t('tenant token') : r.appId;
    const lines: string[] = [];
    if (r.profileId !== undefined) {
      const profile = this.profiles?.get(r.profileId);
      const name = profile ? profile.name : vscode.l10n.t('a removed profile');
      lines.push(app ? vscode.l10n.t('Uploaded by profile {0} (app {1})', escapeMarkdown(name), escapeMarkdown(app)) : vscode.l10n.t('Uploaded by profile {0}', escapeMarkdown(name)));
    } else if (app) {
      lines.push(vscode.l10n.t('Uploaded by app {0}', escapeMarkdown(app)));
    }
    const current = this.session.profile();
    if (current && r.profileId !== undefined && r.profileId !== current.id) {
      lines.push(`$(warning) ${vscode.l10n.t('Not the active profile ({0}): only the app that uploaded this key can send or download it.', escapeMarkdown(current.name))}`);
    }
    return lines;
  }

  private previewOf(key: string): vscode.Uri | undefined {
    const file = this.previews.find(key);
    return file === undefined ? undefined : vscode.Uri.file(file);
  }

  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const range = document.getWordRangeAtPosition(position, IMAGE_KEY_PATTERN);
    if (!range) return undefined;
    const key = document.getText(range);
    const record = this.history.findByKey(key);
    if (!record && !NEW_STYLE_IMAGE_KEY.test(key)) return undefined;
    const md = new vscode.MarkdownString(undefined, true);
    md.supportHtml = false;
    md.isTrusted = { enabledCommands: [Command.CopyKey, Command.RevealFile, Command.PreviewImage] };
    md.appendMarkdown(record ? this.known(key, record) : await this.unknown(key));
    return new vscode.Hover(md, range);
  }

  private known(key: string, r: UploadRecord): string {
    const blocks: string[] = [vscode.l10n.t('Lark image {0}', `\`${key}\``)];
    const preview = r.filePath && existsSync(r.filePath) ? vscode.Uri.file(r.filePath) : (this.copyOf?.(r) ?? this.previewOf(key));
    if (preview) blocks.push(imageMarkdown(r.fileName, preview, hoverImageWidth(r.width, r.height)));
    const facts: string[] = [];
    if (r.size !== undefined) facts.push(vscode.l10n.t('Size: {0} KB', formatKb(r.size)));
    if (r.width !== undefined && r.height !== undefined) facts.push(vscode.l10n.t('Dimensions: {0} × {1}', r.width, r.height));
    if (r.format) facts.push(vscode.l10n.t('Format: {0}', escapeMarkdown(r.format.toUpperCase())));
    facts.push(vscode.l10n.t('image_type: {0}', r.imageType));
    const how = howUploaded(r);
    if (how) facts.push(escapeMarkdown(how));
    const source = r.filePath ? vscode.l10n.t('File: {0}', escapeMarkdown(vscode.workspace.asRelativePath(r.filePath))) : `${escapeMarkdown(r.fileName)} (${vscode.l10n.t('Pasted image')})`;
    blocks.push([facts.join(' · '), source, ...timeLines(r), ...this.uploaderLines(r)].join('  \n'));
    const links = [commandLink(vscode.l10n.t('Copy image_key'), Command.CopyKey, [r])];
    if (r.filePath) links.push(commandLink(vscode.l10n.t('Reveal File'), Command.RevealFile, [r]));
    blocks.push(links.join(' · '));
    return blocks.join('\n\n');
  }

  private async unknown(key: string): Promise<string> {
    const preview = this.previewOf(key);
    // a key we fetched is one we hold: say where it came from rather than what it is not
    const blocks: string[] = [vscode.l10n.t('Lark image {0}', `\`${key}\``), preview ? vscode.l10n.t('Fetched from Lark (a preview kept on this machine).') : vscode.l10n.t('Not in the upload history.')];
    if (preview) blocks.push(imageMarkdown(key, preview, hoverImageWidth(undefined, undefined)));
    let signedIn = false;
    try {
      signedIn = (await this.session.client()) !== undefined;
    } catch {
      signedIn = false; // refused base URL or keychain failure (the store logged it): no link that would fail
    }
    if (signedIn) blocks.push(commandLink(vscode.l10n.t('Fetch preview from Lark'), Command.PreviewImage, [key]));
    return blocks.join('\n\n');
  }
}

const EXTENSION_OF: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/tiff': 'tiff',
  'image/bmp': 'bmp',
  'image/x-icon': 'ico',
  'image/vnd.microsoft.icon': 'ico',
};

/**
 * "Fetch Preview": downloads the image (only images this app uploaded as `message` can be read),
 * keeps it in the preview folder, opens it beside the editor (the hover shows it from then on).
 * Returns the file, or undefined when it could not be fetched (already said).
 */
async function fetchPreview(key: unknown, session: LarkSession, log: UploadLog, previews: PreviewFolder): Promise<vscode.Uri | undefined> {
  if (typeof key !== 'string' || !new RegExp(`^${IMAGE_KEY_PATTERN.source}$`).test(key)) return undefined;
  // asked for explicitly: once the user has signed in from the prompt, the fetch goes on
  const client = await session.requireClient({ continueAfterSignIn: true });
  if (!client) return undefined;
  try {
    const image = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Fetching {0} from Lark', key) },
      () => client.downloadImage(key),
    );
    // by the bytes first: Lark serves a TIFF upload back as JPEG, and a .tiff name would not open as an image
    const ext = sniffImageFormat(image.bytes) ?? EXTENSION_OF[image.contentType.split(';')[0].trim().toLowerCase()] ?? 'png';
    const file = vscode.Uri.file(await previews.save(key, ext, image.bytes));
    log.info(`fetched preview of ${key} (${image.bytes.length} bytes)`);
    await vscode.commands.executeCommand('vscode.open', file, { preview: true, viewColumn: vscode.ViewColumn.Beside, preserveFocus: true });
    return file;
  } catch (e) {
    const err = e instanceof UploadError ? e : undefined;
    const why = err ? downloadFailureText(err.code, vscode.env.language) : String((e as Error)?.message ?? e);
    log.warn(`preview of ${key} failed: ${err ? `${err.code} ${err.message}${err.logId ? ` (log_id ${err.logId})` : ''}` : why}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('Could not fetch {0} from Lark: {1}', key, why));
    return undefined;
  }
}

/** Deletes the fetched previews (Clear History, Sign Out); a failure is logged, never stops the command that asked. */
export async function clearPreviews(previews: PreviewFolder, log: UploadLog): Promise<void> {
  try {
    const removed = await previews.clear();
    if (removed > 0) log.info(`deleted ${removed} fetched preview(s)`);
  } catch (e) {
    log.error(`could not delete the fetched previews: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function registerImageKeyHover(
  history: UploadHistory,
  session: LarkSession,
  log: UploadLog,
  previews: PreviewFolder,
  profiles?: { get(id: string): Profile | undefined },
  copyOf?: (record: UploadRecord) => vscode.Uri | undefined,
): { hoverProvider: ImageKeyHoverProvider; disposable: vscode.Disposable } {
  const hoverProvider = new ImageKeyHoverProvider(history, session, previews, profiles, copyOf);
  // Files left from earlier sessions that are past the age bound go now, not at the next fetch.
  previews.prune().catch((e: unknown) => log.warn(`could not prune the fetched previews: ${e instanceof Error ? e.message : String(e)}`));
  return {
    hoverProvider,
    disposable: vscode.Disposable.from(
      vscode.languages.registerHoverProvider('*', hoverProvider),
      vscode.commands.registerCommand(Command.PreviewImage, (key: unknown) => fetchPreview(key, session, log, previews)),
    ),
  };
}
