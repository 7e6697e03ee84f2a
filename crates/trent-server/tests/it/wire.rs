//! The wire protocol and authentication, byte by byte: statuses, `__type`s, request ids,
//! SigV4 failures, body limits, `--dev` and the config file.

use aws_sdk_kms::primitives::Blob;

use crate::builders::{assert_denied, created};
use crate::harness::{Harness, error_of, raw_to, signed_request};

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or(serde_json::Value::Null)
}

#[tokio::test]
async fn every_response_has_a_request_id_and_the_json_content_type() {
    let h = Harness::start().await;
    for signed in [true, false] {
        let (_, head, _) = h
            .raw(&h.request("TrentService.ListKeys", "{}", signed))
            .await;
        let head = head.to_ascii_lowercase();
        assert!(head.contains("x-amzn-requestid: "), "{head}");
        assert!(
            head.contains("content-type: application/x-amz-json-1.1"),
            "{head}"
        );
    }
}

#[tokio::test]
async fn unsigned_requests_are_refused() {
    let h = Harness::start().await;
    let (status, _, body) = h
        .raw(&h.request("TrentService.ListKeys", "{}", false))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        json(&body),
        serde_json::json!({"__type": "MissingAuthenticationTokenException", "message": "Missing Authentication Token"})
    );
}

#[tokio::test]
async fn protocol_errors() {
    let h = Harness::start().await;
    let (status, _, body) = h
        .raw(&h.request("TrentService.Frobnicate", "{}", true))
        .await;
    assert_eq!(
        (status, json(&body)["__type"].as_str()),
        (400, Some("UnknownOperationException"))
    );
    let (status, _, body) = h.raw(&h.request("OtherService.ListKeys", "{}", true)).await;
    assert_eq!(
        (status, json(&body)["__type"].as_str()),
        (400, Some("UnknownOperationException"))
    );
    let (status, _, body) = h
        .raw(&h.request("TrentService.ListKeys", "{not json", true))
        .await;
    assert_eq!(
        (status, json(&body)["__type"].as_str()),
        (400, Some("SerializationException"))
    );
    let (status, _, body) = h
        .raw(&h.request("TrentService.ListKeys", "[1,2]", true))
        .await;
    assert_eq!(
        (status, json(&body)["__type"].as_str()),
        (400, Some("SerializationException"))
    );
    let (status, _, body) = h
        .raw(&h.request(
            "TrentService.Encrypt",
            r#"{"KeyId": 5, "Plaintext": "AA=="}"#,
            true,
        ))
        .await;
    assert_eq!(
        (status, json(&body)["__type"].as_str()),
        (400, Some("SerializationException"))
    );
    // Other methods and paths name no operation.
    let get = format!(
        "GET / HTTP/1.1\r\nhost: {}\r\nconnection: close\r\n\r\n",
        h.server.local_addr
    );
    let (status, head, body) = h.raw(get.as_bytes()).await;
    assert_eq!(
        (status, json(&body)["__type"].as_str()),
        (400, Some("UnknownOperationException"))
    );
    assert!(head.to_ascii_lowercase().contains("x-amzn-requestid"));
    let other = format!(
        "POST /elsewhere HTTP/1.1\r\nhost: {}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        h.server.local_addr
    );
    let (status, head, body) = h.raw(other.as_bytes()).await;
    assert_eq!(
        (status, json(&body)["__type"].as_str()),
        (404, Some("UnknownOperationException"))
    );
    assert!(head.to_ascii_lowercase().contains("x-amzn-requestid"));
    // An empty body counts as `{}`.
    let (status, _, _) = h.raw(&h.request("TrentService.ListKeys", "", true)).await;
    assert_eq!(status, 200);
    let (status, _, body) = h
        .raw(&h.request("TrentService.DescribeKey", "{}", true))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        json(&body),
        serde_json::json!({
            "__type": "ValidationException",
            "message": "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"
        })
    );
}

