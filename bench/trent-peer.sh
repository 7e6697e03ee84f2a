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
