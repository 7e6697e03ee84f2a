//! KMS keys: specs, usages, states and the rules between them; the records the store keeps.

use std::collections::BTreeMap;

use super::{AccountId, AliasName, KeyId, MaterialId, Region, UnixMillis};

macro_rules! aws_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($variant,)* }

        impl $name {
            /// Every value, in the model's order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The AWS spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }

            /// Parses the AWS spelling.
            pub fn parse(value: &str) -> Option<$name> {
                match value { $($text => Some($name::$variant),)* _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use aws_enum;

aws_enum! {
    /// The type of key material (`KeySpec`).
    KeySpec {
        Rsa2048 = "RSA_2048",
        Rsa3072 = "RSA_3072",
        Rsa4096 = "RSA_4096",
        EccNistP256 = "ECC_NIST_P256",
        EccNistP384 = "ECC_NIST_P384",
        EccNistP521 = "ECC_NIST_P521",
        EccSecgP256k1 = "ECC_SECG_P256K1",
        SymmetricDefault = "SYMMETRIC_DEFAULT",
        Hmac224 = "HMAC_224",
        Hmac256 = "HMAC_256",
        Hmac384 = "HMAC_384",
        Hmac512 = "HMAC_512",
        Sm2 = "SM2",
        MlDsa44 = "ML_DSA_44",
        MlDsa65 = "ML_DSA_65",
        MlDsa87 = "ML_DSA_87",
        EccNistEdwards25519 = "ECC_NIST_EDWARDS25519",
        MlKem512 = "ML_KEM_512",
        MlKem768 = "ML_KEM_768",
        MlKem1024 = "ML_KEM_1024",
    }
}

aws_enum! {
    /// What a key is for (`KeyUsage`).
    KeyUsage {
        SignVerify = "SIGN_VERIFY",
        EncryptDecrypt = "ENCRYPT_DECRYPT",
        GenerateVerifyMac = "GENERATE_VERIFY_MAC",
        KeyAgreement = "KEY_AGREEMENT",
        EncapsulateDecapsulate = "ENCAPSULATE_DECAPSULATE",
    }
}

aws_enum! {
    /// The lifecycle state of a key (`KeyState`).
    KeyState {
        Creating = "Creating",
        Enabled = "Enabled",
        Disabled = "Disabled",
        PendingDeletion = "PendingDeletion",
        PendingImport = "PendingImport",
        PendingReplicaDeletion = "PendingReplicaDeletion",
        Unavailable = "Unavailable",
        Updating = "Updating",
    }
}

aws_enum! {
    /// Where the key material came from (`Origin`).
    Origin {
        AwsKms = "AWS_KMS",
        External = "EXTERNAL",
        AwsCloudHsm = "AWS_CLOUDHSM",
        ExternalKeyStore = "EXTERNAL_KEY_STORE",
    }
}

aws_enum! {
    /// Who manages the key (`KeyManager`).
    KeyManager {
        Aws = "AWS",
        Customer = "CUSTOMER",
    }
}

aws_enum! {
    /// Encryption algorithms (`EncryptionAlgorithmSpec`).
    EncryptionAlgorithm {
        SymmetricDefault = "SYMMETRIC_DEFAULT",
        RsaesOaepSha1 = "RSAES_OAEP_SHA_1",
        RsaesOaepSha256 = "RSAES_OAEP_SHA_256",
        Sm2Pke = "SM2PKE",
    }
}

aws_enum! {
    /// Signing algorithms (`SigningAlgorithmSpec`).
    SigningAlgorithm {
        RsassaPssSha256 = "RSASSA_PSS_SHA_256",
        RsassaPssSha384 = "RSASSA_PSS_SHA_384",
        RsassaPssSha512 = "RSASSA_PSS_SHA_512",
        RsassaPkcs1V15Sha256 = "RSASSA_PKCS1_V1_5_SHA_256",
        RsassaPkcs1V15Sha384 = "RSASSA_PKCS1_V1_5_SHA_384",
        RsassaPkcs1V15Sha512 = "RSASSA_PKCS1_V1_5_SHA_512",
        EcdsaSha256 = "ECDSA_SHA_256",
        EcdsaSha384 = "ECDSA_SHA_384",
        EcdsaSha512 = "ECDSA_SHA_512",
        Sm2Dsa = "SM2DSA",
        MlDsaShake256 = "ML_DSA_SHAKE_256",
        Ed25519Sha512 = "ED25519_SHA_512",
        Ed25519PhSha512 = "ED25519_PH_SHA_512",
    }
}

aws_enum! {
    /// What `Message` holds in Sign and Verify (`MessageType`).
    MessageType {
        Raw = "RAW",
        Digest = "DIGEST",
        ExternalMu = "EXTERNAL_MU",
    }
}

aws_enum! {
    /// MAC algorithms (`MacAlgorithmSpec`).
    MacAlgorithm {
        HmacSha224 = "HMAC_SHA_224",
        HmacSha256 = "HMAC_SHA_256",
        HmacSha384 = "HMAC_SHA_384",
        HmacSha512 = "HMAC_SHA_512",
    }
}

aws_enum! {
    /// Key agreement algorithms (`KeyAgreementAlgorithmSpec`).
    KeyAgreementAlgorithm {
        Ecdh = "ECDH",
    }
}

aws_enum! {
    /// Key encapsulation algorithms (`EncapsulationAlgorithmSpec`).
    EncapsulationAlgorithm {
        MlKem = "ML_KEM",
    }
}

aws_enum! {
    /// How imported key material is wrapped (`AlgorithmSpec`).
    WrappingAlgorithm {
        RsaesPkcs1V15 = "RSAES_PKCS1_V1_5",
        RsaesOaepSha1 = "RSAES_OAEP_SHA_1",
        RsaesOaepSha256 = "RSAES_OAEP_SHA_256",
        RsaAesKeyWrapSha1 = "RSA_AES_KEY_WRAP_SHA_1",
        RsaAesKeyWrapSha256 = "RSA_AES_KEY_WRAP_SHA_256",
        Sm2Pke = "SM2PKE",
    }
}

aws_enum! {
    /// The wrapping key's type (`WrappingKeySpec`).
    WrappingKeySpec {
        Rsa2048 = "RSA_2048",
        Rsa3072 = "RSA_3072",
        Rsa4096 = "RSA_4096",
        Sm2 = "SM2",
    }
}

aws_enum! {
    /// Whether imported material expires (`ExpirationModelType`).
    ExpirationModel {
        Expires = "KEY_MATERIAL_EXPIRES",
        DoesNotExpire = "KEY_MATERIAL_DOES_NOT_EXPIRE",
    }
}

/// A wrapping key handed out by GetParametersForImport, named by its import token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportToken {
    pub token: String,
    pub scope: Scope,
    pub key: KeyId,
    /// The wrapping private key (PKCS#8), sealed under the root key.
    pub sealed_private: Vec<u8>,
    pub algorithm: WrappingAlgorithm,
    pub spec: WrappingKeySpec,
    pub expires: UnixMillis,
}

aws_enum! {
    /// How a key material version came to be (`RotationType`).
    RotationType {
        Automatic = "AUTOMATIC",
        OnDemand = "ON_DEMAND",
    }
}

/// A key's rotation state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rotation {
    /// `Some` when automatic rotation is enabled: the period, 90 to 2560 days.
    pub period_days: Option<u32>,
    /// When the scheduler rotates the key next (automatic rotation only).
    pub next: Option<UnixMillis>,
    /// On-demand rotations so far (AWS allows 25 per key).
    pub on_demand_count: u32,
    /// When the last on-demand rotation started.
    pub on_demand_started: Option<UnixMillis>,
}

/// An account and region: the space in which key ids and alias names are unique, as at AWS.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope {
    pub account: AccountId,
    pub region: Region,
}

