//! The PostgreSQL store: many `trent serve` nodes on one database, every mutation in one
//! transaction, and a change feed (`LISTEN/NOTIFY`) that keeps every node's cache true.
//!
//! Connections come from a pool (deadpool-postgres over tokio-postgres; ADR 0012). A
//! transaction runs in its own task, so a request dropped while its write is in flight still
//! commits or rolls back whole, and the listeners hear of the commit. Each committing
//! transaction also sends one notification on [`CHANNEL`] naming what it changed; every node
//! holds one extra connection that listens, and turns other nodes' notifications into
//! [`Change`]s for its caches. A node whose feed is down cannot know what it missed: it drops
//! its caches every [`DEAF_FLUSH`] until the feed is back (reads then go to the database), so a
//! change reaches every node within about a second whatever fails.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use bytes::BytesMut;
use deadpool_postgres::{ClientWrapper, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use tokio_postgres::{NoTls, Row};

use trent_core::model::{AccountId, AuditEntry, KeyId, Region, Scope, UnixMillis};
use trent_core::store::{AuditChain, Change, ChangeListener, StoreError, StoreResult};

use crate::common::{Listeners, distinct_key_ids};
use crate::engine::{Driver, Engine};
use crate::migrations;
use crate::sql::{Body, BoxFuture, Dialect, SqlRow, Tx, Value, Violation, constraint};

/// The notification channel of the change feed.
pub const CHANNEL: &str = "trent_changes";
/// How often a node whose change feed is down drops its caches.
pub const DEAF_FLUSH: Duration = Duration::from_millis(250);
/// How often the feed's connection is checked, and how long the check may take.
const HEARTBEAT: Duration = Duration::from_millis(500);
/// The advisory lock that serializes appends to the audit chain.
const AUDIT_LOCK: i64 = 0x7472_656e_7402;

/// How to reach the database.
#[derive(Clone, Debug)]
pub struct PostgresOptions {
    /// Connections in the pool (the change feed holds one more).
    pub pool_size: usize,
    /// How long a call waits for a connection, to connect, or for a statement, before it
    /// fails with [`StoreError::Unavailable`] (`DependencyTimeoutException`).
    pub timeout: Duration,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            pool_size: 8,
            timeout: Duration::from_secs(5),
        }
    }
}

/// The PostgreSQL implementation of [`trent_core::store::Store`].
pub type PostgresStore = Engine<Postgres>;

/// The PostgreSQL driver behind [`PostgresStore`].
#[derive(Clone)]
pub struct Postgres {
    pool: Pool,
    description: String,
    /// This process's tag on the notifications it sends, so that it skips its own.
    node: Arc<str>,
    listeners: Listeners,
    pending: crate::pending::Pending,
    calls: Arc<AtomicU64>,
    feed_up: Arc<std::sync::atomic::AtomicBool>,
    feed: Arc<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("database", &self.description)
            .finish_non_exhaustive()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // The last handle stops the feed.
        if Arc::strong_count(&self.feed) == 1 {
            self.feed.abort();
        }
    }
}

/// Maps a PostgreSQL error: unique and foreign-key violations by the table they name, a full
/// disk, corruption, and everything else (a lost connection, a timeout, a node in recovery)
/// as unavailable.
pub(crate) fn map_pg(e: &tokio_postgres::Error) -> StoreError {
    let Some(db) = e.as_db_error() else {
        return StoreError::Unavailable(format!("database: {e}"));
    };
    let code = db.code();
    if *code == SqlState::UNIQUE_VIOLATION {
        StoreError::Conflict {
            constraint: constraint(Violation::Unique {
                table: db.table().unwrap_or_default(),
            }),
        }
    } else if *code == SqlState::FOREIGN_KEY_VIOLATION {
        StoreError::Conflict {
            constraint: constraint(Violation::ForeignKey),
        }
    } else if *code == SqlState::DISK_FULL || *code == SqlState::OUT_OF_MEMORY {
        StoreError::Full(db.message().to_owned())
    } else if *code == SqlState::DATA_CORRUPTED || *code == SqlState::INDEX_CORRUPTED {
        StoreError::Corrupt(db.message().to_owned())
    } else {
        StoreError::Unavailable(format!("database: {}", db.message()))
    }
}

