//! The SQLite store: one file in the data directory, WAL journal, `synchronous=FULL` (OFF for
//! an ephemeral server), every mutation in one transaction.
//!
//! rusqlite is synchronous; each call runs on tokio's blocking pool behind one connection.
//! Writes are rare (management calls) and the hot path reads from the in-memory cache, so one
//! connection is enough; see `docs/adr/0002-sqlite-with-rusqlite.md`.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use async_trait::async_trait;
use rusqlite::{Connection, ErrorCode, OptionalExtension, Row, params};
use std::collections::BTreeMap;

use trent_core::model::{
    AccessKeyRecord, AccountId, AccountRecord, AliasName, AliasRecord, AuditDigest, AuditEntry,
    AuditQuery, AuditRecord, ExpirationModel, GrantRecord, ImportToken, KeyId, KeyManager,
    KeyRecord, KeySpec, KeyState, KeyUsage, LastUsage, MaterialId, Origin, PrincipalRecord,
    PrincipalType, Region, Rotation, RotationType, Scope, SealedMaterial, SessionRecord, Tag,
    UnixMillis, WrappingAlgorithm, WrappingKeySpec,
};
use trent_core::store::{
    AuditChain, Change, ChangeListener, KeyChange, Page, Resealer, SealedSlot, SetChange, Store,
    StoreError, StoreResult,
};

use crate::common::{
    GRANT_COLUMNS, KEY_COLUMNS, MaterialOp, SqlParam, audit_lookup_sql, distinct_key_ids,
    json_list, key_and_aliases, list_json, map_json, page, sql_limit, tags_json,
};
use crate::migrations;

/// The SQLite implementation of [`Store`].
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    description: String,
    /// How many calls reached the database: a cheap gauge that the hot path stays in memory.
    calls: Arc<AtomicU64>,
    /// Told about every committed change to keys and aliases.
    listeners: Arc<RwLock<Vec<ChangeListener>>>,
    /// Calls queued for the connection and not finished yet: a call whose caller has gone
    /// away still runs to its end, and `quiesce` waits for it.
    pending: crate::pending::Pending,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.description)
            .finish_non_exhaustive()
    }
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn corrupt(what: &str) -> rusqlite::Error {
    rusqlite::Error::InvalidColumnName(format!("corrupt value in column {what}"))
}

/// Creates the database file owner-only, or makes an existing one (and its side files) so.
fn restrict(path: &Path) -> StoreResult<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        let owner_only = std::fs::Permissions::from_mode(0o600);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let side = |suffix: &str| {
                    let mut name = path.as_os_str().to_owned();
                    name.push(suffix);
                    std::path::PathBuf::from(name)
                };
                // A side file may vanish between listing and chmod: SQLite deletes both when
                // the last connection of a store closing elsewhere (a restart) lets go.
                for file in [path.to_path_buf(), side("-wal"), side("-shm")] {
                    match std::fs::set_permissions(&file, owner_only.clone()) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return Err(unavailable(format!("{}: {e}", file.display()))),
                    }
                }
            }
            Err(e) => return Err(unavailable(format!("{}: {e}", path.display()))),
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Maps a SQLite error: constraint violations by the table they name, the rest by kind.
fn map_error(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, message) if f.code == ErrorCode::ConstraintViolation => {
            let message = message.as_deref().unwrap_or_default();
            let constraint = if message.contains("aliases.") {
                "aliases"
            } else if message.contains("keys.") {
                "keys"
            } else if message.contains("access_keys.") {
                "access_keys"
            } else if message.contains("audit_digests.") {
                "audit_digests"
            } else if message.contains("FOREIGN KEY") {
                "foreign_key"
            } else {
                "unknown"
            };
            StoreError::Conflict { constraint }
        }
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) =>
        {
            StoreError::Corrupt(e.to_string())
        }
        rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::DiskFull => {
            StoreError::Full(e.to_string())
        }
        rusqlite::Error::InvalidColumnName(m) if m.starts_with("corrupt") => {
            StoreError::Corrupt(m.clone())
        }
        _ => StoreError::Unavailable(e.to_string()),
    }
}

/// Whether a commit waits for the disk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// Every commit is on disk before it is acknowledged (`synchronous=FULL`).
    #[default]
    Full,
    /// Commits are not flushed (`synchronous=OFF`): for a store nothing outlives, such as
    /// `trent serve --ephemeral`'s.
    Off,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and migrates it.
    ///
    /// The file is readable by its owner only (its write-ahead log and shared-memory files
    /// inherit that from it), though it holds nothing in the clear that the root key protects.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        Self::open_with(path, Durability::Full)
    }

    /// Opens the database at `path` as [`open`](Self::open) does, flushing commits to disk or
    /// not as `durability` says.
    pub fn open_with(path: &Path, durability: Durability) -> StoreResult<SqliteStore> {
        restrict(path)?;
        let conn = Connection::open(path).map_err(map_error)?;
        Self::setup(conn, path.display().to_string(), durability)
    }

    /// An in-memory database, for tests.
    pub fn in_memory() -> StoreResult<SqliteStore> {
        let conn = Connection::open_in_memory().map_err(map_error)?;
        Self::setup(conn, ":memory:".to_owned(), Durability::Full)
    }

    fn setup(
        mut conn: Connection,
        description: String,
        durability: Durability,
    ) -> StoreResult<SqliteStore> {
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(map_error)?;
        // FULL makes each commit durable in WAL mode, not only consistent; OFF leaves the
        // flushing to the operating system (a crash of the process loses nothing, one of the
        // machine may).
        let synchronous = match durability {
            Durability::Full => "FULL",
            Durability::Off => "OFF",
        };
        conn.pragma_update(None, "synchronous", synchronous)
            .map_err(map_error)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(map_error)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(map_error)?;
        migrations::migrate(&mut conn).map_err(StoreError::Corrupt)?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            description,
            calls: Arc::new(AtomicU64::new(0)),
            listeners: Arc::new(RwLock::new(Vec::new())),
            pending: crate::pending::Pending::default(),
        })
    }

    /// How many store calls (reads and transactions) have reached the database since it was
    /// opened.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Runs `f` with the connection on the blocking pool.
    async fn with<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let conn = self.conn.clone();
        self.calls.fetch_add(1, Ordering::Relaxed);
        let ticket = self.pending.ticket();
        tokio::task::spawn_blocking(move || {
            let _ticket = ticket;
            let mut guard = conn
                .lock()
                .map_err(|_| unavailable("connection lock poisoned"))?;
            f(&mut guard).map_err(map_error)
        })
        .await
        .map_err(unavailable)?
    }

    /// Runs `f` in one transaction that commits only if `f` succeeds; `f` may also fail with a
    /// store error of its own (not found, a limit). After the commit, still on the blocking
    /// thread (so even if the caller has gone away) and still holding the connection, the
    /// listeners hear of `changes`.
    async fn transaction<T, F>(&self, changes: Vec<Change>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<StoreResult<T>, rusqlite::Error>
            + Send
            + 'static,
    {
        let conn = self.conn.clone();
        let listeners = self.listeners.clone();
        self.calls.fetch_add(1, Ordering::Relaxed);
        let ticket = self.pending.ticket();
        tokio::task::spawn_blocking(move || {
            let _ticket = ticket;
            let mut guard = conn
                .lock()
                .map_err(|_| unavailable("connection lock poisoned"))?;
            let tx = guard.transaction().map_err(map_error)?;
            match f(&tx).map_err(map_error)? {
                Ok(value) => {
                    tx.commit().map_err(map_error)?;
                    // Still holding the connection: no store read can see this commit before
                    // the caches have dropped what it changed.
                    if let Ok(listeners) = listeners.read() {
                        for change in &changes {
                            for listener in listeners.iter() {
                                listener(change);
                            }
                        }
                    }
                    drop(guard);
                    Ok(value)
                }
                Err(e) => Err(e), // dropping `tx` rolls back
            }
        })
        .await
        .map_err(unavailable)?
    }

    /// Reads a key, lets `change` modify it, optionally adds a material version, and writes
    /// the record back with its version bumped: one transaction.
    async fn change_key(
        &self,
        scope: &Scope,
        id: &KeyId,
        material: MaterialOp,
        change: KeyChange,
    ) -> StoreResult<Result<KeyRecord, trent_core::Error>> {
        let (scope, id) = (scope.clone(), id.clone());
        let changes = vec![Change::Key {
            scope: scope.clone(),
            id: id.clone(),
        }];
        self.transaction(changes, move |tx| {
            Ok(match apply_change(tx, &scope, &id, material, change)? {
                Ok(outcome) => Ok(outcome),
                Err(e) => Err(e),
            })
        })
        .await
    }

    /// Runs SQLite's integrity check; `Ok(())` when the file is sound.
    pub async fn integrity_check(&self) -> StoreResult<()> {
        self.check("PRAGMA integrity_check").await
    }

    /// SQLite's quick check (every page and record well formed, without matching indexes to
    /// their tables): fast enough for every start.
    pub async fn quick_check(&self) -> StoreResult<()> {
        self.check("PRAGMA quick_check").await
    }

    async fn check(&self, pragma: &'static str) -> StoreResult<()> {
        let result: String = self
            .with(move |c| c.query_row(pragma, [], |r| r.get(0)))
            .await?;
        if result == "ok" {
            Ok(())
        } else {
            Err(StoreError::Corrupt(result))
        }
    }
}