/// A user tag on a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// Everything the store keeps about a key, except its material and tags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRecord {
    pub scope: Scope,
    pub id: KeyId,
    pub created: UnixMillis,
    pub description: String,
    pub spec: KeySpec,
    pub usage: KeyUsage,
    pub origin: Origin,
    pub manager: KeyManager,
    pub state: KeyState,
    /// When a key in `PendingDeletion` is deleted for good.
    pub deletion_date: Option<UnixMillis>,
    pub pending_window_days: Option<u32>,
    /// The material new ciphertexts are made with.
    pub current_material: MaterialId,
    pub multi_region: bool,
    /// The key policy document, kept verbatim.
    pub policy: String,
    /// The public key (DER SubjectPublicKeyInfo) of an asymmetric key; `None` for symmetric
    /// and HMAC keys. Public, so stored in the clear.
    pub public_key: Option<Vec<u8>>,
    /// Bumped by every change the store applies; lets caches (and, later, other nodes) tell a
    /// fresh record from a stale one.
    pub version: i64,
    pub rotation: Rotation,
    /// Imported material: when it expires (with `KEY_MATERIAL_EXPIRES`).
    pub valid_to: Option<UnixMillis>,
    /// Imported material: whether it expires; `None` before the first import and for keys
    /// whose material Trent generated.
    pub expiration_model: Option<ExpirationModel>,
    /// Multi-Region keys: the Region of the set's primary key.
    pub primary_region: Option<Region>,
    /// The IAM users and roles the key policy names, by ARN, bound to the unique id
    /// (`AIDA...`, `AROA...`) each had when the policy was set: a user or role deleted and
    /// re-created under the same name is another principal, which the policy does not name.
    pub policy_principals: BTreeMap<String, String>,
    /// A key of a custom key store (`Origin` `AWS_CLOUDHSM`): the store. Its material is an
    /// object in the store's HSM, labelled with the key id, never in Trent's store.
    pub custom_key_store: Option<super::CustomKeyStoreId>,
    /// A key of an external key store (`Origin` `EXTERNAL_KEY_STORE`): the id of its external
    /// key behind the store's proxy (`XksKeyConfiguration.Id`).
    pub xks_key_id: Option<String>,
}

