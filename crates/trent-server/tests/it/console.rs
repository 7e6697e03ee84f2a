//! The web console's server side over raw HTTP: assets and their headers, sign-in and its
//! cookie, CSRF refusals, the idle timeout on the injected clock, sign-out, calls running as
//! the session's principal through the same authorization and audit trail as the API.

use std::time::Duration;

use crate::harness::{Harness, raw_to};

/// Alice may do anything with keys, read the trail and the identities; Bob may do anything
/// with keys but disable them.
pub const CONFIG: &str = r#"
[[accounts]]
id = "111122223333"
regions = ["us-east-1", "eu-west-1"]

[[accounts.users]]
name = "alice"
policies = { admin = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:*","cloudtrail:LookupEvents","iam:*"],"Resource":"*"}]}' }

[[accounts.users]]
name = "bob"
policies = { keys = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"},{"Effect":"Deny","Action":"kms:DisableKey","Resource":"*"}]}' }

[[accounts.access_keys]]
id = "AKIAROOTEXAMPLE00001"
secret = "root-secret-0000000000000000000000000000"

[[accounts.access_keys]]
id = "AKIAALICEEXAMPLE0001"
secret = "alice-secret-000000000000000000000000000"
user = "alice"

[[accounts.access_keys]]
id = "AKIABOBEXAMPLE000001"
secret = "bob-secret-00000000000000000000000000000"
user = "bob"
"#;

pub const ALICE: (&str, &str) = (
    "AKIAALICEEXAMPLE0001",
    "alice-secret-000000000000000000000000000",
);
pub const BOB: (&str, &str) = (
    "AKIABOBEXAMPLE000001",
    "bob-secret-00000000000000000000000000000",
);
pub const ROOT: (&str, &str) = (
    "AKIAROOTEXAMPLE00001",
    "root-secret-0000000000000000000000000000",
);

/// A server with [`CONFIG`], and extra TOML appended to it.
pub async fn start(
    extra: &str,
    configure: impl FnOnce(&mut trent_server::ServerOptions),
) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, format!("{CONFIG}\n{extra}")).unwrap();
    Harness::start_in(dir, trent_core::testing::ManualClock::new(), |o| {
        o.config = Some(path.clone());
        configure(o);
    })
    .await
}

/// An HTTP/1.1 response: status, head (lower-cased names kept as sent), body.
struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }
}

