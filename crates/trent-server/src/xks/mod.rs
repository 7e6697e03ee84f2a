//! Trent as an external key store proxy: the listener's TLS, the routes of AWS's XKS proxy API
//! v1, SigV4 authentication with `kms-xks-proxy` per key store, each store's quota, the core's
//! calls, and the audit event of every call (ADR 0020).
//!
//! The wire (shapes, error names, limits) is `trent_api::xks`'s; the cryptography and the
//! secondary authorization are the core's (`trent_core::ops::xks_proxy`). A refusal's
//! `errorName` is chosen in one place, [`wire_error`].

pub mod client;
pub mod config;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use serde_json::{Value, json};
use trent_api::xks::{self, ErrorName, Route};
use trent_core::model::AuditNote;
use trent_core::ops::xks_proxy::{ExposedKey, ProxyCaller, ProxyError, ProxyFailure};

use crate::failure::Failure;
use crate::run::state::AppState;
use config::{ProxyKeyStore, ProxySettings};

/// A token bucket: a store's `requests_per_second`, with a burst of one second's worth.
#[derive(Debug)]
struct Bucket {
    rate: f64,
    state: Mutex<(f64, Instant)>,
}

impl Bucket {
    fn new(rate: u32) -> Bucket {
        let rate = f64::from(rate.max(1));
        Bucket {
            rate,
            state: Mutex::new((rate, Instant::now())),
        }
    }

    fn take(&self) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        let now = Instant::now();
        let (tokens, at) = *state;
        let tokens = (tokens + now.duration_since(at).as_secs_f64() * self.rate).min(self.rate);
        if tokens >= 1.0 {
            *state = (tokens - 1.0, now);
            true
        } else {
            *state = (tokens, now);
            false
        }
    }
}

/// One served key store.
#[derive(Debug)]
struct Served {
    settings: ProxyKeyStore,
    bucket: Option<Bucket>,
}

/// The proxy: its key stores (replaced whole by a reload), and the server's state (the KMS,
/// the audit trail).
#[derive(Debug)]
pub struct XksProxy {
    stores: std::sync::RwLock<Arc<Vec<Served>>>,
    state: Arc<AppState>,
    /// This node's name, the proxy's one external key manager in health answers.
    node: String,
    /// The last health check and when it ran: a deep check at most once a second (the spec
    /// allows a cached answer up to a minute old).
    health: Mutex<Option<(Instant, bool)>>,
    /// A health check is running.
    checking: AtomicBool,
    /// The listener's TLS files and client rule, which a reload cannot change.
    tls: TlsFiles,
}

/// What the listener's TLS was built from.
#[derive(Clone, Debug, PartialEq, Eq)]
struct TlsFiles {
    cert_file: std::path::PathBuf,
    key_file: std::path::PathBuf,
    client_ca_file: Option<std::path::PathBuf>,
    client_subject: Option<String>,
}

impl TlsFiles {
    fn of(settings: &ProxySettings) -> TlsFiles {
        TlsFiles {
            cert_file: settings.cert_file.clone(),
            key_file: settings.key_file.clone(),
            client_ca_file: settings.client_ca_file.clone(),
            client_subject: settings.client_subject.clone(),
        }
    }
}

/// Clears the health check's flag when dropped.
struct Checking<'a>(&'a AtomicBool);

impl Drop for Checking<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

fn served(settings: ProxySettings) -> Arc<Vec<Served>> {
    Arc::new(
        settings
            .stores
            .into_iter()
            .map(|s| Served {
                bucket: s.requests_per_second.map(Bucket::new),
                settings: s,
            })
            .collect(),
    )
}

impl XksProxy {
    pub fn new(settings: ProxySettings, state: Arc<AppState>, node: String) -> XksProxy {
        XksProxy {
            tls: TlsFiles::of(&settings),
            stores: std::sync::RwLock::new(served(settings)),
            state,
            node,
            health: Mutex::new(None),
            checking: AtomicBool::new(false),
        }
    }

