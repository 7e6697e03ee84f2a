//! The AWS JSON 1.1 endpoint: `POST /` with `X-Amz-Target`, from raw request to response.
//!
//! Order of checks: body size, authentication, target, body decoding and validation, then the
//! operation. Every response carries `x-amzn-RequestId`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use tracing::Instrument as _;
use trent_api::operation::{self as op, Operation};
use trent_api::{CONTENT_TYPE, ErrorCode, WireError};
use trent_core::model::RequestContext;

use crate::error::ApiError;
use crate::handlers::{
    agreement, aliases, data_keys, encrypt, grants, import, kem, key_policies, keys, mac, random,
    rotation, sign, tags,
};
use crate::state::AppState;

/// The response header that carries the request id.
pub const REQUEST_ID_HEADER: &str = "x-amzn-RequestId";

/// Handles one request to `POST /`.
pub async fn handle(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request<Body>,
) -> Response<Body> {
    let started = std::time::Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let (parts, body) = request.into_parts();
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let span = tracing::info_span!("request", id = %request_id, target = %target);

    let form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if target.is_empty() && form && parts.method == axum::http::Method::POST {
        return sts_request(&state, parts, body, peer, &request_id)
            .instrument(span)
            .await;
    }

    let mut facts = crate::audit_event::Facts::default();
    let result = async {
        if parts.method != axum::http::Method::POST {
            return Err(ApiError::from(WireError::new(
                ErrorCode::UnknownOperationException,
                "",
            )));
        }
        let body = read_body(&state, &parts, body).await?;
        // Parsed once: for the operation, and (redacted) for the audit event.
        let parsed = op::parse_body(&body);
        facts.access_key_id = signed_access_key(&parts);
        let cloudtrail = target.strip_prefix(crate::cloudtrail::TARGET_PREFIX);
        let ctx = crate::auth::authenticate(
            &state,
            &parts,
            &body,
            Some(peer.ip()),
            &request_id,
            if cloudtrail.is_some() {
                crate::cloudtrail::SERVICE
            } else {
                trent_api::SIGNING_NAME
            },
        )?;
        facts.principal = Some(ctx.principal.clone());
        facts.region = Some(ctx.region.clone());
        let notes = ctx.audit.clone();
        if cloudtrail.is_some() || target.starts_with(crate::admin::TARGET_PREFIX) {
            facts.request_parameters = parsed.as_ref().ok().map(crate::audit_event::redact_admin);
        }
        let account = ctx.principal.account.as_str().to_owned();
        if let Some(action) = cloudtrail {
            facts.operation = Some(action.to_owned());
            if !state
                .operator_limits
                .lookup_events
                .take(&account, std::time::Instant::now())
            {
                return Err(crate::auth::rate_exceeded().into());
            }
            let value = crate::cloudtrail::handle(&state, &ctx, action, &body).await?;
            return serde_json::to_vec(&value).map_err(|e| ApiError {
                wire: WireError::new(
                    ErrorCode::KMSInternalException,
                    crate::error::INTERNAL_MESSAGE,
                ),
                detail: Some(format!("encoding LookupEvents response: {e}")),
            });
        }
        if let Some(action) = target.strip_prefix(crate::admin::TARGET_PREFIX) {
            facts.operation = Some(action.to_owned());
            if !state
                .operator_limits
                .admin
                .take(&account, std::time::Instant::now())
            {
                return Err(crate::auth::rate_exceeded().into());
            }
            let value = crate::admin::handle(&state, &ctx, action, &body).await?;
            return serde_json::to_vec(&value).map_err(|e| ApiError {
                wire: WireError::new(
                    ErrorCode::KMSInternalException,
                    crate::error::INTERNAL_MESSAGE,
                ),
                detail: Some(format!("encoding admin response: {e}")),
            });
        }
        let operation = op::parse_target(Some(&target))?.to_owned();
        facts.operation = Some(operation.clone());
        // Management operations count against their own quota here; cryptographic ones
        // against their key type's shared quota once the key is known (in the core).
        if let Some(class) = operation_quota(&operation) {
            state.kms.throttle(&ctx, &class)?;
        }
        let value = parsed?;
        facts.request_parameters = Some(trent_api::model::redact_request(&operation, &value));
        let out = dispatch(&state, &operation, ctx, value).await;
        facts.notes = notes.take();
        out
    }
    .instrument(span.clone())
    .await;

    // The call is on the record before its answer leaves.
    let source = if target.starts_with(crate::admin::TARGET_PREFIX) {
        crate::audit_event::Source::Admin
    } else if target.starts_with(crate::cloudtrail::TARGET_PREFIX) {
        crate::audit_event::Source::CloudTrail
    } else {
        crate::audit_event::Source::Kms
    };
    let response_value = result
        .as_ref()
        .ok()
        .filter(|_| !crate::audit_event::read_only(facts.operation.as_deref().unwrap_or("")))
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok());
    let error = result
        .as_ref()
        .err()
        .map(|e| (e.wire.code.as_str(), e.wire.message.as_str()));
    let event = crate::audit_event::build(
        source,
        &facts,
        &target,
        &request_id,
        &peer.ip().to_string(),
        user_agent(&parts),
        state.kms.clock().now(),
        response_value.as_ref(),
        error,
    );
    let throttled = error.is_some_and(|(code, _)| code == ErrorCode::ThrottlingException.as_str());
    if let Err(e) = record(&state, &facts, &event, throttled).await {
        tracing::error!(parent: &span, error = %e, "could not record the call; answering with an internal error");
        let wire = WireError::new(
            ErrorCode::KMSInternalException,
            crate::error::INTERNAL_MESSAGE,
        );
        return response(StatusCode::INTERNAL_SERVER_ERROR, wire.body(), &request_id);
    }

    state.metrics.observe(
        metric_label(facts.operation.as_deref()),
        error.map_or("ok", |(code, _)| code),
        started.elapsed().as_secs_f64(),
    );
    match result {
        Ok(bytes) => {
            tracing::debug!(parent: &span, "ok");
            response(StatusCode::OK, bytes, &request_id)
        }
        Err(e) => {
            if let Some(detail) = &e.detail {
                tracing::error!(parent: &span, error = %detail, "internal error");
            } else {
                tracing::debug!(parent: &span, code = %e.wire.code, "client error");
            }
            let status = StatusCode::from_u16(e.wire.code.http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut answer = response(status, e.wire.body(), &request_id);
            // The address is throttled: its next connection is turned away at accept.
            if throttled && facts.principal.is_none() {
                answer.headers_mut().insert(
                    header::CONNECTION,
                    axum::http::HeaderValue::from_static("close"),
                );
            }
            answer
        }
    }
}

