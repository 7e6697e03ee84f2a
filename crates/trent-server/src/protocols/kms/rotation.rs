//! Handlers of EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus,
//! RotateKeyOnDemand and ListKeyRotations.

use std::sync::Arc;

use trent_api::shapes::Empty;
use trent_api::shapes::rotation::*;
use trent_core::model::RequestContext;

use super::{key_ref, limit, millis, next_marker};
use crate::http::error::ApiError;
use crate::run::state::AppState;

pub async fn enable_key_rotation(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: EnableKeyRotationRequest,
) -> Result<Empty, ApiError> {
    state
        .kms
        .enable_key_rotation(&ctx, &key_ref(&req.key_id)?, req.rotation_period_in_days)
        .await?;
    Ok(Empty {})
}

pub async fn disable_key_rotation(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: RotationKeyIdRequest,
) -> Result<Empty, ApiError> {
    state
        .kms
        .disable_key_rotation(&ctx, &key_ref(&req.key_id)?)
        .await?;
    Ok(Empty {})
}

pub async fn get_key_rotation_status(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: RotationKeyIdRequest,
) -> Result<GetKeyRotationStatusResponse, ApiError> {
    let status = state
        .kms
        .get_key_rotation_status(&ctx, &key_ref(&req.key_id)?)
        .await?;
    let rotation = &status.key.rotation;
    Ok(GetKeyRotationStatusResponse {
        key_id: status.key.arn(),
        key_rotation_enabled: status.enabled,
        rotation_period_in_days: rotation.period_days.filter(|_| status.enabled),
        next_rotation_date: rotation.next.filter(|_| status.enabled).map(millis),
        // Only while an on-demand rotation is in progress; Trent's finish inside the call.
        on_demand_rotation_start_date: None,
    })
}

pub async fn rotate_key_on_demand(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: RotationKeyIdRequest,
) -> Result<RotateKeyOnDemandResponse, ApiError> {
    let key = state
        .kms
        .rotate_key_on_demand(&ctx, &key_ref(&req.key_id)?)
        .await?;
    Ok(RotateKeyOnDemandResponse { key_id: key.arn() })
}

pub async fn list_key_rotations(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: ListKeyRotationsRequest,
) -> Result<ListKeyRotationsResponse, ApiError> {
    let limit = limit(req.limit, 100, 1000)?;
    let all = req.include_key_material.as_deref() == Some("ALL_KEY_MATERIAL");
    let (arn, page) = state
        .kms
        .list_key_rotations(
            &ctx,
            &key_ref(&req.key_id)?,
            all,
            limit,
            req.marker.as_deref(),
        )
        .await?;
    let rotations: Vec<RotationsListEntry> = page
        .items
        .into_iter()
        .map(|e| RotationsListEntry {
            key_id: arn.clone(),
            key_material_id: e.material.id.to_hex(),
            key_material_state: if e.current {
                "CURRENT"
            } else if e.material.pending {
                "PENDING_ROTATION"
            } else {
                "NON_CURRENT"
            }
            .to_owned(),
            rotation_date: millis(e.material.created),
            rotation_type: e
                .material
                .rotation
                .filter(|_| !e.material.pending)
                .map(|r| r.as_str().to_owned()),
            import_state: e.imported.then(|| "IMPORTED".to_owned()),
            key_material_description: e.material.description,
        })
        .collect();
    let next_marker = next_marker(page.truncated, &rotations, |r| r.key_material_id.clone());
    Ok(ListKeyRotationsResponse {
        rotations,
        next_marker,
        truncated: page.truncated,
    })
}
