//! Integration tests: the real server on 127.0.0.1:0, driven by the official `aws-sdk-kms`
//! (and by raw HTTP where the wire itself is under test).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod aliases;
mod answers;
mod asymmetric;
mod audit;
mod authz;
mod binary;
mod builders;
mod cluster;
mod concurrency;
mod console;
mod console_browser;
mod crypto;
mod disk_full;
mod esdk;
mod front_door;
mod harness;
mod hot_path;
mod import;
mod key_policies;
mod key_stores;
mod keys;
mod lifecycle;
mod lookup;
mod managed;
mod multi_region;
mod pkcs11;
mod quotas;
mod root_key;
mod rotation;
mod sealing;
mod seed;
mod shutdown;
mod tags;
mod wire;
mod xks;
mod xks_conformance;
mod xks_tls;