/// Puts the call on the record before its answer leaves. A throttled call that did not
/// authenticate is counted into its address's summary instead (one event per address and
/// second), so that a flood of them costs the trail a few events a second, not one each.
async fn record(
    state: &AppState,
    facts: &crate::audit_event::Facts,
    event: &serde_json::Value,
    throttled: bool,
) -> Result<(), String> {
    if throttled && facts.principal.is_none() {
        state.audit.summarize(event).await
    } else {
        state.audit.record(event).await
    }
}

/// An operation name fit for a metric label: only names Trent knows, so that a client cannot
/// grow the label set with made-up targets.
fn metric_label(operation: Option<&str>) -> &str {
    match operation {
        Some(op)
            if trent_api::model::is_known_operation(op)
                || crate::admin::ACTIONS.contains(&op)
                || op == "LookupEvents" =>
        {
            op
        }
        _ => "unknown",
    }
}

/// The access key id of the request's `Authorization` header, if it has exactly one
/// (SigV4 refuses a header with two), cut to IAM's 128-character limit.
fn signed_access_key(parts: &axum::http::request::Parts) -> Option<String> {
    let auth = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let mut credentials = auth.split("Credential=").skip(1);
    let credential = credentials.next()?;
    if credentials.next().is_some() {
        return None;
    }
    let id = credential.split(['/', ',']).next()?;
    Some(id.chars().take(128).collect())
}

