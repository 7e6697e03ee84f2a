//! The audit trail end to end: exactly one CloudTrail-format event per call (allowed, denied,
//! failed, STS), redacted, durable before the response; `trent audit verify` finding every
//! kind of tampering (modify, delete, insert, reorder, truncate) and saying where.

use aws_sdk_kms::primitives::Blob;
use serde_json::Value;
use trent_server::audit::{Filter, Verdict, search, verify};

use crate::harness::{Harness, error_of};

async fn events(h: &Harness) -> Vec<Value> {
    search(
        h.server.kms.store().as_ref(),
        &Filter::default(),
        usize::MAX,
    )
    .await
    .unwrap()
    .into_iter()
    .map(|(_, e)| e)
    .collect()
}

#[tokio::test]
async fn every_call_leaves_exactly_its_event() {
    let h = Harness::start().await;
    let kms = h.client();
    let key = h.key().await;
    let secret = "the plaintext nobody may log";
    let blob = kms
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new(secret))
        .encryption_context("purpose", "audit")
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let data_key = kms
        .generate_data_key()
        .key_id(&key)
        .number_of_bytes(32)
        .send()
        .await
        .unwrap();
    let (code, _) = error_of(
        kms.decrypt()
            .ciphertext_blob(Blob::new(vec![1u8; 150]))
            .send()
            .await,
    );
    assert_eq!(code, "InvalidCiphertextException");
    kms.decrypt()
        .ciphertext_blob(blob)
        .encryption_context("purpose", "audit")
        .send()
        .await
        .unwrap();
    let bad = h.client_for("us-east-1", "AKIANOBODY0000000000", "wrong");
    let _ = bad.list_keys().send().await;

    let all = events(&h).await;
    let names: Vec<&str> = all
        .iter()
        .map(|e| e["eventName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "CreateKey",
            "Encrypt",
            "GenerateDataKey",
            "Decrypt",
            "Decrypt",
            "ListKeys"
        ]
    );
    let encrypt = &all[1];
    assert_eq!(encrypt["eventSource"], "kms.amazonaws.com");
    assert_eq!(encrypt["eventType"], "AwsApiCall");
    assert_eq!(encrypt["readOnly"], true);
    assert_eq!(encrypt["awsRegion"], "us-east-1");
    assert_eq!(encrypt["userIdentity"]["type"], "Root");
    assert_eq!(encrypt["requestParameters"]["keyId"], key.as_str());
    assert_eq!(
        encrypt["requestParameters"]["encryptionContext"]["purpose"],
        "audit"
    );
    assert!(encrypt["responseElements"].is_null());
    assert_eq!(encrypt["resources"][0]["type"], "AWS::KMS::Key");
    assert!(
        encrypt["additionalEventData"]["authorization"][0]["decision"]
            .as_str()
            .unwrap()
            .contains("Enable IAM User Permissions")
    );
    assert!(encrypt["eventID"].as_str().unwrap().len() == 36);
    // CreateKey's response is recorded (redacted), its key included.
    assert!(all[0]["responseElements"]["keyMetadata"]["keyId"].is_string());
    // Failures carry their error; an unknown caller is recorded too.
    assert_eq!(all[3]["errorCode"], "InvalidCiphertextException");
    assert_eq!(all[5]["errorCode"], "UnrecognizedClientException");
    assert_eq!(
        all[5]["userIdentity"]["accessKeyId"],
        "AKIANOBODY0000000000"
    );
    // No plaintext, data key or ciphertext anywhere in the trail.
    let text: String = all.iter().map(Value::to_string).collect();
    assert!(!text.contains(secret));
    let dk = base64_of(data_key.plaintext.unwrap().as_ref());
    assert!(!text.contains(&dk));
    // Nor in the database file.
    drop(kms);
    assert!(!crate::harness::file_contains(
        &h.data_dir().join("trent.db"),
        secret.as_bytes()
    ));
    assert!(matches!(
        verify(h.server.kms.store().as_ref()).await.unwrap(),
        Verdict::Intact { events: 6, .. }
    ));
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Makes a trail of `n` calls, seals a digest, and returns the server's data directory.
async fn trail(n: usize) -> Harness {
    let h = Harness::start().await;
    let kms = h.client();
    for _ in 0..n {
        kms.list_keys().send().await.unwrap();
    }
    h.server.audit.seal().await.unwrap();
    h
}

fn sql(h: &Harness, statement: &str) {
    let conn = rusqlite::Connection::open(h.data_dir().join("trent.db")).unwrap();
    conn.execute_batch(statement).unwrap();
}

