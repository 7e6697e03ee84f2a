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

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{ClientWrapper, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

use crate::common::{
    GRANT_COLUMNS, KEY_COLUMNS, MaterialOp, SqlParam, audit_lookup_sql, distinct_key_ids,
    json_list, key_and_aliases, list_json, map_json, page, sql_limit, tags_json,
};
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

/// The notification channel of the change feed.
pub const CHANNEL: &str = "trent_changes";
/// How often a node whose change feed is down drops its caches.
pub const DEAF_FLUSH: Duration = Duration::from_millis(250);
/// How often the feed's connection is checked, and how long the check may take.
const HEARTBEAT: Duration = Duration::from_millis(500);
/// The advisory lock that serializes migrations of nodes starting together.
const MIGRATION_LOCK: i64 = 0x7472_656e_7401;
/// The advisory lock that serializes appends to the audit chain.
const AUDIT_LOCK: i64 = 0x7472_656e_7402;

/// The migrations, in order; the version of migration `i` is `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/postgres/0001_initial.sql"),
    include_str!("../migrations/postgres/0002_transitive_session_tags.sql"),
    include_str!("../migrations/postgres/0003_audit_lookup.sql"),
    include_str!("../migrations/postgres/0004_principal_ids.sql"),
];

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

/// The PostgreSQL implementation of [`Store`].
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    description: String,
    /// This process's tag on the notifications it sends, so that it skips its own.
    node: Arc<str>,
    listeners: Arc<RwLock<Vec<ChangeListener>>>,
    pending: crate::pending::Pending,
    calls: Arc<AtomicU64>,
    feed_up: Arc<std::sync::atomic::AtomicBool>,
    feed: Arc<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("database", &self.description)
            .finish_non_exhaustive()
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // The last handle stops the feed.
        if Arc::strong_count(&self.feed) == 1 {
            self.feed.abort();
        }
    }
}

/// What a step inside a transaction can fail with.
#[derive(Debug)]
enum Fail {
    Pg(tokio_postgres::Error),
    Store(StoreError),
}

impl From<tokio_postgres::Error> for Fail {
    fn from(e: tokio_postgres::Error) -> Self {
        Fail::Pg(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Store(e)
    }
}

type Step<T> = Result<T, Fail>;
type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

fn corrupt(what: &str) -> Fail {
    Fail::Store(StoreError::Corrupt(format!(
        "corrupt value in column {what}"
    )))
}

/// Maps a PostgreSQL error: unique and foreign-key violations by the constraint they name,
/// a full disk, corruption, and everything else (a lost connection, a timeout, a node in
/// recovery) as unavailable.
fn map_pg(e: &tokio_postgres::Error) -> StoreError {
    let Some(db) = e.as_db_error() else {
        return StoreError::Unavailable(format!("database: {e}"));
    };
    let code = db.code();
    if *code == SqlState::UNIQUE_VIOLATION {
        let constraint = match db.constraint().unwrap_or_default() {
            "aliases_pkey" => "aliases",
            "keys_pkey" => "keys",
            "access_keys_pkey" => "access_keys",
            "audit_digests_pkey" => "audit_digests",
            _ => "unknown",
        };
        StoreError::Conflict { constraint }
    } else if *code == SqlState::FOREIGN_KEY_VIOLATION {
        StoreError::Conflict {
            constraint: "foreign_key",
        }
    } else if *code == SqlState::DISK_FULL || *code == SqlState::OUT_OF_MEMORY {
        StoreError::Full(db.message().to_owned())
    } else if *code == SqlState::DATA_CORRUPTED || *code == SqlState::INDEX_CORRUPTED {
        StoreError::Corrupt(db.message().to_owned())
    } else {
        StoreError::Unavailable(format!("database: {}", db.message()))
    }
}

fn map_fail(f: Fail) -> StoreError {
    match f {
        Fail::Pg(e) => map_pg(&e),
        Fail::Store(e) => e,
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
                _ => None,
            }
            .unwrap_or(Change::All)
        })
        .collect();
    (node, changes)
}

fn tell(listeners: &RwLock<Vec<ChangeListener>>, changes: &[Change]) {
    if let Ok(listeners) = listeners.read() {
        for change in changes {
            for listener in listeners.iter() {
                listener(change);
            }
        }
    }
}

impl PostgresStore {
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
        let listeners: Arc<RwLock<Vec<ChangeListener>>> = Arc::new(RwLock::new(Vec::new()));
        let feed_up = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let store_pool = pool.clone();
        {
            let mut client = store_pool.get().await.map_err(pool_error)?;
            migrate(&mut client).await?;
        }
        let mut feed_config = config;
        feed_config.application_name("trent-feed");
        let feed = tokio::spawn(follow(
            feed_config,
            node.clone(),
            listeners.clone(),
            feed_up.clone(),
        ));
        Ok(PostgresStore {
            pool,
            description,
            node,
            listeners,
            pending: crate::pending::Pending::default(),
            calls: Arc::new(AtomicU64::new(0)),
            feed_up,
            feed: Arc::new(feed),
        })
    }

    /// The database's address (without a password).
    pub fn description(&self) -> &str {
        &self.description
    }

    /// How many store calls have reached the database since the store was opened.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Whether the change feed is listening (for `/ready`).
    pub fn feed_up(&self) -> bool {
        self.feed_up.load(Ordering::SeqCst)
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

    /// Runs `f` with a pooled connection, in its own task.
    async fn with<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c ClientWrapper) -> BoxFuture<'c, Step<T>> + Send + 'static,
    {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let ticket = self.pending.ticket();
        let pool = self.pool.clone();
        tokio::spawn(async move {
            let _ticket = ticket;
            let client = pool.get().await.map_err(pool_error)?;
            f(&client).await.map_err(map_fail)
        })
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))?
    }

    /// Runs `f` in one transaction that commits only if `f` succeeds, in its own task (so a
    /// caller that goes away does not cut it short). The commit carries one notification of
    /// `changes` to the other nodes; after it, this node's listeners hear of them.
    async fn transaction<T, F>(&self, changes: Vec<Change>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c ClientWrapper) -> BoxFuture<'c, Step<T>> + Send + 'static,
    {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let ticket = self.pending.ticket();
        let (pool, listeners) = (self.pool.clone(), self.listeners.clone());
        let payload = (!changes.is_empty()).then(|| encode(&self.node, &changes));
        tokio::spawn(async move {
            let _ticket = ticket;
            let client = pool.get().await.map_err(pool_error)?;
            client
                .batch_execute("BEGIN")
                .await
                .map_err(|e| map_pg(&e))?;
            let outcome = async {
                let value = f(&client).await?;
                if let Some(payload) = &payload {
                    client
                        .execute("SELECT pg_notify($1, $2)", &[&CHANNEL, payload])
                        .await?;
                }
                client.batch_execute("COMMIT").await?;
                Ok::<T, Fail>(value)
            }
            .await;
            match outcome {
                Ok(value) => {
                    // Identities reload where they were changed; only other nodes need telling.
                    let local: Vec<Change> = changes
                        .into_iter()
                        .filter(|c| *c != Change::Identities)
                        .collect();
                    tell(&listeners, &local);
                    Ok(value)
                }
                Err(fail) => {
                    if client.batch_execute("ROLLBACK").await.is_err() {
                        // A connection that cannot roll back is not given to anyone else.
                        let _ = deadpool_postgres::Object::take(client);
                    }
                    Err(map_fail(fail))
                }
            }
        })
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))?
    }

    /// Reads a key (locking its row), lets `change` modify it, applies `material`, and writes
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
        self.transaction(changes, move |c| {
            Box::pin(async move { apply_change(c, &scope, &id, material, change).await })
        })
        .await
    }
}

fn pool_error(e: deadpool_postgres::PoolError) -> StoreError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => map_pg(&e),
        other => StoreError::Unavailable(format!("database: {other}")),
    }
}

