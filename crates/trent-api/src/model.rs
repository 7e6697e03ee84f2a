//! The AWS KMS service model, compiled once, and the request validator driven by it.
//!
//! AWS validates every request against its Smithy/Coral model before the operation runs:
//! required members, string and blob lengths, list and map sizes, numeric ranges, patterns and
//! enums.
//! Rather than restate those constraints by hand for 56 operations, we embed the very model that
//! the AWS SDKs are generated from (`model/kms-2014-11-01.service-2.json`, botocore's copy) and
//! walk the request JSON against it.
//! The messages follow AWS's form exactly:
//! `1 validation error detected: Value 'x' at 'keyId' failed to satisfy constraint: Member must ...`,
//! rendered by [`crate::validation`].
//!
//! Type mismatches (a number where a string belongs, invalid base64) are not validation errors
//! at AWS but `SerializationException`s; [`validate`] reports them as such.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::error::{ErrorCode, WireError};
use crate::validation::{Constraint, Violation};

const MODEL_JSON: &str = include_str!("../model/kms-2014-11-01.service-2.json");

/// The compiled model, parsed on first use.
static MODEL: LazyLock<Model> = LazyLock::new(Model::load);

#[derive(Debug)]
struct Model {
    /// Operation name to its input shape name.
    inputs: HashMap<String, String>,
    /// Operation name to its output shape name.
    outputs: HashMap<String, String>,
    shapes: HashMap<String, Shape>,
}

#[derive(Debug)]
enum Kind {
    Structure {
        members: Vec<(String, String)>,
        required: Vec<String>,
    },
    List {
        member: String,
    },
    Map {
        key: String,
        value: String,
    },
    String,
    Blob,
    Integer,
    Boolean,
    Timestamp,
}

#[derive(Debug)]
struct Shape {
    kind: Kind,
    min: Option<i64>,
    max: Option<i64>,
    pattern: Option<(String, Regex)>,
    enum_values: Option<Vec<String>>,
    sensitive: bool,
}

impl Model {
    /// Compiles the embedded model; a malformed model is a build defect that the unit tests catch,
    /// so shapes that cannot be understood are skipped rather than aborting the server.
    fn load() -> Model {
        let raw: Value = serde_json::from_str(MODEL_JSON).unwrap_or(Value::Null);
        let mut inputs = HashMap::new();
        let mut outputs = HashMap::new();
        if let Some(ops) = raw.get("operations").and_then(Value::as_object) {
            for (name, op) in ops {
                if let Some(input) = op.pointer("/input/shape").and_then(Value::as_str) {
                    inputs.insert(name.clone(), input.to_owned());
                }
                if let Some(output) = op.pointer("/output/shape").and_then(Value::as_str) {
                    outputs.insert(name.clone(), output.to_owned());
                }
            }
        }
        let mut shapes = HashMap::new();
        if let Some(all) = raw.get("shapes").and_then(Value::as_object) {
            for (name, s) in all {
                if let Some(shape) = Shape::compile(s) {
                    shapes.insert(name.clone(), shape);
                }
            }
        }
        Model {
            inputs,
            outputs,
            shapes,
        }
    }
}

