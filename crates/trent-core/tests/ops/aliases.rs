//! Aliases: an alias resolves to its key wherever a key may be named by alias, and follows
//! UpdateAlias and DeleteAlias.

use trent_core::Error;
use trent_core::model::{AliasName, KeyRef};
use trent_core::secret::Secret;

use crate::fixture::{Fixture, OTHER, OWNER, START, context, decrypt_input};

#[tokio::test]
async fn an_alias_resolves_to_its_key() {
    let f = Fixture::new().await;
    let ctx = f.owner();
    let key = f.symmetric_key().await;
    let name = AliasName::parse("alias/orders").unwrap();
    f.kms
        .create_alias(&ctx, &name, &KeyRef::Id(key.id.clone()))
        .await
        .unwrap();

    // Every way of naming the key reaches it.
    let refs = [
        "alias/orders".to_owned(),
        format!("arn:aws:kms:us-east-1:{OWNER}:alias/orders"),
        key.id.to_string(),
        key.arn(),
    ];
    for text in &refs {
        let key_ref = KeyRef::parse(text).unwrap();
        let described = f.kms.describe_key(&ctx, &key_ref).await.unwrap();
        assert_eq!(described.id, key.id, "{text}");
    }

    // Encrypt by alias; the blob names the key itself.
    let aad = context(&[("k", "v")]);
    let plaintext = Secret::from_slice(b"by alias");
    let encrypted = f
        .kms
        .encrypt(
            &ctx,
            &KeyRef::Alias(name.clone()),
            &plaintext,
            &aad,
            None,
            false,
        )
        .await
        .unwrap();
    assert_eq!(encrypted.key.id, key.id);
    let decrypted = f
        .kms
        .decrypt(&ctx, decrypt_input(&encrypted.ciphertext, &aad), false)
        .await
        .unwrap();
    assert_eq!(decrypted.key.id, key.id);
    assert_eq!(decrypted.plaintext, plaintext);

    // ListAliases for the key shows it, dated by the fixed clock.
    let listed = f
        .kms
        .list_aliases(&ctx, Some(&KeyRef::Id(key.id.clone())), 100, None)
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1, "{:?}", listed.items);
    let alias = &listed.items[0];
    assert_eq!(alias.name, name);
    assert_eq!(alias.target, key.id);
    assert_eq!(alias.scope, f.scope());
    assert_eq!(alias.created, START);
    assert_eq!(alias.updated, START);
}

#[tokio::test]
async fn an_alias_follows_update_alias_and_delete_alias() {
    let f = Fixture::new().await;
    let ctx = f.owner();
    let (first, second) = (f.symmetric_key().await, f.symmetric_key().await);
    let name = AliasName::parse("alias/current").unwrap();
    let by_alias = KeyRef::Alias(name.clone());
    f.kms
        .create_alias(&ctx, &name, &KeyRef::Id(first.id.clone()))
        .await
        .unwrap();
    assert_eq!(
        f.kms.describe_key(&ctx, &by_alias).await.unwrap().id,
        first.id
    );

    f.kms
        .update_alias(&ctx, &name, &KeyRef::Id(second.id.clone()))
        .await
        .unwrap();
    assert_eq!(
        f.kms.describe_key(&ctx, &by_alias).await.unwrap().id,
        second.id
    );

    f.kms.delete_alias(&ctx, &name).await.unwrap();
    match f.kms.describe_key(&ctx, &by_alias).await {
        Err(Error::AliasNotFound { alias_arn }) => {
            assert_eq!(
                alias_arn,
                format!("arn:aws:kms:us-east-1:{OWNER}:alias/current")
            );
        }
        other => panic!("{other:?}"),
    }
    // Both keys are still there.
    for key in [&first, &second] {
        f.kms
            .describe_key(&ctx, &KeyRef::Id(key.id.clone()))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn alias_mistakes_get_their_own_errors() {
    let f = Fixture::new().await;
    let ctx = f.owner();
    let (key, other_key) = (f.symmetric_key().await, f.symmetric_key().await);
    let name = AliasName::parse("alias/taken").unwrap();
    f.kms
        .create_alias(&ctx, &name, &KeyRef::Id(key.id.clone()))
        .await
        .unwrap();

    // The name is taken, whatever key the second alias would name.
    match f
        .kms
        .create_alias(&ctx, &name, &KeyRef::Id(other_key.id.clone()))
        .await
    {
        Err(Error::AliasAlreadyExists { alias_arn }) => {
            assert_eq!(alias_arn, name.arn(&f.scope()));
        }
        other => panic!("a taken name: {other:?}"),
    }
    // alias/aws/ is AWS's.
    let reserved = AliasName::parse("alias/aws/s3").unwrap();
    let outcome = f
        .kms
        .create_alias(&ctx, &reserved, &KeyRef::Id(key.id.clone()))
        .await;
    assert!(
        matches!(outcome, Err(Error::NotAuthorized)),
        "reserved: {outcome:?}"
    );
    // An alias must name a key, not another alias.
    let chained = AliasName::parse("alias/chained").unwrap();
    let outcome = f
        .kms
        .create_alias(&ctx, &chained, &KeyRef::Alias(name.clone()))
        .await;
    assert!(
        matches!(outcome, Err(Error::AliasNotSupported)),
        "alias of an alias: {outcome:?}"
    );
    // An alias that names nothing.
    let missing = KeyRef::parse("alias/missing").unwrap();
    let outcome = f.kms.describe_key(&ctx, &missing).await;
    assert!(
        matches!(outcome, Err(Error::AliasNotFound { .. })),
        "missing: {outcome:?}"
    );
    // Aliases are per account: another account's `alias/taken` is its own, and it has none.
    match f
        .kms
        .describe_key(&f.other(), &KeyRef::Alias(name.clone()))
        .await
    {
        Err(Error::AliasNotFound { alias_arn }) => {
            assert_eq!(
                alias_arn,
                format!("arn:aws:kms:us-east-1:{OTHER}:alias/taken")
            );
        }
        other => panic!("another account's alias: {other:?}"),
    }
    // The alias still names the first key.
    assert_eq!(
        f.kms
            .describe_key(&ctx, &KeyRef::Alias(name))
            .await
            .unwrap()
            .id,
        key.id
    );
}
