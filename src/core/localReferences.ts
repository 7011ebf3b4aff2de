// Which of a document's image references name an image file on this disk (issue 10): the scan the
// editor's diagnostics, quick fixes and "Upload all local images" act on. Runs in a worker thread
// in the extension (src/referencesWorker.ts), so an 8 MB document never blocks the extension host.
// vscode-free.
import * as fs from 'fs';
import * as path from 'path';
import { findImageReferences, localCandidates, type ImageReference } from './references';

/** Why a reference that is a path does not name an image file here. */
export type NotLocalReason = 'missing' | 'folder' | 'loop' | 'unreadable';

export interface LocalReference {
  reference: ImageReference;
  /** the absolute path of the file it names */
  image: string;
  /** true when the file lies outside every workspace folder (allowed; said in the message) */
  outside: boolean;
}

export interface ScanResult {
  local: LocalReference[];
  /** references that are paths but name no file (in document order) */
  notLocal: { reference: ImageReference; reason: NotLocalReason }[];
}

/** What a candidate path is; `stat` follows links (a loop throws ELOOP). */
export type StatFn = (absolutePath: string) => { isFile(): boolean; isDirectory(): boolean };

export interface ScanOptions {
  /** The document's folder; relative paths resolve against it. */
  documentDir: string;
  /** Workspace folders (absolute); a file outside all of them is flagged `outside`. None: nothing is outside. */
  roots?: readonly string[];
  stat?: StatFn;
}

/** True when `file` is `root` or inside it (path-wise; case as given). */
export function isInside(file: string, root: string): boolean {
  const rel = path.relative(root, file);
  return rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/** The reason a candidate is not an image file, or undefined when it is a file. */
function classify(candidate: string, stat: StatFn): NotLocalReason | undefined {
  try {
    const s = stat(candidate);
    if (s.isFile()) return undefined;
    return s.isDirectory() ? 'folder' : 'unreadable';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return 'loop';
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    return 'unreadable';
  }
}

/**
 * The references in `text` (see findImageReferences; `language`: a language id or extension),
 * split into those naming an existing file and those that do not (with why). The first
 * candidate that is a file wins (percent-decoded first, see localCandidates); when none is, the
 * reason given is the first candidate's.
 */
export function scanLocalReferences(text: string, language: string, options: ScanOptions): ScanResult {
  const stat = options.stat ?? ((p: string) => fs.statSync(p));
  const roots = options.roots ?? [];
  const result: ScanResult = { local: [], notLocal: [] };
  // a document names the same few images many times: each path is looked at once per scan
  const known = new Map<string, NotLocalReason | undefined>();
  const look = (candidate: string): NotLocalReason | undefined => {
    if (!known.has(candidate)) known.set(candidate, classify(candidate, stat));
    return known.get(candidate);
  };
  for (const reference of findImageReferences(text, language)) {
    // (findImageReferences already left out URLs and keys: every reference has a candidate)
    const candidates = localCandidates(reference, options.documentDir);
    let reason: NotLocalReason | undefined;
    let image: string | undefined;
    for (const candidate of candidates) {
      const why = look(candidate);
      if (why === undefined) {
        image = candidate;
        break;
      }
      reason ??= why;
    }
    if (image !== undefined) result.local.push({ reference, image, outside: roots.length > 0 && !roots.some((r) => isInside(image as string, r)) });
    else result.notLocal.push({ reference, reason: reason ?? 'missing' });
  }
  return result;
}
