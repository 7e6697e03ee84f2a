//! Handler of GenerateRandom.

use std::sync::Arc;

use trent_api::SecretBlob;
use trent_api::shapes::random::*;
use trent_api::{ErrorCode, WireError};
use trent_core::model::RequestContext;

use crate::http::error::ApiError;
use crate::run::state::AppState;

pub async fn generate_random(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: GenerateRandomRequest,
) -> Result<GenerateRandomResponse, ApiError> {
    super::no_recipient(req.recipient.as_ref())?;
    if let Some(id) = req.custom_key_store_id {
        return Err(ApiError::from(WireError::new(
            ErrorCode::CustomKeyStoreNotFoundException,
            format!("Custom key store '{id}' does not exist"),
        )));
    }
    let bytes = state.kms.generate_random(&ctx, req.number_of_bytes)?;
    Ok(GenerateRandomResponse {
        plaintext: SecretBlob(bytes.into_inner()),
    })
}
