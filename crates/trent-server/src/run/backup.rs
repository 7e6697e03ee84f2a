//! `trent backup` and `trent restore`: a consistent online snapshot of the store, and putting
//! one back into a stopped data directory.
//!
//! A snapshot holds key material only sealed under the root key, which it does not contain:
//! keep `root.key` (or the passphrase) and the snapshots apart, and both safe.

use crate::failure::Failure;
use std::path::Path;

use trent_store::SqliteStore;

/// Snapshots the store of `data_dir` into `to` (a new file) while a server may be using it.
pub async fn backup(data_dir: &Path, to: &Path) -> Result<(), Failure> {
    if to.exists() {
        return Err(Failure::DataDir(format!("{} exists already", to.display())));
    }
    let db = data_dir.join("trent.db");
    if !db.exists() {
        return Err(Failure::DataDir(format!(
            "{} has no store",
            data_dir.display()
        )));
    }
    let store = SqliteStore::open(&db)
        .map_err(|e| Failure::DataDir(format!("cannot open {}: {e}", db.display())))?;
    store
        .backup_to(to)
        .await
        .map_err(|e| Failure::DataDir(format!("cannot write {}: {e}", to.display())))?;
    // The snapshot holds sealed secrets only, but is for its owner's eyes.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| Failure::DataDir(format!("cannot restrict {}: {e}", to.display())))?;
    }
    Ok(())
}

/// Replaces the store of a stopped `data_dir` with the snapshot `from`, after checking that the
/// snapshot is a sound Trent store.
pub fn restore(data_dir: &Path, from: &Path) -> Result<(), Failure> {
    let lock = crate::run::server::lock_data_dir(data_dir)?;
    // Open the snapshot first: a file that is not a sound store is refused before anything
    // is replaced.
    {
        let check = SqliteStore::open(from).map_err(|e| {
            Failure::DataDir(format!("{} is not a Trent store: {e}", from.display()))
        })?;
        drop(check);
    }
    let db = data_dir.join("trent.db");
    let staged = data_dir.join("trent.db.restoring");
    std::fs::copy(from, &staged)
        .map_err(|e| Failure::DataDir(format!("cannot copy {}: {e}", from.display())))?;
    for stale in ["trent.db-wal", "trent.db-shm"] {
        let path = data_dir.join(stale);
        // A side file may vanish on its own meanwhile: SQLite deletes both when the last
        // connection of a stopped server lets go.
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Failure::DataDir(format!(
                    "cannot remove {}: {e}",
                    path.display()
                )));
            }
        }
    }
    std::fs::rename(&staged, &db)
        .map_err(|e| Failure::DataDir(format!("cannot put the store in place: {e}")))?;
    drop(lock);
    Ok(())
}
