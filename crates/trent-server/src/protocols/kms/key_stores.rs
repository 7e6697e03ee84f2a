//! Handlers of the custom key store operations (`AWS_CLOUDHSM` and `EXTERNAL_KEY_STORE`
//! stores).

use std::sync::Arc;

use trent_api::shapes::Empty;
use trent_api::shapes::key_stores::*;
use trent_core::model::{KeyStoreRecord, KeyStoreType, RequestContext, XksProxyConnectivity};
use trent_core::ops::key_stores::{
    CreateKeyStoreInput, DescribeKeyStoresInput, UpdateKeyStoreInput, XksProxyInput,
};
use trent_core::secret::Secret;

use super::{limit, millis, next_marker};
use crate::http::error::ApiError;
use crate::run::state::AppState;

/// The `XksProxy*` members as the core takes them (their patterns are the model's, already
/// checked).
fn xks_input(xks: XksMembers) -> XksProxyInput {
    XksProxyInput {
        uri_endpoint: xks.xks_proxy_uri_endpoint,
        uri_path: xks.xks_proxy_uri_path,
        connectivity: xks
            .xks_proxy_connectivity
            .as_deref()
            .and_then(XksProxyConnectivity::parse),
        vpc_endpoint_service_name: xks.xks_proxy_vpc_endpoint_service_name,
        vpc_endpoint_service_owner: xks.xks_proxy_vpc_endpoint_service_owner,
        credential: xks.xks_proxy_authentication_credential.map(|c| {
            (
                c.access_key_id.as_str().to_owned(),
                Secret::new(c.raw_secret_access_key.as_str().as_bytes().to_vec()),
            )
        }),
    }
}

fn password(p: Option<trent_api::SecretString>) -> Option<Secret> {
    p.map(|p| Secret::new(p.as_str().as_bytes().to_vec()))
}

pub async fn create_custom_key_store(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: CreateCustomKeyStoreRequest,
) -> Result<CreateCustomKeyStoreResponse, ApiError> {
    let id = state
        .kms
        .create_custom_key_store(
            &ctx,
            CreateKeyStoreInput {
                name: req.custom_key_store_name,
                kind: req
                    .custom_key_store_type
                    .as_deref()
                    .and_then(KeyStoreType::parse),
                cluster_id: req.cloud_hsm_cluster_id,
                trust_anchor: req.trust_anchor_certificate,
                password: password(req.key_store_password),
                xks: xks_input(req.xks),
            },
        )
        .await?;
    Ok(CreateCustomKeyStoreResponse {
        custom_key_store_id: id.to_string(),
    })
}

/// Returns at once; the store moves from CONNECTING to CONNECTED or FAILED in the background.
pub async fn connect_custom_key_store(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: CustomKeyStoreIdRequest,
) -> Result<Empty, ApiError> {
    if let Some(id) = state
        .kms
        .connect_custom_key_store(&ctx, &req.custom_key_store_id)
        .await?
    {
        let kms = state.kms.clone();
        let request_id = ctx.request_id.clone();
        tokio::spawn(async move {
            if let Err(e) = kms.finish_connecting_for(&id, &request_id).await {
                tracing::warn!(store = %id, error = %e, "custom key store connection not finished");
            }
        });
    }
    Ok(Empty {})
}

pub async fn disconnect_custom_key_store(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: CustomKeyStoreIdRequest,
) -> Result<Empty, ApiError> {
    state
        .kms
        .disconnect_custom_key_store(&ctx, &req.custom_key_store_id)
        .await?;
    Ok(Empty {})
}

pub async fn update_custom_key_store(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: UpdateCustomKeyStoreRequest,
) -> Result<Empty, ApiError> {
    state
        .kms
        .update_custom_key_store(
            &ctx,
            UpdateKeyStoreInput {
                id: req.custom_key_store_id,
                new_name: req.new_custom_key_store_name,
                cluster_id: req.cloud_hsm_cluster_id,
                password: password(req.key_store_password),
                xks: xks_input(req.xks),
            },
        )
        .await?;
    Ok(Empty {})
}

pub async fn delete_custom_key_store(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: CustomKeyStoreIdRequest,
) -> Result<Empty, ApiError> {
    state
        .kms
        .delete_custom_key_store(&ctx, &req.custom_key_store_id)
        .await?;
    Ok(Empty {})
}

fn entry(store: &KeyStoreRecord) -> CustomKeyStoresListEntry {
    let cloud_hsm = store.kind == KeyStoreType::AwsCloudhsm;
    CustomKeyStoresListEntry {
        custom_key_store_id: store.id.to_string(),
        custom_key_store_name: store.name.clone(),
        cloud_hsm_cluster_id: cloud_hsm.then(|| store.cluster_id.clone()),
        trust_anchor_certificate: cloud_hsm.then(|| store.trust_anchor.clone()),
        xks_proxy_configuration: store.xks.as_ref().map(|x| XksProxyConfiguration {
            access_key_id: x.access_key_id.clone(),
            connectivity: x.connectivity.as_str().to_owned(),
            uri_endpoint: x.uri_endpoint.clone(),
            uri_path: x.uri_path.clone(),
        }),
        connection_state: store.state.as_str().to_owned(),
        connection_error_code: store
            .error
            .filter(|_| store.state == trent_core::model::ConnectionState::Failed)
            .map(|c| c.as_str().to_owned()),
        creation_date: millis(store.created),
        custom_key_store_type: store.kind.as_str().to_owned(),
    }
}

pub async fn describe_custom_key_stores(
    state: Arc<AppState>,
    ctx: RequestContext,
    req: DescribeCustomKeyStoresRequest,
) -> Result<DescribeCustomKeyStoresResponse, ApiError> {
    let page = state
        .kms
        .describe_custom_key_stores(
            &ctx,
            DescribeKeyStoresInput {
                id: req.custom_key_store_id,
                name: req.custom_key_store_name,
                limit: limit(req.limit, 1000, 1000)?,
                marker: req.marker,
            },
        )
        .await?;
    Ok(DescribeCustomKeyStoresResponse {
        custom_key_stores: page.items.iter().map(entry).collect(),
        next_marker: next_marker(page.truncated, &page.items, |s| s.id.to_string()),
        truncated: page.truncated,
    })
}
