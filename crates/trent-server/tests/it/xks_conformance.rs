//! Trent as an XKS proxy, checked against AWS's External Key Store Proxy API v1 alone
//! (`aws/aws-kms-xksproxy-api-spec`, `xks_proxy_api_spec.md`): routes and methods, SigV4
//! authentication (signed by the AWS SDK's own signer), request validation and size limits,
//! AES-GCM with the ciphertext data integrity value and tamper detection, key states, usages
//! and secondary authorization, per-store throttling, mutual TLS, and the audit trail, all
//! over hand-written HTTP/1.1 on TLS.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_sdk_kms::config::Credentials;
use aws_sigv4::http_request::{self, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rcgen::{CertifiedIssuer, ExtendedKeyUsagePurpose, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::harness::{Harness, file_contains, files_under, now_unix};
use crate::xks_tls::{authority, leaf};

const HOST: &str = "xks.trent.test";
const PREFIX: &str = "/keystores/conformance";
const THROTTLED: &str = "/keystores/throttled";
const KEY: &str = "conformance-key-1";
const ALICE: &str = "arn:aws:iam::111122223333:user/Alice";
const KMS_KEY_ARN: &str =
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const KMS_SUBJECT: &str = "cks.kms.us-east-1.amazonaws.com";

/// The two credential sets of the conformance store (rotation: both work at once).
const A: Signer = signer(
    "AKIAI2SFODNN7EXAMPLE",
    "FYtE5EFA5FT0mCc3DrGUe2sti527BitkQ0Zr9MO9fvE",
);
const B: Signer = signer(
    "MUBSXM6K3KMXHN6RRCXI7TWQH4",
    "VU6W2byoiBrhDqNGbx703oL0syCAmhlQgwNUT123456",
);
const THROTTLED_STORE: Signer = signer(
    "THROTTLEDSTORE2KEYAAAAAA",
    "ZeDjjiBv5ahDm5F723NyY0VS8PUBvYrGKdZdYTnLjbY=",
);
const ROOT_STORE: Signer = signer(
    "ROOTPREFIXSTORE3KEYBBBBB",
    "osiXPC6ycpAPuEn0IzRUFvWEYh+kIPjRTUv0f04l6h+p",
);

/// Three stores: the conformance store (both credential sets, every kind of key), one whose
/// quota is a request a second, and one at the root of the URI space.
const STORES: &str = r#"
[[xks_proxy.key_store]]
path_prefix = "/keystores/conformance"
region = "us-east-1"
account = "111122223333"
requests_per_second = 1000
credentials = [
  { access_key_id = "AKIAI2SFODNN7EXAMPLE", secret = "FYtE5EFA5FT0mCc3DrGUe2sti527BitkQ0Zr9MO9fvE" },
  { access_key_id = "MUBSXM6K3KMXHN6RRCXI7TWQH4", secret = "VU6W2byoiBrhDqNGbx703oL0syCAmhlQgwNUT123456" },
]

[[xks_proxy.key_store.key]]
external_key_id = "conformance-key-1"
key = "alias/xks-conformance"
operations = ["ENCRYPT", "DECRYPT"]
allowed_principals = ["arn:aws:iam::111122223333:user/*"]
allowed_kms_key_arns = ["arn:aws:kms:us-east-1:111122223333:key/*"]

[[xks_proxy.key_store.key]]
external_key_id = "conformance.key_2"
key = "alias/xks-conformance"

[[xks_proxy.key_store.key]]
external_key_id = "encrypt-only"
key = "alias/xks-conformance"
operations = ["ENCRYPT"]

[[xks_proxy.key_store.key]]
external_key_id = "decrypt-only"
key = "alias/xks-conformance"
operations = ["DECRYPT"]

[[xks_proxy.key_store.key]]
external_key_id = "admins-only"
key = "alias/xks-conformance"
allowed_principals = ["arn:aws:iam::111122223333:role/XksAdmin*"]

[[xks_proxy.key_store.key]]
external_key_id = "one-kms-key"
key = "alias/xks-conformance"
allowed_kms_key_arns = ["arn:aws:kms:us-east-1:111122223333:key/1234abcd-*"]

[[xks_proxy.key_store.key]]
external_key_id = "state-key"
key = "alias/xks-state"

[[xks_proxy.key_store]]
path_prefix = "/keystores/throttled"
requests_per_second = 1
credentials = [
  { access_key_id = "THROTTLEDSTORE2KEYAAAAAA", secret = "ZeDjjiBv5ahDm5F723NyY0VS8PUBvYrGKdZdYTnLjbY=" },
]

[[xks_proxy.key_store.key]]
external_key_id = "throttled-key"
key = "alias/xks-conformance"

[[xks_proxy.key_store]]
path_prefix = ""
credentials = [
  { access_key_id = "ROOTPREFIXSTORE3KEYBBBBB", secret = "osiXPC6ycpAPuEn0IzRUFvWEYh+kIPjRTUv0f04l6h+p" },
]

[[xks_proxy.key_store.key]]
external_key_id = "root-key"
key = "alias/xks-conformance"
"#;

#[tokio::test]
async fn routes_and_methods() {
    let p = Proxy::start(false).await;
    let x = &p.xks;

    // The spec's health operations, and one KMS may add later (which must not be refused).
    for operation in [
        "CreateCustomKeyStore",
        "ConnectCustomKeyStore",
        "UpdateCustomKeyStore",
        "KmsHealthCheck",
        "SomeFutureKmsOperation",
    ] {
        let health = x
            .post(&health_path(PREFIX), &health_body(operation))
            .await
            .ok(operation);
        check_health(&health);
    }
    let fuller = json!({"requestMetadata": metadata_for("KmsHealthCheck")});
    x.post(&health_path(PREFIX), &fuller)
        .await
        .ok("health with a full requestMetadata");
    x.post_as(B, &health_path(PREFIX), &health_body("KmsHealthCheck"))
        .await
        .ok("health with the second credential set");

    let md = x
        .post(
            &key_path(PREFIX, KEY, "metadata"),
            &metadata_body("DescribeKey"),
        )
        .await
        .ok("metadata");
    let usage = usages(&md);
    assert!(
        usage.contains(&"ENCRYPT") && usage.contains(&"DECRYPT"),
        "{md}"
    );
    assert_eq!(md["keyStatus"], "ENABLED", "{md}");
    let sealed = x.seal(KEY, b"routes", None, false).await;
    assert_eq!(x.open(KEY, &sealed, None).await, b"routes");

    // '.' and '_' are in the external key id alphabet; a store may sit at the root.
    x.post(
        &key_path(PREFIX, "conformance.key_2", "metadata"),
        &metadata_body("DescribeKey"),
    )
    .await
    .ok("conformance.key_2");
    x.post_as(ROOT_STORE, &health_path(""), &health_body("KmsHealthCheck"))
        .await
        .ok("health at /kms/xks/v1/health");
    x.post_as(
        ROOT_STORE,
        &key_path("", "root-key", "metadata"),
        &metadata_body("DescribeKey"),
    )
    .await
    .ok("metadata at the root");

    for path in [
        health_path(PREFIX),
        key_path(PREFIX, KEY, "metadata"),
        key_path(PREFIX, KEY, "encrypt"),
        key_path(PREFIX, KEY, "decrypt"),
    ] {
        let reply = x.send("GET", &path, b"", Auth::Signed(A)).await;
        assert_eq!(reply.status, 405, "GET {path}: {}", reply.text());
    }

    let md_body = bytes(&metadata_body("DescribeKey"));
    let unknown = [
        (A, format!("{PREFIX}/kms/xks/v1/keys/{KEY}/sign")),
        (A, format!("{PREFIX}/kms/xks/v1/keys/{KEY}")),
        (A, format!("{PREFIX}/kms/xks/v1/keys/{KEY}/metadata/more")),
        (A, format!("{PREFIX}/kms/xks/v1/keys")),
        (A, format!("{PREFIX}/kms/xks/v1/healthz")),
        (A, format!("{PREFIX}/kms/xks/v1")),
        (A, format!("{PREFIX}/kms/xks/v2/health")),
        (A, format!("{PREFIX}/health")),
        (A, format!("{PREFIX}/more/kms/xks/v1/health")),
        (A, "/keystores/unknown/kms/xks/v1/health".to_owned()),
        (
            A,
            format!("/keystores/unknown/kms/xks/v1/keys/{KEY}/metadata"),
        ),
        (ROOT_STORE, "/".to_owned()),
        (ROOT_STORE, "/kms/xks/v1/nothing".to_owned()),
    ];
    for (who, path) in &unknown {
        x.send("POST", path, &md_body, Auth::Signed(*who))
            .await
            .error(path, 404, &["InvalidUriPathException"]);
    }

    // '~' is outside the alphabet yet needs no percent-encoding, so the signature cannot be
    // what fails. Each body is valid for its operation, so only the path is wrong.
    let fake = fake_sealed();
    for (op, body) in [
        ("metadata", metadata_body("DescribeKey")),
        ("encrypt", encrypt_body(b"bad id", None, false)),
        ("decrypt", decrypt_body(&fake, None)),
    ] {
        x.post(&key_path(PREFIX, "bad~key", op), &body).await.error(
            &format!("bad~key/{op}"),
            404,
            &["InvalidUriPathException"],
        );
    }
    x.post(
        &key_path(PREFIX, &"k".repeat(129), "metadata"),
        &metadata_body("DescribeKey"),
    )
    .await
    .error(
        "a 129-character external key id",
        404,
        &["InvalidUriPathException", "KeyNotFoundException"],
    );
    x.post(
        &key_path(PREFIX, &"u".repeat(128), "metadata"),
        &metadata_body("DescribeKey"),
    )
    .await
    .error(
        "an unknown 128-character external key id",
        404,
        &["KeyNotFoundException"],
    );
}

#[tokio::test]
async fn authentication() {
    let p = Proxy::start(false).await;
    let x = &p.xks;
    let requests = [
        (health_path(PREFIX), health_body("KmsHealthCheck")),
        (
            key_path(PREFIX, KEY, "metadata"),
            metadata_body("DescribeKey"),
        ),
        (
            key_path(PREFIX, KEY, "encrypt"),
            encrypt_body(b"authentication", None, false),
        ),
    ];

    let accepted = [
        ("the first credential set", A),
        ("the second credential set", B),
        (
            "content-type signed too",
            Signer {
                sign_content_type: true,
                ..A
            },
        ),
        (
            "four minutes old",
            Signer {
                skew_secs: -240,
                ..A
            },
        ),
        (
            "four minutes ahead",
            Signer {
                skew_secs: 240,
                ..B
            },
        ),
    ];
    for (path, body) in &requests {
        for (what, who) in accepted {
            x.post_as(who, path, body)
                .await
                .ok(&format!("{what}: {path}"));
        }
    }

    let another_body = br#"{"requestMetadata":{}}"#;
    let refused = [
        ("no Authorization", Auth::Unsigned),
        (
            "a malformed Authorization",
            Auth::Literal("AWS4-HMAC-SHA256 Credential=nonsense"),
        ),
        (
            "another scheme",
            Auth::Literal("Basic QUtJQUkyU0ZPRE5ON0VYQU1QTEU6c2VjcmV0"),
        ),
        (
            "the other set's secret",
            Auth::Signed(Signer {
                secret: B.secret,
                ..A
            }),
        ),
        (
            "a wrong secret",
            Auth::Signed(Signer {
                secret: "wrongwrongwrongwrongwrongwrongwrongwrongwrong",
                ..A
            }),
        ),
        (
            "an unknown access key id",
            Auth::Signed(Signer {
                akid: "UNKNOWNACCESSKEY2345AB",
                ..A
            }),
        ),
        (
            "another key store's credentials",
            Auth::Signed(THROTTLED_STORE),
        ),
        (
            "the service kms",
            Auth::Signed(Signer {
                service: "kms",
                ..A
            }),
        ),
        (
            "the Region us-west-2",
            Auth::Signed(Signer {
                region: "us-west-2",
                ..A
            }),
        ),
        (
            "six minutes old",
            Auth::Signed(Signer {
                skew_secs: -360,
                ..A
            }),
        ),
        (
            "six minutes ahead",
            Auth::Signed(Signer {
                skew_secs: 360,
                ..A
            }),
        ),
        (
            "host not signed",
            Auth::Signed(Signer {
                sign_host: false,
                ..A
            }),
        ),
        ("another body signed", Auth::SignedOver(A, another_body)),
    ];
    for (path, body) in &requests {
        let body = bytes(body);
        for (what, auth) in refused {
            x.send("POST", path, &body, auth).await.error(
                &format!("{what}: {path}"),
                401,
                &["AuthenticationFailedException"],
            );
        }
    }
}

#[tokio::test]
async fn validation() {
    let p = Proxy::start(false).await;
    let x = &p.xks;
    let real = x.seal(KEY, b"validation", None, false).await;
    let md = metadata_body("DescribeKey");
    let enc = encrypt_body(b"validation", None, false);
    let dec = decrypt_body(&real, None);
    let bodies = [("metadata", &md), ("encrypt", &enc), ("decrypt", &dec)];

    let mut invalid: Vec<(String, &str, Vec<u8>)> = Vec::new();
    for (op, body) in bodies {
        invalid.push((
            format!("{op}: malformed JSON"),
            op,
            br#"{"requestMetadata": {"kmsRequestId": "#.to_vec(),
        ));
        invalid.push((format!("{op}: an empty body"), op, Vec::new()));
        invalid.push((format!("{op}: a JSON array"), op, b"[]".to_vec()));
        invalid.push((
            format!("{op}: requestMetadata a string"),
            op,
            bytes(&edited(body, "/requestMetadata", Some(json!("Alice")))),
        ));
        let mut required = vec![
            "/requestMetadata",
            "/requestMetadata/kmsRequestId",
            "/requestMetadata/kmsOperation",
            "/requestMetadata/awsPrincipalArn",
        ];
        if op != "metadata" {
            required.push("/requestMetadata/kmsKeyArn");
        }
        for pointer in required {
            invalid.push((
                format!("{op}: without {pointer}"),
                op,
                bytes(&edited(body, pointer, None)),
            ));
        }
    }
    let not_base64 = || Some(json!("not*base64"));
    let field_edits: Vec<(&str, &Value, &str, &str, Option<Value>)> = vec![
        (
            "encrypt",
            &enc,
            "plaintext not Base64",
            "/plaintext",
            not_base64(),
        ),
        ("encrypt", &enc, "no plaintext", "/plaintext", None),
        (
            "encrypt",
            &enc,
            "plaintext a number",
            "/plaintext",
            Some(json!(42)),
        ),
        (
            "encrypt",
            &enc,
            "AAD not Base64",
            "/additionalAuthenticatedData",
            not_base64(),
        ),
        (
            "encrypt",
            &enc,
            "encryptionAlgorithm AES_CBC",
            "/encryptionAlgorithm",
            Some(json!("AES_CBC")),
        ),
        (
            "encrypt",
            &enc,
            "encryptionAlgorithm SYMMETRIC_DEFAULT",
            "/encryptionAlgorithm",
            Some(json!("SYMMETRIC_DEFAULT")),
        ),
        (
            "encrypt",
            &enc,
            "no encryptionAlgorithm",
            "/encryptionAlgorithm",
            None,
        ),
        (
            "encrypt",
            &enc,
            "CDIV algorithm SHA_512",
            "/ciphertextDataIntegrityValueAlgorithm",
            Some(json!("SHA_512")),
        ),
        (
            "decrypt",
            &dec,
            "ciphertext not Base64",
            "/ciphertext",
            not_base64(),
        ),
        (
            "decrypt",
            &dec,
            "IV not Base64",
            "/initializationVector",
            not_base64(),
        ),
        (
            "decrypt",
            &dec,
            "tag not Base64",
            "/authenticationTag",
            not_base64(),
        ),
        (
            "decrypt",
            &dec,
            "AAD not Base64",
            "/additionalAuthenticatedData",
            not_base64(),
        ),
        (
            "decrypt",
            &dec,
            "ciphertextMetadata not Base64",
            "/ciphertextMetadata",
            not_base64(),
        ),
        (
            "decrypt",
            &dec,
            "21 bytes of ciphertextMetadata",
            "/ciphertextMetadata",
            Some(json!(b64(&[7u8; 21]))),
        ),
        (
            "decrypt",
            &dec,
            "encryptionAlgorithm AES_CBC",
            "/encryptionAlgorithm",
            Some(json!("AES_CBC")),
        ),
        (
            "decrypt",
            &dec,
            "no encryptionAlgorithm",
            "/encryptionAlgorithm",
            None,
        ),
    ];
    for (op, body, what, pointer, value) in field_edits {
        invalid.push((
            format!("{op}: {what}"),
            op,
            bytes(&edited(body, pointer, value)),
        ));
    }
    for (what, op, body) in &invalid {
        x.send("POST", &key_path(PREFIX, KEY, op), body, Auth::Signed(A))
            .await
            .error(what, 400, &["ValidationException"]);
    }

    // The spec's table lets these be either an invalid parameter or an invalid ciphertext.
    let either = ["ValidationException", "InvalidCiphertextException"];
    let malformed_ciphertexts = [
        (
            "an 8-byte IV",
            "/initializationVector",
            Some(json!(b64(&[1u8; 8]))),
        ),
        (
            "a 13-byte IV",
            "/initializationVector",
            Some(json!(b64(&[1u8; 13]))),
        ),
        (
            "a 15-byte tag",
            "/authenticationTag",
            Some(json!(b64(&[1u8; 15]))),
        ),
        (
            "a 17-byte tag",
            "/authenticationTag",
            Some(json!(b64(&[1u8; 17]))),
        ),
        ("no ciphertext", "/ciphertext", None),
        ("no IV", "/initializationVector", None),
        ("no tag", "/authenticationTag", None),
    ];
    for (what, pointer, value) in malformed_ciphertexts {
        x.post(
            &key_path(PREFIX, KEY, "decrypt"),
            &edited(&dec, pointer, value),
        )
        .await
        .error(&format!("decrypt: {what}"), 400, &either);
    }

    let too_big = random(8601);
    let too_much_aad = random(8193);
    let unsupported = ["UnsupportedOperationException"];
    x.post(
        &key_path(PREFIX, KEY, "encrypt"),
        &encrypt_body(&too_big, None, false),
    )
    .await
    .error("8,601 bytes of plaintext", 501, &unsupported);
    x.post(
        &key_path(PREFIX, KEY, "encrypt"),
        &encrypt_body(b"x", Some(too_much_aad.as_slice()), false),
    )
    .await
    .error("encrypt: 8,193 bytes of AAD", 501, &unsupported);
    x.post(
        &key_path(PREFIX, KEY, "decrypt"),
        &decrypt_body(&real, Some(too_much_aad.as_slice())),
    )
    .await
    .error("decrypt: 8,193 bytes of AAD", 501, &unsupported);

    // What the spec says a proxy MUST accept.
    let long_principal = padded("arn:aws:iam::111122223333:user/", 2048);
    let long_key_arn = padded("arn:aws:kms:us-east-1:111122223333:key/", 2048);
    let operation = "/requestMetadata/kmsOperation";
    let principal = "/requestMetadata/awsPrincipalArn";
    let mut accepted: Vec<(String, &str, &str, Value)> = vec![
        (
            "a kmsOperation KMS may add later".to_owned(),
            KEY,
            "encrypt",
            edited(&enc, operation, Some(json!("BulkEncrypt"))),
        ),
        (
            "a kmsOperation KMS may add later".to_owned(),
            KEY,
            "decrypt",
            edited(&dec, operation, Some(json!("BulkDecrypt"))),
        ),
        (
            "a kmsOperation KMS may add later".to_owned(),
            KEY,
            "metadata",
            edited(&md, operation, Some(json!("BulkDescribeKey"))),
        ),
        (
            "GenerateDataKey".to_owned(),
            KEY,
            "encrypt",
            edited(&enc, operation, Some(json!("GenerateDataKey"))),
        ),
        (
            "an opaque kmsRequestId".to_owned(),
            KEY,
            "encrypt",
            edited(
                &enc,
                "/requestMetadata/kmsRequestId",
                Some(json!("not a UUID; 42")),
            ),
        ),
        (
            "a 2,048-character principal ARN".to_owned(),
            KEY,
            "encrypt",
            edited(&enc, principal, Some(json!(long_principal))),
        ),
        (
            "a 2,048-character KMS key ARN".to_owned(),
            KEY,
            "encrypt",
            edited(
                &enc,
                "/requestMetadata/kmsKeyArn",
                Some(json!(long_key_arn)),
            ),
        ),
        (
            "CreateKey's request, without kmsKeyArn".to_owned(),
            "conformance.key_2",
            "metadata",
            edited(
                &edited(&md, operation, Some(json!("CreateKey"))),
                "/requestMetadata/kmsKeyArn",
                None,
            ),
        ),
        (
            "a service principal".to_owned(),
            "conformance.key_2",
            "encrypt",
            edited(&enc, principal, Some(json!("ec2.amazonaws.com"))),
        ),
        (
            "AWS Internal".to_owned(),
            "conformance.key_2",
            "encrypt",
            edited(&enc, principal, Some(json!("AWS Internal"))),
        ),
    ];
    for (op, body) in bodies {
        accepted.push((
            format!("{op}: requestMetadata members beyond the spec's"),
            KEY,
            op,
            with_more_metadata(body),
        ));
    }
    for (what, key, op, body) in &accepted {
        x.post(&key_path(PREFIX, key, op), body)
            .await
            .ok(&format!("{op}: {what}"));
    }
}

#[tokio::test]
async fn encrypt_decrypt_round_trip_and_integrity() {
    let p = Proxy::start(false).await;
    let x = &p.xks;
    let data_key = random(32);
    let large = random(4300);
    let most_aad = random(8192);
    // (what, plaintext, AAD, whether the integrity value is asked for)
    type Case<'a> = (&'a str, &'a [u8], Option<&'a [u8]>, bool);
    let cases: [Case<'_>; 5] = [
        ("no AAD", b"Hello World!".as_slice(), None, false),
        (
            "AAD and CDIV",
            b"Hello World!".as_slice(),
            Some(b"project=nile,department=marketing".as_slice()),
            true,
        ),
        ("a data key with CDIV", data_key.as_slice(), None, true),
        ("one byte", b"x".as_slice(), Some(b"a".as_slice()), false),
        (
            "4,300 bytes with 8,192 bytes of AAD and CDIV",
            large.as_slice(),
            Some(most_aad.as_slice()),
            true,
        ),
    ];
    for (what, plaintext, aad, cdiv) in cases {
        let sealed = x.seal(KEY, plaintext, aad, cdiv).await;
        assert_eq!(x.open(KEY, &sealed, aad).await, plaintext, "{what}");
        for (how, tampered, tampered_aad) in tamperings(&sealed, aad) {
            x.decrypt(KEY, &tampered, tampered_aad.as_deref())
                .await
                .error(
                    &format!("{what}: {how}"),
                    400,
                    &["InvalidCiphertextException"],
                );
        }
    }

    let first = x.seal(KEY, b"the same plaintext", None, false).await;
    let second = x.seal(KEY, b"the same plaintext", None, false).await;
    assert_ne!(first.ciphertext, second.ciphertext);
    let opened = x
        .post_as(
            B,
            &key_path(PREFIX, KEY, "decrypt"),
            &decrypt_body(&first, None),
        )
        .await
        .ok("decrypt with the other credential set");
    assert_eq!(
        unb64(&opened["plaintext"], "plaintext"),
        b"the same plaintext"
    );
}

#[test]
fn the_integrity_value_is_computed_as_appendix_c_says() {
    let example = Sealed {
        ciphertext: unb64(&json!("ghxkK1txeDNn3q8Y"), "ciphertext"),
        iv: unb64(&json!("HMrlRw85cAJUd5Ax"), "iv"),
        tag: unb64(&json!("vBxN2ncH1oEkR8WVXpmyYQ=="), "tag"),
        metadata: Some(b"key_version=1".to_vec()),
        cdiv: None,
    };
    let aad = b"project=nile,department=marketing".as_slice();
    assert_eq!(
        b64(&integrity_value(Some(aad), &example)),
        "qHA/ImC9h5HsLRXqCyPmWgYx7tzyoTplzILbP0fPXsc="
    );
}

#[tokio::test]
async fn key_states_usage_and_authorization() {
    let p = Proxy::start(false).await;
    let x = &p.xks;
    let kms = p.h.client();
    let fake = fake_sealed();

    for (op, body) in [
        ("metadata", metadata_body("DescribeKey")),
        ("encrypt", encrypt_body(b"nobody", None, false)),
        ("decrypt", decrypt_body(&fake, None)),
    ] {
        x.post(&key_path(PREFIX, "no-such-key", op), &body)
            .await
            .error(
                &format!("unknown key: {op}"),
                404,
                &["KeyNotFoundException"],
            );
    }

    // The external key's status follows the Trent key's state.
    let state = "state-key";
    let md_path = key_path(PREFIX, state, "metadata");
    let sealed = x.seal(state, b"state", None, false).await;
    let invalid_state = ["InvalidStateException"];
    kms.disable_key().key_id(&p.state_key).send().await.unwrap();
    let md = x
        .post(&md_path, &metadata_body("DescribeKey"))
        .await
        .ok("metadata of a disabled key");
    assert_eq!(md["keyStatus"], "DISABLED", "{md}");
    x.post(
        &key_path(PREFIX, state, "encrypt"),
        &encrypt_body(b"state", None, false),
    )
    .await
    .error("encrypt under a disabled key", 400, &invalid_state);
    x.decrypt(state, &sealed, None).await.error(
        "decrypt under a disabled key",
        400,
        &invalid_state,
    );
    kms.enable_key().key_id(&p.state_key).send().await.unwrap();
    let md = x
        .post(&md_path, &metadata_body("DescribeKey"))
        .await
        .ok("metadata of a re-enabled key");
    assert_eq!(md["keyStatus"], "ENABLED", "{md}");
    assert_eq!(x.open(state, &sealed, None).await, b"state");
    x.seal(state, b"state", None, false).await;

    kms.schedule_key_deletion()
        .key_id(&p.state_key)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    x.post(
        &key_path(PREFIX, state, "encrypt"),
        &encrypt_body(b"state", None, false),
    )
    .await
    .error("encrypt under a key pending deletion", 400, &invalid_state);
    x.decrypt(state, &sealed, None).await.error(
        "decrypt under a key pending deletion",
        400,
        &invalid_state,
    );
    // keyStatus has only ENABLED and DISABLED, so a pending deletion may be either answer.
    let pending = x.post(&md_path, &metadata_body("DescribeKey")).await;
    if pending.status == 200 {
        let md = pending.ok("metadata of a key pending deletion");
        assert_eq!(md["keyStatus"], "DISABLED", "{md}");
    } else {
        pending.error("metadata of a key pending deletion", 400, &invalid_state);
    }
    kms.cancel_key_deletion()
        .key_id(&p.state_key)
        .send()
        .await
        .unwrap();
    kms.enable_key().key_id(&p.state_key).send().await.unwrap();
    assert_eq!(x.open(state, &sealed, None).await, b"state");

    // Usages.
    let usage_error = ["InvalidKeyUsageException"];
    for (key, allowed, refused) in [
        ("encrypt-only", "ENCRYPT", "DECRYPT"),
        ("decrypt-only", "DECRYPT", "ENCRYPT"),
    ] {
        let md = x
            .post(
                &key_path(PREFIX, key, "metadata"),
                &metadata_body("DescribeKey"),
            )
            .await
            .ok(key);
        let usage = usages(&md);
        assert!(
            usage.contains(&allowed) && !usage.contains(&refused),
            "{key}: {md}"
        );
        assert_eq!(md["keyStatus"], "ENABLED", "{md}");
    }
    let encrypted_only = x.seal("encrypt-only", b"usage", None, false).await;
    x.decrypt("encrypt-only", &encrypted_only, None)
        .await
        .error("decrypt under an encrypt-only key", 400, &usage_error);
    x.post(
        &key_path(PREFIX, "decrypt-only", "encrypt"),
        &encrypt_body(b"usage", None, false),
    )
    .await
    .error("encrypt under a decrypt-only key", 400, &usage_error);

    // Secondary authorization, on request metadata.
    let denied = ["AccessDeniedException"];
    let principal = "/requestMetadata/awsPrincipalArn";
    let key_arn = "/requestMetadata/kmsKeyArn";
    let good = x.seal(KEY, b"authorization", None, false).await;
    let refusals = [
        (
            "a principal of another account",
            principal,
            "arn:aws:iam::444455556666:user/Alice",
        ),
        (
            "a role where users are allowed",
            principal,
            "arn:aws:iam::111122223333:role/Alice",
        ),
        (
            "a KMS key of another account",
            key_arn,
            "arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ),
        (
            "a KMS key in another Region",
            key_arn,
            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ),
    ];
    for (what, pointer, value) in refusals {
        for (op, body) in [
            ("metadata", metadata_body("DescribeKey")),
            ("encrypt", encrypt_body(b"authorization", None, false)),
            ("decrypt", decrypt_body(&good, None)),
        ] {
            x.post(
                &key_path(PREFIX, KEY, op),
                &edited(&body, pointer, Some(json!(value))),
            )
            .await
            .error(&format!("{what}: {op}"), 403, &denied);
        }
    }
    x.post(
        &key_path(PREFIX, KEY, "encrypt"),
        &edited(
            &encrypt_body(b"authorization", None, false),
            principal,
            Some(json!("arn:aws:iam::111122223333:user/division/Bob")),
        ),
    )
    .await
    .ok("'*' matches across '/'");

    let admin = Some(json!("arn:aws:iam::111122223333:role/XksAdminOps"));
    let sealed_by_admin = checked_seal(
        &x.post(
            &key_path(PREFIX, "admins-only", "encrypt"),
            &edited(
                &encrypt_body(b"admins", None, false),
                principal,
                admin.clone(),
            ),
        )
        .await,
        6,
        None,
        false,
    );
    for (op, body) in [
        ("metadata", metadata_body("DescribeKey")),
        ("encrypt", encrypt_body(b"admins", None, false)),
        ("decrypt", decrypt_body(&sealed_by_admin, None)),
    ] {
        let path = key_path(PREFIX, "admins-only", op);
        x.post(&path, &body)
            .await
            .error(&format!("Alice on admins-only: {op}"), 403, &denied);
        x.post(&path, &edited(&body, principal, admin.clone()))
            .await
            .ok(&format!("an admin on admins-only: {op}"));
    }

    let one = key_path(PREFIX, "one-kms-key", "encrypt");
    x.post(&one, &encrypt_body(b"one", None, false))
        .await
        .ok("the allowed KMS key");
    x.post(
        &one,
        &edited(
            &encrypt_body(b"one", None, false),
            key_arn,
            Some(json!(
                "arn:aws:kms:us-east-1:111122223333:key/9999aaaa-12ab-34cd-56ef-1234567890ab"
            )),
        ),
    )
    .await
    .error("another KMS key on one-kms-key", 403, &denied);
    // A pattern is the proxy's, never the caller's: a kmsKeyArn of "*" matches nothing.
    x.post(
        &one,
        &edited(
            &encrypt_body(b"one", None, false),
            key_arn,
            Some(json!("*")),
        ),
    )
    .await
    .error("kmsKeyArn \"*\" on one-kms-key", 403, &denied);
    // Only CreateKey's metadata call may leave the KMS key out (it does not exist yet).
    let one_md = key_path(PREFIX, "one-kms-key", "metadata");
    let without_key = |operation: &str| {
        json!({"requestMetadata": {
            "kmsRequestId": request_id(),
            "kmsOperation": operation,
            "awsPrincipalArn": ALICE,
        }})
    };
    x.post(&one_md, &without_key("CreateKey"))
        .await
        .ok("CreateKey's metadata call without a KMS key");
    x.post(&one_md, &without_key("DescribeKey")).await.error(
        "DescribeKey's metadata call without a KMS key",
        403,
        &denied,
    );

    // Health is never subject to secondary authorization.
    let stranger = json!({"requestMetadata": {
        "kmsRequestId": request_id(),
        "kmsOperation": "KmsHealthCheck",
        "awsPrincipalArn": "arn:aws:iam::444455556666:user/Mallory",
        "kmsKeyArn": "arn:aws:kms:eu-west-1:444455556666:key/9999aaaa-12ab-34cd-56ef-1234567890ab",
    }});
    x.post(&health_path(PREFIX), &stranger)
        .await
        .ok("health with a stranger's metadata");
}

#[tokio::test]
async fn throttling() {
    let p = Proxy::start(false).await;
    let x = &p.xks;
    let path = key_path(THROTTLED, "throttled-key", "metadata");
    let mut statuses = Vec::new();
    for i in 0..20 {
        let reply = x
            .post_as(THROTTLED_STORE, &path, &metadata_body("DescribeKey"))
            .await;
        match reply.status {
            200 => {
                reply.ok(&format!("request {i}"));
            }
            429 => reply.error(&format!("request {i}"), 429, &["ThrottlingException"]),
            _ => panic!("request {i}: {}", reply.text()),
        }
        statuses.push(reply.status);
    }
    assert!(
        statuses.contains(&200) && statuses.contains(&429),
        "a burst of 20 at 1 request a second: {statuses:?}"
    );
    // Quotas are per key store.
    for i in 0..5 {
        x.post(
            &key_path(PREFIX, KEY, "metadata"),
            &metadata_body("DescribeKey"),
        )
        .await
        .ok(&format!("the conformance store, call {i}"));
    }
}

#[tokio::test]
async fn mutual_tls() {
    let p = Proxy::start(true).await;
    let health = health_path(PREFIX);
    let body = health_body("KmsHealthCheck");
    let kms = p
        .xks
        .presenting(Some(client_identity(&p.kms_ca, KMS_SUBJECT)));
    kms.post(&health, &body).await.ok("KMS's certificate");
    kms.post(
        &key_path(PREFIX, KEY, "metadata"),
        &metadata_body("DescribeKey"),
    )
    .await
    .ok("KMS's certificate: metadata");
    // Mutual TLS adds to SigV4; it does not replace it.
    kms.send("POST", &health, &bytes(&body), Auth::Unsigned)
        .await
        .error(
            "KMS's certificate without a signature",
            401,
            &["AuthenticationFailedException"],
        );

    let rogue = authority("Rogue CA");
    let refused = [
        ("no client certificate", p.xks.presenting(None)),
        (
            "a certificate for another subject",
            p.xks.presenting(Some(client_identity(
                &p.kms_ca,
                "cks.kms.eu-west-1.amazonaws.com",
            ))),
        ),
        (
            "a certificate from another CA",
            p.xks.presenting(Some(client_identity(&rogue, KMS_SUBJECT))),
        ),
    ];
    for (what, client) in refused {
        let outcome = client
            .try_send("POST", &health, &bytes(&body), Auth::Signed(A))
            .await;
        assert!(
            outcome.is_err(),
            "{what}: the proxy answered {:?}",
            outcome.map(|r| r.text())
        );
    }
}

#[tokio::test]
async fn audit_trail() {
    let p = Proxy::start(false).await;
    let x = &p.xks;
    let secret = b"XKS-AUDIT-PLAINTEXT: nobody may log this".as_slice();
    let aad = Some(b"audit".as_slice());
    let encrypt_path = key_path(PREFIX, KEY, "encrypt");
    let decrypt_path = key_path(PREFIX, KEY, "decrypt");

    let health = health_body("KmsHealthCheck");
    x.post(&health_path(PREFIX), &health).await.ok("health");
    let metadata = metadata_body("DescribeKey");
    x.post(&key_path(PREFIX, KEY, "metadata"), &metadata)
        .await
        .ok("metadata");
    let encrypt = encrypt_body(secret, aad, true);
    let sealed = checked_seal(
        &x.post(&encrypt_path, &encrypt).await,
        secret.len(),
        aad,
        true,
    );
    let decrypt = decrypt_body(&sealed, aad);
    let opened = x.post(&decrypt_path, &decrypt).await.ok("decrypt");
    assert_eq!(unb64(&opened["plaintext"], "plaintext"), secret);
    let mut bad = sealed.clone();
    flip(&mut bad.tag);
    let tampered = decrypt_body(&bad, aad);
    x.post(&decrypt_path, &tampered)
        .await
        .error("tampered", 400, &["InvalidCiphertextException"]);
    let unknown = metadata_body("DescribeKey");
    x.post(&key_path(PREFIX, "no-such-key", "metadata"), &unknown)
        .await
        .error("unknown key", 404, &["KeyNotFoundException"]);
    let denied = encrypt_body(secret, None, false);
    x.post(&key_path(PREFIX, "admins-only", "encrypt"), &denied)
        .await
        .error("denied", 403, &["AccessDeniedException"]);
    let misused = encrypt_body(secret, None, false);
    x.post(&key_path(PREFIX, "decrypt-only", "encrypt"), &misused)
        .await
        .error("misused", 400, &["InvalidKeyUsageException"]);
    let invalid = edited(
        &encrypt_body(secret, None, false),
        "/encryptionAlgorithm",
        Some(json!("AES_CBC")),
    );
    x.post(&encrypt_path, &invalid)
        .await
        .error("invalid", 400, &["ValidationException"]);

    let calls = [
        ("health", &health),
        ("metadata", &metadata),
        ("encrypt", &encrypt),
        ("decrypt", &decrypt),
        ("a tampered decrypt", &tampered),
        ("an unknown key", &unknown),
        ("an access denied", &denied),
        ("a refused usage", &misused),
        ("an invalid request", &invalid),
    ];
    let ids: Vec<(&str, String)> = calls
        .iter()
        .map(|(what, body)| (*what, request_id_of(body)))
        .collect();
    let events = audit_events(&p.h, &ids).await;
    for (what, id) in &ids {
        assert!(
            events.iter().any(|e| carries(e, id)),
            "{what}: no audit event has requestParameters.requestMetadata.kmsRequestId {id}"
        );
    }

    let text: String = events.iter().map(Value::to_string).collect();
    let encoded = b64(secret);
    assert!(!text.contains(std::str::from_utf8(secret).unwrap()));
    assert!(!text.contains(&encoded));
    for file in files_under(&p.h.data_dir()) {
        assert!(!file_contains(&file, secret), "{}", file.display());
        assert!(
            !file_contains(&file, encoded.as_bytes()),
            "{}",
            file.display()
        );
    }
}

// The proxy under test.

struct Proxy {
    h: Harness,
    xks: Xks,
    /// The CA that the mutual-TLS server trusts for client certificates.
    kms_ca: CertifiedIssuer<'static, KeyPair>,
    /// The Trent key behind `alias/xks-state` (external key `state-key`).
    state_key: String,
    _files: TempDir,
}

impl Proxy {
    /// A server with [`STORES`] (and, with `mutual_tls`, a client CA and subject), and the
    /// Trent keys the stores name created after it started.
    async fn start(mutual_tls: bool) -> Proxy {
        let files = tempfile::tempdir().unwrap();
        let dir = files.path();
        let server_ca = authority("Trent XKS conformance server CA");
        let (cert, key) = leaf(
            &server_ca,
            HOST,
            &[HOST],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        std::fs::write(
            dir.join("proxy.crt"),
            format!("{}\n{}", cert.pem(), server_ca.pem()),
        )
        .unwrap();
        std::fs::write(dir.join("proxy.key"), key.serialize_pem()).unwrap();
        let kms_ca = authority("Stand-in for Amazon Trust Services");
        std::fs::write(dir.join("kms-ca.pem"), kms_ca.pem()).unwrap();
        let config = dir.join("trent.toml");
        std::fs::write(&config, config_toml(dir, mutual_tls)).unwrap();
        let h = Harness::start_with(|o| {
            o.config = Some(config.clone());
            o.xks_listen = Some("127.0.0.1:0".parse().unwrap());
        })
        .await;
        let addr = h.server.xks_addr.expect("the XKS proxy listener is bound");
        aliased(&h, "alias/xks-conformance").await;
        let state_key = aliased(&h, "alias/xks-state").await;
        let xks = Xks::new(addr, server_ca.der());
        Proxy {
            h,
            xks,
            kms_ca,
            state_key,
            _files: files,
        }
    }
}

fn config_toml(dir: &Path, mutual_tls: bool) -> String {
    let file = |name: &str| dir.join(name).display().to_string();
    let mut out = format!(
        "[xks_proxy]\ncert_file = '{}'\nkey_file = '{}'\n",
        file("proxy.crt"),
        file("proxy.key")
    );
    if mutual_tls {
        out.push_str(&format!(
            "client_ca_file = '{}'\nclient_subject = '{KMS_SUBJECT}'\n",
            file("kms-ca.pem")
        ));
    }
    out.push_str(STORES);
    out
}

/// Creates a symmetric Trent key named `alias`; its key id.
async fn aliased(h: &Harness, alias: &str) -> String {
    let key = h.key().await;
    h.client()
        .create_alias()
        .alias_name(alias)
        .target_key_id(&key)
        .send()
        .await
        .unwrap();
    key
}

// Certificates.

fn client_identity(
    ca: &CertifiedIssuer<'static, KeyPair>,
    subject: &str,
) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let (cert, key) = leaf(ca, subject, &[], ExtendedKeyUsagePurpose::ClientAuth);
    (
        cert.der().clone(),
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
}

// The client: TLS, SigV4 and HTTP/1.1 by hand.

#[derive(Clone)]
struct Xks {
    addr: SocketAddr,
    /// `xks.trent.test:<port>`, the Host header and the signed host.
    host: String,
    roots: Arc<rustls::RootCertStore>,
    tls: Arc<rustls::ClientConfig>,
}

/// A SigV4 signer's inputs; [`A`] with fields replaced makes each wrong signature.
#[derive(Clone, Copy, Debug)]
struct Signer {
    akid: &'static str,
    secret: &'static str,
    region: &'static str,
    service: &'static str,
    /// Seconds added to the signing time (negative: in the past).
    skew_secs: i64,
    sign_host: bool,
    sign_content_type: bool,
}

const fn signer(akid: &'static str, secret: &'static str) -> Signer {
    Signer {
        akid,
        secret,
        region: "us-east-1",
        service: "kms-xks-proxy",
        skew_secs: 0,
        sign_host: true,
        sign_content_type: false,
    }
}

#[derive(Clone, Copy, Debug)]
enum Auth<'a> {
    Signed(Signer),
    /// A signature over this body instead of the one sent.
    SignedOver(Signer, &'a [u8]),
    /// An X-Amz-Date but no Authorization.
    Unsigned,
    /// This Authorization header, verbatim.
    Literal(&'a str),
}

impl Xks {
    fn new(addr: SocketAddr, ca: &CertificateDer<'static>) -> Xks {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.clone()).unwrap();
        let roots = Arc::new(roots);
        Xks {
            addr,
            host: format!("{HOST}:{}", addr.port()),
            tls: client_config(&roots, None),
            roots,
        }
    }

    /// The same client presenting `identity` (or no certificate) when asked for one.
    fn presenting(
        &self,
        identity: Option<(CertificateDer<'static>, PrivateKeyDer<'static>)>,
    ) -> Xks {
        Xks {
            tls: client_config(&self.roots, identity),
            ..self.clone()
        }
    }

    async fn post(&self, path: &str, body: &Value) -> Reply {
        self.post_as(A, path, body).await
    }

    async fn post_as(&self, who: Signer, path: &str, body: &Value) -> Reply {
        self.send("POST", path, &bytes(body), Auth::Signed(who))
            .await
    }

    async fn send(&self, method: &str, path: &str, body: &[u8], auth: Auth<'_>) -> Reply {
        self.try_send(method, path, body, auth)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    async fn try_send(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        auth: Auth<'_>,
    ) -> Result<Reply, String> {
        let request = self.request(method, path, body, auth);
        tokio::time::timeout(Duration::from_secs(30), self.exchange(&request))
            .await
            .unwrap_or_else(|_| Err("no answer in 30 s".to_owned()))
    }

    /// Encrypts under external key `key` of the conformance store; the checked answer.
    async fn seal(&self, key: &str, plaintext: &[u8], aad: Option<&[u8]>, cdiv: bool) -> Sealed {
        let reply = self
            .post(
                &key_path(PREFIX, key, "encrypt"),
                &encrypt_body(plaintext, aad, cdiv),
            )
            .await;
        checked_seal(&reply, plaintext.len(), aad, cdiv)
    }

    async fn decrypt(&self, key: &str, sealed: &Sealed, aad: Option<&[u8]>) -> Reply {
        self.post(
            &key_path(PREFIX, key, "decrypt"),
            &decrypt_body(sealed, aad),
        )
        .await
    }

    /// The plaintext of a decrypt that must succeed.
    async fn open(&self, key: &str, sealed: &Sealed, aad: Option<&[u8]>) -> Vec<u8> {
        let out = self.decrypt(key, sealed, aad).await.ok("decrypt");
        unb64(&out["plaintext"], "plaintext")
    }

    fn request(&self, method: &str, path: &str, body: &[u8], auth: Auth<'_>) -> Vec<u8> {
        let mut headers = vec![
            ("host".to_owned(), self.host.clone()),
            ("content-type".to_owned(), "application/json".to_owned()),
        ];
        let date = || {
            (
                "x-amz-date".to_owned(),
                trent_api::sigv4::format_amz_date(now_unix()),
            )
        };
        match auth {
            Auth::Signed(who) => headers.extend(self.signature(&who, method, path, body)),
            Auth::SignedOver(who, other) => {
                headers.extend(self.signature(&who, method, path, other));
            }
            Auth::Unsigned => headers.push(date()),
            Auth::Literal(value) => {
                headers.push(date());
                headers.push(("authorization".to_owned(), value.to_owned()));
            }
        }
        let mut head = format!("{method} {path} HTTP/1.1\r\n");
        for (name, value) in &headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        ));
        let mut out = head.into_bytes();
        out.extend_from_slice(body);
        out
    }

    /// The X-Amz-Date and Authorization headers the AWS SDK's signer makes, over `host`
    /// and `x-amz-date` (and `content-type` if asked), with no payload hash header.
    fn signature(
        &self,
        who: &Signer,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Vec<(String, String)> {
        let identity = Credentials::new(who.akid, who.secret, None, None, "xks-conformance").into();
        let mut settings = SigningSettings::default();
        if !who.sign_host {
            settings
                .excluded_headers
                .get_or_insert_with(Vec::new)
                .push(Cow::Borrowed("host"));
        }
        let skew = Duration::from_secs(who.skew_secs.unsigned_abs());
        let time = if who.skew_secs < 0 {
            SystemTime::now() - skew
        } else {
            SystemTime::now() + skew
        };
        let params: http_request::SigningParams<'_> = v4::SigningParams::builder()
            .identity(&identity)
            .region(who.region)
            .name(who.service)
            .time(time)
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let mut signed = vec![("host", self.host.as_str())];
        if who.sign_content_type {
            signed.push(("content-type", "application/json"));
        }
        let request = SignableRequest::new(
            method,
            format!("https://{}{path}", self.host),
            signed.into_iter(),
            SignableBody::Bytes(body),
        )
        .unwrap();
        let (instructions, _signature) = http_request::sign(request, &params).unwrap().into_parts();
        instructions
            .headers()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect()
    }

    async fn exchange(&self, request: &[u8]) -> Result<Reply, String> {
        let tcp = tokio::net::TcpStream::connect(self.addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let server = ServerName::try_from(HOST).map_err(|e| e.to_string())?;
        let mut tls = tokio_rustls::TlsConnector::from(self.tls.clone())
            .connect(server, tcp)
            .await
            .map_err(|e| format!("TLS handshake: {e}"))?;
        tls.write_all(request)
            .await
            .map_err(|e| format!("write: {e}"))?;
        tls.flush().await.map_err(|e| format!("flush: {e}"))?;
        let mut buf = Vec::new();
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            if let Some(reply) = parse(&buf, false) {
                return Ok(reply);
            }
            match tls.read(&mut chunk).await {
                Ok(0) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) if buf.is_empty() => return Err(format!("read: {e}")),
                // A peer that closes without close_notify; what arrived may be whole.
                Err(_) => break,
            }
        }
        parse(&buf, true).ok_or_else(|| {
            format!(
                "no complete HTTP response: {:?}",
                String::from_utf8_lossy(&buf)
            )
        })
    }
}

fn client_config(
    roots: &Arc<rustls::RootCertStore>,
    identity: Option<(CertificateDer<'static>, PrivateKeyDer<'static>)>,
) -> Arc<rustls::ClientConfig> {
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots.clone());
    Arc::new(match identity {
        Some((cert, key)) => builder.with_client_auth_cert(vec![cert], key).unwrap(),
        None => builder.with_no_client_auth(),
    })
}

#[derive(Debug)]
struct Reply {
    status: u16,
    /// Names lower-cased.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        format!("{} {}", self.status, String::from_utf8_lossy(&self.body))
    }

    /// The body, which the spec requires to be JSON sent as `application/json`.
    fn json(&self, what: &str) -> Value {
        let content_type = self.header("content-type").unwrap_or("");
        assert!(
            content_type.starts_with("application/json"),
            "{what}: Content-Type {content_type:?}: {}",
            self.text()
        );
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}", self.text()))
    }

    fn ok(&self, what: &str) -> Value {
        assert_eq!(self.status, 200, "{what}: {}", self.text());
        self.json(what)
    }

    /// Checks an error answer: its status, an `errorName` among `names`, and an
    /// `errorMessage`, if any, of fewer than 512 printable ASCII characters.
    fn error(&self, what: &str, status: u16, names: &[&str]) {
        assert_eq!(self.status, status, "{what}: {}", self.text());
        let body = self.json(what);
        let name = body["errorName"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: no errorName: {body}"));
        assert!(
            names.contains(&name),
            "{what}: {name}, expected one of {names:?}: {body}"
        );
        if let Some(message) = body.get("errorMessage") {
            let message = message
                .as_str()
                .unwrap_or_else(|| panic!("{what}: errorMessage is not a string: {body}"));
            assert!(
                message.len() < 512 && message.bytes().all(|b| (0x20..=0x7e).contains(&b)),
                "{what}: errorMessage must be under 512 printable ASCII characters: {message:?}"
            );
        }
    }
}

/// An HTTP/1.1 response in `buf`, once it is complete (or, at `eof`, whatever arrived).
fn parse(buf: &[u8], eof: bool) -> Option<Reply> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let rest = &buf[end + 4..];
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let value = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let body = if value("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        dechunk(rest)?
    } else if let Some(length) = value("content-length").and_then(|v| v.parse::<usize>().ok()) {
        rest.get(..length)?.to_vec()
    } else if eof {
        rest.to_vec()
    } else {
        return None;
    };
    Some(Reply {
        status,
        headers,
        body,
    })
}

