// "Lark: Test Connection": proves the stored credentials work at the configured origin and
// says what failed otherwise. App credentials fetch a fresh token; a static token makes a
// harmless download of a key that does not exist.
import * as vscode from 'vscode';
import type { LarkClient } from '../core/larkClient';
import { hintFor, isTokenError, type UploadError } from '../core/larkErrors';
import { LocalCode } from '../core/types';
import { KeychainError } from './credentials';
import { asUploadError, explain, isNetworkProblem, withCancellableProgress, withLogId } from './feedback';
import type { UploadLog } from './log';
import type { LarkSession } from './session';

export interface ConnectionTestResult {
  ok: boolean;
  code?: number;
  logId?: string;
}

/** A key no app ever gets: the download answers 234001 once the gateway accepted the token. */
const CONNECTION_TEST_IMAGE_KEY = 'img_v2_connection_test';
/** Answers of the download that prove the gateway accepted the token (unknown / foreign key, no download scope). */
const TOKEN_ACCEPTED_CODES: readonly number[] = [234001, 234005, 234008, 99991672];

export async function testConnection(session: LarkSession, log: UploadLog): Promise<ConnectionTestResult> {
  let client: LarkClient | undefined;
  try {
    client = await session.client();
  } catch (e) {
    if (e instanceof KeychainError) {
      session.showKeychainFailure(e);
      return { ok: false };
    }
    const err = asUploadError(e);
    session.showBaseUrlRefused(err);
    return { ok: false, code: err.code };
  }
  if (!client) {
    session.showSignedOut();
    return { ok: false };
  }
  try {
    await (client.appId !== undefined ? testAppCredentials(client, client.appId, log) : testStaticToken(client, log));
    return { ok: true };
  } catch (e) {
    const err = asUploadError(e);
    if (err.code !== LocalCode.Cancelled) reportFailure(err, client, session, log);
    const result: ConnectionTestResult = { ok: false, code: err.code };
    if (err.logId !== undefined && err.code !== LocalCode.Cancelled) result.logId = err.logId;
    return result;
  }
}

async function testAppCredentials(client: LarkClient, appId: string, log: UploadLog): Promise<void> {
  const { tokenSecondsLeft } = await withCancellableProgress(vscode.l10n.t('Testing the connection to Lark…'), (signal) => client.testConnection(signal));
  const minutes = Math.floor((tokenSecondsLeft ?? 0) / 60);
  log.info(`Connection test: ${client.baseUrl} as ${appId}, token valid for ${minutes} min.`);
  void vscode.window.showInformationMessage(vscode.l10n.t('Connected to {0} as {1}; token valid for {2} minutes.', client.baseUrl, appId, minutes));
}

/** Past the gateway (token accepted) Lark answers "unknown image". */
async function testStaticToken(client: LarkClient, log: UploadLog): Promise<void> {
  let logId: string | undefined;
  try {
    ({ logId } = await withCancellableProgress(vscode.l10n.t('Testing the connection to Lark…'), (signal) => client.downloadImage(CONNECTION_TEST_IMAGE_KEY, { signal })));
  } catch (e) {
    const err = asUploadError(e);
    if (!TOKEN_ACCEPTED_CODES.includes(err.code)) throw err;
    logId = err.logId;
  }
  log.info(`Connection test: ${client.baseUrl} accepts the tenant access token (log_id=${logId ?? '-'}).`);
  void vscode.window.showInformationMessage(vscode.l10n.t('Connected to {0}; Lark accepts the tenant access token.', client.baseUrl));
}

function reportFailure(err: UploadError, client: LarkClient, session: LarkSession, log: UploadLog): void {
  log.warn(`Connection test failed: code=${err.code} log_id=${err.logId ?? '-'} ${err.message}`);
  if (client.appId === undefined && (isTokenError(err.code) || err.code === 99991661)) {
    session.reportTokenRejected(err.logId);
  } else if (err.code === LocalCode.InsecureBaseUrl || err.code === LocalCode.RedirectRefused) {
    session.showBaseUrlRefused(err);
  } else {
    const detail = isNetworkProblem(err.code) ? vscode.l10n.t('{0} {1}', err.message, hintFor(err.code, vscode.env.language)) : explain(err.code);
    void vscode.window.showErrorMessage(withLogId(vscode.l10n.t('Connection test failed: {0}', detail), err.logId));
  }
}