    /// Serves these key stores, credentials and keys from the next request on (the spec's
    /// credential rotation without a restart). The listener's TLS (its certificate and the
    /// mutual TLS rule) is built once: settings that change it are refused, whole.
    pub fn reload(&self, settings: ProxySettings) -> Result<(), Failure> {
        if TlsFiles::of(&settings) != self.tls {
            return Err(Failure::Config(
                "[xks_proxy] cert_file, key_file, client_ca_file and client_subject change only with a restart; nothing was reloaded".to_owned(),
            ));
        }
        if let Ok(mut stores) = self.stores.write() {
            *stores = served(settings);
        }
        tracing::info!("reloaded [xks_proxy]: its key stores, credentials and keys");
        Ok(())
    }

    fn stores(&self) -> Arc<Vec<Served>> {
        match self.stores.read() {
            Ok(stores) => stores.clone(),
            Err(_) => Arc::new(Vec::new()),
        }
    }

    /// Whether the store and the root key answer, checked at most once a second: one request
    /// checks while the others answer with the last result (a check waits for the store, and
    /// a crowd of them would wait in line behind the audit writer).
    async fn healthy(&self) -> bool {
        let last = self.health.lock().ok().and_then(|h| *h);
        if let Some((at, healthy)) = last
            && (at.elapsed() < std::time::Duration::from_secs(1)
                || self.checking.swap(true, Ordering::AcqRel))
        {
            return healthy;
        }
        // Cleared however this ends: a request dropped mid-check must not stop the checks.
        let _checking = Checking(&self.checking);
        let healthy = self.state.kms.proxy_healthy().await;
        if let Ok(mut h) = self.health.lock() {
            *h = Some((Instant::now(), healthy));
        }
        healthy
    }
}

/// The proxy listener's TLS: the configured certificate, TLS 1.2 and 1.3, HTTP/1.1 and HTTP/2,
/// and with `client_ca_file` a client certificate chained to it whose subject common name is
/// `client_subject` (the handshake fails otherwise, as the spec requires).
pub fn tls_config(settings: &ProxySettings) -> Result<Arc<rustls::ServerConfig>, Failure> {
    let certs = crate::http::tls::read_certs(&settings.cert_file)?;
    let key = crate::http::tls::read_key(&settings.key_file)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| Failure::Config(format!("[xks_proxy] TLS: {e}")))?;
    let builder = match (&settings.client_ca_file, &settings.client_subject) {
        (Some(ca), Some(subject)) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in crate::http::tls::read_certs(ca)? {
                roots
                    .add(cert)
                    .map_err(|e| Failure::Config(format!("[xks_proxy] client_ca_file: {e}")))?;
            }
            let inner = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(|e| Failure::Config(format!("[xks_proxy] client_ca_file: {e}")))?;
            builder.with_client_cert_verifier(Arc::new(SubjectVerifier {
                inner,
                subject: subject.clone(),
            }))
        }
        _ => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|e| Failure::Config(format!("[xks_proxy] cert_file/key_file: {e}")))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A client certificate verifier that also demands a subject common name.
#[derive(Debug)]
struct SubjectVerifier {
    inner: Arc<dyn rustls::server::danger::ClientCertVerifier>,
    subject: String,
}

