//! The two signing modes aws-lc-rs has no safe API for, on RustCrypto crates:
//! Ed25519ph (RFC 8032, `ED25519_PH_SHA_512`) with `ed25519-dalek`, and ML-DSA signing and
//! verification over an external μ (FIPS 204, MessageType `EXTERNAL_MU`) with `ml-dsa`.
//! Both load the keys aws-lc-rs generated, through the seed inside their PKCS#8.

use ml_dsa::{EncodedSignature, EncodedVerifyingKey, MlDsa44, MlDsa65, MlDsa87, MlDsaParams};
use sha2::Digest as _;
use trent_core::backend::BackendError;
use trent_core::model::{KeySpec, MessageType};
use trent_core::secret::KeyMaterial;

/// μ: 64 bytes.
type B64 = hybrid_array::Array<u8, hybrid_array::sizes::U64>;

fn invalid(what: &str) -> BackendError {
    BackendError::InvalidInput(what.to_owned())
}

/// The 32-byte seed at the end of a seed-only PKCS#8 (Ed25519: 48 bytes; ML-DSA: 54 bytes).
fn seed(pkcs8: &KeyMaterial, expected_len: usize) -> Result<[u8; 32], BackendError> {
    let bytes = pkcs8.as_slice();
    if bytes.len() != expected_len {
        return Err(BackendError::Fatal(
            "unexpected private key encoding".to_owned(),
        ));
    }
    bytes
        .get(expected_len - 32..)
        .and_then(|s| <[u8; 32]>::try_from(s).ok())
        .ok_or_else(|| BackendError::Fatal("unexpected private key encoding".to_owned()))
}

/// A SHA-512 digest the caller computed (MessageType DIGEST), handed to `ed25519-dalek`'s
/// prehash API, which asks for a hasher to finalize: finalizing gives the digest as it is.
#[derive(Clone)]
struct GivenDigest([u8; 64]);

impl Default for GivenDigest {
    fn default() -> GivenDigest {
        GivenDigest([0; 64])
    }
}

impl sha2::digest::HashMarker for GivenDigest {}

impl sha2::digest::OutputSizeUser for GivenDigest {
    type OutputSize = sha2::digest::consts::U64;
}

impl sha2::digest::Update for GivenDigest {
    fn update(&mut self, _data: &[u8]) {
        // Nothing to hash: the digest is given.
    }
}

impl sha2::digest::FixedOutput for GivenDigest {
    fn finalize_into(self, out: &mut sha2::digest::Output<Self>) {
        out.copy_from_slice(&self.0);
    }
}

/// The prehash of an Ed25519ph request. AWS takes ED25519_PH_SHA_512 with MessageType DIGEST
/// only, and still applies the SHA-512 prehash of RFC 8032 to it: the signature is Ed25519ph
/// of the given bytes as the message.
fn ed25519_prehash(message_type: MessageType, message: &[u8]) -> Result<GivenDigest, BackendError> {
    if message_type != MessageType::Digest {
        return Err(invalid(
            "ED25519_PH_SHA_512 signing algorithm requires MessageType DIGEST.",
        ));
    }
    let mut out = [0u8; 64];
    out.copy_from_slice(&sha2::Sha512::digest(message));
    Ok(GivenDigest(out))
}

pub(super) fn ed25519ph_sign(
    private: &KeyMaterial,
    message_type: MessageType,
    message: &[u8],
) -> Result<Vec<u8>, BackendError> {
    let key = ed25519_dalek::SigningKey::from_bytes(&seed(private, 48)?);
    let prehash = ed25519_prehash(message_type, message)?;
    let signature = key
        .sign_prehashed(prehash, None)
        .map_err(|_| BackendError::Fatal("ed25519ph sign".to_owned()))?;
    Ok(signature.to_bytes().to_vec())
}

pub(super) fn ed25519ph_verify(
    public: &[u8],
    message_type: MessageType,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, BackendError> {
    let raw = public
        .get(public.len().saturating_sub(32)..)
        .and_then(|s| <&[u8; 32]>::try_from(s).ok())
        .ok_or_else(|| BackendError::Fatal("stored Ed25519 public key".to_owned()))?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(raw)
        .map_err(|_| BackendError::Fatal("stored Ed25519 public key".to_owned()))?;
    let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
        return Ok(false);
    };
    Ok(key
        .verify_prehashed_strict(ed25519_prehash(message_type, message)?, None, &signature)
        .is_ok())
}

