#!/usr/bin/env bash
# CI smoke step of `newsdex bench`: synthesise ~20k passages from the shared Reuters corpus,
# index them, run `newsdex bench --rounds 3 --json` and check the report's shape.
# Usage: scripts/bench_smoke.sh [REUTERS_JSONL]   (default ../shared/corpora/reuters21578/reuters21578.jsonl)
# Fails loudly (non-zero, with a message) when the data is missing. Runs in well under 2 minutes.
set -euo pipefail

cd "$(dirname "$0")/.."
reuters="${1:-${NEWSDEX_REUTERS:-../shared/corpora/reuters21578/reuters21578.jsonl}}"
if [[ ! -f "$reuters" ]]; then
    echo "bench_smoke: FAIL: Reuters corpus not found at \`$reuters\` (pass its path or set NEWSDEX_REUTERS)" >&2
    exit 1
fi

if ! command -v python3 > /dev/null; then
    echo "bench_smoke: FAIL: python3 is needed to check the report" >&2
    exit 1
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build --release --quiet
newsdex="$CARGO_TARGET_DIR/release/newsdex"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
started=$SECONDS
"$newsdex" corpus synth --passages 20000 --from "$reuters" --seed 7 --out "$work/corpus"
"$newsdex" index build "$work/corpus" --index "$work/index" --quiet
"$newsdex" bench --index "$work/index" --rounds 3 --per-class 20 --json > "$work/report.json"

python3 - "$work/report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
figures = ["p50_us", "p90_us", "p99_us", "max_us", "mean_us", "qps"]
classes = ["term", "and", "or", "phrase", "term+date", "and+date", "or+date", "phrase+date",
           "term+entity", "and+entity", "or+entity", "phrase+entity"]
problems = []
if report.get("passages", 0) < 20000:
    problems.append(f"passages: {report.get('passages')}")
missing = [c for c in classes if c not in report.get("classes", {})]
if missing:
    problems.append(f"classes missing: {missing}")
objects = [(name, report["classes"].get(name, {})) for name in classes] + [("all", report.get("all", {}))]
for name, obj in objects:
    for part, figs in [("total", obj), ("search", obj.get("search", {})), ("fetch", obj.get("fetch", {}))]:
        for key in figures:
            value = figs.get(key)
            if not isinstance(value, (int, float)) or value < 0:
                problems.append(f"{name}.{part}.{key} = {value!r}")
        if not figs.get("p50_us", 0) <= figs.get("p99_us", -1) <= figs.get("max_us", -1):
            problems.append(f"{name}.{part}: p50 <= p99 <= max does not hold")
if report["all"]["count"] != report["queries"] * 3:
    problems.append(f"all.count {report['all']['count']} != queries x 3")
if problems:
    print("bench_smoke: FAIL: bad report shape:\n  " + "\n  ".join(problems), file=sys.stderr)
    sys.exit(1)
a = report["all"]
print(f"bench_smoke: ok: {report['passages']} passages, {report['queries']} queries, "
      f"all p50 {a['p50_us']:.0f} us, p99 {a['p99_us']:.0f} us, search p50 {a['search']['p50_us']:.0f} us")
PY
echo "bench_smoke: took $((SECONDS - started)) s after the build"
