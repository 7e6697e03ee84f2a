//! The AWS wire protocols Trent speaks (KMS's first of all), and nothing else.
//!
//! This crate knows AWS JSON 1.1: the request and response shapes, the `X-Amz-Target` operation
//! names, the model-driven request validation, the error `__type`s and their statuses, and
//! Signature Version 4; and the other wires of the same endpoint: STS's query protocol and XML
//! ([`sts`]), the admin API's IAM-shaped JSON ([`admin`]) and CloudTrail's `LookupEvents`
//! ([`cloudtrail`]).
//! It must never depend on `trent-core` or do I/O: the server translates between these shapes
//! and the domain, and the CLI signs requests with the same code.

pub mod admin;
pub mod blob;
pub mod cloudtrail;
pub mod error;
pub mod model;
pub mod operation;
pub mod secret;
pub mod shapes;
pub mod sigv4;
pub mod sts;
pub mod validation;
pub mod xks;

pub use blob::{Blob, EpochMillis, SecretBlob};
pub use error::{ErrorCode, WireError};
pub use operation::Operation;
pub use secret::SecretString;

/// The content type of every request and response.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// The SigV4 signing name of KMS.
pub const SIGNING_NAME: &str = "kms";

#[doc(hidden)]
pub mod fuzzing {
    //! Entry points for the fuzz targets in `fuzz/`.

    /// Feeds arbitrary bytes through body parsing and validation for every operation.
    pub fn request_json(data: &[u8]) {
        if let Ok(value) = crate::operation::parse_body(data) {
            for name in crate::model::operation_names() {
                let _ = crate::model::validate(name, &value);
            }
        }
    }

    /// Feeds an arbitrary `Authorization` header through the SigV4 parser and verifier.
    pub fn sigv4_header(data: &[u8]) {
        let text = String::from_utf8_lossy(data).into_owned();
        let headers = vec![
            ("authorization".to_owned(), text),
            ("host".to_owned(), "localhost".to_owned()),
            ("x-amz-date".to_owned(), "20260101T000000Z".to_owned()),
        ];
        let request = crate::sigv4::Request {
            method: "POST",
            path: "/",
            query: "",
            headers: &headers,
            body: b"{}",
            body_sha256: None,
        };
        if let Ok(auth) = crate::sigv4::parse(&request, crate::sigv4::Rules::default()) {
            let _ = crate::sigv4::verify(&request, &auth, "secret", "kms", 1_767_225_600);
        }
    }

    /// Feeds arbitrary bytes through the XKS proxy API: its first line as a request path, and all
    /// of it as every request and response body.
    pub fn xks_request(data: &[u8]) {
        use crate::xks;
        let first_line = data.split(|b| *b == b'\n').next().unwrap_or_default();
        let _ = xks::parse_path(&String::from_utf8_lossy(first_line));
        let _ = xks::parse_health(data);
        let _ = xks::parse_metadata(data);
        let _ = xks::parse_encrypt(data);
        let _ = xks::parse_decrypt(data);
        let _ = xks::metadata_of(data);
        let _ = xks::Error::parse_body(data);
        let _ = xks::MetadataResponse::parse(data);
        let _ = xks::EncryptResponse::parse(data, 12, data, true);
        let _ = xks::EncryptResponse::parse(data, data.len(), b"", false);
        let _ = xks::DecryptResponse::parse(data, 12);
        let _ = xks::HealthResponse::parse(data);
    }
}
