//! Building one CloudTrail-format event from a finished request: who (userIdentity), what
//! (eventName, redacted requestParameters and responseElements), on what (resources), with
//! which outcome (errorCode, errorMessage) and why (the authorization decisions, in
//! additionalEventData), written straight to its JSON text.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;
use trent_core::model::{AuditNote, Principal, PrincipalKind, Region, UnixMillis};

/// A member of a JSON value by path; `Null` where there is none (never panics).
pub fn field<'a>(value: &'a serde_json::Value, path: &[&str]) -> &'a serde_json::Value {
    static NULL: serde_json::Value = serde_json::Value::Null;
    path.iter()
        .try_fold(value, |v, k| v.get(*k))
        .unwrap_or(&NULL)
}

/// What the dispatcher learned about a request as it went.
#[derive(Debug, Default)]
pub struct Facts {
    pub principal: Option<Principal>,
    /// The access key id the request was signed with, even when it was not recognized.
    pub access_key_id: Option<String>,
    pub region: Option<Region>,
    pub operation: Option<String>,
    /// Whether the operation changes nothing, from its protocol's table (`None`: an
    /// operation no table knows, judged by its name).
    pub read_only: Option<bool>,
    /// The request's parameters as the event records them: already redacted.
    pub request_parameters: Option<Value>,
    pub notes: Vec<AuditNote>,
}

/// The event source of a request's service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Kms,
    Sts,
    Admin,
    CloudTrail,
    /// The web console's own actions (its overview, audit search and verification).
    Console,
    /// Console sign-in (`ConsoleLogin`).
    Signin,
    /// Trent as an external key store proxy (ADR 0020).
    XksProxy,
}

impl Source {
    fn name(self) -> &'static str {
        match self {
            Source::Kms => "kms.amazonaws.com",
            Source::Sts => "sts.amazonaws.com",
            Source::Admin => "iam.amazonaws.com",
            Source::CloudTrail => "cloudtrail.amazonaws.com",
            Source::Console => "console.trent.local",
            Source::Signin => "signin.amazonaws.com",
            Source::XksProxy => "xks-proxy.trent.local",
        }
    }
}

/// Whether an operation no table knows changes nothing (CloudTrail's `readOnly`), by its name.
fn read_only(operation: &str) -> bool {
    const WRITES: &[&str] = &[
        "Create",
        "Delete",
        "Update",
        "Put",
        "Enable",
        "Disable",
        "Schedule",
        "Cancel",
        "Tag",
        "Untag",
        "Import",
        "Replicate",
        "Revoke",
        "Retire",
        "Rotate",
        "Assume",
    ];
    !WRITES.iter().any(|w| operation.starts_with(w))
}

/// A string of an event, cut to its longest (`...` at the end when cut) as it is written.
#[derive(Clone, Debug)]
pub struct Text<'a> {
    text: Cow<'a, str>,
    max: usize,
}

impl<'a> Text<'a> {
    /// `text`, to be cut to [`MAX_STRING`] characters.
    pub fn new(text: impl Into<Cow<'a, str>>) -> Text<'a> {
        Text::at_most(text, MAX_STRING)
    }

    fn at_most(text: impl Into<Cow<'a, str>>, max: usize) -> Text<'a> {
        Text {
            text: text.into(),
            max,
        }
    }

    /// The text as the event records it.
    fn recorded(&self) -> Cow<'_, str> {
        let text = self.text.as_ref();
        if text.len() <= self.max || text.chars().count() <= self.max {
            Cow::Borrowed(text)
        } else {
            let mut cut = text.to_owned();
            truncate(&mut cut, self.max);
            Cow::Owned(cut)
        }
    }
}

impl Serialize for Text<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.recorded())
    }
}

