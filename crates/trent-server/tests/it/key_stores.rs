//! Custom key stores of type `AWS_CLOUDHSM` through `aws-sdk-kms`, against `trent serve`
//! with two SoftHSM2 tokens declared as clusters (`scripts/test` installs SoftHSM2 and
//! OpenSC): the whole life cycle, AWS's refusals, a wrong PIN, two stores at once, keys whose
//! objects `pkcs11-tool` shows sensitive and never extractable, nothing of them in the data
//! directory, decryption after a restart and not after a disconnection.
//!
//! The binary runs in a child process so that `SOFTHSM2_CONF` (read once per process, when
//! the module is initialized) names this test's throwaway tokens.

use std::path::{Path, PathBuf};
use std::process::Command;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{ConnectionStateType, KeyState, OriginType};

use crate::binary::Trent;
use crate::harness::error_of;
use crate::pkcs11::{module, softhsm_tokens};

const PIN: &str = "kmsuser-pin";
const CLUSTER_A: &str = "cluster-234567abcdefa";
const CLUSTER_A2: &str = "cluster-234567abcdefb";
const CLUSTER_B: &str = "cluster-234567abcdefc";
const CLUSTER_AWAY: &str = "cluster-234567abcdefd";

fn anchor(n: u8) -> String {
    format!("-----BEGIN CERTIFICATE-----\nMIIBcustomerCA{n}\n-----END CERTIFICATE-----\n")
}

/// SoftHSM2 with two tokens, and a config declaring four clusters: A and A2 (one lineage, on
/// token store-a), B (token store-b) and one whose token is absent.
fn setup(dir: &Path) -> (PathBuf, PathBuf) {
    let conf = softhsm_tokens(dir, &["store-a", "store-b"], PIN);
    for n in [1, 2] {
        std::fs::write(dir.join(format!("anchor-{n}.pem")), anchor(n)).unwrap();
    }
    let module = module().display().to_string();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[[cloudhsm_cluster]]
id = "{CLUSTER_A}"
pkcs11_module = "{module}"
token = "store-a"
trust_anchor = "anchor-1.pem"
lineage = "a"

[[cloudhsm_cluster]]
id = "{CLUSTER_A2}"
pkcs11_module = "{module}"
token = "store-a"
trust_anchor = "anchor-1.pem"
lineage = "a"

[[cloudhsm_cluster]]
id = "{CLUSTER_B}"
pkcs11_module = "{module}"
token = "store-b"
trust_anchor = "anchor-2.pem"

[[cloudhsm_cluster]]
id = "{CLUSTER_AWAY}"
pkcs11_module = "{module}"
token = "not-plugged-in"
trust_anchor = "anchor-2.pem"
"#
        ),
    )
    .unwrap();
    (conf, config)
}

/// The store's connection state once it has left CONNECTING (connection is asynchronous),
/// and its error code.
async fn settled(kms: &aws_sdk_kms::Client, id: &str) -> (ConnectionStateType, Option<String>) {
    for _ in 0..500 {
        let described = kms
            .describe_custom_key_stores()
            .custom_key_store_id(id)
            .send()
            .await
            .unwrap();
        let store = &described.custom_key_stores()[0];
        let state = store.connection_state().unwrap().clone();
        if state != ConnectionStateType::Connecting {
            return (
                state,
                store.connection_error_code().map(|c| c.as_str().to_owned()),
            );
        }
        tokio::task::yield_now().await;
    }
    panic!("{id} stayed CONNECTING");
}

async fn create_store(
    kms: &aws_sdk_kms::Client,
    name: &str,
    cluster: &str,
    anchor: &str,
    pin: &str,
) -> Result<String, (String, String)> {
    kms.create_custom_key_store()
        .custom_key_store_name(name)
        .cloud_hsm_cluster_id(cluster)
        .trust_anchor_certificate(anchor)
        .key_store_password(pin)
        .send()
        .await
        .map(|r| r.custom_key_store_id.unwrap())
        .map_err(|e| error_of::<(), _>(Err(e)))
}

async fn connect(kms: &aws_sdk_kms::Client, id: &str) -> (ConnectionStateType, Option<String>) {
    kms.connect_custom_key_store()
        .custom_key_store_id(id)
        .send()
        .await
        .unwrap();
    settled(kms, id).await
}