/// Brings the schema up to date under an advisory lock; refuses a database newer than this
/// build.
async fn migrate(client: &mut ClientWrapper) -> StoreResult<()> {
    let pg = |e: tokio_postgres::Error| map_pg(&e);
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(pg)?;
    let result = async {
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS trent_schema (version BIGINT PRIMARY KEY, applied BIGINT NOT NULL)",
            )
            .await
            .map_err(pg)?;
        let current: i64 = client
            .query_one("SELECT COALESCE(MAX(version), 0) FROM trent_schema", &[])
            .await
            .map_err(pg)?
            .try_get(0)
            .map_err(pg)?;
        let latest = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
        if current > latest {
            return Err(StoreError::Corrupt(format!(
                "the database has schema version {current}, newer than this build of Trent supports ({latest})"
            )));
        }
        for (index, sql) in MIGRATIONS.iter().enumerate() {
            let version = i64::try_from(index + 1).unwrap_or(i64::MAX);
            if version <= current {
                continue;
            }
            let tx = client.transaction().await.map_err(pg)?;
            tx.batch_execute(sql).await.map_err(pg)?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                .unwrap_or_default();
            tx.execute(
                "INSERT INTO trent_schema (version, applied) VALUES ($1, $2)",
                &[&version, &now],
            )
            .await
            .map_err(pg)?;
            tx.commit().await.map_err(pg)?;
        }
        Ok(())
    }
    .await;
    let unlocked = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await;
    result?;
    unlocked.map(|_| ()).map_err(pg)
}

/// The change feed: listens on [`CHANNEL`] and tells the listeners of other nodes' changes,
/// checking the connection every [`HEARTBEAT`]; while it cannot listen, it tells them
/// "everything changed" every [`DEAF_FLUSH`], and reconnects.
async fn follow(
    config: tokio_postgres::Config,
    node: Arc<str>,
    listeners: Arc<RwLock<Vec<ChangeListener>>>,
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
                tell(&listeners, &[Change::All]);
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
                                tell(&listeners, &changes);
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
        tell(&listeners, &[Change::All]);
        tokio::time::sleep(DEAF_FLUSH).await;
    }
}

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(row: &'a Row, i: usize) -> Step<T> {
    Ok(row.try_get(i)?)
}

fn parse<T>(value: Option<T>, what: &str) -> Step<T> {
    value.ok_or_else(|| corrupt(what))
}

fn key_from_row(row: &Row) -> Step<KeyRecord> {
    let text = |i: usize| get::<String>(row, i);
    let material: Vec<u8> = get(row, 12)?;
    let material: [u8; 32] = material
        .try_into()
        .map_err(|_| corrupt("keys.current_material"))?;
    let window: Option<i64> = get(row, 11)?;
    Ok(KeyRecord {
        scope: Scope {
            account: parse(AccountId::parse(&text(0)?), "keys.account")?,
            region: parse(Region::parse(&text(1)?), "keys.region")?,
        },
        id: parse(KeyId::parse(&text(2)?), "keys.id")?,
        created: UnixMillis(get(row, 3)?),
        description: text(4)?,
        spec: parse(KeySpec::parse(&text(5)?), "keys.spec")?,
        usage: parse(KeyUsage::parse(&text(6)?), "keys.usage")?,
        origin: parse(Origin::parse(&text(7)?), "keys.origin")?,
        manager: parse(KeyManager::parse(&text(8)?), "keys.manager")?,
        state: parse(KeyState::parse(&text(9)?), "keys.state")?,
        deletion_date: get::<Option<i64>>(row, 10)?.map(UnixMillis),
        pending_window_days: window.and_then(|w| u32::try_from(w).ok()),
        current_material: MaterialId(material),
        multi_region: get(row, 13)?,
        policy: text(14)?,
        version: get(row, 15)?,
        public_key: get(row, 16)?,
        rotation: Rotation {
            period_days: get::<Option<i64>>(row, 17)?.and_then(|d| u32::try_from(d).ok()),
            next: get::<Option<i64>>(row, 18)?.map(UnixMillis),
            on_demand_count: u32::try_from(get::<i64>(row, 19)?).unwrap_or_default(),
            on_demand_started: get::<Option<i64>>(row, 20)?.map(UnixMillis),
        },
        valid_to: get::<Option<i64>>(row, 21)?.map(UnixMillis),
        expiration_model: get::<Option<String>>(row, 22)?
            .map(|m| parse(ExpirationModel::parse(&m), "keys.expiration_model"))
            .transpose()?,
        primary_region: get::<Option<String>>(row, 23)?
            .map(|r| parse(Region::parse(&r), "keys.primary_region"))
            .transpose()?,
        policy_principals: json_map(&text(24)?)?,
    })
}

fn key_values(key: &KeyRecord) -> Vec<Box<dyn ToSql + Sync + Send>> {
    vec![
        Box::new(key.scope.account.as_str().to_owned()),
        Box::new(key.scope.region.as_str().to_owned()),
        Box::new(key.id.as_str().to_owned()),
        Box::new(key.created.0),
        Box::new(key.description.clone()),
        Box::new(key.spec.as_str()),
        Box::new(key.usage.as_str()),
        Box::new(key.origin.as_str()),
        Box::new(key.manager.as_str()),
        Box::new(key.state.as_str()),
        Box::new(key.deletion_date.map(|d| d.0)),
        Box::new(key.pending_window_days.map(i64::from)),
        Box::new(key.current_material.0.to_vec()),
        Box::new(key.multi_region),
        Box::new(key.policy.clone()),
        Box::new(key.version),
        Box::new(key.public_key.clone()),
        Box::new(key.rotation.period_days.map(i64::from)),
        Box::new(key.rotation.next.map(|d| d.0)),
        Box::new(i64::from(key.rotation.on_demand_count)),
        Box::new(key.rotation.on_demand_started.map(|d| d.0)),
        Box::new(key.valid_to.map(|d| d.0)),
        Box::new(key.expiration_model.map(ExpirationModel::as_str)),
        Box::new(key.primary_region.as_ref().map(|r| r.as_str().to_owned())),
        Box::new(map_json(&key.policy_principals)),
    ]
}

fn refs(values: &[Box<dyn ToSql + Sync + Send>]) -> Vec<&(dyn ToSql + Sync)> {
    values
        .iter()
        .map(|v| {
            let value: &(dyn ToSql + Sync) = v.as_ref();
            value
        })
        .collect()
}

async fn insert_key(c: &ClientWrapper, key: &KeyRecord) -> Step<()> {
    let values = key_values(key);
    c.execute(
        &format!(
            "INSERT INTO keys ({KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)"
        ),
        &refs(&values),
    )
    .await?;
    Ok(())
}

fn alias_from_row(row: &Row) -> Step<AliasRecord> {
    let text = |i: usize| get::<String>(row, i);
    Ok(AliasRecord {
        scope: Scope {
            account: parse(AccountId::parse(&text(0)?), "aliases.account")?,
            region: parse(Region::parse(&text(1)?), "aliases.region")?,
        },
        name: AliasName::parse(&text(2)?).map_err(|_| corrupt("aliases.name"))?,
        target: parse(KeyId::parse(&text(3)?), "aliases.target")?,
        created: UnixMillis(get(row, 4)?),
        updated: UnixMillis(get(row, 5)?),
    })
}

fn json_map(text: &str) -> Step<BTreeMap<String, String>> {
    crate::common::json_map(text).ok_or_else(|| corrupt("json object"))
}

fn json_tags(text: &str) -> Step<Vec<Tag>> {
    crate::common::json_tags(text).ok_or_else(|| corrupt("json object"))
}