/// Who made a call (`userIdentity`), with CloudTrail's members for each kind.
#[derive(Debug, Serialize)]
pub struct Identity<'a> {
    /// Always present (`null` when the request named none).
    #[serde(rename = "accessKeyId")]
    access_key_id: Option<Text<'a>>,
    #[serde(rename = "accountId", skip_serializing_if = "Option::is_none")]
    account_id: Option<Text<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    arn: Option<Text<'a>>,
    /// The XKS proxy's key store (its path prefix); `null` when none was named.
    #[serde(rename = "keyStore", skip_serializing_if = "Option::is_none")]
    key_store: Option<Option<Text<'a>>>,
    #[serde(rename = "principalId", skip_serializing_if = "Option::is_none")]
    principal_id: Option<Text<'a>>,
    #[serde(rename = "sessionContext", skip_serializing_if = "Option::is_none")]
    session_context: Option<SessionContext<'a>>,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "userName", skip_serializing_if = "Option::is_none")]
    user_name: Option<Text<'a>>,
}

#[derive(Debug, Serialize)]
struct SessionContext<'a> {
    attributes: Attributes,
    #[serde(rename = "sessionIssuer")]
    session_issuer: SessionIssuer<'a>,
}

#[derive(Debug, Serialize)]
struct Attributes {
    #[serde(rename = "mfaAuthenticated")]
    mfa_authenticated: &'static str,
}

#[derive(Debug, Serialize)]
struct SessionIssuer<'a> {
    #[serde(rename = "accountId")]
    account_id: Text<'a>,
    arn: Option<Text<'a>>,
    #[serde(rename = "principalId")]
    principal_id: Text<'a>,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "userName")]
    user_name: Text<'a>,
}

impl<'a> Identity<'a> {
    fn unknown(access_key_id: Option<&'a str>) -> Identity<'a> {
        Identity {
            access_key_id: access_key_id.map(Text::new),
            account_id: None,
            arn: None,
            key_store: None,
            principal_id: None,
            session_context: None,
            kind: "Unknown",
            user_name: None,
        }
    }

    /// An XKS proxy credential of a key store (ADR 0020).
    pub fn xks_proxy_credential(
        access_key_id: Option<&'a str>,
        key_store: Option<&'a str>,
    ) -> Identity<'a> {
        Identity {
            key_store: Some(key_store.map(Text::new)),
            kind: "XksProxyCredential",
            ..Identity::unknown(access_key_id)
        }
    }

    fn of(facts: &'a Facts) -> Identity<'a> {
        let Some(p) = &facts.principal else {
            return Identity::unknown(facts.access_key_id.as_deref());
        };
        let account = p.account.as_str();
        let known = |kind| Identity {
            access_key_id: p.access_key_id.as_deref().map(Text::new),
            account_id: Some(Text::new(account)),
            arn: Some(Text::new(p.arn.as_str())),
            key_store: None,
            principal_id: Some(Text::new(p.user_id.as_str())),
            session_context: None,
            kind,
            user_name: None,
        };
        match &p.kind {
            PrincipalKind::Root => known("Root"),
            PrincipalKind::User { name } => Identity {
                user_name: Some(Text::new(name.as_str())),
                ..known("IAMUser")
            },
            PrincipalKind::AssumedRole { role_name, .. } => Identity {
                session_context: Some(SessionContext {
                    attributes: Attributes {
                        mfa_authenticated: "false",
                    },
                    session_issuer: SessionIssuer {
                        account_id: Text::new(account),
                        arn: p.role_arn().map(Text::new),
                        principal_id: Text::new(p.user_id.split(':').next().unwrap_or_default()),
                        kind: "Role",
                        user_name: Text::new(role_name.as_str()),
                    },
                }),
                ..known("AssumedRole")
            },
        }
    }
}

/// A key the call used.
#[derive(Debug, Serialize)]
struct Resource<'a> {
    #[serde(rename = "ARN")]
    arn: Text<'a>,
    #[serde(rename = "accountId")]
    account_id: Text<'a>,
    #[serde(rename = "type")]
    kind: &'static str,
}

impl<'a> Resource<'a> {
    fn key(arn: &'a str) -> Resource<'a> {
        Resource {
            arn: Text::new(arn),
            account_id: Text::new(arn.split(':').nth(4).unwrap_or_default()),
            kind: "AWS::KMS::Key",
        }
    }
}

#[derive(Debug, Serialize)]
struct Additional<'a> {
    authorization: Vec<Decision<'a>>,
}

/// Which statement or grant decided one key's authorization.
#[derive(Debug, Serialize)]
struct Decision<'a> {
    decision: Text<'a>,
    resource: Text<'a>,
}

