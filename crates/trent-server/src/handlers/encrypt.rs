//! Handlers of Encrypt, Decrypt and ReEncrypt.

use std::sync::Arc;

use trent_api::shapes::encrypt::*;
use trent_api::{Blob, SecretBlob};
use trent_core::model::{EncryptionAlgorithm, RequestContext};
use trent_core::ops::encrypt::DecryptInput;
use trent_core::secret::Secret;

use super::{algorithm, context, key_ref, no_recipient};
use crate::error::ApiError;
use crate::state::AppState;

/// Only symmetric ciphertexts name a key material version.
fn symmetric(algorithm: EncryptionAlgorithm) -> bool {
    algorithm == EncryptionAlgorithm::SymmetricDefault
}

pub async fn encrypt(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: EncryptRequest,
) -> Result<EncryptResponse, ApiError> {
    let plaintext = Secret::from_slice(req.plaintext.as_slice());
    let out = state
        .kms
        .encrypt(
            &ctx,
            &key_ref(&req.key_id)?,
            &plaintext,
            &context(req.encryption_context),
            algorithm(req.encryption_algorithm.as_deref()),
            req.dry_run.unwrap_or(false),
        )
        .await?;
    Ok(EncryptResponse {
        ciphertext_blob: Blob(out.ciphertext),
        key_id: out.key.arn(),
        encryption_algorithm: out.algorithm.as_str().to_owned(),
    })
}

pub async fn decrypt(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: DecryptRequest,
) -> Result<DecryptResponse, ApiError> {
    no_recipient(req.recipient.as_ref())?;
    let key = req.key_id.as_deref().map(key_ref).transpose()?;
    let ciphertext = req.ciphertext_blob.map(|b| b.0).unwrap_or_default();
    let ec = context(req.encryption_context);
    let out = state
        .kms
        .decrypt(
            &ctx,
            DecryptInput {
                ciphertext: &ciphertext,
                context: &ec,
                key: key.as_ref(),
                algorithm: algorithm(req.encryption_algorithm.as_deref()),
            },
            req.dry_run.unwrap_or(false),
        )
        .await?;
    Ok(DecryptResponse {
        key_id: out.key.arn(),
        encryption_algorithm: out.algorithm.as_str().to_owned(),
        key_material_id: symmetric(out.algorithm).then(|| out.material.to_hex()),
        plaintext: SecretBlob(out.plaintext.into_inner()),
    })
}

pub async fn re_encrypt(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: ReEncryptRequest,
) -> Result<ReEncryptResponse, ApiError> {
    let source_key = req.source_key_id.as_deref().map(key_ref).transpose()?;
    let destination = key_ref(&req.destination_key_id)?;
    let source_context = context(req.source_encryption_context);
    let out = state
        .kms
        .re_encrypt(
            &ctx,
            DecryptInput {
                ciphertext: &req.ciphertext_blob.0,
                context: &source_context,
                key: source_key.as_ref(),
                algorithm: algorithm(req.source_encryption_algorithm.as_deref()),
            },
            &destination,
            &context(req.destination_encryption_context),
            algorithm(req.destination_encryption_algorithm.as_deref()),
            req.dry_run.unwrap_or(false),
        )
        .await?;
    Ok(ReEncryptResponse {
        ciphertext_blob: Blob(out.destination.ciphertext),
        source_key_id: out.source.key.arn(),
        key_id: out.destination.key.arn(),
        source_encryption_algorithm: out.source.algorithm.as_str().to_owned(),
        destination_encryption_algorithm: out.destination.algorithm.as_str().to_owned(),
        source_key_material_id: symmetric(out.source.algorithm)
            .then(|| out.source.material.to_hex()),
        destination_key_material_id: symmetric(out.destination.algorithm)
            .then(|| out.destination.material.to_hex()),
    })
}
