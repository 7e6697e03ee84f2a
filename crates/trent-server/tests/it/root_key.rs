//! Root-key rotation through a running server: `RotateRootKey` re-seals every sealed value
//! (key material of every kind, access-key and session secrets, session tokens, import
//! tokens, the audit signing key, the root-key check) under a new root key while clients keep
//! encrypting; the old key is forgotten; a rotation cut short by a crash is finished at start.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    KeySpec, KeyUsageType, MacAlgorithmSpec, MessageType, SigningAlgorithmSpec,
};
use serde_json::json;

use crate::builders::{
    admin as admin_as, allow, assert_denied, assume_role, create_user, created, generate_mac,
    openssl, put_user_policy, sign, sts_for, trust, verify,
};
use crate::harness::Harness;

const A: &str = "111122223333";

/// An admin API call as the operator's root, which must succeed.
async fn admin(h: &Harness, action: &str, input: serde_json::Value) -> serde_json::Value {
    admin_as(h, h.who(), action, input)
        .await
        .unwrap_or_else(|e| panic!("{action}: {e}"))
}

/// The root key ids of a data directory's `root.key` (one line each).
fn ring(h: &Harness) -> Vec<String> {
    std::fs::read_to_string(h.data_dir().join("root.key"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The root key id (4 bytes) of every non-empty sealed value in the store.
fn sealed_ids(h: &Harness) -> Vec<(String, [u8; 4])> {
    let db = rusqlite::Connection::open(h.data_dir().join("trent.db")).unwrap();
    let mut out = Vec::new();
    for (table, column, filter) in [
        (
            "meta",
            "value",
            "name IN ('root_key_check', 'audit_signing_key')",
        ),
        ("access_keys", "sealed_secret", "1"),
        ("sessions", "sealed_secret", "1"),
        ("sessions", "sealed_token", "1"),
        ("key_materials", "sealed", "length(sealed) > 0"),
        ("import_tokens", "sealed_private", "1"),
    ] {
        let mut stmt = db
            .prepare(&format!("SELECT {column} FROM {table} WHERE {filter}"))
            .unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0)).unwrap();
        for v in rows {
            let v = v.unwrap();
            out.push((format!("{table}.{column}"), v[1..5].try_into().unwrap()));
        }
    }
    out
}

fn id_of(hex_key: &str) -> [u8; 4] {
    let bytes = (0..32)
        .map(|i| u8::from_str_radix(&hex_key[2 * i..2 * i + 2], 16).unwrap())
        .collect::<Vec<u8>>();
    let digest = sha256_by_openssl(&bytes);
    digest[..4].try_into().unwrap()
}

fn sha256_by_openssl(data: &[u8]) -> Vec<u8> {
    // OpenSSL, independently of the code under test.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k");
    std::fs::write(&path, data).unwrap();
    openssl(&["dgst", "-sha256", "-binary", path.to_str().unwrap()]).stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_reseals_everything_while_clients_keep_working() {
    let h = Harness::start().await;
    let kms = h.client();
    let old_ring = ring(&h);
    assert_eq!(old_ring.len(), 1);

    // Something sealed of every kind.
    let symmetric = h.key().await;
    let blob = h.encrypt(&symmetric, "before the rotation").await;
    let signer = h
        .key_of(KeySpec::EccNistP256, KeyUsageType::SignVerify)
        .await;
    let signature = sign(
        &kms,
        &signer,
        "signed before",
        SigningAlgorithmSpec::EcdsaSha256,
    )
    .message_type(MessageType::Raw)
    .send()
    .await
    .unwrap()
    .signature
    .unwrap();
    let hmac = h
        .key_of(KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac)
        .await;
    let mac = generate_mac(&kms, &hmac, "mac before", MacAlgorithmSpec::HmacSha256)
        .send()
        .await
        .unwrap()
        .mac
        .unwrap();
    let alice = create_user(&h, h.who(), "alice").await;
    let uses = allow(json!(["kms:*", "sts:AssumeRole"]));
    put_user_policy(&h, h.who(), "alice", "use", uses).await;
    let alice_arn = format!("arn:aws:iam::{A}:user/alice");
    admin(
        &h,
        "CreateRole",
        json!({"RoleName": "Ops", "AssumeRolePolicyDocument": trust(&alice_arn, "sts:AssumeRole")}),
    )
    .await;
    let sts = sts_for(&h, (&alice.0, &alice.1)).await;
    let session = assume_role(&sts, &format!("arn:aws:iam::{A}:role/Ops"), "rotation").await;
    let external = created(
        kms.create_key()
            .origin(aws_sdk_kms::types::OriginType::External),
    )
    .await
    .key_id;
    let work = tempfile::tempdir().unwrap();
    let material = [7u8; 32];
    let (token, wrapped) = crate::import::wrapped_for(&h, work.path(), &external, &material).await;

    // Clients keep encrypting and decrypting through the rotation.
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let mut load = Vec::new();
    for _ in 0..4 {
        let (kms, stop, done, key) = (kms.clone(), stop.clone(), done.clone(), symmetric.clone());
        load.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let blob = kms
                    .encrypt()
                    .key_id(&key)
                    .plaintext(Blob::new("during"))
                    .send()
                    .await
                    .expect("Encrypt during the rotation")
                    .ciphertext_blob
                    .unwrap();
                let back = kms
                    .decrypt()
                    .ciphertext_blob(blob)
                    .send()
                    .await
                    .expect("Decrypt during the rotation");
                assert_eq!(back.plaintext.unwrap().as_ref(), b"during");
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    while done.load(Ordering::Relaxed) < 20 {
        tokio::task::yield_now().await;
    }
    let before = sealed_ids(&h);
    assert!(before.len() >= 10, "{before:?}");
    let old_id = id_of(&old_ring[0]);
    assert!(before.iter().all(|(_, id)| *id == old_id));

    let rotated = admin(&h, "RotateRootKey", json!({})).await;
    let during = done.load(Ordering::Relaxed);
    // And a management call that seals, right after.
    let after_key = h.key().await;
    while done.load(Ordering::Relaxed) < during + 20 {
        tokio::task::yield_now().await;
    }
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }

    // One new key in the file; everything sealed under it; the old one is gone.
    let new_ring = ring(&h);
    assert_eq!(new_ring.len(), 1, "the old root key is forgotten");
    assert_ne!(new_ring[0], old_ring[0]);
    let new_id = id_of(&new_ring[0]);
    assert_eq!(
        rotated["RootKeyId"].as_str().unwrap(),
        new_id
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    assert_eq!(rotated["Retired"], 1);
    assert!(
        rotated["Resealed"].as_u64().unwrap() >= u64::try_from(before.len()).unwrap(),
        "{rotated}"
    );
    let after = sealed_ids(&h);
    assert!(after.len() > before.len());
    for (what, id) in &after {
        assert_eq!(*id, new_id, "{what} is still sealed under the old key");
    }

    // Cold: a restart unseals everything from the store under the new key only.
    let h = h.restart().await;
    let kms = h.client();
    let back = kms.decrypt().ciphertext_blob(blob).send().await.unwrap();
    assert_eq!(back.plaintext.unwrap().as_ref(), b"before the rotation");
    let valid = verify(
        &kms,
        &signer,
        "signed before",
        signature,
        SigningAlgorithmSpec::EcdsaSha256,
    )
    .message_type(MessageType::Raw)
    .send()
    .await
    .unwrap();
    assert!(valid.signature_valid);
    let valid = kms
        .verify_mac()
        .key_id(&hmac)
        .message(Blob::new("mac before"))
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .mac(mac)
        .send()
        .await
        .unwrap();
    assert!(valid.mac_valid);
    h.encrypt(&after_key, "made during").await;
    // Alice's secret and the session's secret and token were re-sealed too.
    let as_alice = h.client_for("us-east-1", &alice.0, &alice.1);
    as_alice
        .describe_key()
        .key_id(&symmetric)
        .send()
        .await
        .unwrap();
    let session_config = aws_sdk_kms::Config::builder()
        .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
        .region(aws_sdk_kms::config::Region::new("us-east-1"))
        .endpoint_url(h.server.endpoint())
        .credentials_provider(aws_sdk_kms::config::Credentials::new(
            &session.access_key_id,
            &session.secret_access_key,
            Some(session.session_token.clone()),
            None,
            "session",
        ))
        .build();
    // Authenticated (the role has no permissions, so it is denied, not unrecognized).
    assert_denied(
        aws_sdk_kms::Client::from_conf(session_config)
            .describe_key()
            .key_id(&symmetric)
            .send()
            .await,
    );
    // The import token made before the rotation still imports.
    kms.import_key_material()
        .key_id(&external)
        .import_token(token)
        .encrypted_key_material(Blob::new(wrapped))
        .expiration_model(aws_sdk_kms::types::ExpirationModelType::KeyMaterialDoesNotExpire)
        .send()
        .await
        .unwrap();
    // The audit signing key still signs, and the trail still verifies.
    h.server.run_maintenance().await.unwrap();
    let store = trent_store::SqliteStore::open(&h.data_dir().join("trent.db")).unwrap();
    assert!(matches!(
        trent_server::audit::verify(&store).await.unwrap(),
        trent_server::audit::Verdict::Intact { .. }
    ));
}

#[tokio::test]
async fn only_the_operator_root_rotates_the_root_key() {
    let h = Harness::start().await;
    let bob = create_user(&h, h.who(), "bob").await;
    put_user_policy(&h, h.who(), "bob", "all", allow("*")).await;
    let before = ring(&h);
    let denied = admin_as(&h, (&bob.0, &bob.1), "RotateRootKey", json!({}))
        .await
        .unwrap_err();
    assert!(denied.contains("AccessDeniedException"), "{denied}");
    assert_eq!(ring(&h), before, "nothing changed");
}

#[tokio::test]
async fn a_rotation_cut_short_by_a_crash_is_finished_at_the_next_start() {
    let h = Harness::start().await;
    let key = h.key().await;
    let blob = h.encrypt(&key, "sealed under the old key").await;
    let old = ring(&h);
    let Harness {
        server, dir, clock, ..
    } = h;
    server.shutdown().await.unwrap();
    // What a crash right after the first step leaves: a new key first in the ring, nothing
    // re-sealed yet.
    let new_key = "ab".repeat(32);
    let path = dir.path().join("data/root.key");
    std::fs::write(&path, format!("{new_key}\n{}\n", old[0])).unwrap();
    let h = Harness::start_in(dir, clock, |_| {}).await;
    assert_eq!(
        ring(&h),
        vec![new_key.clone()],
        "finished: only the new key"
    );
    let new_id = id_of(&new_key);
    for (what, id) in sealed_ids(&h) {
        assert_eq!(id, new_id, "{what}");
    }
    let back = h
        .client()
        .decrypt()
        .ciphertext_blob(blob)
        .send()
        .await
        .unwrap();
    assert_eq!(
        back.plaintext.unwrap().as_ref(),
        b"sealed under the old key"
    );
}
