//! Persistent stores for Trent: embedded SQLite (the zero-config default) and PostgreSQL (any
//! number of nodes on one database).
//!
//! One engine (`engine/`) implements [`trent_core::store::Store`] once, over the `Tx` of a
//! driver (`sqlite.rs`, `postgres.rs`) that keeps only its connections, transactions, change
//! feed and audit append. Stores see only sealed key material and make no authorization
//! decisions. Both pass the same conformance suite (`tests/it`).

mod codec;
mod common;
pub mod engine;
mod migrations;
mod pending;
pub mod postgres;
mod sealed;
mod sql;
pub mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;

pub use postgres::{PostgresOptions, PostgresStore};
pub use sqlite::{Durability, SqliteStore};
