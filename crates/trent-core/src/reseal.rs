//! Root-key rotation: a new root key, and every sealed value in the store re-sealed under it,
//! while the server serves.
//!
//! The steps, each durable before the next: the provider puts a new key first in its ring
//! (the old ones still unseal); the store re-seals every value in one transaction; the
//! provider forgets the old keys. A crash between the steps leaves a ring that opens every
//! value, and [`Kms::finish_root_key_rotation`] completes the work at the next start.
//! Warm keys keep serving throughout: their material is already unsealed in the cache.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::kms::Kms;
use crate::model::RequestContext;
use crate::policy::Mode;
use crate::store::{Resealer, SealedSlot};

/// What a root-key rotation did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootKeyRotation {
    /// The id of the root key that seals from now on.
    pub key_id: String,
    /// How many sealed values were re-sealed.
    pub resealed: u64,
    /// How many earlier root keys were forgotten.
    pub retired: usize,
}

impl Kms {
    /// Rotates the root key online; only the operator account's root may (or anyone in
    /// `--dev`). Management operations that seal wait while the store is re-sealed.
    pub async fn rotate_root_key(&self, ctx: &RequestContext) -> Result<RootKeyRotation> {
        if !(self.is_operator(ctx) || self.mode == Mode::Permissive) {
            return Err(Error::AccessDenied {
                principal: ctx.principal.arn.clone(),
                action: "trent:RotateRootKey".to_owned(),
                resource: "root key".to_owned(),
                reason: crate::policy::DenyReason::NoIdentityPolicy,
            });
        }
        if self.shared_store {
            return Err(Error::Unsupported {
                message: "The root key cannot be rotated online while several nodes share the store: each node holds the key ring in its own data directory. Stop all nodes but one, rotate, and copy its root key file to the others before they start.".to_owned(),
            });
        }
        let _all = self.sealing.write().await;
        // A request that sealed before the lock and then went away may still have its write
        // queued; it must land before the re-seal, not after it.
        self.store
            .quiesce()
            .await
            .map_err(|e| Error::internal(format!("root-key rotation: {e}")))?;
        let key_id = self.vault.begin_rotation()?;
        let resealed = match self.reseal_store().await {
            Ok(n) => n,
            Err(e) => {
                // Nothing was sealed under the new key (the re-seal rolled back, and the lock
                // kept every other seal out): the ring goes back to what it was.
                if let Err(undo) = self.vault.abandon_rotation() {
                    tracing::error!(error = %undo, "could not take back the new root key");
                }
                return Err(e);
            }
        };
        let retired = self.vault.retire_previous()?;
        tracing::info!(root_key = %key_id, resealed, retired, "rotated the root key");
        Ok(RootKeyRotation {
            key_id,
            resealed,
            retired,
        })
    }

    /// Completes a rotation that a crash interrupted (the provider still holds earlier keys):
    /// re-seals what is left and forgets them. `None` when there was nothing to finish.
    pub async fn finish_root_key_rotation(&self) -> Result<Option<RootKeyRotation>> {
        if self.vault.key_count() <= 1 {
            return Ok(None);
        }
        let _all = self.sealing.write().await;
        self.store
            .quiesce()
            .await
            .map_err(|e| Error::internal(format!("root-key rotation: {e}")))?;
        let resealed = self.reseal_store().await?;
        let retired = self.vault.retire_previous()?;
        Ok(Some(RootKeyRotation {
            key_id: String::new(),
            resealed,
            retired,
        }))
    }

    /// Re-seals under the current root key every value the store holds under another one.
    async fn reseal_store(&self) -> Result<u64> {
        let vault = self.vault.clone();
        let reseal: Resealer =
            Arc::new(move |slot: &SealedSlot, sealed: &[u8]| vault.reseal_slot(slot, sealed));
        self.store
            .reseal_all(reseal)
            .await
            .map_err(|e| Error::internal(format!("root-key rotation: {e}")))
    }
}
