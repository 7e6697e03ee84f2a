#!/usr/bin/env bash
# Issue 15's soak benchmark by one command: builds release Trent, installs botocore when
# missing, and runs bench/soak.py (legitimate signed clients on a quiet server, during an
# unauthenticated flood, and during every front-door attack at once). Extra arguments go to
# soak.py; the defaults run 2 + 2 + 10 minutes.
#
#   bench/soak.sh --out bench/results-$(date +%F)-soak.json
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import botocore' 2>/dev/null || python3 -m pip install --quiet botocore
command -v taskset >/dev/null || { apt-get update -qq && apt-get install -y -qq util-linux; }
cargo build --release --locked --bin trent
exec python3 bench/soak.py --trent target/release/trent "$@"
