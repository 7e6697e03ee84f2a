//! AWS's validation messages, written in one place.
//!
//! Every `ValidationException` of the form
//! `1 validation error detected: Value 'x' at 'keyId' failed to satisfy constraint: Member must ...`
//! is rendered here: the model-driven validator's ([`crate::model::validate`]), the server's own
//! checks of members the model leaves optional, and the domain's (`trent_core`'s structured
//! `InvalidParameter` error, which the server converts into a [`Violation`]).

use std::fmt;

use crate::error::{ErrorCode, WireError};

/// A constraint of the service model, as AWS words it after `failed to satisfy constraint: `.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Constraint<'a> {
    /// A required member is absent: `Member must not be null` (the value reads `null`).
    NotNull,
    /// A string, blob, list or map shorter than the model's `min`.
    MinLength(i64),
    /// A string, blob, list or map longer than the model's `max`.
    MaxLength(i64),
    /// A number below the model's `min`.
    Min(i64),
    /// A number above the model's `max`.
    Max(i64),
    /// A string that does not match the model's `pattern`, written as the model writes it.
    Pattern(&'a str),
    /// A string outside the model's `enum`, listed in the model's order.
    Enum(&'a [String]),
}

impl fmt::Display for Constraint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Constraint::NotNull => f.write_str("Member must not be null"),
            Constraint::MinLength(n) => {
                write!(f, "Member must have length greater than or equal to {n}")
            }
            Constraint::MaxLength(n) => {
                write!(f, "Member must have length less than or equal to {n}")
            }
            Constraint::Min(n) => write!(f, "Member must have value greater than or equal to {n}"),
            Constraint::Max(n) => write!(f, "Member must have value less than or equal to {n}"),
            Constraint::Pattern(pattern) => {
                write!(
                    f,
                    "Member must satisfy regular expression pattern: {pattern}"
                )
            }
            Constraint::Enum(values) => write!(
                f,
                "Member must satisfy enum value set: [{}]",
                values.join(", ")
            ),
        }
    }
}

/// One member that broke one constraint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation<'a> {
    /// The member's path as AWS writes it: `keyId`, `tags.1.member.tagKey`.
    pub path: String,
    /// The value as AWS (a Java service) renders it, or `None` where AWS leaves it out (a
    /// sensitive member, some lists): `Value at 'plaintext'`. Not used for
    /// [`Constraint::NotNull`], whose value always reads `Value null`.
    pub value: Option<String>,
    pub constraint: Constraint<'a>,
}

impl<'a> Violation<'a> {
    pub fn new(
        path: impl Into<String>,
        value: Option<String>,
        constraint: Constraint<'a>,
    ) -> Violation<'a> {
        Violation {
            path: path.into(),
            value,
            constraint,
        }
    }

    /// The whole message for this violation alone: `1 validation error detected: ...`.
    pub fn message(&self) -> String {
        message(std::slice::from_ref(self))
    }

    /// The `ValidationException` for this violation alone.
    pub fn error(&self) -> WireError {
        error(std::slice::from_ref(self))
    }
}

impl Violation<'static> {
    /// A required member left out: `Value null at '<path>' ... Member must not be null`.
    pub fn missing(path: impl Into<String>) -> Violation<'static> {
        Violation::new(path, None, Constraint::NotNull)
    }
}

impl fmt::Display for Violation<'_> {
    /// One violation, without the count: `Value 'x' at 'keyId' failed to satisfy constraint: ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = &self.path;
        match (&self.constraint, &self.value) {
            (Constraint::NotNull, _) => write!(f, "Value null at '{path}'")?,
            (_, Some(value)) => write!(f, "Value '{value}' at '{path}'")?,
            (_, None) => write!(f, "Value at '{path}'")?,
        }
        write!(f, " failed to satisfy constraint: {}", self.constraint)
    }
}

/// AWS's message for all the violations of a request, counted and joined by `; `:
/// `2 validation errors detected: Value null at 'keyId' ...; Value null at 'plaintext' ...`.
pub fn message(violations: &[Violation<'_>]) -> String {
    let count = violations.len();
    let plural = if count == 1 { "error" } else { "errors" };
    let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
    format!("{count} validation {plural} detected: {}", list.join("; "))
}

/// The `ValidationException` for all the violations of a request.
pub fn error(violations: &[Violation<'_>]) -> WireError {
    WireError::new(ErrorCode::ValidationException, message(violations))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_aws_texts() {
        let values = ["AES_256".to_owned(), "AES_128".to_owned()];
        let cases = [
            (
                Violation::missing("keyId"),
                "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null",
            ),
            (
                Violation::new("plaintext", None, Constraint::MaxLength(4096)),
                "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
            ),
            (
                Violation::new("keyId", Some(String::new()), Constraint::MinLength(1)),
                "1 validation error detected: Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ),
            (
                Violation::new(
                    "rotationPeriodInDays",
                    Some("89".into()),
                    Constraint::Min(90),
                ),
                "1 validation error detected: Value '89' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90",
            ),
            (
                Violation::new("numberOfBytes", Some("2000".into()), Constraint::Max(1024)),
                "1 validation error detected: Value '2000' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
            ),
            (
                Violation::new(
                    "aliasName",
                    Some("alias/a b".into()),
                    Constraint::Pattern("^[a-zA-Z0-9:/_-]+$"),
                ),
                "1 validation error detected: Value 'alias/a b' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
            ),
            (
                Violation::new("keySpec", Some("AES_512".into()), Constraint::Enum(&values)),
                "1 validation error detected: Value 'AES_512' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]",
            ),
        ];
        for (violation, text) in cases {
            assert_eq!(violation.message(), text);
            assert_eq!(
                violation.error(),
                WireError::new(ErrorCode::ValidationException, text)
            );
        }
    }

    #[test]
    fn several_are_counted_and_joined() {
        let text = message(&[Violation::missing("keyId"), Violation::missing("plaintext")]);
        assert_eq!(
            text,
            "2 validation errors detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null; Value null at 'plaintext' failed to satisfy constraint: Member must not be null"
        );
    }
}
