//! The admin API: `X-Amz-Target: TrentAdmin.<Action>`, AWS JSON 1.1, SigV4-signed for KMS.
//! Its actions manage accounts, IAM users and roles (tags, inline policies, trust policies),
//! access keys and the root key, with IAM's action and member names; its errors are the JSON
//! protocol's ([`WireError`]).
//!
//! Requests are read as the server always read them: members of the wrong type count as
//! absent, except where a member is required, and a policy document may be a JSON string or
//! the document itself. Responses serialize exactly as before: members in name order, the
//! order a `serde_json::Value` object has.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ErrorCode, WireError};

mod requests;
mod responses;
#[cfg(test)]
mod tests;

pub use requests::{
    AdminRequest, CreateAccessKeyRequest, CreateAccountRequest, CreateRoleRequest,
    CreateUserRequest, DeleteAccessKeyRequest, DeletePrincipalPolicyRequest, ListAccessKeysRequest,
    PrincipalRequest, PutPrincipalPolicyRequest, TagPrincipalRequest, UntagPrincipalRequest,
    UpdateAccessKeyRequest, UpdateAssumeRolePolicyRequest,
};
pub use responses::{
    AccessKey, AccessKeyMetadata, Account, AccountAccessKey, AdminResponse,
    CreateAccessKeyResponse, CreateAccountResponse, ListAccessKeysResponse, ListAccountsResponse,
    ListRolesResponse, ListUsersResponse, Role, RoleResponse, RotateRootKeyResponse, User,
    UserResponse,
};

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