impl KeyRecord {
    pub fn arn(&self) -> String {
        self.id.arn(&self.scope)
    }

    /// A multi-Region key that is its set's primary.
    pub fn is_primary(&self) -> bool {
        self.primary_region.as_ref() == Some(&self.scope.region)
    }

    /// A multi-Region key that is a replica.
    pub fn is_replica(&self) -> bool {
        self.primary_region
            .as_ref()
            .is_some_and(|r| r != &self.scope.region)
    }

    /// The encryption algorithms DescribeKey lists for this key.
    pub fn encryption_algorithms(&self) -> Vec<EncryptionAlgorithm> {
        self.spec.encryption_algorithms(self.usage)
    }
}

/// The last successful cryptographic operation with a key (GetKeyLastUsage).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastUsage {
    /// The operation's name (`Encrypt`, `GenerateDataKeyWithoutPlaintext`).
    pub operation: String,
    pub at: UnixMillis,
    pub request_id: String,
}

/// One version of a key's material, sealed under the root key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedMaterial {
    pub id: MaterialId,
    /// The root-key provider's output; opaque here.
    pub sealed: Vec<u8>,
    pub created: UnixMillis,
    /// `None` for a key's first material; how later ones were made.
    pub rotation: Option<RotationType>,
    /// Imported material: the importer's description (`KeyMaterialDescription`).
    pub description: Option<String>,
    /// Imported as NEW_KEY_MATERIAL into a key that has material: waits for RotateKeyOnDemand
    /// to become current (`PENDING_ROTATION`).
    pub pending: bool,
    /// Imported material: its own expiry, which the key takes when the version is current.
    pub valid_to: Option<UnixMillis>,
    pub expiration_model: Option<ExpirationModel>,
}

/// An alias and the key it points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AliasRecord {
    pub scope: Scope,
    pub name: AliasName,
    pub target: KeyId,
    pub created: UnixMillis,
    pub updated: UnixMillis,
}
