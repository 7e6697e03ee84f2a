//! Policy documents: parsing AWS's JSON grammar into compiled statements, when a policy is
//! stored (to refuse a malformed one) and when its key or principal is loaded into memory;
//! never on the path of a request to a warm key.
//!
//! Grammar: `Version`, `Id`, `Statement` (one object or a list) of `Sid`, `Effect`,
//! `Principal`/`NotPrincipal`, `Action`/`NotAction`, `Resource`/`NotResource` and `Condition`.
//! Anything else is `MalformedPolicyDocumentException`, with a message saying what.

use serde_json::{Map, Value};

use super::condition::Condition;

/// The largest key policy KMS accepts, in bytes.
pub const MAX_POLICY_BYTES: usize = 32 * 1024;

/// Why a document is not a valid policy.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(pub String);

fn malformed(message: impl Into<String>) -> PolicyError {
    PolicyError(message.into())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// Whom a statement is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principals {
    /// No `Principal` element (identity policies).
    Unspecified,
    /// `"*"` or `{"AWS": "*"}`.
    Anyone,
    /// AWS principals: ARNs or account ids. Other kinds (`Service`, `Federated`) are kept
    /// so they never match a caller of ours.
    Named {
        aws: Vec<String>,
        other: Vec<String>,
    },
}

/// A statement, compiled.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Principals,
    /// `NotPrincipal` rather than `Principal`.
    pub not_principal: bool,
    /// Lower-cased action patterns.
    pub actions: Vec<String>,
    pub not_action: bool,
    /// `None` means no Resource element (allowed in key policies, where it means the key).
    pub resources: Option<Vec<String>>,
    pub not_resource: bool,
    pub conditions: Vec<Condition>,
}

/// A parsed policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub version: String,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

/// One string or a list of strings.
fn strings(value: &Value, what: &str) -> Result<Vec<String>, PolicyError> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| malformed(format!("{what} must hold strings")))
            })
            .collect(),
        _ => Err(malformed(format!(
            "{what} must be a string or a non-empty list of strings"
        ))),
    }
}

fn principals(value: &Value) -> Result<Principals, PolicyError> {
    match value {
        Value::String(s) if s == "*" => Ok(Principals::Anyone),
        Value::Object(map) => {
            let mut aws = Vec::new();
            let mut other = Vec::new();
            for (kind, v) in map {
                let list = strings(v, "Principal")?;
                match kind.as_str() {
                    "AWS" => aws.extend(list),
                    "Service" | "Federated" | "CanonicalUser" => other.extend(list),
                    _ => return Err(malformed(format!("Unknown principal type {kind}"))),
                }
            }
            if aws.iter().any(|p| p == "*") {
                return Ok(Principals::Anyone);
            }
            for p in &aws {
                if !valid_aws_principal(p) {
                    return Err(malformed(
                        "Policy contains a statement with one or more invalid principals.",
                    ));
                }
            }
            Ok(Principals::Named { aws, other })
        }
        _ => Err(malformed(
            "Policy contains a statement with one or more invalid principals.",
        )),
    }
}

/// An AWS principal: a twelve-digit account id, or an IAM or STS ARN.
fn valid_aws_principal(p: &str) -> bool {
    let account = |s: &str| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
    if account(p) {
        return true;
    }
    let parts: Vec<&str> = p.splitn(6, ':').collect();
    matches!(
        parts.as_slice(),
        ["arn", partition, "iam" | "sts", "", acct, resource]
            if partition.starts_with("aws") && account(acct) && !resource.is_empty()
    )
}

