#!/usr/bin/env python3
"""The disk's own fsync latency, to set beside Trent's one-connection latency with the durable
audit trail (issue 20): each durable request waits for at least one fsync of SQLite's WAL.

Appends a 4 KiB block to a file and fsyncs it, `--count` times, in the directory given (put it
on the filesystem of Trent's data directory), and prints the p50, p90 and p99 in milliseconds.

    python3 bench/fsync_latency.py --dir /tmp --count 2000
"""
import argparse, os, tempfile, time


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default=tempfile.gettempdir())
    ap.add_argument("--count", type=int, default=2000)
    a = ap.parse_args()
    block = os.urandom(4096)
    times = []
    with tempfile.NamedTemporaryFile(dir=a.dir) as f:
        for _ in range(a.count):
            f.write(block)
            f.flush()
            start = time.perf_counter()
            os.fsync(f.fileno())
            times.append(time.perf_counter() - start)
    times.sort()
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))] * 1000
    print(f"fsync of a 4 KiB append in {a.dir}: p50 {pick(0.5):.3f} ms, p90 {pick(0.9):.3f} ms, "
          f"p99 {pick(0.99):.3f} ms ({a.count} calls)")


if __name__ == "__main__":
    main()
