#!/usr/bin/env python3
"""A Markdown table from the load benchmarks' JSON lines (bench/peer_bench.py, bench/cluster_bench.py).

One row per placement, operation, connection count and server: req/s; its share of the hello
server's req/s in the same cell (paired within each repeat, then the median); p50 and p99
latency; the server's CPU (% of one core) and CPU-µs per request; and, for Trent on PostgreSQL,
PostgreSQL's own CPU-µs and the statements it ran per request. Every figure is the median over
repeats; lines without `rep` (cluster_bench.py's) count as repeats in the order they come. Of a
cell's attempts (peer_bench.py runs a disturbed cell again) the least disturbed counts.

    python3 bench/summarize.py bench/results-2026-12-02-issue8.jsonl
    python3 bench/summarize.py --rename moto=trent bench/results-2026-11-23-trent.jsonl

The files of 2026-11-23 and bench/results-2026-12-02-trent-issue6.jsonl were written by the
harness that bench/peer_bench.py replaced, which named the server under test `moto` whatever it
ran: `--rename moto=trent` for the Trent runs.
"""
import argparse
import collections
import json
import statistics

OPS = ("encrypt", "decrypt", "generate-data-key", "sign-ecc", "sign-rsa", "create-key")
MODES = ("split", "swap", "unpinned", "")


def cpu_us(r):
    if "cpu_us_per_req" in r:
        return r["cpu_us_per_req"]
    return r["server_cpu_pct"] / 100 / max(r["rps"], 1e-9) * 1e6


def load(paths, rename):
    """The least disturbed attempt of every (mode, server, op, conns, repeat)."""
    best, seen = {}, collections.Counter()
    for path in paths:
        with open(path) as f:
            for line in f:
                if not line.strip():
                    continue
                r = json.loads(line)
                r["server"] = rename.get(r["server"], r["server"])
                mode = r.get("mode", "")
                cell = (mode, r["server"], r["op"], r["conns"])
                if "rep" in r:
                    rep = (path, r["rep"])
                else:
                    rep = (path, seen[cell])
                    seen[cell] += 1
                k = cell + (rep,)
                if k not in best or r.get("foreign_cpu_pct", 0) < best[k].get("foreign_cpu_pct", 0):
                    best[k] = r
    return best


def fmt(x, decimals):
    return "-" if x is None else f"{x:,.{decimals}f}"


def auto(x):
    """Three significant figures or so: 0.073, 1.15, 12.9, 742, 11,325."""
    if x is None:
        return "-"
    return fmt(x, 0 if abs(x) >= 100 else 1 if abs(x) >= 10 else 2 if abs(x) >= 1 else 3)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--rename", action="append", default=[], metavar="OLD=NEW",
                    help="call server OLD NEW (repeatable)")
    a = ap.parse_args()
    rename = dict(pair.split("=", 1) for pair in a.rename)
    best = load(a.files, rename)
    cells = collections.defaultdict(lambda: collections.defaultdict(dict))
    servers = []
    for (mode, server, op, conns, rep), r in best.items():
        cells[(mode, op, conns)][server][rep] = r
        if server not in servers:
            servers.append(server)
    servers.sort(key=lambda s: s == "hello")  # the reference last, the others as they came
    rows = list(best.values())
    with_mode = any(r.get("mode") for r in rows)
    with_pg = any("pg_cpu_us_per_req" in r for r in rows)

    head = (["mode"] if with_mode else []) + ["op", "conns", "server", "req/s", "/ hello", "p50 ms", "p99 ms",
                                              "CPU %", "CPU-µs/req"]
    head += ["PostgreSQL CPU-µs/req", "statements/req"] if with_pg else []
    print("| " + " | ".join(head + ["n"]) + " |")
    print("|" + "---|" * (len(head) + 1))
    order = lambda k: (MODES.index(k[0]) if k[0] in MODES else 9,
                       OPS.index(k[1]) if k[1] in OPS else 99, k[1], k[2])
    for mode, op, conns in sorted(cells, key=order):
        by_server = cells[(mode, op, conns)]
        hello = by_server.get("hello", {})
        for server in servers:
            reps = by_server.get(server)
            if not reps:
                continue

            def med(f):
                values = [f(r) for r in reps.values() if f(r) is not None]
                return statistics.median(values) if values else None

            ratios = [r["rps"] / hello[k]["rps"] for k, r in reps.items()
                      if server != "hello" and k in hello and hello[k]["rps"] > 0]
            row = ([mode] if with_mode else []) + [op, str(conns), server, fmt(med(lambda r: r["rps"]), 0),
                                                   f"{statistics.median(ratios):.1%}" if ratios else "-",
                                                   auto(med(lambda r: r["p50_us"] / 1000)),
                                                   auto(med(lambda r: r["p99_us"] / 1000)),
                                                   fmt(med(lambda r: r["server_cpu_pct"]), 0), auto(med(cpu_us))]
            if with_pg:
                row += [auto(med(lambda r: r.get("pg_cpu_us_per_req"))),
                        auto(med(lambda r: r.get("db_statements_per_req")))]
            print("| " + " | ".join(row + [str(len(reps))]) + " |")


if __name__ == "__main__":
    main()
