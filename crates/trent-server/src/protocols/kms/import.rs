//! Handlers of GetParametersForImport, ImportKeyMaterial and DeleteImportedKeyMaterial.

use std::sync::Arc;

use trent_api::Blob;
use trent_api::shapes::import::*;
use trent_core::model::{
    ExpirationModel, RequestContext, UnixMillis, WrappingAlgorithm, WrappingKeySpec,
};
use trent_core::ops::import::ImportRequest;

use super::{key_ref, member, millis};
use crate::http::error::ApiError;
use crate::run::state::AppState;

pub async fn get_parameters_for_import(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: GetParametersForImportRequest,
) -> Result<GetParametersForImportResponse, ApiError> {
    let algorithm = member(
        "WrappingAlgorithm",
        &req.wrapping_algorithm,
        WrappingAlgorithm::parse,
    )?;
    let spec = member(
        "WrappingKeySpec",
        &req.wrapping_key_spec,
        WrappingKeySpec::parse,
    )?;
    let params = state
        .kms
        .get_parameters_for_import(&ctx, &key_ref(&req.key_id)?, algorithm, spec)
        .await?;
    Ok(GetParametersForImportResponse {
        key_id: params.key.arn(),
        import_token: Blob(params.token.into_bytes()),
        public_key: Blob(params.public_key),
        parameters_valid_to: millis(params.valid_to),
    })
}

pub async fn import_key_material(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: ImportKeyMaterialRequest,
) -> Result<ImportKeyMaterialResponse, ApiError> {
    let model = req
        .expiration_model
        .as_deref()
        .map(|m| member("ExpirationModel", m, ExpirationModel::parse))
        .transpose()?;
    let (key, material) = state
        .kms
        .import_key_material(
            &ctx,
            &key_ref(&req.key_id)?,
            ImportRequest {
                token: &req.import_token.0,
                wrapped: &req.encrypted_key_material.0,
                valid_to: req.valid_to.map(|t| UnixMillis(t.0)),
                expiration_model: model,
                new_material: req.import_type.as_deref().map(|t| t == "NEW_KEY_MATERIAL"),
                material_id: req.key_material_id.as_deref(),
                description: req.key_material_description.as_deref(),
            },
        )
        .await?;
    Ok(ImportKeyMaterialResponse {
        key_id: key.arn(),
        key_material_id: material.to_hex(),
    })
}

pub async fn delete_imported_key_material(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: DeleteImportedKeyMaterialRequest,
) -> Result<DeleteImportedKeyMaterialResponse, ApiError> {
    let (key, material) = state
        .kms
        .delete_imported_key_material(&ctx, &key_ref(&req.key_id)?, req.key_material_id.as_deref())
        .await?;
    Ok(DeleteImportedKeyMaterialResponse {
        key_id: key.arn(),
        key_material_id: material.to_hex(),
    })
}
