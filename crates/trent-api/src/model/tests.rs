//! Table-driven tests of the model-driven validator.

use serde_json::json;

use super::*;
use crate::error::ErrorCode;

fn message(op: &str, body: serde_json::Value) -> Option<(ErrorCode, String)> {
    validate(op, &body).err().map(|e| (e.code, e.message))
}

#[test]
fn model_has_every_operation() {
    assert_eq!(operation_names().len(), 56);
    assert!(is_known_operation("Encrypt"));
    assert!(!is_known_operation("Frobnicate"));
}

#[test]
fn every_pattern_in_the_model_compiles() {
    for shape in MODEL.shapes.values() {
        if let Some((source, _)) = &shape.pattern {
            assert!(!source.is_empty());
        }
    }
    let raw: Value = serde_json::from_str(MODEL_JSON).unwrap_or(Value::Null);
    let declared = raw["shapes"]
        .as_object()
        .map(|s| s.values().filter(|v| v.get("pattern").is_some()).count())
        .unwrap_or(0);
    let compiled = MODEL
        .shapes
        .values()
        .filter(|s| s.pattern.is_some())
        .count();
    assert_eq!(
        declared, compiled,
        "a pattern of the model failed to compile"
    );
}

#[test]
fn valid_requests_pass() {
    assert_eq!(
        message("Encrypt", json!({"KeyId": "alias/x", "Plaintext": "AQID"})),
        None
    );
    assert_eq!(message("ListKeys", json!({})), None);
    assert_eq!(
        message(
            "GenerateDataKey",
            json!({"KeyId": "k", "KeySpec": "AES_256"})
        ),
        None
    );
}

#[test]
fn validation_messages_follow_aws() {
    let cases = [
        (
            "Encrypt",
            json!({"Plaintext": "AQID"}),
            "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null",
        ),
        (
            "DescribeKey",
            json!({"KeyId": ""}),
            "1 validation error detected: Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
        (
            "GenerateRandom",
            json!({"NumberOfBytes": 2000}),
            "1 validation error detected: Value '2000' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
        ),
        (
            "GenerateDataKey",
            json!({"KeyId": "k", "KeySpec": "AES_512"}),
            "1 validation error detected: Value 'AES_512' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]",
        ),
        (
            "CreateAlias",
            json!({"AliasName": "alias/a b", "TargetKeyId": "k"}),
            "1 validation error detected: Value 'alias/a b' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
        ),
        (
            "Encrypt",
            json!({"KeyId": "k", "Plaintext": ""}),
            "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
        (
            "ScheduleKeyDeletion",
            json!({"KeyId": "k", "PendingWindowInDays": 0}),
            "1 validation error detected: Value '0' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 1",
        ),
    ];
    for (op, body, expected) in cases {
        assert_eq!(
            message(op, body.clone()),
            Some((ErrorCode::ValidationException, expected.to_owned())),
            "{op} {body}"
        );
    }
}

#[test]
fn several_errors_are_counted_and_joined() {
    let (code, msg) =
        message("Encrypt", json!({})).unwrap_or((ErrorCode::KMSInternalException, String::new()));
    assert_eq!(code, ErrorCode::ValidationException);
    assert!(
        msg.starts_with("2 validation errors detected: Value null at 'keyId'"),
        "{msg}"
    );
    assert!(msg.contains("; Value null at 'plaintext'"), "{msg}");
}

#[test]
fn nested_members_have_aws_paths() {
    let (_, msg) = message(
        "TagResource",
        json!({"KeyId": "k", "Tags": [{"TagKey": "", "TagValue": "v"}]}),
    )
    .unwrap_or((ErrorCode::KMSInternalException, String::new()));
    assert!(msg.contains("at 'tags.1.member.tagKey'"), "{msg}");
}

#[test]
fn wrong_json_types_are_serialization_errors() {
    for body in [
        json!({"KeyId": 5}),
        json!({"KeyId": "k", "Plaintext": "!!notbase64"}),
        json!({"KeyId": "k", "Plaintext": "AQID", "EncryptionContext": "x"}),
        json!({"KeyId": "k", "Plaintext": "AQID", "GrantTokens": "x"}),
        json!({"KeyId": "k", "Plaintext": "AQID", "DryRun": "yes"}),
    ] {
        assert_eq!(
            message("Encrypt", body.clone()).map(|m| m.0),
            Some(ErrorCode::SerializationException),
            "{body}"
        );
    }
}

/// Arbitrary JSON, nested a few levels, with the member names operations use.
fn arbitrary_json() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let names = prop_oneof![
        Just("KeyId".to_owned()),
        Just("Plaintext".to_owned()),
        Just("EncryptionContext".to_owned()),
        Just("GrantTokens".to_owned()),
        Just("Tags".to_owned()),
        Just("TagKey".to_owned()),
        Just("NumberOfBytes".to_owned()),
        Just("Limit".to_owned()),
        Just("Policy".to_owned()),
        ".{0,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        ".{0,40}".prop_map(Value::String),
        "[A-Za-z0-9+/]{0,40}={0,2}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            proptest::collection::btree_map(names.clone(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    #[test]
    fn validation_never_panics_on_any_json(value in arbitrary_json()) {
        for op in operation_names() {
            let _ = validate(op, &value);
        }
    }

    #[test]
    fn body_parsing_never_panics_on_any_bytes(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
        crate::fuzzing::request_json(&bytes);
    }
}

#[test]
fn audit_redaction_drops_blobs_and_sensitive_members() {
    let request = serde_json::json!({
        "KeyId": "alias/app",
        "Plaintext": "c2VjcmV0",
        "EncryptionContext": {"Purpose": "backup"},
        "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"
    });
    let redacted = super::redact_request("Encrypt", &request);
    assert_eq!(
        redacted,
        serde_json::json!({
            "keyId": "alias/app",
            "encryptionContext": {"Purpose": "backup"},
            "encryptionAlgorithm": "SYMMETRIC_DEFAULT"
        })
    );
    let response = serde_json::json!({
        "KeyId": "arn:aws:kms:us-east-1:111122223333:key/k",
        "Plaintext": "c2VjcmV0",
        "CiphertextBlob": "AAAA"
    });
    assert_eq!(
        super::redact_response("GenerateDataKey", &response),
        serde_json::json!({"keyId": "arn:aws:kms:us-east-1:111122223333:key/k"})
    );
    let pair = serde_json::json!({"PrivateKeyPlaintext": "AAAA", "PublicKey": "AAAA", "KeyPairSpec": "RSA_2048"});
    assert_eq!(
        super::redact_response("GenerateDataKeyPair", &pair),
        serde_json::json!({"keyPairSpec": "RSA_2048"})
    );
}
