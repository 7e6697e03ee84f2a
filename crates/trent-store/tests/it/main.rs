//! Store conformance: the behaviour every `Store` must have, one suite run against SQLite and
//! PostgreSQL alike (it takes any `dyn Store`), and what two PostgreSQL nodes on one database
//! must agree on.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeMap;

use trent_core::model::{
    AccessKeyRecord, AccountId, AccountRecord, AliasName, AliasRecord, ExpirationModel,
    GrantRecord, KeyId, KeyManager, KeyRecord, KeySpec, KeyState, KeyUsage, MaterialId, Origin,
    PrincipalRecord, PrincipalType, Region, RotationType, Scope, SealedMaterial, SessionRecord,
    Tag, UnixMillis,
};
use trent_core::store::{SetChange, Store, StoreError};
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
        rotation: Default::default(),
        valid_to: Some(UnixMillis(9_000)),
        expiration_model: Some(ExpirationModel::Expires),
        primary_region: None,
        policy_principals: BTreeMap::from([(
            "arn:aws:iam::111122223333:user/alice".to_owned(),
            "AIDAALICE".to_owned(),
        )]),
    }
}

fn material() -> SealedMaterial {
    SealedMaterial {
        id: MaterialId([7; 32]),
        sealed: vec![1, 2, 3],
        created: UnixMillis(1),
        rotation: None,
        description: Some("first".into()),
        pending: false,
        valid_to: None,
        expiration_model: None,
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
    principals_and_sessions(store).await;
    grants(store).await;
    rotation(store).await;
    multi_region(store).await;
    reseal_all(store).await;
    audit_chain(store).await;
    audit_lookup(store).await;
    leases(store).await;
    listeners_hear_commits(store).await;
}

fn test_chain(previous: &[u8], seq: i64, event: &str) -> Vec<u8> {
    let mut out = previous.iter().take(8).copied().collect::<Vec<u8>>();
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(event.as_bytes());
    out
}

/// The store numbers and chains audit events from its own tail.
async fn audit_chain(store: &dyn Store) {
    use trent_core::model::AuditDigest;
    assert_eq!(store.audit_tail().await.unwrap(), None);
    let empty = store
        .append_audit(UnixMillis(5), Vec::new(), test_chain)
        .await
        .unwrap();
    assert_eq!(empty, (0, vec![0; 32]));
    let (seq, hash) = store
        .append_audit(UnixMillis(5), vec!["a".into(), "b".into()], test_chain)
        .await
        .unwrap();
    assert_eq!(seq, 2);
    let first = test_chain(&[0; 32], 1, "a");
    assert_eq!(hash, test_chain(&first, 2, "b"));
    let (seq, hash) = store
        .append_audit(UnixMillis(6), vec!["c".into()], test_chain)
        .await
        .unwrap();
    assert_eq!(
        (seq, hash.clone()),
        (3, test_chain(&test_chain(&first, 2, "b"), 3, "c"))
    );
    let records = store.audit_records(1, 10).await.unwrap();
    assert_eq!(
        records.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![2, 3]
    );
    assert_eq!(records[1].hash, hash);
    assert_eq!(records[1].time, UnixMillis(6));
    assert_eq!(store.audit_tail().await.unwrap().unwrap().event, "c");
    let digest = AuditDigest {
        first_seq: 1,
        last_seq: 3,
        last_hash: hash,
        time: UnixMillis(7),
        signature: vec![9; 64],
    };
    store.put_audit_digest(&digest).await.unwrap();
    assert!(matches!(
        store.put_audit_digest(&digest).await,
        Err(StoreError::Conflict {
            constraint: "audit_digests"
        })
    ));
    assert_eq!(store.audit_digests().await.unwrap(), vec![digest]);
}

/// Lookups select by account, event name, key and time through the indexes, in either
/// direction from a cursor, and stop at the limit.
async fn audit_lookup(store: &dyn Store) {
    use trent_core::model::{AuditCursor, AuditEntry, AuditQuery};
    let base = store.audit_tail().await.unwrap().map_or(0, |r| r.seq);
    let entry = |n: u8, account: Option<&str>, name: &str, keys: &[&str]| AuditEntry {
        event: format!("event {n}"),
        account: account.map(str::to_owned),
        event_name: name.to_owned(),
        key_ids: keys.iter().map(|k| (*k).to_owned()).collect(),
    };
    let (a, b) = (Some("111122223333"), Some("444455556666"));
    for (time, batch) in [
        (
            10,
            vec![
                entry(1, a, "Encrypt", &["k1"]),
                // A key named twice (ReEncrypt within one key) is indexed once.
                entry(2, a, "Decrypt", &["k1", "k2", "k1"]),
                entry(3, b, "Encrypt", &["k1"]),
            ],
        ),
        (20, vec![entry(4, a, "CreateKey", &[])]),
        (30, vec![entry(5, None, "Encrypt", &[])]),
    ] {
        store
            .append_audit(UnixMillis(time), batch, test_chain)
            .await
            .unwrap();
    }
    let all = AuditQuery {
        account: None,
        event_name: None,
        key_id: None,
        since: None,
        until: None,
        cursor: AuditCursor::Before(i64::MAX),
        limit: 100,
    };
    let found = |q: AuditQuery| async move {
        store
            .audit_lookup(&q)
            .await
            .unwrap()
            .into_iter()
            // The records of earlier checks come before `base`.
            .filter(|r| r.seq > base)
            .map(|r| {
                assert_eq!(r.event, format!("event {}", r.seq - base), "{q:?}");
                r.seq - base
            })
            .collect::<Vec<i64>>()
    };
    let text = |s: &str| Some(s.to_owned());
    let cases: Vec<(AuditQuery, Vec<i64>)> = vec![
        (all.clone(), vec![5, 4, 3, 2, 1]),
        (
            AuditQuery {
                account: text("111122223333"),
                ..all.clone()
            },
            vec![4, 2, 1],
        ),
        (
            AuditQuery {
                account: text("111122223333"),
                event_name: text("Encrypt"),
                ..all.clone()
            },
            vec![1],
        ),
        (
            AuditQuery {
                event_name: text("Encrypt"),
                cursor: AuditCursor::After(base),
                ..all.clone()
            },
            vec![1, 3, 5],
        ),
        (
            AuditQuery {
                key_id: text("k1"),
                account: text("111122223333"),
                ..all.clone()
            },
            vec![2, 1],
        ),
        (
            AuditQuery {
                key_id: text("k1"),
                cursor: AuditCursor::After(base),
                ..all.clone()
            },
            vec![1, 2, 3],
        ),
        (
            AuditQuery {
                key_id: text("k2"),
                ..all.clone()
            },
            vec![2],
        ),
        (
            AuditQuery {
                key_id: text("k1"),
                event_name: text("Decrypt"),
                since: Some(UnixMillis(10)),
                until: Some(UnixMillis(10)),
                ..all.clone()
            },
            vec![2],
        ),
        (
            AuditQuery {
                since: Some(UnixMillis(20)),
                ..all.clone()
            },
            vec![5, 4],
        ),
        (
            AuditQuery {
                account: text("111122223333"),
                until: Some(UnixMillis(10)),
                ..all.clone()
            },
            vec![2, 1],
        ),
        (
            AuditQuery {
                limit: 2,
                ..all.clone()
            },
            vec![5, 4],
        ),
        (
            AuditQuery {
                account: text("111122223333"),
                cursor: AuditCursor::Before(base + 4),
                limit: 1,
                ..all.clone()
            },
            vec![2],
        ),
        (
            AuditQuery {
                cursor: AuditCursor::After(base + 3),
                ..all.clone()
            },
            vec![4, 5],
        ),
        (
            AuditQuery {
                account: text("999999999999"),
                ..all.clone()
            },
            vec![],
        ),
        (
            AuditQuery {
                key_id: text("k3"),
                ..all.clone()
            },
            vec![],
        ),
    ];
    for (query, want) in cases {
        assert_eq!(found(query.clone()).await, want, "{query:?}");
    }
}

/// A lease is its holder's until it expires; then anyone may take it.
async fn leases(store: &dyn Store) {
    assert!(
        store
            .try_lease("sweep", "a", UnixMillis(1000), 100)
            .await
            .unwrap()
    );
    assert!(
        !store
            .try_lease("sweep", "b", UnixMillis(1050), 100)
            .await
            .unwrap()
    );
    // The holder renews it.
    assert!(
        store
            .try_lease("sweep", "a", UnixMillis(1090), 100)
            .await
            .unwrap()
    );
    assert!(
        !store
            .try_lease("sweep", "b", UnixMillis(1189), 100)
            .await
            .unwrap()
    );
    // Expired: taken over.
    assert!(
        store
            .try_lease("sweep", "b", UnixMillis(1190), 100)
            .await
            .unwrap()
    );
    assert!(
        !store
            .try_lease("sweep", "a", UnixMillis(1200), 100)
            .await
            .unwrap()
    );
    // Leases are by name.
    assert!(
        store
            .try_lease("digest", "a", UnixMillis(1200), 100)
            .await
            .unwrap()
    );
}

/// Listeners hear of every committed change to keys and aliases, and of nothing that rolled
/// back.
async fn listeners_hear_commits(store: &dyn Store) {
    use std::sync::{Arc, Mutex};
    use trent_core::store::Change;
    let heard: Arc<Mutex<Vec<Change>>> = Arc::default();
    let sink = heard.clone();
    store.listen(Arc::new(move |c: &Change| {
        sink.lock().unwrap().push(c.clone())
    }));
    let k = key("12121212-1212-4121-8121-121212121212");
    store.create_key(&k, &[material()], &[], &[]).await.unwrap();
    let heard_key = |h: &[Change]| {
        h.iter()
            .any(|c| matches!(c, Change::Key { id, .. } if *id == k.id))
    };
    assert!(heard_key(&heard.lock().unwrap()));
    heard.lock().unwrap().clear();
    assert!(store.create_key(&k, &[material()], &[], &[]).await.is_err());
    assert!(
        !heard_key(&heard.lock().unwrap()),
        "a rolled-back create was heard"
    );
    store
        .create_alias(&alias(
            "alias/heard",
            "12121212-1212-4121-8121-121212121212",
        ))
        .await
        .unwrap();
    assert!(
        heard
            .lock()
            .unwrap()
            .iter()
            .any(|c| matches!(c, Change::Aliases { .. }))
    );
}

/// Every sealed value passes through the resealer, in one transaction: a failure changes
/// nothing; otherwise each value it returns replaces the old one.
async fn reseal_all(store: &dyn Store) {
    use std::sync::{Arc, Mutex};
    use trent_core::store::SealedSlot;
    store.put_meta("sealed-meta", b"meta").await.unwrap();
    async fn first_key(s: &dyn Store) -> AccessKeyRecord {
        s.access_keys().await.unwrap()[0].clone()
    }
    let before = first_key(store).await;
    // A failure anywhere rolls back everything done before it.
    let failed = store
        .reseal_all(Arc::new(|slot: &SealedSlot, v: &[u8]| match slot {
            SealedSlot::Material { .. } => Err("cannot open".to_owned()),
            _ => Ok(Some([v, b"!"].concat())),
        }))
        .await;
    assert!(matches!(failed, Err(StoreError::Corrupt(why)) if why.contains("cannot open")));
    assert_eq!(first_key(store).await, before);
    assert_eq!(
        store.meta("sealed-meta").await.unwrap(),
        Some(b"meta".to_vec())
    );

    let seen: Arc<Mutex<Vec<SealedSlot>>> = Arc::default();
    let log = seen.clone();
    let count = store
        .reseal_all(Arc::new(move |slot: &SealedSlot, v: &[u8]| {
            log.lock().unwrap().push(slot.clone());
            Ok(match slot {
                SealedSlot::Meta { name } if name != "sealed-meta" => None,
                _ => Some([v, b"!"].concat()),
            })
        }))
        .await
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    let rewritten = seen
        .iter()
        .filter(|s| !matches!(s, SealedSlot::Meta { name } if name != "sealed-meta"))
        .count();
    assert_eq!(count, u64::try_from(rewritten).unwrap());
    assert_eq!(
        first_key(store).await.sealed_secret,
        [before.sealed_secret.as_slice(), b"!"].concat()
    );
    assert_eq!(
        store.meta("sealed-meta").await.unwrap(),
        Some(b"meta!".to_vec())
    );
    let materials = seen
        .iter()
        .filter_map(|s| match s {
            SealedSlot::Material {
                scope,
                key,
                material,
            } => Some((scope.clone(), key.clone(), *material)),
            _ => None,
        })
        .collect::<Vec<_>>();
    assert!(!materials.is_empty());
    for (scope, key, material) in materials {
        let stored = store.materials(&scope, &key).await.unwrap();
        let m = stored.iter().find(|m| m.id == material).unwrap();
        assert_eq!(m.sealed.last(), Some(&b'!'), "material {key} rewritten");
    }
    let sessions = store.sessions(UnixMillis(0)).await.unwrap();
    for s in &sessions {
        assert!(seen.contains(&SealedSlot::SessionSecret {
            access_key_id: s.access_key_id.clone()
        }));
        assert!(seen.contains(&SealedSlot::SessionToken {
            access_key_id: s.access_key_id.clone()
        }));
        assert_eq!(s.sealed_token.last(), Some(&b'!'));
    }
}

async fn multi_region(store: &dyn Store) {
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

async fn rotation(store: &dyn Store) {
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

async fn keys_round_trip(store: &dyn Store) {
    let k = key(A);
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
        .create_key(&b, &[material()], &[], &[alias("alias/b", B)])
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

async fn principals_and_sessions(store: &dyn Store) {
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

async fn grants(store: &dyn Store) {
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

#[cfg(unix)]
#[tokio::test]
async fn the_store_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    {
        let store = SqliteStore::open(&path).unwrap();
        store.put_meta("x", b"1").await.unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("t.db-wal")), 0o600);
    }
    // An existing store made readable by others is made owner-only again.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.meta("x").await.unwrap(), Some(b"1".to_vec()));
    assert_eq!(mode(&path), 0o600);
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

mod postgres {
    //! The same suite on PostgreSQL, and what two nodes on one database must agree on.

    use super::*;
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};
    use trent_core::store::Change;
    use trent_store::{PostgresOptions, PostgresStore};

    async fn node(url: &str) -> PostgresStore {
        let store = PostgresStore::connect(url, &PostgresOptions::default())
            .await
            .unwrap();
        assert!(store.wait_for_feed(Duration::from_secs(10)).await);
        store
    }

    #[tokio::test]
    async fn postgres_conforms_and_survives_reconnecting() {
        let Some(url) = trent_store::testing::fresh_database().await else {
            return;
        };
        let store = node(&url).await;
        conformance(&store).await;
        drop(store);
        // Connecting again runs no migration twice and finds the data.
        let store = node(&url).await;
        assert!(
            store
                .key(&scope(), &KeyId::parse(A).unwrap())
                .await
                .unwrap()
                .is_some()
        );
    }

    #[tokio::test]
    async fn a_newer_schema_is_refused() {
        let Some(url) = trent_store::testing::fresh_database().await else {
            return;
        };
        drop(node(&url).await);
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        client
            .batch_execute("INSERT INTO trent_schema (version, applied) VALUES (999, 0)")
            .await
            .unwrap();
        let err = PostgresStore::connect(&url, &PostgresOptions::default())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("newer than this build"), "{err}");
    }

    #[tokio::test]
    async fn nodes_starting_together_migrate_once() {
        let Some(url) = trent_store::testing::fresh_database().await else {
            return;
        };
        let options = PostgresOptions::default();
        let (a, b) = tokio::join!(
            PostgresStore::connect(&url, &options),
            PostgresStore::connect(&url, &options)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        a.put_meta("x", b"1").await.unwrap();
        assert_eq!(b.meta("x").await.unwrap(), Some(b"1".to_vec()));
    }

    /// Concurrent creation of one alias name through two nodes: exactly one wins, the others
    /// see `Conflict { constraint: "aliases" }`.
    #[tokio::test]
    async fn aliases_stay_unique_across_nodes() {
        let Some(url) = trent_store::testing::fresh_database().await else {
            return;
        };
        let (a, b) = (node(&url).await, node(&url).await);
        a.create_key(&key(A), &[material()], &[], &[])
            .await
            .unwrap();
        b.create_key(&key(B), &[material()], &[], &[])
            .await
            .unwrap();
        for round in 0..20 {
            let name = format!("alias/race-{round}");
            let mut tries = Vec::new();
            for i in 0..8 {
                let store = if i % 2 == 0 { a.clone() } else { b.clone() };
                let target = if i % 2 == 0 { A } else { B };
                let record = alias(&name, target);
                tries.push(tokio::spawn(
                    async move { store.create_alias(&record).await },
                ));
            }
            let mut won = 0;
            for t in tries {
                match t.await.unwrap() {
                    Ok(()) => won += 1,
                    Err(StoreError::Conflict {
                        constraint: "aliases",
                    }) => {}
                    Err(e) => panic!("unexpected {e:?}"),
                }
            }
            assert_eq!(won, 1, "round {round}");
        }
    }

    /// Named grants retried concurrently through two nodes make one grant.
    #[tokio::test]
    async fn named_grants_stay_unique_across_nodes() {
        let Some(url) = trent_store::testing::fresh_database().await else {
            return;
        };
        let (a, b) = (node(&url).await, node(&url).await);
        a.create_key(&key(A), &[material()], &[], &[])
            .await
            .unwrap();
        let mut tries = Vec::new();
        for i in 0..10 {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            let grant = GrantRecord {
                scope: scope(),
                key: KeyId::parse(A).unwrap(),
                id: format!("g{i}"),
                name: Some("retry".into()),
                grantee: "arn:aws:iam::111122223333:user/alice".into(),
                grantee_id: None,
                retiring: None,
                retiring_id: None,
                issuing_account: "arn:aws:iam::111122223333:root".into(),
                operations: vec!["Decrypt".into()],
                context_equals: None,
                context_subset: None,
                created: UnixMillis(10),
            };
            tries.push(tokio::spawn(
                async move { store.create_grant(&grant, 50).await },
            ));
        }
        let mut ids = std::collections::BTreeSet::new();
        for t in tries {
            ids.insert(t.await.unwrap().unwrap());
        }
        assert_eq!(ids.len(), 1, "{ids:?}");
        assert_eq!(
            b.grants(&scope(), &KeyId::parse(A).unwrap())
                .await
                .unwrap()
                .len(),
            1
        );
    }

    /// Two nodes appending at once make one gapless chain.
    #[tokio::test]
    async fn the_audit_chain_stays_one_across_nodes() {
        let Some(url) = trent_store::testing::fresh_database().await else {
            return;
        };
        let (a, b) = (node(&url).await, node(&url).await);
        let mut writers = Vec::new();
        for i in 0..20 {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            writers.push(tokio::spawn(async move {
                store
                    .append_audit(
                        UnixMillis(1),
                        vec![format!("{i}-x").into(), format!("{i}-y").into()],
                        test_chain,
                    )
                    .await
                    .unwrap()
            }));
        }
        for w in writers {
            w.await.unwrap();
        }
        let records = a.audit_records(0, 100).await.unwrap();
        assert_eq!(records.len(), 40);
        let mut hash = vec![0; 32];
        for (i, r) in records.iter().enumerate() {
            assert_eq!(r.seq, i64::try_from(i).unwrap() + 1);
            hash = test_chain(&hash, r.seq, &r.event);
            assert_eq!(r.hash, hash);
        }
    }

    /// A change committed through one node reaches the other's listeners through the change
    /// feed, well within the one-second bound.
    #[tokio::test]
    async fn the_change_feed_reaches_the_other_node() {
        let Some(url) = trent_store::testing::fresh_database().await else {
            return;
        };
        let (a, b) = (node(&url).await, node(&url).await);
        let heard: Arc<Mutex<Vec<Change>>> = Arc::default();
        let sink = heard.clone();
        b.listen(Arc::new(move |c: &Change| {
            sink.lock().unwrap().push(c.clone())
        }));
        let started = Instant::now();
        a.create_key(&key(A), &[material()], &[], &[])
            .await
            .unwrap();
        let id = KeyId::parse(A).unwrap();
        loop {
            if heard
                .lock()
                .unwrap()
                .iter()
                .any(|c| matches!(c, Change::Key { id: k, .. } if *k == id))
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "not heard within 1 s"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Identity changes travel too (the writing node reloads by itself).
        a.put_account(&AccountRecord {
            id: AccountId::parse("444455556666").unwrap(),
            regions: vec![Region::parse("us-east-1").unwrap()],
        })
        .await
        .unwrap();
        let started = Instant::now();
        while !heard.lock().unwrap().contains(&Change::Identities) {
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "not heard within 1 s"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// A node whose feed connection is cut drops its caches ("everything changed") until it
    /// listens again, and then does.
    #[tokio::test]
    async fn a_node_that_loses_its_feed_drops_everything_and_reconnects() {
        let Some(url) = trent_store::testing::fresh_database().await else {
            return;
        };
        let a = node(&url).await;
        let heard: Arc<Mutex<Vec<Change>>> = Arc::default();
        let sink = heard.clone();
        a.listen(Arc::new(move |c: &Change| {
            sink.lock().unwrap().push(c.clone())
        }));
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        let dbname = url.rsplit('/').next().unwrap().to_owned();
        client
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = $1 AND application_name = 'trent-feed'",
                &[&dbname],
            )
            .await
            .unwrap();
        let started = Instant::now();
        while !heard.lock().unwrap().contains(&Change::All) {
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "the loss went unnoticed"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(
            a.wait_for_feed(Duration::from_secs(5)).await,
            "no reconnect"
        );
        // And it hears other nodes again.
        let b = node(&url).await;
        heard.lock().unwrap().clear();
        b.create_key(&key(B), &[material()], &[], &[])
            .await
            .unwrap();
        let started = Instant::now();
        while !heard
            .lock()
            .unwrap()
            .iter()
            .any(|c| matches!(c, Change::Key { .. }))
        {
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "not heard after reconnecting"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// A database that cannot be reached is `Unavailable` (DependencyTimeoutException), soon.
    #[tokio::test]
    async fn an_unreachable_database_is_unavailable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let options = PostgresOptions {
            timeout: Duration::from_millis(500),
            ..PostgresOptions::default()
        };
        let started = Instant::now();
        let err = PostgresStore::connect(&format!("postgres://trent@127.0.0.1:{port}/x"), &options)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
