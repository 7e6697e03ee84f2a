//! The command line: `trent serve` and its options, `trent admin`, `trent audit`,
//! `trent backup`/`restore` and `trent root-key`.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::server::{DEFAULT_LISTEN, ServerOptions};

#[derive(Debug, Parser)]
#[command(
    name = "trent",
    version,
    about = "A key management service that speaks the AWS KMS API"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the KMS server.
    Serve(ServeArgs),
    /// Manage accounts, IAM users and roles, their policies and access keys on a running
    /// server. Signs with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN).
    Admin(AdminArgs),
    /// Read and check the audit trail of a data directory (the server may be running).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Write a consistent snapshot of the store while the server runs. The snapshot holds only
    /// sealed material: it is useless without the root key, which it does not contain.
    Backup {
        #[arg(long, default_value = "./trent-data", env = "TRENT_DATA_DIR")]
        data_dir: PathBuf,
        /// The snapshot file to write (must not exist).
        #[arg(long)]
        to: PathBuf,
    },
    /// Rotate the root key of a running server: a new root key, every sealed value re-sealed
    /// under it, the old key forgotten, while the server serves. Signs as `trent admin` does
    /// (the operator account's root).
    #[command(subcommand)]
    RootKey(RootKeyCommand),
    /// Encrypt a file or stdin into an AWS Encryption SDK message under KMS keys of a running
    /// server (signs as `trent admin` does).
    Encrypt(EncryptArgs),
    /// Decrypt an AWS Encryption SDK message; the output file appears only once the whole
    /// message has been authenticated.
    Decrypt(DecryptArgs),
    /// Put a snapshot back as the data directory's store (the server must be stopped; the
    /// directory's root key must be the one the snapshot was sealed under).
    Restore {
        #[arg(long, default_value = "./trent-data", env = "TRENT_DATA_DIR")]
        data_dir: PathBuf,
        /// The snapshot file `trent backup` wrote.
        #[arg(long)]
        from: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
struct EncryptArgs {
    #[command(flatten)]
    server: EndpointArgs,
    /// A KMS key (id, ARN or alias) to encrypt under; the first generates the data key, each
    /// further one can decrypt the message too.
    #[arg(long = "key", required = true)]
    keys: Vec<String>,
    /// An encryption context pair, `key=value` (repeatable).
    #[arg(long = "context")]
    context: Vec<String>,
    /// The algorithm suite: AES_256_GCM_HKDF_SHA512_COMMIT_KEY, or
    /// AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384 to sign the message too.
    #[arg(long, default_value = "AES_256_GCM_HKDF_SHA512_COMMIT_KEY")]
    algorithm: String,
    /// Plaintext bytes per frame.
    #[arg(long, default_value_t = 4096)]
    frame_length: u32,
    /// The file to encrypt, or `-` for stdin.
    #[arg(long, short)]
    input: String,
    /// The message file to write, or `-` for stdout.
    #[arg(long, short)]
    output: String,
}

#[derive(Debug, clap::Args)]
struct DecryptArgs {
    #[command(flatten)]
    server: EndpointArgs,
    /// A KMS key ARN that may decrypt (strict mode, repeatable); without any, --discovery.
    #[arg(long = "key")]
    keys: Vec<String>,
    /// Use any KMS key the caller may use.
    #[arg(long, conflicts_with = "keys")]
    discovery: bool,
    /// A `key=value` pair the message's encryption context must hold (repeatable).
    #[arg(long = "context")]
    context: Vec<String>,
    /// Refuse messages that are not signed.
    #[arg(long)]
    require_signed: bool,
    /// The message to decrypt, or `-` for stdin.
    #[arg(long, short)]
    input: String,
    /// The plaintext file to write, or `-` for stdout.
    #[arg(long, short)]
    output: String,
}

#[derive(Debug, Subcommand)]
enum RootKeyCommand {
    /// Rotate the root key online.
    Rotate {
        #[command(flatten)]
        server: EndpointArgs,
    },
    /// Protect a stopped data directory's root key with a passphrase (root.key becomes
    /// root.key.enc), or change its passphrase.
    Passphrase {
        #[arg(long, default_value = "./trent-data", env = "TRENT_DATA_DIR")]
        data_dir: PathBuf,
        /// The current passphrase (`prompt`, `env:NAME`, `file:PATH`), if it has one.
        #[arg(long, value_name = "SOURCE")]
        old: Option<String>,
        /// The new passphrase (`prompt`, `env:NAME`, `file:PATH`).
        #[arg(long, value_name = "SOURCE")]
        new: String,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check the hash chain and every signed digest; says where the trail was altered.
    Verify {
        #[arg(long, default_value = "./trent-data", env = "TRENT_DATA_DIR")]
        data_dir: PathBuf,
        /// The store, as `trent serve --store` takes it (a PostgreSQL URL reads the
        /// cluster's trail).
        #[arg(long, default_value = "sqlite", env = "TRENT_STORE")]
        store: String,
    },
    /// Print matching events as JSON lines (no filter: export the whole trail).
    Search {
        #[arg(long, default_value = "./trent-data", env = "TRENT_DATA_DIR")]
        data_dir: PathBuf,
        /// The store, as `trent serve --store` takes it.
        #[arg(long, default_value = "sqlite", env = "TRENT_STORE")]
        store: String,
        /// A key ARN or key id among the event's resources.
        #[arg(long)]
        key: Option<String>,
        /// The caller's ARN.
        #[arg(long)]
        principal: Option<String>,
        #[arg(long)]
        event_name: Option<String>,
        /// Earliest event time, RFC 3339 (2026-11-23T10:00:00Z) or epoch seconds.
        #[arg(long)]
        since: Option<String>,
        /// Latest event time, as --since.
        #[arg(long)]
        until: Option<String>,
        /// Failed calls only.
        #[arg(long)]
        errors: bool,
        #[arg(long, default_value_t = usize::MAX)]
        limit: usize,
    },
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Actions: CreateAccount ListAccounts CreateUser DeleteUser ListUsers GetUser TagUser UntagUser PutUserPolicy DeleteUserPolicy CreateRole DeleteRole ListRoles GetRole TagRole UntagRole PutRolePolicy DeleteRolePolicy UpdateAssumeRolePolicy CreateAccessKey ListAccessKeys UpdateAccessKey DeleteAccessKey\n\nExample: trent admin create-user UserName=alice 'Tags=[{\"Key\":\"team\",\"Value\":\"blue\"}]'"
)]
struct AdminArgs {
    #[command(flatten)]
    server: EndpointArgs,
    /// The input as a JSON object.
    #[arg(long)]
    input: Option<String>,
    /// The action, as `create-user` or `CreateUser`.
    action: String,
    /// Input members as `Name=Value` (a JSON value, or else a string).
    members: Vec<String>,
}

/// The running server a client command talks to.
#[derive(Debug, clap::Args)]
struct EndpointArgs {
    /// The Trent endpoint.
    #[arg(
        long,
        env = "AWS_ENDPOINT_URL_KMS",
        default_value = "http://127.0.0.1:4599"
    )]
    endpoint: String,
    /// The region to sign for.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = DEFAULT_LISTEN, env = "TRENT_LISTEN")]
    listen: SocketAddr,
    /// Directory for the store and the root key.
    #[arg(long, default_value = "./trent-data", env = "TRENT_DATA_DIR")]
    data_dir: PathBuf,
    /// A fresh server for one test run: a new temporary data directory (new root key, new
    /// credentials, printed), removed when the server stops; commits are not flushed to
    /// disk, since nothing outlives the process.
    #[arg(long, env = "TRENT_EPHEMERAL", conflicts_with_all = ["data_dir", "root_key_passphrase"])]
    ephemeral: bool,
    /// Where the store lives: `sqlite` (trent.db in the data directory) or a PostgreSQL URL
    /// (`postgres://user:password@host:port/dbname`) that any number of nodes share; every
    /// node needs the same root key in its data directory.
    #[arg(long, default_value = "sqlite", env = "TRENT_STORE")]
    store: String,
    /// Connections to PostgreSQL per node (the change feed holds one more).
    #[arg(long, default_value_t = 8, env = "TRENT_STORE_POOL_SIZE")]
    store_pool_size: usize,
    /// How long a call waits for PostgreSQL (a connection, a statement) before it fails with
    /// DependencyTimeoutException, in milliseconds.
    #[arg(long, default_value_t = 5000, env = "TRENT_STORE_TIMEOUT_MS")]
    store_timeout_ms: u64,
    /// Listen with SO_REUSEPORT, so that several nodes on one host share the port.
    #[arg(long, env = "TRENT_REUSE_PORT")]
    reuse_port: bool,
    /// How often background maintenance (deletion, rotation, import expiry, audit digests)
    /// runs, in seconds; with several nodes, one node runs it under a lease.
    #[arg(long, default_value_t = 10, env = "TRENT_MAINTENANCE_SECONDS")]
    maintenance_seconds: u64,
    /// TOML file declaring accounts, regions and access keys.
    #[arg(long, env = "TRENT_CONFIG")]
    config: Option<PathBuf>,
    /// YAML or TOML file of keys to create at start-up (idempotent).
    #[arg(long, env = "TRENT_SEED")]
    seed: Option<PathBuf>,
    /// Accept any request signature. For local development only.
    #[arg(long)]
    dev: bool,
    /// Switch AWS's request-rate quotas on (CreateKey 5/s, ...; ThrottlingException past
    /// them). Off by default; resource quotas are always on.
    #[arg(long, env = "TRENT_AWS_QUOTAS")]
    aws_quotas: bool,
    /// Refuse requests whose X-Amz-Target header is not signed (AWS accepts them).
    #[arg(long, env = "TRENT_REQUIRE_SIGNED_TARGET")]
    require_signed_target: bool,
    /// Serve HTTP/2 over plain TCP too (h2c, prior knowledge). Off by default: AWS speaks
    /// HTTP/2 only over TLS. `[listener]` in the config sets the other connection limits.
    #[arg(long, env = "TRENT_H2C")]
    h2c: bool,
    /// Serve /metrics (and /health) on this address instead of the API listener, e.g. a
    /// loopback or management-network address that clients cannot reach.
    #[arg(long, env = "TRENT_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// Serve TLS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, env = "TRENT_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The TLS private key (PEM).
    #[arg(long, env = "TRENT_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve TLS with a self-signed certificate for localhost, made once and kept in the data
    /// directory (tls-cert.pem), for development.
    #[arg(long, conflicts_with = "tls_cert")]
    tls_self_signed: bool,
    /// Log format.
    #[arg(long, value_enum, default_value = "text", env = "TRENT_LOG_FORMAT")]
    log_format: LogFormat,
    /// Protect the root key with a passphrase (Argon2id): `prompt` (asked on the terminal),
    /// `env:NAME` (an environment variable) or `file:PATH` (its first line). The key is then
    /// kept as root.key.enc, which opens nothing without the passphrase.
    #[arg(long, env = "TRENT_ROOT_KEY_PASSPHRASE_FROM", value_name = "SOURCE")]
    root_key_passphrase: Option<String>,
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("trent: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Command::Serve(args) => runtime.block_on(serve(args)),
        Command::Admin(args) => runtime.block_on(admin(args)),
        Command::Audit(command) => runtime.block_on(audit(command)),
        Command::Backup { data_dir, to } => runtime.block_on(backup(&data_dir, &to)),
        Command::Restore { data_dir, from } => restore(&data_dir, &from),
        Command::Encrypt(args) => runtime.block_on(encrypt(args)),
        Command::Decrypt(args) => runtime.block_on(decrypt(args)),
        Command::RootKey(RootKeyCommand::Passphrase { data_dir, old, new }) => {
            match crate::root_key::set_passphrase(&data_dir, old.as_deref(), &new) {
                Ok(path) => {
                    println!(
                        "the root key is now protected by the new passphrase in {}",
                        path.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("trent root-key passphrase: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::RootKey(RootKeyCommand::Rotate { server }) => runtime.block_on(admin(AdminArgs {
            server,
            input: None,
            action: "RotateRootKey".to_owned(),
            members: Vec::new(),
        })),
    }
}

/// A time given as RFC 3339 or epoch seconds, in milliseconds.
/// Reads `--since`/`--until` into milliseconds since the epoch: epoch seconds, an RFC 3339
/// time with `Z` or any offset (`2026-11-23T10:00:00Z`, `2026-11-23T11:00:00.5+01:00`), or a
/// bare date (midnight UTC).
fn parse_time(text: &str) -> Option<i64> {
    use time::format_description::well_known::{Iso8601, Rfc3339};
    if let Ok(secs) = text.parse::<i64>() {
        return secs.checked_mul(1000);
    }
    // A time without an offset is ambiguous, and refused; a date alone is a UTC day.
    let t = if text.contains('T') || text.contains('t') {
        time::OffsetDateTime::parse(text, &Rfc3339).ok()?
    } else {
        time::Date::parse(text, &Iso8601::DATE)
            .ok()?
            .midnight()
            .assume_utc()
    };
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

async fn audit(command: AuditCommand) -> ExitCode {
    async fn open(
        dir: &std::path::Path,
        store: &str,
    ) -> Result<std::sync::Arc<dyn trent_core::store::Store>, String> {
        let opened: std::sync::Arc<dyn trent_core::store::Store> =
            match crate::server::StoreLocation::parse(store)? {
                crate::server::StoreLocation::Sqlite => std::sync::Arc::new(
                    trent_store::SqliteStore::open(&dir.join("trent.db"))
                        .map_err(|e| format!("cannot open the store in {}: {e}", dir.display()))?,
                ),
                crate::server::StoreLocation::Postgres { url, options } => std::sync::Arc::new(
                    trent_store::PostgresStore::connect(&url, &options)
                        .await
                        .map_err(|e| format!("cannot open the PostgreSQL store: {e}"))?,
                ),
            };
        Ok(opened)
    }
    match command {
        AuditCommand::Verify { data_dir, store } => {
            let store = match open(&data_dir, &store).await {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("trent audit: {e}");
                    return ExitCode::from(2);
                }
            };
            match crate::audit::verify(store.as_ref()).await {
                Ok(crate::audit::Verdict::Intact { events, digests }) => {
                    println!("intact: {events} events, {digests} signed digests");
                    ExitCode::SUCCESS
                }
                Ok(crate::audit::Verdict::Broken { at, problem }) => {
                    println!("TAMPERED at event {at}: {problem}");
                    ExitCode::FAILURE
                }
                Err(e) => {
                    eprintln!("trent audit: {e}");
                    ExitCode::from(2)
                }
            }
        }
        AuditCommand::Search {
            data_dir,
            store,
            key,
            principal,
            event_name,
            since,
            until,
            errors,
            limit,
        } => {
            let store = match open(&data_dir, &store).await {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("trent audit: {e}");
                    return ExitCode::from(2);
                }
            };
            let time = |t: Option<String>| match t {
                None => Ok(None),
                Some(text) => parse_time(&text)
                    .map(Some)
                    .ok_or_else(|| format!("cannot read the time '{text}'")),
            };
            let (since, until) = match (time(since), time(until)) {
                (Ok(s), Ok(u)) => (s, u),
                (Err(e), _) | (_, Err(e)) => {
                    eprintln!("trent audit: {e}");
                    return ExitCode::from(2);
                }
            };
            let filter = crate::audit::Filter {
                key,
                principal,
                event_name,
                since,
                until,
                errors_only: errors,
                ..Default::default()
            };
            let filter = crate::audit::Filter {
                needle: filter.principal.as_deref().map(crate::audit::json_text),
                ..filter
            };
            if limit == 0 {
                return ExitCode::SUCCESS;
            }
            // Streams: each event is printed as its page is read.
            let mut printed = 0;
            let mut out = std::io::stdout().lock();
            let walked = crate::audit::walk(
                store.as_ref(),
                &filter,
                trent_core::model::AuditCursor::After(0),
                usize::MAX,
                |_, event| {
                    printed += 1;
                    writeln!(out, "{event}").is_ok() && printed < limit
                },
            )
            .await;
            match walked {
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("trent audit: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

async fn backup(data_dir: &std::path::Path, to: &std::path::Path) -> ExitCode {
    match crate::backup::backup(data_dir, to).await {
        Ok(()) => {
            println!("wrote {}", to.display());
            let sealed = data_dir.join("root.key.enc");
            let key = if sealed.exists() {
                sealed
            } else {
                data_dir.join("root.key")
            };
            println!(
                "keep {} apart from it: the snapshot cannot be opened without that root key, and the key cannot be recovered from it",
                key.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("trent backup: {e}");
            ExitCode::FAILURE
        }
    }
}

fn restore(data_dir: &std::path::Path, from: &std::path::Path) -> ExitCode {
    match crate::backup::restore(data_dir, from) {
        Ok(()) => {
            println!("restored {} into {}", from.display(), data_dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("trent restore: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The signed-call template from the AWS environment.
fn signer(server: EndpointArgs) -> Result<crate::admin_client::AdminCall, String> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let (Some(access_key_id), Some(secret)) =
        (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"))
    else {
        return Err("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".to_owned());
    };
    Ok(crate::admin_client::AdminCall {
        endpoint: server.endpoint,
        access_key_id,
        secret: zeroize::Zeroizing::new(secret),
        session_token: env("AWS_SESSION_TOKEN"),
        region: server.region,
        action: String::new(),
        input: serde_json::Value::Null,
    })
}

async fn encrypt(args: EncryptArgs) -> ExitCode {
    use crate::envelope_cli::{EncryptRequest, Place, context};
    let run = async {
        let call = signer(args.server)?;
        let suite = trent_esdk::Suite::from_name(&args.algorithm).ok_or_else(|| {
            format!(
                "--algorithm takes AES_256_GCM_HKDF_SHA512_COMMIT_KEY or AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384, not {}",
                args.algorithm
            )
        })?;
        let request = EncryptRequest {
            keys: args.keys,
            context: context(&args.context)?,
            suite,
            frame_length: args.frame_length,
            input: Place::parse(&args.input),
            output: Place::parse(&args.output),
        };
        crate::envelope_cli::encrypt(call, request).await
    };
    match run.await {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trent encrypt: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn decrypt(args: DecryptArgs) -> ExitCode {
    use crate::envelope_cli::{DecryptRequest, Place, context};
    use crate::esdk_keyring::Discovery;
    let run = async {
        let call = signer(args.server)?;
        let discovery = if args.discovery {
            Discovery::Any
        } else if args.keys.is_empty() {
            return Err(
                "name the KMS key ARNs that may decrypt (--key ARN), or --discovery".to_owned(),
            );
        } else {
            Discovery::Only(args.keys)
        };
        let request = DecryptRequest {
            discovery,
            context: context(&args.context)?,
            require_signed: args.require_signed,
            input: Place::parse(&args.input),
            output: Place::parse(&args.output),
        };
        crate::envelope_cli::decrypt(call, request).await
    };
    match run.await {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trent decrypt: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn admin(args: AdminArgs) -> ExitCode {
    let input = match crate::admin_client::input(args.input.as_deref(), &args.members) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("trent admin: {e}");
            return ExitCode::from(2);
        }
    };
    let call = match signer(args.server) {
        Ok(signer) => crate::admin_client::AdminCall {
            action: crate::admin_client::action_name(&args.action),
            input,
            ..signer
        },
        Err(e) => {
            eprintln!("trent admin: {e}");
            return ExitCode::from(2);
        }
    };
    match crate::admin_client::call(&call).await {
        Ok(value) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("trent admin: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(mut args: ServeArgs) -> ExitCode {
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
    if ephemeral.is_some() {
        options.durability = trent_store::Durability::Off;
    }
    if let Some(source) = &args.root_key_passphrase {
        let new = !args.data_dir.join("root.key.enc").exists();
        match crate::root_key::read_passphrase(source, new) {
            Ok(p) => options.passphrase = Some(p),
            Err(e) => {
                eprintln!("trent: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    options.store = match crate::server::StoreLocation::parse(&args.store) {
        Ok(crate::server::StoreLocation::Postgres { url, .. }) => {
            crate::server::StoreLocation::Postgres {
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
    options.maintenance_interval = std::time::Duration::from_secs(args.maintenance_seconds.max(1));
    options.config = args.config;
    options.seed = args.seed;
    options.dev = args.dev;
    options.aws_quotas = args.aws_quotas;
    options.require_signed_target = args.require_signed_target;
    options.limits.h2c = args.h2c;
    options.metrics_listen = args.metrics_listen;
    options.tls = match (args.tls_cert, args.tls_key, args.tls_self_signed) {
        (Some(cert), Some(key), _) => Some(crate::tls::TlsSource::Files { cert, key }),
        (_, _, true) => Some(crate::tls::TlsSource::SelfSigned),
        _ => None,
    };
    let mut server = match crate::server::start(options).await {
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
    let stop = shutdown_signal();
    tokio::pin!(stop);
    tokio::select! {
        () = &mut stop => {
            tracing::info!("shutting down: finishing in-flight requests");
            server.trigger_shutdown();
            let code = match server.wait().await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => { eprintln!("trent: {e}"); ExitCode::FAILURE }
            };
            if let Some(dir) = ephemeral {
                let path = dir.path().display().to_string();
                match dir.close() {
                    Ok(()) => tracing::info!(data_dir = %path, "removed the ephemeral data directory"),
                    Err(e) => tracing::warn!(data_dir = %path, error = %e, "cannot remove the ephemeral data directory"),
                }
            }
            code
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn audit_times_read_as_milliseconds() {
        let cases = [
            ("1764979200", Some(1_764_979_200_000)),
            ("2025-12-06T00:00:00Z", Some(1_764_979_200_000)),
            ("2025-12-06T02:00:00+02:00", Some(1_764_979_200_000)),
            ("2025-12-05T19:00:00-05:00", Some(1_764_979_200_000)),
            ("2025-12-06T00:00:00.250Z", Some(1_764_979_200_250)),
            ("2025-12-06", Some(1_764_979_200_000)),
            ("2025-12-06T00:00:00", None),
            ("2025-12-06 00:00:00", None),
            ("yesterday", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_time(text), expected, "{text}");
        }
    }
}
