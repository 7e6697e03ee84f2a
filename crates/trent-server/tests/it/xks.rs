//! External key stores end to end: one Trent (the KMS) keeps keys behind another Trent (the
//! XKS proxy), both in-process, through `aws-sdk-kms` and the proxy's TLS listener: the
//! store's and its keys' life cycle with AWS's refusals, double encryption, credential
//! rotation, a proxy stopped and restarted, a disabled external key, tampered ciphertexts, a
//! silent proxy, and the request id that ties the two audit trails together.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_kms::operation::RequestId as _;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    ConnectionStateType, CustomKeyStoreType, CustomKeyStoresListEntry, DataKeySpec, KeyState,
    OriginType, XksProxyAuthenticationCredentialType, XksProxyConnectivityType,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rcgen::{CertifiedIssuer, KeyPair};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::net::TcpListener;
use trent_core::envelope::Envelope;
use trent_core::model::EncryptionContext;
use trent_core::testing::ManualClock;

use crate::harness::{Harness, error_of, file_contains, files_under, lookup_events, raw_to};
use crate::xks_tls;

const HOST: &str = "xks.trent.test";
/// Dialled at a test server that completes the TLS handshake and never answers.
const SLOW_HOST: &str = "slow.trent.test";
/// Dialled at the real proxy, whose certificate names only [`HOST`].
const MISNAMED_HOST: &str = "misnamed.trent.test";
const ENDPOINT: &str = "https://xks.trent.test";
const PATH: &str = "/keystores/it/kms/xks/v1";
const EXT_KEY: &str = "ext-key-1";
const EXT_KEY_2: &str = "ext-key-2";
const ENCRYPT_ONLY: &str = "ext-key-encrypt-only";
const ROOT_ARN: &str = "arn:aws:iam::111122223333:root";
const PROXY_SOURCE: &str = "xks-proxy.trent.local";

/// The proxy store's two credential sets (both valid at once, for rotation).
const FIRST: (&str, &str) = (
    "AKIAI2SFODNN7EXAMPLE",
    "FYtE5EFA5FT0mCc3DrGUe2sti527BitkQ0Zr9MO9fvE",
);
const SECOND: (&str, &str) = (
    "XKSROTATEDACCESSKEY234567",
    "dGhlIHNlY29uZCBjcmVkZW50aWFsIHNldCBvZiB0aGUgaXQgc3RvcmUh",
);
/// Well-formed, and unknown to the proxy.
const UNKNOWN: (&str, &str) = (
    "XKSUNKNOWNACCESSKEY23456",
    "YSBjcmVkZW50aWFsIHRoZSBwcm94eSB3YXMgbmV2ZXIgdG9sZCBvZiEh",
);
const WRONG_SECRET: &str = "dGhlIHJpZ2h0IGFjY2VzcyBrZXkgaWQgd2l0aCBhIHdyb25nIHNlY3JldA==";

const CONTEXT: (&str, &str) = ("purpose", "xks integration test");
/// How long a call may take before the test calls it a hang.
const PATIENCE: Duration = Duration::from_secs(5);