/// A chunked body, once its last chunk has arrived.
fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let line = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(line.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

// Requests.

fn health_path(prefix: &str) -> String {
    format!("{prefix}/kms/xks/v1/health")
}

fn key_path(prefix: &str, external_key_id: &str, operation: &str) -> String {
    format!("{prefix}/kms/xks/v1/keys/{external_key_id}/{operation}")
}

fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn request_id_of(body: &Value) -> String {
    body["requestMetadata"]["kmsRequestId"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A full requestMetadata: Alice, through KMS key [`KMS_KEY_ARN`].
fn metadata_for(operation: &str) -> Value {
    json!({
        "awsPrincipalArn": ALICE,
        "kmsKeyArn": KMS_KEY_ARN,
        "kmsOperation": operation,
        "kmsRequestId": request_id(),
    })
}

/// What a GetHealthStatus request carries: only kmsRequestId and kmsOperation.
fn health_body(operation: &str) -> Value {
    json!({"requestMetadata": {"kmsRequestId": request_id(), "kmsOperation": operation}})
}

fn metadata_body(operation: &str) -> Value {
    json!({"requestMetadata": metadata_for(operation)})
}

fn encrypt_body(plaintext: &[u8], aad: Option<&[u8]>, cdiv: bool) -> Value {
    let mut body = json!({
        "requestMetadata": metadata_for("Encrypt"),
        "plaintext": b64(plaintext),
        "encryptionAlgorithm": "AES_GCM",
    });
    if let Some(aad) = aad {
        body["additionalAuthenticatedData"] = json!(b64(aad));
    }
    if cdiv {
        body["ciphertextDataIntegrityValueAlgorithm"] = json!("SHA_256");
    }
    body
}

fn decrypt_body(sealed: &Sealed, aad: Option<&[u8]>) -> Value {
    let mut body = json!({
        "requestMetadata": metadata_for("Decrypt"),
        "ciphertext": b64(&sealed.ciphertext),
        "encryptionAlgorithm": "AES_GCM",
        "initializationVector": b64(&sealed.iv),
        "authenticationTag": b64(&sealed.tag),
    });
    if let Some(metadata) = &sealed.metadata {
        body["ciphertextMetadata"] = json!(b64(metadata));
    }
    if let Some(aad) = aad {
        body["additionalAuthenticatedData"] = json!(b64(aad));
    }
    body
}

/// `body` with the member at JSON pointer `pointer` set to `value`, or removed.
fn edited(body: &Value, pointer: &str, value: Option<Value>) -> Value {
    let mut out = body.clone();
    let (parent, member) = pointer.rsplit_once('/').unwrap();
    let object = out
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("{pointer} in {body}"));
    match value {
        Some(value) => {
            object.insert(member.to_owned(), value);
        }
        None => {
            object.remove(member);
        }
    }
    out
}

/// `body` with the optional requestMetadata members and some KMS may add later (Appendix B).
fn with_more_metadata(body: &Value) -> Value {
    let mut out = body.clone();
    let metadata = out["requestMetadata"].as_object_mut().unwrap();
    let more = json!({
        "awsSourceVpc": "vpc-0123456789abcdef0",
        "awsSourceVpce": "vpce-0123456789abcdef0",
        "kmsViaService": "ebs",
        "kmsRecipientAttestationImageSha384": "a".repeat(96),
        "sourceIdentity": "alice@example.com",
        "principalTags": {"team": "storage"},
    });
    for (name, value) in more.as_object().unwrap() {
        metadata.insert(name.clone(), value.clone());
    }
    out
}

fn padded(prefix: &str, length: usize) -> String {
    format!("{prefix}{}", "a".repeat(length - prefix.len()))
}

// Answers.

#[derive(Clone, Debug)]
struct Sealed {
    ciphertext: Vec<u8>,
    iv: Vec<u8>,
    tag: Vec<u8>,
    metadata: Option<Vec<u8>>,
    cdiv: Option<Vec<u8>>,
}

/// Well-formed fields that no key sealed.
fn fake_sealed() -> Sealed {
    Sealed {
        ciphertext: random(16),
        iv: random(12),
        tag: random(16),
        metadata: None,
        cdiv: None,
    }
}

/// An encrypt answer, checked against the spec: a ciphertext as long as the plaintext, a
/// 12- or 16-byte IV, a 16-byte tag, at most 20 bytes of metadata, and a CDIV exactly when
/// one was asked for, equal to SHA-256(AAD || metadata || IV || ciphertext || tag).
fn checked_seal(
    reply: &Reply,
    plaintext_len: usize,
    aad: Option<&[u8]>,
    cdiv_requested: bool,
) -> Sealed {
    let body = reply.ok("encrypt");
    let field = |name: &str| {
        body.get(name)
            .filter(|v| !v.is_null())
            .map(|v| unb64(v, name))
    };
    let sealed = Sealed {
        ciphertext: field("ciphertext").unwrap_or_else(|| panic!("no ciphertext: {body}")),
        iv: field("initializationVector")
            .unwrap_or_else(|| panic!("no initializationVector: {body}")),
        tag: field("authenticationTag").unwrap_or_else(|| panic!("no authenticationTag: {body}")),
        metadata: field("ciphertextMetadata"),
        cdiv: field("ciphertextDataIntegrityValue"),
    };
    assert_eq!(sealed.ciphertext.len(), plaintext_len, "{body}");
    assert!([12, 16].contains(&sealed.iv.len()), "{body}");
    assert_eq!(sealed.tag.len(), 16, "{body}");
    if let Some(metadata) = &sealed.metadata {
        assert!(metadata.len() <= 20, "{body}");
    }
    assert_eq!(
        sealed.cdiv.is_some(),
        cdiv_requested,
        "ciphertextDataIntegrityValue iff asked for: {body}"
    );
    if let Some(cdiv) = &sealed.cdiv {
        assert_eq!(cdiv, &integrity_value(aad, &sealed), "the CDIV: {body}");
    }
    sealed
}

fn integrity_value(aad: Option<&[u8]>, sealed: &Sealed) -> Vec<u8> {
    let mut data = aad.unwrap_or_default().to_vec();
    data.extend_from_slice(sealed.metadata.as_deref().unwrap_or_default());
    data.extend_from_slice(&sealed.iv);
    data.extend_from_slice(&sealed.ciphertext);
    data.extend_from_slice(&sealed.tag);
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &data)
        .as_ref()
        .to_vec()
}

/// Each way of changing what was sealed (and the AAD it was sealed with) that decrypt must
/// detect.
fn tamperings(sealed: &Sealed, aad: Option<&[u8]>) -> Vec<(&'static str, Sealed, Option<Vec<u8>>)> {
    let aad = aad.map(<[u8]>::to_vec);
    let mut out = Vec::new();
    let mut t = sealed.clone();
    flip(&mut t.ciphertext);
    out.push(("a bit of the ciphertext flipped", t, aad.clone()));
    let mut t = sealed.clone();
    t.ciphertext.push(0);
    out.push(("a byte appended to the ciphertext", t, aad.clone()));
    let mut t = sealed.clone();
    flip(&mut t.tag);
    out.push(("a bit of the tag flipped", t, aad.clone()));
    let mut t = sealed.clone();
    flip(&mut t.iv);
    out.push(("a bit of the IV flipped", t, aad.clone()));
    match &aad {
        Some(given) => {
            let mut changed = given.clone();
            flip(&mut changed);
            out.push(("a bit of the AAD flipped", sealed.clone(), Some(changed)));
            out.push(("the AAD dropped", sealed.clone(), None));
        }
        None => out.push(("AAD added", sealed.clone(), Some(b"extra".to_vec()))),
    }
    match &sealed.metadata {
        Some(metadata) => {
            let mut t = sealed.clone();
            if let Some(m) = t.metadata.as_mut() {
                flip(m);
            }
            out.push(("a bit of the ciphertextMetadata flipped", t, aad.clone()));
            let mut t = sealed.clone();
            t.metadata = None;
            out.push(("the ciphertextMetadata dropped", t.clone(), aad.clone()));
            if aad.is_none() {
                out.push((
                    "the ciphertextMetadata passed as AAD instead",
                    t,
                    Some(metadata.clone()),
                ));
            }
        }
        None => {
            let mut t = sealed.clone();
            t.metadata = Some(vec![1]);
            out.push(("a ciphertextMetadata added", t, aad.clone()));
        }
    }
    out
}

fn flip(bytes: &mut Vec<u8>) {
    match bytes.first_mut() {
        Some(first) => *first ^= 0x01,
        None => bytes.push(0x01),
    }
}

/// The keyUsage of a GetKeyMetadata answer, whose keySpec must be AES_256.
fn usages(md: &Value) -> Vec<&str> {
    assert_eq!(md["keySpec"], "AES_256", "{md}");
    let usages: Vec<&str> = md["keyUsage"]
        .as_array()
        .unwrap_or_else(|| panic!("keyUsage: {md}"))
        .iter()
        .map(|u| u.as_str().unwrap_or_else(|| panic!("keyUsage: {md}")))
        .collect();
    assert!(usages.len() <= 10, "{md}");
    usages
}

fn check_health(health: &Value) {
    assert!(
        health["xksProxyFleetSize"].as_u64().is_some_and(|n| n > 0),
        "xksProxyFleetSize: {health}"
    );
    for member in ["xksProxyVendor", "xksProxyModel", "ekmVendor"] {
        assert!(
            health[member].as_str().is_some_and(|s| !s.is_empty()),
            "{member}: {health}"
        );
    }
    let fleet = health["ekmFleetDetails"]
        .as_array()
        .unwrap_or_else(|| panic!("ekmFleetDetails: {health}"));
    assert!((1..=10).contains(&fleet.len()), "{health}");
    for ekm in fleet {
        for member in ["id", "model"] {
            assert!(
                ekm[member].as_str().is_some_and(|s| !s.is_empty()),
                "ekmFleetDetails {member}: {health}"
            );
        }
        assert!(
            ["ACTIVE", "DEGRADED", "UNAVAILABLE"]
                .contains(&ekm["healthStatus"].as_str().unwrap_or("")),
            "healthStatus: {health}"
        );
    }
}

// The audit trail.

fn carries(event: &Value, request_id: &str) -> bool {
    event["requestParameters"]["requestMetadata"]["kmsRequestId"] == request_id
}

/// The whole trail, once it holds an event for each of `ids` (or after five seconds).
async fn audit_events(h: &Harness, ids: &[(&str, String)]) -> Vec<Value> {
    for _ in 0..50 {
        let events = all_events(h).await;
        if ids
            .iter()
            .all(|(_, id)| events.iter().any(|e| carries(e, id)))
        {
            return events;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    all_events(h).await
}

async fn all_events(h: &Harness) -> Vec<Value> {
    trent_server::audit::search(
        h.server.kms.store().as_ref(),
        &trent_server::audit::Filter::default(),
        usize::MAX,
    )
    .await
    .unwrap()
    .into_iter()
    .map(|(_, e)| e)
    .collect()
}

// Encodings.

fn bytes(body: &Value) -> Vec<u8> {
    serde_json::to_vec(body).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// A standard (padded, not URL-safe) Base64 string's bytes, as the spec requires.
fn unb64(value: &Value, what: &str) -> Vec<u8> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("{what}: not a string: {value}"));
    STANDARD
        .decode(text)
        .unwrap_or_else(|e| panic!("{what}: not standard Base64 ({e}): {text}"))
}

fn random(n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    aws_lc_rs::rand::fill(&mut out).unwrap();
    out
}
