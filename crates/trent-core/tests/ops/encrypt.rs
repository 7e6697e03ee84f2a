//! Encrypt, Decrypt, ReEncrypt, GenerateDataKey and GenerateMac/VerifyMac: round trips, and
//! what a wrong context, a tampered blob, a disabled key or a key of the wrong usage gets.

use trent_core::Error;
use trent_core::model::{EncryptionAlgorithm, KeyRef, KeyState, MacAlgorithm};
use trent_core::ops::encrypt::DecryptInput;
use trent_core::secret::Secret;

use crate::fixture::{Fixture, context, decrypt_input};

#[tokio::test]
async fn encrypt_then_decrypt_with_the_same_context_round_trips() {
    let f = Fixture::new().await;
    let ctx = f.owner();
    let key = f.symmetric_key().await;
    let plaintext = Secret::from_slice(b"attack at dawn");
    let aad = context(&[("purpose", "test"), ("tenant", "blue")]);

    let encrypted = f
        .kms
        .encrypt(
            &ctx,
            &KeyRef::Id(key.id.clone()),
            &plaintext,
            &aad,
            None,
            false,
        )
        .await
        .unwrap();
    assert_eq!(encrypted.key.id, key.id);
    assert_eq!(encrypted.material, key.current_material);
    assert_eq!(encrypted.algorithm, EncryptionAlgorithm::SymmetricDefault);
    assert!(
        !encrypted
            .ciphertext
            .windows(plaintext.len())
            .any(|w| w == plaintext.as_slice()),
        "the plaintext is not in the blob"
    );

    // Decrypt needs no KeyId: the blob names its key.
    let decrypted = f
        .kms
        .decrypt(&ctx, decrypt_input(&encrypted.ciphertext, &aad), false)
        .await
        .unwrap();
    assert_eq!(decrypted.plaintext, plaintext);
    assert_eq!(decrypted.key.id, key.id);
    assert_eq!(decrypted.material, key.current_material);
    assert_eq!(decrypted.algorithm, EncryptionAlgorithm::SymmetricDefault);

    // Naming the right key is fine too; the pairs' order never mattered (a BTreeMap).
    let named = KeyRef::parse(&key.arn()).unwrap();
    let again = f
        .kms
        .decrypt(
            &ctx,
            DecryptInput {
                key: Some(&named),
                ..decrypt_input(
                    &encrypted.ciphertext,
                    &context(&[("tenant", "blue"), ("purpose", "test")]),
                )
            },
            false,
        )
        .await
        .unwrap();
    assert_eq!(again.plaintext, plaintext);
}

#[tokio::test]
async fn decrypt_with_another_context_or_a_damaged_blob_is_invalid_ciphertext() {
    let f = Fixture::new().await;
    let ctx = f.owner();
    let key = f.symmetric_key().await;
    let plaintext = Secret::from_slice(b"attack at dawn");
    let aad = context(&[("purpose", "test")]);
    let blob = f
        .kms
        .encrypt(
            &ctx,
            &KeyRef::Id(key.id.clone()),
            &plaintext,
            &aad,
            None,
            false,
        )
        .await
        .unwrap()
        .ciphertext;

    let contexts = [
        ("no context", context(&[])),
        ("another value", context(&[("purpose", "prod")])),
        ("another key", context(&[("Purpose", "test")])),
        ("an extra pair", context(&[("purpose", "test"), ("x", "y")])),
    ];
    for (case, other) in &contexts {
        let outcome = f
            .kms
            .decrypt(&ctx, decrypt_input(&blob, other), false)
            .await;
        assert!(
            matches!(outcome, Err(Error::InvalidCiphertext)),
            "{case}: {outcome:?}"
        );
    }

    let mut flipped = blob.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x01;
    let truncated = blob[..3].to_vec();
    let blobs = [
        ("last byte flipped", flipped),
        ("truncated", truncated),
        ("not a blob", b"hello world, not a ciphertext".to_vec()),
    ];
    for (case, bad) in &blobs {
        let outcome = f.kms.decrypt(&ctx, decrypt_input(bad, &aad), false).await;
        assert!(
            matches!(outcome, Err(Error::InvalidCiphertext)),
            "{case}: {outcome:?}"
        );
    }

    // The right context still opens the blob: nothing above changed the key.
    let decrypted = f
        .kms
        .decrypt(&ctx, decrypt_input(&blob, &aad), false)
        .await
        .unwrap();
    assert_eq!(decrypted.plaintext, plaintext);
}

