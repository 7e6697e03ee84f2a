#!/usr/bin/env bash
# Adapter for ../shared/bench/run_bench.py, which starts its peer server as `CMD -H HOST -p PORT`:
# starts a release `trent serve` that way, in a throwaway data directory, with the bench's
# credentials (AKIDBENCHEXAMPLE / bench-secret unless AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY say
# otherwise).
#
#   python3 ../shared/bench/run_bench.py --moto-cmd "bench/trent-peer.sh" \
#       --hello-bin "$HELLO" --ops encrypt,decrypt,generate-data-key
set -euo pipefail
host=127.0.0.1
port=5055
while [ $# -gt 0 ]; do
    case "$1" in
        -H) host=$2; shift 2 ;;
        -p) port=$2; shift 2 ;;
        *) shift ;;
    esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
cat >"$dir/config.toml" <<TOML
[[accounts]]
id = "111122223333"

[[accounts.access_keys]]
id = "${AWS_ACCESS_KEY_ID:-AKIDBENCHEXAMPLE}"
secret = "${AWS_SECRET_ACCESS_KEY:-bench-secret}"
TOML
RUST_LOG=${RUST_LOG:-warn} exec "${TRENT_BIN:-$root/target/release/trent}" serve \
    --listen "$host:$port" --data-dir "$dir/data" --config "$dir/config.toml"
