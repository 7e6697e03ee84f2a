//! Envelope encryption against the real AWS Encryption SDK CLI (`aws-encryption-sdk-cli` from
//! PyPI, which `scripts/test` installs), pointed at Trent as its KMS: messages it makes, Trent
//! decrypts, and the reverse, for both committing suites and with two KMS keys. Failure modes:
//! a disabled or denied key, a key not allowed in strict mode, a tampered, truncated or
//! reordered message, a wrong context, a demanded signature; none leaves a plaintext file
//! behind. And the data key cache, counted in the audit trail.

use std::path::{Path, PathBuf};
use std::process::Command;

use trent_esdk::Suite;
use trent_server::cli::admin_client::AdminCall;
use trent_server::cli::envelope::{DecryptRequest, EncryptRequest, Place};
use trent_server::cli::esdk_keyring::Discovery;

use crate::builders::{create_user, created};
use crate::harness::Harness;

const SUITES: [Suite; 2] = [Suite::Committing, Suite::CommittingSigned];

/// The CLI, or `None` (with a note) where it is not installed outside CI.
fn cli() -> Option<PathBuf> {
    let path = std::env::var_os("TRENT_ESDK_CLI")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../target/tools/esdk/bin/aws-encryption-cli")
        });
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "aws-encryption-cli is missing at {}: scripts/test installs it",
        path.display()
    );
    eprintln!("skipped: aws-encryption-cli is not installed (scripts/test installs it)");
    None
}

fn signer(h: &Harness) -> AdminCall {
    AdminCall {
        endpoint: h.server.endpoint(),
        access_key_id: h.access_key_id.clone(),
        secret: zeroize::Zeroizing::new(h.secret.clone()),
        session_token: None,
        region: "us-east-1".to_owned(),
        action: String::new(),
        input: serde_json::Value::Null,
    }
}

/// Runs the ESDK CLI against Trent; its success and its stderr.
fn run_cli(cli: &Path, h: &Harness, args: &[&str]) -> (bool, String) {
    let out = Command::new(cli)
        .args(args)
        .args([
            "--commitment-policy",
            "require-encrypt-require-decrypt",
            "--suppress-metadata",
        ])
        .env("AWS_ACCESS_KEY_ID", &h.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &h.secret)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL_KMS", h.server.endpoint())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn arn(h: &Harness) -> String {
    created(h.client().create_key()).await.arn.unwrap()
}

fn plaintext() -> Vec<u8> {
    // Three frames of the SDK's default 4096 bytes, the last one short.
    (0..10_000u32)
        .map(|i| u8::try_from(i % 251).unwrap())
        .collect()
}

/// Encrypts `input` with Trent under `keys`, with the context `purpose=interop`.
async fn trent_encrypt(
    h: &Harness,
    keys: Vec<String>,
    suite: Suite,
    frame_length: u32,
    input: &Path,
    output: &Path,
) {
    trent_server::cli::envelope::encrypt(
        signer(h),
        EncryptRequest {
            keys,
            context: [("purpose".to_owned(), "interop".to_owned())].into(),
            suite,
            frame_length,
            input: Place::File(input.to_owned()),
            output: Place::File(output.to_owned()),
        },
    )
    .await
    .unwrap();
}

