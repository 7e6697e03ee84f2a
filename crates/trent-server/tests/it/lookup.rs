//! CloudTrail's `LookupEvents` over the audit trail: only the caller's account, each lookup
//! attribute, paging with `NextToken`, CloudTrail's errors, and memory that stays bounded
//! whatever the trail's size (the server process's own `/proc` figures).

use std::net::SocketAddr;

use aws_sdk_kms::primitives::Blob;
use serde_json::{Value, json};
use trent_core::model::{AuditEntry, UnixMillis};

use crate::builders::created;
use crate::harness::{Harness, lookup_events, memory_kib, raw_to};

const A: (&str, &str) = (
    "AKIAROOTOFACCOUNTA01",
    "root-secret-of-account-a-000000000000",
);
const B: (&str, &str) = (
    "AKIAROOTOFACCOUNTB01",
    "root-secret-of-account-b-000000000000",
);

const CONFIG: &str = r#"
[[accounts]]
id = "111122223333"
regions = ["us-east-1"]
[[accounts.access_keys]]
id = "AKIAROOTOFACCOUNTA01"
secret = "root-secret-of-account-a-000000000000"

[[accounts]]
id = "444455556666"
regions = ["us-east-1"]
[[accounts.access_keys]]
id = "AKIAROOTOFACCOUNTB01"
secret = "root-secret-of-account-b-000000000000"
"#;

