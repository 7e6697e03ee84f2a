//! The cryptography seams: [`KeyBackend`] works with key material, [`RootKeyProvider`] seals it
//! at rest, [`HsmClusters`] reaches the HSMs of custom key stores and [`XksProxies`] the proxies
//! of external key stores. Implementations live in
//! `trent-crypto` (software, and PKCS#11 for root keys and key stores).

use crate::model::{EncryptionAlgorithm, KeySpec, MacAlgorithm, MessageType, SigningAlgorithm};
use crate::secret::{KeyMaterial, Plaintext, Secret};

/// Failures of a backend, by kind; never shown to clients as they are.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// Authentication failed or the input is malformed.
    #[error("invalid ciphertext")]
    InvalidCiphertext,
    /// The material or the request does not fit the algorithm.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The key object is not in the HSM (destroyed outside Trent).
    #[error("key object missing from the HSM")]
    KeyMissing,
    /// The device (HSM) cannot be reached.
    #[error("device unavailable: {0}")]
    Unavailable(String),
    #[error("backend failure: {0}")]
    Fatal(String),
}

/// The parts of a symmetric ciphertext the backend produces and consumes.
///
/// `nonce` salts the per-message key derivation; `iv` is the AES-GCM nonce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SymmetricNonces {
    pub nonce: [u8; 16],
    pub iv: [u8; 12],
}

/// A new asymmetric key: the private key (PKCS#8 DER; sealed at rest like any material) and
/// the public key (DER SubjectPublicKeyInfo).
#[derive(Debug)]
pub struct KeyPair {
    pub private: KeyMaterial,
    pub public: Vec<u8>,
}

/// Cryptographic operations on KMS key material.
///
/// Symmetric encryption follows AWS's design: each message gets its own data-encryption key,
/// derived from the key material and a random nonce, then AES-256-GCM with the AAD given.
pub trait KeyBackend: Send + Sync + std::fmt::Debug {
    /// Fresh material for a `SYMMETRIC_DEFAULT` key (32 random bytes).
    fn generate_symmetric_material(&self) -> Result<KeyMaterial, BackendError>;

    /// The id of a material version: a digest of the material, so that the same material
    /// (seeded or re-imported) always has the same id, as AWS's `KeyMaterialId`.
    fn material_id(&self, material: &KeyMaterial) -> crate::model::MaterialId;

    /// SHA-256 of `data` (the AAD an external key store's proxy is given: a digest of the
    /// envelope's header and encryption context, which it need not see).
    fn sha256(&self, data: &[u8]) -> [u8; 32];

    /// Random bytes (GenerateRandom, data keys, nonces).
    fn random(&self, len: usize) -> Result<Secret, BackendError>;

    /// Fresh nonces for one symmetric message.
    fn nonces(&self) -> Result<SymmetricNonces, BackendError>;

