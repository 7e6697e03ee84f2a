//! `ApiError`: the single place where a domain error becomes an AWS `__type` and status, and
//! [`wire_message`], where it becomes AWS's message.

use trent_api::validation::{Constraint, Violation};
use trent_api::{ErrorCode, WireError};
use trent_core::{Error, KeyStoreFault};

/// The message AWS sends with `KMSInternalException`; details go to the log only.
pub use trent_api::error::INTERNAL_MESSAGE;

/// An error on its way to the wire.
#[derive(Debug)]
pub struct ApiError {
    pub wire: WireError,
    /// What to log for internal errors (never sent).
    pub detail: Option<String>,
}

impl From<WireError> for ApiError {
    fn from(wire: WireError) -> ApiError {
        ApiError { wire, detail: None }
    }
}

/// The message a domain error sends (to KMS's and to STS's wire): its `Display`, except for a
/// member that breaks a constraint of the model, which AWS's validation templates word
/// (`1 validation error detected: ...`, `trent_api::validation`).
pub fn wire_message(e: &Error) -> String {
    match e {
        Error::InvalidParameter {
            member,
            value,
            constraint,
        } => violation(member, value.clone(), *constraint).message(),
        other => other.to_string(),
    }
}

/// A domain constraint in the wire's terms.
fn violation(
    member: &str,
    value: Option<String>,
    constraint: trent_core::error::Constraint,
) -> Violation<'static> {
    use trent_core::error::Constraint as Core;
    let constraint = match constraint {
        Core::NotNull => Constraint::NotNull,
        Core::MinLength(n) => Constraint::MinLength(n),
        Core::MaxLength(n) => Constraint::MaxLength(n),
        Core::Min(n) => Constraint::Min(n),
        Core::Max(n) => Constraint::Max(n),
        Core::Pattern(pattern) => Constraint::Pattern(pattern),
    };
    Violation::new(member, value, constraint)
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        let message = wire_message(&e);
        let code = match &e {
            Error::KeyNotFound { .. }
            | Error::AliasNotFound { .. }
            | Error::PolicyNotFound { .. }
            | Error::InvalidKeyId { .. }
            | Error::ArnOfOtherRegion { .. } => ErrorCode::NotFoundException,
            Error::InvalidArn { .. }
            | Error::InvalidPrincipal { .. }
            | Error::AliasNotSupported => ErrorCode::InvalidArnException,
            Error::InvalidGrantToken => ErrorCode::InvalidGrantTokenException,
            Error::Throttling => ErrorCode::ThrottlingException,
            Error::InvalidImportToken => ErrorCode::InvalidImportTokenException,
            Error::ExpiredImportToken => ErrorCode::ExpiredImportTokenException,
            Error::IncorrectKeyMaterial => ErrorCode::IncorrectKeyMaterialException,
            Error::InvalidGrantId => ErrorCode::InvalidGrantIdException,
            Error::GrantNotFound { .. } => ErrorCode::NotFoundException,
            Error::NoSuchEntity { .. } => ErrorCode::NoSuchEntityException,
            Error::EntityAlreadyExists { .. } => ErrorCode::EntityAlreadyExistsException,
            Error::AliasAlreadyExists { .. } | Error::AlreadyExists { .. } => {
                ErrorCode::AlreadyExistsException
            }
            Error::Disabled { .. } => ErrorCode::DisabledException,
            Error::InvalidState { .. }
            | Error::NotPendingDeletion { .. }
            | Error::KeyStateConflict { .. } => ErrorCode::KMSInvalidStateException,
            Error::InvalidKeyUsage { .. } => ErrorCode::InvalidKeyUsageException,
            Error::IncorrectKey => ErrorCode::IncorrectKeyException,
            Error::InvalidCiphertext => ErrorCode::InvalidCiphertextException,
            Error::InvalidSignature => ErrorCode::KMSInvalidSignatureException,
            Error::InvalidMac => ErrorCode::KMSInvalidMacException,
            Error::Validation { .. } | Error::InvalidParameter { .. } => {
                ErrorCode::ValidationException
            }
            Error::NotAuthorized => ErrorCode::NotAuthorizedException,
            Error::Tag { .. } => ErrorCode::TagException,
            Error::MalformedPolicy { .. } => ErrorCode::MalformedPolicyDocumentException,
            Error::LimitExceeded { .. } => ErrorCode::LimitExceededException,
            Error::InvalidMarker { .. } => ErrorCode::InvalidMarkerException,
            Error::Unsupported { .. } => ErrorCode::UnsupportedOperationException,
            Error::AccessDenied { .. } | Error::Denied { .. } => ErrorCode::AccessDeniedException,
            Error::DryRun => ErrorCode::DryRunOperationException,
            Error::KeyStore { kind, .. } => match kind {
                KeyStoreFault::NotFound => ErrorCode::CustomKeyStoreNotFoundException,
                KeyStoreFault::NameInUse => ErrorCode::CustomKeyStoreNameInUseException,
                KeyStoreFault::InvalidState => ErrorCode::CustomKeyStoreInvalidStateException,
                KeyStoreFault::HasKeys => ErrorCode::CustomKeyStoreHasCMKsException,
                KeyStoreFault::ClusterInUse => ErrorCode::CloudHsmClusterInUseException,
                KeyStoreFault::ClusterNotFound => ErrorCode::CloudHsmClusterNotFoundException,
                KeyStoreFault::ClusterNotActive => ErrorCode::CloudHsmClusterNotActiveException,
                KeyStoreFault::ClusterNotRelated => ErrorCode::CloudHsmClusterNotRelatedException,
                KeyStoreFault::IncorrectTrustAnchor => ErrorCode::IncorrectTrustAnchorException,
                KeyStoreFault::XksProxyUriInUse => ErrorCode::XksProxyUriInUseException,
                KeyStoreFault::XksProxyUriEndpointInUse => {
                    ErrorCode::XksProxyUriEndpointInUseException
                }
                KeyStoreFault::XksProxyUriUnreachable => ErrorCode::XksProxyUriUnreachableException,
                KeyStoreFault::XksProxyIncorrectAuthenticationCredential => {
                    ErrorCode::XksProxyIncorrectAuthenticationCredentialException
                }
                KeyStoreFault::XksProxyInvalidResponse => {
                    ErrorCode::XksProxyInvalidResponseException
                }
                KeyStoreFault::XksProxyInvalidConfiguration => {
                    ErrorCode::XksProxyInvalidConfigurationException
                }
                KeyStoreFault::XksKeyAlreadyInUse => ErrorCode::XksKeyAlreadyInUseException,
                KeyStoreFault::XksKeyInvalidConfiguration => {
                    ErrorCode::XksKeyInvalidConfigurationException
                }
                KeyStoreFault::XksKeyNotFound => ErrorCode::XksKeyNotFoundException,
            },
            Error::DependencyTimeout { .. } => ErrorCode::DependencyTimeoutException,
            Error::Internal { .. } => ErrorCode::KMSInternalException,
            _ => ErrorCode::KMSInternalException,
        };
        if code == ErrorCode::KMSInternalException || code == ErrorCode::DependencyTimeoutException
        {
            return ApiError {
                wire: WireError::new(code, INTERNAL_MESSAGE),
                detail: Some(message),
            };
        }
        ApiError {
            wire: WireError::new(code, message),
            detail: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_details_never_reach_the_wire() {
        let e = ApiError::from(Error::internal("sqlite: disk I/O error at /secret/path"));
        assert_eq!(e.wire.code, ErrorCode::KMSInternalException);
        assert_eq!(e.wire.message, INTERNAL_MESSAGE);
        assert_eq!(e.wire.code.http_status(), 500);
        assert!(e.detail.is_some_and(|d| d.contains("/secret/path")));
    }

    #[test]
    fn state_errors_carry_aws_messages() {
        let arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let cases = [
            (
                Error::Disabled { arn: arn.into() },
                ErrorCode::DisabledException,
                format!("{arn} is disabled."),
            ),
            (
                Error::InvalidState {
                    arn: arn.into(),
                    state: trent_core::model::KeyState::PendingDeletion,
                },
                ErrorCode::KMSInvalidStateException,
                format!("{arn} is pending deletion."),
            ),
            (
                Error::KeyNotFound { arn: arn.into() },
                ErrorCode::NotFoundException,
                format!("Key '{arn}' does not exist"),
            ),
            (
                Error::InvalidKeyId {
                    value: "foo".into(),
                },
                ErrorCode::NotFoundException,
                "Invalid keyId 'foo'".to_owned(),
            ),
            (
                Error::InvalidCiphertext,
                ErrorCode::InvalidCiphertextException,
                String::new(),
            ),
        ];
        for (error, code, message) in cases {
            let e = ApiError::from(error);
            assert_eq!((e.wire.code, e.wire.message), (code, message));
        }
    }

    #[test]
    fn invalid_parameters_are_worded_by_the_wire_templates() {
        use trent_core::error::Constraint as C;
        let cases = [
            (
                Error::invalid_parameter(
                    "aliasName",
                    Some("alias/a b".into()),
                    C::Pattern("^[a-zA-Z0-9:/_-]+$"),
                ),
                "1 validation error detected: Value 'alias/a b' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
            ),
            (
                Error::invalid_parameter("rotationPeriodInDays", Some("89".into()), C::Min(90)),
                "1 validation error detected: Value '89' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90",
            ),
            (
                Error::invalid_parameter("numberOfBytes", Some("2000".into()), C::Max(1024)),
                "1 validation error detected: Value '2000' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
            ),
            (
                Error::invalid_parameter("tags", None, C::MaxLength(50)),
                "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50",
            ),
            (
                Error::invalid_parameter("keyId", None, C::NotNull),
                "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null",
            ),
        ];
        for (error, message) in cases {
            let e = ApiError::from(error);
            assert_eq!(
                (e.wire.code, e.wire.message.as_str()),
                (ErrorCode::ValidationException, message)
            );
            assert!(e.detail.is_none());
        }
    }
}
