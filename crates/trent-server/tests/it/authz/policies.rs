//! Key policies and identity policies deciding together: the default key policy's delegation
//! to IAM, statements naming principals, explicit denies, other accounts, and every operation
//! family without and with a policy.

use aws_sdk_kms::primitives::Blob;
use serde_json::json;

use crate::builders::{allow, assert_denied, decrypted, generate_mac, put_user_policy, sign};
use crate::harness::error_of;

use super::{
    A, ALICE, B, BOB, CAROL, ROOT, client, encrypt, harness, iam_arn, key_with_policy,
    key_with_statements, new_user, spec_key,
};

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
