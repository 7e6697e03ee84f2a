#!/usr/bin/env python3
"""Issue 15's soak benchmark: legitimate signed traffic while an attacker runs every front-door
attack at once, compared with the same traffic on a quiet server.

One release `trent serve` (embedded SQLite, durable audit trail) is pinned to core 0. Several
legitimate clients (one process and one keep-alive connection each, SigV4 by botocore) run a
mix of Encrypt 4 KB, Decrypt, GenerateDataKey, DescribeKey and Sign on core 1, in three phases:

  quiet   the clients alone;
  flood   plus unauthenticated requests with ~80 KB of headers and body, as fast as they are
          answered (issue 15, item 2: a signed client's latency during such a flood);
  soak    plus every attack of issue 15 at once, from ten source addresses: slow heads (one
          header line every 9 s), silent connections, bodies 64 KiB short of their declared
          length, bodies that never end, plain-text HTTP/2, oversized unauthenticated requests,
          duplicated Authorization components, a connection-cap probe, and an authenticated
          attacker account scanning LookupEvents, flooding AssumeRole and the admin API, and
          sending encryption contexts whose keys differ only in case.

The attacker runs at nice 10 on the clients' core, the clients at nice -5 (when run as root), so
that the clients measure the server rather than their contention with the attacker. Every second the server's resident memory
and open files are sampled. Afterwards the server is stopped and `trent audit verify` must pass.

    bench/soak.sh                                   # builds what it needs, then runs this
    python3 bench/soak.py --trent target/release/trent --quiet 120 --flood 120 --soak 600 \
        --out bench/results-soak.json

Prints a Markdown summary; `--out` keeps the figures as JSON.
"""
import argparse, asyncio, base64, http.client, json, multiprocessing as mp, os, random
import signal, socket, statistics, subprocess, sys, tempfile, threading, time

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

REGION = "us-east-1"
LEGIT = ("AKIASOAKLEGIT0000001", "soak-legit-secret-00000000000000000000")
ATTACKER = ("AKIASOAKATTACKER0001", "soak-attacker-secret-0000000000000000")
SERVER_CORE, CLIENT_CORE = "0", "1"

CONFIG = f"""
[[accounts]]
id = "111122223333"
regions = ["us-east-1"]
[[accounts.access_keys]]
id = "{LEGIT[0]}"
secret = "{LEGIT[1]}"

[[accounts]]
id = "444455556666"
regions = ["us-east-1"]
[[accounts.access_keys]]
id = "{ATTACKER[0]}"
secret = "{ATTACKER[1]}"
"""


# ---------------------------------------------------------------------------------------------
# Signed requests

def signed(port, who, target, payload, service="kms"):
    """Headers and body of a request signed as `who`, as the AWS SDKs sign it."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    prefix = {"kms": "TrentService.",
              "cloudtrail": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.",
              "admin": "TrentAdmin."}[service]
    headers = {"Host": f"127.0.0.1:{port}", "X-Amz-Target": prefix + target,
               "Content-Type": "application/x-amz-json-1.1"}
    req = AWSRequest(method="POST", url=f"http://127.0.0.1:{port}/", data=body, headers=headers)
    signing = {"admin": "kms"}.get(service, service)
    SigV4Auth(Credentials(*who), signing, REGION).add_auth(req)
    return dict(req.headers.items()), body


def call(conn, port, who, target, payload, service="kms"):
    headers, body = signed(port, who, target, payload, service)
    conn.request("POST", "/", body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, data


def setup(port):
    """The legitimate account's keys and a ciphertext to decrypt; the attacker's key."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    def ok(who, target, payload):
        status, data = call(conn, port, who, target, payload)
        if status != 200:
            raise SystemExit(f"setup {target}: {status} {data[:300]!r}")
        return json.loads(data)
    key = ok(LEGIT, "CreateKey", {})["KeyMetadata"]["KeyId"]
    sign_key = ok(LEGIT, "CreateKey", {"KeySpec": "ECC_NIST_P256",
                                       "KeyUsage": "SIGN_VERIFY"})["KeyMetadata"]["KeyId"]
    plaintext = base64.b64encode(os.urandom(4096)).decode()
    blob = ok(LEGIT, "Encrypt", {"KeyId": key, "Plaintext": plaintext})["CiphertextBlob"]
    attacker_key = ok(ATTACKER, "CreateKey", {})["KeyMetadata"]["KeyId"]
    conn.close()
    return {"key": key, "sign_key": sign_key, "plaintext": plaintext, "blob": blob,
            "attacker_key": attacker_key}


# ---------------------------------------------------------------------------------------------
# Legitimate clients

