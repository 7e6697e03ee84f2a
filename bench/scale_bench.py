#!/usr/bin/env python3
"""Costs that stay flat as the work grows: many keys, a bounded key cache, many grants.

One release `trent serve` (durable SQLite) in a throwaway data directory (or --data-dir, kept and
reused, since a million keys take a while to make), driven by wrk and bench/sign.py's signed
requests. Phases (--phases, in this order):

  keys     CreateKey at 64 connections in --chunk-second runs until the Region holds --keys keys:
           the rate of each run, so the first and the last can be compared.
  list     ListKeys (Limit 1000) through every key: the time of each page, first and last.
  restart  the server stopped and started again on the same data: the time until /ready, and
           its resident memory then (keys are loaded lazily, so it holds none).
  grants   --grants grants on one key, to 1,000 roles of another account and, half way, one to
           the IAM user "grantee": CreateGrant's rate as they grow; then Encrypt by "grantee" with its grant
           token on that key and on a key with only its own grant (signed, 64 connections,
           alternated), and ListGrants (Limit 100) through all of them against the one-grant key.
  random   Encrypt (4 KB) of keys drawn at random from every key the list phase saw, through a
           key cache of --cache keys, beside Encrypt of one warm key, in the same run and the
           same mode: the server runs with --dev (any signature accepted), because a body that
           names a random key cannot carry a signature made in advance (bench/wrk_random_key.lua).
           Reports requests/s, the cache's hit rate from /metrics, resident memory and its peak.
  bulk     (not in the default phases) --bulk-events events written straight into the stopped
           server's trail, cloned from its own events, chained and indexed as Trent does, spread
           over the last --bulk-hours hours; then the server is started again.
  audit    LookupEvents (50 a page) for the last hour, the last hour's CreateGrant calls and an
           empty hour a day ago; then, stopped, the trail's size per event, `trent audit verify`
           and `trent audit search` (the same windows): time and peak memory.

    cargo build --release --locked --bin trent
    python3 bench/scale_bench.py --keys 1000000 --cache 100000 --grants 50000 --out scale.jsonl

Writes one JSON line per measurement (phase, and its figures) to --out, and prints each one.
Needs Python's standard library, wrk and a release build (TRENT_BIN).
"""
import argparse
import base64
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import harness as h
import sign

ROOT_KEY = ("AKIDBENCHEXAMPLE", "bench-secret")
GRANTEE_KEY = ("AKIDGRANTEEEXAMPLE", "grantee-secret")
ACCOUNT = "111122223333"
GRANTEE_ARN = f"arn:aws:iam::{ACCOUNT}:user/grantee"
HERE = os.path.dirname(os.path.abspath(__file__))
RANDOM_LUA = os.path.join(HERE, "wrk_random_key.lua")
PLAINTEXT = base64.b64encode(bytes((i * 7 + 3) & 0xFF for i in range(4096))).decode()


def config_text(max_keys):
    return f"""
[[accounts]]
id = "{ACCOUNT}"

[[accounts.users]]
name = "grantee"

[[accounts.access_keys]]
id = "{ROOT_KEY[0]}"
secret = "{ROOT_KEY[1]}"

[[accounts.access_keys]]
id = "{GRANTEE_KEY[0]}"
secret = "{GRANTEE_KEY[1]}"
user = "grantee"

[quotas]
enabled = false
keys_per_region = {max_keys}
"""


def memory_kib(pid):
    """(VmRSS, VmHWM) of `pid` in KiB."""
    found = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(value.split()[0])
    return found.get("VmRSS", 0), found.get("VmHWM", 0)


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


