//! Authorization end to end: several principals (the account root, IAM users with tags and
//! identity policies, an assumed role, a user of another account) against key policies,
//! identity policies and grants, through `aws-sdk-kms`, `aws-sdk-sts` and the SDK's own
//! `AssumeRoleProvider`; and the admin API changing identities without a restart.

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{GrantConstraints, GrantOperation, Tag};
use serde_json::json;

use crate::builders::{
    access_key, admin, allow, assert_denied, assume_role, create_user, created, decrypted,
    generate_mac, key_policy, policy_document, put_user_policy, sdk_config, session_config, sign,
    sts_for, trust,
};
use crate::harness::{Harness, error_of};

const A: &str = "111122223333";
const B: &str = "444455556666";
const ROOT: (&str, &str) = (
    "AKIAROOTOFACCOUNTA01",
    "root-secret-of-account-a-0000000000000",
);
const ALICE: (&str, &str) = (
    "AKIAALICE00000000001",
    "alice-secret-0000000000000000000000000",
);
const BOB: (&str, &str) = (
    "AKIABOB0000000000001",
    "bob-secret-000000000000000000000000000",
);
const CAROL: (&str, &str) = (
    "AKIACAROL00000000001",
    "carol-secret-00000000000000000000000000",
);

const CONFIG: &str = r#"
[[accounts]]
id = "111122223333"
regions = ["us-east-1"]

[[accounts.users]]
name = "alice"
tags = { team = "blue" }
[accounts.users.policies]
crypto = '{"Version": "2012-10-17", "Statement": [{"Sid": "UseKeys", "Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant"], "Resource": "*"}, {"Sid": "NoDeleting", "Effect": "Deny", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"}, {"Sid": "Roles", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}'

[[accounts.users]]
name = "bob"
tags = { team = "red" }

[[accounts.roles]]
name = "Ops"
tags = { team = "ops" }
trust_policy = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]}'
[accounts.roles.policies]
decrypt-only = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}'

[[accounts.access_keys]]
id = "AKIAROOTOFACCOUNTA01"
secret = "root-secret-of-account-a-0000000000000"

[[accounts.access_keys]]
id = "AKIAALICE00000000001"
secret = "alice-secret-0000000000000000000000000"
user = "alice"

[[accounts.access_keys]]
id = "AKIABOB0000000000001"
secret = "bob-secret-000000000000000000000000000"
user = "bob"

[[accounts]]
id = "444455556666"
regions = ["us-east-1"]

[[accounts.users]]
name = "carol"
[accounts.users.policies]
use-partner-keys = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "arn:aws:kms:us-east-1:111122223333:key/*"}]}'

[[accounts.access_keys]]
id = "AKIACAROL00000000001"
secret = "carol-secret-00000000000000000000000000"
user = "carol"
"#;

async fn harness() -> Harness {
    harness_with(|_| {}).await
}

/// A server with the accounts and identities of [`CONFIG`], `configure`d further.
async fn harness_with(configure: impl FnOnce(&mut trent_server::ServerOptions)) -> Harness {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("trent.toml");
    std::fs::write(&path, CONFIG).unwrap();
    let h = Harness::start_with(|o| {
        o.config = Some(path.clone());
        configure(o);
    })
    .await;
    // The config is read at start; the directory may go.
    drop(tmp);
    h
}

fn client(h: &Harness, who: (&str, &str)) -> aws_sdk_kms::Client {
    h.client_for("us-east-1", who.0, who.1)
}

/// The ARN of `resource` (`root`, `user/NAME`, `role/NAME`) in account A.
fn iam_arn(resource: &str) -> String {
    format!("arn:aws:iam::{A}:{resource}")
}

/// A key the root of account A creates, with `policy` or the default key policy; its ARN.
async fn key_with_policy(h: &Harness, policy: Option<String>) -> String {
    created(client(h, ROOT).create_key().set_policy(policy))
        .await
        .arn
        .unwrap()
}

/// A key whose policy lets A's root do everything, and has the `statements` too; its ARN.
async fn key_with_statements(h: &Harness, statements: serde_json::Value) -> String {
    key_with_policy(h, Some(key_policy(A, statements))).await
}

/// A key of `spec` for `usage` that A's root creates; its ARN.
async fn spec_key(
    h: &Harness,
    spec: aws_sdk_kms::types::KeySpec,
    usage: aws_sdk_kms::types::KeyUsageType,
) -> String {
    created(client(h, ROOT).create_key().key_spec(spec).key_usage(usage))
        .await
        .arn
        .unwrap()
}

