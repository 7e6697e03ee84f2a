//! Trent as an external key store proxy: the keys an operator exposes to AWS KMS (or any XKS
//! client) under external key ids, and AES-GCM under them with the spec's AAD and metadata.
//!
//! An exposed key is a Trent symmetric key. Its material never leaves Trent: each encryption
//! derives a one-time key from the current material and a random 16-byte nonce, as Trent's own
//! envelope does, and the `ciphertextMetadata` names the material and carries the nonce, so a
//! rotated key still decrypts what it encrypted before. The AAD the cipher sees is a fixed
//! label followed by the spec's encoding of the caller's AAD and the metadata (built by the
//! server, which knows the wire).

use crate::backend::SymmetricNonces;
use crate::error::Error;
use crate::kms::Kms;
use crate::model::{KeyRef, KeySpec, KeyState, KeyUsage, MaterialId, Scope};
use crate::policy::{AuthorizedKey, ProxyRule};
use crate::secret::Plaintext;

/// The first byte of the metadata: the format of what follows.
const METADATA_VERSION: u8 = 1;
/// The metadata of a key in a CloudHSM key store (a PKCS#11 token): this byte alone; the
/// token computes AES-GCM under the key's object, which never rotates.
const METADATA_HSM: u8 = 2;
/// How many bytes of the material id the metadata keeps (the rest is the nonce).
const MATERIAL_PREFIX: usize = 3;
/// The whole metadata: version, material prefix, nonce (the spec's maximum, 20 bytes).
pub const METADATA_LEN: usize = 1 + MATERIAL_PREFIX + 16;

/// The label in front of every AAD, so that nothing Trent encrypts for a proxy caller can be
/// taken for one of its own envelopes.
const AAD_LABEL: &[u8] = b"trent xks proxy v1\0";

/// One key exposed through the proxy.
#[derive(Clone, Debug)]
pub struct ExposedKey {
    pub external_key_id: String,
    /// The Trent key (id, ARN or alias) in the key store's account and Region.
    pub key: KeyRef,
    pub encrypt: bool,
    pub decrypt: bool,
    /// The secondary authorization on `requestMetadata`.
    pub rule: ProxyRule,
}

/// Who a proxy request says it is for (from its `requestMetadata`).
#[derive(Clone, Copy, Debug, Default)]
pub struct ProxyCaller<'a> {
    pub aws_principal_arn: Option<&'a str>,
    pub kms_key_arn: Option<&'a str>,
    /// Recorded as the key's last use.
    pub kms_request_id: &'a str,
    /// The KMS operation the call serves (only CreateKey's metadata call may omit the KMS key).
    pub kms_operation: &'a str,
}

/// The proxy operation a request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyOperation {
    Metadata,
    Encrypt,
    Decrypt,
}

/// Why the proxy refuses a request (each one of the spec's `errorName`s, chosen by the server).
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("{0}")]
    KeyNotFound(String),
    #[error("{0}")]
    InvalidState(String),
    #[error("{0}")]
    InvalidKeyUsage(String),
    #[error("{0}")]
    AccessDenied(String),
    #[error("the ciphertext, its metadata, IV, tag or AAD is invalid")]
    InvalidCiphertext,
    /// The store or the root key failed (logged; the caller sees the spec's generic error).
    #[error("internal: {0}")]
    Internal(String),
}

impl From<Error> for ProxyError {
    fn from(e: Error) -> ProxyError {
        ProxyError::Internal(e.to_string())
    }
}

/// A refusal, with the ARN of the Trent key when it was found (the audit event's resource).
#[derive(Debug)]
pub struct ProxyFailure {
    pub error: ProxyError,
    pub key_arn: Option<String>,
}

impl From<ProxyError> for ProxyFailure {
    fn from(error: ProxyError) -> ProxyFailure {
        ProxyFailure {
            error,
            key_arn: None,
        }
    }
}

impl From<Error> for ProxyFailure {
    fn from(e: Error) -> ProxyFailure {
        ProxyError::from(e).into()
    }
}

/// A refusal about a key that was found.
fn about(arn: &str, error: ProxyError) -> ProxyFailure {
    ProxyFailure {
        error,
        key_arn: Some(arn.to_owned()),
    }
}

/// An exposed key's metadata, as GetKeyMetadata answers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyKeyMetadata {
    pub arn: String,
    pub enabled: bool,
    pub encrypt: bool,
    pub decrypt: bool,
}

