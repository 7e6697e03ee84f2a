//! Asymmetric and HMAC keys through the SDK, with OpenSSL as the independent judge: every spec
//! and usage, every signing algorithm with RAW and DIGEST messages, RSAES-OAEP both ways, HMAC,
//! GetPublicKey, and the errors for wrong usages, algorithms and digest lengths.

use std::path::Path;
use std::process::Command;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    EncryptionAlgorithmSpec, KeyAgreementAlgorithmSpec, KeySpec, KeyUsageType, MacAlgorithmSpec,
    MessageType, SigningAlgorithmSpec,
};

use crate::builders::{
    decrypted, generate_mac, openssl, openssl_output, sign, signature_of, verify,
};
use crate::harness::{Harness, error_of};

fn digest(algorithm: &SigningAlgorithmSpec, message: &[u8]) -> Vec<u8> {
    use aws_lc_rs::digest::{SHA256, SHA384, SHA512, digest as hash};
    let alg = match algorithm.as_str() {
        a if a.ends_with("256") => &SHA256,
        a if a.ends_with("384") => &SHA384,
        _ => &SHA512,
    };
    hash(alg, message).as_ref().to_vec()
}

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

/// Signs with every algorithm of a key, RAW and (where the algorithm hashes) DIGEST, and checks
/// the results with Verify, with tampering, and against each other.
async fn sign_and_verify(
    h: &Harness,
    spec: KeySpec,
) -> Vec<(SigningAlgorithmSpec, Vec<u8>, String)> {
    let kms = h.client();
    let id = h.key_of(spec.clone(), KeyUsageType::SignVerify).await;
    let algorithms = h.describe(&id).await.signing_algorithms().to_vec();
    let message = b"the quick brown fox signs with KMS".to_vec();
    let mut signatures = Vec::new();
    for algorithm in algorithms {
        // ED25519_PH_SHA_512 takes DIGEST only (and KMS hashes it again); the rest sign RAW.
        let ph = algorithm == SigningAlgorithmSpec::Ed25519PhSha512;
        let (message_type, payload, other) = if ph {
            (
                MessageType::Digest,
                digest(&algorithm, &message),
                digest(&algorithm, b"another message"),
            )
        } else {
            (
                MessageType::Raw,
                message.clone(),
                b"another message".to_vec(),
            )
        };
        let signed = sign(&kms, &id, payload.clone(), algorithm.clone())
            .message_type(message_type.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{spec:?} {algorithm:?}: {e:?}"));
        assert_eq!(signed.signing_algorithm.as_ref(), Some(&algorithm));
        let signature = signed.signature.unwrap().into_inner();
        // Verify, with the message type and algorithm of the signing.
        let verified = |payload: &[u8], signature: &[u8]| {
            verify(&kms, &id, payload, signature, algorithm.clone())
                .message_type(message_type.clone())
                .send()
        };
        assert!(
            verified(&payload, &signature)
                .await
                .unwrap()
                .signature_valid
        );
        // A changed signature or message fails, with AWS's exception.
        let mut bad = signature.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(
            error_of(verified(&payload, &bad).await).0,
            "KMSInvalidSignatureException",
            "{spec:?} {algorithm:?}"
        );
        assert_eq!(
            error_of(verified(&other, &signature).await).0,
            "KMSInvalidSignatureException"
        );

        let hashes = !matches!(
            algorithm,
            SigningAlgorithmSpec::MlDsaShake256
                | SigningAlgorithmSpec::Ed25519Sha512
                | SigningAlgorithmSpec::Ed25519PhSha512
        );
        if hashes {
            // DIGEST: the digest is signed as given, so the result verifies as a RAW signature
            // of the original message.
            let d = digest(&algorithm, &message);
            let over_digest = signature_of(
                sign(&kms, &id, d.clone(), algorithm.clone()).message_type(MessageType::Digest),
            )
            .await;
            let as_raw = verify(&kms, &id, message.clone(), over_digest, algorithm.clone())
                .send()
                .await
                .unwrap();
            assert!(
                as_raw.signature_valid,
                "{spec:?} {algorithm:?}: DIGEST was hashed again"
            );
            let r = sign(&kms, &id, d[1..].to_vec(), algorithm.clone())
                .message_type(MessageType::Digest)
                .send()
                .await;
            let (code, message) = error_of(r);
            assert_eq!(code, "ValidationException");
            assert_eq!(
                message,
                format!(
                    "Digest is invalid length for algorithm {}.",
                    algorithm.as_str()
                )
            );
        }
        signatures.push((algorithm, signature, id.clone()));
    }
    // An algorithm of another spec is refused.
    let foreign = if spec == KeySpec::EccNistP384 {
        SigningAlgorithmSpec::EcdsaSha256
    } else {
        SigningAlgorithmSpec::EcdsaSha384
    };
    let r = sign(&kms, &id, message, foreign).send().await;
    assert_eq!(error_of(r).0, "InvalidKeyUsageException", "{spec:?}");
    signatures
}

/// Writes a DER SubjectPublicKeyInfo as PEM with OpenSSL, proving OpenSSL parses it.
async fn public_pem(dir: &Path, h: &Harness, key: &str) -> std::path::PathBuf {
    let der_path = dir.join(format!("{key}.der"));
    let pem_path = dir.join(format!("{key}.pem"));
    std::fs::write(&der_path, h.public_key(key).await).unwrap();
    openssl(&[
        "pkey",
        "-pubin",
        "-inform",
        "DER",
        "-in",
        der_path.to_str().unwrap(),
        "-out",
        pem_path.to_str().unwrap(),
    ]);
    pem_path
}

#[tokio::test]
async fn signatures_verify_in_openssl() {
    let h = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let message = dir.path().join("message");
    std::fs::write(&message, b"the quick brown fox signs with KMS").unwrap();
    for spec in [
        KeySpec::Rsa2048,
        KeySpec::Rsa3072,
        KeySpec::Rsa4096,
        KeySpec::EccNistP256,
        KeySpec::EccNistP384,
        KeySpec::EccNistP521,
        KeySpec::EccSecgP256K1,
        KeySpec::EccNistEdwards25519,
    ] {
        for (algorithm, signature, key) in sign_and_verify(&h, spec.clone()).await {
            let pem = public_pem(dir.path(), &h, &key).await;
            let sig = dir.path().join("sig");
            std::fs::write(&sig, &signature).unwrap();
            let (pem, sig, msg) = (
                pem.to_str().unwrap(),
                sig.to_str().unwrap(),
                message.to_str().unwrap(),
            );
            let name = algorithm.as_str();
            if name == "ED25519_PH_SHA_512" {
                // OpenSSL 3.0 has no Ed25519ph; RFC 8032's vector checks it (seed.rs).
                continue;
            }
            let out = if name == "ED25519_SHA_512" {
                openssl_output(&[
                    "pkeyutl", "-verify", "-pubin", "-inkey", pem, "-rawin", "-in", msg,
                    "-sigfile", sig,
                ])
            } else {
                let md = format!("-sha{}", &name[name.len() - 3..]);
                let mut args = vec!["dgst", md.as_str(), "-verify", pem, "-signature", sig];
                if name.starts_with("RSASSA_PSS") {
                    // AWS: salt length equal to the digest length.
                    args.extend([
                        "-sigopt",
                        "rsa_padding_mode:pss",
                        "-sigopt",
                        "rsa_pss_saltlen:digest",
                    ]);
                }
                args.push(msg);
                openssl_output(&args)
            };
            assert!(
                out.status.success(),
                "OpenSSL rejects {spec:?} {name}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[tokio::test]
async fn ml_dsa_signs_and_verifies() {
    let h = Harness::start().await;
    for spec in [KeySpec::MlDsa44, KeySpec::MlDsa65, KeySpec::MlDsa87] {
        let sigs = sign_and_verify(&h, spec.clone()).await;
        let expected_len = match spec {
            KeySpec::MlDsa44 => 2420,
            KeySpec::MlDsa65 => 3309,
            _ => 4627,
        };
        assert_eq!(
            sigs[0].1.len(),
            expected_len,
            "{spec:?} signature size (FIPS 204)"
        );
    }
}

#[tokio::test]
async fn rsa_oaep_ciphertexts_made_offline_decrypt_and_limits_hold() {
    let h = Harness::start().await;
    let kms = h.client();
    let dir = tempfile::tempdir().unwrap();
    let key = h
        .key_of(KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt)
        .await;
    let pem = public_pem(dir.path(), &h, &key).await;
    let plain = dir.path().join("plain");
    std::fs::write(&plain, b"encrypted by OpenSSL, decrypted by Trent").unwrap();
    for (algorithm, md) in [
        (EncryptionAlgorithmSpec::RsaesOaepSha1, "sha1"),
        (EncryptionAlgorithmSpec::RsaesOaepSha256, "sha256"),
    ] {
        // Encrypt and Decrypt with this algorithm.
        let encrypt = |plaintext: Vec<u8>| {
            kms.encrypt()
                .key_id(&key)
                .plaintext(Blob::new(plaintext))
                .encryption_algorithm(algorithm.clone())
                .send()
        };
        let decrypt = |ciphertext: Blob| {
            kms.decrypt()
                .ciphertext_blob(ciphertext)
                .encryption_algorithm(algorithm.clone())
        };
        let ct = dir.path().join(format!("ct-{md}"));
        openssl(&[
            "pkeyutl",
            "-encrypt",
            "-pubin",
            "-inkey",
            pem.to_str().unwrap(),
            "-in",
            plain.to_str().unwrap(),
            "-out",
            ct.to_str().unwrap(),
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            &format!("rsa_oaep_md:{md}"),
            "-pkeyopt",
            &format!("rsa_mgf1_md:{md}"),
        ]);
        let blob = std::fs::read(&ct).unwrap();
        assert_eq!(blob.len(), 256, "raw RSA ciphertext");
        let back = decrypt(Blob::new(blob.clone()))
            .key_id(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(
            back.plaintext.unwrap().as_ref(),
            b"encrypted by OpenSSL, decrypted by Trent"
        );
        assert_eq!(back.encryption_algorithm.as_ref(), Some(&algorithm));
        // Tampered, or without the KeyId that names the key: InvalidCiphertextException.
        let mut bad = blob.clone();
        bad[10] ^= 1;
        let r = decrypt(Blob::new(bad)).key_id(&key).send().await;
        assert_eq!(error_of(r).0, "InvalidCiphertextException");
        let r = decrypt(Blob::new(blob)).send().await;
        assert_eq!(error_of(r).0, "InvalidCiphertextException");

        // Encrypt through Trent, decrypt through Trent; the plaintext limits are AWS's.
        let limit = if md == "sha1" { 214 } else { 190 };
        let out = encrypt(vec![7u8; limit]).await.unwrap();
        assert_eq!(out.encryption_algorithm.as_ref(), Some(&algorithm));
        let back = decrypt(out.ciphertext_blob.unwrap())
            .key_id(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(
            back.plaintext.unwrap().as_ref(),
            vec![7u8; limit].as_slice()
        );
        let r = encrypt(vec![7u8; limit + 1]).await;
        assert_eq!(error_of(r).0, "ValidationException");
    }
    // RSA keys need an RSAES algorithm, take no encryption context, and make no data keys.
    let r = kms
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new("x"))
        .send()
        .await;
    assert_eq!(error_of(r).0, "InvalidKeyUsageException");
    let r = kms
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new("x"))
        .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
        .encryption_context("a", "b")
        .send()
        .await;
    assert_eq!(error_of(r).0, "ValidationException");
    let r = kms
        .generate_data_key()
        .key_id(&key)
        .number_of_bytes(32)
        .send()
        .await;
    assert_eq!(error_of(r).0, "InvalidKeyUsageException");
    // ReEncrypt from a symmetric key to the RSA key, then back through Decrypt.
    let sym = h.key().await;
    let blob = h.encrypt(&sym, "moving to RSA").await;
    let moved = kms
        .re_encrypt()
        .ciphertext_blob(blob)
        .destination_key_id(&key)
        .destination_encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
        .send()
        .await
        .unwrap();
    let back = kms
        .decrypt()
        .key_id(&key)
        .ciphertext_blob(moved.ciphertext_blob.unwrap())
        .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext.unwrap().as_ref(), b"moving to RSA");
}

#[tokio::test]
async fn hmac_generate_and_verify() {
    let h = Harness::start().await;
    let kms = h.client();
    for (spec, algorithm, len) in [
        (KeySpec::Hmac224, MacAlgorithmSpec::HmacSha224, 28),
        (KeySpec::Hmac256, MacAlgorithmSpec::HmacSha256, 32),
        (KeySpec::Hmac384, MacAlgorithmSpec::HmacSha384, 48),
        (KeySpec::Hmac512, MacAlgorithmSpec::HmacSha512, 64),
    ] {
        let id = h
            .key_of(spec.clone(), KeyUsageType::GenerateVerifyMac)
            .await;
        let out = generate_mac(&kms, &id, "mac me", algorithm.clone())
            .send()
            .await
            .unwrap();
        let mac = out.mac.unwrap().into_inner();
        assert_eq!(mac.len(), len);
        let verify_mac = |message: &str, mac: Vec<u8>| {
            kms.verify_mac()
                .key_id(&id)
                .message(Blob::new(message))
                .mac(Blob::new(mac))
                .mac_algorithm(algorithm.clone())
                .send()
        };
        assert!(verify_mac("mac me", mac.clone()).await.unwrap().mac_valid);
        let mut bad = mac.clone();
        bad[0] ^= 1;
        let r = verify_mac("mac me", bad).await;
        assert_eq!(error_of(r).0, "KMSInvalidMacException");
        let r = verify_mac("mac mE", mac).await;
        assert_eq!(error_of(r).0, "KMSInvalidMacException");
        let other = if algorithm == MacAlgorithmSpec::HmacSha256 {
            MacAlgorithmSpec::HmacSha512
        } else {
            MacAlgorithmSpec::HmacSha256
        };
        let r = generate_mac(&kms, &id, "x", other).send().await;
        assert_eq!(error_of(r).0, "InvalidKeyUsageException");
        // HMAC keys have no public key, and do not encrypt.
        let (code, _) = error_of(kms.get_public_key().key_id(&id).send().await);
        assert_eq!(code, "UnsupportedOperationException");
        let r = kms
            .encrypt()
            .key_id(&id)
            .plaintext(Blob::new("x"))
            .send()
            .await;
        assert_eq!(error_of(r).0, "InvalidKeyUsageException");
    }
    // A symmetric key makes no MAC and has no public key.
    let sym = h.key().await;
    let r = generate_mac(&kms, &sym, "x", MacAlgorithmSpec::HmacSha256)
        .send()
        .await;
    assert_eq!(error_of(r).0, "InvalidKeyUsageException");
    assert_eq!(
        error_of(kms.get_public_key().key_id(&sym).send().await).0,
        "UnsupportedOperationException"
    );
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

#[tokio::test]
async fn ecdh_shared_secrets_equal_openssls() {
    let h = Harness::start().await;
    let kms = h.client();
    let dir = tempfile::tempdir().unwrap();
    let derive = |key: &str, peer: Vec<u8>| {
        kms.derive_shared_secret()
            .key_id(key)
            .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
            .public_key(Blob::new(peer))
            .send()
    };
    for (spec, curve, len) in [
        (KeySpec::EccNistP256, "P-256", 32),
        (KeySpec::EccNistP384, "P-384", 48),
        (KeySpec::EccNistP521, "P-521", 66),
    ] {
        let key = h.key_of(spec.clone(), KeyUsageType::KeyAgreement).await;
        let kms_pem = public_pem(dir.path(), &h, &key).await;
        // The peer: a key pair made by OpenSSL.
        let peer = dir.path().join(format!("peer-{curve}.pem"));
        let peer_pub = dir.path().join(format!("peer-{curve}.der"));
        openssl(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            &format!("ec_paramgen_curve:{curve}"),
            "-out",
            peer.to_str().unwrap(),
        ]);
        openssl(&[
            "pkey",
            "-in",
            peer.to_str().unwrap(),
            "-pubout",
            "-outform",
            "DER",
            "-out",
            peer_pub.to_str().unwrap(),
        ]);
        let derived = derive(&key, std::fs::read(&peer_pub).unwrap())
            .await
            .unwrap();
        assert_eq!(
            derived.key_origin,
            Some(aws_sdk_kms::types::OriginType::AwsKms)
        );
        let secret = derived.shared_secret.unwrap().into_inner();
        assert_eq!(secret.len(), len, "{spec:?}: the raw x coordinate");
        let theirs = dir.path().join(format!("secret-{curve}"));
        openssl(&[
            "pkeyutl",
            "-derive",
            "-inkey",
            peer.to_str().unwrap(),
            "-peerkey",
            kms_pem.to_str().unwrap(),
            "-out",
            theirs.to_str().unwrap(),
        ]);
        assert_eq!(
            secret,
            std::fs::read(&theirs).unwrap(),
            "{spec:?}: Trent and OpenSSL disagree"
        );
        // A peer key of another curve, or garbage, is refused.
        let r = derive(&key, vec![0x30, 0x03, 0x02, 0x01, 0x00]).await;
        assert_eq!(error_of(r).0, "ValidationException");
    }
    // A signing key does not agree.
    let signing = h
        .key_of(KeySpec::EccNistP256, KeyUsageType::SignVerify)
        .await;
    let r = derive(&signing, vec![1]).await;
    assert_eq!(error_of(r).0, "InvalidKeyUsageException");
}

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

/// Runs a Python snippet with `cryptography` (the independent implementation for ML-DSA and
/// ML-KEM); its stdout, trimmed.
fn python(script: &str, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs (scripts/test installs cryptography)");
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// Python's verdict (`valid`, or `invalid` and why) on an ML-DSA `signature` of `message` by
/// the key of `spki`.
fn python_verdict(spki: &[u8], signature: &[u8], message: &[u8]) -> String {
    python(
        "import sys\nfrom cryptography.hazmat.primitives.serialization import load_der_public_key\n\
         k = load_der_public_key(bytes.fromhex(sys.argv[1]))\n\
         try:\n    k.verify(bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3])); print('valid')\n\
         except Exception as e:\n    print('invalid', e)",
        &[&hex(spki), &hex(signature), &hex(message)],
    )
}

#[tokio::test]
async fn ml_kem_interoperates_with_python_cryptography() {
    use aws_sdk_kms::types::EncapsulationAlgorithmSpec as E;
    let h = Harness::start().await;
    let kms = h.client();
    for (spec, ct_len) in [
        (KeySpec::MlKem512, 768),
        (KeySpec::MlKem768, 1088),
        (KeySpec::MlKem1024, 1568),
    ] {
        let id = h
            .key_of(spec.clone(), KeyUsageType::EncapsulateDecapsulate)
            .await;
        let m = h.describe(&id).await;
        assert_eq!(m.encapsulation_algorithms(), &[E::MlKem], "{spec:?}");
        let decapsulate = |ciphertext: Vec<u8>| {
            kms.decapsulate()
                .key_id(&id)
                .encapsulation_algorithm(E::MlKem)
                .shared_secret_ciphertext_blob(Blob::new(ciphertext))
                .send()
        };
        // Round trip through Trent.
        let enc = kms
            .encapsulate()
            .key_id(&id)
            .encapsulation_algorithm(E::MlKem)
            .send()
            .await
            .unwrap();
        let secret = enc.shared_secret.unwrap().into_inner();
        let ct = enc.shared_secret_ciphertext_blob.unwrap().into_inner();
        assert_eq!((secret.len(), ct.len()), (32, ct_len), "{spec:?}");
        let dec = decapsulate(ct.clone()).await.unwrap();
        assert_eq!(dec.shared_secret.unwrap().into_inner(), secret);
        // A changed ciphertext gives an unrelated secret (implicit rejection), never the real one.
        let mut bad = ct.clone();
        bad[0] ^= 1;
        let other = decapsulate(bad).await.unwrap();
        assert_ne!(other.shared_secret.unwrap().into_inner(), secret);
        let r = decapsulate(ct[1..].to_vec()).await;
        assert_eq!(error_of(r).0, "InvalidCiphertextException");
        if spec == KeySpec::MlKem512 {
            continue; // cryptography does not implement ML-KEM-512.
        }
        // Python encapsulates to the public key Trent gives; Trent decapsulates.
        let spki = h.public_key(&id).await;
        let out = python(
            "import sys\nfrom cryptography.hazmat.primitives.serialization import load_der_public_key\n\
             k = load_der_public_key(bytes.fromhex(sys.argv[1]))\nsecret, ct = k.encapsulate()\nprint(secret.hex(), ct.hex())",
            &[&hex(&spki)],
        );
        let (their_secret, their_ct) = out.split_once(' ').unwrap();
        let dec = decapsulate(unhex(their_ct)).await.unwrap();
        assert_eq!(
            hex(&dec.shared_secret.unwrap().into_inner()),
            their_secret,
            "{spec:?}"
        );
    }
}

#[tokio::test]
async fn ml_dsa_signatures_verify_in_python_cryptography() {
    let h = Harness::start().await;
    let kms = h.client();
    for spec in [KeySpec::MlDsa44, KeySpec::MlDsa65, KeySpec::MlDsa87] {
        let id = h.key_of(spec.clone(), KeyUsageType::SignVerify).await;
        let message = b"post-quantum, checked elsewhere";
        let signature = signature_of(sign(
            &kms,
            &id,
            message.to_vec(),
            SigningAlgorithmSpec::MlDsaShake256,
        ))
        .await;
        let spki = h.public_key(&id).await;
        let verdict = python_verdict(&spki, &signature, message);
        assert_eq!(verdict, "valid", "{spec:?}");
    }
}

#[tokio::test]
async fn ml_dsa_external_mu_signatures_verify_as_signatures_of_the_message() {
    let h = Harness::start().await;
    let kms = h.client();
    for (spec, pk_len) in [
        (KeySpec::MlDsa44, 1312),
        (KeySpec::MlDsa65, 1952),
        (KeySpec::MlDsa87, 2592),
    ] {
        let id = h.key_of(spec.clone(), KeyUsageType::SignVerify).await;
        let spki = h.public_key(&id).await;
        let message = b"signed through its mu";
        // FIPS 204: tr = SHAKE256(pk, 64); mu = SHAKE256(tr || 0 || 0 || M, 64), computed by Python.
        let mu = python(
            "import sys, hashlib\n\
             pk = bytes.fromhex(sys.argv[1])[-int(sys.argv[3]):]\n\
             tr = hashlib.shake_256(pk).digest(64)\n\
             print(hashlib.shake_256(tr + b'\\x00\\x00' + bytes.fromhex(sys.argv[2])).digest(64).hex())",
            &[&hex(&spki), &hex(message), &pk_len.to_string()],
        );
        let signature = signature_of(
            sign(&kms, &id, unhex(&mu), SigningAlgorithmSpec::MlDsaShake256)
                .message_type(MessageType::ExternalMu),
        )
        .await;
        // Python verifies it as an ordinary signature of the message...
        let verdict = python_verdict(&spki, &signature, message);
        assert_eq!(verdict, "valid", "{spec:?}");
        // ...and Trent verifies it both ways.
        for (message_type, payload) in [
            (MessageType::ExternalMu, unhex(&mu)),
            (MessageType::Raw, message.to_vec()),
        ] {
            let ok = verify(
                &kms,
                &id,
                payload,
                signature.clone(),
                SigningAlgorithmSpec::MlDsaShake256,
            )
            .message_type(message_type)
            .send()
            .await
            .unwrap();
            assert!(ok.signature_valid);
        }
        let r = sign(
            &kms,
            &id,
            vec![0u8; 32],
            SigningAlgorithmSpec::MlDsaShake256,
        )
        .message_type(MessageType::ExternalMu)
        .send()
        .await;
        assert_eq!(error_of(r).0, "ValidationException", "mu must be 64 bytes");
    }
    // EXTERNAL_MU is for ML-DSA only.
    let ec = h
        .key_of(KeySpec::EccNistP256, KeyUsageType::SignVerify)
        .await;
    let r = sign(&kms, &ec, vec![0u8; 64], SigningAlgorithmSpec::EcdsaSha256)
        .message_type(MessageType::ExternalMu)
        .send()
        .await;
    assert_eq!(error_of(r).0, "ValidationException");
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