impl Shape {
    fn compile(s: &Value) -> Option<Shape> {
        let shape_ref =
            |v: Option<&Value>| -> Option<String> { v?.get("shape")?.as_str().map(str::to_owned) };
        let kind = match s.get("type")?.as_str()? {
            "structure" => {
                let members = s
                    .get("members")
                    .and_then(Value::as_object)
                    .map(|m| {
                        m.iter()
                            .filter_map(|(k, v)| Some((k.clone(), shape_ref(Some(v))?)))
                            .collect()
                    })
                    .unwrap_or_default();
                let required = s
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| {
                        r.iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                Kind::Structure { members, required }
            }
            "list" => Kind::List {
                member: shape_ref(s.get("member"))?,
            },
            "map" => Kind::Map {
                key: shape_ref(s.get("key"))?,
                value: shape_ref(s.get("value"))?,
            },
            "string" => Kind::String,
            "blob" => Kind::Blob,
            "integer" | "long" => Kind::Integer,
            "boolean" => Kind::Boolean,
            "timestamp" => Kind::Timestamp,
            _ => return None,
        };
        let pattern = s
            .get("pattern")
            .and_then(Value::as_str)
            .and_then(|p| Some((p.to_owned(), Regex::new(&format!("^(?:{p})$")).ok()?)));
        Some(Shape {
            kind,
            min: s.get("min").and_then(Value::as_i64),
            max: s.get("max").and_then(Value::as_i64),
            pattern,
            enum_values: s.get("enum").and_then(Value::as_array).map(|e| {
                e.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            }),
            sensitive: s.get("sensitive").and_then(Value::as_bool).unwrap_or(false),
        })
    }
}

/// A request body as the audit trail records it (CloudTrail's `requestParameters`): members
/// in lowerCamelCase, and every blob (plaintexts, ciphertexts, messages, signatures, key
/// material) and every member the model marks sensitive left out.
pub fn redact_request(operation: &str, body: &Value) -> Value {
    match MODEL.inputs.get(operation) {
        Some(shape) => redact(shape, body),
        None => Value::Null,
    }
}

/// A response body as the audit trail records it (`responseElements`), redacted the same way.
pub fn redact_response(operation: &str, body: &Value) -> Value {
    match MODEL.outputs.get(operation) {
        Some(shape) => redact(shape, body),
        None => Value::Null,
    }
}

fn lower_camel(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

fn redact(shape_name: &str, value: &Value) -> Value {
    let Some(shape) = MODEL.shapes.get(shape_name) else {
        return Value::Null;
    };
    if shape.sensitive {
        return Value::Null;
    }
    match (&shape.kind, value) {
        (Kind::Structure { members, .. }, Value::Object(fields)) => {
            let mut out = serde_json::Map::new();
            for (name, member_shape) in members {
                let Some(v) = fields.get(name) else { continue };
                let keep = MODEL
                    .shapes
                    .get(member_shape)
                    .is_some_and(|s| !s.sensitive && !matches!(s.kind, Kind::Blob));
                if keep {
                    out.insert(lower_camel(name), redact(member_shape, v));
                }
            }
            Value::Object(out)
        }
        (Kind::List { member }, Value::Array(items)) => {
            Value::Array(items.iter().map(|i| redact(member, i)).collect())
        }
        (Kind::Map { value: v_shape, .. }, Value::Object(fields)) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), redact(v_shape, v)))
                .collect(),
        ),
        (Kind::Blob, _) => Value::Null,
        (_, v) => v.clone(),
    }
}

/// Whether `operation` is one of the model's operations.
pub fn is_known_operation(operation: &str) -> bool {
    MODEL.inputs.contains_key(operation)
}

/// All operation names of the model, sorted.
pub fn operation_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = MODEL.inputs.keys().map(String::as_str).collect();
    names.sort_unstable();
    names
}

/// Validates a request body against the input shape of `operation`.
///
/// Returns `SerializationException` for JSON of the wrong type and `ValidationException`, with
/// every violation in AWS's wording, for values that break a constraint.
pub fn validate(operation: &str, body: &Value) -> Result<(), WireError> {
    let Some(input) = MODEL.inputs.get(operation) else {
        return Ok(());
    };
    let mut violations = Vec::new();
    check(input, body, "", &mut violations)?;
    if violations.is_empty() {
        return Ok(());
    }
    Err(crate::validation::error(&violations))
}

fn serialization(message: impl Into<String>) -> WireError {
    WireError::new(ErrorCode::SerializationException, message.into())
}

/// AWS names a member in messages with its first letter lower-cased (`KeyId` -> `keyId`).
fn member_path(prefix: &str, member: &str) -> String {
    let mut chars = member.chars();
    let lowered: String = match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    };
    if prefix.is_empty() {
        lowered
    } else {
        format!("{prefix}.{lowered}")
    }
}

/// How AWS (a Java service) renders a value in a validation message.
fn render(value: &Value, shape: &Shape) -> String {
    match value {
        Value::String(s) if matches!(shape.kind, Kind::Blob) => {
            let len = decoded_len(s);
            format!("java.nio.HeapByteBuffer[pos=0 lim={len} cap={len}]")
        }
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let inner: Vec<String> = items
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => format!("{k}={s}"),
                    other => format!("{k}={other}"),
                })
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        other => other.to_string(),
    }
}

fn decoded_len(b64: &str) -> usize {
    crate::blob::decoded_len(b64.as_bytes()).unwrap_or(0)
}

