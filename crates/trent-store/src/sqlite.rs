//! The SQLite driver: one file in the data directory, WAL journal, `synchronous=FULL` (OFF for
//! an ephemeral server), every mutation in one transaction.
//!
//! rusqlite is synchronous; each call runs on tokio's blocking pool behind one connection.
//! Writes are rare (management calls) and the hot path reads from the in-memory cache, so one
//! connection is enough; see `docs/adr/0002-sqlite-with-rusqlite.md`. The statements
//! themselves are the engine's (`engine/`), shared with PostgreSQL.
//!
//! The audit trail, written on every request, has its own: a writer thread with its own
//! connection appends each group commit, so an append's `fsync` never holds the connection that
//! reads and key writes use, and a checkpointer thread with a third connection copies the
//! write-ahead log into the database when it grows, off every commit's path (ADR 22). Both
//! writers take SQLite's write lock at `BEGIN IMMEDIATE`.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures_util::FutureExt as _;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::wal::CheckpointMode;
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
    /// Where the audit writer opens its own connection (`None`: in memory, where a second
    /// connection would be another database, so it shares `conn`), and how it syncs.
    file: Option<(std::path::PathBuf, Durability)>,
    /// The audit writer, started by the first append, and again by the next one if it could
    /// not start or has stopped.
    audit: Arc<Mutex<Option<AuditWriter>>>,
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
    /// Commits are written to the operating system, and the disk is synced only when the
    /// write-ahead log is checkpointed (`synchronous=NORMAL`): nothing acknowledged is lost when
    /// the process dies (`kill -9`), the last commits may be when the machine does, and the
    /// database is never torn (`trent serve --sync os`, ADR 22).
    Os,
    /// Commits are handed to the operating system and not flushed (`synchronous=OFF`): for a
    /// server whose data dies with it (`trent serve --ephemeral`).
    Off,
}

/// A connection to the database file at `path`, set up as every connection of a store is.
fn connect(path: &Path, durability: Durability) -> StoreResult<Connection> {
    let conn = Connection::open(path).map_err(map_error)?;
    configure(&conn, durability)?;
    Ok(conn)
}

fn configure(conn: &Connection, durability: Durability) -> StoreResult<()> {
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(map_error)?;
    // FULL makes each commit durable in WAL mode, not only consistent; NORMAL syncs the disk
    // only at checkpoints, and OFF never (either way a crash of the process loses nothing, one
    // of the machine may).
    let synchronous = match durability {
        Durability::Full => "FULL",
        Durability::Os => "NORMAL",
        Durability::Off => "OFF",
    };
    conn.pragma_update(None, "synchronous", synchronous)
        .map_err(map_error)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(map_error)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(map_error)?;
    conn.set_prepared_statement_cache_capacity(128);
    Ok(())
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
        let mut conn = connect(path, durability)?;
        migrations::migrate(&mut conn).map_err(StoreError::Corrupt)?;
        Ok(Self::setup(
            conn,
            Some((path.to_path_buf(), durability)),
            path.display().to_string(),
        ))
    }

    /// An in-memory database, for tests.
    pub fn in_memory() -> StoreResult<SqliteStore> {
        let mut conn = Connection::open_in_memory().map_err(map_error)?;
        configure(&conn, Durability::Full)?;
        migrations::migrate(&mut conn).map_err(StoreError::Corrupt)?;
        Ok(Self::setup(conn, None, ":memory:".to_owned()))
    }

    fn setup(
        conn: Connection,
        file: Option<(std::path::PathBuf, Durability)>,
        description: String,
    ) -> SqliteStore {
        Engine {
            driver: Sqlite {
                conn: Arc::new(Mutex::new(conn)),
                file,
                audit: Arc::new(Mutex::new(None)),
                description,
                calls: Arc::new(AtomicU64::new(0)),
                listeners: Listeners::default(),
                pending: crate::pending::Pending::default(),
            },
        }
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
    /// their tables) of every table but the audit trail's, each with its indexes: what a
    /// start runs. It reads the keys, aliases, grants and identities, not the trail, which
    /// grows with every request (a start on 10 million events read 15 GB for it) and whose
    /// every record `trent audit verify` reads and checks against its hash chain.
    pub async fn quick_check_outside_the_trail(&self) -> StoreResult<()> {
        let problems: Vec<String> = self
            .driver
            .with(|c| {
                let tables: Vec<String> = c
                    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")?
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()?
                    .into_iter()
                    .filter(|t| !t.starts_with("audit_") && !t.starts_with("sqlite_"))
                    .collect();
                let mut problems = Vec::new();
                for table in tables {
                    let quoted = table.replace('"', "\"\"");
                    let result: String =
                        c.query_row(&format!("PRAGMA quick_check(\"{quoted}\")"), [], |r| {
                            r.get(0)
                        })?;
                    if result != "ok" {
                        problems.push(format!("{table}: {result}"));
                    }
                }
                Ok(problems)
            })
            .await?;
        if problems.is_empty() {
            Ok(())
        } else {
            Err(StoreError::Corrupt(problems.join("; ")))
        }
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
    // IMMEDIATE: the write lock from the start, so that the audit writer's connection and this
    // one wait for each other (busy_timeout) instead of failing to upgrade a stale snapshot.
    conn.execute_batch("BEGIN IMMEDIATE").map_err(map_error)?;
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
        self.calls.fetch_add(1, Ordering::Relaxed);
        let (reply, answer) = tokio::sync::oneshot::channel();
        let mut job = AuditJob {
            time,
            events,
            chain,
            reply,
            _ticket: self.pending.ticket(),
        };
        {
            let mut writer = self
                .audit
                .lock()
                .map_err(|_| unavailable("audit writer lock poisoned"))?;
            // A writer whose thread has ended (it can only panic) gives the job back: the
            // next one, on a fresh connection, takes it.
            for _ in 0..2 {
                let current = match writer.take() {
                    Some(w) => w,
                    None => AuditWriter::start(self.file.clone(), self.conn.clone())?,
                };
                match current.jobs.send(job) {
                    Ok(()) => {
                        *writer = Some(current);
                        break;
                    }
                    Err(std::sync::mpsc::SendError(back)) => job = back,
                }
            }
        }
        answer
            .await
            .map_err(|_| unavailable("the audit writer has stopped"))?
    }
}

