//! The admin API: `X-Amz-Target: TrentAdmin.<Action>`, AWS JSON 1.1, SigV4-signed for KMS.
//! Its actions manage accounts, IAM users and roles (tags, inline policies, trust policies),
//! access keys and the root key, with IAM's action and member names; its errors are the JSON
//! protocol's ([`WireError`]).
//!
//! Requests are read as the server always read them: members of the wrong type count as
//! absent, except where a member is required, and a policy document may be a JSON string or
//! the document itself. Responses serialize exactly as before: members in name order, the
//! order a `serde_json::Value` object has.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ErrorCode, WireError};
use crate::secret::SecretString;
use crate::shapes::Empty;

/// The target prefix of admin calls.
pub const TARGET_PREFIX: &str = "TrentAdmin.";

macro_rules! admin_actions {
    ($($action:ident,)*) => {
        /// An admin action.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum AdminAction {
            $($action,)*
        }

        impl AdminAction {
            /// Every admin action, for `trent admin --help` and the docs.
            pub const ALL: &'static [AdminAction] = &[$(AdminAction::$action,)*];
            /// Every admin action's name, in the order of [`AdminAction::ALL`].
            pub const NAMES: &'static [&'static str] = &[$(stringify!($action),)*];

            /// The action's name, as in `X-Amz-Target` after [`TARGET_PREFIX`].
            pub fn name(self) -> &'static str {
                match self {
                    $(AdminAction::$action => stringify!($action),)*
                }
            }
        }
    };
}

admin_actions! {
    CreateAccount,
    ListAccounts,
    CreateUser,
    DeleteUser,
    ListUsers,
    GetUser,
    TagUser,
    UntagUser,
    PutUserPolicy,
    DeleteUserPolicy,
    CreateRole,
    DeleteRole,
    ListRoles,
    GetRole,
    TagRole,
    UntagRole,
    PutRolePolicy,
    DeleteRolePolicy,
    UpdateAssumeRolePolicy,
    CreateAccessKey,
    ListAccessKeys,
    UpdateAccessKey,
    DeleteAccessKey,
    RotateRootKey,
}

impl AdminAction {
    /// The action by its name; `None` for a name that is no admin action.
    pub fn parse(name: &str) -> Option<AdminAction> {
        AdminAction::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// Whether it changes nothing (CloudTrail's `readOnly`): the `List…` and `Get…` actions.
    pub fn read_only(self) -> bool {
        let name = self.name();
        name.starts_with("List") || name.starts_with("Get")
    }

    /// The kind of principal a user or role action is about; `None` for the account, access
    /// key and root key actions.
    pub fn principal_kind(self) -> Option<PrincipalKind> {
        use AdminAction::*;
        match self {
            CreateUser | DeleteUser | ListUsers | GetUser | TagUser | UntagUser | PutUserPolicy
            | DeleteUserPolicy => Some(PrincipalKind::User),
            CreateRole
            | DeleteRole
            | ListRoles
            | GetRole
            | TagRole
            | UntagRole
            | PutRolePolicy
            | DeleteRolePolicy
            | UpdateAssumeRolePolicy => Some(PrincipalKind::Role),
            CreateAccount | ListAccounts | CreateAccessKey | ListAccessKeys | UpdateAccessKey
            | DeleteAccessKey | RotateRootKey => None,
        }
    }
}

impl std::fmt::Display for AdminAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An IAM user or role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    User,
    Role,
}

impl PrincipalKind {
    /// The request member that names one: `UserName`, `RoleName`.
    pub fn name_member(self) -> &'static str {
        match self {
            PrincipalKind::User => "UserName",
            PrincipalKind::Role => "RoleName",
        }
    }
}

/// Parses an admin or CloudTrail request body: an empty (or all-whitespace) body is `{}`,
/// anything but JSON is `SerializationException` without a message. Any JSON value passes
/// (members are then looked up on it, and a non-object has none).
pub fn parse_body(body: &[u8]) -> Result<Value, WireError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    serde_json::from_slice(body).map_err(|_| WireError::new(ErrorCode::SerializationException, ""))
}

/// `ValidationException` with a message.
pub fn invalid(message: impl Into<String>) -> WireError {
    WireError::new(ErrorCode::ValidationException, message)
}

/// A required string member.
fn string(input: &Value, name: &str) -> Result<String, WireError> {
    input
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| invalid(format!("{name} is required and must be a string.")))
}

/// A policy document member: a JSON string, or the document itself as an object (then sent
/// on as its compact JSON text).
fn document(input: &Value, name: &str) -> Result<String, WireError> {
    match input.get(name) {
        Some(doc) if doc.is_object() => Ok(doc.to_string()),
        _ => string(input, name),
    }
}

