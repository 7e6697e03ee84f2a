//! The hot path stays in memory: once a key is warm, Encrypt, Decrypt, ReEncrypt and
//! GenerateDataKey make no store call, by key id or alias; a state change is seen at once.

use trent_core::model::{AliasName, EncryptionContext, KeyRef};
use trent_core::ops::encrypt::DecryptInput;
use trent_core::ops::keys::CreateKeyInput;
use trent_core::secret::Secret;

use crate::harness::{local_kms, root_ctx};

/// A Kms on a new store in `dir`, and one key the root user made.
async fn one_key(
    dir: &std::path::Path,
) -> (
    std::sync::Arc<trent_store::SqliteStore>,
    trent_core::Kms,
    KeyRef,
) {
    let (store, kms) = local_kms(dir);
    let key = kms
        .create_key(&root_ctx(), CreateKeyInput::default())
        .await
        .unwrap();
    (store, kms, KeyRef::Id(key.id))
}

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
    let (store, kms, by_id) = one_key(dir.path()).await;
    let root = root_ctx();
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

/// The key cache is bounded: past its capacity the least recently used key goes, its
/// material with it, and using it again costs exactly one store read (record, tags, aliases,
/// and the sealed current material together) and one unseal; ciphertexts made before
/// the eviction still decrypt.
#[tokio::test]
async fn an_evicted_key_costs_one_store_read() {
    let dir = tempfile::tempdir().unwrap();
    let (store, kms) = local_kms(dir.path());
    let kms = kms.key_cache_capacity(2);
    let ctx = root_ctx();
    let ec = EncryptionContext::default();
    let mut keys = Vec::new();
    for _ in 0..3 {
        let key = kms
            .create_key(&ctx, CreateKeyInput::default())
            .await
            .unwrap();
        keys.push(KeyRef::Id(key.id));
    }
    // One Encrypt: its ciphertext and the store calls it made.
    async fn encrypt(
        kms: &trent_core::Kms,
        store: &trent_store::SqliteStore,
        key: &KeyRef,
    ) -> (Vec<u8>, u64) {
        let before = store.calls();
        let out = kms
            .encrypt(
                &root_ctx(),
                key,
                &Secret::from_slice(b"bounded"),
                &EncryptionContext::default(),
                None,
                false,
            )
            .await
            .unwrap();
        (out.ciphertext, store.calls() - before)
    }
    let encrypt = |key| encrypt(&kms, &store, key);
    let (first, _) = encrypt(&keys[0]).await;
    encrypt(&keys[1]).await;
    assert_eq!(encrypt(&keys[0]).await.1, 0, "warm");
    // keys[1] is now the least recently used: keys[2] pushes it out.
    encrypt(&keys[2]).await;
    let stats = kms.key_cache();
    assert_eq!((stats.keys, stats.capacity), (2, 2));
    assert_eq!(stats.evictions, 1);
    assert_eq!(encrypt(&keys[0]).await.1, 0, "kept: recently used");
    assert_eq!(encrypt(&keys[2]).await.1, 0, "kept: just loaded");
    assert_eq!(encrypt(&keys[1]).await.1, 1, "evicted: one store read");
    assert_eq!(encrypt(&keys[1]).await.1, 0, "warm again");
    assert_eq!(kms.key_cache().evictions, 2);
    // keys[0] went out when keys[1] came back; its old ciphertext still decrypts.
    let before = store.calls();
    let back = kms
        .decrypt(
            &ctx,
            DecryptInput {
                ciphertext: &first,
                context: &ec,
                key: None,
                algorithm: None,
                ignore_ciphertext: false,
            },
            false,
        )
        .await
        .unwrap();
    assert_eq!(back.plaintext.as_slice(), b"bounded");
    assert_eq!(store.calls() - before, 1);
}