#[tokio::test]
async fn an_external_key_store_and_its_keys_live_through_their_life_cycle() {
    let p = pair().await;
    let kms = p.kms.client();

    for (what, name, endpoint, path, who, expected) in [
        (
            "a wrong secret",
            "wrong-secret",
            ENDPOINT,
            PATH,
            (FIRST.0, WRONG_SECRET),
            "XksProxyIncorrectAuthenticationCredentialException",
        ),
        (
            "a path the proxy does not serve",
            "wrong-path",
            ENDPOINT,
            "/keystores/nope/kms/xks/v1",
            FIRST,
            "XksProxyInvalidConfigurationException",
        ),
        (
            "an endpoint with a port",
            "with-port",
            "https://xks.trent.test:8443",
            PATH,
            FIRST,
            "ValidationException",
        ),
    ] {
        let (code, message) = create_store(&kms, name, endpoint, path, who)
            .await
            .unwrap_err();
        assert_eq!(code, expected, "{what}: {message}");
    }

    let store = create_store(&kms, "it-store", ENDPOINT, PATH, FIRST)
        .await
        .unwrap();
    let entry = described(&kms, &store).await;
    assert_eq!(entry.custom_key_store_name(), Some("it-store"));
    assert_eq!(
        entry.custom_key_store_type(),
        Some(&CustomKeyStoreType::ExternalKeyStore)
    );
    assert_eq!(
        entry.connection_state(),
        Some(&ConnectionStateType::Disconnected)
    );
    let proxy = entry
        .xks_proxy_configuration()
        .unwrap_or_else(|| panic!("no XksProxyConfiguration: {entry:?}"));
    assert_eq!(proxy.access_key_id(), Some(FIRST.0));
    assert_eq!(
        proxy.connectivity(),
        Some(&XksProxyConnectivityType::PublicEndpoint)
    );
    assert_eq!(proxy.uri_endpoint(), Some(ENDPOINT));
    assert_eq!(proxy.uri_path(), Some(PATH));
    let (code, _) = create_store(&kms, "same-uri", ENDPOINT, PATH, FIRST)
        .await
        .unwrap_err();
    assert_eq!(code, "XksProxyUriInUseException");

    let (code, _) = xks_key(&kms, &store, EXT_KEY).await.unwrap_err();
    assert_eq!(code, "CustomKeyStoreInvalidStateException", "not connected");
    assert_eq!(
        connect(&kms, &store).await,
        (ConnectionStateType::Connected, None)
    );

    // The proxy's metadata of the external key decides what CreateKey accepts.
    for (xks_key_id, expected) in [
        ("no-such-external-key", "XksKeyNotFoundException"),
        (ENCRYPT_ONLY, "XksKeyInvalidConfigurationException"),
    ] {
        let (code, message) = xks_key(&kms, &store, xks_key_id).await.unwrap_err();
        assert_eq!(code, expected, "{xks_key_id}: {message}");
    }
    let key = p.xks_key(&store, EXT_KEY).await;
    let (code, _) = xks_key(&kms, &store, EXT_KEY).await.unwrap_err();
    assert_eq!(code, "XksKeyAlreadyInUseException");
    let metadata = kms
        .describe_key()
        .key_id(&key)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(metadata.origin(), Some(&OriginType::ExternalKeyStore));
    assert_eq!(metadata.custom_key_store_id(), Some(store.as_str()));
    assert_eq!(
        metadata.xks_key_configuration().and_then(|c| c.id()),
        Some(EXT_KEY)
    );
    assert_eq!(metadata.key_state(), Some(&KeyState::Enabled));
    let arn = metadata.arn().unwrap().to_owned();

    let text: &[u8] = b"kept behind the proxy";
    let blob = encrypt(&kms, &key, text).await;
    assert_eq!(decrypt(&kms, &blob).await.unwrap(), text);

    let data_key = kms
        .generate_data_key()
        .key_id(&key)
        .key_spec(DataKeySpec::Aes256)
        .encryption_context(CONTEXT.0, CONTEXT.1)
        .send()
        .await
        .unwrap();
    assert_eq!(data_key.key_id(), Some(arn.as_str()));
    let plain_data_key = data_key.plaintext.clone().unwrap().into_inner();
    assert_eq!(plain_data_key.len(), 32);
    assert_eq!(
        decrypt(&kms, &data_key.ciphertext_blob.clone().unwrap())
            .await
            .unwrap(),
        plain_data_key
    );
    let without = kms
        .generate_data_key_without_plaintext()
        .key_id(&key)
        .key_spec(DataKeySpec::Aes128)
        .encryption_context(CONTEXT.0, CONTEXT.1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        decrypt(&kms, &without.ciphertext_blob.unwrap())
            .await
            .unwrap()
            .len(),
        16
    );
    let (code, _) = error_of(
        kms.generate_data_key_pair()
            .key_id(&key)
            .key_pair_spec(aws_sdk_kms::types::DataKeyPairSpec::EccNistP256)
            .send()
            .await,
    );
    assert_eq!(code, "UnsupportedOperationException", "a data key pair");
    let (code, _) = error_of(
        kms.generate_random()
            .number_of_bytes(16)
            .custom_key_store_id(&store)
            .send()
            .await,
    );
    assert_eq!(
        code, "UnsupportedOperationException",
        "random from the store"
    );

    // ReEncrypt to a key of Trent's own and back.
    let own = p.kms.key().await;
    let moved = kms
        .re_encrypt()
        .ciphertext_blob(blob.clone())
        .source_encryption_context(CONTEXT.0, CONTEXT.1)
        .destination_key_id(&own)
        .destination_encryption_context(CONTEXT.0, CONTEXT.1)
        .send()
        .await
        .unwrap();
    assert_eq!(moved.source_key_id(), Some(arn.as_str()));
    assert_eq!(moved.key_id(), Some(arn.replace(&key, &own).as_str()));
    let moved = moved.ciphertext_blob.unwrap();
    assert_eq!(decrypt(&kms, &moved).await.unwrap(), text);
    let back = kms
        .re_encrypt()
        .ciphertext_blob(moved)
        .source_encryption_context(CONTEXT.0, CONTEXT.1)
        .destination_key_id(&key)
        .destination_encryption_context(CONTEXT.0, CONTEXT.1)
        .send()
        .await
        .unwrap();
    assert_eq!(back.key_id(), Some(arn.as_str()));
    assert_eq!(
        decrypt(&kms, &back.ciphertext_blob.unwrap()).await.unwrap(),
        text
    );

    disconnect(&kms, &store).await;
    assert_eq!(
        described(&kms, &store).await.connection_state(),
        Some(&ConnectionStateType::Disconnected)
    );
    assert_eq!(key_state(&kms, &key).await, KeyState::Unavailable);
    let (code, message) = try_encrypt(&kms, &key, b"x").await.unwrap_err();
    assert_eq!(code, "KMSInvalidStateException", "{message}");
    let (code, message) = decrypt(&kms, &blob).await.unwrap_err();
    assert_eq!(code, "KMSInvalidStateException", "{message}");
    let (code, _) = xks_key(&kms, &store, EXT_KEY_2).await.unwrap_err();
    assert_eq!(code, "CustomKeyStoreInvalidStateException");

    assert_eq!(
        connect(&kms, &store).await,
        (ConnectionStateType::Connected, None)
    );
    assert_eq!(key_state(&kms, &key).await, KeyState::Enabled);
    assert_eq!(decrypt(&kms, &blob).await.unwrap(), text);

    // A store is deleted only disconnected, and only once it holds no key.
    let delete = || {
        kms.delete_custom_key_store()
            .custom_key_store_id(&store)
            .send()
    };
    let (code, _) = error_of(delete().await);
    assert_eq!(code, "CustomKeyStoreInvalidStateException", "connected");
    disconnect(&kms, &store).await;
    kms.schedule_key_deletion()
        .key_id(&key)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    let (code, _) = error_of(delete().await);
    assert_eq!(code, "CustomKeyStoreHasCMKsException");
    assert_eq!(
        connect(&kms, &store).await,
        (ConnectionStateType::Connected, None)
    );
    assert_eq!(key_state(&kms, &key).await, KeyState::PendingDeletion);
    disconnect(&kms, &store).await;
    p.kms.clock.advance(Duration::from_secs(8 * 86_400));
    assert_eq!(p.kms.server.run_maintenance().await.unwrap(), 1);
    delete().await.unwrap();
    let (code, _) = error_of(
        kms.describe_custom_key_stores()
            .custom_key_store_id(&store)
            .send()
            .await,
    );
    assert_eq!(code, "CustomKeyStoreNotFoundException");
}

