//! Imported key material (BYOK) through `aws-sdk-kms`, wrapped by OpenSSL exactly as AWS's
//! guide does it: `openssl pkeyutl` RSA-OAEP, and RSA-OAEP of an AES key plus
//! `openssl enc -id-aes256-wrap-pad` (AES key wrap with padding) for every wrapping algorithm;
//! expiry, deletion and re-import, with the injected clock.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use aws_sdk_kms::primitives::{Blob, DateTime};
use aws_sdk_kms::types::{
    AlgorithmSpec, ExpirationModelType, KeySpec, KeyState, KeyUsageType, OriginType,
    SigningAlgorithmSpec, WrappingKeySpec,
};

use crate::builders::{created, openssl, sign, signature_of};
use crate::harness::{Harness, error_of};

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

/// Wraps `material` for `public_der` (the wrapping key from GetParametersForImport) the way
/// AWS documents it, with OpenSSL only.
fn wrap(dir: &Path, public_der: &[u8], material: &[u8], algorithm: &AlgorithmSpec) -> Vec<u8> {
    std::fs::write(dir.join("wrapping.der"), public_der).unwrap();
    std::fs::write(dir.join("material.bin"), material).unwrap();
    let md = match algorithm {
        AlgorithmSpec::RsaesOaepSha1 | AlgorithmSpec::RsaAesKeyWrapSha1 => "sha1",
        _ => "sha256",
    };
    let oaep = |input: &str, output: &str| {
        openssl(&[
            "pkeyutl",
            "-encrypt",
            "-pubin",
            "-keyform",
            "DER",
            "-inkey",
            &path(dir, "wrapping.der"),
            "-in",
            &path(dir, input),
            "-out",
            &path(dir, output),
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            &format!("rsa_oaep_md:{md}"),
            "-pkeyopt",
            &format!("rsa_mgf1_md:{md}"),
        ])
    };
    match algorithm {
        AlgorithmSpec::RsaesOaepSha1 | AlgorithmSpec::RsaesOaepSha256 => {
            oaep("material.bin", "wrapped.bin");
            std::fs::read(dir.join("wrapped.bin")).unwrap()
        }
        _ => {
            openssl(&["rand", "-out", &path(dir, "aes.bin"), "32"]);
            let aes: String = std::fs::read(dir.join("aes.bin"))
                .unwrap()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            openssl(&[
                "enc",
                "-id-aes256-wrap-pad",
                "-K",
                &aes,
                "-iv",
                "A65959A6",
                "-in",
                &path(dir, "material.bin"),
                "-out",
                &path(dir, "material-wrapped.bin"),
            ]);
            oaep("aes.bin", "aes-wrapped.bin");
            let mut out = std::fs::read(dir.join("aes-wrapped.bin")).unwrap();
            out.extend(std::fs::read(dir.join("material-wrapped.bin")).unwrap());
            out
        }
    }
}

/// An import token of `key` and `material` wrapped for it (RSAES_OAEP_SHA_256, RSA_2048).
pub(crate) async fn wrapped_for(
    h: &Harness,
    dir: &Path,
    key: &str,
    material: &[u8],
) -> (Blob, Vec<u8>) {
    let params = h
        .client()
        .get_parameters_for_import()
        .key_id(key)
        .wrapping_algorithm(AlgorithmSpec::RsaesOaepSha256)
        .wrapping_key_spec(WrappingKeySpec::Rsa2048)
        .send()
        .await
        .unwrap();
    let wrapped = wrap(
        dir,
        params.public_key.unwrap().as_ref(),
        material,
        &AlgorithmSpec::RsaesOaepSha256,
    );
    (params.import_token.unwrap(), wrapped)
}

/// The KeyMaterialId Trent gives `material`: a digest of the material alone (the software
/// backend's), the same whichever key it is imported into.
fn material_id_of(material: &[u8]) -> String {
    use trent_core::backend::KeyBackend as _;
    trent_crypto::SoftBackend
        .material_id(&trent_core::secret::Secret::from_slice(material))
        .to_hex()
}

async fn external_key(h: &Harness, spec: KeySpec, usage: KeyUsageType) -> String {
    let request = h.client().create_key().origin(OriginType::External);
    let meta = created(request.key_spec(spec).key_usage(usage)).await;
    assert_eq!(meta.key_state, Some(KeyState::PendingImport));
    assert_eq!(meta.origin, Some(OriginType::External));
    meta.key_id
}

