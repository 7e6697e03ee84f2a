//! Handlers of CreateGrant, ListGrants, ListRetirableGrants, RetireGrant and RevokeGrant.

use std::sync::Arc;

use trent_api::shapes::Empty;
use trent_api::shapes::grants::*;
use trent_core::model::{GrantRecord, RequestContext};
use trent_core::ops::grants::GrantRequest;
use trent_core::store::Page;

use super::{key_ref, limit, millis, next_marker};
use crate::http::error::ApiError;
use crate::run::state::AppState;

pub async fn create_grant(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: CreateGrantRequest,
) -> Result<CreateGrantResponse, ApiError> {
    let constraints = req.constraints.unwrap_or_default();
    if constraints.source_arn.is_some() {
        return Err(ApiError::from(trent_core::Error::Unsupported {
            message: "The SourceArn grant constraint is not supported by this version of Trent."
                .to_owned(),
        }));
    }
    let created = state
        .kms
        .create_grant(
            &ctx,
            &key_ref(&req.key_id)?,
            GrantRequest {
                operations: req.operations,
                grantee: req.grantee_principal,
                retiring: req.retiring_principal,
                name: req.name,
                context_equals: constraints.encryption_context_equals,
                context_subset: constraints.encryption_context_subset,
                service_principal: req.grantee_service_principal.is_some()
                    || req.retiring_service_principal.is_some(),
                dry_run: req.dry_run.unwrap_or(false),
            },
        )
        .await?;
    Ok(CreateGrantResponse {
        grant_id: created.id,
        grant_token: created.token,
    })
}

fn entry(g: GrantRecord) -> GrantListEntry {
    let constraints =
        (g.context_equals.is_some() || g.context_subset.is_some()).then(|| GrantConstraints {
            encryption_context_equals: g.context_equals.clone(),
            encryption_context_subset: g.context_subset.clone(),
            source_arn: None,
        });
    GrantListEntry {
        key_id: g.key.arn(&g.scope),
        grant_id: g.id,
        name: g.name,
        creation_date: millis(g.created),
        grantee_principal: g.grantee,
        retiring_principal: g.retiring,
        issuing_account: g.issuing_account,
        operations: g.operations,
        constraints,
    }
}

fn page(page: Page<GrantRecord>) -> ListGrantsResponse {
    let grants: Vec<GrantListEntry> = page.items.into_iter().map(entry).collect();
    let next_marker = next_marker(page.truncated, &grants, |g| g.grant_id.clone());
    ListGrantsResponse {
        grants,
        next_marker,
        truncated: page.truncated,
    }
}

pub async fn list_grants(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: ListGrantsRequest,
) -> Result<ListGrantsResponse, ApiError> {
    let limit = limit(req.limit, 50, 100)?;
    let found = state
        .kms
        .list_grants(
            &ctx,
            &key_ref(&req.key_id)?,
            req.grant_id.as_deref(),
            req.grantee_principal.as_deref(),
            limit,
            req.marker.as_deref(),
        )
        .await?;
    Ok(page(found))
}

pub async fn list_retirable_grants(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: ListRetirableGrantsRequest,
) -> Result<ListGrantsResponse, ApiError> {
    let limit = limit(req.limit, 50, 100)?;
    let retiring = match (
        req.retiring_principal,
        req.retiring_service_principal.is_some(),
    ) {
        (Some(retiring), false) => retiring,
        (None, false) | (Some(_), true) => {
            return Err(ApiError::from(trent_core::Error::validation(
                "You must specify either RetiringPrincipal or RetiringServicePrincipal, but not both.",
            )));
        }
        (None, true) => {
            return Err(ApiError::from(trent_core::Error::Unsupported {
                message: "RetiringServicePrincipal is not supported by this version of Trent."
                    .to_owned(),
            }));
        }
    };
    let found = state
        .kms
        .list_retirable_grants(&ctx, &retiring, limit, req.marker.as_deref())
        .await?;
    Ok(page(found))
}

pub async fn retire_grant(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: RetireGrantRequest,
) -> Result<Empty, ApiError> {
    let key = req.key_id.as_deref().map(key_ref).transpose()?;
    state
        .kms
        .retire_grant(
            &ctx,
            req.grant_token.as_deref(),
            key.as_ref(),
            req.grant_id.as_deref(),
            req.dry_run.unwrap_or(false),
        )
        .await?;
    Ok(Empty {})
}

pub async fn revoke_grant(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: RevokeGrantRequest,
) -> Result<Empty, ApiError> {
    state
        .kms
        .revoke_grant(
            &ctx,
            &key_ref(&req.key_id)?,
            &req.grant_id,
            req.dry_run.unwrap_or(false),
        )
        .await?;
    Ok(Empty {})
}
