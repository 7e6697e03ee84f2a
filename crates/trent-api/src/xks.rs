//! The wire of AWS's External Key Store (XKS) Proxy API v1: routes, request and response bodies, errors.
//!
//! Both sides of Trent use it.
//! The proxy (Trent answering AWS KMS) parses requests with [`parse_path`] and the `parse_*`
//! functions, and renders responses and [`Error`]s; the KMS side (Trent calling a proxy) renders
//! requests with [`route_path`] and [`body`], and checks a proxy's answers with the responses'
//! `parse` functions, as AWS KMS does.
//! The rules are those of AWS's "External Key Store Proxy API Specification" v1.0.2
//! (`aws/aws-kms-xksproxy-api-spec`, `xks_proxy_api_spec.md`); the spec's words are quoted where
//! a rule is chosen.
//! Nothing here does I/O, and no `Debug` prints a plaintext.

use aws_lc_rs::digest;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::blob::{Blob, SecretBlob};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The SigV4 service name of every XKS request ("we use `kms-xks-proxy` for this specification").
pub const SIGNING_NAME: &str = "kms-xks-proxy";

/// The end of every store's `XksProxyUriPath`: the version 1 base of the API.
pub const PATH_SUFFIX: &str = "/kms/xks/v1";

/// The content type of every request and response.
pub const CONTENT_TYPE: &str = "application/json";

/// The largest plaintext (Encrypt) or ciphertext (Decrypt) accepted, twice the spec's minimum of
/// 4300 bytes; a larger one is `UnsupportedOperationException`.
pub const MAX_PLAINTEXT: usize = 4300 * 2;

/// The largest additional authenticated data accepted (the spec's minimum); a larger one is
/// `UnsupportedOperationException`.
pub const MAX_AAD: usize = 8192;

/// The largest `ciphertextMetadata`: "the size of the field MUST NOT exceed 20 bytes".
pub const MAX_CIPHERTEXT_METADATA: usize = 20;

/// The longest ARN in `requestMetadata`: "The XKS Proxy MUST support ARN lengths of up to 2048 characters".
pub const MAX_ARN: usize = 2048;

/// The longest external key id: "the length of an externalKeyId MUST NOT exceed 128 characters".
pub const MAX_EXTERNAL_KEY_ID: usize = 128;

/// The largest request body; a larger one is refused before it is parsed.
pub const MAX_BODY: usize = 64 * 1024;

/// The longest `XksProxyUriPath`: "The total length of the XksProxyUriPath MUST NOT exceed 128 characters".
const MAX_URI_PATH: usize = 128;

/// An `errorMessage` "MUST be less than 512 characters in length".
const MAX_MESSAGE: usize = 511;

/// The only `encryptionAlgorithm` of v1.
const AES_GCM: &str = "AES_GCM";

/// The only `ciphertextDataIntegrityValueAlgorithm` of v1.
const SHA_256: &str = "SHA_256";

/// The length of an AES-GCM authentication tag: "Authentication tag size MUST be 16 bytes".
const TAG_LEN: usize = 16;

/// The most `keyUsage` values: "The response MUST NOT contain more than ten keyUsage values".
const MAX_KEY_USAGES: usize = 10;

/// The most `ekmFleetDetails`: "at least one and no more than ten entries".
const MAX_FLEET_DETAILS: usize = 10;

/// An initialization vector "MUST be either 12 bytes (96 bits) or 16 bytes (128 bits)".
fn is_iv_len(len: usize) -> bool {
    len == 12 || len == 16
}

// ---------------------------------------------------------------------------------------------
// Errors.

/// The spec's error names, each with its HTTP status (table "Error codes"), in the table's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(clippy::enum_variant_names)]
pub enum ErrorName {
    ValidationException,
    InvalidStateException,
    InvalidCiphertextException,
    InvalidKeyUsageException,
    AuthenticationFailedException,
    AccessDeniedException,
    KeyNotFoundException,
    InvalidUriPathException,
    ThrottlingException,
    UnsupportedOperationException,
    DependencyTimeoutException,
    InternalException,
}

impl ErrorName {
    /// Every error name, in the order of the spec's table.
    pub const ALL: [ErrorName; 12] = [
        ErrorName::ValidationException,
        ErrorName::InvalidStateException,
        ErrorName::InvalidCiphertextException,
        ErrorName::InvalidKeyUsageException,
        ErrorName::AuthenticationFailedException,
        ErrorName::AccessDeniedException,
        ErrorName::KeyNotFoundException,
        ErrorName::InvalidUriPathException,
        ErrorName::ThrottlingException,
        ErrorName::UnsupportedOperationException,
        ErrorName::DependencyTimeoutException,
        ErrorName::InternalException,
    ];

    /// The name as it appears in `errorName`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorName::ValidationException => "ValidationException",
            ErrorName::InvalidStateException => "InvalidStateException",
            ErrorName::InvalidCiphertextException => "InvalidCiphertextException",
            ErrorName::InvalidKeyUsageException => "InvalidKeyUsageException",
            ErrorName::AuthenticationFailedException => "AuthenticationFailedException",
            ErrorName::AccessDeniedException => "AccessDeniedException",
            ErrorName::KeyNotFoundException => "KeyNotFoundException",
            ErrorName::InvalidUriPathException => "InvalidUriPathException",
            ErrorName::ThrottlingException => "ThrottlingException",
            ErrorName::UnsupportedOperationException => "UnsupportedOperationException",
            ErrorName::DependencyTimeoutException => "DependencyTimeoutException",
            ErrorName::InternalException => "InternalException",
        }
    }

    /// The error name spelled `s`, exactly.
    pub fn parse(s: &str) -> Option<ErrorName> {
        ErrorName::ALL.into_iter().find(|name| name.as_str() == s)
    }

    /// The HTTP status the spec gives the error.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorName::ValidationException
            | ErrorName::InvalidStateException
            | ErrorName::InvalidCiphertextException
            | ErrorName::InvalidKeyUsageException => 400,
            ErrorName::AuthenticationFailedException => 401,
            ErrorName::AccessDeniedException => 403,
            ErrorName::KeyNotFoundException | ErrorName::InvalidUriPathException => 404,
            ErrorName::ThrottlingException => 429,
            ErrorName::InternalException => 500,
            ErrorName::UnsupportedOperationException => 501,
            ErrorName::DependencyTimeoutException => 503,
        }
    }
}

impl std::fmt::Display for ErrorName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error answer: `{"errorName": ..., "errorMessage": ...}`.
///
/// The message always conforms to the spec: printable ASCII only, fewer than 512 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub name: ErrorName,
    pub message: String,
}

impl Error {
    /// An error whose message is made to conform: any character outside 0x20..=0x7e becomes `?`,
    /// and the message is cut to 511 characters.
    pub fn new(name: ErrorName, message: impl Into<String>) -> Error {
        let message = message
            .into()
            .chars()
            .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
            .take(MAX_MESSAGE)
            .collect();
        Error { name, message }
    }

    /// The HTTP status of the answer.
    pub fn status(&self) -> u16 {
        self.name.http_status()
    }

    /// The JSON body of the answer; `errorMessage` is left out when the message is empty.
    pub fn body(&self) -> Vec<u8> {
        let mut map = Map::new();
        map.insert("errorName".to_owned(), Value::from(self.name.as_str()));
        if !self.message.is_empty() {
            map.insert(
                "errorMessage".to_owned(),
                Value::from(self.message.as_str()),
            );
        }
        serde_json::to_vec(&Value::Object(map)).unwrap_or_default()
    }

    /// The error a proxy answered (client side): `None` unless the body is a JSON object with a
    /// known `errorName` and, if any, a string `errorMessage` (sanitized as by [`Error::new`]).
    pub fn parse_body(body: &[u8]) -> Option<Error> {
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
            return None;
        };
        let name = ErrorName::parse(map.get("errorName")?.as_str()?)?;
        let message = match map.get("errorMessage") {
            None | Some(Value::Null) => "",
            Some(Value::String(s)) => s.as_str(),
            Some(_) => return None,
        };
        Some(Error::new(name, message))
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.message.is_empty() {
            f.write_str(self.name.as_str())
        } else {
            write!(f, "{}: {}", self.name, self.message)
        }
    }
}

impl std::error::Error for Error {}

fn validation(message: impl Into<String>) -> Error {
    Error::new(ErrorName::ValidationException, message)
}

fn unsupported(message: impl Into<String>) -> Error {
    Error::new(ErrorName::UnsupportedOperationException, message)
}

fn invalid_ciphertext(message: impl Into<String>) -> Error {
    Error::new(ErrorName::InvalidCiphertextException, message)
}

fn invalid_path(path: &str) -> Error {
    Error::new(
        ErrorName::InvalidUriPathException,
        format!("{path} is not a path of the XKS proxy API v1"),
    )
}

// ---------------------------------------------------------------------------------------------
// Routes.

/// The four operations and where they are routed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route<'a> {
    /// `/health`: GetHealthStatus.
    Health,
    /// `/keys/<externalKeyId>/metadata`: GetKeyMetadata.
    Metadata(&'a str),
    /// `/keys/<externalKeyId>/encrypt`.
    Encrypt(&'a str),
    /// `/keys/<externalKeyId>/decrypt`.
    Decrypt(&'a str),
}

impl Route<'_> {
    /// The spec's name of the operation.
    pub fn operation(&self) -> &'static str {
        match self {
            Route::Health => "GetHealthStatus",
            Route::Metadata(_) => "GetKeyMetadata",
            Route::Encrypt(_) => "Encrypt",
            Route::Decrypt(_) => "Decrypt",
        }
    }

    /// The external key the route names, if any (not GetHealthStatus).
    pub fn external_key_id(&self) -> Option<&str> {
        match self {
            Route::Health => None,
            Route::Metadata(id) | Route::Encrypt(id) | Route::Decrypt(id) => Some(id),
        }
    }
}

/// Splits a request path (without its query) into its path prefix, everything before
/// `/kms/xks/v1` (possibly ""), and its route.
///
/// Anything but one of the four paths under a prefix that a store's `XksProxyUriPath` could
/// have ([`is_uri_path`]) and a valid external key id ([`is_external_key_id`]) is
/// `InvalidUriPathException`; so is a trailing slash or a query.
pub fn parse_path(path: &str) -> Result<(&str, Route<'_>), Error> {
    let (base, route) = if let Some(base) = path.strip_suffix("/health") {
        (base, Route::Health)
    } else {
        let (rest, operation) = path.rsplit_once('/').ok_or_else(|| invalid_path(path))?;
        let (keys, id) = rest.rsplit_once('/').ok_or_else(|| invalid_path(path))?;
        let base = keys
            .strip_suffix("/keys")
            .ok_or_else(|| invalid_path(path))?;
        if !is_external_key_id(id) {
            return Err(invalid_path(path));
        }
        let route = match operation {
            "metadata" => Route::Metadata(id),
            "encrypt" => Route::Encrypt(id),
            "decrypt" => Route::Decrypt(id),
            _ => return Err(invalid_path(path)),
        };
        (base, route)
    };
    if !is_uri_path(base) {
        return Err(invalid_path(path));
    }
    let prefix = base.strip_suffix(PATH_SUFFIX).unwrap_or_default();
    Ok((prefix, route))
}