fn pg(e: tokio_postgres::Error) -> StoreError {
    map_pg(&e)
}

fn pool_error(e: deadpool_postgres::PoolError) -> StoreError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => map_pg(&e),
        other => StoreError::Unavailable(format!("database: {other}")),
    }
}

/// The database's address without its password, for logs.
fn describe(config: &tokio_postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres://{}@{}:{port}/{}",
        config.get_user().unwrap_or_default(),
        hosts.join(","),
        config.get_dbname().unwrap_or_default()
    )
}

/// One notification's payload: the sending node, then one change per line.
fn encode(node: &str, changes: &[Change]) -> String {
    let mut out = String::from(node);
    for change in changes {
        out.push('\n');
        match change {
            Change::Key { scope, id } => {
                out.push_str(&format!(
                    "k {} {} {}",
                    scope.account,
                    scope.region,
                    id.as_str()
                ));
            }
            Change::Aliases { scope } => {
                out.push_str(&format!("a {} {}", scope.account, scope.region));
            }
            Change::Identities => out.push('i'),
            Change::KeyStores => out.push('s'),
            Change::All => out.push('*'),
        }
    }
    // PostgreSQL's limit is 8000 bytes; a bigger change says "everything".
    if out.len() > 7900 {
        return format!("{node}\n*");
    }
    out
}

/// The sender and changes of a payload; an unreadable line means "everything".
fn decode(payload: &str) -> (&str, Vec<Change>) {
    let mut lines = payload.lines();
    let node = lines.next().unwrap_or_default();
    let changes = lines
        .map(|line| {
            let parts: Vec<&str> = line.split(' ').collect();
            let scope = |a: &str, r: &str| {
                Some(Scope {
                    account: AccountId::parse(a)?,
                    region: Region::parse(r)?,
                })
            };
            match parts.as_slice() {
                ["k", a, r, id] => scope(a, r)
                    .zip(KeyId::parse(id))
                    .map(|(scope, id)| Change::Key { scope, id }),
                ["a", a, r] => scope(a, r).map(|scope| Change::Aliases { scope }),
                ["i"] => Some(Change::Identities),
                ["s"] => Some(Change::KeyStores),
                _ => None,
            }
            .unwrap_or(Change::All)
        })
        .collect();
    (node, changes)
}

impl Engine<Postgres> {
    /// Connects to `url` (`postgres://user:password@host:port/dbname`), brings the schema up
    /// to date (nodes starting together take turns), and starts the change feed.
    pub async fn connect(url: &str, options: &PostgresOptions) -> StoreResult<PostgresStore> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Unavailable(format!("the PostgreSQL URL: {e}")))?;
        let timeout_ms = options.timeout.as_millis();
        config
            .application_name("trent")
            .connect_timeout(options.timeout)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(10))
            .options(format!(
                "-c statement_timeout={timeout_ms} -c lock_timeout={timeout_ms} -c idle_in_transaction_session_timeout={}",
                timeout_ms.saturating_mul(6)
            ));
        let description = describe(&config);
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.pool_size.max(1))
            .wait_timeout(Some(options.timeout))
            .create_timeout(Some(options.timeout))
            .recycle_timeout(Some(options.timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::Unavailable(format!("connection pool: {e}")))?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let node: Arc<str> = format!("{}-{nanos:x}", std::process::id()).into();
        let listeners = Listeners::default();
        let feed_up = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let store_pool = pool.clone();
        {
            let mut client = store_pool.get().await.map_err(pool_error)?;
            migrations::postgres::migrate(&mut client).await?;
        }
        let mut feed_config = config;
        feed_config.application_name("trent-feed");
        let feed = tokio::spawn(follow(
            feed_config,
            node.clone(),
            listeners.clone(),
            feed_up.clone(),
        ));
        Ok(Engine {
            driver: Postgres {
                pool,
                description,
                node,
                listeners,
                pending: crate::pending::Pending::default(),
                calls: Arc::new(AtomicU64::new(0)),
                feed_up,
                feed: Arc::new(feed),
            },
        })
    }

    /// The database's address (without a password).
    pub fn description(&self) -> &str {
        &self.driver.description
    }

    /// How many store calls have reached the database since the store was opened.
    pub fn calls(&self) -> u64 {
        self.driver.calls.load(Ordering::Relaxed)
    }

    /// Whether the change feed is listening (for `/ready`).
    pub fn feed_up(&self) -> bool {
        self.driver.feed_up.load(Ordering::SeqCst)
    }

    /// Waits (at most `within`) until the change feed listens.
    pub async fn wait_for_feed(&self, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while !self.feed_up() {
            if tokio::time::Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        true
    }
}

