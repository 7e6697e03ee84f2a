//! The web console at `/console` on the API's own listener: its embedded assets, sign-in and
//! sign-out, and `/console/api/call`, which hands a signed-in session's calls to the same
//! dispatcher, authorization and audit trail as signed API requests (ADR 0019).
//!
//! - `session.rs`: the sessions (cookie, CSRF token, idle timeout, cap).
//! - `api.rs`: the console's own actions (`TrentConsole.*`: overview, audit search, verify).
//! - `history.rs`: the last hour of requests per operation, for the overview's charts.

pub mod api;
pub mod history;
pub mod session;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use trent_api::secret::SecretString;

use crate::http::dispatch::Caller;
use crate::run::state::AppState;

mod assets {
    include!(concat!(env!("OUT_DIR"), "/console_assets.rs"));
}

/// The name the console's calls carry in the audit trail's `userAgent`.
pub const USER_AGENT: &str = concat!("trent-console/", env!("CARGO_PKG_VERSION"));
/// A sign-in body is a few hundred bytes; this bounds what an unauthenticated client sends.
const MAX_SIGN_IN_BODY: usize = 8 * 1024;
/// The most of a browser's user agent kept in the trail.
const MAX_AGENT: usize = 256;

/// The console's policy: its own scripts and styles only, no framing, no forms elsewhere.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; \
    base-uri 'none'; form-action 'none'";

/// The console's state in the server.
#[derive(Debug)]
pub struct Console {
    pub enabled: bool,
    pub sessions: session::Sessions,
    pub history: history::History,
}

impl Console {
    pub fn new(config: &crate::run::config::ConsoleConfig) -> Console {
        Console {
            enabled: config.enabled,
            sessions: session::Sessions::new(config.idle_timeout_secs, config.max_sessions),
            history: history::History::default(),
        }
    }
}

/// The console's routes, to be merged into the API listener's application.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/console", get(index))
        .route("/console/", get(index))
        .route("/console/{file}", get(asset))
        .route("/console/api/session", get(current_session))
        .route("/console/api/signin", post(sign_in))
        .route("/console/api/signout", post(sign_out))
        .route("/console/api/call", post(call))
        .layer(axum::middleware::map_response(harden))
}