MIX = ["Encrypt"] * 8 + ["Decrypt"] * 6 + ["GenerateDataKey"] * 4 + ["DescribeKey", "Sign"]


def legit_client(port, keys, deadline, out):
    """One client: one keep-alive connection, requests back to back until the deadline."""
    os.sched_setaffinity(0, {int(CLIENT_CORE)})
    # The clients share their core with the attacker; ahead of it (as on a machine of their
    # own), so that what they measure is the server, not the load generator. Root only.
    try:
        os.nice(-5)
    except OSError:
        pass
    payloads = {
        "Encrypt": {"KeyId": keys["key"], "Plaintext": keys["plaintext"]},
        "Decrypt": {"CiphertextBlob": keys["blob"]},
        "GenerateDataKey": {"KeyId": keys["key"], "KeySpec": "AES_256"},
        "DescribeKey": {"KeyId": keys["key"]},
        "Sign": {"KeyId": keys["sign_key"], "Message": base64.b64encode(b"m" * 32).decode(),
                 "MessageType": "RAW", "SigningAlgorithm": "ECDSA_SHA_256"},
    }
    latencies, errors, i = [], {}, random.randrange(len(MIX))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.time() < deadline:
        op = MIX[i % len(MIX)]
        i += 1
        headers, body = signed(port, LEGIT, op, payloads[op])
        start = time.perf_counter()
        try:
            conn.request("POST", "/", body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            status = resp.status
        except (OSError, http.client.HTTPException) as e:
            status, data = type(e).__name__, b""
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        elapsed = time.perf_counter() - start
        if status == 200:
            latencies.append(elapsed)
        else:
            key = f"{op}:{status}:{data[:80]!r}"
            errors[key] = errors.get(key, 0) + 1
    out.put({"latencies": latencies, "errors": errors})


def run_clients(port, keys, seconds, clients):
    out = mp.Queue()
    deadline = time.time() + seconds
    procs = [mp.Process(target=legit_client, args=(port, keys, deadline, out))
             for _ in range(clients)]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    latencies = sorted(l for r in results for l in r["latencies"])
    errors = {}
    for r in results:
        for k, v in r["errors"].items():
            errors[k] = errors.get(k, 0) + v
    def q(f):
        return latencies[min(len(latencies) - 1, int(f * len(latencies)))] * 1000
    return {"seconds": seconds, "clients": clients, "requests": len(latencies),
            "per_second": round(len(latencies) / seconds, 1),
            "p50_ms": round(q(0.50), 3), "p99_ms": round(q(0.99), 3),
            "mean_ms": round(statistics.fmean(latencies) * 1000, 3), "errors": errors}


# ---------------------------------------------------------------------------------------------
# The attacker

class Counts(dict):
    def add(self, name, n=1):
        self[name] = self.get(name, 0) + n


async def connect(port, source):
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))


async def read_status(reader, timeout, detail=False):
    """The status of the server's first answer (with its `__type` if `detail`), "closed" if
    it closed the connection, None if it said nothing within `timeout`."""
    try:
        line = await asyncio.wait_for(reader.readline(), timeout)
    except (asyncio.TimeoutError, OSError):
        return None
    parts = line.split()
    if len(parts) < 2 or not parts[1].isdigit():
        return "closed"
    if not detail:
        return int(parts[1])
    try:
        rest = await asyncio.wait_for(reader.read(4096), 1)
    except (asyncio.TimeoutError, OSError):
        rest = b""
    kind = rest.split(b'"__type":"', 1)[1].split(b'"', 1)[0].decode() if b'"__type":"' in rest else ""
    return f"{int(parts[1])} {kind}".strip()


async def hold(port, source, counts, name, behaviour, until):
    """Keeps one connection of an attack going: opens it, runs `behaviour` until the server
    closes it, counts how it ended, and opens the next."""
    while time.time() < until:
        try:
            reader, writer = await connect(port, source)
        except OSError:
            counts.add(f"{name}: connect failed")
            await asyncio.sleep(0.5)
            continue
        counts.add(f"{name}: opened")
        started = time.time()
        try:
            ended = await behaviour(reader, writer, until)
        except (OSError, ConnectionError):
            ended = "reset"
        counts.add(f"{name}: ended {ended}")
        counts.add(f"{name}: seconds held", round(time.time() - started))
        writer.close()
        await asyncio.sleep(0.05)


async def slow_head(reader, writer, until):
    writer.write(b"POST / HTTP/1.1\r\nhost: x\r\n")
    await writer.drain()
    while time.time() < until:
        status = await read_status(reader, 9, True)
        if status is not None:
            return status
        writer.write(b"x-slow: 1\r\n")
        await writer.drain()
    return "stopped"


