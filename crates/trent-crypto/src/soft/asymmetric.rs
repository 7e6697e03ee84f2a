//! Asymmetric keys and MACs in software: key generation, signatures, HMAC and RSAES-OAEP, all
//! on aws-lc-rs, byte-compatible with AWS KMS (DER ECDSA signatures, PSS salt = digest length,
//! raw OAEP ciphertexts, DER SubjectPublicKeyInfo public keys).

use aws_lc_rs::digest;
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{
    KeySize, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm, OaepPrivateDecryptingKey,
    OaepPublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
};
use aws_lc_rs::signature::{self, KeyPair as _};
use aws_lc_rs::{agreement, constant_time, hmac};
use trent_core::backend::{BackendError, KeyPair};
use trent_core::model::{
    EncryptionAlgorithm, KeySpec, MacAlgorithm, MessageType, SigningAlgorithm,
};
use trent_core::secret::{KeyMaterial, Plaintext, Secret};

fn fatal(what: &str) -> BackendError {
    BackendError::Fatal(what.to_owned())
}

fn unsupported(spec: KeySpec, what: &str) -> BackendError {
    BackendError::InvalidInput(format!("{spec} does not support {what}"))
}

fn der_of<T: AsRef<[u8]>>(
    result: Result<T, aws_lc_rs::error::Unspecified>,
) -> Result<Vec<u8>, BackendError> {
    result
        .map(|d| d.as_ref().to_vec())
        .map_err(|_| fatal("encoding"))
}

/// Runs slow work (RSA key generation takes up to seconds) so that it does not stall the other
/// tasks of a multi-threaded tokio runtime.
fn blocking<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

fn ecdsa_signing(spec: KeySpec) -> Option<&'static signature::EcdsaSigningAlgorithm> {
    Some(match spec {
        KeySpec::EccNistP256 => &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        KeySpec::EccNistP384 => &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
        KeySpec::EccNistP521 => &signature::ECDSA_P521_SHA512_ASN1_SIGNING,
        KeySpec::EccSecgP256k1 => &signature::ECDSA_P256K1_SHA256_ASN1_SIGNING,
        _ => return None,
    })
}

fn ecdsa_verification(spec: KeySpec) -> Option<&'static signature::EcdsaVerificationAlgorithm> {
    Some(match spec {
        KeySpec::EccNistP256 => &signature::ECDSA_P256_SHA256_ASN1,
        KeySpec::EccNistP384 => &signature::ECDSA_P384_SHA384_ASN1,
        KeySpec::EccNistP521 => &signature::ECDSA_P521_SHA512_ASN1,
        KeySpec::EccSecgP256k1 => &signature::ECDSA_P256K1_SHA256_ASN1,
        _ => return None,
    })
}

fn ml_dsa_signing(spec: KeySpec) -> Option<&'static signature::PqdsaSigningAlgorithm> {
    Some(match spec {
        KeySpec::MlDsa44 => &signature::ML_DSA_44_SIGNING,
        KeySpec::MlDsa65 => &signature::ML_DSA_65_SIGNING,
        KeySpec::MlDsa87 => &signature::ML_DSA_87_SIGNING,
        _ => return None,
    })
}

fn ml_dsa_verification(spec: KeySpec) -> Option<&'static signature::PqdsaVerificationAlgorithm> {
    Some(match spec {
        KeySpec::MlDsa44 => &signature::ML_DSA_44,
        KeySpec::MlDsa65 => &signature::ML_DSA_65,
        KeySpec::MlDsa87 => &signature::ML_DSA_87,
        _ => return None,
    })
}

/// The digest algorithm of a signing algorithm that hashes.
fn digest_algorithm(algorithm: SigningAlgorithm) -> Option<&'static digest::Algorithm> {
    use SigningAlgorithm::*;
    Some(match algorithm {
        RsassaPssSha256 | RsassaPkcs1V15Sha256 | EcdsaSha256 => &digest::SHA256,
        RsassaPssSha384 | RsassaPkcs1V15Sha384 | EcdsaSha384 => &digest::SHA384,
        RsassaPssSha512 | RsassaPkcs1V15Sha512 | EcdsaSha512 | Ed25519PhSha512 => &digest::SHA512,
        _ => return None,
    })
}