/// Headers every console response carries.
async fn harden(mut response: Response<Body>) -> Response<Body> {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

fn not_found() -> Response<Body> {
    let mut r = Response::new(Body::from("not found\n"));
    *r.status_mut() = StatusCode::NOT_FOUND;
    r
}

fn disabled(state: &AppState) -> bool {
    !state.console.enabled
}

async fn index(State(state): State<Arc<AppState>>) -> Response<Body> {
    if disabled(&state) {
        return not_found();
    }
    serve_asset("index.html")
}

async fn asset(State(state): State<Arc<AppState>>, Path(file): Path<String>) -> Response<Body> {
    if disabled(&state) {
        return not_found();
    }
    serve_asset(&file)
}

fn serve_asset(name: &str) -> Response<Body> {
    let Some((_, bytes)) = assets::ASSETS.iter().find(|(n, _)| *n == name) else {
        return not_found();
    };
    let kind = match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    };
    let mut r = Response::new(Body::from(*bytes));
    let headers = r.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    // Embedded in the binary: revalidated on each load, so an upgrade shows at once.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// A JSON answer of the console's own endpoints, `{"__type", "message"}` on error as the API's.
fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Body> {
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn error(status: StatusCode, kind: &str, message: &str) -> Response<Body> {
    json_response(status, &json!({"__type": kind, "message": message}))
}

fn gone(why: session::Gone) -> Response<Body> {
    match why {
        session::Gone::NotSignedIn => error(
            StatusCode::UNAUTHORIZED,
            "NotSignedIn",
            "Sign in to use the console.",
        ),
        session::Gone::Expired => error(
            StatusCode::UNAUTHORIZED,
            "SessionExpired",
            "Your console session expired after being idle. Sign in again.",
        ),
    }
}

fn cookie(headers: &HeaderMap) -> Option<&str> {
    // Browsers send one Cookie header over HTTP/1.1, several over HTTP/2.
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| session::cookie_value(Some(v)))
}

fn over_tls(request_parts: &axum::http::request::Parts) -> bool {
    request_parts
        .extensions
        .get::<crate::http::tls::OverTls>()
        .is_some()
}

/// Why a request has no session to act as.
#[derive(Debug)]
enum Refused {
    /// The console is switched off (`[console] enabled = false`).
    Disabled,
    Gone(session::Gone),
}

impl Refused {
    fn response(self) -> Response<Body> {
        match self {
            Refused::Disabled => not_found(),
            Refused::Gone(why) => gone(why),
        }
    }
}

/// The session a request's cookie names, and whether its CSRF header is the session's.
fn session_of(state: &AppState, headers: &HeaderMap) -> Result<(session::Session, bool), Refused> {
    if disabled(state) {
        return Err(Refused::Disabled);
    }
    let now = state.kms.clock().now();
    let s = state
        .console
        .sessions
        .touch(cookie(headers), now)
        .map_err(Refused::Gone)?;
    let csrf = headers
        .get(session::CSRF_HEADER)
        .and_then(|v| v.to_str().ok());
    let ok = session::csrf_matches(&s, csrf);
    Ok((s, ok))
}

fn csrf_refused() -> Response<Body> {
    error(
        StatusCode::FORBIDDEN,
        "InvalidCsrfToken",
        "The request did not carry this session's CSRF token.",
    )
}

/// What the console's script learns of its session.
fn describe(state: &AppState, s: &session::Session) -> serde_json::Value {
    let regions: Vec<String> = trent_core::model::AccountId::parse(&s.account)
        .and_then(|a| state.kms.directory().regions(&a))
        .unwrap_or_default()
        .iter()
        .map(|r| r.as_str().to_owned())
        .collect();
    json!({
        "csrfToken": s.csrf,
        "accessKeyId": s.access_key_id,
        "principal": {"arn": s.principal_arn, "account": s.account},
        "region": s.region.as_str(),
        "regions": regions,
        "idleTimeoutSeconds": state.console.sessions.idle_timeout_secs(),
    })
}

/// `GET /console/api/session`: who is signed in, with the CSRF token for its calls.
async fn current_session(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response<Body> {
    match session_of(&state, &headers) {
        Ok((s, _)) => json_response(StatusCode::OK, &describe(&state, &s)),
        Err(r) => r.response(),
    }
}

/// `POST /console/api/signin`'s body.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SignIn {
    access_key_id: String,
    secret_access_key: SecretString,
    session_token: Option<SecretString>,
    region: Option<String>,
}

/// `POST /console/api/signin`: checks the credential as a signed request would be checked,
/// records a `ConsoleLogin` event either way, and on success starts a session.
async fn sign_in(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request<Body>,
) -> Response<Body> {
    if disabled(&state) {
        return not_found();
    }
    let (parts, body) = request.into_parts();
    // A JSON body cannot be sent cross-origin without a preflight, which is never answered:
    // no other site can sign a browser in.
    let json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "SerializationException",
            "Sign-in takes a JSON body (Content-Type: application/json).",
        );
    }
    let bytes = match tokio::time::timeout(
        state.body_timeout,
        axum::body::to_bytes(body, MAX_SIGN_IN_BODY),
    )
    .await
    {
        Ok(Ok(b)) => b,
        Ok(Err(_)) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLargeException",
                &format!("Request body must be at most {MAX_SIGN_IN_BODY} bytes"),
            );
        }
        Err(_) => {
            return error(
                StatusCode::REQUEST_TIMEOUT,
                "RequestTimeoutException",
                "The request body did not arrive in time.",
            );
        }
    };
    let Ok(form) = serde_json::from_slice::<SignIn>(&bytes) else {
        return error(
            StatusCode::BAD_REQUEST,
            "SerializationException",
            "Sign-in takes accessKeyId, secretAccessKey, and optionally sessionToken and region.",
        );
    };
    let access_key_id: String = form.access_key_id.trim().chars().take(128).collect();
    let request_id = uuid::Uuid::new_v4().to_string();
    let result = crate::http::auth::sign_in(
        &state,
        &access_key_id,
        form.secret_access_key.as_str().as_bytes(),
        form.session_token.as_ref().map(SecretString::as_str),
        Some(peer.ip()),
    )
    .and_then(|signed| {
        let region = match form.region.as_deref().map(str::trim) {
            None | Some("") => signed.regions.first().cloned(),
            Some(r) => trent_core::model::Region::parse(r).filter(|r| signed.regions.contains(r)),
        }
        .ok_or_else(|| {
            trent_api::WireError::new(
                trent_api::ErrorCode::ValidationException,
                "The region is not one of this account's regions.",
            )
        })?;
        Ok((signed, region))
    });
    let agent = format!("{USER_AGENT} ({})", browser_agent(&parts.headers));
    let mut facts = crate::audit::event::Facts {
        access_key_id: Some(access_key_id.clone()),
        operation: Some("ConsoleLogin".to_owned()),
        read_only: Some(false),
        ..Default::default()
    };
    if let Ok((signed, region)) = &result {
        let mut principal = signed.principal.clone();
        principal.access_key_id = Some(access_key_id.clone());
        facts.principal = Some(principal);
        facts.region = Some(region.clone());
    }
    let error_of = result
        .as_ref()
        .err()
        .map(|e| (e.code.as_str(), e.message.as_str()));
    let source_ip = peer.ip().to_string();
    let mut event = crate::audit::event::build(
        crate::audit::event::Source::Signin,
        &facts,
        "",
        &request_id,
        &source_ip,
        &agent,
        state.kms.clock().now(),
        None,
        error_of,
    );
    event.event_type = "AwsConsoleSignIn";
    event.response_elements =
        json!({"ConsoleLogin": if result.is_ok() { "Success" } else { "Failure" }});
    // A sign-in turned away for the address's failures is counted into its summary, as a
    // throttled request is, so that a flood costs the trail a few events a second.
    let throttled = error_of.is_some_and(|(code, _)| code == "ThrottlingException");
    let recorded = if throttled {
        state.audit.summarize(&event).await
    } else {
        state.audit.record(&event).await
    };
    if let Err(e) = recorded {
        tracing::error!(error = %e, "could not record a console sign-in");
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "KMSInternalException",
            trent_api::error::INTERNAL_MESSAGE,
        );
    }
    match result {
        Err(e) => {
            let status =
                StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            error(status, e.code.as_str(), &e.message)
        }
        Ok((signed, region)) => {
            let Some((id, s)) = state.console.sessions.start(
                session::NewSession {
                    access_key_id,
                    session_token: signed.session_token,
                    region,
                    principal_arn: signed.principal.arn.clone(),
                    account: signed.principal.account.as_str().to_owned(),
                },
                state.kms.clock().now(),
            ) else {
                return error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "KMSInternalException",
                    trent_api::error::INTERNAL_MESSAGE,
                );
            };
            let mut r = json_response(StatusCode::OK, &describe(&state, &s));
            if let Ok(v) = HeaderValue::from_str(&session::set_cookie(&id, over_tls(&parts))) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
    }
}

