//! `ApiError`: the single place where a domain error becomes an AWS `__type` and status.

use trent_api::{ErrorCode, WireError};
use trent_core::Error;

/// The message AWS sends with `KMSInternalException`; details go to the log only.
pub const INTERNAL_MESSAGE: &str = "We encountered an internal error. Please try again.";

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

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        let message = e.to_string();
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
            Error::Validation { .. } => ErrorCode::ValidationException,
            Error::NotAuthorized => ErrorCode::NotAuthorizedException,
            Error::Tag { .. } => ErrorCode::TagException,
            Error::MalformedPolicy { .. } => ErrorCode::MalformedPolicyDocumentException,
            Error::LimitExceeded { .. } => ErrorCode::LimitExceededException,
            Error::InvalidMarker { .. } => ErrorCode::InvalidMarkerException,
            Error::Unsupported { .. } => ErrorCode::UnsupportedOperationException,
            Error::AccessDenied { .. } | Error::Denied { .. } => ErrorCode::AccessDeniedException,
            Error::DryRun => ErrorCode::DryRunOperationException,
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
}