    /// Encrypts `plaintext` under `material`: returns ciphertext followed by the 16-byte tag.
    fn encrypt_symmetric(
        &self,
        material: &KeyMaterial,
        nonces: &SymmetricNonces,
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, BackendError>;

    /// Decrypts and authenticates ciphertext-and-tag.
    fn decrypt_symmetric(
        &self,
        material: &KeyMaterial,
        nonces: &SymmetricNonces,
        aad: &[u8],
        ciphertext_and_tag: &[u8],
    ) -> Result<Plaintext, BackendError>;

    /// A new key pair of an asymmetric spec, for a KMS key.
    fn generate_key_pair(&self, spec: KeySpec) -> Result<KeyPair, BackendError>;

    /// A new data key pair (GenerateDataKeyPair): the private key always as PKCS#8, the form
    /// that leaves Trent.
    fn generate_data_key_pair(&self, spec: KeySpec) -> Result<KeyPair, BackendError>;

    /// Loads a private key given as DER (PKCS#8, or PKCS#1 for RSA) for `spec`, checking that it
    /// is a key of that spec; returns it re-encoded as PKCS#8 with its public key.
    fn key_pair_from_der(&self, spec: KeySpec, der: &[u8]) -> Result<KeyPair, BackendError>;

    /// Signs `message` (raw, or a digest signed as given) with a private key.
    fn sign(
        &self,
        spec: KeySpec,
        private: &KeyMaterial,
        algorithm: SigningAlgorithm,
        message_type: MessageType,
        message: &[u8],
    ) -> Result<Vec<u8>, BackendError>;

    /// Verifies a signature with a public key (DER SPKI); `Ok(false)` when it does not verify.
    fn verify(
        &self,
        spec: KeySpec,
        public: &[u8],
        algorithm: SigningAlgorithm,
        message_type: MessageType,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, BackendError>;

    /// HMAC of `message` under `key`.
    fn mac(
        &self,
        key: &KeyMaterial,
        algorithm: MacAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, BackendError>;

    /// Checks an HMAC in constant time.
    fn verify_mac(
        &self,
        key: &KeyMaterial,
        algorithm: MacAlgorithm,
        message: &[u8],
        mac: &[u8],
    ) -> Result<bool, BackendError>;

    /// ML-KEM encapsulation to a public key (DER SPKI): the shared secret and its ciphertext.
    fn encapsulate(&self, spec: KeySpec, public: &[u8]) -> Result<(Secret, Vec<u8>), BackendError>;

    /// ML-KEM decapsulation with a private key.
    fn decapsulate(
        &self,
        spec: KeySpec,
        private: &KeyMaterial,
        ciphertext: &[u8],
    ) -> Result<Secret, BackendError>;

    /// ECDH: the raw shared secret of a private key and a peer's public key (DER SPKI).
    fn derive_shared_secret(
        &self,
        spec: KeySpec,
        private: &KeyMaterial,
        peer_public: &[u8],
    ) -> Result<Secret, BackendError>;

    /// RSAES-OAEP encryption with a public key (DER SPKI): the raw ciphertext, as AWS returns.
    fn rsa_encrypt(
        &self,
        public: &[u8],
        algorithm: EncryptionAlgorithm,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, BackendError>;

    /// RSAES-OAEP decryption; `InvalidCiphertext` when the padding does not check.
    /// Unwraps imported key material with a wrapping private key (PKCS#8 RSA): RSAES-OAEP
    /// directly, or RSA-OAEP of an ephemeral AES-256 key followed by AES key wrap with padding
    /// (RFC 5649) of the material. `InvalidCiphertext` when it does not unwrap.
    fn unwrap_key_material(
        &self,
        wrapping_private: &KeyMaterial,
        algorithm: crate::model::WrappingAlgorithm,
        wrapped: &[u8],
    ) -> Result<Secret, BackendError>;

    fn rsa_decrypt(
        &self,
        private: &KeyMaterial,
        algorithm: EncryptionAlgorithm,
        ciphertext: &[u8],
    ) -> Result<Plaintext, BackendError>;
}

/// Seals secrets at rest under the root key: key material and access-key secrets.
///
/// `aad` binds a sealed value to what it belongs to (a key ARN and material id), so a sealed
/// blob moved to another row does not open.
pub trait RootKeyProvider: Send + Sync + std::fmt::Debug {
    fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, BackendError>;
    fn unseal(&self, sealed: &[u8], aad: &[u8]) -> Result<Secret, BackendError>;
    /// A short description for logs ("file /path/root.key").
    fn describe(&self) -> String;

    /// Whether `sealed` was sealed under the key that seals now.
    fn sealed_under_current(&self, sealed: &[u8]) -> bool;

    /// Whether the key can seal now (a token that went away cannot); `/ready` asks.
    fn answers(&self) -> bool {
        true
    }

    /// How many root keys the provider holds: 1, or more while a rotation is unfinished.
    fn key_count(&self) -> usize {
        1
    }

    /// Root-key rotation, first step: a new key seals from now on, and the earlier ones still
    /// unseal. The new key is durable before this returns; its id is returned.
    fn begin_rotation(&self) -> Result<String, BackendError> {
        Err(BackendError::InvalidInput(
            "this root-key provider cannot rotate its key".to_owned(),
        ))
    }

    /// Takes back the key `begin_rotation` added, when nothing was sealed under it (a re-seal
    /// that failed and rolled back), durably.
    fn abandon_rotation(&self) -> Result<(), BackendError> {
        Ok(())
    }

    /// Root-key rotation, last step, once everything is re-sealed: forgets every key but the
    /// current one, durably. Returns how many were forgotten.
    fn retire_previous(&self) -> Result<usize, BackendError> {
        Ok(0)
    }
}

/// A CloudHSM-style cluster as the operator declared it: a PKCS#11 token under a cluster id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterInfo {
    pub id: String,
    /// The trust anchor certificate (PEM) a key store must be created with.
    pub trust_anchor: String,
    /// Clusters of one lineage share their keys (at AWS, a cluster made from another's
    /// backup): a key store may move between them. A cluster's own id when not declared.
    pub lineage: String,
}

/// The clusters key stores may use, and the way into them. Calls block (they reach the HSM).
pub trait HsmClusters: Send + Sync + std::fmt::Debug {
    /// The declared cluster with this id.
    fn cluster(&self, id: &str) -> Option<ClusterInfo>;

    /// Whether the cluster's token is there now (`CloudHsmClusterNotActiveException` if not).
    fn active(&self, id: &str) -> bool;

    /// Logs in to the cluster as the key store's user, with its password (the token user's
    /// PIN); AWS's connection error code when it cannot.
    fn connect(
        &self,
        id: &str,
        password: &Secret,
    ) -> Result<std::sync::Arc<dyn HsmSession>, crate::model::ConnectionErrorCode>;
}

/// A logged-in session with a cluster: the key store's keys are objects in it, named by the
/// KMS key id (`CKA_LABEL`) and the material id (`CKA_ID`), never extractable.
pub trait HsmSession: Send + Sync + std::fmt::Debug {
    /// A new AES-256 key object, sensitive and never extractable.
    fn generate_key(&self, label: &str, id: &[u8]) -> Result<(), BackendError>;

    /// AES-GCM inside the HSM, with the caller's IV: ciphertext followed by the 16-byte tag.
    /// `BackendError::KeyMissing` when the object is not in the HSM.
    fn encrypt(
        &self,
        label: &str,
        id: &[u8],
        iv: &[u8; 12],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, BackendError>;

    /// Opens ciphertext-and-tag inside the HSM; `InvalidCiphertext` when the tag does not check.
    fn decrypt(
        &self,
        label: &str,
        id: &[u8],
        iv: &[u8; 12],
        aad: &[u8],
        ciphertext_and_tag: &[u8],
    ) -> Result<Plaintext, BackendError>;

    /// Destroys the key object; `false` when there was none.
    fn destroy_key(&self, label: &str, id: &[u8]) -> Result<bool, BackendError>;

    /// Random bytes from the HSM.
    fn random(&self, len: usize) -> Result<Secret, BackendError>;
}

/// No clusters: what a Trent without `[[cloudhsm_cluster]]` in its config has.
#[derive(Debug, Default)]
pub struct NoClusters;

impl HsmClusters for NoClusters {
    fn cluster(&self, _id: &str) -> Option<ClusterInfo> {
        None
    }

    fn active(&self, _id: &str) -> bool {
        false
    }

    fn connect(
        &self,
        _id: &str,
        _password: &Secret,
    ) -> Result<std::sync::Arc<dyn HsmSession>, crate::model::ConnectionErrorCode> {
        Err(crate::model::ConnectionErrorCode::ClusterNotFound)
    }
}

/// An external key store's proxy as the KMS calls it: where, and with which credential.
#[derive(Debug)]
pub struct XksTarget<'a> {
    /// `https://` and the host.
    pub uri_endpoint: &'a str,
    /// `[/prefix]/kms/xks/v1`.
    pub uri_path: &'a str,
    pub access_key_id: &'a str,
    pub secret: &'a Secret,
    /// The Region the KMS signs for.
    pub region: &'a str,
}

/// The `requestMetadata` of a call: who asked the KMS for what.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct XksRequestMetadata {
    pub aws_principal_arn: Option<String>,
    pub kms_key_arn: Option<String>,
    pub kms_operation: String,
    pub kms_request_id: String,
}

/// An external key's AES-GCM output, as the proxy returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XksCiphertext {
    pub ciphertext: Vec<u8>,
    pub initialization_vector: Vec<u8>,
    pub authentication_tag: Vec<u8>,
    pub ciphertext_metadata: Vec<u8>,
}

/// One call to a proxy.
#[derive(Debug)]
pub enum XksCall<'a> {
    Health,
    Metadata {
        external_key_id: &'a str,
    },
    /// AES-GCM under the external key, with `aad`; the proxy is asked for the ciphertext data
    /// integrity value, which the client checks.
    Encrypt {
        external_key_id: &'a str,
        plaintext: &'a [u8],
        aad: &'a [u8],
    },
    Decrypt {
        external_key_id: &'a str,
        ciphertext: &'a XksCiphertext,
        aad: &'a [u8],
    },
}

