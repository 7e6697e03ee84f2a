//! Asymmetric and HMAC keys through the SDK, with OpenSSL as the independent judge: every spec
//! and usage, every signing algorithm with RAW and DIGEST messages, RSAES-OAEP both ways, HMAC,
//! GetPublicKey, and the errors for wrong usages, algorithms and digest lengths.
//!
//! This file holds the helpers that hand keys and bytes to OpenSSL and to Python's
//! `cryptography`. `specs.rs` has every spec and usage and what DescribeKey and GetPublicKey
//! say; `signing.rs` Sign and Verify (ML-DSA too); `encryption.rs` RSAES-OAEP; `mac.rs` HMAC;
//! `agreement.rs` ECDH; `kem.rs` ML-KEM; `data_key_pairs.rs` GenerateDataKeyPair.

mod agreement;
mod data_key_pairs;
mod encryption;
mod kem;
mod mac;
mod signing;
mod specs;

use std::path::Path;
use std::process::Command;

use crate::builders::openssl;
use crate::harness::Harness;

/// Writes a DER SubjectPublicKeyInfo as PEM with OpenSSL, proving OpenSSL parses it.
async fn public_pem(dir: &Path, h: &Harness, key: &str) -> std::path::PathBuf {
    let der_path = dir.join(format!("{key}.der"));
    let pem_path = dir.join(format!("{key}.pem"));
    std::fs::write(&der_path, h.public_key(key).await).unwrap();
    openssl(&[
        "pkey",
        "-pubin",
        "-inform",
        "DER",
        "-in",
        der_path.to_str().unwrap(),
        "-out",
        pem_path.to_str().unwrap(),
    ]);
    pem_path
}

/// Runs a Python snippet with `cryptography` (the independent implementation for ML-DSA and
/// ML-KEM); its stdout, trimmed.
fn python(script: &str, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs (scripts/test installs cryptography)");
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}
