//! The HTTPS client Trent as a KMS calls external key store proxies with: SigV4-signed XKS
//! requests over kept-alive HTTP/1.1 connections, each call within one deadline, its failures
//! sorted the way AWS's connection error codes need (TCP, TLS, timeout, answer).
//!
//! hyper's low-level HTTP/1.1 connection with a small pool per host is used instead of a
//! general client: it gives `connect_to`, a deadline over connect, handshake and answer
//! together, and the failure of each step by itself (ADR 0020).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use trent_api::xks;
use trent_core::backend::{
    XksAnswer, XksCall, XksCiphertext, XksFault, XksProxies, XksRefusal, XksRequestMetadata,
    XksTarget,
};

use crate::failure::Failure;
use crate::xks::config::{DEFAULT_TIMEOUT_MS, XksClientConfig};

/// Idle connections kept per host.
const POOL_PER_HOST: usize = 64;
/// The largest answer read from a proxy.
const MAX_ANSWER: usize = 64 * 1024;

type Sender = SendRequest<Full<Bytes>>;

/// The client: TLS settings, where to dial, the deadline and the idle connections.
pub struct XksClient {
    tls: tokio_rustls::TlsConnector,
    connect_to: BTreeMap<String, SocketAddr>,
    timeout: Duration,
    idle: Mutex<HashMap<String, Vec<Sender>>>,
}

