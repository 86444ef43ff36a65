#!/usr/bin/env bash
# End-to-end browser test of `newsdex serve`: indexes the bundled corpus plus the hostile and links fixtures,
# starts the server on a free loopback port, runs tests/e2e/search.test.mjs in Debian's chromium,
# and stops the server. Needs: chromium (apt), node + npm, a built target/release/newsdex.
# Screenshots go to $SCREENSHOT_DIR (default target/e2e-screenshots).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${NEWSDEX_BIN:-target/release/newsdex}"
[ -x "$BIN" ] || { echo "error: $BIN is missing; run cargo build --release first" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "error: /usr/bin/chromium is missing; apt-get install -y chromium" >&2; exit 1; }
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
mkdir -p "$WORK/corpus"
cp -r corpus/* tests/fixtures/serve/hostile tests/fixtures/e2e-links "$WORK/corpus/"
"$BIN" index build "$WORK/corpus" --index "$WORK/index" --extra beat --quiet
"$BIN" serve --index "$WORK/index" --addr 127.0.0.1:0 > "$WORK/serve.out" &
SERVER_PID=$!
for _ in $(seq 50); do grep -q 'http://' "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
URL="$(grep -o 'http://[0-9.:]*/' "$WORK/serve.out")" || { echo "error: the server did not start" >&2; exit 1; }
export SCREENSHOT_DIR="${SCREENSHOT_DIR:-$PWD/target/e2e-screenshots}"
(cd tests/e2e && npm ci --no-audit --no-fund --silent && NEWSDEX_URL="$URL" node search.test.mjs)