fn opt_string(input: &Value, name: &str) -> Option<String> {
    input.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// `Tags`: `[{"Key": "k", "Value": "v"}]`, as IAM; absent is none, a `Value` may be left out
/// (empty).
fn tags(input: &Value) -> Result<Vec<Tag>, WireError> {
    let Some(list) = input.get("Tags") else {
        return Ok(Vec::new());
    };
    let list = list
        .as_array()
        .ok_or_else(|| invalid("Tags must be a list."))?;
    list.iter()
        .map(|t| {
            Ok(Tag {
                key: string(t, "Key")?,
                value: opt_string(t, "Value").unwrap_or_default(),
            })
        })
        .collect()
}

/// `TagKeys`: its strings (anything else in it, or a `TagKeys` that is no list, is ignored).
fn tag_keys(input: &Value) -> Vec<String> {
    input
        .get("TagKeys")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a text is a region name as Trent accepts one (the same rule as the domain's):
/// 1 to 64 lowercase letters, digits and dashes, not starting with a dash.
pub fn is_region(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
}

/// The error for a region that is not one: `Invalid region "…"` (the value as JSON).
pub fn invalid_region(region: &str) -> WireError {
    invalid(format!("Invalid region {}", Value::from(region)))
}

/// An IAM tag: `{"Key": "...", "Value": "..."}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// An access key's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
pub enum AccessKeyStatus {
    Active,
    Inactive,
}

impl AccessKeyStatus {
    pub fn parse(text: &str) -> Option<AccessKeyStatus> {
        match text {
            "Active" => Some(AccessKeyStatus::Active),
            "Inactive" => Some(AccessKeyStatus::Inactive),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AccessKeyStatus::Active => "Active",
            AccessKeyStatus::Inactive => "Inactive",
        }
    }

    /// `Active` for an enabled key.
    pub fn from_enabled(enabled: bool) -> AccessKeyStatus {
        if enabled {
            AccessKeyStatus::Active
        } else {
            AccessKeyStatus::Inactive
        }
    }

    pub fn is_active(self) -> bool {
        self == AccessKeyStatus::Active
    }
}

// ---- Requests ----

/// `CreateAccount`: `AccountId` (twelve digits), `Regions` (optional).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateAccountRequest {
    pub account_id: String,
    /// `None` when absent (or not a list): the server's default regions.
    pub regions: Option<Vec<String>>,
}

impl CreateAccountRequest {
    pub fn from_value(input: &Value) -> Result<CreateAccountRequest, WireError> {
        let account_id = string(input, "AccountId")?;
        if !(account_id.len() == 12 && account_id.bytes().all(|b| b.is_ascii_digit())) {
            return Err(invalid(format!(
                "AccountId '{account_id}' is not twelve digits."
            )));
        }
        let regions = match input.get("Regions").and_then(Value::as_array) {
            Some(list) => Some(
                list.iter()
                    .map(|r| {
                        r.as_str()
                            .filter(|s| is_region(s))
                            .map(str::to_owned)
                            .ok_or_else(|| invalid(format!("Invalid region {r}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            None => None,
        };
        Ok(CreateAccountRequest {
            account_id,
            regions,
        })
    }
}

/// `CreateUser`: `UserName`, `Tags`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateUserRequest {
    pub user_name: String,
    pub tags: Vec<Tag>,
}

impl CreateUserRequest {
    pub fn from_value(input: &Value) -> Result<CreateUserRequest, WireError> {
        let user_name = string(input, "UserName")?;
        let tags = tags(input)?;
        Ok(CreateUserRequest { user_name, tags })
    }
}

/// `CreateRole`: `RoleName`, `Tags`, `AssumeRolePolicyDocument`, `MaxSessionDuration`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateRoleRequest {
    pub role_name: String,
    pub tags: Vec<Tag>,
    pub assume_role_policy_document: String,
    /// Seconds; a number past `u32` reads as `u32::MAX` (the domain refuses it), anything
    /// but a non-negative integer as absent.
    pub max_session_duration: Option<u32>,
}

impl CreateRoleRequest {
    pub fn from_value(input: &Value) -> Result<CreateRoleRequest, WireError> {
        let max_session_duration = input
            .get("MaxSessionDuration")
            .and_then(Value::as_u64)
            .map(|v| u32::try_from(v).unwrap_or(u32::MAX));
        let role_name = string(input, "RoleName")?;
        let tags = tags(input)?;
        let assume_role_policy_document = document(input, "AssumeRolePolicyDocument")?;
        Ok(CreateRoleRequest {
            role_name,
            tags,
            assume_role_policy_document,
            max_session_duration,
        })
    }
}

/// `DeleteUser`, `GetUser` (`UserName`); `DeleteRole`, `GetRole` (`RoleName`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrincipalRequest {
    pub kind: PrincipalKind,
    pub name: String,
}

impl PrincipalRequest {
    pub fn from_value(kind: PrincipalKind, input: &Value) -> Result<PrincipalRequest, WireError> {
        Ok(PrincipalRequest {
            kind,
            name: string(input, kind.name_member())?,
        })
    }
}

/// `TagUser`, `TagRole`: the name, `Tags`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagPrincipalRequest {
    pub kind: PrincipalKind,
    pub name: String,
    pub tags: Vec<Tag>,
}

impl TagPrincipalRequest {
    pub fn from_value(
        kind: PrincipalKind,
        input: &Value,
    ) -> Result<TagPrincipalRequest, WireError> {
        let name = string(input, kind.name_member())?;
        let tags = tags(input)?;
        Ok(TagPrincipalRequest { kind, name, tags })
    }
}

/// `UntagUser`, `UntagRole`: the name, `TagKeys`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UntagPrincipalRequest {
    pub kind: PrincipalKind,
    pub name: String,
    pub tag_keys: Vec<String>,
}

impl UntagPrincipalRequest {
    pub fn from_value(
        kind: PrincipalKind,
        input: &Value,
    ) -> Result<UntagPrincipalRequest, WireError> {
        Ok(UntagPrincipalRequest {
            kind,
            name: string(input, kind.name_member())?,
            tag_keys: tag_keys(input),
        })
    }
}

/// `PutUserPolicy`, `PutRolePolicy`: the name, `PolicyName`, `PolicyDocument`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutPrincipalPolicyRequest {
    pub kind: PrincipalKind,
    pub name: String,
    pub policy_name: String,
    pub policy_document: String,
}

impl PutPrincipalPolicyRequest {
    pub fn from_value(
        kind: PrincipalKind,
        input: &Value,
    ) -> Result<PutPrincipalPolicyRequest, WireError> {
        let name = string(input, kind.name_member())?;
        let policy_name = string(input, "PolicyName")?;
        let policy_document = document(input, "PolicyDocument")?;
        Ok(PutPrincipalPolicyRequest {
            kind,
            name,
            policy_name,
            policy_document,
        })
    }
}

/// `DeleteUserPolicy`, `DeleteRolePolicy`: the name, `PolicyName`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeletePrincipalPolicyRequest {
    pub kind: PrincipalKind,
    pub name: String,
    pub policy_name: String,
}

impl DeletePrincipalPolicyRequest {
    pub fn from_value(
        kind: PrincipalKind,
        input: &Value,
    ) -> Result<DeletePrincipalPolicyRequest, WireError> {
        let name = string(input, kind.name_member())?;
        let policy_name = string(input, "PolicyName")?;
        Ok(DeletePrincipalPolicyRequest {
            kind,
            name,
            policy_name,
        })
    }
}

/// `UpdateAssumeRolePolicy`: `RoleName`, `PolicyDocument`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateAssumeRolePolicyRequest {
    pub role_name: String,
    pub policy_document: String,
}

