#!/usr/bin/env bash
# Issue 17's key-store benchmark by one command: builds release Trent, installs wrk, softhsm2
# and perf when missing, and runs bench/key_store_bench.py (a key in a SoftHSM2 key store
# against a software key, one run). Extra arguments go to key_store_bench.py.
#
#   bench/key_store_bench.sh --duration 5 --perf --out bench/results-$(date +%F)-key-store.jsonl
set -euo pipefail
cd "$(dirname "$0")/.."
need() { command -v "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$2"; }; }
need wrk wrk
need softhsm2-util softhsm2
need perf linux-perf
cargo build --release --locked --bin trent
python3 bench/key_store_bench.py --trent target/release/trent "$@"
