//! Builders the integration tests share: keys, Sign, Verify and GenerateMac requests, policy
//! documents, IAM identities made through the admin API and SDK configurations for them, and
//! the checks of AWS's answers that recur.

use std::process::{Command, Output};

use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::operation::create_key::builders::CreateKeyFluentBuilder;
use aws_sdk_kms::operation::decrypt::builders::DecryptFluentBuilder;
use aws_sdk_kms::operation::generate_mac::builders::GenerateMacFluentBuilder;
use aws_sdk_kms::operation::sign::builders::SignFluentBuilder;
use aws_sdk_kms::operation::verify::builders::VerifyFluentBuilder;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeyMetadata, MacAlgorithmSpec, SigningAlgorithmSpec};
use serde_json::{Value, json};

use crate::harness::{Harness, error_of};

// Keys and the requests that use them.

/// Sends a CreateKey request that must succeed; the new key's metadata.
pub async fn created(request: CreateKeyFluentBuilder) -> KeyMetadata {
    let asked = format!("{:?} {:?}", request.get_key_spec(), request.get_key_usage());
    request
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateKey {asked}: {e:?}"))
        .key_metadata
        .unwrap()
}

/// The plaintext of a Decrypt request that must succeed.
pub async fn decrypted(request: DecryptFluentBuilder) -> Vec<u8> {
    request
        .send()
        .await
        .unwrap()
        .plaintext
        .unwrap()
        .into_inner()
}

/// A Sign request: `key` signs `message` with `algorithm` (a RAW message, unless the caller
/// adds another message type).
pub fn sign(
    kms: &aws_sdk_kms::Client,
    key: &str,
    message: impl Into<Vec<u8>>,
    algorithm: SigningAlgorithmSpec,
) -> SignFluentBuilder {
    kms.sign()
        .key_id(key)
        .message(Blob::new(message))
        .signing_algorithm(algorithm)
}

/// The signature of a Sign request that must succeed.
pub async fn signature_of(request: SignFluentBuilder) -> Vec<u8> {
    request
        .send()
        .await
        .unwrap()
        .signature
        .unwrap()
        .into_inner()
}

/// A Verify request: is `signature` `key`'s signature of `message` with `algorithm`? (A RAW
/// message, unless the caller adds another message type.)
pub fn verify(
    kms: &aws_sdk_kms::Client,
    key: &str,
    message: impl Into<Vec<u8>>,
    signature: impl Into<Vec<u8>>,
    algorithm: SigningAlgorithmSpec,
) -> VerifyFluentBuilder {
    kms.verify()
        .key_id(key)
        .message(Blob::new(message))
        .signature(Blob::new(signature))
        .signing_algorithm(algorithm)
}

/// A GenerateMac request: `key`'s MAC of `message` with `algorithm`.
pub fn generate_mac(
    kms: &aws_sdk_kms::Client,
    key: &str,
    message: impl Into<Vec<u8>>,
    algorithm: MacAlgorithmSpec,
) -> GenerateMacFluentBuilder {
    kms.generate_mac()
        .key_id(key)
        .message(Blob::new(message))
        .mac_algorithm(algorithm)
}

// Policy documents.

