//! Grants: named grants, the limit, pages, retiring and deletion; a key's cache entry.

use std::collections::BTreeMap;

use trent_core::model::{GrantRecord, KeyId, Tag, UnixMillis};
use trent_core::store::{KeyEntry, Page, Store, StoreError};

use crate::builders::{alias, key, material, scope};

pub(crate) async fn grants(store: &dyn Store) {
    let k = key("99999999-9999-4999-8999-999999999999");
    store.create_key(&k, &[material()], &[], &[]).await.unwrap();
    let grant = |id: &str| GrantRecord {
        scope: scope(),
        key: k.id.clone(),
        id: id.into(),
        name: Some("n".into()),
        grantee: "arn:aws:iam::111122223333:user/alice".into(),
        grantee_id: Some("AIDAALICE".into()),
        retiring: Some("arn:aws:iam::111122223333:root".into()),
        retiring_id: None,
        issuing_account: "arn:aws:iam::111122223333:root".into(),
        operations: vec!["Encrypt".into(), "Decrypt".into()],
        context_equals: Some(BTreeMap::from([("a".to_owned(), "1".to_owned())])),
        context_subset: None,
        created: UnixMillis(10),
    };
    let named = |id: &str, name: &str| GrantRecord {
        name: Some(name.into()),
        ..grant(id)
    };
    assert_eq!(store.create_grant(&grant("g1"), 2).await.unwrap(), "g1");
    // The same name on the same terms is the same grant: nothing is added.
    assert_eq!(store.create_grant(&grant("g1b"), 2).await.unwrap(), "g1");
    // The same name on other terms is another grant.
    let other_terms = GrantRecord {
        operations: vec!["Encrypt".into()],
        ..named("g2", "n")
    };
    assert_eq!(store.create_grant(&other_terms, 2).await.unwrap(), "g2");
    assert!(matches!(
        store.create_grant(&named("g3", "m"), 2).await,
        Err(StoreError::Limit(_))
    ));
    // A same-terms retry still answers at the limit.
    assert_eq!(store.create_grant(&grant("g1c"), 2).await.unwrap(), "g1");
    store.delete_grant(&scope(), &k.id, "g2").await.unwrap();
    assert_eq!(
        store.create_grant(&named("g2", "m"), 2).await.unwrap(),
        "g2"
    );
    assert_eq!(
        store.grants(&scope(), &k.id).await.unwrap(),
        vec![grant("g1"), named("g2", "m")]
    );
    assert_eq!(store.grant("g2").await.unwrap(), Some(named("g2", "m")));
    assert_eq!(
        store
            .grants_retirable_by("arn:aws:iam::111122223333:root")
            .await
            .unwrap()
            .len(),
        2
    );
    // Pages in creation order, ties by id, after a marker; to one grantee if asked.
    let at = |id: &str, created: i64, grantee: &str| GrantRecord {
        name: None,
        grantee: grantee.into(),
        created: UnixMillis(created),
        ..grant(id)
    };
    let bob = "arn:aws:iam::111122223333:user/bob";
    let alice = "arn:aws:iam::111122223333:user/alice";
    for g in [at("p3", 20, bob), at("p1", 5, alice), at("p2", 20, alice)] {
        store.create_grant(&g, 100).await.unwrap();
    }
    let ids = |page: Page<GrantRecord>| {
        (
            page.items.into_iter().map(|g| g.id).collect::<Vec<_>>(),
            page.truncated,
        )
    };
    let here = scope();
    let list = |grantee, after, limit| store.list_grants(&here, &k.id, grantee, after, limit);
    assert_eq!(
        ids(list(None, None, 10).await.unwrap()),
        (
            vec![
                "p1".into(),
                "g1".into(),
                "g2".into(),
                "p2".into(),
                "p3".into()
            ],
            false
        )
    );
    assert_eq!(
        ids(list(None, None, 2).await.unwrap()),
        (vec!["p1".into(), "g1".into()], true)
    );
    assert_eq!(
        ids(list(None, Some("g1"), 2).await.unwrap()),
        (vec!["g2".into(), "p2".into()], true)
    );
    assert_eq!(
        ids(list(None, Some("p2"), 2).await.unwrap()),
        (vec!["p3".into()], false)
    );
    assert_eq!(
        ids(list(Some(bob), None, 10).await.unwrap()),
        (vec!["p3".into()], false)
    );
    assert_eq!(
        ids(list(Some(alice), Some("g2"), 10).await.unwrap()),
        (vec!["p2".into()], false)
    );
    for id in ["p1", "p2", "p3"] {
        store.delete_grant(&scope(), &k.id, id).await.unwrap();
    }
    // The key cache's one read: the record, its tags, aliases and sealed current material
    // together.
    store
        .tag_key(
            &scope(),
            &k.id,
            &[Tag {
                key: "t".into(),
                value: "v".into(),
            }],
            50,
        )
        .await
        .unwrap();
    store
        .create_alias(&alias("alias/entry", k.id.as_str()))
        .await
        .unwrap();
    let entry = store.key_entry(&scope(), &k.id).await.unwrap().unwrap();
    assert_eq!(
        entry,
        KeyEntry {
            record: store.key(&scope(), &k.id).await.unwrap().unwrap(),
            tags: store.tags(&scope(), &k.id).await.unwrap(),
            aliases: vec![alias("alias/entry", k.id.as_str())],
            current: Some(material()),
        }
    );
    assert_eq!(entry.tags.len(), 1);
    let other = KeyId::parse("66666666-6666-4666-8666-666666666666").unwrap();
    assert_eq!(store.key_entry(&scope(), &other).await.unwrap(), None);
    // A key awaiting its material has no current version to bring.
    let bare = key(other.as_str());
    store.create_key(&bare, &[], &[], &[]).await.unwrap();
    let entry = store.key_entry(&scope(), &other).await.unwrap().unwrap();
    assert_eq!((entry.record, entry.current), (bare, None));
    assert!(entry.tags.is_empty() && entry.aliases.is_empty());
    store.delete_grant(&scope(), &k.id, "g1").await.unwrap();
    assert!(matches!(
        store.delete_grant(&scope(), &k.id, "g1").await,
        Err(StoreError::NotFound)
    ));
    let missing = GrantRecord {
        key: KeyId::parse("88888888-8888-4888-8888-888888888888").unwrap(),
        ..grant("g4")
    };
    assert!(matches!(
        store.create_grant(&missing, 10).await,
        Err(StoreError::NotFound)
    ));
}
