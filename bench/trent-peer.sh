#!/usr/bin/env bash
# Trent as bench/peer_bench.py's server, which it starts as `CMD -H HOST -p PORT` (as moto_server
# is started): a release `trent serve` (TRENT_BIN, default target/release/trent) in a throwaway
# data directory, with the bench's credentials (AKIDBENCHEXAMPLE / bench-secret unless
# AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY say otherwise, as for bench/sign.py).
#
#   python3 bench/peer_bench.py --peer bench/trent-peer.sh --hello "$HELLO" \
#       --ops encrypt,decrypt,generate-data-key
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
# BENCH_AS_USER=1 makes the bench's key an IAM user's, allowed by an identity policy: every
# request then walks the key policy's delegation and the user's policy (with a condition).
user_line=
if [ "${BENCH_AS_USER:-0}" = 1 ]; then
    user_line='user = "bench"'
fi
cat >"$dir/config.toml" <<TOML
[[accounts]]
id = "111122223333"

[[accounts.users]]
name = "bench"
tags = { team = "bench" }
policies = { crypto = '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"}, {"Effect": "Allow", "Action": "kms:*", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "bench"}}}]}' }

[[accounts.access_keys]]
id = "${AWS_ACCESS_KEY_ID:-AKIDBENCHEXAMPLE}"
secret = "${AWS_SECRET_ACCESS_KEY:-bench-secret}"
$user_line
TOML
RUST_LOG=${RUST_LOG:-warn} exec "${TRENT_BIN:-$root/target/release/trent}" serve \
    --listen "$host:$port" --data-dir "$dir/data" --config "$dir/config.toml"