impl Postgres {
    /// Runs `f` with a pooled connection, in its own task (so a caller that goes away does not
    /// cut it short); inside a transaction when `changes` is given, whose commit carries one
    /// notification of them to the other nodes, after which this node's listeners hear of
    /// them.
    async fn run<T, F>(&self, changes: Option<Vec<Change>>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c ClientWrapper) -> BoxFuture<'c, StoreResult<T>> + Send + 'static,
    {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let ticket = self.pending.ticket();
        let (pool, listeners) = (self.pool.clone(), self.listeners.clone());
        let payload = changes
            .as_ref()
            .filter(|c| !c.is_empty())
            .map(|c| encode(&self.node, c));
        tokio::spawn(async move {
            let _ticket = ticket;
            let client = pool.get().await.map_err(pool_error)?;
            let Some(changes) = changes else {
                return f(&client).await;
            };
            client.batch_execute("BEGIN").await.map_err(pg)?;
            let outcome = async {
                let value = f(&client).await?;
                if let Some(payload) = &payload {
                    client
                        .execute("SELECT pg_notify($1, $2)", &[&CHANNEL, payload])
                        .await
                        .map_err(pg)?;
                }
                client.batch_execute("COMMIT").await.map_err(pg)?;
                Ok::<T, StoreError>(value)
            }
            .await;
            match outcome {
                Ok(value) => {
                    listeners.committed(&changes);
                    Ok(value)
                }
                Err(e) => {
                    if client.batch_execute("ROLLBACK").await.is_err() {
                        // A connection that cannot roll back is not given to anyone else.
                        let _ = deadpool_postgres::Object::take(client);
                    }
                    Err(e)
                }
            }
        })
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))?
    }
}

/// Runs an engine body on a pooled connection.
fn engine<T: Send + 'static>(
    body: Body<T>,
) -> impl for<'c> FnOnce(&'c ClientWrapper) -> BoxFuture<'c, StoreResult<T>> + Send + 'static {
    move |client| {
        Box::pin(async move {
            let mut tx = PgTx { client };
            body(&mut tx).await
        })
    }
}

impl Driver for Postgres {
    async fn read<T: Send + 'static>(&self, body: Body<T>) -> StoreResult<T> {
        self.run(None, engine(body)).await
    }

    async fn write<T: Send + 'static>(
        &self,
        changes: Vec<Change>,
        body: Body<T>,
    ) -> StoreResult<T> {
        self.run(Some(changes), engine(body)).await
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
        self.run(Some(Vec::new()), move |c| {
            Box::pin(async move { append(c, time, &events, chain).await })
        })
        .await
    }
}

