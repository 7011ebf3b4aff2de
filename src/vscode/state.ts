// Adapters from VS Code's globalState (a Memento) to the core's injected storage interfaces.
import type * as vscode from 'vscode';
import type { KeyValueStore } from '../core/dedupe';
import type { HistoryStorage } from '../core/history';

export function mementoHistoryStorage(memento: vscode.Memento, key: string): HistoryStorage {
  return { get: () => memento.get(key), set: (value) => memento.update(key, value) };
}

/** Dedupe index in one globalState entry, bounded (oldest entries go first). */
export class MementoKeyValueStore implements KeyValueStore {
  constructor(
    private readonly memento: vscode.Memento,
    private readonly key: string,
    private readonly limit = 5000,
  ) {}

  private read(): Record<string, string> {
    const value = this.memento.get<unknown>(this.key);
    return value && typeof value === 'object' ? { ...(value as Record<string, string>) } : {};
  }

  get(key: string): string | undefined {
    const v = this.read()[key];
    return typeof v === 'string' ? v : undefined;
  }

  async set(key: string, value: string): Promise<void> {
    const all = this.read();
    delete all[key]; // re-insert at the end: insertion order is age
    all[key] = value;
    const keys = Object.keys(all);
    for (const old of keys.slice(0, Math.max(0, keys.length - this.limit))) delete all[old];
    await this.memento.update(this.key, all);
  }

  async delete(key: string): Promise<void> {
    const all = this.read();
    delete all[key];
    await this.memento.update(this.key, all);
  }
}
