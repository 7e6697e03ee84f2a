//! Handlers of GenerateDataKey, GenerateDataKeyPair and their WithoutPlaintext siblings.

use std::sync::Arc;

use trent_api::shapes::data_keys::*;
use trent_api::{Blob, SecretBlob};
use trent_core::model::KeySpec;
use trent_core::model::RequestContext;
use trent_core::ops::data_keys::{DataKey, DataKeyPair, data_key_length};

use super::{context, key_ref, member, no_recipient};
use crate::http::error::ApiError;
use crate::run::state::AppState;

async fn generate(
    state: &AppState,
    ctx: &RequestContext,
    req: GenerateDataKeyRequest,
    action: &'static str,
) -> Result<DataKey, ApiError> {
    no_recipient(req.recipient.as_ref())?;
    let length = data_key_length(req.key_spec.as_deref(), req.number_of_bytes)?;
    Ok(state
        .kms
        .generate_data_key(
            ctx,
            &key_ref(&req.key_id)?,
            length,
            &context(req.encryption_context),
            action,
            req.dry_run.unwrap_or(false),
        )
        .await?)
}

pub async fn generate_data_key(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: GenerateDataKeyRequest,
) -> Result<GenerateDataKeyResponse, ApiError> {
    let key = generate(&state, &ctx, req, "kms:GenerateDataKey").await?;
    Ok(GenerateDataKeyResponse {
        ciphertext_blob: Blob(key.encrypted.ciphertext),
        plaintext: SecretBlob(key.plaintext.into_inner()),
        key_id: key.encrypted.key.arn(),
        key_material_id: Some(key.encrypted.material.to_hex()),
    })
}

pub async fn generate_data_key_without_plaintext(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: GenerateDataKeyRequest,
) -> Result<GenerateDataKeyWithoutPlaintextResponse, ApiError> {
    let key = generate(&state, &ctx, req, "kms:GenerateDataKeyWithoutPlaintext").await?;
    Ok(GenerateDataKeyWithoutPlaintextResponse {
        ciphertext_blob: Blob(key.encrypted.ciphertext),
        key_id: key.encrypted.key.arn(),
        key_material_id: Some(key.encrypted.material.to_hex()),
    })
}

async fn generate_pair(
    state: &AppState,
    ctx: &RequestContext,
    req: GenerateDataKeyPairRequest,
    action: &'static str,
) -> Result<DataKeyPair, ApiError> {
    no_recipient(req.recipient.as_ref())?;
    let spec = member("KeyPairSpec", &req.key_pair_spec, KeySpec::parse)?;
    Ok(state
        .kms
        .generate_data_key_pair(
            ctx,
            &key_ref(&req.key_id)?,
            spec,
            &context(req.encryption_context),
            action,
            req.dry_run.unwrap_or(false),
        )
        .await?)
}

pub async fn generate_data_key_pair(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: GenerateDataKeyPairRequest,
) -> Result<GenerateDataKeyPairResponse, ApiError> {
    let pair = generate_pair(&state, &ctx, req, "kms:GenerateDataKeyPair").await?;
    Ok(GenerateDataKeyPairResponse {
        private_key_ciphertext_blob: Blob(pair.encrypted.ciphertext),
        private_key_plaintext: SecretBlob(pair.private.into_inner()),
        public_key: Blob(pair.public),
        key_id: pair.encrypted.key.arn(),
        key_pair_spec: pair.spec.as_str().to_owned(),
        key_material_id: Some(pair.encrypted.material.to_hex()),
    })
}

pub async fn generate_data_key_pair_without_plaintext(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: GenerateDataKeyPairRequest,
) -> Result<GenerateDataKeyPairWithoutPlaintextResponse, ApiError> {
    let pair = generate_pair(&state, &ctx, req, "kms:GenerateDataKeyPairWithoutPlaintext").await?;
    Ok(GenerateDataKeyPairWithoutPlaintextResponse {
        private_key_ciphertext_blob: Blob(pair.encrypted.ciphertext),
        public_key: Blob(pair.public),
        key_id: pair.encrypted.key.arn(),
        key_pair_spec: pair.spec.as_str().to_owned(),
        key_material_id: Some(pair.encrypted.material.to_hex()),
    })
}
