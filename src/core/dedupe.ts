// Content-addressed index of uploads: the same bytes, image_type, app and origin map to the
// image_key Lark gave before, so they are never uploaded twice unless the user forces it.
import { createHash } from 'crypto';
import { createReadStream } from 'fs';
import type { ImageType } from './types';

/** Where the index lives; the extension injects globalState, the CLI a memory map. */
export interface KeyValueStore {
  get(key: string): string | undefined | Promise<string | undefined>;
  set(key: string, value: string): void | Promise<void>;
  delete(key: string): void | Promise<void>;
}

export class MemoryStore implements KeyValueStore {
  private readonly map = new Map<string, string>();
  get(key: string): string | undefined {
    return this.map.get(key);
  }
  set(key: string, value: string): void {
    this.map.set(key, value);
  }
  delete(key: string): void {
    this.map.delete(key);
  }
  get size(): number {
    return this.map.size;
  }
}

export function hashBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** sha256 of a file, streamed (a 10 MB image is never held whole in memory). */
export function hashFile(path: string, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const stream = createReadStream(path, { signal, highWaterMark: 256 * 1024 });
    stream.on('data', (chunk) => hash.update(chunk));
    stream.on('error', reject);
    stream.on('end', () => resolve(hash.digest('hex')));
  });
}

export class DedupeIndex {
  constructor(private readonly store: KeyValueStore) {}

  static keyFor(contentHash: string, imageType: ImageType, scopeKey: string): string {
    return `${scopeKey}|${imageType}|${contentHash}`;
  }

  async lookup(key: string): Promise<string | undefined> {
    return (await this.store.get(key)) || undefined;
  }

  async remember(key: string, imageKey: string): Promise<void> {
    await this.store.set(key, imageKey);
  }

  async forget(key: string): Promise<void> {
    await this.store.delete(key);
  }
}
