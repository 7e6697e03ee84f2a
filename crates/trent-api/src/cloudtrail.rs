//! CloudTrail's `LookupEvents` over AWS JSON 1.1
//! (`X-Amz-Target: com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents`): the
//! request as Trent reads it, the response's shapes, and CloudTrail's error codes.

use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use crate::blob::EpochMillis;
use crate::error::{ErrorCode, WireError};

/// The target prefix of CloudTrail calls.
pub const TARGET_PREFIX: &str = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.";
/// CloudTrail's signing name.
pub const SERVICE: &str = "cloudtrail";
/// The most events one page holds, and the page size when `MaxResults` is absent.
pub const MAX_RESULTS: u64 = 50;

/// A CloudTrail action Trent serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloudTrailAction {
    LookupEvents,
}

impl CloudTrailAction {
    /// Every served action.
    pub const ALL: &'static [CloudTrailAction] = &[CloudTrailAction::LookupEvents];

    /// The action by its name (the target without [`TARGET_PREFIX`]).
    pub fn parse(name: &str) -> Option<CloudTrailAction> {
        CloudTrailAction::ALL
            .iter()
            .copied()
            .find(|a| a.name() == name)
    }

    /// The action's name.
    pub fn name(self) -> &'static str {
        match self {
            CloudTrailAction::LookupEvents => "LookupEvents",
        }
    }

    /// Whether it changes nothing (CloudTrail's `readOnly`).
    pub fn read_only(self) -> bool {
        match self {
            CloudTrailAction::LookupEvents => true,
        }
    }

    /// The IAM action that authorizes it.
    pub fn iam_action(self) -> &'static str {
        match self {
            CloudTrailAction::LookupEvents => "cloudtrail:LookupEvents",
        }
    }
}

impl std::fmt::Display for CloudTrailAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// CloudTrail's exceptions that Trent sends. The names are AWS's, verbatim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(clippy::enum_variant_names)]
pub enum CloudTrailErrorCode {
    InvalidLookupAttributesException,
    InvalidMaxResultsException,
    InvalidNextTokenException,
}

impl CloudTrailErrorCode {
    /// The exception's name.
    pub fn as_str(self) -> &'static str {
        match self {
            CloudTrailErrorCode::InvalidLookupAttributesException => {
                "InvalidLookupAttributesException"
            }
            CloudTrailErrorCode::InvalidMaxResultsException => "InvalidMaxResultsException",
            CloudTrailErrorCode::InvalidNextTokenException => "InvalidNextTokenException",
        }
    }
}

impl std::fmt::Display for CloudTrailErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A CloudTrail error. On the wire it travels as the JSON protocol's `ValidationException`
/// (400) whose message starts with the exception's name: `InvalidNextTokenException: …`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct CloudTrailError {
    pub code: CloudTrailErrorCode,
    pub message: String,
}

impl CloudTrailError {
    pub fn new(code: CloudTrailErrorCode, message: impl Into<String>) -> CloudTrailError {
        CloudTrailError {
            code,
            message: message.into(),
        }
    }
}

impl From<CloudTrailError> for WireError {
    fn from(e: CloudTrailError) -> WireError {
        WireError::new(
            ErrorCode::ValidationException,
            format!("{}: {}", e.code, e.message),
        )
    }
}

/// A member of `LookupAttributes`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LookupAttribute {
    pub attribute_key: String,
    pub attribute_value: String,
}

/// `LookupEvents`'s request, as Trent reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupEventsRequest {
    /// The one member of `LookupAttributes`, if any (a missing or non-string key or value
    /// reads as empty).
    pub lookup_attribute: Option<LookupAttribute>,
    /// `StartTime`, epoch seconds (a fraction is dropped), as milliseconds.
    pub start_time: Option<EpochMillis>,
    /// `EndTime`, the same way.
    pub end_time: Option<EpochMillis>,
    /// `MaxResults`: 1 to 50, 50 when absent.
    pub max_results: usize,
    /// `NextToken`: the position to read before (a positive integer).
    pub next_token: Option<i64>,
}

impl LookupEventsRequest {
    /// Parses and reads a request body (an empty one counts as `{}`).
    pub fn decode(body: &[u8]) -> Result<LookupEventsRequest, WireError> {
        let input = crate::admin::parse_body(body)?;
        LookupEventsRequest::from_value(&input).map_err(WireError::from)
    }

