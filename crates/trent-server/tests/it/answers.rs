//! AWS's exact answers where third-party test suites check them: error types, messages (or
//! their absence) and response shapes, through `aws-sdk-kms` and, where the body itself is
//! the point, raw HTTP. Sources: docs/research/aws-error-messages.md, sections 15 and 16.

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{DryRunModifierType, KeyAgreementAlgorithmSpec, KeySpec, KeyUsageType};

use crate::builders::created;
use crate::harness::{Harness, error_of};

fn arn(id: &str) -> String {
    format!("arn:aws:kms:us-east-1:111122223333:key/{id}")
}

#[tokio::test]
async fn create_key_needs_a_usage_for_every_spec_but_symmetric() {
    let h = Harness::start().await;
    let kms = h.client();
    for spec in [KeySpec::Hmac256, KeySpec::Rsa2048, KeySpec::EccNistP256] {
        assert_eq!(
            error_of(kms.create_key().key_spec(spec.clone()).send().await),
            (
                "ValidationException".to_owned(),
                "You must specify a KeyUsage value for all KMS keys except for symmetric \
                 encryption keys."
                    .to_owned()
            ),
            "{spec:?}"
        );
    }
    // The symmetric default needs none.
    let meta = created(kms.create_key().key_spec(KeySpec::SymmetricDefault)).await;
    assert_eq!(meta.key_usage, Some(KeyUsageType::EncryptDecrypt));
}

#[tokio::test]
async fn generate_random_without_a_length() {
    let h = Harness::start().await;
    assert_eq!(
        error_of(h.client().generate_random().send().await),
        (
            "ValidationException".to_owned(),
            "NumberOfBytes is required.".to_owned()
        )
    );
}

#[tokio::test]
async fn decrypt_with_a_key_that_cannot_decrypt_is_the_incorrect_key() {
    let h = Harness::start().await;
    let kms = h.client();
    let blob = h.encrypt(&h.key().await, "secret").await;
    let wrong = [
        h.key_of(KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac)
            .await,
        h.key_of(KeySpec::Rsa2048, KeyUsageType::SignVerify).await,
        h.key_of(KeySpec::EccNistP256, KeyUsageType::KeyAgreement)
            .await,
    ];
    let expected = (
        "IncorrectKeyException".to_owned(),
        "The key ID in the request does not identify a CMK that can perform this operation."
            .to_owned(),
    );
    let destination = h.key().await;
    for key in &wrong {
        assert_eq!(
            error_of(
                kms.decrypt()
                    .key_id(key)
                    .ciphertext_blob(blob.clone())
                    .send()
                    .await
            ),
            expected,
            "Decrypt with {key}"
        );
        assert_eq!(
            error_of(
                kms.re_encrypt()
                    .source_key_id(key)
                    .destination_key_id(&destination)
                    .ciphertext_blob(blob.clone())
                    .send()
                    .await
            ),
            expected,
            "ReEncrypt from {key}"
        );
    }
}

