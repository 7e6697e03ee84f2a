//! Handlers of Encapsulate and Decapsulate.

use std::sync::Arc;

use trent_api::shapes::kem::*;
use trent_api::{Blob, SecretBlob};
use trent_core::model::{EncapsulationAlgorithm, RequestContext};

use super::{key_ref, member};
use crate::http::error::ApiError;
use crate::run::state::AppState;

fn algorithm(value: &str) -> Result<EncapsulationAlgorithm, ApiError> {
    member(
        "EncapsulationAlgorithm",
        value,
        EncapsulationAlgorithm::parse,
    )
}

pub async fn encapsulate(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: EncapsulateRequest,
) -> Result<EncapsulateResponse, ApiError> {
    let alg = algorithm(&req.encapsulation_algorithm)?;
    let out = state
        .kms
        .encapsulate(
            &ctx,
            &key_ref(&req.key_id)?,
            alg,
            req.dry_run.unwrap_or(false),
        )
        .await?;
    Ok(EncapsulateResponse {
        key_id: out.key.arn(),
        shared_secret: SecretBlob(out.secret.into_inner()),
        shared_secret_ciphertext_blob: Blob(out.ciphertext),
        encapsulation_algorithm: alg.as_str().to_owned(),
    })
}

pub async fn decapsulate(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: DecapsulateRequest,
) -> Result<DecapsulateResponse, ApiError> {
    let alg = algorithm(&req.encapsulation_algorithm)?;
    let (key, secret) = state
        .kms
        .decapsulate(
            &ctx,
            &key_ref(&req.key_id)?,
            alg,
            &req.shared_secret_ciphertext_blob.0,
            req.dry_run.unwrap_or(false),
        )
        .await?;
    Ok(DecapsulateResponse {
        key_id: key.arn(),
        shared_secret: SecretBlob(secret.into_inner()),
        encapsulation_algorithm: alg.as_str().to_owned(),
    })
}
