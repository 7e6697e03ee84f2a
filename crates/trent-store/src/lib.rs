//! Persistent stores for Trent: embedded SQLite (the zero-config default) and PostgreSQL (any
//! number of nodes on one database).
//!
//! Stores implement [`trent_core::store::Store`]; they see only sealed key material and make no
//! authorization decisions. Both pass the same conformance suite (`tests/it`).

mod common;
mod migrations;
mod pending;
pub mod postgres;
pub mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;

pub use postgres::{PostgresOptions, PostgresStore};
pub use sqlite::{Durability, SqliteStore};
