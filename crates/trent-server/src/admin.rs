//! The admin API on the same endpoint: `X-Amz-Target: TrentAdmin.<Action>`, AWS JSON 1.1,
//! SigV4-signed like any KMS call. It manages accounts, IAM users and roles (tags, inline
//! policies, trust policies) and access keys, with IAM's action names and authorization.

use std::sync::Arc;

use serde_json::{Value, json};
use trent_api::{ErrorCode, WireError};
use trent_core::model::{AccountId, PrincipalRecord, PrincipalType, Region, RequestContext, Tag};

use crate::error::ApiError;
use crate::state::AppState;

/// The target prefix of admin calls.
pub const TARGET_PREFIX: &str = "TrentAdmin.";

/// Every admin action, for `trent admin --help` and the docs.
pub const ACTIONS: &[&str] = &[
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

/// Whether an admin action changes nothing (CloudTrail's `readOnly`).
pub fn read_only(action: &str) -> bool {
    action.starts_with("List") || action.starts_with("Get")
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::from(WireError::new(ErrorCode::ValidationException, message))
}

fn string(input: &Value, name: &str) -> Result<String, ApiError> {
    input
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| invalid(format!("{name} is required and must be a string.")))
}

/// A policy document member: a JSON string, or the document itself as an object.
fn document(input: &Value, name: &str) -> Result<String, ApiError> {
    match input.get(name) {
        Some(Value::Object(_)) => Ok(input.get(name).map(Value::to_string).unwrap_or_default()),
        _ => string(input, name),
    }
}

