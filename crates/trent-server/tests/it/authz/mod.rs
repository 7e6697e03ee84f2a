//! Authorization end to end: several principals (the account root, IAM users with tags and
//! identity policies, an assumed role, a user of another account) against key policies,
//! identity policies and grants, through `aws-sdk-kms`, `aws-sdk-sts` and the SDK's own
//! `AssumeRoleProvider`; and the admin API changing identities without a restart.
//!
//! This file holds the accounts and identities every test starts from, and the helpers they
//! share. `policies.rs` has key and identity policies deciding, across accounts and for every
//! operation family; `conditions.rs` the condition keys; `grants.rs` grants; `sessions.rs`
//! AssumeRole and its sessions; `identities.rs` the admin API changing identities.

mod conditions;
mod grants;
mod identities;
mod policies;
mod sessions;

use aws_sdk_kms::primitives::Blob;

use crate::builders::{create_user, created, key_policy, put_user_policy};
use crate::harness::Harness;

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
