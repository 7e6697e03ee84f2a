//! The admin API: users, access keys, roles and accounts changing without a restart, its rate
//! limits and AssumeRole's, and a user or role re-created under the same name.

use aws_sdk_kms::types::GrantOperation;
use serde_json::json;

use crate::builders::{
    access_key, admin, allow, assert_denied, assume_role, created, key_policy, put_user_policy,
    sdk_config, session_config, sts_for, trust,
};
use crate::harness::{Harness, error_of};

use super::{
    A, ALICE, BOB, ROOT, client, encrypt, harness, harness_with, iam_arn, key_with_policy,
};

#[tokio::test]
async fn the_admin_api_changes_identities_without_a_restart() {
    let h = harness().await;
    let key = key_with_policy(&h, None).await;
    // Bob may not administer.
    let denied = admin(&h, BOB, "CreateUser", json!({"UserName": "dave"}))
        .await
        .unwrap_err();
    assert!(denied.starts_with("AccessDeniedException"), "{denied}");
    // The root creates Dave, gives him a policy and a key.
    let user = admin(
        &h,
        ROOT,
        "CreateUser",
        json!({"UserName": "dave", "Tags": [{"Key": "team", "Value": "green"}]}),
    )
    .await
    .unwrap();
    assert_eq!(user["User"]["Arn"], iam_arn("user/dave"));
    assert!(
        admin(&h, ROOT, "CreateUser", json!({"UserName": "dave"}))
            .await
            .unwrap_err()
            .starts_with("EntityAlreadyExistsException")
    );
    let dave_key = admin(&h, ROOT, "CreateAccessKey", json!({"UserName": "dave"}))
        .await
        .unwrap();
    let (dave_id, dave_secret) = access_key(&dave_key);
    let dave = h.client_for("us-east-1", &dave_id, &dave_secret);
    assert_denied(encrypt(&dave, &key).await);
    let bad = admin(
        &h,
        ROOT,
        "PutUserPolicy",
        json!({"UserName": "dave", "PolicyName": "p", "PolicyDocument": "{not json"}),
    )
    .await
    .unwrap_err();
    assert!(bad.starts_with("MalformedPolicyDocumentException"), "{bad}");
    // The policy as text, as AWS takes it.
    put_user_policy(&h, ROOT, "dave", "p", allow("kms:Encrypt").to_string()).await;
    encrypt(&dave, &key).await.unwrap();
    let keys = admin(&h, ROOT, "ListAccessKeys", json!({"UserName": "dave"}))
        .await
        .unwrap();
    assert_eq!(keys["AccessKeyMetadata"][0]["Status"], "Active");
    // Deactivated: the key stops working at once.
    let set_status = |status: &str| {
        admin(
            &h,
            ROOT,
            "UpdateAccessKey",
            json!({"AccessKeyId": dave_id, "Status": status}),
        )
    };
    set_status("Inactive").await.unwrap();
    assert_eq!(
        error_of(encrypt(&dave, &key).await).0,
        "UnrecognizedClientException"
    );
    set_status("Active").await.unwrap();
    encrypt(&dave, &key).await.unwrap();
    admin(&h, ROOT, "DeleteAccessKey", json!({"AccessKeyId": dave_id}))
        .await
        .unwrap();
    assert_eq!(
        error_of(encrypt(&dave, &key).await).0,
        "UnrecognizedClientException"
    );
    // Key policies may now name Dave; a deleted user may not be named.
    let names_dave = || {
        key_policy(
            A,
            json!([
                {"Effect": "Allow", "Principal": {"AWS": iam_arn("user/dave")}, "Action": "kms:Decrypt", "Resource": "*"}
            ]),
        )
    };
    let put_policy = |policy: String| {
        client(&h, ROOT)
            .put_key_policy()
            .key_id(&key)
            .policy(policy)
            .send()
    };
    put_policy(names_dave()).await.unwrap();
    admin(&h, ROOT, "DeleteUser", json!({"UserName": "dave"}))
        .await
        .unwrap();
    let (code, message) = error_of(put_policy(names_dave()).await);
    assert_eq!(code, "MalformedPolicyDocumentException");
    assert_eq!(
        message,
        "Policy contains a statement with one or more invalid principals."
    );
    // Roles through the admin API, and the operator creating an account.
    let trusts_root = trust(&iam_arn("root"), "sts:AssumeRole").to_string();
    admin(
        &h,
        ROOT,
        "CreateRole",
        json!({"RoleName": "Batch", "AssumeRolePolicyDocument": trusts_root}),
    )
    .await
    .unwrap();
    let roles = admin(&h, ROOT, "ListRoles", json!({})).await.unwrap();
    assert_eq!(roles["Roles"].as_array().unwrap().len(), 2);
    let account = admin(
        &h,
        ROOT,
        "CreateAccount",
        json!({"AccountId": "999900001111", "Regions": ["us-east-1"]}),
    )
    .await
    .unwrap();
    let (id, secret) = access_key(&account);
    let newcomer = h.client_for("us-east-1", &id, &secret);
    let made = created(newcomer.create_key()).await;
    assert_eq!(made.aws_account_id.as_deref(), Some("999900001111"));
    // Only the operator's root creates accounts.
    assert!(
        admin(
            &h,
            (id.as_str(), secret.as_str()),
            "CreateAccount",
            json!({"AccountId": "999900002222"})
        )
        .await
        .unwrap_err()
        .starts_with("AccessDeniedException")
    );
}