/// The change feed: listens on [`CHANNEL`] and tells the listeners of other nodes' changes,
/// checking the connection every [`HEARTBEAT`]; while it cannot listen, it tells them
/// "everything changed" every [`DEAF_FLUSH`], and reconnects.
async fn follow(
    config: tokio_postgres::Config,
    node: Arc<str>,
    listeners: Listeners,
    up: Arc<std::sync::atomic::AtomicBool>,
) {
    use futures_util::StreamExt as _;
    let mut was_up = true;
    loop {
        if let Ok(Ok((client, mut connection))) =
            tokio::time::timeout(HEARTBEAT * 4, config.connect(NoTls)).await
        {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
            let driver = tokio::spawn(async move {
                let mut messages =
                    futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                while let Some(Ok(message)) = messages.next().await {
                    if let tokio_postgres::AsyncMessage::Notification(n) = message
                        && tx.send(n.payload().to_owned()).is_err()
                    {
                        break;
                    }
                }
            });
            let listening = format!("LISTEN {CHANNEL}");
            if client.batch_execute(&listening).await.is_ok() {
                // Whatever happened before LISTEN is unknown: start from nothing.
                listeners.tell(&[Change::All]);
                up.store(true, Ordering::SeqCst);
                if !was_up {
                    tracing::info!("the change feed from the database is back");
                }
                was_up = true;
                let mut beat = tokio::time::interval(HEARTBEAT);
                loop {
                    tokio::select! {
                        payload = rx.recv() => {
                            let Some(payload) = payload else { break };
                            let (from, changes) = decode(&payload);
                            if from != &*node {
                                listeners.tell(&changes);
                            }
                        }
                        _ = beat.tick() => {
                            let alive = tokio::time::timeout(HEARTBEAT, client.simple_query("")).await;
                            if !matches!(alive, Ok(Ok(_))) {
                                break;
                            }
                        }
                    }
                }
            }
            driver.abort();
        }
        up.store(false, Ordering::SeqCst);
        if was_up {
            tracing::warn!(
                "the change feed from the database is down: caches are dropped every {} ms until it is back",
                DEAF_FLUSH.as_millis()
            );
        }
        was_up = false;
        listeners.tell(&[Change::All]);
        tokio::time::sleep(DEAF_FLUSH).await;
    }
}

/// A pooled connection, as the engine's [`Tx`].
struct PgTx<'c> {
    client: &'c ClientWrapper,
}

impl PgTx<'_> {
    async fn statement(&self, sql: &str) -> StoreResult<tokio_postgres::Statement> {
        self.client.prepare_cached(sql).await.map_err(pg)
    }
}

fn refs(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|v| -> &(dyn ToSql + Sync) { v })
        .collect()
}

#[async_trait]
impl Tx for PgTx<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn execute(&mut self, sql: &str, params: &[Value]) -> StoreResult<u64> {
        let statement = self.statement(sql).await?;
        self.client
            .execute(&statement, &refs(params))
            .await
            .map_err(pg)
    }

    async fn query(&mut self, sql: &str, params: &[Value]) -> StoreResult<Vec<SqlRow>> {
        let statement = self.statement(sql).await?;
        let rows = self
            .client
            .query(&statement, &refs(params))
            .await
            .map_err(pg)?;
        rows.iter().map(row).collect()
    }
}

/// Appends events after the chain's tail under the audit lock: one statement for the events,
/// one for the keys they name.
async fn append(
    c: &ClientWrapper,
    time: UnixMillis,
    events: &[AuditEntry],
    chain: AuditChain,
) -> StoreResult<(i64, Vec<u8>)> {
    // One chain for every node: appends take turns, each continuing from the tail.
    let lock = c
        .prepare_cached("SELECT pg_advisory_xact_lock($1)")
        .await
        .map_err(pg)?;
    c.execute(&lock, &[&AUDIT_LOCK]).await.map_err(pg)?;
    let tail = c
        .prepare_cached("SELECT seq, hash, time FROM audit_events ORDER BY seq DESC LIMIT 1")
        .await
        .map_err(pg)?;
    let (mut seq, mut hash, tail_time): (i64, Vec<u8>, i64) =
        match c.query_opt(&tail, &[]).await.map_err(pg)? {
            Some(row) => (
                row.try_get(0).map_err(pg)?,
                row.try_get(1).map_err(pg)?,
                row.try_get(2).map_err(pg)?,
            ),
            None => (0, vec![0; 32], i64::MIN),
        };
    // A record's time never goes back along the chain, whichever node's clock is behind, so a
    // lookup's time window is a range of sequence numbers.
    let time = time.0.max(tail_time);
    if events.is_empty() {
        return Ok((seq, hash));
    }
    let mut seqs = Vec::with_capacity(events.len());
    let mut hashes = Vec::with_capacity(events.len());
    let (mut key_ids, mut key_seqs) = (Vec::new(), Vec::new());
    for entry in events {
        seq += 1;
        hash = chain(&hash, seq, &entry.event);
        seqs.push(seq);
        hashes.push(hash.clone());
        for key in distinct_key_ids(entry) {
            key_ids.push(key);
            key_seqs.push(seq);
        }
    }
    let times = vec![time; events.len()];
    let texts: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    let accounts: Vec<Option<&str>> = events.iter().map(|e| e.account.as_deref()).collect();
    let names: Vec<&str> = events.iter().map(|e| e.event_name.as_str()).collect();
    // One statement for the whole batch, one for its keys.
    let insert = c
        .prepare_cached(
            "INSERT INTO audit_events (seq, time, event, hash, account, event_name)
             SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bytea[], $5::text[], $6::text[])",
        )
        .await
        .map_err(pg)?;
    c.execute(
        &insert,
        &[&seqs, &times, &texts, &hashes, &accounts, &names],
    )
    .await
    .map_err(pg)?;
    if !key_ids.is_empty() {
        let index = c
            .prepare_cached(
                "INSERT INTO audit_keys (key_id, seq) SELECT * FROM unnest($1::text[], $2::bigint[])",
            )
            .await
            .map_err(pg)?;
        c.execute(&index, &[&key_ids, &key_seqs])
            .await
            .map_err(pg)?;
    }
    Ok((seq, hash))
}