/// GetParametersForImport, wrap with OpenSSL, ImportKeyMaterial.
async fn import(
    h: &Harness,
    dir: &Path,
    key: &str,
    material: &[u8],
    algorithm: AlgorithmSpec,
    spec: WrappingKeySpec,
    valid_to: Option<DateTime>,
) -> Result<String, (String, String)> {
    let kms = h.client();
    let params = kms
        .get_parameters_for_import()
        .key_id(key)
        .wrapping_algorithm(algorithm.clone())
        .wrapping_key_spec(spec)
        .send()
        .await
        .unwrap();
    let wrapped = wrap(
        dir,
        params.public_key.unwrap().as_ref(),
        material,
        &algorithm,
    );
    let mut req = kms
        .import_key_material()
        .key_id(key)
        .import_token(params.import_token.unwrap())
        .encrypted_key_material(Blob::new(wrapped));
    req = match valid_to {
        Some(t) => req
            .expiration_model(ExpirationModelType::KeyMaterialExpires)
            .valid_to(t),
        None => req.expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire),
    };
    req.send()
        .await
        .map(|o| o.key_material_id.unwrap())
        .map_err(|e| {
            use aws_sdk_kms::error::ProvideErrorMetadata as _;
            (
                e.code().unwrap_or_default().to_owned(),
                e.message().unwrap_or_default().to_owned(),
            )
        })
}

