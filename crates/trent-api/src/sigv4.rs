//! AWS Signature Version 4: parsing the `Authorization` header, signing, and verifying.
//!
//! This module is pure: the caller supplies the request parts, the body, the secret for the
//! access key and the current time.
//! Verification is split in two steps so that the server can look the access key up between
//! them: [`parse`] reads the header (and reports `IncompleteSignatureException` or
//! `MissingAuthenticationTokenException`), [`verify`] recomputes the signature and compares it in
//! constant time.

use aws_lc_rs::{constant_time, digest, hmac};

use crate::error::{ErrorCode, WireError};

/// The only algorithm we accept.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// How far `X-Amz-Date` may be from our clock, either way: AWS KMS allows 5 minutes
/// ("Signature expired: ... (... - 5 min.)", aws/aws-sdk-js-v3#6400).
pub const MAX_SKEW_SECONDS: i64 = 5 * 60;

/// The parsed `Authorization` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    pub access_key_id: String,
    /// `YYYYMMDD` from the credential scope.
    pub date: String,
    pub region: String,
    pub service: String,
    /// Lower-case header names, in the client's order.
    pub signed_headers: Vec<String>,
    /// Lower-case hex.
    pub signature: String,
}

impl Authorization {
    /// `DATE/REGION/SERVICE/aws4_request`.
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

/// A request as SigV4 sees it.
#[derive(Debug)]
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    /// Header names (any case) and values; a name may repeat.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
    /// The body's SHA-256 when its reader computed it as the body arrived (so that the body
    /// is not read again to be hashed); `None` to hash `body` here.
    pub body_sha256: Option<[u8; 32]>,
}

impl Request<'_> {
    fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body's SHA-256 in lower-case hex, as the canonical request ends.
    fn payload_hash(&self) -> String {
        match &self.body_sha256 {
            Some(hash) => hex::encode(hash),
            None => hex_sha256(self.body),
        }
    }
}

/// The longest SigV4 error message, in characters: AWS's messages echo the `Authorization`
/// header (or parts of it), which a client may make as long as it likes.
pub const MAX_MESSAGE_CHARS: usize = 512;

/// `message`, cut to [`MAX_MESSAGE_CHARS`] (ending in `...` when cut).
fn bounded(message: impl Into<String>) -> String {
    let message = message.into();
    if message.chars().count() <= MAX_MESSAGE_CHARS {
        return message;
    }
    let mut cut: String = message.chars().take(MAX_MESSAGE_CHARS - 3).collect();
    cut.push_str("...");
    cut
}

fn incomplete(message: impl Into<String>) -> WireError {
    WireError::new(ErrorCode::IncompleteSignatureException, bounded(message))
}

fn invalid(message: impl Into<String>) -> WireError {
    WireError::new(ErrorCode::InvalidSignatureException, bounded(message))
}

/// Headers that, when present, must be signed, as AWS requires: the date the signature is
/// fresh by, and the session token naming the credentials.
/// `X-Amz-Target` and `X-Amz-Content-Sha256` may go unsigned at AWS (clients such as PyPI's
/// `aws-requests-auth` sign only `host;x-amz-date`); the body is bound by its hash in the
/// canonical request whatever the headers say.
const MUST_SIGN: [(&str, &str); 2] = [
    ("x-amz-date", "X-Amz-Date"),
    ("x-amz-security-token", "X-Amz-Security-Token"),
];

/// What a verifier demands beyond AWS's rules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rules {
    /// Refuse a request whose `X-Amz-Target` is present but unsigned. Over plain HTTP, a
    /// captured request signed without it could be replayed as another operation within the
    /// date window; TLS closes that.
    pub require_signed_target: bool,
}