impl rustls::server::danger::ClientCertVerifier for SubjectVerifier {
    fn root_hint_subjects(&self) -> &[rustls::DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::server::danger::ClientCertVerified, rustls::Error> {
        let verified = self
            .inner
            .verify_client_cert(end_entity, intermediates, now)?;
        let names = common_names(end_entity.as_ref());
        if names.iter().any(|n| n == &self.subject) {
            Ok(verified)
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The subject common names of a DER certificate.
fn common_names(der: &[u8]) -> Vec<String> {
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => cert
            .subject()
            .iter_common_name()
            .filter_map(|cn| cn.as_str().ok().map(str::to_owned))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// The proxy's routes: every path goes to [`handle`], which routes by the spec's paths.
pub fn router(proxy: Arc<XksProxy>) -> Router {
    Router::new().fallback(handle).with_state(proxy)
}

/// The spec's answer to a refusal.
fn refuse(error: &xks::Error) -> Response<Body> {
    let mut response = Response::new(Body::from(error.body()));
    *response.status_mut() =
        StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(xks::CONTENT_TYPE),
    );
    response
}

fn ok(body: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(xks::CONTENT_TYPE),
    );
    response
}

/// The one place a proxy refusal of the core gets its `errorName`.
fn wire_error(e: ProxyError) -> xks::Error {
    match e {
        ProxyError::KeyNotFound(m) => xks::Error::new(ErrorName::KeyNotFoundException, m),
        ProxyError::InvalidState(m) => xks::Error::new(ErrorName::InvalidStateException, m),
        ProxyError::InvalidKeyUsage(m) => xks::Error::new(ErrorName::InvalidKeyUsageException, m),
        ProxyError::AccessDenied(m) => xks::Error::new(ErrorName::AccessDeniedException, m),
        ProxyError::InvalidCiphertext => xks::Error::new(
            ErrorName::InvalidCiphertextException,
            "The request was rejected because the specified ciphertext, initialization vector, additional authenticated data or authentication tag is corrupted, missing, or otherwise invalid.",
        ),
        ProxyError::Internal(detail) => {
            tracing::error!(error = %detail, "an XKS proxy request failed");
            xks::Error::new(
                ErrorName::InternalException,
                "The XKS proxy could not complete the request.",
            )
        }
    }
}

/// What the audit event of a call records, gathered as it is served.
#[derive(Debug, Default)]
struct Noted {
    operation: &'static str,
    access_key_id: Option<String>,
    path_prefix: Option<String>,
    store: Option<usize>,
    external_key_id: Option<String>,
    request: Option<Value>,
    key_arn: Option<String>,
    decision: Option<String>,
}

async fn handle(
    State(proxy): State<Arc<XksProxy>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request<Body>,
) -> Response<Body> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let user_agent = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut noted = Noted::default();
    let stores = proxy.stores();
    let outcome = serve(&proxy, &stores, peer, request, &mut noted).await;
    // A request that named no store of ours is not recorded: nothing authenticated it, and
    // an unauthenticated client must not be able to write the trail at will.
    if let Some(index) = noted.store {
        let error = outcome.as_ref().err();
        let scope = stores.get(index).map(|s| &s.settings.scope);
        let event = event(&proxy, scope, &noted, &request_id, peer, &user_agent, error);
        if let Err(e) = proxy.state.audit.record_entry(event).await {
            tracing::error!(error = %e, "the audit event of an XKS proxy call cannot be written");
            return refuse(&xks::Error::new(
                ErrorName::InternalException,
                "The XKS proxy could not complete the request.",
            ));
        }
    }
    let mut response = match outcome {
        Ok(response) => response,
        Err(error) => refuse(&error),
    };
    if let Ok(id) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amzn-requestid", id);
    }
    response
}

/// The audit event of one call: CloudTrail's shape, from the proxy's own source.
fn event(
    proxy: &XksProxy,
    scope: Option<&trent_core::model::Scope>,
    noted: &Noted,
    request_id: &str,
    peer: SocketAddr,
    user_agent: &str,
    error: Option<&xks::Error>,
) -> trent_core::model::AuditEntry {
    let mut parameters = noted.request.clone().unwrap_or_else(|| json!({}));
    if let (Some(map), Some(id)) = (parameters.as_object_mut(), &noted.external_key_id) {
        map.insert("externalKeyId".into(), json!(id));
    }
    let facts = crate::audit::event::Facts {
        principal: None,
        access_key_id: noted.access_key_id.clone(),
        region: scope.map(|s| s.region.clone()),
        operation: Some(noted.operation.to_owned()),
        read_only: Some(true),
        request_parameters: Some(parameters),
        notes: match (&noted.key_arn, &noted.decision) {
            (Some(arn), decision) => vec![AuditNote {
                resource: arn.clone(),
                decision: decision
                    .clone()
                    .unwrap_or_else(|| "not authorized".to_owned()),
            }],
            _ => Vec::new(),
        },
    };
    let error = error.map(|e| (e.name.as_str(), e.message.as_str()));
    let source_ip = peer.ip().to_string();
    let mut event = crate::audit::event::build(
        crate::audit::event::Source::XksProxy,
        &facts,
        noted.operation,
        request_id,
        &source_ip,
        user_agent,
        proxy.state.kms.clock().now(),
        None,
        error,
    );
    event.user_identity = crate::audit::event::Identity::xks_proxy_credential(
        noted.access_key_id.as_deref(),
        noted.path_prefix.as_deref(),
    );
    if let Some(scope) = scope {
        event.recipient_account_id = Some(crate::audit::event::Text::new(scope.account.as_str()));
    }
    crate::audit::event::entry(&event)
}

/// Serves one request; a refusal is the spec's error.
async fn serve(
    proxy: &XksProxy,
    stores: &[Served],
    peer: SocketAddr,
    request: Request<Body>,
    noted: &mut Noted,
) -> Result<Response<Body>, xks::Error> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let (prefix, route) = xks::parse_path(&path)?;
    noted.operation = route.operation();
    if parts.method != axum::http::Method::POST {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return Ok(response);
    }
    let Some(index) = stores.iter().position(|s| s.settings.path_prefix == prefix) else {
        return Err(xks::Error::new(
            ErrorName::InvalidUriPathException,
            format!("No key store is served under {prefix}{}.", xks::PATH_SUFFIX),
        ));
    };
    let store = stores
        .get(index)
        .ok_or_else(|| xks::Error::new(ErrorName::InternalException, "no such store"))?;
    let too_large = || {
        xks::Error::new(
            ErrorName::UnsupportedOperationException,
            format!("The request body is larger than {} bytes.", xks::MAX_BODY),
        )
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > xks::MAX_BODY) {
        return Err(too_large());
    }
    let state = &proxy.state;
    let ip = peer.ip();
    let now = Instant::now();
    // An address that keeps failing authentication is refused before its body is read, as on
    // the API listener (and turned away at accept by the front door's `Shun`).
    if !state.auth_failures.allows(&ip, now) {
        return Err(xks::Error::new(
            ErrorName::ThrottlingException,
            "Too many requests from this address failed authentication. Retry later.",
        ));
    }
    // The body's bytes are held against the front door's shared budget before any is read.
    let Some(_reservation) = state
        .body_budget
        .reserve(ip, declared.unwrap_or(xks::MAX_BODY))
    else {
        return Err(xks::Error::new(
            ErrorName::ThrottlingException,
            "The proxy is receiving too many request bodies. Retry the request later.",
        ));
    };
    let read = match tokio::time::timeout(
        state.body_timeout,
        crate::http::body::read_hashed(body, xks::MAX_BODY),
    )
    .await
    {
        Ok(Ok(read)) => read,
        Ok(Err(_)) => return Err(too_large()),
        Err(_) => {
            return Err(xks::Error::new(
                ErrorName::ValidationException,
                "The request body did not arrive in time.",
            ));
        }
    };
    let bytes = &read.bytes;
    if let Err(refused) = authenticate(proxy, store, &parts, &path, &read, noted) {
        let _ = state.auth_failures.take(&ip, now);
        return Err(refused);
    }
    noted.store = Some(index);
    noted.path_prefix = Some(store.settings.path_prefix.clone());
    noted.external_key_id = route.external_key_id().map(str::to_owned);
    let answer = match &store.bucket {
        Some(bucket) if !bucket.take() => Err(xks::Error::new(
            ErrorName::ThrottlingException,
            "The request rate of this key store is over its quota.",
        )),
        _ => operate(proxy, store, &route, bytes, noted).await,
    };
    // The operation records what it parsed; a request refused before its body parsed still
    // has its `requestMetadata` in the trail, read here alone (the body is not parsed twice
    // when it is answered).
    if answer.is_err() && noted.request.is_none() {
        noted.request = xks::metadata_of(bytes).map(|m| json!({ "requestMetadata": m }));
    }
    answer.map(ok)
}