#[tokio::test]
async fn neither_the_kms_nor_the_proxy_alone_decrypts() {
    let p = pair().await;
    let kms = p.kms.client();
    let store = p.connected_store().await;
    let key = p.xks_key(&store, EXT_KEY).await;
    let arn = arn_of(&kms, &key).await;
    let secret: &[u8] = b"kept under two keys";
    let blob = encrypt(&kms, &key, secret).await;

    // Trent's header names the KMS key; the proxy's parts follow it.
    let envelope = Envelope::parse(blob.as_ref()).expect("a Trent ciphertext blob");
    assert_eq!(envelope.key_id, key);
    let (iv, metadata, tag, sealed) = proxy_parts(envelope.body);
    assert!([12, 16].contains(&iv.len()), "IV of {} bytes", iv.len());
    assert!(metadata.len() <= 20, "{} bytes of metadata", metadata.len());
    assert_eq!(tag.len(), 16);
    // What the proxy sealed is Trent's ciphertext and its tag, not the plaintext.
    assert_eq!(sealed.len(), secret.len() + 16);

    // Whoever holds the store's credential gets from the proxy Trent's ciphertext only.
    let request = json!({
        "requestMetadata": {
            "awsPrincipalArn": ROOT_ARN,
            "kmsKeyArn": arn,
            "kmsOperation": "Decrypt",
            "kmsRequestId": uuid::Uuid::new_v4().to_string(),
        },
        "ciphertext": STANDARD.encode(sealed),
        "ciphertextMetadata": STANDARD.encode(metadata),
        "encryptionAlgorithm": "AES_GCM",
        "initializationVector": STANDARD.encode(iv),
        "authenticationTag": STANDARD.encode(tag),
        // The proxy's AAD is the digest of the envelope's (ciphertext-format.md).
        "additionalAuthenticatedData": STANDARD.encode(
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &envelope.aad(&context())).as_ref()
        ),
    });
    let (status, answer) = xks_post(&p, &format!("{PATH}/keys/{EXT_KEY}/decrypt"), &request).await;
    assert_eq!(status, 200, "{answer}");
    let inner = STANDARD
        .decode(answer["plaintext"].as_str().unwrap_or_default())
        .unwrap();
    assert_eq!(inner.len(), secret.len() + 16, "{answer}");
    assert!(!inner.windows(secret.len()).any(|w| w == secret));

    // Trent without the external key decrypts nothing.
    let proxy = p.proxy.client();
    proxy.disable_key().key_id(&p.backing).send().await.unwrap();
    let (code, message) = decrypt(&kms, &blob).await.unwrap_err();
    assert_eq!(code, "KMSInvalidStateException", "{message}");
    proxy.enable_key().key_id(&p.backing).send().await.unwrap();
    assert_eq!(decrypt(&kms, &blob).await.unwrap(), secret);
}

