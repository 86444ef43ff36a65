#!/usr/bin/env bash
# Ranking-quality gate: runs `newsdex eval` on the IR test collections in ../shared/corpora/ir,
# fails when MAP or nDCG@10 falls more than 0.01 below the k1=1.2, b=0.75 BM25 reference of
# ../shared/corpora/README.md, and cross-checks every figure against trec_eval (pytrec_eval).
#
# Usage: scripts/eval_ci.sh [COLLECTION...]     (default: all six)
# Data:  NEWSDEX_IR_DATA=DIR (default ../shared/corpora/ir, relative to the repository root)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
data="${NEWSDEX_IR_DATA:-../shared/corpora/ir}"
tolerance=0.01
# The search defaults are measured: a plain word searches the passage (title, heading and text)
# as one field, which is this reference's setting. Extra flags go in NEWSDEX_EVAL_FLAGS, e.g.
# NEWSDEX_EVAL_FLAGS="--title-boost 0.3" to measure a title weighed extra.
read -r -a eval_flags <<< "${NEWSDEX_EVAL_FLAGS:-}"

# Reference MAP and nDCG@10 (BM25 k1=1.2 b=0.75, Snowball stemming, English stop words,
# title+text as one field), from ../shared/corpora/README.md.
declare -A reference=(
  [cacm]="0.342 0.504"
  [cisi]="0.211 0.381"
  [med]="0.524 0.684"
  [cran]="0.308 0.385"
  [npl]="0.286 0.435"
  [lisa]="0.390 0.483"
)

if [ "$#" -gt 0 ]; then collections=("$@"); else collections=(cacm cisi med cran npl lisa); fi

if [ ! -d "$data" ]; then
  echo "eval_ci: error: IR test collections not found at \`$data\` (set NEWSDEX_IR_DATA or put shared/ beside the repository)" >&2
  exit 1
fi
for name in "${collections[@]}"; do
  if [ -z "${reference[$name]:-}" ]; then
    echo "eval_ci: error: no reference figures for collection \`$name\`" >&2
    exit 1
  fi
  for file in docs.jsonl queries.tsv qrels.trec; do
    if [ ! -f "$data/$name/$file" ]; then
      echo "eval_ci: error: missing \`$data/$name/$file\`" >&2
      exit 1
    fi
  done
done

if ! python3 -c "import pytrec_eval" 2>/dev/null; then
  echo "eval_ci: installing pytrec_eval-terrier for the trec_eval cross-check" >&2
  python3 -m pip install --quiet pytrec_eval-terrier
fi

cargo build --release --locked --quiet
binary="${CARGO_TARGET_DIR:-target}/release/newsdex"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

failures=0
printf '%-10s %8s %8s %8s %8s %8s %8s  %s\n' collection MAP ref nDCG@10 ref P@10 R@100 verdict
for name in "${collections[@]}"; do
  dir="$data/$name"
  started=$SECONDS
  "$binary" eval --docs "$dir/docs.jsonl" --queries "$dir/queries.tsv" --qrels "$dir/qrels.trec" \
    "${eval_flags[@]}" --json --run "$work/$name.run" > "$work/$name.json"
  read -r ref_map ref_ndcg <<< "${reference[$name]}"
  verdict="$(python3 - "$work/$name.json" "$ref_map" "$ref_ndcg" "$tolerance" <<'PY'
import json, sys
figures = json.load(open(sys.argv[1]))
ref_map, ref_ndcg, tolerance = map(float, sys.argv[2:5])
low = [f"{key} {figures[key]:.4f} < {ref:.3f} - {tolerance}"
       for key, ref in (("map", ref_map), ("ndcg@10", ref_ndcg))
       if figures[key] < ref - tolerance]
print(f"{figures['map']:.4f} {figures['ndcg@10']:.4f} {figures['p@10']:.4f} {figures['recall@100']:.4f} "
      + ("FAIL: " + "; ".join(low) if low else "ok"))
PY
)"
  read -r map ndcg p10 r100 rest <<< "$verdict"
  printf '%-10s %8s %8s %8s %8s %8s %8s  %s (%ss)\n' "$name" "$map" "$ref_map" "$ndcg" "$ref_ndcg" "$p10" "$r100" "$rest" "$((SECONDS - started))"
  if [ "$rest" != "ok" ]; then failures=$((failures + 1)); fi
  if ! python3 scripts/check_trec_eval.py "$work/$name.run" "$dir/qrels.trec" "$work/$name.json" > "$work/$name.check"; then
    cat "$work/$name.check" >&2
    echo "eval_ci: $name: newsdex's measures differ from trec_eval's" >&2
    failures=$((failures + 1))
  fi
done

if [ "$failures" -gt 0 ]; then
  echo "eval_ci: $failures check(s) failed" >&2
  exit 1
fi
echo "eval_ci: all collections at or within $tolerance of the reference; measures agree with trec_eval"