impl UpdateAssumeRolePolicyRequest {
    pub fn from_value(input: &Value) -> Result<UpdateAssumeRolePolicyRequest, WireError> {
        let role_name = string(input, "RoleName")?;
        let policy_document = document(input, "PolicyDocument")?;
        Ok(UpdateAssumeRolePolicyRequest {
            role_name,
            policy_document,
        })
    }
}

/// `CreateAccessKey`: `UserName` (absent: the caller's account root).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CreateAccessKeyRequest {
    pub user_name: Option<String>,
}

impl CreateAccessKeyRequest {
    pub fn from_value(input: &Value) -> CreateAccessKeyRequest {
        CreateAccessKeyRequest {
            user_name: opt_string(input, "UserName"),
        }
    }
}

/// `ListAccessKeys`: `UserName` (absent: the caller's account root).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListAccessKeysRequest {
    pub user_name: Option<String>,
}

impl ListAccessKeysRequest {
    pub fn from_value(input: &Value) -> ListAccessKeysRequest {
        ListAccessKeysRequest {
            user_name: opt_string(input, "UserName"),
        }
    }
}

/// `UpdateAccessKey`: `Status`, `AccessKeyId`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateAccessKeyRequest {
    pub access_key_id: String,
    pub status: AccessKeyStatus,
}

