//! HMAC keys: GenerateMac and VerifyMac for every spec, and what HMAC keys do not do.

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeySpec, KeyUsageType, MacAlgorithmSpec};

use crate::builders::generate_mac;
use crate::harness::{Harness, error_of};

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