#[tokio::test]
async fn every_operation_is_served_and_what_trent_lacks_is_refused_by_name() {
    let h = Harness::start().await;
    // The custom key store operations are served: an unknown store is not found.
    let (status, _, body) = h
        .raw(&h.request(
            "TrentService.ConnectCustomKeyStore",
            r#"{"CustomKeyStoreId":"cks-1234567890abcdef0"}"#,
            true,
        ))
        .await;
    assert_eq!(status, 400);
    let body = json(&body);
    assert_eq!(body["__type"], "CustomKeyStoreNotFoundException");
    assert_eq!(
        body["message"],
        "Custom key store 'cks-1234567890abcdef0' does not exist"
    );
    // An external key store needs its proxy's members, and the refusal names them.
    let (_, _, body) = h
        .raw(&h.request(
            "TrentService.CreateCustomKeyStore",
            r#"{"CustomKeyStoreName":"x","CustomKeyStoreType":"EXTERNAL_KEY_STORE"}"#,
            true,
        ))
        .await;
    let body = json(&body);
    assert_eq!(body["__type"], "ValidationException");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("XksProxyUriEndpoint, XksProxyUriPath"),
        "{body}"
    );
    // Still validated first, as AWS would.
    let (_, _, body) = h
        .raw(&h.request("TrentService.ReplicateKey", "{}", true))
        .await;
    assert_eq!(json(&body)["__type"], "ValidationException");
    // Attested (Nitro Enclaves) results are refused rather than answered in the clear.
    let (_, _, body) = h
        .raw(&h.request(
            "TrentService.GenerateRandom",
            r#"{"NumberOfBytes":8,"Recipient":{"KeyEncryptionAlgorithm":"RSAES_OAEP_SHA_256","AttestationDocument":"AAAA"}}"#,
            true,
        ))
        .await;
    let body = json(&body);
    assert_eq!(body["__type"], "UnsupportedOperationException");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Recipient")
    );
    // And through the SDK: no stores yet.
    let stores = h
        .client()
        .describe_custom_key_stores()
        .send()
        .await
        .unwrap();
    assert!(stores.custom_key_stores().is_empty());
    assert!(!stores.truncated());
}

#[tokio::test]
async fn oversized_bodies_are_refused_before_reading() {
    let h = Harness::start().await;
    // Declares 10 MB but sends only the head: the server must answer without waiting for it.
    let head = format!(
        "POST / HTTP/1.1\r\nhost: {}\r\nx-amz-target: TrentService.Encrypt\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: 10000000\r\nconnection: close\r\n\r\n",
        h.server.local_addr
    );
    let (status, _, body) =
        tokio::time::timeout(std::time::Duration::from_secs(10), h.raw(head.as_bytes()))
            .await
            .expect("answered without the body");
    assert_eq!(status, 413);
    assert_eq!(json(&body)["__type"], "RequestEntityTooLargeException");
}

#[tokio::test]
async fn signature_failures() {
    let h = Harness::start().await;
    let wrong_secret = h.client_for("us-east-1", &h.access_key_id, "wrong-secret-wrong-secret");
    let (code, message) = error_of(wrong_secret.list_keys().send().await);
    assert_eq!(code, "InvalidSignatureException");
    assert!(
        message.starts_with("The request signature we calculated does not match"),
        "{message}"
    );
    let unknown = h.client_for(
        "us-east-1",
        "AKIAUNKNOWNUNKNOWN00",
        "whatever-secret-whatever",
    );
    assert_eq!(
        error_of(unknown.list_keys().send().await),
        (
            "UnrecognizedClientException".to_owned(),
            "The security token included in the request is invalid.".to_owned()
        )
    );
    let (code, message) = error_of(h.client_in("xx-nowhere-1").list_keys().send().await);
    assert_eq!(code, "InvalidSignatureException");
    assert!(message.contains("valid region"), "{message}");

    // A request signed 20 minutes ago.
    let host = h.server.local_addr.to_string();
    let date = trent_api::sigv4::format_amz_date(crate::harness::now_unix() - 20 * 60);
    let mut headers = vec![
        (
            "content-type".to_owned(),
            "application/x-amz-json-1.1".to_owned(),
        ),
        ("host".to_owned(), host),
        ("x-amz-date".to_owned(), date),
        (
            "x-amz-target".to_owned(),
            "TrentService.ListKeys".to_owned(),
        ),
    ];
    let req = trent_api::sigv4::Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: b"{}",
        body_sha256: None,
    };
    let auth = trent_api::sigv4::sign(&req, &h.access_key_id, &h.secret, "us-east-1", "kms");
    headers.push(("authorization".to_owned(), auth));
    let mut raw = String::from("POST / HTTP/1.1\r\n");
    for (n, v) in &headers {
        raw.push_str(&format!("{n}: {v}\r\n"));
    }
    raw.push_str("content-length: 2\r\nconnection: close\r\n\r\n{}");
    let (status, _, body) = h.raw(raw.as_bytes()).await;
    let body = json(&body);
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "InvalidSignatureException");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Signature expired"),
        "{body}"
    );

    // A malformed Authorization header.
    let bad = String::from_utf8(h.request("TrentService.ListKeys", "{}", false)).unwrap().replacen(
        "x-amz-target",
        "authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kms/aws4_request\r\nx-amz-target",
        1,
    );
    let (_, _, body) = h.raw(bad.as_bytes()).await;
    assert_eq!(json(&body)["__type"], "IncompleteSignatureException");
}

