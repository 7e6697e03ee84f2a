//! The web console in a real browser: Debian's Chromium, headless, driven through WebDriver
//! (chromedriver) against a real server over TLS, with every effect checked through
//! `aws-sdk-kms`. Screenshots of each page go to `target/console-screenshots/`.
//!
//! Skipped when chromedriver is missing, unless `TRENT_REQUIRE_BROWSER=1` (the README's test
//! command sets it and installs `chromium` and `chromium-driver`).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

use crate::console::{ALICE, BOB, start};
use crate::harness::Harness;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// How long the browser may take to show what a step waits for.
const PATIENCE: Duration = Duration::from_secs(20);

/// chromedriver on a free loopback port, killed when dropped.
struct Driver {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn browser_available() -> bool {
    let present =
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists();
    if !present {
        assert!(
            std::env::var("TRENT_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "TRENT_REQUIRE_BROWSER=1 but {CHROMEDRIVER} or {CHROMIUM} is missing"
        );
        eprintln!("skipping the browser tests: install chromium and chromium-driver");
    }
    present
}

async fn driver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(started.elapsed() < PATIENCE, "chromedriver did not listen");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Driver {
        child,
        port,
        _profile: tempfile::tempdir().unwrap(),
    }
}

/// A headless Chromium session, trusting the server's self-signed certificate.
async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), "chrome".into());
    caps.insert("acceptInsecureCerts".into(), true.into());
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--window-size=1366,900",
                format!("--user-data-dir={}", driver._profile.path().display()),
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session")
}

/// Where screenshots go: `target/console-screenshots/`.
fn shots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(shots().join(format!("{name}.png")), png).unwrap();
}

/// The SDK, trusting the server's self-signed certificate, as `who`.
fn sdk(h: &Harness, who: (&str, &str)) -> aws_sdk_kms::Client {
    let http = h.trusting_http_client();
    let config = h
        .config_for("us-east-1", who.0, who.1)
        .http_client(http)
        .build();
    aws_sdk_kms::Client::from_conf(config)
}

async fn css(c: &Client, selector: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("no {selector}: {e}"))
}

