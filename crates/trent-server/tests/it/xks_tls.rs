//! Certificates for the XKS tests (rcgen): a test CA, leaf certificates it signs, the PEM
//! files a proxy's `cert_file` and `key_file` name, and rustls configurations that serve or
//! trust them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

pub fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name
}

/// A self-signed CA named `subject`.
pub fn authority(subject: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name = name(subject);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

/// A leaf certificate for `dns_names`, signed by `ca`, and its key.
pub fn leaf(
    ca: &CertifiedIssuer<'static, KeyPair>,
    subject: &str,
    dns_names: &[&str],
    usage: ExtendedKeyUsagePurpose,
) -> (rcgen::Certificate, KeyPair) {
    let names: Vec<String> = dns_names.iter().map(|n| (*n).to_owned()).collect();
    let mut params = CertificateParams::new(names).unwrap();
    params.distinguished_name = name(subject);
    params.extended_key_usages = vec![usage];
    params.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &**ca).unwrap();
    (cert, key)
}

/// Writes a server leaf for `host` signed by `ca` into `dir`: `<stem>.crt` (the leaf, then
/// the CA) and `<stem>.key`; their paths.
pub fn write_server_files(
    ca: &CertifiedIssuer<'static, KeyPair>,
    host: &str,
    dir: &Path,
    stem: &str,
) -> (PathBuf, PathBuf) {
    let (cert, key) = leaf(ca, host, &[host], ExtendedKeyUsagePurpose::ServerAuth);
    let cert_file = dir.join(format!("{stem}.crt"));
    let key_file = dir.join(format!("{stem}.key"));
    std::fs::write(&cert_file, format!("{}\n{}", cert.pem(), ca.pem())).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    (cert_file, key_file)
}

/// A rustls server configuration presenting a fresh leaf for `host` signed by `ca`.
pub fn server_config(
    ca: &CertifiedIssuer<'static, KeyPair>,
    host: &str,
) -> Arc<rustls::ServerConfig> {
    let (cert, key) = leaf(ca, host, &[host], ExtendedKeyUsagePurpose::ServerAuth);
    let chain = vec![cert.der().clone(), ca.der().clone()];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap(),
    )
}

/// A rustls client configuration that trusts `ca` alone and presents no certificate.
pub fn client_config(ca: &CertificateDer<'static>) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth(),
    )
}

/// One XKS call over TLS to `addr` (trusting `ca_der`, checking `host`), signed with SigV4 for
/// `kms-xks-proxy` in us-east-1 by `(access key id, secret)`: the status and the JSON answer.
pub async fn signed_post(
    addr: std::net::SocketAddr,
    ca_der: &CertificateDer<'static>,
    host: &str,
    (access_key_id, secret): (&str, &str),
    path: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let body = body.to_string();
    let headers = vec![
        ("host".to_owned(), host.to_owned()),
        (
            "x-amz-date".to_owned(),
            trent_api::sigv4::format_amz_date(crate::harness::now_unix()),
        ),
    ];
    let signed = trent_api::sigv4::Request {
        method: "POST",
        path,
        query: "",
        headers: &headers,
        body: body.as_bytes(),
        body_sha256: None,
    };
    let authorization = trent_api::sigv4::sign(
        &signed,
        access_key_id,
        secret,
        "us-east-1",
        trent_api::xks::SIGNING_NAME,
    );
    let mut request = format!("POST {path} HTTP/1.1\r\n");
    for (name, value) in &headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!(
        "authorization: {authorization}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from(host.to_owned()).unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(client_config(ca_der))
        .connect(name, tcp)
        .await
        .unwrap();
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    // A server may close without close_notify; what arrived is kept.
    let _ = tls.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, rest) = answer
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP answer: {answer:?}"));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let rest = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    (
        status,
        serde_json::from_str(&rest).unwrap_or(serde_json::Value::Null),
    )
}

fn dechunk(mut data: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = data.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        let Some(chunk) = rest.get(..size).filter(|_| size > 0) else {
            break;
        };
        out.push_str(chunk);
        data = rest
            .get(size..)
            .unwrap_or_default()
            .trim_start_matches("\r\n");
    }
    out
}