#[tokio::test]
async fn dev_mode_accepts_any_signature() {
    let h = Harness::start_with(|o| o.dev = true).await;
    let anyone = h.client_for("eu-west-1", "AKIAANYTHINGATALL000", "any-secret-any-secret");
    let made = created(anyone.create_key()).await;
    assert!(
        made.arn
            .unwrap()
            .starts_with("arn:aws:kms:eu-west-1:111122223333:key/")
    );
    let (status, _, _) = h
        .raw(&h.request("TrentService.ListKeys", "{}", false))
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn config_file_declares_accounts_regions_and_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("trent.toml");
    std::fs::write(
        &config,
        r#"
[[accounts]]
id = "444455556666"
regions = ["eu-central-1"]

[[accounts.users]]
name = "ci"
tags = { team = "build" }
policies = { use-kms = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}' }

[[accounts.access_keys]]
id = "AKIAPINNEDFORTESTS01"
secret = "pinned-secret-for-test-rigs-0000000000"
user = "ci"

[[accounts]]
id = "777788889999"

[[accounts.access_keys]]
id = "AKIAOTHERACCOUNT0001"
secret = "another-secret-for-test-rigs-000000000"
"#,
    )
    .unwrap();
    let h = Harness::start_with(|o| o.config = Some(config.clone())).await;
    assert!(
        h.server.default_identity.is_none(),
        "no default account when a config is given"
    );
    let ci = h.client_for(
        "eu-central-1",
        "AKIAPINNEDFORTESTS01",
        "pinned-secret-for-test-rigs-0000000000",
    );
    let key = created(ci.create_key()).await;
    assert_eq!(key.aws_account_id.as_deref(), Some("444455556666"));
    // A region the account does not have.
    let (code, _) = error_of(
        h.client_for(
            "us-east-1",
            "AKIAPINNEDFORTESTS01",
            "pinned-secret-for-test-rigs-0000000000",
        )
        .list_keys()
        .send()
        .await,
    );
    assert_eq!(code, "InvalidSignatureException");
    // Another account sees nothing of the first, and may not use its key even by ARN.
    let other = h.client_for(
        "eu-central-1",
        "AKIAOTHERACCOUNT0001",
        "another-secret-for-test-rigs-000000000",
    );
    assert!(other.list_keys().send().await.unwrap().keys().is_empty());
    let r = other
        .encrypt()
        .key_id(key.arn.unwrap())
        .plaintext(Blob::new("x"))
        .send()
        .await;
    assert_denied(r);
}

/// TLS: a self-signed certificate made in the data directory, trusted by the SDK as its CA;
/// the SDK's calls arrive over TLS (`aws:SecureTransport` is true), plain HTTP is not served.
#[tokio::test]
async fn tls_with_the_sdk_trusting_a_test_ca() {
    let h =
        Harness::start_with(|o| o.tls = Some(trent_server::http::tls::TlsSource::SelfSigned)).await;
    assert!(h.server.endpoint().starts_with("https://localhost:"));
    let http = h.trusting_http_client();
    let config = aws_sdk_kms::Config::builder()
        .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
        .region(aws_sdk_kms::config::Region::new("us-east-1"))
        .endpoint_url(h.server.endpoint())
        .http_client(http)
        .credentials_provider(aws_sdk_kms::config::Credentials::new(
            &h.access_key_id,
            &h.secret,
            None,
            None,
            "test",
        ))
        .build();
    let kms = aws_sdk_kms::Client::from_conf(config);
    // Only over TLS may this key be used.
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*",
         "Condition": {"Bool": {"aws:SecureTransport": "true"}}}
    ]});
    let key = created(
        kms.create_key()
            .policy(policy.to_string())
            .bypass_policy_lockout_safety_check(true),
    )
    .await
    .key_id;
    let blob = kms
        .encrypt()
        .key_id(&key)
        .plaintext(aws_sdk_kms::primitives::Blob::new("over tls"))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let back = kms.decrypt().ciphertext_blob(blob).send().await.unwrap();
    assert_eq!(back.plaintext.unwrap().as_ref(), b"over tls");
    // A client that does not trust the certificate cannot connect.
    let untrusting = h.client_for("us-east-1", &h.access_key_id, &h.secret);
    assert!(untrusting.list_keys().send().await.is_err());
}