/// `POST /console/api/signout`: ends the session (CSRF token required) and clears the cookie.
async fn sign_out(State(state): State<Arc<AppState>>, request: Request<Body>) -> Response<Body> {
    let (parts, _) = request.into_parts();
    let (_, csrf_ok) = match session_of(&state, &parts.headers) {
        Ok(found) => found,
        Err(r) => return r.response(),
    };
    if !csrf_ok {
        return csrf_refused();
    }
    if let Some(id) = cookie(&parts.headers) {
        state.console.sessions.end(id);
    }
    let mut r = json_response(StatusCode::OK, &json!({}));
    if let Ok(v) = HeaderValue::from_str(&session::clear_cookie(over_tls(&parts))) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// `POST /console/api/call`: one API call of a signed-in session, with its CSRF token, served
/// by the endpoint's own dispatcher as that session's principal.
async fn call(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request<Body>,
) -> Response<Body> {
    let (s, csrf_ok) = match session_of(&state, request.headers()) {
        Ok(found) => found,
        Err(r) => return r.response(),
    };
    if !csrf_ok {
        return csrf_refused();
    }
    let user_agent = format!("{USER_AGENT} ({})", browser_agent(request.headers()));
    crate::http::dispatch::serve(
        state,
        peer,
        request,
        Caller::Console {
            session: s,
            user_agent,
        },
    )
    .await
}

/// The browser's `User-Agent`, cut to a length the trail keeps.
fn browser_agent(headers: &HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .chars()
        .take(MAX_AGENT)
        .collect()
}
