//! Starting and stopping a Trent server: open the data directory, wire the layers, listen.

use crate::failure::Failure;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::any;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use trent_core::Kms;
use trent_core::clock::{Clock, SystemClock};
use trent_crypto::{FileRootKey, SoftBackend};
use trent_store::{PostgresOptions, PostgresStore, SqliteStore};

use crate::run::bootstrap::{self, DefaultIdentity};
use crate::run::config::Config;
use crate::run::seed::{self, SeedReport};
use crate::run::state::AppState;

/// The address `trent serve` listens on by default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4599";
/// The largest request body: generous for a 32 KB key policy or a 6 KB ciphertext in base64.
pub const MAX_BODY: usize = 256 * 1024;

/// Where the store lives.
#[derive(Clone, Debug, Default)]
pub enum StoreLocation {
    /// `trent.db` in the data directory (one node).
    #[default]
    Sqlite,
    /// A PostgreSQL database that any number of nodes share.
    Postgres {
        url: String,
        options: PostgresOptions,
    },
}

impl StoreLocation {
    /// Reads `--store`: `sqlite` (the default) or a `postgres://` / `postgresql://` URL.
    pub fn parse(text: &str) -> Result<StoreLocation, Failure> {
        if text == "sqlite" {
            Ok(StoreLocation::Sqlite)
        } else if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Ok(StoreLocation::Postgres {
                url: text.to_owned(),
                options: PostgresOptions::default(),
            })
        } else {
            Err(Failure::Config(
                "--store takes `sqlite` or a postgres:// URL".to_owned(),
            ))
        }
    }
}

/// A name for this process among the nodes of a cluster: host, process id and start time.
pub fn node_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "trent".to_owned());
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or_default();
    format!("{host}-{}-{started:x}", std::process::id())
}

/// How to run a server.
#[derive(Debug)]
pub struct ServerOptions {
    /// Where the store lives (the root key is always in the data directory).
    pub store: StoreLocation,
    /// This node's name in leases (unique per process).
    pub node: String,
    /// Listen with `SO_REUSEPORT`, so that several nodes on one host share a port (the kernel
    /// spreads connections over them).
    pub reuse_port: bool,
    /// At most this many keys in memory (`--key-cache-size`).
    pub key_cache_size: usize,
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub config: Option<PathBuf>,
    pub seed: Option<PathBuf>,
    pub dev: bool,
    /// How often background maintenance runs.
    pub maintenance_interval: Duration,
    /// The KMS's clock (tests move it); SigV4 always uses the system clock.
    pub clock: Arc<dyn Clock>,
    /// Request-rate quotas when the config file sets none (AWS's rates, switched off).
    pub rate_limits: trent_core::quota::RateLimits,
    /// `--aws-quotas`: switch request-rate quotas on whatever the config says.
    pub aws_quotas: bool,
    /// `--require-signed-target`: refuse requests whose `X-Amz-Target` is unsigned (also
    /// `[sigv4] require_signed_target` in the config).
    pub require_signed_target: bool,
    /// Serve TLS instead of plain HTTP.
    pub tls: Option<crate::http::tls::TlsSource>,
    /// The passphrase protecting the root key (`root.key.enc`); `None`: the plain `root.key`.
    pub passphrase: Option<trent_core::secret::Secret>,
    /// The root key in a PKCS#11 token instead of a file (ADR 0017).
    pub pkcs11: Option<trent_crypto::Pkcs11Options>,
    /// Whether a SQLite commit waits for the disk; `Off` for `--ephemeral`, whose data
    /// directory does not outlive the process.
    pub durability: trent_store::Durability,
    /// Timeouts and caps on client connections; `[listener]` in the config overrides them.
    pub limits: crate::http::front_door::Limits,
    /// Serve `/metrics` here instead of on the API listener (`--metrics-listen`).
    pub metrics_listen: Option<SocketAddr>,
    /// Serve the XKS proxy API here (`--xks-listen`), over TLS, as `[xks_proxy]` says.
    pub xks_listen: Option<SocketAddr>,
}