fn grant_from_row(row: &Row) -> Step<GrantRecord> {
    let text = |i: usize| get::<String>(row, i);
    let operations = text(8)?;
    let equals: Option<String> = get(row, 9)?;
    let subset: Option<String> = get(row, 10)?;
    Ok(GrantRecord {
        scope: Scope {
            account: parse(AccountId::parse(&text(0)?), "grants.account")?,
            region: parse(Region::parse(&text(1)?), "grants.region")?,
        },
        key: parse(KeyId::parse(&text(2)?), "grants.key_id")?,
        id: text(3)?,
        name: get(row, 4)?,
        grantee: text(5)?,
        grantee_id: get(row, 12)?,
        retiring: get(row, 6)?,
        retiring_id: get(row, 13)?,
        issuing_account: text(7)?,
        operations: operations
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        context_equals: equals.as_deref().map(json_map).transpose()?,
        context_subset: subset.as_deref().map(json_map).transpose()?,
        created: UnixMillis(get(row, 11)?),
    })
}

const MATERIAL_COLUMNS: &str =
    "material_id, sealed, created, rotation_type, description, pending, valid_to, expiration_model";

fn material_from_row(row: &Row) -> Step<SealedMaterial> {
    let id: Vec<u8> = get(row, 0)?;
    let id: [u8; 32] = id
        .try_into()
        .map_err(|_| corrupt("key_materials.material_id"))?;
    Ok(SealedMaterial {
        id: MaterialId(id),
        sealed: get(row, 1)?,
        created: UnixMillis(get(row, 2)?),
        rotation: get::<Option<String>>(row, 3)?
            .map(|r| parse(RotationType::parse(&r), "key_materials.rotation_type"))
            .transpose()?,
        description: get(row, 4)?,
        pending: get(row, 5)?,
        valid_to: get::<Option<i64>>(row, 6)?.map(UnixMillis),
        expiration_model: get::<Option<String>>(row, 7)?
            .map(|m| parse(ExpirationModel::parse(&m), "key_materials.expiration_model"))
            .transpose()?,
    })
}

async fn insert_material(
    c: &ClientWrapper,
    scope: &Scope,
    id: &KeyId,
    m: &SealedMaterial,
) -> Step<()> {
    c.execute(
        "INSERT INTO key_materials (account, region, key_id, material_id, sealed, created, rotation_type, description, pending, valid_to, expiration_model)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (account, region, key_id, material_id) DO UPDATE SET sealed = excluded.sealed,
         description = COALESCE(excluded.description, key_materials.description),
         valid_to = excluded.valid_to, expiration_model = excluded.expiration_model",
        &[
            &scope.account.as_str(),
            &scope.region.as_str(),
            &id.as_str(),
            &m.id.0.as_slice(),
            &m.sealed,
            &m.created.0,
            &m.rotation.map(RotationType::as_str),
            &m.description,
            &m.pending,
            &m.valid_to.map(|t| t.0),
            &m.expiration_model.map(ExpirationModel::as_str),
        ],
    )
    .await?;
    Ok(())
}

/// Reads a key with its row locked, lets `change` modify it, applies `material`, and writes
/// the record back with its version bumped, inside the caller's transaction.
async fn apply_change(
    c: &ClientWrapper,
    scope: &Scope,
    id: &KeyId,
    material: MaterialOp,
    change: KeyChange,
) -> Step<Result<KeyRecord, trent_core::Error>> {
    let (a, r, k) = (scope.account.as_str(), scope.region.as_str(), id.as_str());
    let row = c
        .query_opt(
            &format!(
                "SELECT {KEY_COLUMNS} FROM keys WHERE account = $1 AND region = $2 AND id = $3 FOR UPDATE"
            ),
            &[&a, &r, &k],
        )
        .await?;
    let Some(row) = row else {
        return Err(StoreError::NotFound.into());
    };
    let current = key_from_row(&row)?;
    let mut next = current.clone();
    if let Err(refused) = change(&mut next) {
        return Ok(Err(refused));
    }
    if next == current && matches!(material, MaterialOp::Keep) {
        return Ok(Ok(current));
    }
    match &material {
        MaterialOp::Keep => {}
        MaterialOp::Add(m) => insert_material(c, scope, id, m).await?,
        MaterialOp::Promote(material, kind) => {
            let n = c
                .execute(
                    "UPDATE key_materials SET pending = FALSE, rotation_type = $5, created = $6
                     WHERE account = $1 AND region = $2 AND key_id = $3 AND material_id = $4 AND pending",
                    &[
                        &a,
                        &r,
                        &k,
                        &material.0.as_slice(),
                        &kind.as_str(),
                        &next.rotation.on_demand_started.map_or(0, |d| d.0),
                    ],
                )
                .await?;
            if n == 0 {
                return Err(StoreError::NotFound.into());
            }
        }
        MaterialOp::DeleteAll => {
            // The versions stay known (their ids, dates, descriptions), so that the same
            // material can be imported again; only the sealed bytes go.
            c.execute(
                "UPDATE key_materials SET sealed = '\\x'::bytea WHERE account = $1 AND region = $2 AND key_id = $3",
                &[&a, &r, &k],
            )
            .await?;
        }
    }
    let mut values = key_values(&next);
    // The version is bumped by the statement, not taken from the record.
    values.remove(15);
    values.remove(3);
    c.execute(
        "UPDATE keys SET description = $4, spec = $5, usage = $6, origin = $7, manager = $8, state = $9,
         deletion_date = $10, pending_window_days = $11, current_material = $12, multi_region = $13, policy = $14,
         public_key = $15, rotation_period_days = $16, next_rotation = $17, on_demand_rotations = $18,
         on_demand_started = $19, valid_to = $20, expiration_model = $21, primary_region = $22,
         policy_principals = $23, version = version + 1
         WHERE account = $1 AND region = $2 AND id = $3",
        &refs(&values),
    )
    .await?;
    next.version = current.version + 1;
    Ok(Ok(next))
}

fn scope_and_id(row: &Row) -> Step<(Scope, KeyId)> {
    let text = |i: usize| get::<String>(row, i);
    Ok((
        Scope {
            account: parse(AccountId::parse(&text(0)?), "keys.account")?,
            region: parse(Region::parse(&text(1)?), "keys.region")?,
        },
        parse(KeyId::parse(&text(2)?), "keys.id")?,
    ))
}

fn audit_from_row(row: &Row) -> Step<AuditRecord> {
    Ok(AuditRecord {
        seq: get(row, 0)?,
        time: UnixMillis(get(row, 1)?),
        event: get(row, 2)?,
        hash: get(row, 3)?,
    })
}

fn rows<T>(rows: &[Row], f: fn(&Row) -> Step<T>) -> Step<Vec<T>> {
    rows.iter().map(f).collect()
}

/// A sealed column: its table, the columns that say where a value lives, and how to name
/// the place from them.
struct SealedColumn {
    table: &'static str,
    column: &'static str,
    locator: &'static str,
    slot: fn(&Row) -> Step<SealedSlot>,
}

fn key_slot(row: &Row, from: usize) -> Step<(Scope, KeyId)> {
    let text = |i: usize| get::<String>(row, from + i);
    Ok((
        Scope {
            account: parse(AccountId::parse(&text(0)?), "account")?,
            region: parse(Region::parse(&text(1)?), "region")?,
        },
        parse(KeyId::parse(&text(2)?), "key_id")?,
    ))
}

