//! Handlers of TagResource, UntagResource and ListResourceTags.

use std::sync::Arc;

use trent_api::shapes::tags::*;
use trent_api::shapes::{Empty, Tag};
use trent_core::model::RequestContext;

use super::{key_ref, limit, next_marker, tags_in};
use crate::http::error::ApiError;
use crate::run::state::AppState;

pub async fn tag_resource(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: TagResourceRequest,
) -> Result<Empty, ApiError> {
    state
        .kms
        .tag_resource(&ctx, &key_ref(&req.key_id)?, &tags_in(req.tags))
        .await?;
    Ok(Empty {})
}

pub async fn untag_resource(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: UntagResourceRequest,
) -> Result<Empty, ApiError> {
    state
        .kms
        .untag_resource(&ctx, &key_ref(&req.key_id)?, &req.tag_keys)
        .await?;
    Ok(Empty {})
}

/// ListResourceTags pages by tag key: the marker is the last key of the previous page.
pub async fn list_resource_tags(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: ListResourceTagsRequest,
) -> Result<ListResourceTagsResponse, ApiError> {
    let all = state
        .kms
        .list_resource_tags(&ctx, &key_ref(&req.key_id)?)
        .await?;
    let limit = limit(req.limit, 50, 50)?;
    let rest: Vec<_> = all
        .into_iter()
        .filter(|t| req.marker.as_deref().is_none_or(|m| t.key.as_str() > m))
        .collect();
    let truncated = rest.len() > limit;
    let tags: Vec<Tag> = rest
        .into_iter()
        .take(limit)
        .map(|t| Tag {
            tag_key: t.key,
            tag_value: t.value,
        })
        .collect();
    let next_marker = next_marker(truncated, &tags, |t| t.tag_key.clone());
    Ok(ListResourceTagsResponse {
        tags,
        next_marker,
        truncated,
    })
}
