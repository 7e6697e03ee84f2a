//! The AWS JSON 1.1 endpoint: `POST /` with `X-Amz-Target`, from raw request to response.
//!
//! Order of checks: body size, authentication, target, body decoding and validation, then the
//! operation. Every response carries `x-amzn-RequestId`.

use crate::failure::Failure;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, LazyLock};

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use tracing::Instrument as _;
use trent_api::operation::{self as op, Operation};
use trent_api::{CONTENT_TYPE, ErrorCode, WireError};
use trent_core::model::RequestContext;

use crate::http::error::ApiError;
use crate::protocols::kms::{
    agreement, aliases, data_keys, encrypt, grants, import, kem, key_policies, key_stores, keys,
    mac, random, rotation, sign, tags,
};
use crate::run::state::AppState;

/// The response header that carries the request id.
pub const REQUEST_ID_HEADER: &str = "x-amzn-RequestId";

/// Handles one request to `POST /`.
pub async fn handle(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request<Body>,
) -> Response<Body> {
    serve(state, peer, request, Caller::Signed).await
}

/// Who a request comes from, as far as the transport can tell.
#[derive(Debug)]
pub enum Caller {
    /// A request to `POST /`, to be authenticated by its SigV4 signature.
    Signed,
    /// A call of a signed-in console session (`POST /console/api/call`), whose cookie and
    /// CSRF token the console checked.
    Console {
        session: crate::console::session::Session,
        /// The browser's user agent, prefixed with the console's name.
        user_agent: String,
    },
}

