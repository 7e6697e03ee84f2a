//! Starting and stopping a Trent server: open the data directory, wire the layers, listen.

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
use trent_store::SqliteStore;

use crate::bootstrap::{self, DefaultIdentity};
use crate::config::Config;
use crate::seed::{self, SeedReport};
use crate::state::AppState;

/// The address `trent serve` listens on by default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4599";
/// The largest request body: generous for a 32 KB key policy or a 6 KB ciphertext in base64.
pub const MAX_BODY: usize = 256 * 1024;

/// How to run a server.
#[derive(Debug)]
pub struct ServerOptions {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub config: Option<PathBuf>,
    pub seed: Option<PathBuf>,
    pub dev: bool,
    /// How often background maintenance runs.
    pub maintenance_interval: Duration,
    /// The KMS's clock (tests move it); SigV4 always uses the system clock.
    pub clock: Arc<dyn Clock>,
    /// Request-rate quotas when the config file sets none (AWS's defaults).
    pub rate_limits: trent_core::quota::RateLimits,
    /// Serve TLS instead of plain HTTP.
    pub tls: Option<crate::tls::TlsSource>,
    /// The passphrase protecting the root key (`root.key.enc`); `None`: the plain `root.key`.
    pub passphrase: Option<trent_core::secret::Secret>,
}

impl ServerOptions {
    pub fn new(listen: SocketAddr, data_dir: PathBuf) -> ServerOptions {
        ServerOptions {
            listen,
            data_dir,
            config: None,
            seed: None,
            dev: false,
            maintenance_interval: Duration::from_secs(10),
            clock: Arc::new(SystemClock),
            rate_limits: trent_core::quota::RateLimits::default(),
            tls: None,
            passphrase: None,
        }
    }
}

/// A started server.
#[derive(Debug)]
pub struct RunningServer {
    pub local_addr: SocketAddr,
    pub kms: Arc<Kms>,
    /// The audit trail's writer.
    pub audit: crate::audit::AuditLog,
    pub default_identity: Option<DefaultIdentity>,
    pub seed_report: Option<SeedReport>,
    pub root_key_created: bool,
    shutdown: Option<oneshot::Sender<()>>,
    serve: Option<JoinHandle<std::io::Result<()>>>,
    maintenance: JoinHandle<()>,
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

    /// Runs one round of background maintenance now (what the scheduler does on its timer).
    pub async fn run_maintenance(&self) -> Result<usize, trent_core::Error> {
        let done = crate::scheduler::run_once(&self.kms).await;
        if let Err(e) = self.audit.seal().await {
            tracing::warn!(error = %e, "could not sign an audit digest");
        }
        done
    }

    /// Stops accepting, finishes in-flight requests, and returns when the server is down.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        self.maintenance.abort();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.finish().await
    }

    /// Waits until the server stops (for the binary: it runs until a signal).
    pub async fn wait(mut self) -> std::io::Result<()> {
        self.finish().await
    }

    /// Waits for in-flight requests, then writes the key usage noted since the last round.
    async fn finish(&mut self) -> std::io::Result<()> {
        let served = match self.serve.take() {
            Some(handle) => handle.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        };
        if let Err(e) = self.kms.flush_key_usage().await {
            tracing::warn!(error = %e, "could not record key usage at shutdown");
        }
        served
    }

    /// Asks the server to stop gracefully.
    pub fn trigger_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.maintenance.abort();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The HTTP application: the AWS endpoint at `POST /`; anything else is an unknown operation.
pub fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", any(crate::dispatch::handle))
        .route("/audit/public-key", axum::routing::get(audit_public_key))
        .route("/health", axum::routing::get(health))
        .route("/metrics", axum::routing::get(metrics))
        .route("/ready", axum::routing::get(ready))
        .fallback(crate::dispatch::fallback)
        .with_state(state)
}

