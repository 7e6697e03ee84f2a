//! Starting a server in a temporary data directory and pointing clients at it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_sdk_kms::config::{Credentials, Region};
use aws_sdk_kms::error::ProvideErrorMetadata;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use trent_core::testing::ManualClock;
use trent_server::{RunningServer, ServerOptions};

use crate::builders::created;

pub struct Harness {
    pub server: RunningServer,
    pub dir: TempDir,
    pub clock: ManualClock,
    pub access_key_id: String,
    pub secret: String,
}

impl Harness {
    pub async fn start() -> Harness {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut ServerOptions)) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(dir, ManualClock::new(), configure).await
    }

    pub async fn start_in(
        dir: TempDir,
        clock: ManualClock,
        configure: impl FnOnce(&mut ServerOptions),
    ) -> Harness {
        let mut options =
            ServerOptions::new("127.0.0.1:0".parse().unwrap(), dir.path().join("data"));
        options.clock = Arc::new(clock.clone());
        // The suite calls far faster than AWS's per-operation quotas allow (CreateAlias: 5/s);
        // `tests/it/quotas.rs` runs with them on.
        options.rate_limits = trent_core::quota::RateLimits::off();
        configure(&mut options);
        let server = trent_server::start(options).await.expect("server starts");
        let (access_key_id, secret) = match &server.default_identity {
            Some(id) => (id.access_key_id.clone(), id.secret.to_string()),
            None => (String::new(), String::new()),
        };
        Harness {
            server,
            dir,
            clock,
            access_key_id,
            secret,
        }
    }

    /// Stops the server and starts a new one on the same data directory.
    pub async fn restart(self) -> Harness {
        self.restart_with(|_| {}).await
    }

    /// Stops the server and starts a new one on the same data directory and clock, with
    /// `configure` applied to its options (a server's config file and listeners are not
    /// remembered: give them again).
    pub async fn restart_with(self, configure: impl FnOnce(&mut ServerOptions)) -> Harness {
        let Harness {
            server, dir, clock, ..
        } = self;
        server.shutdown().await.unwrap();
        Self::start_in(dir, clock, configure).await
    }

    pub fn data_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    pub fn client(&self) -> aws_sdk_kms::Client {
        self.client_for("us-east-1", &self.access_key_id, &self.secret)
    }

    pub fn client_in(&self, region: &str) -> aws_sdk_kms::Client {
        self.client_for(region, &self.access_key_id, &self.secret)
    }

    pub fn client_for(&self, region: &str, akid: &str, secret: &str) -> aws_sdk_kms::Client {
        aws_sdk_kms::Client::from_conf(self.config_for(region, akid, secret).build())
    }

    /// The configuration of [`Harness::client_for`] (retries off), to adjust before building.
    pub fn config_for(
        &self,
        region: &str,
        akid: &str,
        secret: &str,
    ) -> aws_sdk_kms::config::Builder {
        aws_sdk_kms::Config::builder()
            .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .endpoint_url(self.server.endpoint())
            .credentials_provider(Credentials::new(akid, secret, None, None, "test"))
            .retry_config(aws_sdk_kms::config::retry::RetryConfig::disabled())
    }

    /// An HTTPS client for the SDK that trusts only this server's self-signed certificate
    /// (a server started with `TlsSource::SelfSigned`).
    pub fn trusting_http_client(&self) -> aws_sdk_kms::config::SharedHttpClient {
        use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
        let pem = std::fs::read(self.data_dir().join("tls-cert.pem")).unwrap();
        aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .tls_context(
                TlsContext::builder()
                    .with_trust_store(TrustStore::empty().with_pem_certificate(pem))
                    .build()
                    .unwrap(),
            )
            .build_https()
    }

    /// The default identity: its access key id and secret.
    pub fn who(&self) -> (&str, &str) {
        (&self.access_key_id, &self.secret)
    }

    /// Creates a symmetric key and returns its key id.
    pub async fn key(&self) -> String {
        created(self.client().create_key()).await.key_id
    }

    /// Creates a key of `spec` for `usage` and returns its key id.
    pub async fn key_of(
        &self,
        spec: aws_sdk_kms::types::KeySpec,
        usage: aws_sdk_kms::types::KeyUsageType,
    ) -> String {
        created(self.client().create_key().key_spec(spec).key_usage(usage))
            .await
            .key_id
    }

    /// The DER SubjectPublicKeyInfo that GetPublicKey returns for `key`.
    pub async fn public_key(&self, key: &str) -> Vec<u8> {
        self.client()
            .get_public_key()
            .key_id(key)
            .send()
            .await
            .unwrap()
            .public_key
            .unwrap()
            .into_inner()
    }

    /// Encrypts with the default client and returns the ciphertext blob.
    pub async fn encrypt(&self, key: &str, plaintext: &str) -> aws_sdk_kms::primitives::Blob {
        self.client()
            .encrypt()
            .key_id(key)
            .plaintext(aws_sdk_kms::primitives::Blob::new(plaintext))
            .send()
            .await
            .unwrap()
            .ciphertext_blob
            .unwrap()
    }

    /// DescribeKey with the default client.
    pub async fn describe(&self, key: &str) -> aws_sdk_kms::types::KeyMetadata {
        self.client()
            .describe_key()
            .key_id(key)
            .send()
            .await
            .unwrap()
            .key_metadata
            .unwrap()
    }

    /// Sends a raw HTTP/1.1 request and returns (status, headers, body).
    pub async fn raw(&self, request: &[u8]) -> (u16, String, String) {
        raw_to(self.server.local_addr, request).await
    }

    /// A signed (or, with `sign` false, unsigned) AWS JSON request, as raw bytes.
    pub fn request(&self, target: &str, body: &str, sign: bool) -> Vec<u8> {
        let all = ["content-type", "host", "x-amz-date", "x-amz-target"];
        self.request_signing(target, body, if sign { &all } else { &[] })
    }

    /// An AWS JSON request whose signature covers only the headers named in `signed` (none:
    /// unsigned), as clients such as `aws-requests-auth` sign `host;x-amz-date` alone.
    pub fn request_signing(&self, target: &str, body: &str, signed: &[&str]) -> Vec<u8> {
        let who = (self.access_key_id.as_str(), self.secret.as_str());
        signed_request(self.server.local_addr, "kms", who, target, body, signed)
    }
}