#[tokio::test]
async fn dry_runs_that_ignore_the_ciphertext() {
    let h = Harness::start().await;
    let kms = h.client();
    let key = h.key().await;
    let dry_run = (
        "DryRunOperationException".to_owned(),
        "The request would have succeeded, but the DryRun option is set.".to_owned(),
    );
    // No ciphertext at all, or one that is not a ciphertext: only authorization is checked.
    assert_eq!(
        error_of(
            kms.decrypt()
                .key_id(&key)
                .dry_run(true)
                .dry_run_modifiers(DryRunModifierType::IgnoreCiphertext)
                .send()
                .await
        ),
        dry_run
    );
    assert_eq!(
        error_of(
            kms.decrypt()
                .key_id(&key)
                .ciphertext_blob(Blob::new("not a ciphertext"))
                .dry_run(true)
                .dry_run_modifiers(DryRunModifierType::IgnoreCiphertext)
                .send()
                .await
        ),
        dry_run
    );
    assert_eq!(
        error_of(
            kms.re_encrypt()
                .source_key_id(&key)
                .destination_key_id(h.key().await)
                .dry_run(true)
                .dry_run_modifiers(DryRunModifierType::IgnoreCiphertext)
                .send()
                .await
        ),
        dry_run
    );
    // Without the modifier the ciphertext is still checked, and still required.
    assert_eq!(
        error_of(
            kms.decrypt()
                .key_id(&key)
                .ciphertext_blob(Blob::new("not a ciphertext"))
                .dry_run(true)
                .send()
                .await
        )
        .0,
        "InvalidCiphertextException"
    );
    assert_eq!(
        error_of(kms.decrypt().key_id(&key).dry_run(true).send().await),
        (
            "ValidationException".to_owned(),
            "1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy \
             constraint: Member must not be null"
                .to_owned()
        )
    );
    // The modifier applies to dry runs only.
    assert_eq!(
        error_of(
            kms.decrypt()
                .key_id(&key)
                .dry_run_modifiers(DryRunModifierType::IgnoreCiphertext)
                .send()
                .await
        )
        .0,
        "ValidationException"
    );
    // Ignoring the ciphertext, the key must come from KeyId, and be one that decrypts.
    let (code, message) = error_of(
        kms.decrypt()
            .dry_run(true)
            .dry_run_modifiers(DryRunModifierType::IgnoreCiphertext)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(message.contains("KeyId"), "{message}");
    let mac = h
        .key_of(KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac)
        .await;
    assert_eq!(
        error_of(
            kms.decrypt()
                .key_id(&mac)
                .dry_run(true)
                .dry_run_modifiers(DryRunModifierType::IgnoreCiphertext)
                .send()
                .await
        )
        .0,
        "IncorrectKeyException"
    );
    // A disabled key fails as it would for real.
    kms.disable_key().key_id(&key).send().await.unwrap();
    assert_eq!(
        error_of(
            kms.decrypt()
                .key_id(&key)
                .dry_run(true)
                .dry_run_modifiers(DryRunModifierType::IgnoreCiphertext)
                .send()
                .await
        )
        .0,
        "DisabledException"
    );
}

#[tokio::test]
async fn rotate_key_on_demand_answers_with_the_arn_and_bare_errors() {
    let h = Harness::start().await;
    let kms = h.client();
    let key = h.key().await;
    let out = kms
        .rotate_key_on_demand()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(out.key_id, Some(arn(&key)));
    let status = kms
        .get_key_rotation_status()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(status.on_demand_rotation_start_date, None);
    for (spec, usage) in [
        (KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac),
        (KeySpec::EccNistP256, KeyUsageType::SignVerify),
    ] {
        let other = h.key_of(spec, usage).await;
        // AWS sends the type alone; so does Trent, on the wire too.
        assert_eq!(
            error_of(kms.rotate_key_on_demand().key_id(&other).send().await),
            ("UnsupportedOperationException".to_owned(), String::new())
        );
        let (status, _, body) = h
            .raw(&h.request(
                "TrentService.RotateKeyOnDemand",
                &format!(r#"{{"KeyId":"{other}"}}"#),
                true,
            ))
            .await;
        assert_eq!(status, 400);
        assert_eq!(body, r#"{"__type":"UnsupportedOperationException"}"#);
    }
}

#[tokio::test]
async fn derive_shared_secret_with_a_bad_public_key_has_no_message() {
    let h = Harness::start().await;
    let kms = h.client();
    let key = h
        .key_of(KeySpec::EccNistP256, KeyUsageType::KeyAgreement)
        .await;
    // A P-384 key's SPKI is well-formed but of the wrong curve; the others are not SPKIs.
    let p384 = h
        .key_of(KeySpec::EccNistP384, KeyUsageType::KeyAgreement)
        .await;
    let wrong_curve = h.public_key(&p384).await;
    for public in [wrong_curve, b"not a key".to_vec(), vec![0x04; 65]] {
        assert_eq!(
            error_of(
                kms.derive_shared_secret()
                    .key_id(&key)
                    .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
                    .public_key(Blob::new(public))
                    .send()
                    .await
            ),
            ("ValidationException".to_owned(), String::new())
        );
    }
}

#[tokio::test]
async fn derive_shared_secret_with_a_bad_public_key_sends_no_message_on_the_wire() {
    let h = Harness::start().await;
    let key = h
        .key_of(KeySpec::EccNistP256, KeyUsageType::KeyAgreement)
        .await;
    // "not a key" and sixty-five 0x04 bytes, in base64: neither is an SPKI.
    for public in [
        "bm90IGEga2V5",
        "BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ=",
    ] {
        let (status, _, body) = h
            .raw(&h.request(
                "TrentService.DeriveSharedSecret",
                &format!(
                    r#"{{"KeyId":"{key}","KeyAgreementAlgorithm":"ECDH","PublicKey":"{public}"}}"#
                ),
                true,
            ))
            .await;
        assert_eq!(status, 400, "{body}");
        // AWS sends the type alone: no `message` member at all, not even an empty one.
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["__type"], "ValidationException", "{body}");
        assert!(body.get("message").is_none(), "{body}");
        assert_eq!(
            body,
            serde_json::json!({"__type": "ValidationException"}),
            "{body}"
        );
    }
}

#[tokio::test]
async fn replicate_key_on_a_replica_and_without_tags() {
    let h = Harness::start().await;
    let east = h.client_in("us-east-1");
    let id = created(east.create_key().multi_region(true)).await.key_id;
    // No tags asked for: no ReplicaTags member at all, as at AWS.
    let (status, _, body) = h
        .raw(&h.request(
            "TrentService.ReplicateKey",
            &format!(r#"{{"KeyId":"{id}","ReplicaRegion":"eu-west-1"}}"#),
            true,
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(body.get("ReplicaKeyMetadata").is_some(), "{body}");
    assert!(body.get("ReplicaTags").is_none(), "{body}");
    let replica_arn = format!("arn:aws:kms:eu-west-1:111122223333:key/{id}");
    assert_eq!(
        error_of(
            h.client_in("eu-west-1")
                .replicate_key()
                .key_id(&id)
                .replica_region("ap-south-1")
                .send()
                .await
        ),
        (
            "UnsupportedOperationException".to_owned(),
            format!("{replica_arn} is not a multi-region primary key.")
        )
    );
}

#[tokio::test]
async fn list_retirable_grants_needs_a_principal() {
    let h = Harness::start().await;
    let one_of_them = (
        "ValidationException".to_owned(),
        "You must specify either RetiringPrincipal or RetiringServicePrincipal, but not both."
            .to_owned(),
    );
    assert_eq!(
        error_of(h.client().list_retirable_grants().send().await),
        one_of_them
    );
    // Both at once: the same words.
    assert_eq!(
        error_of(
            h.client()
                .list_retirable_grants()
                .retiring_principal("arn:aws:iam::111122223333:root")
                .retiring_service_principal("dynamodb.amazonaws.com")
                .send()
                .await
        ),
        one_of_them
    );
    // With one, it lists.
    let out = h
        .client()
        .list_retirable_grants()
        .retiring_principal("arn:aws:iam::111122223333:root")
        .send()
        .await
        .unwrap();
    assert!(out.grants().is_empty());
}

#[tokio::test]
async fn rsa_encrypt_over_the_limit_names_algorithm_spec_and_limit() {
    use aws_sdk_kms::types::EncryptionAlgorithmSpec as Alg;
    let h = Harness::start().await;
    let kms = h.client();
    // AWS's limits (LS-snap test_encrypt_validate_plaintext_size_per_key_type).
    for (spec, name, limits) in [
        (KeySpec::Rsa2048, "RSA_2048", [214, 190]),
        (KeySpec::Rsa3072, "RSA_3072", [342, 318]),
        (KeySpec::Rsa4096, "RSA_4096", [470, 446]),
    ] {
        let key = h.key_of(spec, KeyUsageType::EncryptDecrypt).await;
        for (alg, alg_name, limit) in [
            (Alg::RsaesOaepSha1, "RSAES_OAEP_SHA_1", limits[0]),
            (Alg::RsaesOaepSha256, "RSAES_OAEP_SHA_256", limits[1]),
        ] {
            assert_eq!(
                error_of(
                    kms.encrypt()
                        .key_id(&key)
                        .plaintext(Blob::new(vec![1u8; limit + 1]))
                        .encryption_algorithm(alg)
                        .send()
                        .await
                ),
                (
                    "ValidationException".to_owned(),
                    format!(
                        "Algorithm {alg_name} and key spec {name} cannot encrypt data larger \
                         than {limit} bytes."
                    )
                )
            );
        }
    }
}

#[tokio::test]
async fn get_parameters_for_import_names_the_origin() {
    use aws_sdk_kms::types::{AlgorithmSpec, WrappingKeySpec};
    let h = Harness::start().await;
    let key = h.key().await;
    assert_eq!(
        error_of(
            h.client()
                .get_parameters_for_import()
                .key_id(&key)
                .wrapping_algorithm(AlgorithmSpec::RsaesOaepSha256)
                .wrapping_key_spec(WrappingKeySpec::Rsa2048)
                .send()
                .await
        ),
        (
            "UnsupportedOperationException".to_owned(),
            format!(
                "{} origin is AWS_KMS which is not valid for this operation.",
                arn(&key)
            )
        )
    );
}

// Messages Trent used to write itself and now sends in AWS's words (research section 16).

#[tokio::test]
async fn sm2_is_not_supported_in_this_region() {
    use aws_sdk_kms::types::{AlgorithmSpec, DataKeyPairSpec, OriginType, WrappingKeySpec};
    let h = Harness::start().await;
    let kms = h.client();
    let unsupported = |spec: &str| {
        (
            "UnsupportedOperationException".to_owned(),
            format!("{spec} SM2 is not supported in this Region"),
        )
    };
    // AWS's answer outside its China Regions, without a final period.
    assert_eq!(
        error_of(
            kms.create_key()
                .key_spec(KeySpec::Sm2)
                .key_usage(KeyUsageType::SignVerify)
                .send()
                .await
        ),
        unsupported("KeySpec")
    );
    // The same form for the data key pairs and the wrapping keys of SM2.
    let key = h.key().await;
    assert_eq!(
        error_of(
            kms.generate_data_key_pair()
                .key_id(&key)
                .key_pair_spec(DataKeyPairSpec::Sm2)
                .send()
                .await
        ),
        unsupported("KeyPairSpec")
    );
    assert_eq!(
        error_of(
            kms.generate_data_key_pair_without_plaintext()
                .key_id(&key)
                .key_pair_spec(DataKeyPairSpec::Sm2)
                .send()
                .await
        ),
        unsupported("KeyPairSpec")
    );
    let external = created(kms.create_key().origin(OriginType::External))
        .await
        .key_id;
    assert_eq!(
        error_of(
            kms.get_parameters_for_import()
                .key_id(&external)
                .wrapping_algorithm(AlgorithmSpec::RsaesOaepSha256)
                .wrapping_key_spec(WrappingKeySpec::Sm2)
                .send()
                .await
        ),
        unsupported("WrappingKeySpec")
    );
}

#[tokio::test]
async fn key_rotation_of_asymmetric_and_hmac_keys_is_refused_without_a_message() {
    let h = Harness::start().await;
    let kms = h.client();
    for (spec, usage) in [
        (KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt),
        (KeySpec::EccNistP256, KeyUsageType::SignVerify),
        (KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac),
    ] {
        let key = h.key_of(spec.clone(), usage).await;
        let bare = ("UnsupportedOperationException".to_owned(), String::new());
        assert_eq!(
            error_of(kms.enable_key_rotation().key_id(&key).send().await),
            bare,
            "{spec:?}"
        );
        assert_eq!(
            error_of(kms.disable_key_rotation().key_id(&key).send().await),
            bare,
            "{spec:?}"
        );
        // On the wire: the type alone, no `message` member.
        for target in [
            "TrentService.EnableKeyRotation",
            "TrentService.DisableKeyRotation",
        ] {
            let (status, _, body) = h
                .raw(&h.request(target, &format!(r#"{{"KeyId":"{key}"}}"#), true))
                .await;
            assert_eq!(status, 400, "{target} {spec:?}");
            assert_eq!(
                body, r#"{"__type":"UnsupportedOperationException"}"#,
                "{target} {spec:?}"
            );
        }
    }
}

#[tokio::test]
async fn data_keys_under_a_key_of_another_usage_name_its_usage() {
    use aws_sdk_kms::types::DataKeyPairSpec;
    let h = Harness::start().await;
    let kms = h.client();
    for (spec, usage, name) in [
        (KeySpec::Rsa2048, KeyUsageType::SignVerify, "SIGN_VERIFY"),
        (
            KeySpec::Hmac256,
            KeyUsageType::GenerateVerifyMac,
            "GENERATE_VERIFY_MAC",
        ),
        (
            KeySpec::EccNistP256,
            KeyUsageType::KeyAgreement,
            "KEY_AGREEMENT",
        ),
    ] {
        let key = h.key_of(spec, usage).await;
        // AWS's form for a key of the wrong usage, as for Encrypt (research section 4).
        let answer = |operation: &str| {
            (
                "InvalidKeyUsageException".to_owned(),
                format!(
                    "{} key usage is {name} which is not valid for {operation}.",
                    arn(&key)
                ),
            )
        };
        assert_eq!(
            error_of(
                kms.generate_data_key()
                    .key_id(&key)
                    .number_of_bytes(32)
                    .send()
                    .await
            ),
            answer("GenerateDataKey")
        );
        assert_eq!(
            error_of(
                kms.generate_data_key_without_plaintext()
                    .key_id(&key)
                    .number_of_bytes(32)
                    .send()
                    .await
            ),
            answer("GenerateDataKeyWithoutPlaintext")
        );
        assert_eq!(
            error_of(
                kms.generate_data_key_pair()
                    .key_id(&key)
                    .key_pair_spec(DataKeyPairSpec::EccNistP256)
                    .send()
                    .await
            ),
            answer("GenerateDataKeyPair")
        );
        assert_eq!(
            error_of(
                kms.generate_data_key_pair_without_plaintext()
                    .key_id(&key)
                    .key_pair_spec(DataKeyPairSpec::EccNistP256)
                    .send()
                    .await
            ),
            answer("GenerateDataKeyPairWithoutPlaintext")
        );
    }
    // An RSA encryption key has the usage but is not symmetric; AWS's answer for it is not
    // recorded, so Trent's own sentence stays (docs/compat.md).
    let rsa = h
        .key_of(KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt)
        .await;
    let not_symmetric = |operation: &str| {
        (
            "InvalidKeyUsageException".to_owned(),
            format!("{operation} requires a symmetric encryption KMS key."),
        )
    };
    assert_eq!(
        error_of(
            kms.generate_data_key()
                .key_id(&rsa)
                .number_of_bytes(32)
                .send()
                .await
        ),
        not_symmetric("GenerateDataKey")
    );
    assert_eq!(
        error_of(
            kms.generate_data_key_pair()
                .key_id(&rsa)
                .key_pair_spec(DataKeyPairSpec::EccNistP256)
                .send()
                .await
        ),
        not_symmetric("GenerateDataKeyPair")
    );
}

#[tokio::test]
async fn a_grant_of_create_grant_alone_is_refused() {
    use aws_sdk_kms::types::GrantOperation;
    let h = Harness::start().await;
    let kms = h.client();
    let key = h.key().await;
    let grant = || {
        kms.create_grant()
            .key_id(&key)
            .grantee_principal("arn:aws:iam::111122223333:root")
            .operations(GrantOperation::CreateGrant)
    };
    assert_eq!(
        error_of(grant().send().await),
        (
            "ValidationException".to_owned(),
            "Grants must not contain only the CreateGrant operation.".to_owned()
        )
    );
    // With another operation beside it, the grant is made.
    grant()
        .operations(GrantOperation::Decrypt)
        .send()
        .await
        .unwrap();
}
