//! GenerateDataKey and GenerateDataKeyWithoutPlaintext: random data keys sealed like Encrypt.

use crate::error::{Constraint, Error, Result};
use crate::kms::Kms;
use crate::model::{EncryptionContext, KeyFamily, KeyRef, KeySpec, RequestContext};
use crate::ops::encrypt::Encrypted;
use crate::policy::Facts;
use crate::secret::Plaintext;

/// A data key: its plaintext and its ciphertext under the KMS key.
#[derive(Debug)]
pub struct DataKey {
    pub plaintext: Plaintext,
    pub encrypted: Encrypted,
}

/// How long a data key should be: `KeySpec` (`AES_128`, `AES_256`) or `NumberOfBytes`, exactly
/// one of them.
pub fn data_key_length(key_spec: Option<&str>, number_of_bytes: Option<u32>) -> Result<usize> {
    let either = || Error::validation("Please specify either number of bytes or key spec.");
    match (key_spec, number_of_bytes) {
        (Some("AES_256"), None) => Ok(32),
        (Some("AES_128"), None) => Ok(16),
        (None, Some(n)) if (1..=1024).contains(&n) => usize::try_from(n).map_err(|_| either()),
        (None, Some(n)) => Err(Error::invalid_parameter(
            "numberOfBytes",
            Some(n.to_string()),
            Constraint::Max(1024),
        )),
        _ => Err(either()),
    }
}

impl Kms {
    /// GenerateDataKey (and, with `action` `kms:GenerateDataKeyWithoutPlaintext`, its sibling:
    /// the caller drops the plaintext).
    pub async fn generate_data_key(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        length: usize,
        context: &EncryptionContext,
        action: &'static str,
        dry_run: bool,
    ) -> Result<DataKey> {
        // A data key is always sealed with a symmetric encryption key.
        let key = self
            .data_key_sealing_key(ctx, key, action, context, Facts::new())
            .await?;
        self.perform(ctx, action, dry_run, async {
            let plaintext = self.backend.random(length)?;
            let encrypted = self.seal(ctx, &key, context, plaintext.as_slice()).await?;
            Ok(DataKey {
                plaintext,
                encrypted,
            })
        })
        .await
    }
}

/// A data key pair: the private key (PKCS#8 DER), its ciphertext under the KMS key, and the
/// public key (DER SPKI).
#[derive(Debug)]
pub struct DataKeyPair {
    pub spec: KeySpec,
    pub private: Plaintext,
    pub public: Vec<u8>,
    pub encrypted: Encrypted,
}

impl Kms {
    /// GenerateDataKeyPair (and, with its `action`, the WithoutPlaintext sibling: the caller
    /// drops the private key).
    #[allow(clippy::too_many_arguments)]
    pub async fn generate_data_key_pair(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        pair_spec: KeySpec,
        context: &EncryptionContext,
        action: &'static str,
        dry_run: bool,
    ) -> Result<DataKeyPair> {
        match pair_spec.family() {
            KeyFamily::Rsa | KeyFamily::Ecc | KeyFamily::Ed25519 | KeyFamily::MlKem => {}
            KeyFamily::Sm2 => {
                // The form of AWS's answer to CreateKey with SM2 outside its China Regions.
                return Err(Error::Unsupported {
                    message: "KeyPairSpec SM2 is not supported in this Region".to_owned(),
                });
            }
            _ => {
                return Err(Error::Unsupported {
                    message: format!(
                        "KeyPairSpec {pair_spec} is not supported by this version of Trent."
                    ),
                });
            }
        }
        self.throttle(
            ctx,
            &crate::quota::QuotaClass::DataKeyPair(pair_spec.as_str().to_owned()),
        )?;
        let using = self
            .data_key_sealing_key(
                ctx,
                key,
                action,
                context,
                Facts::new().with("kms:DataKeyPairSpec", pair_spec.as_str()),
            )
            .await?;
        let record = &using.key().record;
        if record.custom_key_store.is_some() {
            return Err(Error::Unsupported {
                message: format!(
                    "{} is in a custom key store. {} does not support KMS keys in custom key stores.",
                    record.arn(),
                    action.trim_start_matches("kms:")
                ),
            });
        }
        self.perform(ctx, action, dry_run, async {
            let pair = self.backend.generate_data_key_pair(pair_spec)?;
            let encrypted = self
                .seal(ctx, &using, context, pair.private.as_slice())
                .await?;
            Ok(DataKeyPair {
                spec: pair_spec,
                private: pair.private,
                public: pair.public,
                encrypted,
            })
        })
        .await
    }
}

impl crate::ops::pipeline::UsesKeys for DataKey {
    fn keys_used(&self) -> Vec<&crate::model::KeyRecord> {
        vec![&self.encrypted.key]
    }
}

impl crate::ops::pipeline::UsesKeys for DataKeyPair {
    fn keys_used(&self) -> Vec<&crate::model::KeyRecord> {
        vec![&self.encrypted.key]
    }
}
