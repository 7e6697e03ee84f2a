//! SigV4 tests: AWS's published test-suite vectors, round trips, and every rejection path.

use super::*;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const NOW: i64 = 1_440_938_160; // 20150830T123600Z

fn headers(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

fn vector(method: &str, query: &str, expected_signature: &str) {
    let hs = headers(&[
        ("Host", "example.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
    ]);
    let request = Request {
        method,
        path: "/",
        query,
        headers: &hs,
        body: b"",
        body_sha256: None,
    };
    let header = sign(&request, "AKIDEXAMPLE", SECRET, "us-east-1", "service");
    assert_eq!(
        header,
        format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={expected_signature}"
        )
    );
    let mut with_auth = hs.clone();
    with_auth.push(("Authorization".to_owned(), header));
    let request = Request {
        headers: &with_auth,
        ..request
    };
    let auth = parse(&request, Rules::default()).expect("vector parses");
    verify(&request, &auth, SECRET, "service", NOW).expect("vector verifies");
}

#[test]
#[allow(clippy::expect_used)]
fn aws_test_suite_get_vanilla() {
    vector(
        "GET",
        "",
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    );
}

#[test]
#[allow(clippy::expect_used)]
fn aws_test_suite_post_vanilla() {
    vector(
        "POST",
        "",
        "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    );
}

#[test]
#[allow(clippy::expect_used)]
fn aws_test_suite_query_order() {
    vector(
        "GET",
        "Param2=value2&Param1=value1",
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    );
}

fn signed_kms_request(body: &[u8], date: &str) -> Vec<(String, String)> {
    let mut hs = headers(&[
        ("host", "127.0.0.1:4599"),
        ("x-amz-date", date),
        ("x-amz-target", "TrentService.ListKeys"),
        ("content-type", "application/x-amz-json-1.1"),
    ]);
    let request = Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &hs,
        body,
        body_sha256: None,
    };
    let auth = sign(&request, "AKID", "secret", "us-east-1", "kms");
    hs.push(("authorization".to_owned(), auth));
    hs
}

fn check(hs: &[(String, String)], body: &[u8], secret: &str, now: i64) -> Result<(), WireError> {
    check_with(hs, body, secret, now, Rules::default())
}

/// A signed `POST /` of `body` with headers `hs`, its hash left to the verifier.
fn kms_request<'a>(hs: &'a [(String, String)], body: &'a [u8]) -> Request<'a> {
    Request {
        method: "POST",
        path: "/",
        query: "",
        headers: hs,
        body,
        body_sha256: None,
    }
}

fn check_with(
    hs: &[(String, String)],
    body: &[u8],
    secret: &str,
    now: i64,
    rules: Rules,
) -> Result<(), WireError> {
    let request = kms_request(hs, body);
    let auth = parse(&request, rules)?;
    verify(&request, &auth, secret, "kms", now)
}

#[test]
fn round_trip_and_rejections() {
    let hs = signed_kms_request(b"{}", "20150830T123600Z");
    assert_eq!(check(&hs, b"{}", "secret", NOW), Ok(()));

    let code = |r: Result<(), WireError>| r.err().map(|e| e.code);
    // A changed body, a wrong secret.
    assert_eq!(
        code(check(&hs, b"{ }", "secret", NOW)),
        Some(ErrorCode::InvalidSignatureException)
    );
    assert_eq!(
        code(check(&hs, b"{}", "other", NOW)),
        Some(ErrorCode::InvalidSignatureException)
    );
    // Too old and too new.
    assert_eq!(
        code(check(&hs, b"{}", "secret", NOW + 6 * 60)),
        Some(ErrorCode::InvalidSignatureException)
    );
    assert_eq!(
        code(check(&hs, b"{}", "secret", NOW - 6 * 60)),
        Some(ErrorCode::InvalidSignatureException)
    );
    assert_eq!(check(&hs, b"{}", "secret", NOW + 4 * 60), Ok(()));
    // A changed signed header.
    let mut tampered = hs.clone();
    if let Some(h) = tampered.iter_mut().find(|(n, _)| n == "x-amz-target") {
        h.1 = "TrentService.Decrypt".to_owned();
    }
    assert_eq!(
        code(check(&tampered, b"{}", "secret", NOW)),
        Some(ErrorCode::InvalidSignatureException)
    );
    // No header at all.
    let bare = headers(&[("host", "h"), ("x-amz-date", "20150830T123600Z")]);
    assert_eq!(
        code(check(&bare, b"{}", "secret", NOW)),
        Some(ErrorCode::MissingAuthenticationTokenException)
    );
}

#[test]
fn malformed_headers_are_incomplete() {
    let code = |auth: &str| {
        let hs = headers(&[
            ("host", "h"),
            ("x-amz-date", "20150830T123600Z"),
            ("authorization", auth),
        ]);
        check(&hs, b"", "s", NOW).err().map(|e| e.code)
    };
    for bad in [
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/kms/aws4_request",
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/kms, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/kms/aws5_request, SignedHeaders=host, Signature=00",
        "Basic dXNlcjpwYXNz",
        // A component twice: ambiguous, refused whichever copy would verify.
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/kms/aws4_request, Credential=OTHER/20150830/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=00, Signature=01",
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/kms/aws4_request, SignedHeaders=host, SignedHeaders=host;x-amz-date, Signature=00",
    ] {
        assert_eq!(
            code(bad),
            Some(ErrorCode::IncompleteSignatureException),
            "{bad}"
        );
    }
    assert_eq!(
        code(
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
        ),
        Some(ErrorCode::InvalidSignatureException)
    );
}

#[test]
fn an_unsigned_host_is_an_invalid_signature_in_aws_words() {
    let hs = headers(&[
        ("host", "h"),
        ("x-amz-date", "20150830T123600Z"),
        (
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/kms/aws4_request, SignedHeaders=x-amz-date, Signature=00",
        ),
    ]);
    let e = check(&hs, b"", "s", NOW).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidSignatureException);
    // AWS's sentence ends there: no `Authorization=<header>` after it.
    assert_eq!(
        e.message,
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    );
}

