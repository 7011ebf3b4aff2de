#!/usr/bin/env bash
# `npm run mutate [-- <stryker options>]`: StrykerJS over src/core with the Node unit suite.
#   npm run mutate                                      every file of src/core (incremental)
#   npm run mutate -- --mutate src/core/history.ts      one file (results of the others are kept)
#   npm run mutate -- --concurrency 1                   one test runner (default 2)
#   npm run mutate -- --force                           ignore the incremental file, test every mutant
# Config: test/mutation/stryker.config.json. Report: reports/mutation/mutation.html (and .json);
# the survivors as text: node test/mutation/survivors.mjs [src/core/x.ts].
# Incremental: test/mutation/stryker-incremental.json (committed) holds the last results; a run
# retests only mutants whose code or covering tests changed.
set -uo pipefail
cd "$(dirname "$0")/../.."

# Stryker compares the compiled test files (out/test/unit) with the ones of the last run to find
# changed tests, and reads them from this tree: compile first so they are current.
npx tsc -p . || exit 1

# concurrency.mjs: `--concurrency 1` means one test runner (see that file)
node --import ./test/mutation/concurrency.mjs node_modules/@stryker-mutator/core/bin/stryker.js \
  run test/mutation/stryker.config.json "$@"
rc=$?

# The incremental file is committed: keep this machine's paths (checkout, temp folder) out of it.
inc=test/mutation/stryker-incremental.json
if [ -f "$inc" ]; then
  node -e '
    const fs = require("fs");
    const [file, root] = process.argv.slice(1);
    const esc = (p) => JSON.stringify(p).slice(1, -1);
    // a linked node_modules resolves to another checkout: its folder goes too
    const modulesRoot = require("path").dirname(fs.realpathSync("node_modules"));
    const text = fs.readFileSync(file, "utf8").split(esc(root)).join(".").split(esc(modulesRoot) + "/").join("./").split(esc(require("os").tmpdir()) + "/").join("<tmp>/");
    const report = JSON.parse(text);
    report.projectRoot = ".";
    fs.writeFileSync(file, JSON.stringify(report, null, 2) + "\n");
  ' "$inc" "$PWD" || rc=1
fi
exit $rc
