//! The admin API on the same endpoint: `X-Amz-Target: TrentAdmin.<Action>`, AWS JSON 1.1,
//! SigV4-signed like any KMS call. It manages accounts, IAM users and roles (tags, inline
//! policies, trust policies) and access keys, with IAM's action names and authorization. The
//! shapes are `trent_api::admin`'s; this module translates them to and from the core.

use std::sync::Arc;

use trent_api::admin::{
    self as wire, AccessKey, AccessKeyMetadata, AccessKeyStatus, Account, AccountAccessKey,
    AdminAction, AdminRequest, AdminResponse, CreateAccessKeyResponse, CreateAccountResponse,
    ListAccessKeysResponse, ListAccountsResponse, ListRolesResponse, ListUsersResponse,
    PrincipalKind, Role, RoleResponse, RotateRootKeyResponse, User, UserResponse,
};
use trent_api::shapes::Empty;
use trent_api::{ErrorCode, WireError};
use trent_core::model::{AccountId, PrincipalRecord, PrincipalType, Region, RequestContext, Tag};

use crate::http::error::ApiError;
use crate::run::state::AppState;

/// The target prefix of admin calls.
pub const TARGET_PREFIX: &str = wire::TARGET_PREFIX;

/// Every admin action, for `trent admin --help` and the docs.
pub const ACTIONS: &[&str] = AdminAction::NAMES;

/// Whether an admin action changes nothing (CloudTrail's `readOnly`); `None` for a name that
/// is no admin action.
pub fn read_only(action: &str) -> Option<bool> {
    AdminAction::parse(action).map(AdminAction::read_only)
}

fn kind(kind: PrincipalKind) -> PrincipalType {
    match kind {
        PrincipalKind::User => PrincipalType::User,
        PrincipalKind::Role => PrincipalType::Role,
    }
}

fn tags(tags: Vec<wire::Tag>) -> Vec<Tag> {
    tags.into_iter()
        .map(|t| Tag {
            key: t.key,
            value: t.value,
        })
        .collect()
}

fn wire_tags(tags: &[Tag]) -> Vec<wire::Tag> {
    tags.iter()
        .map(|t| wire::Tag {
            key: t.key.clone(),
            value: t.value.clone(),
        })
        .collect()
}

fn user(p: &PrincipalRecord, documents: bool) -> User {
    User {
        arn: p.arn(),
        create_date: p.created.0 / 1000,
        policies: p.policies.keys().cloned().collect(),
        policy_documents: documents.then(|| p.policies.clone()),
        tags: wire_tags(&p.tags),
        user_id: p.id.clone(),
        user_name: p.name.clone(),
    }
}

fn role(p: &PrincipalRecord, documents: bool) -> Role {
    Role {
        arn: p.arn(),
        assume_role_policy_document: p.trust_policy.clone(),
        create_date: p.created.0 / 1000,
        max_session_duration: p.max_session_seconds,
        policies: p.policies.keys().cloned().collect(),
        policy_documents: documents.then(|| p.policies.clone()),
        role_id: p.id.clone(),
        role_name: p.name.clone(),
        tags: wire_tags(&p.tags),
    }
}

/// A user's or a role's answer, with its policy documents for Get.
fn principal(p: &PrincipalRecord, documents: bool) -> AdminResponse {
    match p.kind {
        PrincipalType::User => AdminResponse::User(UserResponse {
            user: user(p, documents),
        }),
        PrincipalType::Role => AdminResponse::Role(RoleResponse {
            role: role(p, documents),
        }),
    }
}