/// The admin API and AssumeRole have rates of their own per account, on by default whatever
/// the AWS quotas say.
#[tokio::test]
async fn admin_calls_and_assume_role_are_rate_limited_per_account() {
    let h = harness_with(|o| {
        o.limits.admin_per_second = 1;
        o.limits.assume_role_per_second = 1;
    })
    .await;
    // A burst of ten seconds' worth, then "Rate exceeded".
    let mut outcomes = Vec::new();
    for _ in 0..11 {
        outcomes.push(admin(&h, ROOT, "ListUsers", json!({})).await.is_ok());
    }
    assert_eq!(
        outcomes.iter().filter(|ok| **ok).count(),
        10,
        "{outcomes:?}"
    );
    let refused = admin(&h, ROOT, "ListUsers", json!({})).await.unwrap_err();
    assert!(refused.contains("ThrottlingException"), "{refused}");
    assert!(refused.contains("Rate exceeded"), "{refused}");
    // KMS calls of the same account are not affected.
    client(&h, ROOT).list_keys().send().await.unwrap();

    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(&sdk_config(&h, ALICE, None).await)
            .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
            .build(),
    );
    let role = iam_arn("role/Ops");
    let mut codes = Vec::new();
    for i in 0..11 {
        let out = sts
            .assume_role()
            .role_arn(&role)
            .role_session_name(format!("s{i}"))
            .send()
            .await;
        codes.push(out.err().map(|e| {
            use aws_sdk_sts::error::ProvideErrorMetadata as _;
            e.code().unwrap_or_default().to_owned()
        }));
    }
    assert!(codes[..10].iter().all(Option::is_none), "{codes:?}");
    assert_eq!(codes[10].as_deref(), Some("Throttling"), "{codes:?}");
}