async fn verdict(h: &Harness) -> Verdict {
    verify(h.server.kms.store().as_ref()).await.unwrap()
}

#[tokio::test]
async fn verify_finds_every_kind_of_tampering() {
    // Intact.
    let h = trail(5).await;
    // One digest from the explicit seal (the maintenance round may have signed one too).
    assert!(matches!(
        verdict(&h).await,
        Verdict::Intact { events: 5, digests } if digests >= 1
    ));

    // Modified: an event's text changed.
    let h = trail(5).await;
    sql(
        &h,
        "UPDATE audit_events SET event = replace(event, 'ListKeys', 'ListAliases') WHERE seq = 3",
    );
    assert!(matches!(verdict(&h).await, Verdict::Broken { at: 3, .. }));

    // Deleted: a record removed from the middle.
    let h = trail(5).await;
    sql(&h, "DELETE FROM audit_events WHERE seq = 2");
    assert!(matches!(verdict(&h).await, Verdict::Broken { at: 2, .. }));

    // Inserted: a forged record, renumbering those after it.
    let h = trail(5).await;
    sql(
        &h,
        "UPDATE audit_events SET seq = seq + 100 WHERE seq >= 3;
         UPDATE audit_events SET seq = seq - 99 WHERE seq >= 103;
         INSERT INTO audit_events (seq, time, event, hash) VALUES (3, 0, '{\"forged\":true}', X'00');",
    );
    assert!(matches!(verdict(&h).await, Verdict::Broken { at: 3, .. }));

    // Reordered: two records swapped.
    let h = trail(5).await;
    sql(
        &h,
        "UPDATE audit_events SET seq = -1 WHERE seq = 2;
         UPDATE audit_events SET seq = 2 WHERE seq = 4;
         UPDATE audit_events SET seq = 4 WHERE seq = -1;",
    );
    assert!(matches!(verdict(&h).await, Verdict::Broken { at: 2, .. }));

    // Truncated: the last records removed, which only the signed digest can show.
    let h = trail(5).await;
    sql(&h, "DELETE FROM audit_events WHERE seq >= 4");
    match verdict(&h).await {
        Verdict::Broken { at, problem } => {
            assert_eq!(at, 4);
            assert!(problem.contains("removed"), "{problem}");
        }
        other => panic!("{other:?}"),
    }

    // A forged digest does not verify.
    let h = trail(3).await;
    sql(&h, "UPDATE audit_digests SET signature = zeroblob(64)");
    assert!(matches!(verdict(&h).await, Verdict::Broken { .. }));
}

#[tokio::test]
async fn the_audit_public_key_is_published() {
    let h = Harness::start().await;
    let (status, _, body) = h
        .raw(
            format!(
                "GET /audit/public-key HTTP/1.1\r\nhost: {}\r\nconnection: close\r\n\r\n",
                h.server.local_addr
            )
            .as_bytes(),
        )
        .await;
    assert_eq!(status, 200);
    assert!(body.contains("BEGIN PUBLIC KEY"), "{body}");
}

/// SECURITY.md's bound on one failed-authentication event, serialized.
const FAILED_EVENT_BOUND: usize = 4 * 1024;