class Trent:
    """A release `trent serve` on a data directory; `started_s` is the time until /ready."""

    def __init__(self, data_dir, config, cache, dev=False, core=None):
        self.port = h.free_port()
        self.log = open(os.path.join(os.path.dirname(data_dir), "trent.log"), "ab")
        cmd = [os.environ.get("TRENT_BIN", os.path.join(HERE, "..", "target", "release", "trent")),
               "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", data_dir,
               "--config", config, "--key-cache-size", str(cache)] + (["--dev"] if dev else [])
        t0 = time.time()
        self.proc = subprocess.Popen(h.pinned(cmd, core), stdout=self.log, stderr=subprocess.STDOUT,
                                     env=dict(os.environ, RUST_LOG=os.environ.get("RUST_LOG", "warn")))
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"trent exited with {self.proc.returncode}; see {self.log.name}")
            try:
                if get(self.port, "/ready")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.02)
        self.started_s = time.time() - t0
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def kms(self, creds=ROOT_KEY):
        return sign.Kms(self.endpoint, sign.Signer(*creds))

    def metrics(self):
        _, text = get(self.port, "/metrics")
        out = {}
        for line in text.splitlines():
            if line.startswith("trent_key_cache_"):
                name, value = line.rsplit(" ", 1)
                out[name[len("trent_key_cache_"):]] = float(value)
        return out

    def memory_mib(self):
        rss, hwm = memory_kib(self.proc.pid)
        return round(rss / 1024, 1), round(hwm / 1024, 1)

    def cpu_s(self):
        return h.cpu_s([self.proc.pid])

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def request_file(trent, work, name, target, payload, creds=ROOT_KEY):
    path = os.path.join(work, f"{name}.req")
    with open(path, "w") as f:
        f.write(sign.request_file(sign.Signer(*creds), trent.endpoint, target, payload))
    return path


def load(trent, req, conns, secs, core, script=h.WRK_LUA, extra_env=None, label=""):
    """One wrk run with the server's CPU time per request."""
    c0 = trent.cpu_s()
    r = h.wrk(trent.port, conns, secs, req, core=core, script=script, extra_env=extra_env, label=label)
    r["cpu_us_per_req"] = round(1e6 * (trent.cpu_s() - c0) / max(1.0, r["requests"]), 1)
    return r


def phase_keys(a, trent, work, emit):
    have = count_keys(trent) if a.data_dir else 0
    while have < a.keys:
        req = request_file(trent, work, "create-key", "CreateKey", {"Description": "scale"})
        r = load(trent, req, 64, a.chunk_seconds, a.wrk_core, label="create-key")
        made = int(r["requests"] - r["err_status"])
        emit({"phase": "keys", "keys_before": have, "made": made, "rps": r["rps"],
              "p99_ms": r["p99_us"] / 1000, "errors": r["err_status"],
              "cpu_us_per_req": r["cpu_us_per_req"]})
        have += made
        if made == 0:
            raise RuntimeError("CreateKey made no keys: see the log")


def count_keys(trent):
    return sum(1 for _ in list_all(trent.kms(), lambda seconds: None))


def list_all(kms, timed):
    marker = None
    while True:
        params = {"Limit": 1000}
        if marker:
            params["Marker"] = marker
        t0 = time.perf_counter()
        page = kms.call("ListKeys", params)
        timed(time.perf_counter() - t0)
        for k in page["Keys"]:
            yield k["KeyId"]
        if not page.get("Truncated"):
            return
        marker = page["NextMarker"]


def phase_list(a, trent, work, emit):
    times = []
    t0 = time.perf_counter()
    with open(os.path.join(work, "keys.txt"), "w") as f:
        n = 0
        for key in list_all(trent.kms(), times.append):
            f.write(key + "\n")
            n += 1
    total = time.perf_counter() - t0
    ms = lambda xs: round(1000 * sum(xs) / max(1, len(xs)), 2)
    emit({"phase": "list", "keys": n, "pages": len(times), "total_s": round(total, 2),
          "first10_page_ms": ms(times[:10]), "last10_page_ms": ms(times[-10:]),
          "max_page_ms": round(1000 * max(times), 2)})
    return n


