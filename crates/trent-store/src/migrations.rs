//! Versioned schema migrations, embedded in the binary and applied in order at open.
//!
//! The applied version is SQLite's `user_version`. Each migration runs in its own transaction
//! together with the version bump, so a crash mid-migration leaves the previous version intact.

use rusqlite::Connection;

/// The migrations, in order; the version of migration `i` is `i + 1`.
const SQLITE: &[&str] = &[
    include_str!("../migrations/sqlite/0001_initial.sql"),
    include_str!("../migrations/sqlite/0002_public_keys.sql"),
    include_str!("../migrations/sqlite/0003_principals_grants.sql"),
    include_str!("../migrations/sqlite/0004_rotation.sql"),
    include_str!("../migrations/sqlite/0005_import.sql"),
    include_str!("../migrations/sqlite/0006_multi_region.sql"),
    include_str!("../migrations/sqlite/0007_audit.sql"),
    include_str!("../migrations/sqlite/0008_leases.sql"),
    include_str!("../migrations/sqlite/0009_transitive_session_tags.sql"),
];

/// The schema version this build writes.
pub fn latest() -> i64 {
    i64::try_from(SQLITE.len()).unwrap_or(i64::MAX)
}

/// Brings the schema up to date. Refuses a database newer than this build.
pub fn migrate(conn: &mut Connection) -> Result<(), String> {
    let current: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    if current > latest() {
        return Err(format!(
            "the data directory has schema version {current}, newer than this build of Trent supports ({})",
            latest()
        ));
    }
    for (index, sql) in SQLITE.iter().enumerate() {
        let version = i64::try_from(index + 1).unwrap_or(i64::MAX);
        if version <= current {
            continue;
        }
        let tx = conn.transaction().map_err(|e| e.to_string())?;
        tx.execute_batch(sql).map_err(|e| e.to_string())?;
        tx.pragma_update(None, "user_version", version)
            .map_err(|e| e.to_string())?;
        tx.commit().map_err(|e| e.to_string())?;
    }
    Ok(())
}
