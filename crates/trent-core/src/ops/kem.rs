//! Encapsulate and Decapsulate with ML-KEM keys.

use crate::error::{Error, Result};
use crate::kms::Kms;
use crate::model::{EncapsulationAlgorithm, KeyRecord, KeyRef, KeyUsage, RequestContext};
use crate::ops::pipeline::{KeyUse, StateRule, require_algorithm};
use crate::policy::AuthorizedKey;
use crate::secret::Secret;

/// The result of Encapsulate.
#[derive(Debug)]
pub struct Encapsulated {
    pub key: KeyRecord,
    pub secret: Secret,
    pub ciphertext: Vec<u8>,
}

impl Kms {
    async fn kem_key(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        action: &'static str,
        algorithm: EncapsulationAlgorithm,
    ) -> Result<AuthorizedKey> {
        let key = self
            .key_for(
                ctx,
                KeyUse::new(key, action, StateRule::Enabled)
                    .usage(KeyUsage::EncapsulateDecapsulate),
            )
            .await?;
        let record = &key.key().record;
        require_algorithm(
            record,
            algorithm,
            &record.spec.encapsulation_algorithms(record.usage),
        )?;
        Ok(key)
    }

    pub async fn encapsulate(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        algorithm: EncapsulationAlgorithm,
        dry_run: bool,
    ) -> Result<Encapsulated> {
        let key = self.kem_key(ctx, key, "kms:Encapsulate", algorithm).await?;
        self.perform(ctx, "Encapsulate", dry_run, async {
            let record = &key.key().record;
            let public = record
                .public_key
                .as_deref()
                .ok_or_else(|| Error::internal(format!("{} has no public key", record.arn())))?;
            let (secret, ciphertext) = self.backend.encapsulate(record.spec, public)?;
            Ok(Encapsulated {
                key: record.clone(),
                secret,
                ciphertext,
            })
        })
        .await
    }

    pub async fn decapsulate(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        algorithm: EncapsulationAlgorithm,
        ciphertext: &[u8],
        dry_run: bool,
    ) -> Result<(KeyRecord, Secret)> {
        let key = self.kem_key(ctx, key, "kms:Decapsulate", algorithm).await?;
        self.perform(ctx, "Decapsulate", dry_run, async {
            let record = &key.key().record;
            let private = self.material(&key, &record.current_material).await?;
            let secret = self
                .backend
                .decapsulate(record.spec, &private, ciphertext)?;
            Ok((record.clone(), secret))
        })
        .await
    }
}

impl crate::ops::pipeline::UsesKeys for Encapsulated {
    fn keys_used(&self) -> Vec<&crate::model::KeyRecord> {
        vec![&self.key]
    }
}