impl ServerOptions {
    pub fn new(listen: SocketAddr, data_dir: PathBuf) -> ServerOptions {
        ServerOptions {
            store: StoreLocation::Sqlite,
            node: node_name(),
            reuse_port: false,
            key_cache_size: trent_core::cache::DEFAULT_CAPACITY,
            listen,
            data_dir,
            config: None,
            seed: None,
            dev: false,
            maintenance_interval: Duration::from_secs(10),
            clock: Arc::new(SystemClock),
            rate_limits: trent_core::quota::RateLimits::default(),
            aws_quotas: false,
            require_signed_target: false,
            tls: None,
            passphrase: None,
            pkcs11: None,
            durability: trent_store::Durability::Full,
            limits: crate::http::front_door::Limits::default(),
            metrics_listen: None,
            xks_listen: None,
        }
    }
}

/// A started server.
#[derive(Debug)]
pub struct RunningServer {
    pub local_addr: SocketAddr,
    /// Where `/metrics` is served when `--metrics-listen` gave it a listener of its own.
    pub metrics_addr: Option<SocketAddr>,
    /// Where the XKS proxy API is served (`--xks-listen`).
    pub xks_addr: Option<SocketAddr>,
    xks_shutdown: Option<oneshot::Sender<()>>,
    xks_serve: Option<JoinHandle<std::io::Result<()>>>,
    /// The XKS proxy, for reloads, with the config file it reads.
    xks_proxy: Option<(Arc<crate::xks::XksProxy>, PathBuf)>,
    metrics_shutdown: Option<oneshot::Sender<()>>,
    metrics_serve: Option<JoinHandle<std::io::Result<()>>>,
    pub kms: Arc<Kms>,
    /// The audit trail's writer.
    pub audit: crate::audit::AuditLog,
    pub default_identity: Option<DefaultIdentity>,
    pub seed_report: Option<SeedReport>,
    pub root_key_created: bool,
    /// The root key is in a PKCS#11 token (not a file of the data directory).
    pub root_key_in_token: bool,
    shutdown: Option<oneshot::Sender<()>>,
    serve: Option<JoinHandle<std::io::Result<()>>>,
    maintenance: JoinHandle<()>,
    /// Reloads identities that other nodes changed.
    identities: JoinHandle<()>,
    /// This node's name in leases.
    node: String,
    maintenance_interval: Duration,
    /// Held while the server runs: no second server opens the same data directory.
    _lock: std::fs::File,
    /// Serving TLS.
    secure: bool,
}

impl RunningServer {
    /// The endpoint URL clients use.
    pub fn endpoint(&self) -> String {
        if self.secure {
            // The self-signed certificate names localhost.
            format!("https://localhost:{}", self.local_addr.port())
        } else {
            format!("http://{}", self.local_addr)
        }
    }

    /// Runs one round of background maintenance now (what the scheduler does on its timer);
    /// the number of keys deleted (0 when another node holds the maintenance lease).
    pub async fn run_maintenance(&self) -> Result<usize, trent_core::Error> {
        Ok(self.maintenance_round().await?.unwrap_or(0))
    }

    /// One maintenance round as the timer runs it: `None` when another node holds the lease.
    pub async fn maintenance_round(&self) -> Result<Option<usize>, trent_core::Error> {
        crate::run::scheduler::tick(
            &self.kms,
            Some(&self.audit),
            &self.node,
            self.maintenance_interval,
        )
        .await
    }

