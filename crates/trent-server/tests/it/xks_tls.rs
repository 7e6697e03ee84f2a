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
