//! The admin API's response shapes, and [`AdminResponse`], which serializes as the one it holds.
//!
//! The fields of each shape are declared in the order of their wire names, the order the
//! server's `serde_json::Value` objects had, so that each body is byte for byte as before.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{AccessKeyStatus, Tag};
use crate::secret::SecretString;
use crate::shapes::Empty;

/// An IAM user, as `CreateUser`, `GetUser` and `ListUsers` return it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct User {
    pub arn: String,
    /// Epoch seconds (a JSON integer).
    pub create_date: i64,
    /// The names of its inline policies.
    pub policies: Vec<String>,
    /// Its inline policies by name: only in `GetUser`'s answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_documents: Option<BTreeMap<String, String>>,
    pub tags: Vec<Tag>,
    pub user_id: String,
    pub user_name: String,
}

/// An IAM role, as `CreateRole`, `GetRole` and `ListRoles` return it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Role {
    pub arn: String,
    /// Its trust policy, verbatim (`null` if it has none).
    pub assume_role_policy_document: Option<String>,
    /// Epoch seconds (a JSON integer).
    pub create_date: i64,
    /// Seconds.
    pub max_session_duration: u32,
    /// The names of its inline policies.
    pub policies: Vec<String>,
    /// Its inline policies by name: only in `GetRole`'s answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_documents: Option<BTreeMap<String, String>>,
    pub role_id: String,
    pub role_name: String,
    pub tags: Vec<Tag>,
}

/// `CreateUser`'s and `GetUser`'s answer: `{"User": …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserResponse {
    pub user: User,
}

/// `CreateRole`'s and `GetRole`'s answer: `{"Role": …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleResponse {
    pub role: Role,
}

/// `ListUsers`' answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListUsersResponse {
    pub users: Vec<User>,
}

/// `ListRoles`' answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListRolesResponse {
    pub roles: Vec<Role>,
}

/// A new account's root access key, with its secret (shown once; redacted in `Debug`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountAccessKey {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    pub status: AccessKeyStatus,
}

/// `CreateAccount`'s answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateAccountResponse {
    pub access_key: AccountAccessKey,
    pub account_id: String,
}

/// An account, as `ListAccounts` returns it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Account {
    pub account_id: String,
    pub regions: Vec<String>,
}

/// `ListAccounts`' answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAccountsResponse {
    pub accounts: Vec<Account>,
}

/// A new access key, with its secret (shown once; redacted in `Debug`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessKey {
    pub access_key_id: String,
    /// Epoch seconds (a JSON integer).
    pub create_date: i64,
    pub secret_access_key: SecretString,
    pub status: AccessKeyStatus,
    /// The user it belongs to; `null` for an account root's key.
    pub user_name: Option<String>,
}

/// `CreateAccessKey`'s answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateAccessKeyResponse {
    pub access_key: AccessKey,
}

/// An access key, as `ListAccessKeys` returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessKeyMetadata {
    pub access_key_id: String,
    pub status: AccessKeyStatus,
    /// The request's `UserName`; `null` when it named none.
    pub user_name: Option<String>,
}

/// `ListAccessKeys`' answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAccessKeysResponse {
    pub access_key_metadata: Vec<AccessKeyMetadata>,
}

/// `RotateRootKey`'s answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotateRootKeyResponse {
    /// How many sealed values were re-sealed.
    pub resealed: u64,
    /// How many earlier root keys were forgotten.
    pub retired: u64,
    /// The id of the root key that seals from now on.
    pub root_key_id: String,
}

/// Any admin answer, serialized as the shape it holds.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum AdminResponse {
    /// `{}`: the deletes, tags, untags, policy puts and deletes, `UpdateAssumeRolePolicy`,
    /// `UpdateAccessKey`, `DeleteAccessKey`.
    Empty(Empty),
    CreateAccount(CreateAccountResponse),
    ListAccounts(ListAccountsResponse),
    /// `CreateUser`, `GetUser`.
    User(UserResponse),
    /// `CreateRole`, `GetRole`.
    Role(RoleResponse),
    ListUsers(ListUsersResponse),
    ListRoles(ListRolesResponse),
    CreateAccessKey(CreateAccessKeyResponse),
    ListAccessKeys(ListAccessKeysResponse),
    RotateRootKey(RotateRootKeyResponse),
}