/// Grants are found by grantee: a key with many grants to others still allows the one
/// grantee its grant names (by user ARN, or by role ARN for the role's sessions) and nobody
/// else. They are read only when a request needs them, once, and a grant token naming one of
/// them then needs no store read.
#[tokio::test]
async fn grants_are_found_by_grantee_among_many() {
    use trent_core::model::{Principal, PrincipalKind, RequestContext};
    use trent_core::ops::grants::GrantRequest;

    let dir = tempfile::tempdir().unwrap();
    let (store, kms, by_id) = one_key(dir.path()).await;
    let root = root_ctx();
    let grant_to = |grantee: String, op: &str| GrantRequest {
        operations: vec![op.into()],
        grantee: Some(grantee),
        ..GrantRequest::default()
    };
    let role_arn = "arn:aws:iam::111122223333:role/app";
    let mut role_grant = None;
    for i in 0..200 {
        let user = format!("arn:aws:iam::111122223333:user/other{i}");
        kms.create_grant(&root, &by_id, grant_to(user, "Encrypt"))
            .await
            .unwrap();
        if i == 100 {
            role_grant = Some(
                kms.create_grant(&root, &by_id, grant_to(role_arn.into(), "Encrypt"))
                    .await
                    .unwrap(),
            );
        }
    }
    let as_principal = |arn: &str, kind: PrincipalKind| {
        let mut principal = Principal::root(root.principal.account.clone());
        principal.arn = arn.into();
        principal.kind = kind;
        RequestContext::new(principal, root.region.clone(), "grants")
    };
    let mut session = as_principal(
        "arn:aws:sts::111122223333:assumed-role/app/s1",
        PrincipalKind::AssumedRole {
            role_name: "app".into(),
            session_name: "s1".into(),
        },
    );
    session.grant_tokens = vec![role_grant.unwrap().token];
    let other = as_principal(
        "arn:aws:iam::111122223333:user/other7",
        PrincipalKind::User {
            name: "other7".into(),
        },
    );
    let stranger = as_principal(
        "arn:aws:iam::111122223333:user/stranger",
        PrincipalKind::User {
            name: "stranger".into(),
        },
    );
    let ec = EncryptionContext::default();
    let plaintext = Secret::from_slice(b"granted");
    // A caller the key policy allows does not need the grants: the key loads in one read.
    let before = store.calls();
    kms.encrypt(&root, &by_id, &plaintext, &ec, None, false)
        .await
        .unwrap();
    assert_eq!(store.calls() - before, 1, "the key without its grants");
    // The first grant token reads them, once.
    let before = store.calls();
    kms.encrypt(&session, &by_id, &plaintext, &ec, None, false)
        .await
        .unwrap();
    assert_eq!(store.calls() - before, 1, "the grants");
    let before = store.calls();
    for ctx in [&session, &other] {
        kms.encrypt(ctx, &by_id, &plaintext, &ec, None, false)
            .await
            .unwrap();
    }
    assert_eq!(store.calls(), before, "grants and the token from memory");
    let err = kms
        .encrypt(&stranger, &by_id, &plaintext, &ec, None, false)
        .await
        .unwrap_err();
    assert!(
        matches!(err, trent_core::Error::AccessDenied { .. }),
        "{err:?}"
    );
    // A grant allows only the operations it names.
    let err = kms
        .generate_data_key(&other, &by_id, 32, &ec, "kms:GenerateDataKey", false)
        .await
        .unwrap_err();
    assert!(
        matches!(err, trent_core::Error::AccessDenied { .. }),
        "{err:?}"
    );
}

/// Requests that need a key's grants at the same moment share one read of them: the others
/// wait for the first instead of each reading every grant (a cold key with 50,000 grants
/// under 64 connections served 6 requests a second before).
#[tokio::test]
async fn concurrent_requests_share_one_read_of_the_grants() {
    use trent_core::model::{Principal, PrincipalKind, RequestContext};
    use trent_core::ops::grants::GrantRequest;

    let dir = tempfile::tempdir().unwrap();
    let (store, kms, by_id) = one_key(dir.path()).await;
    let root = root_ctx();
    let user = "arn:aws:iam::111122223333:user/app";
    for i in 0..20 {
        let grantee = if i == 10 {
            user.to_owned()
        } else {
            format!("arn:aws:iam::111122223333:user/other{i}")
        };
        let request = GrantRequest {
            operations: vec!["Encrypt".into()],
            grantee: Some(grantee),
            ..GrantRequest::default()
        };
        kms.create_grant(&root, &by_id, request).await.unwrap();
    }
    let mut principal = Principal::root(root.principal.account.clone());
    principal.arn = user.into();
    principal.kind = PrincipalKind::User { name: "app".into() };
    let app = RequestContext::new(principal, root.region.clone(), "grants");
    let ec = EncryptionContext::default();
    let plaintext = Secret::from_slice(b"herd");
    // The key is loaded, without its grants, by a caller the key policy allows.
    kms.encrypt(&root, &by_id, &plaintext, &ec, None, false)
        .await
        .unwrap();
    let before = store.calls();
    let herd = (0..16).map(|_| kms.encrypt(&app, &by_id, &plaintext, &ec, None, false));
    for out in futures_util::future::join_all(herd).await {
        out.unwrap();
    }
    assert_eq!(
        store.calls() - before,
        1,
        "one read of the grants for all 16"
    );
}