/// A violation of `shape`'s constraint by `value`; a sensitive member's value is left out, as AWS
/// leaves it out.
fn violation<'m>(
    path: &str,
    value: &Value,
    shape: &Shape,
    constraint: Constraint<'m>,
) -> Violation<'m> {
    Violation::new(
        path,
        (!shape.sensitive).then(|| render(value, shape)),
        constraint,
    )
}

fn check_length(
    len: usize,
    path: &str,
    value: &Value,
    shape: &Shape,
    out: &mut Vec<Violation<'static>>,
) {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    if let Some(min) = shape.min
        && len < min
    {
        out.push(violation(path, value, shape, Constraint::MinLength(min)));
    }
    if let Some(max) = shape.max
        && len > max
    {
        out.push(violation(path, value, shape, Constraint::MaxLength(max)));
    }
}

fn check(
    shape_name: &str,
    value: &Value,
    path: &str,
    out: &mut Vec<Violation<'static>>,
) -> Result<(), WireError> {
    let Some(shape) = MODEL.shapes.get(shape_name) else {
        return Ok(());
    };
    if value.is_null() {
        return Ok(());
    }
    match &shape.kind {
        Kind::Structure { members, required } => {
            let Some(object) = value.as_object() else {
                return Err(serialization(format!(
                    "Start of structure or map found where not expected at '{path}'"
                )));
            };
            for (name, member_shape) in members {
                let member_value = object.get(name).unwrap_or(&Value::Null);
                let p = member_path(path, name);
                if member_value.is_null() {
                    if required.contains(name) {
                        out.push(Violation::missing(p));
                    }
                    continue;
                }
                check(member_shape, member_value, &p, out)?;
            }
        }
        Kind::List { member } => {
            let Some(items) = value.as_array() else {
                return Err(serialization(format!("Expected list or null at '{path}'")));
            };
            check_length(items.len(), path, value, shape, out);
            for (i, item) in items.iter().enumerate() {
                check(member, item, &format!("{path}.{}.member", i + 1), out)?;
            }
        }
        Kind::Map {
            key,
            value: value_shape,
        } => {
            let Some(map) = value.as_object() else {
                return Err(serialization(format!("Expected map or null at '{path}'")));
            };
            check_length(map.len(), path, value, shape, out);
            for (k, v) in map {
                check(key, &Value::String(k.clone()), &format!("{path}.key"), out)?;
                if v.is_null() {
                    return Err(serialization(format!(
                        "Map value null found where not expected at '{path}.{k}'"
                    )));
                }
                check(value_shape, v, &format!("{path}.{k}"), out)?;
            }
        }
        Kind::String => {
            let Some(s) = value.as_str() else {
                return Err(serialization(format!(
                    "NUMBER_VALUE can not be converted to a String at '{path}'"
                )));
            };
            // Java measures strings in UTF-16 code units.
            check_length(s.encode_utf16().count(), path, value, shape, out);
            if let Some((source, regex)) = &shape.pattern
                && !regex.is_match(s)
            {
                out.push(violation(
                    path,
                    value,
                    shape,
                    Constraint::Pattern(source.as_str()),
                ));
            }
            if let Some(values) = &shape.enum_values
                && !values.iter().any(|v| v == s)
            {
                out.push(violation(
                    path,
                    value,
                    shape,
                    Constraint::Enum(values.as_slice()),
                ));
            }
        }
        Kind::Blob => {
            let Some(s) = value.as_str() else {
                return Err(serialization(format!(
                    "Expected a base64-encoded string at '{path}'"
                )));
            };
            // Checked and measured without decoding: a plaintext is not copied to be counted.
            let Some(len) = crate::blob::decoded_len(s.as_bytes()) else {
                return Err(serialization(format!(
                    "Value at '{path}' is not valid base64"
                )));
            };
            check_length(len, path, value, shape, out);
        }
        Kind::Integer => {
            let Some(n) = value.as_i64() else {
                return Err(serialization(format!("Expected an integer at '{path}'")));
            };
            if let Some(min) = shape.min
                && n < min
            {
                out.push(violation(path, value, shape, Constraint::Min(min)));
            }
            if let Some(max) = shape.max
                && n > max
            {
                out.push(violation(path, value, shape, Constraint::Max(max)));
            }
        }
        Kind::Boolean => {
            if !value.is_boolean() {
                return Err(serialization(format!("Expected a boolean at '{path}'")));
            }
        }
        Kind::Timestamp => {
            if !value.is_number() {
                return Err(serialization(format!(
                    "Expected a timestamp (epoch seconds) at '{path}'"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