/// The message AWS sends when the signature does not match.
pub const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// Parses the `Authorization` header of `request`.
///
/// Errors: `MissingAuthenticationTokenException` when there is no header at all,
/// `IncompleteSignatureException` when it is malformed, lacks `X-Amz-Date`, or leaves a header
/// unsigned that must be signed (AWS's [`MUST_SIGN`], and what `rules` add);
/// `InvalidSignatureException` when `host` is not signed, as AWS answers.
pub fn parse(request: &Request<'_>, rules: Rules) -> Result<Authorization, WireError> {
    let Some(header) = request.header("authorization") else {
        return Err(WireError::new(
            ErrorCode::MissingAuthenticationTokenException,
            "Missing Authentication Token",
        ));
    };
    let header = header.trim();
    let Some(rest) = header.strip_prefix(ALGORITHM) else {
        return Err(incomplete(format!(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Unsupported algorithm in Authorization={header}"
        )));
    };
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        let (slot, name, value) = if let Some(v) = part.strip_prefix("Credential=") {
            (&mut credential, "Credential", v)
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            (&mut signed_headers, "SignedHeaders", v)
        } else if let Some(v) = part.strip_prefix("Signature=") {
            (&mut signature, "Signature", v)
        } else {
            continue;
        };
        // Which of two would count is ambiguous (and the audit trail could blame the other).
        if slot.replace(value).is_some() {
            return Err(incomplete(format!(
                "Authorization header has more than one '{name}' parameter."
            )));
        }
    }
    let mut missing = Vec::new();
    if credential.is_none() {
        missing.push("Authorization header requires 'Credential' parameter.");
    }
    if signature.is_none() {
        missing.push("Authorization header requires 'Signature' parameter.");
    }
    if signed_headers.is_none() {
        missing.push("Authorization header requires 'SignedHeaders' parameter.");
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(incomplete(format!(
            "{} Authorization={header}",
            missing.join(" ")
        )));
    };
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = parts.as_slice() else {
        return Err(incomplete(format!(
            "Credential should have at least 5 slash-separated parts, not {}. Authorization={header}",
            parts.len()
        )));
    };
    if *terminator != "aws4_request" {
        return Err(incomplete(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. Authorization={header}"
        )));
    }
    if access_key_id.is_empty() {
        return Err(incomplete(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
        )));
    }
    if request.header("x-amz-date").is_none() && request.header("date").is_none() {
        return Err(incomplete(format!(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={header}"
        )));
    }
    let signed_headers: Vec<String> = signed_headers
        .split(';')
        .filter(|h| !h.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    if !signed_headers.iter().any(|h| h == "host") {
        // AWS's answer: InvalidSignatureException, and the header is not echoed.
        return Err(invalid(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    let target = rules
        .require_signed_target
        .then_some(("x-amz-target", "X-Amz-Target"));
    for (name, display) in MUST_SIGN.into_iter().chain(target) {
        if request.header(name).is_some() && !signed_headers.iter().any(|h| h == name) {
            return Err(incomplete(format!(
                "'{display}' must be a 'SignedHeader' in the AWS Authorization. Authorization={header}"
            )));
        }
    }
    Ok(Authorization {
        access_key_id: (*access_key_id).to_owned(),
        date: (*date).to_owned(),
        region: (*region).to_owned(),
        service: (*service).to_owned(),
        signed_headers,
        signature: signature.to_ascii_lowercase(),
    })
}

/// Parses `YYYYMMDDTHHMMSSZ` into Unix seconds.
pub fn parse_amz_date(value: &str) -> Option<i64> {
    let b = value.as_bytes();
    if b.len() != 16 || b.get(8) != Some(&b'T') || b.get(15) != Some(&b'Z') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { value.get(r)?.parse().ok() };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, s) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s)
}

/// Formats Unix seconds as `YYYYMMDDTHHMMSSZ`.
pub fn format_amz_date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

// Howard Hinnant's civil-date algorithms.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn hex_sha256(data: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, data))
}

/// Percent-encodes as SigV4 requires (RFC 3986 unreserved characters stay).
fn uri_encode(input: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(input.len());
    for byte in input.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte));
            }
            b'/' if !encode_slash => out.push('/'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

fn percent_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = input
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = hex {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b == b'+' { b' ' } else { b });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(k), true),
                uri_encode(&percent_decode(v), true),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn canonical_header_value(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(",")
}

/// The canonical request for the given signed headers.
pub fn canonical_request(request: &Request<'_>, signed_headers: &[String]) -> String {
    canonical_request_with(request, signed_headers, &request.payload_hash())
}

