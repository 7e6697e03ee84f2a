//! ML-KEM (FIPS 203) keys on aws-lc-rs, and their DER SubjectPublicKeyInfo, which aws-lc-rs
//! does not produce: `SEQUENCE { SEQUENCE { id-alg-ml-kem-N }, BIT STRING { key } }` with the
//! NIST OIDs 2.16.840.1.101.3.4.4.{1,2,3} and no parameters.
//!
//! Data key pairs leave Trent as PKCS#8, which for ML-KEM holds the 64-byte seed (d, z); since
//! aws-lc-rs cannot derive a key from a seed, they are derived with the `ml-kem` crate (see
//! `docs/adr/0006`).

use aws_lc_rs::kem::{
    AlgorithmId, Ciphertext, DecapsulationKey, EncapsulationKey, ML_KEM_512, ML_KEM_768,
    ML_KEM_1024,
};
use trent_core::backend::{BackendError, KeyPair};
use trent_core::model::KeySpec;
use trent_core::secret::{KeyMaterial, Secret};

type Algorithm = aws_lc_rs::kem::Algorithm<AlgorithmId>;

/// The algorithm and the last byte of its OID.
fn algorithm(spec: KeySpec) -> Result<(&'static Algorithm, u8), BackendError> {
    match spec {
        KeySpec::MlKem512 => Ok((&ML_KEM_512, 1)),
        KeySpec::MlKem768 => Ok((&ML_KEM_768, 2)),
        KeySpec::MlKem1024 => Ok((&ML_KEM_1024, 3)),
        other => Err(BackendError::InvalidInput(format!(
            "{other} is not an ML-KEM key spec"
        ))),
    }
}

/// A DER length.
fn der_len(len: usize) -> Vec<u8> {
    match (u8::try_from(len), u16::try_from(len)) {
        (Ok(short), _) if short < 0x80 => vec![short],
        (Ok(byte), _) => vec![0x81, byte],
        (_, Ok(two)) => {
            let [hi, lo] = two.to_be_bytes();
            vec![0x82, hi, lo]
        }
        // ML-KEM keys are at most 1568 bytes.
        _ => vec![0x82, 0xff, 0xff],
    }
}

fn spki(oid_last: u8, raw: &[u8]) -> Vec<u8> {
    let algorithm_identifier = [
        0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x04, oid_last,
    ];
    let mut bit_string = vec![0x03];
    bit_string.extend(der_len(raw.len() + 1));
    bit_string.push(0x00); // no unused bits
    bit_string.extend_from_slice(raw);
    let mut out = vec![0x30];
    out.extend(der_len(algorithm_identifier.len() + bit_string.len()));
    out.extend_from_slice(&algorithm_identifier);
    out.extend(bit_string);
    out
}

/// The raw encapsulation key inside an SPKI of this spec.
fn raw_public(spec: KeySpec, public: &[u8]) -> Result<Vec<u8>, BackendError> {
    let (alg, oid_last) = algorithm(spec)?;
    let invalid = || BackendError::InvalidInput(format!("not a {spec} public key"));
    let key_len = match spec {
        KeySpec::MlKem512 => 800,
        KeySpec::MlKem768 => 1184,
        _ => 1568,
    };
    let raw = public
        .get(public.len().saturating_sub(key_len)..)
        .ok_or_else(invalid)?;
    if spki(oid_last, raw) != public {
        return Err(invalid());
    }
    EncapsulationKey::new(alg, raw).map_err(|_| invalid())?;
    Ok(raw.to_vec())
}

/// A seed-only PKCS#8 `PrivateKeyInfo`: version 0, the algorithm, and
/// `privateKey OCTET STRING { [0] IMPLICIT OCTET STRING seed }`.
fn pkcs8_seed(oid_last: u8, seed: &[u8; 64]) -> Vec<u8> {
    let mut out = vec![
        0x30, 0x54, 0x02, 0x01, 0x00, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
        0x04, 0x04, oid_last, 0x04, 0x42, 0x80, 0x40,
    ];
    out.extend_from_slice(seed);
    out
}

/// The encapsulation key FIPS 203's ML-KEM.KeyGen_internal derives from a seed (d, z).
macro_rules! public_from_seed {
    ($params:ty, $seed:expr) => {{
        use ml_kem::KeyExport as _;
        let key = ml_kem::DecapsulationKey::<$params>::from_seed(ml_kem::Seed::from(*$seed));
        key.encapsulation_key().to_bytes().to_vec()
    }};
}

/// A data key pair: the private key as seed-only PKCS#8, the public key as SPKI.
pub(super) fn generate_data_key_pair(spec: KeySpec) -> Result<KeyPair, BackendError> {
    let (_, oid_last) = algorithm(spec)?;
    let mut seed = zeroize::Zeroizing::new([0u8; 64]);
    aws_lc_rs::rand::fill(seed.as_mut()).map_err(|_| BackendError::Fatal("random".to_owned()))?;
    let public = match spec {
        KeySpec::MlKem512 => public_from_seed!(ml_kem::MlKem512, &*seed),
        KeySpec::MlKem768 => public_from_seed!(ml_kem::MlKem768, &*seed),
        _ => public_from_seed!(ml_kem::MlKem1024, &*seed),
    };
    Ok(KeyPair {
        private: Secret::new(pkcs8_seed(oid_last, &seed)),
        public: spki(oid_last, &public),
    })
}