/// Serves one JSON request of the endpoint (KMS, admin, CloudTrail, STS; and the console's
/// own actions for a console caller): authentication, the protocol, the audit event.
pub async fn serve(
    state: Arc<AppState>,
    peer: SocketAddr,
    request: Request<Body>,
    caller: Caller,
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
    let console = matches!(caller, Caller::Console { .. });
    let endpoint = Endpoint::of(&parts, &target, console);
    if endpoint == Endpoint::Sts {
        return sts_request(&state, parts, body, peer, &request_id)
            .instrument(span)
            .await;
    }

    let mut facts = crate::audit::event::Facts::default();
    let result = async {
        if parts.method != axum::http::Method::POST {
            return Err(ApiError::from(WireError::new(
                ErrorCode::UnknownOperationException,
                "",
            )));
        }
        let read = read_body(&state, &parts, body).await?;
        let body = &read.bytes;
        // Parsed once: for the operation, and (redacted) for the audit event.
        let parsed = op::parse_body(body);
        let ctx = match &caller {
            Caller::Signed => {
                facts.access_key_id = signed_access_key(&parts);
                crate::http::auth::authenticate(
                    &state,
                    &parts,
                    &read,
                    Some(peer.ip()),
                    &request_id,
                    endpoint.signing_service(),
                )?
            }
            Caller::Console { session, .. } => {
                facts.access_key_id = Some(session.access_key_id.clone());
                let secure = parts
                    .extensions
                    .get::<crate::http::tls::OverTls>()
                    .is_some();
                crate::http::auth::session_context(
                    &state,
                    session,
                    Some(peer.ip()),
                    &request_id,
                    secure,
                )?
            }
        };
        facts.principal = Some(ctx.principal.clone());
        facts.region = Some(ctx.region.clone());
        let notes = ctx.audit.clone();
        let account = ctx.principal.account.as_str().to_owned();
        let now = std::time::Instant::now();
        match &endpoint {
            Endpoint::CloudTrail(action) => {
                facts.operation = Some(action.clone());
                facts.read_only = Some(true);
                facts.request_parameters =
                    parsed.as_ref().ok().map(crate::audit::event::redact_admin);
                if !state.operator_limits.lookup_events.take(&account, now) {
                    return Err(crate::http::auth::rate_exceeded().into());
                }
                let answer =
                    crate::protocols::cloudtrail::handle(&state, &ctx, action, body).await?;
                encode(&answer, action).map(Reply::unrecorded)
            }
            Endpoint::Console(action) => {
                facts.operation = Some(action.clone());
                facts.read_only = Some(true);
                facts.request_parameters =
                    parsed.as_ref().ok().map(crate::audit::event::redact_admin);
                if crate::console::api::reads_the_trail(action)
                    && !state.operator_limits.lookup_events.take(&account, now)
                {
                    return Err(crate::http::auth::rate_exceeded().into());
                }
                let answer = crate::console::api::handle(&state, &ctx, action, body).await?;
                encode(&answer, action).map(Reply::unrecorded)
            }
            Endpoint::Admin(action) => {
                facts.operation = Some(action.clone());
                facts.read_only = crate::protocols::admin::read_only(action);
                facts.request_parameters =
                    parsed.as_ref().ok().map(crate::audit::event::redact_admin);
                if !state.operator_limits.admin.take(&account, now) {
                    return Err(crate::http::auth::rate_exceeded().into());
                }
                let answer = crate::protocols::admin::handle(&state, &ctx, action, body).await?;
                encode(&answer, action).map(Reply::unrecorded)
            }
            Endpoint::Kms(target) => {
                let operation = op::parse_target(Some(target))?.to_owned();
                facts.operation = Some(operation.clone());
                let route = ROUTES.get(operation.as_str());
                facts.read_only = route.map(|r| r.spec.read_only);
                // Management operations count against their own quota here; cryptographic
                // ones against their key type's shared quota once the key is known (in the
                // core).
                if let Some(class) = trent_core::quota::operation_class(&operation) {
                    state.kms.throttle(&ctx, &class)?;
                }
                let value = parsed?;
                facts.request_parameters =
                    Some(trent_api::model::redact_request(&operation, &value));
                let out = match route {
                    Some(route) => (route.handler)(state.clone(), ctx, value).await,
                    None => unserved(&operation, &value),
                };
                facts.notes = notes.take();
                out
            }
            Endpoint::Sts => unreachable_sts(),
        }
    }
    .instrument(span.clone())
    .await;

    // The call is on the record before its answer leaves.
    let response_value = result
        .as_ref()
        .ok()
        .and_then(|reply| reply.recorded.as_ref());
    let error = result
        .as_ref()
        .err()
        .map(|e| (e.wire.code.as_str(), e.wire.message.as_str()));
    let agent = match &caller {
        Caller::Signed => user_agent(&parts),
        Caller::Console { user_agent, .. } => user_agent.as_str(),
    };
    let source_ip = peer.ip().to_string();
    let event = crate::audit::event::build(
        endpoint.source(),
        &facts,
        &target,
        &request_id,
        &source_ip,
        agent,
        state.kms.clock().now(),
        response_value,
        error,
    );
    let throttled = error.is_some_and(|(code, _)| code == ErrorCode::ThrottlingException.as_str());
    if let Err(e) = record(&state, &facts, &event, throttled).await {
        tracing::error!(parent: &span, error = %e, "could not record the call; answering with an internal error");
        return response(
            StatusCode::INTERNAL_SERVER_ERROR,
            WireError::internal().body(),
            &request_id,
        );
    }

    let label = metric_label(facts.operation.as_deref());
    state.metrics.observe(
        label,
        error.map_or("ok", |(code, _)| code),
        started.elapsed().as_secs_f64(),
    );
    state
        .console
        .history
        .observe(label, error.is_some(), state.kms.clock().now().0);
    match result {
        Ok(reply) => {
            tracing::debug!(parent: &span, "ok");
            response(StatusCode::OK, reply.body, &request_id)
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
    facts: &crate::audit::event::Facts,
    event: &crate::audit::event::Event<'_>,
    throttled: bool,
) -> Result<(), Failure> {
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
                || crate::protocols::admin::ACTIONS.contains(&op)
                || op == "LookupEvents"
                || crate::console::api::ACTIONS.contains(&op) =>
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
    use trent_api::sts::{self, StsAction, StsError, StsErrorCode};
    let mut facts = crate::audit::event::Facts::default();
    let result = async {
        let read = read_body(state, &parts, body)
            .await
            .map_err(|e| StsError::from_wire(&e.wire))?;
        let params = sts::parse_form(&read.bytes);
        facts.operation = params.get("Action").cloned();
        let action = facts.operation.as_deref().and_then(StsAction::parse);
        facts.read_only = action.map(StsAction::read_only);
        facts.access_key_id = signed_access_key(&parts);
        let ctx = crate::http::auth::authenticate(
            state,
            &parts,
            &read,
            Some(peer.ip()),
            request_id,
            sts::SERVICE,
        )
        .map_err(|e| StsError::from_wire(&e))?;
        facts.principal = Some(ctx.principal.clone());
        facts.region = Some(ctx.region.clone());
        // Recorded only once the caller is known: an unauthenticated body is not kept.
        facts.request_parameters = serde_json::to_value(&params)
            .ok()
            .map(|v| crate::audit::event::redact_admin(&v));
        if action == Some(StsAction::AssumeRole)
            && !state.operator_limits.assume_role.take(
                &ctx.principal.account.as_str().to_owned(),
                std::time::Instant::now(),
            )
        {
            return Err(StsError::from_wire(&crate::http::auth::rate_exceeded()));
        }
        crate::protocols::sts::handle(state, &ctx, &params).await
    }
    .await;
    let error = result
        .as_ref()
        .err()
        .map(|e| (e.code.as_str(), e.message.as_str()));
    let source_ip = peer.ip().to_string();
    let event = crate::audit::event::build(
        crate::audit::event::Source::Sts,
        &facts,
        "",
        request_id,
        &source_ip,
        user_agent(&parts),
        state.kms.clock().now(),
        None,
        error,
    );
    let throttled = result
        .as_ref()
        .err()
        .is_some_and(|e| e.code == StsErrorCode::Throttling);
    if let Err(e) = record(state, &facts, &event, throttled).await {
        tracing::error!(error = %e, "could not record the call; answering with an internal error");
        return xml_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            StsError::internal().body(request_id),
            request_id,
        );
    }
    match result {
        Ok(xml) => xml_response(StatusCode::OK, xml, request_id),
        Err(e) => {
            tracing::debug!(code = %e.code, "STS error");
            let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            xml_response(status, e.body(request_id), request_id)
        }
    }
}

/// An STS answer: XML, with the request id header.
fn xml_response(status: StatusCode, xml: String, request_id: &str) -> Response<Body> {
    let mut response = response(status, xml.into_bytes(), request_id);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(trent_api::sts::CONTENT_TYPE),
    );
    response
}