fn user_agent(parts: &axum::http::request::Parts) -> &str {
    parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// An STS call over the query protocol: XML in both directions.
async fn sts_request(
    state: &Arc<AppState>,
    parts: axum::http::request::Parts,
    body: Body,
    peer: SocketAddr,
    request_id: &str,
) -> Response<Body> {
    use crate::sts;
    let mut facts = crate::audit_event::Facts::default();
    let result = async {
        let body = read_body(state, &parts, body)
            .await
            .map_err(|e| sts::auth_error(&e.wire))?;
        let params = sts::params(&body);
        facts.operation = params.get("Action").cloned();
        facts.access_key_id = signed_access_key(&parts);
        let ctx = crate::auth::authenticate(
            state,
            &parts,
            &body,
            Some(peer.ip()),
            request_id,
            sts::SERVICE,
        )
        .map_err(|e| sts::auth_error(&e))?;
        facts.principal = Some(ctx.principal.clone());
        facts.region = Some(ctx.region.clone());
        // Recorded only once the caller is known: an unauthenticated body is not kept.
        facts.request_parameters = serde_json::to_value(&params)
            .ok()
            .map(|v| crate::audit_event::redact_admin(&v));
        if params.get("Action").map(String::as_str) == Some("AssumeRole")
            && !state.operator_limits.assume_role.take(
                &ctx.principal.account.as_str().to_owned(),
                std::time::Instant::now(),
            )
        {
            return Err(sts::auth_error(&crate::auth::rate_exceeded()));
        }
        sts::handle(state, &ctx, &params).await
    }
    .await;
    let error = result.as_ref().err().map(|e| (e.code, e.message.as_str()));
    let event = crate::audit_event::build(
        crate::audit_event::Source::Sts,
        &facts,
        "",
        request_id,
        &peer.ip().to_string(),
        user_agent(&parts),
        state.kms.clock().now(),
        None,
        error,
    );
    let throttled = error.is_some_and(|(code, _)| code == "Throttling");
    if let Err(e) = record(state, &facts, &event, throttled).await {
        tracing::error!(error = %e, "could not record the call; answering with an internal error");
        let failure = sts::StsError {
            status: 500,
            sender: false,
            code: "InternalFailure",
            message: "An internal error occurred.".to_owned(),
        };
        let mut response = response(
            StatusCode::INTERNAL_SERVER_ERROR,
            failure.body(request_id).into_bytes(),
            request_id,
        );
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
        return response;
    }
    let (status, text) = match result {
        Ok(xml) => (StatusCode::OK, xml),
        Err(e) => {
            tracing::debug!(code = e.code, "STS error");
            (
                StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
                e.body(request_id),
            )
        }
    };
    let mut response = response(status, text.into_bytes(), request_id);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    response
}

/// The quota a management operation (or GenerateRandom) counts against.
fn operation_quota(operation: &str) -> Option<trent_core::quota::QuotaClass> {
    use trent_core::quota::{OPERATION_DEFAULTS, QuotaClass};
    if operation == "GenerateRandom" {
        return Some(QuotaClass::Symmetric);
    }
    OPERATION_DEFAULTS
        .iter()
        .any(|(op, _)| *op == operation)
        .then(|| QuotaClass::Operation(operation.to_owned()))
}

/// Any path but `/`: AWS's answer for a request that names no operation.
pub async fn fallback() -> Response<Body> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let error = WireError::new(ErrorCode::UnknownOperationException, "");
    response(StatusCode::NOT_FOUND, error.body(), &request_id)
}

/// Reads the body, refusing one larger than the limit without reading it whole.
async fn read_body(
    state: &AppState,
    parts: &axum::http::request::Parts,
    body: Body,
) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::from(WireError::new(
            ErrorCode::RequestEntityTooLargeException,
            format!("Request body must be at most {} bytes", state.max_body),
        ))
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > u64::try_from(state.max_body).unwrap_or(u64::MAX)) {
        return Err(too_large());
    }
    // Hold the body's bytes against the shared budget before reading any of them.
    let reserve = declared.map_or(state.max_body, |len| {
        usize::try_from(len).unwrap_or(usize::MAX)
    });
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
    let Some(_reservation) = state.body_budget.reserve(peer, reserve) else {
        return Err(ApiError::from(WireError::new(
            ErrorCode::ThrottlingException,
            "The server is receiving too many request bodies. Retry the request later.",
        )));
    };
    match tokio::time::timeout(
        state.body_timeout,
        axum::body::to_bytes(body, state.max_body),
    )
    .await
    {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(too_large()),
        Err(_) => Err(ApiError::from(WireError::new(
            ErrorCode::RequestTimeoutException,
            format!(
                "The request body did not arrive within {} seconds.",
                state.body_timeout.as_secs_f64()
            ),
        ))),
    }
}

fn response(status: StatusCode, body: Vec<u8>, request_id: &str) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert(REQUEST_ID_HEADER, v);
    }
    response
}