    /// This node's name in the store's leases.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// Stops accepting, finishes in-flight requests, and returns when the server is down.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        self.trigger_shutdown();
        self.finish().await
    }

    /// Waits until the server stops (for the binary: it runs until a signal).
    pub async fn wait(mut self) -> std::io::Result<()> {
        self.finish().await
    }

    /// Waits for in-flight requests, stops maintenance (waiting for a round in progress) and
    /// gives its lease up so that another node takes it at once, then writes the key usage
    /// noted since the last round.
    async fn finish(&mut self) -> std::io::Result<()> {
        let served = match self.serve.take() {
            Some(handle) => handle.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        };
        // The metrics and XKS proxy listeners stop with the main one.
        if let Some(tx) = self.metrics_shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.metrics_serve.take() {
            let _ = handle.await;
        }
        if let Some(tx) = self.xks_shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.xks_serve.take() {
            let _ = handle.await;
        }
        self.identities.abort();
        self.maintenance.abort();
        let _ = (&mut self.maintenance).await;
        if let Err(e) = self
            .kms
            .release_lease(crate::run::scheduler::LEASE, &self.node)
            .await
        {
            tracing::warn!(error = %e, "could not give the maintenance lease up");
        }
        if let Err(e) = self.kms.flush_key_usage().await {
            tracing::warn!(error = %e, "could not record key usage at shutdown");
        }
        served
    }

    /// Reads the config file's `[xks_proxy]` again and serves its key stores, credentials and
    /// keys from the next request on (SIGHUP in `trent serve`). A config that does not check
    /// leaves the running one.
    pub fn reload_xks_proxy(&self) -> Result<(), Failure> {
        let Some((proxy, file)) = &self.xks_proxy else {
            return Err(Failure::Config(
                "this server serves no XKS proxy (--xks-listen)".to_owned(),
            ));
        };
        let config = crate::run::config::Config::load(file)?;
        let Some(raw) = config.xks_proxy.clone() else {
            return Err(Failure::Config(format!(
                "{} has no [xks_proxy] section any more",
                file.display()
            )));
        };
        let settings = raw.check(&crate::run::bootstrap::default_scope(Some(&config))?)?;
        proxy.reload(settings)
    }

    /// Asks the server to stop gracefully.
    pub fn trigger_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(tx) = self.metrics_shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(tx) = self.xks_shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.maintenance.abort();
        self.identities.abort();
        self.trigger_shutdown();
    }
}

/// The HTTP application: the AWS endpoint at `POST /`; anything else is an unknown operation.
pub fn app(state: Arc<AppState>) -> Router {
    app_with(state, true)
}

/// The application, with `/metrics` or (when it has a listener of its own) without.
fn app_with(state: Arc<AppState>, with_metrics: bool) -> Router {
    let router = Router::new()
        .route("/", any(crate::http::dispatch::handle))
        .route("/audit/public-key", axum::routing::get(audit_public_key))
        .route("/health", axum::routing::get(health))
        .route("/ready", axum::routing::get(ready));
    let router = if with_metrics {
        router.route("/metrics", axum::routing::get(metrics))
    } else {
        router
    };
    router
        .merge(crate::console::routes())
        .fallback(crate::http::dispatch::fallback)
        .with_state(state)
}

/// `--metrics-listen`'s application: `/metrics` and `/health` only.
fn metrics_app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/metrics", axum::routing::get(metrics))
        .route("/health", axum::routing::get(health))
        .fallback(crate::http::dispatch::fallback)
        .with_state(state)
}