/// A proxy's answer, checked against the spec.
#[derive(Debug)]
pub enum XksAnswer {
    /// GetHealthStatus: the health of each external key manager (`ACTIVE`, `DEGRADED`,
    /// `UNAVAILABLE`).
    Health {
        managers: Vec<String>,
    },
    Metadata {
        key_spec: String,
        key_usage: Vec<String>,
        key_status: String,
    },
    Encrypted(XksCiphertext),
    Decrypted(Plaintext),
}

/// An error a proxy answered with (the spec's `errorName`s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XksRefusal {
    Validation,
    InvalidState,
    InvalidCiphertext,
    InvalidKeyUsage,
    AuthenticationFailed,
    AccessDenied,
    KeyNotFound,
    InvalidUriPath,
    Throttling,
    UnsupportedOperation,
    DependencyTimeout,
    Internal,
}

/// Why a call to a proxy did not succeed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum XksFault {
    #[error("the proxy refused: {0:?}")]
    Refused(XksRefusal),
    /// No TCP connection (refused, unresolvable, unroutable).
    #[error("the proxy is not reachable: {0}")]
    NotReachable(String),
    /// The TLS handshake failed (certificate, host name, protocol).
    #[error("no TLS connection with the proxy: {0}")]
    Tls(String),
    /// No answer within the timeout (AWS's 250 ms by default).
    #[error("the proxy did not answer in time")]
    TimedOut,
    /// An answer that is not the spec's (status, JSON, sizes, integrity value).
    #[error("the proxy's answer is malformed: {0}")]
    InvalidResponse(String),
}

/// The way to external key store proxies (an HTTPS client in the server). Every call ends
/// within the client's timeout.
#[async_trait::async_trait]
pub trait XksProxies: Send + Sync + std::fmt::Debug {
    async fn call(
        &self,
        target: &XksTarget<'_>,
        metadata: &XksRequestMetadata,
        call: XksCall<'_>,
    ) -> Result<XksAnswer, XksFault>;
}

/// No way out: what a core built without a server has; every call is unreachable.
#[derive(Debug, Default)]
pub struct NoXksProxies;

#[async_trait::async_trait]
impl XksProxies for NoXksProxies {
    async fn call(
        &self,
        _target: &XksTarget<'_>,
        _metadata: &XksRequestMetadata,
        _call: XksCall<'_>,
    ) -> Result<XksAnswer, XksFault> {
        Err(XksFault::NotReachable(
            "this Trent has no client for external key store proxies".to_owned(),
        ))
    }
}