/// Decodes the request for `O`, runs the handler, encodes the response.
async fn call<O, F, Fut>(
    state: &Arc<AppState>,
    ctx: RequestContext,
    body: serde_json::Value,
    handler: F,
) -> Result<Vec<u8>, ApiError>
where
    O: Operation,
    F: FnOnce(Arc<AppState>, RequestContext, O::Request) -> Fut,
    Fut: Future<Output = Result<O::Response, ApiError>>,
{
    let (request, grant_tokens) = op::decode_value_with_tokens::<O>(body)?;
    let mut ctx = ctx;
    ctx.grant_tokens = grant_tokens;
    let response = handler(state.clone(), ctx, request).await?;
    serde_json::to_vec(&response).map_err(|e| ApiError {
        wire: WireError::new(
            ErrorCode::KMSInternalException,
            crate::error::INTERNAL_MESSAGE,
        ),
        detail: Some(format!("encoding {} response: {e}", O::NAME)),
    })
}

/// The operation table: each served operation, its shapes and its handler.
async fn dispatch(
    state: &Arc<AppState>,
    operation: &str,
    ctx: RequestContext,
    body: serde_json::Value,
) -> Result<Vec<u8>, ApiError> {
    match operation {
        "CreateKey" => call::<op::CreateKey, _, _>(state, ctx, body, keys::create_key).await,
        "DescribeKey" => call::<op::DescribeKey, _, _>(state, ctx, body, keys::describe_key).await,
        "ListKeys" => call::<op::ListKeys, _, _>(state, ctx, body, keys::list_keys).await,
        "EnableKey" => call::<op::EnableKey, _, _>(state, ctx, body, keys::enable_key).await,
        "DisableKey" => call::<op::DisableKey, _, _>(state, ctx, body, keys::disable_key).await,
        "UpdateKeyDescription" => {
            call::<op::UpdateKeyDescription, _, _>(state, ctx, body, keys::update_key_description)
                .await
        }
        "ScheduleKeyDeletion" => {
            call::<op::ScheduleKeyDeletion, _, _>(state, ctx, body, keys::schedule_key_deletion)
                .await
        }
        "CancelKeyDeletion" => {
            call::<op::CancelKeyDeletion, _, _>(state, ctx, body, keys::cancel_key_deletion).await
        }
        "Encrypt" => call::<op::Encrypt, _, _>(state, ctx, body, encrypt::encrypt).await,
        "Decrypt" => call::<op::Decrypt, _, _>(state, ctx, body, encrypt::decrypt).await,
        "ReEncrypt" => call::<op::ReEncrypt, _, _>(state, ctx, body, encrypt::re_encrypt).await,
        "GenerateDataKey" => {
            call::<op::GenerateDataKey, _, _>(state, ctx, body, data_keys::generate_data_key).await
        }
        "GenerateDataKeyWithoutPlaintext" => {
            call::<op::GenerateDataKeyWithoutPlaintext, _, _>(
                state,
                ctx,
                body,
                data_keys::generate_data_key_without_plaintext,
            )
            .await
        }
        "GenerateRandom" => {
            call::<op::GenerateRandom, _, _>(state, ctx, body, random::generate_random).await
        }
        "CreateAlias" => {
            call::<op::CreateAlias, _, _>(state, ctx, body, aliases::create_alias).await
        }
        "UpdateAlias" => {
            call::<op::UpdateAlias, _, _>(state, ctx, body, aliases::update_alias).await
        }
        "DeleteAlias" => {
            call::<op::DeleteAlias, _, _>(state, ctx, body, aliases::delete_alias).await
        }
        "ListAliases" => {
            call::<op::ListAliases, _, _>(state, ctx, body, aliases::list_aliases).await
        }
        "TagResource" => call::<op::TagResource, _, _>(state, ctx, body, tags::tag_resource).await,
        "UntagResource" => {
            call::<op::UntagResource, _, _>(state, ctx, body, tags::untag_resource).await
        }
        "ListResourceTags" => {
            call::<op::ListResourceTags, _, _>(state, ctx, body, tags::list_resource_tags).await
        }
        "Sign" => call::<op::Sign, _, _>(state, ctx, body, sign::sign).await,
        "Verify" => call::<op::Verify, _, _>(state, ctx, body, sign::verify).await,
        "GetPublicKey" => {
            call::<op::GetPublicKey, _, _>(state, ctx, body, sign::get_public_key).await
        }
        "GenerateMac" => call::<op::GenerateMac, _, _>(state, ctx, body, mac::generate_mac).await,
        "VerifyMac" => call::<op::VerifyMac, _, _>(state, ctx, body, mac::verify_mac).await,
        "DeriveSharedSecret" => {
            call::<op::DeriveSharedSecret, _, _>(state, ctx, body, agreement::derive_shared_secret)
                .await
        }
        "GenerateDataKeyPair" => {
            call::<op::GenerateDataKeyPair, _, _>(
                state,
                ctx,
                body,
                data_keys::generate_data_key_pair,
            )
            .await
        }
        "GenerateDataKeyPairWithoutPlaintext" => {
            call::<op::GenerateDataKeyPairWithoutPlaintext, _, _>(
                state,
                ctx,
                body,
                data_keys::generate_data_key_pair_without_plaintext,
            )
            .await
        }
        "Encapsulate" => call::<op::Encapsulate, _, _>(state, ctx, body, kem::encapsulate).await,
        "Decapsulate" => call::<op::Decapsulate, _, _>(state, ctx, body, kem::decapsulate).await,
        "GetKeyPolicy" => {
            call::<op::GetKeyPolicy, _, _>(state, ctx, body, key_policies::get_key_policy).await
        }
        "PutKeyPolicy" => {
            call::<op::PutKeyPolicy, _, _>(state, ctx, body, key_policies::put_key_policy).await
        }
        "ListKeyPolicies" => {
            call::<op::ListKeyPolicies, _, _>(state, ctx, body, key_policies::list_key_policies)
                .await
        }
        "CreateGrant" => {
            call::<op::CreateGrant, _, _>(state, ctx, body, grants::create_grant).await
        }
        "ListGrants" => call::<op::ListGrants, _, _>(state, ctx, body, grants::list_grants).await,
        "ListRetirableGrants" => {
            call::<op::ListRetirableGrants, _, _>(state, ctx, body, grants::list_retirable_grants)
                .await
        }
        "RetireGrant" => {
            call::<op::RetireGrant, _, _>(state, ctx, body, grants::retire_grant).await
        }
        "RevokeGrant" => {
            call::<op::RevokeGrant, _, _>(state, ctx, body, grants::revoke_grant).await
        }
        "EnableKeyRotation" => {
            call::<op::EnableKeyRotation, _, _>(state, ctx, body, rotation::enable_key_rotation)
                .await
        }
        "DisableKeyRotation" => {
            call::<op::DisableKeyRotation, _, _>(state, ctx, body, rotation::disable_key_rotation)
                .await
        }
        "GetKeyRotationStatus" => {
            call::<op::GetKeyRotationStatus, _, _>(
                state,
                ctx,
                body,
                rotation::get_key_rotation_status,
            )
            .await
        }
        "RotateKeyOnDemand" => {
            call::<op::RotateKeyOnDemand, _, _>(state, ctx, body, rotation::rotate_key_on_demand)
                .await
        }
        "ListKeyRotations" => {
            call::<op::ListKeyRotations, _, _>(state, ctx, body, rotation::list_key_rotations).await
        }
        "GetParametersForImport" => {
            call::<op::GetParametersForImport, _, _>(
                state,
                ctx,
                body,
                import::get_parameters_for_import,
            )
            .await
        }
        "ImportKeyMaterial" => {
            call::<op::ImportKeyMaterial, _, _>(state, ctx, body, import::import_key_material).await
        }
        "DeleteImportedKeyMaterial" => {
            call::<op::DeleteImportedKeyMaterial, _, _>(
                state,
                ctx,
                body,
                import::delete_imported_key_material,
            )
            .await
        }
        "ReplicateKey" => {
            call::<op::ReplicateKey, _, _>(state, ctx, body, keys::replicate_key).await
        }
        "UpdatePrimaryRegion" => {
            call::<op::UpdatePrimaryRegion, _, _>(state, ctx, body, keys::update_primary_region)
                .await
        }
        "GetKeyLastUsage" => {
            call::<op::GetKeyLastUsage, _, _>(state, ctx, body, keys::get_key_last_usage).await
        }
        other => {
            // Validate first, as AWS would, so malformed requests still get their real error.
            trent_api::model::validate(other, &body)?;
            Err(ApiError::from(WireError::new(
                ErrorCode::UnsupportedOperationException,
                format!("{other} is not supported by this version of Trent."),
            )))
        }
    }
}
