//! Key policies through the SDK: the default policy, GetKeyPolicy, PutKeyPolicy,
//! ListKeyPolicies, MalformedPolicyDocumentException and the lockout safety check.

use crate::builders::assert_denied;
use crate::harness::{Harness, error_of};

fn policy(principal: &str) -> String {
    format!(
        r#"{{"Version": "2012-10-17", "Id": "custom", "Statement": [{{"Sid": "Admins", "Effect": "Allow", "Principal": {{"AWS": "{principal}"}}, "Action": "kms:*", "Resource": "*"}}]}}"#
    )
}

#[tokio::test]
async fn default_policy_get_list_and_put() {
    let h = Harness::start().await;
    let kms = h.client();
    let id = h.key().await;
    let got = kms.get_key_policy().key_id(&id).send().await.unwrap();
    assert_eq!(got.policy_name.as_deref(), Some("default"));
    let text = got.policy.unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        doc["Statement"][0]["Principal"]["AWS"],
        "arn:aws:iam::111122223333:root"
    );
    assert_eq!(doc["Statement"][0]["Action"], "kms:*");
    let names = kms.list_key_policies().key_id(&id).send().await.unwrap();
    assert_eq!(names.policy_names(), &["default".to_owned()]);
    assert!(!names.truncated);

    let custom = policy("arn:aws:iam::111122223333:root");
    kms.put_key_policy()
        .key_id(&id)
        .policy(&custom)
        .send()
        .await
        .unwrap();
    let got = kms
        .get_key_policy()
        .key_id(&id)
        .policy_name("default")
        .send()
        .await
        .unwrap();
    assert_eq!(got.policy.as_deref(), Some(custom.as_str()));
    let (code, _) = error_of(
        kms.get_key_policy()
            .key_id(&id)
            .policy_name("other")
            .send()
            .await,
    );
    assert_eq!(code, "NotFoundException");
    // Key policies take a key id or ARN, not an alias.
    kms.create_alias()
        .alias_name("alias/p")
        .target_key_id(&id)
        .send()
        .await
        .unwrap();
    // GetKeyPolicy takes no alias, in AWS's words (an alias ARN neither).
    for alias in ["alias/p", "arn:aws:kms:us-east-1:111122223333:alias/p"] {
        assert_eq!(
            error_of(kms.get_key_policy().key_id(alias).send().await),
            (
                "InvalidArnException".to_owned(),
                "Key Aliases are not supported for this operation.".to_owned()
            )
        );
    }
}

#[tokio::test]
async fn malformed_policies_are_refused_everywhere() {
    let h = Harness::start().await;
    let kms = h.client();
    let id = h.key().await;
    let huge = format!(
        r#"{{"Statement": [{{"Sid": "{}", "Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::111122223333:root"}}, "Action": "kms:*", "Resource": "*"}}]}}"#,
        "a".repeat(33 * 1024)
    );
    for bad in [
        "not json".to_owned(),
        r#"{"Statement": []}"#.to_owned(),
        r#"{"Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}"#.to_owned(),
        policy("not-a-principal"),
        r#"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Condition": {"StringBogus": {"a": "b"}}}]}"#.to_owned(),
        huge,
    ] {
        let (code, _) = error_of(kms.put_key_policy().key_id(&id).policy(&bad).send().await);
        assert_eq!(code, "MalformedPolicyDocumentException", "{}", &bad[..bad.len().min(80)]);
        let (code, _) = error_of(kms.create_key().policy(&bad).send().await);
        assert_eq!(code, "MalformedPolicyDocumentException", "CreateKey {}", &bad[..bad.len().min(80)]);
    }
    // The policy on the key is unchanged.
    let text = kms
        .get_key_policy()
        .key_id(&id)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    assert!(text.contains("key-default-1"));
}

#[tokio::test]
async fn the_lockout_safety_check_and_its_bypass() {
    let h = Harness::start().await;
    let kms = h.client();
    let id = h.key().await;
    // A policy that only lets someone else administer the key would lock the caller out
    // (the principal lives in an account Trent does not host, so it cannot be refused as
    // unknown).
    let lockout = policy("arn:aws:iam::999988887777:user/someone-else");
    assert_eq!(
        error_of(
            kms.put_key_policy()
                .key_id(&id)
                .policy(&lockout)
                .send()
                .await
        ),
        (
            "MalformedPolicyDocumentException".to_owned(),
            "The new key policy will not allow you to update the key policy in the future."
                .to_owned()
        )
    );
    let (code, _) = error_of(kms.create_key().policy(&lockout).send().await);
    assert_eq!(code, "MalformedPolicyDocumentException");
    // A deny of PutKeyPolicy locks out too.
    let deny = r#"{"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "kms:PutKeyPolicy", "Resource": "*"}]}"#;
    let (code, _) = error_of(kms.put_key_policy().key_id(&id).policy(deny).send().await);
    assert_eq!(code, "MalformedPolicyDocumentException");
    // The bypass flag accepts them, as at AWS.
    kms.put_key_policy()
        .key_id(&id)
        .policy(&lockout)
        .bypass_policy_lockout_safety_check(true)
        .send()
        .await
        .unwrap();
    let created = kms
        .create_key()
        .policy(&lockout)
        .bypass_policy_lockout_safety_check(true)
        .send()
        .await
        .unwrap();
    let new_id = created.key_metadata.unwrap().key_id;
    // And the lockout is real: the caller can no longer read or change either policy.
    for key in [&id, &new_id] {
        let message = assert_denied(kms.get_key_policy().key_id(key).send().await);
        assert!(
            message
                .ends_with("because no resource-based policy allows the kms:GetKeyPolicy action"),
            "{message}"
        );
        assert_denied(
            kms.put_key_policy()
                .key_id(key)
                .policy(policy("arn:aws:iam::111122223333:root"))
                .send()
                .await,
        );
    }
    // A key pending deletion takes no new policy.
    let open = h.key().await;
    kms.schedule_key_deletion()
        .key_id(&open)
        .send()
        .await
        .unwrap();
    let (code, _) = error_of(
        kms.put_key_policy()
            .key_id(&open)
            .policy(policy("arn:aws:iam::111122223333:root"))
            .send()
            .await,
    );
    assert_eq!(code, "KMSInvalidStateException");
}
