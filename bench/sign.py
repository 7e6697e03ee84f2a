#!/usr/bin/env python3
"""SigV4-signed AWS KMS requests for the load benchmarks, with Python's standard library alone.

It makes the keys a benchmark needs on the server (signed CreateKey calls, and one Encrypt for
Decrypt's ciphertext), then writes one request file per operation for bench/wrk.lua to replay.
A request file holds exactly the headers that were signed (Host, X-Amz-Date, X-Amz-Target,
Content-Type, Authorization, and X-Amz-Security-Token with a session token) as "Name: value"
lines, one blank line, then the JSON body, with no newline after it. Trent accepts a signature
for 5 minutes either side of its date: sign again right before each run.

    python3 bench/sign.py --endpoint http://127.0.0.1:4599 --create-keys --out /tmp/req
    python3 bench/sign.py --key-id KEY --out /tmp/req encrypt decrypt

Operations (positional, default all): encrypt (4 KB of plaintext), decrypt (of that ciphertext),
generate-data-key (AES_256), sign-ecc (ECC_NIST_P256, 32 raw bytes), sign-rsa (RSA_2048, PSS),
create-key (each replay creates one key).
Settings: flag, else environment variable, else default:
  --endpoint      AWS_ENDPOINT_URL_KMS   http://127.0.0.1:4599; the Host the files are signed for
  --kms-endpoint                         where keys are made (default: --endpoint)
  --region        AWS_REGION             us-east-1
  --access-key    AWS_ACCESS_KEY_ID      AKIDBENCHEXAMPLE (bench/trent-peer.sh's)
  --secret-key    AWS_SECRET_ACCESS_KEY  bench-secret
  --session-token AWS_SESSION_TOKEN      none
  --key-id / --ecc-key-id / --rsa-key-id  existing keys; --create-keys makes the missing ones
Prints the key ids it used as shell assignments (KMS_KEY_ID=..., KMS_ECC_KEY_ID=..., ...).

bench/cluster_bench.py and bench/peer_bench.py import `Signer`, `Kms`, `prepare` and `write`.
"""
import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import sys
import time
from urllib.parse import urlsplit

OPS = ("encrypt", "decrypt", "generate-data-key", "sign-ecc", "sign-rsa", "create-key")
TARGETS = {"encrypt": "Encrypt", "decrypt": "Decrypt", "generate-data-key": "GenerateDataKey",
           "sign-ecc": "Sign", "sign-rsa": "Sign", "create-key": "CreateKey"}
# The key each operation uses (none for CreateKey), and how to make it.
KEY_OF = {"encrypt": "sym", "decrypt": "sym", "generate-data-key": "sym",
          "sign-ecc": "ecc", "sign-rsa": "rsa", "create-key": None}
