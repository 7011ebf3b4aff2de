// Command-line arguments for both commands of the CLI (upload, rewrite): unknown options get
// "did you mean", a missing value our own words, instead of node's parseArgs texts.
import { parseArgs, type ParseArgsConfig } from 'util';

/** `showUsage`: print the usage text after the message (an option we do not know). */
/** Where a CLI command writes and what environment it reads (tests pass their own). */
export interface Io {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  env: NodeJS.ProcessEnv;
}

export class UsageError extends Error {
  constructor(
    message: string,
    readonly showUsage = false,
  ) {
    super(message);
  }
}

/** Edit distance (insertions, deletions, substitutions) between two strings. */
export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * The known option the user probably meant: the only one the typed name begins, else the
 * nearest by edit distance when it is close (at most 2 edits, or a third of the name).
 */
export function didYouMean(typed: string, known: readonly string[]): string | undefined {
  const name = typed.replace(/^-+/, '').toLowerCase();
  if (name === '') return undefined;
  const prefixed = known.filter((k) => k.startsWith(name));
  if (prefixed.length === 1) return prefixed[0];
  let best: { option: string; distance: number } | undefined;
  for (const option of known) {
    const distance = levenshtein(name, option);
    if (!best || distance < best.distance) best = { option, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(name.length / 3)) ? best.option : undefined;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Checks `argv` against `options` in our words (see above), then parses it strictly. */
export function parseOptions<T extends Options>(argv: string[], options: T) {
  const long = Object.keys(options);
  const short: string[] = Object.values(options).flatMap((o) => (o.short === undefined ? [] : [o.short]));
  for (const arg of argv) {
    if (arg === '--') break;
    if (!arg.startsWith('-') || arg === '-') continue;
    const name = arg.startsWith('--') ? arg.slice(2).split('=')[0] : arg.slice(1, 2);
    if (arg.startsWith('--') ? long.includes(name) : short.includes(name)) continue;
    const suggestion = didYouMean(name, long);
    throw new UsageError(`unknown option ${arg.split('=')[0]}${suggestion ? `; did you mean --${suggestion}?` : '.'}`, true);
  }
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options });
  } catch (e) {
    const missing = /^Option '(-\w, )?(--[\w-]+)/.exec((e as Error).message);
    throw new UsageError(missing ? `${missing[2]} needs a value.` : (e as Error).message, true);
  }
}
