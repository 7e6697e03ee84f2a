//! The audit chain: numbering, chaining, digests and indexed lookups.

use trent_core::model::UnixMillis;
use trent_core::store::{Constraint, Store, StoreError};

pub(crate) fn test_chain(previous: &[u8], seq: i64, event: &str) -> Vec<u8> {
    let mut out = previous.iter().take(8).copied().collect::<Vec<u8>>();
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(event.as_bytes());
    out
}

/// The store numbers and chains audit events from its own tail.
pub(crate) async fn audit_chain(store: &dyn Store) {
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
            constraint: Constraint::AuditDigest
        })
    ));
    assert_eq!(store.audit_digests().await.unwrap(), vec![digest]);
}

/// Lookups select by account, event name, key and time through the indexes, in either
/// direction from a cursor, and stop at the limit.
pub(crate) async fn audit_lookup(store: &dyn Store) {
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

    // A clock stepped back: the record takes the tail's time, so times never decrease along
    // the chain and a window is a range of sequence numbers.
    store
        .append_audit(
            UnixMillis(25),
            vec![entry(6, a, "Encrypt", &[])],
            test_chain,
        )
        .await
        .unwrap();
    let tail = store.audit_tail().await.unwrap().unwrap();
    assert_eq!((tail.seq - base, tail.time), (6, UnixMillis(30)));
    let window = |since: Option<i64>, until: Option<i64>| AuditQuery {
        since: since.map(UnixMillis),
        until: until.map(UnixMillis),
        ..all.clone()
    };
    let cases: Vec<(AuditQuery, Vec<i64>)> = vec![
        (window(Some(30), None), vec![6, 5]),
        (window(None, Some(25)), vec![4, 3, 2, 1]),
        (window(Some(20), Some(20)), vec![4]),
        // No record in the window, with records on both sides of it, or past the last.
        (window(Some(21), Some(29)), vec![]),
        (window(Some(31), None), vec![]),
        (window(None, Some(9)), vec![]),
        (
            AuditQuery {
                cursor: AuditCursor::After(base + 4),
                ..window(Some(20), Some(30))
            },
            vec![5, 6],
        ),
        (
            AuditQuery {
                cursor: AuditCursor::Before(base + 5),
                ..window(Some(10), Some(30))
            },
            vec![4, 3, 2, 1],
        ),
        (
            AuditQuery {
                account: text("111122223333"),
                ..window(Some(20), None)
            },
            vec![6, 4],
        ),
    ];
    for (query, want) in cases {
        assert_eq!(found(query.clone()).await, want, "{query:?}");
    }
}
