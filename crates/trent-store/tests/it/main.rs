//! Store conformance: the behaviour every `Store` must have, run against SQLite (and, when
//! it exists, PostgreSQL: the suite takes any `dyn Store`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use trent_core::model::{
    AccessKeyRecord, AccountId, AccountRecord, AliasName, AliasRecord, KeyId, KeyManager,
    KeyRecord, KeySpec, KeyState, KeyUsage, MaterialId, Origin, Region, Scope, SealedMaterial, Tag,
    UnixMillis,
};
use trent_core::store::{Store, StoreError};
use trent_store::SqliteStore;

fn scope() -> Scope {
    Scope {
        account: AccountId::parse("111122223333").unwrap(),
        region: Region::parse("us-east-1").unwrap(),
    }
}

fn key(id: &str) -> KeyRecord {
    KeyRecord {
        scope: scope(),
        id: KeyId::parse(id).unwrap(),
        created: UnixMillis(1_700_000_000_000),
        description: "d".into(),
        spec: KeySpec::SymmetricDefault,
        usage: KeyUsage::EncryptDecrypt,
        origin: Origin::AwsKms,
        manager: KeyManager::Customer,
        state: KeyState::Enabled,
        deletion_date: None,
        pending_window_days: None,
        current_material: MaterialId([7; 32]),
        multi_region: false,
        policy: "{}".into(),
        public_key: Some(vec![0x30, 1, 2]),
        version: 0,
    }
}

fn material() -> SealedMaterial {
    SealedMaterial {
        id: MaterialId([7; 32]),
        sealed: vec![1, 2, 3],
        created: UnixMillis(1),
    }
}

fn alias(name: &str, target: &str) -> AliasRecord {
    AliasRecord {
        scope: scope(),
        name: AliasName::parse(name).unwrap(),
        target: KeyId::parse(target).unwrap(),
        created: UnixMillis(1),
        updated: UnixMillis(1),
    }
}

const A: &str = "00000000-0000-4000-8000-000000000001";
const B: &str = "00000000-0000-4000-8000-000000000002";

/// Runs every check against one store.
async fn conformance(store: &dyn Store) {
    keys_round_trip(store).await;
    updates_are_versioned(store).await;
    create_key_is_all_or_nothing(store).await;
    aliases(store).await;
    tags(store).await;
    deletion_only_when_due(store).await;
    identities(store).await;
}

async fn keys_round_trip(store: &dyn Store) {
    let k = key(A);
    store
        .create_key(
            &k,
            &material(),
            &[Tag {
                key: "t".into(),
                value: "v".into(),
            }],
            &[],
        )
        .await
        .unwrap();
    assert_eq!(store.key(&scope(), &k.id).await.unwrap(), Some(k.clone()));
    assert_eq!(
        store
            .material(&scope(), &k.id, &MaterialId([7; 32]))
            .await
            .unwrap(),
        Some(material())
    );
    assert_eq!(
        store
            .material(&scope(), &k.id, &MaterialId([8; 32]))
            .await
            .unwrap(),
        None
    );
    assert!(matches!(
        store.create_key(&k, &material(), &[], &[]).await,
        Err(StoreError::Conflict { constraint: "keys" })
    ));
    let other_region = Scope {
        region: Region::parse("eu-west-1").unwrap(),
        ..scope()
    };
    assert_eq!(store.key(&other_region, &k.id).await.unwrap(), None);
}

