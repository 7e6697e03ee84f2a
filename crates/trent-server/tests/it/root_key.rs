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

use crate::harness::Harness;

const A: &str = "111122223333";

async fn admin(h: &Harness, action: &str, input: serde_json::Value) -> serde_json::Value {
    trent_server::admin_client::call(&trent_server::admin_client::AdminCall {
        endpoint: h.server.endpoint(),
        access_key_id: h.access_key_id.clone(),
        secret: zeroize::Zeroizing::new(h.secret.clone()),
        session_token: None,
        region: "us-east-1".to_owned(),
        action: action.to_owned(),
        input,
    })
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
    let out = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-binary"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
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
    let signature = kms
        .sign()
        .key_id(&signer)
        .message(Blob::new("signed before"))
        .message_type(MessageType::Raw)
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await
        .unwrap()
        .signature
        .unwrap();
    let hmac = h
        .key_of(KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac)
        .await;
    let mac = kms
        .generate_mac()
        .key_id(&hmac)
        .message(Blob::new("mac before"))
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .send()
        .await
        .unwrap()
        .mac
        .unwrap();
    admin(&h, "CreateUser", json!({"UserName": "alice"})).await;
    admin(
        &h,
        "PutUserPolicy",
        json!({"UserName": "alice", "PolicyName": "use", "PolicyDocument":
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["kms:*", "sts:AssumeRole"], "Resource": "*"}]}}),
    )
    .await;
    let alice = admin(&h, "CreateAccessKey", json!({"UserName": "alice"})).await;
    let alice = (
        alice["AccessKey"]["AccessKeyId"]
            .as_str()
            .unwrap()
            .to_owned(),
        alice["AccessKey"]["SecretAccessKey"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    admin(
        &h,
        "CreateRole",
        json!({"RoleName": "Ops", "AssumeRolePolicyDocument":
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
             "Principal": {"AWS": format!("arn:aws:iam::{A}:user/alice")}, "Action": "sts:AssumeRole"}]}}),
    )
    .await;
    let sts_config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(h.server.endpoint())
        .credentials_provider(aws_sdk_kms::config::Credentials::new(
            &alice.0, &alice.1, None, None, "test",
        ))
        .load()
        .await;
    let session = aws_sdk_sts::Client::new(&sts_config)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{A}:role/Ops"))
        .role_session_name("rotation")
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap();
    let external = kms
        .create_key()
        .origin(aws_sdk_kms::types::OriginType::External)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
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
    let valid = kms
        .verify()
        .key_id(&signer)
        .message(Blob::new("signed before"))
        .message_type(MessageType::Raw)
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
        .signature(signature)
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
    let err = aws_sdk_kms::Client::from_conf(session_config)
        .describe_key()
        .key_id(&symmetric)
        .send()
        .await
        .unwrap_err();
    // Authenticated (the role has no permissions, so it is denied, not unrecognized).
    assert_eq!(
        aws_sdk_kms::error::ProvideErrorMetadata::code(&err),
        Some("AccessDeniedException"),
        "{err:?}"
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
    admin(&h, "CreateUser", json!({"UserName": "bob"})).await;
    admin(
        &h,
        "PutUserPolicy",
        json!({"UserName": "bob", "PolicyName": "all", "PolicyDocument":
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}),
    )
    .await;
    let bob = admin(&h, "CreateAccessKey", json!({"UserName": "bob"})).await;
    let before = ring(&h);
    let denied = trent_server::admin_client::call(&trent_server::admin_client::AdminCall {
        endpoint: h.server.endpoint(),
        access_key_id: bob["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned(),
        secret: zeroize::Zeroizing::new(
            bob["AccessKey"]["SecretAccessKey"]
                .as_str()
                .unwrap()
                .to_owned(),
        ),
        session_token: None,
        region: "us-east-1".to_owned(),
        action: "RotateRootKey".to_owned(),
        input: json!({}),
    })
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
