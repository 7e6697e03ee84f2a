//! GenerateRandom: from the software backend, or from a custom key store's HSM.

use crate::error::{Error, Result};
use crate::kms::Kms;
use crate::model::RequestContext;
use crate::secret::Secret;

impl Kms {
    /// GenerateRandom: 1 to 1024 random bytes, drawn from the HSM of `custom_key_store` when
    /// one is named (a store of the caller's that is connected).
    pub async fn generate_random(
        &self,
        ctx: &RequestContext,
        number_of_bytes: Option<u32>,
        custom_key_store: Option<&str>,
    ) -> Result<Secret> {
        self.authorize_identity(ctx, "kms:GenerateRandom", "*")?;
        let Some(n) = number_of_bytes else {
            return Err(Error::validation("NumberOfBytes is required."));
        };
        let n = usize::try_from(n).map_err(Error::internal)?;
        match custom_key_store {
            Some(id) => self.hsm_random(ctx, id, n).await,
            None => Ok(self.backend.random(n)?),
        }
    }
}
