//! The hot path stays in memory: once a key is warm, Encrypt, Decrypt, ReEncrypt and
//! GenerateDataKey make no store call, by key id or alias; a state change is seen at once.

use trent_core::model::{AliasName, EncryptionContext, KeyRef};
use trent_core::ops::encrypt::DecryptInput;
use trent_core::ops::keys::CreateKeyInput;
use trent_core::secret::Secret;

use crate::harness::{local_kms, root_ctx};

#[tokio::test]
async fn warm_keys_make_no_store_calls() {
    let dir = tempfile::tempdir().unwrap();
    let (store, kms) = local_kms(dir.path());
    let ctx = root_ctx();
    let key = kms
        .create_key(&ctx, CreateKeyInput::default())
        .await
        .unwrap();
    let alias = AliasName::parse("alias/hot").unwrap();
    let by_id = KeyRef::Id(key.id.clone());
    kms.create_alias(&ctx, &alias, &by_id).await.unwrap();
    let by_alias = KeyRef::Alias(alias);
    let ec = EncryptionContext::default();
    let plaintext = Secret::from_slice(b"hot path");

    // Warm up: the first use of each reference loads from the store.
    let warm = kms
        .encrypt(&ctx, &by_alias, &plaintext, &ec, None, false)
        .await
        .unwrap();
    kms.encrypt(&ctx, &by_id, &plaintext, &ec, None, false)
        .await
        .unwrap();
    let input = || DecryptInput {
        ciphertext: &warm.ciphertext,
        context: &ec,
        key: None,
        algorithm: None,
        ignore_ciphertext: false,
    };
    kms.decrypt(&ctx, input(), false).await.unwrap();

    let before = store.calls();
    for _ in 0..100 {
        let out = kms
            .encrypt(&ctx, &by_alias, &plaintext, &ec, None, false)
            .await
            .unwrap();
        kms.encrypt(&ctx, &by_id, &plaintext, &ec, None, false)
            .await
            .unwrap();
        let back = kms
            .decrypt(
                &ctx,
                DecryptInput {
                    ciphertext: &out.ciphertext,
                    context: &ec,
                    key: Some(&by_alias),
                    algorithm: None,
                    ignore_ciphertext: false,
                },
                false,
            )
            .await
            .unwrap();
        assert_eq!(back.plaintext.as_slice(), b"hot path");
        kms.generate_data_key(&ctx, &by_alias, 32, &ec, "kms:GenerateDataKey", false)
            .await
            .unwrap();
        kms.re_encrypt(&ctx, input(), &by_id, &ec, None, false)
            .await
            .unwrap();
    }
    assert_eq!(store.calls(), before, "the hot path reached the store");

    // A state change is visible at once: the cache entry is dropped, not served stale.
    kms.disable_key(&ctx, &by_id).await.unwrap();
    let err = kms
        .encrypt(&ctx, &by_alias, &plaintext, &ec, None, false)
        .await
        .unwrap_err();
    assert!(matches!(err, trent_core::Error::Disabled { .. }), "{err:?}");
    kms.enable_key(&ctx, &by_id).await.unwrap();
    kms.encrypt(&ctx, &by_alias, &plaintext, &ec, None, false)
        .await
        .unwrap();
}

/// The longest authorization path stays in memory too: an IAM user whose identity policy has
/// conditions, a key policy that delegates, a grant, and a grant token on every request.
#[tokio::test]
async fn authorization_makes_no_store_calls() {
    use std::sync::Arc;
    use trent_core::model::{NamedPolicy, Principal, PrincipalKind, RequestContext};
    use trent_core::ops::grants::GrantRequest;
    use trent_core::policy::Policy;

    let dir = tempfile::tempdir().unwrap();
    let (store, kms) = local_kms(dir.path());
    let root = root_ctx();
    let key = kms
        .create_key(&root, CreateKeyInput::default())
        .await
        .unwrap();
    let by_id = KeyRef::Id(key.id.clone());
    let user_arn = "arn:aws:iam::111122223333:user/hot";
    let grant = kms
        .create_grant(
            &root,
            &by_id,
            GrantRequest {
                operations: vec!["Decrypt".into()],
                grantee: Some(user_arn.into()),
                ..GrantRequest::default()
            },
        )
        .await
        .unwrap();
    let policy = Policy::parse(
        r#"{"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"},
            {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalTag/team": "hot", "kms:EncryptionContext:app": "x"}}}]}"#,
        false,
    )
    .unwrap();
    let mut principal = Principal::root(root.principal.account.clone());
    principal.arn = user_arn.into();
    principal.kind = PrincipalKind::User { name: "hot".into() };
    principal.tags.insert("team".into(), "hot".into());
    principal.policies = Arc::from(vec![NamedPolicy {
        name: "p".into(),
        policy,
    }]);
    let mut ctx = RequestContext::new(principal, root.region.clone(), "hot");
    ctx.grant_tokens = vec![grant.token.clone()];
    let mut ec = EncryptionContext::default();
    ec.0.insert("app".into(), "x".into());
    let plaintext = Secret::from_slice(b"hot path");
    let warm = kms
        .encrypt(&ctx, &by_id, &plaintext, &ec, None, false)
        .await
        .unwrap();
    let decrypt = || DecryptInput {
        ciphertext: &warm.ciphertext,
        context: &ec,
        key: None,
        algorithm: None,
        ignore_ciphertext: false,
    };
    kms.decrypt(&ctx, decrypt(), false).await.unwrap();

    let before = store.calls();
    for _ in 0..100 {
        kms.encrypt(&ctx, &by_id, &plaintext, &ec, None, false)
            .await
            .unwrap();
        kms.decrypt(&ctx, decrypt(), false).await.unwrap();
    }
    assert_eq!(store.calls(), before, "authorization reached the store");
    // And it decides: without the context the identity policy does not allow Encrypt.
    let err = kms
        .encrypt(
            &ctx,
            &by_id,
            &plaintext,
            &EncryptionContext::default(),
            None,
            false,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, trent_core::Error::AccessDenied { .. }),
        "{err:?}"
    );
}
