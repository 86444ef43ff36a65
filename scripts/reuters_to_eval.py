#!/usr/bin/env python3
"""Builds news test collections for `newsdex eval` from Reuters-21578.

usage: scripts/reuters_to_eval.py ../shared/corpora/reuters21578/reuters21578.jsonl OUT_DIR

Writes two collections, each as docs.jsonl / queries.tsv / qrels.trec:

  OUT_DIR/reuters/       every story with a body (19,043 stories)
  OUT_DIR/reuters-long/  only the stories whose body has at least LONG_WORDS words

A document is a story: `id` its NEWID, `title` its headline, `text` its body with the
paragraphs kept apart by a blank line (so each paragraph is a passage, as `newsdex index build`
makes them), `date` as Reuters wrote it. A query is one TOPICS code that at least MIN_STORIES
stories of that collection carry; its text is the category's name as Reuters published it in
the collection's category descriptions (cat-descriptions_120396.txt, transcribed below as
written, not reworded for the ranking). A story is relevant (grade 1) to a query when it
carries the query's topic code; every other story is unjudged, which trec_eval counts as not
relevant.

Known weaknesses: the topic codes are the desk's subject labels, not judgements of relevance to
the query's words. About half the stories carry no topic at all, so a story about crude oil
without the `crude` label counts as not relevant; a story carrying a code for a passing mention
counts as relevant. The queries are short category names, and topics such as `earn` (thousands
of stories) make P@10 easy and recall@100 small. Figures on these collections compare
rankings with each other; they are not comparable with figures on judged collections.

Stdlib only. Reads only the input file; writes only under OUT_DIR. Fails loudly when the input
is missing.
"""
import json
import os
import sys
from collections import defaultdict

# A topic becomes a query when at least this many stories of the collection carry it.
MIN_STORIES = 20
# A story of the long collection has a body of at least this many words (about three passages
# of 100 words, or more of the wire's short paragraphs).
LONG_WORDS = 300

# Reuters' names of the TOPICS codes (cat-descriptions_120396.txt).
TOPIC_NAMES = {
    "acq": "Mergers/Acquisitions",
    "alum": "Aluminium",
    "barley": "Barley",
    "bop": "Balance of Payments",
    "carcass": "Carcass",
    "cocoa": "Cocoa",
    "coffee": "Coffee",
    "copper": "Copper",
    "corn": "Corn",
    "cotton": "Cotton",
    "cpi": "Consumer Price Index",
    "crude": "Crude Oil",
    "dlr": "U.S. Dollar",
    "earn": "Earnings and Earnings Forecasts",
    "fuel": "Fuel Oil",
    "gas": "Gasoline",
    "gnp": "Gross National/Domestic Product",
    "gold": "Gold",
    "grain": "Grain",
    "heat": "Heating Oil/Gas Oil",
    "hog": "Hog",
    "interest": "Interest Rates",
    "ipi": "Industrial Production Index",
    "iron-steel": "Iron/Steel",
    "jobs": "Unemployment",
    "lead": "Lead",
    "livestock": "Livestock",
    "meal-feed": "Meal/Feed",
    "money-fx": "Money/Foreign Exchange",
    "money-supply": "Money Supply",
    "nat-gas": "Natural Gas",
    "oilseed": "Oilseed",
    "orange": "Orange",
    "palm-oil": "Palm Oil",
    "pet-chem": "Petro-Chemicals",
    "rapeseed": "Rapeseed",
    "reserves": "Reserves",
    "retail": "Retail Sales",
    "rice": "Rice",
    "rubber": "Rubber",
    "ship": "Shipping",
    "silver": "Silver",
    "sorghum": "Sorghum",
    "soy-meal": "Soy Meal",
    "soy-oil": "Soy Oil",
    "soybean": "Soybean",
    "strategic-metal": "Strategic Metal",
    "sugar": "Sugar",
    "tin": "Tin",
    "trade": "Trade",
    "veg-oil": "Vegetable Oil",
    "wheat": "Wheat",
    "wpi": "Wholesale Price Index",
    "yen": "Japanese Yen",
    "zinc": "Zinc",
}


def read_stories(source):
    stories = []
    with open(source, encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            paragraphs = [" ".join(p.split()) for p in (record.get("body") or "").split("\n\n")]
            paragraphs = [p for p in paragraphs if p]
            if not paragraphs:
                continue
            stories.append({
                "id": str(record["newid"]),
                "title": " ".join((record.get("title") or "").split()),
                "text": "\n\n".join(paragraphs),
                "date": (record.get("date") or "").strip(),
                "topics": sorted(set(record.get("topics") or [])),
                "words": sum(len(p.split()) for p in paragraphs),
            })
    return stories


def write_collection(stories, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    by_topic = defaultdict(list)
    for story in stories:
        for topic in story["topics"]:
            by_topic[topic].append(story["id"])
    topics = sorted(t for t, ids in by_topic.items() if len(ids) >= MIN_STORIES)
    unnamed = [t for t in topics if t not in TOPIC_NAMES]
    if unnamed:
        sys.exit(f"error: no published name for topic(s) {', '.join(unnamed)}")
    with open(os.path.join(out_dir, "docs.jsonl"), "w", encoding="utf-8") as out:
        for story in stories:
            doc = {k: story[k] for k in ("id", "title", "text", "date")}
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")
    with open(os.path.join(out_dir, "queries.tsv"), "w", encoding="utf-8") as out:
        for topic in topics:
            out.write(f"{topic}\t{TOPIC_NAMES[topic]}\n")
    judged = 0
    with open(os.path.join(out_dir, "qrels.trec"), "w", encoding="utf-8") as out:
        for topic in topics:
            for doc_id in sorted(by_topic[topic], key=int):
                out.write(f"{topic} 0 {doc_id} 1\n")
                judged += 1
    print(f"{out_dir}: {len(stories)} stories, {len(topics)} queries, {judged} relevant")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, out_dir = sys.argv[1], sys.argv[2]
    if not os.path.isfile(source):
        sys.exit(f"error: `{source}` does not exist (the Reuters JSON Lines from ../shared)")
    stories = read_stories(source)
    write_collection(stories, os.path.join(out_dir, "reuters"))
    write_collection([s for s in stories if s["words"] >= LONG_WORDS],
                     os.path.join(out_dir, "reuters-long"))


if __name__ == "__main__":
    main()