/// Every column that holds a value sealed under the root key.
const SEALED_COLUMNS: &[SealedColumn] = &[
    SealedColumn {
        table: "meta",
        column: "value",
        locator: "name",
        slot: |r| Ok(SealedSlot::Meta { name: get(r, 1)? }),
    },
    SealedColumn {
        table: "access_keys",
        column: "sealed_secret",
        locator: "id",
        slot: |r| Ok(SealedSlot::AccessKey { id: get(r, 1)? }),
    },
    SealedColumn {
        table: "sessions",
        column: "sealed_secret",
        locator: "access_key_id",
        slot: |r| {
            Ok(SealedSlot::SessionSecret {
                access_key_id: get(r, 1)?,
            })
        },
    },
    SealedColumn {
        table: "sessions",
        column: "sealed_token",
        locator: "access_key_id",
        slot: |r| {
            Ok(SealedSlot::SessionToken {
                access_key_id: get(r, 1)?,
            })
        },
    },
    SealedColumn {
        table: "key_materials",
        column: "sealed",
        locator: "account, region, key_id, material_id",
        slot: |r| {
            let (scope, key) = key_slot(r, 1)?;
            let id: Vec<u8> = get(r, 4)?;
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
                token: get(r, 4)?,
                scope,
                key,
            })
        },
    },
];

/// Re-seals one column inside the caller's transaction.
async fn reseal_column(c: &ClientWrapper, column: &SealedColumn, reseal: &Resealer) -> Step<u64> {
    let found = c
        .query(
            &format!(
                "SELECT ctid::text, {}, {} FROM {} FOR UPDATE",
                column.locator, column.column, column.table
            ),
            &[],
        )
        .await?;
    let value_at = column.locator.split(',').count().saturating_add(1);
    let update = format!(
        "UPDATE {} SET {} = $1 WHERE ctid = $2::text::tid",
        column.table, column.column
    );
    let mut count = 0u64;
    for row in &found {
        let ctid: String = get(row, 0)?;
        let slot = (column.slot)(row)?;
        let sealed: Vec<u8> = get(row, value_at)?;
        match reseal(&slot, &sealed) {
            Ok(Some(new)) => {
                c.execute(&update, &[&new, &ctid]).await?;
                count = count.saturating_add(1);
            }
            Ok(None) => {}
            Err(why) => return Err(StoreError::Corrupt(why).into()),
        }
    }
    Ok(count)
}

#[async_trait]
impl Store for PostgresStore {
    fn listen(&self, listener: ChangeListener) {
        if let Ok(mut listeners) = self.listeners.write() {
            listeners.push(listener);
        }
    }

    async fn meta(&self, name: &str) -> StoreResult<Option<Vec<u8>>> {
        let name = name.to_owned();
        self.with(move |c| {
            Box::pin(async move {
                let row = c
                    .query_opt("SELECT value FROM meta WHERE name = $1", &[&name])
                    .await?;
                row.map(|r| get(&r, 0)).transpose()
            })
        })
        .await
    }