fn key_from_row(row: &Row<'_>) -> rusqlite::Result<KeyRecord> {
    let text = |i: usize| row.get::<_, String>(i);
    let account = AccountId::parse(&text(0)?).ok_or_else(|| corrupt("keys.account"))?;
    let region = Region::parse(&text(1)?).ok_or_else(|| corrupt("keys.region"))?;
    let id = KeyId::parse(&text(2)?).ok_or_else(|| corrupt("keys.id"))?;
    let material: Vec<u8> = row.get(12)?;
    let material: [u8; 32] = material
        .try_into()
        .map_err(|_| corrupt("keys.current_material"))?;
    let window: Option<i64> = row.get(11)?;
    Ok(KeyRecord {
        scope: Scope { account, region },
        id,
        created: UnixMillis(row.get(3)?),
        description: text(4)?,
        spec: KeySpec::parse(&text(5)?).ok_or_else(|| corrupt("keys.spec"))?,
        usage: KeyUsage::parse(&text(6)?).ok_or_else(|| corrupt("keys.usage"))?,
        origin: Origin::parse(&text(7)?).ok_or_else(|| corrupt("keys.origin"))?,
        manager: KeyManager::parse(&text(8)?).ok_or_else(|| corrupt("keys.manager"))?,
        state: KeyState::parse(&text(9)?).ok_or_else(|| corrupt("keys.state"))?,
        deletion_date: row.get::<_, Option<i64>>(10)?.map(UnixMillis),
        pending_window_days: window.and_then(|w| u32::try_from(w).ok()),
        current_material: MaterialId(material),
        multi_region: row.get::<_, i64>(13)? != 0,
        policy: text(14)?,
        version: row.get(15)?,
        public_key: row.get(16)?,
        rotation: Rotation {
            period_days: row
                .get::<_, Option<i64>>(17)?
                .and_then(|d| u32::try_from(d).ok()),
            next: row.get::<_, Option<i64>>(18)?.map(UnixMillis),
            on_demand_count: u32::try_from(row.get::<_, i64>(19)?).unwrap_or_default(),
            on_demand_started: row.get::<_, Option<i64>>(20)?.map(UnixMillis),
        },
        valid_to: row.get::<_, Option<i64>>(21)?.map(UnixMillis),
        expiration_model: row
            .get::<_, Option<String>>(22)?
            .map(|m| ExpirationModel::parse(&m).ok_or_else(|| corrupt("keys.expiration_model")))
            .transpose()?,
        primary_region: row
            .get::<_, Option<String>>(23)?
            .map(|r| Region::parse(&r).ok_or_else(|| corrupt("keys.primary_region")))
            .transpose()?,
        policy_principals: json_map(&text(24)?)?,
    })
}

fn alias_from_row(row: &Row<'_>) -> rusqlite::Result<AliasRecord> {
    let text = |i: usize| row.get::<_, String>(i);
    Ok(AliasRecord {
        scope: Scope {
            account: AccountId::parse(&text(0)?).ok_or_else(|| corrupt("aliases.account"))?,
            region: Region::parse(&text(1)?).ok_or_else(|| corrupt("aliases.region"))?,
        },
        name: AliasName::parse(&text(2)?).map_err(|_| corrupt("aliases.name"))?,
        target: KeyId::parse(&text(3)?).ok_or_else(|| corrupt("aliases.target"))?,
        created: UnixMillis(row.get(4)?),
        updated: UnixMillis(row.get(5)?),
    })
}

fn insert_key(tx: &rusqlite::Transaction<'_>, key: &KeyRecord) -> rusqlite::Result<()> {
    tx.execute(
        &format!("INSERT INTO keys ({KEY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)"),
        params![
            key.scope.account.as_str(),
            key.scope.region.as_str(),
            key.id.as_str(),
            key.created.0,
            key.description,
            key.spec.as_str(),
            key.usage.as_str(),
            key.origin.as_str(),
            key.manager.as_str(),
            key.state.as_str(),
            key.deletion_date.map(|d| d.0),
            key.pending_window_days.map(i64::from),
            key.current_material.0.as_slice(),
            i64::from(key.multi_region),
            key.policy,
            key.version,
            key.public_key,
            key.rotation.period_days.map(i64::from),
            key.rotation.next.map(|d| d.0),
            i64::from(key.rotation.on_demand_count),
            key.rotation.on_demand_started.map(|d| d.0),
            key.valid_to.map(|d| d.0),
            key.expiration_model.map(ExpirationModel::as_str),
            key.primary_region.as_ref().map(Region::as_str),
            map_json(&key.policy_principals),
        ],
    )?;
    Ok(())
}