#[tokio::test]
async fn decrypt_naming_another_key_is_incorrect_key() {
    let f = Fixture::new().await;
    let ctx = f.owner();
    let key = f.symmetric_key().await;
    let other = f.symmetric_key().await;
    let aad = context(&[]);
    let blob = f
        .kms
        .encrypt(
            &ctx,
            &KeyRef::Id(key.id.clone()),
            &Secret::from_slice(b"x"),
            &aad,
            None,
            false,
        )
        .await
        .unwrap()
        .ciphertext;
    let wrong = KeyRef::Id(other.id.clone());
    let outcome = f
        .kms
        .decrypt(
            &ctx,
            DecryptInput {
                key: Some(&wrong),
                ..decrypt_input(&blob, &aad)
            },
            false,
        )
        .await;
    assert!(matches!(outcome, Err(Error::IncorrectKey)), "{outcome:?}");
}

#[tokio::test]
async fn re_encrypt_moves_a_ciphertext_to_another_key_and_context() {
    let f = Fixture::new().await;
    let ctx = f.owner();
    let (from, to) = (f.symmetric_key().await, f.symmetric_key().await);
    let plaintext = Secret::from_slice(b"moving house");
    let (old_aad, new_aad) = (context(&[("v", "1")]), context(&[("v", "2")]));
    let blob = f
        .kms
        .encrypt(
            &ctx,
            &KeyRef::Id(from.id.clone()),
            &plaintext,
            &old_aad,
            None,
            false,
        )
        .await
        .unwrap()
        .ciphertext;
    let moved = f
        .kms
        .re_encrypt(
            &ctx,
            decrypt_input(&blob, &old_aad),
            &KeyRef::Id(to.id.clone()),
            &new_aad,
            None,
            false,
        )
        .await
        .unwrap();
    assert_eq!(moved.source.key.id, from.id);
    assert_eq!(moved.destination.key.id, to.id);

    let decrypted = f
        .kms
        .decrypt(
            &ctx,
            decrypt_input(&moved.destination.ciphertext, &new_aad),
            false,
        )
        .await
        .unwrap();
    assert_eq!(decrypted.key.id, to.id);
    assert_eq!(decrypted.plaintext, plaintext);
    let outcome = f
        .kms
        .decrypt(
            &ctx,
            decrypt_input(&moved.destination.ciphertext, &old_aad),
            false,
        )
        .await;
    assert!(
        matches!(outcome, Err(Error::InvalidCiphertext)),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_data_key_decrypts_to_its_plaintext() {
    let f = Fixture::new().await;
    let ctx = f.owner();
    let key = f.symmetric_key().await;
    let aad = context(&[("bucket", "logs")]);
    for length in [16, 32, 1, 1024] {
        let data_key = f
            .kms
            .generate_data_key(
                &ctx,
                &KeyRef::Id(key.id.clone()),
                length,
                &aad,
                "kms:GenerateDataKey",
                false,
            )
            .await
            .unwrap();
        assert_eq!(data_key.plaintext.len(), length);
        assert_eq!(data_key.encrypted.key.id, key.id);
        let decrypted = f
            .kms
            .decrypt(
                &ctx,
                decrypt_input(&data_key.encrypted.ciphertext, &aad),
                false,
            )
            .await
            .unwrap();
        assert_eq!(decrypted.plaintext, data_key.plaintext, "{length} bytes");
    }
}

#[tokio::test]
async fn generate_mac_then_verify_mac() {
    let f = Fixture::new().await;
    let ctx = f.owner();
    let key = f.hmac_key().await;
    let id = KeyRef::Id(key.id.clone());
    let mac = f
        .kms
        .generate_mac(&ctx, &id, MacAlgorithm::HmacSha256, b"message", false)
        .await
        .unwrap();
    assert_eq!(mac.key.id, key.id);
    assert_eq!(mac.mac.len(), 32);
    // The same message and key give the same MAC.
    let again = f
        .kms
        .generate_mac(&ctx, &id, MacAlgorithm::HmacSha256, b"message", false)
        .await
        .unwrap();
    assert_eq!(again.mac, mac.mac);

    let verified = f
        .kms
        .verify_mac(
            &ctx,
            &id,
            MacAlgorithm::HmacSha256,
            b"message",
            &mac.mac,
            false,
        )
        .await
        .unwrap();
    assert_eq!(verified.id, key.id);

    let mut bad = mac.mac.clone();
    bad[0] ^= 0x80;
    let cases: [(&str, &[u8], &[u8]); 2] = [
        ("another message", b"massage", &mac.mac),
        ("another MAC", b"message", &bad),
    ];
    for (case, message, tag) in cases {
        let outcome = f
            .kms
            .verify_mac(&ctx, &id, MacAlgorithm::HmacSha256, message, tag, false)
            .await;
        assert!(
            matches!(outcome, Err(Error::InvalidMac)),
            "{case}: {outcome:?}"
        );
    }
}

#[tokio::test]
async fn a_key_of_another_usage_or_algorithm_is_refused() {
    let f = Fixture::new().await;
    let ctx = f.owner();
    let symmetric = KeyRef::Id(f.symmetric_key().await.id);
    let hmac = KeyRef::Id(f.hmac_key().await.id);
    let aad = context(&[]);
    let plaintext = Secret::from_slice(b"x");

    let outcome = f
        .kms
        .encrypt(&ctx, &hmac, &plaintext, &aad, None, false)
        .await;
    assert!(
        matches!(outcome, Err(Error::InvalidKeyUsage { .. })),
        "Encrypt with HMAC: {outcome:?}"
    );
    let outcome = f
        .kms
        .encrypt(
            &ctx,
            &symmetric,
            &plaintext,
            &aad,
            Some(EncryptionAlgorithm::RsaesOaepSha256),
            false,
        )
        .await;
    assert!(
        matches!(outcome, Err(Error::InvalidKeyUsage { .. })),
        "Encrypt with RSAES_OAEP: {outcome:?}"
    );
    let outcome = f
        .kms
        .generate_mac(&ctx, &symmetric, MacAlgorithm::HmacSha256, b"m", false)
        .await;
    assert!(
        matches!(outcome, Err(Error::InvalidKeyUsage { .. })),
        "GenerateMac with AES: {outcome:?}"
    );
    let outcome = f
        .kms
        .generate_mac(&ctx, &hmac, MacAlgorithm::HmacSha512, b"m", false)
        .await;
    assert!(
        matches!(outcome, Err(Error::InvalidKeyUsage { .. })),
        "HMAC_SHA_512 with HMAC_256: {outcome:?}"
    );
    // Decrypt naming an HMAC key: IncorrectKeyException, as at AWS.
    let outcome = f
        .kms
        .decrypt(
            &ctx,
            DecryptInput {
                key: Some(&hmac),
                ..decrypt_input(b"whatever".as_slice(), &aad)
            },
            false,
        )
        .await;
    assert!(
        matches!(outcome, Err(Error::IncorrectKey)),
        "Decrypt with HMAC: {outcome:?}"
    );
}

#[tokio::test]
async fn a_disabled_key_refuses_cryptography_until_enabled() {
    let f = Fixture::new().await;
    let ctx = f.owner();
    let key = f.symmetric_key().await;
    let hmac = f.hmac_key().await;
    let id = KeyRef::Id(key.id.clone());
    let hmac_id = KeyRef::Id(hmac.id.clone());
    let plaintext = Secret::from_slice(b"attack at dawn");
    let aad = context(&[("purpose", "test")]);
    let blob = f
        .kms
        .encrypt(&ctx, &id, &plaintext, &aad, None, false)
        .await
        .unwrap()
        .ciphertext;

    f.kms.disable_key(&ctx, &id).await.unwrap();
    f.kms.disable_key(&ctx, &hmac_id).await.unwrap();
    // DescribeKey works in any state.
    let described = f.kms.describe_key(&ctx, &id).await.unwrap();
    assert_eq!(described.state, KeyState::Disabled);

    let outcomes: Vec<(&str, String, trent_core::Result<()>)> = vec![
        (
            "Encrypt",
            key.arn(),
            f.kms
                .encrypt(&ctx, &id, &plaintext, &aad, None, false)
                .await
                .map(drop),
        ),
        (
            "Decrypt",
            key.arn(),
            f.kms
                .decrypt(&ctx, decrypt_input(&blob, &aad), false)
                .await
                .map(drop),
        ),
        (
            "GenerateDataKey",
            key.arn(),
            f.kms
                .generate_data_key(&ctx, &id, 32, &aad, "kms:GenerateDataKey", false)
                .await
                .map(drop),
        ),
        // A dry run still checks the key's state: a disabled key never answers DryRun.
        (
            "Encrypt (dry run)",
            key.arn(),
            f.kms
                .encrypt(&ctx, &id, &plaintext, &aad, None, true)
                .await
                .map(drop),
        ),
        (
            "GenerateMac",
            hmac.arn(),
            f.kms
                .generate_mac(&ctx, &hmac_id, MacAlgorithm::HmacSha256, b"m", false)
                .await
                .map(drop),
        ),
    ];
    for (op, arn, outcome) in outcomes {
        match outcome {
            Err(Error::Disabled { arn: got }) => assert_eq!(got, arn, "{op}"),
            other => panic!("{op}: {other:?}"),
        }
    }

    f.kms.enable_key(&ctx, &id).await.unwrap();
    assert_eq!(
        f.kms.describe_key(&ctx, &id).await.unwrap().state,
        KeyState::Enabled
    );
    let decrypted = f
        .kms
        .decrypt(&ctx, decrypt_input(&blob, &aad), false)
        .await
        .unwrap();
    assert_eq!(decrypted.plaintext, plaintext);
    f.kms
        .encrypt(&ctx, &id, &plaintext, &aad, None, false)
        .await
        .unwrap();
}
