#!/usr/bin/env bash
# The README's pictures (media/readme/overview.png, hover.png, local-images.png, profiles.png, fit-quickfix.png), taken in a real VS Code by the
# integration runner: test/integration/run.sh with LARK_TEST_PICTURES=1 runs
# test/demo/readmePictures.ts in the extension host instead of the test suite. Not a test run:
# nothing is counted. Same tools and build as `bash test/integration/run.sh` (see there).
#   bash test/demo/pictures.sh [DIR]      DIR: where the PNGs go (default media/readme)
# env: LARK_TEST_SCREENSHOT_SCALE (device scale factor, default 1), LARK_TEST_SKIP_BUILD=1.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$(mkdir -p "${1:-$root/media/readme}" && cd "${1:-$root/media/readme}" && pwd)"
LARK_TEST_PICTURES=1 LARK_TEST_SCREENSHOT_DIR="$out" bash "$root/test/integration/run.sh"
echo "[pictures] in $out: $(cd "$out" && ls -1 overview.png hover.png local-images.png profiles.png fit-quickfix.png 2>/dev/null | tr '\n' ' ')" >&2
