//! The `trent` binary as a person runs it: start, read the printed credentials, use them,
//! stop with SIGTERM, start again, and decrypt what was encrypted before.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use aws_sdk_kms::config::{Credentials, Region};
use aws_sdk_kms::primitives::Blob;

use crate::builders::created;

pub(crate) struct Trent {
    child: Child,
    exports: Vec<(String, String)>,
}

impl Trent {
    pub(crate) fn start(data_dir: &std::path::Path, extra: &[&str]) -> Trent {
        Self::start_with_env(data_dir, extra, &[])
    }

    pub(crate) fn start_with_env(
        data_dir: &std::path::Path,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Trent {
        let mut command = Command::new(env!("CARGO_BIN_EXE_trent"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(extra)
            .envs(env.iter().copied());
        Self::launch(command)
    }

    /// Spawns `command` and reads the export lines it prints.
    fn launch(mut command: Command) -> Trent {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("trent starts");
        let stdout = child.stdout.take().unwrap();
        let mut exports = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("export ") {
                let (k, v) = rest.split_once('=').unwrap();
                exports.push((k.to_owned(), v.to_owned()));
                if k == "AWS_ENDPOINT_URL_KMS" {
                    break;
                }
            }
        }
        Trent { child, exports }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn var(&self, name: &str) -> String {
        self.exports
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{name} was not printed"))
    }

    pub(crate) fn client(&self) -> aws_sdk_kms::Client {
        let config = aws_sdk_kms::Config::builder()
            .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
            .region(Region::new(self.var("AWS_REGION")))
            .endpoint_url(self.var("AWS_ENDPOINT_URL_KMS"))
            .credentials_provider(Credentials::new(
                self.var("AWS_ACCESS_KEY_ID"),
                self.var("AWS_SECRET_ACCESS_KEY"),
                None,
                None,
                "printed",
            ))
            .build();
        aws_sdk_kms::Client::from_conf(config)
    }

    /// `trent root-key rotate` against this server, as an operator runs it.
    pub(crate) fn rotate_root_key(&self) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_trent"))
            .args(["root-key", "rotate"])
            .env("AWS_ENDPOINT_URL_KMS", self.var("AWS_ENDPOINT_URL_KMS"))
            .env("AWS_ACCESS_KEY_ID", self.var("AWS_ACCESS_KEY_ID"))
            .env("AWS_SECRET_ACCESS_KEY", self.var("AWS_SECRET_ACCESS_KEY"))
            .env("AWS_REGION", "us-east-1")
            .output()
            .unwrap()
    }

    /// SIGTERM, then the exit status and what was logged.
    pub(crate) fn stop(mut self) -> (std::process::ExitStatus, String) {
        use std::io::Read as _;
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let mut log = Vec::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            stderr.read_to_end(&mut log).unwrap();
        }
        let status = self.child.wait().unwrap();
        (status, String::from_utf8_lossy(&log).into_owned())
    }
}

/// A test that panics, or forgets to stop its server, does not leave `trent serve` running.
impl Drop for Trent {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[tokio::test]
async fn printed_credentials_work_and_keys_survive_a_restart_of_the_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let first = Trent::start(&data, &[]);
    assert_eq!(first.var("AWS_REGION"), "us-east-1");
    assert_eq!(first.var("AWS_DEFAULT_REGION"), "us-east-1");
    assert!(first.var("AWS_ACCESS_KEY_ID").starts_with("AKIA"));
    let kms = first.client();
    let blob = new_key_and_blob(&kms, "across restarts").await;
    let secret = first.var("AWS_SECRET_ACCESS_KEY");
    let (status, log) = first.stop();
    assert!(status.success(), "graceful stop: {status:?}\n{log}");
    assert!(log.contains("created a new root key"), "{log}");
    assert!(!log.contains(&secret), "the secret must not be logged");

