//! What each key spec is: which usages it allows, and which algorithms each usage offers, as
//! AWS KMS defines them (the tables of the Developer Guide's "Key spec reference").

use super::{
    EncapsulationAlgorithm, EncryptionAlgorithm, KeyAgreementAlgorithm, KeySpec, KeyUsage,
    MacAlgorithm, SigningAlgorithm,
};

/// The broad family of a key spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFamily {
    Symmetric,
    Rsa,
    /// ECDSA/ECDH curves (NIST and secp256k1).
    Ecc,
    Ed25519,
    Hmac,
    MlDsa,
    MlKem,
    Sm2,
}

impl KeySpec {
    pub fn family(self) -> KeyFamily {
        use KeySpec::*;
        match self {
            SymmetricDefault => KeyFamily::Symmetric,
            Rsa2048 | Rsa3072 | Rsa4096 => KeyFamily::Rsa,
            EccNistP256 | EccNistP384 | EccNistP521 | EccSecgP256k1 => KeyFamily::Ecc,
            EccNistEdwards25519 => KeyFamily::Ed25519,
            Hmac224 | Hmac256 | Hmac384 | Hmac512 => KeyFamily::Hmac,
            MlDsa44 | MlDsa65 | MlDsa87 => KeyFamily::MlDsa,
            MlKem512 | MlKem768 | MlKem1024 => KeyFamily::MlKem,
            Sm2 => KeyFamily::Sm2,
        }
    }

    /// Whether the key has a public key (GetPublicKey answers for it).
    pub fn is_asymmetric(self) -> bool {
        !matches!(self.family(), KeyFamily::Symmetric | KeyFamily::Hmac)
    }

    /// The key usages AWS allows for this spec.
    pub fn usages(self) -> &'static [KeyUsage] {
        use KeyUsage::*;
        match self {
            KeySpec::SymmetricDefault => &[EncryptDecrypt],
            KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => &[EncryptDecrypt, SignVerify],
            KeySpec::EccNistP256 | KeySpec::EccNistP384 | KeySpec::EccNistP521 => {
                &[SignVerify, KeyAgreement]
            }
            KeySpec::EccSecgP256k1 | KeySpec::EccNistEdwards25519 => &[SignVerify],
            KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512 => {
                &[GenerateVerifyMac]
            }
            KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87 => &[SignVerify],
            KeySpec::MlKem512 | KeySpec::MlKem768 | KeySpec::MlKem1024 => &[EncapsulateDecapsulate],
            KeySpec::Sm2 => &[EncryptDecrypt, SignVerify, KeyAgreement],
        }
    }

    pub fn encryption_algorithms(self, usage: KeyUsage) -> Vec<EncryptionAlgorithm> {
        match (usage, self.family()) {
            (KeyUsage::EncryptDecrypt, KeyFamily::Symmetric) => {
                vec![EncryptionAlgorithm::SymmetricDefault]
            }
            (KeyUsage::EncryptDecrypt, KeyFamily::Rsa) => vec![
                EncryptionAlgorithm::RsaesOaepSha1,
                EncryptionAlgorithm::RsaesOaepSha256,
            ],
            (KeyUsage::EncryptDecrypt, KeyFamily::Sm2) => vec![EncryptionAlgorithm::Sm2Pke],
            _ => Vec::new(),
        }
    }

    pub fn signing_algorithms(self, usage: KeyUsage) -> Vec<SigningAlgorithm> {
        use SigningAlgorithm::*;
        if usage != KeyUsage::SignVerify {
            return Vec::new();
        }
        match self {
            KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => vec![
                RsassaPssSha256,
                RsassaPssSha384,
                RsassaPssSha512,
                RsassaPkcs1V15Sha256,
                RsassaPkcs1V15Sha384,
                RsassaPkcs1V15Sha512,
            ],
            KeySpec::EccNistP256 | KeySpec::EccSecgP256k1 => vec![EcdsaSha256],
            KeySpec::EccNistP384 => vec![EcdsaSha384],
            KeySpec::EccNistP521 => vec![EcdsaSha512],
            KeySpec::EccNistEdwards25519 => vec![Ed25519Sha512, Ed25519PhSha512],
            KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87 => vec![MlDsaShake256],
            KeySpec::Sm2 => vec![Sm2Dsa],
            _ => Vec::new(),
        }
    }

    pub fn mac_algorithms(self, usage: KeyUsage) -> Vec<MacAlgorithm> {
        if usage != KeyUsage::GenerateVerifyMac {
            return Vec::new();
        }
        match self {
            KeySpec::Hmac224 => vec![MacAlgorithm::HmacSha224],
            KeySpec::Hmac256 => vec![MacAlgorithm::HmacSha256],
            KeySpec::Hmac384 => vec![MacAlgorithm::HmacSha384],
            KeySpec::Hmac512 => vec![MacAlgorithm::HmacSha512],
            _ => Vec::new(),
        }
    }

    pub fn key_agreement_algorithms(self, usage: KeyUsage) -> Vec<KeyAgreementAlgorithm> {
        if usage == KeyUsage::KeyAgreement {
            vec![KeyAgreementAlgorithm::Ecdh]
        } else {
            Vec::new()
        }
    }

    pub fn encapsulation_algorithms(self, usage: KeyUsage) -> Vec<EncapsulationAlgorithm> {
        if usage == KeyUsage::EncapsulateDecapsulate {
            vec![EncapsulationAlgorithm::MlKem]
        } else {
            Vec::new()
        }
    }

    /// The length of an HMAC key of this spec, in bytes (the number in its name, in bits).
    pub fn hmac_key_len(self) -> Option<usize> {
        match self {
            KeySpec::Hmac224 => Some(28),
            KeySpec::Hmac256 => Some(32),
            KeySpec::Hmac384 => Some(48),
            KeySpec::Hmac512 => Some(64),
            _ => None,
        }
    }

    /// The largest plaintext RSAES-OAEP takes with this key and hash: AWS's published limits.
    pub fn rsa_max_plaintext(self, algorithm: EncryptionAlgorithm) -> Option<usize> {
        let modulus = match self {
            KeySpec::Rsa2048 => 256,
            KeySpec::Rsa3072 => 384,
            KeySpec::Rsa4096 => 512,
            _ => return None,
        };
        let hash = match algorithm {
            EncryptionAlgorithm::RsaesOaepSha1 => 20,
            EncryptionAlgorithm::RsaesOaepSha256 => 32,
            _ => return None,
        };
        Some(modulus - 2 * hash - 2)
    }
}

