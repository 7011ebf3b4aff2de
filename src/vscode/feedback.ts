// Shared by the commands: errors worded for the user, and the cancellable progress notification
// every network gesture runs under.
import * as vscode from 'vscode';
import { UploadError, describeError, hintFor } from '../core/larkErrors';
import { LocalCode } from '../core/types';

export function withLogId(message: string, logId: string | undefined): string {
  return logId ? vscode.l10n.t('{0} (log ID: {1})', message, logId) : message;
}

/** "<title> (<code>): <hint>" from the catalog, in the UI language. */
export function explain(code: number): string {
  return vscode.l10n.t('{0} ({1}): {2}', describeError(code).title, code, hintFor(code, vscode.env.language));
}

export function asUploadError(e: unknown): UploadError {
  if (e instanceof UploadError) return e;
  return new UploadError(LocalCode.NetworkError, e instanceof Error ? e.message : String(e), { cause: e });
}

export function isNetworkProblem(code: number): boolean {
  return code === LocalCode.NetworkError || code === LocalCode.Timeout || code === LocalCode.BadResponse;
}

export type ProgressReporter = vscode.Progress<{ message?: string; increment?: number }>;

/**
 * Runs `task` under a cancellable progress notification. The notification's Cancel button, and
 * `alsoCancelledBy` (the API's or a provider's own signal), abort the signal `task` gets.
 */
export function withCancellableProgress<T>(title: string, task: (signal: AbortSignal, progress: ProgressReporter) => Promise<T>, alsoCancelledBy?: AbortSignal): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
    const controller = new AbortController();
    const abort = (): void => controller.abort();
    const subscription = token.onCancellationRequested(abort);
    if (alsoCancelledBy?.aborted) abort();
    else alsoCancelledBy?.addEventListener('abort', abort, { once: true });
    return task(controller.signal, progress).finally(() => {
      subscription.dispose();
      alsoCancelledBy?.removeEventListener('abort', abort);
    });
  });
}
