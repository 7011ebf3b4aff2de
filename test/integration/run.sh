#!/usr/bin/env bash
# Integration level: the extension's mocha suite (test/integration/suite) inside a REAL VS Code
# extension host, offline (code-server + headless chromium; see runner.js).
#   bash test/integration/run.sh                              (newest: code-server 4.139.1)
#   LARK_TEST_CODE_SERVER=4.99.4 bash test/integration/run.sh (oldest: VS Code 1.99.3)
# (`npm test` runs it once per version of `setup-tools.sh --versions`.)
# Steps: install the tools once (setup-tools.sh, outside the clone) -> npm run build (dist/) ->
# tsc -p . (out/) -> runner.js with a temporary workspace folder. Exit code = the suite's result.
# Every report line is prefixed with "[vscode <version>] " (runner.js LARK_TEST_LABEL).
# LARK_TEST_VSIX=1: package the extension (vsce, as `npm run package` does, from the dist/ built
# here) and run the installed-.vsix test instead of the suite: the .vsix is installed into a clean
# profile and the extension is loaded from there (runner.js LARK_TEST_VSIX, suite/installedVsix.test.ts).
# env: LARK_TEST_CODE_SERVER (code-server version, see setup-tools.sh), LARK_TEST_SKIP_BUILD=1 (dist/ and out/ are fresh already), LARK_DEMO_FAIL=1 (adds a
#      deliberately failing test), LARK_TEST_PICTURES=1 (README pictures instead of the tests: see
#      test/demo/pictures.sh), LARK_TEST_WORKSPACE (folder to open instead of a throwaway
#      sample-project), plus everything runner.js reads (LARK_TEST_TOOLS, LARK_TEST_ENV_JSON,
#      LARK_TEST_SETTINGS_JSON/FILE, LARK_TEST_SCREENSHOT_DIR, LARK_TEST_TIMEOUT_MS, LARK_TEST_VERBOSE,
#      LARK_TEST_KEEP), LARK_TEST_ONLY="a,b" (only the suite files whose names contain a or b).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
t0=$(date +%s)

LARK_TEST_TOOLS="$(bash "$here/setup-tools.sh" "${LARK_TEST_CODE_SERVER:-4.139.1}" </dev/null | tail -n 1)"
export LARK_TEST_TOOLS
export LARK_TEST_LABEL="${LARK_TEST_LABEL:-1}"

if [ -z "${LARK_TEST_SKIP_BUILD:-}" ]; then
  [ -d node_modules/mocha ] || npm ci --no-audit --no-fund --loglevel=error </dev/null
  npm run --silent build </dev/null
  # no stale compiled tests from deleted sources
  rm -rf out/test/integration/suite
  npx --no-install tsc -p .
fi
# the test files bundled, so they load on every extension host (Node 20.18 in VS Code 1.99)
node "$here/bundle-suite.mjs" </dev/null
[ -f out/test/integration/suite/index.js ] || { echo "[integration] out/test/integration/suite/index.js missing (build first)" >&2; exit 1; }
[ -f dist/extension.js ] || { echo "[integration] dist/extension.js missing (npm run build)" >&2; exit 1; }

# The workspace folder VS Code opens: $LARK_TEST_WORKSPACE (used as is), else a throwaway
# folder named sample-project (the name shows in the explorer and in screenshots).
if [ -n "${LARK_TEST_WORKSPACE:-}" ]; then
  ws="$LARK_TEST_WORKSPACE"
  mkdir -p "$ws"
else
  wstmp="$(mktemp -d "${TMPDIR:-/tmp}/lark-it-XXXXXX")"
  trap 'rm -rf "$wstmp"' EXIT
  ws="$wstmp/sample-project"
  mkdir -p "$ws/images"
  printf '# Sample project\n\nImages for the Lark Image Upload integration tests.\n' > "$ws/README.md"
  printf 'A note that references ![pixel](images/pixel.png).\n' > "$ws/notes.md"
  # a 1x1 PNG
  printf 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==' \
    | base64 -d > "$ws/images/pixel.png"
fi

if [ "${LARK_TEST_VSIX:-}" = 1 ]; then
  vsixtmp="$(mktemp -d "${TMPDIR:-/tmp}/lark-vsix-XXXXXX")"
  trap 'rm -rf "${wstmp:-}" "$vsixtmp"' EXIT
  # the flags of `npm run package` (package.json), without its build: dist/ is fresh here
  npx --no-install vsce package --no-dependencies --allow-missing-repository --no-rewrite-relative-links \
    --out "$vsixtmp/lark-image-upload.vsix" </dev/null >"$vsixtmp/vsce.log" 2>&1 \
    || { cat "$vsixtmp/vsce.log" >&2; echo "[integration] vsce package failed" >&2; exit 1; }
  export LARK_TEST_VSIX="$vsixtmp/lark-image-upload.vsix"
  echo "[integration] packaged $(basename "$LARK_TEST_VSIX") ($(( $(stat -c %s "$LARK_TEST_VSIX") / 1024 )) KiB)" >&2
fi

echo "[integration] real VS Code (code-server) + headless chromium; prep took $(( $(date +%s) - t0 )) s" >&2
set +e
node "$here/runner.js" "$root" "$root/out/test/integration/suite" "$ws" </dev/null
rc=$?
set -e
echo "[integration] exit $rc after $(( $(date +%s) - t0 )) s" >&2
exit $rc