    let second = Trent::start(&data, &[]);
    assert_eq!(
        second.var("AWS_SECRET_ACCESS_KEY"),
        secret,
        "same identity after restart"
    );
    assert_eq!(decrypt(&second.client(), blob).await, b"across restarts");
    let (status, log) = second.stop();
    assert!(status.success());
    assert!(!log.contains("created a new root key"), "{log}");
}

#[tokio::test]
async fn dev_mode_warns_loudly() {
    let tmp = tempfile::tempdir().unwrap();
    let trent = Trent::start(&tmp.path().join("data"), &["--dev"]);
    let (_, log) = trent.stop();
    assert!(
        log.contains("WARNING: --dev accepts ANY signature"),
        "{log}"
    );
}

/// `--aws-quotas` as `trent serve` parses it: the server starts with it and answers. What the
/// quotas do is `tests/it/quotas.rs`'s, under the injected clock: the binary has only the
/// system clock, so a rate checked through it would depend on how fast the calls come.
#[tokio::test]
async fn aws_quotas_is_accepted_on_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let trent = Trent::start(&tmp.path().join("data"), &["--aws-quotas"]);
    let kms = trent.client();
    let blob = new_key_and_blob(&kms, "under aws quotas").await;
    assert_eq!(decrypt(&kms, blob).await, b"under aws quotas");
    let (status, log) = trent.stop();
    assert!(status.success(), "{log}");
}

/// The plaintext of `blob`.
pub(crate) async fn decrypt(kms: &aws_sdk_kms::Client, blob: Blob) -> Vec<u8> {
    kms.decrypt()
        .ciphertext_blob(blob)
        .send()
        .await
        .unwrap()
        .plaintext
        .unwrap()
        .into_inner()
}

/// A new symmetric key and a ciphertext of `text` under it.
pub(crate) async fn new_key_and_blob(kms: &aws_sdk_kms::Client, text: &str) -> Blob {
    let key = created(kms.create_key()).await.key_id;
    kms.encrypt()
        .key_id(&key)
        .plaintext(Blob::new(text.to_owned()))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap()
}

/// A start that must fail: its stderr.
fn failed_start(data_dir: &std::path::Path, extra: &[&str], env: &[(&str, &str)]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn a_passphrase_protects_the_root_key() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let pass_file = tmp.path().join("passphrase");
    std::fs::write(&pass_file, "correct horse battery staple\n").unwrap();
    let from_file = format!("file:{}", pass_file.display());
    let first = Trent::start(&data, &["--root-key-passphrase", &from_file]);
    let kms = first.client();
    let blob = new_key_and_blob(&kms, "behind a passphrase").await;
    let (status, log) = first.stop();
    assert!(status.success(), "{log}");
    assert!(log.contains("root.key.enc"), "{log}");
    assert!(data.join("root.key.enc").exists());
    assert!(
        !data.join("root.key").exists(),
        "no plain root key beside it"
    );
    let sealed = std::fs::read_to_string(data.join("root.key.enc")).unwrap();
    assert!(
        sealed.starts_with("trent-root-v1 argon2id m=65536 t=3 p=1 "),
        "{sealed}"
    );

    // Without the passphrase, or with a wrong one, Trent refuses to start and says why.
    let stderr = failed_start(&data, &[], &[]);
    assert!(stderr.contains("protected by a passphrase"), "{stderr}");
    assert!(
        !data.join("root.key").exists(),
        "no second root key was made"
    );
    let stderr = failed_start(
        &data,
        &["--root-key-passphrase", "env:TRENT_TEST_PASSPHRASE"],
        &[("TRENT_TEST_PASSPHRASE", "wrong")],
    );
    assert!(
        stderr.contains("the passphrase does not open the root key"),
        "{stderr}"
    );
    let stderr = failed_start(
        &data,
        &["--root-key-passphrase", "env:TRENT_TEST_UNSET"],
        &[],
    );
    assert!(
        stderr.contains("TRENT_TEST_UNSET holds no passphrase"),
        "{stderr}"
    );

    // The right one, from the environment this time.
    let second = Trent::start_with_env(
        &data,
        &["--root-key-passphrase", "env:TRENT_TEST_PASSPHRASE"],
        &[("TRENT_TEST_PASSPHRASE", "correct horse battery staple")],
    );
    assert_eq!(
        decrypt(&second.client(), blob.clone()).await,
        b"behind a passphrase"
    );

    // trent root-key rotate, as an operator runs it, re-seals under a new key in the ring.
    let before = std::fs::read_to_string(data.join("root.key.enc")).unwrap();
    let rotate = second.rotate_root_key();
    let out = String::from_utf8_lossy(&rotate.stdout);
    assert!(
        rotate.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&rotate.stderr)
    );
    assert!(out.contains("\"RootKeyId\""), "{out}");
    assert!(out.contains("\"Retired\": 1"), "{out}");
    assert_ne!(
        std::fs::read_to_string(data.join("root.key.enc")).unwrap(),
        before
    );
    let (status, _) = second.stop();
    assert!(status.success());
    let third = Trent::start(&data, &["--root-key-passphrase", &from_file]);
    assert_eq!(
        decrypt(&third.client(), blob).await,
        b"behind a passphrase",
        "after the rotation, under the same passphrase"
    );
    let (status, _) = third.stop();
    assert!(status.success());
}

