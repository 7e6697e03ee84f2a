//! Several nodes on one PostgreSQL database: a key made on one node works at once on the
//! other; a change made on one is refused by the other within the documented second; alias
//! names stay unique under concurrent creation; maintenance runs on one node at a time and
//! moves when that node goes; a node that loses the database answers 5xx and recovers alone.
//! (Killing a node process under load is in `binary.rs`.)

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::primitives::Blob;
use tempfile::TempDir;
use trent_core::clock::Clock as _;
use trent_core::testing::ManualClock;
use trent_server::StoreLocation;
use trent_store::PostgresOptions;

use crate::builders::create_user;
use crate::harness::Harness;

/// The bound the docs promise for a change to reach every node.
const BOUND: Duration = Duration::from_secs(1);

fn postgres(url: &str, timeout: Duration) -> StoreLocation {
    StoreLocation::Postgres {
        url: url.to_owned(),
        options: PostgresOptions {
            pool_size: 4,
            timeout,
        },
    }
}

/// Starts a node on `url`; a second node gets the first one's root key first.
async fn node(
    url: &str,
    clock: &ManualClock,
    root_key_from: Option<std::path::PathBuf>,
) -> Harness {
    node_with(url, clock, root_key_from, Duration::from_secs(5)).await
}

async fn node_with(
    url: &str,
    clock: &ManualClock,
    root_key_from: Option<std::path::PathBuf>,
    timeout: Duration,
) -> Harness {
    let dir = TempDir::new().unwrap();
    if let Some(first) = root_key_from {
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        std::fs::copy(first.join("root.key"), dir.path().join("data/root.key")).unwrap();
    }
    let store = postgres(url, timeout);
    Harness::start_in(dir, clock.clone(), move |o| o.store = store).await
}

/// Two nodes on a fresh database, or `None` when no test PostgreSQL is configured.
async fn two_nodes() -> Option<(Harness, Harness, ManualClock)> {
    let (a, b, clock, _) = two_nodes_at().await?;
    Some((a, b, clock))
}

/// [`two_nodes`], and the database's URL.
async fn two_nodes_at() -> Option<(Harness, Harness, ManualClock, String)> {
    let url = trent_store::testing::fresh_database().await?;
    let clock = ManualClock::new();
    let a = node(&url, &clock, None).await;
    let b = node(&url, &clock, Some(a.data_dir())).await;
    Some((a, b, clock, url))
}