/// The audit trail's writer thread and its checkpointer (ADR 22).
#[derive(Debug)]
struct AuditWriter {
    jobs: std::sync::mpsc::Sender<AuditJob>,
}

/// One group commit for the writer thread.
struct AuditJob {
    time: UnixMillis,
    events: Vec<AuditEntry>,
    chain: AuditChain,
    reply: tokio::sync::oneshot::Sender<StoreResult<(i64, Vec<u8>)>>,
    /// Held until the append ends, so that `quiesce` waits for it.
    _ticket: crate::pending::Ticket,
}

/// Write-ahead log frames (pages) past which the checkpointer is woken: SQLite's own
/// auto-checkpoint threshold, which the writers' connections no longer run themselves.
const CHECKPOINT_FRAMES: i32 = 1000;

impl AuditWriter {
    /// Starts the writer on its own connection to `file` (or on `shared`, in memory) and,
    /// for a file, the checkpointer on a third.
    fn start(
        file: Option<(std::path::PathBuf, Durability)>,
        shared: Arc<Mutex<Connection>>,
    ) -> StoreResult<AuditWriter> {
        let (jobs, queue) = std::sync::mpsc::channel::<AuditJob>();
        let (conn, checkpoints) = match &file {
            Some((path, durability)) => {
                let mut own = connect(path, *durability)?;
                let checkpoints = Checkpointer::start(path, *durability, &shared)?;
                // The hook replaces SQLite's auto-checkpoint on this connection.
                own.wal_hook(Some(checkpoints.hook())).map_err(map_error)?;
                (Arc::new(Mutex::new(own)), Some(checkpoints))
            }
            None => (shared, None),
        };
        std::thread::Builder::new()
            .name("trent-audit-writer".to_owned())
            .spawn(move || {
                for job in queue {
                    let outcome = conn
                        .lock()
                        .map_err(|_| unavailable("audit connection lock poisoned"))
                        .and_then(|mut c| {
                            in_transaction(&mut c, |c| {
                                append(c, job.time, &job.events, job.chain).map_err(map_error)
                            })
                        });
                    let _ = job.reply.send(outcome);
                    // Answered first: a wait for the checkpointer delays the next commit, not
                    // this one, and only when the log has run far ahead of it.
                    if let Some(checkpoints) = &checkpoints
                        && checkpoints.far_behind()
                    {
                        checkpoints.catch_up();
                    }
                }
            })
            .map_err(unavailable)?;
        Ok(AuditWriter { jobs })
    }
}