/// Runs one admin action for an authenticated caller.
pub async fn handle(
    state: &Arc<AppState>,
    ctx: &RequestContext,
    action: &str,
    body: &[u8],
) -> Result<AdminResponse, ApiError> {
    let input = wire::parse_body(body)?;
    let Some(action) = AdminAction::parse(action) else {
        return Err(ApiError::from(WireError::new(
            ErrorCode::UnknownOperationException,
            "",
        )));
    };
    let kms = &state.kms;
    let empty = AdminResponse::Empty(Empty {});
    Ok(match AdminRequest::from_value(action, &input)? {
        AdminRequest::CreateAccount(r) => {
            let id = AccountId::parse(&r.account_id).ok_or_else(|| {
                wire::invalid(format!(
                    "AccountId '{}' is not twelve digits.",
                    r.account_id
                ))
            })?;
            let regions = match r.regions {
                Some(list) => list
                    .iter()
                    .map(|r| Region::parse(r).ok_or_else(|| wire::invalid_region(r)))
                    .collect::<Result<Vec<_>, _>>()?,
                None => crate::run::config::default_regions(),
            };
            let key = kms.create_account(ctx, &id, regions).await?;
            AdminResponse::CreateAccount(CreateAccountResponse {
                access_key: AccountAccessKey {
                    access_key_id: key.record.id,
                    secret_access_key: key.secret.into(),
                    status: AccessKeyStatus::Active,
                },
                account_id: id.as_str().to_owned(),
            })
        }
        AdminRequest::ListAccounts => AdminResponse::ListAccounts(ListAccountsResponse {
            accounts: kms
                .list_accounts(ctx)?
                .into_iter()
                .map(|(id, regions)| Account {
                    account_id: id.as_str().to_owned(),
                    regions: regions.iter().map(|r| r.as_str().to_owned()).collect(),
                })
                .collect(),
        }),
        AdminRequest::CreateUser(r) => {
            let p = kms
                .create_principal(
                    ctx,
                    PrincipalType::User,
                    &r.user_name,
                    tags(r.tags),
                    None,
                    None,
                )
                .await?;
            principal(&p, false)
        }
        AdminRequest::CreateRole(r) => {
            let p = kms
                .create_principal(
                    ctx,
                    PrincipalType::Role,
                    &r.role_name,
                    tags(r.tags),
                    Some(r.assume_role_policy_document),
                    r.max_session_duration,
                )
                .await?;
            principal(&p, false)
        }
        AdminRequest::DeletePrincipal(r) => {
            kms.delete_principal(ctx, kind(r.kind), &r.name).await?;
            empty
        }
        AdminRequest::ListPrincipals(k) => {
            let found = kms.list_principals(ctx, kind(k))?;
            match k {
                PrincipalKind::User => AdminResponse::ListUsers(ListUsersResponse {
                    users: found.iter().map(|p| user(p, false)).collect(),
                }),
                PrincipalKind::Role => AdminResponse::ListRoles(ListRolesResponse {
                    roles: found.iter().map(|p| role(p, false)).collect(),
                }),
            }
        }
        AdminRequest::GetPrincipal(r) => {
            principal(&kms.get_principal(ctx, kind(r.kind), &r.name)?, true)
        }
        AdminRequest::TagPrincipal(r) => {
            kms.tag_principal(ctx, kind(r.kind), &r.name, tags(r.tags))
                .await?;
            empty
        }
        AdminRequest::UntagPrincipal(r) => {
            kms.untag_principal(ctx, kind(r.kind), &r.name, r.tag_keys)
                .await?;
            empty
        }
        AdminRequest::PutPrincipalPolicy(r) => {
            kms.put_principal_policy(
                ctx,
                kind(r.kind),
                &r.name,
                &r.policy_name,
                &r.policy_document,
            )
            .await?;
            empty
        }
        AdminRequest::DeletePrincipalPolicy(r) => {
            kms.delete_principal_policy(ctx, kind(r.kind), &r.name, &r.policy_name)
                .await?;
            empty
        }
        AdminRequest::UpdateAssumeRolePolicy(r) => {
            kms.update_trust_policy(ctx, &r.role_name, &r.policy_document)
                .await?;
            empty
        }
        AdminRequest::CreateAccessKey(r) => {
            let key = kms.create_access_key(ctx, r.user_name.as_deref()).await?;
            AdminResponse::CreateAccessKey(CreateAccessKeyResponse {
                access_key: AccessKey {
                    access_key_id: key.record.id,
                    create_date: key.record.created.0 / 1000,
                    secret_access_key: key.secret.into(),
                    status: AccessKeyStatus::Active,
                    user_name: key.record.user,
                },
            })
        }
        AdminRequest::ListAccessKeys(r) => {
            let keys = kms.list_access_keys(ctx, r.user_name.as_deref())?;
            AdminResponse::ListAccessKeys(ListAccessKeysResponse {
                access_key_metadata: keys
                    .into_iter()
                    .map(|(id, active)| AccessKeyMetadata {
                        access_key_id: id,
                        status: AccessKeyStatus::from_enabled(active),
                        user_name: r.user_name.clone(),
                    })
                    .collect(),
            })
        }
        AdminRequest::UpdateAccessKey(r) => {
            kms.update_access_key(ctx, &r.access_key_id, r.status.is_active())
                .await?;
            empty
        }
        AdminRequest::DeleteAccessKey(r) => {
            kms.delete_access_key(ctx, &r.access_key_id).await?;
            empty
        }
        AdminRequest::RotateRootKey => {
            let done = kms.rotate_root_key(ctx).await?;
            AdminResponse::RotateRootKey(RotateRootKeyResponse {
                resealed: done.resealed,
                retired: u64::try_from(done.retired).unwrap_or(u64::MAX),
                root_key_id: done.key_id,
            })
        }
    })
}