impl UpdateAccessKeyRequest {
    /// `Status` is checked (present, then `Active` or `Inactive`) before `AccessKeyId`.
    pub fn from_value(input: &Value) -> Result<UpdateAccessKeyRequest, WireError> {
        let status = string(input, "Status")?;
        let status = AccessKeyStatus::parse(&status).ok_or_else(|| {
            invalid(format!(
                "Status must be Active or Inactive, not '{status}'."
            ))
        })?;
        Ok(UpdateAccessKeyRequest {
            access_key_id: string(input, "AccessKeyId")?,
            status,
        })
    }
}

/// `DeleteAccessKey`: `AccessKeyId`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteAccessKeyRequest {
    pub access_key_id: String,
}

impl DeleteAccessKeyRequest {
    pub fn from_value(input: &Value) -> Result<DeleteAccessKeyRequest, WireError> {
        Ok(DeleteAccessKeyRequest {
            access_key_id: string(input, "AccessKeyId")?,
        })
    }
}

/// A decoded admin request: one variant per action, the user and role twins sharing one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminRequest {
    CreateAccount(CreateAccountRequest),
    ListAccounts,
    CreateUser(CreateUserRequest),
    CreateRole(CreateRoleRequest),
    /// `DeleteUser`, `DeleteRole`.
    DeletePrincipal(PrincipalRequest),
    /// `ListUsers`, `ListRoles`.
    ListPrincipals(PrincipalKind),
    /// `GetUser`, `GetRole`.
    GetPrincipal(PrincipalRequest),
    /// `TagUser`, `TagRole`.
    TagPrincipal(TagPrincipalRequest),
    /// `UntagUser`, `UntagRole`.
    UntagPrincipal(UntagPrincipalRequest),
    /// `PutUserPolicy`, `PutRolePolicy`.
    PutPrincipalPolicy(PutPrincipalPolicyRequest),
    /// `DeleteUserPolicy`, `DeleteRolePolicy`.
    DeletePrincipalPolicy(DeletePrincipalPolicyRequest),
    UpdateAssumeRolePolicy(UpdateAssumeRolePolicyRequest),
    CreateAccessKey(CreateAccessKeyRequest),
    ListAccessKeys(ListAccessKeysRequest),
    UpdateAccessKey(UpdateAccessKeyRequest),
    DeleteAccessKey(DeleteAccessKeyRequest),
    RotateRootKey,
}

impl AdminRequest {
    /// Reads an action's request from its parsed body ([`parse_body`]); a missing or
    /// mistyped required member is `ValidationException` in the server's wording, checked in
    /// the order the server always checked them.
    pub fn from_value(action: AdminAction, input: &Value) -> Result<AdminRequest, WireError> {
        use AdminAction as A;
        let (user, role) = (PrincipalKind::User, PrincipalKind::Role);
        Ok(match action {
            A::CreateAccount => {
                AdminRequest::CreateAccount(CreateAccountRequest::from_value(input)?)
            }
            A::ListAccounts => AdminRequest::ListAccounts,
            A::CreateUser => AdminRequest::CreateUser(CreateUserRequest::from_value(input)?),
            A::CreateRole => AdminRequest::CreateRole(CreateRoleRequest::from_value(input)?),
            A::DeleteUser => {
                AdminRequest::DeletePrincipal(PrincipalRequest::from_value(user, input)?)
            }
            A::DeleteRole => {
                AdminRequest::DeletePrincipal(PrincipalRequest::from_value(role, input)?)
            }
            A::ListUsers => AdminRequest::ListPrincipals(user),
            A::ListRoles => AdminRequest::ListPrincipals(role),
            A::GetUser => AdminRequest::GetPrincipal(PrincipalRequest::from_value(user, input)?),
            A::GetRole => AdminRequest::GetPrincipal(PrincipalRequest::from_value(role, input)?),
            A::TagUser => AdminRequest::TagPrincipal(TagPrincipalRequest::from_value(user, input)?),
            A::TagRole => AdminRequest::TagPrincipal(TagPrincipalRequest::from_value(role, input)?),
            A::UntagUser => {
                AdminRequest::UntagPrincipal(UntagPrincipalRequest::from_value(user, input)?)
            }
            A::UntagRole => {
                AdminRequest::UntagPrincipal(UntagPrincipalRequest::from_value(role, input)?)
            }
            A::PutUserPolicy => AdminRequest::PutPrincipalPolicy(
                PutPrincipalPolicyRequest::from_value(user, input)?,
            ),
            A::PutRolePolicy => AdminRequest::PutPrincipalPolicy(
                PutPrincipalPolicyRequest::from_value(role, input)?,
            ),
            A::DeleteUserPolicy => AdminRequest::DeletePrincipalPolicy(
                DeletePrincipalPolicyRequest::from_value(user, input)?,
            ),
            A::DeleteRolePolicy => AdminRequest::DeletePrincipalPolicy(
                DeletePrincipalPolicyRequest::from_value(role, input)?,
            ),
            A::UpdateAssumeRolePolicy => AdminRequest::UpdateAssumeRolePolicy(
                UpdateAssumeRolePolicyRequest::from_value(input)?,
            ),
            A::CreateAccessKey => {
                AdminRequest::CreateAccessKey(CreateAccessKeyRequest::from_value(input))
            }
            A::ListAccessKeys => {
                AdminRequest::ListAccessKeys(ListAccessKeysRequest::from_value(input))
            }
            A::UpdateAccessKey => {
                AdminRequest::UpdateAccessKey(UpdateAccessKeyRequest::from_value(input)?)
            }
            A::DeleteAccessKey => {
                AdminRequest::DeleteAccessKey(DeleteAccessKeyRequest::from_value(input)?)
            }
            A::RotateRootKey => AdminRequest::RotateRootKey,
        })
    }