/// `trent root-key passphrase`: its stdout, stderr and success.
fn set_passphrase(data: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["root-key", "passphrase", "--data-dir"])
        .arg(data)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn a_plain_root_key_is_given_a_passphrase_which_then_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let first = Trent::start(&data, &[]);
    let blob = new_key_and_blob(&first.client(), "kept").await;
    // Not while the server runs.
    let (ok, text) = set_passphrase(&data, &["--new", "env:P1"], &[("P1", "one")]);
    assert!(!ok && text.contains("another Trent is using"), "{text}");
    assert!(first.stop().0.success());

    let (ok, text) = set_passphrase(&data, &["--new", "env:P1"], &[("P1", "one")]);
    assert!(ok, "{text}");
    assert!(!data.join("root.key").exists(), "the plain key is gone");
    assert!(failed_start(&data, &[], &[]).contains("protected by a passphrase"));
    // Changing it needs the old one.
    let (ok, text) = set_passphrase(&data, &["--new", "env:P2"], &[("P2", "two")]);
    assert!(!ok && text.contains("--old"), "{text}");
    let (ok, text) = set_passphrase(
        &data,
        &["--old", "env:P1", "--new", "env:P2"],
        &[("P1", "one"), ("P2", "two")],
    );
    assert!(ok, "{text}");
    let stderr = failed_start(
        &data,
        &["--root-key-passphrase", "env:P1"],
        &[("P1", "one")],
    );
    assert!(stderr.contains("does not open"), "{stderr}");
    let second = Trent::start_with_env(
        &data,
        &["--root-key-passphrase", "env:P2"],
        &[("P2", "two")],
    );
    assert_eq!(decrypt(&second.client(), blob).await, b"kept");
    assert!(second.stop().0.success());
}

#[test]
fn a_bad_config_file_stops_the_start_with_a_clear_message() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("trent.toml");
    std::fs::write(&config, "[[accounts]]\nid = \"123\"\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(tmp.path().join("data"))
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("account id '123' is not twelve digits"),
        "{stderr}"
    );
}

/// Crash safety: `kill -9` while clients create keys and aliases; after a restart every
/// acknowledged key and alias is there with its audit event, the store passes SQLite's
/// integrity check and the audit trail verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_dash_nine_under_a_write_load_loses_nothing_acknowledged() {
    killed_under_load_loses_nothing(&["--dev"]).await;
}

