//! Deletion and persistence: ScheduleKeyDeletion, CancelKeyDeletion, the sweeper with an
//! injected clock, and keys surviving a restart.

use std::time::Duration;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::KeyState;

use crate::harness::{Harness, error_of};

const DAY: Duration = Duration::from_secs(86_400);

#[tokio::test]
async fn schedule_and_cancel_deletion() {
    let h = Harness::start().await;
    let kms = h.client();
    let id = h.key().await;
    let arn = format!("arn:aws:kms:us-east-1:111122223333:key/{id}");
    let out = kms
        .schedule_key_deletion()
        .key_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(out.key_id.as_deref(), Some(arn.as_str()));
    assert_eq!(out.key_state, Some(KeyState::PendingDeletion));
    assert_eq!(out.pending_window_in_days, Some(30));
    let when = out.deletion_date.unwrap().secs();
    let expected = crate::harness::now_unix() + 30 * 86_400;
    assert!((when - expected).abs() < 120, "{when} vs {expected}");
    let m = h.describe(&id).await;
    assert_eq!(m.key_state, Some(KeyState::PendingDeletion));
    assert_eq!(m.pending_deletion_window_in_days, Some(30));
    assert!(m.deletion_date.is_some());
    assert!(!m.enabled);
    assert_eq!(
        error_of(kms.schedule_key_deletion().key_id(&id).send().await),
        (
            "KMSInvalidStateException".to_owned(),
            format!("{arn} is pending deletion.")
        )
    );
    kms.cancel_key_deletion().key_id(&id).send().await.unwrap();
    let m = h.describe(&id).await;
    assert_eq!(m.key_state, Some(KeyState::Disabled));
    assert!(m.deletion_date.is_none());
    assert_eq!(
        error_of(kms.cancel_key_deletion().key_id(&id).send().await),
        (
            "KMSInvalidStateException".to_owned(),
            format!("{arn} is not pending deletion.")
        )
    );
}

