//! DeriveSharedSecret: ECDH between a KMS key and a peer's public key.

use crate::error::Result;
use crate::kms::Kms;
use crate::model::{KeyAgreementAlgorithm, KeyRecord, KeyRef, KeyUsage, RequestContext};
use crate::ops::pipeline::{KeyUse, StateRule, require_algorithm};
use crate::policy::Facts;
use crate::secret::Secret;

/// The result of DeriveSharedSecret.
#[derive(Debug)]
pub struct SharedSecret {
    pub key: KeyRecord,
    pub secret: Secret,
}

impl Kms {
    pub async fn derive_shared_secret(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        algorithm: KeyAgreementAlgorithm,
        peer_public: &[u8],
        dry_run: bool,
    ) -> Result<SharedSecret> {
        let key = self
            .key_for(
                ctx,
                KeyUse::new(key, "kms:DeriveSharedSecret", StateRule::Enabled)
                    .usage(KeyUsage::KeyAgreement)
                    .facts(Facts::new().with("kms:KeyAgreementAlgorithm", algorithm.as_str())),
            )
            .await?;
        let record = &key.key().record;
        require_algorithm(
            record,
            algorithm,
            &record.spec.key_agreement_algorithms(record.usage),
        )?;
        self.perform(ctx, "DeriveSharedSecret", dry_run, async {
            let private = self.material(&key, &record.current_material).await?;
            let secret = self
                .backend
                .derive_shared_secret(record.spec, &private, peer_public)?;
            Ok(SharedSecret {
                key: record.clone(),
                secret,
            })
        })
        .await
    }
}

impl crate::ops::pipeline::UsesKeys for SharedSecret {
    fn keys_used(&self) -> Vec<&crate::model::KeyRecord> {
        vec![&self.key]
    }
}
