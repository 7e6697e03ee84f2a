//! The command line: parsing `trent <command>` and running it. Each family of commands has
//! its file: `serve.rs` (the server), `audit.rs` (`trent audit`), `backup.rs`
//! (`trent backup`/`restore`), `client.rs` (commands that call a running server: `trent admin`,
//! `trent root-key rotate`, `trent encrypt`/`decrypt`), with the signing client they share
//! (`admin_client.rs`), the Encryption SDK keyring (`esdk_keyring.rs`) and the files and streams
//! of `trent encrypt`/`decrypt` (`envelope.rs`).

pub mod admin_client;
mod audit;
mod backup;
mod client;
pub mod envelope;
pub mod esdk_keyring;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use client::{AdminArgs, DecryptArgs, EncryptArgs, RootKeyCommand};
use serve::{LogFormat, ServeArgs};

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
    Serve(Box<ServeArgs>),
    /// Manage accounts, IAM users and roles, their policies and access keys on a running
    /// server. Signs with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN).
    Admin(AdminArgs),
    /// Read and check the audit trail of a data directory (the server may be running).
    #[command(subcommand)]
    Audit(audit::AuditCommand),
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
        Command::Serve(args) => runtime.block_on(serve::serve(*args)),
        Command::Admin(args) => runtime.block_on(client::admin(args)),
        Command::Audit(command) => runtime.block_on(audit::audit(command)),
        Command::Backup { data_dir, to } => runtime.block_on(backup::backup(&data_dir, &to)),
        Command::Restore { data_dir, from } => backup::restore(&data_dir, &from),
        Command::Encrypt(args) => runtime.block_on(client::encrypt(args)),
        Command::Decrypt(args) => runtime.block_on(client::decrypt(args)),
        Command::RootKey(RootKeyCommand::Passphrase { data_dir, old, new }) => {
            match crate::run::root_key::set_passphrase(&data_dir, old.as_deref(), &new) {
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
        Command::RootKey(RootKeyCommand::Rotate { server }) => {
            runtime.block_on(client::admin(AdminArgs {
                server,
                input: None,
                action: "RotateRootKey".to_owned(),
                members: Vec::new(),
            }))
        }
    }
}
