#!/usr/bin/env bash
# Load test of `newsdex serve` over Reuters-21578 written as seed-format articles:
# scripts/serve_load.sh [REUTERS_JSONL] [SECONDS] [CONNECTIONS]. Loopback only, bounded in time.
# The requests are a Zipf-popular mix of DISTINCT (default 2000) queries drawn from the index
# (words, AND, OR, phrases; a third with a date window, a third with an entity filter), run once
# with the request cache on and once with it off (`--cache-mb 0`). ZIPF=0 draws uniformly.
# Prints the load average next to each run: the figures mean little on a busy machine.
# Fails loudly when the Reuters file is missing. Needs target/release/newsdex and the load example.
set -euo pipefail
cd "$(dirname "$0")/.."
JSONL="${1:-../shared/corpora/reuters21578/reuters21578.jsonl}"
SECONDS_TO_RUN="${2:-10}"
CONNECTIONS="${3:-8}"
DISTINCT="${DISTINCT:-2000}"
ZIPF="${ZIPF:-1.0}"
[ -f "$JSONL" ] || { echo "error: $JSONL is missing; the load test needs the Reuters JSON Lines" >&2; exit 1; }
cargo build --release --bin newsdex --example load
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
python3 scripts/reuters_to_seed.py "$JSONL" "$WORK/corpus"
target/release/newsdex index build "$WORK/corpus" --index "$WORK/index" --quiet

run() {
  local label="$1"; shift
  target/release/newsdex serve --index "$WORK/index" --addr 127.0.0.1:0 "$@" > "$WORK/serve.out" &
  SERVER_PID=$!
  for _ in $(seq 50); do grep -q 'http://' "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
  local url
  url="$(grep -o 'http://[0-9.:]*' "$WORK/serve.out")" || { echo "error: the server did not start" >&2; exit 1; }
  echo "== $label; $(uptime | sed 's/.*load/load/')"
  target/release/examples/load "$url" "$SECONDS_TO_RUN" "$CONNECTIONS" \
    --index "$WORK/index" --distinct "$DISTINCT" --zipf "$ZIPF"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
}
run "request cache on"
run "request cache off" --cache-mb 0