fn canonical_request_with(
    request: &Request<'_>,
    signed_headers: &[String],
    payload_hash: &str,
) -> String {
    let path = if request.path.is_empty() {
        "/".to_owned()
    } else {
        uri_encode(&percent_decode(request.path), false)
    };
    let mut out = format!(
        "{}\n{}\n{}\n",
        request.method,
        path,
        canonical_query(request.query)
    );
    for name in signed_headers {
        let values = request.header_values(name);
        out.push_str(name);
        out.push(':');
        out.push_str(&canonical_header_value(&values));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(payload_hash);
    out
}

fn hmac_sign(key: &[u8], data: &[u8]) -> Vec<u8> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    hmac::sign(&key, data).as_ref().to_vec()
}

/// The key a scope's signatures are made with (zeroized when dropped): as secret as the secret
/// access key for that day, Region and service.
#[derive(Clone)]
pub struct SigningKey(zeroize::Zeroizing<Vec<u8>>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

/// The signing key chain: `"AWS4"+secret` -> date -> region -> service -> `aws4_request`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> SigningKey {
    let seed = zeroize::Zeroizing::new(format!("AWS4{secret}"));
    let k_date = zeroize::Zeroizing::new(hmac_sign(seed.as_bytes(), date.as_bytes()));
    let k_region = zeroize::Zeroizing::new(hmac_sign(&k_date, region.as_bytes()));
    let k_service = zeroize::Zeroizing::new(hmac_sign(&k_region, service.as_bytes()));
    SigningKey(zeroize::Zeroizing::new(hmac_sign(
        &k_service,
        b"aws4_request",
    )))
}

/// Computes the hex signature of `request` for `auth`'s scope and signed headers.
pub fn signature(request: &Request<'_>, auth: &Authorization, secret: &str) -> String {
    let key = signing_key(secret, &auth.date, &auth.region, &auth.service);
    signature_with(request, auth, &key, &request.payload_hash())
}

fn signature_with(
    request: &Request<'_>,
    auth: &Authorization,
    key: &SigningKey,
    payload_hash: &str,
) -> String {
    let amz_date = request
        .header("x-amz-date")
        .or_else(|| request.header("date"))
        .unwrap_or_default();
    let canonical = canonical_request_with(request, &auth.signed_headers, payload_hash);
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{}\n{}",
        auth.scope(),
        hex_sha256(canonical.as_bytes())
    );
    hex::encode(hmac_sign(&key.0, string_to_sign.as_bytes()))
}

/// Signing keys derived once per access key and scope, as AWS's SDKs keep them: a request whose
/// scope was seen before costs one HMAC instead of five. A key is kept only once a signature
/// made with it verified, so only a holder of the secret adds entries; at most [`Self::MAX`]
/// are kept (all are dropped when it is reached: they are cheap to derive again).
#[derive(Debug, Default)]
pub struct SigningKeys {
    keys: std::sync::Mutex<std::collections::HashMap<String, Cached>>,
}

/// A cached signing key and the secret it was derived from (a credential whose secret changed
/// must not verify with its old key).
struct Cached {
    secret: zeroize::Zeroizing<Vec<u8>>,
    key: SigningKey,
}

impl std::fmt::Debug for Cached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cached(..)")
    }
}

impl SigningKeys {
    /// The most keys kept.
    pub const MAX: usize = 4096;

    fn scope_of(auth: &Authorization) -> String {
        format!(
            "{}/{}/{}/{}",
            auth.access_key_id, auth.date, auth.region, auth.service
        )
    }

    /// [`verify`], with the scope's signing key taken from the cache (or derived, and kept if
    /// the signature verifies).
    pub fn verify(
        &self,
        request: &Request<'_>,
        auth: &Authorization,
        secret: &[u8],
        service: &str,
        now_unix: i64,
    ) -> Result<(), WireError> {
        let scope = SigningKeys::scope_of(auth);
        let cached = self.keys.lock().ok().and_then(|keys| {
            keys.get(&scope)
                .filter(|c| secrets_equal(&c.secret, secret))
                .map(|c| c.key.clone())
        });
        if let Some(key) = cached {
            return verify_with(request, auth, &key, service, now_unix);
        }
        let text = zeroize::Zeroizing::new(String::from_utf8_lossy(secret).into_owned());
        let key = signing_key(&text, &auth.date, &auth.region, &auth.service);
        verify_with(request, auth, &key, service, now_unix)?;
        if let Ok(mut keys) = self.keys.lock() {
            if keys.len() >= SigningKeys::MAX {
                keys.clear();
            }
            keys.insert(
                scope,
                Cached {
                    secret: zeroize::Zeroizing::new(secret.to_vec()),
                    key,
                },
            );
        }
        Ok(())
    }