fn rsa_padding(algorithm: SigningAlgorithm) -> Option<&'static dyn signature::RsaEncoding> {
    use SigningAlgorithm::*;
    Some(match algorithm {
        RsassaPssSha256 => &signature::RSA_PSS_SHA256,
        RsassaPssSha384 => &signature::RSA_PSS_SHA384,
        RsassaPssSha512 => &signature::RSA_PSS_SHA512,
        RsassaPkcs1V15Sha256 => &signature::RSA_PKCS1_SHA256,
        RsassaPkcs1V15Sha384 => &signature::RSA_PKCS1_SHA384,
        RsassaPkcs1V15Sha512 => &signature::RSA_PKCS1_SHA512,
        _ => return None,
    })
}

fn rsa_verification(algorithm: SigningAlgorithm) -> Option<&'static signature::RsaParameters> {
    use SigningAlgorithm::*;
    Some(match algorithm {
        RsassaPssSha256 => &signature::RSA_PSS_2048_8192_SHA256,
        RsassaPssSha384 => &signature::RSA_PSS_2048_8192_SHA384,
        RsassaPssSha512 => &signature::RSA_PSS_2048_8192_SHA512,
        RsassaPkcs1V15Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        RsassaPkcs1V15Sha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        RsassaPkcs1V15Sha512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        _ => return None,
    })
}

fn oaep(algorithm: EncryptionAlgorithm) -> Option<&'static OaepAlgorithm> {
    match algorithm {
        EncryptionAlgorithm::RsaesOaepSha1 => Some(&OAEP_SHA1_MGF1SHA1),
        EncryptionAlgorithm::RsaesOaepSha256 => Some(&OAEP_SHA256_MGF1SHA256),
        _ => None,
    }
}

fn hmac_algorithm(algorithm: MacAlgorithm) -> hmac::Algorithm {
    match algorithm {
        MacAlgorithm::HmacSha224 => hmac::HMAC_SHA224,
        MacAlgorithm::HmacSha256 => hmac::HMAC_SHA256,
        MacAlgorithm::HmacSha384 => hmac::HMAC_SHA384,
        MacAlgorithm::HmacSha512 => hmac::HMAC_SHA512,
    }
}

/// A digest given by the caller (MessageType DIGEST), signed as given and never hashed again.
fn given_digest(
    algorithm: SigningAlgorithm,
    message: &[u8],
) -> Result<digest::Digest, BackendError> {
    let alg = digest_algorithm(algorithm)
        .ok_or_else(|| BackendError::InvalidInput(format!("{algorithm} does not sign digests")))?;
    digest::Digest::import_less_safe(message, alg).map_err(|_| {
        BackendError::InvalidInput(format!(
            "Digest is invalid length for algorithm {algorithm}."
        ))
    })
}