/// SigV4 with `kms-xks-proxy`: one of the store's credentials, its Region, `host` and
/// `x-amz-date` signed, five minutes of skew.
fn authenticate(
    proxy: &XksProxy,
    store: &Served,
    parts: &axum::http::request::Parts,
    path: &str,
    body: &crate::http::body::Hashed,
    noted: &mut Noted,
) -> Result<(), xks::Error> {
    // The client hears one answer, whatever failed; the log (at debug: it is the client's
    // to flood) says what.
    let failed = |why: String| {
        tracing::debug!(reason = %why, "XKS proxy request not authenticated");
        xks::Error::new(
            ErrorName::AuthenticationFailedException,
            "The request signature could not be verified.",
        )
    };
    let mut headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    if !headers.iter().any(|(n, _)| n == "host")
        && let Some(authority) = parts.uri.authority()
    {
        // HTTP/2 carries the host as `:authority`.
        headers.push(("host".to_owned(), authority.as_str().to_owned()));
    }
    let signed = trent_api::sigv4::Request {
        method: parts.method.as_str(),
        path,
        query: parts.uri.query().unwrap_or_default(),
        headers: &headers,
        body: &body.bytes,
        body_sha256: Some(body.sha256),
    };
    let auth = trent_api::sigv4::parse(&signed, trent_api::sigv4::Rules::default())
        .map_err(|e| failed(e.message))?;
    noted.access_key_id = Some(auth.access_key_id.clone());
    for needed in ["host", "x-amz-date"] {
        if !auth.signed_headers.iter().any(|h| h == needed) {
            return Err(failed(format!("The {needed} header must be signed.")));
        }
    }
    let Some(credential) = store
        .settings
        .credentials
        .iter()
        .find(|c| c.access_key_id == auth.access_key_id)
    else {
        return Err(failed(format!(
            "the access key id {} is not a credential of this key store",
            auth.access_key_id
        )));
    };
    let now = proxy.state.auth_clock.now().0 / 1000;
    proxy
        .state
        .signing_keys
        .verify(
            &signed,
            &auth,
            credential.secret.as_bytes(),
            xks::SIGNING_NAME,
            now,
        )
        .map_err(|e| failed(e.message))?;
    if auth.region != store.settings.scope.region.as_str() {
        return Err(failed(format!(
            "the credential is scoped to {}, not the key store's Region {}",
            auth.region, store.settings.scope.region
        )));
    }
    Ok(())
}