fn grant_from_row(row: &Row<'_>) -> rusqlite::Result<GrantRecord> {
    let (a, r, k): (String, String, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
    let operations: String = row.get(8)?;
    let equals: Option<String> = row.get(9)?;
    let subset: Option<String> = row.get(10)?;
    Ok(GrantRecord {
        scope: Scope {
            account: AccountId::parse(&a).ok_or_else(|| corrupt("grants.account"))?,
            region: Region::parse(&r).ok_or_else(|| corrupt("grants.region"))?,
        },
        key: KeyId::parse(&k).ok_or_else(|| corrupt("grants.key_id"))?,
        id: row.get(3)?,
        name: row.get(4)?,
        grantee: row.get(5)?,
        grantee_id: row.get(12)?,
        retiring: row.get(6)?,
        retiring_id: row.get(13)?,
        issuing_account: row.get(7)?,
        operations: operations
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        context_equals: equals.as_deref().map(json_map).transpose()?,
        context_subset: subset.as_deref().map(json_map).transpose()?,
        created: UnixMillis(row.get(11)?),
    })
}

fn json_map(text: &str) -> rusqlite::Result<BTreeMap<String, String>> {
    crate::common::json_map(text).ok_or_else(|| corrupt("json object"))
}

fn json_tags(text: &str) -> rusqlite::Result<Vec<Tag>> {
    crate::common::json_tags(text).ok_or_else(|| corrupt("json object"))
}

/// Reads a key, lets `change` modify it, applies `material`, and writes the record back with
/// its version bumped, inside the caller's transaction. `Err` for a store-level refusal (no
/// such key, no such pending version); `Ok(Err)` when `change` refuses.
#[allow(clippy::type_complexity)]
fn apply_change(
    tx: &rusqlite::Transaction<'_>,
    scope: &Scope,
    id: &KeyId,
    material: MaterialOp,
    change: KeyChange,
) -> rusqlite::Result<Result<Result<KeyRecord, trent_core::Error>, StoreError>> {
    let current = tx
        .query_row(
            &format!(
                "SELECT {KEY_COLUMNS} FROM keys WHERE account = ?1 AND region = ?2 AND id = ?3"
            ),
            params![scope.account.as_str(), scope.region.as_str(), id.as_str()],
            key_from_row,
        )
        .optional()?;
    let Some(current) = current else {
        return Ok(Err(StoreError::NotFound));
    };
    let mut next = current.clone();
    if let Err(refused) = change(&mut next) {
        return Ok(Ok(Err(refused)));
    }
    if next == current && matches!(material, MaterialOp::Keep) {
        return Ok(Ok(Ok(current)));
    }
    match &material {
        MaterialOp::Keep => {}
        MaterialOp::Add(m) => insert_material(tx, scope, id, m)?,
        MaterialOp::Promote(material, kind) => {
            let n = tx.execute(
                "UPDATE key_materials SET pending = 0, rotation_type = ?5, created = ?6
                 WHERE account = ?1 AND region = ?2 AND key_id = ?3 AND material_id = ?4 AND pending = 1",
                params![
                    scope.account.as_str(),
                    scope.region.as_str(),
                    id.as_str(),
                    material.0.as_slice(),
                    kind.as_str(),
                    next.rotation.on_demand_started.map_or(0, |d| d.0)
                ],
            )?;
            if n == 0 {
                return Ok(Err(StoreError::NotFound));
            }
        }
        MaterialOp::DeleteAll => {
            // The versions stay known (their ids, dates, descriptions), so that the
            // same material can be imported again; only the sealed bytes go.
            tx.execute(
                "UPDATE key_materials SET sealed = X'' WHERE account = ?1 AND region = ?2 AND key_id = ?3",
                params![scope.account.as_str(), scope.region.as_str(), id.as_str()],
            )?;
        }
    }
    tx.execute(
        "UPDATE keys SET description = ?4, spec = ?5, usage = ?6, origin = ?7, manager = ?8, state = ?9,
         deletion_date = ?10, pending_window_days = ?11, current_material = ?12, multi_region = ?13, policy = ?14,
         public_key = ?15, rotation_period_days = ?16, next_rotation = ?17, on_demand_rotations = ?18,
         on_demand_started = ?19, valid_to = ?20, expiration_model = ?21, primary_region = ?22,
         policy_principals = ?23, version = version + 1
         WHERE account = ?1 AND region = ?2 AND id = ?3",
        params![
            scope.account.as_str(),
            scope.region.as_str(),
            id.as_str(),
            next.description,
            next.spec.as_str(),
            next.usage.as_str(),
            next.origin.as_str(),
            next.manager.as_str(),
            next.state.as_str(),
            next.deletion_date.map(|d| d.0),
            next.pending_window_days.map(i64::from),
            next.current_material.0.as_slice(),
            i64::from(next.multi_region),
            next.policy,
            next.public_key,
            next.rotation.period_days.map(i64::from),
            next.rotation.next.map(|d| d.0),
            i64::from(next.rotation.on_demand_count),
            next.rotation.on_demand_started.map(|d| d.0),
            next.valid_to.map(|d| d.0),
            next.expiration_model.map(ExpirationModel::as_str),
            next.primary_region.as_ref().map(Region::as_str),
            map_json(&next.policy_principals),
        ],
    )?;
    next.version = current.version + 1;
    Ok(Ok(Ok(next)))
}

fn material_from_row(row: &Row<'_>) -> rusqlite::Result<SealedMaterial> {
    let id: Vec<u8> = row.get(0)?;
    let id: [u8; 32] = id
        .try_into()
        .map_err(|_| corrupt("key_materials.material_id"))?;
    let rotation: Option<String> = row.get(3)?;
    Ok(SealedMaterial {
        id: MaterialId(id),
        sealed: row.get(1)?,
        created: UnixMillis(row.get(2)?),
        rotation: rotation
            .map(|r| RotationType::parse(&r).ok_or_else(|| corrupt("key_materials.rotation_type")))
            .transpose()?,
        description: row.get(4)?,
        pending: row.get::<_, i64>(5)? != 0,
        valid_to: row.get::<_, Option<i64>>(6)?.map(UnixMillis),
        expiration_model: row
            .get::<_, Option<String>>(7)?
            .map(|m| {
                ExpirationModel::parse(&m).ok_or_else(|| corrupt("key_materials.expiration_model"))
            })
            .transpose()?,
    })
}

fn insert_material(
    tx: &rusqlite::Transaction<'_>,
    scope: &Scope,
    id: &KeyId,
    m: &SealedMaterial,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO key_materials (account, region, key_id, material_id, sealed, created, rotation_type, description, pending, valid_to, expiration_model)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (account, region, key_id, material_id) DO UPDATE SET sealed = excluded.sealed,
         description = COALESCE(excluded.description, key_materials.description),
         valid_to = excluded.valid_to, expiration_model = excluded.expiration_model",
        params![
            scope.account.as_str(),
            scope.region.as_str(),
            id.as_str(),
            m.id.0.as_slice(),
            m.sealed,
            m.created.0,
            m.rotation.map(RotationType::as_str),
            m.description,
            i64::from(m.pending),
            m.valid_to.map(|t| t.0),
            m.expiration_model.map(ExpirationModel::as_str),
        ],
    )?;
    Ok(())
}

fn audit_from_row(r: &Row<'_>) -> rusqlite::Result<AuditRecord> {
    Ok(AuditRecord {
        seq: r.get(0)?,
        time: UnixMillis(r.get(1)?),
        event: r.get(2)?,
        hash: r.get(3)?,
    })
}

fn scope_and_id(r: &Row<'_>) -> rusqlite::Result<(Scope, KeyId)> {
    let (a, rg, id): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
    Ok((
        Scope {
            account: AccountId::parse(&a).ok_or_else(|| corrupt("keys.account"))?,
            region: Region::parse(&rg).ok_or_else(|| corrupt("keys.region"))?,
        },
        KeyId::parse(&id).ok_or_else(|| corrupt("keys.id"))?,
    ))
}

