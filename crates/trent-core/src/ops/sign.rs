//! Sign, Verify and GetPublicKey for asymmetric keys.

use crate::error::{Error, Result};
use crate::kms::Kms;
use crate::model::{KeyRecord, KeyRef, KeyUsage, MessageType, RequestContext, SigningAlgorithm};
use crate::ops::pipeline::{KeyUse, StateRule, require_algorithm};
use crate::policy::{AuthorizedKey, Facts};

/// The result of Sign.
#[derive(Debug)]
pub struct Signed {
    pub key: KeyRecord,
    pub signature: Vec<u8>,
}

/// What Sign and Verify share: the algorithm must be one the key's spec offers, and a digest
/// must have the algorithm's digest length.
fn check_request(
    record: &KeyRecord,
    algorithm: SigningAlgorithm,
    message_type: MessageType,
    message: &[u8],
) -> Result<()> {
    require_algorithm(
        record,
        algorithm,
        &record.spec.signing_algorithms(record.usage),
    )?;
    let wrong_type = |required: &str| {
        Err(Error::validation(format!(
            "{algorithm} signing algorithm requires MessageType {required}."
        )))
    };
    match (algorithm, message_type) {
        // AWS: ED25519_SHA_512 takes RAW only; ED25519_PH_SHA_512 takes DIGEST only (and still
        // applies its SHA-512 prehash to it).
        (SigningAlgorithm::Ed25519Sha512, MessageType::Raw) => Ok(()),
        (SigningAlgorithm::Ed25519Sha512, _) => wrong_type("RAW"),
        (SigningAlgorithm::Ed25519PhSha512, MessageType::Digest) if message.len() != 64 => {
            Err(Error::validation(format!(
                "Digest is invalid length for algorithm {algorithm}."
            )))
        }
        (SigningAlgorithm::Ed25519PhSha512, MessageType::Digest) => Ok(()),
        (SigningAlgorithm::Ed25519PhSha512, _) => wrong_type("DIGEST"),
        (SigningAlgorithm::MlDsaShake256, MessageType::ExternalMu) if message.len() != 64 => Err(
            Error::validation("External mu must be 64 bytes for MessageType EXTERNAL_MU."),
        ),
        (SigningAlgorithm::MlDsaShake256, MessageType::Raw | MessageType::ExternalMu) => Ok(()),
        (SigningAlgorithm::MlDsaShake256, MessageType::Digest) => wrong_type("RAW or EXTERNAL_MU"),
        (_, MessageType::ExternalMu) => Err(Error::validation(format!(
            "MessageType EXTERNAL_MU is only supported with ML_DSA_SHAKE_256, not {algorithm}."
        ))),
        (_, MessageType::Raw) => Ok(()),
        (_, MessageType::Digest) => match algorithm.digest_len() {
            Some(len) if len == message.len() => Ok(()),
            _ => Err(Error::validation(format!(
                "Digest is invalid length for algorithm {algorithm}."
            ))),
        },
    }
}

impl Kms {
    /// Authorizes a SIGN_VERIFY key for Sign or Verify and checks the request against it.
    #[allow(clippy::too_many_arguments)]
    async fn signing_key(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        action: &'static str,
        algorithm: SigningAlgorithm,
        message_type: MessageType,
        message: &[u8],
    ) -> Result<AuthorizedKey> {
        let key = self
            .key_for(
                ctx,
                KeyUse::new(key, action, StateRule::Enabled)
                    .usage(KeyUsage::SignVerify)
                    .facts(
                        Facts::new()
                            .with("kms:SigningAlgorithm", algorithm.as_str())
                            .with("kms:MessageType", message_type.as_str()),
                    ),
            )
            .await?;
        check_request(&key.key().record, algorithm, message_type, message)?;
        Ok(key)
    }

    pub async fn sign(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        algorithm: SigningAlgorithm,
        message_type: MessageType,
        message: &[u8],
        dry_run: bool,
    ) -> Result<Signed> {
        let key = self
            .signing_key(ctx, key, "kms:Sign", algorithm, message_type, message)
            .await?;
        self.perform(ctx, "Sign", dry_run, async {
            let record = &key.key().record;
            let private = self.material(&key, &record.current_material).await?;
            let signature =
                self.backend
                    .sign(record.spec, &private, algorithm, message_type, message)?;
            Ok(Signed {
                key: record.clone(),
                signature,
            })
        })
        .await
    }

    /// Verify: `Ok` only for a valid signature; an invalid one is `KMSInvalidSignatureException`.
    #[allow(clippy::too_many_arguments)]
    pub async fn verify(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        algorithm: SigningAlgorithm,
        message_type: MessageType,
        message: &[u8],
        signature: &[u8],
        dry_run: bool,
    ) -> Result<KeyRecord> {
        let key = self
            .signing_key(ctx, key, "kms:Verify", algorithm, message_type, message)
            .await?;
        self.perform(ctx, "Verify", dry_run, async {
            let record = &key.key().record;
            let public = record
                .public_key
                .as_deref()
                .ok_or_else(|| Error::internal(format!("{} has no public key", record.arn())))?;
            let valid = self.backend.verify(
                record.spec,
                public,
                algorithm,
                message_type,
                message,
                signature,
            )?;
            if valid {
                Ok(record.clone())
            } else {
                Err(Error::InvalidSignature)
            }
        })
        .await
    }

    /// GetPublicKey: the key's record, whose `public_key` is the DER SubjectPublicKeyInfo.
    pub async fn get_public_key(&self, ctx: &RequestContext, key: &KeyRef) -> Result<KeyRecord> {
        let key = self
            .key_for(
                ctx,
                KeyUse::new(key, "kms:GetPublicKey", StateRule::Enabled),
            )
            .await?;
        let record = &key.key().record;
        if record.public_key.is_none() || !record.spec.is_asymmetric() {
            return Err(Error::Unsupported {
                message: format!(
                    "{} key spec {} has no public key.",
                    record.arn(),
                    record.spec
                ),
            });
        }
        Ok(record.clone())
    }
}

impl crate::ops::pipeline::UsesKeys for Signed {
    fn keys_used(&self) -> Vec<&crate::model::KeyRecord> {
        vec![&self.key]
    }
}
