// A seam for the integration tests: the extension reads its keychain and its history storage
// through pass-through wrappers, and when VS Code runs the extension's tests (ExtensionMode.Test)
// activate() hands the suite hooks to put a faulty store under the running extension (a keychain
// that throws, history storage that rejects writes). In any other mode no hook is exposed and
// the wrappers only pass every call on.
import * as vscode from 'vscode';
import type { HistoryStorage } from '../core/history';

export interface TestHooks {
  /** Until disposed, the extension's keychain is `wrap(real keychain)`. */
  wrapSecrets(wrap: (real: vscode.SecretStorage) => vscode.SecretStorage): vscode.Disposable;
  /** Until disposed, the upload history is stored through `wrap(real storage)`. */
  wrapHistoryStorage(wrap: (real: HistoryStorage) => HistoryStorage): vscode.Disposable;
  /** The extension's own globalState, where the history and the dedupe index are kept. */
  readonly globalState: vscode.Memento;
}

/** A keychain that forwards to `real`, or to what a test put in its place. */
export class SwitchableSecrets implements vscode.SecretStorage, vscode.Disposable {
  private target: vscode.SecretStorage;
  private readonly changed = new vscode.EventEmitter<vscode.SecretStorageChangeEvent>();
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly real: vscode.SecretStorage) {
    this.target = real;
    this.subscription = real.onDidChange((e) => this.changed.fire(e));
  }

  get(key: string): Thenable<string | undefined> {
    return this.target.get(key);
  }

  store(key: string, value: string): Thenable<void> {
    return this.target.store(key, value);
  }

  delete(key: string): Thenable<void> {
    return this.target.delete(key);
  }

  replace(wrap: (real: vscode.SecretStorage) => vscode.SecretStorage): vscode.Disposable {
    this.target = wrap(this.real);
    return new vscode.Disposable(() => {
      this.target = this.real;
    });
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

/** History storage that forwards to `real`, or to what a test put in its place. */
export class SwitchableHistoryStorage implements HistoryStorage {
  private target: HistoryStorage;

  constructor(private readonly real: HistoryStorage) {
    this.target = real;
  }

  get(): unknown {
    return this.target.get();
  }

  set(value: unknown): Thenable<void> | Promise<void> | void {
    return this.target.set(value);
  }

  replace(wrap: (real: HistoryStorage) => HistoryStorage): vscode.Disposable {
    this.target = wrap(this.real);
    return new vscode.Disposable(() => {
      this.target = this.real;
    });
  }
}

/** The hooks, or undefined unless VS Code runs the extension's tests. */
export function testHooksFor(
  context: vscode.ExtensionContext,
  secrets: SwitchableSecrets,
  historyStorage: SwitchableHistoryStorage,
): TestHooks | undefined {
  if (context.extensionMode !== vscode.ExtensionMode.Test) return undefined;
  return {
    wrapSecrets: (wrap) => secrets.replace(wrap),
    wrapHistoryStorage: (wrap) => historyStorage.replace(wrap),
    globalState: context.globalState,
  };
}
