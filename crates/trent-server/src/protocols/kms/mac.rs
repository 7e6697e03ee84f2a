//! Handlers of GenerateMac and VerifyMac.

use std::sync::Arc;

use trent_api::Blob;
use trent_api::shapes::mac::*;
use trent_core::model::{MacAlgorithm, RequestContext};

use super::{key_ref, member};
use crate::http::error::ApiError;
use crate::run::state::AppState;

fn algorithm(value: &str) -> Result<MacAlgorithm, ApiError> {
    member("MacAlgorithm", value, MacAlgorithm::parse)
}

pub async fn generate_mac(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: GenerateMacRequest,
) -> Result<GenerateMacResponse, ApiError> {
    let alg = algorithm(&req.mac_algorithm)?;
    let out = state
        .kms
        .generate_mac(
            &ctx,
            &key_ref(&req.key_id)?,
            alg,
            req.message.as_slice(),
            req.dry_run.unwrap_or(false),
        )
        .await?;
    Ok(GenerateMacResponse {
        mac: Blob(out.mac),
        mac_algorithm: alg.as_str().to_owned(),
        key_id: out.key.arn(),
    })
}

pub async fn verify_mac(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: VerifyMacRequest,
) -> Result<VerifyMacResponse, ApiError> {
    let alg = algorithm(&req.mac_algorithm)?;
    let key = state
        .kms
        .verify_mac(
            &ctx,
            &key_ref(&req.key_id)?,
            alg,
            req.message.as_slice(),
            &req.mac.0,
            req.dry_run.unwrap_or(false),
        )
        .await?;
    Ok(VerifyMacResponse {
        key_id: key.arn(),
        mac_valid: true,
        mac_algorithm: alg.as_str().to_owned(),
    })
}
