//! Key agreement: DeriveSharedSecret's ECDH secrets equal OpenSSL's.

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeyAgreementAlgorithmSpec, KeySpec, KeyUsageType};

use crate::builders::openssl;
use crate::harness::{Harness, error_of};

use super::public_pem;

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
