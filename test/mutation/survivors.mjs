// Lists what the last `npm run mutate` left alive, from Stryker's JSON report.
//   node test/mutation/survivors.mjs [src/core/x.ts ...]
// Prints, per mutated file: the score, the counts, then one line per Survived / NoCoverage mutant:
//   src/core/dedupe.ts:42:17  Survived    EqualityOperator  `a < b` -> `a <= b`
// The score is Stryker's: (killed + timeout) / (killed + timeout + survived + no coverage);
// compile errors (TypeScript checker) and ignored mutants do not count.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const reportFile = path.join(root, 'reports', 'mutation', 'mutation.json');
if (!fs.existsSync(reportFile)) {
  console.error('reports/mutation/mutation.json is missing: run `npm run mutate` first');
  process.exit(1);
}
const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
const only = process.argv.slice(2).map((f) => path.relative(root, path.resolve(f)).split(path.sep).join('/'));

/** The text between two 1-based {line, column} positions of `source`. */
function slice(source, { start, end }) {
  const lines = source.split('\n');
  if (start.line === end.line) return lines[start.line - 1].slice(start.column - 1, end.column - 1);
  return [
    lines[start.line - 1].slice(start.column - 1),
    ...lines.slice(start.line, end.line - 1),
    lines[end.line - 1].slice(0, end.column - 1),
  ].join('\n');
}

function oneLine(text, max = 90) {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

for (const [file, { source, mutants }] of Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b))) {
  const rel = path.isAbsolute(file) ? path.relative(root, file).split(path.sep).join('/') : file;
  if (only.length > 0 && !only.includes(rel)) continue;
  const count = (status) => mutants.filter((m) => m.status === status).length;
  const killed = count('Killed') + count('Timeout');
  const survived = count('Survived');
  const noCoverage = count('NoCoverage');
  const valid = killed + survived + noCoverage;
  const score = valid === 0 ? 'n/a' : `${((100 * killed) / valid).toFixed(2)} %`;
  console.log(
    `${rel}: ${score}  (killed ${count('Killed')}, timeout ${count('Timeout')}, survived ${survived}, ` +
      `no coverage ${noCoverage}, compile errors ${count('CompileError')}, runtime errors ${count('RuntimeError')}, ignored ${count('Ignored')})`,
  );
  const alive = mutants
    .filter((m) => m.status === 'Survived' || m.status === 'NoCoverage')
    .sort((a, b) => a.location.start.line - b.location.start.line || a.location.start.column - b.location.start.column);
  for (const m of alive) {
    const where = `${rel}:${m.location.start.line}:${m.location.start.column}`;
    const replacement = m.replacement ?? m.description ?? '?';
    console.log(`  ${where.padEnd(34)} ${m.status.padEnd(10)} ${m.mutatorName.padEnd(22)} \`${oneLine(slice(source, m.location))}\` -> \`${oneLine(replacement)}\``);
  }
}