#[test]
fn amz_dates_round_trip() {
    assert_eq!(parse_amz_date("20150830T123600Z"), Some(NOW));
    assert_eq!(format_amz_date(NOW), "20150830T123600Z");
    assert_eq!(parse_amz_date("2015-08-30T12:36:00Z"), None);
    assert_eq!(parse_amz_date("20151330T123600Z"), None);
    for t in [0, 951_782_400, 1_709_208_000, 4_102_444_800] {
        assert_eq!(parse_amz_date(&format_amz_date(t)), Some(t));
    }
}

proptest::proptest! {
    #[test]
    fn parsing_never_panics(header in ".*") {
        crate::fuzzing::sigv4_header(header.as_bytes());
    }
}

/// Headers signed over `host;x-amz-date` only, as PyPI's `aws-requests-auth` signs, then sent
/// with what that client adds unsigned: the target, the content type and the body's hash.
fn signed_over_host_and_date(body: &[u8], extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut hs = headers(&[("host", "h"), ("x-amz-date", "20150830T123600Z")]);
    let request = Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &hs,
        body,
        body_sha256: None,
    };
    let auth = sign(&request, "AKID", "secret", "us-east-1", "kms");
    assert!(auth.contains("SignedHeaders=host;x-amz-date,"));
    hs.extend(headers(&[
        ("x-amz-target", "TrentService.Decrypt"),
        ("content-type", "application/x-amz-json-1.1"),
    ]));
    hs.extend(headers(extra));
    hs.push(("authorization".to_owned(), auth));
    hs
}

#[test]
fn an_unsigned_target_is_accepted_as_aws_does() {
    let hash = hex_sha256(b"{}");
    let hs = signed_over_host_and_date(b"{}", &[("x-amz-content-sha256", &hash)]);
    assert_eq!(check(&hs, b"{}", "secret", NOW), Ok(()));
    // What still holds: the body is bound by its hash, a declared hash must match it, the date
    // window and the secret still apply.
    let code = |r: Result<(), WireError>| r.err().map(|e| e.code);
    assert_eq!(
        code(check(&hs, b"{ }", "secret", NOW)),
        Some(ErrorCode::InvalidSignatureException)
    );
    let lying = signed_over_host_and_date(b"{}", &[("x-amz-content-sha256", &hex_sha256(b"x"))]);
    assert_eq!(
        code(check(&lying, b"{}", "secret", NOW)),
        Some(ErrorCode::InvalidSignatureException)
    );
    assert_eq!(
        code(check(&hs, b"{}", "secret", NOW + 6 * 60)),
        Some(ErrorCode::InvalidSignatureException)
    );
    assert_eq!(
        code(check(&hs, b"{}", "other", NOW)),
        Some(ErrorCode::InvalidSignatureException)
    );
    // A second X-Amz-Date, unsigned by anyone, changes the signed value and breaks it.
    let mut doubled = hs.clone();
    doubled.push(("x-amz-date".to_owned(), "20150830T123601Z".to_owned()));
    assert_eq!(
        code(check(&doubled, b"{}", "secret", NOW)),
        Some(ErrorCode::InvalidSignatureException)
    );
}