impl std::fmt::Debug for XksClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XksClient")
            .field("connect_to", &self.connect_to)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl XksClient {
    pub fn new(config: &XksClientConfig) -> Result<XksClient, Failure> {
        let bad = |m: String| Failure::Config(format!("[external_key_store]: {m}"));
        let mut roots = rustls::RootCertStore::empty();
        match &config.ca_file {
            Some(path) => {
                for cert in crate::http::tls::read_certs(path)? {
                    roots
                        .add(cert)
                        .map_err(|e| bad(format!("ca_file {}: {e}", path.display())))?;
                }
            }
            None => {
                let found = rustls_native_certs::load_native_certs();
                for e in &found.errors {
                    tracing::warn!(error = %e, "a system trust anchor for external key store proxies cannot be read");
                }
                for cert in found.certs {
                    let _ = roots.add(cert);
                }
                if roots.is_empty() {
                    tracing::warn!(
                        "no system trust anchors: external key store proxies are reached only with [external_key_store] ca_file"
                    );
                }
            }
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| bad(e.to_string()))?
            .with_root_certificates(roots);
        let mut tls = match (&config.client_cert_file, &config.client_key_file) {
            (Some(cert), Some(key)) => builder
                .with_client_auth_cert(
                    crate::http::tls::read_certs(cert)?,
                    crate::http::tls::read_key(key)?,
                )
                .map_err(|e| bad(format!("client certificate: {e}")))?,
            (None, None) => builder.with_no_client_auth(),
            _ => {
                return Err(bad(
                    "client_cert_file and client_key_file go together".to_owned()
                ));
            }
        };
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(XksClient {
            tls: tokio_rustls::TlsConnector::from(Arc::new(tls)),
            connect_to: config.connect_to.clone(),
            timeout: Duration::from_millis(config.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS)),
            idle: Mutex::new(HashMap::new()),
        })
    }

    /// An idle connection to `host` (`true`: it was pooled), or a new one.
    async fn connection(&self, host: &str) -> Result<(Sender, bool), XksFault> {
        loop {
            let idle = self
                .idle
                .lock()
                .ok()
                .and_then(|mut idle| idle.get_mut(host).and_then(Vec::pop));
            match idle {
                Some(sender) if !sender.is_closed() => return Ok((sender, true)),
                Some(_) => continue,
                None => break,
            }
        }
        Ok((self.connect(host).await?, false))
    }

    /// A new connection to `host`: TCP (to `connect_to`'s address, else the host's port 443),
    /// then TLS for the host's name, then HTTP/1.1.
    async fn connect(&self, host: &str) -> Result<Sender, XksFault> {
        let stream = match self.connect_to.get(host) {
            Some(addr) => tokio::net::TcpStream::connect(addr).await,
            None => tokio::net::TcpStream::connect((host, 443)).await,
        }
        .map_err(|e| XksFault::NotReachable(format!("{host}: {e}")))?;
        let _ = stream.set_nodelay(true);
        let name = rustls::pki_types::ServerName::try_from(host.to_owned())
            .map_err(|e| XksFault::Tls(format!("{host}: {e}")))?;
        let tls = self
            .tls
            .connect(name, stream)
            .await
            .map_err(|e| XksFault::Tls(format!("{host}: {e}")))?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| XksFault::NotReachable(format!("{host}: {e}")))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }

    fn put_back(&self, host: &str, sender: Sender) {
        if sender.is_closed() {
            return;
        }
        if let Ok(mut idle) = self.idle.lock() {
            let list = idle.entry(host.to_owned()).or_default();
            if list.len() < POOL_PER_HOST {
                list.push(sender);
            }
        }
    }

    /// One signed POST; the status and the body of the answer.
    async fn post(
        &self,
        target: &XksTarget<'_>,
        path: &str,
        body: Vec<u8>,
    ) -> Result<(u16, Bytes), XksFault> {
        let host = target
            .uri_endpoint
            .strip_prefix("https://")
            .unwrap_or(target.uri_endpoint)
            .to_owned();
        let amz_date = trent_api::sigv4::format_amz_date(unix_now());
        let headers = vec![
            ("host".to_owned(), host.clone()),
            ("x-amz-date".to_owned(), amz_date.clone()),
        ];
        let signable = trent_api::sigv4::Request {
            method: "POST",
            path,
            query: "",
            headers: &headers,
            body: &body,
            body_sha256: None,
        };
        let secret = std::str::from_utf8(target.secret.as_slice())
            .map_err(|_| XksFault::InvalidResponse("the proxy secret is not text".to_owned()))?;
        let authorization = trent_api::sigv4::sign(
            &signable,
            target.access_key_id,
            secret,
            target.region,
            xks::SIGNING_NAME,
        );
        let body = Bytes::from(body);
        let request = || {
            hyper::Request::post(path)
                .header(hyper::header::HOST, &host)
                .header("x-amz-date", &amz_date)
                .header(hyper::header::AUTHORIZATION, &authorization)
                .header(hyper::header::CONTENT_TYPE, xks::CONTENT_TYPE)
                .header(
                    hyper::header::USER_AGENT,
                    concat!("trent/", env!("CARGO_PKG_VERSION")),
                )
                .body(Full::new(body.clone()))
                .map_err(|e| XksFault::InvalidResponse(e.to_string()))
        };
        let unreachable = |e: hyper::Error| XksFault::NotReachable(format!("{host}: {e}"));
        let (mut sender, pooled) = self.connection(&host).await?;
        let sent = match sender.ready().await {
            Ok(()) => sender.send_request(request()?).await,
            Err(e) => Err(e),
        };
        let response = match sent {
            Ok(response) => response,
            // A pooled connection the proxy closed while it was idle fails before any
            // answer: the request goes once more, on a new connection, within the deadline.
            Err(e) if pooled && !e.is_parse() && !e.is_timeout() => {
                tracing::debug!(host = %host, error = %e, "an idle proxy connection was closed; reconnecting");
                sender = self.connect(&host).await?;
                sender.ready().await.map_err(unreachable)?;
                sender.send_request(request()?).await.map_err(unreachable)?
            }
            Err(e) => return Err(unreachable(e)),
        };
        let status = response.status().as_u16();
        let limited = http_body_util::Limited::new(response.into_body(), MAX_ANSWER);
        let bytes = limited
            .collect()
            .await
            .map_err(|e| XksFault::InvalidResponse(format!("reading the answer: {e}")))?
            .to_bytes();
        self.put_back(&host, sender);
        Ok((status, bytes))
    }

    async fn call_within(
        &self,
        target: &XksTarget<'_>,
        metadata: &XksRequestMetadata,
        call: XksCall<'_>,
    ) -> Result<XksAnswer, XksFault> {
        let request_metadata = xks::RequestMetadata {
            aws_principal_arn: metadata.aws_principal_arn.clone(),
            kms_key_arn: metadata.kms_key_arn.clone(),
            kms_operation: metadata.kms_operation.clone(),
            kms_request_id: metadata.kms_request_id.clone(),
            ..xks::RequestMetadata::default()
        };
        let (route, body) = match &call {
            XksCall::Health => (
                xks::Route::Health,
                xks::body(&xks::HealthRequest { request_metadata }),
            ),
            XksCall::Metadata { external_key_id } => (
                xks::Route::Metadata(external_key_id),
                xks::body(&xks::MetadataRequest { request_metadata }),
            ),
            XksCall::Encrypt {
                external_key_id,
                plaintext,
                aad,
            } => (
                xks::Route::Encrypt(external_key_id),
                xks::body(&xks::EncryptRequest {
                    request_metadata,
                    plaintext: trent_api::SecretBlob::new(plaintext.to_vec()),
                    encryption_algorithm: "AES_GCM".to_owned(),
                    additional_authenticated_data: (!aad.is_empty())
                        .then(|| trent_api::Blob(aad.to_vec())),
                    ciphertext_data_integrity_value_algorithm: Some("SHA_256".to_owned()),
                }),
            ),
            XksCall::Decrypt {
                external_key_id,
                ciphertext,
                aad,
            } => (
                xks::Route::Decrypt(external_key_id),
                xks::body(&xks::DecryptRequest {
                    request_metadata,
                    ciphertext: trent_api::Blob(ciphertext.ciphertext.clone()),
                    ciphertext_metadata: (!ciphertext.ciphertext_metadata.is_empty())
                        .then(|| trent_api::Blob(ciphertext.ciphertext_metadata.clone())),
                    encryption_algorithm: "AES_GCM".to_owned(),
                    additional_authenticated_data: (!aad.is_empty())
                        .then(|| trent_api::Blob(aad.to_vec())),
                    authentication_tag: trent_api::Blob(ciphertext.authentication_tag.clone()),
                    initialization_vector: trent_api::Blob(
                        ciphertext.initialization_vector.clone(),
                    ),
                }),
            ),
        };
        let path = xks::route_path(target.uri_path, &route);
        let (status, answer) = self.post(target, &path, body).await?;
        if status != 200 {
            return Err(match xks::Error::parse_body(&answer) {
                Some(e) if e.status() == status => XksFault::Refused(refusal(e.name)),
                _ => XksFault::InvalidResponse(format!(
                    "status {status} without the spec's error body"
                )),
            });
        }
        let malformed = XksFault::InvalidResponse;
        Ok(match call {
            XksCall::Health => {
                let health = xks::HealthResponse::parse(&answer).map_err(malformed)?;
                XksAnswer::Health {
                    managers: health
                        .ekm_fleet_details
                        .into_iter()
                        .map(|d| d.health_status)
                        .collect(),
                }
            }
            XksCall::Metadata { .. } => {
                let meta = xks::MetadataResponse::parse(&answer).map_err(malformed)?;
                XksAnswer::Metadata {
                    key_spec: meta.key_spec,
                    key_usage: meta.key_usage,
                    key_status: meta.key_status,
                }
            }
            XksCall::Encrypt { plaintext, aad, .. } => {
                let sealed = xks::EncryptResponse::parse(&answer, plaintext.len(), aad, true)
                    .map_err(malformed)?;
                XksAnswer::Encrypted(XksCiphertext {
                    ciphertext: sealed.ciphertext.0,
                    initialization_vector: sealed.initialization_vector.0,
                    authentication_tag: sealed.authentication_tag.0,
                    ciphertext_metadata: sealed
                        .ciphertext_metadata
                        .map(|m| m.0)
                        .unwrap_or_default(),
                })
            }
            XksCall::Decrypt { ciphertext, .. } => {
                let opened = xks::DecryptResponse::parse(&answer, ciphertext.ciphertext.len())
                    .map_err(malformed)?;
                XksAnswer::Decrypted(trent_core::secret::Secret::new(
                    opened.plaintext.as_slice().to_vec(),
                ))
            }
        })
    }
}