#[tokio::test]
async fn proxy_credentials_rotate_while_the_store_is_connected() {
    let p = pair().await;
    let kms = p.kms.client();
    let store = p.connected_store().await;
    let key = p.xks_key(&store, EXT_KEY).await;
    let before = encrypt(&kms, &key, b"sealed with the first set").await;

    kms.update_custom_key_store()
        .custom_key_store_id(&store)
        .xks_proxy_authentication_credential(credential(SECOND))
        .send()
        .await
        .unwrap();
    let entry = described(&kms, &store).await;
    assert_eq!(
        entry.connection_state(),
        Some(&ConnectionStateType::Connected)
    );
    assert_eq!(access_key_id(&entry), Some(SECOND.0));
    assert_eq!(
        decrypt(&kms, &before).await.unwrap(),
        b"sealed with the first set"
    );
    let after = encrypt(&kms, &key, b"sealed with the second set").await;
    assert_eq!(
        decrypt(&kms, &after).await.unwrap(),
        b"sealed with the second set"
    );

    for who in [UNKNOWN, (SECOND.0, WRONG_SECRET)] {
        let (code, message) = error_of(
            kms.update_custom_key_store()
                .custom_key_store_id(&store)
                .xks_proxy_authentication_credential(credential(who))
                .send()
                .await,
        );
        assert_eq!(
            code, "XksProxyIncorrectAuthenticationCredentialException",
            "{}: {message}",
            who.0
        );
        let entry = described(&kms, &store).await;
        assert_eq!(
            entry.connection_state(),
            Some(&ConnectionStateType::Connected)
        );
        assert_eq!(access_key_id(&entry), Some(SECOND.0), "nothing changed");
        assert_eq!(
            decrypt(&kms, &after).await.unwrap(),
            b"sealed with the second set",
            "the second set's secret is still the one used"
        );
    }

    // The proxy retires the first set without a restart (SIGHUP in `trent serve`): the KMS,
    // signing with the second, does not notice.
    std::fs::write(
        &p.proxy_config,
        proxy_toml(&p.files.cert_file, &p.files.key_file, &[SECOND]),
    )
    .unwrap();
    p.proxy.server.reload_xks_proxy().unwrap();
    // A reload that does not check leaves the running settings.
    std::fs::write(&p.proxy_config, "[xks_proxy]\ncert_file = 1\n").unwrap();
    assert!(p.proxy.server.reload_xks_proxy().is_err());
    assert_eq!(
        decrypt(&kms, &before).await.unwrap(),
        b"sealed with the first set"
    );
    let later = encrypt(&kms, &key, b"after the first set retired").await;
    assert_eq!(
        decrypt(&kms, &later).await.unwrap(),
        b"after the first set retired"
    );
    let (code, message) = error_of(
        kms.update_custom_key_store()
            .custom_key_store_id(&store)
            .xks_proxy_authentication_credential(credential(FIRST))
            .send()
            .await,
    );
    assert_eq!(
        code, "XksProxyIncorrectAuthenticationCredentialException",
        "the retired set: {message}"
    );
}

#[tokio::test]
async fn a_stopped_proxy_fails_calls_promptly_and_serves_again_after_its_restart() {
    let mut p = pair().await;
    let kms = p.kms.client();
    let store = p.connected_store().await;
    let key = p.xks_key(&store, EXT_KEY).await;
    let blob = encrypt(&kms, &key, b"sealed before the outage").await;

    let (dir, clock) = stop(p.proxy).await;
    let (code, message) = within("Encrypt, the proxy down", try_encrypt(&kms, &key, b"x"))
        .await
        .unwrap_err();
    assert_eq!(code, "KMSInvalidStateException", "{message}");
    assert!(message.contains("external key store proxy"), "{message}");
    let (code, message) = within("Decrypt, the proxy down", decrypt(&kms, &blob))
        .await
        .unwrap_err();
    assert_eq!(code, "KMSInvalidStateException", "{message}");
    // A failing proxy does not disconnect its store.
    assert_eq!(
        described(&kms, &store).await.connection_state(),
        Some(&ConnectionStateType::Connected)
    );

    p.proxy = start_proxy(dir, clock, &p.proxy_config, p.xks_addr).await;
    assert_eq!(
        within("Decrypt after the restart", decrypt(&kms, &blob))
            .await
            .unwrap(),
        b"sealed before the outage"
    );
    let after = encrypt(&kms, &key, b"sealed after the outage").await;

    // Connecting while the proxy is down fails, saying why.
    let (dir, clock) = stop(p.proxy).await;
    disconnect(&kms, &store).await;
    assert_eq!(
        within(
            "ConnectCustomKeyStore, the proxy down",
            connect(&kms, &store)
        )
        .await,
        (
            ConnectionStateType::Failed,
            Some("XKS_PROXY_NOT_REACHABLE".to_owned())
        )
    );
    p.proxy = start_proxy(dir, clock, &p.proxy_config, p.xks_addr).await;
    // A FAILED store is disconnected before it connects again.
    disconnect(&kms, &store).await;
    assert_eq!(
        connect(&kms, &store).await,
        (ConnectionStateType::Connected, None)
    );

    let config = p.kms_config.clone();
    p.kms = p.kms.restart_with(|o| o.config = Some(config)).await;
    let kms = p.kms.client();
    assert_eq!(
        described(&kms, &store).await.connection_state(),
        Some(&ConnectionStateType::Connected),
        "after the KMS's restart"
    );
    assert_eq!(
        decrypt(&kms, &blob).await.unwrap(),
        b"sealed before the outage"
    );
    assert_eq!(
        decrypt(&kms, &after).await.unwrap(),
        b"sealed after the outage"
    );
}

