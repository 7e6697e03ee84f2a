//! Handlers of Encrypt, Decrypt and ReEncrypt.

use std::sync::Arc;

use trent_api::shapes::encrypt::*;
use trent_api::{Blob, SecretBlob};
use trent_core::model::{EncryptionAlgorithm, RequestContext};
use trent_core::ops::encrypt::DecryptInput;
use trent_core::secret::Secret;

use super::{algorithm, context, key_ref, no_recipient};
use crate::http::error::ApiError;
use crate::run::state::AppState;

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
    let dry_run = req.dry_run.unwrap_or(false);
    let ignore_ciphertext = ignores_ciphertext(dry_run, &req.dry_run_modifiers);
    let ciphertext = ciphertext(req.ciphertext_blob, ignore_ciphertext)?;
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
                ignore_ciphertext,
            },
            dry_run,
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
    let dry_run = req.dry_run.unwrap_or(false);
    let ignore_ciphertext = ignores_ciphertext(dry_run, &req.dry_run_modifiers);
    let ciphertext = ciphertext(req.ciphertext_blob, ignore_ciphertext)?;
    let out = state
        .kms
        .re_encrypt(
            &ctx,
            DecryptInput {
                ciphertext: &ciphertext,
                context: &source_context,
                key: source_key.as_ref(),
                algorithm: algorithm(req.source_encryption_algorithm.as_deref()),
                ignore_ciphertext,
            },
            &destination,
            &context(req.destination_encryption_context),
            algorithm(req.destination_encryption_algorithm.as_deref()),
            dry_run,
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

/// `DryRunModifiers: [IGNORE_CIPHERTEXT]` applies only to a dry run.
fn ignores_ciphertext(dry_run: bool, modifiers: &[String]) -> bool {
    dry_run && modifiers.iter().any(|m| m == "IGNORE_CIPHERTEXT")
}

/// `CiphertextBlob` is optional in the model only for an `IGNORE_CIPHERTEXT` dry run; otherwise
/// its absence is the validation error AWS gives a missing required member.
fn ciphertext(blob: Option<Blob>, ignore_ciphertext: bool) -> Result<Vec<u8>, ApiError> {
    match blob {
        Some(blob) => Ok(blob.0),
        None if ignore_ciphertext => Ok(Vec::new()),
        None => Err(ApiError::from(
            trent_api::validation::Violation::missing("ciphertextBlob").error(),
        )),
    }
}