    /// How many keys are kept (for tests).
    pub fn len(&self) -> usize {
        self.keys.lock().map_or(0, |k| k.len())
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Compares two secrets (a session token) in constant time.
pub fn secrets_equal(a: &[u8], b: &[u8]) -> bool {
    constant_time::verify_slices_are_equal(a, b).is_ok()
}

/// Verifies `request` against its parsed authorization and the access key's secret.
///
/// Checks, in AWS's order: the service in the scope, the freshness of `X-Amz-Date`
/// (±5 minutes from `now_unix`, as AWS KMS), that the scope date matches it, a declared payload
/// hash, and finally the signature itself in constant time.
pub fn verify(
    request: &Request<'_>,
    auth: &Authorization,
    secret: &str,
    service: &str,
    now_unix: i64,
) -> Result<(), WireError> {
    let key = signing_key(secret, &auth.date, &auth.region, &auth.service);
    verify_with(request, auth, &key, service, now_unix)
}

/// [`verify`] with the scope's signing key already derived.
fn verify_with(
    request: &Request<'_>,
    auth: &Authorization,
    key: &SigningKey,
    service: &str,
    now_unix: i64,
) -> Result<(), WireError> {
    if auth.service != service {
        return Err(invalid(format!(
            "Credential should be scoped to correct service: '{service}'. "
        )));
    }
    let amz_date = request
        .header("x-amz-date")
        .or_else(|| request.header("date"))
        .unwrap_or_default();
    let Some(signed_at) = parse_amz_date(amz_date) else {
        return Err(incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
        )));
    };
    if signed_at < now_unix - MAX_SKEW_SECONDS {
        return Err(invalid(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 5 min.)",
            format_amz_date(now_unix - MAX_SKEW_SECONDS),
            format_amz_date(now_unix)
        )));
    }
    if signed_at > now_unix + MAX_SKEW_SECONDS {
        return Err(invalid(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 5 min.)",
            format_amz_date(now_unix + MAX_SKEW_SECONDS),
            format_amz_date(now_unix)
        )));
    }
    if amz_date.get(..8) != Some(auth.date.as_str()) {
        return Err(invalid(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{amz_date}'.",
            auth.date,
            amz_date.get(..8).unwrap_or_default()
        )));
    }
    let payload_hash = request.payload_hash();
    if let Some(declared) = request.header("x-amz-content-sha256")
        && declared != "UNSIGNED-PAYLOAD"
        && !declared.eq_ignore_ascii_case(&payload_hash)
    {
        return Err(invalid(
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        ));
    }
    let expected = signature_with(request, auth, key, &payload_hash);
    if constant_time::verify_slices_are_equal(expected.as_bytes(), auth.signature.as_bytes())
        .is_err()
    {
        return Err(invalid(SIGNATURE_MISMATCH));
    }
    Ok(())
}

/// Signs a request: returns the `Authorization` header value for the given headers.
///
/// `headers` must already contain `host` and `x-amz-date`; every header given is signed.
/// Used by Trent's own clients and by tests.
pub fn sign(
    request: &Request<'_>,
    access_key_id: &str,
    secret: &str,
    region: &str,
    service: &str,
) -> String {
    let amz_date = request.header("x-amz-date").unwrap_or_default();
    let mut signed_headers: Vec<String> = request
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect();
    signed_headers.sort();
    signed_headers.dedup();
    let auth = Authorization {
        access_key_id: access_key_id.to_owned(),
        date: amz_date.get(..8).unwrap_or_default().to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
        signed_headers,
        signature: String::new(),
    };
    let sig = signature(request, &auth, secret);
    format!(
        "{ALGORITHM} Credential={access_key_id}/{}, SignedHeaders={}, Signature={sig}",
        auth.scope(),
        auth.signed_headers.join(";")
    )
}

#[cfg(test)]
mod tests;
