//! Key material at rest: the SQLite files never hold key material or secrets in the clear.

use aws_sdk_kms::primitives::Blob;

use crate::builders::openssl;
use crate::harness::{Harness, file_contains};

const MATERIAL: [u8; 32] = *b"trent-known-key-material-32bytes";

#[tokio::test]
async fn store_files_hold_no_plaintext_material_or_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.yaml");
    std::fs::write(
        &seed,
        format!(
            "keys:\n  - id: 11111111-2222-3333-4444-555555555555\n    material: {}\n",
            base64_encode(&MATERIAL)
        ),
    )
    .unwrap();
    let h = Harness::start_with(|o| o.seed = Some(seed.clone())).await;
    let kms = h.client();
    // Use the key so that every code path that touches material has run.
    let blob = h
        .encrypt("11111111-2222-3333-4444-555555555555", "hello")
        .await;
    kms.decrypt().ciphertext_blob(blob).send().await.unwrap();
    let random_key = h.key().await;
    kms.encrypt()
        .key_id(&random_key)
        .plaintext(Blob::new("x"))
        .send()
        .await
        .unwrap();

    let data = h.data_dir();
    let files: Vec<_> = ["trent.db", "trent.db-wal", "trent.db-shm"]
        .iter()
        .map(|f| data.join(f))
        .collect();
    assert!(files[0].exists());
    let secret = h.secret.clone();
    let secret_b64_decoded = base64_decode(&secret);
    for f in &files {
        assert!(
            !file_contains(f, &MATERIAL),
            "material in clear in {}",
            f.display()
        );
        assert!(
            !file_contains(f, &MATERIAL[..16]),
            "half the material in {}",
            f.display()
        );
        assert!(
            !file_contains(f, secret.as_bytes()),
            "access key secret in {}",
            f.display()
        );
        assert!(
            !file_contains(f, &secret_b64_decoded),
            "secret bytes in {}",
            f.display()
        );
    }
    // The root key itself lives only in its own file, owner-only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(data.join("root.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0);
    }
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap_or_default()
}

#[tokio::test]
async fn private_keys_and_hmac_keys_rest_sealed_too() {
    let dir = tempfile::tempdir().unwrap();
    // An EC private key made by OpenSSL; its 32-byte scalar sits at bytes 7..39 of SEC1 DER.
    let pem = dir.path().join("ec.pem");
    let sec1 = dir.path().join("ec.der");
    openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        pem.to_str().unwrap(),
    ]);
    openssl(&[
        "pkey",
        "-in",
        pem.to_str().unwrap(),
        "-outform",
        "DER",
        "-traditional",
        "-out",
        sec1.to_str().unwrap(),
    ]);
    let scalar = std::fs::read(&sec1).unwrap()[7..39].to_vec();
    let hmac_key = b"an HMAC key of exactly forty-eight bytes, known.".to_vec();
    assert_eq!(hmac_key.len(), 48);
    let pem_text = std::fs::read_to_string(&pem).unwrap();
    let seed = dir.path().join("seed.yaml");
    std::fs::write(
        &seed,
        format!(
            "keys:\n  - id: 22222222-3333-4444-5555-666666666666\n    spec: ECC_NIST_P256\n    usage: SIGN_VERIFY\n    private_key_pem: {pem_text:?}\n  - id: 33333333-4444-4555-8666-777777777777\n    spec: HMAC_384\n    material: {}\n",
            base64_encode(&hmac_key)
        ),
    )
    .unwrap();
    let h = Harness::start_with(|o| o.seed = Some(seed.clone())).await;
    // Use both keys, and make fresh asymmetric keys too.
    let kms = h.client();
    kms.sign()
        .key_id("22222222-3333-4444-5555-666666666666")
        .message(Blob::new("x"))
        .signing_algorithm(aws_sdk_kms::types::SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await
        .unwrap();
    kms.generate_mac()
        .key_id("33333333-4444-4555-8666-777777777777")
        .message(Blob::new("x"))
        .mac_algorithm(aws_sdk_kms::types::MacAlgorithmSpec::HmacSha384)
        .send()
        .await
        .unwrap();
    for f in ["trent.db", "trent.db-wal", "trent.db-shm"] {
        let path = h.data_dir().join(f);
        assert!(
            !file_contains(&path, &scalar),
            "EC private key in clear in {f}"
        );
        assert!(!file_contains(&path, &hmac_key), "HMAC key in clear in {f}");
    }
}
