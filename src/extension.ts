// Minimal extension entry (placeholder until the full extension replaces it).
// Activation happens only through contributions (package.json `activationEvents: []`).
import * as vscode from 'vscode';

/** What `activate()` returns: other extensions and the integration tests read it. */
export interface LarkImageUploadApi {
  readonly version: string;
}

export function activate(context: vscode.ExtensionContext): LarkImageUploadApi {
  const version = String((context.extension.packageJSON as { version?: unknown }).version ?? '');
  context.subscriptions.push(
    vscode.commands.registerCommand('larkImageUpload.showVersion', () => {
      // Not awaited: the command must return at once, even when nobody closes the message.
      void vscode.window.showInformationMessage(`Lark Image Upload ${version}`);
      return version;
    }),
  );
  return { version };
}

export function deactivate(): void {
  // nothing to clean up: everything is in context.subscriptions
}