/// What the checkpointer is asked for.
enum Checkpoint {
    /// A commit left the log long.
    Passive,
    /// The audit writer waits, holding no lock, while the log is copied to its end and reset.
    Restart(std::sync::mpsc::Sender<()>),
}

/// Copies the write-ahead log into the database on its own thread and connection when a
/// writer's commit leaves it long, so no commit waits for a checkpoint's `fsync`s.
#[derive(Clone)]
struct Checkpointer {
    wake: std::sync::mpsc::SyncSender<Checkpoint>,
    /// The write-ahead log's length in pages after the last commit of either writer.
    frames: Arc<std::sync::atomic::AtomicI32>,
    /// That length in whole thresholds, when the checkpointer was last woken.
    step: Arc<std::sync::atomic::AtomicI32>,
}

impl Checkpointer {
    /// Starts the thread, and hands the wake-up to the store's main connection as well (its
    /// key writes grow the same log).
    fn start(
        path: &Path,
        durability: Durability,
        main: &Arc<Mutex<Connection>>,
    ) -> StoreResult<Checkpointer> {
        let conn = connect(path, durability)?;
        // One request waiting at most: wake-ups while a checkpoint runs fold into the next.
        let (wake, woken) = std::sync::mpsc::sync_channel::<Checkpoint>(1);
        std::thread::Builder::new()
            .name("trent-checkpoint".to_owned())
            .spawn(move || {
                for request in woken {
                    let (mode, done) = match request {
                        // Copies what no reader still needs; never waits for a writer.
                        Checkpoint::Passive => (CheckpointMode::PASSIVE, None),
                        // Waits for the writers and readers, copies the rest, and has the next
                        // writer start the log again.
                        Checkpoint::Restart(done) => (CheckpointMode::RESTART, Some(done)),
                    };
                    if let Err(e) = conn.wal_checkpoint_v2(None::<&str>, mode) {
                        tracing::warn!(error = %e, "a write-ahead log checkpoint failed");
                    }
                    if let Some(done) = done {
                        let _ = done.send(());
                    }
                }
            })
            .map_err(unavailable)?;
        let checkpointer = Checkpointer {
            wake,
            frames: Arc::new(std::sync::atomic::AtomicI32::new(0)),
            step: Arc::new(std::sync::atomic::AtomicI32::new(0)),
        };
        main.lock()
            .map_err(|_| unavailable("connection lock poisoned"))?
            .wal_hook(Some(checkpointer.hook()))
            .map_err(map_error)?;
        Ok(checkpointer)
    }

    /// A writer connection's write-ahead-log hook, which replaces SQLite's auto-checkpoint on
    /// it: a commit that takes the log past another [`CHECKPOINT_FRAMES`] pages wakes the
    /// checkpointer, and the log's length is kept for the audit writer, which has the log
    /// reset when it has run far ahead.
    ///
    /// Once per threshold, not on every commit past it: the next commit usually begins before
    /// a passive checkpoint ends, so the log is not reset, and waking on every commit would
    /// run a checkpoint (two more `fsync`s) for each one.
    fn hook(
        &self,
    ) -> impl FnMut(&mut rusqlite::hooks::Wal, i32) -> rusqlite::Result<()> + Send + use<> {
        let checkpointer = self.clone();
        move |_, frames| {
            checkpointer.frames.store(frames, Ordering::Relaxed);
            let step = frames / CHECKPOINT_FRAMES;
            if checkpointer.step.swap(step, Ordering::Relaxed) < step {
                let _ = checkpointer.wake.try_send(Checkpoint::Passive);
            }
            Ok(())
        }
    }

    /// Whether the log has grown past what the checkpointer alone keeps up with: a writer
    /// that never pauses keeps a passive checkpoint from ever catching up with the last frame,
    /// and SQLite resets the log only once one has.
    fn far_behind(&self) -> bool {
        self.frames.load(Ordering::Relaxed) >= CHECKPOINT_FRAMES * 8
    }

    /// Has the checkpointer copy the log to its end and reset it, and waits for it without
    /// holding the write lock (a writer that retried its lock at once would starve it).
    fn catch_up(&self) {
        let (done, finished) = std::sync::mpsc::channel();
        if self.wake.send(Checkpoint::Restart(done)).is_ok() {
            let _ = finished.recv();
        }
        self.frames.store(0, Ordering::Relaxed);
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
