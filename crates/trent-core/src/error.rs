//! The domain error: the KMS vocabulary of failures, with structured fields.
//!
//! The `Display` texts are AWS's messages; the server picks the `__type` and status for each
//! variant in one `match`. The exception is [`Error::InvalidParameter`], a member that breaks a
//! constraint of the service model: it stays structured (member, value, [`Constraint`]), and the
//! server words it with the wire's one set of AWS validation templates.

use crate::model::KeyState;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A key id, ARN or alias that names no key here.
    #[error("Key '{arn}' does not exist")]
    KeyNotFound { arn: String },
    #[error("Alias {alias_arn} is not found.")]
    AliasNotFound { alias_arn: String },
    #[error("No such policy exists: {name}")]
    PolicyNotFound { name: String },
    #[error("Invalid keyId '{value}'")]
    InvalidKeyId { value: String },
    #[error("Invalid arn {value}")]
    InvalidArn { value: String },
    /// An alias where the operation takes only a key ID or key ARN.
    #[error("Key Aliases are not supported for this operation.")]
    AliasNotSupported,
    /// A key ARN of another Region than the request's (AWS names the ARN's Region).
    #[error("Invalid arn {region}")]
    ArnOfOtherRegion { region: String },
    #[error("ARN does not refer to a valid principal: {value}")]
    InvalidPrincipal { value: String },
    #[error("The grant token is invalid.")]
    InvalidGrantToken,
    #[error("The grant ID is invalid.")]
    InvalidGrantId,
    #[error("Grant ID {id} not found")]
    GrantNotFound { id: String },
    /// An IAM entity (user, role, policy, access key) that does not exist.
    #[error("{message}")]
    NoSuchEntity { message: String },
    #[error("{message}")]
    EntityAlreadyExists { message: String },
    /// A resource (a multi-Region replica) that exists already.
    #[error("{message}")]
    AlreadyExists { message: String },
    #[error("Import token is invalid or does not belong to this key.")]
    InvalidImportToken,
    #[error("The import token has expired. Use GetParametersForImport to get a new one.")]
    ExpiredImportToken,
    #[error("The key material is not the key material that was previously imported into this key.")]
    IncorrectKeyMaterial,
    #[error(
        "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls."
    )]
    Throttling,
    /// A scheduled change found, inside its transaction, that it is no longer due (another
    /// node or sweep did it). Never sent to a client.
    #[error("not due")]
    NotDue,
    /// An access denial whose message is not the policy-evaluation form.
    #[error("{message}")]
    Denied { message: String },
    #[error("An alias with the name {alias_arn} already exists")]
    AliasAlreadyExists { alias_arn: String },
    #[error("{arn} is disabled.")]
    Disabled { arn: String },
    /// The key exists but its state forbids the operation.
    #[error("{arn} is {}.", state_phrase(*state))]
    InvalidState { arn: String, state: KeyState },
    #[error("{arn} is not pending deletion.")]
    NotPendingDeletion { arn: String },
    /// The key's state forbids the operation, in words of the operation's own.
    #[error("{message}")]
    KeyStateConflict { message: String },
    #[error("{message}")]
    InvalidKeyUsage { message: String },
    #[error("The key ID in the request does not identify a CMK that can perform this operation.")]
    IncorrectKey,
    /// The blob is malformed, names no key we have, or fails authentication. AWS sends no
    /// message.
    #[error("")]
    InvalidCiphertext,
    #[error("{message}")]
    Validation { message: String },
    /// A request member that breaks a constraint of the service model, checked here because the
    /// model cannot express the check or leaves the member optional. A `ValidationException`:
    /// the server renders AWS's `1 validation error detected: ...` text; this `Display` is
    /// for logs and operators only.
    #[error("{}", invalid_parameter_text(member, value.as_deref(), constraint))]
    InvalidParameter {
        /// The member's path as AWS writes it: `aliasName`, `rotationPeriodInDays`.
        member: &'static str,
        /// The value as AWS shows it, or `None` where AWS leaves it out (`Value at 'tags'`).
        value: Option<String>,
        constraint: Constraint,
    },
    /// Verify found the signature invalid. AWS sends no message.
    #[error("")]
    InvalidSignature,
    /// VerifyMac found the MAC invalid. AWS sends no message.
    #[error("")]
    InvalidMac,
    /// Reserved names (`alias/aws/...`) that callers may not create or change.
    #[error("")]
    NotAuthorized,
    #[error("{message}")]
    Tag { message: String },
    #[error("{message}")]
    MalformedPolicy { message: String },
    #[error("{message}")]
    LimitExceeded { message: String },
    #[error("{message}")]
    InvalidMarker { message: String },
    #[error("{message}")]
    Unsupported { message: String },
    #[error("User: {principal} is not authorized to perform: {action} on resource: {resource} {}", deny_tail(*reason, action))]
    AccessDenied {
        principal: String,
        action: String,
        resource: String,
        reason: DenyReason,
    },
    #[error("The request would have succeeded, but the DryRun option is set.")]
    DryRun,
    /// A custom key store (or its cluster) refuses the request; `kind` picks the `__type`.
    #[error("{message}")]
    KeyStore {
        kind: KeyStoreFault,
        message: String,
    },
    /// Storage is unreachable or slow.
    #[error("{message}")]
    DependencyTimeout { message: String },
    /// A fault on our side. The detail is for the log, never for the client.
    #[error("{detail}")]
    Internal { detail: String },
}