/// A LookupEvents call's (status, body as JSON).
async fn lookup(addr: SocketAddr, who: (&str, &str), body: Value) -> (u16, Value) {
    let (status, _, text) = raw_to(addr, &lookup_events(addr, who, &body.to_string())).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The events of every page, following NextToken, and how many pages there were.
async fn all_pages(addr: SocketAddr, who: (&str, &str), mut body: Value) -> (Vec<Value>, usize) {
    let (mut events, mut pages) = (Vec::new(), 0);
    loop {
        let (status, out) = lookup(addr, who, body.clone()).await;
        assert_eq!(status, 200, "{out}");
        pages += 1;
        events.extend(out["Events"].as_array().unwrap().iter().cloned());
        match out.get("NextToken") {
            Some(token) => body["NextToken"] = token.clone(),
            None => return (events, pages),
        }
    }
}

/// A LookupEvents body with one lookup attribute.
fn attribute(key: &str, value: &str) -> Value {
    json!({"LookupAttributes": [{"AttributeKey": key, "AttributeValue": value}]})
}

fn names(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["EventName"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn lookup_events_selects_by_account_attribute_and_time_and_pages() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("trent.toml");
    std::fs::write(&path, CONFIG).unwrap();
    let h = Harness::start_with(|o| o.config = Some(path.clone())).await;
    let addr = h.server.local_addr;
    let a = h.client_for("us-east-1", A.0, A.1);
    let b = h.client_for("us-east-1", B.0, B.1);
    let mut keys = Vec::new();
    for _ in 0..3 {
        let created = a.create_key().send().await.unwrap();
        keys.push(created.key_metadata.unwrap().arn.unwrap());
    }
    for _ in 0..2 {
        a.encrypt()
            .key_id(&keys[0])
            .plaintext(Blob::new("x"))
            .send()
            .await
            .unwrap();
    }
    h.clock.advance(std::time::Duration::from_secs(120));
    let late = b.create_key().send().await.unwrap();
    b.encrypt()
        .key_id(late.key_metadata.unwrap().key_id)
        .plaintext(Blob::new("x"))
        .send()
        .await
        .unwrap();
    a.list_keys().send().await.unwrap();

    // Newest first, the caller's account only, in pages of MaxResults.
    let (events, pages) = all_pages(addr, A, json!({"MaxResults": 2})).await;
    assert_eq!(
        names(&events),
        [
            "ListKeys",
            "Encrypt",
            "Encrypt",
            "CreateKey",
            "CreateKey",
            "CreateKey"
        ]
    );
    assert_eq!(pages, 3);
    for e in &events {
        let inner: Value = serde_json::from_str(e["CloudTrailEvent"].as_str().unwrap()).unwrap();
        assert_eq!(inner["recipientAccountId"], "111122223333");
        assert_eq!(e["Username"], "root");
    }
    // Account B sees its own, and the LookupEvents calls of A are not among them.
    let (theirs, _) = all_pages(addr, B, json!({})).await;
    assert_eq!(names(&theirs), ["Encrypt", "CreateKey"]);

    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            attribute("EventName", "Encrypt"),
            vec!["Encrypt", "Encrypt"],
        ),
        (
            attribute("ResourceName", &keys[0]),
            vec!["Encrypt", "Encrypt", "CreateKey"],
        ),
        (attribute("ResourceName", &keys[1]), vec!["CreateKey"]),
        (
            attribute("ResourceType", "AWS::KMS::Key"),
            vec!["Encrypt", "Encrypt", "CreateKey", "CreateKey", "CreateKey"],
        ),
        // Cryptographic operations are read-only events, as in CloudTrail.
        (
            attribute("ReadOnly", "true"),
            vec!["ListKeys", "Encrypt", "Encrypt"],
        ),
        (
            attribute("ReadOnly", "false"),
            vec!["CreateKey", "CreateKey", "CreateKey"],
        ),
        (attribute("Username", "nobody"), vec![]),
        // A root's Username is derived (`root`), yet found by the text-first scan.
        (
            attribute("Username", "root"),
            vec![
                "ListKeys",
                "Encrypt",
                "Encrypt",
                "CreateKey",
                "CreateKey",
                "CreateKey",
            ],
        ),
        (
            attribute("EventSource", "kms.amazonaws.com"),
            vec![
                "ListKeys",
                "Encrypt",
                "Encrypt",
                "CreateKey",
                "CreateKey",
                "CreateKey",
            ],
        ),
    ];
    for (body, want) in cases {
        let (found, _) = all_pages(addr, A, body.clone()).await;
        let found: Vec<Value> = found
            .into_iter()
            .filter(|e| e["EventName"] != "LookupEvents")
            .collect();
        assert_eq!(names(&found), want, "{body}");
    }
    // By access key id: every call of A (its lookups included), none of B's.
    let (by_key, _) = all_pages(addr, A, attribute("AccessKeyId", A.0)).await;
    assert!(by_key.len() > 6);
    assert!(by_key.iter().all(|e| e["AccessKeyId"] == A.0));
    let (none, _) = all_pages(addr, A, attribute("AccessKeyId", B.0)).await;
    assert!(none.is_empty());
    // An event id finds that event.
    let id = events[1]["EventId"].as_str().unwrap();
    let (one, _) = all_pages(addr, A, attribute("EventId", id)).await;
    assert_eq!(names(&one), ["Encrypt"]);

    // A time range: the events of the first two minutes only, given in epoch seconds.
    let start = trent_core::clock::Clock::now(&h.clock).0 / 1000 - 120;
    let (early, _) = all_pages(
        addr,
        A,
        json!({"StartTime": start - 60, "EndTime": start + 60}),
    )
    .await;
    let early: Vec<Value> = early
        .into_iter()
        .filter(|e| e["EventName"] != "LookupEvents")
        .collect();
    assert_eq!(
        names(&early),
        ["Encrypt", "Encrypt", "CreateKey", "CreateKey", "CreateKey"]
    );

    // CloudTrail's errors.
    for (body, code) in [
        (json!({"MaxResults": 0}), "InvalidMaxResultsException"),
        (json!({"MaxResults": 51}), "InvalidMaxResultsException"),
        (
            json!({"NextToken": "not-a-token"}),
            "InvalidNextTokenException",
        ),
        (json!({"NextToken": "-5"}), "InvalidNextTokenException"),
        (
            json!({"LookupAttributes": [
                {"AttributeKey": "EventName", "AttributeValue": "Encrypt"},
                {"AttributeKey": "Username", "AttributeValue": "root"}]}),
            "InvalidLookupAttributesException",
        ),
    ] {
        let (status, out) = lookup(addr, A, body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            out["message"].as_str().unwrap().starts_with(code),
            "{body}: {out}"
        );
    }
}