async fn key_in(kms: &aws_sdk_kms::Client, store: &str) -> String {
    kms.create_key()
        .origin(OriginType::AwsCloudhsm)
        .custom_key_store_id(store)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id
}

async fn encrypt(kms: &aws_sdk_kms::Client, key: &str, text: &[u8]) -> Blob {
    kms.encrypt()
        .key_id(key)
        .plaintext(Blob::new(text))
        .encryption_context("purpose", "key-store test")
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap()
}

async fn decrypt(kms: &aws_sdk_kms::Client, blob: &Blob) -> Result<Vec<u8>, (String, String)> {
    kms.decrypt()
        .ciphertext_blob(blob.clone())
        .encryption_context("purpose", "key-store test")
        .send()
        .await
        .map(|r| r.plaintext.unwrap().into_inner())
        .map_err(|e| error_of::<(), _>(Err(e)))
}

/// The secret key objects of a token, as `pkcs11-tool` lists them.
fn objects(conf: &Path, token: &str) -> String {
    let out = Command::new("pkcs11-tool")
        .env("SOFTHSM2_CONF", conf)
        .arg("--module")
        .arg(module())
        .args(["--token-label", token, "--login", "--pin", PIN])
        .args(["--list-objects", "--type", "secrkey"])
        .output()
        .expect("pkcs11-tool (scripts/test installs opensc)");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every byte of every file under `dir`.
fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(all_bytes(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.extend(bytes);
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn cloudhsm_key_stores_live_in_pkcs11_tokens() {
    assert!(
        module().exists(),
        "SoftHSM2's module is missing at {}: install softhsm2 (scripts/test does)",
        module().display()
    );
    let tmp = tempfile::tempdir().unwrap();
    let (conf, config) = setup(tmp.path());
    let data = tmp.path().join("data");
    let conf_text = conf.display().to_string();
    let config_text = config.display().to_string();
    let args = ["--config", config_text.as_str()];
    let env = [("SOFTHSM2_CONF", conf_text.as_str())];
    let trent = Trent::start_with_env(&data, &args, &env);
    let kms = trent.client();

    // What CreateCustomKeyStore refuses, each with AWS's exception.
    for (cluster, anchor_text, expected) in [
        (
            "cluster-234567abcdefz",
            anchor(1),
            "CloudHsmClusterNotFoundException",
        ),
        (CLUSTER_A, anchor(2), "IncorrectTrustAnchorException"),
        (CLUSTER_AWAY, anchor(2), "CloudHsmClusterNotActiveException"),
    ] {
        let (code, _) = create_store(&kms, "refused", cluster, &anchor_text, PIN)
            .await
            .unwrap_err();
        assert_eq!(code, expected, "{cluster}");
    }

    // A wrong PIN: FAILED with INVALID_CREDENTIALS, and a FAILED store must be disconnected
    // before it connects again.
    let a = create_store(&kms, "store-a", CLUSTER_A, &anchor(1), "wrong-pin-0")
        .await
        .unwrap();
    assert!(a.starts_with("cks-") && a.len() == 21, "{a}");
    assert_eq!(
        connect(&kms, &a).await,
        (
            ConnectionStateType::Failed,
            Some("INVALID_CREDENTIALS".to_owned())
        )
    );
    let (code, _) = error_of(
        kms.connect_custom_key_store()
            .custom_key_store_id(&a)
            .send()
            .await,
    );
    assert_eq!(code, "CustomKeyStoreInvalidStateException");
    // The password changes only while disconnected.
    let (code, _) = error_of(
        kms.update_custom_key_store()
            .custom_key_store_id(&a)
            .key_store_password(PIN)
            .send()
            .await,
    );
    assert_eq!(code, "CustomKeyStoreInvalidStateException");
    kms.disconnect_custom_key_store()
        .custom_key_store_id(&a)
        .send()
        .await
        .unwrap();
    let (code, _) = error_of(
        kms.disconnect_custom_key_store()
            .custom_key_store_id(&a)
            .send()
            .await,
    );
    assert_eq!(code, "CustomKeyStoreInvalidStateException", "twice");
    // A related cluster may replace the store's; an unrelated one may not.
    let (code, _) = error_of(
        kms.update_custom_key_store()
            .custom_key_store_id(&a)
            .cloud_hsm_cluster_id(CLUSTER_B)
            .send()
            .await,
    );
    assert_eq!(code, "CloudHsmClusterNotRelatedException");
    kms.update_custom_key_store()
        .custom_key_store_id(&a)
        .key_store_password(PIN)
        .cloud_hsm_cluster_id(CLUSTER_A2)
        .new_custom_key_store_name("store-a-renamed")
        .send()
        .await
        .unwrap();
    assert_eq!(
        connect(&kms, &a).await,
        (ConnectionStateType::Connected, None)
    );

    // One name, and one cluster lineage, per store of the account.
    let (code, _) = create_store(&kms, "store-a-renamed", CLUSTER_B, &anchor(2), PIN)
        .await
        .unwrap_err();
    assert_eq!(code, "CustomKeyStoreNameInUseException");
    let (code, _) = create_store(&kms, "another", CLUSTER_A, &anchor(1), PIN)
        .await
        .unwrap_err();
    assert_eq!(code, "CloudHsmClusterInUseException");

    // A second store on a second token, connected at the same time.
    let b = create_store(&kms, "store-b", CLUSTER_B, &anchor(2), PIN)
        .await
        .unwrap();
    assert_eq!(
        connect(&kms, &b).await,
        (ConnectionStateType::Connected, None)
    );

    // DescribeCustomKeyStores: by name, and page by page in creation order.
    let by_name = kms
        .describe_custom_key_stores()
        .custom_key_store_name("store-b")
        .send()
        .await
        .unwrap();
    let entry = &by_name.custom_key_stores()[0];
    assert_eq!(entry.custom_key_store_id(), Some(b.as_str()));
    assert_eq!(entry.cloud_hsm_cluster_id(), Some(CLUSTER_B));
    assert_eq!(entry.trust_anchor_certificate(), Some(anchor(2).as_str()));
    assert_eq!(entry.connection_error_code(), None);
    assert_eq!(
        entry.custom_key_store_type().map(|t| t.as_str()),
        Some("AWS_CLOUDHSM")
    );
    let first = kms
        .describe_custom_key_stores()
        .limit(1)
        .send()
        .await
        .unwrap();
    assert!(first.truncated());
    assert_eq!(
        first.custom_key_stores()[0].custom_key_store_id(),
        Some(a.as_str())
    );
    let rest = kms
        .describe_custom_key_stores()
        .marker(first.next_marker().unwrap())
        .send()
        .await
        .unwrap();
    assert!(!rest.truncated());
    assert_eq!(
        rest.custom_key_stores()[0].custom_key_store_id(),
        Some(b.as_str())
    );
    let (code, _) = error_of(
        kms.describe_custom_key_stores()
            .custom_key_store_name("no-such-store")
            .send()
            .await,
    );
    assert_eq!(code, "CustomKeyStoreNotFoundException");

    // Keys in each store, and what DescribeKey says of them.
    let key_a = key_in(&kms, &a).await;
    let key_b = key_in(&kms, &b).await;
    let described = kms
        .describe_key()
        .key_id(&key_a)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(described.origin(), Some(&OriginType::AwsCloudhsm));
    assert_eq!(described.custom_key_store_id(), Some(a.as_str()));
    assert_eq!(described.cloud_hsm_cluster_id(), Some(CLUSTER_A2));
    assert_eq!(described.key_state(), Some(&KeyState::Enabled));

    // Encrypt, Decrypt, ReEncrypt from one store to the other, data keys, randomness.
    let blob = encrypt(&kms, &key_a, b"kept in store a").await;
    assert_eq!(decrypt(&kms, &blob).await.unwrap(), b"kept in store a");
    let moved = kms
        .re_encrypt()
        .ciphertext_blob(blob.clone())
        .source_encryption_context("purpose", "key-store test")
        .destination_key_id(&key_b)
        .destination_encryption_context("purpose", "key-store test")
        .send()
        .await
        .unwrap();
    let arn_b = described.arn().unwrap().replace(&key_a, &key_b);
    assert_eq!(moved.key_id(), Some(arn_b.as_str()));
    let moved = moved.ciphertext_blob.unwrap();
    assert_eq!(decrypt(&kms, &moved).await.unwrap(), b"kept in store a");
    let data_key = kms
        .generate_data_key()
        .key_id(&key_b)
        .key_spec(aws_sdk_kms::types::DataKeySpec::Aes256)
        .send()
        .await
        .unwrap();
    let plain_data_key = data_key.plaintext.clone().unwrap().into_inner();
    let opened = kms
        .decrypt()
        .ciphertext_blob(data_key.ciphertext_blob.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(opened.plaintext.unwrap().into_inner(), plain_data_key);
    kms.generate_data_key_without_plaintext()
        .key_id(&key_b)
        .number_of_bytes(16)
        .send()
        .await
        .unwrap();
    let random = kms
        .generate_random()
        .number_of_bytes(32)
        .custom_key_store_id(&a)
        .send()
        .await
        .unwrap();
    assert_eq!(random.plaintext.unwrap().into_inner().len(), 32);

    // What AWS refuses for keys in a key store.
    let (code, _) = error_of(
        kms.generate_data_key_pair()
            .key_id(&key_a)
            .key_pair_spec(aws_sdk_kms::types::DataKeyPairSpec::EccNistP256)
            .send()
            .await,
    );
    assert_eq!(code, "UnsupportedOperationException");
    let (code, message) = error_of(kms.enable_key_rotation().key_id(&key_a).send().await);
    assert_eq!(code, "UnsupportedOperationException");
    assert!(message.contains("origin is AWS_CLOUDHSM"), "{message}");
    let (code, _) = error_of(
        kms.get_parameters_for_import()
            .key_id(&key_a)
            .wrapping_algorithm(aws_sdk_kms::types::AlgorithmSpec::RsaesOaepSha256)
            .wrapping_key_spec(aws_sdk_kms::types::WrappingKeySpec::Rsa2048)
            .send()
            .await,
    );
    assert_eq!(code, "UnsupportedOperationException");
    let (code, _) = error_of(
        kms.create_key()
            .origin(OriginType::AwsCloudhsm)
            .custom_key_store_id(&a)
            .multi_region(true)
            .send()
            .await,
    );
    assert_eq!(code, "UnsupportedOperationException");
    let (code, _) = error_of(kms.create_key().custom_key_store_id(&a).send().await);
    assert_eq!(code, "ValidationException");

    // The objects: labelled with their key ids, sensitive, never extractable, one per key.
    let listed = objects(&conf, "store-a");
    assert!(listed.contains(&key_a), "{listed}");
    assert_eq!(listed.matches("never extractable").count(), 1, "{listed}");
    assert!(listed.contains("sensitive"), "{listed}");
    assert!(objects(&conf, "store-b").contains(&key_b));

    // A store that holds keys, or is connected, is not deleted.
    let (code, _) = error_of(
        kms.delete_custom_key_store()
            .custom_key_store_id(&a)
            .send()
            .await,
    );
    assert_eq!(code, "CustomKeyStoreInvalidStateException");

    let (status, log) = trent.stop();
    assert!(status.success(), "{log}");
    assert!(!log.contains(PIN), "the password is never logged");

    // Nothing of the keys' use is in the data directory (store and audit trail): not the
    // password, not the data key.
    let on_disk = all_bytes(&data);
    assert!(
        !contains(&on_disk, PIN.as_bytes()),
        "the password is sealed"
    );
    assert!(
        !contains(&on_disk, &plain_data_key),
        "no data key plaintext"
    );
    assert!(!contains(&on_disk, b"kept in store a"));

    // Every key store call is in the audit trail, the password left out.
    let trail = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["audit", "search", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(trail.status.success(), "{trail:?}");
    let events: Vec<serde_json::Value> = String::from_utf8(trail.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for name in [
        "CreateCustomKeyStore",
        "ConnectCustomKeyStore",
        "DisconnectCustomKeyStore",
        "UpdateCustomKeyStore",
        "DeleteCustomKeyStore",
        "DescribeCustomKeyStores",
        "GenerateRandom",
    ] {
        assert!(
            events.iter().any(|e| e["eventName"] == name),
            "{name} is in the trail"
        );
    }
    let created = events
        .iter()
        .find(|e| {
            e["eventName"] == "CreateCustomKeyStore"
                && e["requestParameters"]["customKeyStoreName"] == "store-b"
        })
        .expect("store-b's creation");
    assert_eq!(created["requestParameters"]["cloudHsmClusterId"], CLUSTER_B);
    assert_eq!(created["responseElements"]["customKeyStoreId"], b.as_str());
    assert!(created["requestParameters"]["keyStorePassword"].is_null());
    let refused = events
        .iter()
        .filter(|e| e["eventName"] == "CreateCustomKeyStore")
        .filter_map(|e| e["errorCode"].as_str())
        .collect::<Vec<_>>();
    assert!(
        refused.contains(&"IncorrectTrustAnchorException"),
        "{refused:?}"
    );
    assert!(
        !events.iter().any(|e| e.to_string().contains(PIN)),
        "no event holds the password"
    );

    // After a restart the stores are still connected and their keys still decrypt: the
    // node logs in again on first use.
    let trent = Trent::start_with_env(&data, &args, &env);
    let kms = trent.client();
    assert_eq!(decrypt(&kms, &blob).await.unwrap(), b"kept in store a");
    assert_eq!(decrypt(&kms, &moved).await.unwrap(), b"kept in store a");

    // A key whose object is destroyed outside Trent keeps its state; its use fails as at AWS.
    let out = Command::new("pkcs11-tool")
        .env("SOFTHSM2_CONF", &conf)
        .arg("--module")
        .arg(module())
        .args(["--token-label", "store-b", "--login", "--pin", PIN])
        .args(["--delete-object", "--type", "secrkey", "--label", &key_b])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let (code, message) = error_of(
        kms.encrypt()
            .key_id(&key_b)
            .plaintext(Blob::new("x"))
            .send()
            .await,
    );
    assert_eq!(code, "KMSInvalidStateException");
    assert!(
        message.contains("is not in its AWS CloudHSM cluster"),
        "{message}"
    );

    // Disconnected: its keys are Unavailable and do not decrypt; no key is made in it.
    kms.disconnect_custom_key_store()
        .custom_key_store_id(&a)
        .send()
        .await
        .unwrap();
    let state = kms
        .describe_key()
        .key_id(&key_a)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(state.key_state(), Some(&KeyState::Unavailable));
    assert!(!state.enabled());
    let (code, message) = decrypt(&kms, &blob).await.unwrap_err();
    assert_eq!(code, "KMSInvalidStateException");
    assert!(message.ends_with("is unavailable."), "{message}");
    let (code, _) = error_of(
        kms.create_key()
            .origin(OriginType::AwsCloudhsm)
            .custom_key_store_id(&a)
            .send()
            .await,
    );
    assert_eq!(code, "CustomKeyStoreInvalidStateException");
    let (code, _) = error_of(
        kms.generate_random()
            .number_of_bytes(8)
            .custom_key_store_id(&a)
            .send()
            .await,
    );
    assert_eq!(code, "CustomKeyStoreInvalidStateException");
    // Its keys can still be scheduled for deletion; the store holds them until they go.
    kms.schedule_key_deletion()
        .key_id(&key_a)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    let (code, _) = error_of(
        kms.delete_custom_key_store()
            .custom_key_store_id(&a)
            .send()
            .await,
    );
    assert_eq!(code, "CustomKeyStoreHasCMKsException");
    // Connected again, the key's own state shows.
    assert_eq!(
        connect(&kms, &a).await,
        (ConnectionStateType::Connected, None)
    );
    let state = kms
        .describe_key()
        .key_id(&key_a)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(state.key_state(), Some(&KeyState::PendingDeletion));
    let (status, log) = trent.stop();
    assert!(status.success(), "{log}");
}

/// A key of a CloudHSM key store, exposed through Trent's XKS proxy: the token computes the
/// proxy's AES-GCM, a tampered answer is the caller's InvalidCiphertextException, and a
/// disconnected store makes the external key unusable (InvalidStateException).
#[tokio::test]
async fn a_key_in_a_pkcs11_token_is_exposed_through_the_xks_proxy() {
    use serde_json::json;
    assert!(
        module().exists(),
        "SoftHSM2's module is missing at {}: install softhsm2 (scripts/test does)",
        module().display()
    );
    const HOST: &str = "xks.trent.test";
    const CREDENTIAL: (&str, &str) = (
        "AKIAI2SFODNN7EXAMPLE",
        "FYtE5EFA5FT0mCc3DrGUe2sti527BitkQ0Zr9MO9fvE",
    );
    let tmp = tempfile::tempdir().unwrap();
    let (conf, config) = setup(tmp.path());
    let ca = crate::xks_tls::authority("Trent PKCS#11 XKS test CA");
    let (cert_file, key_file) = crate::xks_tls::write_server_files(&ca, HOST, tmp.path(), "proxy");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        r#"
[xks_proxy]
cert_file = "{}"
key_file = "{}"

[[xks_proxy.key_store]]
path_prefix = "/hsm"
credentials = [{{ access_key_id = "{}", secret = "{}" }}]

[[xks_proxy.key_store.key]]
external_key_id = "in-the-token"
key = "alias/in-the-token"
"#,
        cert_file.display(),
        key_file.display(),
        CREDENTIAL.0,
        CREDENTIAL.1
    ));
    std::fs::write(&config, text).unwrap();
    let xks_addr = {
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        free.local_addr().unwrap()
    };
    let data = tmp.path().join("data");
    let (conf_text, config_text, listen) = (
        conf.display().to_string(),
        config.display().to_string(),
        xks_addr.to_string(),
    );
    let trent = Trent::start_with_env(
        &data,
        &["--config", &config_text, "--xks-listen", &listen],
        &[("SOFTHSM2_CONF", conf_text.as_str())],
    );
    let kms = trent.client();
    let store = create_store(&kms, "exposed", CLUSTER_A, &anchor(1), PIN)
        .await
        .unwrap();
    assert_eq!(
        connect(&kms, &store).await.0,
        ConnectionStateType::Connected
    );
    let key = key_in(&kms, &store).await;
    kms.create_alias()
        .alias_name("alias/in-the-token")
        .target_key_id(&key)
        .send()
        .await
        .unwrap();

    let meta = |operation: &str| {
        json!({
            "awsPrincipalArn": "arn:aws:iam::111122223333:user/Alice",
            "kmsKeyArn": "arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "kmsOperation": operation,
            "kmsRequestId": uuid::Uuid::new_v4().to_string(),
        })
    };
    let post = |path: &'static str, body: serde_json::Value| {
        let ca = ca.der().clone();
        async move { crate::xks_tls::signed_post(xks_addr, &ca, HOST, CREDENTIAL, path, &body).await }
    };
    let b64 = |bytes: &[u8]| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    };
    let (status, md) = post(
        "/hsm/kms/xks/v1/keys/in-the-token/metadata",
        json!({"requestMetadata": meta("DescribeKey")}),
    )
    .await;
    assert_eq!(
        (status, md["keyStatus"].as_str()),
        (200, Some("ENABLED")),
        "{md}"
    );
    let (status, sealed) = post(
        "/hsm/kms/xks/v1/keys/in-the-token/encrypt",
        json!({
            "requestMetadata": meta("Encrypt"),
            "plaintext": b64(b"sealed by the token"),
            "encryptionAlgorithm": "AES_GCM",
            "additionalAuthenticatedData": b64(b"context"),
        }),
    )
    .await;
    assert_eq!(status, 200, "{sealed}");
    let decrypt = |ciphertext: serde_json::Value, aad: &[u8]| {
        json!({
            "requestMetadata": meta("Decrypt"),
            "ciphertext": ciphertext,
            "ciphertextMetadata": sealed["ciphertextMetadata"],
            "initializationVector": sealed["initializationVector"],
            "authenticationTag": sealed["authenticationTag"],
            "encryptionAlgorithm": "AES_GCM",
            "additionalAuthenticatedData": b64(aad),
        })
    };
    let path = "/hsm/kms/xks/v1/keys/in-the-token/decrypt";
    let (status, opened) = post(path, decrypt(sealed["ciphertext"].clone(), b"context")).await;
    assert_eq!(status, 200, "{opened}");
    assert_eq!(opened["plaintext"], b64(b"sealed by the token"));
    let (status, refused) = post(path, decrypt(sealed["ciphertext"].clone(), b"other")).await;
    assert_eq!(
        (status, refused["errorName"].as_str()),
        (400, Some("InvalidCiphertextException")),
        "{refused}"
    );

    kms.disconnect_custom_key_store()
        .custom_key_store_id(&store)
        .send()
        .await
        .unwrap();
    let (status, refused) = post(path, decrypt(sealed["ciphertext"].clone(), b"context")).await;
    assert_eq!(
        (status, refused["errorName"].as_str()),
        (400, Some("InvalidStateException")),
        "{refused}"
    );
    // The child process does not outlive the test.
    let (status, log) = trent.stop();
    assert!(status.success(), "{log}");
}