#[tokio::test]
async fn a_disabled_external_key_refuses_its_kms_key_until_enabled() {
    let p = pair().await;
    let kms = p.kms.client();
    let proxy = p.proxy.client();
    let store = p.connected_store().await;

    proxy
        .disable_key()
        .key_id(&p.backing_2)
        .send()
        .await
        .unwrap();
    let (code, message) = xks_key(&kms, &store, EXT_KEY_2).await.unwrap_err();
    assert_eq!(code, "XksKeyInvalidConfigurationException", "{message}");
    proxy
        .enable_key()
        .key_id(&p.backing_2)
        .send()
        .await
        .unwrap();
    let other = p.xks_key(&store, EXT_KEY_2).await;

    let key = p.xks_key(&store, EXT_KEY).await;
    let blob = encrypt(&kms, &key, b"sealed while enabled").await;
    proxy.disable_key().key_id(&p.backing).send().await.unwrap();
    let (code, message) = try_encrypt(&kms, &key, b"x").await.unwrap_err();
    assert_eq!(code, "KMSInvalidStateException", "{message}");
    assert!(
        message.contains("is not enabled in the external key manager"),
        "{message}"
    );
    let (code, message) = decrypt(&kms, &blob).await.unwrap_err();
    assert_eq!(code, "KMSInvalidStateException", "{message}");
    assert!(
        message.contains("is not enabled in the external key manager"),
        "{message}"
    );
    // The KMS key's own state is its own, as at AWS; another external key serves on.
    assert_eq!(key_state(&kms, &key).await, KeyState::Enabled);
    let elsewhere = encrypt(&kms, &other, b"another external key").await;
    assert_eq!(
        decrypt(&kms, &elsewhere).await.unwrap(),
        b"another external key"
    );

    proxy.enable_key().key_id(&p.backing).send().await.unwrap();
    assert_eq!(decrypt(&kms, &blob).await.unwrap(), b"sealed while enabled");
    let again = encrypt(&kms, &key, b"enabled again").await;
    assert_eq!(decrypt(&kms, &again).await.unwrap(), b"enabled again");
}

#[tokio::test]
async fn tampered_ciphertexts_and_wrong_contexts_do_not_decrypt() {
    let p = pair().await;
    let kms = p.kms.client();
    let store = p.connected_store().await;
    let key = p.xks_key(&store, EXT_KEY).await;
    let blob = encrypt(&kms, &key, b"tamper with me").await;
    let bytes = blob.as_ref().to_vec();

    // The blob ends with the proxy's ciphertext: the proxy refuses it.
    let mut tail = bytes.clone();
    *tail.last_mut().unwrap() ^= 0x01;
    let (code, message) = decrypt(&kms, &Blob::new(tail)).await.unwrap_err();
    assert_eq!(code, "KMSInvalidStateException", "{message}");
    assert!(message.contains("corrupted"), "{message}");

    for (what, context) in [
        ("another encryption context", Some("another purpose")),
        ("no encryption context", None),
    ] {
        let mut request = kms.decrypt().ciphertext_blob(blob.clone());
        if let Some(value) = context {
            request = request.encryption_context(CONTEXT.0, value);
        }
        let (code, message) = error_of(request.send().await);
        assert_eq!(code, "KMSInvalidStateException", "{what}: {message}");
    }

    // Trent's header: its version and key id length.
    for index in [0, 1] {
        let mut head = bytes.clone();
        head[index] ^= 0x01;
        let (code, message) = decrypt(&kms, &Blob::new(head)).await.unwrap_err();
        assert!(
            ["InvalidCiphertextException", "NotFoundException"].contains(&code.as_str()),
            "byte {index}: {code}: {message}"
        );
    }

    assert_eq!(decrypt(&kms, &blob).await.unwrap(), b"tamper with me");
}

