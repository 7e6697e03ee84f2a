//! Cryptographic operations through the SDK: Encrypt, Decrypt, ReEncrypt, GenerateDataKey*,
//! GenerateRandom, encryption context binding, key-state rules and the ciphertext format.

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{DataKeySpec, EncryptionAlgorithmSpec};
use proptest::prelude::*;

use crate::harness::{Harness, error_of};

#[tokio::test]
async fn encrypt_decrypt_round_trip_with_and_without_key_id() {
    let h = Harness::start().await;
    let kms = h.client();
    let id = h.key().await;
    let arn = format!("arn:aws:kms:us-east-1:111122223333:key/{id}");
    for size in [1usize, 17, 4096] {
        let plaintext = vec![0xA5u8; size];
        let out = kms
            .encrypt()
            .key_id(&id)
            .plaintext(Blob::new(plaintext.clone()))
            .send()
            .await
            .unwrap();
        assert_eq!(out.key_id.as_deref(), Some(arn.as_str()));
        assert_eq!(
            out.encryption_algorithm,
            Some(EncryptionAlgorithmSpec::SymmetricDefault)
        );
        let blob = out.ciphertext_blob.unwrap();
        assert!(blob.as_ref().len() <= 6144);
        let back = kms
            .decrypt()
            .ciphertext_blob(blob.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(back.plaintext.unwrap().as_ref(), plaintext.as_slice());
        assert_eq!(back.key_id.as_deref(), Some(arn.as_str()));
        let back = kms
            .decrypt()
            .ciphertext_blob(blob)
            .key_id(&arn)
            .send()
            .await
            .unwrap();
        assert_eq!(back.plaintext.unwrap().as_ref(), plaintext.as_slice());
    }
}

#[tokio::test]
async fn encryption_context_is_bound() {
    let h = Harness::start().await;
    let kms = h.client();
    let id = h.key().await;
    let blob = kms
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new("secret"))
        .encryption_context("tenant", "a")
        .encryption_context("purpose", "test")
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    // Same pairs, any order: decrypts.
    let ok = kms
        .decrypt()
        .ciphertext_blob(blob.clone())
        .encryption_context("purpose", "test")
        .encryption_context("tenant", "a")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.plaintext.unwrap().as_ref(), b"secret");
    for (k, v) in [("tenant", "b"), ("tenantpurpose", "atest")] {
        let r = kms
            .decrypt()
            .ciphertext_blob(blob.clone())
            .encryption_context(k, v)
            .send()
            .await;
        assert_eq!(
            error_of(r),
            ("InvalidCiphertextException".to_owned(), String::new())
        );
    }
    let r = kms.decrypt().ciphertext_blob(blob).send().await;
    assert_eq!(error_of(r).0, "InvalidCiphertextException");
}

#[tokio::test]
async fn decrypt_with_the_wrong_key_is_incorrect_key() {
    let h = Harness::start().await;
    let kms = h.client();
    let (a, b) = (h.key().await, h.key().await);
    let blob = h.encrypt(&a, "x").await;
    assert_eq!(
        error_of(kms.decrypt().ciphertext_blob(blob).key_id(&b).send().await),
        (
            "IncorrectKeyException".to_owned(),
            "The key ID in the request does not identify a CMK that can perform this operation."
                .to_owned()
        )
    );
}

#[tokio::test]
async fn garbage_and_foreign_blobs_are_invalid_ciphertext() {
    let h = Harness::start().await;
    let kms = h.client();
    h.key().await;
    for blob in [
        vec![0u8; 1],
        vec![1u8; 200],
        b"AWS Encryption SDK message".to_vec(),
    ] {
        let r = kms.decrypt().ciphertext_blob(Blob::new(blob)).send().await;
        assert_eq!(error_of(r).0, "InvalidCiphertextException");
    }
    // A blob of another region's key is not found here.
    let id = h.key().await;
    let blob = h.encrypt(&id, "x").await;
    let r = h
        .client_in("eu-west-1")
        .decrypt()
        .ciphertext_blob(blob)
        .send()
        .await;
    assert_eq!(error_of(r).0, "InvalidCiphertextException");
}

#[tokio::test]
async fn every_single_byte_change_fails_to_decrypt() {
    let h = Harness::start().await;
    let kms = h.client();
    let id = h.key().await;
    let blob = h.encrypt(&id, "flip me").await.into_inner();
    for i in 0..blob.len() {
        let mut t = blob.clone();
        t[i] ^= 0x01;
        let r = kms.decrypt().ciphertext_blob(Blob::new(t)).send().await;
        assert_eq!(error_of(r).0, "InvalidCiphertextException", "byte {i}");
    }
    for cut in [1, 16, blob.len() - 1] {
        let r = kms
            .decrypt()
            .ciphertext_blob(Blob::new(&blob[..blob.len() - cut]))
            .send()
            .await;
        assert_eq!(
            error_of(r).0,
            "InvalidCiphertextException",
            "truncated by {cut}"
        );
    }
    let mut longer = blob.clone();
    longer.push(0);
    let r = kms
        .decrypt()
        .ciphertext_blob(Blob::new(longer))
        .send()
        .await;
    assert_eq!(error_of(r).0, "InvalidCiphertextException");
}