/// One CloudTrail-format event, borrowed from the request it records and written straight to
/// its JSON text: no `serde_json::Value` is built. Its members are declared in sorted order,
/// so the text is the one a `Value` of the same event would write (and
/// `events_are_written_in_canonical_order` holds it to that). Every string is cut to its
/// longest as it is written, so that a client cannot make one event large.
#[derive(Debug, Serialize)]
pub struct Event<'a> {
    #[serde(rename = "additionalEventData")]
    additional_event_data: Additional<'a>,
    #[serde(rename = "awsRegion")]
    aws_region: Text<'a>,
    #[serde(rename = "errorCode", skip_serializing_if = "Option::is_none")]
    error_code: Option<Text<'a>>,
    #[serde(rename = "errorMessage", skip_serializing_if = "Option::is_none")]
    error_message: Option<Text<'a>>,
    #[serde(rename = "eventCategory")]
    event_category: &'static str,
    #[serde(rename = "eventID")]
    event_id: String,
    #[serde(rename = "eventName")]
    event_name: Text<'a>,
    #[serde(rename = "eventSource")]
    event_source: &'static str,
    #[serde(rename = "eventTime")]
    event_time: String,
    /// `AwsApiCall`, or `AwsConsoleSignIn` for a console sign-in.
    #[serde(rename = "eventType")]
    pub event_type: &'static str,
    #[serde(rename = "eventVersion")]
    event_version: &'static str,
    #[serde(rename = "managementEvent")]
    management_event: bool,
    #[serde(rename = "readOnly")]
    read_only: bool,
    #[serde(rename = "recipientAccountId")]
    pub recipient_account_id: Option<Text<'a>>,
    #[serde(rename = "requestID")]
    request_id: Text<'a>,
    #[serde(rename = "requestParameters")]
    request_parameters: Option<&'a Value>,
    #[serde(
        rename = "requestParametersOmitted",
        skip_serializing_if = "Option::is_none"
    )]
    request_parameters_omitted: Option<String>,
    resources: Vec<Resource<'a>>,
    /// What a management call answered, redacted (`null` for the others).
    #[serde(rename = "responseElements")]
    pub response_elements: Value,
    #[serde(rename = "sourceIPAddress")]
    source_ip_address: Text<'a>,
    #[serde(rename = "userAgent")]
    user_agent: Text<'a>,
    #[serde(rename = "userIdentity")]
    pub user_identity: Identity<'a>,
}

/// The number of bytes a value's JSON text takes, counted without writing it anywhere.
fn json_len(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    match serde_json::to_writer(&mut count, value) {
        Ok(()) => count.0,
        Err(_) => usize::MAX,
    }
}

