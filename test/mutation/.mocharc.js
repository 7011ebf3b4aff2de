// Mocha options for the mutation run (test/mutation/stryker.config.json -> mochaOptions.config;
// Stryker's mochaOptions take no `timeout`). Same suite as `npm test` level 1 (tdd ui, 20 s
// timeout), limited to the test files that can kill a mutant: those whose compiled code loads
// src/ in the test process, directly or through a local module. The others (e.g. l10n,
// larkServer, packaging) never load src/, or only run the CLI in a child process with a clean
// environment, so no mutant can reach them: they would only lengthen every run. `npm test` runs
// them all.
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const src = path.join(root, 'out', 'src');
const unitDir = path.join(root, 'out', 'test', 'unit');

/** True when the compiled module `file` requires out/src code, itself or through relative requires. */
function reachesSrc(file, seen = new Set()) {
  if (seen.has(file) || !fs.existsSync(file)) return false;
  seen.add(file);
  for (const [, spec] of fs.readFileSync(file, 'utf8').matchAll(/\brequire\("(\.{1,2}\/[^"]+)"\)/g)) {
    const target = path.resolve(path.dirname(file), spec);
    if (target.startsWith(src + path.sep)) return true;
    if (reachesSrc(`${target}.js`, seen) || reachesSrc(path.join(target, 'index.js'), seen)) return true;
  }
  return false;
}

if (!fs.existsSync(unitDir)) throw new Error('out/test/unit is missing: compile first (tsc -p .)');
const spec = fs
  .readdirSync(unitDir)
  .filter((f) => f.endsWith('.test.js') && reachesSrc(path.join(unitDir, f)))
  .sort()
  .map((f) => `out/test/unit/${f}`);

module.exports = { ui: 'tdd', timeout: 20000, spec };
