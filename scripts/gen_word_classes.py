#!/usr/bin/env python3
"""Generates data/word_classes.tsv: word classes from unlabelled text, the tagger's features.

    pip install numpy
    python3 scripts/gen_word_classes.py \
        ../shared/corpora/reuters21578/reuters21578.jsonl \
        ../shared/corpora/ner/gmb/gmb.train ../shared/corpora/conll2003/eng.train \
        > data/word_classes.tsv

Only the words of the texts are read, never their labels (a `.jsonl` file's `body`s, a CoNLL
file's first column). Never give it a test or tuning set (eng.testa, eng.testb, gmb.dev,
gmb.test, Wikigold).

One line a word (lowercase), tab-separated:
  * case class: how the word is written where its case tells (not first in a sentence or a
    line, not in a line of capitals), out of the times it is seen there:
    0 seen too rarely, 1 lowercase >= 90%, 2 >= 50%, 3 >= 10%, 4 >= 1%, 5 less
    (always capitalised); 6 seen too rarely there but often first in a sentence ("Moreover");
  * three distributional clusters of increasing fineness (k-means of the words' left and right
    neighbours, PPMI-weighted and reduced by a random projection), or -1 for words too rare.
"""

import json
import re
import sys
from collections import Counter

import numpy as np

SENTENCE_ENDS = {".", "!", "?", ":", ";", '"', "(", "-", "--", "\u201c"}
EDGE = re.compile(r"^(\W*)(.*?)(\W*)$", re.S)
MIN_CASE_COUNT = 3
N_VOCAB = 40000
MIN_VOCAB_COUNT = 3
N_CONTEXT = 600
DIMS = 80
KS = (48, 192, 768)


def split_word(chunk):
    """The tokenizer's split, roughly: edge punctuation apart."""
    match = EDGE.match(chunk)
    lead, core, trail = match.groups()
    tokens = list(lead)
    if core:
        if core.endswith("'s") and len(core) > 2:
            tokens += [core[:-2], "'s"]
        else:
            tokens.append(core)
    tokens += list(trail)
    return tokens


def lines_of(path):
    """Lines of text (lists of tokens) of one input."""
    if path.endswith(".jsonl"):
        with open(path, encoding="utf-8") as file:
            for line in file:
                story = json.loads(line)
                for text_line in story.get("body", "").split("\n"):
                    tokens = [t for chunk in text_line.split() for t in split_word(chunk)]
                    if tokens:
                        yield tokens
    else:
        sentence = []
        with open(path, encoding="utf-8") as file:
            for line in file:
                cells = line.split()
                if not cells:
                    if sentence:
                        yield sentence
                    sentence = []
                elif cells[0] != "-DOCSTART-":
                    sentence.append(cells[0])
        if sentence:
            yield sentence


def is_capital_line(tokens):
    letters = [c for t in tokens for c in t if c.isalpha()]
    return len(letters) > 3 and all(c.isupper() for c in letters)


def main():
    lower_counts = Counter()
    case_seen = Counter()
    initial_seen = Counter()
    freq = Counter()
    sequences = []
    for path in sys.argv[1:]:
        for tokens in lines_of(path):
            capital_line = is_capital_line(tokens)
            words = [t.lower() for t in tokens]
            freq.update(words)
            sequences.append(words)
            if capital_line:
                continue
            for idx, token in enumerate(tokens):
                if idx == 0 or tokens[idx - 1] in SENTENCE_ENDS:
                    initial_seen[words[idx]] += 1
                    continue
                if not any(c.isalpha() for c in token):
                    continue
                word = words[idx]
                case_seen[word] += 1
                if not any(c.isupper() for c in token):
                    lower_counts[word] += 1
    # Clusters.
    vocab = [w for w, n in freq.most_common(N_VOCAB) if n >= MIN_VOCAB_COUNT]
    index = {w: i for i, w in enumerate(vocab)}
    context = {w: i for i, w in enumerate(vocab[:N_CONTEXT])}
    counts = np.zeros((len(vocab), 2 * N_CONTEXT + 2), dtype=np.float32)
    for words in sequences:
        ids = [index.get(w, -1) for w in words]
        ctx = [context.get(w, N_CONTEXT) for w in words]
        for pos, wid in enumerate(ids):
            if wid < 0:
                continue
            left = ctx[pos - 1] if pos > 0 else N_CONTEXT
            right = ctx[pos + 1] if pos + 1 < len(words) else N_CONTEXT
            counts[wid, left] += 1
            counts[wid, N_CONTEXT + 1 + right] += 1
    total = counts.sum()
    row = counts.sum(axis=1, keepdims=True)
    col = counts.sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(counts * total / (row * col))
    ppmi = np.nan_to_num(np.maximum(pmi, 0), posinf=0.0).astype(np.float32)
    rng = np.random.default_rng(7)
    projection = rng.standard_normal((ppmi.shape[1], DIMS)).astype(np.float32)
    vectors = ppmi @ projection
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
    clusters = []
    for k in KS:
        centres = vectors[rng.choice(len(vectors), k, replace=False)].copy()
        for _ in range(25):
            assign = np.argmax(vectors @ centres.T, axis=1)
            for c in range(k):
                members = vectors[assign == c]
                if len(members):
                    centre = members.mean(axis=0)
                    centres[c] = centre / (np.linalg.norm(centre) + 1e-9)
        clusters.append(assign)
        print(f"k={k} done", file=sys.stderr)
    out = sys.stdout
    out.write("# word\tcase class\tclusters (coarse, mid, fine); made by scripts/gen_word_classes.py\n")
    words = set(vocab) | {w for w, n in case_seen.items() if n >= MIN_CASE_COUNT}
    words |= {w for w, n in initial_seen.items() if n >= MIN_CASE_COUNT}
    for word in sorted(words):
        if not word or any(c.isspace() for c in word) or "\t" in word:
            continue
        seen = case_seen[word]
        if seen < MIN_CASE_COUNT:
            case = 6 if initial_seen[word] >= MIN_CASE_COUNT else 0
        else:
            share = lower_counts[word] / seen
            case = 1 if share >= 0.9 else 2 if share >= 0.5 else 3 if share >= 0.1 else 4 if share >= 0.01 else 5
        wid = index.get(word)
        cells = [str(case)] + [str(int(c[wid])) if wid is not None else "-1" for c in clusters]
        out.write(word + "\t" + "\t".join(cells) + "\n")


if __name__ == "__main__":
    main()
