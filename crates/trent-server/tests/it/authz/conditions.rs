//! Condition keys: principal and resource tags (ABAC), the keys a request and its KMS key
//! carry, `kms:RequestAlias` through aliases, and entries differing only in case.

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::Tag;
use serde_json::json;

use crate::builders::{assert_denied, policy_document, sign};
use crate::harness::error_of;

use super::{
    A, BOB, ROOT, client, create_alias, encrypt, harness, key_with_policy, key_with_statements,
    spec_key, user_with_policy,
};

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
