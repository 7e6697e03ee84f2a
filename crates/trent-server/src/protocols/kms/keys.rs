//! Handlers of the key management operations.

use std::sync::Arc;

use trent_api::shapes::Empty;
use trent_api::shapes::keys::*;
use trent_core::model::{KeySpec, KeyUsage, Origin, RequestContext};
use trent_core::ops::keys::CreateKeyInput;

use super::{full_metadata, key_ref, limit, millis, next_marker, tags_in};
use crate::http::error::ApiError;
use crate::run::state::AppState;

fn validation(message: &str) -> ApiError {
    ApiError::from(trent_core::Error::validation(message))
}

pub async fn create_key(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: CreateKeyRequest,
) -> Result<CreateKeyResponse, ApiError> {
    if req.key_spec.is_some() && req.customer_master_key_spec.is_some() {
        return Err(validation(
            "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.",
        ));
    }
    let spec = req
        .key_spec
        .as_deref()
        .or(req.customer_master_key_spec.as_deref())
        .and_then(KeySpec::parse);
    let input = CreateKeyInput {
        description: req.description.unwrap_or_default(),
        usage: req.key_usage.as_deref().and_then(KeyUsage::parse),
        spec,
        origin: req.origin.as_deref().and_then(Origin::parse),
        policy: req.policy,
        tags: tags_in(req.tags),
        multi_region: req.multi_region.unwrap_or(false),
        custom_key_store: req.custom_key_store_id,
        xks_key_id: req.xks_key_id,
        bypass_policy_lockout_safety_check: req.bypass_policy_lockout_safety_check.unwrap_or(false),
    };
    let key = state.kms.create_key(&ctx, input).await?;
    Ok(CreateKeyResponse {
        key_metadata: full_metadata(&state, &key).await?,
    })
}

pub async fn describe_key(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: DescribeKeyRequest,
) -> Result<DescribeKeyResponse, ApiError> {
    let key = state.kms.describe_key(&ctx, &key_ref(&req.key_id)?).await?;
    Ok(DescribeKeyResponse {
        key_metadata: full_metadata(&state, &key).await?,
    })
}

pub async fn list_keys(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: ListKeysRequest,
) -> Result<ListKeysResponse, ApiError> {
    let page = state
        .kms
        .list_keys(&ctx, limit(req.limit, 100, 1000)?, req.marker.as_deref())
        .await?;
    let next_marker = next_marker(page.truncated, &page.items, |k| k.id.as_str().to_owned());
    Ok(ListKeysResponse {
        keys: page
            .items
            .iter()
            .map(|k| KeyListEntry {
                key_id: k.id.as_str().to_owned(),
                key_arn: k.arn(),
            })
            .collect(),
        next_marker,
        truncated: page.truncated,
    })
}

pub async fn enable_key(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: KeyIdRequest,
) -> Result<Empty, ApiError> {
    state.kms.enable_key(&ctx, &key_ref(&req.key_id)?).await?;
    Ok(Empty {})
}

pub async fn disable_key(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: KeyIdRequest,
) -> Result<Empty, ApiError> {
    state.kms.disable_key(&ctx, &key_ref(&req.key_id)?).await?;
    Ok(Empty {})
}

pub async fn update_key_description(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: UpdateKeyDescriptionRequest,
) -> Result<Empty, ApiError> {
    state
        .kms
        .update_key_description(&ctx, &key_ref(&req.key_id)?, req.description)
        .await?;
    Ok(Empty {})
}

pub async fn schedule_key_deletion(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: ScheduleKeyDeletionRequest,
) -> Result<ScheduleKeyDeletionResponse, ApiError> {
    let key = state
        .kms
        .schedule_key_deletion(&ctx, &key_ref(&req.key_id)?, req.pending_window_in_days)
        .await?;
    Ok(ScheduleKeyDeletionResponse {
        key_id: key.arn(),
        deletion_date: key.deletion_date.map(millis).unwrap_or(millis(key.created)),
        key_state: key.state.as_str().to_owned(),
        pending_window_in_days: key.pending_window_days.unwrap_or_default(),
    })
}

pub async fn cancel_key_deletion(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: KeyIdRequest,
) -> Result<CancelKeyDeletionResponse, ApiError> {
    let key = state
        .kms
        .cancel_key_deletion(&ctx, &key_ref(&req.key_id)?)
        .await?;
    Ok(CancelKeyDeletionResponse { key_id: key.arn() })
}

pub async fn get_key_last_usage(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: GetKeyLastUsageRequest,
) -> Result<GetKeyLastUsageResponse, ApiError> {
    let report = state
        .kms
        .get_key_last_usage(&ctx, &key_ref(&req.key_id)?)
        .await?;
    let last = report.last.map(|u| KeyLastUsageData {
        operation: Some(u.operation),
        timestamp: Some(millis(u.at)),
        kms_request_id: Some(u.request_id),
    });
    Ok(GetKeyLastUsageResponse {
        key_id: report.key.arn(),
        key_creation_date: millis(report.key.created),
        tracking_start_date: millis(report.tracking_start),
        key_last_usage: last.unwrap_or_default(),
    })
}

pub async fn replicate_key(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: ReplicateKeyRequest,
) -> Result<ReplicateKeyResponse, ApiError> {
    let (replica, tags) = state
        .kms
        .replicate_key(
            &ctx,
            &key_ref(&req.key_id)?,
            trent_core::ops::multi_region::ReplicaRequest {
                region: req.replica_region,
                policy: req.policy,
                bypass_policy_lockout_safety_check: req
                    .bypass_policy_lockout_safety_check
                    .unwrap_or(false),
                description: req.description,
                tags: tags_in(req.tags),
            },
        )
        .await?;
    Ok(ReplicateKeyResponse {
        replica_key_metadata: full_metadata(&state, &replica).await?,
        replica_policy: replica.policy.clone(),
        replica_tags: tags
            .into_iter()
            .map(|t| trent_api::shapes::Tag {
                tag_key: t.key,
                tag_value: t.value,
            })
            .collect(),
    })
}

pub async fn update_primary_region(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: UpdatePrimaryRegionRequest,
) -> Result<Empty, ApiError> {
    state
        .kms
        .update_primary_region(&ctx, &key_ref(&req.key_id)?, &req.primary_region)
        .await?;
    Ok(Empty {})
}
