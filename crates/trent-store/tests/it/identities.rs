//! Identities: accounts, access keys, metadata, principals and sessions.

use std::collections::BTreeMap;

use trent_core::model::{
    AccessKeyRecord, AccountId, AccountRecord, PrincipalRecord, PrincipalType, Region,
    SessionRecord, Tag, UnixMillis,
};
use trent_core::store::{Store, StoreError};

pub(crate) async fn identities(store: &dyn Store) {
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
        created: UnixMillis(5),
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

pub(crate) async fn principals_and_sessions(store: &dyn Store) {
    let account = AccountId::parse("777788889999").unwrap();
    store
        .put_account(&AccountRecord {
            id: account.clone(),
            regions: vec![Region::parse("us-east-1").unwrap()],
        })
        .await
        .unwrap();
    let mut user = PrincipalRecord {
        account: account.clone(),
        kind: PrincipalType::User,
        name: "bob".into(),
        id: "AIDABOB".into(),
        tags: vec![Tag {
            key: "team".into(),
            value: "blue".into(),
        }],
        policies: BTreeMap::from([("p".to_owned(), "{\"Statement\":[]}".to_owned())]),
        trust_policy: None,
        max_session_seconds: 3600,
        created: UnixMillis(3),
    };
    store.put_principal(&user).await.unwrap();
    user.tags.clear();
    store.put_principal(&user).await.unwrap();
    let role = PrincipalRecord {
        kind: PrincipalType::Role,
        name: "Ops".into(),
        id: "AROAOPS".into(),
        trust_policy: Some("{}".into()),
        ..user.clone()
    };
    store.put_principal(&role).await.unwrap();
    let all = store.principals().await.unwrap();
    assert!(all.contains(&user) && all.contains(&role), "{all:?}");
    // A user's access keys go with it.
    store
        .put_access_key(&AccessKeyRecord {
            id: "AKIABOB".into(),
            account: account.clone(),
            user: Some("bob".into()),
            sealed_secret: vec![1],
            enabled: true,
            created: UnixMillis(4),
        })
        .await
        .unwrap();
    store
        .delete_principal(&account, PrincipalType::User, "bob")
        .await
        .unwrap();
    assert!(matches!(
        store
            .delete_principal(&account, PrincipalType::User, "bob")
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(
        !store
            .access_keys()
            .await
            .unwrap()
            .iter()
            .any(|k| k.id == "AKIABOB")
    );

    let session = |id: &str, expires: i64| SessionRecord {
        access_key_id: id.into(),
        sealed_secret: vec![1],
        sealed_token: vec![2],
        account: account.clone(),
        role_name: "Ops".into(),
        role_id: "AROAOPS".into(),
        session_name: "s".into(),
        tags: vec![Tag {
            key: "team".into(),
            value: "blue".into(),
        }],
        transitive_tag_keys: vec!["team".into()],
        expires: UnixMillis(expires),
    };
    store.put_session(&session("ASIA1", 100)).await.unwrap();
    store.put_session(&session("ASIA2", 200)).await.unwrap();
    assert_eq!(
        store.sessions(UnixMillis(150)).await.unwrap(),
        vec![session("ASIA2", 200)]
    );
    assert_eq!(
        store
            .delete_expired_sessions(UnixMillis(150))
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.sessions(UnixMillis(0)).await.unwrap().len(), 1);
}