/// The key FIPS 203 derives from a seed, as aws-lc-rs stores it (the expanded decapsulation
/// key), with its encapsulation key.
macro_rules! expand_seed {
    ($params:ty, $seed:expr) => {{
        #[allow(deprecated)] // the expanded form is what aws-lc-rs loads
        use ml_kem::ExpandedKeyEncoding as _;
        use ml_kem::KeyExport as _;
        let key = ml_kem::DecapsulationKey::<$params>::from_seed(ml_kem::Seed::from(*$seed));
        #[allow(deprecated)]
        let expanded = key.to_expanded_bytes().to_vec();
        (expanded, key.encapsulation_key().to_bytes().to_vec())
    }};
}

/// Loads a seed-only PKCS#8 ML-KEM private key (a seed file's `private_key_pem`) as a KMS key
/// pair: the expanded decapsulation key and the SPKI.
pub(super) fn key_pair_from_pkcs8(spec: KeySpec, der: &[u8]) -> Result<KeyPair, BackendError> {
    let (_, oid_last) = algorithm(spec)?;
    let wrong = || {
        BackendError::InvalidInput(format!(
            "the private key is not a {spec} key in seed-only PKCS#8 form"
        ))
    };
    let prefix = pkcs8_seed(oid_last, &[0; 64]);
    let (head, seed) = der.split_at_checked(22).ok_or_else(wrong)?;
    if der.len() != prefix.len() || Some(head) != prefix.get(..22) {
        return Err(wrong());
    }
    let seed = zeroize::Zeroizing::new(<[u8; 64]>::try_from(seed).map_err(|_| wrong())?);
    let (expanded, public) = match spec {
        KeySpec::MlKem512 => expand_seed!(ml_kem::MlKem512, &*seed),
        KeySpec::MlKem768 => expand_seed!(ml_kem::MlKem768, &*seed),
        _ => expand_seed!(ml_kem::MlKem1024, &*seed),
    };
    Ok(KeyPair {
        private: Secret::new(expanded),
        public: spki(oid_last, &public),
    })
}

pub(super) fn generate(spec: KeySpec) -> Result<KeyPair, BackendError> {
    let (alg, oid_last) = algorithm(spec)?;
    let fatal = |what: &str| BackendError::Fatal(format!("ml-kem {what}"));
    let private = DecapsulationKey::generate(alg).map_err(|_| fatal("keygen"))?;
    let public = private
        .encapsulation_key()
        .map_err(|_| fatal("public key"))?;
    let public = public.key_bytes().map_err(|_| fatal("public key bytes"))?;
    let private = private
        .key_bytes()
        .map_err(|_| fatal("private key bytes"))?;
    Ok(KeyPair {
        private: Secret::from_slice(private.as_ref()),
        public: spki(oid_last, public.as_ref()),
    })
}

/// Encapsulates to a public key: (shared secret, ciphertext).
pub(super) fn encapsulate(spec: KeySpec, public: &[u8]) -> Result<(Secret, Vec<u8>), BackendError> {
    let (alg, _) = algorithm(spec)?;
    let raw = raw_public(spec, public)?;
    let key = EncapsulationKey::new(alg, &raw)
        .map_err(|_| BackendError::Fatal("ml-kem key".to_owned()))?;
    let (ciphertext, secret) = key
        .encapsulate()
        .map_err(|_| BackendError::Fatal("ml-kem encapsulate".to_owned()))?;
    Ok((
        Secret::from_slice(secret.as_ref()),
        ciphertext.as_ref().to_vec(),
    ))
}

/// Decapsulates a ciphertext. A well-formed but wrong ciphertext yields an unrelated secret
/// (FIPS 203 implicit rejection), as AWS's does; a wrong length is invalid input.
pub(super) fn decapsulate(
    spec: KeySpec,
    private: &KeyMaterial,
    ciphertext: &[u8],
) -> Result<Secret, BackendError> {
    let (alg, _) = algorithm(spec)?;
    let key = DecapsulationKey::new(alg, private.as_slice())
        .map_err(|_| BackendError::Fatal("stored ML-KEM private key does not load".to_owned()))?;
    let expected = match spec {
        KeySpec::MlKem512 => 768,
        KeySpec::MlKem768 => 1088,
        _ => 1568,
    };
    if ciphertext.len() != expected {
        return Err(BackendError::InvalidCiphertext);
    }
    let secret = key
        .decapsulate(Ciphertext::from(ciphertext))
        .map_err(|_| BackendError::InvalidCiphertext)?;
    Ok(Secret::from_slice(secret.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spki_round_trips_and_matches_the_expected_prefix() {
        for (spec, prefix) in [
            (
                KeySpec::MlKem512,
                "30820332300b060960864801650304040103820321",
            ),
            (
                KeySpec::MlKem768,
                "308204b2300b0609608648016503040402038204a1",
            ),
            (
                KeySpec::MlKem1024,
                "30820632300b0609608648016503040403038206210",
            ),
        ] {
            let pair = generate(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
            let hex: String = pair.public.iter().map(|b| format!("{b:02x}")).collect();
            assert!(hex.starts_with(prefix), "{spec}: {}", &hex[..48]);
            let (secret, ct) = encapsulate(spec, &pair.public).unwrap_or_else(|e| panic!("{e}"));
            let back = decapsulate(spec, &pair.private, &ct).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(back.as_slice(), secret.as_slice());
            assert_eq!(secret.len(), 32);
        }
    }
}
