//! CloudTrail's `LookupEvents` on the same endpoint, over its JSON 1.1 protocol
//! (`X-Amz-Target: com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents`), so that
//! `aws cloudtrail lookup-events --endpoint-url ...` reads Trent's audit trail: the caller's own
//! account's events, newest first.

use serde_json::{Value, json};
use trent_api::cloudtrail::{
    CloudTrailAction, Event, LookupEventsRequest, LookupEventsResponse, Resource,
};
use trent_api::{ErrorCode, WireError};
use trent_core::model::{AuditCursor, RequestContext};

use crate::http::error::ApiError;
use crate::run::state::AppState;

/// The target prefix of CloudTrail calls.
pub const TARGET_PREFIX: &str = trent_api::cloudtrail::TARGET_PREFIX;
/// CloudTrail's signing name.
pub const SERVICE: &str = trent_api::cloudtrail::SERVICE;
/// The most records one call reads when the lookup attribute is not indexed: past it the call
/// answers what it found with a `NextToken`, so no call costs more than this, whatever the
/// trail's size.
pub const SCAN_BUDGET: usize = 1_000;

/// Runs LookupEvents for an authenticated caller.
pub async fn handle(
    state: &AppState,
    ctx: &RequestContext,
    action: &str,
    body: &[u8],
) -> Result<LookupEventsResponse, ApiError> {
    let Some(action) = CloudTrailAction::parse(action) else {
        return Err(ApiError::from(WireError::new(
            ErrorCode::UnknownOperationException,
            "",
        )));
    };
    state
        .kms
        .authorize_identity(ctx, action.iam_action(), "*")?;
    let request = LookupEventsRequest::decode(body)?;
    let max = request.max_results;
    let attribute = request
        .lookup_attribute
        .map(|a| (a.attribute_key, a.attribute_value));
    let before = request.next_token.unwrap_or(i64::MAX);
    // The account, the time range, the event name and the key are answered from the store's
    // indexes; the other attributes are checked on each event the walk reads.
    let mut filter = crate::audit::Filter {
        account: Some(ctx.principal.account.as_str().to_owned()),
        since: request.start_time.map(|t| t.0),
        until: request.end_time.map(|t| t.0),
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
    let mut matching: Vec<(i64, Value)> = Vec::new();
    let walked = crate::audit::walk(
        state.kms.audit_store().as_ref(),
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
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let events = matching
        .into_iter()
        .map(|(_, e)| {
            let field = |path: &[&str]| crate::audit::event::field(&e, path);
            // CloudTrail's EventTime is epoch seconds (a JSON number), as for every AWS JSON
            // timestamp; parse_date gives milliseconds.
            let event_time = field(&["eventTime"])
                .as_str()
                .and_then(trent_core::policy::condition::parse_date)
                .unwrap_or_default()
                / 1000;
            let resources = field(&["resources"])
                .as_array()
                .map(|rs| {
                    rs.iter()
                        .map(|r| Resource {
                            resource_name: text(crate::audit::event::field(r, &["ARN"])),
                            resource_type: text(crate::audit::event::field(r, &["type"])),
                        })
                        .collect()
                })
                .unwrap_or_default();
            Event {
                access_key_id: text(field(&["userIdentity", "accessKeyId"])),
                cloud_trail_event: e.to_string(),
                event_id: text(field(&["eventID"])),
                event_name: text(field(&["eventName"])),
                event_source: text(field(&["eventSource"])),
                event_time,
                read_only: field(&["readOnly"]).as_bool().unwrap_or(true),
                resources,
                username: text(&username(&e)),
            }
        })
        .collect();
    Ok(LookupEventsResponse {
        events,
        next_token: next,
    })
}

fn username(e: &Value) -> Value {
    let id = &crate::audit::event::field(e, &["userIdentity"]);
    match crate::audit::event::field(id, &["type"]).as_str() {
        Some("IAMUser") => crate::audit::event::field(id, &["userName"]).clone(),
        Some("AssumedRole") => json!(
            crate::audit::event::field(id, &["arn"])
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
        "EventId" => is(crate::audit::event::field(e, &["eventID"])),
        "EventName" => is(crate::audit::event::field(e, &["eventName"])),
        "ReadOnly" => {
            crate::audit::event::field(e, &["readOnly"])
                .as_bool()
                .map(|b| b.to_string())
                .as_deref()
                == Some(value)
        }
        "Username" => username(e).as_str() == Some(value),
        "EventSource" => is(crate::audit::event::field(e, &["eventSource"])),
        "AccessKeyId" => is(crate::audit::event::field(
            e,
            &["userIdentity", "accessKeyId"],
        )),
        "ResourceName" => crate::audit::event::field(e, &["resources"])
            .as_array()
            .is_some_and(|rs| {
                rs.iter()
                    .any(|r| is(crate::audit::event::field(r, &["ARN"])))
            }),
        "ResourceType" => crate::audit::event::field(e, &["resources"])
            .as_array()
            .is_some_and(|rs| {
                rs.iter()
                    .any(|r| is(crate::audit::event::field(r, &["type"])))
            }),
        _ => false,
    }
}