/// A user or role deleted and re-created under the same name is another principal (as IAM's
/// unique ids make it at AWS): it inherits neither the key policy statements nor the grants
/// that named its predecessor, and GetKeyPolicy and ListGrants show the predecessor's unique
/// id where its ARN was.
#[tokio::test]
async fn a_re_created_user_or_role_inherits_no_policy_statement_or_grant() {
    let h = harness().await;
    let root = client(&h, ROOT);
    let erin_arn = iam_arn("user/erin");
    let role_arn = iam_arn("role/Batch");
    let (erin_id, role_id, erin_key, erin, session) = erin_and_batch(&h).await;
    assert!(
        erin_id.starts_with("AIDA") && role_id.starts_with("AROA"),
        "{erin_id} {role_id}"
    );

    // One key whose policy names both, one whose grants do.
    let policy = key_policy(
        A,
        json!([
            {"Sid": "Users", "Effect": "Allow", "Principal": {"AWS": [erin_arn.clone(), role_arn.clone()]}, "Action": "kms:Encrypt", "Resource": "*"}
        ]),
    );
    let by_policy = key_with_policy(&h, Some(policy.clone())).await;
    let by_grant = key_with_policy(&h, None).await;
    for grantee in [&erin_arn, &role_arn] {
        root.create_grant()
            .key_id(&by_grant)
            .grantee_principal(grantee)
            .retiring_principal(grantee)
            .operations(GrantOperation::Encrypt)
            .send()
            .await
            .unwrap();
    }
    for kms in [&erin, &session] {
        encrypt(kms, &by_policy).await.unwrap();
        encrypt(kms, &by_grant).await.unwrap();
    }
    let shown_policy = || {
        let (root, by_policy) = (&root, &by_policy);
        async move {
            root.get_key_policy()
                .key_id(by_policy)
                .send()
                .await
                .unwrap()
                .policy
                .unwrap()
        }
    };
    // Unchanged principals: GetKeyPolicy gives the policy back verbatim.
    assert_eq!(shown_policy().await, policy);

    // Both are deleted and re-created under the same names.
    admin(
        &h,
        ROOT,
        "DeleteAccessKey",
        json!({"AccessKeyId": erin_key}),
    )
    .await
    .unwrap();
    admin(&h, ROOT, "DeleteUser", json!({"UserName": "erin"}))
        .await
        .unwrap();
    admin(&h, ROOT, "DeleteRole", json!({"RoleName": "Batch"}))
        .await
        .unwrap();
    let (new_erin_id, new_role_id, _, new_erin, new_session) = erin_and_batch(&h).await;
    assert_ne!((&new_erin_id, &new_role_id), (&erin_id, &role_id));
    for kms in [&new_erin, &new_session] {
        for key in [&by_policy, &by_grant] {
            assert_denied(encrypt(kms, key).await);
        }
    }
    // What AWS shows for a principal that is gone: its unique id, in the policy and grants.
    let doc: serde_json::Value = serde_json::from_str(&shown_policy().await).unwrap();
    assert_eq!(
        doc["Statement"][1]["Principal"]["AWS"],
        json!([erin_id, role_id])
    );
    assert_eq!(doc["Statement"][0]["Principal"]["AWS"], iam_arn("root"));
    let grants = root
        .list_grants()
        .key_id(&by_grant)
        .send()
        .await
        .unwrap()
        .grants
        .unwrap();
    let mut shown: Vec<(String, String)> = grants
        .iter()
        .map(|g| {
            (
                g.grantee_principal.clone().unwrap(),
                g.retiring_principal.clone().unwrap(),
            )
        })
        .collect();
    shown.sort();
    let mut want = vec![
        (erin_id.clone(), erin_id.clone()),
        (role_id.clone(), role_id.clone()),
    ];
    want.sort();
    assert_eq!(shown, want);
    // The new principals cannot retire their predecessors' grants either.
    let grant_id = grants[0].grant_id.clone().unwrap();
    assert_denied(
        new_erin
            .retire_grant()
            .key_id(&by_grant)
            .grant_id(&grant_id)
            .send()
            .await,
    );
    // The policy as shown names principals that do not exist, so it is refused as AWS does;
    // naming the ARNs again binds them to the new principals.
    let (code, message) = error_of(
        root.put_key_policy()
            .key_id(&by_policy)
            .policy(doc.to_string())
            .send()
            .await,
    );
    assert_eq!(code, "MalformedPolicyDocumentException");
    assert_eq!(
        message,
        "Policy contains a statement with one or more invalid principals."
    );
    root.put_key_policy()
        .key_id(&by_policy)
        .policy(&policy)
        .send()
        .await
        .unwrap();
    encrypt(&new_erin, &by_policy).await.unwrap();
    encrypt(&new_session, &by_policy).await.unwrap();
}

/// Creates the user erin (with an access key) and the role Batch (with a session of it):
/// their unique ids, erin's access key id, and clients for erin and for a session alice
/// assumes.
async fn erin_and_batch(
    h: &Harness,
) -> (
    String,
    String,
    String,
    aws_sdk_kms::Client,
    aws_sdk_kms::Client,
) {
    let trusts_root = trust(&iam_arn("root"), "sts:AssumeRole").to_string();
    let user = admin(h, ROOT, "CreateUser", json!({"UserName": "erin"}))
        .await
        .unwrap();
    let role = admin(
        h,
        ROOT,
        "CreateRole",
        json!({"RoleName": "Batch", "AssumeRolePolicyDocument": trusts_root}),
    )
    .await
    .unwrap();
    let key = admin(h, ROOT, "CreateAccessKey", json!({"UserName": "erin"}))
        .await
        .unwrap();
    let (erin_key, erin_secret) = access_key(&key);
    let erin = h.client_for("us-east-1", &erin_key, &erin_secret);
    let creds = assume_role(&sts_for(h, ALICE).await, &iam_arn("role/Batch"), "batch").await;
    let session = aws_sdk_kms::Client::new(&session_config(h, &creds).await);
    (
        user["User"]["UserId"].as_str().unwrap().to_owned(),
        role["Role"]["RoleId"].as_str().unwrap().to_owned(),
        erin_key,
        erin,
        session,
    )
}