    async fn put_meta(&self, name: &str, value: &[u8]) -> StoreResult<()> {
        let (name, value) = (name.to_owned(), value.to_vec());
        self.with(move |c| {
            Box::pin(async move {
                c.execute(
                    "INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    &[&name, &value],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn delete_meta(&self, name: &str) -> StoreResult<()> {
        let name = name.to_owned();
        self.with(move |c| {
            Box::pin(async move {
                c.execute("DELETE FROM meta WHERE name = $1", &[&name])
                    .await?;
                Ok(())
            })
        })
        .await
    }

    async fn quiesce(&self) -> StoreResult<()> {
        self.pending.quiesce().await
    }

    async fn reseal_all(&self, reseal: Resealer) -> StoreResult<u64> {
        self.transaction(Vec::new(), move |c| {
            Box::pin(async move {
                let mut total = 0u64;
                for column in SEALED_COLUMNS {
                    total = total.saturating_add(reseal_column(c, column, &reseal).await?);
                }
                Ok(total)
            })
        })
        .await
    }

    async fn put_account(&self, account: &AccountRecord) -> StoreResult<()> {
        let id = account.id.as_str().to_owned();
        let regions: Vec<&str> = account.regions.iter().map(Region::as_str).collect();
        let regions = regions.join(",");
        self.transaction(vec![Change::Identities], move |c| {
            Box::pin(async move {
                c.execute(
                    "INSERT INTO accounts (id, regions) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET regions = excluded.regions",
                    &[&id, &regions],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn accounts(&self) -> StoreResult<Vec<AccountRecord>> {
        self.with(|c| {
            Box::pin(async move {
                let found = c
                    .query("SELECT id, regions FROM accounts ORDER BY id", &[])
                    .await?;
                rows(&found, |r| {
                    let id: String = get(r, 0)?;
                    let regions: String = get(r, 1)?;
                    Ok(AccountRecord {
                        id: parse(AccountId::parse(&id), "accounts.id")?,
                        regions: regions
                            .split(',')
                            .filter(|s| !s.is_empty())
                            .map(|s| parse(Region::parse(s), "accounts.regions"))
                            .collect::<Step<_>>()?,
                    })
                })
            })
        })
        .await
    }

    async fn put_access_key(&self, key: &AccessKeyRecord) -> StoreResult<()> {
        let key = key.clone();
        self.transaction(vec![Change::Identities], move |c| {
            Box::pin(async move {
                c.execute(
                    "INSERT INTO access_keys (id, account, user_name, sealed_secret, enabled, created) VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (id) DO UPDATE SET account = excluded.account, user_name = excluded.user_name,
                     sealed_secret = excluded.sealed_secret, enabled = excluded.enabled",
                    &[&key.id, &key.account.as_str(), &key.user, &key.sealed_secret, &key.enabled, &key.created.0],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn access_keys(&self) -> StoreResult<Vec<AccessKeyRecord>> {
        self.with(|c| {
            Box::pin(async move {
                let found = c
                    .query(
                        "SELECT id, account, user_name, sealed_secret, enabled, created FROM access_keys ORDER BY id",
                        &[],
                    )
                    .await?;
                rows(&found, |r| {
                    let account: String = get(r, 1)?;
                    Ok(AccessKeyRecord {
                        id: get(r, 0)?,
                        account: parse(AccountId::parse(&account), "access_keys.account")?,
                        user: get(r, 2)?,
                        sealed_secret: get(r, 3)?,
                        enabled: get(r, 4)?,
                        created: UnixMillis(get(r, 5)?),
                    })
                })
            })
        })
        .await
    }

    async fn delete_access_key(&self, id: &str) -> StoreResult<()> {
        let id = id.to_owned();
        self.transaction(vec![Change::Identities], move |c| {
            Box::pin(async move {
                c.execute("DELETE FROM access_keys WHERE id = $1", &[&id])
                    .await?;
                Ok(())
            })
        })
        .await
    }

    async fn put_principal(&self, principal: &PrincipalRecord) -> StoreResult<()> {
        let p = principal.clone();
        self.transaction(vec![Change::Identities], move |c| {
            Box::pin(async move {
                c.execute(
                    "INSERT INTO principals (account, kind, name, id, tags, policies, trust_policy, max_session_seconds, created)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                     ON CONFLICT (account, kind, name) DO UPDATE SET tags = excluded.tags, policies = excluded.policies,
                     trust_policy = excluded.trust_policy, max_session_seconds = excluded.max_session_seconds",
                    &[
                        &p.account.as_str(),
                        &p.kind.as_str(),
                        &p.name,
                        &p.id,
                        &tags_json(&p.tags),
                        &map_json(&p.policies),
                        &p.trust_policy,
                        &i64::from(p.max_session_seconds),
                        &p.created.0,
                    ],
                )
                .await?;
                Ok(())
            })
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
        self.transaction(vec![Change::Identities], move |c| {
            Box::pin(async move {
                let deleted = c
                    .execute(
                        "DELETE FROM principals WHERE account = $1 AND kind = $2 AND name = $3",
                        &[&account.as_str(), &kind.as_str(), &name],
                    )
                    .await?;
                if deleted == 0 {
                    return Err(StoreError::NotFound.into());
                }
                let sql = match kind {
                    PrincipalType::User => {
                        "DELETE FROM access_keys WHERE account = $1 AND user_name = $2"
                    }
                    PrincipalType::Role => {
                        "DELETE FROM sessions WHERE account = $1 AND role_name = $2"
                    }
                };
                c.execute(sql, &[&account.as_str(), &name]).await?;
                Ok(())
            })
        })
        .await
    }

    async fn principals(&self) -> StoreResult<Vec<PrincipalRecord>> {
        self.with(|c| {
            Box::pin(async move {
                let found = c
                    .query(
                        "SELECT account, kind, name, id, tags, policies, trust_policy, max_session_seconds, created
                         FROM principals ORDER BY account, kind, name",
                        &[],
                    )
                    .await?;
                rows(&found, |r| {
                    let account: String = get(r, 0)?;
                    let kind: String = get(r, 1)?;
                    Ok(PrincipalRecord {
                        account: parse(AccountId::parse(&account), "principals.account")?,
                        kind: parse(PrincipalType::parse(&kind), "principals.kind")?,
                        name: get(r, 2)?,
                        id: get(r, 3)?,
                        tags: json_tags(&get::<String>(r, 4)?)?,
                        policies: json_map(&get::<String>(r, 5)?)?,
                        trust_policy: get(r, 6)?,
                        max_session_seconds: u32::try_from(get::<i64>(r, 7)?)
                            .map_err(|_| corrupt("principals.max_session_seconds"))?,
                        created: UnixMillis(get(r, 8)?),
                    })
                })
            })
        })
        .await
    }

    async fn put_session(&self, session: &SessionRecord) -> StoreResult<()> {
        let s = session.clone();
        self.transaction(vec![Change::Identities], move |c| {
            Box::pin(async move {
                c.execute(
                    "INSERT INTO sessions (access_key_id, sealed_secret, sealed_token, account, role_name, session_name, tags, expires, role_id, transitive_tag_keys)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    &[
                        &s.access_key_id,
                        &s.sealed_secret,
                        &s.sealed_token,
                        &s.account.as_str(),
                        &s.role_name,
                        &s.session_name,
                        &tags_json(&s.tags),
                        &s.expires.0,
                        &s.role_id,
                        &list_json(&s.transitive_tag_keys),
                    ],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn sessions(&self, now: UnixMillis) -> StoreResult<Vec<SessionRecord>> {
        self.with(move |c| {
            Box::pin(async move {
                let found = c
                    .query(
                        "SELECT access_key_id, sealed_secret, sealed_token, account, role_name, session_name, tags, expires, role_id, transitive_tag_keys
                         FROM sessions WHERE expires > $1 ORDER BY access_key_id",
                        &[&now.0],
                    )
                    .await?;
                rows(&found, |r| {
                    let account: String = get(r, 3)?;
                    Ok(SessionRecord {
                        access_key_id: get(r, 0)?,
                        sealed_secret: get(r, 1)?,
                        sealed_token: get(r, 2)?,
                        account: parse(AccountId::parse(&account), "sessions.account")?,
                        role_name: get(r, 4)?,
                        session_name: get(r, 5)?,
                        tags: json_tags(&get::<String>(r, 6)?)?,
                        expires: UnixMillis(get(r, 7)?),
                        role_id: get(r, 8)?,
                        transitive_tag_keys: parse(
                            json_list(&get::<String>(r, 9)?),
                            "sessions.transitive_tag_keys",
                        )?,
                    })
                })
            })
        })
        .await
    }

    async fn delete_expired_sessions(&self, now: UnixMillis) -> StoreResult<u64> {
        self.with(move |c| {
            Box::pin(async move {
                Ok(
                    c.execute("DELETE FROM sessions WHERE expires <= $1", &[&now.0])
                        .await?,
                )
            })
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
        self.transaction(changes, move |c| {
            Box::pin(async move {
                insert_key(c, &key).await?;
                for material in &materials {
                    insert_material(c, &key.scope, &key.id, material).await?;
                }
                let (a, r, id) = (
                    key.scope.account.as_str(),
                    key.scope.region.as_str(),
                    key.id.as_str(),
                );
                for tag in &tags {
                    c.execute(
                        "INSERT INTO tags (account, region, key_id, tag_key, tag_value) VALUES ($1, $2, $3, $4, $5)
                         ON CONFLICT (account, region, key_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
                        &[&a, &r, &id, &tag.key, &tag.value],
                    )
                    .await?;
                }
                for alias in &aliases {
                    c.execute(
                        "INSERT INTO aliases (account, region, name, target, created, updated) VALUES ($1, $2, $3, $4, $5, $6)",
                        &[&a, &r, &alias.name.as_str(), &id, &alias.created.0, &alias.updated.0],
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn key(&self, scope: &Scope, id: &KeyId) -> StoreResult<Option<KeyRecord>> {
        let (scope, id) = (scope.clone(), id.clone());
        self.with(move |c| {
            Box::pin(async move {
                let row = c
                    .query_opt(
                        &format!(
                            "SELECT {KEY_COLUMNS} FROM keys WHERE account = $1 AND region = $2 AND id = $3"
                        ),
                        &[&scope.account.as_str(), &scope.region.as_str(), &id.as_str()],
                    )
                    .await?;
                row.as_ref().map(key_from_row).transpose()
            })
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
            Box::pin(async move {
                let found = c
                    .query(
                        "SELECT account, region, id FROM keys WHERE valid_to IS NOT NULL AND valid_to <= $1 ORDER BY valid_to",
                        &[&now.0],
                    )
                    .await?;
                rows(&found, scope_and_id)
            })
        })
        .await
    }

    async fn put_import_token(&self, token: &ImportToken) -> StoreResult<()> {
        let t = token.clone();
        self.transaction(Vec::new(), move |c| {
            Box::pin(async move {
                // Expired tokens go as new ones come.
                c.execute(
                    "DELETE FROM import_tokens WHERE expires <= $1",
                    &[&(t.expires.0 - 2 * UnixMillis::DAY)],
                )
                .await?;
                c.execute(
                    "INSERT INTO import_tokens (token, account, region, key_id, sealed_private, wrapping_algorithm, wrapping_spec, expires)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    &[
                        &t.token,
                        &t.scope.account.as_str(),
                        &t.scope.region.as_str(),
                        &t.key.as_str(),
                        &t.sealed_private,
                        &t.algorithm.as_str(),
                        &t.spec.as_str(),
                        &t.expires.0,
                    ],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn record_key_usage(&self, usage: &[(Scope, KeyId, LastUsage)]) -> StoreResult<()> {
        let usage = usage.to_vec();
        self.transaction(Vec::new(), move |c| {
            Box::pin(async move {
                for (scope, id, u) in &usage {
                    c.execute(
                        "INSERT INTO key_usage (account, region, key_id, operation, at, request_id)
                         SELECT $1, $2, $3, $4, $5, $6
                         WHERE EXISTS (SELECT 1 FROM keys WHERE account = $1 AND region = $2 AND id = $3)
                         ON CONFLICT (account, region, key_id) DO UPDATE SET operation = excluded.operation,
                         at = excluded.at, request_id = excluded.request_id WHERE excluded.at >= key_usage.at",
                        &[
                            &scope.account.as_str(),
                            &scope.region.as_str(),
                            &id.as_str(),
                            &u.operation,
                            &u.at.0,
                            &u.request_id,
                        ],
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn key_usage(&self, scope: &Scope, id: &KeyId) -> StoreResult<Option<LastUsage>> {
        let (scope, id) = (scope.clone(), id.clone());
        self.with(move |c| {
            Box::pin(async move {
                let row = c
                    .query_opt(
                        "SELECT operation, at, request_id FROM key_usage WHERE account = $1 AND region = $2 AND key_id = $3",
                        &[&scope.account.as_str(), &scope.region.as_str(), &id.as_str()],
                    )
                    .await?;
                row.map(|r| {
                    Ok(LastUsage {
                        operation: get(&r, 0)?,
                        at: UnixMillis(get(&r, 1)?),
                        request_id: get(&r, 2)?,
                    })
                })
                .transpose()
            })
        })
        .await
    }

    async fn import_token(&self, token: &str) -> StoreResult<Option<ImportToken>> {
        let token = token.to_owned();
        self.with(move |c| {
            Box::pin(async move {
                let row = c
                    .query_opt(
                        "SELECT token, account, region, key_id, sealed_private, wrapping_algorithm, wrapping_spec, expires
                         FROM import_tokens WHERE token = $1",
                        &[&token],
                    )
                    .await?;
                row.map(|r| {
                    let (a, rg, k): (String, String, String) =
                        (get(&r, 1)?, get(&r, 2)?, get(&r, 3)?);
                    let (alg, spec): (String, String) = (get(&r, 5)?, get(&r, 6)?);
                    Ok(ImportToken {
                        token: get(&r, 0)?,
                        scope: Scope {
                            account: parse(AccountId::parse(&a), "import_tokens.account")?,
                            region: parse(Region::parse(&rg), "import_tokens.region")?,
                        },
                        key: parse(KeyId::parse(&k), "import_tokens.key_id")?,
                        sealed_private: get(&r, 4)?,
                        algorithm: parse(
                            WrappingAlgorithm::parse(&alg),
                            "import_tokens.wrapping_algorithm",
                        )?,
                        spec: parse(WrappingKeySpec::parse(&spec), "import_tokens.wrapping_spec")?,
                        expires: UnixMillis(get(&r, 7)?),
                    })
                })
                .transpose()
            })
        })
        .await
    }

    async fn keys_due_for_rotation(&self, now: UnixMillis) -> StoreResult<Vec<(Scope, KeyId)>> {
        self.with(move |c| {
            Box::pin(async move {
                let found = c
                    .query(
                        "SELECT account, region, id FROM keys WHERE next_rotation IS NOT NULL AND next_rotation <= $1 ORDER BY next_rotation",
                        &[&now.0],
                    )
                    .await?;
                rows(&found, scope_and_id)
            })
        })
        .await
    }

    async fn materials(&self, scope: &Scope, id: &KeyId) -> StoreResult<Vec<SealedMaterial>> {
        let (scope, id) = (scope.clone(), id.clone());
        self.with(move |c| {
            Box::pin(async move {
                let found = c
                    .query(
                        &format!(
                            "SELECT {MATERIAL_COLUMNS} FROM key_materials
                             WHERE account = $1 AND region = $2 AND key_id = $3 ORDER BY created, ord"
                        ),
                        &[&scope.account.as_str(), &scope.region.as_str(), &id.as_str()],
                    )
                    .await?;
                rows(&found, material_from_row)
            })
        })
        .await
    }

    async fn append_audit(
        &self,
        time: UnixMillis,
        events: Vec<AuditEntry>,
        chain: AuditChain,
    ) -> StoreResult<(i64, Vec<u8>)> {
        self.transaction(Vec::new(), move |c| {
            Box::pin(async move {
                // One chain for every node: appends take turns, each continuing from the tail.
                let lock = c.prepare_cached("SELECT pg_advisory_xact_lock($1)").await?;
                c.execute(&lock, &[&AUDIT_LOCK]).await?;
                let tail = c
                    .prepare_cached("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
                    .await?;
                let (mut seq, mut hash): (i64, Vec<u8>) = match c.query_opt(&tail, &[]).await? {
                    Some(row) => (get(&row, 0)?, get(&row, 1)?),
                    None => (0, vec![0; 32]),
                };
                if events.is_empty() {
                    return Ok((seq, hash));
                }
                let mut seqs = Vec::with_capacity(events.len());
                let mut hashes = Vec::with_capacity(events.len());
                let (mut key_ids, mut key_seqs) = (Vec::new(), Vec::new());
                for entry in &events {
                    seq += 1;
                    hash = chain(&hash, seq, &entry.event);
                    seqs.push(seq);
                    hashes.push(hash.clone());
                    for key in distinct_key_ids(entry) {
                        key_ids.push(key);
                        key_seqs.push(seq);
                    }
                }
                let times = vec![time.0; events.len()];
                let texts: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
                let accounts: Vec<Option<&str>> =
                    events.iter().map(|e| e.account.as_deref()).collect();
                let names: Vec<&str> = events.iter().map(|e| e.event_name.as_str()).collect();
                // One statement for the whole batch, one for its keys.
                let insert = c
                    .prepare_cached(
                        "INSERT INTO audit_events (seq, time, event, hash, account, event_name)
                         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bytea[], $5::text[], $6::text[])",
                    )
                    .await?;
                c.execute(&insert, &[&seqs, &times, &texts, &hashes, &accounts, &names])
                    .await?;
                if !key_ids.is_empty() {
                    let index = c
                        .prepare_cached(
                            "INSERT INTO audit_keys (key_id, seq)
                             SELECT * FROM unnest($1::text[], $2::bigint[])",
                        )
                        .await?;
                    c.execute(&index, &[&key_ids, &key_seqs]).await?;
                }
                Ok((seq, hash))
            })
        })
        .await
    }

    async fn audit_tail(&self) -> StoreResult<Option<AuditRecord>> {
        self.with(|c| {
            Box::pin(async move {
                let row = c
                    .query_opt(
                        "SELECT seq, time, event, hash FROM audit_events ORDER BY seq DESC LIMIT 1",
                        &[],
                    )
                    .await?;
                row.as_ref().map(audit_from_row).transpose()
            })
        })
        .await
    }

    async fn audit_records(&self, after_seq: i64, limit: usize) -> StoreResult<Vec<AuditRecord>> {
        self.with(move |c| {
            Box::pin(async move {
                let found = c
                    .query(
                        "SELECT seq, time, event, hash FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2",
                        &[&after_seq, &(sql_limit(limit) - 1)],
                    )
                    .await?;
                rows(&found, audit_from_row)
            })
        })
        .await
    }

    async fn audit_lookup(&self, query: &AuditQuery) -> StoreResult<Vec<AuditRecord>> {
        let (sql, params) = audit_lookup_sql(query, |n| format!("${n}"));
        self.with(move |c| {
            Box::pin(async move {
                let values: Vec<Box<dyn ToSql + Sync + Send>> = params
                    .into_iter()
                    .map(|p| -> Box<dyn ToSql + Sync + Send> {
                        match p {
                            SqlParam::Text(t) => Box::new(t),
                            SqlParam::Int(i) => Box::new(i),
                        }
                    })
                    .collect();
                let refs: Vec<&(dyn ToSql + Sync)> = values
                    .iter()
                    .map(|v| -> &(dyn ToSql + Sync) { v.as_ref() })
                    .collect();
                let found = c.query(&sql, &refs).await?;
                rows(&found, audit_from_row)
            })
        })
        .await
    }

    async fn put_audit_digest(&self, digest: &AuditDigest) -> StoreResult<()> {
        let d = digest.clone();
        self.with(move |c| {
            Box::pin(async move {
                c.execute(
                    "INSERT INTO audit_digests (last_seq, first_seq, last_hash, time, signature) VALUES ($1, $2, $3, $4, $5)",
                    &[&d.last_seq, &d.first_seq, &d.last_hash, &d.time.0, &d.signature],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn audit_digests(&self) -> StoreResult<Vec<AuditDigest>> {
        self.with(|c| {
            Box::pin(async move {
                let found = c
                    .query(
                        "SELECT first_seq, last_seq, last_hash, time, signature FROM audit_digests ORDER BY last_seq",
                        &[],
                    )
                    .await?;
                rows(&found, |r| {
                    Ok(AuditDigest {
                        first_seq: get(r, 0)?,
                        last_seq: get(r, 1)?,
                        last_hash: get(r, 2)?,
                        time: UnixMillis(get(r, 3)?),
                        signature: get(r, 4)?,
                    })
                })
            })
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
        self.transaction(notices, move |c| {
            Box::pin(async move {
                for change in changes {
                    let op = change.material.map_or(MaterialOp::Keep, MaterialOp::Add);
                    if let Err(refused) =
                        apply_change(c, &change.scope, &change.id, op, change.change).await?
                    {
                        // Any refusal rolls the whole set back.
                        return Err(StoreError::Refused(Box::new(refused)).into());
                    }
                }
                Ok(())
            })
        })
        .await
    }

    async fn key_set(&self, account: &AccountId, id: &KeyId) -> StoreResult<Vec<KeyRecord>> {
        let (account, id) = (account.clone(), id.clone());
        self.with(move |c| {
            Box::pin(async move {
                let found = c
                    .query(
                        &format!(
                            "SELECT {KEY_COLUMNS} FROM keys WHERE account = $1 AND id = $2 ORDER BY region"
                        ),
                        &[&account.as_str(), &id.as_str()],
                    )
                    .await?;
                rows(&found, key_from_row)
            })
        })
        .await
    }

    async fn keys_pending_replica_deletion(&self) -> StoreResult<Vec<(Scope, KeyId)>> {
        self.with(|c| {
            Box::pin(async move {
                let found = c
                    .query(
                        "SELECT account, region, id FROM keys WHERE state = 'PendingReplicaDeletion' ORDER BY id",
                        &[],
                    )
                    .await?;
                rows(&found, scope_and_id)
            })
        })
        .await
    }

    async fn count_keys(&self, scope: &Scope) -> StoreResult<usize> {
        let scope = scope.clone();
        let n: i64 = self
            .with(move |c| {
                Box::pin(async move {
                    let row = c
                        .query_one(
                            "SELECT COUNT(*) FROM keys WHERE account = $1 AND region = $2",
                            &[&scope.account.as_str(), &scope.region.as_str()],
                        )
                        .await?;
                    get(&row, 0)
                })
            })
            .await?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
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
                Box::pin(async move {
                    let found = c
                        .query(
                            &format!(
                                "SELECT {KEY_COLUMNS} FROM keys WHERE account = $1 AND region = $2 AND id > $3 ORDER BY id LIMIT $4"
                            ),
                            &[&scope.account.as_str(), &scope.region.as_str(), &after, &sql_limit(limit)],
                        )
                        .await?;
                    rows(&found, key_from_row)
                })
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
            Box::pin(async move {
                let row = c
                    .query_opt(
                        &format!(
                            "SELECT {MATERIAL_COLUMNS} FROM key_materials WHERE account = $1 AND region = $2 AND key_id = $3 AND material_id = $4 AND length(sealed) > 0"
                        ),
                        &[&scope.account.as_str(), &scope.region.as_str(), &id.as_str(), &material.0.as_slice()],
                    )
                    .await?;
                row.as_ref().map(material_from_row).transpose()
            })
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
        self.transaction(changes, move |c| {
            Box::pin(async move {
                let (a, r, k) = (scope.account.as_str(), scope.region.as_str(), id.as_str());
                // Re-checked inside the transaction, with the row locked: a CancelKeyDeletion
                // that won the race keeps the key.
                let due = c
                    .query_opt(
                        "SELECT 1 FROM keys WHERE account = $1 AND region = $2 AND id = $3
                         AND state = 'PendingDeletion' AND deletion_date <= $4 FOR UPDATE",
                        &[&a, &r, &k, &now.0],
                    )
                    .await?;
                if due.is_none() {
                    return Err(StoreError::NotFound.into());
                }
                for sql in [
                    "DELETE FROM key_materials WHERE account = $1 AND region = $2 AND key_id = $3",
                    "DELETE FROM tags WHERE account = $1 AND region = $2 AND key_id = $3",
                    "DELETE FROM grants WHERE account = $1 AND region = $2 AND key_id = $3",
                    "DELETE FROM aliases WHERE account = $1 AND region = $2 AND target = $3",
                    "DELETE FROM keys WHERE account = $1 AND region = $2 AND id = $3",
                ] {
                    c.execute(sql, &[&a, &r, &k]).await?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn keys_due_for_deletion(&self, now: UnixMillis) -> StoreResult<Vec<(Scope, KeyId)>> {
        self.with(move |c| {
            Box::pin(async move {
                let found = c
                    .query(
                        "SELECT account, region, id FROM keys WHERE state = 'PendingDeletion' AND deletion_date <= $1 ORDER BY deletion_date",
                        &[&now.0],
                    )
                    .await?;
                rows(&found, scope_and_id)
            })
        })
        .await
    }

    async fn create_alias(&self, alias: &AliasRecord) -> StoreResult<()> {
        let alias = alias.clone();
        let changes = vec![Change::Aliases {
            scope: alias.scope.clone(),
        }];
        self.transaction(changes, move |c| {
            Box::pin(async move {
                c.execute(
                    "INSERT INTO aliases (account, region, name, target, created, updated) VALUES ($1, $2, $3, $4, $5, $6)",
                    &[
                        &alias.scope.account.as_str(),
                        &alias.scope.region.as_str(),
                        &alias.name.as_str(),
                        &alias.target.as_str(),
                        &alias.created.0,
                        &alias.updated.0,
                    ],
                )
                .await?;
                Ok(())
            })
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
        self.transaction(changes, move |c| {
            Box::pin(async move {
                let changed = c
                    .execute(
                        "UPDATE aliases SET target = $4, updated = $5 WHERE account = $1 AND region = $2 AND name = $3",
                        &[&scope.account.as_str(), &scope.region.as_str(), &name.as_str(), &target.as_str(), &now.0],
                    )
                    .await?;
                if changed == 1 {
                    Ok(())
                } else {
                    Err(StoreError::NotFound.into())
                }
            })
        })
        .await
    }

    async fn delete_alias(&self, scope: &Scope, name: &AliasName) -> StoreResult<()> {
        let (scope, name) = (scope.clone(), name.clone());
        let changes = vec![Change::Aliases {
            scope: scope.clone(),
        }];
        self.transaction(changes, move |c| {
            Box::pin(async move {
                let deleted = c
                    .execute(
                        "DELETE FROM aliases WHERE account = $1 AND region = $2 AND name = $3",
                        &[
                            &scope.account.as_str(),
                            &scope.region.as_str(),
                            &name.as_str(),
                        ],
                    )
                    .await?;
                if deleted == 1 {
                    Ok(())
                } else {
                    Err(StoreError::NotFound.into())
                }
            })
        })
        .await
    }

    async fn alias(&self, scope: &Scope, name: &AliasName) -> StoreResult<Option<AliasRecord>> {
        let (scope, name) = (scope.clone(), name.clone());
        self.with(move |c| {
            Box::pin(async move {
                let row = c
                    .query_opt(
                        "SELECT account, region, name, target, created, updated FROM aliases WHERE account = $1 AND region = $2 AND name = $3",
                        &[&scope.account.as_str(), &scope.region.as_str(), &name.as_str()],
                    )
                    .await?;
                row.as_ref().map(alias_from_row).transpose()
            })
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
                Box::pin(async move {
                    let found = c
                        .query(
                            "SELECT account, region, name, target, created, updated FROM aliases
                             WHERE account = $1 AND region = $2 AND ($3::text IS NULL OR target = $3) AND name > $4
                             ORDER BY name LIMIT $5",
                            &[&scope.account.as_str(), &scope.region.as_str(), &key, &after, &sql_limit(limit)],
                        )
                        .await?;
                    rows(&found, alias_from_row)
                })
            })
            .await?;
        Ok(page(items, limit))
    }

    async fn tags(&self, scope: &Scope, id: &KeyId) -> StoreResult<Vec<Tag>> {
        let (scope, id) = (scope.clone(), id.clone());
        self.with(move |c| {
            Box::pin(async move {
                let found = c
                    .query(
                        "SELECT tag_key, tag_value FROM tags WHERE account = $1 AND region = $2 AND key_id = $3 ORDER BY tag_key",
                        &[&scope.account.as_str(), &scope.region.as_str(), &id.as_str()],
                    )
                    .await?;
                rows(&found, |r| {
                    Ok(Tag {
                        key: get(r, 0)?,
                        value: get(r, 1)?,
                    })
                })
            })
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
        self.transaction(changes, move |c| {
            Box::pin(async move {
                let (a, r, k) = (scope.account.as_str(), scope.region.as_str(), id.as_str());
                // The key's row lock serializes tagging, so the count below is the truth.
                c.execute(
                    "SELECT 1 FROM keys WHERE account = $1 AND region = $2 AND id = $3 FOR UPDATE",
                    &[&a, &r, &k],
                )
                .await?;
                for tag in &tags {
                    c.execute(
                        "INSERT INTO tags (account, region, key_id, tag_key, tag_value) VALUES ($1, $2, $3, $4, $5)
                         ON CONFLICT (account, region, key_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
                        &[&a, &r, &k, &tag.key, &tag.value],
                    )
                    .await?;
                }
                let row = c
                    .query_one(
                        "SELECT COUNT(*) FROM tags WHERE account = $1 AND region = $2 AND key_id = $3",
                        &[&a, &r, &k],
                    )
                    .await?;
                let count: i64 = get(&row, 0)?;
                if usize::try_from(count).unwrap_or(usize::MAX) > max {
                    return Err(StoreError::Limit("tags per key").into());
                }
                Ok(())
            })
        })
        .await
    }

    async fn untag_key(&self, scope: &Scope, id: &KeyId, keys: &[String]) -> StoreResult<()> {
        let (scope, id, keys) = (scope.clone(), id.clone(), keys.to_vec());
        let changes = vec![Change::Key {
            scope: scope.clone(),
            id: id.clone(),
        }];
        self.transaction(changes, move |c| {
            Box::pin(async move {
                c.execute(
                    "DELETE FROM tags WHERE account = $1 AND region = $2 AND key_id = $3 AND tag_key = ANY($4)",
                    &[&scope.account.as_str(), &scope.region.as_str(), &id.as_str(), &keys],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn create_grant(&self, grant: &GrantRecord, max: usize) -> StoreResult<String> {
        let g = grant.clone();
        let changes = vec![Change::Key {
            scope: g.scope.clone(),
            id: g.key.clone(),
        }];
        self.transaction(changes, move |c| {
            Box::pin(async move {
                let (a, r, k) = (g.scope.account.as_str(), g.scope.region.as_str(), g.key.as_str());
                // The key's row lock serializes grant creation on the key (the count, and
                // name idempotency, across nodes).
                let exists = c
                    .query_opt(
                        "SELECT 1 FROM keys WHERE account = $1 AND region = $2 AND id = $3 FOR UPDATE",
                        &[&a, &r, &k],
                    )
                    .await?;
                if exists.is_none() {
                    return Err(StoreError::NotFound.into());
                }
                if g.name.is_some() {
                    let found = c
                        .query(
                            &format!(
                                "SELECT {GRANT_COLUMNS} FROM grants WHERE account = $1 AND region = $2 AND key_id = $3 AND name = $4 ORDER BY created, id"
                            ),
                            &[&a, &r, &k, &g.name],
                        )
                        .await?;
                    let same = rows(&found, grant_from_row)?;
                    if let Some(existing) = same.iter().find(|e| e.same_terms(&g)) {
                        return Ok(existing.id.clone());
                    }
                }
                let row = c
                    .query_one(
                        "SELECT COUNT(*) FROM grants WHERE account = $1 AND region = $2 AND key_id = $3",
                        &[&a, &r, &k],
                    )
                    .await?;
                let count: i64 = get(&row, 0)?;
                if usize::try_from(count).unwrap_or(usize::MAX) >= max {
                    return Err(StoreError::Limit("grants per key").into());
                }
                c.execute(
                    "INSERT INTO grants (account, region, key_id, id, name, grantee, retiring, issuing_account, operations, context_equals, context_subset, created, grantee_id, retiring_id)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                    &[
                        &a,
                        &r,
                        &k,
                        &g.id,
                        &g.name,
                        &g.grantee,
                        &g.retiring,
                        &g.issuing_account,
                        &g.operations.join(","),
                        &g.context_equals.as_ref().map(map_json),
                        &g.context_subset.as_ref().map(map_json),
                        &g.created.0,
                        &g.grantee_id,
                        &g.retiring_id,
                    ],
                )
                .await?;
                Ok(g.id.clone())
            })
        })
        .await
    }

    async fn grants(&self, scope: &Scope, key: &KeyId) -> StoreResult<Vec<GrantRecord>> {
        let (scope, key) = (scope.clone(), key.clone());
        self.with(move |c| {
            Box::pin(async move {
                let found = c
                    .query(
                        &format!(
                            "SELECT {GRANT_COLUMNS} FROM grants WHERE account = $1 AND region = $2 AND key_id = $3 ORDER BY created, id"
                        ),
                        &[&scope.account.as_str(), &scope.region.as_str(), &key.as_str()],
                    )
                    .await?;
                rows(&found, grant_from_row)
            })
        })
        .await
    }

    async fn grant(&self, id: &str) -> StoreResult<Option<GrantRecord>> {
        let id = id.to_owned();
        self.with(move |c| {
            Box::pin(async move {
                let row = c
                    .query_opt(
                        &format!("SELECT {GRANT_COLUMNS} FROM grants WHERE id = $1"),
                        &[&id],
                    )
                    .await?;
                row.as_ref().map(grant_from_row).transpose()
            })
        })
        .await
    }

    async fn grants_retirable_by(&self, principal: &str) -> StoreResult<Vec<GrantRecord>> {
        let principal = principal.to_owned();
        self.with(move |c| {
            Box::pin(async move {
                let found = c
                    .query(
                        &format!(
                            "SELECT {GRANT_COLUMNS} FROM grants WHERE retiring = $1 ORDER BY id"
                        ),
                        &[&principal],
                    )
                    .await?;
                rows(&found, grant_from_row)
            })
        })
        .await
    }

    async fn delete_grant(&self, scope: &Scope, key: &KeyId, id: &str) -> StoreResult<()> {
        let (scope, key, id) = (scope.clone(), key.clone(), id.to_owned());
        let changes = vec![Change::Key {
            scope: scope.clone(),
            id: key.clone(),
        }];
        self.transaction(changes, move |c| {
            Box::pin(async move {
                let n = c
                    .execute(
                        "DELETE FROM grants WHERE account = $1 AND region = $2 AND key_id = $3 AND id = $4",
                        &[&scope.account.as_str(), &scope.region.as_str(), &key.as_str(), &id],
                    )
                    .await?;
                if n == 0 {
                    Err(StoreError::NotFound.into())
                } else {
                    Ok(())
                }
            })
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
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.with(move |c| {
            Box::pin(async move {
                let n = c
                    .execute(
                        "INSERT INTO leases (name, holder, expires) VALUES ($1, $2, $3)
                         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires
                         WHERE leases.holder = excluded.holder OR leases.expires <= $4",
                        &[&name, &holder, &now.0.saturating_add(ttl_ms), &now.0],
                    )
                    .await?;
                Ok(n == 1)
            })
        })
        .await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.with(move |c| {
            Box::pin(async move {
                c.execute(
                    "DELETE FROM leases WHERE name = $1 AND holder = $2",
                    &[&name, &holder],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }
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
