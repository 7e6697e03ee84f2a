#!/usr/bin/env python3
"""Where one operation's time goes: a `perf` profile of Trent under load (issue 20).

Starts `trent serve` on a fresh SQLite data directory (durable trail, or `--ephemeral`) pinned
to core 0, makes its key, then replays one signed request with wrk (core 1) while `perf record`
samples the server. Prints the CPU per request and the heaviest functions by inclusive time
(`--children`) and by self time, and keeps `perf.data` for `perf report -i`. With `--fsyncs`,
counts instead the fsync and fdatasync calls per request, with `strace -c`.

    python3 bench/profile.py --trent target/release/trent --op encrypt --conns 64 --secs 8 \
        --out /tmp/prof-encrypt

Needs wrk, taskset and perf (Debian's linux-perf).
"""
import argparse, os, subprocess, tempfile, time

import harness as h
import sign

AKID, SECRET = "AKIDBENCHEXAMPLE", "bench-secret"
CONFIG = h.account_toml(AKID, SECRET) + "keys_per_region = 10000000\n"


def report(data, children, limit):
    args = ["perf", "report", "-i", data, "--stdio", "--percent-limit", "0.8", "--sort", "symbol",
            "-g", "none"]
    args.append("--children" if children else "--no-children")
    out = subprocess.run(args, capture_output=True, text=True).stdout
    rows = [l.rstrip().rstrip("-").rstrip()[:160] for l in out.splitlines()
            if l.strip() and not l.startswith("#")]
    return "\n".join(rows[:limit])


def count_fsyncs(server, port, req, a):
    """fsync and fdatasync calls of every server thread per request served, by `strace -c`."""
    out = os.path.join(a.out, "strace.txt")
    tracer = subprocess.Popen(["strace", "-f", "-c", "-e", "trace=fsync,fdatasync", "-o", out, "-p",
                               str(server.proc.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    r = h.wrk(port, a.conns, a.secs, req, core="1")
    tracer.send_signal(2)
    tracer.wait()
    calls = 0
    with open(out) as f:
        for line in f:
            fields = line.split()
            if fields and fields[-1] in ("fsync", "fdatasync"):
                calls += int(fields[3])
    n = int(r.get("requests", 0)) or 1
    print(f"{a.op} conns={a.conns}: {n} requests, {calls} fsync/fdatasync calls, "
          f"{calls / n:.3f} a request (p50 {r.get('p50_us', 0) / 1000:.2f} ms under strace)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trent", required=True)
    ap.add_argument("--op", default="encrypt", choices=sign.OPS)
    ap.add_argument("--conns", type=int, default=64)
    ap.add_argument("--secs", type=int, default=8)
    ap.add_argument("--ephemeral", action="store_true")
    ap.add_argument("--out", default=tempfile.mkdtemp(prefix="trent-profile-"))
    ap.add_argument("--top", type=int, default=45)
    ap.add_argument("--fsyncs", action="store_true",
                    help="count fsync and fdatasync calls per request with strace instead of profiling")
    ap.add_argument("--dwarf", action="store_true",
                    help="unwind with DWARF (exact inclusive times; larger perf.data)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="trent-profile-data-")
    cfg = os.path.join(tmp, "config.toml")
    with open(cfg, "w") as f:
        f.write(CONFIG)
    port = h.free_port()
    cmd = [a.trent, "serve", "--listen", f"127.0.0.1:{port}", "--config", cfg]
    cmd += ["--ephemeral"] if a.ephemeral else ["--data-dir", os.path.join(tmp, "data")]
    server = h.Server("trent", cmd, port, core="0", env=dict(os.environ, RUST_LOG="warn"))
    try:
        endpoint = f"http://127.0.0.1:{port}"
        signer = sign.Signer(AKID, SECRET, "us-east-1")
        payloads, _ = sign.prepare(sign.Kms(endpoint, signer), [a.op])
        req = sign.write(tmp, signer, endpoint, payloads)[a.op]
        h.wrk(port, a.conns, 2, req, core="1")  # warm-up
        if a.fsyncs:
            count_fsyncs(server, port, req, a)
            return
        data = os.path.join(a.out, "perf.data")
        graph = ["--call-graph", "dwarf,32768", "-F", "499"] if a.dwarf else ["-g", "-F", "1999"]
        perf = subprocess.Popen(["perf", "record", *graph, "-o", data, "-p",
                                 str(server.proc.pid)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        cpu0 = h.cpu_s(server.pids())
        r = h.wrk(port, a.conns, a.secs, req, core="1")
        cpu = h.cpu_s(server.pids()) - cpu0
        perf.send_signal(2)
        perf.wait()
        n = r.get("requests", 0) or 1
        print(f"{a.op} conns={a.conns}: {r.get('rps', 0):,.0f} req/s, "
              f"p50 {r.get('p50_us', 0) / 1000:.2f} ms, p99 {r.get('p99_us', 0) / 1000:.2f} ms, "
              f"{cpu / n * 1e6:.1f} CPU-µs/req")
        print("\n== inclusive (children)\n" + report(data, True, a.top))
        print("\n== self\n" + report(data, False, a.top))
        print(f"\nperf data: {data}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
