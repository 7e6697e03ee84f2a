//! Persistent stores for Trent: the embedded SQLite store (the zero-config default).
//!
//! Stores implement [`trent_core::store::Store`]; they see only sealed key material and make no
//! authorization decisions. A PostgreSQL store will live beside `sqlite` and pass the same
//! conformance suite (`tests/it`).

mod migrations;
pub mod sqlite;

pub use sqlite::SqliteStore;