/// Any path but `/`: AWS's answer for a request that names no operation.
pub async fn fallback() -> Response<Body> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let error = WireError::new(ErrorCode::UnknownOperationException, "");
    response(StatusCode::NOT_FOUND, error.body(), &request_id)
}

/// Reads the body (hashing it as it arrives), refusing one larger than the limit without
/// reading it whole.
async fn read_body(
    state: &AppState,
    parts: &axum::http::request::Parts,
    body: Body,
) -> Result<crate::http::body::Hashed, ApiError> {
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
        crate::http::body::read_hashed(body, state.max_body),
    )
    .await
    {
        Ok(Ok(read)) => Ok(read),
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

/// What a request is for, decided once from its method and headers.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Endpoint {
    /// An AWS KMS operation (`TrentService.<Operation>`, or a target that is none of the others).
    Kms(String),
    /// An admin action (`TrentAdmin.<Action>`).
    Admin(String),
    /// CloudTrail (`…CloudTrail_20131101.LookupEvents`).
    CloudTrail(String),
    /// STS over the query protocol: a form-encoded `POST` without a target.
    Sts,
    /// One of the console's own actions (`TrentConsole.<Action>`), for console callers only.
    Console(String),
}

impl Endpoint {
    fn of(parts: &axum::http::request::Parts, target: &str, console: bool) -> Endpoint {
        let form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if target.is_empty() && form && parts.method == axum::http::Method::POST && !console {
            Endpoint::Sts
        } else if let Some(action) = target
            .strip_prefix(crate::console::api::TARGET_PREFIX)
            .filter(|_| console)
        {
            Endpoint::Console(action.to_owned())
        } else if let Some(action) =
            target.strip_prefix(crate::protocols::cloudtrail::TARGET_PREFIX)
        {
            Endpoint::CloudTrail(action.to_owned())
        } else if let Some(action) = target.strip_prefix(crate::protocols::admin::TARGET_PREFIX) {
            Endpoint::Admin(action.to_owned())
        } else {
            Endpoint::Kms(target.to_owned())
        }
    }

