#!/usr/bin/env python3
"""Instructions per request, counted by valgrind's callgrind: an A/B measure that this noisy
machine cannot blur (issue 20).

Wall-clock and CPU-time figures on a shared 2-core VM move by 10% from run to run, more than a
single cut of the request path saves. Callgrind counts the instructions the server executes,
which are the same for the same binary and load whatever else the machine does. For each
binary given, in turn: start `trent serve` under callgrind (collection off), make the key,
warm up, then count only while wrk replays one signed request, and print user-space
instructions per request (kernel time is not counted: the TCP and fsync work is the same for
every build), in all and outside SHA-256's block function (valgrind does not emulate the SHA
extensions, so under it SHA-256 costs several times what it does on the machine). With `--functions`, the heaviest functions (inclusive) of each run too.

    python3 bench/instructions.py --op encrypt before=/tmp/trent-a after=target/release/trent

Needs valgrind, wrk and taskset.
"""
import argparse, glob, os, re, subprocess, tempfile, time

import harness as h
import sign

AKID, SECRET = "AKIDBENCHEXAMPLE", "bench-secret"
CONFIG = h.account_toml(AKID, SECRET) + "keys_per_region = 10000000\n"


def total_ir(path):
    with open(path) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError(f"{path}: no totals line")


def sha256_ir(path):
    """Instructions spent in SHA-256's block function: valgrind does not emulate the SHA
    extensions, so aws-lc runs its AVX code under it, several times the native cost."""
    listing = subprocess.run(["callgrind_annotate", path], capture_output=True, text=True).stdout
    total = 0
    for line in listing.splitlines():
        m = re.match(r"^\s*([\d,]+) \(", line)
        if m and "sha256_block_data_order" in line:
            total += int(m.group(1).replace(",", ""))
    return total


def measure(name, binary, a, out):
    tmp = tempfile.mkdtemp(prefix="trent-instr-")
    cfg = os.path.join(tmp, "config.toml")
    with open(cfg, "w") as f:
        f.write(CONFIG)
    port = h.free_port()
    prefix = os.path.join(out, f"callgrind.{name}")
    cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={prefix}.%p",
           binary, "serve", "--listen", f"127.0.0.1:{port}", "--config", cfg]
    cmd += ["--ephemeral"] if a.ephemeral else ["--data-dir", os.path.join(tmp, "data")]
    server = h.Server(name, cmd, port, core="0", env=dict(os.environ, RUST_LOG="warn"))
    try:
        endpoint = f"http://127.0.0.1:{port}"
        signer = sign.Signer(AKID, SECRET, "us-east-1")
        payloads, _ = sign.prepare(sign.Kms(endpoint, signer, timeout=120), [a.op])
        req = sign.write(tmp, signer, endpoint, payloads)[a.op]
        h.wrk(port, a.conns, 3, req, core="1")  # warm-up: caches, pools, the first commits
        pid = str(server.proc.pid)
        subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
        subprocess.run(["callgrind_control", "-z", pid], check=True, capture_output=True)
        r = h.wrk(port, a.conns, a.secs, req, core="1")
        subprocess.run(["callgrind_control", "-d", name, pid], check=True, capture_output=True)
        subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)
        time.sleep(0.5)
        dumps = [p for p in glob.glob(f"{prefix}.*") if re.search(r"\.\d+\.\d+$", p)]
        dump = max(dumps, key=os.path.getmtime)
        ir, sha = total_ir(dump), sha256_ir(dump)
        n = int(r.get("requests", 0)) or 1
        print(f"{name:>10} {a.op} conns={a.conns}: {n} requests, {ir / n:,.0f} instructions/request, "
              f"{(ir - sha) / n:,.0f} outside SHA-256 ({sha / n:,.0f} in it)", flush=True)
        if a.functions:
            annotated = subprocess.run(["callgrind_annotate", "--inclusive=yes", dump],
                                       capture_output=True, text=True).stdout
            rows = [l for l in annotated.splitlines() if re.match(r"^\s*[\d,]+ \(", l)]
            for line in rows[:a.functions]:
                print("   ", line[:170])
        return ir / n, (ir - sha) / n
    finally:
        server.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("builds", nargs="+", help="name=path of each trent binary")
    ap.add_argument("--op", default="encrypt", choices=sign.OPS)
    ap.add_argument("--conns", type=int, default=8)
    ap.add_argument("--secs", type=int, default=20)
    ap.add_argument("--ephemeral", action="store_true")
    ap.add_argument("--functions", type=int, default=0, help="print this many functions per run")
    ap.add_argument("--out", default=tempfile.mkdtemp(prefix="trent-instr-out-"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    results = {}
    for build in a.builds:
        name, _, path = build.partition("=")
        results[name] = measure(name, path, a, a.out)
    first, first_rest = next(iter(results.values()))
    for name, (per, rest) in results.items():
        print(f"{name:>10}: {per:,.0f} instructions/request ({per / first:.3f}x the first), "
              f"{rest:,.0f} outside SHA-256 ({rest / first_rest:.3f}x)")
    print(f"callgrind dumps: {a.out}")


if __name__ == "__main__":
    main()
