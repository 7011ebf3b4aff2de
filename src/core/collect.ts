// What the user handed over (files and folders) -> the files to upload: a folder stands for the
// images inside it, recursively, in path order. Shared by the extension (which lists a folder
// with findFiles, honouring files.exclude) and the CLI (which walks the file system).
import { promises as fsp } from 'fs';
import { join } from 'path';
import { IMAGE_EXTENSIONS } from '../constants';

const IMAGE_NAME = new RegExp(`\\.(${IMAGE_EXTENSIONS.join('|')})$`, 'i');

/** Names VS Code's default `files.exclude` hides; the CLI's walk skips them too. */
const SKIPPED_NAMES: ReadonlySet<string> = new Set(['.git', '.svn', '.hg', 'CVS', '.DS_Store', 'Thumbs.db']);

export function isImageFileName(name: string): boolean {
  return IMAGE_NAME.test(name);
}

/** The same order everywhere: by path, as the explorer shows it. */
export function byPath(a: string, b: string): number {
  return a.localeCompare(b);
}

export interface FolderExpansion<T> {
  /** In input order; each folder replaced by the images inside it. */
  files: T[];
  /** Folders with no image inside. */
  emptyFolders: T[];
}

/**
 * Replaces every folder among `items` by the images inside it (`imagesIn`, expected recursive);
 * anything else (files, missing paths: validation reports those) stays as it is. `keepEmpty`:
 * a folder with no image stays in `files` too, in its place (the CLI answers one line for it).
 */
export async function expandFolders<T>(
  items: readonly T[],
  env: { isFolder: (item: T) => Promise<boolean>; imagesIn: (folder: T) => Promise<T[]>; keepEmpty?: boolean },
): Promise<FolderExpansion<T>> {
  const files: T[] = [];
  const emptyFolders: T[] = [];
  for (const item of items) {
    if (!(await env.isFolder(item))) {
      files.push(item);
      continue;
    }
    const found = await env.imagesIn(item);
    if (found.length === 0) {
      emptyFolders.push(item);
      if (env.keepEmpty) files.push(item);
    }
    files.push(...found);
  }
  return { files, emptyFolders };
}

/** True for a folder (not following a symbolic link's target's absence: a missing path is no folder). */
export async function isFolder(path: string): Promise<boolean> {
  try {
    return (await fsp.stat(path)).isDirectory();
  } catch {
    return false; // missing or unreadable: validation says which, with its code
  }
}

/**
 * Image files (by extension) under `folder`, recursively, sorted by path. Folders reached
 * through symbolic links are not entered (no loops); unreadable folders are skipped.
 */
export async function walkImageFiles(folder: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (SKIPPED_NAMES.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if ((entry.isFile() || entry.isSymbolicLink()) && isImageFileName(entry.name)) found.push(path);
    }
  };
  await walk(folder);
  return found.sort(byPath);
}
