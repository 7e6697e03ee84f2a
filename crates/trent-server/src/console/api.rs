//! The console's own actions (`TrentConsole.<Action>`), beside the KMS, admin and CloudTrail
//! operations it calls like any client: the overview, the audit trail searched by what the
//! console filters on, and the chain's verification.

use serde::Deserialize;
use serde_json::{Value, json};
use trent_api::cloudtrail::CloudTrailAction;
use trent_api::{ErrorCode, WireError};
use trent_core::model::{AuditCursor, RequestContext};

use crate::http::error::ApiError;
use crate::run::state::AppState;

/// The target prefix of the console's actions.
pub const TARGET_PREFIX: &str = "TrentConsole.";
/// The console's actions.
pub const ACTIONS: &[&str] = &["Overview", "SearchAudit", "VerifyAudit"];
/// Events one search answers at most.
pub const MAX_RESULTS: usize = 50;

/// Whether an action reads the audit trail (and so counts against LookupEvents' rate).
pub fn reads_the_trail(action: &str) -> bool {
    matches!(action, "SearchAudit" | "VerifyAudit")
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::from(WireError::new(ErrorCode::ValidationException, message))
}

/// Runs a console action for a signed-in caller.
pub async fn handle(
    state: &AppState,
    ctx: &RequestContext,
    action: &str,
    body: &[u8],
) -> Result<Value, ApiError> {
    match action {
        "Overview" => Ok(overview(state).await),
        "SearchAudit" => {
            authorize_trail(state, ctx)?;
            let request: SearchRequest = serde_json::from_slice(body).map_err(|e| {
                ApiError::from(WireError::new(
                    ErrorCode::SerializationException,
                    format!("SearchAudit: {e}"),
                ))
            })?;
            search(state, ctx, request).await
        }
        "VerifyAudit" => {
            authorize_trail(state, ctx)?;
            let verdict = crate::audit::verify(state.kms.audit_store().as_ref())
                .await
                .map_err(trent_core::Error::internal)?;
            Ok(match verdict {
                crate::audit::Verdict::Intact { events, digests } => {
                    json!({"intact": true, "events": events, "digests": digests})
                }
                crate::audit::Verdict::Broken { at, problem } => {
                    json!({"intact": false, "brokenAt": at, "problem": problem})
                }
            })
        }
        _ => Err(ApiError::from(WireError::new(
            ErrorCode::UnknownOperationException,
            "",
        ))),
    }
}

/// Reading the trail is LookupEvents' permission, as for CloudTrail's API.
fn authorize_trail(state: &AppState, ctx: &RequestContext) -> Result<(), ApiError> {
    state
        .kms
        .authorize_identity(ctx, CloudTrailAction::LookupEvents.iam_action(), "*")?;
    Ok(())
}

/// The last hour's requests and errors per operation, and the health of what serves them.
/// The counts are the server's, as `/metrics` shows them to anyone who can reach it.
async fn overview(state: &AppState) -> Value {
    let now = state.kms.clock().now().0;
    json!({
        "now": now / 1000,
        "minutes": state.console.history.hour(now),
        "health": {
            "store": state.kms.store_answers().await,
            "rootKey": state.kms.root_key_answers(),
            "auditWriter": state.audit.is_running(),
            "auditQueue": state.audit.queue_depth(),
        },
    })
}

/// `SearchAudit`'s request.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SearchRequest {
    key_id: Option<String>,
    principal_arn: Option<String>,
    event_name: Option<String>,
    #[serde(default)]
    errors_only: bool,
    /// Epoch seconds.
    start_time: Option<i64>,
    end_time: Option<i64>,
    next_token: Option<String>,
    max_results: Option<usize>,
}

/// The caller's account's events that match, newest first, a page at a time (no call reads
/// more than the CloudTrail endpoint's scan budget).
async fn search(
    state: &AppState,
    ctx: &RequestContext,
    request: SearchRequest,
) -> Result<Value, ApiError> {
    let max = request.max_results.unwrap_or(MAX_RESULTS);
    if !(1..=MAX_RESULTS).contains(&max) {
        return Err(invalid(format!(
            "maxResults must be between 1 and {MAX_RESULTS}."
        )));
    }
    let before = match request.next_token.as_deref() {
        None => i64::MAX,
        Some(t) => t
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| invalid("Invalid nextToken."))?,
    };
    let text = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let millis = |t: Option<i64>| t.map(|t| t.saturating_mul(1000));
    let filter = crate::audit::Filter {
        account: Some(ctx.principal.account.as_str().to_owned()),
        key: text(request.key_id),
        principal: text(request.principal_arn),
        event_name: text(request.event_name),
        since: millis(request.start_time),
        until: millis(request.end_time),
        errors_only: request.errors_only,
        ..Default::default()
    };
    let mut found: Vec<(i64, Value)> = Vec::new();
    let walked = crate::audit::walk(
        state.kms.audit_store().as_ref(),
        &filter,
        AuditCursor::Before(before),
        crate::protocols::cloudtrail::SCAN_BUDGET,
        |r, e| {
            found.push((r.seq, e));
            found.len() <= max
        },
    )
    .await
    .map_err(trent_core::Error::internal)?;
    let next = if found.len() > max {
        found.truncate(max);
        found.last().map(|(seq, _)| seq.to_string())
    } else {
        match walked {
            crate::audit::Walked::Budget(at) => Some(at.to_string()),
            _ => None,
        }
    };
    let events: Vec<Value> = found.into_iter().map(|(_, e)| e).collect();
    let mut answer = json!({ "events": events });
    if let (Some(next), Some(map)) = (next, answer.as_object_mut()) {
        map.insert("nextToken".into(), json!(next));
    }
    Ok(answer)
}