async fn click(c: &Client, selector: &str) {
    let started = Instant::now();
    loop {
        let e = css(c, selector).await;
        match e.click().await {
            Ok(()) => return,
            // Not yet interactable (a dialog opening, a tab rendering): try again.
            Err(err) if started.elapsed() < PATIENCE => {
                let _ = err;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(err) => panic!("cannot click {selector}: {err}"),
        }
    }
}

async fn type_into(c: &Client, selector: &str, text: &str) {
    let e = css(c, selector).await;
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

/// Sets a textarea's or input's value at once (a long policy typed key by key is slow) and
/// tells the page it changed.
async fn set_value(c: &Client, selector: &str, text: &str) {
    css(c, selector).await;
    c.execute(
        "const e = document.querySelector(arguments[0]); e.value = arguments[1];
         e.dispatchEvent(new Event('input', {bubbles: true}));
         e.dispatchEvent(new Event('change', {bubbles: true}));",
        vec![selector.into(), text.into()],
    )
    .await
    .unwrap();
}

async fn text_of(c: &Client, selector: &str) -> String {
    css(c, selector).await.text().await.unwrap_or_default()
}

/// Waits until the element's text contains `needle`; returns the text.
async fn until_text(c: &Client, selector: &str, needle: &str) -> String {
    let started = Instant::now();
    loop {
        let text = match c.find(Locator::Css(selector)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.contains(needle) {
            return text;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "{selector} never showed {needle:?}; it shows {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until `check` holds of the SDK's view.
async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < PATIENCE, "never: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn sign_in(c: &Client, base: &str, who: (&str, &str)) {
    c.goto(&format!("{base}/console")).await.unwrap();
    type_into(c, "#signin-access-key", who.0).await;
    type_into(c, "#signin-secret", who.1).await;
    click(c, "#signin-submit").await;
    until_text(c, "#whoami", "arn:aws:iam::111122223333:user/").await;
}

async fn open_tab(c: &Client, tab: &str) {
    click(c, &format!("button[role=tab][data-tab={tab}]")).await;
}

#[tokio::test]
async fn a_key_administrator_works_through_the_console() {
    if !browser_available() {
        return;
    }
    let h = start("", |o| {
        o.tls = Some(trent_server::http::tls::TlsSource::SelfSigned)
    })
    .await;
    let base = h.server.endpoint();
    let kms = sdk(&h, ALICE);
    let d = driver().await;
    let c = browser(&d).await;

    // Sign in.
    c.goto(&format!("{base}/console")).await.unwrap();
    css(&c, "#signin-access-key").await;
    screenshot(&c, "01-sign-in").await;
    sign_in(&c, &base, ALICE).await;
    let cookies = c.get_all_cookies().await.unwrap();
    let session = cookies
        .iter()
        .find(|k| k.name() == "trent-console")
        .expect("the session cookie");
    assert_eq!(session.http_only(), Some(true));
    assert_eq!(session.secure(), Some(true), "served over TLS");
    assert_eq!(format!("{:?}", session.same_site()), "Some(Strict)");
    let script_sees = c.execute("return document.cookie", vec![]).await.unwrap();
    assert!(
        !script_sees
            .as_str()
            .unwrap_or_default()
            .contains("trent-console")
    );
    until_text(&c, "#page-title", "Overview").await;
    css(&c, "#overview-requests-chart").await;
    screenshot(&c, "02-overview").await;

    // Create a key through the wizard, its description a script that must stay text.
    let description = "<script>window.__pwned = 1</script> made in the console";
    let alice_arn = "arn:aws:iam::111122223333:user/alice";
    click(&c, "a[href=\"#/create\"]").await;
    click(&c, "input[name=wizard-key-type][value=symmetric]").await;
    click(&c, "#wizard-next").await;
    type_into(&c, "#wizard-alias", "console-made").await;
    type_into(&c, "#wizard-description", description).await;
    type_into(&c, "#wizard-tag-key", "team").await;
    type_into(&c, "#wizard-tag-value", "blue").await;
    click(&c, "#wizard-add-tag").await;
    click(&c, "#wizard-next").await;
    click(&c, &format!("input.wizard-admin[value=\"{alice_arn}\"]")).await;
    click(&c, "#wizard-next").await;
    click(&c, &format!("input.wizard-user[value=\"{alice_arn}\"]")).await;
    click(&c, "#wizard-next").await;
    let policy = css(&c, "#wizard-policy")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(
        policy.contains("Allow access for Key Administrators"),
        "{policy}"
    );
    assert!(policy.contains(alice_arn));
    screenshot(&c, "03-create-key-review").await;
    click(&c, "#wizard-create").await;
    until_text(&c, "#key-id", "-").await;
    let key_id = text_of(&c, "#key-id").await.trim().to_owned();
    let meta = kms
        .describe_key()
        .key_id(&key_id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(meta.description(), Some(description));
    let aliases = kms.list_aliases().key_id(&key_id).send().await.unwrap();
    assert_eq!(
        aliases.aliases()[0].alias_name(),
        Some("alias/console-made")
    );
    let tags = kms
        .list_resource_tags()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags()[0].tag_key(), "team");
    // The script is text on the page, and never ran.
    assert_eq!(text_of(&c, "#key-description").await.trim(), description);
    let pwned = c
        .execute("return window.__pwned === undefined", vec![])
        .await
        .unwrap();
    assert_eq!(pwned, serde_json::Value::Bool(true));
    screenshot(&c, "04-key-detail").await;

    // Edit the key policy: a malformed one is the server's error, shown inline, text kept.
    open_tab(&c, "policy").await;
    let editor = css(&c, "#policy-editor").await;
    let current = editor.prop("value").await.unwrap().unwrap();
    assert!(current.contains("Enable IAM User Permissions"), "{current}");
    set_value(
        &c,
        "#policy-editor",
        "{\"Version\": \"2012-10-17\", \"Statement\": [",
    )
    .await;
    click(&c, "#policy-save").await;
    until_text(&c, "#policy-error", "MalformedPolicyDocumentException").await;
    let kept = css(&c, "#policy-editor")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        kept, "{\"Version\": \"2012-10-17\", \"Statement\": [",
        "typed text kept"
    );
    screenshot(&c, "05-policy-error").await;
    let mut edited: serde_json::Value = serde_json::from_str(&current).unwrap();
    edited["Statement"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "Sid": "Edited in the console", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:user/bob"},
            "Action": "kms:DescribeKey", "Resource": "*",
        }));
    set_value(
        &c,
        "#policy-editor",
        &serde_json::to_string_pretty(&edited).unwrap(),
    )
    .await;
    click(&c, "#policy-save").await;
    until("the edited policy is the key's", || async {
        kms.get_key_policy()
            .key_id(&key_id)
            .send()
            .await
            .ok()
            .and_then(|p| p.policy)
            .is_some_and(|p| p.contains("Edited in the console"))
    })
    .await;

    // Add an alias and a tag.
    open_tab(&c, "aliases").await;
    type_into(&c, "#alias-name", "console-second").await;
    click(&c, "#alias-add").await;
    until_text(&c, "#alias-list", "alias/console-second").await;
    open_tab(&c, "tags").await;
    type_into(&c, "#tag-key", "env").await;
    type_into(&c, "#tag-value", "test").await;
    click(&c, "#tag-add").await;
    until_text(&c, "#tag-list", "env").await;
    let tags = kms
        .list_resource_tags()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.tag_key() == "env" && t.tag_value() == "test")
    );

    // Rotate on demand: the history shows it.
    open_tab(&c, "rotation").await;
    click(&c, "#rotate-now").await;
    click(&c, "dialog[open] button.confirm").await;
    until_text(&c, "#rotation-history", "ON_DEMAND").await;
    let rotations = kms
        .list_key_rotations()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert_eq!(rotations.rotations().len(), 1);
    screenshot(&c, "06-rotation").await;

    // Create a grant, then revoke it.
    open_tab(&c, "grants").await;
    type_into(&c, "#grant-grantee", "arn:aws:iam::111122223333:user/bob").await;
    click(&c, "input.grant-op[value=Encrypt]").await;
    type_into(&c, "#grant-name", "console-grant").await;
    click(&c, "#grant-create").await;
    until_text(&c, "#grant-list", "console-grant").await;
    let grants = kms.list_grants().key_id(&key_id).send().await.unwrap();
    assert_eq!(grants.grants().len(), 1);
    let grant_id = grants.grants()[0].grant_id().unwrap().to_owned();
    screenshot(&c, "07-grants").await;
    click(
        &c,
        &format!("tr[data-grant-id=\"{grant_id}\"] button.grant-revoke"),
    )
    .await;
    click(&c, "dialog[open] button.confirm").await;
    until("the grant is revoked", || async {
        kms.list_grants()
            .key_id(&key_id)
            .send()
            .await
            .is_ok_and(|g| g.grants().is_empty())
    })
    .await;

    // Schedule deletion, then cancel it.
    click(&c, "#key-schedule-deletion").await;
    type_into(&c, "#deletion-days", "7").await;
    click(&c, "#deletion-confirm").await;
    until_text(&c, "#key-state", "PendingDeletion").await;
    let meta = kms
        .describe_key()
        .key_id(&key_id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(meta.pending_deletion_window_in_days(), Some(7));
    click(&c, "#key-cancel-deletion").await;
    until_text(&c, "#key-state", "Disabled").await;
    let meta = kms
        .describe_key()
        .key_id(&key_id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(meta.key_state().map(|s| s.as_str()), Some("Disabled"));
    click(&c, "#key-enable").await;
    until_text(&c, "#key-state", "Enabled").await;

    // The keys list, filtered.
    click(&c, "a[href=\"#/keys\"]").await;
    css(&c, &format!("tr[data-key-id=\"{key_id}\"]")).await;
    type_into(&c, "#keys-filter", "console-made").await;
    until_text(&c, "#keys-table", "console-made").await;
    screenshot(&c, "08-keys").await;

    // The workbench encrypts and decrypts under the new key.
    click(&c, "a[href=\"#/workbench\"]").await;
    css(&c, "#wb-operation")
        .await
        .select_by_value("Encrypt")
        .await
        .unwrap();
    type_into(&c, "#wb-key", "alias/console-made").await;
    type_into(&c, "#wb-input", "hello from the workbench").await;
    type_into(&c, "#wb-context", "purpose=test").await;
    click(&c, "#wb-run").await;
    until_text(&c, "#wb-output", "CiphertextBlob").await;
    screenshot(&c, "09-workbench").await;

    // The session idles out (the server's clock moves 16 minutes): the next call asks for a
    // sign-in over the page, keeps what was typed, and goes through afterwards.
    type_into(&c, "#wb-input", "typed before the session ended").await;
    h.clock.advance(Duration::from_secs(16 * 60));
    click(&c, "#wb-run").await;
    css(&c, "dialog#signin-dialog[open]").await;
    type_into(&c, "#reauth-access-key", ALICE.0).await;
    type_into(&c, "#reauth-secret", ALICE.1).await;
    click(&c, "#reauth-submit").await;
    css(&c, "#wb-output").await;
    until("the dialog closed", || async {
        c.find(Locator::Css("dialog#signin-dialog[open]"))
            .await
            .is_err()
    })
    .await;
    until_text(&c, "#wb-output", "CiphertextBlob").await;
    let kept = css(&c, "#wb-input").await.prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("typed before the session ended"));

    // Identities.
    click(&c, "a[href=\"#/identities\"]").await;
    until_text(&c, "#identities-users", "bob").await;
    screenshot(&c, "10-identities").await;

    // The audit page finds what was done, each event with its JSON, and the chain verifies.
    click(&c, "a[href=\"#/audit\"]").await;
    type_into(&c, "#audit-key", &key_id).await;
    click(&c, "#audit-search").await;
    for event in [
        "CreateKey",
        "PutKeyPolicy",
        "CreateAlias",
        "TagResource",
        "RotateKeyOnDemand",
        "CreateGrant",
        "RevokeGrant",
        "ScheduleKeyDeletion",
        "CancelKeyDeletion",
    ] {
        until_text(&c, "#audit-results", event).await;
    }
    click(&c, "tr.audit-event").await;
    until_text(&c, "#audit-event-json", "trent-console/").await;
    click(&c, "#audit-verify").await;
    until_text(&c, "#audit-verify-status", "Intact").await;
    screenshot(&c, "11-audit").await;

    // A change without the CSRF token is refused, in the browser too.
    let status = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch('/console/api/call', {method: 'POST', headers: {
                 'X-Amz-Target': 'TrentService.DisableKey',
                 'Content-Type': 'application/x-amz-json-1.1'},
               body: JSON.stringify({KeyId: arguments[0]})}).then(r => done(r.status));",
            vec![key_id.clone().into()],
        )
        .await
        .unwrap();
    assert_eq!(status, serde_json::json!(403));
    let meta = kms
        .describe_key()
        .key_id(&key_id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert!(meta.enabled);

    // Sign out: the sign-in page again, and the session is gone.
    click(&c, "#signout").await;
    css(&c, "#signin-access-key").await;
    let status = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch('/console/api/session').then(r => done(r.status));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(status, serde_json::json!(401));

    // A phone-width window still shows the keys page usably.
    c.set_window_size(390, 844).await.unwrap();
    sign_in(&c, &base, ALICE).await;
    click(&c, "a[href=\"#/keys\"]").await;
    css(&c, &format!("tr[data-key-id=\"{key_id}\"]")).await;
    screenshot(&c, "12-keys-phone").await;
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        overflow,
        serde_json::Value::Bool(true),
        "no sideways scrolling at 390 px"
    );
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_user_denied_disable_key_sees_access_denied() {
    if !browser_available() {
        return;
    }
    let h = start("", |o| {
        o.tls = Some(trent_server::http::tls::TlsSource::SelfSigned)
    })
    .await;
    let base = h.server.endpoint();
    let kms = sdk(&h, ALICE);
    let key = kms
        .create_key()
        .description("Bob may not disable this")
        .send()
        .await
        .unwrap();
    let key_id = key.key_metadata.unwrap().key_id;
    let d = driver().await;
    let c = browser(&d).await;
    sign_in(&c, &base, BOB).await;
    c.goto(&format!("{base}/console#/keys/{key_id}"))
        .await
        .unwrap();
    until_text(&c, "#key-state", "Enabled").await;
    click(&c, "#key-disable").await;
    let shown = until_text(&c, "#key-error", "AccessDeniedException").await;
    assert!(
        shown.contains(
            "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: kms:DisableKey"
        ),
        "{shown}"
    );
    screenshot(&c, "13-access-denied").await;
    let meta = kms
        .describe_key()
        .key_id(&key_id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert!(meta.enabled, "the key stays enabled");
    assert_eq!(text_of(&c, "#key-state").await.trim(), "Enabled");
    c.close().await.unwrap();
}
