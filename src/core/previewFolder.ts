// Images fetched from Lark for a preview ("Fetch preview from Lark" on a hover) are files in one
// folder of the extension's storage, named `<image_key>.<ext>`. The folder is bounded: after
// each save, files older than maxAgeMs go, then the oldest until the folder holds at most
// maxBytes. Clear History and Sign Out empty it. A file's age is its modification time, set from
// the injected clock when it is saved, so the bound survives restarts and tests need no waiting.
import { promises as fsp, readdirSync } from 'fs';
import * as path from 'path';

export interface PreviewLimits {
  /** Total bytes kept (the file just saved is kept even when it alone is larger). */
  maxBytes: number;
  /** A file older than this is deleted at the next save or prune. */
  maxAgeMs: number;
}

/** 50 MB (five of Lark's largest images) and a week. */
export const DEFAULT_PREVIEW_LIMITS: PreviewLimits = { maxBytes: 50 * 1024 * 1024, maxAgeMs: 7 * 24 * 60 * 60 * 1000 };

/** image keys and extensions are all a file name may be made of: no separators, no dots in the key. */
const SAFE_KEY = /^[A-Za-z0-9_-]+$/;
const SAFE_EXT = /^[a-z0-9]+$/;

/** A file of a bounded folder (previews here, pasted copies in pastedCopies.ts). */
export interface FolderEntry {
  name: string;
  file: string;
  size: number;
  mtimeMs: number;
}
type Entry = FolderEntry;

/**
 * Deletes the entries older than `limits.maxAgeMs` at `now`, then the oldest until their total is
 * at most `limits.maxBytes` (`keep`, a file name, is never deleted). Resolves with the names
 * deleted, oldest first.
 */
export async function pruneOldest(entries: readonly FolderEntry[], limits: { maxBytes: number; maxAgeMs: number }, now: number, keep?: string): Promise<string[]> {
  const ordered = [...entries].sort((a, b) => a.mtimeMs - b.mtimeMs || a.name.localeCompare(b.name));
  let total = ordered.reduce((sum, e) => sum + e.size, 0);
  const removed: string[] = [];
  for (const e of ordered) {
    if (e.name === keep) continue;
    const tooOld = now - e.mtimeMs > limits.maxAgeMs;
    if (!tooOld && total <= limits.maxBytes) continue;
    await fsp.rm(e.file, { force: true });
    total -= e.size;
    removed.push(e.name);
  }
  return removed;
}

export class PreviewFolder {
  private readonly limits: PreviewLimits;

  constructor(
    readonly folder: string,
    limits: Partial<PreviewLimits> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.limits = { ...DEFAULT_PREVIEW_LIMITS, ...limits };
  }

  /** Writes the preview of `imageKey` (replacing an older one of any type), then enforces the bound. Returns the file. */
  async save(imageKey: string, ext: string, bytes: Uint8Array): Promise<string> {
    if (!SAFE_KEY.test(imageKey)) throw new TypeError(`not an image key: ${JSON.stringify(imageKey)}`);
    if (!SAFE_EXT.test(ext)) throw new TypeError(`not a file extension: ${JSON.stringify(ext)}`);
    await fsp.mkdir(this.folder, { recursive: true });
    const name = `${imageKey}.${ext}`;
    for (const old of this.namesOf(imageKey)) if (old !== name) await fsp.rm(path.join(this.folder, old), { force: true });
    const file = path.join(this.folder, name);
    await fsp.writeFile(file, bytes);
    const seconds = this.now() / 1000;
    await fsp.utimes(file, seconds, seconds);
    await this.prune(name);
    return file;
  }

  /** The saved preview of `imageKey`, if there is one. */
  find(imageKey: string): string | undefined {
    if (!SAFE_KEY.test(imageKey)) return undefined;
    const name = this.namesOf(imageKey)[0];
    return name === undefined ? undefined : path.join(this.folder, name);
  }

  /**
   * Deletes files older than maxAgeMs, then the oldest until the total is at most maxBytes
   * (`keep`, a file name, is never deleted). Resolves with the names deleted, oldest first.
   */
  async prune(keep?: string): Promise<string[]> {
    return pruneOldest(await this.entries(), this.limits, this.now(), keep);
  }

  /** Deletes every preview; resolves with how many there were. */
  async clear(): Promise<number> {
    const entries = await this.entries();
    for (const e of entries) await fsp.rm(e.file, { force: true });
    return entries.length;
  }

  private namesOf(imageKey: string): string[] {
    let names: string[];
    try {
      names = readdirSync(this.folder);
    } catch {
      return []; // no folder yet
    }
    return names.filter((n) => n.startsWith(`${imageKey}.`) && SAFE_EXT.test(n.slice(imageKey.length + 1)));
  }

  private async entries(): Promise<Entry[]> {
    let dirents;
    try {
      dirents = await fsp.readdir(this.folder, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const entries: Entry[] = [];
    for (const d of dirents) {
      if (!d.isFile()) continue;
      const file = path.join(this.folder, d.name);
      const stat = await fsp.stat(file).catch(() => undefined); // deleted meanwhile (another window)
      if (stat) entries.push({ name: d.name, file, size: stat.size, mtimeMs: stat.mtimeMs });
    }
    return entries;
  }
}
