#!/usr/bin/env bash
# Stryker's buildCommand (test/mutation/stryker.config.json). Stryker runs it in its sandbox,
# after placing the instrumented src/ there, and without a shell: hence a script.
# Same build as test/run-all.sh minus the typecheck (the instrumented files carry @ts-nocheck;
# the TypeScript checker plugin type-checks each mutant instead):
#   out/   tsc  (the Node unit suite runs from out/test/unit)
#   dist/  esbuild bundles (the CLI tests run dist/cli.js, the packaging test needs dist/extension.js)
#   test/fixtures/generated  (the fixtures the unit suite reads)
set -euo pipefail
cd "$(dirname "$0")/../.."
# Stryker links only a real node_modules directory into the sandbox; in a git worktree whose
# node_modules is itself a symlink it links nothing. Tools called by path (tsc, npx vsce in the
# packaging test) need it here, so link the one Node resolves from (a parent directory).
if [ ! -e node_modules ]; then
  ln -s "$(node -p 'path.dirname(path.dirname(require.resolve("typescript/package.json")))')" node_modules
fi
rm -rf out
node node_modules/typescript/bin/tsc -p .
node test/build.mjs
node out/test/fixtures/generate.js test/fixtures/generated >/dev/null
