#!/usr/bin/env python3
"""A whole `newsdex search` process against a bare tantivy process (`examples/minimal_search`).

    cargo build --release --bin newsdex --example minimal_search
    python3 scripts/oneshot_compare.py /tmp/index-1m [--runs 300] [--query "grain prices"]

Runs `newsdex search` (text and `--json`) and `minimal_search` on the same index, alternated,
each process spawned and waited for alone; prints the median wall and CPU time (user + system)
of each, with its ratio to the bare process, and the load average.

Both binaries are copied into one temporary folder first. A binary the linker has just written
sits in the page cache in small pieces and costs more page faults at start than the same bytes
copied or read from disk: on a 2-core virtual machine, 0.48 ms more for `newsdex` and 0.16 ms
more for `minimal_search` (docs/performance.md). Copied, both start as an installed binary does.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("index", help="a newsdex index folder")
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--query", default="grain prices")
    parser.add_argument("--target", default="target/release", help="where cargo built them")
    args = parser.parse_args()

    built = {
        "newsdex": os.path.join(args.target, "newsdex"),
        "minimal_search": os.path.join(args.target, "examples", "minimal_search"),
    }
    for path in built.values():
        if not os.path.isfile(path):
            sys.exit(f"{path} is missing: cargo build --release --bin newsdex --example minimal_search")
    if not os.path.isdir(args.index):
        sys.exit(f"{args.index} is not an index folder")

    with tempfile.TemporaryDirectory(prefix="newsdex-oneshot-") as folder:
        copies = {}
        for name, path in built.items():
            copies[name] = os.path.join(folder, name)
            shutil.copy2(path, copies[name])
        newsdex = [copies["newsdex"], "search", args.query, "--index", args.index]
        commands = [
            ("text", newsdex + ["--color", "never"]),
            ("json", newsdex + ["--json"]),
            ("bare tantivy", [copies["minimal_search"], args.index, args.query]),
        ]
        env = {k: v for k, v in os.environ.items() if k != "RUST_BACKTRACE"}
        times = {name: ([], []) for name, _ in commands}
        for _ in range(5):
            for _, command in commands:
                subprocess.run(command, stdout=subprocess.DEVNULL, env=env, check=True)
        load_before = os.getloadavg()
        for _ in range(args.runs):
            for name, command in commands:
                started = time.perf_counter()
                process = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=env)
                _, status, usage = os.wait4(process.pid, 0)
                wall = time.perf_counter() - started
                if status != 0:
                    sys.exit(f"{name} exited with status {status}")
                times[name][0].append(wall * 1000)
                times[name][1].append((usage.ru_utime + usage.ru_stime) * 1000)
        load_after = os.getloadavg()

    bare_wall = statistics.median(times["bare tantivy"][0])
    bare_cpu = statistics.median(times["bare tantivy"][1])
    print(f"`search {args.query!r}` on {args.index}, {args.runs} runs each, alternated")
    for name, _ in commands:
        wall = statistics.median(times[name][0])
        cpu = statistics.median(times[name][1])
        print(
            f"{name:14s} wall {wall:6.2f} ms ({wall / bare_wall:.2f}x)"
            f"  cpu {cpu:6.2f} ms ({cpu / bare_cpu:.2f}x)"
        )
    print(f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after")


if __name__ == "__main__":
    main()
