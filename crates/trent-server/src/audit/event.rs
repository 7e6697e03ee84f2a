//! Building one CloudTrail-format event from a finished request: who (userIdentity), what
//! (eventName, redacted requestParameters and responseElements), on what (resources), with
//! which outcome (errorCode, errorMessage) and why (the authorization decisions, in
//! additionalEventData).

use serde_json::{Value, json};
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

fn user_identity(facts: &Facts) -> Value {
    let Some(p) = &facts.principal else {
        return json!({"type": "Unknown", "accessKeyId": facts.access_key_id});
    };
    let account = p.account.as_str();
    match &p.kind {
        PrincipalKind::Root => json!({
            "type": "Root", "principalId": account, "arn": p.arn, "accountId": account,
            "accessKeyId": p.access_key_id,
        }),
        PrincipalKind::User { name } => json!({
            "type": "IAMUser", "principalId": p.user_id, "arn": p.arn, "accountId": account,
            "accessKeyId": p.access_key_id, "userName": name,
        }),
        PrincipalKind::AssumedRole { role_name, .. } => {
            let role_id = p.user_id.split(':').next().unwrap_or_default();
            json!({
                "type": "AssumedRole", "principalId": p.user_id, "arn": p.arn, "accountId": account,
                "accessKeyId": p.access_key_id,
                "sessionContext": {
                    "sessionIssuer": {
                        "type": "Role", "principalId": role_id, "arn": p.role_arn(),
                        "accountId": account, "userName": role_name,
                    },
                    "attributes": {"mfaAuthenticated": "false"},
                },
            })
        }
    }
}

/// The event of one request. `response` is the response body on success; `error` the
/// `(__type, message)` on failure.
#[allow(clippy::too_many_arguments)]
pub fn build(
    source: Source,
    facts: &Facts,
    target: &str,
    request_id: &str,
    source_ip: &str,
    user_agent: &str,
    now: UnixMillis,
    response: Option<&Value>,
    error: Option<(&str, &str)>,
) -> Value {
    let operation = facts
        .operation
        .clone()
        .unwrap_or_else(|| target.rsplit('.').next().unwrap_or(target).to_owned());
    let read_only = facts.read_only.unwrap_or_else(|| read_only(&operation));
    // Cryptographic results are never recorded; management results are, redacted.
    let response_elements = match (source, response) {
        (Source::Kms, Some(v)) if !read_only => trent_api::model::redact_response(&operation, v),
        _ => Value::Null,
    };
    let account = facts
        .principal
        .as_ref()
        .map(|p| p.account.as_str().to_owned());
    let mut resources: Vec<Value> = Vec::new();
    for note in &facts.notes {
        if !resources
            .iter()
            .any(|r| crate::audit::event::field(r, &["ARN"]) == note.resource.as_str())
        {
            let key_account = note.resource.split(':').nth(4).unwrap_or_default();
            resources.push(json!({
                "accountId": key_account, "type": "AWS::KMS::Key", "ARN": note.resource,
            }));
        }
    }
    // A created key is the event's resource, as in CloudTrail's CreateKey events (no
    // authorization names it: the key did not exist yet).
    if let (Source::Kms, Some(arn)) = (
        source,
        response.and_then(|r| field(r, &["KeyMetadata", "Arn"]).as_str()),
    ) && operation == "CreateKey"
    {
        let key_account = arn.split(':').nth(4).unwrap_or_default();
        resources.push(json!({"accountId": key_account, "type": "AWS::KMS::Key", "ARN": arn}));
    }
    let decisions: Vec<Value> = facts
        .notes
        .iter()
        .map(|n| json!({"resource": n.resource, "decision": n.decision}))
        .collect();
    let mut event = json!({
        "eventVersion": "1.08",
        "userIdentity": user_identity(facts),
        "eventTime": crate::audit::event_time(now),
        "eventSource": source.name(),
        "eventName": operation,
        "awsRegion": facts.region.as_ref().map(Region::as_str).unwrap_or("us-east-1"),
        "sourceIPAddress": source_ip,
        "userAgent": user_agent,
        "requestParameters": facts.request_parameters.clone().unwrap_or(Value::Null),
        "responseElements": response_elements,
        "requestID": request_id,
        "eventID": uuid::Uuid::new_v4().to_string(),
        "readOnly": read_only,
        "resources": resources,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": account,
        "eventCategory": "Management",
        "additionalEventData": {"authorization": decisions},
    });
    if let (Some((code, message)), Some(map)) = (error, event.as_object_mut()) {
        map.insert("errorCode".into(), json!(code));
        map.insert("errorMessage".into(), json!(message));
    }
    bound(&mut event);
    event
}

/// An event as the audit writer appends it: serialized, with the fields lookups select by.
pub fn entry(event: &Value) -> trent_core::model::AuditEntry {
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

/// Caps every string an event records, so that a client (authenticated or not) cannot make
/// one event large: whatever it sends, an event without request parameters stays a few KiB.
fn bound(event: &mut Value) {
    let Some(map) = event.as_object_mut() else {
        return;
    };
    for (field, max) in [
        ("userAgent", MAX_TEXT),
        ("errorMessage", MAX_TEXT),
        ("eventName", MAX_EVENT_NAME),
    ] {
        if let Some(Value::String(text)) = map.get_mut(field) {
            truncate(text, max);
        }
    }
    if let Some(params) = map.get_mut("requestParameters")
        && serde_json::to_vec(params).map_or(0, |v| v.len()) > MAX_REQUEST_PARAMETERS
    {
        *params = Value::Null;
        map.insert(
            "requestParametersOmitted".into(),
            json!(format!("larger than {MAX_REQUEST_PARAMETERS} bytes")),
        );
    }
    for (field, value) in map.iter_mut() {
        if field != "requestParameters" && field != "responseElements" {
            cap_strings(value, MAX_STRING);
        }
    }
}

fn cap_strings(value: &mut Value, max: usize) {
    match value {
        Value::String(text) => truncate(text, max),
        Value::Array(items) => items.iter_mut().for_each(|v| cap_strings(v, max)),
        Value::Object(map) => map.values_mut().for_each(|v| cap_strings(v, max)),
        _ => {}
    }
}

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

    #[test]
    fn events_are_bounded_whatever_the_request() {
        let mut event = json!({
            "userAgent": "u".repeat(5000),
            "errorMessage": "m".repeat(5000),
            "eventName": "n".repeat(500),
            "userIdentity": {"accessKeyId": "a".repeat(10_000)},
            "requestParameters": {"keyId": "k".repeat(MAX_REQUEST_PARAMETERS)},
            "responseElements": null,
        });
        bound(&mut event);
        let len = |field: &str| event[field].as_str().unwrap().chars().count();
        assert_eq!(len("userAgent"), MAX_TEXT);
        assert_eq!(len("errorMessage"), MAX_TEXT);
        assert_eq!(len("eventName"), MAX_EVENT_NAME);
        assert_eq!(
            event["userIdentity"]["accessKeyId"]
                .as_str()
                .unwrap()
                .chars()
                .count(),
            MAX_STRING
        );
        assert!(event["requestParameters"].is_null());
        assert_eq!(
            event["requestParametersOmitted"],
            "larger than 102400 bytes"
        );
        // Short values and small parameters are left alone.
        let mut small = json!({"userAgent": "aws-cli/2", "requestParameters": {"keyId": "k"}});
        let copy = small.clone();
        bound(&mut small);
        assert_eq!(small, copy);
    }
}
