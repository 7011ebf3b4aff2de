// Content-addressed index of uploads: the same bytes, image_type, app and origin map to the
// image_key Lark gave before, so they are never uploaded twice unless the user forces it.
import { createHash } from 'crypto';
import { promises as fsp } from 'fs';
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

const HASH_CHUNK_BYTES = 256 * 1024;

/**
 * sha256 of a file, read in chunks (a 10 MB image is never held whole in memory). `signal` is
 * checked between chunks rather than listened to, so a batch hashing many files at once adds no
 * abort listener per file to its signal.
 */
export async function hashFile(path: string, signal?: AbortSignal): Promise<string> {
  signal?.throwIfAborted();
  const hash = createHash('sha256');
  const file = await fsp.open(path, 'r');
  try {
    const chunk = new Uint8Array(HASH_CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await file.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) return hash.digest('hex');
      signal?.throwIfAborted();
      hash.update(chunk.subarray(0, bytesRead));
    }
  } finally {
    await file.close();
  }
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