impl SigningAlgorithm {
    /// The length of the digest a `DIGEST` message must have.
    pub fn digest_len(self) -> Option<usize> {
        use SigningAlgorithm::*;
        match self {
            RsassaPssSha256 | RsassaPkcs1V15Sha256 | EcdsaSha256 | Sm2Dsa => Some(32),
            RsassaPssSha384 | RsassaPkcs1V15Sha384 | EcdsaSha384 => Some(48),
            RsassaPssSha512 | RsassaPkcs1V15Sha512 | EcdsaSha512 | Ed25519PhSha512 => Some(64),
            MlDsaShake256 | Ed25519Sha512 => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spec_has_a_usage_and_its_algorithms() {
        for spec in KeySpec::ALL {
            assert!(!spec.usages().is_empty(), "{spec}");
            for usage in spec.usages() {
                let algorithms = spec.encryption_algorithms(*usage).len()
                    + spec.signing_algorithms(*usage).len()
                    + spec.mac_algorithms(*usage).len()
                    + spec.key_agreement_algorithms(*usage).len()
                    + spec.encapsulation_algorithms(*usage).len();
                assert!(algorithms > 0, "{spec} {usage} offers no algorithm");
            }
        }
    }

    #[test]
    fn aws_rsa_plaintext_limits() {
        // The Developer Guide's table: 2048 bits: 214 (SHA-1) / 190 (SHA-256) bytes, ...
        let sha1 = EncryptionAlgorithm::RsaesOaepSha1;
        let sha256 = EncryptionAlgorithm::RsaesOaepSha256;
        assert_eq!(KeySpec::Rsa2048.rsa_max_plaintext(sha1), Some(214));
        assert_eq!(KeySpec::Rsa2048.rsa_max_plaintext(sha256), Some(190));
        assert_eq!(KeySpec::Rsa3072.rsa_max_plaintext(sha1), Some(342));
        assert_eq!(KeySpec::Rsa3072.rsa_max_plaintext(sha256), Some(318));
        assert_eq!(KeySpec::Rsa4096.rsa_max_plaintext(sha1), Some(470));
        assert_eq!(KeySpec::Rsa4096.rsa_max_plaintext(sha256), Some(446));
    }
}