fn mu(message: &[u8]) -> Result<B64, BackendError> {
    B64::try_from(message)
        .map_err(|_| invalid("External mu must be 64 bytes for MessageType EXTERNAL_MU."))
}

fn sign_mu_with<P: MlDsaParams>(private: &KeyMaterial, mu: &B64) -> Result<Vec<u8>, BackendError> {
    let seed = ml_dsa::Seed::from(seed(private, 54)?);
    let key = ml_dsa::SigningKey::<P>::from_seed(&seed);
    Ok(key
        .expanded_key()
        .sign_mu_deterministic(mu)
        .encode()
        .to_vec())
}

fn verify_mu_with<P: MlDsaParams>(
    public: &[u8],
    mu: &B64,
    signature: &[u8],
) -> Result<bool, BackendError> {
    let len = EncodedVerifyingKey::<P>::default().len();
    let raw = public
        .get(public.len().saturating_sub(len)..)
        .unwrap_or_default();
    let encoded = EncodedVerifyingKey::<P>::try_from(raw)
        .map_err(|_| BackendError::Fatal("stored ML-DSA public key".to_owned()))?;
    let key = ml_dsa::VerifyingKey::<P>::decode(&encoded);
    let Ok(encoded) = EncodedSignature::<P>::try_from(signature) else {
        return Ok(false);
    };
    Ok(ml_dsa::Signature::<P>::decode(&encoded).is_some_and(|s| key.verify_mu(mu, &s)))
}

pub(super) fn ml_dsa_sign_mu(
    spec: KeySpec,
    private: &KeyMaterial,
    message: &[u8],
) -> Result<Vec<u8>, BackendError> {
    let mu = mu(message)?;
    match spec {
        KeySpec::MlDsa44 => sign_mu_with::<MlDsa44>(private, &mu),
        KeySpec::MlDsa65 => sign_mu_with::<MlDsa65>(private, &mu),
        KeySpec::MlDsa87 => sign_mu_with::<MlDsa87>(private, &mu),
        other => Err(invalid(&format!("{other} does not take EXTERNAL_MU"))),
    }
}

pub(super) fn ml_dsa_verify_mu(
    spec: KeySpec,
    public: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<bool, BackendError> {
    let mu = mu(message)?;
    match spec {
        KeySpec::MlDsa44 => verify_mu_with::<MlDsa44>(public, &mu, signature),
        KeySpec::MlDsa65 => verify_mu_with::<MlDsa65>(public, &mu, signature),
        KeySpec::MlDsa87 => verify_mu_with::<MlDsa87>(public, &mu, signature),
        other => Err(invalid(&format!("{other} does not take EXTERNAL_MU"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trent_core::secret::Secret;

    /// RFC 8032, section 7.3, test "abc": through the DIGEST path, whose prehash is SHA-512 of
    /// the given bytes, the message "abc" gives the RFC's signature.
    #[test]
    fn rfc_8032_ed25519ph_vector() {
        let seed_hex = "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42";
        let mut pkcs8 = hex::decode("302e020100300506032b657004220420").unwrap_or_default();
        pkcs8.extend(hex::decode(seed_hex).unwrap_or_default());
        let private = Secret::new(pkcs8);
        let expected = "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae4131f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406";
        let signature = ed25519ph_sign(&private, MessageType::Digest, b"abc").unwrap_or_default();
        assert_eq!(hex::encode(&signature), expected);
        assert!(ed25519ph_sign(&private, MessageType::Raw, b"abc").is_err());
        let mut spki = hex::decode("302a300506032b6570032100").unwrap_or_default();
        spki.extend(
            hex::decode("ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf")
                .unwrap_or_default(),
        );
        assert_eq!(
            ed25519ph_verify(&spki, MessageType::Digest, b"abc", &signature).ok(),
            Some(true)
        );
        assert_eq!(
            ed25519ph_verify(&spki, MessageType::Digest, b"abd", &signature).ok(),
            Some(false)
        );
    }
}