/// What the proxy's Encrypt returns.
#[derive(Debug)]
pub struct ProxyCiphertext {
    pub arn: String,
    pub ciphertext: Vec<u8>,
    pub initialization_vector: Vec<u8>,
    pub authentication_tag: Vec<u8>,
    pub ciphertext_metadata: Vec<u8>,
}

/// What a key store's token refused, as the proxy answers it: a tag that does not check is
/// the caller's ciphertext; a store that is not connected, or a token that cannot be reached or
/// lost the key's object, makes the key unusable now.
fn hsm_failure(arn: &str, e: Error) -> ProxyFailure {
    let error = match e {
        Error::InvalidCiphertext => ProxyError::InvalidCiphertext,
        Error::KeyStore { message, .. } | Error::KeyStateConflict { message } => {
            ProxyError::InvalidState(message)
        }
        other => ProxyError::Internal(other.to_string()),
    };
    about(arn, error)
}

/// The full AAD the cipher sees: the label, then the spec's encoding of the caller's AAD and
/// the metadata (`encoded`).
fn cipher_aad(encoded: &[u8]) -> Vec<u8> {
    [AAD_LABEL, encoded].concat()
}

impl Kms {
    /// Resolves an exposed key in `scope`, checks that it fits the proxy (a symmetric
    /// encryption key of Trent's own, not in a custom key store) and authorizes the request by
    /// the exposure's rule. The key's state is the caller's to check.
    async fn exposed(
        &self,
        scope: &Scope,
        exposed: &ExposedKey,
        operation: ProxyOperation,
        caller: ProxyCaller<'_>,
    ) -> std::result::Result<AuthorizedKey, ProxyFailure> {
        let ctx = crate::model::RequestContext::new(
            crate::model::Principal::root(scope.account.clone()),
            scope.region.clone(),
            "",
        );
        let not_found = || {
            ProxyError::KeyNotFound(format!(
                "External key {} is not found.",
                exposed.external_key_id
            ))
        };
        let key = match self
            .find(&ctx, &exposed.key, crate::ops::pipeline::Aliases::Allowed)
            .await
        {
            Ok(key) => key,
            Err(Error::KeyNotFound { .. } | Error::AliasNotFound { .. }) => {
                return Err(not_found().into());
            }
            Err(e) => return Err(e.into()),
        };
        let record = &key.record;
        let arn = record.arn();
        // A key of Trent's own, or of a CloudHSM key store (its token computes); not a key of
        // an external key store, which is another proxy's.
        if record.spec != KeySpec::SymmetricDefault
            || record.usage != KeyUsage::EncryptDecrypt
            || record.xks_key_id.is_some()
        {
            return Err(about(
                &arn,
                ProxyError::InvalidKeyUsage(format!(
                    "External key {} is not a symmetric encryption key of Trent's own or of a CloudHSM key store.",
                    exposed.external_key_id
                )),
            ));
        }
        let allowed = match operation {
            ProxyOperation::Metadata => true,
            ProxyOperation::Encrypt => exposed.encrypt,
            ProxyOperation::Decrypt => exposed.decrypt,
        };
        if !allowed {
            return Err(about(
                &arn,
                ProxyError::InvalidKeyUsage(format!(
                    "External key {} does not allow {operation:?}.",
                    exposed.external_key_id
                )),
            ));
        }
        let action = match operation {
            ProxyOperation::Metadata => "xks:GetKeyMetadata",
            ProxyOperation::Encrypt => "xks:Encrypt",
            ProxyOperation::Decrypt => "xks:Decrypt",
        };
        crate::policy::authorize_proxy(
            &exposed.rule,
            action,
            caller.aws_principal_arn,
            caller.kms_key_arn,
            caller.kms_operation,
            key,
        )
        .map_err(|why| {
            about(
                &arn,
                ProxyError::AccessDenied(format!(
                    "Access to external key {} is denied: {why}.",
                    exposed.external_key_id
                )),
            )
        })
    }

