//! SigV4 authentication of a request: from headers and body to a [`RequestContext`], with
//! long-term access keys and STS session credentials (`X-Amz-Security-Token`).

use std::net::IpAddr;

use axum::http::request::Parts;
use trent_api::sigv4;
use trent_api::{ErrorCode, WireError};
use trent_core::model::{Region, RequestContext};

use crate::state::AppState;

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

/// Authenticates a request signed for `service` (`kms`, `sts`).
///
/// In `--dev` mode any signature is accepted: a parseable `Authorization` still chooses the
/// region and, for a known access key, the principal; anything else acts as the default
/// account.
pub fn authenticate(
    state: &AppState,
    parts: &Parts,
    body: &[u8],
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
        body,
    };
    let secure = parts.extensions.get::<crate::tls::OverTls>().is_some();
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
    let token = request.header("x-amz-security-token");
    match (&credential.session_token, token) {
        (None, None) => {}
        (Some(expected), Some(given))
            if sigv4::secrets_equal(expected.as_slice(), given.as_bytes()) =>
        {
            if credential
                .expires
                .is_some_and(|e| e <= state.kms.clock().now())
            {
                return Err(expired());
            }
        }
        _ => return Err(unrecognized()),
    }
    let now = state.auth_clock.now().0 / 1000;
    let secret =
        zeroize::Zeroizing::new(String::from_utf8_lossy(credential.secret.as_slice()).into_owned());
    sigv4::verify(&request, &auth, &secret, service, now)?;
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