#[test]
fn random_mutations_never_decrypt() {
    // The same property with random multi-byte mutations, through the in-process KMS.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let h = rt.block_on(Harness::start());
    let id = rt.block_on(h.key());
    let kms = h.client();
    let blob = rt
        .block_on(
            kms.encrypt()
                .key_id(&id)
                .plaintext(Blob::new("property"))
                .send(),
        )
        .unwrap()
        .ciphertext_blob
        .unwrap()
        .into_inner();
    let ctx = crate::harness::root_ctx();
    let empty = trent_core::model::EncryptionContext::default();
    let decrypt = |bytes: &[u8]| {
        rt.block_on(h.server.kms.decrypt(
            &ctx,
            trent_core::ops::encrypt::DecryptInput {
                ciphertext: bytes,
                context: &empty,
                key: None,
                algorithm: None,
                ignore_ciphertext: false,
            },
            false,
        ))
    };
    assert!(decrypt(&blob).is_ok());
    let len = blob.len();
    proptest!(ProptestConfig::with_cases(256), |(edits in proptest::collection::vec((0..len, 1u8..=255), 1..6))| {
        let mut t = blob.clone();
        for (i, x) in &edits {
            t[*i] ^= x;
        }
        prop_assert!(matches!(decrypt(&t), Err(trent_core::Error::InvalidCiphertext)));
    });
}

#[tokio::test]
async fn plaintext_limits_follow_the_model() {
    let h = Harness::start().await;
    let kms = h.client();
    let id = h.key().await;
    assert_eq!(
        error_of(kms.encrypt().key_id(&id).plaintext(Blob::new(vec![0u8; 4097])).send().await),
        (
            "ValidationException".to_owned(),
            "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096".to_owned()
        )
    );
}

#[tokio::test]
async fn disabled_and_pending_deletion_keys_refuse_crypto() {
    let h = Harness::start().await;
    let kms = h.client();
    let id = h.key().await;
    let arn = format!("arn:aws:kms:us-east-1:111122223333:key/{id}");
    let blob = h.encrypt(&id, "x").await;
    kms.disable_key().key_id(&id).send().await.unwrap();
    assert_eq!(
        error_of(
            kms.encrypt()
                .key_id(&id)
                .plaintext(Blob::new("x"))
                .send()
                .await
        ),
        (
            "DisabledException".to_owned(),
            format!("{arn} is disabled.")
        )
    );
    assert_eq!(
        error_of(kms.decrypt().ciphertext_blob(blob.clone()).send().await).0,
        "DisabledException"
    );
    assert_eq!(
        error_of(
            kms.generate_data_key()
                .key_id(&id)
                .key_spec(DataKeySpec::Aes256)
                .send()
                .await
        )
        .0,
        "DisabledException"
    );
    kms.enable_key().key_id(&id).send().await.unwrap();
    kms.schedule_key_deletion()
        .key_id(&id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    let pending = (
        "KMSInvalidStateException".to_owned(),
        format!("{arn} is pending deletion."),
    );
    assert_eq!(
        error_of(
            kms.encrypt()
                .key_id(&id)
                .plaintext(Blob::new("x"))
                .send()
                .await
        ),
        pending
    );
    assert_eq!(
        error_of(kms.decrypt().ciphertext_blob(blob.clone()).send().await),
        pending
    );
    assert_eq!(error_of(kms.enable_key().key_id(&id).send().await), pending);
    assert_eq!(
        error_of(kms.disable_key().key_id(&id).send().await),
        pending
    );
    // Cancelled deletion leaves the key disabled; enabling restores it, with the old ciphertext.
    kms.cancel_key_deletion().key_id(&id).send().await.unwrap();
    kms.enable_key().key_id(&id).send().await.unwrap();
    let back = kms.decrypt().ciphertext_blob(blob).send().await.unwrap();
    assert_eq!(back.plaintext.unwrap().as_ref(), b"x");
}

#[tokio::test]
async fn re_encrypt_moves_a_ciphertext_between_keys() {
    let h = Harness::start().await;
    let kms = h.client();
    let (a, b) = (h.key().await, h.key().await);
    let blob = kms
        .encrypt()
        .key_id(&a)
        .plaintext(Blob::new("moving"))
        .encryption_context("v", "1")
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let out = kms
        .re_encrypt()
        .ciphertext_blob(blob)
        .source_encryption_context("v", "1")
        .destination_key_id(&b)
        .destination_encryption_context("v", "2")
        .send()
        .await
        .unwrap();
    assert!(out.source_key_id.unwrap().ends_with(&a));
    assert!(out.key_id.unwrap().ends_with(&b));
    assert_eq!(
        out.source_encryption_algorithm,
        Some(EncryptionAlgorithmSpec::SymmetricDefault)
    );
    let moved = out.ciphertext_blob.unwrap();
    let back = kms
        .decrypt()
        .ciphertext_blob(moved.clone())
        .encryption_context("v", "2")
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext.unwrap().as_ref(), b"moving");
    assert!(back.key_id.unwrap().ends_with(&b));
    // The source context is checked.
    let r = kms
        .re_encrypt()
        .ciphertext_blob(moved)
        .destination_key_id(&a)
        .send()
        .await;
    assert_eq!(error_of(r).0, "InvalidCiphertextException");
}

