// One DiagnosticCollection: a file that failed validation or upload gets an Error on its URI with
// the Lark code (linked to the docs), the reason once, the catalog's hint and the log_id. Success, Remove and
// Clear take it away again.
import * as vscode from 'vscode';
import { DIAGNOSTIC_SOURCE } from '../constants';
import { describeError, problemText } from '../core/larkErrors';

export interface FailureInfo {
  code: number;
  message: string;
  logId?: string;
}

export class UploadDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('larkImageUpload');

  /** `extensionUri`: local codes (9xxx) link to the README shipped with the extension. */
  constructor(private readonly extensionUri: vscode.Uri) {}

  private docLink(docUrl: string): vscode.Uri {
    if (/^https:\/\//.test(docUrl)) return vscode.Uri.parse(docUrl);
    const [file, fragment = ''] = docUrl.split('#');
    return vscode.Uri.joinPath(this.extensionUri, file).with({ fragment });
  }

  /** `range`: where in the document (e.g. a paste position); default its start. */
  setFailure(uri: vscode.Uri, failure: FailureInfo, range: vscode.Range = new vscode.Range(0, 0, 0, 0)): void {
    this.collection.set(uri, [this.failureDiagnostic(failure, range)]);
  }

  /** The Error a failure is shown as (also on a document's image reference: src/vscode/localImages.ts). */
  failureDiagnostic(failure: FailureInfo, range: vscode.Range): vscode.Diagnostic {
    const info = describeError(failure.code);
    // the reason once, then what to do (the code, linked to its docs, is shown beside it)
    const parts = [problemText(failure.code, failure.message, vscode.env.language)];
    if (failure.logId) parts.push(vscode.l10n.t('log_id: {0}', failure.logId));
    const diagnostic = new vscode.Diagnostic(range, parts.join(' — '), vscode.DiagnosticSeverity.Error);
    diagnostic.code = { value: failure.code, target: this.docLink(info.docUrl) };
    diagnostic.source = DIAGNOSTIC_SOURCE;
    return diagnostic;
  }

  clear(uri: vscode.Uri): void {
    this.collection.delete(uri);
  }

  clearAll(): void {
    this.collection.clear();
  }

  dispose(): void {
    this.collection.dispose();
  }
}
