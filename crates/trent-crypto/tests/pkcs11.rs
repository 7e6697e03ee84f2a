//! The PKCS#11 root key against SoftHSM2 (`scripts/test` installs it): seal and unseal inside
//! a throwaway token, reopening, rotation, the key objects' attributes as `pkcs11-tool` reads
//! them, and the start-up refusals.
//!
//! One test runs every step in order, in a child process of this test binary whose
//! `SOFTHSM2_CONF` names a throwaway token directory: a PKCS#11 module is initialized once per
//! process, and SoftHSM2 reads its configuration and tokens when it is.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{init_token, module, softhsm};
use trent_core::backend::{BackendError, RootKeyProvider};
use trent_crypto::pkcs11::{Pkcs11Error, Pkcs11Options, Pkcs11RootKey, TokenSelector};
use zeroize::Zeroizing;

const PIN: &str = "5678";

fn options(label: &str, pin: &str) -> Pkcs11Options {
    Pkcs11Options {
        module: module(),
        token: TokenSelector::Label(label.to_owned()),
        key_label: "trent-root".to_owned(),
        pin: Zeroizing::new(pin.to_owned()),
    }
}

/// The root key's objects as `pkcs11-tool` lists them.
fn listed(conf: &Path, label: &str) -> String {
    let out = Command::new("pkcs11-tool")
        .env("SOFTHSM2_CONF", conf)
        .arg("--module")
        .arg(module())
        .args([
            "--token-label",
            label,
            "--login",
            "--pin",
            PIN,
            "--list-objects",
        ])
        .args(["--type", "secrkey"])
        .output()
        .expect("pkcs11-tool (scripts/test installs opensc)");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_root_key_lives_in_the_token() {
    assert!(
        module().exists(),
        "SoftHSM2's module is missing at {}: install softhsm2 (scripts/test does)",
        module().display()
    );
    let dir = tempfile::tempdir().unwrap();
    let conf = softhsm(dir.path());
    init_token(&conf, "trent-a", PIN);
    let out = Command::new(std::env::current_exe().unwrap())
        .env("SOFTHSM2_CONF", &conf)
        .env("TRENT_TEST_SCRATCH", dir.path())
        .args(["--exact", "in_a_softhsm_token", "--ignored", "--nocapture"])
        .output()
        .unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The steps, in the child process `the_root_key_lives_in_the_token` starts.
#[test]
#[ignore = "run by the_root_key_lives_in_the_token, with SOFTHSM2_CONF set"]
fn in_a_softhsm_token() {
    let conf = PathBuf::from(std::env::var_os("SOFTHSM2_CONF").expect("SOFTHSM2_CONF"));
    let dir = PathBuf::from(std::env::var_os("TRENT_TEST_SCRATCH").expect("TRENT_TEST_SCRATCH"));

    // A wrong PIN, an unknown token and a missing module each refuse, saying which.
    match Pkcs11RootKey::open_or_create(&options("trent-a", "0000")) {
        Err(Pkcs11Error::Login { token, .. }) => assert_eq!(token, "'trent-a'"),
        other => panic!("wrong PIN: {other:?}"),
    }
    match Pkcs11RootKey::open_or_create(&options("no-such-token", PIN)) {
        Err(Pkcs11Error::NoToken { token, .. }) => assert_eq!(token, "'no-such-token'"),
        other => panic!("unknown token: {other:?}"),
    }
    let mut missing = options("trent-a", PIN);
    missing.module = dir.join("libmissing.so");
    assert!(matches!(
        Pkcs11RootKey::open_or_create(&missing),
        Err(Pkcs11Error::Module { .. })
    ));

    // First start: the key is made inside the token; values seal and unseal there.
    let (root, created) = Pkcs11RootKey::open_or_create(&options("trent-a", PIN)).unwrap();
    assert!(created);
    let sealed = root.seal(b"material", b"aad").unwrap();
    assert_eq!(sealed[0], 2);
    assert!(!sealed.windows(8).any(|w| w == b"material"));
    assert_eq!(
        root.unseal(&sealed, b"aad").unwrap().as_slice(),
        b"material"
    );
    assert!(matches!(
        root.unseal(&sealed, b"other aad"),
        Err(BackendError::InvalidCiphertext)
    ));
    let mut damaged = sealed.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    assert!(matches!(
        root.unseal(&damaged, b"aad"),
        Err(BackendError::InvalidCiphertext)
    ));
    assert!(root.sealed_under_current(&sealed));
    assert!(root.describe().contains("trent-a"));

    // The object: a secret key that is sensitive and was never extractable.
    let objects = listed(&conf, "trent-a");
    assert!(objects.contains("trent-root"), "{objects}");
    assert!(objects.contains("sensitive"), "{objects}");
    assert!(objects.contains("never extractable"), "{objects}");
    drop(root);

    // A restart finds the same key.
    let (root, created) = Pkcs11RootKey::open_or_create(&options("trent-a", PIN)).unwrap();
    assert!(!created);
    assert_eq!(
        root.unseal(&sealed, b"aad").unwrap().as_slice(),
        b"material"
    );

    // Rotation: a second object seals from now on, the first still unseals until retired.
    assert_eq!(root.key_count(), 1);
    root.begin_rotation().unwrap();
    assert_eq!(root.key_count(), 2);
    assert!(!root.sealed_under_current(&sealed));
    let resealed = root.seal(b"material", b"aad").unwrap();
    assert!(root.sealed_under_current(&resealed));
    assert_eq!(
        root.unseal(&sealed, b"aad").unwrap().as_slice(),
        b"material"
    );
    assert_eq!(root.retire_previous().unwrap(), 1);
    assert_eq!(root.key_count(), 1);
    assert!(
        root.unseal(&sealed, b"aad").is_err(),
        "the old object is gone"
    );
    assert_eq!(
        root.unseal(&resealed, b"aad").unwrap().as_slice(),
        b"material"
    );
    assert_eq!(listed(&conf, "trent-a").matches("trent-root").count(), 1);

    // An abandoned rotation takes its object back.
    root.begin_rotation().unwrap();
    root.abandon_rotation().unwrap();
    assert_eq!(root.key_count(), 1);
    assert_eq!(
        root.unseal(&resealed, b"aad").unwrap().as_slice(),
        b"material"
    );

    // The token goes away (its directory moved): the key cannot seal, and says so; when the
    // token is back, the next call logs in again by itself.
    let tokens = dir.join("tokens");
    let away = dir.join("tokens-away");
    std::fs::rename(&tokens, &away).unwrap();
    assert!(!root.answers(), "a token that is gone does not answer");
    assert!(root.seal(b"material", b"aad").is_err());
    std::fs::rename(&away, &tokens).unwrap();
    assert!(root.answers(), "back");
    let again = root.seal(b"material", b"aad").unwrap();
    assert_eq!(root.unseal(&again, b"aad").unwrap().as_slice(), b"material");
}
