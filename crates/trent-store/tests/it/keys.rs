//! Keys: creation, versioned updates, deletion when due, rotation and multi-Region sets.

use trent_core::model::{
    ExpirationModel, KeyId, KeyRecord, KeyState, MaterialId, Region, RotationType, Scope,
    SealedMaterial, Tag, UnixMillis,
};
use trent_core::store::{Constraint, SetChange, Store, StoreError};

use crate::builders::{A, B, alias, key, material, scope};

pub(crate) async fn keys_round_trip(store: &dyn Store) {
    let k = key(A);
    assert_eq!(store.count_keys(&scope()).await.unwrap(), 0);
    store
        .create_key(
            &k,
            &[material()],
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
        store.create_key(&k, &[material()], &[], &[]).await,
        Err(StoreError::Conflict {
            constraint: Constraint::Key
        })
    ));
    assert_eq!(
        store.count_keys(&scope()).await.unwrap(),
        1,
        "a refused create counts nothing"
    );
    let other_region = Scope {
        region: Region::parse("eu-west-1").unwrap(),
        ..scope()
    };
    assert_eq!(store.key(&other_region, &k.id).await.unwrap(), None);
}

pub(crate) async fn updates_are_versioned(store: &dyn Store) {
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

pub(crate) async fn create_key_is_all_or_nothing(store: &dyn Store) {
    store.create_alias(&alias("alias/taken", A)).await.unwrap();
    let b = key(B);
    let result = store
        .create_key(
            &b,
            &[material()],
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
                constraint: Constraint::Alias
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
        .create_key(&b, &[material()], &[], &[alias("alias/b", B)])
        .await
        .unwrap();
}

pub(crate) async fn deletion_only_when_due(store: &dyn Store) {
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
    // The Region's count follows: what remains, and nothing in another Region.
    assert_eq!(store.count_keys(&s).await.unwrap(), 1);
    let elsewhere = Scope {
        region: Region::parse("ap-south-2").unwrap(),
        ..s.clone()
    };
    assert_eq!(store.count_keys(&elsewhere).await.unwrap(), 0);
}

pub(crate) async fn rotation(store: &dyn Store) {
    let mut k = key("77777777-7777-4777-8777-777777777777");
    k.rotation.period_days = Some(90);
    k.rotation.next = Some(UnixMillis(1000));
    store.create_key(&k, &[material()], &[], &[]).await.unwrap();
    assert_eq!(
        store.keys_due_for_rotation(UnixMillis(999)).await.unwrap(),
        vec![]
    );
    assert_eq!(
        store.keys_due_for_rotation(UnixMillis(1000)).await.unwrap(),
        vec![(scope(), k.id.clone())]
    );
    let second = SealedMaterial {
        id: MaterialId([8; 32]),
        sealed: vec![4, 5],
        created: UnixMillis(1000),
        rotation: Some(RotationType::Automatic),
        description: None,
        pending: true,
        valid_to: Some(UnixMillis(7)),
        expiration_model: Some(ExpirationModel::Expires),
    };
    let rotated = store
        .rotate_key(
            &scope(),
            &k.id,
            &second,
            Box::new(|r| {
                r.current_material = MaterialId([8; 32]);
                r.rotation.next = Some(UnixMillis(5000));
                Ok(())
            }),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rotated.current_material, MaterialId([8; 32]));
    assert_eq!(rotated.version, k.version + 1);
    let stored = store.key(&scope(), &k.id).await.unwrap().unwrap();
    assert_eq!(stored.rotation.next, Some(UnixMillis(5000)));
    assert_eq!(stored.rotation.period_days, Some(90));
    assert_eq!(
        store.materials(&scope(), &k.id).await.unwrap(),
        vec![material(), second.clone()]
    );
    assert_eq!(
        store.material(&scope(), &k.id, &second.id).await.unwrap(),
        Some(second.clone())
    );
    // A pending version becomes a completed rotation.
    let promoted = store
        .promote_material(
            &scope(),
            &k.id,
            &second.id,
            RotationType::OnDemand,
            Box::new(|r| {
                r.rotation.on_demand_started = Some(UnixMillis(2000));
                Ok(())
            }),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(promoted.rotation.on_demand_started, Some(UnixMillis(2000)));
    let versions = store.materials(&scope(), &k.id).await.unwrap();
    assert!(!versions[1].pending);
    assert_eq!(versions[1].rotation, Some(RotationType::OnDemand));
    assert!(matches!(
        store
            .promote_material(
                &scope(),
                &k.id,
                &second.id,
                RotationType::OnDemand,
                Box::new(|_| Ok(()))
            )
            .await,
        Err(StoreError::NotFound)
    ));
    // A refused change adds no material.
    let third = SealedMaterial {
        id: MaterialId([9; 32]),
        ..second
    };
    let refused = store
        .rotate_key(
            &scope(),
            &k.id,
            &third,
            Box::new(|_| Err(trent_core::Error::NotDue)),
        )
        .await
        .unwrap();
    assert!(refused.is_err());
    assert_eq!(store.materials(&scope(), &k.id).await.unwrap().len(), 2);
}

pub(crate) async fn multi_region(store: &dyn Store) {
    let id = "mrk-1234abcd12ab34cd56ef1234567890ab";
    let mut primary = key("11111111-1111-4111-8111-111111111111");
    primary.id = KeyId::parse(id).unwrap();
    primary.primary_region = Some(scope().region);
    let west = Scope {
        account: scope().account,
        region: Region::parse("eu-west-1").unwrap(),
    };
    let replica = KeyRecord {
        scope: west.clone(),
        ..primary.clone()
    };
    store
        .create_key(&primary, &[material()], &[], &[])
        .await
        .unwrap();
    store
        .create_key(&replica, &[material()], &[], &[])
        .await
        .unwrap();
    let set = store.key_set(&scope().account, &primary.id).await.unwrap();
    assert_eq!(set.len(), 2);
    assert!(set.iter().all(|k| k.primary_region == Some(scope().region)));
    // One transaction across the set: both change, or, when one refuses, neither.
    let west_region = west.region.clone();
    let to_west = |scope: Scope| {
        let region = west_region.clone();
        SetChange {
            scope,
            id: primary.id.clone(),
            material: None,
            change: Box::new(move |r| {
                r.primary_region = Some(region);
                Ok(())
            }),
        }
    };
    let refusing = SetChange {
        scope: west.clone(),
        id: primary.id.clone(),
        material: None,
        change: Box::new(|_| Err(trent_core::Error::NotDue)),
    };
    assert!(matches!(
        store.change_keys(vec![to_west(scope()), refusing]).await,
        Err(StoreError::Refused(_))
    ));
    let set = store.key_set(&scope().account, &primary.id).await.unwrap();
    assert!(set.iter().all(|k| k.primary_region == Some(scope().region)));
    store
        .change_keys(vec![to_west(scope()), to_west(west.clone())])
        .await
        .unwrap();
    let set = store.key_set(&scope().account, &primary.id).await.unwrap();
    assert!(
        set.iter()
            .all(|k| k.primary_region == Some(west.region.clone()))
    );
    assert!(
        store
            .keys_pending_replica_deletion()
            .await
            .unwrap()
            .is_empty()
    );
}
