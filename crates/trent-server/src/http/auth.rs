//! SigV4 authentication of a request: from headers and body to a [`RequestContext`], with
//! long-term access keys and STS session credentials (`X-Amz-Security-Token`).

use std::net::IpAddr;

use axum::http::request::Parts;
use trent_api::sigv4;
use trent_api::{ErrorCode, WireError};
use trent_core::model::{Region, RequestContext};

use crate::run::state::AppState;

fn unrecognized() -> WireError {
    WireError::new(
        ErrorCode::UnrecognizedClientException,
        "The security token included in the request is invalid.",
    )
}

fn expired() -> WireError {
    WireError::new(
        ErrorCode::ExpiredTokenException,
        "The security token included in the request is expired",
    )
}

/// The message of a request from an address throttled for failing authentication.
pub const THROTTLED_ADDRESS: &str =
    "Too many requests from this address failed authentication. Retry the request later.";

/// Authenticates a request signed for `service` (`kms`, `sts`).
///
/// In `--dev` mode any signature is accepted: a parseable `Authorization` still chooses the
/// region and, for a known access key, the principal; anything else acts as the default
/// account.
pub fn authenticate(
    state: &AppState,
    parts: &Parts,
    body: &crate::http::body::Hashed,
    source_ip: Option<IpAddr>,
    request_id: &str,
    service: &str,
) -> Result<RequestContext, WireError> {
    let now = std::time::Instant::now();
    if let Some(ip) = source_ip
        && !state.auth_failures.allows(&ip, now)
    {
        return Err(WireError::new(
            ErrorCode::ThrottlingException,
            THROTTLED_ADDRESS,
        ));
    }
    let result = verify(state, parts, body, source_ip, request_id, service);
    if let (Err(_), Some(ip)) = (&result, source_ip) {
        let _ = state.auth_failures.take(&ip, now);
    }
    result
}

/// Per source address, a token bucket of failed authentications: past it, requests from
/// the address are answered `ThrottlingException` before their signature is checked, until
/// the bucket refills. Signed requests never draw from it.
pub type FailureLimiter = Buckets<IpAddr>;

/// Token buckets by key (a source address; an account and a class of call), refilled at
/// `per_second` up to `burst`.
#[derive(Debug)]
pub struct Buckets<K> {
    per_second: f64,
    burst: f64,
    buckets: std::sync::Mutex<std::collections::HashMap<K, (f64, std::time::Instant)>>,
    /// How many keys `buckets` holds: while none, [`Buckets::allows`] takes no lock (the
    /// failure limiter asks on every request).
    tracked: std::sync::atomic::AtomicUsize,
}

/// Request rates of Trent's own, per account, on whatever the AWS quotas say: the admin
/// API, `AssumeRole` and `LookupEvents` (each a burst of ten seconds' worth).
#[derive(Debug)]
pub struct OperatorLimits {
    pub admin: Buckets<String>,
    pub assume_role: Buckets<String>,
    pub lookup_events: Buckets<String>,
}

impl OperatorLimits {
    pub fn new(limits: &crate::http::front_door::Limits) -> OperatorLimits {
        let buckets = |rate: u32| Buckets::new(rate, rate.saturating_mul(10));
        OperatorLimits {
            admin: buckets(limits.admin_per_second),
            assume_role: buckets(limits.assume_role_per_second),
            lookup_events: buckets(limits.lookup_events_per_second),
        }
    }
}

/// `ThrottlingException` for a call over an [`OperatorLimits`] rate.
pub fn rate_exceeded() -> WireError {
    WireError::new(ErrorCode::ThrottlingException, "Rate exceeded")
}

/// Keys tracked at most; past this, the full buckets are forgotten.
const TRACKED_KEYS: usize = 65_536;