async fn updates_are_versioned(store: &dyn Store) {
    let (s, id) = (scope(), KeyId::parse(A).unwrap());
    let before = store.key(&s, &id).await.unwrap().unwrap();
    let changed = store
        .modify_key(
            &s,
            &id,
            Box::new(|k| {
                k.description = "first".into();
                Ok(())
            }),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (changed.description.as_str(), changed.version),
        ("first", before.version + 1)
    );
    assert_eq!(store.key(&s, &id).await.unwrap(), Some(changed.clone()));
    // A refusal writes nothing and comes back as the change's own error.
    let refused = store
        .modify_key(
            &s,
            &id,
            Box::new(|k| {
                k.description = "never".into();
                Err(trent_core::Error::validation("no"))
            }),
        )
        .await
        .unwrap();
    assert!(matches!(refused, Err(trent_core::Error::Validation { .. })));
    // An unchanged record is not rewritten.
    let same = store
        .modify_key(&s, &id, Box::new(|_| Ok(())))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(same, changed);
    assert_eq!(store.key(&s, &id).await.unwrap(), Some(changed));
    let ghost = KeyId::parse(B).unwrap();
    assert!(matches!(
        store.modify_key(&s, &ghost, Box::new(|_| Ok(()))).await,
        Err(StoreError::NotFound)
    ));
}

async fn create_key_is_all_or_nothing(store: &dyn Store) {
    store.create_alias(&alias("alias/taken", A)).await.unwrap();
    let b = key(B);
    let result = store
        .create_key(
            &b,
            &material(),
            &[Tag {
                key: "x".into(),
                value: "y".into(),
            }],
            &[alias("alias/taken", B)],
        )
        .await;
    assert!(
        matches!(
            result,
            Err(StoreError::Conflict {
                constraint: "aliases"
            })
        ),
        "{result:?}"
    );
    assert_eq!(store.key(&scope(), &b.id).await.unwrap(), None);
    assert!(store.tags(&scope(), &b.id).await.unwrap().is_empty());
    assert_eq!(
        store
            .material(&scope(), &b.id, &MaterialId([7; 32]))
            .await
            .unwrap(),
        None
    );
    store
        .create_key(&b, &material(), &[], &[alias("alias/b", B)])
        .await
        .unwrap();
}

async fn aliases(store: &dyn Store) {
    let s = scope();
    let taken = AliasName::parse("alias/taken").unwrap();
    assert!(matches!(
        store.create_alias(&alias("alias/taken", B)).await,
        Err(StoreError::Conflict {
            constraint: "aliases"
        })
    ));
    store
        .update_alias(&s, &taken, &KeyId::parse(B).unwrap(), UnixMillis(5))
        .await
        .unwrap();
    let a = store.alias(&s, &taken).await.unwrap().unwrap();
    assert_eq!((a.target.as_str(), a.updated), (B, UnixMillis(5)));
    let missing = AliasName::parse("alias/missing").unwrap();
    assert!(matches!(
        store
            .update_alias(&s, &missing, &KeyId::parse(B).unwrap(), UnixMillis(5))
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete_alias(&s, &missing).await,
        Err(StoreError::NotFound)
    ));
    let all = store.list_aliases(&s, None, None, 1).await.unwrap();
    assert_eq!((all.items.len(), all.truncated), (1, true));
    let rest = store
        .list_aliases(&s, None, Some(all.items[0].name.as_str()), 10)
        .await
        .unwrap();
    assert_eq!((rest.items.len(), rest.truncated), (1, false));
    let of_b = store
        .list_aliases(&s, Some(&KeyId::parse(B).unwrap()), None, 10)
        .await
        .unwrap();
    assert_eq!(of_b.items.len(), 2);
    // An alias must name a key that exists.
    assert!(
        store
            .create_alias(&alias(
                "alias/dangling",
                "00000000-0000-4000-8000-00000000000f"
            ))
            .await
            .is_err()
    );
}

async fn tags(store: &dyn Store) {
    let (s, id) = (scope(), KeyId::parse(B).unwrap());
    let tag = |k: &str| Tag {
        key: k.into(),
        value: "v".into(),
    };
    store
        .tag_key(&s, &id, &[tag("a"), tag("b")], 3)
        .await
        .unwrap();
    assert!(matches!(
        store.tag_key(&s, &id, &[tag("c"), tag("d")], 3).await,
        Err(StoreError::Limit(_))
    ));
    let keys: Vec<_> = store
        .tags(&s, &id)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.key)
        .collect();
    assert_eq!(keys, ["a", "b"], "a refused tag call changes nothing");
    store
        .untag_key(&s, &id, &["a".into(), "zz".into()])
        .await
        .unwrap();
    assert_eq!(store.tags(&s, &id).await.unwrap().len(), 1);
}

