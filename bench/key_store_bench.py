#!/usr/bin/env python3
"""Issue 17's benchmark: a key in an AWS_CLOUDHSM custom key store (a SoftHSM2 token) against
a software key, in one run of one Trent: Encrypt 4 KB and GenerateDataKey (AES_256) at 1, 8
and 64 connections, the server pinned to core 0 and wrk to core 1, CPU-µs per request from
/proc. With --perf, one more run of each key-store cell under `perf record`, reported by
shared object: where the time goes.

    bench/key_store_bench.sh --duration 5 --out bench/results-$(date +%F)-key-store.jsonl
    python3 bench/key_store_bench.py --trent target/release/trent --duration 5 --perf

Needs softhsm2 (softhsm2-util and its module), wrk, taskset, and perf for --perf. Results are
JSON lines (`server` is `software` or `key-store`); it prints a Markdown table.
"""
import argparse, json, os, signal, subprocess, tempfile, time

import harness as h
import sign

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

AKID, SECRET, REGION = "AKIDBENCHEXAMPLE", "bench-secret", "us-east-1"
SIGNER = sign.Signer(AKID, SECRET, REGION)
SERVER_CORE, WRK_CORE = "0", "1"
PIN = "kmsuser-bench"
CLUSTER = "cluster-234567benchab"
ANCHOR = "-----BEGIN CERTIFICATE-----\nMIIBbench\n-----END CERTIFICATE-----\n"
PLAINTEXT = bytes((i * 7 + 3) & 0xFF for i in range(4096))
OPS = {"encrypt": "Encrypt", "generate-data-key": "GenerateDataKey"}


def softhsm(tmp):
    """A SoftHSM2 configuration with one token, in `tmp`."""
    tokens = os.path.join(tmp, "tokens")
    os.makedirs(tokens)
    conf = os.path.join(tmp, "softhsm2.conf")
    with open(conf, "w") as f:
        f.write(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "bench-store",
                    "--so-pin", "12345678", "--pin", PIN], check=True, capture_output=True,
                   env=dict(os.environ, SOFTHSM2_CONF=conf))
    return conf


def config(tmp, module):
    with open(os.path.join(tmp, "anchor.pem"), "w") as f:
        f.write(ANCHOR)
    path = os.path.join(tmp, "config.toml")
    with open(path, "w") as f:
        f.write(h.account_toml(AKID, SECRET) + f"""
[[cloudhsm_cluster]]
id = "{CLUSTER}"
pkcs11_module = "{module}"
token = "bench-store"
trust_anchor = "anchor.pem"
""")
    return path


def keys(kms):
    """A connected key store with one key, and a software key: their ids."""
    store = kms.call("CreateCustomKeyStore", {
        "CustomKeyStoreName": "bench", "CloudHsmClusterId": CLUSTER,
        "TrustAnchorCertificate": ANCHOR, "KeyStorePassword": PIN})["CustomKeyStoreId"]
    kms.call("ConnectCustomKeyStore", {"CustomKeyStoreId": store})
    for _ in range(300):
        state = kms.call("DescribeCustomKeyStores", {"CustomKeyStoreId": store})[
            "CustomKeyStores"][0]["ConnectionState"]
        if state == "CONNECTED":
            break
        if state == "FAILED":
            raise SystemExit("the key store failed to connect")
        time.sleep(0.05)
    in_store = kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store)
    return {"key-store": in_store, "software": kms.create_key()}


def payload(op, key):
    if op == "encrypt":
        return {"KeyId": key, "Plaintext": sign.b64(PLAINTEXT)}
    return {"KeyId": key, "KeySpec": "AES_256"}


def request(reqdir, endpoint, kind, op, key):
    path = os.path.join(reqdir, f"{kind}-{op}.req")
    with open(path, "w") as f:
        f.write(sign.request_file(SIGNER, endpoint, OPS[op], payload(op, key)))
    return path


