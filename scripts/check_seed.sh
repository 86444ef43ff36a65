#!/usr/bin/env bash
# Indexes the seed article folder and checks that the top passage for "ammunition Serbia" holds
# both words, and that `--entity Vucic` (and `Vučić`) finds the passage that names him.
# Usage: scripts/check_seed.sh SEED_DIR
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
for name in Vucic Vučić; do
    "$bin" search ammunition --entity "$name" --index "$work/index" --json > "$work/entity.json"
    python3 - "$work/entity.json" "$name" <<'PY'
import json, sys
hits = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
hits = [hit for hit in hits if "passage" in hit]
named = [hit for hit in hits if "vucic" in hit["passage"].lower() or "vučić" in hit["passage"].lower()]
if not named:
    sys.exit(f"error: `search ammunition --entity {sys.argv[2]}` finds no passage that names him ({len(hits)} hits)")
print(f"seed check passed: --entity {sys.argv[2]} finds {len(named)} passage(s) naming him")
PY
done