/// The event of one request. `response` is the response body on success; `error` the
/// `(__type, message)` on failure.
#[allow(clippy::too_many_arguments)]
pub fn build<'a>(
    source: Source,
    facts: &'a Facts,
    target: &'a str,
    request_id: &'a str,
    source_ip: &'a str,
    user_agent: &'a str,
    now: UnixMillis,
    response: Option<&'a Value>,
    error: Option<(&'a str, &'a str)>,
) -> Event<'a> {
    let operation = facts
        .operation
        .as_deref()
        .unwrap_or_else(|| target.rsplit('.').next().unwrap_or(target));
    let read_only = facts.read_only.unwrap_or_else(|| read_only(operation));
    // Cryptographic results are never recorded; management results are, redacted.
    let response_elements = match (source, response) {
        (Source::Kms, Some(v)) if !read_only => trent_api::model::redact_response(operation, v),
        _ => Value::Null,
    };
    let mut resources: Vec<Resource<'a>> = Vec::new();
    for note in &facts.notes {
        if !resources.iter().any(|r| r.arn.text == note.resource) {
            resources.push(Resource::key(&note.resource));
        }
    }
    // A created key is the event's resource, as in CloudTrail's CreateKey events (no
    // authorization names it: the key did not exist yet).
    if let (Source::Kms, Some(arn)) = (
        source,
        response.and_then(|r| field(r, &["KeyMetadata", "Arn"]).as_str()),
    ) && operation == "CreateKey"
    {
        resources.push(Resource::key(arn));
    }
    let decisions = facts
        .notes
        .iter()
        .map(|n| Decision {
            decision: Text::new(n.decision.as_str()),
            resource: Text::new(n.resource.as_str()),
        })
        .collect();
    // Request parameters over CloudTrail's limit are left out, and the event says so.
    let (request_parameters, request_parameters_omitted) = match &facts.request_parameters {
        Some(params) if json_len(params) > MAX_REQUEST_PARAMETERS => (
            None,
            Some(format!("larger than {MAX_REQUEST_PARAMETERS} bytes")),
        ),
        params => (params.as_ref(), None),
    };
    Event {
        additional_event_data: Additional {
            authorization: decisions,
        },
        aws_region: Text::new(
            facts
                .region
                .as_ref()
                .map(Region::as_str)
                .unwrap_or("us-east-1"),
        ),
        error_code: error.map(|(code, _)| Text::new(code)),
        error_message: error.map(|(_, message)| Text::at_most(message, MAX_TEXT)),
        event_category: "Management",
        event_id: uuid::Uuid::new_v4().to_string(),
        event_name: Text::at_most(operation, MAX_EVENT_NAME),
        event_source: source.name(),
        event_time: crate::audit::event_time(now),
        event_type: "AwsApiCall",
        event_version: "1.08",
        management_event: true,
        read_only,
        recipient_account_id: facts
            .principal
            .as_ref()
            .map(|p| Text::new(p.account.as_str())),
        request_id: Text::new(request_id),
        request_parameters,
        request_parameters_omitted,
        resources,
        response_elements,
        source_ip_address: Text::new(source_ip),
        user_agent: Text::at_most(user_agent, MAX_TEXT),
        user_identity: Identity::of(facts),
    }
}

/// An event as the audit writer appends it: its JSON text, with the fields lookups select by.
pub fn entry(event: &Event<'_>) -> trent_core::model::AuditEntry {
    let mut text = Vec::with_capacity(2048);
    // Writing to a `Vec` fails only for a map with non-string keys, which no event has.
    if serde_json::to_writer(&mut text, event).is_err() {
        text.clear();
        text.extend_from_slice(b"{}");
    }
    trent_core::model::AuditEntry {
        event: String::from_utf8(text).unwrap_or_default(),
        account: event
            .recipient_account_id
            .as_ref()
            .map(|a| a.recorded().into_owned()),
        event_name: event.event_name.recorded().into_owned(),
        key_ids: event
            .resources
            .iter()
            .filter_map(|r| {
                r.arn
                    .recorded()
                    .split_once(":key/")
                    .map(|(_, id)| id.to_owned())
            })
            .collect(),
    }
}

/// The entry of an event held as a `Value` (the summary of throttled calls).
pub fn entry_of_value(event: &Value) -> trent_core::model::AuditEntry {
    let text = |path: &[&str]| field(event, path).as_str().map(str::to_owned);
    let key_ids = field(event, &["resources"])
        .as_array()
        .map(|resources| {
            resources
                .iter()
                .filter_map(|r| field(r, &["ARN"]).as_str())
                .filter_map(|arn| arn.split_once(":key/").map(|(_, id)| id.to_owned()))
                .collect()
        })
        .unwrap_or_default();
    trent_core::model::AuditEntry {
        event: event.to_string(),
        account: text(&["recipientAccountId"]),
        event_name: text(&["eventName"]).unwrap_or_default(),
        key_ids,
    }
}

/// The longest `requestParameters`, serialized; larger ones are left out, as CloudTrail
/// leaves out request parameters over 100 KB.
pub const MAX_REQUEST_PARAMETERS: usize = 100 * 1024;
/// The longest `userAgent` and `errorMessage`, in characters.
pub const MAX_TEXT: usize = 1024;
/// The longest `eventName`, in characters (KMS's longest operation name has 36).
pub const MAX_EVENT_NAME: usize = 128;
/// The longest of any other string in an event, outside `requestParameters` and
/// `responseElements`.
pub const MAX_STRING: usize = 2048;

