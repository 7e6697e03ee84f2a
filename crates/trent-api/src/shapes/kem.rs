//! Encapsulate and Decapsulate shapes.

use serde::{Deserialize, Serialize};

use crate::blob::{Blob, SecretBlob};

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncapsulateRequest {
    pub key_id: String,
    pub encapsulation_algorithm: String,
    #[serde(default)]
    pub grant_tokens: Vec<String>,
    pub dry_run: Option<bool>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncapsulateResponse {
    pub key_id: String,
    pub shared_secret: SecretBlob,
    pub shared_secret_ciphertext_blob: Blob,
    pub encapsulation_algorithm: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DecapsulateRequest {
    pub key_id: String,
    pub shared_secret_ciphertext_blob: Blob,
    pub encapsulation_algorithm: String,
    #[serde(default)]
    pub grant_tokens: Vec<String>,
    pub dry_run: Option<bool>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DecapsulateResponse {
    pub key_id: String,
    pub shared_secret: SecretBlob,
    pub encapsulation_algorithm: String,
}