/// `trent_connections_refused`, read from another address than the flood's.
async fn refused_connections(h: &Harness) -> usize {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.3:0".parse().unwrap()).unwrap();
    let mut stream = socket.connect(h.server.local_addr).await.unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).await.unwrap();
    out.lines()
        .find_map(|l| {
            l.strip_prefix("trent_connections_refused_total ")
                .or_else(|| l.strip_prefix("trent_connections_refused "))
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no refusal count in {out}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_floods_leave_bounded_events_and_are_throttled() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let h = Harness::start().await;
    let files = |h: &Harness| -> u64 {
        ["trent.db", "trent.db-wal"]
            .iter()
            .filter_map(|f| std::fs::metadata(h.data_dir().join(f)).ok())
            .map(|m| m.len())
            .sum()
    };
    let before_files = files(&h);
    let before = events(&h).await.len();
    // 1,000 requests with 60 KB of headers (a bogus signature, a huge user agent and
    // target) and 20 KB bodies, one connection each, from one address.
    let header = format!(
        "AWS4-HMAC-SHA256 Credential={}/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature={}",
        "A".repeat(10_000),
        "0".repeat(20_000)
    );
    let body = format!("{{\"KeyId\":\"{}\"}}", "k".repeat(20_000));
    let request = format!(
        "POST / HTTP/1.1\r\nhost: localhost\r\nx-amz-target: TrentService.{}\r\n\
         content-type: application/x-amz-json-1.1\r\nuser-agent: {}\r\nauthorization: {header}\r\n\
         x-amz-date: 20260101T000000Z\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        "X".repeat(2_000),
        "u".repeat(28_000),
        body.len()
    );
    let refused_before = refused_connections(&h).await;
    // Twenty keep-alive connections opened before the flood, used after it.
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(
            tokio::net::TcpStream::connect(h.server.local_addr)
                .await
                .unwrap(),
        );
    }
    let mut codes = std::collections::BTreeMap::<String, usize>::new();
    for _ in 0..1000 {
        let mut stream = tokio::net::TcpStream::connect(h.server.local_addr)
            .await
            .unwrap();
        // Turned away at accept, the connection may be closed before all of it is written.
        let _ = stream.write_all(request.as_bytes()).await;
        let mut out = Vec::new();
        let _ = stream.read_to_end(&mut out).await;
        let text = String::from_utf8_lossy(&out);
        let kind = text
            .split_once("\r\n\r\n")
            .and_then(|(_, body)| serde_json::from_str::<Value>(body).ok())
            .and_then(|error| error["__type"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "reset".to_owned());
        *codes.entry(kind).or_default() += 1;
    }
    // The first hundred (and one more for each tenth of a second the flood takes) fail
    // authentication; the next is throttled before being verified, and the connections
    // after it are turned away at accept, before a byte of them is read.
    let failed = codes
        .get("IncompleteSignatureException")
        .copied()
        .unwrap_or(0);
    let throttled = codes.get("ThrottlingException").copied().unwrap_or(0);
    let reset = codes.get("reset").copied().unwrap_or(0);
    assert!(failed >= 100 && throttled >= 500, "{codes:?}");
    assert_eq!(failed + throttled + reset, 1000, "{codes:?}");
    let refused = refused_connections(&h).await - refused_before;
    assert!(refused >= 400, "{refused} refused at accept; {codes:?}");
    // Calls on connections admitted before the address was throttled are read, refused and
    // counted into the address's summary (but for the odd one the bucket refilled for, which
    // fails authentication and gets its own event).
    let (mut held_throttled, mut held_failed) = (0, 0);
    for mut stream in held {
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        let _ = stream.read_to_end(&mut out).await;
        let text = String::from_utf8_lossy(&out);
        if text.contains("ThrottlingException") {
            held_throttled += 1;
        } else {
            assert!(text.contains("IncompleteSignatureException"), "{text}");
            held_failed += 1;
        }
    }
    assert!(held_throttled >= 10, "{held_throttled} of 20 throttled");
    // Every one is on the record, none large, none with its body: each failure in its own
    // event, the throttled ones counted into one summary per second of the flood.
    h.server.audit.seal().await.unwrap();
    let all = events(&h).await;
    let flood = &all[before..];
    let summaries: Vec<&Value> = flood
        .iter()
        .filter(|e| !e["additionalEventData"]["summarizedRequests"].is_null())
        .collect();
    let summarized: u64 = summaries
        .iter()
        .map(|e| {
            e["additionalEventData"]["summarizedRequests"]
                .as_u64()
                .unwrap()
        })
        .sum();
    assert_eq!(
        flood.len() - summaries.len(),
        failed + held_failed,
        "{codes:?}"
    );
    // Every call that was read is on the record: the throttled ones in the summaries, the
    // connections turned away before a request was read in the refusal count.
    assert_eq!(
        usize::try_from(summarized).unwrap() + refused,
        throttled + reset + held_throttled,
        "{codes:?}"
    );
    assert!(!summaries.is_empty(), "{codes:?}");
    for event in summaries {
        assert_eq!(event["errorCode"], "ThrottlingException");
        assert_eq!(event["sourceIPAddress"], "127.0.0.1");
        assert!(event["additionalEventData"]["lastEventTime"].is_string());
    }
    for event in flood {
        let size = event.to_string().len();
        assert!(size <= FAILED_EVENT_BOUND, "{size} bytes: {event}");
        assert!(event["requestParameters"].is_null());
    }
    let grown = files(&h).saturating_sub(before_files);
    eprintln!("1,000 unauthenticated requests grew the store by {grown} bytes");
    assert!(grown < 8 * 1024 * 1024, "{grown} bytes");

    // A signed client from another address is served meanwhile.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
    let mut stream = socket.connect(h.server.local_addr).await.unwrap();
    stream
        .write_all(&h.request("TrentService.ListKeys", "{}", true))
        .await
        .unwrap();
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out).await;
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200"));
}
