//! AssumeRole: through the SDK's own credential provider and raw STS, the sessions' identities
//! and expiry, who may assume a role, and role chaining with session tags.

use serde_json::json;

use crate::builders::{
    admin, allow, assert_denied, decrypted, sdk_config, session_config, sts_for, trust,
};
use crate::harness::error_of;

use super::{A, ALICE, BOB, ROOT, client, encrypt, harness, iam_arn, key_with_policy};

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
