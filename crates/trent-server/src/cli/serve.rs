//! `trent serve`: its options, turned into [`ServerOptions`], and the server run until a signal.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;

use super::init_logging;
use crate::run::server::{DEFAULT_LISTEN, ServerOptions};

/// `trent serve --sync`: when SQLite's commits reach the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(super) enum SyncMode {
    /// Before each commit is acknowledged.
    Disk,
    /// At checkpoints: flushed to the operating system on commit.
    Os,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub(super) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = DEFAULT_LISTEN, env = "TRENT_LISTEN")]
    pub(super) listen: SocketAddr,
    /// Directory for the store and the root key.
    #[arg(long, default_value = "./trent-data", env = "TRENT_DATA_DIR")]
    pub(super) data_dir: PathBuf,
    /// A fresh server for one test run: a new temporary data directory (new root key, new
    /// credentials, printed), removed when the server stops; commits are not flushed to
    /// disk, since nothing outlives the process.
    #[arg(long, env = "TRENT_EPHEMERAL", conflicts_with_all = ["data_dir", "root_key_passphrase"])]
    pub(super) ephemeral: bool,
    /// When SQLite's commits reach the disk: `disk`, before each is acknowledged (one
    /// `fsync` a group commit); `os`, handed to the operating system and synced at checkpoints,
    /// so a crash of the process loses nothing acknowledged and one of the machine may lose
    /// the last commits (as OpenBao's file audit device). PostgreSQL's are its own settings.
    #[arg(long, value_enum, default_value_t = SyncMode::Disk, env = "TRENT_SYNC", conflicts_with = "ephemeral")]
    pub(super) sync: SyncMode,
    /// Where the store lives: `sqlite` (trent.db in the data directory) or a PostgreSQL URL
    /// (`postgres://user:password@host:port/dbname`) that any number of nodes share; every
    /// node needs the same root key in its data directory.
    #[arg(long, default_value = "sqlite", env = "TRENT_STORE")]
    pub(super) store: String,
    /// Connections to PostgreSQL per node (the change feed holds one more).
    #[arg(long, default_value_t = 8, env = "TRENT_STORE_POOL_SIZE")]
    pub(super) store_pool_size: usize,
    /// How long a call waits for PostgreSQL (a connection, a statement) before it fails with
    /// DependencyTimeoutException, in milliseconds.
    #[arg(long, default_value_t = 5000, env = "TRENT_STORE_TIMEOUT_MS")]
    pub(super) store_timeout_ms: u64,
    /// Listen with SO_REUSEPORT, so that several nodes on one host share the port.
    #[arg(long, env = "TRENT_REUSE_PORT")]
    pub(super) reuse_port: bool,
    /// How often background maintenance (deletion, rotation, import expiry, audit digests)
    /// runs, in seconds; with several nodes, one node runs it under a lease.
    #[arg(long, default_value_t = 10, env = "TRENT_MAINTENANCE_SECONDS")]
    pub(super) maintenance_seconds: u64,
    /// How many keys to keep in memory (record, policy, grants, unsealed material), least
    /// recently used out first; a key not in memory costs one store read and one unseal.
    #[arg(long, default_value_t = trent_core::cache::DEFAULT_CAPACITY, env = "TRENT_KEY_CACHE_SIZE", value_parser = clap::value_parser!(usize))]
    pub(super) key_cache_size: usize,
    /// TOML file declaring accounts, regions and access keys.
    #[arg(long, env = "TRENT_CONFIG")]
    pub(super) config: Option<PathBuf>,
    /// YAML or TOML file of keys to create at start-up (idempotent).
    #[arg(long, env = "TRENT_SEED")]
    pub(super) seed: Option<PathBuf>,
    /// Accept any request signature. For local development only.
    #[arg(long)]
    pub(super) dev: bool,
    /// Switch AWS's request-rate quotas on (CreateKey 5/s, ...; ThrottlingException past
    /// them). Off by default; resource quotas are always on.
    #[arg(long, env = "TRENT_AWS_QUOTAS")]
    pub(super) aws_quotas: bool,
    /// Refuse requests whose X-Amz-Target header is not signed (AWS accepts them).
    #[arg(long, env = "TRENT_REQUIRE_SIGNED_TARGET")]
    pub(super) require_signed_target: bool,
    /// Serve HTTP/2 over plain TCP too (h2c, prior knowledge). Off by default: AWS speaks
    /// HTTP/2 only over TLS. `[listener]` in the config sets the other connection limits.
    #[arg(long, env = "TRENT_H2C")]
    pub(super) h2c: bool,
    /// Serve /metrics (and /health) on this address instead of the API listener, e.g. a
    /// loopback or management-network address that clients cannot reach.
    #[arg(long, env = "TRENT_METRICS_LISTEN")]
    pub(super) metrics_listen: Option<SocketAddr>,
    /// Serve AWS's XKS proxy API (Trent as an external key store proxy) on this address, over
    /// TLS, with the key stores and keys of the config file's `[xks_proxy]`.
    #[arg(long, value_name = "ADDR")]
    pub(super) xks_listen: Option<SocketAddr>,
    /// Serve TLS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, env = "TRENT_TLS_CERT", requires = "tls_key")]
    pub(super) tls_cert: Option<PathBuf>,
    /// The TLS private key (PEM).
    #[arg(long, env = "TRENT_TLS_KEY", requires = "tls_cert")]
    pub(super) tls_key: Option<PathBuf>,
    /// Serve TLS with a self-signed certificate for localhost, made once and kept in the data
    /// directory (tls-cert.pem), for development.
    #[arg(long, conflicts_with = "tls_cert")]
    pub(super) tls_self_signed: bool,
    /// Log format.
    #[arg(long, value_enum, default_value = "text", env = "TRENT_LOG_FORMAT")]
    pub(super) log_format: LogFormat,
    /// Protect the root key with a passphrase (Argon2id): `prompt` (asked on the terminal),
    /// `env:NAME` (an environment variable) or `file:PATH` (its first line). The key is then
    /// kept as root.key.enc, which opens nothing without the passphrase.
    #[arg(long, env = "TRENT_ROOT_KEY_PASSPHRASE_FROM", value_name = "SOURCE")]
    pub(super) root_key_passphrase: Option<String>,
    /// Keep the root key in a PKCS#11 token: the vendor's module (for SoftHSM2,
    /// /usr/lib/softhsm/libsofthsm2.so). Every seal and unseal then happens in the token.
    #[arg(
        long,
        env = "TRENT_ROOT_KEY_PKCS11",
        value_name = "MODULE",
        conflicts_with_all = ["root_key_passphrase", "ephemeral"],
        requires = "root_key_pin"
    )]
    pub(super) root_key_pkcs11: Option<PathBuf>,
    /// The token that holds the root key, by its label (with --root-key-pkcs11).
    #[arg(
        long,
        env = "TRENT_ROOT_KEY_TOKEN",
        value_name = "LABEL",
        conflicts_with = "root_key_slot"
    )]
    pub(super) root_key_token: Option<String>,
    /// The token that holds the root key, by its slot id (with --root-key-pkcs11).
    #[arg(long, env = "TRENT_ROOT_KEY_SLOT", value_name = "ID")]
    pub(super) root_key_slot: Option<u64>,
    /// The label of the root key's objects in the token.
    #[arg(
        long,
        env = "TRENT_ROOT_KEY_LABEL",
        value_name = "LABEL",
        default_value = "trent-root"
    )]
    pub(super) root_key_label: String,
    /// The token user's PIN: `prompt`, `env:NAME` or `file:PATH`, as the passphrase.
    #[arg(long, env = "TRENT_ROOT_KEY_PIN_FROM", value_name = "SOURCE")]
    pub(super) root_key_pin: Option<String>,
}

