#!/usr/bin/env bash
# `npm test`: every level of test, from a fresh clone. Installs what it needs, builds, runs
#   1. unit tests of the vscode-free core, the stand-in Lark server, client and CLI (plain Node)
#   2. the integration suite in a real VS Code extension host (test/integration/run.sh), once per
#      VS Code version: the oldest we claim (1.99.3, code-server 4.99.4) and the newest (1.139.1);
#      on each, also the packaged .vsix installed into a clean profile (LARK_TEST_VSIX=1)
# and ends with one line "N passed, N failed" over all levels and versions (", N skipped" added
# when tests were skipped). Each integration report line starts with "[vscode <version>]".
# Env: LARK_SKIP_INTEGRATION=1 runs level 1 only (quick local loop);
#      LARK_TEST_CODE_SERVERS="4.139.1" runs level 2 on those code-server versions only
#      (default: all of `test/integration/setup-tools.sh --versions`).
set -uo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-}"

step() { printf '\n== %s ==\n' "$*"; }

if [ ! -d node_modules/mocha ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  if [ -L node_modules ]; then
    # npm ci would empty the install this link points to (shared by other checkouts)
    echo "node_modules is a link to a shared install that looks out of date; not running npm ci here (run it where the link points)" >&2
    [ -d node_modules/mocha ] || exit 1
  else
    step "npm ci"
    npm ci --no-audit --no-fund --loglevel=error || exit 1
  fi
fi

# The proxy tests make a throwaway test CA with the openssl command (test/support/testCa.ts).
if ! command -v openssl >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    step "apt-get install openssl"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssl >/dev/null </dev/null || exit 1
  else
    echo "the openssl command is missing (the proxy tests need it): sudo apt-get install openssl" >&2
    exit 1
  fi
fi

step "build (typecheck + esbuild bundles)"
npm run build --silent || exit 1
rm -rf out && npx tsc -p . || exit 1

step "fixtures"
node out/test/fixtures/generate.js test/fixtures/generated || exit 1

passed=0; failed=0; skipped=0
counts=$(mktemp)

step "unit, stand-in server, client and CLI tests (Node $(node -v))"
LARK_TEST_COUNTS="$counts" npx mocha --ui tdd --timeout 20000 \
  --reporter ./out/test/support/countingReporter.js 'out/test/unit/**/*.test.js'
unit_rc=$?
if [ -s "$counts" ]; then
  read -r p f s < <(node -e 'const c=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(c.passed,c.failed,c.skipped)' "$counts")
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
elif [ $unit_rc -ne 0 ]; then
  failed=$((failed + 1))   # mocha died before reporting (e.g. a test file threw on load)
fi
[ $unit_rc -ne 0 ] && [ "$failed" -eq 0 ] && failed=1

# integration <code-server version> <what> [VAR=value...]: one run of test/integration/run.sh,
# its "[vscode x] N passed, N failed" line added to the totals; a failed run without a counted
# test failure (setup, launch, timeout) counts as one failure.
integration() {
  local cs=$1 what=$2; shift 2
  step "integration: $what in a real VS Code (code-server $cs)"
  local log; log=$(mktemp)
  local t0; t0=$(date +%s)
  env "$@" LARK_TEST_CODE_SERVER="$cs" LARK_TEST_SKIP_BUILD=1 bash test/integration/run.sh 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local line p f=0 s
  line=$(grep -E '^(\[vscode [^]]*\] )?[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$log" | tail -n 1 | sed -E 's/^\[vscode [^]]*\] //')
  if [ -n "$line" ]; then
    p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/'); f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
    s=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped$/\1/p')
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + ${s:-0}))
  fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    failed=$((failed + 1))
    echo "[integration] code-server $cs, $what: the run failed (exit $rc) without a counted test failure; counted as 1 failed" >&2
  fi
  echo "[integration] code-server $cs, $what: ${line:-no result line} ($(( $(date +%s) - t0 )) s)"
  rm -f "$log"
}

if [ "${LARK_SKIP_INTEGRATION:-}" != "1" ]; then
  for cs in ${LARK_TEST_CODE_SERVERS:-$(bash test/integration/setup-tools.sh --versions)}; do
    integration "$cs" "the suite" LARK_TEST_VSIX=
    integration "$cs" "the installed .vsix" LARK_TEST_VSIX=1
  done
fi
rm -f "$counts"

echo
if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
[ "$failed" -eq 0 ]