    /// The service name its signatures are scoped to.
    fn signing_service(&self) -> &'static str {
        match self {
            Endpoint::CloudTrail(_) => crate::protocols::cloudtrail::SERVICE,
            Endpoint::Sts => crate::protocols::sts::SERVICE,
            Endpoint::Kms(_) | Endpoint::Admin(_) | Endpoint::Console(_) => trent_api::SIGNING_NAME,
        }
    }

    fn source(&self) -> crate::audit::event::Source {
        use crate::audit::event::Source;
        match self {
            Endpoint::Kms(_) => Source::Kms,
            Endpoint::Admin(_) => Source::Admin,
            Endpoint::CloudTrail(_) => Source::CloudTrail,
            Endpoint::Sts => Source::Sts,
            Endpoint::Console(_) => Source::Console,
        }
    }
}

/// STS requests are answered by [`sts_request`] before the JSON path starts.
fn unreachable_sts() -> Result<Reply, ApiError> {
    Err(ApiError::from(WireError::new(
        ErrorCode::UnknownOperationException,
        "",
    )))
}

/// A successful answer: its body, and what the audit event records of it (a write's response;
/// nothing of a read or a cryptographic result).
struct Reply {
    body: Vec<u8>,
    recorded: Option<serde_json::Value>,
}

impl Reply {
    fn unrecorded(body: Vec<u8>) -> Reply {
        Reply {
            body,
            recorded: None,
        }
    }
}

/// A response body, or `KMSInternalException` if it cannot be encoded.
fn encode<T: serde::Serialize>(value: &T, what: &str) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(value).map_err(|e| ApiError {
        wire: WireError::internal(),
        detail: Some(format!("encoding the {what} response: {e}")),
    })
}

/// Decodes the request for `O`, runs the handler, and encodes the typed response once, with
/// what the audit event records of it.
async fn call<O, F, Fut>(
    state: Arc<AppState>,
    ctx: RequestContext,
    body: serde_json::Value,
    handler: F,
) -> Result<Reply, ApiError>
where
    O: Operation,
    F: FnOnce(Arc<AppState>, RequestContext, O::Request) -> Fut,
    Fut: Future<Output = Result<O::Response, ApiError>>,
{
    let (request, grant_tokens) = op::decode_value_with_tokens::<O>(body)?;
    let mut ctx = ctx;
    ctx.grant_tokens = grant_tokens;
    ctx.operation = O::NAME;
    let response = handler(state, ctx, request).await?;
    let recorded = if O::SPEC.read_only {
        None
    } else {
        serde_json::to_value(&response).ok()
    };
    Ok(Reply {
        body: encode(&response, O::NAME)?,
        recorded,
    })
}

/// A handler's answer, to be awaited.
type Answer = Pin<Box<dyn Future<Output = Result<Reply, ApiError>> + Send>>;

/// A served operation: its spec and its handler.
struct Route {
    spec: &'static op::OperationSpec,
    handler: fn(Arc<AppState>, RequestContext, serde_json::Value) -> Answer,
}

/// The operation table, built from the operations' marker types: each name once.
macro_rules! routes {
    ($($op:ident => $handler:path,)*) => {
        [$(Route {
            spec: &<op::$op as Operation>::SPEC,
            handler: |state, ctx, body| Box::pin(call::<op::$op, _, _>(state, ctx, body, $handler)),
        }),*]
    };
}

