//! Tests of the admin API: action names, request reading and its errors, response rendering.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::*;
use crate::error::{ErrorCode, WireError};
use crate::secret::SecretString;
use crate::shapes::Empty;

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