pub(super) fn generate_key_pair(spec: KeySpec) -> Result<KeyPair, BackendError> {
    match spec {
        KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => {
            let size = match spec {
                KeySpec::Rsa2048 => KeySize::Rsa2048,
                KeySpec::Rsa3072 => KeySize::Rsa3072,
                _ => KeySize::Rsa4096,
            };
            let pair = blocking(|| signature::RsaKeyPair::generate(size))
                .map_err(|_| fatal("rsa keygen"))?;
            let private = AsDer::<Pkcs8V1Der>::as_der(&pair).map_err(|_| fatal("rsa pkcs8"))?;
            let public = AsDer::<PublicKeyX509Der>::as_der(pair.public_key())
                .map_err(|_| fatal("rsa spki"))?;
            Ok(KeyPair {
                private: Secret::from_slice(private.as_ref()),
                public: public.as_ref().to_vec(),
            })
        }
        KeySpec::EccNistP256
        | KeySpec::EccNistP384
        | KeySpec::EccNistP521
        | KeySpec::EccSecgP256k1 => {
            let alg = ecdsa_signing(spec).ok_or_else(|| unsupported(spec, "ECDSA"))?;
            let pair = signature::EcdsaKeyPair::generate(alg).map_err(|_| fatal("ec keygen"))?;
            let private = der_of(pair.to_pkcs8v1())?;
            let public = AsDer::<PublicKeyX509Der>::as_der(pair.public_key())
                .map_err(|_| fatal("ec spki"))?;
            Ok(KeyPair {
                private: Secret::new(private),
                public: public.as_ref().to_vec(),
            })
        }
        KeySpec::EccNistEdwards25519 => {
            let pair =
                signature::Ed25519KeyPair::generate().map_err(|_| fatal("ed25519 keygen"))?;
            let private = der_of(pair.to_pkcs8v1())?;
            let public = AsDer::<PublicKeyX509Der>::as_der(pair.public_key())
                .map_err(|_| fatal("ed25519 spki"))?;
            Ok(KeyPair {
                private: Secret::new(private),
                public: public.as_ref().to_vec(),
            })
        }
        KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87 => {
            let alg = ml_dsa_signing(spec).ok_or_else(|| unsupported(spec, "ML-DSA"))?;
            let pair =
                signature::PqdsaKeyPair::generate(alg).map_err(|_| fatal("ml-dsa keygen"))?;
            let private = der_of(pair.to_pkcs8v1())?;
            let public = AsDer::<PublicKeyX509Der>::as_der(pair.public_key())
                .map_err(|_| fatal("ml-dsa spki"))?;
            Ok(KeyPair {
                private: Secret::new(private),
                public: public.as_ref().to_vec(),
            })
        }
        other => Err(unsupported(other, "key pairs")),
    }
}

pub(super) fn key_pair_from_der(spec: KeySpec, der: &[u8]) -> Result<KeyPair, BackendError> {
    let wrong = || {
        BackendError::InvalidInput(format!(
            "the private key is not a valid {spec} key (PKCS#8 DER expected)"
        ))
    };
    let pair = |private: Vec<u8>, public: Vec<u8>| KeyPair {
        private: Secret::new(private),
        public,
    };
    match spec {
        KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => {
            let key = signature::RsaKeyPair::from_pkcs8(der)
                .or_else(|_| signature::RsaKeyPair::from_der(der))
                .map_err(|_| wrong())?;
            let bits = key.public_modulus_len() * 8;
            let expected = match spec {
                KeySpec::Rsa2048 => 2048,
                KeySpec::Rsa3072 => 3072,
                _ => 4096,
            };
            if bits != expected {
                return Err(BackendError::InvalidInput(format!(
                    "the private key has {bits} bits, not the {expected} of {spec}"
                )));
            }
            let private = AsDer::<Pkcs8V1Der>::as_der(&key).map_err(|_| fatal("rsa pkcs8"))?;
            let public = AsDer::<PublicKeyX509Der>::as_der(key.public_key())
                .map_err(|_| fatal("rsa spki"))?;
            Ok(pair(private.as_ref().to_vec(), public.as_ref().to_vec()))
        }
        KeySpec::EccNistP256
        | KeySpec::EccNistP384
        | KeySpec::EccNistP521
        | KeySpec::EccSecgP256k1 => {
            let alg = ecdsa_signing(spec).ok_or_else(wrong)?;
            let key = signature::EcdsaKeyPair::from_pkcs8(alg, der).map_err(|_| wrong())?;
            let private = der_of(key.to_pkcs8v1())?;
            let public = AsDer::<PublicKeyX509Der>::as_der(key.public_key())
                .map_err(|_| fatal("ec spki"))?;
            Ok(pair(private, public.as_ref().to_vec()))
        }
        KeySpec::EccNistEdwards25519 => {
            let key =
                signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(|_| wrong())?;
            let private = der_of(key.to_pkcs8v1())?;
            let public = AsDer::<PublicKeyX509Der>::as_der(key.public_key())
                .map_err(|_| fatal("ed25519 spki"))?;
            Ok(pair(private, public.as_ref().to_vec()))
        }
        KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87 => {
            let alg = ml_dsa_signing(spec).ok_or_else(wrong)?;
            let key = signature::PqdsaKeyPair::from_pkcs8(alg, der).map_err(|_| wrong())?;
            let private = der_of(key.to_pkcs8v1())?;
            let public = AsDer::<PublicKeyX509Der>::as_der(key.public_key())
                .map_err(|_| fatal("ml-dsa spki"))?;
            Ok(pair(private, public.as_ref().to_vec()))
        }
        other => Err(unsupported(other, "imported private keys")),
    }
}

