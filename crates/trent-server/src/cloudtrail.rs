//! CloudTrail's `LookupEvents` on the same endpoint, over its JSON 1.1 protocol
//! (`X-Amz-Target: com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents`), so that
//! `aws cloudtrail lookup-events --endpoint-url ...` reads Trent's audit trail: the caller's own
//! account's events, newest first.

use serde_json::{Value, json};
use trent_api::{ErrorCode, WireError};
use trent_core::model::{AuditCursor, RequestContext};

use crate::error::ApiError;
use crate::state::AppState;

/// The target prefix of CloudTrail calls.
pub const TARGET_PREFIX: &str = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.";
/// CloudTrail's signing name.
pub const SERVICE: &str = "cloudtrail";
/// The most records one call reads when the lookup attribute is not indexed: past it the call
/// answers what it found with a `NextToken`, so no call costs more than this, whatever the
/// trail's size.
pub const SCAN_BUDGET: usize = 1_000;

fn invalid(code: &str, message: impl Into<String>) -> ApiError {
    // CloudTrail's own exception names travel as the wire's validation error with its name.
    ApiError::from(WireError::new(
        ErrorCode::ValidationException,
        format!("{code}: {}", message.into()),
    ))
}

/// Runs LookupEvents for an authenticated caller.
pub async fn handle(
    state: &AppState,
    ctx: &RequestContext,
    action: &str,
    body: &[u8],
) -> Result<Value, ApiError> {
    if action != "LookupEvents" {
        return Err(ApiError::from(WireError::new(
            ErrorCode::UnknownOperationException,
            "",
        )));
    }
    state
        .kms
        .authorize_identity(ctx, "cloudtrail:LookupEvents", "*")?;
    let input: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(body)
            .map_err(|_| ApiError::from(WireError::new(ErrorCode::SerializationException, "")))?
    };
    let max = input
        .get("MaxResults")
        .and_then(Value::as_u64)
        .unwrap_or(50);
    if !(1..=50).contains(&max) {
        return Err(invalid(
            "InvalidMaxResultsException",
            "MaxResults must be 1 to 50.",
        ));
    }
    // Times arrive as epoch seconds; whole seconds are enough for a lookup.
    let time = |name: &str| {
        input
            .get(name)
            .and_then(|v| {
                v.as_i64()
                    .or_else(|| v.as_f64().map(f64::trunc).and_then(whole))
            })
            .and_then(|s| s.checked_mul(1000))
    };
    let attribute = match input.get("LookupAttributes").and_then(Value::as_array) {
        None => None,
        Some(list) if list.len() > 1 => {
            return Err(invalid(
                "InvalidLookupAttributesException",
                "You can specify only one lookup attribute.",
            ));
        }
        Some(list) => list.first().map(|a| {
            (
                crate::audit_event::field(a, &["AttributeKey"])
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                crate::audit_event::field(a, &["AttributeValue"])
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        }),
    };
    let before: i64 = match input.get("NextToken").and_then(Value::as_str) {
        None => i64::MAX,
        Some(t) => t
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| invalid("InvalidNextTokenException", "Invalid NextToken."))?,
    };
    // The account, the time range, the event name and the key are answered from the store's
    // indexes; the other attributes are checked on each event the walk reads.
    let mut filter = crate::audit::Filter {
        account: Some(ctx.principal.account.as_str().to_owned()),
        since: time("StartTime"),
        until: time("EndTime"),
        ..Default::default()
    };
    match attribute.as_ref().map(|(k, v)| (k.as_str(), v)) {
        Some(("EventName", v)) => filter.event_name = Some(v.clone()),
        Some(("ResourceName", v)) if v.contains(":key/") => filter.key = Some(v.clone()),
        Some(("AccessKeyId", v)) => filter.access_key_id = Some(v.clone()),
        _ => {}
    }
    // Every attribute's value appears verbatim in the events it matches (a root's Username,
    // `root`, in its ARN), except ReadOnly's, derived from a boolean.
    if let Some((key, value)) = &attribute
        && key != "ReadOnly"
    {
        filter.needle = Some(crate::audit::json_text(value));
    }
    let max = usize::try_from(max).unwrap_or(50);
    let mut matching: Vec<(i64, Value)> = Vec::new();
    let walked = crate::audit::walk(
        state.kms.store().as_ref(),
        &filter,
        AuditCursor::Before(before),
        SCAN_BUDGET,
        |r, e| {
            if attribute
                .as_ref()
                .is_none_or(|(k, v)| matches_attribute(&e, k, v))
            {
                matching.push((r.seq, e));
            }
            // One more than asked tells whether another page follows.
            matching.len() <= max
        },
    )
    .await
    .map_err(trent_core::Error::internal)?;
    let next = if matching.len() > max {
        matching.truncate(max);
        matching.last().map(|(seq, _)| seq.to_string())
    } else {
        match walked {
            // As CloudTrail, a page may come back short (even empty) with a NextToken.
            crate::audit::Walked::Budget(at) => Some(at.to_string()),
            _ => None,
        }
    };
    let events: Vec<Value> = matching
        .into_iter()
        .map(|(_, e)| {
            // CloudTrail's EventTime is epoch seconds (a JSON number), as for every AWS JSON
            // timestamp; parse_date gives milliseconds.
            let time = crate::audit_event::field(&e, &["eventTime"])
                .as_str()
                .and_then(trent_core::policy::condition::parse_date)
                .unwrap_or_default()
                / 1000;
            let resources: Vec<Value> = crate::audit_event::field(&e, &["resources"])
                .as_array()
                .map(|rs| {
                    rs.iter()
                        .map(|r| json!({"ResourceType": crate::audit_event::field(r, &["type"]), "ResourceName": crate::audit_event::field(r, &["ARN"])}))
                        .collect()
                })
                .unwrap_or_default();
            json!({
                "EventId": crate::audit_event::field(&e, &["eventID"]),
                "EventName": crate::audit_event::field(&e, &["eventName"]),
                "ReadOnly": crate::audit_event::field(&e, &["readOnly"]).as_bool().unwrap_or(true).to_string(),
                "AccessKeyId": crate::audit_event::field(&e, &["userIdentity", "accessKeyId"]),
                "EventTime": time,
                "EventSource": crate::audit_event::field(&e, &["eventSource"]),
                "Username": username(&e),
                "Resources": resources,
                "CloudTrailEvent": e.to_string(),
            })
        })
        .collect();
    let mut out = json!({ "Events": events });
    if let (Some(token), Some(map)) = (next, out.as_object_mut()) {
        map.insert("NextToken".into(), json!(token));
    }
    Ok(out)
}

