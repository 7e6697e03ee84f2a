#!/usr/bin/env python3
"""Issue 8's load benchmark: Trent on SQLite, on PostgreSQL with one and two nodes, the peer
emulator (moto) and a minimal hyper server, in one run on the same cores.

Every server (and PostgreSQL) is pinned to core 0, wrk to core 1. Each target gets fresh keys
and freshly signed requests (SigV4, valid 5 minutes), a warm-up, then one wrk run per
(operation, connection count). For Trent it records the CPU of every server process (both
nodes, and PostgreSQL's processes separately), and on PostgreSQL the statements and
transactions the database ran during the cell, from pg_stat_statements and pg_stat_database.

    bench/run.sh                       # builds what it needs, then runs this
    python3 bench/cluster_bench.py --trent target/release/trent --hello HELLO --pg-url URL \
        --duration 5 --out bench/results.jsonl

Results are JSON lines; `--summary` prints the Markdown tables BENCHMARKS.md carries.
"""
import argparse, base64, json, os, shutil, signal, socket, subprocess, sys, tempfile, time
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared", "bench"))
sys.path.insert(0, SHARED)
import run_bench as rb  # noqa: E402  (Server helpers, wrk runner, CPU readers)
from kms_sign_request import signed_request  # noqa: E402
import boto3  # noqa: E402

AKID, SECRET, REGION = "AKIDBENCHEXAMPLE", "bench-secret", "us-east-1"
SERVER_CORE, WRK_CORE = "0", "1"
OPS = ["encrypt", "decrypt", "generate-data-key", "sign-ecc", "sign-rsa", "create-key"]
TARGET = {"encrypt": "Encrypt", "decrypt": "Decrypt", "generate-data-key": "GenerateDataKey",
          "sign-ecc": "Sign", "sign-rsa": "Sign", "create-key": "CreateKey"}