def phase_random(a, trent, work, emit):
    keys_file = os.path.join(work, "keys.txt")
    with open(keys_file) as f:
        first = f.readline().strip()
    template = request_file(trent, work, "encrypt-random", "Encrypt",
                            {"KeyId": "@KEY@", "Plaintext": PLAINTEXT})
    one = request_file(trent, work, "encrypt-one", "Encrypt", {"KeyId": first, "Plaintext": PLAINTEXT})
    env = {"KEYS_FILE": keys_file, "WRK_BASE_LUA": h.WRK_LUA}
    # Fill the cache first, then measure: the hit rate of a full cache.
    load(trent, template, 64, a.warm_seconds, a.wrk_core, RANDOM_LUA, env)
    for rep in range(a.repeats):
        load(trent, one, 64, 2, a.wrk_core)
        r1 = load(trent, one, 64, a.seconds, a.wrk_core, label="one-key")
        m0 = trent.metrics()
        r = load(trent, template, 64, a.seconds, a.wrk_core, RANDOM_LUA, dict(env, SEED=str(rep)),
                 label="random")
        m1 = trent.metrics()
        hits, misses = m1["hits"] - m0["hits"], m1["misses"] - m0["misses"]
        rss, hwm = trent.memory_mib()
        emit({"phase": "random", "rep": rep, "cache": a.cache, "entries": m1["entries"],
              "evictions": m1["evictions"] - m0["evictions"],
              "hit_rate": round(hits / max(1.0, hits + misses), 4),
              "rps": r["rps"], "p99_ms": r["p99_us"] / 1000, "cpu_us_per_req": r["cpu_us_per_req"],
              "errors": r["err_status"], "one_key_rps": r1["rps"],
              "one_key_cpu_us_per_req": r1["cpu_us_per_req"],
              "ratio_to_one_key": round(r["rps"] / max(1.0, r1["rps"]), 3),
              "rss_mib": rss, "peak_rss_mib": hwm})


class Caller:
    """Signed calls on one kept-alive connection (the setup's CreateGrant loop)."""

    def __init__(self, trent, creds):
        self.signer, self.host = sign.Signer(*creds), sign.host_of(trent.endpoint)
        self.c = http.client.HTTPConnection("127.0.0.1", trent.port, timeout=60)

    def call(self, target, payload):
        body = sign.body_of(payload)
        self.c.request("POST", "/", body=body, headers=self.signer.headers(self.host, target, body))
        r = self.c.getresponse()
        text = r.read()
        if r.status != 200:
            raise RuntimeError(f"{target}: HTTP {r.status}: {text[:300]!r}")
        return json.loads(text)