/// The path of `route` under a store's `XksProxyUriPath` (which ends in `/kms/xks/v1`).
pub fn route_path(uri_path: &str, route: &Route<'_>) -> String {
    match route {
        Route::Health => format!("{uri_path}/health"),
        Route::Metadata(id) => format!("{uri_path}/keys/{id}/metadata"),
        Route::Encrypt(id) => format!("{uri_path}/keys/{id}/encrypt"),
        Route::Decrypt(id) => format!("{uri_path}/keys/{id}/decrypt"),
    }
}

/// Whether `value` is a valid external key id: 1 to 128 characters of letters, digits, hyphen,
/// period and underscore.
pub fn is_external_key_id(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_EXTERNAL_KEY_ID
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Whether `value` is a valid `XksProxyUriPath`: at most 128 characters of letters, digits, `/`,
/// `-` and `_`, either `/kms/xks/v1` itself or `/<prefix>/kms/xks/v1` with a non-empty prefix
/// (the KMS model's pattern, for v1).
pub fn is_uri_path(value: &str) -> bool {
    let Some(prefix) = value.strip_suffix(PATH_SUFFIX) else {
        return false;
    };
    value.len() <= MAX_URI_PATH
        && (prefix.is_empty() || (prefix.starts_with('/') && prefix.len() >= 2))
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_'))
}

/// Whether `value` is a valid SigV4 access key id for a proxy: 20 to 30 characters of `A`-`Z`
/// and `2`-`7`.
pub fn is_access_key_id(value: &str) -> bool {
    (20..=30).contains(&value.len())
        && value
            .bytes()
            .all(|b| matches!(b, b'A'..=b'Z' | b'2'..=b'7'))
}

/// Whether `value` is a valid SigV4 secret access key for a proxy: 43 to 64 characters of
/// letters, digits, `+`, `/` and `=`.
pub fn is_secret_access_key(value: &str) -> bool {
    (43..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

// ---------------------------------------------------------------------------------------------
// Requests.

/// `requestMetadata`, the context every request carries.
///
/// Unknown members are accepted and ignored ("AWS KMS may choose to include additional fields",
/// Appendix B); every known member is a string.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_principal_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_source_vpc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_source_vpce: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_arn: Option<String>,
    pub kms_operation: String,
    pub kms_request_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_via_service: Option<String>,
}

/// A GetHealthStatus request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthRequest {
    pub request_metadata: RequestMetadata,
}

/// A GetKeyMetadata request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetadataRequest {
    pub request_metadata: RequestMetadata,
}

/// An Encrypt request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncryptRequest {
    pub request_metadata: RequestMetadata,
    pub plaintext: SecretBlob,
    pub encryption_algorithm: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_authenticated_data: Option<Blob>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ciphertext_data_integrity_value_algorithm: Option<String>,
}

/// A Decrypt request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecryptRequest {
    pub request_metadata: RequestMetadata,
    pub ciphertext: Blob,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ciphertext_metadata: Option<Blob>,
    pub encryption_algorithm: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_authenticated_data: Option<Blob>,
    pub authentication_tag: Blob,
    pub initialization_vector: Blob,
}

/// Which `requestMetadata` members an operation requires beyond `kmsOperation` and `kmsRequestId`.
#[derive(Clone, Copy)]
struct Required {
    principal: bool,
    key_arn: bool,
}

/// The parsed, validated body of a GetHealthStatus request.
///
/// Only `kmsOperation` and `kmsRequestId` are required.
pub fn parse_health(body: &[u8]) -> Result<HealthRequest, Error> {
    let map = object(body)?;
    let request_metadata = request_metadata(
        &map,
        Required {
            principal: false,
            key_arn: false,
        },
    )?;
    Ok(HealthRequest { request_metadata })
}

/// The parsed, validated body of a GetKeyMetadata request.
///
/// `awsPrincipalArn` is required; `kmsKeyArn` is not ("KMS will include this field ... if the
/// kmsOperation is DescribeKey but not if the kmsOperation is CreateKey").
pub fn parse_metadata(body: &[u8]) -> Result<MetadataRequest, Error> {
    let map = object(body)?;
    let request_metadata = request_metadata(
        &map,
        Required {
            principal: true,
            key_arn: false,
        },
    )?;
    Ok(MetadataRequest { request_metadata })
}

/// The parsed, validated body of an Encrypt request.
pub fn parse_encrypt(body: &[u8]) -> Result<EncryptRequest, Error> {
    let mut map = object(body)?;
    let request_metadata = request_metadata(
        &map,
        Required {
            principal: true,
            key_arn: true,
        },
    )?;
    let plaintext = required(take_base64(&mut map, "plaintext")?, "plaintext")?;
    let encryption_algorithm = encryption_algorithm(&map)?;
    let aad = take_base64(&mut map, "additionalAuthenticatedData")?;
    let integrity_algorithm = match string(&map, "ciphertextDataIntegrityValueAlgorithm")? {
        None => None,
        Some(SHA_256) => Some(SHA_256.to_owned()),
        Some(_) => {
            return Err(validation(format!(
                "ciphertextDataIntegrityValueAlgorithm must be {SHA_256}"
            )));
        }
    };
    if plaintext.is_empty() {
        return Err(validation("plaintext must not be empty"));
    }
    check_size("plaintext", plaintext.len(), MAX_PLAINTEXT)?;
    check_aad(aad.as_ref())?;
    Ok(EncryptRequest {
        request_metadata,
        plaintext: SecretBlob(plaintext),
        encryption_algorithm,
        additional_authenticated_data: aad.map(public),
        ciphertext_data_integrity_value_algorithm: integrity_algorithm,
    })
}

/// The parsed, validated body of a Decrypt request.
pub fn parse_decrypt(body: &[u8]) -> Result<DecryptRequest, Error> {
    let mut map = object(body)?;
    let request_metadata = request_metadata(
        &map,
        Required {
            principal: true,
            key_arn: true,
        },
    )?;
    let ciphertext = required(take_base64(&mut map, "ciphertext")?, "ciphertext")?;
    let metadata = take_base64(&mut map, "ciphertextMetadata")?;
    let encryption_algorithm = encryption_algorithm(&map)?;
    let aad = take_base64(&mut map, "additionalAuthenticatedData")?;
    let iv = take_base64(&mut map, "initializationVector")?;
    let iv = required(iv, "initializationVector")?;
    let tag = required(
        take_base64(&mut map, "authenticationTag")?,
        "authenticationTag",
    )?;
    if metadata.as_ref().map_or(0, |m| m.len()) > MAX_CIPHERTEXT_METADATA {
        return Err(validation(format!(
            "ciphertextMetadata must be at most {MAX_CIPHERTEXT_METADATA} bytes"
        )));
    }
    check_size("ciphertext", ciphertext.len(), MAX_PLAINTEXT)?;
    check_aad(aad.as_ref())?;
    if ciphertext.is_empty() {
        return Err(invalid_ciphertext("ciphertext must not be empty"));
    }
    if !is_iv_len(iv.len()) {
        return Err(invalid_ciphertext(
            "initializationVector must be 12 or 16 bytes",
        ));
    }
    if tag.len() != TAG_LEN {
        return Err(invalid_ciphertext(format!(
            "authenticationTag must be {TAG_LEN} bytes"
        )));
    }
    Ok(DecryptRequest {
        request_metadata,
        ciphertext: public(ciphertext),
        ciphertext_metadata: metadata.map(public),
        encryption_algorithm,
        additional_authenticated_data: aad.map(public),
        authentication_tag: public(tag),
        initialization_vector: public(iv),
    })
}

/// Just the `requestMetadata` of any request body, best effort, for the audit record of a
/// request that failed to parse: `None` if the body has none.
///
/// Known members that are not strings are left out; missing `kmsOperation` or `kmsRequestId`
/// are "". The rest of the body is skipped without being copied.
pub fn metadata_of(body: &[u8]) -> Option<RequestMetadata> {
    #[derive(Deserialize)]
    struct OnlyMetadata {
        #[serde(rename = "requestMetadata", default)]
        request_metadata: Option<Value>,
    }
    // A JSON array would deserialize into the struct too; only an object is a request body.
    if body.len() > MAX_BODY || body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return None;
    }
    let only: OnlyMetadata = serde_json::from_slice(body).ok()?;
    let Value::Object(map) = only.request_metadata? else {
        return None;
    };
    let text = |name: &str| map.get(name).and_then(Value::as_str).map(str::to_owned);
    Some(RequestMetadata {
        aws_principal_arn: text("awsPrincipalArn"),
        aws_source_vpc: text("awsSourceVpc"),
        aws_source_vpce: text("awsSourceVpce"),
        kms_key_arn: text("kmsKeyArn"),
        kms_operation: text("kmsOperation").unwrap_or_default(),
        kms_request_id: text("kmsRequestId").unwrap_or_default(),
        kms_via_service: text("kmsViaService"),
    })
}

/// The body as a JSON object, refused unread when over [`MAX_BODY`].
fn object(body: &[u8]) -> Result<Map<String, Value>, Error> {
    if body.len() > MAX_BODY {
        return Err(unsupported(format!(
            "the request body is larger than the {MAX_BODY} bytes this proxy supports"
        )));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(validation("the request body must be a JSON object")),
        Err(_) => Err(validation("the request body is not valid JSON")),
    }
}

fn request_metadata(
    body: &Map<String, Value>,
    required_members: Required,
) -> Result<RequestMetadata, Error> {
    let map = match body.get("requestMetadata") {
        None | Some(Value::Null) => return Err(validation("requestMetadata is required")),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(validation("requestMetadata must be a JSON object")),
    };
    let member = |name: &str| -> Result<Option<String>, Error> {
        match map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(validation(format!(
                "requestMetadata.{name} must be a string"
            ))),
        }
    };
    let needed =
        |value: Option<String>, name: &str, is_required: bool| -> Result<Option<String>, Error> {
            if is_required && value.is_none() {
                return Err(validation(format!("requestMetadata.{name} is required")));
            }
            Ok(value)
        };
    let arn = |value: Option<String>, name: &str| -> Result<Option<String>, Error> {
        match value {
            Some(arn) if arn.chars().count() > MAX_ARN => Err(validation(format!(
                "requestMetadata.{name} must be at most {MAX_ARN} characters"
            ))),
            value => Ok(value),
        }
    };
    let aws_principal_arn = needed(
        member("awsPrincipalArn")?,
        "awsPrincipalArn",
        required_members.principal,
    )?;
    let aws_principal_arn = arn(aws_principal_arn, "awsPrincipalArn")?;
    let aws_source_vpc = member("awsSourceVpc")?;
    let aws_source_vpce = member("awsSourceVpce")?;
    let kms_key_arn = needed(member("kmsKeyArn")?, "kmsKeyArn", required_members.key_arn)?;
    let kms_key_arn = arn(kms_key_arn, "kmsKeyArn")?;
    let kms_operation = needed(member("kmsOperation")?, "kmsOperation", true)?;
    let kms_request_id = needed(member("kmsRequestId")?, "kmsRequestId", true)?;
    let kms_via_service = member("kmsViaService")?;
    Ok(RequestMetadata {
        aws_principal_arn,
        aws_source_vpc,
        aws_source_vpce,
        kms_key_arn,
        kms_operation: kms_operation.unwrap_or_default(),
        kms_request_id: kms_request_id.unwrap_or_default(),
        kms_via_service,
    })
}

