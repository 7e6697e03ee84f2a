//! STS over the AWS query protocol: the form-encoded request, the actions Trent serves
//! (`GetCallerIdentity`, `AssumeRole`), their XML responses, and STS's error codes, statuses
//! and XML error body.

use std::collections::BTreeMap;

use crate::blob::EpochMillis;
use crate::error::{ErrorCode, WireError};
use crate::secret::SecretString;

/// The XML namespace of every STS response.
pub const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
/// The API version STS's errors name.
pub const VERSION: &str = "2011-06-15";
/// The signing name of STS.
pub const SERVICE: &str = "sts";
/// The content type of STS's responses.
pub const CONTENT_TYPE: &str = "text/xml";

/// An STS action Trent serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StsAction {
    GetCallerIdentity,
    AssumeRole,
}

impl StsAction {
    /// Every served action.
    pub const ALL: &'static [StsAction] = &[StsAction::GetCallerIdentity, StsAction::AssumeRole];

    /// The action by its `Action` parameter.
    pub fn parse(name: &str) -> Option<StsAction> {
        StsAction::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// The `Action` parameter.
    pub fn name(self) -> &'static str {
        match self {
            StsAction::GetCallerIdentity => "GetCallerIdentity",
            StsAction::AssumeRole => "AssumeRole",
        }
    }

    /// Whether it changes nothing (CloudTrail's `readOnly`): the same verdict the audit trail
    /// gives today by name (`Assume…` is a write).
    pub fn read_only(self) -> bool {
        match self {
            StsAction::GetCallerIdentity => true,
            StsAction::AssumeRole => false,
        }
    }

    /// The action a request's form names: `MissingAction` when it names none (or an empty
    /// one), `InvalidAction` when it names one Trent does not serve.
    pub fn from_params(params: &BTreeMap<String, String>) -> Result<StsAction, StsError> {
        match params.get("Action").map(String::as_str).unwrap_or_default() {
            "" => Err(StsError::new(StsErrorCode::MissingAction, "Missing Action")),
            name => StsAction::parse(name).ok_or_else(|| {
                StsError::new(
                    StsErrorCode::InvalidAction,
                    format!("Could not find operation {name} for version {VERSION}"),
                )
            }),
        }
    }
}

impl std::fmt::Display for StsAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The form parameters of a query-protocol request (`application/x-www-form-urlencoded`):
/// The form parameters of a query-protocol request (`application/x-www-form-urlencoded`); a
/// repeated name keeps its last value.
pub fn parse_form(body: &[u8]) -> BTreeMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
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

/// An ISO 8601 UTC time to the second, `2026-01-01T00:00:00Z` (STS's `Expiration`); the
/// milliseconds are dropped (rounding down, before 1970 too).
pub fn iso8601(t: EpochMillis) -> String {
    let secs = t.0.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `<{action}Response>` around `<{action}Result>` and the request id.
fn envelope(action: StsAction, result: &str, request_id: &str) -> String {
    let action = action.name();
    format!(
        "<{action}Response xmlns=\"{NAMESPACE}\"><{action}Result>{result}</{action}Result><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{action}Response>",
        escape(request_id)
    )
}

/// A session tag: `Tags.member.N.Key` and `Tags.member.N.Value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// `AssumeRole`'s parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssumeRoleRequest {
    pub role_arn: String,
    pub role_session_name: String,
    pub duration_seconds: Option<u32>,
    /// `Tags.member.1…`, up to the first without a `Key` (a missing `Value` is empty).
    pub tags: Vec<Tag>,
    /// `TransitiveTagKeys.member.1…`, up to the first missing.
    pub transitive_tag_keys: Vec<String>,
    pub external_id: Option<String>,
}