pub(super) fn sign(
    spec: KeySpec,
    private: &KeyMaterial,
    algorithm: SigningAlgorithm,
    message_type: MessageType,
    message: &[u8],
) -> Result<Vec<u8>, BackendError> {
    let rng = SystemRandom::new();
    let bad_key = |_| BackendError::Fatal(format!("stored {spec} private key does not load"));
    match spec {
        KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => {
            let pair = signature::RsaKeyPair::from_pkcs8(private.as_slice()).map_err(bad_key)?;
            let padding =
                rsa_padding(algorithm).ok_or_else(|| unsupported(spec, "this algorithm"))?;
            let mut out = vec![0u8; pair.public_modulus_len()];
            match message_type {
                MessageType::Raw => pair.sign(padding, &rng, message, &mut out),
                MessageType::Digest => {
                    pair.sign_digest(padding, &given_digest(algorithm, message)?, &mut out)
                }
                MessageType::ExternalMu => return Err(unsupported(spec, "EXTERNAL_MU")),
            }
            .map_err(|_| fatal("rsa sign"))?;
            Ok(out)
        }
        KeySpec::EccNistP256
        | KeySpec::EccNistP384
        | KeySpec::EccNistP521
        | KeySpec::EccSecgP256k1 => {
            let alg = ecdsa_signing(spec).ok_or_else(|| unsupported(spec, "ECDSA"))?;
            let pair =
                signature::EcdsaKeyPair::from_pkcs8(alg, private.as_slice()).map_err(bad_key)?;
            let sig = match message_type {
                MessageType::Raw => pair.sign(&rng, message),
                MessageType::Digest => pair.sign_digest(&given_digest(algorithm, message)?),
                MessageType::ExternalMu => return Err(unsupported(spec, "EXTERNAL_MU")),
            }
            .map_err(|_| fatal("ecdsa sign"))?;
            Ok(sig.as_ref().to_vec())
        }
        KeySpec::EccNistEdwards25519 => match (algorithm, message_type) {
            (SigningAlgorithm::Ed25519Sha512, MessageType::Raw) => {
                let pair =
                    signature::Ed25519KeyPair::from_pkcs8(private.as_slice()).map_err(bad_key)?;
                Ok(pair.sign(message).as_ref().to_vec())
            }
            (SigningAlgorithm::Ed25519PhSha512, _) => {
                super::prehash::ed25519ph_sign(private, message_type, message)
            }
            _ => Err(unsupported(spec, "this algorithm and message type")),
        },
        KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87 => {
            if message_type == MessageType::ExternalMu {
                return super::prehash::ml_dsa_sign_mu(spec, private, message);
            }
            let alg = ml_dsa_signing(spec).ok_or_else(|| unsupported(spec, "ML-DSA"))?;
            let pair =
                signature::PqdsaKeyPair::from_pkcs8(alg, private.as_slice()).map_err(bad_key)?;
            if message_type != MessageType::Raw {
                return Err(unsupported(spec, "this message type"));
            }
            let mut out = vec![0u8; alg.signature_len()];
            let len = pair
                .sign(message, &mut out)
                .map_err(|_| fatal("ml-dsa sign"))?;
            out.truncate(len);
            Ok(out)
        }
        other => Err(unsupported(other, "signing")),
    }
}