/// A top-level string member; null counts as absent.
fn string<'a>(map: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, Error> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(validation(format!("{name} must be a string"))),
    }
}

fn encryption_algorithm(map: &Map<String, Value>) -> Result<String, Error> {
    match string(map, "encryptionAlgorithm")? {
        None => Err(validation("encryptionAlgorithm is required")),
        Some(AES_GCM) => Ok(AES_GCM.to_owned()),
        Some(_) => Err(validation(format!("encryptionAlgorithm must be {AES_GCM}"))),
    }
}

/// Takes a base64 member out of the body and decodes it; its text and its bytes are zeroized
/// when dropped, since the member may be a plaintext.
fn take_base64(
    map: &mut Map<String, Value>,
    name: &str,
) -> Result<Option<Zeroizing<Vec<u8>>>, Error> {
    let text = match map.remove(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => Zeroizing::new(s),
        Some(_) => return Err(validation(format!("{name} must be a base64 string"))),
    };
    // Reserved up front so that decoding never reallocates and leaves a copy behind.
    let mut bytes = Zeroizing::new(Vec::with_capacity(base64::decoded_len_estimate(text.len())));
    B64.decode_vec(text.as_bytes(), &mut bytes)
        .map_err(|_| validation(format!("{name} is not valid base64")))?;
    Ok(Some(bytes))
}

fn required<T>(value: Option<T>, name: &str) -> Result<T, Error> {
    value.ok_or_else(|| validation(format!("{name} is required")))
}

fn check_size(name: &str, len: usize, max: usize) -> Result<(), Error> {
    if len > max {
        return Err(unsupported(format!(
            "{name} is larger than the {max} bytes this proxy supports"
        )));
    }
    Ok(())
}

fn check_aad(aad: Option<&Zeroizing<Vec<u8>>>) -> Result<(), Error> {
    check_size(
        "additionalAuthenticatedData",
        aad.map_or(0, |a| a.len()),
        MAX_AAD,
    )
}

/// A decoded member that is not secret.
fn public(mut bytes: Zeroizing<Vec<u8>>) -> Blob {
    Blob(std::mem::take(&mut *bytes))
}

// ---------------------------------------------------------------------------------------------
// Responses.

/// A GetKeyMetadata answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetadataResponse {
    pub key_spec: String,
    pub key_usage: Vec<String>,
    pub key_status: String,
}

/// An Encrypt answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncryptResponse {
    pub ciphertext: Blob,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ciphertext_metadata: Option<Blob>,
    pub initialization_vector: Blob,
    pub authentication_tag: Blob,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ciphertext_data_integrity_value: Option<Blob>,
}

/// A Decrypt answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecryptResponse {
    pub plaintext: SecretBlob,
}

/// A GetHealthStatus answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthResponse {
    pub xks_proxy_fleet_size: u32,
    pub xks_proxy_vendor: String,
    pub xks_proxy_model: String,
    pub ekm_vendor: String,
    pub ekm_fleet_details: Vec<EkmFleetDetail>,
}

/// One external key manager of a [`HealthResponse`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EkmFleetDetail {
    pub id: String,
    pub model: String,
    pub health_status: String,
}

/// The `healthStatus` values: "The possible statuses are ACTIVE, DEGRADED and UNAVAILABLE".
const HEALTH_STATUSES: [&str; 3] = ["ACTIVE", "DEGRADED", "UNAVAILABLE"];

impl MetadataResponse {
    /// A proxy's GetKeyMetadata answer, checked: all members present, at most ten `keyUsage`s.
    /// The values are the caller's to judge (CreateKey wants `AES_256`, ENCRYPT and DECRYPT,
    /// `ENABLED`).
    pub fn parse(body: &[u8]) -> Result<MetadataResponse, String> {
        let response: MetadataResponse = from_json(body, "GetKeyMetadata")?;
        if response.key_usage.len() > MAX_KEY_USAGES {
            return Err(format!(
                "keyUsage has {} values, more than {MAX_KEY_USAGES}",
                response.key_usage.len()
            ));
        }
        Ok(response)
    }
}

impl EncryptResponse {
    /// A proxy's Encrypt answer to a request of `plaintext_len` bytes with `aad` (empty when there
    /// was none), checked as AWS KMS checks it: the ciphertext as long as the plaintext, a 12- or
    /// 16-byte IV, a 16-byte tag, at most 20 bytes of metadata and, when `integrity_requested`,
    /// a `ciphertextDataIntegrityValue` equal to [`integrity_value`].
    pub fn parse(
        body: &[u8],
        plaintext_len: usize,
        aad: &[u8],
        integrity_requested: bool,
    ) -> Result<EncryptResponse, String> {
        let response: EncryptResponse = from_json(body, "Encrypt")?;
        if response.ciphertext.0.len() != plaintext_len {
            return Err(format!(
                "ciphertext has {} bytes for a plaintext of {plaintext_len}",
                response.ciphertext.0.len()
            ));
        }
        if !is_iv_len(response.initialization_vector.0.len()) {
            return Err(format!(
                "initializationVector has {} bytes, not 12 or 16",
                response.initialization_vector.0.len()
            ));
        }
        if response.authentication_tag.0.len() != TAG_LEN {
            return Err(format!(
                "authenticationTag has {} bytes, not {TAG_LEN}",
                response.authentication_tag.0.len()
            ));
        }
        let metadata = response
            .ciphertext_metadata
            .as_ref()
            .map_or(&[][..], |m| m.0.as_slice());
        if metadata.len() > MAX_CIPHERTEXT_METADATA {
            return Err(format!(
                "ciphertextMetadata has {} bytes, more than {MAX_CIPHERTEXT_METADATA}",
                metadata.len()
            ));
        }
        if integrity_requested {
            let Some(given) = &response.ciphertext_data_integrity_value else {
                return Err("ciphertextDataIntegrityValue is missing".to_owned());
            };
            let expected = integrity_value(
                aad,
                metadata,
                &response.initialization_vector.0,
                &response.ciphertext.0,
                &response.authentication_tag.0,
            );
            if given.0.as_slice() != expected.as_slice() {
                return Err("ciphertextDataIntegrityValue does not match".to_owned());
            }
        }
        Ok(response)
    }
}

impl DecryptResponse {
    /// A proxy's Decrypt answer to a ciphertext of `ciphertext_len` bytes, checked: the plaintext
    /// as long as the ciphertext. A reason never quotes the body.
    pub fn parse(body: &[u8], ciphertext_len: usize) -> Result<DecryptResponse, String> {
        let response: DecryptResponse = serde_json::from_slice(body).map_err(|e| {
            // serde's message could quote the plaintext; only its position is kept.
            format!(
                "not a Decrypt response (line {}, column {})",
                e.line(),
                e.column()
            )
        })?;
        if response.plaintext.as_slice().len() != ciphertext_len {
            return Err(format!(
                "plaintext has {} bytes for a ciphertext of {ciphertext_len}",
                response.plaintext.as_slice().len()
            ));
        }
        Ok(response)
    }
}

impl HealthResponse {
    /// A proxy's GetHealthStatus answer, checked: a fleet size above zero, one to ten
    /// `ekmFleetDetails`, each `healthStatus` ACTIVE, DEGRADED or UNAVAILABLE.
    pub fn parse(body: &[u8]) -> Result<HealthResponse, String> {
        let response: HealthResponse = from_json(body, "GetHealthStatus")?;
        if response.xks_proxy_fleet_size == 0 {
            return Err("xksProxyFleetSize is 0".to_owned());
        }
        let details = response.ekm_fleet_details.len();
        if !(1..=MAX_FLEET_DETAILS).contains(&details) {
            return Err(format!(
                "ekmFleetDetails has {details} entries, not 1 to {MAX_FLEET_DETAILS}"
            ));
        }
        if let Some(bad) = response
            .ekm_fleet_details
            .iter()
            .find(|d| !HEALTH_STATUSES.contains(&d.health_status.as_str()))
        {
            return Err(format!(
                "healthStatus of {:?} is not ACTIVE, DEGRADED or UNAVAILABLE",
                bad.id
            ));
        }
        Ok(response)
    }
}

fn from_json<T: serde::de::DeserializeOwned>(body: &[u8], operation: &str) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("not a {operation} response: {e}"))
}