#[tokio::test]
async fn symmetric_material_through_every_wrapping_algorithm() {
    let h = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let kms = h.client();
    for (algorithm, spec) in [
        (AlgorithmSpec::RsaesOaepSha1, WrappingKeySpec::Rsa2048),
        (AlgorithmSpec::RsaesOaepSha256, WrappingKeySpec::Rsa3072),
        (AlgorithmSpec::RsaAesKeyWrapSha1, WrappingKeySpec::Rsa4096),
        (AlgorithmSpec::RsaAesKeyWrapSha256, WrappingKeySpec::Rsa2048),
    ] {
        let key = external_key(&h, KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt).await;
        // Nothing to use yet.
        let (code, message) = error_of(
            kms.encrypt()
                .key_id(&key)
                .plaintext(Blob::new("x"))
                .send()
                .await,
        );
        assert_eq!(code, "KMSInvalidStateException");
        assert!(message.ends_with("is pending import."), "{message}");
        let material = [7u8; 32];
        let id = import(
            &h,
            dir.path(),
            &key,
            &material,
            algorithm.clone(),
            spec,
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{algorithm:?}: {e:?}"));
        let meta = h.describe(&key).await;
        assert_eq!(meta.key_state, Some(KeyState::Enabled));
        assert_eq!(meta.current_key_material_id.as_deref(), Some(id.as_str()));
        assert_eq!(
            meta.expiration_model,
            Some(ExpirationModelType::KeyMaterialDoesNotExpire)
        );
        let blob = h.encrypt(&key, "imported").await;
        let back = kms.decrypt().ciphertext_blob(blob).send().await.unwrap();
        assert_eq!(back.plaintext.unwrap().as_ref(), b"imported");
    }
}

#[tokio::test]
async fn deletion_reimport_and_wrong_material() {
    let h = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let kms = h.client();
    let key = external_key(&h, KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt).await;
    // Before any import there is no current material to name.
    assert_eq!(h.describe(&key).await.current_key_material_id, None);
    let material = [42u8; 32];
    let id = import(
        &h,
        dir.path(),
        &key,
        &material,
        AlgorithmSpec::RsaAesKeyWrapSha256,
        WrappingKeySpec::Rsa2048,
        None,
    )
    .await
    .unwrap();
    let blob = h.encrypt(&key, "kept").await;

    let deleted = kms
        .delete_imported_key_material()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.key_material_id.as_deref(), Some(id.as_str()));
    let meta = h.describe(&key).await;
    assert_eq!(meta.key_state, Some(KeyState::PendingImport));
    // As at AWS, the deleted material is still the key's current one: a reimport must match it.
    assert_eq!(meta.current_key_material_id.as_deref(), Some(id.as_str()));
    assert_eq!(
        error_of(kms.decrypt().ciphertext_blob(blob.clone()).send().await).0,
        "KMSInvalidStateException"
    );

    // Other material is refused; the same material restores every old ciphertext.
    let (code, _) = import(
        &h,
        dir.path(),
        &key,
        &[1u8; 32],
        AlgorithmSpec::RsaesOaepSha256,
        WrappingKeySpec::Rsa2048,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(code, "IncorrectKeyMaterialException");
    let again = import(
        &h,
        dir.path(),
        &key,
        &material,
        AlgorithmSpec::RsaesOaepSha256,
        WrappingKeySpec::Rsa2048,
        None,
    )
    .await
    .unwrap();
    assert_eq!(again, id);
    let back = kms.decrypt().ciphertext_blob(blob).send().await.unwrap();
    assert_eq!(back.plaintext.unwrap().as_ref(), b"kept");

    // Bad tokens and material of the wrong size.
    let other = external_key(&h, KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt).await;
    let (token, wrapped) = wrapped_for(&h, dir.path(), &other, &[9u8; 32]).await;
    let (code, _) = error_of(
        kms.import_key_material()
            .key_id(&key)
            .import_token(token.clone())
            .encrypted_key_material(Blob::new(wrapped.clone()))
            .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
            .send()
            .await,
    );
    assert_eq!(
        code, "InvalidImportTokenException",
        "a token of another key"
    );
    let (code, _) = error_of(
        kms.import_key_material()
            .key_id(&other)
            .import_token(token.clone())
            .encrypted_key_material(Blob::new(vec![1, 2, 3]))
            .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
            .send()
            .await,
    );
    assert_eq!(code, "InvalidCiphertextException");
    let (code, _) = error_of(
        kms.import_key_material()
            .key_id(&other)
            .import_token(token.clone())
            .encrypted_key_material(Blob::new(wrapped.clone()))
            .send()
            .await,
    );
    assert_eq!(
        code, "ValidationException",
        "KEY_MATERIAL_EXPIRES needs ValidTo"
    );
    // The token is good for 24 hours.
    h.clock.advance(Duration::from_secs(24 * 3600 + 1));
    let (code, _) = error_of(
        kms.import_key_material()
            .key_id(&other)
            .import_token(token)
            .encrypted_key_material(Blob::new(wrapped))
            .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
            .send()
            .await,
    );
    assert_eq!(code, "ExpiredImportTokenException");
    // A key Trent generated takes no imports.
    let own = h.key().await;
    assert_eq!(
        error_of(
            kms.get_parameters_for_import()
                .key_id(&own)
                .wrapping_algorithm(AlgorithmSpec::RsaesOaepSha256)
                .wrapping_key_spec(WrappingKeySpec::Rsa2048)
                .send()
                .await
        )
        .0,
        "UnsupportedOperationException"
    );
}

#[tokio::test]
async fn expiring_material_returns_the_key_to_pending_import() {
    let h = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let kms = h.client();
    let key = external_key(&h, KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt).await;
    let now = {
        use trent_core::clock::Clock as _;
        h.clock.now().0 / 1000
    };
    let valid_to = DateTime::from_secs(now + 2 * 86_400);
    import(
        &h,
        dir.path(),
        &key,
        &[5u8; 32],
        AlgorithmSpec::RsaesOaepSha1,
        WrappingKeySpec::Rsa2048,
        Some(valid_to),
    )
    .await
    .unwrap();
    let meta = h.describe(&key).await;
    assert_eq!(meta.valid_to, Some(valid_to));
    let blob = h.encrypt(&key, "until expiry").await;
    h.clock.advance(Duration::from_secs(86_400));
    h.server.run_maintenance().await.unwrap();
    assert_eq!(h.describe(&key).await.key_state, Some(KeyState::Enabled));
    h.clock.advance(Duration::from_secs(86_400 + 1));
    h.server.run_maintenance().await.unwrap();
    let meta = h.describe(&key).await;
    assert_eq!(meta.key_state, Some(KeyState::PendingImport));
    assert!(meta.valid_to.is_none());
    assert_eq!(
        error_of(kms.decrypt().ciphertext_blob(blob.clone()).send().await).0,
        "KMSInvalidStateException"
    );
    // Re-importing the same material brings the ciphertexts back.
    import(
        &h,
        dir.path(),
        &key,
        &[5u8; 32],
        AlgorithmSpec::RsaesOaepSha1,
        WrappingKeySpec::Rsa2048,
        None,
    )
    .await
    .unwrap();
    kms.decrypt().ciphertext_blob(blob).send().await.unwrap();
}

#[tokio::test]
async fn hmac_and_asymmetric_material() {
    let h = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let kms = h.client();

    // HMAC: a 32-byte key, checked against an independent HMAC (RFC 4231 case 2 uses "Jefe",
    // too short for AWS's HMAC_256 import; this uses a 32-byte key and OpenSSL's HMAC).
    let hmac = external_key(&h, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    let secret = [0x0bu8; 32];
    import(
        &h,
        dir.path(),
        &hmac,
        &secret,
        AlgorithmSpec::RsaAesKeyWrapSha256,
        WrappingKeySpec::Rsa3072,
        None,
    )
    .await
    .unwrap();
    let mac = kms
        .generate_mac()
        .key_id(&hmac)
        .message(Blob::new("Hi There"))
        .mac_algorithm(aws_sdk_kms::types::MacAlgorithmSpec::HmacSha256)
        .send()
        .await
        .unwrap()
        .mac
        .unwrap();
    std::fs::write(dir.path().join("msg"), "Hi There").unwrap();
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    let out = Command::new("openssl")
        .args(["dgst", "-sha256", "-mac", "HMAC", "-macopt"])
        .arg(format!("hexkey:{hex}"))
        .args(["-binary", &path(dir.path(), "msg")])
        .output()
        .unwrap();
    assert_eq!(mac.as_ref(), out.stdout.as_slice());
    // A 16-byte key is too short for HMAC_256.
    let short = external_key(&h, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    let (code, _) = import(
        &h,
        dir.path(),
        &short,
        &[1u8; 16],
        AlgorithmSpec::RsaAesKeyWrapSha256,
        WrappingKeySpec::Rsa2048,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(code, "ValidationException");

    // ECC: a P-256 private key made by OpenSSL, as PKCS#8 DER (what AWS's guide asks for:
    // `openssl pkcs8 -topk8 -nocrypt -outform der`); OpenSSL verifies the signature.
    openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        &path(dir.path(), "ec.pem"),
    ]);
    openssl(&[
        "pkcs8",
        "-topk8",
        "-nocrypt",
        "-in",
        &path(dir.path(), "ec.pem"),
        "-outform",
        "DER",
        "-out",
        &path(dir.path(), "ec.der"),
    ]);
    let der = std::fs::read(dir.path().join("ec.der")).unwrap();
    let ec = external_key(&h, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    import(
        &h,
        dir.path(),
        &ec,
        &der,
        AlgorithmSpec::RsaAesKeyWrapSha256,
        WrappingKeySpec::Rsa4096,
        None,
    )
    .await
    .unwrap();
    let signature = signature_of(sign(
        &kms,
        &ec,
        "signed by imported key",
        SigningAlgorithmSpec::EcdsaSha256,
    ))
    .await;
    std::fs::write(dir.path().join("sig"), &signature).unwrap();
    std::fs::write(dir.path().join("signed"), "signed by imported key").unwrap();
    openssl(&[
        "pkey",
        "-inform",
        "DER",
        "-in",
        &path(dir.path(), "ec.der"),
        "-pubout",
        "-out",
        &path(dir.path(), "ec-pub.pem"),
    ]);
    openssl(&[
        "dgst",
        "-sha256",
        "-verify",
        &path(dir.path(), "ec-pub.pem"),
        "-signature",
        &path(dir.path(), "sig"),
        &path(dir.path(), "signed"),
    ]);
    // GetPublicKey returns the imported key's public half.
    let public = kms.get_public_key().key_id(&ec).send().await.unwrap();
    assert!(public.public_key.is_some());
}

#[tokio::test]
async fn new_key_material_rotates_an_imported_key_on_demand() {
    use aws_sdk_kms::types::{ImportType, IncludeKeyMaterial, KeyMaterialState};
    let h = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let kms = h.client();
    let key = external_key(&h, KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt).await;
    let first = import(
        &h,
        dir.path(),
        &key,
        &[1u8; 32],
        AlgorithmSpec::RsaesOaepSha256,
        WrappingKeySpec::Rsa2048,
        None,
    )
    .await
    .unwrap();
    let old = h.encrypt(&key, "first material").await;
    let arn = h.describe(&key).await.arn.unwrap();
    // Without new material there is nothing to rotate to: AWS's type and words.
    assert_eq!(
        error_of(kms.rotate_key_on_demand().key_id(&key).send().await),
        (
            "KMSInvalidStateException".to_owned(),
            format!("No available key material pending rotation for the key: {arn}.")
        )
    );
    // Import new material: it waits, pending rotation.
    let (token, wrapped) = wrapped_for(&h, dir.path(), &key, &[2u8; 32]).await;
    let second = kms
        .import_key_material()
        .key_id(&key)
        .import_token(token.clone())
        .encrypted_key_material(Blob::new(wrapped))
        .import_type(ImportType::NewKeyMaterial)
        .key_material_description("second generation")
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .send()
        .await
        .unwrap()
        .key_material_id
        .unwrap();
    assert_ne!(second, first);
    assert_eq!(
        h.describe(&key).await.current_key_material_id.as_deref(),
        Some(first.as_str())
    );
    let listed = kms
        .list_key_rotations()
        .key_id(&key)
        .include_key_material(IncludeKeyMaterial::AllKeyMaterial)
        .send()
        .await
        .unwrap();
    let pending = listed
        .rotations()
        .iter()
        .find(|r| r.key_material_id.as_deref() == Some(second.as_str()))
        .unwrap();
    assert_eq!(
        pending.key_material_state,
        Some(KeyMaterialState::PendingRotation)
    );
    assert_eq!(
        pending.key_material_description.as_deref(),
        Some("second generation")
    );
    // A third generation cannot queue behind the pending one.
    let (token, wrapped) = wrapped_for(&h, dir.path(), &key, &[3u8; 32]).await;
    let (code, message) = error_of(
        kms.import_key_material()
            .key_id(&key)
            .import_token(token)
            .encrypted_key_material(Blob::new(wrapped))
            .import_type(ImportType::NewKeyMaterial)
            .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
            .send()
            .await,
    );
    assert_eq!(code, "KMSInvalidStateException");
    // The id the refused material would have had is its digest, as for the two before it.
    assert_eq!(first, material_id_of(&[1u8; 32]));
    assert_eq!(second, material_id_of(&[2u8; 32]));
    assert_eq!(
        message,
        format!(
            "New key material (id: {}) cannot be imported into KMS key {key}, because another \
             key material (id: {second}) is pending rotation.",
            material_id_of(&[3u8; 32])
        )
    );

    // RotateKeyOnDemand makes it current; the first material still decrypts.
    kms.rotate_key_on_demand()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        h.describe(&key).await.current_key_material_id.as_deref(),
        Some(second.as_str())
    );
    let back = kms.decrypt().ciphertext_blob(old).send().await.unwrap();
    assert_eq!(back.plaintext.unwrap().as_ref(), b"first material");
    let rotations = kms.list_key_rotations().key_id(&key).send().await.unwrap();
    assert_eq!(rotations.rotations().len(), 1);
    assert_eq!(
        rotations.rotations()[0].key_material_state,
        Some(KeyMaterialState::Current)
    );
    // Automatic rotation stays unavailable for imported keys; the answer names the origin, in
    // the words AWS uses for the rotation operations on such keys.
    let not_for_external = (
        "UnsupportedOperationException".to_owned(),
        format!(
            "arn:aws:kms:us-east-1:111122223333:key/{key} origin is EXTERNAL which is not valid \
             for this operation."
        ),
    );
    assert_eq!(
        error_of(kms.enable_key_rotation().key_id(&key).send().await),
        not_for_external
    );
    assert_eq!(
        error_of(kms.disable_key_rotation().key_id(&key).send().await),
        not_for_external
    );
}

#[tokio::test]
async fn deleted_material_versions_stay_known_for_reimport() {
    use aws_sdk_kms::types::ImportType;
    let h = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let kms = h.client();
    let key = external_key(&h, KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt).await;
    let (a, b) = ([3u8; 32], [4u8; 32]);
    import(
        &h,
        dir.path(),
        &key,
        &a,
        AlgorithmSpec::RsaesOaepSha256,
        WrappingKeySpec::Rsa2048,
        None,
    )
    .await
    .unwrap();
    let under_a = h.encrypt(&key, "under a").await;
    // B is imported as new material and made current.
    let (token, wrapped) = wrapped_for(&h, dir.path(), &key, &b).await;
    kms.import_key_material()
        .key_id(&key)
        .import_token(token.clone())
        .encrypted_key_material(Blob::new(wrapped))
        .import_type(ImportType::NewKeyMaterial)
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .send()
        .await
        .unwrap();
    kms.rotate_key_on_demand()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    let under_b = h.encrypt(&key, "under b").await;

    kms.delete_imported_key_material()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    // A, an older version, can still be brought back; the key stays PendingImport until its
    // current version (B) is back too, and then both ciphertexts decrypt.
    import(
        &h,
        dir.path(),
        &key,
        &a,
        AlgorithmSpec::RsaesOaepSha256,
        WrappingKeySpec::Rsa2048,
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        h.describe(&key).await.key_state,
        Some(KeyState::PendingImport)
    );
    import(
        &h,
        dir.path(),
        &key,
        &b,
        AlgorithmSpec::RsaesOaepSha256,
        WrappingKeySpec::Rsa2048,
        None,
    )
    .await
    .unwrap();
    assert_eq!(h.describe(&key).await.key_state, Some(KeyState::Enabled));
    for (blob, text) in [(under_a, "under a"), (under_b, "under b")] {
        let back = kms.decrypt().ciphertext_blob(blob).send().await.unwrap();
        assert_eq!(back.plaintext.unwrap().as_ref(), text.as_bytes());
    }
}