async def silent(reader, writer, until):
    status = await read_status(reader, max(0.1, until - time.time()), True)
    return status if status is not None else "stopped"


async def partial_body(reader, writer, until):
    writer.write(b"POST / HTTP/1.1\r\nhost: x\r\nx-amz-target: TrentService.ListKeys\r\n"
                 b"content-type: application/x-amz-json-1.1\r\ncontent-length: 250000\r\n\r\n")
    writer.write(b"A" * (250000 - 65536))
    await writer.drain()
    status = await read_status(reader, max(0.1, until - time.time()), True)
    return status if status is not None else "stopped"


async def endless_body(reader, writer, until):
    writer.write(b"POST / HTTP/1.1\r\nhost: x\r\nx-amz-target: TrentService.ListKeys\r\n"
                 b"transfer-encoding: chunked\r\n\r\n")
    while time.time() < until:
        writer.write(b"400\r\n" + b"B" * 1024 + b"\r\n")
        await writer.drain()
        status = await read_status(reader, 1, True)
        if status is not None:
            return status
    return "stopped"


async def h2c(reader, writer, until):
    writer.write(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes.fromhex("000000040000000000"))
    await writer.drain()
    try:
        data = await asyncio.wait_for(reader.read(4096), 5)
    except asyncio.TimeoutError:
        return "no answer"
    await asyncio.sleep(1)
    return "closed" if not data else data.split(b"\r\n", 1)[0].decode(errors="replace")[:40]


def oversized_request(port):
    """An unauthenticated request with ~60 KB of Authorization and 20 KB of body."""
    junk = "A" * 60_000
    body = b'{"Plaintext":"' + b"Q" * 20_000 + b'"}'
    head = (f"POST / HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\nx-amz-target: TrentService.ListKeys\r\n"
            f"content-type: application/x-amz-json-1.1\r\nx-amz-date: 20260101T000000Z\r\n"
            f"user-agent: {'U' * 8000}\r\n"
            f"authorization: AWS4-HMAC-SHA256 Credential=AKIA{junk}/20260101/us-east-1/kms/aws4_request, "
            f"SignedHeaders=host, Signature=00\r\ncontent-length: {len(body)}\r\n\r\n")
    return head.encode() + body


def duplicated_credential(port):
    now = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    day = now[:8]
    auth = (f"AWS4-HMAC-SHA256 Credential={LEGIT[0]}/{day}/us-east-1/kms/aws4_request, "
            f"Credential={ATTACKER[0]}/{day}/us-east-1/kms/aws4_request, "
            f"SignedHeaders=host;x-amz-date, Signature={'0' * 64}")
    return (f"POST / HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\nx-amz-target: TrentService.ListKeys\r\n"
            f"content-type: application/x-amz-json-1.1\r\nx-amz-date: {now}\r\n"
            f"authorization: {auth}\r\ncontent-length: 2\r\n\r\n{{}}").encode()


async def flood(port, source, counts, name, make, until, workers):
    """Keep-alive connections sending `make(port)` back to back, counting the answers."""
    async def worker():
        while time.time() < until:
            try:
                reader, writer = await connect(port, source)
            except OSError:
                counts.add(f"{name}: connect failed")
                await asyncio.sleep(0.2)
                continue
            try:
                while time.time() < until:
                    writer.write(make(port))
                    await writer.drain()
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
                    status = head.split()[1].decode()
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":")[1])
                    body = await reader.readexactly(length)
                    kind = json.loads(body or b"{}").get("__type", "")
                    counts.add(f"{name}: {status} {kind}".strip())
                    if b"connection: close" in head.lower():
                        break
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as e:
                counts.add(f"{name}: {type(e).__name__}")
            writer.close()
    await asyncio.gather(*(worker() for _ in range(workers)))


async def cap_probe(port, source, counts, until):
    """Every 30 s, 600 connections at once from one address (its cap is 512)."""
    while time.time() < until:
        conns = []
        for _ in range(600):
            try:
                conns.append(await connect(port, source))
            except OSError:
                counts.add("cap probe: connect failed")
        # The first answer on each tells whether it was admitted (silence) or refused (503).
        statuses = await asyncio.gather(*(read_status(r, 1) for r, _ in conns))
        counts.add("cap probe: refused 503", sum(1 for s in statuses if s == 503))
        counts.add("cap probe: admitted", sum(1 for s in statuses if s is None))
        for _, w in conns:
            w.close()
        await asyncio.sleep(max(0, min(30, until - time.time())))


