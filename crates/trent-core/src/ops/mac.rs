//! GenerateMac and VerifyMac for HMAC keys.

use crate::error::{Error, Result};
use crate::kms::Kms;
use crate::model::{KeyRecord, KeyRef, KeyUsage, MacAlgorithm, RequestContext};
use crate::ops::pipeline::{KeyUse, StateRule, require_algorithm};
use crate::policy::AuthorizedKey;
use crate::policy::Facts;

/// The result of GenerateMac.
#[derive(Debug)]
pub struct Mac {
    pub key: KeyRecord,
    pub mac: Vec<u8>,
}

impl Kms {
    async fn mac_key(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        action: &'static str,
        algorithm: MacAlgorithm,
    ) -> Result<AuthorizedKey> {
        let key = self
            .key_for(
                ctx,
                KeyUse::new(key, action, StateRule::Enabled)
                    .usage(KeyUsage::GenerateVerifyMac)
                    .facts(Facts::new().with("kms:MacAlgorithm", algorithm.as_str())),
            )
            .await?;
        let record = &key.key().record;
        require_algorithm(record, algorithm, &record.spec.mac_algorithms(record.usage))?;
        Ok(key)
    }

    pub async fn generate_mac(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        algorithm: MacAlgorithm,
        message: &[u8],
        dry_run: bool,
    ) -> Result<Mac> {
        let key = self.mac_key(ctx, key, "kms:GenerateMac", algorithm).await?;
        self.perform(ctx, "GenerateMac", dry_run, async {
            let record = &key.key().record;
            let material = self.material(&key, &record.current_material).await?;
            let mac = self.backend.mac(&material, algorithm, message)?;
            Ok(Mac {
                key: record.clone(),
                mac,
            })
        })
        .await
    }

    /// VerifyMac: `Ok` only for a matching MAC; otherwise `KMSInvalidMacException`.
    pub async fn verify_mac(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        algorithm: MacAlgorithm,
        message: &[u8],
        mac: &[u8],
        dry_run: bool,
    ) -> Result<KeyRecord> {
        let key = self.mac_key(ctx, key, "kms:VerifyMac", algorithm).await?;
        self.perform(ctx, "VerifyMac", dry_run, async {
            let record = &key.key().record;
            let material = self.material(&key, &record.current_material).await?;
            if self
                .backend
                .verify_mac(&material, algorithm, message, mac)?
            {
                Ok(record.clone())
            } else {
                Err(Error::InvalidMac)
            }
        })
        .await
    }
}

impl crate::ops::pipeline::UsesKeys for Mac {
    fn keys_used(&self) -> Vec<&crate::model::KeyRecord> {
        vec![&self.key]
    }
}