impl AssumeRoleRequest {
    /// Reads the parameters, checking in this order: no session policy (`Policy`,
    /// `PolicyArns.…`), a numeric `DurationSeconds`, then `RoleArn` and `RoleSessionName`
    /// present; each failure is `ValidationError`.
    pub fn from_params(params: &BTreeMap<String, String>) -> Result<AssumeRoleRequest, StsError> {
        if params.contains_key("Policy") || params.keys().any(|k| k.starts_with("PolicyArns.")) {
            return Err(StsError::new(
                StsErrorCode::ValidationError,
                "Session policies (Policy, PolicyArns) are not supported by this version of Trent.",
            ));
        }
        let required = |name: &str| {
            params.get(name).cloned().ok_or_else(|| {
                StsError::new(
                    StsErrorCode::ValidationError,
                    crate::validation::Violation::missing(lower_first(name)).message(),
                )
            })
        };
        let duration_seconds = match params.get("DurationSeconds") {
            None => None,
            Some(d) => Some(d.parse::<u32>().map_err(|_| {
                StsError::new(
                    StsErrorCode::ValidationError,
                    format!("Invalid DurationSeconds '{d}'"),
                )
            })?),
        };
        let role_arn = required("RoleArn")?;
        let role_session_name = required("RoleSessionName")?;
        let tags = (1u32..)
            .map_while(|n| {
                let key = params.get(&format!("Tags.member.{n}.Key"))?;
                Some(Tag {
                    key: key.clone(),
                    value: params
                        .get(&format!("Tags.member.{n}.Value"))
                        .cloned()
                        .unwrap_or_default(),
                })
            })
            .collect();
        let transitive_tag_keys = (1u32..)
            .map_while(|n| {
                params
                    .get(&format!("TransitiveTagKeys.member.{n}"))
                    .cloned()
            })
            .collect();
        Ok(AssumeRoleRequest {
            role_arn,
            role_session_name,
            duration_seconds,
            tags,
            transitive_tag_keys,
            external_id: params.get("ExternalId").cloned(),
        })
    }
}

fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// `GetCallerIdentity`'s answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetCallerIdentityResponse {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

impl GetCallerIdentityResponse {
    /// The XML body.
    pub fn body(&self, request_id: &str) -> String {
        envelope(
            StsAction::GetCallerIdentity,
            &format!(
                "<Arn>{}</Arn><UserId>{}</UserId><Account>{}</Account>",
                escape(&self.arn),
                escape(&self.user_id),
                escape(&self.account)
            ),
            request_id,
        )
    }
}

/// Temporary credentials; the secret and the token are redacted in `Debug`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    pub session_token: SecretString,
    /// Sent to the second.
    pub expiration: EpochMillis,
}

/// Who the credentials act as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssumedRoleUser {
    /// `<role id>:<session name>`.
    pub assumed_role_id: String,
    /// `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    pub arn: String,
}

/// `AssumeRole`'s answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssumeRoleResponse {
    pub credentials: Credentials,
    pub assumed_role_user: AssumedRoleUser,
    /// Sent only when present; Trent sends `1` when the session has tags.
    pub packed_policy_size: Option<u32>,
}

impl AssumeRoleResponse {
    /// The XML body.
    pub fn body(&self, request_id: &str) -> String {
        let c = &self.credentials;
        let packed = self
            .packed_policy_size
            .map(|n| format!("<PackedPolicySize>{n}</PackedPolicySize>"))
            .unwrap_or_default();
        envelope(
            StsAction::AssumeRole,
            &format!(
                "<Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey><SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>{}</AssumedRoleId><Arn>{}</Arn></AssumedRoleUser>{packed}",
                escape(&c.access_key_id),
                escape(c.secret_access_key.as_str()),
                escape(c.session_token.as_str()),
                iso8601(c.expiration),
                escape(&self.assumed_role_user.assumed_role_id),
                escape(&self.assumed_role_user.arn)
            ),
            request_id,
        )
    }
}

/// Every STS error `Code` Trent can send.
///
/// The names are AWS's, verbatim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StsErrorCode {
    AccessDenied,
    ExpiredToken,
    IncompleteSignature,
    InternalFailure,
    InvalidAction,
    InvalidClientTokenId,
    MalformedPolicyDocument,
    MissingAction,
    MissingAuthenticationToken,
    SignatureDoesNotMatch,
    Throttling,
    ValidationError,
}

