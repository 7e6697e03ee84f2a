#!/usr/bin/env python3
"""One KMS server against the hello server (bench/hello), on the same signed requests, side by
side and repeated, so that medians and paired ratios survive a noisy machine.

The server is any command that takes `-H HOST -p PORT`: bench/trent-peer.sh (the default: a
release `trent serve` in a throwaway directory; BENCH_AS_USER=1 makes its access key an IAM
user's) or moto_server. For every repeat and placement it starts both servers, makes fresh keys
on the server (bench/sign.py), warms both up, then runs each (operation, connections) cell on
the server and then on the hello server, on requests signed right before the cell. A cell is run
again, up to --retries times, while other processes used more than --max-foreign % of a core;
every attempt is kept, and bench/summarize.py uses the least disturbed.

Placements (--modes), server core / wrk core:
  split     0 / 1  (a pinned tokio server runs one worker)
  swap      1 / 0  (shows whether the two cores are alike)
  unpinned  no affinity: the server and wrk share both cores

    cargo build --release --locked --bin trent
    HELLO=$(bench/hello/build.sh | tail -1)
    python3 bench/peer_bench.py --hello "$HELLO" --ops encrypt,decrypt,generate-data-key \\
        --conns 1,8,64 --modes split --duration 5 --repeats 2 --out trent.jsonl
    python3 bench/summarize.py trent.jsonl

Writes one JSON line per wrk run: wrk.lua's RESULT fields, the server's CPU (% of one core and
µs per request), wrk's CPU, steal, the CPU everything else used (foreign_cpu_pct, % of one
core), and server, op, conns, mode, rep, attempt. --plain-bytes adds hello-only cells of a
plain POST body (op `plainN`): HTTP alone, no signature.
Needs Python's standard library, wrk and taskset.
"""
import argparse
import json
import os
import shlex
import shutil
import signal
import sys
import tempfile
import time

import harness as h
import sign

MODES = {"split": ("0", "1"), "swap": ("1", "0"), "unpinned": (None, None)}
DEFAULT_PEER = os.path.join(h.HERE, "trent-peer.sh")


def measure(server, conns, secs, core, nice, **kw):
    """One wrk run on `server`, with the CPU it, wrk and everything else used meanwhile."""
    c0, (t0, b0, s0), w0 = h.cpu_s(server.pids()), h.machine_cpu(), time.time()
    r = h.wrk(server.port, conns, secs, core=core, nice=nice, **kw)
    c1, (t1, b1, s1), w1 = h.cpu_s(server.pids()), h.machine_cpu(), time.time()
    wall = w1 - w0
    r["server_cpu_pct"] = 100 * (c1 - c0) / wall
    r["cpu_us_per_req"] = 1e6 * (c1 - c0) / max(1.0, r["requests"])
    r["wrk_cpu_pct"] = 100 * r["wrk_cpu_s"] / wall
    r["steal_pct"] = 100 * (s1 - s0) / max(1, t1 - t0) * os.cpu_count()
    r["foreign_cpu_pct"] = 100 * (b1 - b0) / h.CLK / wall - r["server_cpu_pct"] - r["wrk_cpu_pct"]
    return r


