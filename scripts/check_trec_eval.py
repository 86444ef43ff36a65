#!/usr/bin/env python3
"""Cross-check `newsdex eval` against trec_eval (through pytrec_eval-terrier).

Usage: scripts/check_trec_eval.py RUN QRELS NEWSDEX_JSON

Recomputes MAP, nDCG@10, P@10 and Recall@100 from the TREC run file with trec_eval's own code,
averages them over the queries that have at least one relevant judgement (a judged query with
no line in the run scores 0, as with `trec_eval -c`), and fails when any differs from the
figure in newsdex's `--json` output by more than 1e-4.
"""

import json
import sys
from collections import defaultdict

TOLERANCE = 1e-4
# newsdex key -> trec_eval measure
MEASURES = {
    "map": "map",
    "ndcg@10": "ndcg_cut_10",
    "p@10": "P_10",
    "recall@100": "recall_100",
}


def read_run(path):
    run = defaultdict(dict)
    with open(path) as lines:
        for number, line in enumerate(lines, 1):
            columns = line.split()
            if not columns:
                continue
            if len(columns) != 6:
                sys.exit(f"{path}:{number}: expected `qid Q0 docid rank score tag`")
            qid, _, docid, _, score, _ = columns
            run[qid][docid] = float(score)
    return run


def read_qrels(path):
    qrels = defaultdict(dict)
    with open(path) as lines:
        for number, line in enumerate(lines, 1):
            columns = line.split()
            if not columns:
                continue
            if len(columns) != 4:
                sys.exit(f"{path}:{number}: expected `qid 0 docid grade`")
            qid, _, docid, grade = columns
            qrels[qid][docid] = int(grade)
    return qrels


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    run_path, qrels_path, json_path = sys.argv[1:]
    try:
        import pytrec_eval
    except ImportError:
        sys.exit("pytrec_eval is missing: pip install pytrec_eval-terrier")

    run = read_run(run_path)
    qrels = read_qrels(qrels_path)
    with open(json_path) as file:
        newsdex = json.load(file)

    judged = [qid for qid, docs in qrels.items() if any(g > 0 for g in docs.values())]
    evaluator = pytrec_eval.RelevanceEvaluator(
        {qid: qrels[qid] for qid in judged}, set(MEASURES.values())
    )
    per_query = evaluator.evaluate({qid: run[qid] for qid in judged if run.get(qid)})

    failures = 0
    print(f"{len(judged)} judged queries, {len(per_query)} with results")
    print(f"{'measure':<12}{'newsdex':>10}{'trec_eval':>11}")
    for key, measure in MEASURES.items():
        expected = sum(per_query.get(qid, {}).get(measure, 0.0) for qid in judged) / len(judged)
        actual = newsdex[key]
        ok = abs(actual - expected) <= TOLERANCE
        failures += not ok
        print(f"{key:<12}{actual:>10.4f}{expected:>11.4f}  {'ok' if ok else 'DIFFERS'}")
    if newsdex.get("queries") not in (None, len(judged)):
        print(f"query count differs: newsdex {newsdex['queries']}, qrels {len(judged)}")
        failures += 1
    if failures:
        sys.exit(f"{failures} figure(s) differ from trec_eval by more than {TOLERANCE}")


if __name__ == "__main__":
    main()