/// A sealed column, and how to tell from its row (`rowid`, the `locator` columns, the sealed
/// value) where the value lives.
struct SealedColumn {
    table: &'static str,
    column: &'static str,
    locator: &'static str,
    slot: fn(&Row<'_>) -> rusqlite::Result<SealedSlot>,
}

fn key_slot(r: &Row<'_>, from: usize) -> rusqlite::Result<(Scope, KeyId)> {
    let text = |i: usize| r.get::<_, String>(from + i);
    Ok((
        Scope {
            account: AccountId::parse(&text(0)?).ok_or_else(|| corrupt("account"))?,
            region: Region::parse(&text(1)?).ok_or_else(|| corrupt("region"))?,
        },
        KeyId::parse(&text(2)?).ok_or_else(|| corrupt("key_id"))?,
    ))
}

/// Every column that holds a value sealed under the root key.
const SEALED_COLUMNS: &[SealedColumn] = &[
    SealedColumn {
        table: "meta",
        column: "value",
        locator: "name",
        slot: |r| Ok(SealedSlot::Meta { name: r.get(1)? }),
    },
    SealedColumn {
        table: "access_keys",
        column: "sealed_secret",
        locator: "id",
        slot: |r| Ok(SealedSlot::AccessKey { id: r.get(1)? }),
    },
    SealedColumn {
        table: "sessions",
        column: "sealed_secret",
        locator: "access_key_id",
        slot: |r| {
            Ok(SealedSlot::SessionSecret {
                access_key_id: r.get(1)?,
            })
        },
    },
    SealedColumn {
        table: "sessions",
        column: "sealed_token",
        locator: "access_key_id",
        slot: |r| {
            Ok(SealedSlot::SessionToken {
                access_key_id: r.get(1)?,
            })
        },
    },
    SealedColumn {
        table: "key_materials",
        column: "sealed",
        locator: "account, region, key_id, material_id",
        slot: |r| {
            let (scope, key) = key_slot(r, 1)?;
            let id: Vec<u8> = r.get(4)?;
            let id: [u8; 32] = id
                .try_into()
                .map_err(|_| corrupt("key_materials.material_id"))?;
            Ok(SealedSlot::Material {
                scope,
                key,
                material: MaterialId(id),
            })
        },
    },
    SealedColumn {
        table: "import_tokens",
        column: "sealed_private",
        locator: "account, region, key_id, token",
        slot: |r| {
            let (scope, key) = key_slot(r, 1)?;
            Ok(SealedSlot::ImportToken {
                token: r.get(4)?,
                scope,
                key,
            })
        },
    },
];

/// Re-seals one column inside `tx`; `Err` with the resealer's reason stops the whole re-seal.
fn reseal_column(
    tx: &rusqlite::Transaction<'_>,
    column: &SealedColumn,
    reseal: &Resealer,
) -> rusqlite::Result<Result<u64, String>> {
    let rows: Vec<(i64, SealedSlot, Vec<u8>)> = {
        let mut stmt = tx.prepare(&format!(
            "SELECT rowid, {}, {} FROM {}",
            column.locator, column.column, column.table
        ))?;
        let value_at = column.locator.split(',').count().saturating_add(1);
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, (column.slot)(r)?, r.get(value_at)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut update = tx.prepare(&format!(
        "UPDATE {} SET {} = ?1 WHERE rowid = ?2",
        column.table, column.column
    ))?;
    let mut count = 0u64;
    for (rowid, slot, sealed) in rows {
        match reseal(&slot, &sealed) {
            Ok(Some(new)) => {
                update.execute(params![new, rowid])?;
                count = count.saturating_add(1);
            }
            Ok(None) => {}
            Err(why) => return Ok(Err(why)),
        }
    }
    Ok(Ok(count))
}

#[async_trait]
impl Store for SqliteStore {
    fn listen(&self, listener: ChangeListener) {
        if let Ok(mut listeners) = self.listeners.write() {
            listeners.push(listener);
        }
    }

    async fn delete_meta(&self, name: &str) -> StoreResult<()> {
        let name = name.to_owned();
        self.with(move |c| {
            c.execute("DELETE FROM meta WHERE name = ?1", [name])
                .map(|_| ())
        })
        .await
    }

    async fn delete_access_key(&self, id: &str) -> StoreResult<()> {
        let id = id.to_owned();
        self.with(move |c| {
            c.execute("DELETE FROM access_keys WHERE id = ?1", [id])
                .map(|_| ())
        })
        .await
    }
    async fn meta(&self, name: &str) -> StoreResult<Option<Vec<u8>>> {
        let name = name.to_owned();
        self.with(move |c| {
            c.query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
        })
        .await
    }

    async fn put_meta(&self, name: &str, value: &[u8]) -> StoreResult<()> {
        let (name, value) = (name.to_owned(), value.to_vec());
        self.with(move |c| {
            c.execute(
                "INSERT INTO meta (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                params![name, value],
            )
            .map(|_| ())
        })
        .await
    }

    async fn quiesce(&self) -> StoreResult<()> {
        self.pending.quiesce().await
    }

    async fn reseal_all(&self, reseal: Resealer) -> StoreResult<u64> {
        self.transaction(Vec::new(), move |tx| {
            let mut total = 0u64;
            for column in SEALED_COLUMNS {
                match reseal_column(tx, column, &reseal)? {
                    Ok(n) => total = total.saturating_add(n),
                    Err(why) => return Ok(Err(StoreError::Corrupt(why))),
                }
            }
            Ok(Ok(total))
        })
        .await
    }

    async fn put_account(&self, account: &AccountRecord) -> StoreResult<()> {
        let id = account.id.as_str().to_owned();
        let regions: Vec<&str> = account.regions.iter().map(Region::as_str).collect();
        let regions = regions.join(",");
        self.with(move |c| {
            c.execute(
                "INSERT INTO accounts (id, regions) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET regions = excluded.regions",
                params![id, regions],
            )
            .map(|_| ())
        })
        .await
    }

    async fn accounts(&self) -> StoreResult<Vec<AccountRecord>> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT id, regions FROM accounts ORDER BY id")?;
            let rows = stmt.query_map([], |r| {
                let id: String = r.get(0)?;
                let regions: String = r.get(1)?;
                Ok(AccountRecord {
                    id: AccountId::parse(&id).ok_or_else(|| corrupt("accounts.id"))?,
                    regions: regions
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(|s| Region::parse(s).ok_or_else(|| corrupt("accounts.regions")))
                        .collect::<rusqlite::Result<_>>()?,
                })
            })?;
            rows.collect()
        })
        .await
    }

    async fn put_access_key(&self, key: &AccessKeyRecord) -> StoreResult<()> {
        let key = key.clone();
        self.with(move |c| {
            c.execute(
                "INSERT INTO access_keys (id, account, user_name, sealed_secret, enabled, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (id) DO UPDATE SET account = excluded.account, user_name = excluded.user_name,
                 sealed_secret = excluded.sealed_secret, enabled = excluded.enabled",
                params![key.id, key.account.as_str(), key.user, key.sealed_secret, i64::from(key.enabled), key.created.0],
            )
            .map(|_| ())
        })
        .await
    }

    async fn access_keys(&self) -> StoreResult<Vec<AccessKeyRecord>> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT id, account, user_name, sealed_secret, enabled, created FROM access_keys ORDER BY id",
            )?;
            let rows = stmt.query_map([], |r| {
                let account: String = r.get(1)?;
                Ok(AccessKeyRecord {
                    id: r.get(0)?,
                    account: AccountId::parse(&account)
                        .ok_or_else(|| corrupt("access_keys.account"))?,
                    user: r.get(2)?,
                    sealed_secret: r.get(3)?,
                    enabled: r.get::<_, i64>(4)? != 0,
                    created: UnixMillis(r.get(5)?),
                })
            })?;
            rows.collect()
        })
        .await
    }

    async fn create_key(
        &self,
        key: &KeyRecord,
        materials: &[SealedMaterial],
        tags: &[Tag],
        aliases: &[AliasRecord],
    ) -> StoreResult<()> {
        let (key, materials, tags, aliases) = (
            key.clone(),
            materials.to_vec(),
            tags.to_vec(),
            aliases.to_vec(),
        );
        let changes = key_and_aliases(&key.scope, &key.id);
        self.transaction(changes, move |tx| {
            insert_key(tx, &key)?;
            for material in &materials {
                insert_material(tx, &key.scope, &key.id, material)?;
            }
            let (account, region, id) = (
                key.scope.account.as_str(),
                key.scope.region.as_str(),
                key.id.as_str(),
            );
            for tag in &tags {
                tx.execute(
                    "INSERT INTO tags (account, region, key_id, tag_key, tag_value) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT DO UPDATE SET tag_value = excluded.tag_value",
                    params![account, region, id, tag.key, tag.value],
                )?;
            }
            for alias in &aliases {
                tx.execute(
                    "INSERT INTO aliases (account, region, name, target, created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![account, region, alias.name.as_str(), id, alias.created.0, alias.updated.0],
                )?;
            }
            Ok(Ok(()))
        })
        .await
    }

    async fn key(&self, scope: &Scope, id: &KeyId) -> StoreResult<Option<KeyRecord>> {
        let (scope, id) = (scope.clone(), id.clone());
        self.with(move |c| {
            c.query_row(
                &format!(
                    "SELECT {KEY_COLUMNS} FROM keys WHERE account = ?1 AND region = ?2 AND id = ?3"
                ),
                params![scope.account.as_str(), scope.region.as_str(), id.as_str()],
                key_from_row,
            )
            .optional()
        })
        .await
    }

    async fn modify_key(
        &self,
        scope: &Scope,
        id: &KeyId,
        change: KeyChange,
    ) -> StoreResult<Result<KeyRecord, trent_core::Error>> {
        self.change_key(scope, id, MaterialOp::Keep, change).await
    }

    async fn rotate_key(
        &self,
        scope: &Scope,
        id: &KeyId,
        material: &SealedMaterial,
        change: KeyChange,
    ) -> StoreResult<Result<KeyRecord, trent_core::Error>> {
        self.change_key(scope, id, MaterialOp::Add(material.clone()), change)
            .await
    }

    async fn promote_material(
        &self,
        scope: &Scope,
        id: &KeyId,
        material: &MaterialId,
        kind: RotationType,
        change: KeyChange,
    ) -> StoreResult<Result<KeyRecord, trent_core::Error>> {
        self.change_key(scope, id, MaterialOp::Promote(*material, kind), change)
            .await
    }

    async fn delete_materials(
        &self,
        scope: &Scope,
        id: &KeyId,
        change: KeyChange,
    ) -> StoreResult<Result<KeyRecord, trent_core::Error>> {
        self.change_key(scope, id, MaterialOp::DeleteAll, change)
            .await
    }

    async fn keys_with_expiring_material(
        &self,
        now: UnixMillis,
    ) -> StoreResult<Vec<(Scope, KeyId)>> {
        self.with(move |c| {
            let mut stmt = c.prepare(
                "SELECT account, region, id FROM keys WHERE valid_to IS NOT NULL AND valid_to <= ?1 ORDER BY valid_to",
            )?;
            let rows = stmt.query_map([now.0], scope_and_id)?;
            rows.collect()
        })
        .await
    }

    async fn put_import_token(&self, token: &ImportToken) -> StoreResult<()> {
        let t = token.clone();
        self.transaction(Vec::new(), move |tx| {
            // Expired tokens go as new ones come.
            tx.execute("DELETE FROM import_tokens WHERE expires <= ?1", [t.expires.0 - 2 * UnixMillis::DAY])?;
            tx.execute(
                "INSERT INTO import_tokens (token, account, region, key_id, sealed_private, wrapping_algorithm, wrapping_spec, expires)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    t.token,
                    t.scope.account.as_str(),
                    t.scope.region.as_str(),
                    t.key.as_str(),
                    t.sealed_private,
                    t.algorithm.as_str(),
                    t.spec.as_str(),
                    t.expires.0
                ],
            )?;
            Ok(Ok(()))
        })
        .await
    }

    async fn record_key_usage(&self, usage: &[(Scope, KeyId, LastUsage)]) -> StoreResult<()> {
        let usage = usage.to_vec();
        self.transaction(Vec::new(), move |tx| {
            for (scope, id, u) in &usage {
                tx.execute(
                    "INSERT INTO key_usage (account, region, key_id, operation, at, request_id)
                     SELECT ?1, ?2, ?3, ?4, ?5, ?6
                     WHERE EXISTS (SELECT 1 FROM keys WHERE account = ?1 AND region = ?2 AND id = ?3)
                     ON CONFLICT (account, region, key_id) DO UPDATE SET operation = excluded.operation,
                     at = excluded.at, request_id = excluded.request_id WHERE excluded.at >= key_usage.at",
                    params![
                        scope.account.as_str(),
                        scope.region.as_str(),
                        id.as_str(),
                        u.operation,
                        u.at.0,
                        u.request_id
                    ],
                )?;
            }
            Ok(Ok(()))
        })
        .await
    }

    async fn key_usage(&self, scope: &Scope, id: &KeyId) -> StoreResult<Option<LastUsage>> {
        let (scope, id) = (scope.clone(), id.clone());
        self.with(move |c| {
            c.query_row(
                "SELECT operation, at, request_id FROM key_usage WHERE account = ?1 AND region = ?2 AND key_id = ?3",
                params![scope.account.as_str(), scope.region.as_str(), id.as_str()],
                |r| {
                    Ok(LastUsage {
                        operation: r.get(0)?,
                        at: UnixMillis(r.get(1)?),
                        request_id: r.get(2)?,
                    })
                },
            )
            .optional()
        })
        .await
    }

    async fn import_token(&self, token: &str) -> StoreResult<Option<ImportToken>> {
        let token = token.to_owned();
        self.with(move |c| {
            c.query_row(
                "SELECT token, account, region, key_id, sealed_private, wrapping_algorithm, wrapping_spec, expires
                 FROM import_tokens WHERE token = ?1",
                [token],
                |r| {
                    let (a, rg, k): (String, String, String) = (r.get(1)?, r.get(2)?, r.get(3)?);
                    let (alg, spec): (String, String) = (r.get(5)?, r.get(6)?);
                    Ok(ImportToken {
                        token: r.get(0)?,
                        scope: Scope {
                            account: AccountId::parse(&a).ok_or_else(|| corrupt("import_tokens.account"))?,
                            region: Region::parse(&rg).ok_or_else(|| corrupt("import_tokens.region"))?,
                        },
                        key: KeyId::parse(&k).ok_or_else(|| corrupt("import_tokens.key_id"))?,
                        sealed_private: r.get(4)?,
                        algorithm: WrappingAlgorithm::parse(&alg)
                            .ok_or_else(|| corrupt("import_tokens.wrapping_algorithm"))?,
                        spec: WrappingKeySpec::parse(&spec)
                            .ok_or_else(|| corrupt("import_tokens.wrapping_spec"))?,
                        expires: UnixMillis(r.get(7)?),
                    })
                },
            )
            .optional()
        })
        .await
    }

    async fn append_audit(
        &self,
        time: UnixMillis,
        events: Vec<AuditEntry>,
        chain: AuditChain,
    ) -> StoreResult<(i64, Vec<u8>)> {
        self.transaction(Vec::new(), move |tx| {
            let (mut seq, mut hash): (i64, Vec<u8>) = tx
                .query_row(
                    "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .unwrap_or((0, vec![0; 32]));
            let mut insert = tx.prepare_cached(
                "INSERT INTO audit_events (seq, time, event, hash, account, event_name) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut index_key =
                tx.prepare_cached("INSERT INTO audit_keys (key_id, seq) VALUES (?1, ?2)")?;
            for entry in &events {
                seq += 1;
                hash = chain(&hash, seq, &entry.event);
                insert.execute(params![
                    seq,
                    time.0,
                    entry.event,
                    hash,
                    entry.account,
                    entry.event_name
                ])?;
                for key in distinct_key_ids(entry) {
                    index_key.execute(params![key, seq])?;
                }
            }
            Ok(Ok((seq, hash)))
        })
        .await
    }

    async fn audit_tail(&self) -> StoreResult<Option<AuditRecord>> {
        self.with(|c| {
            c.query_row(
                "SELECT seq, time, event, hash FROM audit_events ORDER BY seq DESC LIMIT 1",
                [],
                audit_from_row,
            )
            .optional()
        })
        .await
    }

    async fn audit_records(&self, after_seq: i64, limit: usize) -> StoreResult<Vec<AuditRecord>> {
        self.with(move |c| {
            let mut stmt = c.prepare(
                "SELECT seq, time, event, hash FROM audit_events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![after_seq, sql_limit(limit) - 1], audit_from_row)?;
            rows.collect()
        })
        .await
    }

    async fn audit_lookup(&self, query: &AuditQuery) -> StoreResult<Vec<AuditRecord>> {
        let (sql, params) = audit_lookup_sql(query, |n| format!("?{n}"));
        self.with(move |c| {
            let mut stmt = c.prepare_cached(&sql)?;
            let values = params.into_iter().map(|p| match p {
                SqlParam::Text(t) => rusqlite::types::Value::Text(t),
                SqlParam::Int(i) => rusqlite::types::Value::Integer(i),
            });
            let rows = stmt.query_map(rusqlite::params_from_iter(values), audit_from_row)?;
            rows.collect()
        })
        .await
    }

    async fn put_audit_digest(&self, digest: &AuditDigest) -> StoreResult<()> {
        let d = digest.clone();
        self.transaction(Vec::new(), move |tx| {
            tx.execute(
                "INSERT INTO audit_digests (last_seq, first_seq, last_hash, time, signature) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![d.last_seq, d.first_seq, d.last_hash, d.time.0, d.signature],
            )?;
            Ok(Ok(()))
        })
        .await
    }

    async fn audit_digests(&self) -> StoreResult<Vec<AuditDigest>> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT first_seq, last_seq, last_hash, time, signature FROM audit_digests ORDER BY last_seq",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(AuditDigest {
                    first_seq: r.get(0)?,
                    last_seq: r.get(1)?,
                    last_hash: r.get(2)?,
                    time: UnixMillis(r.get(3)?),
                    signature: r.get(4)?,
                })
            })?;
            rows.collect()
        })
        .await
    }

    async fn change_keys(&self, changes: Vec<SetChange>) -> StoreResult<()> {
        let notices = changes
            .iter()
            .map(|c| Change::Key {
                scope: c.scope.clone(),
                id: c.id.clone(),
            })
            .collect();
        self.transaction(notices, move |tx| {
            for c in changes {
                let op = c.material.map_or(MaterialOp::Keep, MaterialOp::Add);
                match apply_change(tx, &c.scope, &c.id, op, c.change)? {
                    Ok(Ok(_)) => {}
                    // Any refusal rolls the whole set back.
                    Ok(Err(refused)) => return Ok(Err(StoreError::Refused(Box::new(refused)))),
                    Err(e) => return Ok(Err(e)),
                }
            }
            Ok(Ok(()))
        })
        .await
    }

    async fn key_set(&self, account: &AccountId, id: &KeyId) -> StoreResult<Vec<KeyRecord>> {
        let (account, id) = (account.clone(), id.clone());
        self.with(move |c| {
            let sql = format!(
                "SELECT {KEY_COLUMNS} FROM keys WHERE account = ?1 AND id = ?2 ORDER BY region"
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map(params![account.as_str(), id.as_str()], key_from_row)?;
            rows.collect()
        })
        .await
    }

    async fn keys_pending_replica_deletion(&self) -> StoreResult<Vec<(Scope, KeyId)>> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT account, region, id FROM keys WHERE state = 'PendingReplicaDeletion' ORDER BY id",
            )?;
            let rows = stmt.query_map([], scope_and_id)?;
            rows.collect()
        })
        .await
    }

    async fn count_keys(&self, scope: &Scope) -> StoreResult<usize> {
        let scope = scope.clone();
        let n: i64 = self
            .with(move |c| {
                c.query_row(
                    "SELECT COUNT(*) FROM keys WHERE account = ?1 AND region = ?2",
                    params![scope.account.as_str(), scope.region.as_str()],
                    |r| r.get(0),
                )
            })
            .await?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    async fn keys_due_for_rotation(&self, now: UnixMillis) -> StoreResult<Vec<(Scope, KeyId)>> {
        self.with(move |c| {
            let mut stmt = c.prepare(
                "SELECT account, region, id FROM keys WHERE next_rotation IS NOT NULL AND next_rotation <= ?1 ORDER BY next_rotation",
            )?;
            let rows = stmt.query_map([now.0], scope_and_id)?;
            rows.collect()
        })
        .await
    }

    async fn materials(&self, scope: &Scope, id: &KeyId) -> StoreResult<Vec<SealedMaterial>> {
        let (scope, id) = (scope.clone(), id.clone());
        self.with(move |c| {
            let mut stmt = c.prepare(
                "SELECT material_id, sealed, created, rotation_type, description, pending, valid_to, expiration_model FROM key_materials
                 WHERE account = ?1 AND region = ?2 AND key_id = ?3 ORDER BY created, rowid",
            )?;
            let rows = stmt.query_map(
                params![scope.account.as_str(), scope.region.as_str(), id.as_str()],
                material_from_row,
            )?;
            rows.collect()
        })
        .await
    }

    async fn list_keys(
        &self,
        scope: &Scope,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<KeyRecord>> {
        let (scope, after) = (scope.clone(), after.unwrap_or_default().to_owned());
        let items = self
            .with(move |c| {
                let mut stmt = c.prepare(&format!(
                    "SELECT {KEY_COLUMNS} FROM keys WHERE account = ?1 AND region = ?2 AND id > ?3 ORDER BY id LIMIT ?4"
                ))?;
                let rows = stmt.query_map(
                    params![scope.account.as_str(), scope.region.as_str(), after, sql_limit(limit)],
                    key_from_row,
                )?;
                rows.collect::<rusqlite::Result<Vec<_>>>()
            })
            .await?;
        Ok(page(items, limit))
    }

    async fn material(
        &self,
        scope: &Scope,
        id: &KeyId,
        material: &MaterialId,
    ) -> StoreResult<Option<SealedMaterial>> {
        let (scope, id, material) = (scope.clone(), id.clone(), *material);
        self.with(move |c| {
            c.query_row(
                "SELECT material_id, sealed, created, rotation_type, description, pending, valid_to, expiration_model FROM key_materials WHERE account = ?1 AND region = ?2 AND key_id = ?3 AND material_id = ?4 AND length(sealed) > 0",
                params![scope.account.as_str(), scope.region.as_str(), id.as_str(), material.0.as_slice()],
                material_from_row,
            )
            .optional()
        })
        .await
    }

    async fn delete_key_if_due(
        &self,
        scope: &Scope,
        id: &KeyId,
        now: UnixMillis,
    ) -> StoreResult<()> {
        let (scope, id) = (scope.clone(), id.clone());
        let changes = key_and_aliases(&scope, &id);
        self.transaction(changes, move |tx| {
            let p = params![scope.account.as_str(), scope.region.as_str(), id.as_str()];
            // Re-checked inside the transaction: a CancelKeyDeletion that won the race keeps
            // the key.
            let due: i64 = tx.query_row(
                "SELECT COUNT(*) FROM keys WHERE account = ?1 AND region = ?2 AND id = ?3
                 AND state = 'PendingDeletion' AND deletion_date <= ?4",
                params![
                    scope.account.as_str(),
                    scope.region.as_str(),
                    id.as_str(),
                    now.0
                ],
                |r| r.get(0),
            )?;
            if due == 0 {
                return Ok(Err(StoreError::NotFound));
            }
            // Foreign keys cascade, but deleting explicitly keeps the intent visible and does
            // not depend on the pragma.
            tx.execute(
                "DELETE FROM key_materials WHERE account = ?1 AND region = ?2 AND key_id = ?3",
                p,
            )?;
            tx.execute(
                "DELETE FROM tags WHERE account = ?1 AND region = ?2 AND key_id = ?3",
                p,
            )?;
            tx.execute(
                "DELETE FROM grants WHERE account = ?1 AND region = ?2 AND key_id = ?3",
                p,
            )?;
            tx.execute(
                "DELETE FROM aliases WHERE account = ?1 AND region = ?2 AND target = ?3",
                p,
            )?;
            tx.execute(
                "DELETE FROM keys WHERE account = ?1 AND region = ?2 AND id = ?3",
                p,
            )?;
            Ok(Ok(()))
        })
        .await
    }

    async fn keys_due_for_deletion(&self, now: UnixMillis) -> StoreResult<Vec<(Scope, KeyId)>> {
        self.with(move |c| {
            let mut stmt = c.prepare(
                "SELECT account, region, id FROM keys WHERE state = 'PendingDeletion' AND deletion_date <= ?1 ORDER BY deletion_date",
            )?;
            let rows = stmt.query_map([now.0], scope_and_id)?;
            rows.collect()
        })
        .await
    }

    async fn create_alias(&self, alias: &AliasRecord) -> StoreResult<()> {
        let alias = alias.clone();
        let changes = vec![Change::Aliases {
            scope: alias.scope.clone(),
        }];
        self.transaction(changes, move |c| {
            c.execute(
                "INSERT INTO aliases (account, region, name, target, created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    alias.scope.account.as_str(),
                    alias.scope.region.as_str(),
                    alias.name.as_str(),
                    alias.target.as_str(),
                    alias.created.0,
                    alias.updated.0
                ],
            )
            .map(|_| Ok(()))
        })
        .await
    }

    async fn update_alias(
        &self,
        scope: &Scope,
        name: &AliasName,
        target: &KeyId,
        now: UnixMillis,
    ) -> StoreResult<()> {
        let (scope, name, target) = (scope.clone(), name.clone(), target.clone());
        let changes = vec![Change::Aliases {
            scope: scope.clone(),
        }];
        self.transaction(changes, move |tx| {
            let changed = tx.execute(
                "UPDATE aliases SET target = ?4, updated = ?5 WHERE account = ?1 AND region = ?2 AND name = ?3",
                params![scope.account.as_str(), scope.region.as_str(), name.as_str(), target.as_str(), now.0],
            )?;
            Ok(if changed == 1 { Ok(()) } else { Err(StoreError::NotFound) })
        })
        .await
    }

    async fn delete_alias(&self, scope: &Scope, name: &AliasName) -> StoreResult<()> {
        let (scope, name) = (scope.clone(), name.clone());
        let changes = vec![Change::Aliases {
            scope: scope.clone(),
        }];
        self.transaction(changes, move |tx| {
            let deleted = tx.execute(
                "DELETE FROM aliases WHERE account = ?1 AND region = ?2 AND name = ?3",
                params![scope.account.as_str(), scope.region.as_str(), name.as_str()],
            )?;
            Ok(if deleted == 1 {
                Ok(())
            } else {
                Err(StoreError::NotFound)
            })
        })
        .await
    }

    async fn alias(&self, scope: &Scope, name: &AliasName) -> StoreResult<Option<AliasRecord>> {
        let (scope, name) = (scope.clone(), name.clone());
        self.with(move |c| {
            c.query_row(
                "SELECT account, region, name, target, created, updated FROM aliases WHERE account = ?1 AND region = ?2 AND name = ?3",
                params![scope.account.as_str(), scope.region.as_str(), name.as_str()],
                alias_from_row,
            )
            .optional()
        })
        .await
    }

    async fn list_aliases(
        &self,
        scope: &Scope,
        key: Option<&KeyId>,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<AliasRecord>> {
        let (scope, key, after) = (
            scope.clone(),
            key.map(|k| k.as_str().to_owned()),
            after.unwrap_or_default().to_owned(),
        );
        let items = self
            .with(move |c| {
                let mut stmt = c.prepare(
                    "SELECT account, region, name, target, created, updated FROM aliases
                     WHERE account = ?1 AND region = ?2 AND (?3 IS NULL OR target = ?3) AND name > ?4
                     ORDER BY name LIMIT ?5",
                )?;
                let rows = stmt.query_map(
                    params![scope.account.as_str(), scope.region.as_str(), key, after, sql_limit(limit)],
                    alias_from_row,
                )?;
                rows.collect::<rusqlite::Result<Vec<_>>>()
            })
            .await?;
        Ok(page(items, limit))
    }

    async fn tags(&self, scope: &Scope, id: &KeyId) -> StoreResult<Vec<Tag>> {
        let (scope, id) = (scope.clone(), id.clone());
        self.with(move |c| {
            let mut stmt = c.prepare(
                "SELECT tag_key, tag_value FROM tags WHERE account = ?1 AND region = ?2 AND key_id = ?3 ORDER BY tag_key",
            )?;
            let rows = stmt.query_map(
                params![scope.account.as_str(), scope.region.as_str(), id.as_str()],
                |r| {
                    Ok(Tag {
                        key: r.get(0)?,
                        value: r.get(1)?,
                    })
                },
            )?;
            rows.collect()
        })
        .await
    }

    async fn tag_key(
        &self,
        scope: &Scope,
        id: &KeyId,
        tags: &[Tag],
        max: usize,
    ) -> StoreResult<()> {
        let (scope, id, tags) = (scope.clone(), id.clone(), tags.to_vec());
        let changes = vec![Change::Key {
            scope: scope.clone(),
            id: id.clone(),
        }];
        self.transaction(changes, move |tx| {
            let (a, r, k) = (scope.account.as_str(), scope.region.as_str(), id.as_str());
            for tag in &tags {
                tx.execute(
                    "INSERT INTO tags (account, region, key_id, tag_key, tag_value) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT DO UPDATE SET tag_value = excluded.tag_value",
                    params![a, r, k, tag.key, tag.value],
                )?;
            }
            let count: i64 = tx.query_row(
                "SELECT COUNT(*) FROM tags WHERE account = ?1 AND region = ?2 AND key_id = ?3",
                params![a, r, k],
                |row| row.get(0),
            )?;
            if usize::try_from(count).unwrap_or(usize::MAX) > max {
                return Ok(Err(StoreError::Limit("tags per key")));
            }
            Ok(Ok(()))
        })
        .await
    }

    async fn untag_key(&self, scope: &Scope, id: &KeyId, keys: &[String]) -> StoreResult<()> {
        let (scope, id, keys) = (scope.clone(), id.clone(), keys.to_vec());
        let changes = vec![Change::Key {
            scope: scope.clone(),
            id: id.clone(),
        }];
        self.transaction(changes, move |tx| {
            for key in &keys {
                tx.execute(
                    "DELETE FROM tags WHERE account = ?1 AND region = ?2 AND key_id = ?3 AND tag_key = ?4",
                    params![scope.account.as_str(), scope.region.as_str(), id.as_str(), key],
                )?;
            }
            Ok(Ok(()))
        })
        .await
    }
    async fn put_principal(&self, principal: &PrincipalRecord) -> StoreResult<()> {
        let p = principal.clone();
        self.transaction(Vec::new(), move |tx| {
            tx.execute(
                "INSERT INTO principals (account, kind, name, id, tags, policies, trust_policy, max_session_seconds, created)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (account, kind, name) DO UPDATE SET tags = excluded.tags, policies = excluded.policies,
                 trust_policy = excluded.trust_policy, max_session_seconds = excluded.max_session_seconds",
                params![
                    p.account.as_str(),
                    p.kind.as_str(),
                    p.name,
                    p.id,
                    tags_json(&p.tags),
                    map_json(&p.policies),
                    p.trust_policy,
                    p.max_session_seconds,
                    p.created.0
                ],
            )?;
            Ok(Ok(()))
        })
        .await
    }

    async fn delete_principal(
        &self,
        account: &AccountId,
        kind: PrincipalType,
        name: &str,
    ) -> StoreResult<()> {
        let (account, name) = (account.clone(), name.to_owned());
        self.transaction(Vec::new(), move |tx| {
            let deleted = tx.execute(
                "DELETE FROM principals WHERE account = ?1 AND kind = ?2 AND name = ?3",
                params![account.as_str(), kind.as_str(), name],
            )?;
            if deleted == 0 {
                return Ok(Err(StoreError::NotFound));
            }
            match kind {
                PrincipalType::User => tx.execute(
                    "DELETE FROM access_keys WHERE account = ?1 AND user_name = ?2",
                    params![account.as_str(), name],
                )?,
                PrincipalType::Role => tx.execute(
                    "DELETE FROM sessions WHERE account = ?1 AND role_name = ?2",
                    params![account.as_str(), name],
                )?,
            };
            Ok(Ok(()))
        })
        .await
    }

    async fn principals(&self) -> StoreResult<Vec<PrincipalRecord>> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT account, kind, name, id, tags, policies, trust_policy, max_session_seconds, created
                 FROM principals ORDER BY account, kind, name",
            )?;
            let rows = stmt.query_map([], |r| {
                let account: String = r.get(0)?;
                let kind: String = r.get(1)?;
                Ok(PrincipalRecord {
                    account: AccountId::parse(&account)
                        .ok_or_else(|| corrupt("principals.account"))?,
                    kind: PrincipalType::parse(&kind).ok_or_else(|| corrupt("principals.kind"))?,
                    name: r.get(2)?,
                    id: r.get(3)?,
                    tags: json_tags(&r.get::<_, String>(4)?)?,
                    policies: json_map(&r.get::<_, String>(5)?)?,
                    trust_policy: r.get(6)?,
                    max_session_seconds: r.get(7)?,
                    created: UnixMillis(r.get(8)?),
                })
            })?;
            rows.collect()
        })
        .await
    }

    async fn put_session(&self, session: &SessionRecord) -> StoreResult<()> {
        let s = session.clone();
        self.transaction(Vec::new(), move |tx| {
            tx.execute(
                "INSERT INTO sessions (access_key_id, sealed_secret, sealed_token, account, role_name, session_name, tags, expires, role_id, transitive_tag_keys)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    s.access_key_id,
                    s.sealed_secret,
                    s.sealed_token,
                    s.account.as_str(),
                    s.role_name,
                    s.session_name,
                    tags_json(&s.tags),
                    s.expires.0,
                    s.role_id,
                    list_json(&s.transitive_tag_keys)
                ],
            )?;
            Ok(Ok(()))
        })
        .await
    }

    async fn sessions(&self, now: UnixMillis) -> StoreResult<Vec<SessionRecord>> {
        self.with(move |c| {
            let mut stmt = c.prepare(
                "SELECT access_key_id, sealed_secret, sealed_token, account, role_name, session_name, tags, expires, role_id, transitive_tag_keys
                 FROM sessions WHERE expires > ?1 ORDER BY access_key_id",
            )?;
            let rows = stmt.query_map([now.0], |r| {
                let account: String = r.get(3)?;
                Ok(SessionRecord {
                    access_key_id: r.get(0)?,
                    sealed_secret: r.get(1)?,
                    sealed_token: r.get(2)?,
                    account: AccountId::parse(&account)
                        .ok_or_else(|| corrupt("sessions.account"))?,
                    role_name: r.get(4)?,
                    session_name: r.get(5)?,
                    tags: json_tags(&r.get::<_, String>(6)?)?,
                    expires: UnixMillis(r.get(7)?),
                    role_id: r.get(8)?,
                    transitive_tag_keys: json_list(&r.get::<_, String>(9)?)
                        .ok_or_else(|| corrupt("sessions.transitive_tag_keys"))?,
                })
            })?;
            rows.collect()
        })
        .await
    }

    async fn delete_expired_sessions(&self, now: UnixMillis) -> StoreResult<u64> {
        self.transaction(Vec::new(), move |tx| {
            let n = tx.execute("DELETE FROM sessions WHERE expires <= ?1", [now.0])?;
            Ok(Ok(u64::try_from(n).unwrap_or_default()))
        })
        .await
    }

    async fn create_grant(&self, grant: &GrantRecord, max: usize) -> StoreResult<String> {
        let g = grant.clone();
        let changes = vec![Change::Key {
            scope: g.scope.clone(),
            id: g.key.clone(),
        }];
        self.transaction(changes, move |tx| {
            let (a, r, k) = (g.scope.account.as_str(), g.scope.region.as_str(), g.key.as_str());
            let exists: i64 = tx.query_row(
                "SELECT COUNT(*) FROM keys WHERE account = ?1 AND region = ?2 AND id = ?3",
                params![a, r, k],
                |row| row.get(0),
            )?;
            if exists == 0 {
                return Ok(Err(StoreError::NotFound));
            }
            if g.name.is_some() {
                let mut stmt = tx.prepare(&format!(
                    "SELECT {GRANT_COLUMNS} FROM grants WHERE account = ?1 AND region = ?2 AND key_id = ?3 AND name = ?4 ORDER BY created, id"
                ))?;
                let same: Vec<GrantRecord> = stmt
                    .query_map(params![a, r, k, g.name], grant_from_row)?
                    .collect::<rusqlite::Result<_>>()?;
                if let Some(existing) = same.iter().find(|e| e.same_terms(&g)) {
                    return Ok(Ok(existing.id.clone()));
                }
            }
            let count: i64 = tx.query_row(
                "SELECT COUNT(*) FROM grants WHERE account = ?1 AND region = ?2 AND key_id = ?3",
                params![a, r, k],
                |row| row.get(0),
            )?;
            if usize::try_from(count).unwrap_or(usize::MAX) >= max {
                return Ok(Err(StoreError::Limit("grants per key")));
            }
            tx.execute(
                "INSERT INTO grants (account, region, key_id, id, name, grantee, retiring, issuing_account, operations, context_equals, context_subset, created, grantee_id, retiring_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![
                    a,
                    r,
                    k,
                    g.id,
                    g.name,
                    g.grantee,
                    g.retiring,
                    g.issuing_account,
                    g.operations.join(","),
                    g.context_equals.as_ref().map(map_json),
                    g.context_subset.as_ref().map(map_json),
                    g.created.0,
                    g.grantee_id,
                    g.retiring_id
                ],
            )?;
            Ok(Ok(g.id.clone()))
        })
        .await
    }

    async fn grants(&self, scope: &Scope, key: &KeyId) -> StoreResult<Vec<GrantRecord>> {
        let (scope, key) = (scope.clone(), key.clone());
        self.with(move |c| {
            let sql = format!(
                "SELECT {GRANT_COLUMNS} FROM grants WHERE account = ?1 AND region = ?2 AND key_id = ?3 ORDER BY created, id"
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map(
                params![scope.account.as_str(), scope.region.as_str(), key.as_str()],
                grant_from_row,
            )?;
            rows.collect()
        })
        .await
    }

    async fn grant(&self, id: &str) -> StoreResult<Option<GrantRecord>> {
        let id = id.to_owned();
        self.with(move |c| {
            let sql = format!("SELECT {GRANT_COLUMNS} FROM grants WHERE id = ?1");
            c.query_row(&sql, [id], grant_from_row).optional()
        })
        .await
    }

    async fn grants_retirable_by(&self, principal: &str) -> StoreResult<Vec<GrantRecord>> {
        let principal = principal.to_owned();
        self.with(move |c| {
            let sql = format!("SELECT {GRANT_COLUMNS} FROM grants WHERE retiring = ?1 ORDER BY id");
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map([principal], grant_from_row)?;
            rows.collect()
        })
        .await
    }

    async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: UnixMillis,
        ttl_ms: i64,
    ) -> StoreResult<bool> {
        self.lease(name, holder, now, ttl_ms).await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.with(move |c| {
            c.execute(
                "DELETE FROM leases WHERE name = ?1 AND holder = ?2",
                params![name, holder],
            )
            .map(|_| ())
        })
        .await
    }

    async fn delete_grant(&self, scope: &Scope, key: &KeyId, id: &str) -> StoreResult<()> {
        let (scope, key, id) = (scope.clone(), key.clone(), id.to_owned());
        let changes = vec![Change::Key {
            scope: scope.clone(),
            id: key.clone(),
        }];
        self.transaction(changes, move |tx| {
            let n = tx.execute(
                "DELETE FROM grants WHERE account = ?1 AND region = ?2 AND key_id = ?3 AND id = ?4",
                params![
                    scope.account.as_str(),
                    scope.region.as_str(),
                    key.as_str(),
                    id
                ],
            )?;
            Ok(if n == 0 {
                Err(StoreError::NotFound)
            } else {
                Ok(())
            })
        })
        .await
    }
}

impl SqliteStore {
    /// Takes or renews a lease (see [`Store::try_lease`]).
    async fn lease(
        &self,
        name: &str,
        holder: &str,
        now: UnixMillis,
        ttl_ms: i64,
    ) -> StoreResult<bool> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.transaction(Vec::new(), move |tx| {
            let n = tx.execute(
                "INSERT INTO leases (name, holder, expires) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires
                 WHERE leases.holder = excluded.holder OR leases.expires <= ?4",
                params![name, holder, now.0.saturating_add(ttl_ms), now.0],
            )?;
            Ok(Ok(n == 1))
        })
        .await
    }

    /// Writes a consistent snapshot of the database to `target` (a new file) while the store
    /// stays in use: `VACUUM INTO` reads inside one transaction, so concurrent writers neither
    /// wait for it nor tear it.
    pub async fn backup_to(&self, target: &Path) -> StoreResult<()> {
        let target = target.display().to_string();
        self.with(move |c| c.execute("VACUUM INTO ?1", [target]).map(|_| ()))
            .await
    }
}
