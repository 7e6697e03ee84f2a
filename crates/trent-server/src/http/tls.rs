//! TLS with rustls: a certificate and key from PEM files, or a self-signed pair generated for
//! development (`--tls-self-signed`, written to the data directory so clients can trust it);
//! HTTP/1.1 keep-alive and HTTP/2 (ALPN) over it. The front door serves the connections.

use crate::failure::Failure;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Where the certificate comes from.
#[derive(Clone, Debug)]
pub enum TlsSource {
    /// PEM files: the certificate chain and the private key.
    Files { cert: PathBuf, key: PathBuf },
    /// A self-signed certificate for `localhost` and 127.0.0.1, made once and kept in the data
    /// directory (`tls-cert.pem`, `tls-key.pem` 0600).
    SelfSigned,
}

/// A request arrived over TLS (read by authentication for `aws:SecureTransport`).
#[derive(Clone, Copy, Debug)]
pub struct OverTls;

/// Builds the rustls configuration; for a self-signed source, makes the pair first if needed.
pub fn config(source: &TlsSource, data_dir: &Path) -> Result<Arc<ServerConfig>, Failure> {
    let (cert_path, key_path) = match source {
        TlsSource::Files { cert, key } => (cert.clone(), key.clone()),
        TlsSource::SelfSigned => {
            let cert = data_dir.join("tls-cert.pem");
            let key = data_dir.join("tls-key.pem");
            if !cert.exists() || !key.exists() {
                let made = rcgen::generate_simple_self_signed(vec![
                    "localhost".to_owned(),
                    "127.0.0.1".to_owned(),
                ])
                .map_err(|e| {
                    Failure::Network(format!("cannot make a self-signed certificate: {e}"))
                })?;
                write_private(&key, made.signing_key.serialize_pem().as_bytes())?;
                std::fs::write(&cert, made.cert.pem()).map_err(|e| {
                    Failure::Network(format!("cannot write {}: {e}", cert.display()))
                })?;
            }
            (cert, key)
        }
    };
    let certs = read_certs(&cert_path)?;
    let key = read_key(&key_path)?;
    let mut config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            Failure::Network(format!("the certificate and key do not go together: {e}"))
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The certificates of a PEM file (at least one).
pub fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, Failure> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| Failure::Network(format!("cannot read {}: {e}", path.display())))?
        .collect::<Result<_, _>>()
        .map_err(|e| Failure::Network(format!("{}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(Failure::Network(format!(
            "{} holds no certificate",
            path.display()
        )));
    }
    Ok(certs)
}

/// The private key of a PEM file.
pub fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, Failure> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| {
        Failure::Network(format!(
            "cannot read the private key {}: {e}",
            path.display()
        ))
    })
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| Failure::Network(format!("cannot write {}: {e}", path.display())))?;
    file.write_all(bytes)
        .map_err(|e| Failure::Network(format!("cannot write {}: {e}", path.display())))
}
