//! The software key backend on aws-lc-rs: symmetric keys (AES-256-GCM with a per-message
//! HKDF-derived key) here, asymmetric keys and MACs in `asymmetric`.

mod asymmetric;
mod kem;
mod prehash;

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::{digest, hkdf, rand};
use trent_core::backend::{BackendError, KeyBackend, KeyPair, SymmetricNonces};
use trent_core::model::{
    EncryptionAlgorithm, KeySpec, MacAlgorithm, MaterialId, MessageType, SigningAlgorithm,
    WrappingAlgorithm,
};
use trent_core::secret::{KeyMaterial, Plaintext, Secret};

/// The HKDF `info` of per-message keys, fixing their purpose and the format version.
const KDF_INFO: &[u8] = b"trent/symmetric/v1";
/// The domain separator of material ids.
const MATERIAL_ID_DOMAIN: &[u8] = b"trent/material-id/v1\0";

/// Key material in software, with aws-lc-rs doing every primitive.
#[derive(Clone, Copy, Debug, Default)]
pub struct SoftBackend;

fn fatal(e: impl std::fmt::Display) -> BackendError {
    BackendError::Fatal(e.to_string())
}

/// Derives the one-message AES-256-GCM key from the material and the message nonce
/// (HKDF-SHA256: salt = nonce, IKM = material).
fn message_key(material: &KeyMaterial, nonce: &[u8; 16]) -> Result<LessSafeKey, BackendError> {
    if material.len() != 32 {
        return Err(BackendError::InvalidInput(
            "symmetric material must be 32 bytes".to_owned(),
        ));
    }
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, nonce).extract(material.as_slice());
    let okm = prk
        .expand(&[KDF_INFO], &aead::AES_256_GCM)
        .map_err(|_| fatal("hkdf expand"))?;
    Ok(LessSafeKey::new(UnboundKey::from(okm)))
}

impl KeyBackend for SoftBackend {
    fn generate_symmetric_material(&self) -> Result<KeyMaterial, BackendError> {
        self.random(32)
    }

    fn sha256(&self, data: &[u8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(digest::digest(&digest::SHA256, data).as_ref());
        out
    }

    fn material_id(&self, material: &KeyMaterial) -> MaterialId {
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(MATERIAL_ID_DOMAIN);
        ctx.update(material.as_slice());
        let mut id = [0u8; 32];
        id.copy_from_slice(ctx.finish().as_ref());
        MaterialId(id)
    }

    fn random(&self, len: usize) -> Result<Secret, BackendError> {
        let mut buf = vec![0u8; len];
        rand::fill(&mut buf).map_err(|_| fatal("random"))?;
        Ok(Secret::new(buf))
    }

    fn nonces(&self) -> Result<SymmetricNonces, BackendError> {
        let mut nonce = [0u8; 16];
        let mut iv = [0u8; 12];
        rand::fill(&mut nonce).map_err(|_| fatal("random"))?;
        rand::fill(&mut iv).map_err(|_| fatal("random"))?;
        Ok(SymmetricNonces { nonce, iv })
    }

    fn encrypt_symmetric(
        &self,
        material: &KeyMaterial,
        nonces: &SymmetricNonces,
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, BackendError> {
        let key = message_key(material, &nonces.nonce)?;
        let mut out = Vec::with_capacity(plaintext.len() + 16);
        out.extend_from_slice(plaintext);
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonces.iv),
            Aad::from(aad),
            &mut out,
        )
        .map_err(|_| fatal("seal"))?;
        Ok(out)
    }

    fn decrypt_symmetric(
        &self,
        material: &KeyMaterial,
        nonces: &SymmetricNonces,
        aad: &[u8],
        ciphertext_and_tag: &[u8],
    ) -> Result<Plaintext, BackendError> {
        let key = message_key(material, &nonces.nonce)?;
        let mut buf = Secret::from_slice(ciphertext_and_tag).into_inner();
        let len = key
            .open_in_place(
                Nonce::assume_unique_for_key(nonces.iv),
                Aad::from(aad),
                &mut buf,
            )
            .map_err(|_| BackendError::InvalidCiphertext)?
            .len();
        buf.truncate(len);
        Ok(Secret::new(std::mem::take(&mut *buf)))
    }