    /// Parses a body and reads the action's request from it: a body that is not JSON is
    /// `SerializationException` whatever the action.
    pub fn decode(action: AdminAction, body: &[u8]) -> Result<AdminRequest, WireError> {
        AdminRequest::from_value(action, &parse_body(body)?)
    }
}

// ---- Responses ----
//
// The fields of each shape are declared in the order of their wire names, the order the
// server's `serde_json::Value` objects had, so that each body is byte for byte as before.

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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The server's `admin::ACTIONS`, in its order.
    const SERVER_ACTIONS: &[&str] = &[
        "CreateAccount",
        "ListAccounts",
        "CreateUser",
        "DeleteUser",
        "ListUsers",
        "GetUser",
        "TagUser",
        "UntagUser",
        "PutUserPolicy",
        "DeleteUserPolicy",
        "CreateRole",
        "DeleteRole",
        "ListRoles",
        "GetRole",
        "TagRole",
        "UntagRole",
        "PutRolePolicy",
        "DeleteRolePolicy",
        "UpdateAssumeRolePolicy",
        "CreateAccessKey",
        "ListAccessKeys",
        "UpdateAccessKey",
        "DeleteAccessKey",
        "RotateRootKey",
    ];

    #[test]
    fn every_action_by_name() {
        assert_eq!(AdminAction::NAMES, SERVER_ACTIONS);
        assert_eq!(AdminAction::ALL.len(), SERVER_ACTIONS.len());
        for (action, name) in AdminAction::ALL.iter().zip(SERVER_ACTIONS) {
            assert_eq!(action.name(), *name);
            assert_eq!(AdminAction::parse(name), Some(*action));
            assert_eq!(
                action.read_only(),
                name.starts_with("List") || name.starts_with("Get"),
                "{name}"
            );
            assert_eq!(
                action.principal_kind(),
                if name.contains("User") {
                    Some(PrincipalKind::User)
                } else if name.contains("Role") {
                    Some(PrincipalKind::Role)
                } else {
                    None
                },
                "{name}"
            );
        }
        assert_eq!(AdminAction::parse("CreateKey"), None);
        assert_eq!(AdminAction::parse("createUser"), None);
        let reads: Vec<&str> = AdminAction::ALL
            .iter()
            .filter(|a| a.read_only())
            .map(|a| a.name())
            .collect();
        assert_eq!(
            reads,
            [
                "ListAccounts",
                "ListUsers",
                "GetUser",
                "ListRoles",
                "GetRole",
                "ListAccessKeys"
            ]
        );
    }

    fn read(action: AdminAction, input: Value) -> Result<AdminRequest, WireError> {
        AdminRequest::from_value(action, &input)
    }

    fn message(action: AdminAction, input: Value) -> String {
        let e = read(action, input).unwrap_err();
        assert_eq!(e.code, ErrorCode::ValidationException);
        e.message
    }

    #[test]
    fn bodies_parse_as_before() {
        assert_eq!(parse_body(b"").unwrap(), json!({}));
        assert_eq!(parse_body(b" \r\n\t").unwrap(), json!({}));
        assert_eq!(parse_body(b"[1]").unwrap(), json!([1]));
        assert_eq!(
            parse_body(b"{").unwrap_err(),
            WireError::new(ErrorCode::SerializationException, "")
        );
        assert_eq!(
            AdminRequest::decode(AdminAction::ListUsers, b"nope").unwrap_err(),
            WireError::new(ErrorCode::SerializationException, "")
        );
        assert_eq!(
            AdminRequest::decode(AdminAction::ListUsers, b"").unwrap(),
            AdminRequest::ListPrincipals(PrincipalKind::User)
        );
    }

    #[test]
    fn requests_read_as_before() {
        assert_eq!(
            read(
                AdminAction::CreateUser,
                json!({"UserName": "alice", "Tags": [{"Key": "team", "Value": "blue"}, {"Key": "bare"}]})
            )
            .unwrap(),
            AdminRequest::CreateUser(CreateUserRequest {
                user_name: "alice".to_owned(),
                tags: vec![
                    Tag {
                        key: "team".to_owned(),
                        value: "blue".to_owned()
                    },
                    Tag {
                        key: "bare".to_owned(),
                        value: String::new()
                    },
                ],
            })
        );
        // A document given as an object is sent on as its compact JSON.
        assert_eq!(
            read(
                AdminAction::CreateRole,
                json!({"RoleName": "Ops", "AssumeRolePolicyDocument": {"b": 1, "a": []}, "MaxSessionDuration": 7200})
            )
            .unwrap(),
            AdminRequest::CreateRole(CreateRoleRequest {
                role_name: "Ops".to_owned(),
                tags: Vec::new(),
                assume_role_policy_document: r#"{"a":[],"b":1}"#.to_owned(),
                max_session_duration: Some(7200),
            })
        );
        let AdminRequest::CreateRole(role) = read(
            AdminAction::CreateRole,
            json!({"RoleName": "Ops", "AssumeRolePolicyDocument": "{}", "MaxSessionDuration": 5_000_000_000_u64}),
        )
        .unwrap() else {
            panic!("not CreateRole")
        };
        assert_eq!(role.max_session_duration, Some(u32::MAX));
        let AdminRequest::CreateRole(role) = read(
            AdminAction::CreateRole,
            json!({"RoleName": "Ops", "AssumeRolePolicyDocument": "{}", "MaxSessionDuration": "7200"}),
        )
        .unwrap() else {
            panic!("not CreateRole")
        };
        assert_eq!(role.max_session_duration, None);
        assert_eq!(
            read(
                AdminAction::UntagRole,
                json!({"RoleName": "Ops", "TagKeys": ["a", 1, "b"]})
            )
            .unwrap(),
            AdminRequest::UntagPrincipal(UntagPrincipalRequest {
                kind: PrincipalKind::Role,
                name: "Ops".to_owned(),
                tag_keys: vec!["a".to_owned(), "b".to_owned()],
            })
        );
        assert_eq!(
            read(
                AdminAction::PutUserPolicy,
                json!({"UserName": "alice", "PolicyName": "p", "PolicyDocument": "{\"Version\":\"2012-10-17\"}"})
            )
            .unwrap(),
            AdminRequest::PutPrincipalPolicy(PutPrincipalPolicyRequest {
                kind: PrincipalKind::User,
                name: "alice".to_owned(),
                policy_name: "p".to_owned(),
                policy_document: r#"{"Version":"2012-10-17"}"#.to_owned(),
            })
        );
        assert_eq!(
            read(AdminAction::CreateAccessKey, json!({"UserName": 5})).unwrap(),
            AdminRequest::CreateAccessKey(CreateAccessKeyRequest { user_name: None })
        );
        assert_eq!(
            read(
                AdminAction::UpdateAccessKey,
                json!({"AccessKeyId": "AKIA1", "Status": "Inactive"})
            )
            .unwrap(),
            AdminRequest::UpdateAccessKey(UpdateAccessKeyRequest {
                access_key_id: "AKIA1".to_owned(),
                status: AccessKeyStatus::Inactive,
            })
        );
        assert_eq!(
            read(
                AdminAction::CreateAccount,
                json!({"AccountId": "111122223333", "Regions": ["us-east-1", "eu-west-2"]})
            )
            .unwrap(),
            AdminRequest::CreateAccount(CreateAccountRequest {
                account_id: "111122223333".to_owned(),
                regions: Some(vec!["us-east-1".to_owned(), "eu-west-2".to_owned()]),
            })
        );
        assert_eq!(
            read(
                AdminAction::CreateAccount,
                json!({"AccountId": "111122223333", "Regions": "us-east-1"})
            )
            .unwrap(),
            AdminRequest::CreateAccount(CreateAccountRequest {
                account_id: "111122223333".to_owned(),
                regions: None,
            })
        );
        assert_eq!(
            read(AdminAction::RotateRootKey, json!([])).unwrap(),
            AdminRequest::RotateRootKey
        );
    }

    #[test]
    fn request_errors_are_worded_and_ordered_as_before() {
        use AdminAction as A;
        assert_eq!(
            message(A::CreateUser, json!({"Tags": 5})),
            "UserName is required and must be a string."
        );
        assert_eq!(
            message(A::CreateUser, json!({"UserName": "a", "Tags": null})),
            "Tags must be a list."
        );
        assert_eq!(
            message(
                A::TagUser,
                json!({"UserName": "a", "Tags": [{"Value": "v"}]})
            ),
            "Key is required and must be a string."
        );
        assert_eq!(
            message(A::GetRole, json!({"UserName": "a"})),
            "RoleName is required and must be a string."
        );
        assert_eq!(
            message(A::CreateRole, json!({"RoleName": "r", "Tags": {}})),
            "Tags must be a list."
        );
        assert_eq!(
            message(
                A::CreateRole,
                json!({"RoleName": "r", "AssumeRolePolicyDocument": []})
            ),
            "AssumeRolePolicyDocument is required and must be a string."
        );
        assert_eq!(
            message(
                A::PutRolePolicy,
                json!({"RoleName": "r", "PolicyDocument": "{}"})
            ),
            "PolicyName is required and must be a string."
        );
        assert_eq!(
            message(A::DeleteUserPolicy, json!({"UserName": "u"})),
            "PolicyName is required and must be a string."
        );
        assert_eq!(
            message(A::UpdateAssumeRolePolicy, json!({"RoleName": "r"})),
            "PolicyDocument is required and must be a string."
        );
        assert_eq!(
            message(A::UpdateAccessKey, json!({})),
            "Status is required and must be a string."
        );
        assert_eq!(
            message(A::UpdateAccessKey, json!({"Status": "Off"})),
            "Status must be Active or Inactive, not 'Off'."
        );
        assert_eq!(
            message(A::UpdateAccessKey, json!({"Status": "Active"})),
            "AccessKeyId is required and must be a string."
        );
        assert_eq!(
            message(A::DeleteAccessKey, json!({})),
            "AccessKeyId is required and must be a string."
        );
        assert_eq!(
            message(
                A::CreateAccount,
                json!({"AccountId": "12345", "Regions": [1]})
            ),
            "AccountId '12345' is not twelve digits."
        );
        assert_eq!(
            message(
                A::CreateAccount,
                json!({"AccountId": "111122223333", "Regions": ["us-east-1", "Bad", 1]})
            ),
            "Invalid region \"Bad\""
        );
        assert_eq!(
            message(
                A::CreateAccount,
                json!({"AccountId": "111122223333", "Regions": [7]})
            ),
            "Invalid region 7"
        );
        assert_eq!(invalid_region("-x").message, "Invalid region \"-x\"");
        assert!(is_region("us-east-1"));
        assert!(!is_region("-us"));
        assert!(!is_region(""));
        assert!(!is_region(&"a".repeat(65)));
    }

    fn team_tags() -> Vec<Tag> {
        vec![Tag {
            key: "team".to_owned(),
            value: "blue".to_owned(),
        }]
    }

    fn to_json(response: &AdminResponse) -> String {
        serde_json::to_string(response).unwrap()
    }

    #[test]
    fn users_and_roles_render_as_before() {
        let user = User {
            arn: "arn:aws:iam::111122223333:user/alice".to_owned(),
            create_date: 1_700_000_000,
            policies: vec!["read".to_owned()],
            policy_documents: None,
            tags: team_tags(),
            user_id: "AIDAEXAMPLE".to_owned(),
            user_name: "alice".to_owned(),
        };
        assert_eq!(
            to_json(&AdminResponse::User(UserResponse { user: user.clone() })),
            r#"{"User":{"Arn":"arn:aws:iam::111122223333:user/alice","CreateDate":1700000000,"Policies":["read"],"Tags":[{"Key":"team","Value":"blue"}],"UserId":"AIDAEXAMPLE","UserName":"alice"}}"#
        );
        let got = User {
            policy_documents: Some(BTreeMap::from([(
                "read".to_owned(),
                r#"{"Version":"2012-10-17"}"#.to_owned(),
            )])),
            ..user.clone()
        };
        assert_eq!(
            to_json(&AdminResponse::User(UserResponse { user: got })),
            r#"{"User":{"Arn":"arn:aws:iam::111122223333:user/alice","CreateDate":1700000000,"Policies":["read"],"PolicyDocuments":{"read":"{\"Version\":\"2012-10-17\"}"},"Tags":[{"Key":"team","Value":"blue"}],"UserId":"AIDAEXAMPLE","UserName":"alice"}}"#
        );
        assert_eq!(
            to_json(&AdminResponse::ListUsers(ListUsersResponse {
                users: vec![user]
            })),
            r#"{"Users":[{"Arn":"arn:aws:iam::111122223333:user/alice","CreateDate":1700000000,"Policies":["read"],"Tags":[{"Key":"team","Value":"blue"}],"UserId":"AIDAEXAMPLE","UserName":"alice"}]}"#
        );

        let role = Role {
            arn: "arn:aws:iam::111122223333:role/Ops".to_owned(),
            assume_role_policy_document: Some("{}".to_owned()),
            create_date: 1_700_000_000,
            max_session_duration: 3600,
            policies: Vec::new(),
            policy_documents: None,
            role_id: "AROAEXAMPLE".to_owned(),
            role_name: "Ops".to_owned(),
            tags: Vec::new(),
        };
        assert_eq!(
            to_json(&AdminResponse::Role(RoleResponse { role: role.clone() })),
            r#"{"Role":{"Arn":"arn:aws:iam::111122223333:role/Ops","AssumeRolePolicyDocument":"{}","CreateDate":1700000000,"MaxSessionDuration":3600,"Policies":[],"RoleId":"AROAEXAMPLE","RoleName":"Ops","Tags":[]}}"#
        );
        let got = Role {
            assume_role_policy_document: None,
            policy_documents: Some(BTreeMap::new()),
            ..role
        };
        assert_eq!(
            to_json(&AdminResponse::ListRoles(ListRolesResponse {
                roles: vec![got]
            })),
            r#"{"Roles":[{"Arn":"arn:aws:iam::111122223333:role/Ops","AssumeRolePolicyDocument":null,"CreateDate":1700000000,"MaxSessionDuration":3600,"Policies":[],"PolicyDocuments":{},"RoleId":"AROAEXAMPLE","RoleName":"Ops","Tags":[]}]}"#
        );
    }

    #[test]
    fn accounts_keys_and_the_root_key_render_as_before() {
        let account = CreateAccountResponse {
            access_key: AccountAccessKey {
                access_key_id: "AKIAEXAMPLE".to_owned(),
                secret_access_key: SecretString::from("s3cret"),
                status: AccessKeyStatus::Active,
            },
            account_id: "111122223333".to_owned(),
        };
        assert!(!format!("{account:?}").contains("s3cret"));
        assert_eq!(
            to_json(&AdminResponse::CreateAccount(account)),
            r#"{"AccessKey":{"AccessKeyId":"AKIAEXAMPLE","SecretAccessKey":"s3cret","Status":"Active"},"AccountId":"111122223333"}"#
        );
        assert_eq!(
            to_json(&AdminResponse::ListAccounts(ListAccountsResponse {
                accounts: vec![Account {
                    account_id: "111122223333".to_owned(),
                    regions: vec!["us-east-1".to_owned()],
                }],
            })),
            r#"{"Accounts":[{"AccountId":"111122223333","Regions":["us-east-1"]}]}"#
        );
        let key = CreateAccessKeyResponse {
            access_key: AccessKey {
                access_key_id: "AKIAEXAMPLE".to_owned(),
                create_date: 1_700_000_000,
                secret_access_key: SecretString::from("s3cret"),
                status: AccessKeyStatus::Active,
                user_name: None,
            },
        };
        assert!(!format!("{key:?}").contains("s3cret"));
        assert_eq!(
            to_json(&AdminResponse::CreateAccessKey(key)),
            r#"{"AccessKey":{"AccessKeyId":"AKIAEXAMPLE","CreateDate":1700000000,"SecretAccessKey":"s3cret","Status":"Active","UserName":null}}"#
        );
        assert_eq!(
            to_json(&AdminResponse::ListAccessKeys(ListAccessKeysResponse {
                access_key_metadata: vec![
                    AccessKeyMetadata {
                        access_key_id: "AKIA1".to_owned(),
                        status: AccessKeyStatus::from_enabled(true),
                        user_name: Some("alice".to_owned()),
                    },
                    AccessKeyMetadata {
                        access_key_id: "AKIA2".to_owned(),
                        status: AccessKeyStatus::from_enabled(false),
                        user_name: None,
                    },
                ],
            })),
            r#"{"AccessKeyMetadata":[{"AccessKeyId":"AKIA1","Status":"Active","UserName":"alice"},{"AccessKeyId":"AKIA2","Status":"Inactive","UserName":null}]}"#
        );
        assert_eq!(
            to_json(&AdminResponse::RotateRootKey(RotateRootKeyResponse {
                resealed: 12,
                retired: 1,
                root_key_id: "rk-2".to_owned(),
            })),
            r#"{"Resealed":12,"Retired":1,"RootKeyId":"rk-2"}"#
        );
        assert_eq!(to_json(&AdminResponse::Empty(Empty {})), "{}");
    }
}
