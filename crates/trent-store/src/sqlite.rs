//! The SQLite driver: one file in the data directory, WAL journal, `synchronous=FULL` (OFF for
//! an ephemeral server), every mutation in one transaction.
//!
//! rusqlite is synchronous; each call runs on tokio's blocking pool behind one connection.
//! Writes are rare (management calls) and the hot path reads from the in-memory cache, so one
//! connection is enough; see `docs/adr/0002-sqlite-with-rusqlite.md`. The statements
//! themselves are the engine's (`engine/`), shared with PostgreSQL.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures_util::FutureExt as _;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

use trent_core::model::{AuditEntry, UnixMillis};
use trent_core::store::{AuditChain, Change, ChangeListener, StoreError, StoreResult};

use crate::common::{Listeners, distinct_key_ids};
use crate::engine::{Driver, Engine};
use crate::migrations;
use crate::sql::{Body, Dialect, SqlRow, Tx, Value, Violation, constraint, question_marks};

/// The SQLite implementation of [`trent_core::store::Store`].
pub type SqliteStore = Engine<Sqlite>;

/// The SQLite driver behind [`SqliteStore`].
#[derive(Clone)]
pub struct Sqlite {
    conn: Arc<Mutex<Connection>>,
    description: String,
    /// How many calls reached the database: a cheap gauge that the hot path stays in memory.
    calls: Arc<AtomicU64>,
    /// Told about every committed change to keys and aliases.
    listeners: Listeners,
    /// Calls queued for the connection and not finished yet: a call whose caller has gone
    /// away still runs to its end, and `quiesce` waits for it.
    pending: crate::pending::Pending,
}

impl std::fmt::Debug for Sqlite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.description)
            .finish_non_exhaustive()
    }
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
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

/// Maps a SQLite error: a violated constraint by the table SQLite names in its message
/// (`UNIQUE constraint failed: aliases.name`), the rest by kind.
fn map_error(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, message) if f.code == ErrorCode::ConstraintViolation => {
            let message = message.as_deref().unwrap_or_default();
            let violation = if message.starts_with("FOREIGN KEY") {
                Violation::ForeignKey
            } else {
                let columns = message.split_once(": ").map_or("", |(_, c)| c);
                Violation::Unique {
                    table: columns.split_once('.').map_or("", |(t, _)| t),
                }
            };
            StoreError::Conflict {
                constraint: constraint(violation),
            }
        }
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) =>
        {
            StoreError::Corrupt(e.to_string())
        }
        rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::DiskFull => {
            StoreError::Full(e.to_string())
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
    /// Commits are handed to the operating system and not flushed (`synchronous=OFF`): for a
    /// server whose data dies with it (`trent serve --ephemeral`).
    Off,
}

impl Engine<Sqlite> {
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
        conn.set_prepared_statement_cache_capacity(128);
        migrations::migrate(&mut conn).map_err(StoreError::Corrupt)?;
        Ok(Engine {
            driver: Sqlite {
                conn: Arc::new(Mutex::new(conn)),
                description,
                calls: Arc::new(AtomicU64::new(0)),
                listeners: Listeners::default(),
                pending: crate::pending::Pending::default(),
            },
        })
    }

    /// How many store calls (reads and transactions) have reached the database since it was
    /// opened.
    pub fn calls(&self) -> u64 {
        self.driver.calls.load(Ordering::Relaxed)
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
            .driver
            .with(move |c| c.query_row(pragma, [], |r| r.get(0)))
            .await?;
        if result == "ok" {
            Ok(())
        } else {
            Err(StoreError::Corrupt(result))
        }
    }

    /// Writes a consistent snapshot of the database to `target` (a new file) while the store
    /// stays in use: `VACUUM INTO` reads inside one transaction, so concurrent writers neither
    /// wait for it nor tear it.
    pub async fn backup_to(&self, target: &Path) -> StoreResult<()> {
        let target = target.display().to_string();
        self.driver
            .with(move |c| c.execute("VACUUM INTO ?1", [target]).map(|_| ()))
            .await
    }
}

impl Sqlite {
    /// Runs `f` with the connection on the blocking pool.
    async fn with<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.on_connection(move |c| f(c).map_err(map_error)).await
    }

    /// Runs `f` with the connection on the blocking pool, ticketed so that `quiesce` waits for
    /// it, whether or not the caller still waits.
    async fn on_connection<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let conn = self.conn.clone();
        self.calls.fetch_add(1, Ordering::Relaxed);
        let ticket = self.pending.ticket();
        tokio::task::spawn_blocking(move || {
            let _ticket = ticket;
            let mut guard = conn
                .lock()
                .map_err(|_| unavailable("connection lock poisoned"))?;
            f(&mut guard)
        })
        .await
        .map_err(unavailable)?
    }
}

