#!/usr/bin/env bash
# Builds the benchmarks' reference server (bench/hello, release) and prints its binary's path on
# the last line; cargo's own output goes to stderr. Extra arguments go to `cargo build`
# (`--offline`, say).
#
#   HELLO=$(bench/hello/build.sh | tail -1)
#
# It has its own target directory (HELLO_TARGET_DIR, default $TMPDIR/trent-bench-hello), so that
# it neither waits for the workspace's build nor invalidates it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=${HELLO_TARGET_DIR:-${TMPDIR:-/tmp}/trent-bench-hello}
locked=(--locked)
if [ ! -e "$here/Cargo.lock" ]; then
    # First build: start from the workspace's lock file, so that hyper, tokio and what they
    # need resolve to the versions Trent builds with (already downloaded); cargo drops the rest.
    cp "$here/../../Cargo.lock" "$here/Cargo.lock"
    locked=()
fi
cargo build --release "${locked[@]}" --manifest-path "$here/Cargo.toml" --target-dir "$target" "$@" >&2
echo "$target/release/hello"
