// Pasted and dropped images have no file on this machine: a copy of their bytes is kept in one
// folder of the extension's storage, named `<sha256>.<ext>`, so they can be re-keyed for another
// profile (core/rekey.ts) and shown as thumbnails. The folder is bounded: after each save, copies
// older than maxAgeMs go, then the oldest until it holds at most maxBytes. Writes are atomic (a
// temp file renamed into place; the temp file is removed when anything fails). A copy whose bytes
// no longer hash to its name reads as absent (and is deleted). Age is the modification time, set
// from the injected clock when a copy is saved or used, so tests need no waiting.
import { randomBytes } from 'crypto';
import { promises as fsp, readdirSync } from 'fs';
import * as path from 'path';
import { hashBytes } from './dedupe';
import { pruneOldest, type FolderEntry } from './previewFolder';

export interface PastedCopyLimits {
  /** Total bytes kept (the copy just saved is kept even when it alone is larger). */
  maxBytes: number;
  /** A copy not saved or used for this long is deleted at the next save or prune. */
  maxAgeMs: number;
}

/**
 * 200 MB (twenty of Lark's largest images; a screenshot is typically well under 1 MB, so
 * hundreds of pastes) and 90 days (a release cycle or two: long enough to re-key a document
 * written last quarter, short enough not to keep screenshots around forever).
 */
export const DEFAULT_PASTED_COPY_LIMITS: PastedCopyLimits = { maxBytes: 200 * 1024 * 1024, maxAgeMs: 90 * 24 * 60 * 60 * 1000 };

/** The file operations used for writing (tests put a full disk or a refused rename under them). */
export interface CopyWriter {
  writeFile(file: string, bytes: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
}

const SHA256 = /^[0-9a-f]{64}$/;
const SAFE_EXT = /^[a-z0-9]+$/;
const COPY_NAME = /^([0-9a-f]{64})\.([a-z0-9]+)$/;

type Entry = FolderEntry;

export class PastedCopies {
  private readonly limits: PastedCopyLimits;
  private readonly writer: CopyWriter;

  constructor(
    readonly folder: string,
    limits: Partial<PastedCopyLimits> = {},
    private readonly now: () => number = Date.now,
    writer?: CopyWriter,
  ) {
    this.limits = { ...DEFAULT_PASTED_COPY_LIMITS, ...limits };
    this.writer = writer ?? { writeFile: (f, b) => fsp.writeFile(f, b), rename: (a, b) => fsp.rename(a, b) };
  }

  /**
   * Keeps a copy of `bytes` (an existing copy of the same bytes is only marked as used), then
   * enforces the bound. Resolves with the sha256 and the file; rejects when it cannot be written
   * (no temp file is left behind).
   */
  async save(bytes: Uint8Array, ext: string): Promise<{ sha256: string; file: string }> {
    const extension = ext.toLowerCase();
    if (!SAFE_EXT.test(extension)) throw new TypeError(`not a file extension: ${JSON.stringify(ext)}`);
    const sha256 = hashBytes(bytes);
    const existing = this.find(sha256);
    if (existing && (await this.verified(existing, sha256))) {
      await this.touch(existing);
      return { sha256, file: existing };
    }
    await fsp.mkdir(this.folder, { recursive: true });
    const name = `${sha256}.${extension}`;
    const file = path.join(this.folder, name);
    const temp = path.join(this.folder, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await this.writer.writeFile(temp, bytes);
      await this.touch(temp);
      await this.writer.rename(temp, file);
    } catch (e) {
      await fsp.rm(temp, { force: true }).catch(() => undefined);
      throw e;
    }
    for (const other of this.namesOf(sha256)) if (other !== name) await fsp.rm(path.join(this.folder, other), { force: true });
    await this.prune(name);
    return { sha256, file };
  }

  /** The copy of the bytes with this sha256, if a file of that name is there (not verified: for thumbnails). */
  find(sha256: string): string | undefined {
    if (!SHA256.test(sha256)) return undefined;
    const name = this.namesOf(sha256)[0];
    return name === undefined ? undefined : path.join(this.folder, name);
  }

  /**
   * The bytes of the copy, verified: a copy that is missing, unreadable or no longer hashes to
   * `sha256` is absent (a corrupt one is deleted). Reading it marks it as used.
   */
  async read(sha256: string): Promise<Uint8Array | undefined> {
    const file = this.find(sha256);
    if (!file) return undefined;
    let bytes: Uint8Array;
    try {
      bytes = await fsp.readFile(file);
    } catch {
      return undefined;
    }
    if (hashBytes(bytes) !== sha256) {
      await fsp.rm(file, { force: true }).catch(() => undefined);
      return undefined;
    }
    await this.touch(file).catch(() => undefined);
    return bytes;
  }

  /** Deletes the copy of these bytes; resolves with whether there was one. */
  async remove(sha256: string): Promise<boolean> {
    const names = SHA256.test(sha256) ? this.namesOf(sha256) : [];
    for (const name of names) await fsp.rm(path.join(this.folder, name), { force: true });
    return names.length > 0;
  }

  /**
   * Deletes copies older than maxAgeMs, then the oldest until the total is at most maxBytes
   * (`keep`, a file name, is never deleted), and temp files left by an interrupted write.
   * Resolves with the names of the copies deleted, oldest first.
   */
  async prune(keep?: string): Promise<string[]> {
    const { copies, temps } = await this.entries();
    for (const t of temps) if (this.now() - t.mtimeMs > 60 * 60 * 1000) await fsp.rm(t.file, { force: true });
    return pruneOldest(copies, this.limits, this.now(), keep);
  }

  /** Deletes every copy; resolves with how many there were. */
  async clear(): Promise<number> {
    const { copies, temps } = await this.entries();
    for (const e of [...copies, ...temps]) await fsp.rm(e.file, { force: true });
    return copies.length;
  }

  private async verified(file: string, sha256: string): Promise<boolean> {
    try {
      return hashBytes(await fsp.readFile(file)) === sha256;
    } catch {
      return false;
    }
  }

  private async touch(file: string): Promise<void> {
    const seconds = this.now() / 1000;
    await fsp.utimes(file, seconds, seconds);
  }

  private namesOf(sha256: string): string[] {
    let names: string[];
    try {
      names = readdirSync(this.folder);
    } catch {
      return []; // no folder yet
    }
    return names.filter((n) => COPY_NAME.exec(n)?.[1] === sha256);
  }

  private async entries(): Promise<{ copies: Entry[]; temps: Entry[] }> {
    let dirents;
    try {
      dirents = await fsp.readdir(this.folder, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { copies: [], temps: [] };
      throw e;
    }
    const copies: Entry[] = [];
    const temps: Entry[] = [];
    for (const d of dirents) {
      if (!d.isFile()) continue;
      const isCopy = COPY_NAME.test(d.name);
      if (!isCopy && !d.name.endsWith('.tmp')) continue;
      const file = path.join(this.folder, d.name);
      const stat = await fsp.stat(file).catch(() => undefined); // deleted meanwhile (another window)
      if (stat) (isCopy ? copies : temps).push({ name: d.name, file, size: stat.size, mtimeMs: stat.mtimeMs });
    }
    return { copies, temps };
  }
}
