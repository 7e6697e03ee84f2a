//! Shared server state: the KMS (whose directory holds the identities) and the mode flags.

use std::sync::Arc;

use trent_core::Kms;
use trent_core::clock::Clock;
use trent_core::model::{Principal, Region};

/// Everything a request handler may use.
#[derive(Debug)]
pub struct AppState {
    pub kms: Arc<Kms>,
    /// Accept any signature (`--dev`).
    pub dev: bool,
    /// The principal and region `--dev` uses for requests it cannot attribute.
    pub dev_default: Option<(Principal, Region)>,
    /// What SigV4 verification demands beyond AWS's rules (`[sigv4]` in the config).
    pub sigv4_rules: trent_api::sigv4::Rules,
    /// Signing keys derived per access key and scope, kept once a signature verified.
    pub signing_keys: trent_api::sigv4::SigningKeys,
    /// Wall-clock time for SigV4 freshness; the KMS's own clock may be moved by tests.
    pub auth_clock: Arc<dyn Clock>,
    /// The largest request body accepted.
    pub max_body: usize,
    /// Request-body bytes being received at once, shared by all connections.
    pub body_budget: crate::http::front_door::BodyBudget,
    /// Failed authentications per source address (`ThrottlingException` past them).
    pub auth_failures: Arc<crate::http::auth::FailureLimiter>,
    /// Rates of the admin API, AssumeRole and LookupEvents per account.
    pub operator_limits: crate::http::auth::OperatorLimits,
    /// How long a request body may take to arrive.
    pub body_timeout: std::time::Duration,
    /// Where every call is recorded before its response goes out.
    pub audit: crate::audit::AuditLog,
    pub metrics: crate::http::metrics::Metrics,
    /// The web console's sessions and request history.
    pub console: crate::console::Console,
}
