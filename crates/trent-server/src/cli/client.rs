//! The commands that call a running server, signing as the AWS environment says:
//! `trent admin`, `trent root-key`, `trent encrypt` and `trent decrypt`.

use crate::failure::Failure;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

#[derive(Debug, clap::Args)]
pub(super) struct EncryptArgs {
    #[command(flatten)]
    pub(super) server: EndpointArgs,
    /// A KMS key (id, ARN or alias) to encrypt under; the first generates the data key, each
    /// further one can decrypt the message too.
    #[arg(long = "key", required = true)]
    pub(super) keys: Vec<String>,
    /// An encryption context pair, `key=value` (repeatable).
    #[arg(long = "context")]
    pub(super) context: Vec<String>,
    /// The algorithm suite: AES_256_GCM_HKDF_SHA512_COMMIT_KEY, or
    /// AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384 to sign the message too.
    #[arg(long, default_value = "AES_256_GCM_HKDF_SHA512_COMMIT_KEY")]
    pub(super) algorithm: String,
    /// Plaintext bytes per frame.
    #[arg(long, default_value_t = 4096)]
    pub(super) frame_length: u32,
    /// The file to encrypt, or `-` for stdin.
    #[arg(long, short)]
    pub(super) input: String,
    /// The message file to write, or `-` for stdout.
    #[arg(long, short)]
    pub(super) output: String,
}

#[derive(Debug, clap::Args)]
pub(super) struct DecryptArgs {
    #[command(flatten)]
    pub(super) server: EndpointArgs,
    /// A KMS key ARN that may decrypt (strict mode, repeatable); without any, --discovery.
    #[arg(long = "key")]
    pub(super) keys: Vec<String>,
    /// Use any KMS key the caller may use.
    #[arg(long, conflicts_with = "keys")]
    pub(super) discovery: bool,
    /// A `key=value` pair the message's encryption context must hold (repeatable).
    #[arg(long = "context")]
    pub(super) context: Vec<String>,
    /// Refuse messages that are not signed.
    #[arg(long)]
    pub(super) require_signed: bool,
    /// The message to decrypt, or `-` for stdin.
    #[arg(long, short)]
    pub(super) input: String,
    /// The plaintext file to write, or `-` for stdout.
    #[arg(long, short)]
    pub(super) output: String,
}

#[derive(Debug, Subcommand)]
pub(super) enum RootKeyCommand {
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

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Actions: CreateAccount ListAccounts CreateUser DeleteUser ListUsers GetUser TagUser UntagUser PutUserPolicy DeleteUserPolicy CreateRole DeleteRole ListRoles GetRole TagRole UntagRole PutRolePolicy DeleteRolePolicy UpdateAssumeRolePolicy CreateAccessKey ListAccessKeys UpdateAccessKey DeleteAccessKey\n\nExample: trent admin create-user UserName=alice 'Tags=[{\"Key\":\"team\",\"Value\":\"blue\"}]'"
)]
pub(super) struct AdminArgs {
    #[command(flatten)]
    pub(super) server: EndpointArgs,
    /// The input as a JSON object.
    #[arg(long)]
    pub(super) input: Option<String>,
    /// The action, as `create-user` or `CreateUser`.
    pub(super) action: String,
    /// Input members as `Name=Value` (a JSON value, or else a string).
    pub(super) members: Vec<String>,
}

/// The running server a client command talks to.
#[derive(Debug, clap::Args)]
pub(super) struct EndpointArgs {
    /// The Trent endpoint.
    #[arg(
        long,
        env = "AWS_ENDPOINT_URL_KMS",
        default_value = "http://127.0.0.1:4599"
    )]
    pub(super) endpoint: String,
    /// The region to sign for.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    pub(super) region: String,
}

/// The signed-call template from the AWS environment.
fn signer(server: EndpointArgs) -> Result<crate::cli::admin_client::AdminCall, Failure> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let (Some(access_key_id), Some(secret)) =
        (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"))
    else {
        return Err(Failure::Config(
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".to_owned(),
        ));
    };
    Ok(crate::cli::admin_client::AdminCall {
        endpoint: server.endpoint,
        access_key_id,
        secret: zeroize::Zeroizing::new(secret),
        session_token: env("AWS_SESSION_TOKEN"),
        region: server.region,
        action: String::new(),
        input: serde_json::Value::Null,
    })
}

pub(super) async fn encrypt(args: EncryptArgs) -> ExitCode {
    use crate::cli::envelope::{EncryptRequest, Place, context};
    let run = async {
        let call = signer(args.server)?;
        let suite = trent_esdk::Suite::from_name(&args.algorithm).ok_or_else(|| {
            Failure::Config(format!(
                "--algorithm takes AES_256_GCM_HKDF_SHA512_COMMIT_KEY or AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384, not {}",
                args.algorithm
            ))
        })?;
        let request = EncryptRequest {
            keys: args.keys,
            context: context(&args.context)?,
            suite,
            frame_length: args.frame_length,
            input: Place::parse(&args.input),
            output: Place::parse(&args.output),
        };
        crate::cli::envelope::encrypt(call, request).await
    };
    match run.await {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trent encrypt: {e}");
            ExitCode::FAILURE
        }
    }
}

pub(super) async fn decrypt(args: DecryptArgs) -> ExitCode {
    use crate::cli::envelope::{DecryptRequest, Place, context};
    use crate::cli::esdk_keyring::Discovery;
    let run = async {
        let call = signer(args.server)?;
        let discovery = if args.discovery {
            Discovery::Any
        } else if args.keys.is_empty() {
            return Err(Failure::Config(
                "name the KMS key ARNs that may decrypt (--key ARN), or --discovery".to_owned(),
            ));
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
        crate::cli::envelope::decrypt(call, request).await
    };
    match run.await {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trent decrypt: {e}");
            ExitCode::FAILURE
        }
    }
}

pub(super) async fn admin(args: AdminArgs) -> ExitCode {
    let input = match crate::cli::admin_client::input(args.input.as_deref(), &args.members) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("trent admin: {e}");
            return ExitCode::from(2);
        }
    };
    let call = match signer(args.server) {
        Ok(signer) => crate::cli::admin_client::AdminCall {
            action: crate::cli::admin_client::action_name(&args.action),
            input,
            ..signer
        },
        Err(e) => {
            eprintln!("trent admin: {e}");
            return ExitCode::from(2);
        }
    };
    match crate::cli::admin_client::call(&call).await {
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