    /// Reads a parsed request. Members of the wrong type count as absent; the checks run in
    /// this order: `MaxResults` (1 to 50), `LookupAttributes` (at most one), `NextToken`.
    pub fn from_value(input: &Value) -> Result<LookupEventsRequest, CloudTrailError> {
        let max = input
            .get("MaxResults")
            .and_then(Value::as_u64)
            .unwrap_or(MAX_RESULTS);
        if !(1..=MAX_RESULTS).contains(&max) {
            return Err(CloudTrailError::new(
                CloudTrailErrorCode::InvalidMaxResultsException,
                "MaxResults must be 1 to 50.",
            ));
        }
        let lookup_attribute = match input.get("LookupAttributes").and_then(Value::as_array) {
            None => None,
            Some(list) if list.len() > 1 => {
                return Err(CloudTrailError::new(
                    CloudTrailErrorCode::InvalidLookupAttributesException,
                    "You can specify only one lookup attribute.",
                ));
            }
            Some(list) => list.first().map(|a| {
                let text = |name: &str| {
                    a.get(name)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                LookupAttribute {
                    attribute_key: text("AttributeKey"),
                    attribute_value: text("AttributeValue"),
                }
            }),
        };
        let next_token = match input.get("NextToken").and_then(Value::as_str) {
            None => None,
            Some(t) => Some(t.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                CloudTrailError::new(
                    CloudTrailErrorCode::InvalidNextTokenException,
                    "Invalid NextToken.",
                )
            })?),
        };
        // Times arrive as epoch seconds; whole seconds are enough for a lookup.
        let time = |name: &str| {
            input
                .get(name)
                .and_then(|v| {
                    v.as_i64()
                        .or_else(|| v.as_f64().map(f64::trunc).and_then(whole))
                })
                .and_then(|s| s.checked_mul(1000))
                .map(EpochMillis)
        };
        Ok(LookupEventsRequest {
            lookup_attribute,
            start_time: time("StartTime"),
            end_time: time("EndTime"),
            max_results: usize::try_from(max).unwrap_or(50),
            next_token,
        })
    }
}

/// A whole number of seconds as an integer, if it fits.
fn whole(seconds: f64) -> Option<i64> {
    format!("{seconds:.0}").parse().ok()
}

/// `LookupEvents`'s answer: the page, newest first, and a `NextToken` when another may follow.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LookupEventsResponse {
    pub events: Vec<Event>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// One event of a page. Members the recorded event lacks are sent as `null`.
///
/// The fields are declared in the order the server's JSON had them (by name).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Event {
    pub access_key_id: Option<String>,
    /// The whole recorded event, as JSON text.
    pub cloud_trail_event: String,
    pub event_id: Option<String>,
    pub event_name: Option<String>,
    pub event_source: Option<String>,
    /// Epoch seconds (a JSON integer).
    pub event_time: i64,
    /// Sent as the string `"true"` or `"false"`, as CloudTrail does.
    #[serde(serialize_with = "bool_as_string")]
    pub read_only: bool,
    pub resources: Vec<Resource>,
    pub username: Option<String>,
}

/// A resource an event names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Resource {
    pub resource_name: Option<String>,
    pub resource_type: Option<String>,
}