/// docs/audit.md's bound on what one LookupEvents call adds to the server's memory:
/// a page of at most 100 events (each under 110 KiB) and its parsed form, well under 32 MiB.
const LOOKUP_BOUND_KIB: u64 = 32 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookups_over_a_large_trail_stay_within_a_memory_bound() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let trent = crate::binary::Trent::start(&data, &[]);
    let url = trent.var("AWS_ENDPOINT_URL_KMS");
    let addr: SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let who = (
        trent.var("AWS_ACCESS_KEY_ID"),
        trent.var("AWS_SECRET_ACCESS_KEY"),
    );
    let who = (who.0.as_str(), who.1.as_str());
    let kms = trent.client();
    let key = created(kms.create_key()).await;
    let account = key.aws_account_id.unwrap();

    // 60,000 events of about 2.5 KB each (150 MB of trail), appended beside the running
    // server as its own writer would: the matching ones lie at the bottom.
    let store = trent_store::SqliteStore::open(&data.join("trent.db")).unwrap();
    let store: &dyn trent_core::store::Store = &store;
    let padding = "p".repeat(2400);
    for batch in 0..12 {
        let entries: Vec<AuditEntry> = (0..5000)
            .map(|i| {
                let name = if batch == 0 && i == 0 {
                    "Decrypt"
                } else {
                    "Encrypt"
                };
                let event = json!({
                    "eventVersion": "1.08",
                    "userIdentity": {"type": "Root", "accountId": account, "accessKeyId": who.0},
                    "eventSource": "kms.amazonaws.com",
                    "eventName": name,
                    "requestParameters": {"keyId": key.arn, "padding": padding},
                    "eventID": format!("{batch}-{i}"),
                    "readOnly": false,
                    "resources": [{"type": "AWS::KMS::Key", "ARN": key.arn}],
                    "recipientAccountId": account,
                });
                trent_server::audit::event::entry_of_value(&event)
            })
            .collect();
        store
            .append_audit(UnixMillis(1), entries, trent_server::audit::chain_hash)
            .await
            .unwrap();
    }
    let size = std::fs::metadata(data.join("trent.db")).unwrap().len()
        + std::fs::metadata(data.join("trent.db-wal")).map_or(0, |m| m.len());
    assert!(size > 140_000_000, "the trail is only {size} bytes");

    let (before, _) = memory_kib(trent.pid());
    let calls = [
        (json!({"MaxResults": 1}), 1),
        (json!({"MaxResults": 50}), 50),
        // The one Decrypt, 60,000 events down: found through the index.
        (attribute("EventName", "Decrypt"), 1),
        (attribute("ResourceName", key.arn.as_deref().unwrap()), 50),
        // Nothing matches an attribute with no index: the call reads its budget and
        // answers an empty page with a NextToken, as CloudTrail may.
        (attribute("Username", "nobody"), 0),
    ];
    for (body, want) in calls {
        let (status, _, text) = raw_to(addr, &lookup_events(addr, who, &body.to_string())).await;
        assert_eq!(status, 200, "{text}");
        let out: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(out["Events"].as_array().unwrap().len(), want, "{body}");
    }
    let (after, peak) = memory_kib(trent.pid());
    eprintln!(
        "lookups over a {} MB trail: server resident {before} -> {after} KiB, peak {peak} KiB",
        size / 1_000_000
    );
    assert!(
        peak.saturating_sub(before) < LOOKUP_BOUND_KIB,
        "lookups over a {size}-byte trail took the server from {before} to a peak of {peak} KiB"
    );
    // The trail the lookups read is still one sound chain.
    let (status, log) = trent.stop();
    assert!(status.success(), "{log}");
    // `trent audit search` selects the same way, oldest first, and stops at --limit.
    let search = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_trent"))
            .args(["audit", "search", "--data-dir"])
            .arg(&data)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["eventName"].clone())
            .collect::<Vec<Value>>()
    };
    assert_eq!(search(&["--event-name", "Decrypt"]), [json!("Decrypt")]);
    assert_eq!(
        search(&["--key", key.key_id.as_str(), "--limit", "3"]),
        [json!("CreateKey"), json!("Decrypt"), json!("Encrypt")]
    );
    assert_eq!(search(&["--limit", "2"]).len(), 2);
    assert!(search(&["--principal", "arn:aws:iam::000000000000:user/nobody"]).is_empty());
    assert!(matches!(
        trent_server::audit::verify(store).await.unwrap(),
        trent_server::audit::Verdict::Intact { .. }
    ));
}