/// Cuts `text` to `max` characters, ending in `...` when cut.
fn truncate(text: &mut String, max: usize) {
    if text.len() <= max || text.chars().count() <= max {
        return;
    }
    let mut cut: String = text.chars().take(max.saturating_sub(3)).collect();
    cut.push_str("...");
    *text = cut;
}

/// STS and admin parameters: secrets and policy documents left out.
pub fn redact_admin(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| {
                    let k = k.to_ascii_lowercase();
                    !(k.contains("secret") || k.contains("token") || k.contains("password"))
                })
                .map(|(k, v)| (k.clone(), redact_admin(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact_admin).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use trent_core::model::AccountId;

    fn account() -> AccountId {
        AccountId::parse("111122223333").unwrap()
    }

    fn principal(kind: PrincipalKind, arn: &str, user_id: &str) -> Principal {
        let mut p = Principal::root(account());
        p.kind = kind;
        p.arn = arn.to_owned();
        p.user_id = user_id.to_owned();
        p.access_key_id = Some("AKIDEXAMPLE".to_owned());
        p
    }

    /// A session of role `ops`.
    fn assumed_role() -> Principal {
        principal(
            PrincipalKind::AssumedRole {
                role_name: "ops".to_owned(),
                session_name: "s".to_owned(),
            },
            "arn:aws:sts::111122223333:assumed-role/ops/s",
            "AROAEXAMPLE:s",
        )
    }

    const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn text(event: &Event<'_>) -> String {
        entry(event).event
    }

    /// The text re-parsed: what a reader of the trail sees.
    fn parsed(event: &Event<'_>) -> Value {
        serde_json::from_str(&text(event)).unwrap()
    }

    #[test]
    fn events_are_written_in_canonical_order() {
        let facts = [
            Facts::default(),
            Facts {
                access_key_id: Some("AKIDUNKNOWN".to_owned()),
                ..Facts::default()
            },
            Facts {
                principal: Some(Principal::root(account())),
                operation: Some("Encrypt".to_owned()),
                request_parameters: Some(
                    json!({"keyId": "alias/a", "encryptionAlgorithm": "SYMMETRIC_DEFAULT"}),
                ),
                notes: vec![
                    AuditNote {
                        resource: KEY.to_owned(),
                        decision: "allowed by the key policy".to_owned(),
                    },
                    AuditNote {
                        resource: KEY.to_owned(),
                        decision: "again".to_owned(),
                    },
                ],
                ..Facts::default()
            },
            Facts {
                principal: Some(principal(
                    PrincipalKind::User {
                        name: "alice".to_owned(),
                    },
                    "arn:aws:iam::111122223333:user/alice",
                    "AIDAEXAMPLE",
                )),
                read_only: Some(false),
                ..Facts::default()
            },
            Facts {
                principal: Some(assumed_role()),
                ..Facts::default()
            },
        ];
        for (i, f) in facts.iter().enumerate() {
            for error in [
                None,
                Some(("NotFoundException", "Alias alias/a is not found.")),
            ] {
                let mut event = build(
                    Source::Kms,
                    f,
                    "TrentService.DescribeKey",
                    "req-1",
                    "127.0.0.1",
                    "aws-cli/2 \"quoted\" \u{e9}",
                    UnixMillis(1_767_225_600_000),
                    None,
                    error,
                );
                if i == 1 {
                    event.user_identity = Identity::xks_proxy_credential(Some("AKIDXKS"), None);
                }
                let written = text(&event);
                // The members are in the order a `Value` writes them: sorted, at every level.
                assert_eq!(
                    serde_json::to_string(&parsed(&event)).unwrap(),
                    written,
                    "facts {i}"
                );
                assert_eq!(parsed(&event)["errorCode"].as_str(), error.map(|e| e.0));
            }
        }
    }

    #[test]
    fn an_event_records_who_what_on_which_key_and_why() {
        let facts = Facts {
            principal: Some(assumed_role()),
            region: Some(Region::parse("eu-west-1").unwrap()),
            operation: Some("Encrypt".to_owned()),
            read_only: Some(true),
            request_parameters: Some(json!({"keyId": "alias/a"})),
            notes: vec![AuditNote {
                resource: KEY.to_owned(),
                decision: "allowed by grant g".to_owned(),
            }],
            ..Facts::default()
        };
        let event = build(
            Source::Kms,
            &facts,
            "TrentService.Encrypt",
            "req-1",
            "192.0.2.7",
            "aws-sdk-rust",
            UnixMillis(1_767_225_600_000),
            None,
            None,
        );
        let mut value = parsed(&event);
        assert!(value["eventID"].as_str().is_some_and(|id| id.len() == 36));
        value["eventID"] = json!("id");
        assert_eq!(
            value,
            json!({
                "additionalEventData": {"authorization": [
                    {"decision": "allowed by grant g", "resource": KEY},
                ]},
                "awsRegion": "eu-west-1",
                "eventCategory": "Management",
                "eventID": "id",
                "eventName": "Encrypt",
                "eventSource": "kms.amazonaws.com",
                "eventTime": "2026-01-01T00:00:00Z",
                "eventType": "AwsApiCall",
                "eventVersion": "1.08",
                "managementEvent": true,
                "readOnly": true,
                "recipientAccountId": "111122223333",
                "requestID": "req-1",
                "requestParameters": {"keyId": "alias/a"},
                "resources": [{"ARN": KEY, "accountId": "111122223333", "type": "AWS::KMS::Key"}],
                "responseElements": null,
                "sourceIPAddress": "192.0.2.7",
                "userAgent": "aws-sdk-rust",
                "userIdentity": {
                    "type": "AssumedRole",
                    "principalId": "AROAEXAMPLE:s",
                    "arn": "arn:aws:sts::111122223333:assumed-role/ops/s",
                    "accountId": "111122223333",
                    "accessKeyId": "AKIDEXAMPLE",
                    "sessionContext": {
                        "sessionIssuer": {
                            "type": "Role", "principalId": "AROAEXAMPLE",
                            "arn": "arn:aws:iam::111122223333:role/ops",
                            "accountId": "111122223333", "userName": "ops",
                        },
                        "attributes": {"mfaAuthenticated": "false"},
                    },
                },
            })
        );
        let entry = entry(&event);
        assert_eq!(entry.account.as_deref(), Some("111122223333"));
        assert_eq!(entry.event_name, "Encrypt");
        assert_eq!(entry.key_ids, ["1234abcd-12ab-34cd-56ef-1234567890ab"]);
    }

    #[test]
    fn events_are_bounded_whatever_the_request() {
        let facts = Facts {
            access_key_id: Some("a".repeat(10_000)),
            request_parameters: Some(json!({"keyId": "k".repeat(MAX_REQUEST_PARAMETERS)})),
            ..Facts::default()
        };
        let target = "n".repeat(500);
        let agent = "u".repeat(5000);
        let message = "m\u{e9}".repeat(5000);
        let event = build(
            Source::Kms,
            &facts,
            &target,
            "req",
            "127.0.0.1",
            &agent,
            UnixMillis(0),
            None,
            Some(("ValidationException", &message)),
        );
        let event = parsed(&event);
        let len = |v: &Value| v.as_str().unwrap().chars().count();
        assert_eq!(len(&event["userAgent"]), MAX_TEXT);
        assert_eq!(len(&event["errorMessage"]), MAX_TEXT);
        assert!(event["errorMessage"].as_str().unwrap().ends_with("..."));
        assert_eq!(len(&event["eventName"]), MAX_EVENT_NAME);
        assert_eq!(len(&event["userIdentity"]["accessKeyId"]), MAX_STRING);
        assert!(event["requestParameters"].is_null());
        assert_eq!(
            event["requestParametersOmitted"],
            "larger than 102400 bytes"
        );
        // Short values and small parameters are left alone.
        let small = Facts {
            request_parameters: Some(json!({"keyId": "k"})),
            ..Facts::default()
        };
        let event = parsed(&build(
            Source::Kms,
            &small,
            "TrentService.ListKeys",
            "req",
            "127.0.0.1",
            "aws-cli/2",
            UnixMillis(0),
            None,
            None,
        ));
        assert_eq!(event["userAgent"], "aws-cli/2");
        assert_eq!(event["requestParameters"], json!({"keyId": "k"}));
        assert!(event.get("requestParametersOmitted").is_none());
    }
}
