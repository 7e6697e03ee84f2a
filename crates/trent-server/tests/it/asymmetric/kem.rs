//! ML-KEM: Encapsulate and Decapsulate, both ways with Python's `cryptography`.

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeySpec, KeyUsageType};

use crate::harness::{Harness, error_of};

use super::{hex, python, unhex};

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
