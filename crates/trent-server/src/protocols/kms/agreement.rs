//! Handler of DeriveSharedSecret.

use std::sync::Arc;

use trent_api::SecretBlob;
use trent_api::shapes::agreement::*;
use trent_core::model::{KeyAgreementAlgorithm, RequestContext};

use super::{key_ref, member, no_recipient};
use crate::http::error::ApiError;
use crate::run::state::AppState;

pub async fn derive_shared_secret(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: DeriveSharedSecretRequest,
) -> Result<DeriveSharedSecretResponse, ApiError> {
    no_recipient(req.recipient.as_ref())?;
    let algorithm = member(
        "KeyAgreementAlgorithm",
        &req.key_agreement_algorithm,
        KeyAgreementAlgorithm::parse,
    )?;
    let out = state
        .kms
        .derive_shared_secret(
            &ctx,
            &key_ref(&req.key_id)?,
            algorithm,
            &req.public_key.0,
            req.dry_run.unwrap_or(false),
        )
        .await?;
    Ok(DeriveSharedSecretResponse {
        key_id: out.key.arn(),
        shared_secret: SecretBlob(out.secret.into_inner()),
        key_agreement_algorithm: algorithm.as_str().to_owned(),
        key_origin: out.key.origin.as_str().to_owned(),
    })
}