#[tokio::test]
async fn a_silent_or_misnamed_proxy_is_unreachable() {
    let mut p = pair().await;
    let kms = p.kms.client();
    serve_silently(
        p.slow.take().unwrap(),
        xks_tls::server_config(&p.files.ca, SLOW_HOST),
    );

    let (code, message) = within(
        "CreateCustomKeyStore, a silent proxy",
        create_store(&kms, "silent", &format!("https://{SLOW_HOST}"), PATH, FIRST),
    )
    .await
    .unwrap_err();
    assert_eq!(code, "XksProxyUriUnreachableException", "{message}");
    // TLS checks the store's host name, not the address dialled.
    let (code, message) = within(
        "CreateCustomKeyStore, a misnamed proxy",
        create_store(
            &kms,
            "misnamed",
            &format!("https://{MISNAMED_HOST}"),
            PATH,
            FIRST,
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(code, "XksProxyUriUnreachableException", "{message}");
    assert!(message.contains("TLS"), "{message}");
    let listed = kms.describe_custom_key_stores().send().await.unwrap();
    assert!(listed.custom_key_stores().is_empty(), "{listed:?}");

    // The silent proxy holds nothing up.
    p.connected_store().await;
}

#[tokio::test]
async fn both_audit_trails_carry_the_kms_request_id() {
    let p = pair().await;
    let kms = p.kms.client();
    let store = p.connected_store().await;
    let key = p.xks_key(&store, EXT_KEY).await;
    let arn = arn_of(&kms, &key).await;
    let secret = "XKS-IT-AUDIT: the proxy never sees this";
    let encrypted = kms
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new(secret))
        .encryption_context(CONTEXT.0, CONTEXT.1)
        .send()
        .await
        .unwrap();
    let encrypt_id = encrypted.request_id().unwrap().to_owned();
    let decrypted = kms
        .decrypt()
        .ciphertext_blob(encrypted.ciphertext_blob.clone().unwrap())
        .encryption_context(CONTEXT.0, CONTEXT.1)
        .send()
        .await
        .unwrap();
    let decrypt_id = decrypted.request_id().unwrap().to_owned();
    assert_eq!(
        decrypted.plaintext.clone().unwrap().into_inner(),
        secret.as_bytes()
    );

    let addr = p.kms.server.local_addr;
    let body =
        json!({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "Encrypt"}]});
    let (status, _, text) =
        raw_to(addr, &lookup_events(addr, p.kms.who(), &body.to_string())).await;
    assert_eq!(status, 200, "{text}");
    let found: Value = serde_json::from_str(&text).unwrap();
    let event = found["Events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| serde_json::from_str::<Value>(e["CloudTrailEvent"].as_str().unwrap()).unwrap())
        .find(|e| e["requestID"] == encrypt_id.as_str())
        .unwrap_or_else(|| panic!("no Encrypt event with requestID {encrypt_id}: {text}"));
    assert_eq!(event["eventSource"], "kms.amazonaws.com");
    assert_eq!(event["requestParameters"]["keyId"], key.as_str());

    for (operation, id) in [("Encrypt", &encrypt_id), ("Decrypt", &decrypt_id)] {
        let event = proxy_event(&p.proxy, id).await;
        let metadata = &event["requestParameters"]["requestMetadata"];
        assert_eq!(metadata["kmsOperation"], operation, "{event}");
        assert_eq!(metadata["kmsKeyArn"], arn.as_str(), "{event}");
        assert_eq!(metadata["awsPrincipalArn"], ROOT_ARN, "{event}");
    }

    let trail: String = proxy_events(&p.proxy)
        .await
        .iter()
        .map(Value::to_string)
        .collect();
    assert!(!trail.contains(secret));
    for file in files_under(&p.proxy.data_dir()) {
        assert!(
            !file_contains(&file, secret.as_bytes()),
            "{}",
            file.display()
        );
    }
}

// The two servers.

/// The test CA and the proxy's certificate files.
struct Files {
    ca: CertifiedIssuer<'static, KeyPair>,
    /// Holds the certificates and configs until the test ends.
    _dir: TempDir,
    cert_file: PathBuf,
    key_file: PathBuf,
}

/// A Trent serving as the XKS proxy and a Trent (the KMS) that reaches it.
struct Pair {
    proxy: Harness,
    kms: Harness,
    files: Files,
    /// The proxy's XKS listener: where the KMS dials [`HOST`].
    xks_addr: SocketAddr,
    proxy_config: PathBuf,
    kms_config: PathBuf,
    /// Where the KMS dials [`SLOW_HOST`]; nothing accepts unless a test serves it.
    slow: Option<TcpListener>,
    /// The proxy's key behind [`EXT_KEY`] (and [`ENCRYPT_ONLY`]).
    backing: String,
    /// The proxy's key behind [`EXT_KEY_2`].
    backing_2: String,
}

async fn pair() -> Pair {
    let dir = tempfile::tempdir().unwrap();
    let ca = xks_tls::authority("Trent XKS integration test CA");
    let (cert_file, key_file) = xks_tls::write_server_files(&ca, HOST, dir.path(), "proxy");
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let proxy_config = dir.path().join("proxy.toml");
    std::fs::write(
        &proxy_config,
        proxy_toml(&cert_file, &key_file, &[FIRST, SECOND]),
    )
    .unwrap();
    let proxy = Harness::start_with(|o| {
        o.config = Some(proxy_config.clone());
        o.xks_listen = Some(loopback());
    })
    .await;
    let xks_addr = proxy
        .server
        .xks_addr
        .expect("the proxy's XKS listener is bound");
    let backing = aliased(&proxy, "alias/xks-backing-1").await;
    let backing_2 = aliased(&proxy, "alias/xks-backing-2").await;
    let slow = TcpListener::bind(loopback()).await.unwrap();
    let kms_config = dir.path().join("kms.toml");
    std::fs::write(
        &kms_config,
        kms_toml(&ca_file, xks_addr, slow.local_addr().unwrap()),
    )
    .unwrap();
    let kms = Harness::start_with(|o| o.config = Some(kms_config.clone())).await;
    Pair {
        proxy,
        kms,
        files: Files {
            ca,
            _dir: dir,
            cert_file,
            key_file,
        },
        xks_addr,
        proxy_config,
        kms_config,
        slow: Some(slow),
        backing,
        backing_2,
    }
}

impl Pair {
    /// The store `it-store` on the proxy, with the first credential set, connected.
    async fn connected_store(&self) -> String {
        let kms = self.kms.client();
        let id = create_store(&kms, "it-store", ENDPOINT, PATH, FIRST)
            .await
            .unwrap_or_else(|e| panic!("CreateCustomKeyStore: {e:?}"));
        assert_eq!(
            connect(&kms, &id).await,
            (ConnectionStateType::Connected, None)
        );
        id
    }