/// The core's name for a spec error.
fn refusal(name: xks::ErrorName) -> XksRefusal {
    use xks::ErrorName as N;
    match name {
        N::ValidationException => XksRefusal::Validation,
        N::InvalidStateException => XksRefusal::InvalidState,
        N::InvalidCiphertextException => XksRefusal::InvalidCiphertext,
        N::InvalidKeyUsageException => XksRefusal::InvalidKeyUsage,
        N::AuthenticationFailedException => XksRefusal::AuthenticationFailed,
        N::AccessDeniedException => XksRefusal::AccessDenied,
        N::KeyNotFoundException => XksRefusal::KeyNotFound,
        N::InvalidUriPathException => XksRefusal::InvalidUriPath,
        N::ThrottlingException => XksRefusal::Throttling,
        N::UnsupportedOperationException => XksRefusal::UnsupportedOperation,
        N::DependencyTimeoutException => XksRefusal::DependencyTimeout,
        N::InternalException => XksRefusal::Internal,
    }
}

/// SigV4's clock is the system's (the proxy checks it against its own).
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

#[async_trait::async_trait]
impl XksProxies for XksClient {
    async fn call(
        &self,
        target: &XksTarget<'_>,
        metadata: &XksRequestMetadata,
        call: XksCall<'_>,
    ) -> Result<XksAnswer, XksFault> {
        match tokio::time::timeout(self.timeout, self.call_within(target, metadata, call)).await {
            Ok(answer) => answer,
            Err(_) => Err(XksFault::TimedOut),
        }
    }
}