#[tokio::test]
async fn generate_data_key_variants() {
    let h = Harness::start().await;
    let kms = h.client();
    let id = h.key().await;
    for (spec, len) in [(DataKeySpec::Aes256, 32), (DataKeySpec::Aes128, 16)] {
        let out = kms
            .generate_data_key()
            .key_id(&id)
            .key_spec(spec)
            .encryption_context("k", "v")
            .send()
            .await
            .unwrap();
        let plaintext = out.plaintext.unwrap();
        assert_eq!(plaintext.as_ref().len(), len);
        let back = kms
            .decrypt()
            .ciphertext_blob(out.ciphertext_blob.unwrap())
            .encryption_context("k", "v")
            .send()
            .await
            .unwrap();
        assert_eq!(back.plaintext.unwrap(), plaintext);
    }
    for n in [1, 64, 1024] {
        let out = kms
            .generate_data_key()
            .key_id(&id)
            .number_of_bytes(n)
            .send()
            .await
            .unwrap();
        assert_eq!(
            out.plaintext.unwrap().as_ref().len(),
            usize::try_from(n).unwrap()
        );
    }
    let out = kms
        .generate_data_key_without_plaintext()
        .key_id(&id)
        .key_spec(DataKeySpec::Aes256)
        .send()
        .await
        .unwrap();
    let back = kms
        .decrypt()
        .ciphertext_blob(out.ciphertext_blob.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext.unwrap().as_ref().len(), 32);
    let either = (
        "ValidationException".to_owned(),
        "Please specify either number of bytes or key spec.".to_owned(),
    );
    assert_eq!(
        error_of(kms.generate_data_key().key_id(&id).send().await),
        either
    );
    assert_eq!(
        error_of(
            kms.generate_data_key()
                .key_id(&id)
                .number_of_bytes(16)
                .key_spec(DataKeySpec::Aes128)
                .send()
                .await
        ),
        either
    );
    let (code, _) = error_of(
        kms.generate_data_key()
            .key_id(&id)
            .number_of_bytes(1025)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
}

#[tokio::test]
async fn generate_random() {
    let h = Harness::start().await;
    let kms = h.client();
    let a = kms
        .generate_random()
        .number_of_bytes(1024)
        .send()
        .await
        .unwrap()
        .plaintext
        .unwrap();
    let b = kms
        .generate_random()
        .number_of_bytes(1024)
        .send()
        .await
        .unwrap()
        .plaintext
        .unwrap();
    assert_eq!(a.as_ref().len(), 1024);
    assert_ne!(a, b);
    let (code, message) = error_of(kms.generate_random().number_of_bytes(1025).send().await);
    assert_eq!(code, "ValidationException");
    assert!(message.contains("'numberOfBytes'"), "{message}");
    let (code, _) = error_of(kms.generate_random().number_of_bytes(0).send().await);
    assert_eq!(code, "ValidationException");
}

#[tokio::test]
async fn dry_run_checks_without_acting() {
    let h = Harness::start().await;
    let kms = h.client();
    let id = h.key().await;
    let dry = (
        "DryRunOperationException".to_owned(),
        "The request would have succeeded, but the DryRun option is set.".to_owned(),
    );
    assert_eq!(
        error_of(
            kms.encrypt()
                .key_id(&id)
                .plaintext(Blob::new("x"))
                .dry_run(true)
                .send()
                .await
        ),
        dry
    );
    assert_eq!(
        error_of(
            kms.generate_data_key()
                .key_id(&id)
                .number_of_bytes(8)
                .dry_run(true)
                .send()
                .await
        ),
        dry
    );
    let blob = h.encrypt(&id, "x").await;
    assert_eq!(
        error_of(
            kms.decrypt()
                .ciphertext_blob(blob.clone())
                .dry_run(true)
                .send()
                .await
        ),
        dry
    );
    assert_eq!(
        error_of(
            kms.re_encrypt()
                .ciphertext_blob(blob)
                .destination_key_id(&id)
                .dry_run(true)
                .send()
                .await
        ),
        dry
    );
    // A dry run that would fail reports the real failure.
    kms.disable_key().key_id(&id).send().await.unwrap();
    let r = kms
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new("x"))
        .dry_run(true)
        .send()
        .await;
    assert_eq!(error_of(r).0, "DisabledException");
}

#[tokio::test]
async fn encrypt_with_an_asymmetric_algorithm_is_invalid_key_usage() {
    let h = Harness::start().await;
    let kms = h.client();
    let id = h.key().await;
    let r = kms
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new("x"))
        .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
        .send()
        .await;
    assert_eq!(error_of(r).0, "InvalidKeyUsageException");
}