def make_grants(trent, key, count, emit, threads=4):
    """`count` grants on `key` from `threads` connections; the one to GRANTEE_ARN half way."""
    lock, done, token = threading.Lock(), [0], {}
    chunk_start = [time.perf_counter(), 0]

    def worker(indices):
        caller = Caller(trent, ROOT_KEY)
        for i in indices:
            grantee = GRANTEE_ARN if i == count // 2 else f"arn:aws:iam::444455556666:role/r{i % 1000}"
            out = caller.call("CreateGrant", {"KeyId": key, "GranteePrincipal": grantee,
                                              "Operations": ["Encrypt", "Decrypt"]})
            with lock:
                if grantee == GRANTEE_ARN:
                    token["token"] = out["GrantToken"]
                done[0] += 1
                if done[0] % max(1, count // 10) == 0:
                    now = time.perf_counter()
                    emit({"phase": "grants-create", "grants": done[0],
                          "rps": round((done[0] - chunk_start[1]) / (now - chunk_start[0]), 1)})
                    chunk_start[:] = [now, done[0]]

    parts = [range(t, count, threads) for t in range(threads)]
    ts = [threading.Thread(target=worker, args=(p,)) for p in parts]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return token["token"]


def phase_grants(a, trent, work, emit):
    kms = trent.kms()
    many = kms.create_key(Description="many grants")
    t0 = time.perf_counter()
    token_many = make_grants(trent, many, a.grants, emit)
    emit({"phase": "grants-made", "grants": a.grants, "seconds": round(time.perf_counter() - t0, 1)})
    one = kms.create_key(Description="one grant")
    token_one = kms.call("CreateGrant", {"KeyId": one, "GranteePrincipal": GRANTEE_ARN,
                                         "Operations": ["Encrypt", "Decrypt"]})["GrantToken"]
    for rep in range(a.repeats):
        for label, key, token in (("one-grant", one, token_one), ("many-grants", many, token_many)):
            req = request_file(trent, work, f"encrypt-{label}", "Encrypt",
                               {"KeyId": key, "Plaintext": PLAINTEXT, "GrantTokens": [token]},
                               creds=GRANTEE_KEY)
            load(trent, req, 64, 2, a.wrk_core)
            r = load(trent, req, 64, a.seconds, a.wrk_core, label=label)
            emit({"phase": "grants-encrypt", "rep": rep, "key": label, "rps": r["rps"],
                  "p99_ms": r["p99_us"] / 1000, "cpu_us_per_req": r["cpu_us_per_req"],
                  "errors": r["err_status"]})
    for label, key in (("one-grant", one), ("many-grants", many)):
        times, marker, n = [], None, 0
        while True:
            params = {"KeyId": key, "Limit": 100}
            if marker:
                params["Marker"] = marker
            t0 = time.perf_counter()
            page = kms.call("ListGrants", params)
            times.append(time.perf_counter() - t0)
            n += len(page["Grants"])
            if not page.get("Truncated"):
                break
            marker = page["NextMarker"]
        ms = lambda xs: round(1000 * sum(xs) / max(1, len(xs)), 2)
        emit({"phase": "grants-list", "key": label, "grants": n, "pages": len(times),
              "mean_page_ms": ms(times), "first10_page_ms": ms(times[:10]),
              "last10_page_ms": ms(times[-10:]), "total_s": round(sum(times), 2)})


LOOKUP = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"


def timed_run(cmd):
    """(seconds, peak resident MiB) of a command, by /usr/bin/time."""
    out = subprocess.run(["/usr/bin/time", "-f", "TIME %e %M"] + cmd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, check=True).stderr
    line = [l for l in out.splitlines() if l.startswith("TIME ")][-1].split()
    return float(line[1]), round(int(line[2]) / 1024, 1)


def audit_sizes(db):
    """(events, bytes of the audit tables and their indexes) of a SQLite store, by dbstat."""
    import sqlite3
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        events = c.execute("SELECT COUNT(*) FROM audit_events").fetchone()[0]
        try:
            size = c.execute("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'audit%'").fetchone()[0]
        except sqlite3.OperationalError:  # no dbstat in this SQLite: the whole file
            size = os.path.getsize(db)
        return events, size
    finally:
        c.close()


def phase_bulk(a, trent, data, config, emit):
    """Fills the trail with --bulk-events events spread evenly over the last --bulk-hours hours,
    written straight into the stopped server's SQLite file as Trent writes them: cloned from
    real events of this server (Encrypt 60%, Decrypt 30%, GenerateDataKey 9%, CreateGrant 1%)
    with fresh ids and times, chained with the same SHA-256 (`audit::chain_hash`), indexed by
    account, event name and key, times never decreasing along the chain. The restarted server
    signs the digest that covers them. Returns the restarted server."""
    import hashlib
    import sqlite3
    import uuid
    kms = trent.kms()
    key = kms.call("CreateKey", {})["KeyMetadata"]["KeyId"]
    blob = kms.call("Encrypt", {"KeyId": key, "Plaintext": PLAINTEXT})["CiphertextBlob"]
    kms.call("Decrypt", {"CiphertextBlob": blob})
    kms.call("GenerateDataKey", {"KeyId": key, "KeySpec": "AES_256"})
    kms.call("CreateGrant", {"KeyId": key, "GranteePrincipal": GRANTEE_ARN, "Operations": ["Encrypt"]})
    trent.stop()
    db = sqlite3.connect(os.path.join(data, "trent.db"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    templates = {}
    for name in ("Encrypt", "Decrypt", "GenerateDataKey", "CreateGrant"):
        text, account = db.execute("SELECT event, account FROM audit_events WHERE event_name = ? "
                                   "ORDER BY seq DESC LIMIT 1", (name,)).fetchone()
        event = json.loads(text)
        templates[name] = (text, account, event["eventID"], event.get("requestID"), event["eventTime"])
    mix = ["Encrypt"] * 60 + ["Decrypt"] * 30 + ["GenerateDataKey"] * 9 + ["CreateGrant"]
    seq, prev = db.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
    end_ms = int(time.time() * 1000)
    start_ms = end_ms - a.bulk_hours * 3600 * 1000
    step = (end_ms - start_ms) / a.bulk_events
    # The few real events come first in the chain: their times go back to the span's start, so
    # that times never decrease (the time column is outside the hash chain).
    db.execute("UPDATE audit_events SET time = ?", (start_ms,))
    t0, done, batch = time.time(), 0, 20000
    while done < a.bulk_events:
        db.execute("BEGIN")
        rows, keys = [], []
        for i in range(done, min(done + batch, a.bulk_events)):
            name = mix[i % len(mix)]
            text, account, event_id, request_id, event_time = templates[name]
            t = int(start_ms + i * step)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t / 1000))
            out = text.replace(event_id, str(uuid.uuid4())).replace(event_time, stamp)
            if request_id:
                out = out.replace(request_id, str(uuid.uuid4()))
            seq += 1
            prev = hashlib.sha256(prev + seq.to_bytes(8, "big", signed=True) + out.encode()).digest()
            rows.append((seq, t, out, prev, account, name))
            keys.append((key, seq))
        db.executemany("INSERT INTO audit_events (seq, time, event, hash, account, event_name) "
                       "VALUES (?, ?, ?, ?, ?, ?)", rows)
        db.executemany("INSERT INTO audit_keys (key_id, seq) VALUES (?, ?)", keys)
        db.execute("COMMIT")
        done += len(rows)
        if done % 1_000_000 < batch:
            emit({"phase": "bulk-progress", "events": done, "seconds": round(time.time() - t0, 1)})
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    emit({"phase": "bulk", "events": a.bulk_events, "hours": a.bulk_hours,
          "seconds": round(time.time() - t0, 1)})
    trent = Trent(data, config, a.cache, core=a.server_core)
    emit({"phase": "bulk-restart", "seconds": round(trent.started_s, 3),
          "rss_mib": trent.memory_mib()[0]})
    return trent


def phase_audit(a, trent, data, emit):
    trail = sign.Kms(trent.endpoint, sign.Signer(*ROOT_KEY, service="cloudtrail"))
    now = time.time()
    windows = {"last-hour": {"StartTime": now - 3600, "EndTime": now},
               "last-hour-CreateGrant": {"StartTime": now - 3600, "EndTime": now, "LookupAttributes": [
                   {"AttributeKey": "EventName", "AttributeValue": "CreateGrant"}]},
               "a-day-ago": {"StartTime": now - 86400, "EndTime": now - 82800},
               "a-week-ago": {"StartTime": now - 7 * 86400, "EndTime": now - 7 * 86400 + 3600}}
    for label, params in windows.items():
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            got = trail.call(LOOKUP, dict(params, MaxResults=50))
            times.append(time.perf_counter() - t0)
        emit({"phase": "audit-lookup", "window": label, "events": len(got.get("Events", [])),
              "median_ms": round(1000 * sorted(times)[2], 2), "max_ms": round(1000 * max(times), 2)})
    trent.stop()
    binary = os.environ.get("TRENT_BIN", os.path.join(HERE, "..", "target", "release", "trent"))
    events, size = audit_sizes(os.path.join(data, "trent.db"))
    emit({"phase": "audit-size", "events": events, "audit_mib": round(size / 2**20, 1),
          "bytes_per_event": round(size / max(1, events))})
    seconds, peak = timed_run([binary, "audit", "verify", "--data-dir", data])
    emit({"phase": "audit-verify", "events": events, "seconds": seconds, "peak_rss_mib": peak,
          "us_per_event": round(1e6 * seconds / max(1, events), 2)})
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 3600))
    until = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
    for label, extra in (("last-hour", []), ("last-hour-CreateGrant", ["--event-name", "CreateGrant"])):
        seconds, peak = timed_run([binary, "audit", "search", "--data-dir", data, "--since", since,
                                   "--until", until, "--limit", "50"] + extra)
        emit({"phase": "audit-search", "window": label, "limit": 50, "seconds": seconds,
              "peak_rss_mib": peak})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--phases", default="keys,list,restart,grants,random,audit")
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--cache", default="100000",
                    help="--key-cache-size of the random phase; several, comma-separated, run in turn")
    ap.add_argument("--grants", type=int, default=50_000)
    ap.add_argument("--bulk-events", type=int, default=10_000_000,
                    help="events the bulk phase writes into the trail")
    ap.add_argument("--bulk-hours", type=int, default=48, help="the hours they are spread over")
    ap.add_argument("--chunk-seconds", type=int, default=20)
    ap.add_argument("--seconds", type=int, default=10, help="each measured wrk run")
    ap.add_argument("--warm-seconds", type=int, default=30, help="random keys before measuring")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--server-core", default="0", help="taskset core of the server ('' for none)")
    ap.add_argument("--wrk-core", default="1")
    ap.add_argument("--data-dir", default="", help="keep the data here (and reuse what it holds)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    a.server_core, a.wrk_core = a.server_core or None, a.wrk_core or None
    phases = a.phases.split(",")
    work = tempfile.mkdtemp(prefix="trent-scale-")
    base = a.data_dir or work
    os.makedirs(base, exist_ok=True)
    data, config = os.path.join(base, "data"), os.path.join(base, "config.toml")
    with open(config, "w") as f:
        f.write(config_text(max(2 * a.keys, 100_000)))
    out = open(a.out, "a")

    def emit(row):
        row = dict(row, at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        out.write(json.dumps(row) + "\n")
        out.flush()
        print(json.dumps(row), flush=True)

    caches = [int(c) for c in a.cache.split(",")]
    a.cache = caches[-1]
    trent = Trent(data, config, a.cache, core=a.server_core)
    emit({"phase": "start", "seconds": round(trent.started_s, 3), "rss_mib": trent.memory_mib()[0]})
    try:
        if "keys" in phases:
            phase_keys(a, trent, work, emit)
        if "list" in phases or "random" in phases:
            phase_list(a, trent, work, emit)
        if "restart" in phases:
            trent.stop()
            trent = Trent(data, config, a.cache, core=a.server_core)
            db = os.path.join(data, "trent.db")
            emit({"phase": "restart", "seconds": round(trent.started_s, 3),
                  "rss_mib": trent.memory_mib()[0],
                  "db_mib": round(os.path.getsize(db) / 2**20, 1) if os.path.exists(db) else None})
        if "grants" in phases:
            phase_grants(a, trent, work, emit)
        if "random" in phases:
            for cache in caches:
                trent.stop()
                a.cache = cache
                trent = Trent(data, config, cache, dev=True, core=a.server_core)
                emit({"phase": "start-dev", "cache": cache, "seconds": round(trent.started_s, 3),
                      "rss_mib": trent.memory_mib()[0]})
                phase_random(a, trent, work, emit)
        if "bulk" in phases:
            trent = phase_bulk(a, trent, data, config, emit)
        if "audit" in phases:
            phase_audit(a, trent, data, emit)
    finally:
        trent.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