/// Points the alias `name` at `key`, as A's root.
async fn create_alias(h: &Harness, name: &str, key: &str) {
    client(h, ROOT)
        .create_alias()
        .alias_name(name)
        .target_key_id(key)
        .send()
        .await
        .unwrap();
}

/// Encrypts `secret` under `key`: the ciphertext, or the SDK's error.
async fn encrypt(
    kms: &aws_sdk_kms::Client,
    key: &str,
) -> Result<Blob, aws_sdk_kms::error::SdkError<aws_sdk_kms::operation::encrypt::EncryptError>> {
    kms.encrypt()
        .key_id(key)
        .plaintext(Blob::new("secret"))
        .send()
        .await
        .map(|o| o.ciphertext_blob.unwrap())
}

/// A user created through the admin API, with its access key.
async fn new_user(h: &Harness, name: &str) -> aws_sdk_kms::Client {
    let (id, secret) = create_user(h, ROOT, name).await;
    h.client_for("us-east-1", &id, &secret)
}

/// A user created through the admin API with the identity policy `policy` (named `p`).
async fn user_with_policy(
    h: &Harness,
    name: &str,
    policy: serde_json::Value,
) -> aws_sdk_kms::Client {
    let kms = new_user(h, name).await;
    put_user_policy(h, ROOT, name, "p", policy).await;
    kms
}

#[tokio::test]
async fn identity_policies_under_the_default_key_policy() {
    let h = harness().await;
    let key = key_with_policy(&h, None).await;
    // Alice's identity policy allows Encrypt; the default key policy delegates to IAM.
    let blob = encrypt(&client(&h, ALICE), &key).await.unwrap();
    // Bob has no identity policy.
    let message = assert_denied(encrypt(&client(&h, BOB), &key).await);
    assert_eq!(
        message,
        format!(
            "User: arn:aws:iam::{A}:user/bob is not authorized to perform: kms:Encrypt on resource: {key} because no identity-based policy allows the kms:Encrypt action"
        )
    );
    // Alice's explicit identity deny.
    let message = assert_denied(
        client(&h, ALICE)
            .schedule_key_deletion()
            .key_id(&key)
            .send()
            .await,
    );
    assert!(
        message.ends_with("with an explicit deny in an identity-based policy"),
        "{message}"
    );
    // Alice may not do what her policy does not list.
    assert_denied(client(&h, ALICE).disable_key().key_id(&key).send().await);
    // Creating keys and listing are IAM-only actions: Bob has neither.
    assert_denied(client(&h, BOB).create_key().send().await);
    assert_denied(client(&h, BOB).list_keys().send().await);
    // The root decrypts what Alice encrypted.
    let out = decrypted(client(&h, ROOT).decrypt().ciphertext_blob(blob)).await;
    assert_eq!(out, b"secret");
}

#[tokio::test]
async fn key_policy_statements_decide_and_explicit_denies_win() {
    let h = harness().await;
    let key = key_with_statements(
        &h,
        json!([
            {"Sid": "BobEncrypts", "Effect": "Allow", "Principal": {"AWS": iam_arn("user/bob")}, "Action": "kms:Encrypt", "Resource": "*",
             "Condition": {"StringEquals": {"kms:EncryptionContext:purpose": "backup"}}},
            {"Sid": "NoAliceWithoutContext", "Effect": "Deny", "Principal": {"AWS": iam_arn("user/alice")}, "Action": "kms:Encrypt", "Resource": "*",
             "Condition": {"Null": {"kms:EncryptionContextKeys": "true"}}}
        ]),
    )
    .await;
    let bob = client(&h, BOB);
    // Bob, named directly, needs no identity policy, but only with the right context.
    let bob_encrypts = |purpose: &str| {
        bob.encrypt()
            .key_id(&key)
            .plaintext(Blob::new("x"))
            .encryption_context("purpose", purpose)
            .send()
    };
    bob_encrypts("backup").await.unwrap();
    let message = assert_denied(bob_encrypts("other").await);
    assert!(
        message.contains("because no identity-based policy allows the kms:Encrypt action"),
        "{message}"
    );
    // Alice's identity policy allows Encrypt, but the key policy denies it without a context.
    let message = assert_denied(encrypt(&client(&h, ALICE), &key).await);
    assert!(
        message.ends_with("with an explicit deny in a resource-based policy"),
        "{message}"
    );
    client(&h, ALICE)
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new("x"))
        .encryption_context("k", "v")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn abac_with_principal_and_resource_tags() {
    let h = harness().await;
    let key = key_with_statements(
        &h,
        json!([
            {"Sid": "SameTeam", "Effect": "Allow", "Principal": "*", "Action": "kms:Encrypt", "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}", "kms:CallerAccount": A}}}
        ]),
    )
    .await;
    let root = client(&h, ROOT);
    let tag_team = |team: &str| {
        root.tag_resource()
            .key_id(&key)
            .tags(
                Tag::builder()
                    .tag_key("team")
                    .tag_value(team)
                    .build()
                    .unwrap(),
            )
            .send()
    };
    tag_team("red").await.unwrap();
    // Bob is on team red: allowed by the key policy alone.
    encrypt(&client(&h, BOB), &key).await.unwrap();
    // Re-tag the key: the change is seen at once (the cached key is dropped).
    tag_team("blue").await.unwrap();
    assert_denied(encrypt(&client(&h, BOB), &key).await);
}

