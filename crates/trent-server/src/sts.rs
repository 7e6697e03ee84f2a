//! STS on the same endpoint, over the AWS query protocol: `GetCallerIdentity` and
//! `AssumeRole`, with XML responses and errors in STS's own shapes.

use std::collections::BTreeMap;
use std::sync::Arc;

use trent_core::Error;
use trent_core::iam::sts::AssumeRoleRequest;
use trent_core::model::{RequestContext, Tag, UnixMillis};
use trent_core::policy::request::iso8601;

use crate::state::AppState;

const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
/// The signing name of STS.
pub const SERVICE: &str = "sts";

/// An STS error: HTTP status, `Type`, `Code` and message.
#[derive(Debug)]
pub struct StsError {
    pub status: u16,
    pub sender: bool,
    pub code: &'static str,
    pub message: String,
}

impl StsError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> StsError {
        StsError {
            status,
            sender: status < 500,
            code,
            message: message.into(),
        }
    }

    /// The XML body.
    pub fn body(&self, request_id: &str) -> String {
        format!(
            "<ErrorResponse xmlns=\"{NAMESPACE}\"><Error><Type>{}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
            if self.sender { "Sender" } else { "Receiver" },
            self.code,
            escape(&self.message),
            escape(request_id)
        )
    }
}

impl From<Error> for StsError {
    fn from(e: Error) -> StsError {
        let message = e.to_string();
        match e {
            Error::AccessDenied { .. } | Error::Denied { .. } => {
                StsError::new(403, "AccessDenied", message)
            }
            Error::Validation { .. } | Error::Tag { .. } => {
                StsError::new(400, "ValidationError", message)
            }
            Error::MalformedPolicy { .. } => StsError::new(400, "MalformedPolicyDocument", message),
            Error::Unsupported { .. } => StsError::new(400, "ValidationError", message),
            _ => {
                tracing::error!(error = %message, "STS internal error");
                StsError::new(500, "InternalFailure", "An internal error occurred.")
            }
        }
    }
}

/// Maps an authentication failure of the KMS wire onto STS's codes.
pub fn auth_error(e: &trent_api::WireError) -> StsError {
    use trent_api::ErrorCode::*;
    let code = match e.code {
        ExpiredTokenException => "ExpiredToken",
        UnrecognizedClientException => "InvalidClientTokenId",
        MissingAuthenticationTokenException => "MissingAuthenticationToken",
        IncompleteSignatureException => "IncompleteSignature",
        ThrottlingException => "Throttling",
        _ => "SignatureDoesNotMatch",
    };
    StsError::new(
        if code == "ExpiredToken" || code == "Throttling" {
            400
        } else {
            403
        },
        code,
        e.message.clone(),
    )
}

/// XML text escaping.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The form parameters of a query-protocol request.
pub fn params(body: &[u8]) -> BTreeMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn tags(params: &BTreeMap<String, String>) -> Vec<Tag> {
    let mut tags = Vec::new();
    for n in 1.. {
        let (Some(key), value) = (
            params.get(&format!("Tags.member.{n}.Key")),
            params.get(&format!("Tags.member.{n}.Value")),
        ) else {
            break;
        };
        tags.push(Tag {
            key: key.clone(),
            value: value.cloned().unwrap_or_default(),
        });
    }
    tags
}

fn envelope(action: &str, result: &str, request_id: &str) -> String {
    format!(
        "<{action}Response xmlns=\"{NAMESPACE}\"><{action}Result>{result}</{action}Result><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{action}Response>",
        escape(request_id)
    )
}

/// Runs one STS action for an authenticated caller; the XML body on success.
pub async fn handle(
    state: &Arc<AppState>,
    ctx: &RequestContext,
    params: &BTreeMap<String, String>,
) -> Result<String, StsError> {
    let action = params.get("Action").map(String::as_str).unwrap_or_default();
    match action {
        "GetCallerIdentity" => {
            let id = state.kms.get_caller_identity(ctx);
            Ok(envelope(
                action,
                &format!(
                    "<Arn>{}</Arn><UserId>{}</UserId><Account>{}</Account>",
                    escape(&id.arn),
                    escape(&id.user_id),
                    escape(&id.account)
                ),
                &ctx.request_id,
            ))
        }
        "AssumeRole" => {
            if params.contains_key("Policy") || params.keys().any(|k| k.starts_with("PolicyArns."))
            {
                return Err(StsError::new(
                    400,
                    "ValidationError",
                    "Session policies (Policy, PolicyArns) are not supported by this version of Trent.",
                ));
            }
            let required = |name: &str| {
                params.get(name).cloned().ok_or_else(|| {
                    StsError::new(
                        400,
                        "ValidationError",
                        format!(
                            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                            lower_first(name)
                        ),
                    )
                })
            };
            let duration = match params.get("DurationSeconds") {
                None => None,
                Some(d) => Some(d.parse::<u32>().map_err(|_| {
                    StsError::new(
                        400,
                        "ValidationError",
                        format!("Invalid DurationSeconds '{d}'"),
                    )
                })?),
            };
            let request = AssumeRoleRequest {
                role_arn: required("RoleArn")?,
                session_name: required("RoleSessionName")?,
                duration_seconds: duration,
                tags: tags(params),
                transitive_tag_keys: (1..)
                    .map_while(|n| {
                        params
                            .get(&format!("TransitiveTagKeys.member.{n}"))
                            .cloned()
                    })
                    .collect(),
                external_id: params.get("ExternalId").cloned(),
            };
            let issued = state.kms.assume_role(ctx, &request).await?;
            let packed = if request.tags.is_empty() {
                String::new()
            } else {
                "<PackedPolicySize>1</PackedPolicySize>".to_owned()
            };
            Ok(envelope(
                action,
                &format!(
                    "<Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey><SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>{}</AssumedRoleId><Arn>{}</Arn></AssumedRoleUser>{packed}",
                    escape(&issued.access_key_id),
                    escape(&issued.secret),
                    escape(&issued.token),
                    iso8601(UnixMillis(issued.expires.0)),
                    escape(&issued.assumed_role_id),
                    escape(&issued.arn)
                ),
                &ctx.request_id,
            ))
        }
        "" => Err(StsError::new(400, "MissingAction", "Missing Action")),
        other => Err(StsError::new(
            400,
            "InvalidAction",
            format!("Could not find operation {other} for version 2011-06-15"),
        )),
    }
}

fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}