pub(super) fn verify(
    spec: KeySpec,
    public: &[u8],
    algorithm: SigningAlgorithm,
    message_type: MessageType,
    message: &[u8],
    signature_bytes: &[u8],
) -> Result<bool, BackendError> {
    let check = |alg: &'static dyn signature::VerificationAlgorithm,
                 key: &[u8]|
     -> Result<bool, BackendError> {
        let key = signature::UnparsedPublicKey::new(alg, key);
        Ok(match message_type {
            MessageType::Raw => key.verify(message, signature_bytes).is_ok(),
            MessageType::Digest => key
                .verify_digest(&given_digest(algorithm, message)?, signature_bytes)
                .is_ok(),
            MessageType::ExternalMu => return Err(unsupported(spec, "EXTERNAL_MU")),
        })
    };
    match spec {
        KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => check(
            rsa_verification(algorithm).ok_or_else(|| unsupported(spec, "this algorithm"))?,
            public,
        ),
        KeySpec::EccNistP256
        | KeySpec::EccNistP384
        | KeySpec::EccNistP521
        | KeySpec::EccSecgP256k1 => check(
            ecdsa_verification(spec).ok_or_else(|| unsupported(spec, "ECDSA"))?,
            public,
        ),
        KeySpec::EccNistEdwards25519 => {
            if algorithm == SigningAlgorithm::Ed25519PhSha512 {
                return super::prehash::ed25519ph_verify(
                    public,
                    message_type,
                    message,
                    signature_bytes,
                );
            }
            if (algorithm, message_type) != (SigningAlgorithm::Ed25519Sha512, MessageType::Raw) {
                return Err(unsupported(spec, "this algorithm and message type"));
            }
            // The raw 32-byte key is the tail of its SubjectPublicKeyInfo.
            let raw = public
                .get(public.len().saturating_sub(32)..)
                .unwrap_or_default();
            check(&signature::ED25519, raw)
        }
        KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87 => {
            if message_type == MessageType::ExternalMu {
                return super::prehash::ml_dsa_verify_mu(spec, public, message, signature_bytes);
            }
            if message_type != MessageType::Raw {
                return Err(unsupported(spec, "this message type"));
            }
            check(
                ml_dsa_verification(spec).ok_or_else(|| unsupported(spec, "ML-DSA"))?,
                public,
            )
        }
        other => Err(unsupported(other, "verification")),
    }
}

pub(super) fn mac(key: &KeyMaterial, algorithm: MacAlgorithm, message: &[u8]) -> Vec<u8> {
    let key = hmac::Key::new(hmac_algorithm(algorithm), key.as_slice());
    hmac::sign(&key, message).as_ref().to_vec()
}

pub(super) fn verify_mac(
    key: &KeyMaterial,
    algorithm: MacAlgorithm,
    message: &[u8],
    tag: &[u8],
) -> bool {
    let expected = mac(key, algorithm, message);
    constant_time::verify_slices_are_equal(&expected, tag).is_ok()
}

pub(super) fn rsa_encrypt(
    public: &[u8],
    algorithm: EncryptionAlgorithm,
    plaintext: &[u8],
) -> Result<Vec<u8>, BackendError> {
    let alg = oaep(algorithm)
        .ok_or_else(|| BackendError::InvalidInput(format!("{algorithm} is not RSAES-OAEP")))?;
    let key = PublicEncryptingKey::from_der(public)
        .map_err(|_| fatal("stored RSA public key does not load"))?;
    let key = OaepPublicEncryptingKey::new(key).map_err(|_| fatal("oaep key"))?;
    let mut out = vec![0u8; key.ciphertext_size()];
    let len = key
        .encrypt(alg, plaintext, &mut out, None)
        .map_err(|_| {
            BackendError::InvalidInput("plaintext too long for this key and algorithm".to_owned())
        })?
        .len();
    out.truncate(len);
    Ok(out)
}

pub(super) fn rsa_decrypt(
    private: &KeyMaterial,
    algorithm: EncryptionAlgorithm,
    ciphertext: &[u8],
) -> Result<Plaintext, BackendError> {
    let alg = oaep(algorithm)
        .ok_or_else(|| BackendError::InvalidInput(format!("{algorithm} is not RSAES-OAEP")))?;
    let key = PrivateDecryptingKey::from_pkcs8(private.as_slice())
        .map_err(|_| fatal("stored RSA private key does not load"))?;
    let key = OaepPrivateDecryptingKey::new(key).map_err(|_| fatal("oaep key"))?;
    let mut out = Secret::new(vec![0u8; key.min_output_size()]).into_inner();
    let len = key
        .decrypt(alg, ciphertext, &mut out, None)
        .map_err(|_| BackendError::InvalidCiphertext)?
        .len();
    out.truncate(len);
    Ok(Secret::new(std::mem::take(&mut *out)))
}

