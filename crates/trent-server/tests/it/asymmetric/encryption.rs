//! RSAES-OAEP: ciphertexts OpenSSL makes decrypt, AWS's plaintext limits, and ReEncrypt to an
//! RSA key.

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{EncryptionAlgorithmSpec, KeySpec, KeyUsageType};

use crate::builders::openssl;
use crate::harness::{Harness, error_of};

use super::public_pem;

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
