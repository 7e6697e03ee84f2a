//! Handlers of CreateAlias, UpdateAlias, DeleteAlias and ListAliases.

use std::sync::Arc;

use trent_api::shapes::Empty;
use trent_api::shapes::aliases::*;
use trent_core::model::{AliasName, RequestContext};

use super::{key_ref, limit, millis, next_marker};
use crate::http::error::ApiError;
use crate::run::state::AppState;

pub async fn create_alias(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: AliasRequest,
) -> Result<Empty, ApiError> {
    let name = AliasName::parse(&req.alias_name)?;
    state
        .kms
        .create_alias(&ctx, &name, &key_ref(&req.target_key_id)?)
        .await?;
    Ok(Empty {})
}

pub async fn update_alias(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: AliasRequest,
) -> Result<Empty, ApiError> {
    let name = AliasName::parse(&req.alias_name)?;
    state
        .kms
        .update_alias(&ctx, &name, &key_ref(&req.target_key_id)?)
        .await?;
    Ok(Empty {})
}

pub async fn delete_alias(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: DeleteAliasRequest,
) -> Result<Empty, ApiError> {
    let name = AliasName::parse(&req.alias_name)?;
    state.kms.delete_alias(&ctx, &name).await?;
    Ok(Empty {})
}

pub async fn list_aliases(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: ListAliasesRequest,
) -> Result<ListAliasesResponse, ApiError> {
    let key = req.key_id.as_deref().map(key_ref).transpose()?;
    let page = state
        .kms
        .list_aliases(
            &ctx,
            key.as_ref(),
            limit(req.limit, 50, 100)?,
            req.marker.as_deref(),
        )
        .await?;
    let next_marker = next_marker(page.truncated, &page.items, |a| a.name.as_str().to_owned());
    Ok(ListAliasesResponse {
        aliases: page
            .items
            .iter()
            .map(|a| AliasListEntry {
                alias_name: a.name.as_str().to_owned(),
                alias_arn: a.name.arn(&a.scope),
                target_key_id: Some(a.target.as_str().to_owned()),
                creation_date: Some(millis(a.created)),
                last_updated_date: Some(millis(a.updated)),
            })
            .collect(),
        next_marker,
        truncated: page.truncated,
    })
}