/// The same with `--sync os`: commits reach the operating system before they are
/// acknowledged, so a killed process loses none of them (only a machine's crash could).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_dash_nine_with_sync_os_loses_nothing_acknowledged() {
    killed_under_load_loses_nothing(&["--dev", "--sync", "os"]).await;
}

async fn killed_under_load_loses_nothing(flags: &[&str]) {
    use std::sync::{Arc, Mutex};
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut first = Trent::start(&data, flags);
    let kms = first.client();
    let acknowledged: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..4 {
        let (kms, acknowledged, stop) = (kms.clone(), acknowledged.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let Ok(out) = kms.create_key().send().await else {
                    break;
                };
                let id = out.key_metadata.unwrap().key_id;
                let alias = format!("alias/crash-{w}-{n}");
                if kms
                    .create_alias()
                    .alias_name(&alias)
                    .target_key_id(&id)
                    .send()
                    .await
                    .is_err()
                {
                    break;
                }
                acknowledged.lock().unwrap().push((id, alias));
                n += 1;
            }
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    // SIGKILL: no shutdown path runs.
    first.child.kill().unwrap();
    let _ = first.child.wait();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in workers {
        let _ = w.await;
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 4,
        "the load made {} writes",
        acknowledged.len()
    );

    let mut second = Trent::start(&data, flags);
    let kms = second.client();
    for (id, alias) in &acknowledged {
        kms.describe_key().key_id(id).send().await.unwrap();
        let via_alias = kms.describe_key().key_id(alias).send().await.unwrap();
        assert_eq!(&via_alias.key_metadata.unwrap().key_id, id);
    }
    let store = trent_store::SqliteStore::open(&data.join("trent.db")).unwrap();
    store.integrity_check().await.unwrap();
    match trent_server::audit::verify(&store).await.unwrap() {
        trent_server::audit::Verdict::Intact { .. } => {}
        broken => panic!("{broken:?}"),
    }
    let created = trent_server::audit::search(
        &store,
        &trent_server::audit::Filter {
            event_name: Some("CreateKey".into()),
            ..Default::default()
        },
        usize::MAX,
    )
    .await
    .unwrap();
    for (id, _) in &acknowledged {
        assert!(
            created
                .iter()
                .any(|(_, e)| e.to_string().contains(id.as_str())),
            "no CreateKey event for acknowledged key {id}"
        );
    }
    second.child.kill().unwrap();
    let _ = second.child.wait();
}

/// Two `trent serve` processes on one PostgreSQL database: `kill -9` one of them while
/// clients write through it; the clients retry what failed against the other node, and
/// every write either node acknowledged is there, through the survivor, with the cluster's
/// audit trail intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_one_of_two_nodes_under_load_loses_nothing_acknowledged() {
    use std::sync::{Arc, Mutex};
    let Some(url) = trent_store::testing::fresh_database().await else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (data_a, data_b) = (tmp.path().join("a"), tmp.path().join("b"));
    let store = ["--dev", "--store", url.as_str()];
    let mut a = Trent::start(&data_a, &store);
    std::fs::create_dir_all(&data_b).unwrap();
    std::fs::copy(data_a.join("root.key"), data_b.join("root.key")).unwrap();
    let mut b = Trent::start(&data_b, &store);
    let (via_a, via_b) = (a.client(), b.client());
    let acknowledged: Arc<Mutex<Vec<(String, String, Blob)>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..4 {
        let (via_a, via_b) = (via_a.clone(), via_b.clone());
        let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let mut n = 0;
            let mut retried = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // Through A while it lives; what fails is retried once against B.
                let id = match via_a.create_key().send().await {
                    Ok(out) => out.key_metadata.unwrap().key_id,
                    Err(_) => {
                        retried += 1;
                        created(via_b.create_key()).await.key_id
                    }
                };
                let alias = format!("alias/node-crash-{w}-{n}");
                let aliased = via_a
                    .create_alias()
                    .alias_name(&alias)
                    .target_key_id(&id)
                    .send()
                    .await;
                if aliased.is_err() {
                    retried += 1;
                    // The first try may have committed before the node died.
                    match via_b
                        .create_alias()
                        .alias_name(&alias)
                        .target_key_id(&id)
                        .send()
                        .await
                    {
                        Ok(_) => {}
                        Err(e) => assert_eq!(
                            aws_sdk_kms::error::ProvideErrorMetadata::code(&e),
                            Some("AlreadyExistsException")
                        ),
                    }
                }
                let blob = match via_a
                    .encrypt()
                    .key_id(&alias)
                    .plaintext(Blob::new(format!("{w}-{n}")))
                    .send()
                    .await
                {
                    Ok(out) => out.ciphertext_blob.unwrap(),
                    Err(_) => {
                        retried += 1;
                        via_b
                            .encrypt()
                            .key_id(&alias)
                            .plaintext(Blob::new(format!("{w}-{n}")))
                            .send()
                            .await
                            .unwrap()
                            .ciphertext_blob
                            .unwrap()
                    }
                };
                acknowledged.lock().unwrap().push((id, alias, blob));
                n += 1;
            }
            retried
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    a.child.kill().unwrap();
    let _ = a.child.wait();
    // The load goes on through B for a while.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut retried = 0;
    for w in workers {
        retried += w.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 8,
        "the load made {} writes",
        acknowledged.len()
    );
    assert!(retried >= 1, "no call failed over to the second node");
    for (id, alias, blob) in &acknowledged {
        let via_alias = via_b.describe_key().key_id(alias).send().await.unwrap();
        assert_eq!(&via_alias.key_metadata.unwrap().key_id, id);
        via_b
            .decrypt()
            .ciphertext_blob(blob.clone())
            .send()
            .await
            .unwrap();
    }
    let store = trent_store::PostgresStore::connect(&url, &trent_store::PostgresOptions::default())
        .await
        .unwrap();
    match trent_server::audit::verify(&store).await.unwrap() {
        trent_server::audit::Verdict::Intact { events, .. } => {
            assert!(events >= i64::try_from(acknowledged.len() * 3).unwrap());
        }
        broken => panic!("{broken:?}"),
    }
    b.child.kill().unwrap();
    let _ = b.child.wait();
}

