// activate() only wires services and registrations; the behaviour lives in src/vscode/* and src/core/*.
import * as vscode from 'vscode';
import { StateKey } from './constants';
import { UploadHistory } from './core/history';
import { PreviewFolder } from './core/previewFolder';
import { PastedCopies } from './core/pastedCopies';
import { Rekeyer } from './vscode/rekey';
import { UploadLog } from './vscode/log';
import { readSettings } from './vscode/settings';
import { ProfileCredentials } from './vscode/credentials';
import { ProfileStore } from './core/profiles';
import { registerProfileCommands } from './vscode/profiles';
import { migrateProfiles } from './vscode/migrate';
import { LarkSession } from './vscode/session';
import { registerAccountCommands } from './vscode/account';
import { registerStatusBar } from './vscode/statusBar';
import { UploadDiagnostics } from './vscode/diagnostics';
import { MementoKeyValueStore, mementoHistoryStorage } from './vscode/state';
import type { KeyValueStore } from './core/dedupe';
import { registerUploadsView } from './vscode/uploadsView';
import { registerUploadCommands } from './vscode/commands';
import { uploadUris, type UploadOptions, type UploadSummary } from './vscode/upload';
import { registerPasteDrop, UploadsDropController, type ImageDropEditProvider, type ImagePasteEditProvider } from './vscode/pasteDrop';
import { registerImageKeyHover, type ImageKeyHoverProvider } from './vscode/hover';
import { Switchable, testHooksFor, type TestHooks } from './vscode/testHooks';
import { messageOf, reportHistoryFailure } from './vscode/record';
import { LocalImages } from './vscode/localImages';
import { ReferenceScanner } from './vscode/referenceScanner';
import { fitImage, type FitInput, type FitResult } from './core/fit';
import type { ImageType } from './core/types';
import { registerFitQuickFixes } from './vscode/fitPrompt';

/** What `activate()` returns: for other extensions and the integration tests. */
export interface LarkImageUploadApi {
  readonly version: string;
  readonly history: UploadHistory;
  readonly session: LarkSession;
  /** The profiles and which one this window uses. */
  readonly profiles: ProfileCredentials;
  /** The status bar item (profile name and region). */
  readonly statusBarItem: vscode.StatusBarItem;
  readonly diagnostics: vscode.DiagnosticCollection;
  uploadFiles(uris: readonly vscode.Uri[], options?: UploadOptions): Promise<UploadSummary | undefined>;
  /** The paste / drop edit providers, the uploads view's drop controller and the image_key hover. */
  readonly pasteProvider: ImagePasteEditProvider;
  readonly dropProvider: ImageDropEditProvider;
  readonly uploadsDropController: UploadsDropController;
  readonly hoverProvider: ImageKeyHoverProvider;
  /** Local image references in documents: their diagnostics, quick fixes and the upload-and-replace command. */
  readonly localImages: LocalImages;
  /** Kept copies of pasted images (re-keying, thumbnails). */
  readonly pastedCopies: PastedCopies;
  /** Re-upload Keys for Profile… (its Warnings: `rekeyer.collection`). */
  readonly rekeyer: Rekeyer;
  /** Fits an image to Lark's limits (core/fit.ts; the codec loads on first use). */
  fit(input: FitInput, options: { imageType: ImageType; signal?: AbortSignal }): Promise<FitResult>;
  /** Only when VS Code runs the extension's tests: lets them put faulty storage under it. */
  readonly testHooks?: TestHooks;
}

export function activate(context: vscode.ExtensionContext): LarkImageUploadApi {
  const version = String((context.extension.packageJSON as { version?: unknown }).version ?? '');
  const log = new UploadLog();
  // the stores are reached through proxies that only the integration tests can switch (testHooks)
  const stores = {
    secrets: new Switchable(context.secrets),
    history: new Switchable(mementoHistoryStorage(context.globalState, StateKey.History)),
    dedupe: new Switchable<KeyValueStore>(new MementoKeyValueStore(context.globalState, StateKey.DedupeIndex)),
  };
  const profileStore = new ProfileStore(mementoHistoryStorage(context.globalState, StateKey.Profiles), stores.secrets.proxy);
  const profiles = new ProfileCredentials(profileStore, stores.secrets.proxy, (e) => log.error(e.message));
  const session = new LarkSession(profiles, log, () => readSettings());
  const diagnostics = new UploadDiagnostics(context.extensionUri);
  const history = new UploadHistory(stores.history.proxy, undefined, undefined, (error, context) => log.error(`${context} failed: ${messageOf(error)}`));
  if (history.readError) reportHistoryFailure(history, history.readError, log);
  // today's one sign-in becomes a profile (no prompt); credentials are read once it is done
  const migrate = (): Promise<unknown> => migrateProfiles({ store: profileStore, secrets: stores.secrets.proxy, history, log });
  profiles.waitFor(migrate());
  const services = { session, history, diagnostics, log, dedupeStore: stores.dedupe.proxy };
  const previews = new PreviewFolder(vscode.Uri.joinPath(context.globalStorageUri, 'previews').fsPath);
  const copies = new PastedCopies(vscode.Uri.joinPath(context.globalStorageUri, 'pasted').fsPath);
  const copyOf = (r: { sha256?: string }): vscode.Uri | undefined => {
    const file = r.sha256 === undefined ? undefined : copies.find(r.sha256);
    return file === undefined ? undefined : vscode.Uri.file(file);
  };
  // copies left from earlier sessions that are past the age bound go now, not at the next paste
  copies.prune().catch((e: unknown) => log.warn(`could not prune the pasted image copies: ${messageOf(e)}`));
  const uploadsDropController = new UploadsDropController(services, copies);
  const uploadsView = registerUploadsView(history, uploadsDropController, { profiles: profileStore, current: () => session.profile(), onDidChangeProfile: session.onDidChange, state: context.globalState }, copyOf);
  const pasteDrop = registerPasteDrop(services, copies);
  const hover = registerImageKeyHover(history, session, log, previews, profileStore, copyOf);
  const statusBar = registerStatusBar(session, () => profileStore.list().length > 0);
  const scanner = ReferenceScanner.forExtension(context.extensionUri.fsPath);
  const localImages = new LocalImages(services, scanner);
  const rekeyer = new Rekeyer({ ...services, profiles, copies });

  context.subscriptions.push(
    log,
    profiles,
    session,
    diagnostics,
    uploadsView.disposable,
    registerAccountCommands({ session, profiles, log, previews }),
    registerProfileCommands({ session, profiles, log }),
    statusBar.disposable,
    registerUploadCommands(services, previews, uploadsView.view, copies),
    pasteDrop.disposable,
    hover.disposable,
    scanner,
    localImages.register(),
    rekeyer,
    registerFitQuickFixes(diagnostics, (uri) => readSettings(uri).imageType, (uri, fit) => uploadUris([uri], services, { target: 'clipboard', fit })),
  );

  return {
    version,
    history,
    session,
    profiles,
    statusBarItem: statusBar.item,
    diagnostics: diagnostics.collection,
    uploadFiles: (uris, options) => uploadUris(uris, services, options),
    pasteProvider: pasteDrop.pasteProvider,
    dropProvider: pasteDrop.dropProvider,
    uploadsDropController,
    hoverProvider: hover.hoverProvider,
    localImages,
    pastedCopies: copies,
    rekeyer,
    fit: (input, options) => fitImage(input, options),
    testHooks: testHooksFor(context, stores, migrate),
  };
}

export function deactivate(): void {
  // everything is disposed through context.subscriptions
}
