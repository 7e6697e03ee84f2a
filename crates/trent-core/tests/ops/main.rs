//! Fast tests of the operations in `trent_core::ops`: the `Kms` methods called directly, with
//! no HTTP, over the in-memory SQLite store, the software backend, a root key in a temporary
//! directory and a [`trent_core::testing::FixedClock`], so that every date is exact and
//! nothing sleeps.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod access;
mod aliases;
mod deletion;
mod dry_run;
mod encrypt;
mod fixture;
mod grants;
mod key_stores;
mod keys;
