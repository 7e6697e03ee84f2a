//! GenerateDataKeyPair: real key pairs (OpenSSL and Python read them) sealed under the KMS key.

use aws_sdk_kms::types::{KeySpec, KeyUsageType};

use crate::builders::{decrypted, openssl};
use crate::harness::{Harness, error_of};

use super::{hex, python};

#[tokio::test]
async fn data_key_pairs_are_real_key_pairs_sealed_under_the_kms_key() {
    use aws_sdk_kms::types::DataKeyPairSpec as P;
    let h = Harness::start().await;
    let kms = h.client();
    let dir = tempfile::tempdir().unwrap();
    let key = h.key().await;
    for spec in [
        P::Rsa2048,
        P::EccNistP256,
        P::EccNistP384,
        P::EccNistP521,
        P::EccSecgP256K1,
        P::EccNistEdwards25519,
    ] {
        let out = kms
            .generate_data_key_pair()
            .key_id(&key)
            .key_pair_spec(spec.clone())
            .encryption_context("purpose", "pair")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{spec:?}: {e:?}"));
        assert_eq!(out.key_pair_spec.as_ref(), Some(&spec));
        assert!(out.key_id.as_deref().is_some_and(|k| k.ends_with(&key)));
        let private = out.private_key_plaintext.unwrap().into_inner();
        let public = out.public_key.unwrap().into_inner();
        // OpenSSL reads the PKCS#8 private key and derives exactly the returned public key.
        let private_path = dir.path().join("private.der");
        let derived_path = dir.path().join("public.der");
        std::fs::write(&private_path, &private).unwrap();
        openssl(&[
            "pkey",
            "-inform",
            "DER",
            "-in",
            private_path.to_str().unwrap(),
            "-pubout",
            "-outform",
            "DER",
            "-out",
            derived_path.to_str().unwrap(),
        ]);
        assert_eq!(std::fs::read(&derived_path).unwrap(), public, "{spec:?}");
        // The ciphertext is the private key under the KMS key and context.
        let unseal = kms
            .decrypt()
            .ciphertext_blob(out.private_key_ciphertext_blob.unwrap())
            .encryption_context("purpose", "pair");
        assert_eq!(decrypted(unseal).await, private, "{spec:?}");
    }
    let out = kms
        .generate_data_key_pair_without_plaintext()
        .key_id(&key)
        .key_pair_spec(P::EccNistP256)
        .send()
        .await
        .unwrap();
    assert!(out.public_key.is_some());
    let unseal = kms
        .decrypt()
        .ciphertext_blob(out.private_key_ciphertext_blob.unwrap());
    assert!(decrypted(unseal).await.len() > 100);
    // An asymmetric KMS key cannot seal a pair; SM2 is China-only.
    let rsa = h
        .key_of(KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt)
        .await;
    let r = kms
        .generate_data_key_pair()
        .key_id(&rsa)
        .key_pair_spec(P::EccNistP256)
        .send()
        .await;
    assert_eq!(error_of(r).0, "InvalidKeyUsageException");
    let r = kms
        .generate_data_key_pair()
        .key_id(&key)
        .key_pair_spec(P::Sm2)
        .send()
        .await;
    assert_eq!(error_of(r).0, "UnsupportedOperationException");
}

#[tokio::test]
async fn ml_kem_data_key_pairs_are_seed_pkcs8_that_python_reads() {
    use aws_sdk_kms::types::DataKeyPairSpec as P;
    let h = Harness::start().await;
    let kms = h.client();
    let key = h.key().await;
    for (spec, check_in_python) in [
        (P::MlKem512, false),
        (P::MlKem768, true),
        (P::MlKem1024, true),
    ] {
        let out = kms
            .generate_data_key_pair()
            .key_id(&key)
            .key_pair_spec(spec.clone())
            .send()
            .await
            .unwrap();
        let private = out.private_key_plaintext.unwrap().into_inner();
        let public = out.public_key.unwrap().into_inner();
        assert_eq!(private.len(), 86, "{spec:?}: seed-only PKCS#8");
        let unseal = kms
            .decrypt()
            .ciphertext_blob(out.private_key_ciphertext_blob.unwrap());
        assert_eq!(decrypted(unseal).await, private);
        if !check_in_python {
            continue; // cryptography has no ML-KEM-512.
        }
        // Python derives the same public key from the private key, and the pair works.
        let verdict = python(
            "import sys\n\
             from cryptography.hazmat.primitives import serialization as s\n\
             k = s.load_der_private_key(bytes.fromhex(sys.argv[1]), None)\n\
             spki = k.public_key().public_bytes(s.Encoding.DER, s.PublicFormat.SubjectPublicKeyInfo)\n\
             pub = s.load_der_public_key(bytes.fromhex(sys.argv[2]))\n\
             secret, ct = pub.encapsulate()\n\
             print(spki.hex() == sys.argv[2], k.decapsulate(ct) == secret)",
            &[&hex(&private), &hex(&public)],
        );
        assert_eq!(verdict, "True True", "{spec:?}");
    }
}
