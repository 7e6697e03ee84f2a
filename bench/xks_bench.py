#!/usr/bin/env python3
"""Trent as an external key store proxy (AWS's XKS proxy API v1, over HTTPS): encrypt (160
bytes, what AWS KMS sends: a KMS ciphertext of a data key, with 64 bytes of AAD), decrypt (of
one such encrypt's answer) and health, at 1, 8 and 64 connections, in one run of one Trent with
its durable audit trail (a data directory of its own, not --ephemeral, which turns fsync off).
The server is pinned to core 0 and wrk to core 1; CPU-µs per request from /proc. Each cell is
set against AWS's expectations of a proxy: 1,800 requests/s per key store, and answers within
its 250 ms timeout (here: p99 under 250 ms).

    bench/xks_bench.sh --duration 5 --out bench/results-$(date +%F)-xks.jsonl
    python3 bench/xks_bench.py --trent target/release/trent --duration 5 --conns 1,8,64

Needs wrk (built with TLS), openssl (for the certificate) and taskset. Results are JSON lines
(`server` is `trent-xks`); it prints a Markdown table.
"""
import argparse, hashlib, hmac, http.client, json, os, socket, ssl, subprocess, tempfile, time, uuid

import harness as h
import sign

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

AKID, SECRET, REGION, ACCOUNT = "AKIDBENCHEXAMPLE", "bench-secret", "us-east-1", "111122223333"
XKS_AKID, XKS_SECRET = "AKIAI2SFODNN7EXAMPLE", "FYtE5EFA5FT0mCc3DrGUe2sti527BitkQ0Zr9MO9fvE"
SERVICE, HOST, ALIAS = "kms-xks-proxy", "xks.bench.test", "alias/xks-bench"
BASE = "/bench/kms/xks/v1"
PATHS = {"encrypt": f"{BASE}/keys/bench-key/encrypt", "decrypt": f"{BASE}/keys/bench-key/decrypt",
         "health": f"{BASE}/health"}
OPERATION = {"encrypt": "Encrypt", "decrypt": "Decrypt", "health": "KmsHealthCheck"}
SERVER_CORE, WRK_CORE = "0", "1"
PLAINTEXT, AAD = os.urandom(160), os.urandom(64)


def certificate(tmp):
    cert, key = os.path.join(tmp, "xks.crt"), os.path.join(tmp, "xks.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "1", "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST}",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


def config(tmp, cert, key):
    path = os.path.join(tmp, "config.toml")
    with open(path, "w") as f:
        f.write(h.account_toml(AKID, SECRET) + f"""
[xks_proxy]
cert_file = "{cert}"
key_file = "{key}"

[[xks_proxy.key_store]]
path_prefix = "/bench"
credentials = [{{ access_key_id = "{XKS_AKID}", secret = "{XKS_SECRET}" }}]

[[xks_proxy.key_store.key]]
external_key_id = "bench-key"
key = "{ALIAS}"
""")
    return path


def xks_headers(path, body):
    """SigV4 for the XKS proxy: `POST path`, exactly host and x-amz-date signed."""
    amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    signed = "host;x-amz-date"
    request = "\n".join(["POST", path, "", f"host:{HOST}", f"x-amz-date:{amz_date}", "", signed,
                         hashlib.sha256(body).hexdigest()])
    scope = f"{amz_date[:8]}/{REGION}/{SERVICE}/aws4_request"
    to_sign = "\n".join([sign.ALGORITHM, amz_date, scope, hashlib.sha256(request.encode()).hexdigest()])
    key = ("AWS4" + XKS_SECRET).encode()
    for part in (amz_date[:8], REGION, SERVICE, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {"Host": HOST, "X-Amz-Date": amz_date, "Content-Type": "application/json",
            "Authorization": f"{sign.ALGORITHM} Credential={XKS_AKID}/{scope}, "
                             f"SignedHeaders={signed}, Signature={signature}"}


def metadata(op, key_arn):
    meta = {"kmsOperation": OPERATION[op], "kmsRequestId": str(uuid.uuid4())}
    if op != "health":
        meta.update(awsPrincipalArn=f"arn:aws:iam::{ACCOUNT}:user/bench", kmsKeyArn=key_arn)
    return meta


def payload(op, key_arn, sealed=None):
    body = {"requestMetadata": metadata(op, key_arn)}
    if op == "encrypt":
        body.update(plaintext=sign.b64(PLAINTEXT), encryptionAlgorithm="AES_GCM",
                    additionalAuthenticatedData=sign.b64(AAD), ciphertextDataIntegrityValueAlgorithm="SHA_256")
    elif op == "decrypt":
        body.update({k: sealed[k] for k in ("ciphertext", "ciphertextMetadata", "initializationVector",
                                            "authenticationTag") if k in sealed})
        body.update(encryptionAlgorithm="AES_GCM", additionalAuthenticatedData=sign.b64(AAD))
    return body


def xks_call(port, cafile, op, body):
    """One request to the proxy over verified TLS (the certificate's name, at 127.0.0.1)."""
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
    conn = http.client.HTTPSConnection(HOST, port, context=ctx, timeout=10)
    conn.sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), 10), server_hostname=HOST)
    try:
        data = sign.body_of(body)
        conn.request("POST", PATHS[op], body=data, headers=xks_headers(PATHS[op], data))
        response = conn.getresponse()
        text = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise SystemExit(f"XKS {op}: HTTP {response.status}: {text[:300]!r}")
    return json.loads(text)


