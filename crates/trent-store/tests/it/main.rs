//! Store conformance: the behaviour every `Store` must have, one suite run against SQLite and
//! PostgreSQL alike (it takes any `dyn Store`), and what two PostgreSQL nodes on one database
//! must agree on.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod aliases;
mod audit;
mod audit_writer;
mod builders;
mod cluster;
mod grants;
mod identities;
mod key_stores;
mod keys;
mod postgres;
mod sealing;
mod tags;

use trent_core::model::KeyId;
use trent_core::store::Store;
use trent_store::SqliteStore;

use crate::aliases::aliases;
use crate::audit::{audit_chain, audit_lookup};
use crate::builders::{A, scope};
use crate::cluster::{leases, listeners_hear_commits};
use crate::grants::grants;
use crate::identities::{identities, principals_and_sessions};
use crate::key_stores::{external_key_stores, key_stores};
use crate::keys::{
    create_key_is_all_or_nothing, deletion_only_when_due, keys_round_trip, multi_region, rotation,
    updates_are_versioned,
};
use crate::sealing::reseal_all;
use crate::tags::tags;

/// Runs every check against one store.
async fn conformance(store: &dyn Store) {
    keys_round_trip(store).await;
    updates_are_versioned(store).await;
    create_key_is_all_or_nothing(store).await;
    aliases(store).await;
    tags(store).await;
    deletion_only_when_due(store).await;
    identities(store).await;
    principals_and_sessions(store).await;
    grants(store).await;
    rotation(store).await;
    multi_region(store).await;
    reseal_all(store).await;
    key_stores(store).await;
    external_key_stores(store).await;
    audit_chain(store).await;
    audit_lookup(store).await;
    leases(store).await;
    listeners_hear_commits(store).await;
}

#[tokio::test]
async fn sqlite_in_memory_conforms() {
    conformance(&SqliteStore::in_memory().unwrap()).await;
}

#[tokio::test]
async fn sqlite_on_disk_conforms_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = SqliteStore::open(&path).unwrap();
    conformance(&store).await;
    store.integrity_check().await.unwrap();
    drop(store);
    // Reopening runs no migration twice and finds the data.
    let store = SqliteStore::open(&path).unwrap();
    assert!(
        store
            .key(&scope(), &KeyId::parse(A).unwrap())
            .await
            .unwrap()
            .is_some()
    );
}

#[cfg(unix)]
#[tokio::test]
async fn the_store_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    {
        let store = SqliteStore::open(&path).unwrap();
        store.put_meta("x", b"1").await.unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("t.db-wal")), 0o600);
    }
    // An existing store made readable by others is made owner-only again.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.meta("x").await.unwrap(), Some(b"1".to_vec()));
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 999).unwrap();
    drop(conn);
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(err.to_string().contains("newer than this build"), "{err}");
}

#[test]
fn a_file_that_is_not_a_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    std::fs::write(&path, vec![0x42u8; 8192]).unwrap();
    assert!(SqliteStore::open(&path).is_err());
}
