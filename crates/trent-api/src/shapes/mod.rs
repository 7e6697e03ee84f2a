//! Request and response shapes of the operations Trent serves, named and spelled as in the
//! AWS KMS model; one file per operation family (the same file names as the server's handlers).

pub mod agreement;
pub mod aliases;
pub mod data_keys;
pub mod encrypt;
pub mod grants;
pub mod import;
pub mod kem;
pub mod key_policies;
pub mod key_stores;
pub mod keys;
pub mod mac;
pub mod random;
pub mod rotation;
pub mod sign;
pub mod tags;

use serde::{Deserialize, Serialize};

/// A tag: `{"TagKey": "...", "TagValue": "..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub tag_key: String,
    pub tag_value: String,
}

/// The empty response of operations that return nothing.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Empty {}
