//! Policy conditions: every operator family of the IAM grammar (String, Numeric, Date, Bool,
//! Binary, IpAddress, Arn, Null), with `...IfExists` and the `ForAnyValue:` / `ForAllValues:`
//! set qualifiers, and policy variables (`${aws:username}`, `${aws:PrincipalTag/team}`).

use std::net::IpAddr;

use serde_json::{Map, Value};

use super::document::PolicyError;

/// How an operator compares a request value with a policy value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    NumericEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    ArnLike,
    Null,
}

/// The set qualifier of a multi-valued condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Qualifier {
    Single,
    ForAnyValue,
    ForAllValues,
}

/// One condition: an operator applied to one key and its policy values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    pub family: Family,
    /// A negated operator (`StringNotEquals`, `NotIpAddress`, ...).
    pub negated: bool,
    pub if_exists: bool,
    pub qualifier: Qualifier,
    /// The condition key, lower-cased (key names are case-insensitive).
    pub key: String,
    pub values: Vec<String>,
}

fn operator(name: &str) -> Option<(Family, bool)> {
    use Family::*;
    Some(match name {
        "StringEquals" => (StringEquals, false),
        "StringNotEquals" => (StringEquals, true),
        "StringEqualsIgnoreCase" => (StringEqualsIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => (StringEqualsIgnoreCase, true),
        "StringLike" => (StringLike, false),
        "StringNotLike" => (StringLike, true),
        "NumericEquals" => (NumericEquals, false),
        "NumericNotEquals" => (NumericEquals, true),
        "NumericLessThan" => (NumericLessThan, false),
        "NumericLessThanEquals" => (NumericLessThanEquals, false),
        "NumericGreaterThan" => (NumericGreaterThan, false),
        "NumericGreaterThanEquals" => (NumericGreaterThanEquals, false),
        "DateEquals" => (DateEquals, false),
        "DateNotEquals" => (DateEquals, true),
        "DateLessThan" => (DateLessThan, false),
        "DateLessThanEquals" => (DateLessThanEquals, false),
        "DateGreaterThan" => (DateGreaterThan, false),
        "DateGreaterThanEquals" => (DateGreaterThanEquals, false),
        "Bool" => (Bool, false),
        "BinaryEquals" => (BinaryEquals, false),
        "IpAddress" => (IpAddress, false),
        "NotIpAddress" => (IpAddress, true),
        "ArnEquals" | "ArnLike" => (ArnLike, false),
        "ArnNotEquals" | "ArnNotLike" => (ArnLike, true),
        "Null" => (Null, false),
        _ => return None,
    })
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Parses a `Condition` block: `{ "Operator": { "key": value-or-values, ... }, ... }`.
pub fn parse_block(block: &Map<String, Value>) -> Result<Vec<Condition>, PolicyError> {
    let mut out = Vec::new();
    for (name, keys) in block {
        let (qualifier, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (Qualifier::ForAnyValue, rest)
        } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (Qualifier::ForAllValues, rest)
        } else {
            (Qualifier::Single, name.as_str())
        };
        let (base, if_exists) = match rest.strip_suffix("IfExists") {
            Some(base) => (base, true),
            None => (rest, false),
        };
        let (family, negated) = operator(base)
            .ok_or_else(|| PolicyError(format!("Unknown condition operator {name}")))?;
        if family == Family::Null && if_exists {
            return Err(PolicyError(
                "NullIfExists is not a condition operator".to_owned(),
            ));
        }
        let Some(keys) = keys.as_object() else {
            return Err(PolicyError(format!(
                "Condition operator {name} must map keys to values"
            )));
        };
        for (key, value) in keys {
            let values = match value {
                Value::Array(items) => items.iter().map(scalar).collect::<Option<Vec<_>>>(),
                other => scalar(other).map(|v| vec![v]),
            }
            .ok_or_else(|| PolicyError(format!("Invalid value for condition key {key}")))?;
            out.push(Condition {
                family,
                negated,
                if_exists,
                qualifier,
                key: key.to_ascii_lowercase(),
                values,
            });
        }
    }
    Ok(out)
}

/// The request's condition values, by lower-cased key.
pub trait Context {
    fn values(&self, key: &str) -> Option<Vec<String>>;
}

/// A context held in a map from lower-cased keys to values.
#[derive(Clone, Debug, Default)]
pub struct MapContext(pub std::collections::HashMap<String, Vec<String>>);

impl Context for MapContext {
    fn values(&self, key: &str) -> Option<Vec<String>> {
        self.0.get(key).cloned()
    }
}

/// Replaces `${key}` policy variables with the request's (single) value; `${*}`, `${?}` and
/// `${$}` stand for the literal characters. `None` when a variable has no single value, which
/// makes the policy value match nothing.
pub fn substitute(text: &str, ctx: &dyn Context) -> Option<String> {
    if !text.contains("${") {
        return Some(text.to_owned());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(rest.get(..start)?);
        let after = rest.get(start + 2..)?;
        let end = after.find('}')?;
        let name = after.get(..end)?;
        match name {
            "*" | "?" | "$" => out.push_str(name),
            _ => {
                let values = ctx.values(&name.to_ascii_lowercase())?;
                match values.as_slice() {
                    [one] => out.push_str(one),
                    _ => return None,
                }
            }
        }
        rest = after.get(end + 1..)?;
    }
    out.push_str(rest);
    Some(out)
}

/// Glob matching with `*` (any run) and `?` (any one character).
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if *c == '?' || Some(c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

/// Parses a date: ISO 8601 (`2026-01-01`, `2026-01-01T12:00:00Z`, with optional fraction) or
/// epoch seconds; milliseconds since the epoch.
pub fn parse_date(text: &str) -> Option<i64> {
    if let Ok(seconds) = text.parse::<i64>() {
        return seconds.checked_mul(1000);
    }
    let num = |s: Option<&str>| -> Option<i64> { s?.parse().ok() };
    let (date, time) = text.split_once('T').unwrap_or((text, "00:00:00Z"));
    let mut d = date.split('-');
    let (y, m, day) = (num(d.next())?, num(d.next())?, num(d.next())?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    let time = time.strip_suffix('Z').unwrap_or(time);
    let time = time.split('.').next()?;
    let mut t = time.split(':');
    let (h, mi, s) = (num(t.next())?, num(t.next())?, num(t.next()).unwrap_or(0));
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400) + h * 3600 + mi * 60 + s) * 1000)
}

