#!/usr/bin/env python3
"""Before and after: two sets of the load benchmarks' JSON lines (bench/cluster_bench.py), run
in one session on the same machine, as one Markdown table of the medians over their runs:
req/s, p99 and the server's CPU-µs per request, with the after/before ratio of each.

    python3 bench/compare.py --before a1.jsonl a2.jsonl --after b1.jsonl b2.jsonl

Interleave the runs (before, after, before, after) so that drift of a shared machine falls on
both sides. The hello server's row says how much the machine itself moved between the sets.
"""
import argparse
import collections
import json
import statistics


def load(paths):
    cells = collections.defaultdict(list)
    for path in paths:
        with open(path) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    cells[(r["op"], r["conns"], r["server"])].append(r)
    return cells


def median(rows, field):
    return statistics.median(r[field] for r in rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", nargs="+", required=True)
    ap.add_argument("--after", nargs="+", required=True)
    a = ap.parse_args()
    before, after = load(a.before), load(a.after)
    print("| op | conns | server | req/s before | after | ratio | p99 ms before | after "
          "| CPU-µs/req before | after | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for key in sorted(before, key=lambda k: (k[0], k[1], k[2])):
        if key not in after:
            continue
        b, n = before[key], after[key]
        rps_b, rps_a = median(b, "rps"), median(n, "rps")
        p99_b, p99_a = median(b, "p99_us") / 1000, median(n, "p99_us") / 1000
        cpu_b, cpu_a = median(b, "cpu_us_per_req"), median(n, "cpu_us_per_req")
        op, conns, server = key
        print(f"| {op} | {conns} | {server} | {rps_b:,.0f} | {rps_a:,.0f} | {rps_a / rps_b:.2f} "
              f"| {p99_b:.2f} | {p99_a:.2f} | {cpu_b:.1f} | {cpu_a:.1f} | {cpu_a / cpu_b:.2f} |")


if __name__ == "__main__":
    main()