async fn send(
    h: &Harness,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let mut text = format!(
        "{method} {path} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\ncontent-length: {}\r\n",
        h.server.local_addr,
        body.len()
    );
    for (n, v) in headers {
        text.push_str(&format!("{n}: {v}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    let (status, head, body) = raw_to(h.server.local_addr, text.as_bytes()).await;
    Answer { status, head, body }
}

/// A signed-in session: its cookie header and CSRF token.
struct Signed {
    cookie: String,
    csrf: String,
}

async fn sign_in(h: &Harness, who: (&str, &str)) -> Signed {
    let body = serde_json::json!({"accessKeyId": who.0, "secretAccessKey": who.1}).to_string();
    let a = send(
        h,
        "POST",
        "/console/api/signin",
        &[
            ("content-type", "application/json"),
            ("user-agent", "TestBrowser/1.0"),
        ],
        &body,
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let set = a.header("set-cookie").expect("a session cookie");
    let cookie = set.split(';').next().unwrap().to_owned();
    Signed {
        cookie,
        csrf: a.json()["csrfToken"].as_str().unwrap().to_owned(),
    }
}

async fn call(h: &Harness, s: &Signed, csrf: Option<&str>, target: &str, body: &str) -> Answer {
    let mut headers = vec![
        ("cookie", s.cookie.as_str()),
        ("content-type", "application/x-amz-json-1.1"),
        ("x-amz-target", target),
        ("user-agent", "TestBrowser/1.0"),
    ];
    if let Some(token) = csrf {
        headers.push(("x-trent-csrf", token));
    }
    send(h, "POST", "/console/api/call", &headers, body).await
}

#[tokio::test]
async fn assets_are_served_from_the_binary_with_a_strict_policy() {
    let h = start("", |_| {}).await;
    let index = send(&h, "GET", "/console", &[], "").await;
    assert_eq!(index.status, 200);
    assert!(
        index
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(index.body.contains("/console/app.js"), "{}", index.body);
    let csp = index.header("content-security-policy").unwrap();
    for directive in [
        "script-src 'self'",
        "frame-ancestors 'none'",
        "default-src 'self'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(
        index.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert_eq!(index.header("x-frame-options").as_deref(), Some("DENY"));
    let script = send(&h, "GET", "/console/app.js", &[], "").await;
    assert_eq!(script.status, 200);
    assert!(
        script
            .header("content-type")
            .unwrap()
            .starts_with("text/javascript")
    );
    for missing in ["/console/nothing.js", "/console/..%2fCargo.toml"] {
        assert_eq!(
            send(&h, "GET", missing, &[], "").await.status,
            404,
            "{missing}"
        );
    }
    // The API takes POST only; not signed in, a call is refused before anything runs.
    assert_eq!(
        send(&h, "GET", "/console/api/call", &[], "").await.status,
        405
    );
    let anonymous = send(&h, "GET", "/console/api/session", &[], "").await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.json()["__type"], "NotSignedIn");
}

#[tokio::test]
async fn sign_in_sets_a_strict_http_only_cookie_and_checks_the_secret() {
    let h = start("", |_| {}).await;
    let form = |secret: &str| {
        serde_json::json!({"accessKeyId": ALICE.0, "secretAccessKey": secret}).to_string()
    };
    let json = [("content-type", "application/json")];
    let wrong = send(
        &h,
        "POST",
        "/console/api/signin",
        &json,
        &form("not-the-secret"),
    )
    .await;
    assert_eq!(wrong.status, 400);
    assert_eq!(wrong.json()["__type"], "UnrecognizedClientException");
    assert!(wrong.header("set-cookie").is_none());
    let unknown =
        serde_json::json!({"accessKeyId": "AKIANOBODY0000000000", "secretAccessKey": "x"});
    let unknown = send(
        &h,
        "POST",
        "/console/api/signin",
        &json,
        &unknown.to_string(),
    )
    .await;
    assert_eq!(unknown.json()["__type"], "UnrecognizedClientException");
    // A form post (what another site could make a browser send) is not a sign-in.
    let form_post = [("content-type", "application/x-www-form-urlencoded")];
    assert_eq!(
        send(
            &h,
            "POST",
            "/console/api/signin",
            &form_post,
            "accessKeyId=x"
        )
        .await
        .status,
        415
    );
    let ok = send(&h, "POST", "/console/api/signin", &json, &form(ALICE.1)).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let cookie = ok.header("set-cookie").unwrap();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.contains(flag), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    let body = ok.json();
    assert_eq!(
        body["principal"]["arn"],
        "arn:aws:iam::111122223333:user/alice"
    );
    assert_eq!(body["region"], "us-east-1");
    assert_eq!(
        body["regions"],
        serde_json::json!(["us-east-1", "eu-west-1"])
    );
    assert!(!ok.body.contains(ALICE.1), "the secret never comes back");
    // Sign-ins, good and bad, are in the trail as ConsoleLogin events, without the secret.
    for file in ["trent.db", "trent.db-wal"] {
        let path = h.data_dir().join(file);
        assert!(
            !crate::harness::file_contains(&path, ALICE.1.as_bytes()),
            "{file}"
        );
    }
}

#[tokio::test]
async fn a_call_without_the_csrf_token_changes_nothing() {
    let h = start("", |_| {}).await;
    let alice = h.client_for("us-east-1", ALICE.0, ALICE.1);
    let key = crate::builders::created(alice.create_key()).await.key_id;
    let s = sign_in(&h, ALICE).await;
    let body = serde_json::json!({"KeyId": key}).to_string();
    for token in [
        None,
        Some(""),
        Some("0000"),
        Some(s.cookie.split('=').nth(1).unwrap()),
    ] {
        let refused = call(&h, &s, token, "TrentService.DisableKey", &body).await;
        assert_eq!(refused.status, 403, "{token:?}: {}", refused.body);
        assert_eq!(refused.json()["__type"], "InvalidCsrfToken");
    }
    let described = alice.describe_key().key_id(&key).send().await.unwrap();
    assert!(described.key_metadata.unwrap().enabled, "still enabled");
    // With the token, the same call runs as Alice.
    let done = call(&h, &s, Some(&s.csrf), "TrentService.DisableKey", &body).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let described = alice.describe_key().key_id(&key).send().await.unwrap();
    assert!(!described.key_metadata.unwrap().enabled);
    // A cookie no session has is not signed in, whatever token it carries.
    let forged = Signed {
        cookie: "trent-console=00ff".to_owned(),
        csrf: s.csrf.clone(),
    };
    let refused = call(&h, &forged, Some(&s.csrf), "TrentService.EnableKey", &body).await;
    assert_eq!(refused.status, 401);
}

#[tokio::test]
async fn calls_run_as_the_principal_and_land_in_the_trail() {
    let h = start("", |_| {}).await;
    let alice = h.client_for("us-east-1", ALICE.0, ALICE.1);
    let key = crate::builders::created(alice.create_key()).await.key_id;
    let bob = sign_in(&h, BOB).await;
    let body = serde_json::json!({"KeyId": key}).to_string();
    let denied = call(&h, &bob, Some(&bob.csrf), "TrentService.DisableKey", &body).await;
    assert_eq!(denied.status, 400);
    assert_eq!(denied.json()["__type"], "AccessDeniedException");
    // AccessDeniedException carries `Message`, as AWS's does.
    let message = denied.json()["Message"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", denied.body))
        .to_owned();
    assert!(
        message.starts_with(
            "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: kms:DisableKey"
        ),
        "{message}"
    );
    assert!(
        alice
            .describe_key()
            .key_id(&key)
            .send()
            .await
            .unwrap()
            .key_metadata
            .unwrap()
            .enabled
    );
    // Bob may not read the trail or the identities either.
    for target in ["TrentConsole.SearchAudit", "TrentAdmin.ListUsers"] {
        let refused = call(&h, &bob, Some(&bob.csrf), target, "{}").await;
        assert_eq!(
            refused.json()["__type"],
            "AccessDeniedException",
            "{target}"
        );
    }
    let s = sign_in(&h, ALICE).await;
    let described = call(&h, &s, Some(&s.csrf), "TrentService.DescribeKey", &body).await;
    assert_eq!(described.json()["KeyMetadata"]["KeyId"], key.as_str());
    let users = call(&h, &s, Some(&s.csrf), "TrentAdmin.ListUsers", "{}").await;
    assert_eq!(
        users.json()["Users"].as_array().unwrap().len(),
        2,
        "{}",
        users.body
    );
    // A malformed request gets the API's own answer.
    let malformed = call(&h, &s, Some(&s.csrf), "TrentService.DescribeKey", "{}").await;
    assert_eq!(malformed.json()["__type"], "ValidationException");

    let search = |filter: serde_json::Value| {
        let s = &s;
        let h = &h;
        async move {
            call(
                h,
                s,
                Some(&s.csrf),
                "TrentConsole.SearchAudit",
                &filter.to_string(),
            )
            .await
            .json()
        }
    };
    let found = search(serde_json::json!({"keyId": key, "eventName": "DisableKey"})).await;
    let events = found["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{found}");
    assert_eq!(
        events[0]["userIdentity"]["arn"],
        "arn:aws:iam::111122223333:user/bob"
    );
    assert_eq!(events[0]["errorCode"], "AccessDeniedException");
    let agent = events[0]["userAgent"].as_str().unwrap();
    assert!(
        agent.starts_with("trent-console/") && agent.ends_with("(TestBrowser/1.0)"),
        "{agent}"
    );
    let logins = search(serde_json::json!({"eventName": "ConsoleLogin"})).await;
    let logins = logins["events"].as_array().unwrap();
    assert_eq!(logins.len(), 2);
    assert_eq!(logins[0]["eventSource"], "signin.amazonaws.com");
    assert_eq!(logins[0]["responseElements"]["ConsoleLogin"], "Success");
    assert_eq!(
        logins[0]["userIdentity"]["arn"],
        "arn:aws:iam::111122223333:user/alice"
    );
    let errors = search(serde_json::json!({"errorsOnly": true, "maxResults": 50})).await;
    assert!(
        errors["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e.get("errorCode").is_some())
    );
    assert!(
        errors["events"].as_array().unwrap().len() >= 4,
        "Bob's three refusals and the malformed call: {errors}"
    );
    let paged = search(serde_json::json!({"maxResults": 1})).await;
    assert_eq!(paged["events"].as_array().unwrap().len(), 1);
    assert!(paged["nextToken"].is_string());
    let verdict = call(&h, &s, Some(&s.csrf), "TrentConsole.VerifyAudit", "{}")
        .await
        .json();
    assert_eq!(verdict["intact"], true, "{verdict}");
    let overview = call(&h, &s, Some(&s.csrf), "TrentConsole.Overview", "{}")
        .await
        .json();
    assert_eq!(overview["minutes"].as_array().unwrap().len(), 60);
    let last = &overview["minutes"][59]["operations"];
    assert!(
        last["DisableKey"]["errors"].as_u64().unwrap() >= 1,
        "{overview}"
    );
    assert_eq!(overview["health"]["auditWriter"], true);
}

#[tokio::test]
async fn an_idle_session_expires_and_sign_out_ends_one() {
    let h = start("[console]\nidle_timeout_secs = 60\n", |_| {}).await;
    let s = sign_in(&h, ALICE).await;
    let session = |s: &Signed| {
        let cookie = s.cookie.clone();
        let h = &h;
        async move { send(h, "GET", "/console/api/session", &[("cookie", &cookie)], "").await }
    };
    assert_eq!(session(&s).await.status, 200);
    h.clock.advance(Duration::from_secs(50));
    assert_eq!(
        call(&h, &s, Some(&s.csrf), "TrentService.ListKeys", "{}")
            .await
            .status,
        200
    );
    // Used 50 s in, so alive at 100 s; idle from then on.
    h.clock.advance(Duration::from_secs(50));
    assert_eq!(session(&s).await.status, 200);
    h.clock.advance(Duration::from_secs(61));
    let expired = call(&h, &s, Some(&s.csrf), "TrentService.ListKeys", "{}").await;
    assert_eq!(expired.status, 401);
    assert_eq!(expired.json()["__type"], "SessionExpired");

    let s = sign_in(&h, ALICE).await;
    let no_token = send(
        &h,
        "POST",
        "/console/api/signout",
        &[("cookie", &s.cookie)],
        "",
    )
    .await;
    assert_eq!(no_token.status, 403, "sign-out needs the CSRF token too");
    let out = send(
        &h,
        "POST",
        "/console/api/signout",
        &[("cookie", &s.cookie), ("x-trent-csrf", &s.csrf)],
        "",
    )
    .await;
    assert_eq!(out.status, 200);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(session(&s).await.status, 401);
    assert_eq!(
        call(&h, &s, Some(&s.csrf), "TrentService.ListKeys", "{}")
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn a_disabled_key_or_console_ends_access() {
    let h = start("", |_| {}).await;
    let s = sign_in(&h, BOB).await;
    // The root deactivates Bob's access key: his session's next call is refused.
    let off = crate::harness::signed_request(
        h.server.local_addr,
        "kms",
        ROOT,
        "TrentAdmin.UpdateAccessKey",
        &serde_json::json!({"AccessKeyId": BOB.0, "Status": "Inactive", "UserName": "bob"})
            .to_string(),
        &["content-type", "host", "x-amz-date", "x-amz-target"],
    );
    let (status, _, body) = raw_to(h.server.local_addr, &off).await;
    assert_eq!(status, 200, "{body}");
    let refused = call(&h, &s, Some(&s.csrf), "TrentService.ListKeys", "{}").await;
    assert_eq!(
        refused.json()["__type"],
        "UnrecognizedClientException",
        "{}",
        refused.body
    );

    let off = start("[console]\nenabled = false\n", |_| {}).await;
    assert_eq!(send(&off, "GET", "/console", &[], "").await.status, 404);
    let json = [("content-type", "application/json")];
    let form = serde_json::json!({"accessKeyId": ALICE.0, "secretAccessKey": ALICE.1});
    assert_eq!(
        send(
            &off,
            "POST",
            "/console/api/signin",
            &json,
            &form.to_string()
        )
        .await
        .status,
        404
    );
}