#[tokio::test]
async fn pending_window_must_be_7_to_30_days() {
    let h = Harness::start().await;
    let kms = h.client();
    let id = h.key().await;
    for days in [1, 6, 31, 365] {
        let (code, message) = error_of(
            kms.schedule_key_deletion()
                .key_id(&id)
                .pending_window_in_days(days)
                .send()
                .await,
        );
        assert_eq!(code, "ValidationException", "{days}");
        assert_eq!(message, "PendingWindowInDays must be between 7 and 30");
    }
    let (code, _) = error_of(
        kms.schedule_key_deletion()
            .key_id(&id)
            .pending_window_in_days(0)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
}

#[tokio::test]
async fn the_sweeper_deletes_keys_for_good_when_the_window_ends() {
    let h = Harness::start().await;
    let kms = h.client();
    let doomed = h.key().await;
    let kept = h.key().await;
    kms.create_alias()
        .alias_name("alias/doomed")
        .target_key_id(&doomed)
        .send()
        .await
        .unwrap();
    let blob = h.encrypt(&doomed, "gone").await;
    kms.schedule_key_deletion()
        .key_id(&doomed)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    kms.schedule_key_deletion()
        .key_id(&kept)
        .pending_window_in_days(30)
        .send()
        .await
        .unwrap();

    h.clock.advance(6 * DAY);
    assert_eq!(h.server.run_maintenance().await.unwrap(), 0);
    kms.describe_key().key_id(&doomed).send().await.unwrap();

    h.clock.advance(DAY + Duration::from_secs(1));
    assert_eq!(h.server.run_maintenance().await.unwrap(), 1);
    let (code, _) = error_of(kms.describe_key().key_id(&doomed).send().await);
    assert_eq!(code, "NotFoundException");
    let (code, _) = error_of(kms.decrypt().ciphertext_blob(blob).send().await);
    assert_eq!(code, "InvalidCiphertextException");
    let aliases = kms.list_aliases().send().await.unwrap();
    assert!(
        aliases
            .aliases()
            .iter()
            .all(|a| a.alias_name() != Some("alias/doomed"))
    );
    // The other key is still waiting.
    let m = h.describe(&kept).await;
    assert_eq!(m.key_state, Some(KeyState::PendingDeletion));
    // Nothing of the deleted key is left in the store.
    let store = h.server.kms.store();
    let scope = trent_core::model::Scope {
        account: trent_core::model::AccountId::parse("111122223333").unwrap(),
        region: trent_core::model::Region::parse("us-east-1").unwrap(),
    };
    let id = trent_core::model::KeyId::parse(&doomed).unwrap();
    assert!(store.key(&scope, &id).await.unwrap().is_none());
    assert!(store.tags(&scope, &id).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_key_past_its_deletion_date_cannot_be_cancelled_before_the_sweep() {
    let h = Harness::start().await;
    let kms = h.client();
    let id = h.key().await;
    kms.schedule_key_deletion()
        .key_id(&id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    h.clock.advance(7 * DAY + Duration::from_secs(1));
    let (code, _) = error_of(kms.cancel_key_deletion().key_id(&id).send().await);
    assert_eq!(code, "NotFoundException");
    assert_eq!(h.server.run_maintenance().await.unwrap(), 1);
}

#[tokio::test]
async fn keys_due_while_stopped_are_deleted_at_start() {
    let h = Harness::start().await;
    let id = h.key().await;
    h.client()
        .schedule_key_deletion()
        .key_id(&id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    h.clock.advance(8 * DAY);
    let h = h.restart().await;
    let (code, _) = error_of(h.client().describe_key().key_id(&id).send().await);
    assert_eq!(code, "NotFoundException");
}

#[tokio::test]
async fn keys_aliases_tags_and_ciphertexts_survive_a_restart() {
    let h = Harness::start().await;
    let kms = h.client();
    let id = h.key().await;
    kms.create_alias()
        .alias_name("alias/durable")
        .target_key_id(&id)
        .send()
        .await
        .unwrap();
    kms.tag_resource()
        .key_id(&id)
        .tags(
            aws_sdk_kms::types::Tag::builder()
                .tag_key("t")
                .tag_value("v")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let blob = kms
        .encrypt()
        .key_id("alias/durable")
        .plaintext(Blob::new("survives"))
        .encryption_context("c", "1")
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let (akid, secret) = (h.access_key_id.clone(), h.secret.clone());

    let h = h.restart().await;
    // The same credentials work after the restart.
    assert_eq!(h.access_key_id, akid);
    assert_eq!(h.secret, secret);
    let kms = h.client();
    let back = kms
        .decrypt()
        .ciphertext_blob(blob)
        .encryption_context("c", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext.unwrap().as_ref(), b"survives");
    let m = h.describe("alias/durable").await;
    assert_eq!(m.key_id, id);
    let tags = kms.list_resource_tags().key_id(&id).send().await.unwrap();
    assert_eq!(tags.tags().len(), 1);
}

#[tokio::test]
async fn a_different_root_key_is_refused_at_start() {
    let h = Harness::start().await;
    h.key().await;
    let dir = h.data_dir();
    h.server.shutdown().await.unwrap();
    std::fs::remove_file(dir.join("root.key")).unwrap();
    let options = trent_server::ServerOptions::new("127.0.0.1:0".parse().unwrap(), dir);
    let err = trent_server::start(options).await.expect_err("must refuse");
    assert!(matches!(err, trent_server::Failure::RootKey(_)), "{err:?}");
    assert!(err.message().contains("root key"), "{err}");
}

/// GetKeyLastUsage: the last successful cryptographic operation, noted in memory and written
/// by the maintenance round or a graceful stop, so it survives a restart.
#[tokio::test]
async fn key_last_usage_is_tracked_and_survives_a_restart() {
    use aws_sdk_kms::operation::RequestId as _;
    let h = Harness::start().await;
    let kms = h.client();
    let key = h.key().await;
    let fresh = kms.get_key_last_usage().key_id(&key).send().await.unwrap();
    let usage = fresh.key_last_usage.unwrap();
    assert!(usage.operation.is_none() && usage.timestamp.is_none());
    assert_eq!(fresh.tracking_start_date, fresh.key_creation_date);

    let out = kms
        .encrypt()
        .key_id(&key)
        .plaintext(aws_sdk_kms::primitives::Blob::new("x"))
        .send()
        .await
        .unwrap();
    let request_id = out.request_id().unwrap().to_owned();
    // A failed operation is not usage.
    let _ = kms
        .decrypt()
        .ciphertext_blob(aws_sdk_kms::primitives::Blob::new(vec![1u8; 200]))
        .send()
        .await;
    let seen = kms
        .get_key_last_usage()
        .key_id(&key)
        .send()
        .await
        .unwrap()
        .key_last_usage
        .unwrap();
    assert_eq!(
        seen.operation,
        Some(aws_sdk_kms::types::KeyLastUsageTrackingOperation::Encrypt)
    );
    assert_eq!(seen.kms_request_id.as_deref(), Some(request_id.as_str()));

    // A graceful stop writes what the last maintenance round has not.
    let h = h.restart().await;
    let kept = h
        .client()
        .get_key_last_usage()
        .key_id(&key)
        .send()
        .await
        .unwrap()
        .key_last_usage
        .unwrap();
    assert_eq!(kept.kms_request_id.as_deref(), Some(request_id.as_str()));
    assert!(kept.timestamp.is_some());
}

/// Two servers never open one data directory; health and readiness answer.
#[tokio::test]
async fn one_server_per_data_directory_and_health_checks() {
    let h = Harness::start().await;
    let mut second = trent_server::ServerOptions::new("127.0.0.1:0".parse().unwrap(), h.data_dir());
    second.rate_limits = trent_core::quota::RateLimits::off();
    let err = trent_server::start(second).await.unwrap_err();
    assert!(matches!(err, trent_server::Failure::DataDir(_)), "{err:?}");
    assert!(
        err.message()
            .contains("another Trent is using the data directory"),
        "{err}"
    );
    for (path, want) in [("/health", "ok"), ("/ready", "ready")] {
        let (status, _, body) = h
            .raw(
                format!(
                    "GET {path} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\n\r\n",
                    h.server.local_addr
                )
                .as_bytes(),
            )
            .await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(body.trim(), want);
    }
    // Once the first has stopped, the directory is free again.
    let h = h.restart().await;
    h.client().list_keys().send().await.unwrap();
}

/// The `/metrics` text of the API listener.
async fn metrics_of(h: &Harness) -> String {
    let (status, _, body) = h
        .raw(
            format!(
                "GET /metrics HTTP/1.1\r\nhost: {}\r\nconnection: close\r\n\r\n",
                h.server.local_addr
            )
            .as_bytes(),
        )
        .await;
    assert_eq!(status, 200);
    body
}

/// `/metrics` is Prometheus text that a parser reads: requests by operation and outcome,
/// latency histograms, cache hits, the audit queue; no key or caller in any label.
#[tokio::test]
async fn metrics_are_scraped_and_parsed() {
    let h = Harness::start().await;
    let kms = h.client();
    let key = h.key().await;
    let blob = h.encrypt(&key, "measured").await;
    kms.decrypt().ciphertext_blob(blob).send().await.unwrap();
    let _ = kms.describe_key().key_id("alias/none").send().await;
    let body = metrics_of(&h).await;
    // Parse the exposition: `name{labels} value` lines and `# TYPE` lines.
    let mut samples = std::collections::HashMap::new();
    for line in body
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (name, value) = line.rsplit_once(' ').unwrap();
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {line}"));
        samples.insert(name.to_owned(), value);
    }
    assert_eq!(
        samples[r#"trent_requests_total{operation="Encrypt",code="ok"}"#],
        1.0
    );
    assert_eq!(
        samples[r#"trent_requests_total{operation="DescribeKey",code="NotFoundException"}"#],
        1.0
    );
    assert_eq!(
        samples[r#"trent_request_duration_seconds_count{operation="Decrypt"}"#],
        1.0
    );
    assert!(samples["trent_key_cache_hits"] >= 1.0);
    assert_eq!(samples["trent_key_cache_entries"], 1.0);
    assert_eq!(samples["trent_key_cache_evictions"], 0.0);
    assert!(samples.contains_key("trent_audit_queue_depth"));
    assert!(!body.contains(&key), "no key id in any label");
    assert!(body.trim_end().ends_with("# EOF"));
}

/// `--key-cache-size` bounds the keys held in memory: with room for two, three keys in use
/// all work through the SDK (evicted ones are read again), and `/metrics` shows the bound
/// held and the evictions.
#[tokio::test]
async fn the_key_cache_is_bounded() {
    let h = Harness::start_with(|o| o.key_cache_size = 2).await;
    let kms = h.client();
    let mut blobs: Vec<(String, aws_sdk_kms::primitives::Blob)> = Vec::new();
    for round in 0..2 {
        for i in 0..3 {
            let key = if round == 0 {
                h.key().await
            } else {
                blobs[i].0.clone()
            };
            let blob = h.encrypt(&key, "bounded").await;
            if round == 0 {
                blobs.push((key, blob));
            }
        }
    }
    for (key, blob) in &blobs {
        let out = kms
            .decrypt()
            .ciphertext_blob(blob.clone())
            .send()
            .await
            .unwrap();
        assert!(out.key_id().unwrap().ends_with(key.as_str()));
        assert_eq!(out.plaintext().unwrap().as_ref(), b"bounded");
    }
    let body = metrics_of(&h).await;
    let sample = |name: &str| -> f64 {
        body.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {body}"))
    };
    assert_eq!(sample("trent_key_cache_entries"), 2.0);
    // Three keys in turn through room for two: the uses after the first round evict (a load
    // that raced an invalidation is not kept, and evicts nothing).
    assert!(sample("trent_key_cache_evictions") >= 4.0, "{body}");
    assert!(sample("trent_key_cache_misses") >= 6.0, "{body}");
}

/// `trent backup` snapshots a running server's store; `trent restore` puts it back into the
/// stopped data directory (refused while a server holds it), and what was made before the
/// backup decrypts again while what came after is gone.
#[tokio::test]
async fn backup_while_serving_and_restore() {
    let h = Harness::start().await;
    let kms = h.client();
    let before = h.key().await;
    let blob = h.encrypt(&before, "backed up").await;
    let snapshot = h.dir.path().join("snapshot.db");
    trent_server::run::backup::backup(&h.data_dir(), &snapshot)
        .await
        .unwrap();
    // A snapshot does not overwrite.
    assert!(
        trent_server::run::backup::backup(&h.data_dir(), &snapshot)
            .await
            .is_err()
    );
    let after = h.key().await;
    // Not while the server runs.
    let err = trent_server::run::backup::restore(&h.data_dir(), &snapshot).unwrap_err();
    assert!(err.message().contains("another Trent"), "{err}");
    drop(kms);
    let Harness {
        server, dir, clock, ..
    } = h;
    server.shutdown().await.unwrap();
    trent_server::run::backup::restore(&dir.path().join("data"), &snapshot).unwrap();
    let h = Harness::start_in(dir, clock, |o| {
        o.rate_limits = trent_core::quota::RateLimits::off();
    })
    .await;
    let kms = h.client();
    let back = kms.decrypt().ciphertext_blob(blob).send().await.unwrap();
    assert_eq!(back.plaintext.unwrap().as_ref(), b"backed up");
    assert_eq!(
        error_of(kms.describe_key().key_id(&after).send().await).0,
        "NotFoundException"
    );
    // Something that is not a store is refused before anything is replaced.
    let junk = h.dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database").unwrap();
    drop(kms);
    let Harness {
        server, dir, clock, ..
    } = h;
    server.shutdown().await.unwrap();
    assert!(trent_server::run::backup::restore(&dir.path().join("data"), &junk).is_err());
    let h = Harness::start_in(dir, clock, |_| {}).await;
    h.client()
        .describe_key()
        .key_id(&before)
        .send()
        .await
        .unwrap();
}

/// A corrupt store refuses to start, saying so, and is left as it was for inspection.
#[tokio::test]
async fn a_corrupt_store_refuses_to_start_with_a_clear_message() {
    let h = Harness::start().await;
    h.key().await;
    let Harness { server, dir, .. } = h;
    server.shutdown().await.unwrap();
    let db = dir.path().join("data").join("trent.db");
    // Without its write-ahead log (which could still hold good copies of the pages), and with
    // the header and first pages overwritten.
    let mut bytes = std::fs::read(&db).unwrap();
    for b in bytes.iter_mut().take(4096) {
        *b = 0x5a;
    }
    std::fs::write(&db, &bytes).unwrap();
    for side in ["trent.db-wal", "trent.db-shm"] {
        let _ = std::fs::remove_file(dir.path().join("data").join(side));
    }
    let options = options_on(dir.path().join("data"));
    let err = trent_server::start(options).await.unwrap_err();
    assert!(matches!(err, trent_server::Failure::Store(_)), "{err:?}");
    let err = err.message();
    assert!(err.contains("cannot open the store"), "{err}");
    assert!(
        err.contains("corrupt") || err.contains("not a database"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&db).unwrap(),
        bytes,
        "the file is left untouched"
    );
}

/// A server on `data` at an ephemeral port, without rate limits.
fn options_on(data: std::path::PathBuf) -> trent_server::ServerOptions {
    let mut options = trent_server::ServerOptions::new("127.0.0.1:0".parse().unwrap(), data);
    options.rate_limits = trent_core::quota::RateLimits::off();
    options
}

/// A stopped server's directory whose store has its pages in the main file and the first leaf
/// page of `table` overwritten (the header intact), and the file's bytes.
async fn damaged_store(table: &str) -> (tempfile::TempDir, Vec<u8>) {
    let h = Harness::start().await;
    for _ in 0..40 {
        h.key().await;
    }
    let Harness { server, dir, .. } = h;
    server.shutdown().await.unwrap();
    let db = dir.path().join("data").join("trent.db");
    // Everything into the main file, so that the damage is not hidden by the log.
    let c = rusqlite::Connection::open(&db).unwrap();
    c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    // A leaf page of the table (dbstat: SQLite's own map of its pages), the first one.
    let page: i64 = c
        .query_row(
            "SELECT pageno FROM dbstat WHERE name = ?1 AND pagetype = 'leaf' ORDER BY pageno LIMIT 1",
            [table],
            |r| r.get(0),
        )
        .unwrap();
    drop(c);
    let mut bytes = std::fs::read(&db).unwrap();
    let size = 4096;
    let at = usize::try_from(page - 1).unwrap() * size;
    for b in bytes.iter_mut().skip(at).take(size) {
        *b = 0x5a;
    }
    std::fs::write(&db, &bytes).unwrap();
    (dir, bytes)
}

/// A store damaged inside (a page of its keys, the header intact) is refused at start too:
/// the quick check finds it before a request does.
#[tokio::test]
async fn a_store_damaged_inside_refuses_to_start() {
    let (dir, bytes) = damaged_store("keys").await;
    let data = dir.path().join("data");
    let options = options_on(data.clone());
    let err = trent_server::start(options).await.unwrap_err();
    assert!(matches!(err, trent_server::Failure::Store(_)), "{err:?}");
    let err = err.message();
    assert!(err.contains("it is damaged"), "{err}");
    assert!(err.contains("trent restore"), "{err}");
    assert_eq!(
        std::fs::read(data.join("trent.db")).unwrap(),
        bytes,
        "left untouched"
    );
}

/// The start does not read the audit trail, which grows with every request: a damaged page
/// of it is `trent audit verify`'s to find, as it reads and checks every record.
#[tokio::test]
async fn a_damaged_trail_page_is_found_by_verify_not_at_start() {
    let (dir, _) = damaged_store("audit_events").await;
    let data = dir.path().join("data");
    let options = options_on(data.clone());
    let server = trent_server::start(options).await.unwrap();
    server.shutdown().await.unwrap();
    let store = trent_store::SqliteStore::open(&data.join("trent.db")).unwrap();
    let verdict = trent_server::audit::verify(&store).await;
    assert!(
        !matches!(verdict, Ok(trent_server::audit::Verdict::Intact { .. })),
        "{verdict:?}"
    );
}

/// `--metrics-listen`: `/metrics` moves to its own listener, off the API's.
#[tokio::test]
async fn metrics_can_have_a_listener_of_their_own() {
    let h = Harness::start_with(|o| o.metrics_listen = Some("127.0.0.1:0".parse().unwrap())).await;
    h.client().list_keys().send().await.unwrap();
    let get = |addr: std::net::SocketAddr, path: &str| {
        let request = format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n");
        async move {
            let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut out = Vec::new();
            let _ = stream.read_to_end(&mut out).await;
            String::from_utf8_lossy(&out).into_owned()
        }
    };
    let metrics_addr = h.server.metrics_addr.expect("a metrics listener");
    assert_ne!(metrics_addr, h.server.local_addr);
    let scraped = get(metrics_addr, "/metrics").await;
    assert!(scraped.starts_with("HTTP/1.1 200"), "{scraped}");
    assert!(
        scraped.contains("trent_requests_total{operation=\"ListKeys\",code=\"ok\"} 1"),
        "{scraped}"
    );
    assert!(
        get(metrics_addr, "/health")
            .await
            .starts_with("HTTP/1.1 200")
    );
    // The API listener no longer serves it, and the metrics listener serves nothing else.
    assert!(
        get(h.server.local_addr, "/metrics")
            .await
            .starts_with("HTTP/1.1 404")
    );
    assert!(
        get(metrics_addr, "/ready")
            .await
            .starts_with("HTTP/1.1 404")
    );
    h.server.shutdown().await.unwrap();
}
