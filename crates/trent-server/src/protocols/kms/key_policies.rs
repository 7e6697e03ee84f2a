//! Handlers of GetKeyPolicy, PutKeyPolicy and ListKeyPolicies.

use std::sync::Arc;

use trent_api::shapes::Empty;
use trent_api::shapes::key_policies::*;
use trent_core::model::RequestContext;
use trent_core::ops::key_policies::DEFAULT_POLICY_NAME;

use super::key_ref;
use crate::http::error::ApiError;
use crate::run::state::AppState;

pub async fn get_key_policy(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: GetKeyPolicyRequest,
) -> Result<GetKeyPolicyResponse, ApiError> {
    let policy = state
        .kms
        .get_key_policy(&ctx, &key_ref(&req.key_id)?, req.policy_name.as_deref())
        .await?;
    Ok(GetKeyPolicyResponse {
        policy,
        policy_name: DEFAULT_POLICY_NAME.to_owned(),
    })
}

pub async fn put_key_policy(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: PutKeyPolicyRequest,
) -> Result<Empty, ApiError> {
    state
        .kms
        .put_key_policy(
            &ctx,
            &key_ref(&req.key_id)?,
            req.policy_name.as_deref(),
            req.policy,
            req.bypass_policy_lockout_safety_check.unwrap_or(false),
        )
        .await?;
    Ok(Empty {})
}

pub async fn list_key_policies(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: ListKeyPoliciesRequest,
) -> Result<ListKeyPoliciesResponse, ApiError> {
    let names = state
        .kms
        .list_key_policies(&ctx, &key_ref(&req.key_id)?)
        .await?;
    Ok(ListKeyPoliciesResponse {
        policy_names: names,
        truncated: false,
    })
}