def attempts(server, conns, secs, core, nice, max_foreign, retries, **kw):
    """The cell's runs: again, after a pause, while others used more than `max_foreign` %."""
    for attempt in range(retries + 1):
        r = measure(server, conns, secs, core, nice, **kw)
        r["attempt"] = attempt
        yield r
        if r["foreign_cpu_pct"] <= max_foreign:
            return
        time.sleep(5)


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` stops the servers
    env = os.environ.get
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peer", default=env("PEER_CMD", DEFAULT_PEER),
                    help="the server's command, given -H HOST -p PORT (default: bench/trent-peer.sh)")
    ap.add_argument("--name", default="", help="the server's name in the results (default: trent "
                    "for bench/trent-peer.sh, else the command's file name)")
    ap.add_argument("--hello", default=env("HELLO_BIN", ""), help="bench/hello's binary; without it, the server alone")
    ap.add_argument("--ops", default="encrypt,decrypt,generate-data-key,sign-ecc",
                    help="of: " + ",".join(sign.OPS))
    ap.add_argument("--conns", default="1,8,64")
    ap.add_argument("--modes", default="split,unpinned", help="of: " + ",".join(MODES))
    ap.add_argument("--duration", type=int, default=10, help="seconds per run")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--plain-bytes", type=int, default=4096, help="hello-only cells of a plain body (0: none)")
    ap.add_argument("--nice", type=int, default=int(env("BENCH_NICE", "-15" if os.geteuid() == 0 else "0")),
                    help="nice value of both servers and wrk (default -15 as root, else 0)")
    ap.add_argument("--max-foreign", type=float, default=15.0)
    ap.add_argument("--retries", type=int, default=2)
    ap.add_argument("--out", default="results.jsonl")
    a = ap.parse_args()
    peer_cmd = shlex.split(a.peer)
    program = os.path.basename(peer_cmd[0])
    name = a.name or ("trent" if program == "trent-peer.sh" else program)
    ops, conns = a.ops.split(","), [int(c) for c in a.conns.split(",")]
    for mode in a.modes.split(","):
        if mode not in MODES:
            ap.error(f"unknown mode {mode}; choose from {', '.join(MODES)}")
    signer = sign.signer_from_env()
    reqdir = tempfile.mkdtemp(prefix="trent-peer-bench")
    out = open(a.out, "a")
    for rep in range(a.repeats):
        for mode in a.modes.split(","):
            server_core, wrk_core = MODES[mode]
            servers = []
            try:
                port = h.free_port()
                servers.append(h.Server(name, peer_cmd + ["-H", "127.0.0.1", "-p", str(port)], port,
                                        server_core, a.nice))
                if a.hello:
                    port = h.free_port()
                    servers.append(h.Server("hello", [a.hello, "-p", str(port)], port, server_core, a.nice))
                # Fresh keys on the server; the hello server gets the same files, signed for the
                # server's port (it checks nothing): the same bytes on the wire.
                payloads, _ = sign.prepare(sign.Kms(f"http://127.0.0.1:{servers[0].port}", signer), ops)
                signed = lambda op: sign.write(reqdir, signer, f"http://127.0.0.1:{servers[0].port}",
                                               {op: payloads[op]})[op]
                cells = [(op, c) for op in ops for c in conns]
                if a.hello and a.plain_bytes:
                    cells += [(f"plain{a.plain_bytes}", c) for c in conns]
                # CreateKey is for the server only, plain bodies for the hello server only.
                on = lambda op: (servers[1:] if op.startswith("plain")
                                 else servers[:1] if op == "create-key" else servers)
                for op in ops:  # warm-up: first calls, lazy imports, caches
                    for s in on(op):
                        h.wrk(s.port, 8, 1, signed(op), core=wrk_core, nice=a.nice)
                for op, c in cells:
                    if op.startswith("plain"):
                        kw = {"body_bytes": a.plain_bytes}
                    else:
                        kw = {"req_file": signed(op)}
                    for s in on(op):
                        for r in attempts(s, c, a.duration, wrk_core, a.nice, a.max_foreign, a.retries, **kw):
                            r.update(server=s.name, op=op, conns=c, mode=mode, rep=rep)
                            out.write(json.dumps(r) + "\n")
                            out.flush()
                            print(f"{mode:8} rep{rep}.{r['attempt']} {s.name:6} {op:17} c={c:<3} "
                                  f"rps={r['rps']:>9.1f} p50={r['p50_us'] / 1000:7.2f}ms "
                                  f"p99={r['p99_us'] / 1000:7.2f}ms srv={r['server_cpu_pct']:5.1f}% "
                                  f"({r['cpu_us_per_req']:.0f} us/req) wrk={r['wrk_cpu_pct']:5.1f}% "
                                  f"other={r['foreign_cpu_pct']:5.1f}% steal={r['steal_pct']:4.1f}% "
                                  f"non2xx={int(r['err_status'])} "
                                  f"errs={int(r['err_connect'] + r['err_read'] + r['err_write'] + r['err_timeout'])}",
                                  flush=True)
            finally:
                for s in servers:
                    s.stop()
    shutil.rmtree(reqdir, ignore_errors=True)


if __name__ == "__main__":
    main()