/// Whether `ip` lies in `cidr` (`203.0.113.0/24`, `2001:db8::/32`, or a single address).
pub fn in_cidr(ip: &str, cidr: &str) -> bool {
    let Ok(ip) = ip.parse::<IpAddr>() else {
        return false;
    };
    let (net, bits) = match cidr.split_once('/') {
        Some((net, bits)) => (net, bits.parse::<u32>().ok()),
        None => (cidr, None),
    };
    let Ok(net) = net.parse::<IpAddr>() else {
        return false;
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let bits = bits.unwrap_or(32).min(32);
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let bits = bits.unwrap_or(128).min(128);
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

fn arn_like(pattern: &str, arn: &str) -> bool {
    let p: Vec<&str> = pattern.splitn(6, ':').collect();
    let a: Vec<&str> = arn.splitn(6, ':').collect();
    p.len() == 6 && a.len() == 6 && p.iter().zip(&a).all(|(p, a)| glob(p, a))
}

fn number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Whether one request value matches one (substituted) policy value.
fn matches(family: Family, request: &str, policy: &str) -> bool {
    use Family::*;
    let numeric = |f: fn(f64, f64) -> bool| match (number(request), number(policy)) {
        (Some(r), Some(p)) => f(r, p),
        _ => false,
    };
    let date = |f: fn(i64, i64) -> bool| match (parse_date(request), parse_date(policy)) {
        (Some(r), Some(p)) => f(r, p),
        _ => false,
    };
    match family {
        StringEquals => request == policy,
        StringEqualsIgnoreCase => request.to_lowercase() == policy.to_lowercase(),
        StringLike => glob(policy, request),
        NumericEquals => numeric(|r, p| r == p),
        NumericLessThan => numeric(|r, p| r < p),
        NumericLessThanEquals => numeric(|r, p| r <= p),
        NumericGreaterThan => numeric(|r, p| r > p),
        NumericGreaterThanEquals => numeric(|r, p| r >= p),
        DateEquals => date(|r, p| r == p),
        DateLessThan => date(|r, p| r < p),
        DateLessThanEquals => date(|r, p| r <= p),
        DateGreaterThan => date(|r, p| r > p),
        DateGreaterThanEquals => date(|r, p| r >= p),
        Bool => request.eq_ignore_ascii_case(policy),
        BinaryEquals => request == policy,
        IpAddress => in_cidr(request, policy),
        ArnLike => arn_like(policy, request),
        Null => false,
    }
}

impl Condition {
    /// Evaluates the condition against the request.
    pub fn holds(&self, ctx: &dyn Context) -> bool {
        let present = ctx.values(&self.key).filter(|v| !v.is_empty());
        if self.family == Family::Null {
            // `"Null": {"key": "true"}` holds when the key is absent.
            let want_absent = self.values.iter().any(|v| v.eq_ignore_ascii_case("true"));
            return want_absent == present.is_none();
        }
        let policy: Vec<Option<String>> = self.values.iter().map(|v| substitute(v, ctx)).collect();
        // Does one request value match any policy value?
        let hit = |r: &str| policy.iter().flatten().any(|p| matches(self.family, r, p));
        let Some(request) = present else {
            return match self.qualifier {
                Qualifier::ForAllValues => true,
                Qualifier::ForAnyValue => false,
                Qualifier::Single => self.if_exists || self.negated,
            };
        };
        match (self.qualifier, self.negated) {
            (Qualifier::Single | Qualifier::ForAnyValue, false) => request.iter().any(|r| hit(r)),
            (Qualifier::Single, true) => request.iter().all(|r| !hit(r)),
            (Qualifier::ForAnyValue, true) => request.iter().any(|r| !hit(r)),
            (Qualifier::ForAllValues, false) => request.iter().all(|r| hit(r)),
            (Qualifier::ForAllValues, true) => request.iter().all(|r| !hit(r)),
        }
    }
}
