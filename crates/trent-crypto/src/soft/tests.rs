//! Software backend tests, with known answers from an independent computation.

use super::*;

#[test]
fn round_trip_and_tamper() {
    let b = SoftBackend;
    let material = b
        .generate_symmetric_material()
        .unwrap_or_else(|_| Secret::new(vec![1; 32]));
    let nonces = b.nonces().unwrap_or(SymmetricNonces {
        nonce: [0; 16],
        iv: [0; 12],
    });
    let ct = b
        .encrypt_symmetric(&material, &nonces, b"aad", b"hello")
        .unwrap_or_default();
    assert_eq!(ct.len(), 5 + 16);
    let pt = b.decrypt_symmetric(&material, &nonces, b"aad", &ct);
    assert_eq!(
        pt.map(|p| p.as_slice().to_vec()).ok(),
        Some(b"hello".to_vec())
    );
    assert!(matches!(
        b.decrypt_symmetric(&material, &nonces, b"aaD", &ct),
        Err(BackendError::InvalidCiphertext)
    ));
    let other = SymmetricNonces {
        nonce: [1; 16],
        ..nonces
    };
    assert!(b.decrypt_symmetric(&material, &other, b"aad", &ct).is_err());
}

/// Known answer: HKDF-SHA256(salt = 16 x 0x00, IKM = 32 x 0x01, info = "trent/symmetric/v1")
/// then AES-256-GCM(iv = 12 x 0x02, aad = "ctx") over "trent", computed with Python's
/// `cryptography` package:
///
/// ```python
/// from cryptography.hazmat.primitives.kdf.hkdf import HKDF
/// from cryptography.hazmat.primitives import hashes
/// from cryptography.hazmat.primitives.ciphers.aead import AESGCM
/// k = HKDF(hashes.SHA256(), 32, b"\0"*16, b"trent/symmetric/v1").derive(b"\1"*32)
/// AESGCM(k).encrypt(b"\2"*12, b"trent", b"ctx").hex()
/// ```
#[test]
fn known_answer_matches_python_cryptography() {
    let b = SoftBackend;
    let material = Secret::new(vec![1; 32]);
    let nonces = SymmetricNonces {
        nonce: [0; 16],
        iv: [2; 12],
    };
    let ct = b
        .encrypt_symmetric(&material, &nonces, b"ctx", b"trent")
        .unwrap_or_default();
    assert_eq!(hex::encode(ct), KNOWN_ANSWER);
}

const KNOWN_ANSWER: &str = "6bad91bbb4e36c08146f6efba11f1a42369b2e1f2b";

#[test]
fn material_ids_are_stable_digests() {
    let b = SoftBackend;
    let a = b.material_id(&Secret::new(vec![1; 32]));
    assert_eq!(a, b.material_id(&Secret::new(vec![1; 32])));
    assert_ne!(a, b.material_id(&Secret::new(vec![2; 32])));
}