/// A whole number of seconds as an integer, if it fits.
fn whole(seconds: f64) -> Option<i64> {
    format!("{seconds:.0}").parse().ok()
}

fn username(e: &Value) -> Value {
    let id = &crate::audit_event::field(e, &["userIdentity"]);
    match crate::audit_event::field(id, &["type"]).as_str() {
        Some("IAMUser") => crate::audit_event::field(id, &["userName"]).clone(),
        Some("AssumedRole") => json!(
            crate::audit_event::field(id, &["arn"])
                .as_str()
                .and_then(|a| a.rsplit('/').next())
                .unwrap_or_default()
        ),
        Some("Root") => json!("root"),
        _ => Value::Null,
    }
}

fn matches_attribute(e: &Value, key: &str, value: &str) -> bool {
    let is = |v: &Value| v.as_str() == Some(value);
    match key {
        "EventId" => is(crate::audit_event::field(e, &["eventID"])),
        "EventName" => is(crate::audit_event::field(e, &["eventName"])),
        "ReadOnly" => {
            crate::audit_event::field(e, &["readOnly"])
                .as_bool()
                .map(|b| b.to_string())
                .as_deref()
                == Some(value)
        }
        "Username" => username(e).as_str() == Some(value),
        "EventSource" => is(crate::audit_event::field(e, &["eventSource"])),
        "AccessKeyId" => is(crate::audit_event::field(
            e,
            &["userIdentity", "accessKeyId"],
        )),
        "ResourceName" => crate::audit_event::field(e, &["resources"])
            .as_array()
            .is_some_and(|rs| {
                rs.iter()
                    .any(|r| is(crate::audit_event::field(r, &["ARN"])))
            }),
        "ResourceType" => crate::audit_event::field(e, &["resources"])
            .as_array()
            .is_some_and(|rs| {
                rs.iter()
                    .any(|r| is(crate::audit_event::field(r, &["type"])))
            }),
        _ => false,
    }
}
