"""What the load benchmarks share: pinned processes, their CPU time from /proc, and wrk runs.

bench/cluster_bench.py and bench/peer_bench.py import it; it has no command line. Linux only
(/proc, taskset); wrk replays bench/wrk.lua.
"""
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WRK_LUA = os.path.join(HERE, "wrk.lua")
CLK = os.sysconf("SC_CLK_TCK")


def account_toml(akid, secret, account="111122223333"):
    """The config file's head every benchmark server shares: one account with one access key,
    request-rate quotas off."""
    return f"""
[[accounts]]
id = "{account}"

[[accounts.access_keys]]
id = "{akid}"
secret = "{secret}"

[quotas]
enabled = false
"""


def pinned(cmd, core=None, nice=0):
    """`cmd` on CPU `core` (None: anywhere) at nice value `nice` (0: unchanged)."""
    return ((["nice", "-n", str(nice)] if nice else [])
            + (["taskset", "-c", str(core)] if core is not None else []) + list(cmd))


def proc_cpu_s(pid):
    """User plus system CPU seconds of process `pid`, all its threads."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def cpu_s(pids):
    """CPU seconds of `pids` together; a process that has gone counts nothing."""
    total = 0.0
    for pid in pids:
        try:
            total += proc_cpu_s(pid)
        except (OSError, IndexError, ValueError):
            pass
    return total


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


def machine_cpu():
    """(all, busy, steal) jiffies so far over every core, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    total = sum(v)
    return total, total - v[3] - v[4] - v[7], v[7]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout=30, proc=None):
    """Returns once 127.0.0.1:`port` accepts; fails early if `proc` exits first."""
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server for port {port} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


class Server:
    """One server process on one port, its output kept for when it fails to start."""

    def __init__(self, name, cmd, port, core=None, nice=0, env=None):
        self.name, self.port = name, port
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(pinned(cmd, core, nice), stdout=self.log, stderr=subprocess.STDOUT,
                                     env=env)
        try:
            wait_port(port, proc=self.proc)
        except RuntimeError as e:
            self.stop()
            self.log.seek(0)
            raise RuntimeError(f"{name}: {e}\n{self.log.read().decode(errors='replace')[-2000:]}") from None

    def pids(self):
        return [self.proc.pid] + children_of(self.proc.pid)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def wrk(port, conns, secs, req_file=None, core=None, nice=0, body_bytes=None, close=False, label="",
        scheme="http", path=None, script=WRK_LUA, extra_env=None):
    """One wrk run (one thread, `conns` connections) replaying `req_file`, or without one a plain
    body of `body_bytes`; returns wrk.lua's RESULT fields plus wrk's own CPU seconds. `scheme`
    "https" speaks TLS (wrk checks no certificate); `path` is the request file's path (default /).
    `script` replaces bench/wrk.lua (one that prints the same RESULT line), `extra_env` adds to
    its environment."""
    env = dict(os.environ, LABEL=label, CONN_CLOSE="1" if close else "0", REQ_PATH=path or "/",
               **(extra_env or {}))
    if body_bytes is not None:
        env["BODY_BYTES"] = str(body_bytes)
    cmd = pinned(["wrk", "-t1", f"-c{conns}", f"-d{secs}s", "--timeout", "10s", "-s", script,
                  f"{scheme}://127.0.0.1:{port}/"], core, nice)
    if req_file:
        cmd += ["--", req_file]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    out = p.stdout.read().decode(errors="replace")
    p.stdout.close()
    _, status, usage = os.wait4(p.pid, 0)  # rusage: wrk's own CPU
    p.returncode = os.waitstatus_to_exitcode(status)
    m = re.search(r"^RESULT (.*)$", out, re.M)
    if not m:
        raise RuntimeError(f"wrk gave no RESULT line: {out}")
    r = {}
    for pair in m.group(1).split():
        k, v = pair.split("=", 1)
        try:
            r[k] = float(v)
        except ValueError:
            r[k] = v
    r["wrk_cpu_s"] = usage.ru_utime + usage.ru_stime
    return r
