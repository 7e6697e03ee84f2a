//! The same suite on PostgreSQL, and what two nodes on one database must agree on.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use trent_core::model::{AccountId, AccountRecord, GrantRecord, KeyId, Region, UnixMillis};
use trent_core::store::{AuditStore, Change, Constraint, Store, StoreError};
use trent_store::{PostgresOptions, PostgresStore};

use crate::audit::test_chain;
use crate::builders::{A, B, alias, key, material, scope};
use crate::conformance;

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
/// see `Conflict { constraint: Constraint::Alias }`.
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
                    constraint: Constraint::Alias,
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