    fn generate_key_pair(&self, spec: KeySpec) -> Result<KeyPair, BackendError> {
        match spec {
            KeySpec::MlKem512 | KeySpec::MlKem768 | KeySpec::MlKem1024 => kem::generate(spec),
            _ => asymmetric::generate_key_pair(spec),
        }
    }

    fn generate_data_key_pair(&self, spec: KeySpec) -> Result<KeyPair, BackendError> {
        match spec {
            KeySpec::MlKem512 | KeySpec::MlKem768 | KeySpec::MlKem1024 => {
                kem::generate_data_key_pair(spec)
            }
            _ => asymmetric::generate_key_pair(spec),
        }
    }

    fn encapsulate(&self, spec: KeySpec, public: &[u8]) -> Result<(Secret, Vec<u8>), BackendError> {
        kem::encapsulate(spec, public)
    }

    fn decapsulate(
        &self,
        spec: KeySpec,
        private: &KeyMaterial,
        ciphertext: &[u8],
    ) -> Result<Secret, BackendError> {
        kem::decapsulate(spec, private, ciphertext)
    }

    fn key_pair_from_der(&self, spec: KeySpec, der: &[u8]) -> Result<KeyPair, BackendError> {
        match spec {
            KeySpec::MlKem512 | KeySpec::MlKem768 | KeySpec::MlKem1024 => {
                kem::key_pair_from_pkcs8(spec, der)
            }
            _ => asymmetric::key_pair_from_der(spec, der),
        }
    }

    fn sign(
        &self,
        spec: KeySpec,
        private: &KeyMaterial,
        algorithm: SigningAlgorithm,
        message_type: MessageType,
        message: &[u8],
    ) -> Result<Vec<u8>, BackendError> {
        asymmetric::sign(spec, private, algorithm, message_type, message)
    }

    fn verify(
        &self,
        spec: KeySpec,
        public: &[u8],
        algorithm: SigningAlgorithm,
        message_type: MessageType,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, BackendError> {
        asymmetric::verify(spec, public, algorithm, message_type, message, signature)
    }

    fn mac(
        &self,
        key: &KeyMaterial,
        algorithm: MacAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, BackendError> {
        Ok(asymmetric::mac(key, algorithm, message))
    }

    fn verify_mac(
        &self,
        key: &KeyMaterial,
        algorithm: MacAlgorithm,
        message: &[u8],
        mac: &[u8],
    ) -> Result<bool, BackendError> {
        Ok(asymmetric::verify_mac(key, algorithm, message, mac))
    }

    fn derive_shared_secret(
        &self,
        spec: KeySpec,
        private: &KeyMaterial,
        peer_public: &[u8],
    ) -> Result<Secret, BackendError> {
        asymmetric::derive_shared_secret(spec, private, peer_public)
    }

    fn rsa_encrypt(
        &self,
        public: &[u8],
        algorithm: EncryptionAlgorithm,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, BackendError> {
        asymmetric::rsa_encrypt(public, algorithm, plaintext)
    }

    fn unwrap_key_material(
        &self,
        wrapping_private: &KeyMaterial,
        algorithm: WrappingAlgorithm,
        wrapped: &[u8],
    ) -> Result<Secret, BackendError> {
        asymmetric::unwrap_key_material(wrapping_private, algorithm, wrapped)
    }

    fn rsa_decrypt(
        &self,
        private: &KeyMaterial,
        algorithm: EncryptionAlgorithm,
        ciphertext: &[u8],
    ) -> Result<Plaintext, BackendError> {
        asymmetric::rsa_decrypt(private, algorithm, ciphertext)
    }
}

#[cfg(test)]
mod tests;