/// A row as the engine sees it, each column by its database type.
fn row(r: &Row) -> StoreResult<SqlRow> {
    let mut values = Vec::with_capacity(r.len());
    for (i, column) in r.columns().iter().enumerate() {
        let ty = column.type_();
        let value = if *ty == Type::INT8 {
            r.try_get::<_, Option<i64>>(i).map_err(pg)?.into()
        } else if *ty == Type::INT4 {
            r.try_get::<_, Option<i32>>(i)
                .map_err(pg)?
                .map(i64::from)
                .into()
        } else if *ty == Type::INT2 {
            r.try_get::<_, Option<i16>>(i)
                .map_err(pg)?
                .map(i64::from)
                .into()
        } else if *ty == Type::BOOL {
            r.try_get::<_, Option<bool>>(i).map_err(pg)?.into()
        } else if *ty == Type::BYTEA {
            r.try_get::<_, Option<Vec<u8>>>(i).map_err(pg)?.into()
        } else if [Type::TEXT, Type::VARCHAR, Type::BPCHAR, Type::NAME].contains(ty) {
            r.try_get::<_, Option<String>>(i).map_err(pg)?.into()
        } else {
            return Err(StoreError::Corrupt(format!(
                "column {} has an unexpected type {ty}",
                column.name()
            )));
        };
        values.push(value);
    }
    Ok(SqlRow(values))
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(n) if *ty == Type::INT4 => i32::try_from(*n)?.to_sql_checked(ty, out),
            Value::Int(n) if *ty == Type::INT2 => i16::try_from(*n)?.to_sql_checked(ty, out),
            Value::Int(n) => n.to_sql_checked(ty, out),
            Value::Bool(b) => b.to_sql_checked(ty, out),
            Value::Text(t) => t.to_sql_checked(ty, out),
            Value::Bytes(b) => b.to_sql_checked(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_round_trip() {
        let scope = Scope {
            account: AccountId::parse("111122223333").unwrap(),
            region: Region::parse("eu-west-1").unwrap(),
        };
        let id = KeyId::parse("1234abcd-12ab-34cd-56ef-1234567890ab").unwrap();
        let changes = vec![
            Change::Key {
                scope: scope.clone(),
                id,
            },
            Change::Aliases { scope },
            Change::Identities,
            Change::KeyStores,
            Change::All,
        ];
        let payload = encode("node-1", &changes);
        assert_eq!(decode(&payload), ("node-1", changes));
    }

    #[test]
    fn an_unreadable_notification_means_everything() {
        assert_eq!(
            decode("node-2\nk nonsense\nz"),
            ("node-2", vec![Change::All, Change::All])
        );
    }

    #[test]
    fn an_oversized_change_says_everything() {
        let changes = vec![Change::Identities; 5000];
        assert_eq!(encode("n", &changes), "n\n*");
    }
}