#[tokio::test]
async fn a_signature_over_host_and_date_alone_is_accepted_as_at_aws() {
    let h = Harness::start().await;
    let key = h.key().await;
    let body = format!(r#"{{"KeyId":"{key}","Plaintext":"aGVsbG8="}}"#);
    // aws-requests-auth (PyPI) signs host;x-amz-date only; AWS KMS accepts that.
    let (status, _, out) = h
        .raw(&h.request_signing("TrentService.Encrypt", &body, &["host", "x-amz-date"]))
        .await;
    assert_eq!(status, 200, "{out}");
    assert!(json(&out)["CiphertextBlob"].is_string(), "{out}");
    // The body is still bound by its hash: a changed body is refused.
    let mut request = h.request_signing("TrentService.Encrypt", &body, &["host", "x-amz-date"]);
    let at = request.len() - 3;
    request[at] ^= 1;
    let (status, _, out) = h.raw(&request).await;
    assert_eq!(
        (status, json(&out)["__type"].as_str()),
        (400, Some("InvalidSignatureException"))
    );
    // Host and the date still must be signed. An unsigned host gets AWS's answer exactly:
    // InvalidSignatureException, the sentence alone (no `Authorization=<header>` after it).
    let (status, _, out) = h
        .raw(&h.request_signing("TrentService.ListKeys", "{}", &["x-amz-date"]))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        json(&out),
        serde_json::json!({
            "__type": "InvalidSignatureException",
            "message": "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
        }),
        "{out}"
    );
    let (_, _, out) = h
        .raw(&h.request_signing("TrentService.ListKeys", "{}", &["host"]))
        .await;
    assert_eq!(
        json(&out)["__type"].as_str(),
        Some("IncompleteSignatureException"),
        "{out}"
    );
}

#[tokio::test]
async fn require_signed_target_refuses_an_unsigned_target() {
    let h = Harness::start_with(|o| o.require_signed_target = true).await;
    let (status, _, out) = h
        .raw(&h.request_signing("TrentService.ListKeys", "{}", &["host", "x-amz-date"]))
        .await;
    assert_eq!(status, 400);
    let out = json(&out);
    assert_eq!(out["__type"].as_str(), Some("IncompleteSignatureException"));
    assert!(
        out["message"]
            .as_str()
            .unwrap()
            .starts_with("'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization."),
        "{out}"
    );
    // Signed over everything, the same request goes through.
    let (status, _, _) = h.raw(&h.request("TrentService.ListKeys", "{}", true)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn require_signed_target_in_the_config_file_refuses_an_unsigned_target() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("trent.toml");
    std::fs::write(
        &config,
        r#"
[[accounts]]
id = "111122223333"
regions = ["us-east-1"]
[[accounts.access_keys]]
id = "AKIASIGNEDTARGET0001"
secret = "signed-target-secret-0000000000000000000"

[sigv4]
require_signed_target = true
"#,
    )
    .unwrap();
    // The option itself stays off: only the file asks for it.
    let h = Harness::start_with(|o| o.config = Some(config.clone())).await;
    let addr = h.server.local_addr;
    let who = (
        "AKIASIGNEDTARGET0001",
        "signed-target-secret-0000000000000000000",
    );
    let target = "TrentService.ListKeys";
    let unsigned_target = signed_request(addr, "kms", who, target, "{}", &["host", "x-amz-date"]);
    let (status, _, out) = raw_to(addr, &unsigned_target).await;
    assert_eq!(status, 400);
    let out = json(&out);
    assert_eq!(out["__type"].as_str(), Some("IncompleteSignatureException"));
    assert!(
        out["message"]
            .as_str()
            .unwrap()
            .starts_with("'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization."),
        "{out}"
    );
    // Signed over everything, the same request goes through; so do the SDK's calls.
    let all = ["content-type", "host", "x-amz-date", "x-amz-target"];
    let (status, _, out) =
        raw_to(addr, &signed_request(addr, "kms", who, target, "{}", &all)).await;
    assert_eq!(status, 200, "{out}");
    h.client_for("us-east-1", who.0, who.1)
        .list_keys()
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn an_authorization_header_naming_two_credentials_is_refused() {
    let h = Harness::start().await;
    // A correctly signed request, with a second Credential inserted before the real one:
    // one would verify, the other would be blamed.
    let good = String::from_utf8(h.request("TrentService.ListKeys", "{}", true)).unwrap();
    let bad = good.replacen(
        "Credential=",
        "Credential=AKIAOTHER00000000000/20260101/us-east-1/kms/aws4_request, Credential=",
        1,
    );
    assert_ne!(good, bad);
    let (status, _, body) = h.raw(bad.as_bytes()).await;
    assert_eq!(status, 400);
    assert_eq!(json(&body)["__type"], "IncompleteSignatureException");
    assert_eq!(
        json(&body)["message"],
        "Authorization header has more than one 'Credential' parameter."
    );
    // The trail names neither key for it.
    let events = trent_server::audit::search(
        h.server.kms.store().as_ref(),
        &trent_server::audit::Filter::default(),
        usize::MAX,
    )
    .await
    .unwrap();
    let (_, event) = events.last().unwrap();
    assert_eq!(event["errorCode"], "IncompleteSignatureException");
    assert!(event["userIdentity"]["accessKeyId"].is_null(), "{event}");
}