fn statement(value: &Value) -> Result<Statement, PolicyError> {
    let Some(map) = value.as_object() else {
        return Err(malformed("Each statement must be a JSON object"));
    };
    const KNOWN: &[&str] = &[
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    ];
    if let Some(unknown) = map.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(malformed(format!("Unknown statement element {unknown}")));
    }
    let sid = match map.get("Sid") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(malformed("Sid must be a string")),
    };
    let effect = match map.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        _ => return Err(malformed("Effect must be Allow or Deny")),
    };
    let (principal, not_principal) = match (map.get("Principal"), map.get("NotPrincipal")) {
        (Some(_), Some(_)) => {
            return Err(malformed(
                "A statement takes Principal or NotPrincipal, not both",
            ));
        }
        (Some(p), None) => (principals(p)?, false),
        (None, Some(p)) => (principals(p)?, true),
        (None, None) => (Principals::Unspecified, false),
    };
    let (actions, not_action) = match (map.get("Action"), map.get("NotAction")) {
        (Some(a), None) => (strings(a, "Action")?, false),
        (None, Some(a)) => (strings(a, "NotAction")?, true),
        _ => {
            return Err(malformed(
                "A statement takes exactly one of Action and NotAction",
            ));
        }
    };
    for action in &actions {
        let valid = action == "*"
            || action
                .split_once(':')
                .is_some_and(|(service, name)| !service.is_empty() && !name.is_empty());
        if !valid {
            return Err(malformed(format!("Invalid action {action}")));
        }
    }
    let (resources, not_resource) = match (map.get("Resource"), map.get("NotResource")) {
        (Some(_), Some(_)) => {
            return Err(malformed(
                "A statement takes Resource or NotResource, not both",
            ));
        }
        (Some(r), None) => (Some(strings(r, "Resource")?), false),
        (None, Some(r)) => (Some(strings(r, "NotResource")?), true),
        (None, None) => (None, false),
    };
    let conditions = match map.get("Condition") {
        None => Vec::new(),
        Some(Value::Object(block)) => super::condition::parse_block(block)?,
        Some(_) => return Err(malformed("Condition must be an object")),
    };
    Ok(Statement {
        sid,
        effect,
        principal,
        not_principal,
        actions: actions.iter().map(|a| a.to_ascii_lowercase()).collect(),
        not_action,
        resources,
        not_resource,
        conditions,
    })
}

/// The characters a key policy may hold: tab, LF, CR and U+0020 to U+00FF.
fn allowed_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}')
}

impl Policy {
    /// Parses and compiles a policy document. `require_principal` is set for key policies,
    /// whose statements must name a principal.
    pub fn parse(text: &str, require_principal: bool) -> Result<Policy, PolicyError> {
        if text.len() > MAX_POLICY_BYTES {
            return Err(malformed(format!(
                "Policy exceeds the maximum size of {MAX_POLICY_BYTES} bytes"
            )));
        }
        if let Some(c) = text.chars().find(|c| !allowed_char(*c)) {
            return Err(malformed(format!(
                "Policy contains a character outside the allowed set: U+{:04X}",
                u32::from(c)
            )));
        }
        let value: Value = serde_json::from_str(text)
            .map_err(|e| malformed(format!("Policy is not valid JSON: {e}")))?;
        let Some(map) = value.as_object() else {
            return Err(malformed("Policy must be a JSON object"));
        };
        Policy::from_map(map, require_principal)
    }

    fn from_map(map: &Map<String, Value>, require_principal: bool) -> Result<Policy, PolicyError> {
        if let Some(unknown) = map
            .keys()
            .find(|k| !matches!(k.as_str(), "Version" | "Id" | "Statement"))
        {
            return Err(malformed(format!("Unknown policy element {unknown}")));
        }
        let version = match map.get("Version") {
            None => "2008-10-17".to_owned(),
            Some(Value::String(v)) if v == "2012-10-17" || v == "2008-10-17" => v.clone(),
            Some(_) => return Err(malformed("Version must be 2012-10-17 or 2008-10-17")),
        };
        let id = match map.get("Id") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(malformed("Id must be a string")),
        };
        let statements = match map.get("Statement") {
            Some(Value::Array(list)) if !list.is_empty() => {
                list.iter().map(statement).collect::<Result<Vec<_>, _>>()?
            }
            Some(one @ Value::Object(_)) => vec![statement(one)?],
            _ => return Err(malformed("Policy must have a non-empty Statement")),
        };
        if require_principal
            && statements
                .iter()
                .any(|s| s.principal == Principals::Unspecified)
        {
            return Err(malformed("Policy contains a statement with no principal."));
        }
        Ok(Policy {
            version,
            id,
            statements,
        })
    }
}