#[tokio::test]
async fn cross_account_use_needs_both_sides() {
    let h = harness().await;
    let carol = client(&h, CAROL);
    // The default key policy trusts only its own account.
    let private = key_with_policy(&h, None).await;
    let message = assert_denied(encrypt(&carol, &private).await);
    assert!(
        message.contains("because no resource-based policy allows"),
        "{message}"
    );
    // A key policy that names account B delegates to B's identity policies.
    let shared = key_with_statements(
        &h,
        json!([
            {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{B}:root")}, "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"}
        ]),
    )
    .await;
    let blob = encrypt(&carol, &shared).await.unwrap();
    // Management operations are for the key's own account only, whatever the policy says.
    let all = key_with_statements(
        &h,
        json!([
            {"Sid": "PartnerAll", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{B}:user/carol")}, "Action": "kms:*", "Resource": "*"}
        ]),
    )
    .await;
    assert_denied(carol.disable_key().key_id(&all).send().await);
    assert_denied(carol.schedule_key_deletion().key_id(&all).send().await);
    // Carol's own policy does not allow Decrypt, so the key policy alone is not enough.
    let message = assert_denied(
        carol
            .decrypt()
            .key_id(&shared)
            .ciphertext_blob(blob)
            .send()
            .await,
    );
    assert!(
        message.contains("no identity-based policy allows the kms:Decrypt action"),
        "{message}"
    );
}

#[tokio::test]
async fn grants_allow_their_operations_under_their_constraints() {
    let h = harness().await;
    let key = key_with_policy(&h, None).await;
    let root = client(&h, ROOT);
    let bob = client(&h, BOB);
    let bob_arn = iam_arn("user/bob");
    let blob = root
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new("granted"))
        .encryption_context("tenant", "t1")
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let decrypt = |ctx: &'static str| {
        bob.decrypt()
            .key_id(&key)
            .ciphertext_blob(blob.clone())
            .encryption_context("tenant", ctx)
    };
    assert_denied(decrypt("t1").send().await);
    // Bob may decrypt under tenant t1, and retire the grant himself.
    let bob_decrypts = || {
        root.create_grant()
            .key_id(&key)
            .grantee_principal(&bob_arn)
            .retiring_principal(&bob_arn)
            .operations(GrantOperation::Decrypt)
            .constraints(
                GrantConstraints::builder()
                    .encryption_context_subset("tenant", "t1")
                    .build(),
            )
            .name("bob-decrypts")
            .send()
    };
    // A grant of `operations` to Bob, by the root, without constraints.
    let grant_to_bob = |operations: &[GrantOperation]| {
        root.create_grant()
            .key_id(&key)
            .grantee_principal(&bob_arn)
            .set_operations(Some(operations.to_vec()))
            .send()
    };
    let grant = bob_decrypts().await.unwrap();
    let (grant_id, token) = (grant.grant_id.unwrap(), grant.grant_token.unwrap());
    // The grant token works in the same breath.
    let out = decrypted(decrypt("t1").grant_tokens(&token)).await;
    assert_eq!(out, b"granted");
    // Outside its constraint, or for another operation, the grant does not apply.
    assert_denied(decrypt("t2").send().await);
    assert_denied(encrypt(&bob, &key).await);
    // Name idempotency: the same request returns the same grant.
    let again = bob_decrypts().await.unwrap();
    assert_eq!(again.grant_id.as_deref(), Some(grant_id.as_str()));
    let listed = root.list_grants().key_id(&key).send().await.unwrap();
    let grants = listed.grants.unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(
        grants[0].grantee_principal.as_deref(),
        Some(bob_arn.as_str())
    );
    assert_eq!(grants[0].operations(), &[GrantOperation::Decrypt]);
    let retirable = root
        .list_retirable_grants()
        .retiring_principal(&bob_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(retirable.grants.unwrap().len(), 1);
    // Bob, the retiring principal, retires it; then he is denied again.
    bob.retire_grant().grant_token(&token).send().await.unwrap();
    assert_denied(decrypt("t1").send().await);
    // Revoke: another grant, revoked by the root.
    let second = grant_to_bob(&[GrantOperation::Decrypt]).await.unwrap();
    decrypt("t1").send().await.unwrap();
    root.revoke_grant()
        .key_id(&key)
        .grant_id(second.grant_id.unwrap())
        .send()
        .await
        .unwrap();
    assert_denied(decrypt("t1").send().await);
    // Bob, the grantee of a CreateGrant+Decrypt grant, may pass on no more than that.
    grant_to_bob(&[GrantOperation::CreateGrant, GrantOperation::Decrypt])
        .await
        .unwrap();
    let escalate = bob
        .create_grant()
        .key_id(&key)
        .grantee_principal(&bob_arn)
        .operations(GrantOperation::Encrypt)
        .send()
        .await;
    assert_denied(escalate);
    bob.create_grant()
        .key_id(&key)
        .grantee_principal(iam_arn("user/alice"))
        .operations(GrantOperation::Decrypt)
        .send()
        .await
        .unwrap();
    // Grants retirable by another account's principals are not listed to this one.
    assert_denied(
        client(&h, CAROL)
            .list_retirable_grants()
            .retiring_principal(&bob_arn)
            .send()
            .await,
    );
    // Someone the grant does not name cannot retire it, whatever the key policy says.
    let third = grant_to_bob(&[GrantOperation::Decrypt]).await.unwrap();
    assert_denied(
        client(&h, ALICE)
            .retire_grant()
            .key_id(&key)
            .grant_id(third.grant_id.clone().unwrap())
            .send()
            .await,
    );
    root.retire_grant()
        .key_id(&key)
        .grant_id(third.grant_id.unwrap())
        .send()
        .await
        .unwrap();
    // Errors of the grant API.
    assert_eq!(
        error_of(
            root.revoke_grant()
                .key_id(&key)
                .grant_id("0".repeat(64))
                .send()
                .await
        )
        .0,
        "NotFoundException"
    );
    assert_eq!(
        error_of(
            bob.decrypt()
                .ciphertext_blob(blob.clone())
                .grant_tokens("garbage")
                .send()
                .await
        )
        .0,
        "InvalidGrantTokenException"
    );
    assert_eq!(
        error_of(
            root.create_grant()
                .key_id(&key)
                .grantee_principal(iam_arn("user/nobody"))
                .operations(GrantOperation::Decrypt)
                .send()
                .await
        )
        .0,
        "InvalidArnException"
    );
}

#[tokio::test]
async fn assume_role_through_the_sdk_credential_provider() {
    let h = harness().await;
    let key = key_with_policy(&h, None).await;
    let blob = encrypt(&client(&h, ROOT), &key).await.unwrap();
    let role = iam_arn("role/Ops");

    // GetCallerIdentity for a long-term key.
    let sts = sts_for(&h, ALICE).await;
    let me = sts.get_caller_identity().send().await.unwrap();
    assert_eq!(me.arn(), Some(iam_arn("user/alice").as_str()));
    assert_eq!(me.account(), Some(A));

    // The SDK's own provider assumes the role and refreshes from STS.
    let provider = aws_config::sts::AssumeRoleProvider::builder(&role)
        .session_name("e2e")
        .configure(&sdk_config(&h, ALICE, None).await)
        .build()
        .await;
    let config = aws_sdk_kms::Config::builder()
        .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
        .region(aws_sdk_kms::config::Region::new("us-east-1"))
        .endpoint_url(h.server.endpoint())
        .credentials_provider(provider)
        .build();
    let ops = aws_sdk_kms::Client::from_conf(config);
    let out = decrypted(ops.decrypt().ciphertext_blob(blob.clone())).await;
    assert_eq!(out, b"secret");
    let message = assert_denied(encrypt(&ops, &key).await);
    assert!(
        message.starts_with(&format!(
            "User: arn:aws:sts::{A}:assumed-role/Ops/e2e is not authorized"
        )),
        "{message}"
    );

    // The raw STS call: credentials, their identity, their expiry.
    let assumed = sts
        .assume_role()
        .role_arn(&role)
        .role_session_name("raw")
        .duration_seconds(900)
        .tags(
            aws_sdk_sts::types::Tag::builder()
                .key("project")
                .value("x")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let creds = assumed.credentials.unwrap();
    assert!(creds.access_key_id.starts_with("ASIA"));
    assert_eq!(
        assumed.assumed_role_user.unwrap().arn,
        format!("arn:aws:sts::{A}:assumed-role/Ops/raw")
    );
    let session = session_config(&h, &creds).await;
    let who = aws_sdk_sts::Client::new(&session)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(
        who.arn(),
        Some(format!("arn:aws:sts::{A}:assumed-role/Ops/raw").as_str())
    );
    let session_kms = aws_sdk_kms::Client::new(&session);
    session_kms
        .decrypt()
        .ciphertext_blob(blob.clone())
        .send()
        .await
        .unwrap();
    // Without its token the session key is not recognized.
    let tokenless = h.client_for("us-east-1", &creds.access_key_id, &creds.secret_access_key);
    assert_eq!(
        error_of(
            tokenless
                .decrypt()
                .ciphertext_blob(blob.clone())
                .send()
                .await
        )
        .0,
        "UnrecognizedClientException"
    );
    // After its 15 minutes, the session is expired.
    h.clock.advance(std::time::Duration::from_secs(901));
    assert_eq!(
        error_of(session_kms.decrypt().ciphertext_blob(blob).send().await).0,
        "ExpiredTokenException"
    );

    // Bob is not trusted by the role.
    let err = sts_for(&h, BOB)
        .await
        .assume_role()
        .role_arn(&role)
        .role_session_name("nope")
        .send()
        .await
        .unwrap_err();
    use aws_sdk_sts::error::ProvideErrorMetadata as _;
    assert_eq!(err.code(), Some("AccessDenied"));
    assert!(
        err.message().unwrap_or_default().starts_with(&format!(
            "User: arn:aws:iam::{A}:user/bob is not authorized to perform: sts:AssumeRole on resource: {role}"
        )),
        "{:?}",
        err.message()
    );
    // The account root may not assume roles, as at AWS.
    let err = sts_for(&h, ROOT)
        .await
        .assume_role()
        .role_arn(&role)
        .role_session_name("root")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
    assert_eq!(
        err.message(),
        Some("Roles may not be assumed by root accounts.")
    );
    // Longer than the role allows.
    let err = sts
        .assume_role()
        .role_arn(&role)
        .role_session_name("long")
        .duration_seconds(7200)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationError"));
}

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

/// Runs one call per operation family and returns the error code of each (`ok` on success).
async fn every_family(
    kms: &aws_sdk_kms::Client,
    keys: &[String; 5],
) -> Vec<(&'static str, String)> {
    use aws_sdk_kms::types::*;
    let code = |r: Result<(), String>| r.err().unwrap_or_else(|| "ok".to_owned());
    fn c<T, E: aws_sdk_kms::error::ProvideErrorMetadata>(r: Result<T, E>) -> Result<(), String> {
        r.map(|_| ())
            .map_err(|e| e.code().unwrap_or("?").to_owned())
    }
    let [sym, signer, hmac, agree, kem] = keys;
    let peer = {
        let pk = kms.get_public_key().key_id(agree).send().await;
        pk.ok()
            .and_then(|p| p.public_key)
            .unwrap_or_else(|| Blob::new(vec![0u8; 91]))
    };
    vec![
        (
            "Encrypt",
            code(c(kms
                .encrypt()
                .key_id(sym)
                .plaintext(Blob::new("x"))
                .send()
                .await)),
        ),
        (
            "GenerateDataKey",
            code(c(kms
                .generate_data_key()
                .key_id(sym)
                .key_spec(DataKeySpec::Aes256)
                .send()
                .await)),
        ),
        (
            "GenerateDataKeyPair",
            code(c(kms
                .generate_data_key_pair()
                .key_id(sym)
                .key_pair_spec(DataKeyPairSpec::EccNistP256)
                .send()
                .await)),
        ),
        (
            "DescribeKey",
            code(c(kms.describe_key().key_id(sym).send().await)),
        ),
        (
            "GetKeyPolicy",
            code(c(kms.get_key_policy().key_id(sym).send().await)),
        ),
        (
            "ListResourceTags",
            code(c(kms.list_resource_tags().key_id(sym).send().await)),
        ),
        (
            "TagResource",
            code(c(kms
                .tag_resource()
                .key_id(sym)
                .tags(Tag::builder().tag_key("k").tag_value("v").build().unwrap())
                .send()
                .await)),
        ),
        (
            "ListGrants",
            code(c(kms.list_grants().key_id(sym).send().await)),
        ),
        (
            "UpdateKeyDescription",
            code(c(kms
                .update_key_description()
                .key_id(sym)
                .description("d")
                .send()
                .await)),
        ),
        (
            "Sign",
            code(c(sign(kms, signer, "m", SigningAlgorithmSpec::EcdsaSha256)
                .send()
                .await)),
        ),
        (
            "GetPublicKey",
            code(c(kms.get_public_key().key_id(signer).send().await)),
        ),
        (
            "GenerateMac",
            code(c(generate_mac(
                kms,
                hmac,
                "m",
                MacAlgorithmSpec::HmacSha256,
            )
            .send()
            .await)),
        ),
        (
            "DeriveSharedSecret",
            code(c(kms
                .derive_shared_secret()
                .key_id(agree)
                .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
                .public_key(peer)
                .send()
                .await)),
        ),
        (
            "Encapsulate",
            code(c(kms
                .encapsulate()
                .key_id(kem)
                .encapsulation_algorithm(EncapsulationAlgorithmSpec::MlKem)
                .send()
                .await)),
        ),
        (
            "GenerateRandom",
            code(c(kms.generate_random().number_of_bytes(8).send().await)),
        ),
        ("ListKeys", code(c(kms.list_keys().send().await))),
        ("CreateKey", code(c(kms.create_key().send().await))),
    ]
}

#[tokio::test]
async fn every_operation_family_is_denied_without_a_policy_and_allowed_with_one() {
    use aws_sdk_kms::types::{KeySpec, KeyUsageType};
    let h = harness().await;
    let keys = [
        key_with_policy(&h, None).await,
        spec_key(&h, KeySpec::EccNistP256, KeyUsageType::SignVerify).await,
        spec_key(&h, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await,
        spec_key(&h, KeySpec::EccNistP256, KeyUsageType::KeyAgreement).await,
        spec_key(&h, KeySpec::MlKem768, KeyUsageType::EncapsulateDecapsulate).await,
    ];
    let frank = new_user(&h, "frank").await;
    for (op, code) in every_family(&frank, &keys).await {
        assert_eq!(code, "AccessDeniedException", "{op} without a policy");
    }
    put_user_policy(&h, ROOT, "frank", "all", allow("kms:*")).await;
    for (op, code) in every_family(&frank, &keys).await {
        assert_eq!(code, "ok", "{op} with kms:*");
    }
}

#[tokio::test]
async fn condition_keys_from_the_request_and_the_key() {
    use aws_sdk_kms::types::{KeySpec, KeyUsageType, SigningAlgorithmSpec};
    let h = harness().await;
    let gina = user_with_policy(
        &h,
        "gina",
        policy_document(json!([
            {"Sid": "OnlyPss", "Effect": "Allow", "Action": "kms:Sign", "Resource": "*",
             "Condition": {"StringLike": {"kms:SigningAlgorithm": "RSASSA_PSS_*"}, "StringEquals": {"kms:KeySpec": "RSA_2048", "kms:KeyUsage": "SIGN_VERIFY"}}},
            {"Sid": "ViaAliasOnly", "Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*",
             "Condition": {"StringEquals": {"kms:RequestAlias": "alias/app", "kms:EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}}},
            {"Sid": "KeysNamedApp", "Effect": "Allow", "Action": "kms:DescribeKey", "Resource": "*",
             "Condition": {"ForAnyValue:StringLike": {"kms:ResourceAliases": "alias/app*"}}},
            {"Sid": "NoTestKeys", "Effect": "Deny", "Action": "kms:CreateKey", "Resource": "*",
             "Condition": {"StringEquals": {"aws:RequestTag/env": "test"}}},
            {"Sid": "CreateKeys", "Effect": "Allow", "Action": ["kms:CreateKey", "kms:TagResource"], "Resource": "*"}
        ])),
    )
    .await;
    let rsa = spec_key(&h, KeySpec::Rsa2048, KeyUsageType::SignVerify).await;
    let sign_with = |alg: SigningAlgorithmSpec| sign(&gina, &rsa, "m", alg).send();
    sign_with(SigningAlgorithmSpec::RsassaPssSha256)
        .await
        .unwrap();
    assert_denied(sign_with(SigningAlgorithmSpec::RsassaPkcs1V15Sha256).await);

    let sym = key_with_policy(&h, None).await;
    assert_denied(encrypt(&gina, &sym).await);
    assert_denied(gina.describe_key().key_id(&sym).send().await);
    create_alias(&h, "alias/app", &sym).await;
    // By its alias the request carries kms:RequestAlias; the key now has a matching alias.
    encrypt(&gina, "alias/app").await.unwrap();
    assert_denied(encrypt(&gina, &sym).await);
    gina.describe_key().key_id(&sym).send().await.unwrap();

    let tag = |v: &str| Tag::builder().tag_key("env").tag_value(v).build().unwrap();
    gina.create_key().tags(tag("prod")).send().await.unwrap();
    let message = assert_denied(gina.create_key().tags(tag("test")).send().await);
    assert!(
        message.ends_with("with an explicit deny in an identity-based policy"),
        "{message}"
    );
}

#[tokio::test]
async fn a_dry_run_ignoring_the_ciphertext_still_checks_authorization() {
    let h = harness().await;
    let key = key_with_policy(&h, None).await;
    let dry_run = |who| {
        client(&h, who)
            .decrypt()
            .key_id(&key)
            .dry_run(true)
            .dry_run_modifiers(aws_sdk_kms::types::DryRunModifierType::IgnoreCiphertext)
            .send()
    };
    // Alice's identity policy allows kms:Decrypt; Bob has none.
    assert_eq!(error_of(dry_run(ALICE).await).0, "DryRunOperationException");
    let message = assert_denied(dry_run(BOB).await);
    assert!(message.contains("kms:Decrypt"), "{message}");
}

#[tokio::test]
async fn decrypt_by_alias_carries_the_request_alias() {
    let h = harness().await;
    let hal = user_with_policy(
        &h,
        "hal",
        policy_document(json!([
            {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*"], "Resource": "*"},
            {"Sid": "NotThroughBlocked", "Effect": "Deny", "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*"], "Resource": "*",
             "Condition": {"StringEquals": {"kms:RequestAlias": "alias/blocked"}}}
        ])),
    )
    .await;
    let key = key_with_policy(&h, None).await;
    create_alias(&h, "alias/blocked", &key).await;
    let blob = encrypt(&hal, &key).await.unwrap();
    assert_denied(encrypt(&hal, "alias/blocked").await);
    let decrypt = |id: Option<&str>| {
        let mut req = hal.decrypt().ciphertext_blob(blob.clone());
        if let Some(id) = id {
            req = req.key_id(id);
        }
        req.send()
    };
    // Named by the alias, Decrypt is denied as Encrypt is; by its id, or unnamed, it is not.
    let message = assert_denied(decrypt(Some("alias/blocked")).await);
    assert!(message.contains("explicit deny"), "{message}");
    decrypt(Some(&key)).await.unwrap();
    decrypt(None).await.unwrap();
    // ReEncrypt's source too.
    let re = hal
        .re_encrypt()
        .ciphertext_blob(blob.clone())
        .source_key_id("alias/blocked")
        .destination_key_id(&key)
        .send()
        .await;
    assert_denied(re);
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

/// Condition key names ignore case; encryption context keys and tag keys do not. A request
/// whose entries differ only in case cannot pick which one a condition sees.
#[tokio::test]
async fn entries_differing_only_in_case_cannot_side_step_a_condition() {
    let h = harness().await;
    let ivy = user_with_policy(
        &h,
        "ivy",
        policy_document(json!([
            {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*",
             "Condition": {"StringEquals": {"kms:EncryptionContext:tenant": "A"}}},
            {"Effect": "Deny", "Action": "kms:Encrypt", "Resource": "*",
             "Condition": {"StringEquals": {"kms:EncryptionContext:tenant": "B"}}},
            {"Effect": "Allow", "Action": "kms:DescribeKey", "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/env": "dev"}}}
        ])),
    )
    .await;
    let key = key_with_policy(&h, None).await;
    let encrypt = |context: &[(&str, &str)]| {
        let mut req = ivy.encrypt().key_id(&key).plaintext(Blob::new("x"));
        for (k, v) in context {
            req = req.encryption_context(*k, *v);
        }
        req.send()
    };
    encrypt(&[("tenant", "A")]).await.unwrap();
    assert_denied(encrypt(&[("tenant", "B")]).await);
    let message = assert_denied(encrypt(&[("Tenant", "A"), ("tenant", "B")]).await);
    assert!(message.contains("explicit deny"), "{message}");
    assert_eq!(
        error_of(encrypt(&[("tenant", "A"), ("TENANT", "A")]).await).0,
        "AccessDeniedException",
        "ambiguous even when the values agree"
    );

    let root = client(&h, ROOT);
    let tag = |k: &str, v: &str| {
        root.tag_resource()
            .key_id(&key)
            .tags(Tag::builder().tag_key(k).tag_value(v).build().unwrap())
            .send()
    };
    tag("env", "dev").await.unwrap();
    ivy.describe_key().key_id(&key).send().await.unwrap();
    tag("Env", "prod").await.unwrap();
    assert_denied(ivy.describe_key().key_id(&key).send().await);
}

/// Role chaining passes on only transitive session tags, and passing any needs
/// `sts:TagSession` in the next role's trust policy (issue 15: a non-transitive `team=admin`
/// used to override the next role's own `team=blue`).
#[tokio::test]
async fn chained_sessions_pass_on_only_transitive_tags() {
    use aws_sdk_sts::error::ProvideErrorMetadata as _;
    let h = harness().await;
    let alice = iam_arn("user/alice");
    let r1 = iam_arn("role/r1");
    for (name, trust_policy, tags) in [
        (
            "r1",
            trust(&alice, json!(["sts:AssumeRole", "sts:TagSession"])),
            json!([]),
        ),
        (
            "r2",
            trust(&r1, json!(["sts:AssumeRole"])),
            json!([{"Key": "team", "Value": "blue"}]),
        ),
        (
            "r3",
            trust(&r1, json!(["sts:AssumeRole", "sts:TagSession"])),
            json!([{"Key": "team", "Value": "blue"}]),
        ),
    ] {
        admin(
            &h,
            ROOT,
            "CreateRole",
            json!({"RoleName": name, "AssumeRolePolicyDocument": trust_policy, "Tags": tags}),
        )
        .await
        .unwrap();
    }
    let policy = allow(json!(["sts:AssumeRole", "sts:TagSession"]));
    for (kind, name) in [("User", "alice"), ("Role", "r1")] {
        admin(
            &h,
            ROOT,
            &format!("Put{kind}Policy"),
            json!({format!("{kind}Name"): name, "PolicyName": "p", "PolicyDocument": policy}),
        )
        .await
        .unwrap();
    }
    let tag = |k: &str, v: &str| {
        aws_sdk_sts::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
            .unwrap()
    };
    let first = |transitive: bool| {
        let h = &h;
        let r1 = r1.clone();
        async move {
            let sts = sts_for(h, ALICE).await;
            let mut req = sts
                .assume_role()
                .role_arn(r1)
                .role_session_name("one")
                .tags(tag("team", "admin"));
            if transitive {
                req = req.transitive_tag_keys("team");
            }
            let c = req.send().await.unwrap().credentials.unwrap();
            aws_sdk_sts::Client::new(&session_config(h, &c).await)
        }
    };
    let team_of = |sts: aws_sdk_sts::Client, role: &str| {
        let role = iam_arn(&format!("role/{role}"));
        async move {
            let out = sts
                .assume_role()
                .role_arn(role)
                .role_session_name("two")
                .send()
                .await;
            match out {
                Err(e) => Err(e.code().unwrap_or_default().to_owned()),
                Ok(out) => Ok(out.credentials.unwrap()),
            }
        }
    };
    // The principal, tags and all, of the session of `access_key_id`.
    let session_of = |access_key_id: &str| {
        h.server
            .kms
            .directory()
            .credential(access_key_id)
            .unwrap()
            .principal
    };

    // Not transitive: r2 is assumed without tags, and the session's team is r2's own.
    let plain = first(false).await;
    let c = team_of(plain.clone(), "r2").await.expect("no tags pass on");
    let as_r2 = aws_sdk_sts::Client::new(&session_config(&h, &c).await);
    as_r2.get_caller_identity().send().await.unwrap();
    let session = session_of(&c.access_key_id);
    assert_eq!(session.tags.get("team").map(String::as_str), Some("blue"));

    // Transitive: passing it on needs sts:TagSession, which r2's trust policy lacks.
    let chained = first(true).await;
    assert_eq!(
        team_of(chained.clone(), "r2").await.err().as_deref(),
        Some("AccessDenied")
    );
    // r3 allows it: the transitive tag passes on, over r3's own.
    let c = team_of(chained, "r3").await.expect("r3 allows TagSession");
    let session = session_of(&c.access_key_id);
    assert_eq!(session.tags.get("team").map(String::as_str), Some("admin"));
    assert_eq!(
        session.transitive_tags.get("team").map(String::as_str),
        Some("admin")
    );
    // A transitive tag cannot be overridden further down the chain, and a transitive key
    // must be one of the session's tags.
    let again = first(true).await;
    let clash = again
        .assume_role()
        .role_arn(iam_arn("role/r3"))
        .role_session_name("three")
        .tags(tag("team", "other"))
        .send()
        .await;
    assert_eq!(
        clash
            .err()
            .and_then(|e| e.code().map(str::to_owned))
            .as_deref(),
        Some("ValidationError")
    );
    let stray = sts_for(&h, ALICE)
        .await
        .assume_role()
        .role_arn(&r1)
        .role_session_name("four")
        .tags(tag("team", "admin"))
        .transitive_tag_keys("project")
        .send()
        .await;
    assert_eq!(
        stray
            .err()
            .and_then(|e| e.code().map(str::to_owned))
            .as_deref(),
        Some("ValidationError")
    );
    let _ = plain;
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