/// Repeats `call` until it fails with `code`, and returns how long that took (at most the
/// bound plus a margin before the test gives up).
async fn refused_within<F, Fut, T, E>(code: &str, mut call: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
    E: ProvideErrorMetadata + std::fmt::Debug,
{
    let started = Instant::now();
    loop {
        match call().await {
            Err(e) if e.code() == Some(code) => return started.elapsed(),
            Err(e) => panic!("expected {code}, got {e:?}"),
            Ok(_) => {
                assert!(
                    started.elapsed() < BOUND * 3,
                    "still served {:?} after the change",
                    started.elapsed()
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_made_on_one_node_works_on_the_other_and_changes_reach_it_within_a_second() {
    let Some((a, b, _clock)) = two_nodes().await else {
        return;
    };
    // The second node knows the first one's credentials from the shared store.
    assert_eq!(a.access_key_id, b.access_key_id);
    let (ka, kb) = (a.client(), b.client());
    let key = a.key().await;
    // Usable at once on B, and what B encrypts A decrypts.
    let blob = kb
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new("across"))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let plain = ka.decrypt().ciphertext_blob(blob).send().await.unwrap();
    assert_eq!(plain.plaintext.unwrap().as_ref(), b"across");

    // Disabled on B: A (whose cache holds the key) refuses within the bound.
    kb.disable_key().key_id(&key).send().await.unwrap();
    let took = refused_within("DisabledException", || {
        ka.encrypt().key_id(&key).plaintext(Blob::new("x")).send()
    })
    .await;
    assert!(took < BOUND, "A served a disabled key for {took:?}");
    kb.enable_key().key_id(&key).send().await.unwrap();

    // A key policy that denies Encrypt, put on B: A refuses within the bound.
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
        {"Effect":"Deny","Principal":"*","Action":"kms:Encrypt","Resource":"*"}]}"#;
    let warm = || ka.encrypt().key_id(&key).plaintext(Blob::new("x")).send();
    // (A may need a moment to see the key enabled again.)
    let started = Instant::now();
    while warm().await.is_err() {
        assert!(started.elapsed() < BOUND * 3, "A never saw the key enabled");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    kb.put_key_policy()
        .key_id(&key)
        .policy(policy)
        .send()
        .await
        .unwrap();
    let took = refused_within("AccessDeniedException", warm).await;
    assert!(took < BOUND, "A ignored the new policy for {took:?}");

    // Scheduled for deletion on A: B refuses within the bound.
    let other = b.key().await;
    kb.encrypt()
        .key_id(&other)
        .plaintext(Blob::new("x"))
        .send()
        .await
        .unwrap();
    ka.schedule_key_deletion()
        .key_id(&other)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    let took = refused_within("KMSInvalidStateException", || {
        kb.encrypt().key_id(&other).plaintext(Blob::new("x")).send()
    })
    .await;
    assert!(took < BOUND, "B served a key pending deletion for {took:?}");
}

/// A grant retired through one node stops working on the other within the bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_revoked_on_one_node_stops_working_on_the_other() {
    let Some((a, b, _clock)) = two_nodes().await else {
        return;
    };
    let key = a.key().await;
    // A user with no policy of their own, who can use the key only through a grant.
    let (carol_id, carol_secret) = create_user(&a, a.who(), "carol").await;
    let grant = a
        .client()
        .create_grant()
        .key_id(&key)
        .grantee_principal("arn:aws:iam::111122223333:user/carol")
        .operations(aws_sdk_kms::types::GrantOperation::Encrypt)
        .send()
        .await
        .unwrap();
    // B learns of carol and of the grant from the feed.
    let carol_on_b = b.client_for("us-east-1", &carol_id, &carol_secret);
    let started = Instant::now();
    while carol_on_b
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new("x"))
        .send()
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < BOUND,
            "B did not learn of the user and grant in time"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    a.client()
        .revoke_grant()
        .key_id(&key)
        .grant_id(grant.grant_id.unwrap())
        .send()
        .await
        .unwrap();
    let took = refused_within("AccessDeniedException", || {
        carol_on_b
            .encrypt()
            .key_id(&key)
            .plaintext(Blob::new("x"))
            .send()
    })
    .await;
    assert!(took < BOUND, "B honoured a revoked grant for {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alias_names_stay_unique_under_concurrent_creation_on_two_nodes() {
    let Some((a, b, _clock)) = two_nodes().await else {
        return;
    };
    let (ka, kb) = (a.client(), b.client());
    let (k1, k2) = (a.key().await, b.key().await);
    for round in 0..5 {
        let name = format!("alias/contended-{round}");
        let mut calls = Vec::new();
        for i in 0..8 {
            let (client, target) = if i % 2 == 0 {
                (ka.clone(), k1.clone())
            } else {
                (kb.clone(), k2.clone())
            };
            let name = name.clone();
            calls.push(tokio::spawn(async move {
                client
                    .create_alias()
                    .alias_name(name)
                    .target_key_id(target)
                    .send()
                    .await
            }));
        }
        let mut won = 0;
        for c in calls {
            match c.await.unwrap() {
                Ok(_) => won += 1,
                Err(e) => assert_eq!(e.code(), Some("AlreadyExistsException"), "{e:?}"),
            }
        }
        assert_eq!(won, 1, "round {round}");
        // Both nodes resolve the alias to the same key.
        let via_a = a.describe(&name).await.key_id;
        let via_b = b.describe(&name).await.key_id;
        assert_eq!(via_a, via_b);
    }
}

/// Maintenance runs on the node holding the lease only; when that node stops, another node
/// takes the lease over once it expires, and due work is done exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintenance_runs_on_one_node_and_moves_when_it_stops() {
    let Some((a, b, clock, url)) = two_nodes_at().await else {
        return;
    };
    // A took the lease at its start; B cannot have it.
    assert!(a.server.maintenance_round().await.unwrap().is_some());
    assert!(b.server.maintenance_round().await.unwrap().is_none());
    let key = a.key().await;
    a.client()
        .schedule_key_deletion()
        .key_id(&key)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    let rotating = b.key().await;
    b.client()
        .enable_key_rotation()
        .key_id(&rotating)
        .rotation_period_in_days(90)
        .send()
        .await
        .unwrap();
    clock.advance(Duration::from_secs(91 * 86_400));
    // A's lease lapsed in the 91 days: both race for it, and exactly one does the round.
    let (ra, rb) = tokio::join!(a.server.maintenance_round(), b.server.maintenance_round());
    let mut rounds = [ra.unwrap(), rb.unwrap()];
    rounds.sort();
    assert_eq!(
        rounds,
        [None, Some(1)],
        "one node, and only one, deletes the due key"
    );
    assert_eq!(
        b.client()
            .describe_key()
            .key_id(&key)
            .send()
            .await
            .unwrap_err()
            .code(),
        Some("NotFoundException")
    );
    let rotations = b
        .client()
        .list_key_rotations()
        .key_id(&rotating)
        .send()
        .await
        .unwrap()
        .rotations
        .unwrap_or_default();
    assert_eq!(rotations.len(), 1, "rotated exactly once");

    // A stops cleanly and gives the lease up: B takes it at once.
    let root_key = a.data_dir();
    a.server.shutdown().await.unwrap();
    assert!(b.server.maintenance_round().await.unwrap().is_some());
    // A holder that dies keeps its lease until it lapses (three rounds): here B stops and a
    // "ghost" node takes the lease and then renews it no more; a new node C waits it out.
    let store = b.server.kms.store().clone();
    let ttl = trent_server::run::scheduler::lease_ttl(Duration::from_secs(10));
    b.server.shutdown().await.unwrap();
    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap();
    assert!(
        store
            .try_lease(
                trent_server::run::scheduler::LEASE,
                "ghost",
                clock.now(),
                ttl_ms
            )
            .await
            .unwrap()
    );
    let c = node(&url, &clock, Some(root_key)).await;
    assert!(c.server.maintenance_round().await.unwrap().is_none());
    clock.advance(ttl + Duration::from_secs(1));
    assert!(c.server.maintenance_round().await.unwrap().is_some());
}

/// A forwarding proxy to PostgreSQL that the test can unplug and plug back.
struct Plug {
    port: u16,
    on: Arc<std::sync::atomic::AtomicBool>,
    cut: Arc<tokio::sync::Notify>,
}

impl Plug {
    async fn to(target_port: u16) -> Plug {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let on = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let cut = Arc::new(tokio::sync::Notify::new());
        let (on2, cut2) = (on.clone(), cut.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if !on2.load(std::sync::atomic::Ordering::SeqCst) {
                    continue; // dropped: connection refused, as good as
                }
                let cut = cut2.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) =
                        tokio::net::TcpStream::connect(("127.0.0.1", target_port)).await
                    else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.notified() => {}
                    }
                });
            }
        });
        Plug { port, on, cut }
    }

    fn unplug(&self) {
        self.on.store(false, std::sync::atomic::Ordering::SeqCst);
        self.cut.notify_waiters();
    }

    fn plug(&self) {
        self.on.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A node that loses the database answers 5xx (DependencyTimeoutException or
/// KMSInternalException, never a wrong answer), and serves again by itself once the database
/// is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_loses_the_database_fails_cleanly_and_recovers() {
    let Some(url) = trent_store::testing::fresh_database().await else {
        return;
    };
    // postgres://user@127.0.0.1:PORT/db -> the same through the plug.
    let (head, rest) = url.rsplit_once(':').unwrap();
    let (pg_port, db) = rest.split_once('/').unwrap();
    let plug = Plug::to(pg_port.parse().unwrap()).await;
    let via_plug = format!("{head}:{}/{db}", plug.port);
    let clock = ManualClock::new();
    let h = node_with(&via_plug, &clock, None, Duration::from_millis(700)).await;
    let kms = h.client();
    let key = h.key().await;
    let blob = h.encrypt(&key, "before").await;

    plug.unplug();
    let started = Instant::now();
    for _ in 0..3 {
        let failed = kms.create_key().send().await.unwrap_err();
        let code = failed.code().unwrap_or_default().to_owned();
        assert!(
            code == "DependencyTimeoutException" || code == "KMSInternalException",
            "{failed:?}"
        );
        // Even a warm key fails: its call cannot be written to the audit trail.
        let failed = kms
            .decrypt()
            .ciphertext_blob(blob.clone())
            .send()
            .await
            .unwrap_err();
        let code = failed.code().unwrap_or_default().to_owned();
        assert!(
            code == "DependencyTimeoutException" || code == "KMSInternalException",
            "{failed:?}"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "failing took {:?}",
        started.elapsed()
    );

    plug.plug();
    let started = Instant::now();
    loop {
        if let Ok(out) = kms.decrypt().ciphertext_blob(blob.clone()).send().await {
            assert_eq!(out.plaintext.unwrap().as_ref(), b"before");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "no recovery");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    kms.create_key().send().await.unwrap();
}