CONFIG = f"""
[[accounts]]
id = "111122223333"

[[accounts.access_keys]]
id = "{AKID}"
secret = "{SECRET}"

[quotas]
enabled = false
keys_per_region = 10000000
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def children_of(pid):
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            out.append(int(name))
    return out


def cpu(pids):
    total = 0.0
    for p in pids:
        try:
            total += rb.proc_cpu_s(p)
        except (OSError, IndexError, ValueError):
            pass
    return total


class Pg:
    """The PostgreSQL server the runs use (scripts/postgres.sh started it, pinned)."""

    def __init__(self, url, data_dir):
        self.url = url.rstrip("/")
        self.host, self.port = self.url.rsplit("@", 1)[1].split(":")
        with open(os.path.join(data_dir, "postmaster.pid")) as f:
            self.postmaster = int(f.readline())

    def psql(self, db, sql):
        out = subprocess.run(["psql", "-At", "-h", self.host, "-p", self.port, "-U", "trent",
                              "-d", db, "-c", sql], check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def fresh(self, name):
        self.psql("postgres", f"DROP DATABASE IF EXISTS {name}")
        self.psql("postgres", f"CREATE DATABASE {name}")
        self.psql(name, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        return f"{self.url}/{name}"

    def pids(self):
        return [self.postmaster] + children_of(self.postmaster)

    def counters(self, db):
        """(statements, transactions, statements reading the keys table) so far in `db`."""
        stmts = self.psql(db, "SELECT COALESCE(sum(calls), 0), COALESCE(sum(calls) FILTER ("
                              "WHERE query ILIKE '%FROM keys%' OR query ILIKE '%FROM key_materials%'), 0) "
                              "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database "
                              "WHERE datname = current_database()) AND query NOT ILIKE '%pg_stat%'")
        calls, key_reads = (int(float(x)) for x in stmts.split("|"))
        xacts = int(self.psql(db, "SELECT xact_commit + xact_rollback FROM pg_stat_database "
                                  "WHERE datname = current_database()"))
        return calls, xacts, key_reads

    def top(self, db, n=6):
        return self.psql(db, "SELECT calls, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) "
                             "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database "
                             "WHERE datname = current_database()) AND query NOT ILIKE '%pg_stat%' "
                             f"ORDER BY calls DESC LIMIT {n}")


class Target:
    """One or more server processes on one port."""

    def __init__(self, name, port, procs, pg=None, db=None):
        self.name, self.port, self.procs, self.pg, self.db = name, port, procs, pg, db

    def pids(self):
        out = []
        for p in self.procs:
            out.append(p.pid)
            out.extend(children_of(p.pid))
        return out

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def start_trent(a, name, store, nodes, tmp, ephemeral=False):
    port = free_port()
    cfg = os.path.join(tmp, "config.toml")
    with open(cfg, "w") as f:
        f.write(CONFIG)
    procs = []
    first_data = None
    for n in range(nodes):
        data = os.path.join(tmp, f"{name}-node{n}")
        if first_data:
            os.makedirs(data, exist_ok=True)
            shutil.copy(os.path.join(first_data, "root.key"), os.path.join(data, "root.key"))
        cmd = ["taskset", "-c", SERVER_CORE, a.trent, "serve", "--listen", f"127.0.0.1:{port}",
               "--config", cfg, "--store", store]
        cmd += ["--ephemeral"] if ephemeral else ["--data-dir", data]
        if nodes > 1:
            cmd.append("--reuse-port")
        procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      env=dict(os.environ, RUST_LOG="warn")))
        if n == 0:
            rb.wait_port(port)
            first_data = data
        else:
            time.sleep(1.5)
        if procs[-1].poll() is not None:
            raise RuntimeError(f"{name}: node {n} exited at start")
    return Target(name, port, procs)


def start_plain(name, cmd):
    port = free_port()
    p = subprocess.Popen(["taskset", "-c", SERVER_CORE] + [c.replace("PORT", str(port)) for c in cmd],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rb.wait_port(port)
    return Target(name, port, [p])


def requests(port, reqdir, kms_port=None):
    """Makes the keys and signs one request file per operation for the server on `port`."""
    endpoint = f"http://127.0.0.1:{kms_port or port}"
    kms = boto3.client("kms", endpoint_url=endpoint, region_name=REGION,
                       aws_access_key_id=AKID, aws_secret_access_key=SECRET)
    sym = kms.create_key()["KeyMetadata"]["KeyId"]
    ecc = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    rsa = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    plaintext = bytes((i * 7 + 3) & 0xFF for i in range(4096))
    b64 = lambda b: base64.b64encode(b).decode()
    blob = kms.encrypt(KeyId=sym, Plaintext=plaintext)["CiphertextBlob"]
    payloads = {
        "encrypt": {"KeyId": sym, "Plaintext": b64(plaintext)},
        "decrypt": {"CiphertextBlob": b64(blob), "KeyId": sym},
        "generate-data-key": {"KeyId": sym, "KeySpec": "AES_256"},
        "sign-ecc": {"KeyId": ecc, "Message": b64(b"m" * 32), "MessageType": "RAW",
                     "SigningAlgorithm": "ECDSA_SHA_256"},
        "sign-rsa": {"KeyId": rsa, "Message": b64(b"m" * 32), "MessageType": "RAW",
                     "SigningAlgorithm": "RSASSA_PSS_SHA_256"},
        "create-key": {"Description": "bench"},
    }
    signer = SimpleNamespace(endpoint=f"http://127.0.0.1:{port}", region=REGION,
                             access_key=AKID, secret_key=SECRET, session_token="")
    os.makedirs(reqdir, exist_ok=True)
    for op, payload in payloads.items():
        with open(os.path.join(reqdir, f"{op}.req"), "w") as f:
            f.write(signed_request(signer, TARGET[op], payload))


def measure(t, op, conns, secs, reqfile):
    pg_pids = t.pg.pids() if t.pg else []
    before = t.pg.counters(t.db) if t.pg else None
    c0, p0, w0 = cpu(t.pids()), cpu(pg_pids), time.time()
    per0 = [cpu([p.pid]) for p in t.procs]
    r = rb.wrk(WRK_CORE, t.port, conns, secs, reqfile)
    c1, p1, w1 = cpu(t.pids()), cpu(pg_pids), time.time()
    per1 = [cpu([p.pid]) for p in t.procs]
    wall = w1 - w0
    done = max(1.0, r["rps"] * secs)
    r.update(server=t.name, op=op, conns=conns,
             server_cpu_pct=100 * (c1 - c0) / wall,
             cpu_us_per_req=1e6 * (c1 - c0) / done,
             node_cpu_pct=[round(100 * (b - a) / wall, 1) for a, b in zip(per0, per1)])
    if t.pg:
        after = t.pg.counters(t.db)
        r.update(pg_cpu_pct=100 * (p1 - p0) / wall, pg_cpu_us_per_req=1e6 * (p1 - p0) / done,
                 db_statements=after[0] - before[0], db_transactions=after[1] - before[1],
                 db_key_reads=after[2] - before[2],
                 db_statements_per_req=(after[0] - before[0]) / done)
    return r


def run_target(a, t, reqdir, out):
    try:
        if t.name != "hello":  # the hello server's requests were made with Trent's keys
            requests(t.port, reqdir)
        ops = [o for o in a.ops.split(",") if not (o == "create-key" and t.name == "hello")]
        for op in ops:
            rb.wrk(WRK_CORE, t.port, 8, 1, os.path.join(reqdir, f"{op}.req"))  # warm-up
        for op in ops:
            for c in [int(x) for x in a.conns.split(",")]:
                r = measure(t, op, c, a.duration, os.path.join(reqdir, f"{op}.req"))
                out.write(json.dumps(r) + "\n")
                out.flush()
                extra = ""
                if t.pg:
                    extra = (f" pg={r['pg_cpu_pct']:5.1f}% db-stmts/req={r['db_statements_per_req']:.3f}"
                             f" key-reads={r['db_key_reads']}")
                print(f"{t.name:6} {op:17} c={c:<3} rps={r['rps']:>9.1f} p50={r['p50_us']/1000:6.2f}ms "
                      f"p99={r['p99_us']/1000:6.2f}ms cpu={r['server_cpu_pct']:5.1f}% "
                      f"nodes={r['node_cpu_pct']} non2xx={int(r['err_status'])}{extra}", flush=True)
        if t.pg:
            print(t.pg.top(t.db), flush=True)
    finally:
        t.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trent", default=os.path.join(ROOT, "target/release/trent"))
    ap.add_argument("--hello", required=True)
    ap.add_argument("--pg-url", required=True, help="postgres://trent@127.0.0.1:PORT (no database)")
    ap.add_argument("--pg-data", required=True, help="the cluster's data directory (for its PIDs)")
    ap.add_argument("--moto", default="moto_server")
    ap.add_argument("--targets", default="sqlite,pg1,pg2,moto,hello")
    ap.add_argument("--ops", default=",".join(OPS))
    ap.add_argument("--conns", default="1,8,64")
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--out", default="results.jsonl")
    a = ap.parse_args()
    pg = Pg(a.pg_url, a.pg_data)
    out = open(a.out, "a")
    tmp = tempfile.mkdtemp(prefix="trent-bench")
    reqdir_of = lambda name: os.path.join(tmp, f"req-{name}")
    for name in a.targets.split(","):
        if name == "sqlite":
            t = start_trent(a, name, "sqlite", 1, tmp)
        elif name == "ephemeral":  # trent serve --ephemeral: SQLite without fsync
            t = start_trent(a, name, "sqlite", 1, tmp, ephemeral=True)
        elif name in ("pg1", "pg2"):
            url = pg.fresh(f"bench_{name}")
            t = start_trent(a, name, url, 1 if name == "pg1" else 2, tmp)
            t.pg, t.db = pg, f"bench_{name}"
        elif name == "moto":
            t = start_plain(name, [a.moto, "-H", "127.0.0.1", "-p", "PORT"])
        elif name == "hello":
            # Same request files as SQLite's Trent, re-signed for the hello server's port (it
            # does not check them): the same bytes on the wire.
            t = start_plain(name, [a.hello, "PORT"])
            helper = start_trent(a, "sign-helper", "sqlite", 1, tmp)
            try:
                requests(t.port, reqdir_of(name), helper.port)
            finally:
                helper.stop()
        else:
            raise SystemExit(f"unknown target {name}")
        run_target(a, t, reqdir_of(name), out)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