fn exposed<'a>(store: &'a Served, route: &Route<'_>) -> Result<&'a ExposedKey, xks::Error> {
    let id = route.external_key_id().unwrap_or_default();
    store.settings.keys.get(id).ok_or_else(|| {
        xks::Error::new(
            ErrorName::KeyNotFoundException,
            format!("External key {id} is not found."),
        )
    })
}

/// The operation itself: the body parsed, the core called, the answer rendered.
async fn operate(
    proxy: &XksProxy,
    store: &Served,
    route: &Route<'_>,
    body: &[u8],
    noted: &mut Noted,
) -> Result<Vec<u8>, xks::Error> {
    let kms = &proxy.state.kms;
    let scope = &store.settings.scope;
    match route {
        Route::Health => {
            let request = xks::parse_health(body)?;
            noted.request = Some(json!({ "requestMetadata": request.request_metadata }));
            let healthy = proxy.healthy().await;
            Ok(xks::body(&xks::HealthResponse {
                xks_proxy_fleet_size: 1,
                xks_proxy_vendor: "Trent".to_owned(),
                xks_proxy_model: format!("Trent {}", env!("CARGO_PKG_VERSION")),
                ekm_vendor: "Trent".to_owned(),
                ekm_fleet_details: vec![xks::EkmFleetDetail {
                    id: proxy.node.clone(),
                    model: format!("Trent key store {}", env!("CARGO_PKG_VERSION")),
                    health_status: if healthy { "ACTIVE" } else { "UNAVAILABLE" }.to_owned(),
                }],
            }))
        }
        Route::Metadata(_) => {
            let request = xks::parse_metadata(body)?;
            noted.request = Some(json!({ "requestMetadata": request.request_metadata }));
            let key = exposed(store, route)?;
            let meta = &request.request_metadata;
            let answer = kms
                .proxy_key_metadata(scope, key, caller(meta))
                .await
                .map_err(|e| refused(noted, e))?;
            noted.key_arn = Some(answer.arn.clone());
            noted.decision = Some("allowed".to_owned());
            let mut usage = Vec::new();
            if answer.encrypt {
                usage.push("ENCRYPT".to_owned());
            }
            if answer.decrypt {
                usage.push("DECRYPT".to_owned());
            }
            Ok(xks::body(&xks::MetadataResponse {
                key_spec: "AES_256".to_owned(),
                key_usage: usage,
                key_status: if answer.enabled {
                    "ENABLED"
                } else {
                    "DISABLED"
                }
                .to_owned(),
            }))
        }
        Route::Encrypt(_) => {
            let request = xks::parse_encrypt(body)?;
            noted.request = Some(json!({
                "requestMetadata": request.request_metadata,
                "encryptionAlgorithm": request.encryption_algorithm,
                "ciphertextDataIntegrityValueAlgorithm": request.ciphertext_data_integrity_value_algorithm,
            }));
            let key = exposed(store, route)?;
            let aad = bytes(&request.additional_authenticated_data);
            let sealed = kms
                .proxy_encrypt(
                    scope,
                    key,
                    caller(&request.request_metadata),
                    request.plaintext.as_slice(),
                    |metadata| xks::key_manager_aad(aad, metadata),
                )
                .await
                .map_err(|e| refused(noted, e))?;
            noted.key_arn = Some(sealed.arn.clone());
            noted.decision = Some("allowed".to_owned());
            let integrity = request
                .ciphertext_data_integrity_value_algorithm
                .is_some()
                .then(|| {
                    trent_api::Blob(
                        xks::integrity_value(
                            aad,
                            &sealed.ciphertext_metadata,
                            &sealed.initialization_vector,
                            &sealed.ciphertext,
                            &sealed.authentication_tag,
                        )
                        .to_vec(),
                    )
                });
            Ok(xks::body(&xks::EncryptResponse {
                ciphertext: trent_api::Blob(sealed.ciphertext),
                ciphertext_metadata: Some(trent_api::Blob(sealed.ciphertext_metadata)),
                initialization_vector: trent_api::Blob(sealed.initialization_vector),
                authentication_tag: trent_api::Blob(sealed.authentication_tag),
                ciphertext_data_integrity_value: integrity,
            }))
        }
        Route::Decrypt(_) => {
            let request = xks::parse_decrypt(body)?;
            noted.request = Some(json!({
                "requestMetadata": request.request_metadata,
                "encryptionAlgorithm": request.encryption_algorithm,
            }));
            let key = exposed(store, route)?;
            let aad = bytes(&request.additional_authenticated_data);
            let metadata = bytes(&request.ciphertext_metadata);
            let (arn, plaintext) = kms
                .proxy_decrypt(
                    scope,
                    key,
                    caller(&request.request_metadata),
                    &request.ciphertext.0,
                    &request.initialization_vector.0,
                    &request.authentication_tag.0,
                    metadata,
                    |metadata| xks::key_manager_aad(aad, metadata),
                )
                .await
                .map_err(|e| refused(noted, e))?;
            noted.key_arn = Some(arn);
            noted.decision = Some("allowed".to_owned());
            Ok(xks::body(&xks::DecryptResponse {
                plaintext: trent_api::SecretBlob::new(plaintext.as_slice().to_vec()),
            }))
        }
    }
}

/// An optional blob's bytes; none when absent (the spec's empty AAD or metadata).
fn bytes(blob: &Option<trent_api::Blob>) -> &[u8] {
    blob.as_ref().map(|b| b.0.as_slice()).unwrap_or_default()
}

/// Who the request says it is for.
fn caller(meta: &xks::RequestMetadata) -> ProxyCaller<'_> {
    ProxyCaller {
        aws_principal_arn: meta.aws_principal_arn.as_deref(),
        kms_key_arn: meta.kms_key_arn.as_deref(),
        kms_request_id: &meta.kms_request_id,
        kms_operation: &meta.kms_operation,
    }
}

/// A refusal after the key was found names the key and why in the trail.
fn refused(noted: &mut Noted, failure: ProxyFailure) -> xks::Error {
    if failure.key_arn.is_some() {
        noted.key_arn = failure.key_arn;
        noted.decision = Some(match &failure.error {
            ProxyError::AccessDenied(why) => format!("denied: {why}"),
            other => format!("refused: {other}"),
        });
    }
    wire_error(failure.error)
}