impl<K: std::hash::Hash + Eq + Clone> Buckets<K> {
    pub fn new(per_second: u32, burst: u32) -> Buckets<K> {
        Buckets {
            per_second: f64::from(per_second.max(1)),
            burst: f64::from(burst.max(1)),
            buckets: std::sync::Mutex::new(std::collections::HashMap::new()),
            tracked: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    fn level(&self, tokens: f64, at: std::time::Instant, now: std::time::Instant) -> f64 {
        let elapsed = now.saturating_duration_since(at).as_secs_f64();
        (tokens + elapsed * self.per_second).min(self.burst)
    }

    /// Whether `key`'s bucket holds a token (without taking it).
    pub fn allows(&self, key: &K, now: std::time::Instant) -> bool {
        if self.tracked.load(std::sync::atomic::Ordering::Acquire) == 0 {
            return true;
        }
        let buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        buckets
            .get(key)
            .is_none_or(|&(tokens, at)| self.level(tokens, at, now) >= 1.0)
    }

    /// Takes a token from `key`'s bucket (none left: it stays empty); whether there was one.
    pub fn take(&self, key: &K, now: std::time::Instant) -> bool {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= TRACKED_KEYS && !buckets.contains_key(key) {
            buckets.retain(|_, &mut (tokens, at)| self.level(tokens, at, now) < self.burst);
        }
        let (tokens, at) = buckets.get(key).copied().unwrap_or((self.burst, now));
        let level = self.level(tokens, at, now);
        buckets.insert(key.clone(), ((level - 1.0).max(0.0), now));
        self.tracked
            .store(buckets.len(), std::sync::atomic::Ordering::Release);
        level >= 1.0
    }
}

/// What a console sign-in proved: the principal and the regions of its account.
#[derive(Debug)]
pub struct SignedIn {
    pub principal: trent_core::model::Principal,
    pub regions: Vec<Region>,
    pub session_token: Option<std::sync::Arc<trent_core::secret::Secret>>,
}

/// Checks a console sign-in: the access key is known and enabled, the secret is its secret
/// (compared in constant time), and an STS credential comes with its unexpired session token,
/// exactly as a signed request would be checked. Failures count against the address's
/// failed-authentication bucket.
pub fn sign_in(
    state: &AppState,
    access_key_id: &str,
    secret: &[u8],
    session_token: Option<&str>,
    source_ip: Option<IpAddr>,
) -> Result<SignedIn, WireError> {
    let now = std::time::Instant::now();
    if let Some(ip) = source_ip
        && !state.auth_failures.allows(&ip, now)
    {
        return Err(WireError::new(
            ErrorCode::ThrottlingException,
            THROTTLED_ADDRESS,
        ));
    }
    let directory = state.kms.directory();
    let result = (|| {
        if state.dev && directory.credential(access_key_id).is_none() {
            let (principal, _) = state.dev_default.clone().ok_or_else(unrecognized)?;
            let regions = directory.regions(&principal.account).unwrap_or_default();
            return Ok(SignedIn {
                principal,
                regions,
                session_token: None,
            });
        }
        let credential = directory
            .credential(access_key_id)
            .filter(|c| c.enabled)
            .ok_or_else(unrecognized)?;
        check_session_token(state, &credential, session_token)?;
        if !state.dev && !sigv4::secrets_equal(credential.secret.as_slice(), secret) {
            return Err(WireError::new(
                ErrorCode::UnrecognizedClientException,
                "The secret access key does not match the access key id.",
            ));
        }
        let regions = directory
            .regions(&credential.principal.account)
            .unwrap_or_default();
        Ok(SignedIn {
            principal: credential.principal,
            regions,
            session_token: credential.session_token,
        })
    })();
    if let (Err(_), Some(ip)) = (&result, source_ip) {
        let _ = state.auth_failures.take(&ip, now);
    }
    result
}

/// The context of a console call: the session's access key looked up again (disabled,
/// deleted or expired since sign-in: refused as a signed request would be).
pub fn session_context(
    state: &AppState,
    session: &crate::console::session::Session,
    source_ip: Option<IpAddr>,
    request_id: &str,
    secure: bool,
) -> Result<RequestContext, WireError> {
    let directory = state.kms.directory();
    let principal = match directory
        .credential(&session.access_key_id)
        .filter(|c| c.enabled)
    {
        Some(credential) => {
            let token = session
                .session_token
                .as_ref()
                .map(|t| String::from_utf8_lossy(t.as_slice()).into_owned());
            check_session_token(state, &credential, token.as_deref())?;
            credential.principal
        }
        None if state.dev => state.dev_default.clone().ok_or_else(unrecognized)?.0,
        None => return Err(unrecognized()),
    };
    let mut ctx = RequestContext::new(principal, session.region.clone(), request_id);
    ctx.source_ip = source_ip;
    ctx.secure_transport = secure;
    Ok(ctx)
}

/// A session credential's token must be the one given, and unexpired; a long-term key must
/// come with none.
fn check_session_token(
    state: &AppState,
    credential: &trent_core::iam::directory::Credential,
    given: Option<&str>,
) -> Result<(), WireError> {
    match (&credential.session_token, given) {
        (None, None) => Ok(()),
        (Some(expected), Some(given))
            if sigv4::secrets_equal(expected.as_slice(), given.as_bytes()) =>
        {
            if credential
                .expires
                .is_some_and(|e| e <= state.kms.clock().now())
            {
                Err(expired())
            } else {
                Ok(())
            }
        }
        _ => Err(unrecognized()),
    }
}

fn verify(
    state: &AppState,
    parts: &Parts,
    body: &crate::http::body::Hashed,
    source_ip: Option<IpAddr>,
    request_id: &str,
    service: &str,
) -> Result<RequestContext, WireError> {
    let mut pairs: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    if !pairs.iter().any(|(n, _)| n == "host") {
        // HTTP/2 carries the host in the `:authority` pseudo-header, which is part of the URI.
        if let Some(authority) = parts.uri.authority() {
            pairs.push(("host".to_owned(), authority.as_str().to_owned()));
        }
    }
    let request = sigv4::Request {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or_default(),
        headers: &pairs,
        body: &body.bytes,
        body_sha256: Some(body.sha256),
    };
    let secure = parts
        .extensions
        .get::<crate::http::tls::OverTls>()
        .is_some();
    let context = |principal, region| {
        let mut ctx = RequestContext::new(principal, region, request_id);
        ctx.source_ip = source_ip;
        ctx.secure_transport = secure;
        ctx
    };
    let directory = state.kms.directory();

    if state.dev {
        let (default_principal, default_region) = state.dev_default.clone().ok_or_else(|| {
            WireError::new(ErrorCode::KMSInternalException, "no default identity")
        })?;
        let Ok(auth) = sigv4::parse(&request, state.sigv4_rules) else {
            return Ok(context(default_principal, default_region));
        };
        let principal = directory
            .credential(&auth.access_key_id)
            .map(|c| c.principal)
            .unwrap_or(default_principal);
        let region = Region::parse(&auth.region).unwrap_or(default_region);
        return Ok(context(principal, region));
    }

    let auth = sigv4::parse(&request, state.sigv4_rules)?;
    let credential = directory
        .credential(&auth.access_key_id)
        .filter(|c| c.enabled)
        .ok_or_else(unrecognized)?;
    check_session_token(state, &credential, request.header("x-amz-security-token"))?;
    let now = state.auth_clock.now().0 / 1000;
    state
        .signing_keys
        .verify(&request, &auth, credential.secret.as_slice(), service, now)?;
    let region = Region::parse(&auth.region)
        .filter(|r| {
            // STS is global: any region the SDK signs for will do.
            service == "sts"
                || directory
                    .regions(&credential.principal.account)
                    .is_some_and(|regions| regions.contains(r))
        })
        .ok_or_else(|| {
            WireError::new(
                ErrorCode::InvalidSignatureException,
                format!(
                    "Credential should be scoped to a valid region, not '{}'. ",
                    auth.region
                ),
            )
        })?;
    Ok(context(credential.principal, region))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn failures_drain_the_bucket_and_time_refills_it() {
        let limiter = FailureLimiter::new(10, 3);
        let one: IpAddr = "192.0.2.1".parse().unwrap();
        let two: IpAddr = "192.0.2.2".parse().unwrap();
        let t = Instant::now();
        for _ in 0..3 {
            assert!(limiter.allows(&one, t));
            limiter.take(&one, t);
        }
        assert!(!limiter.allows(&one, t), "burst spent");
        assert!(limiter.allows(&two, t), "another address is not affected");
        // 10 a second: one more after 100 ms, the burst again after 300 ms.
        assert!(!limiter.allows(&one, t + Duration::from_millis(50)));
        assert!(limiter.allows(&one, t + Duration::from_millis(100)));
        limiter.take(&one, t + Duration::from_millis(100));
        assert!(!limiter.allows(&one, t + Duration::from_millis(150)));
        assert!(limiter.allows(&one, t + Duration::from_millis(500)));
    }
}
