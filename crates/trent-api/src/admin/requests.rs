//! The admin API's request shapes, each read from a parsed body, and [`AdminRequest`], one
//! variant per action.

use serde_json::Value;

use super::{AccessKeyStatus, AdminAction, PrincipalKind, Tag, invalid, is_region, parse_body};
use crate::error::WireError;

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
