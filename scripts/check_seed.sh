#!/usr/bin/env bash
# Indexes the seed article folder and checks that the top passage for "ammunition Serbia" holds
# both words. Usage: scripts/check_seed.sh SEED_DIR
set -euo pipefail
seed_dir="${1:?usage: check_seed.sh SEED_DIR}"
if [ ! -d "$seed_dir" ]; then
    echo "error: seed folder $seed_dir is missing" >&2
    exit 1
fi
bin="${NEWSDEX_BIN:-target/release/newsdex}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$bin" index build "$seed_dir" --index "$work/index"
"$bin" search "ammunition Serbia" --index "$work/index" --json -n 1 > "$work/top.json"
python3 - "$work/top.json" <<'PY'
import json, sys
hits = [json.loads(line) for line in open(sys.argv[1])]
if not hits:
    sys.exit("error: no hit for 'ammunition Serbia' in the seed")
passage = hits[0]["passage"].lower()
missing = [word for word in ("ammunition", "serbia") if word not in passage]
if missing:
    sys.exit(f"error: the top passage lacks {missing}: {passage[:200]}")
print(f"seed check passed: top passage ({hits[0]['section']}) holds both words")
PY