fn bool_as_string<S: Serializer>(value: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(if *value { "true" } else { "false" })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(input: Value) -> Result<LookupEventsRequest, CloudTrailError> {
        LookupEventsRequest::from_value(&input)
    }

    #[test]
    fn an_empty_request_reads_a_full_page_from_the_newest() {
        let expected = LookupEventsRequest {
            lookup_attribute: None,
            start_time: None,
            end_time: None,
            max_results: 50,
            next_token: None,
        };
        assert_eq!(read(json!({})).unwrap(), expected);
        assert_eq!(LookupEventsRequest::decode(b"").unwrap(), expected);
        assert_eq!(LookupEventsRequest::decode(b" \n").unwrap(), expected);
        // Members of the wrong type count as absent.
        assert_eq!(
            read(json!({"MaxResults": "10", "LookupAttributes": {}, "NextToken": 5, "StartTime": "x"}))
                .unwrap(),
            expected
        );
        let e = LookupEventsRequest::decode(b"{").unwrap_err();
        assert_eq!(e, WireError::new(ErrorCode::SerializationException, ""));
    }

    #[test]
    fn members_are_read_as_before() {
        let request = read(json!({
            "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "Encrypt"}],
            "StartTime": 1_700_000_000,
            "EndTime": 1_700_000_100.9,
            "MaxResults": 7,
            "NextToken": "42",
        }))
        .unwrap();
        assert_eq!(
            request,
            LookupEventsRequest {
                lookup_attribute: Some(LookupAttribute {
                    attribute_key: "EventName".to_owned(),
                    attribute_value: "Encrypt".to_owned(),
                }),
                start_time: Some(EpochMillis(1_700_000_000_000)),
                end_time: Some(EpochMillis(1_700_000_100_000)),
                max_results: 7,
                next_token: Some(42),
            }
        );
        let request = read(json!({
            "LookupAttributes": [{"AttributeKey": "ReadOnly"}],
            "StartTime": -1.5,
            "EndTime": 1e300,
        }))
        .unwrap();
        assert_eq!(
            request.lookup_attribute,
            Some(LookupAttribute {
                attribute_key: "ReadOnly".to_owned(),
                attribute_value: String::new(),
            })
        );
        assert_eq!(request.start_time, Some(EpochMillis(-1000)));
        assert_eq!(request.end_time, None);
        assert_eq!(
            read(json!({"StartTime": i64::MAX})).unwrap().start_time,
            None
        );
        assert_eq!(
            read(json!({"LookupAttributes": []}))
                .unwrap()
                .lookup_attribute,
            None
        );
    }

    #[test]
    fn errors_are_cloudtrails_in_a_validation_exception() {
        let two = json!([
            {"AttributeKey": "EventName", "AttributeValue": "Encrypt"},
            {"AttributeKey": "Username", "AttributeValue": "root"}]);
        for (input, code) in [
            (json!({"MaxResults": 0}), "InvalidMaxResultsException"),
            (json!({"MaxResults": 51}), "InvalidMaxResultsException"),
            (
                json!({"NextToken": "not-a-token"}),
                "InvalidNextTokenException",
            ),
            (json!({"NextToken": "-5"}), "InvalidNextTokenException"),
            (json!({"NextToken": "0"}), "InvalidNextTokenException"),
            (
                json!({"LookupAttributes": two}),
                "InvalidLookupAttributesException",
            ),
            // MaxResults is checked first, then the attributes, then the token.
            (
                json!({"MaxResults": 0, "LookupAttributes": two, "NextToken": "x"}),
                "InvalidMaxResultsException",
            ),
            (
                json!({"LookupAttributes": two, "NextToken": "x"}),
                "InvalidLookupAttributesException",
            ),
        ] {
            let e = read(input.clone()).unwrap_err();
            assert_eq!(e.code.as_str(), code, "{input}");
        }
        let wire = WireError::from(read(json!({"MaxResults": 0})).unwrap_err());
        assert_eq!(wire.code.http_status(), 400);
        assert_eq!(
            String::from_utf8(wire.body()).unwrap(),
            r#"{"__type":"ValidationException","message":"InvalidMaxResultsException: MaxResults must be 1 to 50."}"#
        );
        let wire = WireError::from(read(json!({"NextToken": "x"})).unwrap_err());
        assert_eq!(
            wire.message,
            "InvalidNextTokenException: Invalid NextToken."
        );
        let wire = WireError::from(read(json!({"LookupAttributes": two})).unwrap_err());
        assert_eq!(
            wire.message,
            "InvalidLookupAttributesException: You can specify only one lookup attribute."
        );
    }

    #[test]
    fn responses_render_as_before() {
        let event = Event {
            access_key_id: Some("AKIAEXAMPLE".to_owned()),
            cloud_trail_event: r#"{"eventName":"Encrypt"}"#.to_owned(),
            event_id: Some("e-1".to_owned()),
            event_name: Some("Encrypt".to_owned()),
            event_source: Some("kms.amazonaws.com".to_owned()),
            event_time: 1_700_000_000,
            read_only: true,
            resources: vec![Resource {
                resource_name: Some("arn:aws:kms:us-east-1:111122223333:key/k".to_owned()),
                resource_type: Some("AWS::KMS::Key".to_owned()),
            }],
            username: Some("root".to_owned()),
        };
        let bare = Event {
            cloud_trail_event: "{}".to_owned(),
            resources: vec![Resource::default()],
            ..Event::default()
        };
        let page = LookupEventsResponse {
            events: vec![event, bare],
            next_token: Some("17".to_owned()),
        };
        assert_eq!(
            serde_json::to_string(&page).unwrap(),
            r#"{"Events":[{"AccessKeyId":"AKIAEXAMPLE","CloudTrailEvent":"{\"eventName\":\"Encrypt\"}","EventId":"e-1","EventName":"Encrypt","EventSource":"kms.amazonaws.com","EventTime":1700000000,"ReadOnly":"true","Resources":[{"ResourceName":"arn:aws:kms:us-east-1:111122223333:key/k","ResourceType":"AWS::KMS::Key"}],"Username":"root"},{"AccessKeyId":null,"CloudTrailEvent":"{}","EventId":null,"EventName":null,"EventSource":null,"EventTime":0,"ReadOnly":"false","Resources":[{"ResourceName":null,"ResourceType":null}],"Username":null}],"NextToken":"17"}"#
        );
        assert_eq!(
            serde_json::to_string(&LookupEventsResponse::default()).unwrap(),
            r#"{"Events":[]}"#
        );
    }

    #[test]
    fn actions_by_name() {
        assert_eq!(
            CloudTrailAction::parse("LookupEvents"),
            Some(CloudTrailAction::LookupEvents)
        );
        assert_eq!(CloudTrailAction::parse("GetTrail"), None);
        assert!(CloudTrailAction::LookupEvents.read_only());
    }
}
