// What every upload gesture does with its outcomes: a diagnostic on the file (or on the document
// an image was pasted into), a log line, and an entry in the upload history. The history is only
// a list: its writes never hold back or lose the keys Lark returned, and a failed write is
// reported on its own.
import * as vscode from 'vscode';
import { HistoryReadError, type UploadHistory } from '../core/history';
import type { FileOutcome } from '../core/uploadFiles';
import type { FitFileOutcome } from '../core/fitFiles';
import type { FileApiOutcome } from '../core/fileUpload';
import type { LarkClient } from '../core/larkClient';
import { appIdOf, type Profile } from '../core/profiles';
import { LocalCode, type ImageType } from '../core/types';
import type { UploadDiagnostics } from './diagnostics';
import type { UploadLog } from './log';

/** The image an outcome belongs to. */
export interface OutcomeSubject {
  /** The file on disk; undefined for pasted bytes. */
  filePath?: string;
  fileName: string;
  /** Where a failure is shown (the file, or the document pasted into); undefined: nowhere. */
  diagnosticUri?: vscode.Uri;
  /** Where in that document; default its start. */
  diagnosticRange?: vscode.Range;
}

/** Where the batch went. */
export interface UploadTarget {
  baseUrl: string;
  appId: string | undefined;
  imageType: ImageType;
  /** The profile whose client uploaded (undefined without profiles). */
  profileId?: string;
}

/**
 * The target of a batch made with `client`: its origin, and the profile it was made for (taken
 * from the client, so switching or removing profiles during the upload cannot move the records)
 * with that profile's app id (a static token's: derived from the profile, never the token).
 */
export function uploadTargetOf(client: LarkClient, session: { profileOf(client: LarkClient): Profile | undefined }, imageType: ImageType): UploadTarget {
  const profile = session.profileOf(client);
  return { baseUrl: client.baseUrl, appId: profile ? appIdOf(profile) : client.appId, imageType, ...(profile ? { profileId: profile.id } : {}) };
}

/** An image's outcome (`fit` when it was fitted first), or an upload as a file (files API). */
export type RecordedOutcome = FitFileOutcome | AsFileOutcome;
export type AsFileOutcome = FileApiOutcome & { asFile: true };

export function isAsFile(o: RecordedOutcome): o is AsFileOutcome {
  return 'asFile' in o && o.asFile;
}

/** The key an outcome produced: the image_key, or the file_key of an upload as a file. */
function keyOf(o: Extract<RecordedOutcome, { ok: true }>): string {
  return isAsFile(o) ? o.fileKey : o.imageKey;
}

export interface RecordServices {
  history: UploadHistory;
  diagnostics: UploadDiagnostics;
  log: UploadLog;
}

/**
 * Shows each outcome (diagnostic, log line) at once and starts its history write. Resolves when
 * every write is done and never rejects: a failed write is logged, and one warning per batch
 * says how many entries could not be saved. A cancelled image is not an outcome to record.
 */
export async function recordOutcomes(items: readonly { subject: OutcomeSubject; outcome: FileOutcome | RecordedOutcome }[], target: UploadTarget, services: RecordServices): Promise<void> {
  const writes: Promise<unknown>[] = [];
  for (const { subject, outcome } of items) {
    if (!outcome.ok && outcome.code === LocalCode.Cancelled) continue;
    showOutcome(subject, outcome, services);
    writes.push(
      services.history.add(historyEntry(subject, outcome, target, services.history)).then(
        () => undefined,
        (e: unknown) => {
          services.log.error(`could not save ${subject.fileName} in the upload history: ${messageOf(e)}`);
          return e instanceof Error ? e : new Error(messageOf(e));
        },
      ),
    );
  }
  const failures = (await Promise.all(writes)).filter((r): r is Error => r instanceof Error);
  if (failures.length > 0) reportHistoryFailure(services.history, failures[0], services.log, failures.length);
  else if (writes.length > 0) unreadableAnnounced.delete(services.history); // readable again: a new episode warns again
}

function showOutcome(subject: OutcomeSubject, o: RecordedOutcome, services: RecordServices): void {
  if (o.ok) {
    if (subject.diagnosticUri) services.diagnostics.clear(subject.diagnosticUri);
    const how = isAsFile(o) ? 'uploaded as a file' : o.deduped ? 'reused' : o.fit ? 'fitted and uploaded' : 'uploaded';
    services.log.info(`${how} ${subject.fileName} -> ${keyOf(o)}`);
  } else {
    if (subject.diagnosticUri) services.diagnostics.setFailure(subject.diagnosticUri, { code: o.code, message: o.message, logId: o.logId }, subject.diagnosticRange);
    services.log.warn(`failed ${subject.fileName}: ${o.code} ${o.message}${o.logId ? ` (log_id ${o.logId})` : ''}`);
  }
}

function historyEntry(subject: OutcomeSubject, o: RecordedOutcome, target: UploadTarget, history: UploadHistory): Parameters<UploadHistory['add']>[0] {
  if (isAsFile(o)) {
    const base = { filePath: subject.filePath, fileName: subject.fileName, ...target, logId: o.logId };
    return o.ok ? { ...base, ok: true, fileKey: o.fileKey, size: o.size } : { ...base, ok: false, code: o.code, message: o.message };
  }
  const fit = o.ok && o.fit ? { fit: { ...o.fit.original, ...(o.fit.firstFrameOnly ? { firstFrameOnly: true } : {}) } } : {};
  const common = {
    filePath: subject.filePath,
    fileName: subject.fileName,
    ...target,
    size: o.info?.size,
    width: o.info?.width,
    height: o.info?.height,
    format: o.info?.format,
    logId: o.logId,
  };
  if (!o.ok) return { ...common, ok: false, code: o.code, message: o.message };
  const sha256 = o.sha256 !== undefined ? { sha256: o.sha256 } : {};
  if (!o.deduped) return { ...common, ...fit, ok: true, imageKey: o.imageKey, ...sha256 };
  // Nothing was sent: keep the log_id and time of the upload that made the key. An identical file
  // earlier in this batch is being recorded right now (its log_id came with the outcome).
  const origin = history.originOf(o.imageKey);
  const uploadedAt = origin.uploadedAt ?? (o.logId !== undefined ? Date.now() : undefined);
  return { ...common, ...fit, ok: true, imageKey: o.imageKey, reused: true, logId: origin.logId ?? o.logId, uploadedAt, ...sha256 };
}

/** For the log: the message of whatever was thrown. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Histories whose unreadable storage was already announced: one warning per episode, the rest is logged. */
const unreadableAnnounced = new WeakSet<UploadHistory>();

/**
 * Tells the user that `count` history entries could not be written (already logged by the
 * caller). Unreadable storage is told once until a write works again; a failed write each time.
 */
export function reportHistoryFailure(history: UploadHistory, error: Error, log: UploadLog, count = 1): void {
  const showLog = vscode.l10n.t('Show Log');
  let message: string;
  if (error instanceof HistoryReadError) {
    if (unreadableAnnounced.has(history)) return;
    unreadableAnnounced.add(history);
    const reason = error.cause instanceof Error ? error.cause.message : error.message;
    message = vscode.l10n.t('The upload history cannot be read: {0}. It is left as stored, and new uploads are not listed until it can be read again. The uploads themselves are not affected.', log.mask(reason));
  } else {
    message = vscode.l10n.t('Could not save {0} entries in the upload history: {1}. The uploads themselves are not affected.', count, log.mask(error.message));
  }
  void vscode.window.showWarningMessage(message, showLog).then((choice) => (choice === showLog ? log.channel.show(true) : undefined));
}