def request_file(reqdir, op, body):
    """Signs `body` now into `reqdir/op.req` (sign.py's format); its path."""
    data = sign.body_of(body)
    path = os.path.join(reqdir, f"{op}.req")
    with open(path, "w") as f:
        f.write("".join(f"{n}: {v}\n" for n, v in xks_headers(PATHS[op], data).items()) + "\n" + data.decode())
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trent", default=os.path.join(ROOT, "target/release/trent"))
    ap.add_argument("--conns", default="1,8,64")
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--out", default="results-xks.jsonl")
    a = ap.parse_args()
    conns = [int(x) for x in a.conns.split(",")]
    tmp = tempfile.mkdtemp(prefix="trent-xks-bench-")
    cert, key = certificate(tmp)
    cfg = config(tmp, cert, key)
    api, xks = h.free_port(), h.free_port()
    server = h.Server("trent-xks", [a.trent, "serve", "--listen", f"127.0.0.1:{api}", "--xks-listen",
                                    f"127.0.0.1:{xks}", "--config", cfg, "--data-dir", os.path.join(tmp, "data")],
                      api, core=SERVER_CORE, env=dict(os.environ, RUST_LOG="warn"))
    rows = []
    try:
        h.wait_port(xks, proc=server.proc)
        kms = sign.Kms(f"http://127.0.0.1:{api}", sign.Signer(AKID, SECRET, REGION))
        key_id = kms.create_key(Description="xks bench")
        kms.call("CreateAlias", {"AliasName": ALIAS, "TargetKeyId": key_id})
        key_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"
        sealed = xks_call(xks, cert, "encrypt", payload("encrypt", key_arn))
        opened = xks_call(xks, cert, "decrypt", payload("decrypt", key_arn, sealed))
        if sign.b64(PLAINTEXT) != opened.get("plaintext"):
            raise SystemExit("XKS decrypt did not give back the plaintext")
        xks_call(xks, cert, "health", payload("health", key_arn))
        reqdir = os.path.join(tmp, "req")
        os.makedirs(reqdir)

        def run(c, secs, req, op):
            return h.wrk(xks, c, secs, req, core=WRK_CORE, scheme="https", path=PATHS[op])

        with open(a.out, "w") as out:
            for op in PATHS:
                run(8, 1, request_file(reqdir, op, payload(op, key_arn, sealed)), op)  # warm-up
                for c in conns:
                    req = request_file(reqdir, op, payload(op, key_arn, sealed))  # signed afresh
                    c0, w0 = h.cpu_s(server.pids()), time.time()
                    r = run(c, a.duration, req, op)
                    c1, w1 = h.cpu_s(server.pids()), time.time()
                    errors = int(sum(r[k] for k in ("err_connect", "err_read", "err_write", "err_status",
                                                    "err_timeout")))
                    r.update(server="trent-xks", op=op, conns=c, duration_s=a.duration, durable_audit=True,
                             server_cpu_pct=100 * (c1 - c0) / (w1 - w0),
                             cpu_us_per_req=1e6 * (c1 - c0) / max(1.0, r["requests"]), errors=errors,
                             meets_1800=r["rps"] >= 1800, p99_under_250ms=r["p99_us"] < 250000)
                    out.write(json.dumps(r) + "\n")
                    out.flush()
                    rows.append(r)
                    print(f"{op:8} c={c:<3} rps={r['rps']:>9.1f} p50={r['p50_us']/1000:7.2f}ms "
                          f"p99={r['p99_us']/1000:7.2f}ms p999={r['p999_us']/1000:7.2f}ms "
                          f"cpu={r['server_cpu_pct']:5.1f}% cpu-us/req={r['cpu_us_per_req']:7.1f} "
                          f"errors={errors}", flush=True)
    finally:
        server.stop()
    print(f"\nTrent as an XKS proxy (HTTPS, keep-alive connections), one core: server pinned to core 0, "
          f"wrk (one thread) to core 1, {a.duration} s per cell; durable audit trail (a data directory, "
          f"not --ephemeral: every call's event is fsynced before its answer). Encrypt: 160 bytes, 64 "
          f"bytes of AAD. AWS expects 1,800 req/s per key store and answers within 250 ms.\n")
    print("| op | conns | req/s | p50 ms | p99 ms | p99.9 ms | CPU-µs/req | errors | ≥ 1,800 req/s | p99 < 250 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['op']} | {r['conns']} | {r['rps']:,.0f} | {r['p50_us'] / 1000:.2f} | {r['p99_us'] / 1000:.2f} | "
              f"{r['p999_us'] / 1000:.2f} | {r['cpu_us_per_req']:.1f} | {r['errors']} | "
              f"{'yes' if r['meets_1800'] else 'no'} | {'yes' if r['p99_under_250ms'] else 'no'} |")


if __name__ == "__main__":
    main()
