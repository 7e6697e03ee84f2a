//! `trent serve` with its root key in a PKCS#11 token (SoftHSM2, which `scripts/test`
//! installs): a wrong PIN refuses the start, keys survive restarts, and `trent root-key rotate`
//! replaces the token's key object, with nothing of the root key in the data directory.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::binary::{Trent, decrypt, new_key_and_blob};

const PIN: &str = "5678";

/// SoftHSM2's module: `TRENT_TEST_PKCS11_MODULE`, or where Debian puts it.
pub(crate) fn module() -> PathBuf {
    std::env::var_os("TRENT_TEST_PKCS11_MODULE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/softhsm/libsofthsm2.so"))
}

/// A SoftHSM2 configuration whose tokens live in `dir/tokens`, with a token of each label in
/// `labels`, all with the user PIN `pin`.
pub(crate) fn softhsm_tokens(dir: &Path, labels: &[&str], pin: &str) -> PathBuf {
    let tokens = dir.join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    for label in labels {
        let out = Command::new("softhsm2-util")
            .env("SOFTHSM2_CONF", &conf)
            .args(["--init-token", "--free", "--label", label])
            .args(["--so-pin", "12345678", "--pin", pin])
            .output()
            .expect("softhsm2-util (scripts/test installs softhsm2)");
        assert!(out.status.success(), "{out:?}");
    }
    conf
}

/// A SoftHSM2 configuration in `dir` with one token, `label`.
fn token(dir: &Path, label: &str) -> PathBuf {
    softhsm_tokens(dir, &[label], PIN)
}

fn serve_args(module: &Path) -> Vec<String> {
    vec![
        "--root-key-pkcs11".to_owned(),
        module.display().to_string(),
        "--root-key-token".to_owned(),
        "trent-hsm".to_owned(),
        "--root-key-pin".to_owned(),
        "env:TRENT_TEST_PIN".to_owned(),
    ]
}

#[tokio::test]
async fn the_root_key_in_a_pkcs11_token_seals_restarts_and_rotates() {
    let tmp = tempfile::tempdir().unwrap();
    let conf = token(tmp.path(), "trent-hsm");
    let conf = conf.display().to_string();
    let data = tmp.path().join("data");
    let module = module();
    let args = serve_args(&module);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    // A wrong PIN refuses the start, saying so.
    let refused = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .args(&args)
        .env("SOFTHSM2_CONF", &conf)
        .env("TRENT_TEST_PIN", "0000")
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("PIN of PKCS#11 token 'trent-hsm'"), "{said}");

    let env = [("SOFTHSM2_CONF", conf.as_str()), ("TRENT_TEST_PIN", PIN)];
    let first = Trent::start_with_env(&data, &args, &env);
    let blob = new_key_and_blob(&first.client(), "sealed in the token").await;
    let (status, log) = first.stop();
    assert!(status.success(), "{log}");
    assert!(
        log.contains("created a new root key in the PKCS#11 token"),
        "{log}"
    );
    assert!(!data.join("root.key").exists() && !data.join("root.key.enc").exists());

    // A restart opens the same key object; a rotation replaces it.
    let second = Trent::start_with_env(&data, &args, &env);
    assert_eq!(
        decrypt(&second.client(), blob.clone()).await,
        b"sealed in the token"
    );
    let rotate = second.rotate_root_key();
    let out = String::from_utf8_lossy(&rotate.stdout);
    assert!(rotate.status.success(), "{out}");
    assert!(out.contains("\"Retired\": 1"), "{out}");
    assert!(out.contains("trent-root#2"), "{out}");
    let (status, log) = second.stop();
    assert!(status.success(), "{log}");

    // One key object is left, the new one: sensitive and never extractable.
    let listed = Command::new("pkcs11-tool")
        .env("SOFTHSM2_CONF", &conf)
        .arg("--module")
        .arg(&module)
        .args(["--token-label", "trent-hsm", "--login", "--pin", PIN])
        .args(["--list-objects", "--type", "secrkey"])
        .output()
        .expect("pkcs11-tool (scripts/test installs opensc)");
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert_eq!(
        listed.matches("label:      trent-root").count(),
        1,
        "{listed}"
    );
    assert!(listed.contains("ID:         00000002"), "{listed}");
    assert!(listed.contains("never extractable"), "{listed}");

    let third = Trent::start_with_env(&data, &args, &env);
    let kms = third.client();
    assert_eq!(
        decrypt(&kms, blob.clone()).await,
        b"sealed in the token",
        "after the rotation"
    );
    let endpoint = third.var("AWS_ENDPOINT_URL_KMS");
    assert_eq!(status_of(&endpoint, "/ready"), 200);

    // The token goes away: /ready says so and what needs the root key fails, while a warm
    // key (its material unsealed already) keeps serving without a call to the token.
    let tokens = tmp.path().join("tokens");
    let away = tmp.path().join("tokens-away");
    std::fs::rename(&tokens, &away).unwrap();
    assert_eq!(status_of(&endpoint, "/ready"), 503);
    assert_eq!(
        decrypt(&kms, blob.clone()).await,
        b"sealed in the token",
        "a warm key needs no token"
    );
    let cold = kms.create_key().send().await.unwrap_err();
    assert_eq!(
        cold.into_service_error().meta().code(),
        Some("KMSInternalException")
    );

    // It comes back, and Trent with it, by itself.
    std::fs::rename(&away, &tokens).unwrap();
    assert_eq!(status_of(&endpoint, "/ready"), 200);
    let made = kms.create_key().send().await.unwrap();
    assert!(made.key_metadata().is_some());
    let (status, _) = third.stop();
    assert!(status.success());
}

/// The HTTP status of a GET of `path` on `endpoint` (`http://127.0.0.1:PORT`).
fn status_of(endpoint: &str, path: &str) -> u16 {
    use std::io::{Read as _, Write as _};
    let addr = endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer}"))
}

/// A data directory whose root key is a file is refused a token before the token is touched.
#[tokio::test]
async fn a_file_keyed_directory_is_refused_before_the_token_is_touched() {
    let tmp = tempfile::tempdir().unwrap();
    let conf = token(tmp.path(), "trent-hsm").display().to_string();
    let data = tmp.path().join("data");
    let file_keyed = Trent::start(&data, &[]);
    // A call first: the server is serving (its signal handler in place) when it is stopped.
    new_key_and_blob(&file_keyed.client(), "under a file key").await;
    let (status, log) = file_keyed.stop();
    assert!(status.success(), "{log}");
    let module = module();
    let refused = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .args(serve_args(&module))
        .env("SOFTHSM2_CONF", &conf)
        .env("TRENT_TEST_PIN", PIN)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("is a file (root.key)"), "{said}");
    let listed = Command::new("pkcs11-tool")
        .env("SOFTHSM2_CONF", &conf)
        .arg("--module")
        .arg(&module)
        .args(["--token-label", "trent-hsm", "--login", "--pin", PIN])
        .args(["--list-objects", "--type", "secrkey"])
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&listed.stdout).contains("trent-root"),
        "no object was made"
    );
}
