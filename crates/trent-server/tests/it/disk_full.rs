//! A full disk: writes get a clean `KMSInternalException` (never a panic, a hang or a wrong
//! answer), nothing acknowledged is lost, the store stays sound, and Trent recovers by itself
//! when space comes back. The data directory sits on a small tmpfs of its own (this test needs
//! root to mount it, as CI has; elsewhere it says so and does nothing).

use std::io::Write as _;
use std::process::Command;

use aws_sdk_kms::error::ProvideErrorMetadata as _;
use aws_sdk_kms::primitives::Blob;

use crate::harness::Harness;

/// A tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Tmpfs { dir })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Fills the file system holding `path` to the last byte; returns the filler's path.
fn fill(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    for chunk in [1 << 16, 512, 1] {
        let block = vec![0u8; chunk];
        while file
            .write_all(&block)
            .and_then(|()| file.sync_data())
            .is_ok()
        {}
    }
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_gives_clean_errors_loses_nothing_and_recovers() {
    let Some(fs) = Tmpfs::mount("16m") else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let h = Harness::start_in(
        tempfile::tempdir_in(fs.dir.path()).unwrap(),
        trent_core::testing::ManualClock::new(),
        |_| {},
    )
    .await;
    let kms = h.client();
    let warm = h.key().await;
    let before = h.encrypt(&warm, "before").await;
    let mut acknowledged = vec![warm.clone()];

    let filler = fill(fs.dir.path());
    let (mut ok, mut failed) = (0, 0);
    for i in 0..400 {
        // Writes: a key (store and audit trail); reads: an Encrypt of a warm key (audit only).
        let created = kms.create_key().description(format!("k{i}")).send().await;
        match created {
            Ok(out) => {
                acknowledged.push(out.key_metadata.unwrap().key_id);
                ok += 1;
            }
            Err(e) => {
                assert_eq!(e.code(), Some("KMSInternalException"), "{e:?}");
                assert_eq!(
                    e.message(),
                    Some("We encountered an internal error. Please try again.")
                );
                failed += 1;
            }
        }
        match kms
            .encrypt()
            .key_id(&warm)
            .plaintext(Blob::new("while full"))
            .send()
            .await
        {
            Ok(_) => ok += 1,
            Err(e) => {
                assert_eq!(e.code(), Some("KMSInternalException"), "{e:?}");
                failed += 1;
            }
        }
        if failed >= 20 {
            break;
        }
    }
    assert!(
        failed >= 20,
        "the disk never filled up ({ok} calls succeeded)"
    );
    eprintln!("while the disk was full: {ok} calls succeeded, {failed} failed cleanly");
    // The process still answers, and says it cannot serve fully.
    let (status, _, body) = h
        .raw(b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await;
    assert_eq!((status, body.as_str()), (200, "ok\n"));

    // Space comes back: Trent serves again without a restart.
    std::fs::remove_file(&filler).unwrap();
    let after = h.key().await;
    acknowledged.push(after.clone());
    let blob = h.encrypt(&after, "after").await;
    kms.decrypt().ciphertext_blob(blob).send().await.unwrap();
    let back = kms.decrypt().ciphertext_blob(before).send().await.unwrap();
    assert_eq!(back.plaintext.unwrap().as_ref(), b"before");

    // Nothing acknowledged is lost, across a restart; the store and the trail are sound.
    let h = h.restart().await;
    for key in &acknowledged {
        h.describe(key).await;
    }
    let store = trent_store::SqliteStore::open(&h.data_dir().join("trent.db")).unwrap();
    store.integrity_check().await.unwrap();
    h.server.run_maintenance().await.unwrap();
    assert!(matches!(
        trent_server::audit::verify(&store).await.unwrap(),
        trent_server::audit::Verdict::Intact { .. }
    ));
    drop(store);
    h.server.shutdown().await.unwrap();
    drop(fs);
}
