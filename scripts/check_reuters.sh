#!/usr/bin/env bash
# Real-data check: indexes Reuters-21578 (JSON Lines) with no mapping at all and checks that all
# 21,578 stories go in with parsed dates, topics as categories and places as entities.
#
# Usage: scripts/check_reuters.sh [PATH]   (or NEWSDEX_REUTERS=PATH scripts/check_reuters.sh)
# Default PATH: ../shared/corpora/reuters21578/reuters21578.jsonl (from the repository root).
# Exits non-zero with a message when the data is missing or a check fails.
set -euo pipefail

cd "$(dirname "$0")/.."
data="${1:-${NEWSDEX_REUTERS:-../shared/corpora/reuters21578/reuters21578.jsonl}}"
if [ ! -f "$data" ]; then
    echo "check_reuters: FAILED: no Reuters data at \`$data\` (pass the path of reuters21578.jsonl or set NEWSDEX_REUTERS)" >&2
    exit 2
fi

cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/newsdex"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

status=0
"$bin" index build "$data" --index "$work/index" --verbose 2>"$work/build.log" || status=$?
"$bin" search "BAHIA COCOA REVIEW" --index "$work/index" --json -n 20 >"$work/bahia.jsonl"
"$bin" search "cocoa" --category cocoa --index "$work/index" --json -n 10000 >"$work/cocoa.jsonl"
"$bin" search "money market mutual funds" --since 1987-02-26 --until 1987-02-26 \
    --index "$work/index" --json -n 50 >"$work/nobody.jsonl"

python3 - "$work" "$status" <<'PY'
import json, re, sys

work, status = sys.argv[1], int(sys.argv[2])
log = open(f"{work}/build.log", encoding="utf-8").read()
failures = []

def check(condition, message):
    if not condition:
        failures.append(message)

def hits(name):
    with open(f"{work}/{name}", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]

summary = re.search(r"indexed (\d+) articles as (\d+) passages", log)
check(summary is not None, "no build summary in the log")
if summary:
    check(int(summary.group(1)) == 21578, f"articles: {summary.group(1)}, expected 21578")
check(status == 0, f"build exit status {status}, expected 0 (nothing skipped)")
check("malformed date" not in log, "some dates did not parse")
check("no date" not in log, "some stories have no date")
check(log.count("no title and no body") == 737, "expected 737 stories without title or body")

bahia = [hit for hit in hits("bahia.jsonl") if hit["title"] == "BAHIA COCOA REVIEW"]
check(bool(bahia), "BAHIA COCOA REVIEW not found")
if bahia:
    first = bahia[0]
    check(first["article_id"] == "reuters21578.jsonl#1", f"id {first['article_id']}")
    check((first["date"] or "").startswith("1987-02-26T15:01:01"), f"date {first['date']}")
    check(first["categories"] == ["cocoa"], f"categories {first['categories']}")
    lead = [hit for hit in bahia if hit["ordinal"] == 0]
    if lead:
        names = {(e["kind"], e["name"]) for e in lead[0]["entities"]}
        for entity in [("place", "El Salvador"), ("place", "United States"), ("place", "Uruguay")]:
            check(entity in names, f"entity {entity} missing from {sorted(names)}")

cocoa = hits("cocoa.jsonl")
check(len({hit["article_id"] for hit in cocoa}) >= 50, "fewer than 50 cocoa stories")
check(all("cocoa" in hit["categories"] for hit in cocoa), "--category cocoa let in other stories")

nobody = [hit for hit in hits("nobody.jsonl") if hit["article_id"] == "reuters21578.jsonl#30"]
check(bool(nobody), "story 30 (title only, no body) not found by its title")
if nobody:
    check(nobody[0]["passage"].startswith("ASSETS OF MONEY MARKET"), "story 30 not indexed by its title")

if failures:
    print("check_reuters: FAILED", file=sys.stderr)
    for failure in failures:
        print(f"  - {failure}", file=sys.stderr)
    sys.exit(1)
print(f"check_reuters: ok ({summary.group(1)} articles, {summary.group(2)} passages)")
PY
