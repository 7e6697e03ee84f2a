//! SQLite's audit writer: its own connection beside the store's, and checkpoints that keep
//! the write-ahead log bounded while it writes.

use trent_core::model::{AuditEntry, UnixMillis};
use trent_core::store::{AuditStore as _, Store as _};
use trent_store::SqliteStore;

use crate::audit::test_chain;

/// Audit appends on the writer's connection and writes on the store's own interleave without
/// a failure (both take the write lock when they begin, so neither finds its read of the
/// chain's tail made stale by the other's commit), and the chain stays whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_appends_and_other_writes_interleave() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(SqliteStore::open(&dir.path().join("t.db")).unwrap());
    let mut tasks = Vec::new();
    for i in 0..100 {
        let appender = store.clone();
        tasks.push(tokio::spawn(async move {
            let events = vec![AuditEntry::from(format!("event {i}").as_str()); 3];
            appender
                .append_audit(UnixMillis(i), events, test_chain)
                .await
                .map(|_| ())
        }));
        let writer = store.clone();
        tasks.push(tokio::spawn(async move {
            writer.put_meta(&format!("m{i}"), b"v").await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let records = store.audit_records(0, 1000).await.unwrap();
    assert_eq!(
        records.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..=300).collect::<Vec<_>>()
    );
    let mut previous = vec![0; 32];
    for r in &records {
        assert_eq!(r.hash, test_chain(&previous, r.seq, &r.event));
        previous = r.hash.clone();
    }
    assert_eq!(store.meta("m99").await.unwrap(), Some(b"v".to_vec()));
}

/// The writers run no checkpoint themselves; the checkpointer does, and a writer that is always
/// ahead of it still cannot grow the log without bound: 120 MiB of events, appended without a
/// pause, leave a log of at most about 8,000 pages (32 MiB), where without checkpoints it
/// would hold them all and with the checkpointer alone it reached 90 MiB.
#[tokio::test]
async fn the_write_ahead_log_stays_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = SqliteStore::open(&path).unwrap();
    let event = "x".repeat(16 * 1024);
    for i in 0..120 {
        let batch = vec![AuditEntry::from(event.as_str()); 64];
        store
            .append_audit(UnixMillis(i), batch, test_chain)
            .await
            .unwrap();
    }
    let wal = std::fs::metadata(dir.path().join("t.db-wal"))
        .unwrap()
        .len();
    assert!(wal < 48 << 20, "the write-ahead log holds {wal} bytes");
    assert_eq!(store.audit_tail().await.unwrap().unwrap().seq, 120 * 64);
}