/// Takes the data directory's lock (`trent.lock`, an OS file lock released when the process
/// ends, however it ends), so that two servers never open one store.
pub fn lock_data_dir(dir: &std::path::Path) -> Result<std::fs::File, Failure> {
    let path = dir.join("trent.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Failure::DataDir(format!("cannot open {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Failure::DataDir(format!(
            "another Trent is using the data directory {}: two servers must never open one store",
            dir.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(Failure::DataDir(format!(
            "cannot lock {}: {e}",
            path.display()
        ))),
    }
}

/// `GET /metrics`: Prometheus text exposition.
async fn metrics(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(&state.kms, state.audit.queue_depth()),
    )
}

/// `GET /health`: the process answers.
async fn health() -> &'static str {
    "ok\n"
}

/// `GET /ready`: the store answers and the audit writer accepts events; 503 otherwise.
async fn ready(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
) -> (axum::http::StatusCode, &'static str) {
    let store_ok = state.kms.store_answers().await && state.kms.root_key_answers();
    if store_ok && state.audit.is_running() {
        (axum::http::StatusCode::OK, "ready\n")
    } else {
        (axum::http::StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
    }
}

/// `GET /audit/public-key`: the key that verifies the audit trail's digests, as PEM.
async fn audit_public_key(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
) -> (axum::http::StatusCode, String) {
    match crate::audit::public_key_pem(state.kms.audit_store().as_ref()).await {
        Some(pem) => (axum::http::StatusCode::OK, pem),
        None => (axum::http::StatusCode::NOT_FOUND, String::new()),
    }
}

/// Opens the data directory, applies config and seed, and starts listening.
pub async fn start(options: ServerOptions) -> Result<RunningServer, Failure> {
    let existed = options.data_dir.exists();
    std::fs::create_dir_all(&options.data_dir).map_err(|e| {
        Failure::DataDir({
            format!(
                "cannot create data directory {}: {e}",
                options.data_dir.display()
            )
        })
    })?;
    #[cfg(unix)]
    if !existed {
        // The store holds sealed material and the root key sits beside it: owner only.
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&options.data_dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| {
                Failure::DataDir(format!(
                    "cannot restrict {}: {e}",
                    options.data_dir.display()
                ))
            })?;
    }
    let config = options.config.as_deref().map(Config::load).transpose()?;
    let lock = lock_data_dir(&options.data_dir)?;
    // Compile the embedded service model now rather than on the first request.
    let operations = trent_api::model::operation_names().len();
    tracing::debug!(operations, "compiled the AWS KMS service model");
    let (plain_key, sealed_key) = (
        options.data_dir.join("root.key"),
        options.data_dir.join("root.key.enc"),
    );
    let from_config = match (
        &options.pkcs11,
        config.as_ref().and_then(|c| c.root_key.as_ref()),
    ) {
        (None, Some(root_key)) => Some(pkcs11_options(root_key)?),
        _ => None,
    };
    let (root, root_key_created): (Arc<dyn trent_core::backend::RootKeyProvider>, bool) = match (
        options.pkcs11.as_ref().or(from_config.as_ref()),
        &options.passphrase,
    ) {
        (Some(_), Some(_)) => {
            return Err(Failure::Config(
                "the root key is either in a PKCS#11 token or protected by a passphrase, not both"
                    .to_owned(),
            ));
        }
        (Some(_), None) if plain_key.exists() || sealed_key.exists() => {
            // Refused before the token is touched: no key object is made for a store sealed
            // under another key.
            return Err(Failure::RootKey(format!(
                "the root key of {} is a file ({}): its store cannot move into a PKCS#11 token yet; start it without --root-key-pkcs11",
                options.data_dir.display(),
                if sealed_key.exists() {
                    "root.key.enc"
                } else {
                    "root.key"
                }
            )));
        }
        (Some(pkcs11), None) => {
            let (root, created) = trent_crypto::Pkcs11RootKey::open_or_create(pkcs11)
                .map_err(|e| Failure::RootKey(e.to_string()))?;
            (Arc::new(root), created)
        }
        (None, Some(passphrase)) => {
            let (root, created) =
                FileRootKey::open_or_create_with_passphrase(&sealed_key, &plain_key, passphrase)
                    .map_err(|e| Failure::RootKey(e.to_string()))?;
            (Arc::new(root), created)
        }
        (None, None) => {
            let (root, created) = FileRootKey::open_or_create_plain(&plain_key, Some(&sealed_key))
                .map_err(|e| Failure::RootKey(e.to_string()))?;
            (Arc::new(root), created)
        }
    };
    let store = open_store(&options).await?;
    if root_key_created && matches!(options.store, StoreLocation::Postgres { .. }) {
        // A new node must not seal with a key of its own what the others cannot open.
        let sealed_before = trent_core::vault::store_is_sealed(store.as_ref())
            .await
            .map_err(|e| Failure::Store(e.to_string()))?;
        if sealed_before {
            let _ = std::fs::remove_file(&plain_key);
            let _ = std::fs::remove_file(&sealed_key);
            return Err(Failure::RootKey(format!(
                "the database is sealed under another node's root key: copy that node's root.key (or root.key.enc) into {} before starting this one",
                options.data_dir.display()
            )));
        }
    }
    let root_key_in_token = options.pkcs11.is_some() || from_config.is_some();
    let shared = matches!(options.store, StoreLocation::Postgres { .. });
    let kms = Kms::new(store, Arc::new(SoftBackend), root, options.clock.clone())
        .key_cache_capacity(options.key_cache_size);
    let kms = if shared { kms.shared() } else { kms };
    let mut limits = config
        .as_ref()
        .and_then(|c| c.quotas.clone())
        .unwrap_or_else(|| options.rate_limits.clone());
    if options.aws_quotas {
        limits.enabled = true;
    }
    let kms = kms.with_rate_limits(limits);
    let xks_client = crate::xks::client::XksClient::new(
        &config
            .as_ref()
            .and_then(|c| c.external_key_store.clone())
            .unwrap_or_default(),
    )?;
    let kms = kms.with_xks_proxies(Arc::new(xks_client));
    let clusters: Vec<trent_crypto::ClusterOptions> = config
        .as_ref()
        .map(|c| c.clusters.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|c| trent_crypto::ClusterOptions {
            id: c.id.clone(),
            module: c.pkcs11_module.clone(),
            token: c.token.clone(),
            trust_anchor: c.trust_anchor.clone(),
            lineage: c.lineage.clone(),
        })
        .collect();
    let kms = if clusters.is_empty() {
        kms
    } else {
        kms.with_clusters(Arc::new(trent_crypto::Pkcs11Clusters::new(clusters)))
    };
    // --dev: any signature, and every key of the caller's account usable whatever its policy.
    let kms = Arc::new(if options.dev { kms.permissive() } else { kms });
    kms.check_root_key()
        .await
        .map_err(|e| Failure::RootKey(e.to_string()))?;
    // A root-key rotation that a crash interrupted is finished before anything else.
    // If it cannot be finished (a value that does not unseal), the ring keeps both keys, so
    // everything still opens, and Trent serves: the error is logged, the next start retries.
    match kms.finish_root_key_rotation().await {
        Ok(Some(done)) => tracing::warn!(
            resealed = done.resealed,
            retired = done.retired,
            "finished an interrupted root-key rotation"
        ),
        Ok(None) => {}
        Err(e) => tracing::error!(
            error = %e,
            "could not finish an interrupted root-key rotation; the root key file keeps both keys"
        ),
    }
    let loaded = bootstrap::load(&kms, config.as_ref()).await?;
    // Connections an earlier run left half made (CONNECTING) are finished now.
    if let Err(e) = kms.resume_connecting().await {
        tracing::warn!(error = %e, "could not finish connecting custom key stores");
    }

    let seed_report = match &options.seed {
        Some(path) => {
            let accounts: Vec<_> = kms
                .stored_accounts()
                .await
                .map_err(|e| Failure::Store(e.to_string()))?
                .into_iter()
                .map(|a| (a.id, a.regions))
                .collect();
            Some(seed::apply(&kms, path, &accounts).await?)
        }
        None => None,
    };
    // Catch up on deletions that fell due while the server was down (if no other node
    // holds the maintenance lease).
    crate::run::scheduler::tick(&kms, None, &options.node, options.maintenance_interval)
        .await
        .map_err(|e| Failure::Store(e.to_string()))?;

    let audit = crate::audit::AuditLog::start(kms.clone()).await?;
    let mut limits = options.limits.clone();
    if let Some(listener) = config.as_ref().and_then(|c| c.listener.as_ref()) {
        listener.apply(&mut limits);
    }
    let state = Arc::new(AppState {
        metrics: crate::http::metrics::Metrics::default(),
        audit: audit.clone(),
        kms: kms.clone(),
        dev: options.dev,
        dev_default: loaded.dev_default,
        signing_keys: trent_api::sigv4::SigningKeys::default(),
        sigv4_rules: trent_api::sigv4::Rules {
            require_signed_target: options.require_signed_target
                || config.as_ref().is_some_and(|c| c.require_signed_target),
        },
        auth_clock: Arc::new(SystemClock),
        max_body: MAX_BODY,
        body_budget: crate::http::front_door::BodyBudget::new(limits.body_memory),
        body_timeout: limits.body_timeout,
        auth_failures: Arc::new(crate::http::auth::FailureLimiter::new(
            limits.auth_failures_per_second,
            limits.auth_failure_burst,
        )),
        operator_limits: crate::http::auth::OperatorLimits::new(&limits),
        console: crate::console::Console::new(
            &config
                .as_ref()
                .and_then(|c| c.console.clone())
                .unwrap_or_default(),
        ),
    });
    let listener = bind(options.listen, options.reuse_port)
        .map_err(|e| Failure::Network(format!("cannot listen on {}: {e}", options.listen)))?;
    let local_addr = listener
        .local_addr()
        .map_err(|e| Failure::Network(e.to_string()))?;
    let (tx, rx) = oneshot::channel::<()>();
    let tls = options
        .tls
        .as_ref()
        .map(|source| crate::http::tls::config(source, &options.data_dir))
        .transpose()?;
    let secure = tls.is_some();
    let connections = state.metrics.connections.clone();
    let metrics_server = match options.metrics_listen {
        None => None,
        Some(addr) => {
            let listener = bind(addr, false).map_err(|e| {
                Failure::Network(format!("cannot listen on {addr} for metrics: {e}"))
            })?;
            let addr = listener
                .local_addr()
                .map_err(|e| Failure::Network(e.to_string()))?;
            let (stop, stopped) = oneshot::channel::<()>();
            let handle = tokio::spawn(crate::http::front_door::serve(
                listener,
                None,
                metrics_app(state.clone()),
                limits.clone(),
                crate::http::metrics::ConnectionMetrics::default(),
                None,
                stopped,
            ));
            Some((addr, stop, handle))
        }
    };
    // An address throttled for failing authentication is turned away at accept: every
    // request it sent would be refused before verification anyway.
    let failures = state.auth_failures.clone();
    let shun: Arc<dyn Fn(std::net::IpAddr) -> bool + Send + Sync> =
        Arc::new(move |ip| !failures.allows(&ip, std::time::Instant::now()));
    let xks_server = match options.xks_listen {
        None => None,
        Some(addr) => {
            let Some(raw) = config.as_ref().and_then(|c| c.xks_proxy.clone()) else {
                return Err(Failure::Config(
                    "--xks-listen needs an [xks_proxy] section in the config file".to_owned(),
                ));
            };
            let default_scope = crate::run::bootstrap::default_scope(config.as_ref())?;
            let settings = raw.check(&default_scope)?;
            let tls = crate::xks::tls_config(&settings)?;
            let listener = bind(addr, options.reuse_port).map_err(|e| {
                Failure::Network(format!("cannot listen on {addr} for the XKS proxy: {e}"))
            })?;
            let addr = listener
                .local_addr()
                .map_err(|e| Failure::Network(e.to_string()))?;
            let proxy = Arc::new(crate::xks::XksProxy::new(
                settings,
                state.clone(),
                options.node.clone(),
            ));
            let (stop, stopped) = oneshot::channel::<()>();
            let handle = tokio::spawn(crate::http::front_door::serve(
                listener,
                Some(tls),
                crate::xks::router(proxy.clone()),
                limits.clone(),
                crate::http::metrics::ConnectionMetrics::default(),
                Some(shun.clone()),
                stopped,
            ));
            let file = options.config.clone().unwrap_or_default();
            Some((addr, stop, handle, (proxy, file)))
        }
    };
    let xks_addr = xks_server.as_ref().map(|(addr, _, _, _)| *addr);
    let (xks_shutdown, xks_serve, xks_proxy) = match xks_server {
        Some((_, stop, handle, proxy)) => (Some(stop), Some(handle), Some(proxy)),
        None => (None, None, None),
    };
    let metrics_addr = metrics_server.as_ref().map(|(addr, _, _)| *addr);
    let (metrics_shutdown, metrics_serve) = match metrics_server {
        Some((_, stop, handle)) => (Some(stop), Some(handle)),
        None => (None, None),
    };
    let serve = tokio::spawn(crate::http::front_door::serve(
        listener,
        tls,
        app_with(state.clone(), metrics_addr.is_none()),
        limits,
        connections,
        Some(shun),
        rx,
    ));
    let maintenance = tokio::spawn(crate::run::scheduler::run(
        kms.clone(),
        options.maintenance_interval,
        audit.clone(),
        options.node.clone(),
    ));
    let follower = kms.clone();
    let identities = tokio::spawn(async move { follower.follow_identity_changes().await });
    Ok(RunningServer {
        xks_addr,
        xks_proxy,
        xks_shutdown,
        xks_serve,
        metrics_addr,
        metrics_shutdown,
        metrics_serve,
        identities,
        node: options.node.clone(),
        maintenance_interval: options.maintenance_interval,
        _lock: lock,
        secure,
        local_addr,
        audit,
        kms,
        default_identity: loaded.default_identity,
        seed_report,
        root_key_created,
        root_key_in_token,
        shutdown: Some(tx),
        serve: Some(serve),
        maintenance,
    })
}

/// Opens the store the options name: SQLite in the data directory (checked for damage), or
/// the shared PostgreSQL database.
async fn open_store(options: &ServerOptions) -> Result<Arc<dyn trent_core::store::Store>, Failure> {
    if let StoreLocation::Sqlite = options.store {
        let db = options.data_dir.join("trent.db");
        let store = SqliteStore::open_with(&db, options.durability).map_err(|e| {
            Failure::Store({
                format!(
                    "cannot open the store in {}: {e}",
                    options.data_dir.display()
                )
            })
        })?;
        // A damaged page is found now, not by the request that happens to read it; the trail
        // is `trent audit verify`'s, so that a start does not grow with it.
        store.quick_check_outside_the_trail().await.map_err(|e| Failure::Store({
            format!(
                "cannot open the store in {}: it is damaged ({e}); restore it from a backup (trent restore)",
                options.data_dir.display()
            )
        }))?;
        return Ok(Arc::new(store));
    }
    open_store_at(&options.store, &options.data_dir).await
}

/// The PKCS#11 root key the config file's `[root_key]` names.
fn pkcs11_options(
    config: &crate::run::config::RootKeyConfig,
) -> Result<trent_crypto::Pkcs11Options, Failure> {
    let token = match (&config.token, config.slot) {
        (Some(label), None) => trent_crypto::TokenSelector::Label(label.clone()),
        (None, Some(slot)) => trent_crypto::TokenSelector::Slot(slot),
        _ => {
            return Err(Failure::Config(
                "[root_key] names its token by either token (a label) or slot".to_owned(),
            ));
        }
    };
    Ok(trent_crypto::Pkcs11Options {
        module: config.pkcs11_module.clone(),
        token,
        key_label: config
            .key_label
            .clone()
            .unwrap_or_else(|| "trent-root".to_owned()),
        pin: crate::run::root_key::read_secret(&config.pin, "PIN")?,
    })
}

/// Opens the store a location names: the SQLite file of `data_dir`, or the PostgreSQL
/// database (for the server, and for commands that read a store, such as `trent audit`).
pub async fn open_store_at(
    location: &StoreLocation,
    data_dir: &std::path::Path,
) -> Result<Arc<dyn trent_core::store::Store>, Failure> {
    match location {
        StoreLocation::Sqlite => {
            let store = SqliteStore::open(&data_dir.join("trent.db")).map_err(|e| {
                Failure::Store(format!(
                    "cannot open the store in {}: {e}",
                    data_dir.display()
                ))
            })?;
            Ok(Arc::new(store))
        }
        StoreLocation::Postgres { url, options } => {
            let store = PostgresStore::connect(url, options)
                .await
                .map_err(|e| Failure::Store(format!("cannot open the PostgreSQL store: {e}")))?;
            tracing::info!(database = store.description(), "using the PostgreSQL store");
            Ok(Arc::new(store))
        }
    }
}

/// Binds the listening socket (with `SO_REUSEPORT` if asked, where the OS has it).
fn bind(addr: SocketAddr, reuse_port: bool) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    #[cfg(unix)]
    if reuse_port {
        socket.set_reuseport(true)?;
    }
    #[cfg(not(unix))]
    let _ = reuse_port;
    socket.bind(addr)?;
    socket.listen(1024)
}