fn opt_string(input: &Value, name: &str) -> Option<String> {
    input.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// `Tags`: `[{"Key": "k", "Value": "v"}]`, as IAM.
fn tags(input: &Value) -> Result<Vec<Tag>, ApiError> {
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

fn tag_json(tags: &[Tag]) -> Value {
    Value::Array(
        tags.iter()
            .map(|t| json!({"Key": t.key, "Value": t.value}))
            .collect(),
    )
}

fn principal_json(p: &PrincipalRecord) -> Value {
    let mut v = serde_json::Map::new();
    v.insert("Arn".into(), json!(p.arn()));
    v.insert("CreateDate".into(), json!(p.created.0 / 1000));
    v.insert("Tags".into(), tag_json(&p.tags));
    v.insert(
        "Policies".into(),
        json!(p.policies.keys().collect::<Vec<_>>()),
    );
    match p.kind {
        PrincipalType::User => {
            v.insert("UserName".into(), json!(p.name));
            v.insert("UserId".into(), json!(p.id));
        }
        PrincipalType::Role => {
            v.insert("RoleName".into(), json!(p.name));
            v.insert("RoleId".into(), json!(p.id));
            v.insert("AssumeRolePolicyDocument".into(), json!(p.trust_policy));
            v.insert("MaxSessionDuration".into(), json!(p.max_session_seconds));
        }
    }
    Value::Object(v)
}

/// Runs one admin action for an authenticated caller.
pub async fn handle(
    state: &Arc<AppState>,
    ctx: &RequestContext,
    action: &str,
    body: &[u8],
) -> Result<Value, ApiError> {
    let input: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(body)
            .map_err(|_| ApiError::from(WireError::new(ErrorCode::SerializationException, "")))?
    };
    let kms = &state.kms;
    let user = PrincipalType::User;
    let role = PrincipalType::Role;
    Ok(match action {
        "CreateAccount" => {
            let id = string(&input, "AccountId")?;
            let id = AccountId::parse(&id)
                .ok_or_else(|| invalid(format!("AccountId '{id}' is not twelve digits.")))?;
            let regions = match input.get("Regions").and_then(Value::as_array) {
                Some(list) => list
                    .iter()
                    .map(|r| {
                        r.as_str()
                            .and_then(Region::parse)
                            .ok_or_else(|| invalid(format!("Invalid region {r}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                None => crate::config::default_regions(),
            };
            let key = kms.create_account(ctx, &id, regions).await?;
            json!({"AccountId": id.as_str(), "AccessKey": {
                "AccessKeyId": key.record.id, "SecretAccessKey": key.secret.as_str(), "Status": "Active"}})
        }
        "ListAccounts" => {
            let accounts: Vec<Value> = kms
                .list_accounts(ctx)?
                .into_iter()
                .map(|(id, regions)| {
                    json!({"AccountId": id.as_str(), "Regions": regions.iter().map(Region::as_str).collect::<Vec<_>>()})
                })
                .collect();
            json!({"Accounts": accounts})
        }
        "CreateUser" => {
            let p = kms
                .create_principal(
                    ctx,
                    user,
                    &string(&input, "UserName")?,
                    tags(&input)?,
                    None,
                    None,
                )
                .await?;
            json!({"User": principal_json(&p)})
        }
        "CreateRole" => {
            let max = input
                .get("MaxSessionDuration")
                .and_then(Value::as_u64)
                .map(|v| u32::try_from(v).unwrap_or(u32::MAX));
            let p = kms
                .create_principal(
                    ctx,
                    role,
                    &string(&input, "RoleName")?,
                    tags(&input)?,
                    Some(document(&input, "AssumeRolePolicyDocument")?),
                    max,
                )
                .await?;
            json!({"Role": principal_json(&p)})
        }
        "DeleteUser" => {
            kms.delete_principal(ctx, user, &string(&input, "UserName")?)
                .await?;
            json!({})
        }
        "DeleteRole" => {
            kms.delete_principal(ctx, role, &string(&input, "RoleName")?)
                .await?;
            json!({})
        }
        "ListUsers" | "ListRoles" => {
            let (kind, key) = if action == "ListUsers" {
                (user, "Users")
            } else {
                (role, "Roles")
            };
            let list: Vec<Value> = kms
                .list_principals(ctx, kind)?
                .iter()
                .map(principal_json)
                .collect();
            json!({ key: list })
        }
        "GetUser" | "GetRole" => {
            let (kind, name_field, key) = if action == "GetUser" {
                (user, "UserName", "User")
            } else {
                (role, "RoleName", "Role")
            };
            let name = string(&input, name_field)?;
            let found = kms.get_principal(ctx, kind, &name)?;
            let mut v = principal_json(&found);
            if let Some(map) = v.as_object_mut() {
                map.insert("PolicyDocuments".into(), json!(found.policies));
            }
            json!({ key: v })
        }
        "TagUser" | "TagRole" | "UntagUser" | "UntagRole" => {
            let (kind, name_field) = if action.ends_with("User") {
                (user, "UserName")
            } else {
                (role, "RoleName")
            };
            let name = string(&input, name_field)?;
            if action.starts_with("Tag") {
                kms.tag_principal(ctx, kind, &name, tags(&input)?).await?;
            } else {
                let keys: Vec<String> = input
                    .get("TagKeys")
                    .and_then(Value::as_array)
                    .map(|l| {
                        l.iter()
                            .filter_map(|k| k.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                kms.untag_principal(ctx, kind, &name, keys).await?;
            }
            json!({})
        }
        "PutUserPolicy" | "PutRolePolicy" | "DeleteUserPolicy" | "DeleteRolePolicy" => {
            let (kind, name_field) = if action.contains("User") {
                (user, "UserName")
            } else {
                (role, "RoleName")
            };
            let name = string(&input, name_field)?;
            let policy_name = string(&input, "PolicyName")?;
            if action.starts_with("Put") {
                let document = document(&input, "PolicyDocument")?;
                kms.put_principal_policy(ctx, kind, &name, &policy_name, &document)
                    .await?;
            } else {
                kms.delete_principal_policy(ctx, kind, &name, &policy_name)
                    .await?;
            }
            json!({})
        }
        "UpdateAssumeRolePolicy" => {
            kms.update_trust_policy(
                ctx,
                &string(&input, "RoleName")?,
                &document(&input, "PolicyDocument")?,
            )
            .await?;
            json!({})
        }
        "CreateAccessKey" => {
            let key = kms
                .create_access_key(ctx, opt_string(&input, "UserName").as_deref())
                .await?;
            json!({"AccessKey": {
                "AccessKeyId": key.record.id,
                "SecretAccessKey": key.secret.as_str(),
                "UserName": key.record.user,
                "Status": "Active",
                "CreateDate": key.record.created.0 / 1000,
            }})
        }
        "ListAccessKeys" => {
            let user_name = opt_string(&input, "UserName");
            let keys: Vec<Value> = kms
                .list_access_keys(ctx, user_name.as_deref())?
                .into_iter()
                .map(|(id, active)| {
                    json!({"AccessKeyId": id, "UserName": user_name, "Status": if active { "Active" } else { "Inactive" }})
                })
                .collect();
            json!({"AccessKeyMetadata": keys})
        }
        "UpdateAccessKey" => {
            let status = string(&input, "Status")?;
            let active = match status.as_str() {
                "Active" => true,
                "Inactive" => false,
                other => {
                    return Err(invalid(format!(
                        "Status must be Active or Inactive, not '{other}'."
                    )));
                }
            };
            kms.update_access_key(ctx, &string(&input, "AccessKeyId")?, active)
                .await?;
            json!({})
        }
        "DeleteAccessKey" => {
            kms.delete_access_key(ctx, &string(&input, "AccessKeyId")?)
                .await?;
            json!({})
        }
        "RotateRootKey" => {
            let done = kms.rotate_root_key(ctx).await?;
            json!({"RootKeyId": done.key_id, "Resealed": done.resealed, "Retired": done.retired})
        }
        _ => {
            return Err(ApiError::from(WireError::new(
                ErrorCode::UnknownOperationException,
                "",
            )));
        }
    })
}
