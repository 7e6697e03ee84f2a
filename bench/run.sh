#!/usr/bin/env bash
# Issue 8's load benchmark by one command: builds release Trent and the minimal hyper server,
# installs wrk and moto when missing, starts a throwaway PostgreSQL pinned to the servers'
# core, and runs bench/cluster_bench.py (Trent on SQLite, on PostgreSQL with 1 and 2 nodes,
# moto, hello; Encrypt 4 KB, Decrypt, GenerateDataKey, Sign ECC_NIST_P256 and RSA_2048,
# CreateKey; 1, 8 and 64 connections). Extra arguments go to cluster_bench.py.
#
#   bench/run.sh --duration 5 --out bench/results-$(date +%F).jsonl
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v moto_server >/dev/null || python3 -m pip install --quiet 'moto[server]'
command -v psql >/dev/null || { apt-get update -qq && apt-get install -y -qq postgresql-client; }
cargo build --release --locked --bin trent
# The minimal hyper server, a crate of its own (bench/hello), built in its own target directory.
hello=$(bench/hello/build.sh | tail -1)
pg=target/bench-pg
scripts/postgres.sh stop "$pg" 2>/dev/null || true
rm -rf "$pg"
url=$(taskset -c 0 scripts/postgres.sh start "$pg" shared_preload_libraries=pg_stat_statements)
trap 'scripts/postgres.sh stop "$pg" >/dev/null 2>&1 || true' EXIT
python3 bench/cluster_bench.py --trent target/release/trent --hello "$hello" \
    --pg-url "$url" --pg-data "$pg/data" "$@"
