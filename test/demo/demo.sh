#!/usr/bin/env bash
# `npm run demo`: the extension in a real VS Code (code-server, in your browser) talking to the
# stand-in Lark server, with a sample workspace of images. One command from a fresh clone:
#   npm ci (when node_modules is missing or older than package-lock.json)
#   -> test/integration/setup-tools.sh (Node 24 + code-server + playwright-core, installed once
#      outside the clone and reused) -> npm run build (dist/) -> tsc -p . (out/: stand-in server,
#      fixture generator) -> node test/demo/demo.js (runs until Ctrl+C).
#
#   npm run demo                              interactive: prints the URL and demo credentials
#   npm run demo -- --smoke --screenshot FILE headless check (CI): exit 0 when the workbench and
#                                             the extension's activity bar icon show up
# env: LARK_DEMO_PORT (code-server port; default 8080 when free, else random),
#      LARK_DEMO_MOCK_PORT (stand-in Lark server port; default random), LARK_DEMO_SMOKE=1,
#      LARK_DEMO_SKIP_BUILD=1 (use dist/ and out/ as they are), LARK_DEMO_KEEP=1 (keep the temp
#      dir), LARK_DEMO_VERBOSE=1 (echo code-server output), LARK_TEST_TOOLS, LARK_TEST_CHROMIUM.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# relative paths given on the command line (--screenshot) are relative to where the user ran npm
export LARK_DEMO_CWD="${INIT_CWD:-$PWD}"
cd "$root"
export npm_config_update_notifier=false
say() { echo "[demo] $*" >&2; }
t0=$(date +%s)

if [ ! -d node_modules/mocha ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error </dev/null >&2
fi

LARK_TEST_TOOLS="$(bash test/integration/setup-tools.sh </dev/null | tail -n 1)"
export LARK_TEST_TOOLS

if [ -z "${LARK_DEMO_SKIP_BUILD:-}" ]; then
  say "building (npm run build, tsc -p .)"
  npm run --silent build </dev/null >&2
  npx --no-install tsc -p . </dev/null >&2
fi
for f in dist/extension.js out/test/larkServer/server.js out/test/fixtures/generate.js; do
  [ -f "$f" ] || { say "$f missing (run without LARK_DEMO_SKIP_BUILD)"; exit 1; }
done
say "prepared in $(( $(date +%s) - t0 )) s"

exec node "$here/demo.js" "$@"