async fn deletion_only_when_due(store: &dyn Store) {
    let s = scope();
    let id = KeyId::parse(B).unwrap();
    assert!(matches!(
        store.delete_key_if_due(&s, &id, UnixMillis(i64::MAX)).await,
        Err(StoreError::NotFound)
    ));
    store
        .modify_key(
            &s,
            &id,
            Box::new(|k| {
                k.state = KeyState::PendingDeletion;
                k.deletion_date = Some(UnixMillis(100));
                Ok(())
            }),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(
        store
            .keys_due_for_deletion(UnixMillis(99))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.keys_due_for_deletion(UnixMillis(100)).await.unwrap(),
        vec![(s.clone(), id.clone())]
    );
    assert!(matches!(
        store.delete_key_if_due(&s, &id, UnixMillis(99)).await,
        Err(StoreError::NotFound)
    ));
    store
        .delete_key_if_due(&s, &id, UnixMillis(100))
        .await
        .unwrap();
    assert_eq!(store.key(&s, &id).await.unwrap(), None);
    assert!(store.tags(&s, &id).await.unwrap().is_empty());
    assert_eq!(
        store.material(&s, &id, &MaterialId([7; 32])).await.unwrap(),
        None
    );
    assert!(
        store
            .list_aliases(&s, Some(&id), None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let page = store.list_keys(&s, None, 10).await.unwrap();
    assert_eq!(page.items.len(), 1);
}

async fn identities(store: &dyn Store) {
    let account = AccountRecord {
        id: AccountId::parse("444455556666").unwrap(),
        regions: vec![Region::parse("eu-west-1").unwrap()],
    };
    store.put_account(&account).await.unwrap();
    let key = AccessKeyRecord {
        id: "AKIATEST".into(),
        account: account.id.clone(),
        user: Some("alice".into()),
        sealed_secret: vec![9, 9],
        enabled: true,
    };
    store.put_access_key(&key).await.unwrap();
    store
        .put_access_key(&AccessKeyRecord {
            enabled: false,
            ..key.clone()
        })
        .await
        .unwrap();
    assert_eq!(store.accounts().await.unwrap(), vec![account]);
    assert_eq!(
        store.access_keys().await.unwrap(),
        vec![AccessKeyRecord {
            enabled: false,
            ..key
        }]
    );
    store.put_meta("m", b"1").await.unwrap();
    store.put_meta("m", b"2").await.unwrap();
    assert_eq!(store.meta("m").await.unwrap(), Some(b"2".to_vec()));
    assert_eq!(store.meta("none").await.unwrap(), None);
}

#[tokio::test]
async fn sqlite_in_memory_conforms() {
    conformance(&SqliteStore::in_memory().unwrap()).await;
}

#[tokio::test]
async fn sqlite_on_disk_conforms_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = SqliteStore::open(&path).unwrap();
    conformance(&store).await;
    store.integrity_check().await.unwrap();
    drop(store);
    // Reopening runs no migration twice and finds the data.
    let store = SqliteStore::open(&path).unwrap();
    assert!(
        store
            .key(&scope(), &KeyId::parse(A).unwrap())
            .await
            .unwrap()
            .is_some()
    );
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 999).unwrap();
    drop(conn);
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(err.to_string().contains("newer than this build"), "{err}");
}

#[test]
fn a_file_that_is_not_a_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    std::fs::write(&path, vec![0x42u8; 8192]).unwrap();
    assert!(SqliteStore::open(&path).is_err());
}