/// Runs an engine body to its end on this thread: SQLite's statements never wait, so the
/// body's future is ready when first polled.
fn run<T>(conn: &mut Connection, body: Body<T>) -> StoreResult<T> {
    let mut tx = SqliteTx { conn };
    body(&mut tx)
        .now_or_never()
        .unwrap_or_else(|| Err(unavailable("a SQLite statement did not finish at once")))
}

/// Runs `f` inside `BEGIN`/`COMMIT`, rolling back whatever `f` or the commit refuses.
fn in_transaction<T>(
    conn: &mut Connection,
    f: impl FnOnce(&mut Connection) -> StoreResult<T>,
) -> StoreResult<T> {
    if !conn.is_autocommit() {
        // A transaction left open (a panic mid-call) must not swallow this one.
        let _ = conn.execute_batch("ROLLBACK");
    }
    conn.execute_batch("BEGIN").map_err(map_error)?;
    let outcome = f(conn).and_then(|value| {
        conn.execute_batch("COMMIT").map_err(map_error)?;
        Ok(value)
    });
    if outcome.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    outcome
}

impl Driver for Sqlite {
    async fn read<T: Send + 'static>(&self, body: Body<T>) -> StoreResult<T> {
        self.on_connection(move |c| run(c, body)).await
    }

    async fn write<T: Send + 'static>(
        &self,
        changes: Vec<Change>,
        body: Body<T>,
    ) -> StoreResult<T> {
        let listeners = self.listeners.clone();
        self.on_connection(move |c| {
            let value = in_transaction(c, |c| run(c, body))?;
            // Still holding the connection: no store read can see this commit before the
            // caches have dropped what it changed.
            listeners.committed(&changes);
            Ok(value)
        })
        .await
    }

    fn listen(&self, listener: ChangeListener) {
        self.listeners.add(listener);
    }

    async fn quiesce(&self) -> StoreResult<()> {
        self.pending.quiesce().await
    }

    async fn append_audit(
        &self,
        time: UnixMillis,
        events: Vec<AuditEntry>,
        chain: AuditChain,
    ) -> StoreResult<(i64, Vec<u8>)> {
        self.on_connection(move |c| {
            in_transaction(c, |c| append(c, time, &events, chain).map_err(map_error))
        })
        .await
    }
}

/// Appends events after the chain's tail with cached statements: one insert per event and
/// one per key it names.
fn append(
    c: &mut Connection,
    time: UnixMillis,
    events: &[AuditEntry],
    chain: AuditChain,
) -> rusqlite::Result<(i64, Vec<u8>)> {
    let (mut seq, mut hash, tail_time): (i64, Vec<u8>, i64) = c
        .query_row(
            "SELECT seq, hash, time FROM audit_events ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .unwrap_or((0, vec![0; 32], i64::MIN));
    // A record's time never goes back along the chain (a clock stepped back waits for it), so
    // a lookup's time window is a range of sequence numbers.
    let time = UnixMillis(time.0.max(tail_time));
    let mut insert = c.prepare_cached(
        "INSERT INTO audit_events (seq, time, event, hash, account, event_name) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut index_key = c.prepare_cached("INSERT INTO audit_keys (key_id, seq) VALUES (?1, ?2)")?;
    for entry in events {
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
    Ok((seq, hash))
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(n) => ValueRef::Integer(*n),
            Value::Bool(b) => ValueRef::Integer(i64::from(*b)),
            Value::Text(t) => ValueRef::Text(t.as_bytes()),
            Value::Bytes(b) => ValueRef::Blob(b),
        }))
    }
}

/// A column as the engine sees it.
fn value(v: ValueRef<'_>) -> StoreResult<Value> {
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::Int(n),
        ValueRef::Text(t) => Value::Text(
            String::from_utf8(t.to_vec())
                .map_err(|_| StoreError::Corrupt("text that is not UTF-8".to_owned()))?,
        ),
        ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
        ValueRef::Real(_) => {
            return Err(StoreError::Corrupt("a floating-point column".to_owned()));
        }
    })
}

/// The connection, as the engine's [`Tx`].
struct SqliteTx<'c> {
    conn: &'c mut Connection,
}

#[async_trait]
impl Tx for SqliteTx<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn execute(&mut self, sql: &str, params: &[Value]) -> StoreResult<u64> {
        let mut stmt = self
            .conn
            .prepare_cached(&question_marks(sql))
            .map_err(map_error)?;
        let n = stmt
            .execute(rusqlite::params_from_iter(params))
            .map_err(map_error)?;
        Ok(u64::try_from(n).unwrap_or(u64::MAX))
    }

    async fn query(&mut self, sql: &str, params: &[Value]) -> StoreResult<Vec<SqlRow>> {
        let mut stmt = self
            .conn
            .prepare_cached(&question_marks(sql))
            .map_err(map_error)?;
        let width = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params))
            .map_err(map_error)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(map_error)? {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(value(row.get_ref(i).map_err(map_error)?)?);
            }
            out.push(SqlRow(values));
        }
        Ok(out)
    }
}