    /// A KMS key of `store` whose external key is `xks_key_id`; its key id.
    async fn xks_key(&self, store: &str, xks_key_id: &str) -> String {
        xks_key(&self.kms.client(), store, xks_key_id)
            .await
            .unwrap_or_else(|e| panic!("CreateKey with XksKeyId {xks_key_id}: {e:?}"))
    }
}

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// The proxy's config: one key store at `/keystores/it` accepting `credentials`.
fn proxy_toml(cert_file: &Path, key_file: &Path, credentials: &[(&str, &str)]) -> String {
    let credentials: String = credentials
        .iter()
        .map(|(id, secret)| format!("  {{ access_key_id = \"{id}\", secret = \"{secret}\" }},\n"))
        .collect();
    format!(
        r#"[xks_proxy]
cert_file = '{cert}'
key_file = '{key}'

[[xks_proxy.key_store]]
path_prefix = "/keystores/it"
credentials = [
{credentials}]

[[xks_proxy.key_store.key]]
external_key_id = "{EXT_KEY}"
key = "alias/xks-backing-1"
operations = ["ENCRYPT", "DECRYPT"]
allowed_principals = ["arn:aws:iam::111122223333:*"]

[[xks_proxy.key_store.key]]
external_key_id = "{EXT_KEY_2}"
key = "alias/xks-backing-2"

[[xks_proxy.key_store.key]]
external_key_id = "{ENCRYPT_ONLY}"
key = "alias/xks-backing-1"
operations = ["ENCRYPT"]
"#,
        cert = cert_file.display(),
        key = key_file.display(),
    )
}

/// The KMS's config. Its timeout is above AWS's 250 ms so that a loaded two-core runner does
/// not fail healthy calls; the silent proxy still fails well within [`PATIENCE`].
fn kms_toml(ca_file: &Path, proxy: SocketAddr, slow: SocketAddr) -> String {
    format!(
        "[external_key_store]\nca_file = '{}'\ntimeout_ms = 1000\nconnect_to = {{ \"{HOST}\" = \"{proxy}\", \"{SLOW_HOST}\" = \"{slow}\", \"{MISNAMED_HOST}\" = \"{proxy}\" }}\n",
        ca_file.display()
    )
}

/// Creates a symmetric key on `h` named `alias`; its key id.
async fn aliased(h: &Harness, alias: &str) -> String {
    let key = h.key().await;
    h.client()
        .create_alias()
        .alias_name(alias)
        .target_key_id(&key)
        .send()
        .await
        .unwrap();
    key
}

/// Stops a server, keeping its data directory and clock for a later start.
async fn stop(h: Harness) -> (TempDir, ManualClock) {
    let Harness {
        server, dir, clock, ..
    } = h;
    server.shutdown().await.unwrap();
    (dir, clock)
}

/// Starts the proxy again on its data directory, config and XKS address.
async fn start_proxy(
    dir: TempDir,
    clock: ManualClock,
    config: &Path,
    xks_addr: SocketAddr,
) -> Harness {
    let config = config.to_path_buf();
    let h = Harness::start_in(dir, clock, |o| {
        o.config = Some(config);
        o.xks_listen = Some(xks_addr);
    })
    .await;
    assert_eq!(h.server.xks_addr, Some(xks_addr));
    h
}

/// Accepts TLS connections and never answers on them.
fn serve_silently(listener: TcpListener, tls: Arc<rustls::ServerConfig>) {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _held = acceptor.accept(tcp).await;
                std::future::pending::<()>().await;
            });
        }
    });
}

/// `call`'s outcome; a call that hangs fails the test instead.
async fn within<T>(what: &str, call: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, call)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {PATIENCE:?}"))
}

// Key stores and keys through the KMS.

fn credential((access_key_id, secret): (&str, &str)) -> XksProxyAuthenticationCredentialType {
    XksProxyAuthenticationCredentialType::builder()
        .access_key_id(access_key_id)
        .raw_secret_access_key(secret)
        .build()
        .unwrap()
}

async fn create_store(
    kms: &aws_sdk_kms::Client,
    name: &str,
    endpoint: &str,
    path: &str,
    who: (&str, &str),
) -> Result<String, (String, String)> {
    kms.create_custom_key_store()
        .custom_key_store_name(name)
        .custom_key_store_type(CustomKeyStoreType::ExternalKeyStore)
        .xks_proxy_uri_endpoint(endpoint)
        .xks_proxy_uri_path(path)
        .xks_proxy_connectivity(XksProxyConnectivityType::PublicEndpoint)
        .xks_proxy_authentication_credential(credential(who))
        .send()
        .await
        .map(|r| r.custom_key_store_id.unwrap())
        .map_err(|e| error_of::<(), _>(Err(e)))
}

async fn described(kms: &aws_sdk_kms::Client, id: &str) -> CustomKeyStoresListEntry {
    kms.describe_custom_key_stores()
        .custom_key_store_id(id)
        .send()
        .await
        .unwrap()
        .custom_key_stores()[0]
        .clone()
}

