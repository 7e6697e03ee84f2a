#!/usr/bin/env bash
# Builds fakecloud's KMS, alone, from crates.io into target/tools/fakecloud-VERSION (a throwaway
# crate of its own, outside the workspace), and prints the binary's path last. fakecloud is
# AGPL-3.0: it is a peer the benchmark measures, never a dependency of Trent.
#
#   bench/fakecloud.sh            # then: BIN 127.0.0.1:PORT
#
# The server is fakecloud's own dispatcher with only its KMS service registered: in memory, no
# signature check, no IAM, account 123456789012 in us-east-1 (the full `fakecloud` binary
# builds every service it has).
set -euo pipefail
version=0.51.0
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/target/tools/fakecloud-$version"
bin="$dir/target/release/fakecloud-kms-only"
if [ ! -x "$bin" ]; then
    mkdir -p "$dir/src"
    cat > "$dir/Cargo.toml" <<TOML
[package]
name = "fakecloud-kms-only"
version = "0.0.0"
edition = "2021"
publish = false
license = "AGPL-3.0-or-later"

[workspace]

[dependencies]
fakecloud-kms = "=$version"
fakecloud-core = "=$version"
axum = "0.8"
tokio = { version = "1", features = ["rt-multi-thread", "net"] }
parking_lot = "0.12"

[profile.release]
codegen-units = 16
TOML
    cat > "$dir/src/main.rs" <<'RUST'
// fakecloud's KMS service alone behind fakecloud's own dispatcher, on the address given.
use std::{net::SocketAddr, sync::Arc};

use axum::{Router, extract::Extension};
use fakecloud_core::dispatch::{self, DispatchConfig};
use fakecloud_core::multi_account::MultiAccountState;
use fakecloud_core::registry::ServiceRegistry;
use fakecloud_kms::{KmsService, SharedKmsState};

fn main() {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .expect("usage: fakecloud-kms-only 127.0.0.1:PORT")
        .parse()
        .expect("an address");
    let (account, region) = ("123456789012", "us-east-1");
    let state: SharedKmsState = Arc::new(parking_lot::RwLock::new(MultiAccountState::new(
        account,
        region,
        &format!("http://{addr}"),
    )));
    let mut registry = ServiceRegistry::new();
    registry.register(Arc::new(KmsService::new(state)));
    let app = Router::new()
        .fallback(dispatch::dispatch)
        .layer(Extension(Arc::new(registry)))
        .layer(Extension(Arc::new(DispatchConfig::new(region, account))));
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(async {
            let listener = tokio::net::TcpListener::bind(addr).await.expect("the address");
            axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
                .await
                .expect("serving");
        });
}
RUST
    (cd "$dir" && cargo build --release --quiet >&2)
fi
echo "$bin"