#[test]
fn a_session_token_must_still_be_signed() {
    let hs = signed_over_host_and_date(b"{}", &[("x-amz-security-token", "token")]);
    let err = check(&hs, b"{}", "secret", NOW).err();
    assert_eq!(
        err.as_ref().map(|e| e.code),
        Some(ErrorCode::IncompleteSignatureException)
    );
    assert!(err.is_some_and(|e| {
        e.message
            .starts_with("'X-Amz-Security-Token' must be a 'SignedHeader'")
    }));
}

#[test]
fn the_target_must_be_signed_when_the_rules_say_so() {
    // Signed over host and date only, then sent with a target: a replay could pick any
    // operation, so the strict rules refuse it.
    let strict = Rules {
        require_signed_target: true,
    };
    let hs = signed_over_host_and_date(b"{}", &[]);
    let err = check_with(&hs, b"{}", "secret", NOW, strict).err();
    assert_eq!(
        err.as_ref().map(|e| e.code),
        Some(ErrorCode::IncompleteSignatureException)
    );
    assert!(err.is_some_and(|e| {
        e.message
            .starts_with("'X-Amz-Target' must be a 'SignedHeader'")
    }));
    // A request that signs its target passes the strict rules.
    let signed = signed_kms_request(b"{}", "20150830T123600Z");
    assert_eq!(check_with(&signed, b"{}", "secret", NOW, strict), Ok(()));
}

#[test]
fn messages_never_echo_a_long_authorization_header_in_full() {
    let long = format!(
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/kms, SignedHeaders=host, Signature={}",
        "0".repeat(100_000)
    );
    let hs = headers(&[
        ("host", "h"),
        ("x-amz-date", "20150830T123600Z"),
        ("authorization", &long),
    ]);
    let e = check(&hs, b"", "s", NOW).unwrap_err();
    assert_eq!(e.code, ErrorCode::IncompleteSignatureException);
    assert_eq!(e.message.chars().count(), MAX_MESSAGE_CHARS);
    assert!(
        e.message
            .starts_with("Credential should have at least 5 slash-separated parts")
    );
    assert!(e.message.ends_with("..."));
}

fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = digest::digest(&digest::SHA256, data);
    let mut out = [0; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

#[test]
fn a_body_hashed_as_it_was_read_verifies_as_the_body_itself() {
    let body = br#"{"KeyId":"alias/x"}"#;
    let hs = signed_kms_request(body, "20150830T123600Z");
    let request = |hash: Option<[u8; 32]>| Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &hs,
        body,
        body_sha256: hash,
    };
    let auth = parse(&request(None), Rules::default()).unwrap();
    assert_eq!(verify(&request(None), &auth, "secret", "kms", NOW), Ok(()));
    assert_eq!(
        verify(&request(Some(sha256(body))), &auth, "secret", "kms", NOW),
        Ok(())
    );
    // The hash given is the one signed: another body's hash does not verify.
    assert_eq!(
        verify(&request(Some(sha256(b"{}"))), &auth, "secret", "kms", NOW)
            .err()
            .map(|e| e.code),
        Some(ErrorCode::InvalidSignatureException)
    );
}

#[test]
fn cached_signing_keys_verify_what_fresh_ones_do() {
    let keys = SigningKeys::default();
    let verify_cached = |hs: &[(String, String)], body: &[u8], secret: &str| {
        let request = kms_request(hs, body);
        let auth = parse(&request, Rules::default())?;
        keys.verify(&request, &auth, secret.as_bytes(), "kms", NOW)
    };
    let hs = signed_kms_request(b"{}", "20150830T123600Z");
    // A failed signature keeps nothing: only a holder of the secret adds keys.
    assert!(verify_cached(&hs, b"{}", "wrong").is_err());
    assert!(keys.is_empty());
    assert_eq!(verify_cached(&hs, b"{}", "secret"), Ok(()));
    assert_eq!(keys.len(), 1);
    // The kept key verifies again, and still refuses a changed body.
    assert_eq!(verify_cached(&hs, b"{}", "secret"), Ok(()));
    assert!(verify_cached(&hs, b"{ }", "secret").is_err());
    // A credential whose secret changed is not verified with the old secret's key.
    assert!(verify_cached(&hs, b"{}", "other").is_err());
    assert_eq!(keys.len(), 1);
    // Another scope (another day) gets its own key.
    let next_day = signed_kms_request(b"{}", "20150831T000100Z");
    let request = kms_request(&next_day, b"{}");
    let auth = parse(&request, Rules::default()).unwrap();
    assert_eq!(
        keys.verify(&request, &auth, b"secret", "kms", NOW + 41_100),
        Ok(())
    );
    assert_eq!(keys.len(), 2);
}