/// Takes the data directory's lock (`trent.lock`, an OS file lock released when the process
/// ends, however it ends), so that two servers never open one store.
pub fn lock_data_dir(dir: &std::path::Path) -> Result<std::fs::File, String> {
    let path = dir.join("trent.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(format!(
            "another Trent is using the data directory {}: two servers must never open one store",
            dir.display()
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(format!("cannot lock {}: {e}", path.display())),
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
    let store_ok = state.kms.store().meta("root_key_check").await.is_ok();
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
    match crate::audit::public_key_pem(state.kms.store().as_ref()).await {
        Some(pem) => (axum::http::StatusCode::OK, pem),
        None => (axum::http::StatusCode::NOT_FOUND, String::new()),
    }
}

/// Opens the data directory, applies config and seed, and starts listening.
pub async fn start(options: ServerOptions) -> Result<RunningServer, String> {
    let existed = options.data_dir.exists();
    std::fs::create_dir_all(&options.data_dir).map_err(|e| {
        format!(
            "cannot create data directory {}: {e}",
            options.data_dir.display()
        )
    })?;
    #[cfg(unix)]
    if !existed {
        // The store holds sealed material and the root key sits beside it: owner only.
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&options.data_dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("cannot restrict {}: {e}", options.data_dir.display()))?;
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
    let (root, root_key_created) = match &options.passphrase {
        Some(passphrase) => {
            FileRootKey::open_or_create_with_passphrase(&sealed_key, &plain_key, passphrase)
        }
        None => FileRootKey::open_or_create_plain(&plain_key, Some(&sealed_key)),
    }
    .map_err(|e| e.to_string())?;
    let store = SqliteStore::open(&options.data_dir.join("trent.db")).map_err(|e| {
        format!(
            "cannot open the store in {}: {e}",
            options.data_dir.display()
        )
    })?;
    // A damaged page is found now, not by the request that happens to read it.
    store.quick_check().await.map_err(|e| {
        format!(
            "cannot open the store in {}: it is damaged ({e}); restore it from a backup (trent restore)",
            options.data_dir.display()
        )
    })?;
    let kms = Kms::new(
        Arc::new(store),
        Arc::new(SoftBackend),
        Arc::new(root),
        options.clock.clone(),
    );
    let mut limits = config
        .as_ref()
        .and_then(|c| c.quotas.clone())
        .unwrap_or_else(|| options.rate_limits.clone());
    if options.dev {
        // --dev is for local tests, which call faster than AWS's per-operation quotas.
        limits.enabled = false;
    }
    let kms = kms.with_rate_limits(limits);
    // --dev: any signature, and every key of the caller's account usable whatever its policy.
    let kms = Arc::new(if options.dev { kms.permissive() } else { kms });
    kms.check_root_key().await.map_err(|e| e.to_string())?;
    // A root-key rotation that a crash interrupted is finished before anything else.
    // If it cannot be finished (a value that does not unseal), the ring keeps both keys, so
    // everything still opens, and Trent serves: the error is logged, the next start retries.
    match kms
        .finish_root_key_rotation(crate::audit::sealed_meta())
        .await
    {
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

    let seed_report = match &options.seed {
        Some(path) => {
            let accounts: Vec<_> = kms
                .store()
                .accounts()
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|a| (a.id, a.regions))
                .collect();
            Some(seed::apply(&kms, path, &accounts).await?)
        }
        None => None,
    };
    // Catch up on deletions that fell due while the server was down.
    crate::scheduler::run_once(&kms)
        .await
        .map_err(|e| e.to_string())?;

    let audit = crate::audit::AuditLog::start(kms.clone()).await?;
    let state = Arc::new(AppState {
        metrics: crate::metrics::Metrics::default(),
        audit: audit.clone(),
        kms: kms.clone(),
        dev: options.dev,
        dev_default: loaded.dev_default,
        auth_clock: Arc::new(SystemClock),
        max_body: MAX_BODY,
    });
    let listener = TcpListener::bind(options.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
    let local_addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (tx, rx) = oneshot::channel::<()>();
    let tls = options
        .tls
        .as_ref()
        .map(|source| crate::tls::config(source, &options.data_dir))
        .transpose()?;
    let secure = tls.is_some();
    let serve = match tls {
        Some(config) => tokio::spawn(crate::tls::serve(listener, config, app(state), rx)),
        None => {
            let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
            tokio::spawn(async move {
                axum::serve(listener, service)
                    .with_graceful_shutdown(async move {
                        let _ = rx.await;
                    })
                    .await
            })
        }
    };
    let maintenance = tokio::spawn(crate::scheduler::run(
        kms.clone(),
        options.maintenance_interval,
        audit.clone(),
    ));
    Ok(RunningServer {
        _lock: lock,
        secure,
        local_addr,
        audit,
        kms,
        default_identity: loaded.default_identity,
        seed_report,
        root_key_created,
        shutdown: Some(tx),
        serve: Some(serve),
        maintenance,
    })
}