/// Unwraps imported key material (GetParametersForImport's wrapping algorithms).
pub(super) fn unwrap_key_material(
    wrapping_private: &KeyMaterial,
    algorithm: trent_core::model::WrappingAlgorithm,
    wrapped: &[u8],
) -> Result<Secret, BackendError> {
    use aws_lc_rs::key_wrap::{AES_256, AesKek, KeyWrapPadded as _};
    use trent_core::model::WrappingAlgorithm as W;
    let (oaep_alg, kwp) = match algorithm {
        W::RsaesOaepSha1 => (EncryptionAlgorithm::RsaesOaepSha1, false),
        W::RsaesOaepSha256 => (EncryptionAlgorithm::RsaesOaepSha256, false),
        W::RsaAesKeyWrapSha1 => (EncryptionAlgorithm::RsaesOaepSha1, true),
        W::RsaAesKeyWrapSha256 => (EncryptionAlgorithm::RsaesOaepSha256, true),
        W::RsaesPkcs1V15 | W::Sm2Pke => {
            return Err(BackendError::InvalidInput(format!(
                "wrapping algorithm {algorithm} is not supported"
            )));
        }
    };
    if !kwp {
        return rsa_decrypt(wrapping_private, oaep_alg, wrapped);
    }
    let key = PrivateDecryptingKey::from_pkcs8(wrapping_private.as_slice())
        .map_err(|_| fatal("stored wrapping key does not load"))?;
    let modulus = key.key_size_bytes();
    let (rsa_part, kwp_part) = wrapped
        .split_at_checked(modulus)
        .ok_or(BackendError::InvalidCiphertext)?;
    let aes_key = rsa_decrypt(wrapping_private, oaep_alg, rsa_part)?;
    let kek =
        AesKek::new(&AES_256, aes_key.as_slice()).map_err(|_| BackendError::InvalidCiphertext)?;
    let mut out = Secret::new(vec![0u8; kwp_part.len()]).into_inner();
    let len = kek
        .unwrap_with_padding(kwp_part, &mut out)
        .map_err(|_| BackendError::InvalidCiphertext)?
        .len();
    out.truncate(len);
    Ok(Secret::new(std::mem::take(&mut *out)))
}

/// ECDH on a NIST curve: the raw shared secret (the x coordinate), as AWS's DeriveSharedSecret
/// returns it.
pub(super) fn derive_shared_secret(
    spec: KeySpec,
    private: &KeyMaterial,
    peer_public: &[u8],
) -> Result<Secret, BackendError> {
    let alg = match spec {
        KeySpec::EccNistP256 => &agreement::ECDH_P256,
        KeySpec::EccNistP384 => &agreement::ECDH_P384,
        KeySpec::EccNistP521 => &agreement::ECDH_P521,
        other => return Err(unsupported(other, "key agreement")),
    };
    let key = agreement::PrivateKey::from_private_key_der(alg, private.as_slice())
        .map_err(|_| fatal("stored EC private key does not load"))?;
    // AWS answers a PublicKey that is not an SPKI of the key's curve with a bare
    // ValidationException: no message.
    let invalid_peer = || BackendError::InvalidInput(String::new());
    // AWS takes the peer key as DER SubjectPublicKeyInfo (a SEQUENCE); aws-lc-rs would also
    // take a bare SEC1 point, which AWS refuses.
    if peer_public.first() != Some(&0x30) {
        return Err(invalid_peer());
    }
    agreement::agree(
        &key,
        agreement::UnparsedPublicKey::new(alg, peer_public),
        invalid_peer(),
        |secret| Ok(Secret::from_slice(secret)),
    )
}
