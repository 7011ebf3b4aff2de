// A seam for the integration tests: the extension reaches its keychain, its history storage and
// its dedupe index through pass-through proxies, and when VS Code runs the extension's tests
// (ExtensionMode.Test) activate() hands the suite hooks to put a faulty store under the running
// extension (a keychain that throws, storage that rejects writes). In any other mode no hook is
// exposed and the proxies only forward every call to the real store.
import * as vscode from 'vscode';
import type { KeyValueStore } from '../core/dedupe';
import type { HistoryStorage } from '../core/history';

type Wrap<T> = (real: T) => T;

export interface TestHooks {
  /** Until disposed, the extension's keychain is `wrap(real keychain)`. */
  wrapSecrets(wrap: Wrap<vscode.SecretStorage>): vscode.Disposable;
  /** Until disposed, the upload history is stored through `wrap(real storage)`. */
  wrapHistoryStorage(wrap: Wrap<HistoryStorage>): vscode.Disposable;
  /** Until disposed, the dedupe index is kept in `wrap(real store)`. */
  wrapDedupeStore(wrap: Wrap<KeyValueStore>): vscode.Disposable;
  /** The extension's own globalState, where the history and the dedupe index are kept. */
  readonly globalState: vscode.Memento;
  /** Runs the migration of the pre-profiles layout again (after a test seeded that layout). */
  migrateProfiles(): Promise<unknown>;
}

/** `proxy` forwards every property to `real`, or to what `replace` put in its place until that is disposed. */
export class Switchable<T extends object> {
  private target: T;
  readonly proxy: T;

  constructor(private readonly real: T) {
    this.target = real;
    // An empty target: the proxy answers every property from the current store (the real store
    // may be frozen, and a proxy over it could not return bound methods for its own properties).
    this.proxy = new Proxy(Object.create(null) as T, {
      get: (_empty, property) => {
        const value: unknown = Reflect.get(this.target, property);
        return typeof value === 'function' ? value.bind(this.target) : value;
      },
    });
  }

  replace(wrap: Wrap<T>): vscode.Disposable {
    this.target = wrap(this.real);
    return new vscode.Disposable(() => {
      this.target = this.real;
    });
  }
}

/** The hooks, or undefined unless VS Code runs the extension's tests. */
export function testHooksFor(
  context: vscode.ExtensionContext,
  stores: { secrets: Switchable<vscode.SecretStorage>; history: Switchable<HistoryStorage>; dedupe: Switchable<KeyValueStore> },
  migrateProfiles: () => Promise<unknown>,
): TestHooks | undefined {
  if (context.extensionMode !== vscode.ExtensionMode.Test) return undefined;
  return {
    wrapSecrets: (wrap) => stores.secrets.replace(wrap),
    wrapHistoryStorage: (wrap) => stores.history.replace(wrap),
    wrapDedupeStore: (wrap) => stores.dedupe.replace(wrap),
    globalState: context.globalState,
    migrateProfiles,
  };
}