impl StsErrorCode {
    /// The `Code` string.
    pub fn as_str(self) -> &'static str {
        use StsErrorCode::*;
        match self {
            AccessDenied => "AccessDenied",
            ExpiredToken => "ExpiredToken",
            IncompleteSignature => "IncompleteSignature",
            InternalFailure => "InternalFailure",
            InvalidAction => "InvalidAction",
            InvalidClientTokenId => "InvalidClientTokenId",
            MalformedPolicyDocument => "MalformedPolicyDocument",
            MissingAction => "MissingAction",
            MissingAuthenticationToken => "MissingAuthenticationToken",
            SignatureDoesNotMatch => "SignatureDoesNotMatch",
            Throttling => "Throttling",
            ValidationError => "ValidationError",
        }
    }

    /// The HTTP status STS sends with this error.
    pub fn http_status(self) -> u16 {
        use StsErrorCode::*;
        match self {
            AccessDenied
            | InvalidClientTokenId
            | MissingAuthenticationToken
            | IncompleteSignature
            | SignatureDoesNotMatch => 403,
            InternalFailure => 500,
            ExpiredToken
            | Throttling
            | ValidationError
            | MalformedPolicyDocument
            | MissingAction
            | InvalidAction => 400,
        }
    }

    /// Whether the caller is at fault (`<Type>Sender</Type>`) rather than the service
    /// (`Receiver`): every client status.
    pub fn is_sender(self) -> bool {
        self.http_status() < 500
    }

    /// The `Type` string: `Sender` or `Receiver`.
    pub fn error_type(self) -> &'static str {
        if self.is_sender() {
            "Sender"
        } else {
            "Receiver"
        }
    }
}

impl std::fmt::Display for StsErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The message of `InternalFailure`.
pub const INTERNAL_MESSAGE: &str = "An internal error occurred.";

/// An STS error: its code (which gives the status and `Type`) and message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct StsError {
    pub code: StsErrorCode,
    pub message: String,
}

impl StsError {
    pub fn new(code: StsErrorCode, message: impl Into<String>) -> StsError {
        StsError {
            code,
            message: message.into(),
        }
    }

    /// `InternalFailure`, with STS's message (the cause belongs in the log, not the answer).
    pub fn internal() -> StsError {
        StsError::new(StsErrorCode::InternalFailure, INTERNAL_MESSAGE)
    }

    /// The HTTP status.
    pub fn http_status(&self) -> u16 {
        self.code.http_status()
    }

    /// An error of the front door or of authentication, in the JSON protocol's codes, in
    /// STS's: an expired token, an unknown access key, a missing token, an incomplete
    /// signature and throttling by their STS names; anything else (a bad signature, but also
    /// a body too large or too slow) as `SignatureDoesNotMatch`. The message is kept.
    pub fn from_wire(e: &WireError) -> StsError {
        let code = match e.code {
            ErrorCode::ExpiredTokenException => StsErrorCode::ExpiredToken,
            ErrorCode::UnrecognizedClientException => StsErrorCode::InvalidClientTokenId,
            ErrorCode::MissingAuthenticationTokenException => {
                StsErrorCode::MissingAuthenticationToken
            }
            ErrorCode::IncompleteSignatureException => StsErrorCode::IncompleteSignature,
            ErrorCode::ThrottlingException => StsErrorCode::Throttling,
            _ => StsErrorCode::SignatureDoesNotMatch,
        };
        StsError::new(code, e.message.clone())
    }