pub(super) async fn serve(mut args: ServeArgs) -> ExitCode {
    let signals = StopSignals::listen();
    // Listened for from the start too: a SIGHUP must not end the process.
    let mut hangups = hangups();
    init_logging(args.log_format);
    // --ephemeral: the directory goes when `ephemeral` drops, after the server has stopped
    // (or failed to start).
    let ephemeral = if args.ephemeral {
        if args.store != "sqlite" {
            eprintln!(
                "trent: --ephemeral keeps its store in SQLite in a temporary directory; it cannot use --store {}",
                args.store
            );
            return ExitCode::from(2);
        }
        match tempfile::Builder::new()
            .prefix("trent-ephemeral-")
            .tempdir()
        {
            Ok(dir) => {
                args.data_dir = dir.path().to_path_buf();
                Some(dir)
            }
            Err(e) => {
                eprintln!("trent: cannot make a temporary data directory: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    let mut options = ServerOptions::new(args.listen, args.data_dir.clone());
    options.durability = match args.sync {
        _ if ephemeral.is_some() => trent_store::Durability::Off,
        SyncMode::Disk => trent_store::Durability::Full,
        SyncMode::Os => trent_store::Durability::Os,
    };
    if let Some(source) = &args.root_key_passphrase {
        let new = !args.data_dir.join("root.key.enc").exists();
        match crate::run::root_key::read_passphrase(source, new) {
            Ok(p) => options.passphrase = Some(p),
            Err(e) => {
                eprintln!("trent: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if let Some(module) = &args.root_key_pkcs11 {
        let token = match (&args.root_key_token, args.root_key_slot) {
            (Some(label), _) => trent_crypto::TokenSelector::Label(label.clone()),
            (None, Some(slot)) => trent_crypto::TokenSelector::Slot(slot),
            (None, None) => {
                eprintln!(
                    "trent: --root-key-pkcs11 needs --root-key-token LABEL or --root-key-slot ID"
                );
                return ExitCode::FAILURE;
            }
        };
        let pin = match args
            .root_key_pin
            .as_deref()
            .map(|source| crate::run::root_key::read_secret(source, "PIN"))
        {
            Some(Ok(pin)) => pin,
            Some(Err(e)) => {
                eprintln!("trent: {e}");
                return ExitCode::FAILURE;
            }
            None => {
                eprintln!("trent: --root-key-pkcs11 needs --root-key-pin SOURCE");
                return ExitCode::FAILURE;
            }
        };
        options.pkcs11 = Some(trent_crypto::Pkcs11Options {
            module: module.clone(),
            token,
            key_label: args.root_key_label.clone(),
            pin,
        });
    }
    options.store = match crate::run::server::StoreLocation::parse(&args.store) {
        Ok(crate::run::server::StoreLocation::Postgres { url, .. }) => {
            crate::run::server::StoreLocation::Postgres {
                url,
                options: trent_store::PostgresOptions {
                    pool_size: args.store_pool_size,
                    timeout: std::time::Duration::from_millis(args.store_timeout_ms.max(1)),
                },
            }
        }
        Ok(sqlite) => sqlite,
        Err(e) => {
            eprintln!("trent: {e}");
            return ExitCode::from(2);
        }
    };
    options.reuse_port = args.reuse_port;
    options.key_cache_size = args.key_cache_size;
    options.maintenance_interval = std::time::Duration::from_secs(args.maintenance_seconds.max(1));
    options.config = args.config;
    options.seed = args.seed;
    options.dev = args.dev;
    options.aws_quotas = args.aws_quotas;
    options.require_signed_target = args.require_signed_target;
    options.limits.h2c = args.h2c;
    options.metrics_listen = args.metrics_listen;
    options.xks_listen = args.xks_listen;
    options.tls = match (args.tls_cert, args.tls_key, args.tls_self_signed) {
        (Some(cert), Some(key), _) => Some(crate::http::tls::TlsSource::Files { cert, key }),
        (_, _, true) => Some(crate::http::tls::TlsSource::SelfSigned),
        _ => None,
    };
    let mut server = match crate::run::server::start(options).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("trent: {e}");
            return ExitCode::FAILURE;
        }
    };
    if args.dev {
        tracing::warn!(
            "DEV MODE: every request signature is accepted without checking. Never expose this server to a network."
        );
        eprintln!(
            "\n*** WARNING: --dev accepts ANY signature. Anyone who can reach {} can use every key. ***\n",
            server.local_addr
        );
    }
    if ephemeral.is_some() {
        tracing::info!(
            data_dir = %args.data_dir.display(),
            "ephemeral: a new root key, store and credentials, removed when the server stops"
        );
    } else if server.root_key_created && server.root_key_in_token {
        tracing::warn!(
            label = %args.root_key_label,
            "created a new root key in the PKCS#11 token: back the token up, or the keys are lost"
        );
    } else if server.root_key_created {
        let file = if args.root_key_passphrase.is_some() {
            "root.key.enc"
        } else {
            "root.key"
        };
        tracing::warn!(
            path = %args.data_dir.join(file).display(),
            "created a new root key: back it up together with the data directory, or the keys are lost"
        );
    }
    if let Some(report) = &server.seed_report {
        tracing::info!(
            created = report.created,
            already_present = report.present,
            "applied seed file"
        );
    }
    tracing::info!(endpoint = %server.endpoint(), data_dir = %args.data_dir.display(), "Trent is serving the AWS KMS API");
    if let Some(id) = &server.default_identity {
        let endpoint = server.endpoint();
        let lines = format!(
            "# Trent is listening on {endpoint}. To use it:\n\
             export AWS_ACCESS_KEY_ID={}\n\
             export AWS_SECRET_ACCESS_KEY={}\n\
             export AWS_REGION={region}\n\
             export AWS_DEFAULT_REGION={region}\n\
             export AWS_ENDPOINT_URL_KMS={endpoint}\n\
             export AWS_ENDPOINT_URL_STS={endpoint}\n",
            id.access_key_id,
            id.secret.as_str(),
            region = id.region,
        );
        // The AWS CLI v1 and boto3 read the region from AWS_DEFAULT_REGION only; STS
        // (GetCallerIdentity, AssumeRole) is served on the same endpoint. A reader that has
        // gone away (a closed pipe) is not a reason to stop serving.
        let lines = zeroize::Zeroizing::new(lines);
        let mut out = std::io::stdout().lock();
        let _ = std::io::Write::write_all(&mut out, lines.as_bytes());
        let _ = std::io::Write::flush(&mut out);
    }
    let stop = signals.stopped();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = next_hangup(&mut hangups) => {
                // SIGHUP: the XKS proxy's key stores, credentials and keys, read again.
                if server.xks_addr.is_some()
                    && let Err(e) = server.reload_xks_proxy()
                {
                    tracing::error!(error = %e, "[xks_proxy] not reloaded; the running settings stay");
                }
            }
            () = &mut stop => break,
        }
    }
    tracing::info!("shutting down: finishing in-flight requests");
    server.trigger_shutdown();
    let code = match server.wait().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trent: {e}");
            ExitCode::FAILURE
        }
    };
    if let Some(dir) = ephemeral {
        let path = dir.path().display().to_string();
        match dir.close() {
            Ok(()) => tracing::info!(data_dir = %path, "removed the ephemeral data directory"),
            Err(e) => {
                tracing::warn!(data_dir = %path, error = %e, "cannot remove the ephemeral data directory")
            }
        }
    }
    code
}

/// SIGHUP, where there is one.
#[cfg(unix)]
fn hangups() -> Option<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok()
}

#[cfg(not(unix))]
fn hangups() -> Option<()> {
    None
}

#[cfg(unix)]
async fn next_hangup(signal: &mut Option<tokio::signal::unix::Signal>) {
    match signal {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}

#[cfg(not(unix))]
async fn next_hangup(_: &mut Option<()>) {
    std::future::pending::<()>().await
}

/// The stop signals, listened for from the start: a SIGTERM that arrives right after the
/// credentials are printed still stops the server gracefully rather than killing it.
struct StopSignals {
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    fn listen() -> StopSignals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            StopSignals {
                terminate: signal(SignalKind::terminate()).ok(),
                interrupt: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        StopSignals {}
    }

    async fn stopped(self) {
        #[cfg(unix)]
        {
            let wait = |signal: Option<tokio::signal::unix::Signal>| async move {
                match signal {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(self.terminate) => {},
                () = wait(self.interrupt) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