async fn trent_decrypt(
    h: &Harness,
    allowed: Discovery,
    input: &Path,
    output: &Path,
    require_signed: bool,
) -> Result<Suite, String> {
    trent_server::cli::envelope::decrypt(
        signer(h),
        DecryptRequest {
            discovery: allowed,
            context: [("purpose".to_owned(), "interop".to_owned())].into(),
            require_signed,
            input: Place::File(input.to_owned()),
            output: Place::File(output.to_owned()),
        },
    )
    .await
    .map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_travel_both_ways_with_the_aws_encryption_sdk_cli() {
    let Some(cli) = cli() else { return };
    let h = Harness::start().await;
    let (k1, k2) = (arn(&h).await, arn(&h).await);
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.bin");
    std::fs::write(&plain, plaintext()).unwrap();
    for suite in SUITES {
        // The SDK encrypts under both keys; Trent decrypts with the second one only.
        let sealed = dir.path().join(format!("{}.sdk", suite.name()));
        let (ok, err) = run_cli(
            &cli,
            &h,
            &[
                "--encrypt",
                "--input",
                plain.to_str().unwrap(),
                "--output",
                sealed.to_str().unwrap(),
                "--wrapping-keys",
                &format!("key={k1}"),
                &format!("key={k2}"),
                "--encryption-context",
                "purpose=interop",
                "--algorithm",
                suite.name(),
            ],
        );
        assert!(ok, "the SDK encrypts with {}: {err}", suite.name());
        let back = dir.path().join(format!("{}.sdk.out", suite.name()));
        let read = trent_decrypt(&h, Discovery::Only(vec![k2.clone()]), &sealed, &back, false)
            .await
            .unwrap();
        assert_eq!(read, suite);
        assert_eq!(
            std::fs::read(&back).unwrap(),
            plaintext(),
            "{}",
            suite.name()
        );

        // Trent encrypts under both keys; the SDK decrypts with the first one only.
        let ours = dir.path().join(format!("{}.trent", suite.name()));
        trent_encrypt(&h, vec![k2.clone(), k1.clone()], suite, 4096, &plain, &ours).await;
        let out = dir.path().join(format!("{}.trent.out", suite.name()));
        let (ok, err) = run_cli(
            &cli,
            &h,
            &[
                "--decrypt",
                "--input",
                ours.to_str().unwrap(),
                "--output",
                out.to_str().unwrap(),
                "--wrapping-keys",
                &format!("key={k1}"),
            ],
        );
        assert!(ok, "the SDK decrypts Trent's {}: {err}", suite.name());
        assert_eq!(std::fs::read(&out).unwrap(), plaintext());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_clear_and_leave_no_plaintext_behind() {
    let h = Harness::start().await;
    let (k1, k2) = (arn(&h).await, arn(&h).await);
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.bin");
    std::fs::write(&plain, plaintext()).unwrap();
    let sealed = dir.path().join("m.trent");
    trent_encrypt(
        &h,
        vec![k1.clone()],
        Suite::CommittingSigned,
        1024,
        &plain,
        &sealed,
    )
    .await;
    let message = std::fs::read(&sealed).unwrap();
    let out = dir.path().join("out.bin");
    let leftovers = || {
        std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".out.bin") || n == "out.bin")
            .collect::<Vec<_>>()
    };
    let attempt = |bytes: Vec<u8>, allowed: Discovery, signed: bool| {
        let (h, dir, out) = (&h, dir.path().to_owned(), out.clone());
        async move {
            let input = dir.join("attempt");
            std::fs::write(&input, bytes).unwrap();
            trent_decrypt(h, allowed, &input, &out, signed).await
        }
    };
    // Truncated after the second frame: the first frames decrypted, yet no file is left.
    let err = attempt(message[..message.len() / 2].to_vec(), Discovery::Any, false)
        .await
        .unwrap_err();
    assert!(err.contains("truncated"), "{err}");
    assert!(leftovers().is_empty(), "{:?}", leftovers());
    // Tampered in the last frame.
    let mut tampered = message.clone();
    let at = tampered.len() - 120;
    tampered[at] ^= 1;
    let err = attempt(tampered, Discovery::Any, false).await.unwrap_err();
    assert!(err.contains("altered"), "{err}");
    assert!(leftovers().is_empty());
    // Two frames swapped.
    let (_, body, _) = trent_esdk::Header::read(&mut &message[..]).unwrap();
    let start = body.len() + 16;
    let frame = 4 + 12 + 1024 + 16;
    let mut reordered = message.clone();
    reordered[start..start + 2 * frame].rotate_left(frame);
    let err = attempt(reordered, Discovery::Any, false).await.unwrap_err();
    assert!(err.contains("frame order"), "{err}");
    assert!(leftovers().is_empty());
    // A caller the key's policy does not allow: KMS's AccessDeniedException, named.
    let (mallory_id, mallory_secret) = create_user(&h, h.who(), "mallory").await;
    let mut mallory = signer(&h);
    mallory.access_key_id = mallory_id;
    mallory.secret = zeroize::Zeroizing::new(mallory_secret);
    let err = trent_server::cli::envelope::decrypt(
        mallory,
        DecryptRequest {
            discovery: Discovery::Any,
            context: trent_esdk::EncryptionContext::new(),
            require_signed: false,
            input: Place::File(sealed.clone()),
            output: Place::File(out.clone()),
        },
    )
    .await
    .unwrap_err();
    assert!(err.message().contains("AccessDeniedException"), "{err}");
    assert!(leftovers().is_empty());
    // Strict mode with a key the message is not under.
    let err = attempt(message.clone(), Discovery::Only(vec![k2.clone()]), false)
        .await
        .unwrap_err();
    assert!(err.contains("allowed KMS key"), "{err}");
    // A disabled key: KMS's own error, named.
    h.client().disable_key().key_id(&k1).send().await.unwrap();
    let err = attempt(message.clone(), Discovery::Any, false)
        .await
        .unwrap_err();
    assert!(err.contains("DisabledException"), "{err}");
    assert!(leftovers().is_empty());
    h.client().enable_key().key_id(&k1).send().await.unwrap();
    // A wrong required encryption context.
    let err = trent_server::cli::envelope::decrypt(
        signer(&h),
        DecryptRequest {
            discovery: Discovery::Any,
            context: [("purpose".to_owned(), "other".to_owned())].into(),
            require_signed: false,
            input: Place::File(sealed.clone()),
            output: Place::File(out.clone()),
        },
    )
    .await
    .unwrap_err();
    assert!(err.message().contains("purpose=other"), "{err}");
    // An unsigned message where a signed one is demanded.
    let unsigned = dir.path().join("u.trent");
    trent_encrypt(
        &h,
        vec![k1.clone()],
        Suite::Committing,
        4096,
        &plain,
        &unsigned,
    )
    .await;
    let err = trent_decrypt(&h, Discovery::Any, &unsigned, &out, true)
        .await
        .unwrap_err();
    assert!(err.contains("a signed suite was demanded"), "{err}");
    assert!(leftovers().is_empty());
    // And the intact message decrypts.
    trent_decrypt(&h, Discovery::Any, &sealed, &out, true)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), plaintext());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_key_cache_saves_generate_data_key_calls() {
    use trent_esdk::{CacheLimits, CachingManager, Encryptor};
    let h = Harness::start().await;
    let key = arn(&h).await;
    let (call, runtime) = (signer(&h), tokio::runtime::Handle::current());
    let messages = tokio::task::spawn_blocking(move || {
        let keyring = trent_server::cli::esdk_keyring::KmsKeyring {
            call,
            keys: vec![key],
            discovery: Discovery::Any,
            runtime,
        };
        let limits = CacheLimits {
            max_messages: 10,
            ..CacheLimits::default()
        };
        let mut cache = CachingManager::new(keyring, limits);
        let mut messages = Vec::new();
        for i in 0..25u32 {
            let plain = format!("message {i}");
            let mut e = Encryptor::new(
                Suite::CommittingSigned,
                [("app".to_owned(), "cache".to_owned())].into(),
            );
            e.plaintext_len = Some(u64::try_from(plain.len()).unwrap());
            let mut out = Vec::new();
            e.encrypt(&mut cache, &mut plain.as_bytes(), &mut out)
                .unwrap();
            messages.push((plain, out));
        }
        // They decrypt, with one Decrypt call per data key.
        for (plain, m) in &messages {
            let mut out = Vec::new();
            trent_esdk::Decryptor::default()
                .decrypt(&mut cache, &mut &m[..], &mut out)
                .unwrap();
            assert_eq!(out, plain.as_bytes());
        }
        messages.len()
    })
    .await
    .unwrap();
    assert_eq!(messages, 25);
    // The audit trail counts the calls: 25 messages, 10 per data key.
    let store = trent_store::SqliteStore::open(&h.data_dir().join("trent.db")).unwrap();
    let count = |name: &str| {
        let filter = trent_server::audit::Filter {
            event_name: Some(name.to_owned()),
            ..Default::default()
        };
        let store = &store;
        async move {
            trent_server::audit::search(store, &filter, usize::MAX)
                .await
                .unwrap()
                .len()
        }
    };
    assert_eq!(count("GenerateDataKey").await, 3);
    assert_eq!(count("Decrypt").await, 3);
}
