//! Handlers of Sign, Verify and GetPublicKey.

use std::sync::Arc;

use trent_api::Blob;
use trent_api::shapes::sign::*;
use trent_core::model::{MessageType, RequestContext, SigningAlgorithm};

use super::{key_ref, member, names};
use crate::http::error::ApiError;
use crate::run::state::AppState;

/// The algorithm and message type members (already checked against the model's enums).
fn parse(
    algorithm: &str,
    message_type: Option<&str>,
) -> Result<(SigningAlgorithm, MessageType), ApiError> {
    let algorithm = member("SigningAlgorithm", algorithm, SigningAlgorithm::parse)?;
    let message_type = match message_type {
        None => MessageType::Raw,
        Some(t) => member("MessageType", t, MessageType::parse)?,
    };
    Ok((algorithm, message_type))
}

pub async fn sign(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: SignRequest,
) -> Result<SignResponse, ApiError> {
    let (algorithm, message_type) = parse(&req.signing_algorithm, req.message_type.as_deref())?;
    let out = state
        .kms
        .sign(
            &ctx,
            &key_ref(&req.key_id)?,
            algorithm,
            message_type,
            &req.message.0,
            req.dry_run.unwrap_or(false),
        )
        .await?;
    Ok(SignResponse {
        key_id: out.key.arn(),
        signature: Blob(out.signature),
        signing_algorithm: algorithm.as_str().to_owned(),
    })
}

pub async fn verify(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: VerifyRequest,
) -> Result<VerifyResponse, ApiError> {
    let (algorithm, message_type) = parse(&req.signing_algorithm, req.message_type.as_deref())?;
    let key = state
        .kms
        .verify(
            &ctx,
            &key_ref(&req.key_id)?,
            algorithm,
            message_type,
            &req.message.0,
            &req.signature.0,
            req.dry_run.unwrap_or(false),
        )
        .await?;
    Ok(VerifyResponse {
        key_id: key.arn(),
        signature_valid: true,
        signing_algorithm: algorithm.as_str().to_owned(),
    })
}

pub async fn get_public_key(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: GetPublicKeyRequest,
) -> Result<GetPublicKeyResponse, ApiError> {
    let key = state
        .kms
        .get_public_key(&ctx, &key_ref(&req.key_id)?)
        .await?;
    Ok(GetPublicKeyResponse {
        key_id: key.arn(),
        public_key: Blob(key.public_key.clone().unwrap_or_default()),
        customer_master_key_spec: key.spec.as_str().to_owned(),
        key_spec: key.spec.as_str().to_owned(),
        key_usage: key.usage.as_str().to_owned(),
        encryption_algorithms: names(key.spec.encryption_algorithms(key.usage)),
        signing_algorithms: names(key.spec.signing_algorithms(key.usage)),
        key_agreement_algorithms: names(key.spec.key_agreement_algorithms(key.usage)),
        encapsulation_algorithms: names(key.spec.encapsulation_algorithms(key.usage)),
    })
}
