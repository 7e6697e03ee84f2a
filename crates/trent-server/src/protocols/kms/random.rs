//! Handler of GenerateRandom.

use std::sync::Arc;

use trent_api::SecretBlob;
use trent_api::shapes::random::*;
use trent_core::model::RequestContext;

use crate::http::error::ApiError;
use crate::run::state::AppState;

pub async fn generate_random(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: GenerateRandomRequest,
) -> Result<GenerateRandomResponse, ApiError> {
    super::no_recipient(req.recipient.as_ref())?;
    let bytes = state
        .kms
        .generate_random(
            &ctx,
            req.number_of_bytes,
            req.custom_key_store_id.as_deref(),
        )
        .await?;
    Ok(GenerateRandomResponse {
        plaintext: SecretBlob(bytes.into_inner()),
    })
}