    /// The XML body.
    pub fn body(&self, request_id: &str) -> String {
        format!(
            "<ErrorResponse xmlns=\"{NAMESPACE}\"><Error><Type>{}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
            self.code.error_type(),
            self.code.as_str(),
            escape(&self.message),
            escape(request_id)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn forms_decode_as_form_urlencoded_does() {
        let form = parse_form(
            b"Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2FOps&&Tags.member.1.Key=a+b%2Bc&bad=%zz%4&bare&dup=1&dup=2&=v&utf=%C3%A9%FF&eq=a=b",
        );
        let expected = params(&[
            ("Action", "AssumeRole"),
            ("RoleArn", "arn:aws:iam::111122223333:role/Ops"),
            ("Tags.member.1.Key", "a b+c"),
            ("bad", "%zz%4"),
            ("bare", ""),
            ("dup", "2"),
            ("", "v"),
            ("utf", "\u{e9}\u{fffd}"),
            ("eq", "a=b"),
        ]);
        assert_eq!(form, expected);
        assert!(parse_form(b"").is_empty());
        assert!(parse_form(b"&&&").is_empty());
        assert_eq!(parse_form(b"a=%2"), params(&[("a", "%2")]));
        assert_eq!(parse_form(b"a=%+1"), params(&[("a", "% 1")]));
    }

    #[test]
    fn actions_by_name_and_their_errors() {
        assert_eq!(
            StsAction::from_params(&params(&[("Action", "AssumeRole")])),
            Ok(StsAction::AssumeRole)
        );
        assert_eq!(
            StsAction::from_params(&params(&[("Action", "GetCallerIdentity")])),
            Ok(StsAction::GetCallerIdentity)
        );
        for missing in [params(&[]), params(&[("Action", "")])] {
            let e = StsAction::from_params(&missing).unwrap_err();
            assert_eq!(
                e,
                StsError::new(StsErrorCode::MissingAction, "Missing Action")
            );
        }
        let e = StsAction::from_params(&params(&[("Action", "GetSessionToken")])).unwrap_err();
        assert_eq!(e.code, StsErrorCode::InvalidAction);
        assert_eq!(
            e.message,
            "Could not find operation GetSessionToken for version 2011-06-15"
        );
        assert!(StsAction::GetCallerIdentity.read_only());
        assert!(!StsAction::AssumeRole.read_only());
    }

    #[test]
    fn get_caller_identity_renders_as_before() {
        let response = GetCallerIdentityResponse {
            account: "111122223333".to_owned(),
            arn: "arn:aws:iam::111122223333:user/alice".to_owned(),
            user_id: "AIDAEXAMPLE".to_owned(),
        };
        assert_eq!(
            response.body("req-1"),
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::111122223333:user/alice</Arn><UserId>AIDAEXAMPLE</UserId><Account>111122223333</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
        );
    }

    fn assumed(packed_policy_size: Option<u32>) -> AssumeRoleResponse {
        AssumeRoleResponse {
            credentials: Credentials {
                access_key_id: "ASIAEXAMPLE".to_owned(),
                secret_access_key: SecretString::from("s3cr<t"),
                session_token: SecretString::from("tok&en"),
                expiration: EpochMillis(1_709_210_096_789),
            },
            assumed_role_user: AssumedRoleUser {
                assumed_role_id: "AROAEXAMPLE:raw".to_owned(),
                arn: "arn:aws:sts::111122223333:assumed-role/Ops/raw".to_owned(),
            },
            packed_policy_size,
        }
    }

    #[test]
    fn assume_role_renders_as_before() {
        assert_eq!(
            assumed(None).body("r"),
            "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>s3cr&lt;t</SecretAccessKey><SessionToken>tok&amp;en</SessionToken><Expiration>2024-02-29T12:34:56Z</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:raw</AssumedRoleId><Arn>arn:aws:sts::111122223333:assumed-role/Ops/raw</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>"
        );
        assert_eq!(
            assumed(Some(1)).body("r"),
            "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>s3cr&lt;t</SecretAccessKey><SessionToken>tok&amp;en</SessionToken><Expiration>2024-02-29T12:34:56Z</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:raw</AssumedRoleId><Arn>arn:aws:sts::111122223333:assumed-role/Ops/raw</Arn></AssumedRoleUser><PackedPolicySize>1</PackedPolicySize></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>"
        );
    }

    #[test]
    fn credentials_never_show_their_secrets() {
        let shown = format!("{:?}", assumed(Some(1)));
        assert!(shown.contains("ASIAEXAMPLE"), "{shown}");
        assert!(!shown.contains("s3cr"), "{shown}");
        assert!(!shown.contains("tok&en"), "{shown}");
    }

    #[test]
    fn times_are_iso8601_to_the_second() {
        assert_eq!(
            iso8601(EpochMillis(1_767_225_600_000)),
            "2026-01-01T00:00:00Z"
        );
        assert_eq!(
            iso8601(EpochMillis(1_709_210_096_789)),
            "2024-02-29T12:34:56Z"
        );
        assert_eq!(iso8601(EpochMillis(0)), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(EpochMillis(-1)), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn errors_render_as_before() {
        let e = StsError::new(StsErrorCode::AccessDenied, "a <b> & \"c\" 'd'");
        assert_eq!(
            e.body("r&1"),
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;</Message></Error><RequestId>r&amp;1</RequestId></ErrorResponse>"
        );
        assert_eq!(
            StsError::internal().body("r"),
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>An internal error occurred.</Message></Error><RequestId>r</RequestId></ErrorResponse>"
        );
    }

    #[test]
    fn statuses_and_types_are_as_before() {
        use StsErrorCode::*;
        for (code, status) in [
            (AccessDenied, 403),
            (ValidationError, 400),
            (MalformedPolicyDocument, 400),
            (InternalFailure, 500),
            (MissingAction, 400),
            (InvalidAction, 400),
            (ExpiredToken, 400),
            (Throttling, 400),
            (InvalidClientTokenId, 403),
            (MissingAuthenticationToken, 403),
            (IncompleteSignature, 403),
            (SignatureDoesNotMatch, 403),
        ] {
            assert_eq!(code.http_status(), status, "{code}");
            assert_eq!(code.is_sender(), status < 500, "{code}");
        }
    }

    #[test]
    fn authentication_errors_take_sts_names() {
        for (wire, sts, status) in [
            (ErrorCode::ExpiredTokenException, "ExpiredToken", 400),
            (
                ErrorCode::UnrecognizedClientException,
                "InvalidClientTokenId",
                403,
            ),
            (
                ErrorCode::MissingAuthenticationTokenException,
                "MissingAuthenticationToken",
                403,
            ),
            (
                ErrorCode::IncompleteSignatureException,
                "IncompleteSignature",
                403,
            ),
            (ErrorCode::ThrottlingException, "Throttling", 400),
            (
                ErrorCode::InvalidSignatureException,
                "SignatureDoesNotMatch",
                403,
            ),
            (
                ErrorCode::RequestEntityTooLargeException,
                "SignatureDoesNotMatch",
                403,
            ),
        ] {
            let e = StsError::from_wire(&WireError::new(wire, "why"));
            assert_eq!(e.code.as_str(), sts);
            assert_eq!(e.http_status(), status);
            assert_eq!(e.message, "why");
        }
    }

    #[test]
    fn assume_role_parameters_are_checked_in_order() {
        let e = AssumeRoleRequest::from_params(&params(&[
            ("PolicyArns.member.1.arn", "x"),
            ("DurationSeconds", "x"),
        ]))
        .unwrap_err();
        assert_eq!(e.code, StsErrorCode::ValidationError);
        assert_eq!(
            e.message,
            "Session policies (Policy, PolicyArns) are not supported by this version of Trent."
        );
        let e = AssumeRoleRequest::from_params(&params(&[("DurationSeconds", "-5")])).unwrap_err();
        assert_eq!(e.message, "Invalid DurationSeconds '-5'");
        let e = AssumeRoleRequest::from_params(&params(&[("RoleSessionName", "s")])).unwrap_err();
        assert_eq!(
            e.message,
            "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null"
        );
        let e = AssumeRoleRequest::from_params(&params(&[("RoleArn", "a")])).unwrap_err();
        assert_eq!(
            e.message,
            "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null"
        );

        let request = AssumeRoleRequest::from_params(&params(&[
            ("RoleArn", "arn:aws:iam::111122223333:role/Ops"),
            ("RoleSessionName", "raw"),
            ("DurationSeconds", "900"),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "blue"),
            ("Tags.member.2.Key", "bare"),
            ("Tags.member.4.Key", "after-a-gap"),
            ("TransitiveTagKeys.member.1", "team"),
            ("ExternalId", "ext"),
        ]))
        .unwrap();
        assert_eq!(
            request,
            AssumeRoleRequest {
                role_arn: "arn:aws:iam::111122223333:role/Ops".to_owned(),
                role_session_name: "raw".to_owned(),
                duration_seconds: Some(900),
                tags: vec![
                    Tag {
                        key: "team".to_owned(),
                        value: "blue".to_owned()
                    },
                    Tag {
                        key: "bare".to_owned(),
                        value: String::new()
                    },
                ],
                transitive_tag_keys: vec!["team".to_owned()],
                external_id: Some("ext".to_owned()),
            }
        );
    }
}