def authenticated_attacker(port, keys, until, counts):
    """The attacker's own account: LookupEvents scans, AssumeRole and admin floods, contexts
    whose keys differ only in case."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    calls = [
        ("cloudtrail", "LookupEvents", {"LookupAttributes": [
            {"AttributeKey": "Username", "AttributeValue": "nobody"}]}),
        ("admin", "ListUsers", {}),
        ("kms", "GenerateDataKeyWithoutPlaintext", {
            "KeyId": keys["attacker_key"], "KeySpec": "AES_256",
            "EncryptionContext": {"Tenant": "A", "tenant": "B"}}),
    ]
    i = 0
    while time.time() < until:
        service, target, payload = calls[i % len(calls)]
        i += 1
        try:
            status, data = call(conn, port, ATTACKER, target, payload, service)
            kind = json.loads(data or b"{}").get("__type", "") if status != 200 else ""
            counts.add(f"authenticated {target}: {status} {kind}".strip())
        except (OSError, http.client.HTTPException, ValueError):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        time.sleep(0.005)
    conn.close()


def assume_role_flood(port, until, counts):
    """AssumeRole of a role that does not exist, through STS's query protocol."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A444455556666%3Arole%2Fnone&RoleSessionName=soak"
    while time.time() < until:
        req = AWSRequest(method="POST", url=f"http://127.0.0.1:{port}/", data=body,
                         headers={"Host": f"127.0.0.1:{port}",
                                  "Content-Type": "application/x-www-form-urlencoded"})
        SigV4Auth(Credentials(*ATTACKER), "sts", REGION).add_auth(req)
        try:
            conn.request("POST", "/", body=body, headers=dict(req.headers.items()))
            resp = conn.getresponse()
            data = resp.read()
            code = data.split(b"<Code>")[1].split(b"<")[0].decode() if b"<Code>" in data else ""
            counts.add(f"authenticated AssumeRole: {resp.status} {code}".strip())
        except (OSError, http.client.HTTPException, IndexError):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        time.sleep(0.005)


def attacker(port, keys, seconds, everything, out):
    os.sched_setaffinity(0, {int(CLIENT_CORE)})
    os.nice(10)
    counts = Counts()
    until = time.time() + seconds

    async def main():
        loop = asyncio.get_running_loop()
        tasks = [flood(port, "127.0.0.7", counts, "oversized unauthenticated",
                       oversized_request, until, 8)]
        if everything:
            src = lambda n: f"127.0.0.{n}"
            tasks += [hold(port, src(2), counts, "slow head", slow_head, until) for _ in range(300)]
            tasks += [hold(port, src(3), counts, "silent", silent, until) for _ in range(300)]
            tasks += [hold(port, src(4), counts, "partial body", partial_body, until)
                      for _ in range(300)]
            tasks += [hold(port, src(5), counts, "endless body", endless_body, until)
                      for _ in range(30)]
            tasks += [hold(port, src(6), counts, "h2c", h2c, until) for _ in range(4)]
            tasks += [flood(port, src(8), counts, "duplicated Credential",
                            duplicated_credential, until, 2)]
            tasks += [cap_probe(port, src(9), counts, until)]
            tasks += [loop.run_in_executor(None, authenticated_attacker, port, keys, until, counts),
                      loop.run_in_executor(None, assume_role_flood, port, until, counts)]
        await asyncio.gather(*tasks)

    asyncio.run(main())
    out.put(dict(sorted(counts.items())))


# ---------------------------------------------------------------------------------------------
# The server

def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.stop, self.samples = pid, threading.Event(), []

    def run(self):
        while not self.stop.wait(1):
            try:
                fds = len(os.listdir(f"/proc/{self.pid}/fd"))
                self.samples.append((time.time(), status_kib(self.pid, "VmRSS"), fds))
            except OSError:
                return

    def peak(self, since):
        window = [s for s in self.samples if s[0] >= since] or [(0, 0, 0)]
        return {"peak_rss_mib": round(max(s[1] for s in window) / 1024, 1),
                "peak_open_files": max(s[2] for s in window)}


LEGIT_OPS = sorted(set(MIX))