NEW_KEY = {"sym": {},
           "ecc": {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"},
           "rsa": {"KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"}}
KEY_ENV = {"sym": "KMS_KEY_ID", "ecc": "KMS_ECC_KEY_ID", "rsa": "KMS_RSA_KEY_ID"}
CONTENT_TYPE = "application/x-amz-json-1.1"
ALGORITHM = "AWS4-HMAC-SHA256"


def host_of(endpoint):
    """The Host header a client sends for `endpoint`: the port only when it is not the scheme's."""
    url = urlsplit(endpoint)
    host = url.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if url.port is not None and url.port != {"http": 80, "https": 443}.get(url.scheme):
        host = f"{host}:{url.port}"
    return host


def _hmac(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


class Signer:
    """SigV4 for AWS's JSON 1.1 protocol: always `POST /` with no query string."""

    def __init__(self, access_key, secret_key, region="us-east-1", session_token="", service="kms"):
        self.access_key, self.secret_key = access_key, secret_key
        self.region, self.session_token, self.service = region, session_token, service

    def headers(self, host, target, body, now=None):
        """The request's headers, every one of them signed, Authorization last."""
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        # A KMS operation's name, or another service's whole target (CloudTrail's LookupEvents).
        full_target = target if "." in target else f"TrentService.{target}"
        headers = {"Host": host, "X-Amz-Date": amz_date, "X-Amz-Target": full_target,
                   "Content-Type": CONTENT_TYPE}
        if self.session_token:
            headers["X-Amz-Security-Token"] = self.session_token
        canonical = sorted((name.lower(), " ".join(value.split())) for name, value in headers.items())
        signed = ";".join(name for name, _ in canonical)
        request = "\n".join(["POST", "/", ""] + [f"{n}:{v}" for n, v in canonical]
                            + ["", signed, hashlib.sha256(body).hexdigest()])
        scope = f"{amz_date[:8]}/{self.region}/{self.service}/aws4_request"
        to_sign = "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(request.encode()).hexdigest()])
        key = ("AWS4" + self.secret_key).encode()
        for part in (amz_date[:8], self.region, self.service, "aws4_request"):
            key = _hmac(key, part)
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        headers["Authorization"] = (f"{ALGORITHM} Credential={self.access_key}/{scope}, "
                                    f"SignedHeaders={signed}, Signature={signature}")
        return headers


def body_of(payload):
    return json.dumps(payload, separators=(",", ":")).encode()


def request_file(signer, endpoint, target, payload):
    """The text of one request file for `endpoint`."""
    body = body_of(payload)
    headers = signer.headers(host_of(endpoint), target, body)
    return "".join(f"{name}: {value}\n" for name, value in headers.items()) + "\n" + body.decode()


class Kms:
    """Just enough of a KMS client to set a benchmark up: one signed POST per call."""

    def __init__(self, endpoint, signer, timeout=30):
        self.endpoint, self.signer, self.timeout = endpoint.rstrip("/"), signer, timeout

    def call(self, target, payload):
        url = urlsplit(self.endpoint)
        body = body_of(payload)
        headers = self.signer.headers(host_of(self.endpoint), target, body)
        connection = (http.client.HTTPSConnection if url.scheme == "https"
                      else http.client.HTTPConnection)(url.hostname, url.port, timeout=self.timeout)
        try:
            connection.request("POST", "/", body=body, headers=headers)
            response = connection.getresponse()
            text = response.read()
        finally:
            connection.close()
        if response.status != 200:
            raise RuntimeError(f"{target} at {self.endpoint}: HTTP {response.status}: {text[:300]!r}")
        return json.loads(text) if text else {}

    def create_key(self, **params):
        return self.call("CreateKey", params)["KeyMetadata"]["KeyId"]


def b64(data):
    return base64.b64encode(data).decode()


def prepare(kms, ops, keys=None, size=4096, sign_size=32, create=True):
    """The payload of each operation in `ops`, by operation, making on `kms` the keys that `keys`
    (by kind: sym, ecc, rsa) lacks, unless `create` is false. Returns (payloads, keys)."""
    keys = dict(keys or {})
    for kind in dict.fromkeys(KEY_OF.get(op) for op in ops):
        if kind and not keys.get(kind):
            if not create:
                raise SystemExit(f"{ops} need a {kind} key: pass its id or --create-keys")
            keys[kind] = kms.create_key(**NEW_KEY[kind])
    plaintext = bytes((i * 7 + 3) & 0xFF for i in range(size))
    message = b64(b"m" * sign_size)
    payloads = {}
    for op in ops:
        if op == "encrypt":
            payloads[op] = {"KeyId": keys["sym"], "Plaintext": b64(plaintext)}
        elif op == "decrypt":
            blob = kms.call("Encrypt", {"KeyId": keys["sym"], "Plaintext": b64(plaintext)})["CiphertextBlob"]
            payloads[op] = {"CiphertextBlob": blob, "KeyId": keys["sym"]}
        elif op == "generate-data-key":
            payloads[op] = {"KeyId": keys["sym"], "KeySpec": "AES_256"}
        elif op == "sign-ecc":
            payloads[op] = {"KeyId": keys["ecc"], "Message": message, "MessageType": "RAW",
                            "SigningAlgorithm": "ECDSA_SHA_256"}
        elif op == "sign-rsa":
            payloads[op] = {"KeyId": keys["rsa"], "Message": message, "MessageType": "RAW",
                            "SigningAlgorithm": "RSASSA_PSS_SHA_256"}
        elif op == "create-key":
            payloads[op] = {"Description": "bench"}
        else:
            raise SystemExit(f"unknown operation {op}; choose from {' '.join(OPS)}")
    return payloads, keys


def write(outdir, signer, endpoint, payloads):
    """Signs every payload now, for `endpoint`, into `outdir/<op>.req`; returns the paths by op."""
    os.makedirs(outdir, exist_ok=True)
    paths = {}
    for op, payload in payloads.items():
        paths[op] = os.path.join(outdir, f"{op}.req")
        with open(paths[op], "w") as f:
            f.write(request_file(signer, endpoint, TARGETS[op], payload))
    return paths


def signer_from_env():
    """The bench's signer: the credentials in the environment, else bench/trent-peer.sh's."""
    env = os.environ.get
    return Signer(env("AWS_ACCESS_KEY_ID", "AKIDBENCHEXAMPLE"), env("AWS_SECRET_ACCESS_KEY", "bench-secret"),
                  env("AWS_REGION", "us-east-1"), env("AWS_SESSION_TOKEN", ""))


def main():
    env = os.environ.get
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ops", nargs="*", help="subset of: " + " ".join(OPS))
    ap.add_argument("--endpoint", default=env("AWS_ENDPOINT_URL_KMS", "http://127.0.0.1:4599"))
    ap.add_argument("--kms-endpoint", default="")
    ap.add_argument("--region", default=env("AWS_REGION", "us-east-1"))
    ap.add_argument("--access-key", default=env("AWS_ACCESS_KEY_ID", "AKIDBENCHEXAMPLE"))
    ap.add_argument("--secret-key", default=env("AWS_SECRET_ACCESS_KEY", "bench-secret"))
    ap.add_argument("--session-token", default=env("AWS_SESSION_TOKEN", ""))
    ap.add_argument("--key-id", default=env(KEY_ENV["sym"], ""))
    ap.add_argument("--ecc-key-id", default=env(KEY_ENV["ecc"], ""))
    ap.add_argument("--rsa-key-id", default=env(KEY_ENV["rsa"], ""))
    ap.add_argument("--create-keys", action="store_true")
    ap.add_argument("--size", type=int, default=4096, help="plaintext bytes for encrypt and decrypt")
    ap.add_argument("--sign-size", type=int, default=32, help="message bytes for sign-ecc and sign-rsa")
    ap.add_argument("--out", default=".", help="directory for the <op>.req files")
    a = ap.parse_args()
    ops = a.ops or list(OPS)
    unknown = [op for op in ops if op not in OPS]
    if unknown:
        ap.error(f"unknown operation(s) {' '.join(unknown)}; choose from {' '.join(OPS)}")
    signer = Signer(a.access_key, a.secret_key, a.region, a.session_token)
    kms = Kms(a.kms_endpoint or a.endpoint, signer)
    given = {"sym": a.key_id, "ecc": a.ecc_key_id, "rsa": a.rsa_key_id}
    payloads, keys = prepare(kms, ops, given, a.size, a.sign_size, create=a.create_keys)
    write(a.out, signer, a.endpoint, payloads)
    for kind, key in keys.items():
        if key:
            print(f"{KEY_ENV[kind]}={key}")


if __name__ == "__main__":
    sys.exit(main())
