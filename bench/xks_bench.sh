#!/usr/bin/env bash
# Trent as an XKS proxy by one command: installs wrk and openssl when missing, builds release
# Trent, and runs bench/xks_bench.py (encrypt, decrypt and health over HTTPS at 1, 8 and 64
# connections, durable audit trail, one run). Extra arguments go to xks_bench.py.
#
#   bench/xks_bench.sh --duration 5 --out bench/results-$(date +%F)-xks.jsonl
set -euo pipefail
cd "$(dirname "$0")/.."
need() { command -v "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$2"; }; }
need wrk wrk
need openssl openssl
cargo build --release --locked --bin trent
python3 bench/xks_bench.py --trent target/release/trent "$@"
