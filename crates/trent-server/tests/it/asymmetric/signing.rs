//! Sign and Verify: every signing algorithm with RAW and DIGEST messages, checked by OpenSSL;
//! ML-DSA, checked by Python's `cryptography`, with EXTERNAL_MU too.

use aws_sdk_kms::types::{KeySpec, KeyUsageType, MessageType, SigningAlgorithmSpec};

use crate::builders::{openssl_output, sign, signature_of, verify};
use crate::harness::{Harness, error_of};

use super::{hex, public_pem, python, unhex};

fn digest(algorithm: &SigningAlgorithmSpec, message: &[u8]) -> Vec<u8> {
    use aws_lc_rs::digest::{SHA256, SHA384, SHA512, digest as hash};
    let alg = match algorithm.as_str() {
        a if a.ends_with("256") => &SHA256,
        a if a.ends_with("384") => &SHA384,
        _ => &SHA512,
    };
    hash(alg, message).as_ref().to_vec()
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