/// The JSON body of a request or response.
pub fn body<T: Serialize>(value: &T) -> Vec<u8> {
    // The shapes here have string keys and infallible members: serialization cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Cryptographic framing.

/// The AAD given to the key manager (Encrypt, `ciphertextMetadata`, NOTE): the 2-byte big-endian
/// length of `aad`, `aad`, the 1-byte length of `ciphertext_metadata`, `ciphertext_metadata`.
///
/// `None` when `aad` is over 65535 bytes or the metadata over 255.
pub fn key_manager_aad(aad: &[u8], ciphertext_metadata: &[u8]) -> Option<Vec<u8>> {
    let aad_len = u16::try_from(aad.len()).ok()?;
    let metadata_len = u8::try_from(ciphertext_metadata.len()).ok()?;
    let mut out = Vec::with_capacity(aad.len() + ciphertext_metadata.len() + 3);
    out.extend_from_slice(&aad_len.to_be_bytes());
    out.extend_from_slice(aad);
    out.push(metadata_len);
    out.extend_from_slice(ciphertext_metadata);
    Some(out)
}

/// The Ciphertext Data Integrity Value (Appendix C): SHA-256 of
/// `aad || ciphertext_metadata || iv || ciphertext || tag`, absent members being empty.
pub fn integrity_value(
    aad: &[u8],
    ciphertext_metadata: &[u8],
    iv: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> [u8; 32] {
    let mut context = digest::Context::new(&digest::SHA256);
    for part in [aad, ciphertext_metadata, iv, ciphertext, tag] {
        context.update(part);
    }
    let mut out = [0; 32];
    for (o, d) in out.iter_mut().zip(context.finish().as_ref()) {
        *o = *d;
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn b64(text: &str) -> Vec<u8> {
        B64.decode(text).unwrap()
    }

    fn to_bytes(value: &Value) -> Vec<u8> {
        serde_json::to_vec(value).unwrap()
    }

    /// `base` with the member at `path` (dot-separated) set to `value`, or removed when `None`.
    fn with(base: &Value, path: &str, value: Option<Value>) -> Vec<u8> {
        let mut body = base.clone();
        let (parent, last) = match path.rsplit_once('.') {
            Some((parent, last)) => (&mut body[parent], last),
            None => (&mut body, path),
        };
        let map = parent.as_object_mut().unwrap();
        match value {
            Some(value) => map.insert(last.to_owned(), value),
            None => map.remove(last),
        };
        to_bytes(&body)
    }

    fn metadata_json() -> Value {
        json!({
            "awsPrincipalArn": "arn:aws:iam::123456789012:user/Alice",
            "kmsKeyArn": "arn:aws:kms:us-east-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "kmsOperation": "Encrypt",
            "kmsRequestId": "4112f4d6-db54-4af4-ae30-c55a22a8dfae",
        })
    }

    fn encrypt_json() -> Value {
        json!({
            "requestMetadata": metadata_json(),
            "plaintext": "SGVsbG8gV29ybGQh",
            "encryptionAlgorithm": "AES_GCM",
            "additionalAuthenticatedData": "cHJvamVjdD1uaWxlLGRlcGFydG1lbnQ9bWFya2V0aW5n",
            "ciphertextDataIntegrityValueAlgorithm": "SHA_256",
        })
    }

    fn decrypt_json() -> Value {
        json!({
            "requestMetadata": metadata_json(),
            "ciphertext": "ghxkK1txeDNn3q8Y",
            "ciphertextMetadata": "a2V5X3ZlcnNpb249MQ==",
            "encryptionAlgorithm": "AES_GCM",
            "additionalAuthenticatedData": "cHJvamVjdD1uaWxlLGRlcGFydG1lbnQ9bWFya2V0aW5n",
            "initializationVector": "HMrlRw85cAJUd5Ax",
            "authenticationTag": "vBxN2ncH1oEkR8WVXpmyYQ==",
        })
    }

    fn encoded(len: usize) -> Value {
        Value::from(B64.encode(vec![7u8; len]))
    }

    fn long(len: usize) -> Value {
        Value::from("a".repeat(len))
    }

    type Case = (&'static str, Option<Value>, ErrorName, &'static str);

    /// The errors every operation shares: the body and its `requestMetadata`.
    fn common_cases(principal: bool, key_arn: bool) -> Vec<Case> {
        use ErrorName::ValidationException as V;
        let mut cases: Vec<Case> = vec![
            ("requestMetadata", None, V, "requestMetadata"),
            ("requestMetadata", Some(Value::Null), V, "requestMetadata"),
            ("requestMetadata", Some(json!("x")), V, "requestMetadata"),
            ("requestMetadata", Some(json!([])), V, "requestMetadata"),
            ("requestMetadata.kmsOperation", None, V, "kmsOperation"),
            (
                "requestMetadata.kmsOperation",
                Some(json!(1)),
                V,
                "kmsOperation",
            ),
            ("requestMetadata.kmsRequestId", None, V, "kmsRequestId"),
            (
                "requestMetadata.kmsRequestId",
                Some(json!({})),
                V,
                "kmsRequestId",
            ),
            (
                "requestMetadata.awsPrincipalArn",
                Some(json!(true)),
                V,
                "awsPrincipalArn",
            ),
            (
                "requestMetadata.awsPrincipalArn",
                Some(long(MAX_ARN + 1)),
                V,
                "awsPrincipalArn",
            ),
            ("requestMetadata.kmsKeyArn", Some(json!(5)), V, "kmsKeyArn"),
            (
                "requestMetadata.kmsKeyArn",
                Some(long(MAX_ARN + 1)),
                V,
                "kmsKeyArn",
            ),
            (
                "requestMetadata.awsSourceVpc",
                Some(json!(1)),
                V,
                "awsSourceVpc",
            ),
            (
                "requestMetadata.awsSourceVpce",
                Some(json!([])),
                V,
                "awsSourceVpce",
            ),
            (
                "requestMetadata.kmsViaService",
                Some(json!(2.5)),
                V,
                "kmsViaService",
            ),
        ];
        if principal {
            cases.push((
                "requestMetadata.awsPrincipalArn",
                None,
                V,
                "awsPrincipalArn",
            ));
        }
        if key_arn {
            cases.push(("requestMetadata.kmsKeyArn", None, V, "kmsKeyArn"));
        }
        cases
    }

    fn check_cases<T>(base: &Value, cases: &[Case], parse: impl Fn(&[u8]) -> Result<T, Error>) {
        for (path, value, name, member) in cases {
            let body = with(base, path, value.clone());
            let Err(e) = parse(&body) else {
                panic!("{path} = {value:?} was accepted");
            };
            assert_eq!(e.name, *name, "{path} = {value:?}: {e}");
            assert!(e.message.contains(member), "{path} = {value:?}: {e}");
        }
    }

    fn check_body_cases<T: std::fmt::Debug>(parse: impl Fn(&[u8]) -> Result<T, Error>) {
        let cases: [(&[u8], ErrorName); 6] = [
            (b"", ErrorName::ValidationException),
            (b"{", ErrorName::ValidationException),
            (b"[]", ErrorName::ValidationException),
            (b"\"x\"", ErrorName::ValidationException),
            (b"{} x", ErrorName::ValidationException),
            (b"null", ErrorName::ValidationException),
        ];
        for (body, name) in cases {
            let e = parse(body).unwrap_err();
            assert_eq!(e.name, name);
            assert!(e.message.contains("request body"), "{e}");
        }
        let huge = vec![b' '; MAX_BODY + 1];
        let e = parse(&huge).unwrap_err();
        assert_eq!(e.name, ErrorName::UnsupportedOperationException);
        assert!(e.message.contains("request body"), "{e}");
    }

    // --- The spec's own examples. ---

    #[test]
    fn the_cdiv_example_of_appendix_c() {
        let value = integrity_value(
            b"project=nile,department=marketing",
            b"key_version=1",
            &b64("HMrlRw85cAJUd5Ax"),
            &b64("ghxkK1txeDNn3q8Y"),
            &b64("vBxN2ncH1oEkR8WVXpmyYQ=="),
        );
        assert_eq!(
            B64.encode(value),
            "qHA/ImC9h5HsLRXqCyPmWgYx7tzyoTplzILbP0fPXsc="
        );
        assert_eq!(
            hex::encode(value),
            "a8703f2260bd8791ec2d15ea0b23e65a0631eedcf2a13a65cc82db3f47cf5ec7"
        );
    }

    const METADATA_EXAMPLE: &str = r#"{
        "requestMetadata": {
            "awsPrincipalArn": "arn:aws:iam::123456789012:user/Alice",
            "kmsKeyArn": "arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
            "kmsOperation": "DescribeKey",
            "kmsRequestId": "4112f4d6-db54-4af4-ae30-c55a22a8dfae",
            "kmsViaService": "ebs"
        }
    }"#;

    const ENCRYPT_EXAMPLE: &str = r#"{
        "requestMetadata": {
            "awsPrincipalArn": "arn:aws:iam::123456789012:user/Alice",
            "kmsKeyArn": "arn:aws:kms:us-east-2:123456789012:/key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "kmsOperation": "Encrypt",
            "kmsRequestId": "4112f4d6-db54-4af4-ae30-c55a22a8dfae",
            "kmsViaService": "ebs"
        },
        "additionalAuthenticatedData": "cHJvamVjdD1uaWxlLGRlcGFydG1lbnQ9bWFya2V0aW5n",
        "plaintext": "SGVsbG8gV29ybGQh",
        "encryptionAlgorithm": "AES_GCM",
        "ciphertextDataIntegrityValueAlgorithm": "SHA_256"
    }"#;

    const DECRYPT_EXAMPLE: &str = r#"{
        "requestMetadata": {
            "awsPrincipalArn": "arn:aws:iam::123456789012:user/Alice",
            "kmsKeyArn": "arn:aws:kms:us-east-2:123456789012:/key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "kmsOperation": "Decrypt",
            "kmsRequestId": "5112f4d6-db54-4af4-ae30-c55a22a8dfae",
            "kmsViaService": "ebs"
        },
        "additionalAuthenticatedData": "cHJvamVjdD1uaWxlLGRlcGFydG1lbnQ9bWFya2V0aW5n",
        "encryptionAlgorithm": "AES_GCM",
        "ciphertext": "ghxkK1txeDNn3q8Y",
        "ciphertextMetadata": "a2V5X3ZlcnNpb249MQ=="
        "initializationVector": "HMrlRw85cAJUd5Ax",
        "authenticationTag": "vBxN2ncH1oEkR8WVXpmyYQ=="
    }"#;

    const HEALTH_EXAMPLE: &str = r#"{
        "requestMetadata": {
            "kmsRequestId": "4112f4d6-db54-4af4-ae30-c55a22a8dfae"
            "kmsOperation": "CreateCustomKeyStore"
        }
    }"#;

    const ENCRYPT_RESPONSE_EXAMPLE: &str = r#"{
        "authenticationTag": "vBxN2ncH1oEkR8WVXpmyYQ==",
        "ciphertext": "ghxkK1txeDNn3q8Y",
        "ciphertextDataIntegrityValue": "qHA/ImC9h5HsLRXqCyPmWgYx7tzyoTplzILbP0fPXsc=",
        "ciphertextMetadata": "a2V5X3ZlcnNpb249MQ==",
        "initializationVector": "HMrlRw85cAJUd5Ax"
    }"#;

    const HEALTH_RESPONSE_EXAMPLE: &str = r#"{
        "xksProxyFleetSize": 2,
        "xksProxyVendor": "Acme Corp",
        "xksProxyModel": "Acme XKS Proxy 1.0",
        "ekmVendor": "Thales Group",
        "ekmFleetDetails": [
            {"id": "hsm-id-1", "model": "Luna 5.0", "healthStatus": "DEGRADED"},
            {"id": "hsm-id-2", "model": "Luna 5.1", "healthStatus": "ACTIVE"}
        ]
    }"#;

    /// The spec's examples miss a comma after their second-to-last member in three places.
    fn fixed(example: &str, after: &str) -> Vec<u8> {
        assert!(example.contains(after));
        example
            .replacen(after, &format!("{after},"), 1)
            .into_bytes()
    }

    #[test]
    fn the_spec_request_examples_parse_once_their_commas_are_fixed() {
        let e = parse_metadata(METADATA_EXAMPLE.as_bytes()).unwrap_err();
        assert_eq!(e.name, ErrorName::ValidationException);
        let request = parse_metadata(&fixed(METADATA_EXAMPLE, "1234567890ab\"")).unwrap();
        assert_eq!(request.request_metadata.kms_operation, "DescribeKey");
        assert_eq!(
            request.request_metadata.kms_via_service.as_deref(),
            Some("ebs")
        );
        assert_eq!(
            request.request_metadata.aws_principal_arn.as_deref(),
            Some("arn:aws:iam::123456789012:user/Alice")
        );

        let request = parse_encrypt(ENCRYPT_EXAMPLE.as_bytes()).unwrap();
        assert_eq!(request.plaintext.as_slice(), b"Hello World!");
        assert_eq!(
            request.additional_authenticated_data,
            Some(Blob(b"project=nile,department=marketing".to_vec()))
        );
        assert_eq!(request.encryption_algorithm, "AES_GCM");
        assert_eq!(
            request.ciphertext_data_integrity_value_algorithm.as_deref(),
            Some("SHA_256")
        );

        assert!(parse_decrypt(DECRYPT_EXAMPLE.as_bytes()).is_err());
        let request = parse_decrypt(&fixed(DECRYPT_EXAMPLE, "\"a2V5X3ZlcnNpb249MQ==\"")).unwrap();
        assert_eq!(request.ciphertext, Blob(b64("ghxkK1txeDNn3q8Y")));
        assert_eq!(
            request.ciphertext_metadata,
            Some(Blob(b"key_version=1".to_vec()))
        );
        assert_eq!(request.initialization_vector.0.len(), 12);
        assert_eq!(request.authentication_tag.0.len(), 16);
        assert_eq!(
            request.request_metadata.kms_request_id,
            "5112f4d6-db54-4af4-ae30-c55a22a8dfae"
        );

        assert!(parse_health(HEALTH_EXAMPLE.as_bytes()).is_err());
        let request = parse_health(&fixed(HEALTH_EXAMPLE, "c55a22a8dfae\"")).unwrap();
        assert_eq!(
            request.request_metadata.kms_operation,
            "CreateCustomKeyStore"
        );
        assert_eq!(request.request_metadata.aws_principal_arn, None);
    }

    #[test]
    fn the_appendix_d_requests_parse() {
        let encrypt = br#"{
            "requestMetadata": {
                "awsPrincipalArn": "arn:aws:iam::123456789012:user/Alice",
                "kmsKeyArn": "arn:aws:kms:us-east-2:123456789012:/key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "kmsOperation": "GenerateDataKey",
                "kmsRequestId": "4112f4d6-db54-4af4-ae30-c55a22a8dfae"
            },
            "plaintext": "SGVsbG8gV29ybGQh",
            "encryptionAlgorithm": "AES_GCM"
        }"#;
        let request = parse_encrypt(encrypt).unwrap();
        assert_eq!(request.additional_authenticated_data, None);
        assert_eq!(request.ciphertext_data_integrity_value_algorithm, None);
        let health = br#"{"requestMetadata": {"kmsOperation": "KmsHealthCheck", "kmsRequestId": "1124f4d6-db54-4af4-ae30-c55a22a8abcd"}}"#;
        assert_eq!(
            parse_health(health).unwrap().request_metadata.kms_operation,
            "KmsHealthCheck"
        );
    }

    #[test]
    fn the_spec_response_examples_parse_and_check() {
        let aad = b"project=nile,department=marketing";
        let body = ENCRYPT_RESPONSE_EXAMPLE.as_bytes();
        let response = EncryptResponse::parse(body, 12, aad, true).unwrap();
        assert_eq!(
            response.ciphertext_metadata,
            Some(Blob(b"key_version=1".to_vec()))
        );
        // The integrity value binds the AAD: another AAD does not match.
        assert!(EncryptResponse::parse(body, 12, b"project=nile", true).is_err());
        // Unchecked when not requested.
        assert!(EncryptResponse::parse(body, 12, b"", false).is_ok());
        assert!(EncryptResponse::parse(body, 13, aad, true).is_err());

        let appendix_d =
            br#"{"ciphertext":"yhvo7e8vvg3UoCLP","initializationVector":"BejmaUXJA08WzxJZ",
            "authenticationTag":"2wsU/8i0OvB7JJkDJeiWSQ=="}"#;
        assert!(EncryptResponse::parse(appendix_d, 12, b"", false).is_ok());
        assert!(EncryptResponse::parse(appendix_d, 12, b"", true).is_err());

        let decrypted =
            DecryptResponse::parse(br#"{"plaintext": "SGVsbG8gV29ybGQh"}"#, 12).unwrap();
        assert_eq!(decrypted.plaintext.as_slice(), b"Hello World!");

        let metadata = MetadataResponse::parse(
            br#"{"keySpec": "AES_256", "keyUsage": ["ENCRYPT", "DECRYPT"], "keyStatus": "ENABLED"}"#,
        )
        .unwrap();
        assert_eq!(metadata.key_usage, ["ENCRYPT", "DECRYPT"]);

        let health = HealthResponse::parse(HEALTH_RESPONSE_EXAMPLE.as_bytes()).unwrap();
        assert_eq!(health.xks_proxy_fleet_size, 2);
        assert_eq!(health.ekm_fleet_details[0].health_status, "DEGRADED");
        let appendix_d = br#"{"xksProxyFleetSize":1,"xksProxyVendor":"Acme","xksProxyModel":"Acme AWS XKS Proxy 1.0","ekmVendor":"Acme","ekmFleetDetails":[{"id":"Id-1","model":"Acme HSM 1.0","healthStatus":"ACTIVE"}]}"#;
        assert!(HealthResponse::parse(appendix_d).is_ok());
    }

    #[test]
    fn the_spec_error_example_parses() {
        let body = br#"{
            "errorName": "InvalidCiphertextException",
            "errorMessage": "The request was rejected because the specified ciphertext, or additional authenticated data is corrupted, missing, or otherwise invalid."
        }"#;
        let e = Error::parse_body(body).unwrap();
        assert_eq!(e.name, ErrorName::InvalidCiphertextException);
        assert_eq!(e.status(), 400);
        assert!(e.message.starts_with("The request was rejected"));
    }

    // --- Errors. ---

    #[test]
    fn error_names_have_the_spec_table_statuses() {
        let table = [
            (400, "ValidationException"),
            (400, "InvalidStateException"),
            (400, "InvalidCiphertextException"),
            (400, "InvalidKeyUsageException"),
            (401, "AuthenticationFailedException"),
            (403, "AccessDeniedException"),
            (404, "KeyNotFoundException"),
            (404, "InvalidUriPathException"),
            (429, "ThrottlingException"),
            (501, "UnsupportedOperationException"),
            (503, "DependencyTimeoutException"),
            (500, "InternalException"),
        ];
        assert_eq!(table.len(), ErrorName::ALL.len());
        for ((status, text), name) in table.into_iter().zip(ErrorName::ALL) {
            assert_eq!(name.as_str(), text);
            assert_eq!(name.http_status(), status, "{text}");
            assert_eq!(ErrorName::parse(text), Some(name));
            assert_eq!(Error::new(name, "").status(), status);
        }
        assert_eq!(ErrorName::parse("validationexception"), None);
        assert_eq!(ErrorName::parse("KMSInternalException"), None);
        assert_eq!(ErrorName::parse(""), None);
    }

    #[test]
    fn error_new_sanitizes_the_message() {
        let e = Error::new(ErrorName::InternalException, "caf\u{e9}\n\t\u{7f}\u{0}ok~ ");
        assert_eq!(e.message, "caf?????ok~ ");
        let e = Error::new(ErrorName::InternalException, "\u{1F600}".repeat(600));
        assert_eq!(e.message.len(), 511);
        assert!(e.message.bytes().all(|b| b == b'?'));
        let e = Error::new(ErrorName::InternalException, "x".repeat(511));
        assert_eq!(e.message.len(), 511);
        let e = Error::new(ErrorName::InternalException, "x".repeat(5000));
        assert!(e.message.len() < 512);
    }

    #[test]
    fn error_bodies_round_trip() {
        let e = Error::new(ErrorName::KeyNotFoundException, "no key k1");
        let body: Value = serde_json::from_slice(&e.body()).unwrap();
        assert_eq!(
            body,
            json!({"errorName": "KeyNotFoundException", "errorMessage": "no key k1"})
        );
        assert_eq!(Error::parse_body(&e.body()), Some(e.clone()));
        assert_eq!(e.to_string(), "KeyNotFoundException: no key k1");

        let bare = Error::new(ErrorName::ThrottlingException, "");
        assert_eq!(bare.body(), br#"{"errorName":"ThrottlingException"}"#);
        assert_eq!(bare.to_string(), "ThrottlingException");
        assert_eq!(Error::parse_body(&bare.body()), Some(bare));

        let parsed = Error::parse_body(
            br#"{"errorName": "InternalException", "errorMessage": "\u00e9\n", "x": 1}"#,
        );
        assert_eq!(parsed, Some(Error::new(ErrorName::InternalException, "??")));
        for body in [
            &b""[..],
            b"{}",
            b"[]",
            b"not json",
            br#"{"errorName": "Nope"}"#,
            br#"{"errorName": 1}"#,
            br#"{"errorName": "InternalException", "errorMessage": 5}"#,
            br#"{"__type": "InternalException"}"#,
        ] {
            assert_eq!(
                Error::parse_body(body),
                None,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    // --- Routes. ---

    const PREFIXES: [&str; 3] = ["", "/a", "/keystores/4a0d79d6-1d1b-49fd-9dbe-799cb9c0fb3f"];

    #[test]
    fn parse_path_routes_every_operation_under_every_prefix() {
        let id = "b42c7fbf-de61-441c-ae24-123456789012";
        for prefix in PREFIXES {
            let cases = [
                ("/health", Route::Health),
                (
                    "/keys/b42c7fbf-de61-441c-ae24-123456789012/metadata",
                    Route::Metadata(id),
                ),
                (
                    "/keys/b42c7fbf-de61-441c-ae24-123456789012/encrypt",
                    Route::Encrypt(id),
                ),
                (
                    "/keys/b42c7fbf-de61-441c-ae24-123456789012/decrypt",
                    Route::Decrypt(id),
                ),
                ("/keys/A.z_9-/encrypt", Route::Encrypt("A.z_9-")),
                ("/keys/health/metadata", Route::Metadata("health")),
                ("/keys/keys/decrypt", Route::Decrypt("keys")),
            ];
            for (tail, route) in cases {
                let path = format!("{prefix}{PATH_SUFFIX}{tail}");
                assert_eq!(parse_path(&path), Ok((prefix, route)), "{path}");
                let uri_path = format!("{prefix}{PATH_SUFFIX}");
                assert_eq!(route_path(&uri_path, &route), path);
            }
        }
    }

    #[test]
    fn parse_path_refuses_everything_else() {
        let long_id = "k".repeat(MAX_EXTERNAL_KEY_ID + 1);
        let max_id = "k".repeat(MAX_EXTERNAL_KEY_ID);
        assert_eq!(
            parse_path(&format!("/kms/xks/v1/keys/{max_id}/encrypt")),
            Ok(("", Route::Encrypt(&max_id)))
        );
        let long_prefix = format!("/{}", "p".repeat(MAX_URI_PATH));
        let bad = [
            String::new(),
            "/".to_owned(),
            "/health".to_owned(),
            "/kms/xks/v1".to_owned(),
            "/kms/xks/v1/".to_owned(),
            "/kms/xks/v1/health/".to_owned(),
            "/kms/xks/v1//health".to_owned(),
            "/kms/xks/v1/Health".to_owned(),
            "/kms/xks/v1/health?x=1".to_owned(),
            "/kms/xks/v2/health".to_owned(),
            "/kms/xks/v2/keys/k/encrypt".to_owned(),
            "/KMS/XKS/V1/health".to_owned(),
            "kms/xks/v1/health".to_owned(),
            "a/kms/xks/v1/health".to_owned(),
            "//kms/xks/v1/health".to_owned(),
            "/a.b/kms/xks/v1/health".to_owned(),
            "/a%20b/kms/xks/v1/health".to_owned(),
            format!("{long_prefix}/kms/xks/v1/health"),
            "/kms/xks/v1/keys".to_owned(),
            "/kms/xks/v1/keys/".to_owned(),
            "/kms/xks/v1/keys/k".to_owned(),
            "/kms/xks/v1/keys/k/".to_owned(),
            "/kms/xks/v1/keys//encrypt".to_owned(),
            "/kms/xks/v1/keys/k/encrypt/".to_owned(),
            "/kms/xks/v1/keys/k/sign".to_owned(),
            "/kms/xks/v1/keys/k/Encrypt".to_owned(),
            "/kms/xks/v1/keys/k/health".to_owned(),
            "/kms/xks/v1/keys/a/b/encrypt".to_owned(),
            "/kms/xks/v1/keys/a b/encrypt".to_owned(),
            "/kms/xks/v1/keys/a%2Fb/encrypt".to_owned(),
            "/kms/xks/v1/keys/a:b/encrypt".to_owned(),
            "/kms/xks/v1/keys/\u{e9}/encrypt".to_owned(),
            format!("/kms/xks/v1/keys/{long_id}/metadata"),
            "/kms/xks/v1/key/k/encrypt".to_owned(),
            "/kms/xks/v1/metadata".to_owned(),
            "/kms/xks/keys/k/encrypt".to_owned(),
            "/a/kms/xks/v1/health/kms/xks/v1".to_owned(),
        ];
        for path in &bad {
            let e = parse_path(path).unwrap_err();
            assert_eq!(e.name, ErrorName::InvalidUriPathException, "{path:?}");
            assert_eq!(e.status(), 404);
        }
    }

    #[test]
    fn routes_name_their_operation_and_key() {
        assert_eq!(Route::Health.operation(), "GetHealthStatus");
        assert_eq!(Route::Metadata("k").operation(), "GetKeyMetadata");
        assert_eq!(Route::Encrypt("k").operation(), "Encrypt");
        assert_eq!(Route::Decrypt("k").operation(), "Decrypt");
        assert_eq!(Route::Health.external_key_id(), None);
        assert_eq!(Route::Metadata("k1").external_key_id(), Some("k1"));
        assert_eq!(Route::Encrypt("k2").external_key_id(), Some("k2"));
        assert_eq!(Route::Decrypt("k3").external_key_id(), Some("k3"));
    }

    #[test]
    fn external_key_id_rule() {
        let max = "a".repeat(128);
        let over = "a".repeat(129);
        for (id, valid) in [
            ("b42c7fbf-de61-441c-ae24-123456789012", true),
            ("a", true),
            ("A.b_C-9", true),
            ("...", true),
            (max.as_str(), true),
            ("", false),
            (over.as_str(), false),
            ("a/b", false),
            ("a b", false),
            ("a+b", false),
            ("a%2F", false),
            ("\u{e9}", false),
        ] {
            assert_eq!(is_external_key_id(id), valid, "{id:?}");
        }
    }

    #[test]
    fn uri_path_rule() {
        let max = format!("/{}{PATH_SUFFIX}", "a".repeat(128 - 12));
        assert_eq!(max.len(), 128);
        let over = format!("/{}{PATH_SUFFIX}", "a".repeat(128 - 11));
        for (path, valid) in [
            ("/kms/xks/v1", true),
            ("/a/kms/xks/v1", true),
            (
                "/keystores/4a0d79d6-1d1b-49fd-9dbe-799cb9c0fb3f/kms/xks/v1",
                true,
            ),
            ("/path/kms/xks/v1", true),
            ("/a_b/c-d/kms/xks/v1", true),
            ("///kms/xks/v1", true),
            (max.as_str(), true),
            (over.as_str(), false),
            ("", false),
            ("/", false),
            ("kms/xks/v1", false),
            ("a/kms/xks/v1", false),
            ("//kms/xks/v1", false),
            ("/kms/xks/v1/", false),
            ("/kms/xks/v2", false),
            ("/a.b/kms/xks/v1", false),
            ("/a b/kms/xks/v1", false),
            ("/a/kms/xks/v1/health", false),
        ] {
            assert_eq!(is_uri_path(path), valid, "{path:?}");
        }
    }

    #[test]
    fn credential_rules() {
        for (id, valid) in [
            ("AKIAI2SFODNN7EXAMPLE", true),
            ("HGIE2BUAFNDMBCMSQVWLGCEXAMPLE", true),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZ2345", true),
            ("AKIAI2SFODNN7EXAMPL", false),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZ23456", false),
            ("AKIAI2SFODNN1EXAMPLE", false),
            ("AKIAI2SFODNN8EXAMPLE", false),
            ("akiai2sfodnn7example", false),
            // Appendix A's example id is 52 characters, outside the 20-30 the same appendix sets.
            (
                "MUBSXM6K3KMXHN6RRCXI7TWQH4NU76HYFKRSESPMTSTIBADXQQXQ",
                false,
            ),
            ("", false),
        ] {
            assert_eq!(is_access_key_id(id), valid, "{id:?}");
        }
        let max = "a".repeat(64);
        let over = "a".repeat(65);
        for (secret, valid) in [
            ("FYtE5EFA5FT0mCc3DrGUe2sti527BitkQ0Zr9MO9fvE", true),
            ("VU6W2byoiBrhDqNGbx703oL0syCAmhlQgwNUT123456", true),
            ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123+/=", true),
            (max.as_str(), true),
            ("FYtE5EFA5FT0mCc3DrGUe2sti527BitkQ0Zr9MO9fv", false),
            (over.as_str(), false),
            ("FYtE5EFA5FT0mCc3DrGUe2sti527BitkQ0Zr9MO9fv-", false),
            ("FYtE5EFA5FT0mCc3DrGUe2sti527BitkQ0Zr9MO9fv ", false),
            ("", false),
        ] {
            assert_eq!(is_secret_access_key(secret), valid, "{secret:?}");
        }
    }

    // --- Request validation, operation by operation. ---

    #[test]
    fn health_request_errors() {
        check_body_cases(parse_health);
        let base =
            json!({"requestMetadata": {"kmsOperation": "KmsHealthCheck", "kmsRequestId": "r"}});
        check_cases(&base, &common_cases(false, false), parse_health);
        // Neither principal nor key is needed, and unknown members pass.
        let request = parse_health(&to_bytes(&base)).unwrap();
        assert_eq!(request.request_metadata.aws_principal_arn, None);
        let extra = with(
            &base,
            "requestMetadata.sourceIdentity",
            Some(json!({"a": [1]})),
        );
        assert!(parse_health(&extra).is_ok());
    }

    #[test]
    fn metadata_request_errors() {
        check_body_cases(parse_metadata);
        let base = json!({"requestMetadata": metadata_json()});
        check_cases(&base, &common_cases(true, false), parse_metadata);
        // kmsKeyArn is absent when the operation is CreateKey.
        let create = with(&base, "requestMetadata.kmsKeyArn", None);
        let request = parse_metadata(&create).unwrap();
        assert_eq!(request.request_metadata.kms_key_arn, None);
    }

    #[test]
    fn encrypt_request_errors() {
        use ErrorName::{UnsupportedOperationException as U, ValidationException as V};
        check_body_cases(parse_encrypt);
        let base = encrypt_json();
        check_cases(&base, &common_cases(true, true), parse_encrypt);
        let cases: Vec<Case> = vec![
            ("plaintext", None, V, "plaintext"),
            ("plaintext", Some(Value::Null), V, "plaintext"),
            ("plaintext", Some(json!(1)), V, "plaintext"),
            ("plaintext", Some(json!(["SGVsbG8="])), V, "plaintext"),
            ("plaintext", Some(json!("***")), V, "plaintext"),
            ("plaintext", Some(json!("SGVsbG8")), V, "plaintext"),
            ("plaintext", Some(json!("SGVs bG8=")), V, "plaintext"),
            ("plaintext", Some(json!("SGVsbG8_")), V, "plaintext"),
            ("plaintext", Some(json!("")), V, "plaintext"),
            (
                "plaintext",
                Some(encoded(MAX_PLAINTEXT + 1)),
                U,
                "plaintext",
            ),
            ("encryptionAlgorithm", None, V, "encryptionAlgorithm"),
            (
                "encryptionAlgorithm",
                Some(json!("AES_CBC")),
                V,
                "encryptionAlgorithm",
            ),
            (
                "encryptionAlgorithm",
                Some(json!("aes_gcm")),
                V,
                "encryptionAlgorithm",
            ),
            (
                "encryptionAlgorithm",
                Some(json!(1)),
                V,
                "encryptionAlgorithm",
            ),
            (
                "additionalAuthenticatedData",
                Some(json!("%%")),
                V,
                "additionalAuthenticatedData",
            ),
            (
                "additionalAuthenticatedData",
                Some(json!(7)),
                V,
                "additionalAuthenticatedData",
            ),
            (
                "additionalAuthenticatedData",
                Some(encoded(MAX_AAD + 1)),
                U,
                "additionalAuthenticatedData",
            ),
            (
                "ciphertextDataIntegrityValueAlgorithm",
                Some(json!("SHA_512")),
                V,
                "ciphertextDataIntegrityValueAlgorithm",
            ),
            (
                "ciphertextDataIntegrityValueAlgorithm",
                Some(json!(256)),
                V,
                "ciphertextDataIntegrityValueAlgorithm",
            ),
        ];
        check_cases(&base, &cases, parse_encrypt);
    }

    #[test]
    fn encrypt_request_limits_and_leniencies() {
        let base = encrypt_json();
        let at_limits = with(&base, "plaintext", Some(encoded(MAX_PLAINTEXT)));
        let at_limits = serde_json::from_slice::<Value>(&at_limits).unwrap();
        let at_limits = with(
            &at_limits,
            "additionalAuthenticatedData",
            Some(encoded(MAX_AAD)),
        );
        let request = parse_encrypt(&at_limits).unwrap();
        assert_eq!(request.plaintext.as_slice().len(), MAX_PLAINTEXT);
        assert_eq!(
            request.additional_authenticated_data.map(|a| a.0.len()),
            Some(MAX_AAD)
        );
        let max_arn = with(&base, "requestMetadata.kmsKeyArn", Some(long(MAX_ARN)));
        assert!(parse_encrypt(&max_arn).is_ok());
        // ARN lengths count characters, not bytes.
        let wide = Value::from("\u{e9}".repeat(MAX_ARN));
        assert!(parse_encrypt(&with(&base, "requestMetadata.awsPrincipalArn", Some(wide))).is_ok());
        // kmsOperation and kmsRequestId are opaque.
        for (path, value) in [
            ("requestMetadata.kmsOperation", json!("BulkEncrypt")),
            ("requestMetadata.kmsOperation", json!("")),
            ("requestMetadata.kmsRequestId", json!("not a uuid")),
            ("requestMetadata.kmsRequestId", json!("")),
            ("requestMetadata.awsPrincipalArn", json!("AWS Internal")),
            ("requestMetadata.kmsViaService", json!("ebs")),
            ("requestMetadata.kmsViaService", Value::Null),
            ("requestMetadata.futureField", json!({"nested": [1, 2]})),
            ("futureMember", json!(42)),
            ("additionalAuthenticatedData", json!("")),
            ("additionalAuthenticatedData", Value::Null),
            ("ciphertextDataIntegrityValueAlgorithm", Value::Null),
        ] {
            let body = with(&base, path, Some(value.clone()));
            assert!(parse_encrypt(&body).is_ok(), "{path} = {value}");
        }
        let optional_absent = with(&base, "ciphertextDataIntegrityValueAlgorithm", None);
        let request = parse_encrypt(&optional_absent).unwrap();
        assert_eq!(request.ciphertext_data_integrity_value_algorithm, None);
    }

    #[test]
    fn decrypt_request_errors() {
        use ErrorName::{
            InvalidCiphertextException as C, UnsupportedOperationException as U,
            ValidationException as V,
        };
        check_body_cases(parse_decrypt);
        let base = decrypt_json();
        check_cases(&base, &common_cases(true, true), parse_decrypt);
        let cases: Vec<Case> = vec![
            ("ciphertext", None, V, "ciphertext"),
            ("ciphertext", Some(json!(1)), V, "ciphertext"),
            ("ciphertext", Some(json!("!!")), V, "ciphertext"),
            (
                "ciphertext",
                Some(encoded(MAX_PLAINTEXT + 1)),
                U,
                "ciphertext",
            ),
            ("ciphertext", Some(json!("")), C, "ciphertext"),
            (
                "ciphertextMetadata",
                Some(json!("a=")),
                V,
                "ciphertextMetadata",
            ),
            (
                "ciphertextMetadata",
                Some(json!(false)),
                V,
                "ciphertextMetadata",
            ),
            (
                "ciphertextMetadata",
                Some(encoded(MAX_CIPHERTEXT_METADATA + 1)),
                V,
                "ciphertextMetadata",
            ),
            ("encryptionAlgorithm", None, V, "encryptionAlgorithm"),
            (
                "encryptionAlgorithm",
                Some(json!("AES_GCM_256")),
                V,
                "encryptionAlgorithm",
            ),
            (
                "additionalAuthenticatedData",
                Some(json!("-")),
                V,
                "additionalAuthenticatedData",
            ),
            (
                "additionalAuthenticatedData",
                Some(encoded(MAX_AAD + 1)),
                U,
                "additionalAuthenticatedData",
            ),
            ("initializationVector", None, V, "initializationVector"),
            (
                "initializationVector",
                Some(json!({})),
                V,
                "initializationVector",
            ),
            (
                "initializationVector",
                Some(json!("HMrlRw85cAJUd5A")),
                V,
                "initializationVector",
            ),
            (
                "initializationVector",
                Some(encoded(0)),
                C,
                "initializationVector",
            ),
            (
                "initializationVector",
                Some(encoded(8)),
                C,
                "initializationVector",
            ),
            (
                "initializationVector",
                Some(encoded(11)),
                C,
                "initializationVector",
            ),
            (
                "initializationVector",
                Some(encoded(13)),
                C,
                "initializationVector",
            ),
            (
                "initializationVector",
                Some(encoded(32)),
                C,
                "initializationVector",
            ),
            ("authenticationTag", None, V, "authenticationTag"),
            ("authenticationTag", Some(json!(16)), V, "authenticationTag"),
            (
                "authenticationTag",
                Some(json!("vBxN2ncH1oEkR8WVXpmyYQ=")),
                V,
                "authenticationTag",
            ),
            (
                "authenticationTag",
                Some(encoded(15)),
                C,
                "authenticationTag",
            ),
            (
                "authenticationTag",
                Some(encoded(17)),
                C,
                "authenticationTag",
            ),
            (
                "authenticationTag",
                Some(encoded(12)),
                C,
                "authenticationTag",
            ),
        ];
        check_cases(&base, &cases, parse_decrypt);
    }

    #[test]
    fn decrypt_request_limits() {
        let base = decrypt_json();
        for (path, value) in [
            ("initializationVector", encoded(12)),
            ("initializationVector", encoded(16)),
            ("ciphertext", encoded(MAX_PLAINTEXT)),
            ("ciphertext", encoded(1)),
            ("ciphertextMetadata", encoded(MAX_CIPHERTEXT_METADATA)),
            ("ciphertextMetadata", encoded(0)),
            ("additionalAuthenticatedData", encoded(MAX_AAD)),
        ] {
            assert!(
                parse_decrypt(&with(&base, path, Some(value))).is_ok(),
                "{path}"
            );
        }
        let bare = with(&base, "ciphertextMetadata", None);
        let bare = serde_json::from_slice::<Value>(&bare).unwrap();
        let request = parse_decrypt(&with(&bare, "additionalAuthenticatedData", None)).unwrap();
        assert_eq!(request.ciphertext_metadata, None);
        assert_eq!(request.additional_authenticated_data, None);
    }

    #[test]
    fn validation_comes_before_size_and_ciphertext_errors() {
        let base = decrypt_json();
        let short_iv = with(&base, "initializationVector", Some(encoded(8)));
        let short_iv = serde_json::from_slice::<Value>(&short_iv).unwrap();
        let both = with(&short_iv, "encryptionAlgorithm", Some(json!("X")));
        assert_eq!(
            parse_decrypt(&both).unwrap_err().name,
            ErrorName::ValidationException
        );
        let big = with(&short_iv, "ciphertext", Some(encoded(MAX_PLAINTEXT + 1)));
        assert_eq!(
            parse_decrypt(&big).unwrap_err().name,
            ErrorName::UnsupportedOperationException
        );
    }

    #[test]
    fn metadata_of_is_best_effort() {
        let body = br#"{"requestMetadata": {"kmsOperation": "Encrypt", "kmsRequestId": 5, "awsPrincipalArn": "p"}, "plaintext": 1}"#;
        let metadata = metadata_of(body).unwrap();
        assert_eq!(metadata.kms_operation, "Encrypt");
        assert_eq!(metadata.kms_request_id, "");
        assert_eq!(metadata.aws_principal_arn.as_deref(), Some("p"));
        let full = metadata_of(ENCRYPT_EXAMPLE.as_bytes()).unwrap();
        assert_eq!(
            full,
            parse_encrypt(ENCRYPT_EXAMPLE.as_bytes())
                .unwrap()
                .request_metadata
        );
        for body in [
            &b""[..],
            b"{}",
            b"[{}]",
            b"{\"requestMetadata\": 1}",
            b"{\"requestMetadata\": null}",
            b"{\"requestMetadata\": {}",
            b"not json",
        ] {
            assert_eq!(metadata_of(body), None, "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn no_debug_prints_a_plaintext() {
        let request = parse_encrypt(ENCRYPT_EXAMPLE.as_bytes()).unwrap();
        let response = DecryptResponse {
            plaintext: SecretBlob::new(b"Hello World!".to_vec()),
        };
        for text in [
            format!("{request:?}"),
            format!("{response:?}"),
            format!("{request:#?}"),
        ] {
            assert!(!text.contains("SGVsbG8gV29ybGQh"), "{text}");
            assert!(!text.contains("Hello"), "{text}");
            assert!(!text.contains("72, 101, 108"), "{text}");
            assert!(text.contains("redacted"), "{text}");
        }
    }

    #[test]
    fn request_bodies_render_camel_case_without_absent_members() {
        let request =
            parse_encrypt(&with(&encrypt_json(), "additionalAuthenticatedData", None)).unwrap();
        let rendered: Value = serde_json::from_slice(&body(&request)).unwrap();
        let mut expected = encrypt_json();
        expected
            .as_object_mut()
            .unwrap()
            .remove("additionalAuthenticatedData");
        assert_eq!(rendered, expected);
        let health = HealthRequest {
            request_metadata: RequestMetadata {
                kms_operation: "KmsHealthCheck".to_owned(),
                kms_request_id: "r".to_owned(),
                ..RequestMetadata::default()
            },
        };
        assert_eq!(
            body(&health),
            br#"{"requestMetadata":{"kmsOperation":"KmsHealthCheck","kmsRequestId":"r"}}"#
        );
        assert_eq!(parse_health(&body(&health)).unwrap(), health);
        let decrypt = parse_decrypt(&to_bytes(&decrypt_json())).unwrap();
        let rendered: Value = serde_json::from_slice(&body(&decrypt)).unwrap();
        assert_eq!(rendered, decrypt_json());
        assert_eq!(parse_decrypt(&body(&decrypt)).unwrap(), decrypt);
    }

    // --- Response checks. ---

    fn encrypt_response(iv: usize, tag: usize, metadata: Option<usize>) -> EncryptResponse {
        EncryptResponse {
            ciphertext: Blob(vec![1; 12]),
            ciphertext_metadata: metadata.map(|n| Blob(vec![2; n])),
            initialization_vector: Blob(vec![3; iv]),
            authentication_tag: Blob(vec![4; tag]),
            ciphertext_data_integrity_value: None,
        }
    }

    #[test]
    fn encrypt_response_checks() {
        let good = encrypt_response(12, 16, Some(20));
        assert_eq!(
            EncryptResponse::parse(&body(&good), 12, b"", false),
            Ok(good)
        );
        assert!(
            EncryptResponse::parse(&body(&encrypt_response(16, 16, None)), 12, b"", false).is_ok()
        );
        for (response, reason) in [
            (encrypt_response(11, 16, None), "initializationVector"),
            (encrypt_response(13, 16, None), "initializationVector"),
            (encrypt_response(12, 15, None), "authenticationTag"),
            (encrypt_response(12, 12, None), "authenticationTag"),
            (encrypt_response(12, 16, Some(21)), "ciphertextMetadata"),
        ] {
            let e = EncryptResponse::parse(&body(&response), 12, b"", false).unwrap_err();
            assert!(e.contains(reason), "{e}");
        }
        let e = EncryptResponse::parse(&body(&encrypt_response(12, 16, None)), 11, b"", false)
            .unwrap_err();
        assert!(e.contains("ciphertext"), "{e}");

        // The integrity value: required when requested, and computed over the metadata too.
        let mut response = encrypt_response(12, 16, Some(3));
        let e = EncryptResponse::parse(&body(&response), 12, b"aad", true).unwrap_err();
        assert!(e.contains("missing"), "{e}");
        let value = integrity_value(b"aad", &[2; 3], &[3; 12], &[1; 12], &[4; 16]);
        response.ciphertext_data_integrity_value = Some(Blob(value.to_vec()));
        assert!(EncryptResponse::parse(&body(&response), 12, b"aad", true).is_ok());
        assert!(EncryptResponse::parse(&body(&response), 12, b"aae", true).is_err());
        response.ciphertext_metadata = None;
        let e = EncryptResponse::parse(&body(&response), 12, b"aad", true).unwrap_err();
        assert!(e.contains("does not match"), "{e}");

        for bad in [
            &b""[..],
            b"{}",
            br#"{"ciphertext": "AA==", "initializationVector": "AAAAAAAAAAAAAAAA"}"#,
            br#"{"ciphertext": 1, "initializationVector": "AAAAAAAAAAAAAAAA", "authenticationTag": "AAAAAAAAAAAAAAAAAAAAAA=="}"#,
            br#"{"ciphertext": "A", "initializationVector": "AAAAAAAAAAAAAAAA", "authenticationTag": "AAAAAAAAAAAAAAAAAAAAAA=="}"#,
        ] {
            assert!(EncryptResponse::parse(bad, 1, b"", false).is_err());
        }
    }

    #[test]
    fn decrypt_response_checks_and_never_quotes_the_body() {
        assert!(DecryptResponse::parse(br#"{"plaintext": "SGVsbG8gV29ybGQh"}"#, 11).is_err());
        assert!(DecryptResponse::parse(br#"{"plaintext": ""}"#, 0).is_ok());
        for bad in [
            &br#"{}"#[..],
            br#"{"plaintext": 1}"#,
            br#"{"plaintext": "SGVsbG8gV29ybGQ"}"#,
            br#"{"plaintext": "SECRET-SECRET"}"#,
            br#"{"plaintext": ["SECRET"]}"#,
            b"SECRET",
        ] {
            let e = DecryptResponse::parse(bad, 12).unwrap_err();
            assert!(!e.contains("SECRET") && !e.contains("SGVs"), "{e}");
        }
    }

    #[test]
    fn metadata_response_checks() {
        let usages: Vec<String> = (0..10).map(|i| format!("U{i}")).collect();
        let ten = MetadataResponse {
            key_spec: "AES_256".to_owned(),
            key_usage: usages.clone(),
            key_status: "DISABLED".to_owned(),
        };
        assert_eq!(MetadataResponse::parse(&body(&ten)), Ok(ten.clone()));
        let mut eleven = ten;
        eleven.key_usage.push("WRAP".to_owned());
        assert!(
            MetadataResponse::parse(&body(&eleven))
                .unwrap_err()
                .contains("keyUsage")
        );
        for bad in [
            &br#"{"keyUsage": ["ENCRYPT"], "keyStatus": "ENABLED"}"#[..],
            br#"{"keySpec": "AES_256", "keyStatus": "ENABLED"}"#,
            br#"{"keySpec": "AES_256", "keyUsage": ["ENCRYPT"]}"#,
            br#"{"keySpec": "AES_256", "keyUsage": "ENCRYPT", "keyStatus": "ENABLED"}"#,
            b"[]",
        ] {
            assert!(MetadataResponse::parse(bad).is_err());
        }
    }

    #[test]
    fn health_response_checks() {
        let detail = |status: &str| EkmFleetDetail {
            id: "hsm".to_owned(),
            model: "m".to_owned(),
            health_status: status.to_owned(),
        };
        let response = |size: u32, details: Vec<EkmFleetDetail>| HealthResponse {
            xks_proxy_fleet_size: size,
            xks_proxy_vendor: "Trent".to_owned(),
            xks_proxy_model: "Trent 1".to_owned(),
            ekm_vendor: "Trent".to_owned(),
            ekm_fleet_details: details,
        };
        let ok = response(
            1,
            vec![detail("ACTIVE"), detail("DEGRADED"), detail("UNAVAILABLE")],
        );
        assert_eq!(HealthResponse::parse(&body(&ok)), Ok(ok));
        assert!(HealthResponse::parse(&body(&response(1, vec![detail("ACTIVE"); 10]))).is_ok());
        for (bad, reason) in [
            (response(0, vec![detail("ACTIVE")]), "xksProxyFleetSize"),
            (response(1, vec![]), "ekmFleetDetails"),
            (response(1, vec![detail("ACTIVE"); 11]), "ekmFleetDetails"),
            (response(1, vec![detail("HEALTHY")]), "healthStatus"),
            (response(1, vec![detail("active")]), "healthStatus"),
        ] {
            let e = HealthResponse::parse(&body(&bad)).unwrap_err();
            assert!(e.contains(reason), "{e}");
        }
        let negative = HEALTH_RESPONSE_EXAMPLE
            .replace("\"xksProxyFleetSize\": 2", "\"xksProxyFleetSize\": -2");
        assert!(HealthResponse::parse(negative.as_bytes()).is_err());
        let missing = HEALTH_RESPONSE_EXAMPLE.replace("\"ekmVendor\": \"Thales Group\",", "");
        assert!(HealthResponse::parse(missing.as_bytes()).is_err());
    }

    // --- Framing. ---

    #[test]
    fn key_manager_aad_frames_both_lengths() {
        assert_eq!(key_manager_aad(b"", b""), Some(vec![0, 0, 0]));
        assert_eq!(
            key_manager_aad(b"ab", b"c"),
            Some(vec![0, 2, b'a', b'b', 1, b'c'])
        );
        let aad = vec![9; 300];
        let framed = key_manager_aad(&aad, b"").unwrap();
        assert_eq!(framed[..2], [1, 44]);
        assert_eq!(framed.len(), 303);
        assert!(key_manager_aad(&vec![0; 65535], &[0; 255]).is_some());
        assert_eq!(key_manager_aad(&vec![0; 65536], b""), None);
        assert_eq!(key_manager_aad(b"", &[0; 256]), None);
        // The spec's own case: metadata passed as AAD must not frame like the original.
        assert_ne!(key_manager_aad(b"", b"md"), key_manager_aad(b"md", b""));
        assert_ne!(key_manager_aad(b"ab", b""), key_manager_aad(b"a", b"b"));
    }

    #[test]
    fn integrity_value_treats_absent_members_as_empty() {
        let with_empty = integrity_value(b"a", b"", b"iv", b"ct", b"tag");
        let concatenated = integrity_value(b"", b"", b"", b"aivct", b"tag");
        assert_eq!(with_empty, concatenated);
        let expected = digest::digest(&digest::SHA256, b"aivcttag");
        assert_eq!(with_empty.as_slice(), expected.as_ref());
    }

    // --- Properties. ---

    fn metadata_strategy() -> impl Strategy<Value = RequestMetadata> {
        let text = "[ -~\u{e9}\u{1F600}]{0,40}";
        (
            proptest::option::of(text),
            proptest::option::of(text),
            proptest::option::of(text),
            text,
            text,
            text,
            text,
        )
            .prop_map(|(vpc, vpce, via, principal, key, operation, request_id)| {
                RequestMetadata {
                    aws_principal_arn: Some(principal),
                    aws_source_vpc: vpc,
                    aws_source_vpce: vpce,
                    kms_key_arn: Some(key),
                    kms_operation: operation,
                    kms_request_id: request_id,
                    kms_via_service: via,
                }
            })
    }

    fn encrypt_strategy() -> impl Strategy<Value = EncryptRequest> {
        (
            metadata_strategy(),
            proptest::collection::vec(any::<u8>(), 1..=MAX_PLAINTEXT),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..=MAX_AAD)),
            any::<bool>(),
        )
            .prop_map(|(metadata, plaintext, aad, integrity)| EncryptRequest {
                request_metadata: metadata,
                plaintext: SecretBlob::new(plaintext),
                encryption_algorithm: AES_GCM.to_owned(),
                additional_authenticated_data: aad.map(Blob),
                ciphertext_data_integrity_value_algorithm: integrity.then(|| SHA_256.to_owned()),
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_health(&bytes);
            let _ = parse_metadata(&bytes);
            let _ = parse_encrypt(&bytes);
            let _ = parse_decrypt(&bytes);
            let _ = metadata_of(&bytes);
            let _ = Error::parse_body(&bytes);
            let _ = MetadataResponse::parse(&bytes);
            let _ = EncryptResponse::parse(&bytes, 12, &bytes, true);
            let _ = DecryptResponse::parse(&bytes, 12);
            let _ = HealthResponse::parse(&bytes);
            let _ = parse_path(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn parsers_never_panic_on_near_json(
            members in proptest::collection::vec(
                (
                    proptest::sample::select(vec![
                        "plaintext", "ciphertext", "ciphertextMetadata", "encryptionAlgorithm",
                        "additionalAuthenticatedData", "initializationVector", "authenticationTag",
                        "ciphertextDataIntegrityValueAlgorithm", "requestMetadata",
                    ]),
                    prop_oneof![
                        Just(json!(null)), Just(json!(1)), Just(json!("AES_GCM")),
                        Just(json!("SHA_256")), Just(json!({})), Just(json!([])),
                        "[A-Za-z0-9+/=]{0,40}".prop_map(Value::from),
                        metadata_strategy().prop_map(|m| serde_json::to_value(m).unwrap()),
                    ],
                ),
                0..10,
            )
        ) {
            let map: Map<String, Value> = members.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            let bytes = to_bytes(&Value::Object(map));
            let _ = parse_health(&bytes);
            let _ = parse_metadata(&bytes);
            let _ = parse_encrypt(&bytes);
            let _ = parse_decrypt(&bytes);
            let _ = metadata_of(&bytes);
        }

        #[test]
        fn the_fuzzing_entry_point_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            crate::fuzzing::xks_request(&bytes);
        }

        #[test]
        fn parse_path_never_panics(path in "[/a-z0-9.%_-]{0,80}") {
            if let Ok((prefix, route)) = parse_path(&path) {
                prop_assert_eq!(route_path(&format!("{prefix}{PATH_SUFFIX}"), &route), path);
            }
        }

        #[test]
        fn valid_encrypt_requests_round_trip(request in encrypt_strategy()) {
            let rendered = body(&request);
            prop_assert_eq!(parse_encrypt(&rendered), Ok(request.clone()));
            prop_assert_eq!(serde_json::from_slice::<EncryptRequest>(&rendered).unwrap(), request);
        }

        #[test]
        fn key_manager_aad_is_injective(
            a in proptest::collection::vec(any::<u8>(), 0..64),
            m in proptest::collection::vec(any::<u8>(), 0..21),
            b in proptest::collection::vec(any::<u8>(), 0..64),
            n in proptest::collection::vec(any::<u8>(), 0..21),
        ) {
            prop_assume!((&a, &m) != (&b, &n));
            prop_assert_ne!(key_manager_aad(&a, &m), key_manager_aad(&b, &n));
        }

        #[test]
        fn key_manager_aad_separates_every_split(
            joined in proptest::collection::vec(any::<u8>(), 1..64),
            i in any::<prop::sample::Index>(),
            j in any::<prop::sample::Index>(),
        ) {
            let (i, j) = (i.index(joined.len() + 1), j.index(joined.len() + 1));
            prop_assume!(i != j);
            let (a, m) = joined.split_at(i);
            let (b, n) = joined.split_at(j);
            prop_assert_ne!(key_manager_aad(a, m), key_manager_aad(b, n));
        }
    }
}