/// The custom key store exceptions, each AWS's `__type` of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyStoreFault {
    /// `CustomKeyStoreNotFoundException`.
    NotFound,
    /// `CustomKeyStoreNameInUseException`.
    NameInUse,
    /// `CustomKeyStoreInvalidStateException`.
    InvalidState,
    /// `CustomKeyStoreHasCMKsException`.
    HasKeys,
    /// `CloudHsmClusterInUseException`.
    ClusterInUse,
    /// `CloudHsmClusterNotFoundException`.
    ClusterNotFound,
    /// `CloudHsmClusterNotActiveException`.
    ClusterNotActive,
    /// `CloudHsmClusterNotRelatedException`.
    ClusterNotRelated,
    /// `IncorrectTrustAnchorException`.
    IncorrectTrustAnchor,
    /// `XksProxyUriInUseException`: the endpoint and path of another external store.
    XksProxyUriInUse,
    /// `XksProxyUriEndpointInUseException`.
    XksProxyUriEndpointInUse,
    /// `XksProxyUriUnreachableException`: no answer, no TLS, a timeout, throttled.
    XksProxyUriUnreachable,
    /// `XksProxyIncorrectAuthenticationCredentialException`.
    XksProxyIncorrectAuthenticationCredential,
    /// `XksProxyInvalidResponseException`.
    XksProxyInvalidResponse,
    /// `XksProxyInvalidConfigurationException`.
    XksProxyInvalidConfiguration,
    /// `XksKeyAlreadyInUseException`.
    XksKeyAlreadyInUse,
    /// `XksKeyInvalidConfigurationException`.
    XksKeyInvalidConfiguration,
    /// `XksKeyNotFoundException`.
    XksKeyNotFound,
}

/// A constraint of the service model that a request member breaks (AWS's wording of each lives
/// in `trent_api::validation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Constraint {
    /// A required member is absent.
    NotNull,
    /// A string, blob or list shorter than this.
    MinLength(i64),
    /// A string, blob or list longer than this.
    MaxLength(i64),
    /// A number below this.
    Min(i64),
    /// A number above this.
    Max(i64),
    /// A string that does not match this regular expression, as the model writes it.
    Pattern(&'static str),
}

impl std::fmt::Display for Constraint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Constraint::NotNull => f.write_str("is required"),
            Constraint::MinLength(n) => write!(f, "must have length at least {n}"),
            Constraint::MaxLength(n) => write!(f, "must have length at most {n}"),
            Constraint::Min(n) => write!(f, "must be at least {n}"),
            Constraint::Max(n) => write!(f, "must be at most {n}"),
            Constraint::Pattern(pattern) => write!(f, "must match the pattern {pattern}"),
        }
    }
}

/// The log's (not the wire's) text of [`Error::InvalidParameter`].
fn invalid_parameter_text(member: &str, value: Option<&str>, constraint: &Constraint) -> String {
    match value {
        Some(value) => format!("invalid {member} '{value}': {constraint}"),
        None => format!("invalid {member}: {constraint}"),
    }
}

fn state_phrase(state: KeyState) -> &'static str {
    match state {
        KeyState::PendingDeletion => "pending deletion",
        KeyState::PendingImport => "pending import",
        KeyState::PendingReplicaDeletion => "pending replica deletion",
        KeyState::Disabled => "disabled",
        KeyState::Enabled => "enabled",
        KeyState::Creating => "being created",
        KeyState::Unavailable => "unavailable",
        KeyState::Updating => "being updated",
    }
}

impl Error {
    pub fn internal(detail: impl std::fmt::Display) -> Error {
        Error::Internal {
            detail: detail.to_string(),
        }
    }

    pub fn validation(message: impl Into<String>) -> Error {
        Error::Validation {
            message: message.into(),
        }
    }

    /// A member that breaks a constraint of the service model; `value` as AWS shows it, or
    /// `None` where AWS leaves it out.
    pub fn invalid_parameter(
        member: &'static str,
        value: Option<String>,
        constraint: Constraint,
    ) -> Error {
        Error::InvalidParameter {
            member,
            value,
            constraint,
        }
    }
}

impl From<crate::store::StoreError> for Error {
    fn from(e: crate::store::StoreError) -> Error {
        match e {
            crate::store::StoreError::Unavailable(m) => Error::DependencyTimeout { message: m },
            crate::store::StoreError::Refused(e) => *e,
            other => Error::internal(other),
        }
    }
}

impl From<crate::backend::BackendError> for Error {
    fn from(e: crate::backend::BackendError) -> Error {
        match e {
            crate::backend::BackendError::InvalidCiphertext => Error::InvalidCiphertext,
            crate::backend::BackendError::InvalidInput(message) => Error::Validation { message },
            crate::backend::BackendError::KeyMissing => {
                Error::internal("the key object is missing from its HSM")
            }
            other => Error::internal(other),
        }
    }
}

/// The end of AWS's `AccessDeniedException` message, by reason.
fn deny_tail(reason: DenyReason, action: &str) -> String {
    use DenyReason::*;
    match reason {
        NoResourcePolicy => format!("because no resource-based policy allows the {action} action"),
        NoIdentityPolicy => format!("because no identity-based policy allows the {action} action"),
        ExplicitInResourcePolicy => "with an explicit deny in a resource-based policy".to_owned(),
        ExplicitInIdentityPolicy => "with an explicit deny in an identity-based policy".to_owned(),
    }
}

/// Why a request was denied, which picks AWS's message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DenyReason {
    NoResourcePolicy,
    NoIdentityPolicy,
    ExplicitInResourcePolicy,
    ExplicitInIdentityPolicy,
}