#[tokio::test]
async fn an_ephemeral_server_prints_credentials_and_leaves_nothing_behind() {
    // No --data-dir: run from an empty working directory, which must stay empty.
    let cwd = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_trent"));
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--ephemeral"])
        .args(["--log-format", "json"])
        .current_dir(cwd.path());
    let trent = Trent::launch(command);
    let kms = trent.client();
    let blob = new_key_and_blob(&kms, "for one run").await;
    assert_eq!(decrypt(&kms, blob).await, b"for one run");
    let (status, log) = trent.stop();
    assert!(status.success(), "{log}");
    // The log names the temporary directory; it is gone, and nothing was written here.
    let dir = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["fields"]["message"] == "removed the ephemeral data directory")
        .and_then(|l| l["fields"]["data_dir"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no removal logged:\n{log}"));
    assert!(dir.contains("trent-ephemeral-"), "{dir}");
    assert!(!std::path::Path::new(&dir).exists(), "{dir} is still there");
    assert!(!log.contains("back it up"), "{log}");
    assert_eq!(std::fs::read_dir(cwd.path()).unwrap().count(), 0);
}

#[test]
fn ephemeral_refuses_a_data_dir_or_a_shared_store() {
    for extra in [
        &["--data-dir", "somewhere"][..],
        &["--store", "postgres://u:p@127.0.0.1:1/db"][..],
        &["--sync", "os"][..],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_trent"))
            .args(["serve", "--listen", "127.0.0.1:0", "--ephemeral"])
            .args(extra)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{extra:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("--ephemeral") || err.contains("cannot be used with"),
            "{extra:?}: {err}"
        );
    }
}
