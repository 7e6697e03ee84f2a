//! GenerateRandom.

use crate::error::{Error, Result};
use crate::kms::Kms;
use crate::model::RequestContext;
use crate::secret::Secret;

impl Kms {
    /// GenerateRandom: 1 to 1024 random bytes.
    pub fn generate_random(
        &self,
        ctx: &RequestContext,
        number_of_bytes: Option<u32>,
    ) -> Result<Secret> {
        self.authorize_identity(ctx, "kms:GenerateRandom", "*")?;
        let Some(n) = number_of_bytes else {
            return Err(Error::validation("NumberOfBytes is required."));
        };
        let n = usize::try_from(n).map_err(Error::internal)?;
        Ok(self.backend.random(n)?)
    }
}