def latency_buckets(port):
    """The server's own latency histogram of the legitimate operations: {le: count}."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    buckets = {}
    for line in text.splitlines():
        if not line.startswith("trent_request_duration_seconds_bucket{"):
            continue
        labels, value = line.rsplit(" ", 1)
        op = labels.split('operation="', 1)[1].split('"', 1)[0]
        le = labels.split('le="', 1)[1].split('"', 1)[0]
        if op in LEGIT_OPS:
            le = float("inf") if le == "+Inf" else float(le)
            buckets[le] = buckets.get(le, 0) + int(float(value))
    return buckets


def server_quantiles(before, after):
    """p50 and p99 of the server's own measurements between two scrapes, as the upper bound
    of the histogram bucket they fall in (the buckets double from 50 us)."""
    diff = sorted((le, after.get(le, 0) - before.get(le, 0)) for le in after)
    total = diff[-1][1] if diff else 0
    def q(f):
        for le, n in diff:
            if n >= f * total:
                return round(le * 1000, 3)
        return None
    return {"server_p50_ms_at_most": q(0.5), "server_p99_ms_at_most": q(0.99)}


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trent", default="target/release/trent")
    ap.add_argument("--quiet", type=int, default=120, help="seconds of the quiet phase")
    ap.add_argument("--flood", type=int, default=120, help="seconds of the flood phase")
    ap.add_argument("--soak", type=int, default=600, help="seconds of the soak phase")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--out")
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix="trent-soak-")
    config = os.path.join(work, "trent.toml")
    with open(config, "w") as f:
        f.write(CONFIG)
    data = os.path.join(work, "data")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    log = open(os.path.join(work, "trent.log"), "w")
    server = subprocess.Popen(
        ["taskset", "-c", SERVER_CORE, a.trent, "serve", "--listen", f"127.0.0.1:{port}",
         "--data-dir", data, "--config", config], stdout=log, stderr=subprocess.STDOUT)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    sampler = Sampler(server.pid)
    sampler.start()
    keys = setup(port)
    report = {"server": a.trent, "clients": a.clients, "phases": {}}
    try:
        for phase, seconds in [("quiet", a.quiet), ("flood", a.flood), ("soak", a.soak)]:
            if seconds <= 0:
                continue
            print(f"{phase}: {seconds} s", file=sys.stderr, flush=True)
            started, cpu_before = time.time(), cpu_seconds(server.pid)
            buckets_before = latency_buckets(port)
            attack, out = None, mp.Queue()
            if phase != "quiet":
                attack = mp.Process(target=attacker,
                                    args=(port, keys, seconds, phase == "soak", out))
                attack.start()
            legit = run_clients(port, keys, seconds, a.clients)
            counts = out.get() if attack else {}
            if attack:
                attack.join()
            legit["server_cpu_s"] = round(cpu_seconds(server.pid) - cpu_before, 1)
            legit.update(server_quantiles(buckets_before, latency_buckets(port)))
            legit.update(sampler.peak(started))
            legit["attack"] = counts
            report["phases"][phase] = legit
            print(json.dumps({phase: {k: v for k, v in legit.items() if k != "attack"}}),
                  file=sys.stderr, flush=True)
    finally:
        sampler.stop.set()
        server.send_signal(signal.SIGTERM)
        server.wait(60)
    verify = subprocess.run([a.trent, "audit", "verify", "--data-dir", data],
                            capture_output=True, text=True)
    report["audit_verify"] = {"exit": verify.returncode,
                              "output": (verify.stdout + verify.stderr).strip()[-400:]}
    report["store_mib"] = round(sum(
        os.path.getsize(os.path.join(data, f)) for f in os.listdir(data)
        if f.startswith("trent.db")) / 2**20, 1)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(report, f, indent=1)
    print(summary(report))
    if verify.returncode != 0:
        sys.exit("trent audit verify failed")


def summary(r):
    phases = r["phases"]
    quiet = phases.get("quiet")
    lines = ["| phase | seconds | legit req/s | p50 ms | p99 ms | vs quiet (req/s, p99) | "
             "server p99 ms (bucket) | legit errors | server CPU s | peak RSS MiB | "
             "peak open files |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, p in phases.items():
        ratio = (f"{p['per_second'] / quiet['per_second']:.2f}x, {p['p99_ms'] / quiet['p99_ms']:.2f}x"
                 if quiet else "")
        lines.append(f"| {name} | {p['seconds']} | {p['per_second']} | {p['p50_ms']} | "
                     f"{p['p99_ms']} | {ratio} | ≤ {p['server_p99_ms_at_most']} | "
                     f"{sum(p['errors'].values())} | "
                     f"{p['server_cpu_s']} | {p['peak_rss_mib']} | {p['peak_open_files']} |")
    lines.append("")
    lines.append(f"`trent audit verify` after the run: exit {r['audit_verify']['exit']} "
                 f"({r['audit_verify']['output'].splitlines()[-1] if r['audit_verify']['output'] else ''}); "
                 f"store {r['store_mib']} MiB.")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