/// A policy document (version 2012-10-17) of `statements`, a JSON array.
pub fn policy_document(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// A key policy, as text: `account`'s root may do everything (the default key policy's first
/// statement, with the Sid `Admin`), and `others`, a JSON array of statements, apply too.
pub fn key_policy(account: &str, others: Value) -> String {
    let mut statements = vec![json!(
        {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{account}:root")}, "Action": "kms:*", "Resource": "*"}
    )];
    statements.extend(
        others
            .as_array()
            .expect("the statements come in an array")
            .iter()
            .cloned(),
    );
    policy_document(Value::Array(statements)).to_string()
}

/// An identity policy that allows `actions` (one, or a JSON array) on every resource.
pub fn allow(actions: impl Into<Value>) -> Value {
    let actions: Value = actions.into();
    policy_document(json!([{"Effect": "Allow", "Action": actions, "Resource": "*"}]))
}

/// A role's trust policy: `principal` (an ARN) may take `actions` (one, or a JSON array).
pub fn trust(principal: &str, actions: impl Into<Value>) -> Value {
    let actions: Value = actions.into();
    policy_document(
        json!([{"Effect": "Allow", "Principal": {"AWS": principal}, "Action": actions}]),
    )
}

// Identities through the admin API, and SDK configurations for them.

/// An admin API call signed by `who` (access key id, secret): the answer, or the error text.
pub async fn admin(
    h: &Harness,
    who: (&str, &str),
    action: &str,
    input: Value,
) -> Result<Value, String> {
    trent_server::cli::admin_client::call(&trent_server::cli::admin_client::AdminCall {
        endpoint: h.server.endpoint(),
        access_key_id: who.0.to_owned(),
        secret: zeroize::Zeroizing::new(who.1.to_owned()),
        session_token: None,
        region: "us-east-1".to_owned(),
        action: action.to_owned(),
        input,
    })
    .await
    .map_err(|e| e.to_string())
}

/// The access key id and secret an admin answer carries in `AccessKey` (CreateAccessKey,
/// CreateAccount).
pub fn access_key(answer: &Value) -> (String, String) {
    let key = &answer["AccessKey"];
    (
        key["AccessKeyId"].as_str().unwrap().to_owned(),
        key["SecretAccessKey"].as_str().unwrap().to_owned(),
    )
}

/// Creates the user `name` and an access key for it, as `who`: the key's id and secret.
pub async fn create_user(h: &Harness, who: (&str, &str), name: &str) -> (String, String) {
    admin(h, who, "CreateUser", json!({ "UserName": name }))
        .await
        .unwrap_or_else(|e| panic!("CreateUser {name}: {e}"));
    let answer = admin(h, who, "CreateAccessKey", json!({ "UserName": name }))
        .await
        .unwrap_or_else(|e| panic!("CreateAccessKey {name}: {e}"));
    access_key(&answer)
}

/// Puts the inline policy `name`, `document` (an object, or its text), on the user `user`, as
/// `who`.
pub async fn put_user_policy(
    h: &Harness,
    who: (&str, &str),
    user: &str,
    name: &str,
    document: impl Into<Value>,
) {
    let document: Value = document.into();
    admin(
        h,
        who,
        "PutUserPolicy",
        json!({"UserName": user, "PolicyName": name, "PolicyDocument": document}),
    )
    .await
    .unwrap_or_else(|e| panic!("PutUserPolicy {user} {name}: {e}"));
}

/// An SDK configuration (for STS, or for KMS through `Client::new`) signing as `who`, with
/// `token` for temporary credentials.
pub async fn sdk_config(
    h: &Harness,
    who: (&str, &str),
    token: Option<String>,
) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(h.server.endpoint())
        .credentials_provider(aws_sdk_kms::config::Credentials::new(
            who.0, who.1, token, None, "test",
        ))
        .load()
        .await
}

/// An STS client signing as `who`.
pub async fn sts_for(h: &Harness, who: (&str, &str)) -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::new(&sdk_config(h, who, None).await)
}

/// The SDK configuration of temporary credentials from AssumeRole.
pub async fn session_config(
    h: &Harness,
    creds: &aws_sdk_sts::types::Credentials,
) -> aws_config::SdkConfig {
    let who = (
        creds.access_key_id.as_str(),
        creds.secret_access_key.as_str(),
    );
    sdk_config(h, who, Some(creds.session_token.clone())).await
}

/// Assumes the role `role` (an ARN) as the session `name`, which must succeed; the session's
/// credentials.
pub async fn assume_role(
    sts: &aws_sdk_sts::Client,
    role: &str,
    name: &str,
) -> aws_sdk_sts::types::Credentials {
    sts.assume_role()
        .role_arn(role)
        .role_session_name(name)
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap()
}

// Checks.

/// The message of a call that must fail with AccessDeniedException.
#[track_caller]
pub fn assert_denied<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, E>,
) -> String {
    let (code, message) = error_of(result);
    assert_eq!(code, "AccessDeniedException", "{message}");
    message
}

// OpenSSL, the independent judge.

/// Runs `openssl` with `args`; its output, whatever its exit status.
pub fn openssl_output(args: &[&str]) -> Output {
    Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl is installed (scripts/test installs it)")
}

/// Runs `openssl` with `args`, which must succeed; its output.
#[track_caller]
pub fn openssl(args: &[&str]) -> Output {
    let out = openssl_output(args);
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
