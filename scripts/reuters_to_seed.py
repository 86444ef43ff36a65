#!/usr/bin/env python3
"""Writes the Reuters-21578 JSON Lines bodies as seed-format articles, for load tests of
`newsdex serve` on a corpus larger than the bundled one.

usage: scripts/reuters_to_seed.py ../shared/corpora/reuters21578/reuters21578.jsonl OUT_DIR

One file per record with a body: OUT_DIR/<first topic or "misc">/<newid>.txt, opening with
` date YYYY-MM-DD <title>.` as the lead and the body's paragraphs after it. Fails loudly when the
input is missing. Reads only the input file; writes only under OUT_DIR.
"""
import json
import os
import sys
from datetime import datetime

MONTHS = {m: i for i, m in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)}


def iso_date(text):
    # "26-FEB-1987 15:01:01.79"
    try:
        day, month, year = text.strip().split()[0].split("-")
        return datetime(int(year), MONTHS[month.upper()], int(day)).strftime("%Y-%m-%d")
    except (ValueError, KeyError, IndexError):
        return None


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, out_dir = sys.argv[1], sys.argv[2]
    if not os.path.isfile(source):
        sys.exit(f"error: `{source}` does not exist (the Reuters JSON Lines from ../shared)")
    written = 0
    with open(source, encoding="utf-8") as lines:
        for line_no, line in enumerate(lines, 1):
            record = json.loads(line)
            body = (record.get("body") or "").strip()
            date = iso_date(record.get("date") or "")
            if not body or not date:
                continue
            topic = (record.get("topics") or ["misc"])[0] or "misc"
            folder = os.path.join(out_dir, "".join(c for c in topic if c.isalnum() or c in "-_"))
            os.makedirs(folder, exist_ok=True)
            title = " ".join((record.get("title") or "").split()).capitalize()
            paragraphs = [" ".join(p.split()) for p in body.split("\n\n")]
            paragraphs = [p for p in paragraphs if p]
            lead = f"{title}." if title else paragraphs.pop(0)
            text = f" date {date} {lead}\n\n" + "\n\n".join(paragraphs) + "\n"
            with open(os.path.join(folder, f"{record.get('newid', line_no)}.txt"), "w", encoding="utf-8") as out:
                out.write(text)
            written += 1
    print(f"wrote {written} articles under {out_dir}")


if __name__ == "__main__":
    main()