def perf_by_dso(pid, port, conns, secs, req):
    """The server's samples by shared object during one wrk run of `req`."""
    data = tempfile.mktemp(suffix=".perf")
    rec = subprocess.Popen(["perf", "record", "-q", "-F", "999", "-p", str(pid), "-o", data],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    h.wrk(port, conns, secs, req, core=WRK_CORE)
    rec.send_signal(signal.SIGINT)
    rec.wait(30)
    out = subprocess.run(["perf", "report", "-i", data, "--sort", "dso", "--stdio", "-q"],
                         capture_output=True, text=True).stdout
    os.unlink(data)
    shares = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].endswith("%"):
            shares.append((float(parts[0].rstrip("%")), parts[-1]))
    return shares[:8]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trent", default=os.path.join(ROOT, "target/release/trent"))
    ap.add_argument("--module", default="/usr/lib/softhsm/libsofthsm2.so")
    ap.add_argument("--conns", default="1,8,64")
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--perf", action="store_true", help="profile each key-store cell by shared object")
    ap.add_argument("--out", default="results-key-store.jsonl")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="trent-ks-bench-")
    conf = softhsm(tmp)
    cfg = config(tmp, a.module)
    port = h.free_port()
    server = subprocess.Popen(
        h.pinned([a.trent, "serve", "--listen", f"127.0.0.1:{port}", "--config", cfg,
                  "--data-dir", os.path.join(tmp, "data")], SERVER_CORE),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=dict(os.environ, RUST_LOG="warn", SOFTHSM2_CONF=conf))
    rows = []
    try:
        h.wait_port(port, proc=server)
        endpoint = f"http://127.0.0.1:{port}"
        ids = keys(sign.Kms(endpoint, SIGNER))
        reqdir = os.path.join(tmp, "req")
        os.makedirs(reqdir)
        with open(a.out, "w") as out:
            for op in OPS:
                for kind in ("software", "key-store"):
                    req = request(reqdir, endpoint, kind, op, ids[kind])
                    h.wrk(port, 8, 1, req, core=WRK_CORE)  # warm-up
                    for c in [int(x) for x in a.conns.split(",")]:
                        c0, w0 = h.cpu_s([server.pid]), time.time()
                        r = h.wrk(port, c, a.duration, req, core=WRK_CORE)
                        c1, w1 = h.cpu_s([server.pid]), time.time()
                        done = max(1.0, r["rps"] * a.duration)
                        r.update(server=kind, op=op, conns=c, server_cpu_pct=100 * (c1 - c0) / (w1 - w0),
                                 cpu_us_per_req=1e6 * (c1 - c0) / done)
                        out.write(json.dumps(r) + "\n")
                        out.flush()
                        rows.append(r)
                        print(f"{kind:9} {op:17} c={c:<3} rps={r['rps']:>9.1f} p50={r['p50_us']/1000:6.2f}ms "
                              f"p99={r['p99_us']/1000:6.2f}ms cpu={r['server_cpu_pct']:5.1f}% "
                              f"cpu-us/req={r['cpu_us_per_req']:7.1f} non2xx={int(r['err_status'])}", flush=True)
                for kind in ("software", "key-store") if a.perf else ():
                    req = os.path.join(reqdir, f"{kind}-{op}.req")
                    shares = perf_by_dso(server.pid, port, 8, a.duration, req)
                    line = {"perf": True, "server": kind, "op": op, "conns": 8, "dso": shares}
                    out.write(json.dumps(line) + "\n")
                    print(f"perf {kind} {op} c=8: " +
                          ", ".join(f"{dso} {pct:.1f}%" for pct, dso in shares), flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(15)
    print("\n| op | conns | software req/s | key-store req/s | ratio | software CPU-µs/req | key-store CPU-µs/req | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    by = {(r["op"], r["conns"], r["server"]): r for r in rows}
    for op in OPS:
        for c in [int(x) for x in a.conns.split(",")]:
            s, k = by.get((op, c, "software")), by.get((op, c, "key-store"))
            if s and k:
                print(f"| {op} | {c} | {s['rps']:,.0f} | {k['rps']:,.0f} | {k['rps'] / s['rps']:.2f} | "
                      f"{s['cpu_us_per_req']:.1f} | {k['cpu_us_per_req']:.1f} | "
                      f"{k['cpu_us_per_req'] / s['cpu_us_per_req']:.2f} |")


if __name__ == "__main__":
    main()