    /// GetKeyMetadata of an exposed key.
    pub async fn proxy_key_metadata(
        &self,
        scope: &Scope,
        exposed: &ExposedKey,
        caller: ProxyCaller<'_>,
    ) -> std::result::Result<ProxyKeyMetadata, ProxyFailure> {
        let key = self
            .exposed(scope, exposed, ProxyOperation::Metadata, caller)
            .await?;
        let record = &key.key().record;
        Ok(ProxyKeyMetadata {
            arn: record.arn(),
            enabled: record.state == KeyState::Enabled,
            encrypt: exposed.encrypt,
            decrypt: exposed.decrypt,
        })
    }

    /// The key of an encrypt or decrypt: authorized, and enabled.
    async fn usable(
        &self,
        scope: &Scope,
        exposed: &ExposedKey,
        operation: ProxyOperation,
        caller: ProxyCaller<'_>,
    ) -> std::result::Result<AuthorizedKey, ProxyFailure> {
        let key = self.exposed(scope, exposed, operation, caller).await?;
        // A key of a key store that is not connected is Unavailable.
        let state = self.key_state(&key.key().record).await?;
        if state != KeyState::Enabled {
            return Err(about(
                &key.key().record.arn(),
                ProxyError::InvalidState(format!(
                    "External key {} is not enabled: its key is {state}.",
                    exposed.external_key_id
                )),
            ));
        }
        Ok(key)
    }

    /// Encrypt: AES-GCM under a one-time key derived from the key's current material.
    /// `encode_aad` is the spec's encoding of the caller's AAD with the metadata given.
    pub async fn proxy_encrypt(
        &self,
        scope: &Scope,
        exposed: &ExposedKey,
        caller: ProxyCaller<'_>,
        plaintext: &[u8],
        encode_aad: impl Fn(&[u8]) -> Option<Vec<u8>>,
    ) -> std::result::Result<ProxyCiphertext, ProxyFailure> {
        let key = self
            .usable(scope, exposed, ProxyOperation::Encrypt, caller)
            .await?;
        let record = &key.key().record;
        let material_id = record.current_material;
        let nonces = self.backend.nonces().map_err(Error::from)?;
        if let Some(store) = &record.custom_key_store {
            let metadata = vec![METADATA_HSM];
            let aad = cipher_aad(&encode_aad(&metadata).ok_or_else(|| {
                ProxyFailure::from(ProxyError::Internal(
                    "the AAD does not fit the spec's encoding".to_owned(),
                ))
            })?);
            let sealed = self
                .hsm_encrypt(store, record, &nonces.iv, &aad, plaintext)
                .await
                .map_err(|e| hsm_failure(&record.arn(), e))?;
            return self.answer_sealed(scope, record, caller, &sealed, nonces.iv, metadata);
        }
        let material = self.material(&key, &material_id).await?;
        let mut metadata = Vec::with_capacity(METADATA_LEN);
        metadata.push(METADATA_VERSION);
        metadata.extend_from_slice(material_id.0.get(..MATERIAL_PREFIX).unwrap_or_default());
        metadata.extend_from_slice(&nonces.nonce);
        let aad = encode_aad(&metadata).ok_or_else(|| {
            ProxyFailure::from(ProxyError::Internal(
                "the AAD does not fit the spec's encoding".to_owned(),
            ))
        })?;
        let sealed = self
            .backend
            .encrypt_symmetric(&material, &nonces, &cipher_aad(&aad), plaintext)
            .map_err(Error::from)?;
        self.answer_sealed(scope, record, caller, &sealed, nonces.iv, metadata)
    }

    /// Encrypt's answer from a ciphertext followed by its tag.
    fn answer_sealed(
        &self,
        scope: &Scope,
        record: &crate::model::KeyRecord,
        caller: ProxyCaller<'_>,
        sealed: &[u8],
        iv: [u8; 12],
        metadata: Vec<u8>,
    ) -> std::result::Result<ProxyCiphertext, ProxyFailure> {
        let split = sealed
            .len()
            .checked_sub(crate::envelope::TAG_LEN)
            .ok_or_else(|| {
                ProxyFailure::from(ProxyError::Internal(
                    "a ciphertext without its tag".to_owned(),
                ))
            })?;
        let (ciphertext, tag) = sealed.split_at(split);
        self.note_proxy_use(scope, record, caller, "Encrypt");
        Ok(ProxyCiphertext {
            arn: record.arn(),
            ciphertext: ciphertext.to_vec(),
            initialization_vector: iv.to_vec(),
            authentication_tag: tag.to_vec(),
            ciphertext_metadata: metadata,
        })
    }