/// Sends a raw HTTP/1.1 request to `addr` and returns (status, headers, body).
pub async fn raw_to(addr: std::net::SocketAddr, request: &[u8]) -> (u16, String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut buf = Vec::new();
    let _ = stream.read_to_end(&mut buf).await;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_owned(), body.to_owned())
}

/// A CloudTrail `LookupEvents` call as `who` (access key id, secret), signed as the AWS CLI
/// signs it.
pub fn lookup_events(addr: std::net::SocketAddr, who: (&str, &str), body: &str) -> Vec<u8> {
    let all = ["content-type", "host", "x-amz-date", "x-amz-target"];
    let target = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents";
    signed_request(addr, "cloudtrail", who, target, body, &all)
}

/// An AWS JSON request to `addr` for `service`, signed by `who` (access key id, secret) over
/// the headers named in `signed` (none: unsigned).
pub fn signed_request(
    addr: std::net::SocketAddr,
    service: &str,
    who: (&str, &str),
    target: &str,
    body: &str,
    signed: &[&str],
) -> Vec<u8> {
    let host = addr.to_string();
    let date = trent_api::sigv4::format_amz_date(now_unix());
    let mut headers = vec![
        (
            "content-type".to_owned(),
            "application/x-amz-json-1.1".to_owned(),
        ),
        ("host".to_owned(), host),
        ("x-amz-date".to_owned(), date),
        ("x-amz-target".to_owned(), target.to_owned()),
    ];
    if !signed.is_empty() {
        let covered: Vec<(String, String)> = headers
            .iter()
            .filter(|(n, _)| signed.contains(&n.as_str()))
            .cloned()
            .collect();
        let req = trent_api::sigv4::Request {
            method: "POST",
            path: "/",
            query: "",
            headers: &covered,
            body: body.as_bytes(),
            body_sha256: None,
        };
        let auth = trent_api::sigv4::sign(&req, who.0, who.1, "us-east-1", service);
        headers.push(("authorization".to_owned(), auth));
    }
    let mut out = String::from("POST / HTTP/1.1\r\n");
    for (n, v) in &headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ));
    out.into_bytes()
}

/// The server process's resident and peak memory, in KiB.
pub fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    };
    (field("VmRSS:"), field("VmHWM:"))
}

pub fn now_unix() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// The `__type` and message of a failed SDK call.
pub fn error_of<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, E>,
) -> (String, String) {
    let e = result.expect_err("the call should fail");
    (
        e.code().unwrap_or("<no code>").to_owned(),
        e.message().unwrap_or("").to_owned(),
    )
}

/// Whether `needle` occurs in the file at `path` (absent files contain nothing).
/// Every file under `dir`, at any depth.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

pub fn file_contains(path: &Path, needle: &[u8]) -> bool {
    let Ok(data) = std::fs::read(path) else {
        return false;
    };
    !needle.is_empty() && data.windows(needle.len()).any(|w| w == needle)
}

/// The request context of account 111122223333's root in us-east-1, for in-process calls.
pub fn root_ctx() -> trent_core::model::RequestContext {
    trent_core::model::RequestContext::new(
        trent_core::model::Principal::root(
            trent_core::model::AccountId::parse("111122223333").unwrap(),
        ),
        trent_core::model::Region::parse("us-east-1").unwrap(),
        "in-process",
    )
}

/// A `Kms` over a SQLite store and root key in `dir`, as the server wires it; the store is
/// returned too so tests can look underneath.
pub fn local_kms(dir: &Path) -> (Arc<trent_store::SqliteStore>, trent_core::Kms) {
    let store = Arc::new(trent_store::SqliteStore::open(&dir.join("t.db")).unwrap());
    let (root, _) = trent_crypto::FileRootKey::open_or_create(&dir.join("root.key")).unwrap();
    let kms = trent_core::Kms::new(
        store.clone(),
        Arc::new(trent_crypto::SoftBackend),
        Arc::new(root),
        Arc::new(trent_core::clock::SystemClock),
    );
    (store, kms)
}
