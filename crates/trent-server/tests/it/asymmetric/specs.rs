//! Every key spec and usage, the algorithms DescribeKey lists for each, the pairs refused, and
//! GetPublicKey's SubjectPublicKeyInfo and metadata.

use aws_sdk_kms::types::{KeySpec, KeyUsageType, SigningAlgorithmSpec};

use crate::builders::sign;
use crate::harness::{Harness, error_of};

/// The names of the algorithms DescribeKey lists.
fn names<T: AsRef<str>>(algorithms: &[T]) -> Vec<&str> {
    algorithms.iter().map(AsRef::as_ref).collect()
}

#[tokio::test]
async fn every_spec_and_usage_and_what_describe_key_lists() {
    let h = Harness::start().await;
    use KeySpec as S;
    use KeyUsageType as U;
    // Spec, usage, and the encryption, signing, MAC and key agreement algorithms listed.
    type Case = (
        S,
        U,
        &'static [&'static str],
        &'static [&'static str],
        &'static [&'static str],
        &'static [&'static str],
    );
    let cases: &[Case] = &[
        (
            S::Rsa2048,
            U::EncryptDecrypt,
            &["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"],
            &[],
            &[],
            &[],
        ),
        (
            S::Rsa3072,
            U::SignVerify,
            &[],
            &[
                "RSASSA_PSS_SHA_256",
                "RSASSA_PSS_SHA_384",
                "RSASSA_PSS_SHA_512",
                "RSASSA_PKCS1_V1_5_SHA_256",
                "RSASSA_PKCS1_V1_5_SHA_384",
                "RSASSA_PKCS1_V1_5_SHA_512",
            ],
            &[],
            &[],
        ),
        (
            S::EccNistP256,
            U::SignVerify,
            &[],
            &["ECDSA_SHA_256"],
            &[],
            &[],
        ),
        (
            S::EccNistP384,
            U::SignVerify,
            &[],
            &["ECDSA_SHA_384"],
            &[],
            &[],
        ),
        (
            S::EccNistP521,
            U::SignVerify,
            &[],
            &["ECDSA_SHA_512"],
            &[],
            &[],
        ),
        (
            S::EccSecgP256K1,
            U::SignVerify,
            &[],
            &["ECDSA_SHA_256"],
            &[],
            &[],
        ),
        (S::EccNistP256, U::KeyAgreement, &[], &[], &[], &["ECDH"]),
        (
            S::EccNistEdwards25519,
            U::SignVerify,
            &[],
            &["ED25519_SHA_512", "ED25519_PH_SHA_512"],
            &[],
            &[],
        ),
        (
            S::Hmac224,
            U::GenerateVerifyMac,
            &[],
            &[],
            &["HMAC_SHA_224"],
            &[],
        ),
        (
            S::Hmac512,
            U::GenerateVerifyMac,
            &[],
            &[],
            &["HMAC_SHA_512"],
            &[],
        ),
        (
            S::MlDsa44,
            U::SignVerify,
            &[],
            &["ML_DSA_SHAKE_256"],
            &[],
            &[],
        ),
    ];
    for (spec, usage, enc, sig, mac, agree) in cases {
        let id = h.key_of(spec.clone(), usage.clone()).await;
        let m = h.describe(&id).await;
        assert_eq!(m.key_spec.as_ref(), Some(spec));
        assert_eq!(m.key_usage.as_ref(), Some(usage));
        assert_eq!(names(m.encryption_algorithms()), *enc, "{spec:?}");
        assert_eq!(names(m.signing_algorithms()), *sig, "{spec:?}");
        assert_eq!(names(m.mac_algorithms()), *mac, "{spec:?}");
        assert_eq!(names(m.key_agreement_algorithms()), *agree, "{spec:?}");
        // Only symmetric keys name a current key material.
        assert!(m.current_key_material_id.is_none(), "{spec:?}");
    }
    for (spec, usage) in [
        (S::Hmac256, U::SignVerify),
        (S::EccNistP256, U::EncryptDecrypt),
        (S::EccSecgP256K1, U::KeyAgreement),
        (S::Rsa2048, U::GenerateVerifyMac),
        (S::MlDsa65, U::EncryptDecrypt),
        (S::EccNistEdwards25519, U::KeyAgreement),
    ] {
        let (code, _) = error_of(
            h.client()
                .create_key()
                .key_spec(spec.clone())
                .key_usage(usage.clone())
                .send()
                .await,
        );
        assert_eq!(code, "ValidationException", "{spec:?} {usage:?}");
    }
}

#[tokio::test]
async fn get_public_key_returns_spki_and_metadata() {
    let h = Harness::start().await;
    let id = h
        .key_of(KeySpec::EccNistP256, KeyUsageType::SignVerify)
        .await;
    let out = h
        .client()
        .get_public_key()
        .key_id(&id)
        .send()
        .await
        .unwrap();
    let der = out.public_key.clone().unwrap().into_inner();
    // SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (65-byte point) }: 91 bytes.
    assert_eq!(der.len(), 91);
    assert_eq!(der[0], 0x30);
    assert_eq!(out.key_spec, Some(KeySpec::EccNistP256));
    assert_eq!(out.key_usage, Some(KeyUsageType::SignVerify));
    assert_eq!(
        out.signing_algorithms(),
        &[SigningAlgorithmSpec::EcdsaSha256]
    );
    assert!(out.key_id.clone().unwrap().ends_with(&id));
    // A disabled key does not give its public key, as at AWS.
    h.client().disable_key().key_id(&id).send().await.unwrap();
    assert_eq!(
        error_of(h.client().get_public_key().key_id(&id).send().await).0,
        "DisabledException"
    );
    // Messages over 4096 bytes are refused by the model's limit; send a digest instead.
    let signer = h
        .key_of(KeySpec::EccNistP256, KeyUsageType::SignVerify)
        .await;
    let r = sign(
        &h.client(),
        &signer,
        vec![0u8; 4097],
        SigningAlgorithmSpec::EcdsaSha256,
    )
    .send()
    .await;
    let (code, message) = error_of(r);
    assert_eq!(code, "ValidationException");
    assert!(message.contains("at 'message' failed to satisfy constraint: Member must have length less than or equal to 4096"), "{message}");
    // Signing with a key that is for encryption is InvalidKeyUsageException.
    let rsa = h
        .key_of(KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt)
        .await;
    let r = sign(
        &h.client(),
        &rsa,
        "x",
        SigningAlgorithmSpec::RsassaPssSha256,
    )
    .send()
    .await;
    assert_eq!(error_of(r).0, "InvalidKeyUsageException");
}