    /// Decrypt: the metadata names the material (by its prefix) and carries the nonce.
    #[allow(clippy::too_many_arguments)]
    pub async fn proxy_decrypt(
        &self,
        scope: &Scope,
        exposed: &ExposedKey,
        caller: ProxyCaller<'_>,
        ciphertext: &[u8],
        initialization_vector: &[u8],
        authentication_tag: &[u8],
        ciphertext_metadata: &[u8],
        encode_aad: impl Fn(&[u8]) -> Option<Vec<u8>>,
    ) -> std::result::Result<(String, Plaintext), ProxyFailure> {
        let key = self
            .usable(scope, exposed, ProxyOperation::Decrypt, caller)
            .await?;
        let record = &key.key().record;
        let invalid = || about(&record.arn(), ProxyError::InvalidCiphertext);
        if let Some(store) = &record.custom_key_store {
            if ciphertext_metadata != [METADATA_HSM] {
                return Err(invalid());
            }
            let iv: [u8; 12] = initialization_vector.try_into().map_err(|_| invalid())?;
            let aad = cipher_aad(&encode_aad(ciphertext_metadata).ok_or_else(invalid)?);
            let sealed = [ciphertext, authentication_tag].concat();
            let plaintext = self
                .hsm_decrypt(store, record, &iv, &aad, &sealed)
                .await
                .map_err(|e| hsm_failure(&record.arn(), e))?;
            self.note_proxy_use(scope, record, caller, "Decrypt");
            return Ok((record.arn(), plaintext));
        }
        let (Some(&METADATA_VERSION), Some(prefix), Some(nonce)) = (
            ciphertext_metadata.first(),
            ciphertext_metadata.get(1..1 + MATERIAL_PREFIX),
            ciphertext_metadata.get(1 + MATERIAL_PREFIX..),
        ) else {
            return Err(invalid());
        };
        let nonces = SymmetricNonces {
            nonce: nonce.try_into().map_err(|_| invalid())?,
            iv: initialization_vector.try_into().map_err(|_| invalid())?,
        };
        let aad = cipher_aad(&encode_aad(ciphertext_metadata).ok_or_else(invalid)?);
        let sealed = [ciphertext, authentication_tag].concat();
        for material_id in self.materials_by_prefix(&key, prefix).await? {
            let material = self.material(&key, &material_id).await?;
            if let Ok(plaintext) = self
                .backend
                .decrypt_symmetric(&material, &nonces, &aad, &sealed)
            {
                self.note_proxy_use(scope, record, caller, "Decrypt");
                return Ok((record.arn(), plaintext));
            }
        }
        Err(invalid())
    }

    /// The key's material versions whose id starts with `prefix`, the current one first; the
    /// ids are read from the store once per loaded key, so a warm key reads nothing.
    async fn materials_by_prefix(
        &self,
        key: &AuthorizedKey,
        prefix: &[u8],
    ) -> std::result::Result<Vec<MaterialId>, ProxyFailure> {
        let cached = key.key();
        let record = &cached.record;
        let ids = match cached.material_ids() {
            Some(ids) => ids,
            None => {
                let stored: Vec<MaterialId> = self
                    .store
                    .materials(&record.scope, &record.id)
                    .await
                    .map_err(Error::from)?
                    .into_iter()
                    .map(|m| m.id)
                    .collect();
                cached.set_material_ids(stored)
            }
        };
        let mut found: Vec<MaterialId> = Vec::new();
        if record.current_material.0.starts_with(prefix) {
            found.push(record.current_material);
        }
        found.extend(
            ids.iter()
                .filter(|id| **id != record.current_material && id.0.starts_with(prefix)),
        );
        Ok(found)
    }

    /// Whether the proxy can serve: the store and the root key answer (GetHealthStatus).
    pub async fn proxy_healthy(&self) -> bool {
        self.store_answers().await && self.root_key_answers()
    }

    /// A use through the proxy counts as the key's last use, as any cryptographic operation.
    fn note_proxy_use(
        &self,
        scope: &Scope,
        record: &crate::model::KeyRecord,
        caller: ProxyCaller<'_>,
        operation: &str,
    ) {
        let ctx = crate::model::RequestContext::new(
            crate::model::Principal::root(scope.account.clone()),
            scope.region.clone(),
            caller.kms_request_id,
        );
        self.note_use(&ctx, record, operation);
    }
}
