//! The clusters of custom key stores against SoftHSM2 (`scripts/test` installs it): login
//! refusals by AWS's connection error codes, key objects made inside the token (sensitive,
//! never extractable), AES-GCM inside it, a missing object named as such, destruction, and
//! randomness.
//!
//! As in `pkcs11.rs`, the steps run in a child process of this test binary whose
//! `SOFTHSM2_CONF` names throwaway tokens: SoftHSM2 reads its configuration once per process.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{init_token, module, softhsm};
use trent_core::backend::{BackendError, HsmClusters};
use trent_core::model::ConnectionErrorCode;
use trent_core::secret::Secret;
use trent_crypto::{ClusterOptions, Pkcs11Clusters, TokenSelector};

const PIN: &str = "kmsuser-pin";
const ANCHOR: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

fn cluster(id: &str, token: &str) -> ClusterOptions {
    ClusterOptions {
        id: id.to_owned(),
        module: module(),
        token: TokenSelector::Label(token.to_owned()),
        trust_anchor: ANCHOR.to_owned(),
        lineage: None,
    }
}

#[test]
fn key_store_keys_live_in_the_token() {
    assert!(
        module().exists(),
        "SoftHSM2's module is missing at {}: install softhsm2 (scripts/test does)",
        module().display()
    );
    let dir = tempfile::tempdir().unwrap();
    let conf = softhsm(dir.path());
    init_token(&conf, "store-a", PIN);
    let out = Command::new(std::env::current_exe().unwrap())
        .env("SOFTHSM2_CONF", &conf)
        .args(["--exact", "in_softhsm_tokens", "--ignored", "--nocapture"])
        .output()
        .unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[ignore = "run by key_store_keys_live_in_the_token, with SOFTHSM2_CONF set"]
fn in_softhsm_tokens() {
    let conf = PathBuf::from(std::env::var_os("SOFTHSM2_CONF").expect("SOFTHSM2_CONF"));
    let clusters = Pkcs11Clusters::new(vec![
        cluster("cluster-234567abcdefg", "store-a"),
        cluster("cluster-234567abcdefh", "no-such-token"),
    ]);
    let info = clusters.cluster("cluster-234567abcdefg").unwrap();
    assert_eq!(info.trust_anchor, ANCHOR);
    assert_eq!(info.lineage, "cluster-234567abcdefg");
    assert!(clusters.cluster("cluster-234567abcdefi").is_none());
    assert!(clusters.active("cluster-234567abcdefg"));
    assert!(!clusters.active("cluster-234567abcdefh"));

    // Each refusal as AWS's connection error code.
    let code = |id: &str, pin: &str| {
        clusters
            .connect(id, &Secret::new(pin.as_bytes().to_vec()))
            .err()
    };
    assert_eq!(
        code("cluster-234567abcdefg", "wrong-pin"),
        Some(ConnectionErrorCode::InvalidCredentials)
    );
    assert_eq!(
        code("cluster-234567abcdefh", PIN),
        Some(ConnectionErrorCode::ClusterNotFound)
    );
    assert_eq!(
        code("cluster-234567abcdefi", PIN),
        Some(ConnectionErrorCode::ClusterNotFound)
    );

    let hsm = clusters
        .connect(
            "cluster-234567abcdefg",
            &Secret::new(PIN.as_bytes().to_vec()),
        )
        .unwrap();
    let id = [7u8; 32];
    let label = "1234abcd-12ab-34cd-56ef-1234567890ab";
    hsm.generate_key(label, &id).unwrap();
    let iv = [9u8; 12];
    let sealed = hsm.encrypt(label, &id, &iv, b"aad", b"plaintext").unwrap();
    assert_eq!(sealed.len(), b"plaintext".len() + 16);
    assert!(!sealed.windows(9).any(|w| w == b"plaintext"));
    assert_eq!(
        hsm.decrypt(label, &id, &iv, b"aad", &sealed)
            .unwrap()
            .as_slice(),
        b"plaintext"
    );
    // Another AAD, another IV or a damaged tag does not open.
    for (iv, aad, body) in [
        (iv, &b"other"[..], sealed.clone()),
        ([8u8; 12], &b"aad"[..], sealed.clone()),
        (iv, &b"aad"[..], {
            let mut d = sealed.clone();
            let last = d.len() - 1;
            d[last] ^= 1;
            d
        }),
    ] {
        assert!(matches!(
            hsm.decrypt(label, &id, &iv, aad, &body),
            Err(BackendError::InvalidCiphertext)
        ));
    }
    // Another key's id names nothing.
    assert!(matches!(
        hsm.encrypt(label, &[1u8; 32], &iv, b"aad", b"x"),
        Err(BackendError::KeyMissing)
    ));
    assert_eq!(hsm.random(32).unwrap().as_slice().len(), 32);

    // The object, as pkcs11-tool reads it: labelled with the key id, sensitive, never
    // extractable.
    let listed = Command::new("pkcs11-tool")
        .env("SOFTHSM2_CONF", &conf)
        .arg("--module")
        .arg(module())
        .args(["--token-label", "store-a", "--login", "--pin", PIN])
        .args(["--list-objects", "--type", "secrkey"])
        .output()
        .expect("pkcs11-tool (scripts/test installs opensc)");
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains(label), "{listed}");
    assert!(listed.contains("sensitive"), "{listed}");
    assert!(listed.contains("never extractable"), "{listed}");

    // Destroyed: gone from the token, and the key's calls say the object is missing.
    assert!(hsm.destroy_key(label, &id).unwrap());
    assert!(!hsm.destroy_key(label, &id).unwrap());
    assert!(matches!(
        hsm.encrypt(label, &id, &iv, b"aad", b"plaintext"),
        Err(BackendError::KeyMissing)
    ));
}