#[tokio::test]
async fn lookup_events_gives_event_times_in_epoch_seconds() {
    let h = Harness::start().await;
    let addr = h.server.local_addr;
    let key = h.key().await;
    h.encrypt(&key, "timed").await;
    let who = (h.access_key_id.as_str(), h.secret.as_str());
    let (events, _) = all_pages(addr, who, json!({})).await;
    assert!(names(&events).contains(&"Encrypt"), "{events:?}");
    let now = crate::harness::now_unix();
    for e in &events {
        // A JSON number of seconds, as every AWS JSON timestamp: not milliseconds, not text.
        let time = e["EventTime"]
            .as_i64()
            .unwrap_or_else(|| panic!("EventTime is not an integer: {e}"));
        assert!(time > 1_700_000_000 && time < 10_000_000_000, "{e}");
        assert!((time - now).abs() < 600, "{time} is not near {now}: {e}");
    }
}

/// `unix` as the wall-clock digits of RFC 3339 (`2026-11-23T10:00:00`), without an offset.
fn wall_clock(unix: i64) -> String {
    let d = trent_api::sigv4::format_amz_date(unix);
    format!(
        "{}-{}-{}T{}:{}:{}",
        &d[0..4],
        &d[4..6],
        &d[6..8],
        &d[9..11],
        &d[11..13],
        &d[13..15]
    )
}

/// The event names `trent audit search --since <since> --until <until>` prints.
fn search_window(data: &std::path::Path, since: &str, until: &str) -> Vec<String> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["audit", "search", "--data-dir"])
        .arg(data)
        .args(["--since", since, "--until", until])
        .output()
        .unwrap();
    assert!(out.status.success(), "{since} .. {until}: {out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["eventName"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn audit_search_reads_since_and_until_as_rfc_3339_or_epoch_seconds() {
    let h = Harness::start().await;
    let key = h.key().await;
    h.encrypt(&key, "in the window").await;
    let now = crate::harness::now_unix();
    let Harness { server, dir, .. } = h;
    server.shutdown().await.unwrap();
    let data = dir.path().join("data");
    let (before, after) = (now - 300, now + 300);
    let inside = [
        // RFC 3339 in UTC.
        (
            format!("{}Z", wall_clock(before)),
            format!("{}Z", wall_clock(after)),
        ),
        // The same instants at +02:00: the wall clock two hours ahead.
        (
            format!("{}+02:00", wall_clock(before + 7200)),
            format!("{}+02:00", wall_clock(after + 7200)),
        ),
        // Epoch seconds.
        (before.to_string(), after.to_string()),
        // Forms mixed.
        (
            format!("{}Z", wall_clock(before)),
            format!("{}+02:00", wall_clock(after + 7200)),
        ),
    ];
    for (since, until) in &inside {
        let found = search_window(&data, since, until);
        for name in ["CreateKey", "Encrypt"] {
            assert!(
                found.iter().any(|n| n == name),
                "{since} .. {until}: {found:?}"
            );
        }
    }
    let outside = [
        // Entirely in the past, in each form.
        (
            "2000-01-01T00:00:00Z".to_owned(),
            "2001-01-01T00:00:00Z".to_owned(),
        ),
        (
            "2000-01-01T02:00:00+02:00".to_owned(),
            "2001-01-01T02:00:00+02:00".to_owned(),
        ),
        ("946684800".to_owned(), "978307200".to_owned()),
        // The UTC wall clock read at +02:00 is two hours earlier: the offset counts.
        (
            format!("{}+02:00", wall_clock(before)),
            format!("{}+02:00", wall_clock(after)),
        ),
        // Entirely in the future.
        ((now + 3600).to_string(), (now + 7200).to_string()),
    ];
    for (since, until) in &outside {
        let found = search_window(&data, since, until);
        assert!(found.is_empty(), "{since} .. {until}: {found:?}");
    }
    // --until alone, in the past, prints nothing either.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trent"))
        .args(["audit", "search", "--data-dir"])
        .arg(&data)
        .args(["--until", "2001-01-01T00:00:00Z"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
}
