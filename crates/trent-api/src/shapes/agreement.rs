//! DeriveSharedSecret shapes.

use serde::{Deserialize, Serialize};

use crate::blob::{Blob, SecretBlob};

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeriveSharedSecretRequest {
    pub key_id: String,
    pub key_agreement_algorithm: String,
    pub public_key: Blob,
    #[serde(default)]
    pub grant_tokens: Vec<String>,
    pub dry_run: Option<bool>,
    pub recipient: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeriveSharedSecretResponse {
    pub key_id: String,
    pub shared_secret: SecretBlob,
    pub key_agreement_algorithm: String,
    pub key_origin: String,
}