static ROUTES: LazyLock<HashMap<&'static str, Route>> = LazyLock::new(|| {
    routes! {
        CreateKey => keys::create_key,
        DescribeKey => keys::describe_key,
        ListKeys => keys::list_keys,
        EnableKey => keys::enable_key,
        DisableKey => keys::disable_key,
        UpdateKeyDescription => keys::update_key_description,
        ScheduleKeyDeletion => keys::schedule_key_deletion,
        CancelKeyDeletion => keys::cancel_key_deletion,
        ReplicateKey => keys::replicate_key,
        UpdatePrimaryRegion => keys::update_primary_region,
        GetKeyLastUsage => keys::get_key_last_usage,
        Encrypt => encrypt::encrypt,
        Decrypt => encrypt::decrypt,
        ReEncrypt => encrypt::re_encrypt,
        GenerateDataKey => data_keys::generate_data_key,
        GenerateDataKeyWithoutPlaintext => data_keys::generate_data_key_without_plaintext,
        GenerateDataKeyPair => data_keys::generate_data_key_pair,
        GenerateDataKeyPairWithoutPlaintext => data_keys::generate_data_key_pair_without_plaintext,
        GenerateRandom => random::generate_random,
        CreateAlias => aliases::create_alias,
        UpdateAlias => aliases::update_alias,
        DeleteAlias => aliases::delete_alias,
        ListAliases => aliases::list_aliases,
        TagResource => tags::tag_resource,
        UntagResource => tags::untag_resource,
        ListResourceTags => tags::list_resource_tags,
        Sign => sign::sign,
        Verify => sign::verify,
        GetPublicKey => sign::get_public_key,
        GenerateMac => mac::generate_mac,
        VerifyMac => mac::verify_mac,
        DeriveSharedSecret => agreement::derive_shared_secret,
        Encapsulate => kem::encapsulate,
        Decapsulate => kem::decapsulate,
        GetKeyPolicy => key_policies::get_key_policy,
        PutKeyPolicy => key_policies::put_key_policy,
        ListKeyPolicies => key_policies::list_key_policies,
        CreateGrant => grants::create_grant,
        ListGrants => grants::list_grants,
        ListRetirableGrants => grants::list_retirable_grants,
        RetireGrant => grants::retire_grant,
        RevokeGrant => grants::revoke_grant,
        EnableKeyRotation => rotation::enable_key_rotation,
        DisableKeyRotation => rotation::disable_key_rotation,
        GetKeyRotationStatus => rotation::get_key_rotation_status,
        RotateKeyOnDemand => rotation::rotate_key_on_demand,
        ListKeyRotations => rotation::list_key_rotations,
        GetParametersForImport => import::get_parameters_for_import,
        ImportKeyMaterial => import::import_key_material,
        DeleteImportedKeyMaterial => import::delete_imported_key_material,
        CreateCustomKeyStore => key_stores::create_custom_key_store,
        ConnectCustomKeyStore => key_stores::connect_custom_key_store,
        DisconnectCustomKeyStore => key_stores::disconnect_custom_key_store,
        UpdateCustomKeyStore => key_stores::update_custom_key_store,
        DeleteCustomKeyStore => key_stores::delete_custom_key_store,
        DescribeCustomKeyStores => key_stores::describe_custom_key_stores,
    }
    .into_iter()
    .map(|route| (route.spec.name, route))
    .collect()
});

/// An operation of the model that Trent does not serve: validated first, as AWS would, so
/// that a malformed request still gets its real error.
fn unserved(operation: &str, body: &serde_json::Value) -> Result<Reply, ApiError> {
    trent_api::model::validate(operation, body)?;
    Err(ApiError::from(WireError::new(
        ErrorCode::UnsupportedOperationException,
        format!("{operation} is not supported by this version of Trent."),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_served_operation_has_a_route_and_no_route_is_unknown() {
        assert_eq!(ROUTES.len(), op::OPERATIONS.len());
        for spec in op::OPERATIONS {
            let route = ROUTES.get(spec.name).expect(spec.name);
            assert_eq!(route.spec, spec);
            assert!(
                trent_api::model::is_known_operation(spec.name),
                "{}",
                spec.name
            );
        }
    }
}