fn access_key_id(entry: &CustomKeyStoresListEntry) -> Option<&str> {
    entry
        .xks_proxy_configuration()
        .and_then(|c| c.access_key_id())
}

/// The store's connection state once it has left CONNECTING, and its error code.
async fn settled(kms: &aws_sdk_kms::Client, id: &str) -> (ConnectionStateType, Option<String>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let store = described(kms, id).await;
        let state = store.connection_state().unwrap().clone();
        if state != ConnectionStateType::Connecting {
            return (
                state,
                store.connection_error_code().map(|c| c.as_str().to_owned()),
            );
        }
        assert!(Instant::now() < deadline, "{id} stayed CONNECTING");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn connect(kms: &aws_sdk_kms::Client, id: &str) -> (ConnectionStateType, Option<String>) {
    kms.connect_custom_key_store()
        .custom_key_store_id(id)
        .send()
        .await
        .unwrap();
    settled(kms, id).await
}

async fn disconnect(kms: &aws_sdk_kms::Client, id: &str) {
    kms.disconnect_custom_key_store()
        .custom_key_store_id(id)
        .send()
        .await
        .unwrap();
}

async fn xks_key(
    kms: &aws_sdk_kms::Client,
    store: &str,
    xks_key_id: &str,
) -> Result<String, (String, String)> {
    kms.create_key()
        .origin(OriginType::ExternalKeyStore)
        .custom_key_store_id(store)
        .xks_key_id(xks_key_id)
        .send()
        .await
        .map(|r| r.key_metadata.unwrap().key_id)
        .map_err(|e| error_of::<(), _>(Err(e)))
}

async fn arn_of(kms: &aws_sdk_kms::Client, key: &str) -> String {
    kms.describe_key()
        .key_id(key)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .arn
        .unwrap()
}

async fn key_state(kms: &aws_sdk_kms::Client, key: &str) -> KeyState {
    kms.describe_key()
        .key_id(key)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_state
        .unwrap()
}

fn context() -> EncryptionContext {
    EncryptionContext([(CONTEXT.0.to_owned(), CONTEXT.1.to_owned())].into())
}

async fn try_encrypt(
    kms: &aws_sdk_kms::Client,
    key: &str,
    text: &[u8],
) -> Result<Blob, (String, String)> {
    kms.encrypt()
        .key_id(key)
        .plaintext(Blob::new(text))
        .encryption_context(CONTEXT.0, CONTEXT.1)
        .send()
        .await
        .map(|r| r.ciphertext_blob.unwrap())
        .map_err(|e| error_of::<(), _>(Err(e)))
}

async fn encrypt(kms: &aws_sdk_kms::Client, key: &str, text: &[u8]) -> Blob {
    try_encrypt(kms, key, text)
        .await
        .unwrap_or_else(|e| panic!("Encrypt with {key}: {e:?}"))
}

async fn decrypt(kms: &aws_sdk_kms::Client, blob: &Blob) -> Result<Vec<u8>, (String, String)> {
    kms.decrypt()
        .ciphertext_blob(blob.clone())
        .encryption_context(CONTEXT.0, CONTEXT.1)
        .send()
        .await
        .map(|r| r.plaintext.unwrap().into_inner())
        .map_err(|e| error_of::<(), _>(Err(e)))
}

// The proxy directly.

/// The proxy's parts of an external store key's blob, after Trent's header: IV, ciphertext
/// metadata, tag and ciphertext (the first two length-prefixed).
fn proxy_parts(body: &[u8]) -> (&[u8], &[u8], &[u8], &[u8]) {
    let (&iv_len, rest) = body.split_first().unwrap();
    let (iv, rest) = rest.split_at(usize::from(iv_len));
    let (&metadata_len, rest) = rest.split_first().unwrap();
    let (metadata, rest) = rest.split_at(usize::from(metadata_len));
    let (tag, ciphertext) = rest.split_at(16);
    (iv, metadata, tag, ciphertext)
}

/// A POST to the proxy's XKS API with the first credential set, signed as the KMS signs
/// (`host` and `x-amz-date`); the status and the JSON body.
async fn xks_post(p: &Pair, path: &str, body: &Value) -> (u16, Value) {
    xks_tls::signed_post(p.xks_addr, p.files.ca.der(), HOST, FIRST, path, body).await
}

// The audit trails.

async fn proxy_events(h: &Harness) -> Vec<Value> {
    trent_server::audit::search(
        h.server.kms.store().as_ref(),
        &trent_server::audit::Filter::default(),
        usize::MAX,
    )
    .await
    .unwrap()
    .into_iter()
    .map(|(_, e)| e)
    .collect()
}

/// The proxy's event of the KMS request `request_id` (waiting a little for the trail).
async fn proxy_event(h: &Harness, request_id: &str) -> Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let found = proxy_events(h).await.into_iter().find(|e| {
            e["eventSource"] == PROXY_SOURCE
                && e["requestParameters"]["requestMetadata"]["kmsRequestId"] == request_id
        });
        if let Some(event) = found {
            return event;
        }
        assert!(
            Instant::now() < deadline,
            "the proxy has no {PROXY_SOURCE} event for KMS request {request_id}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
