//! AWS error codes as they appear in `__type`, their HTTP statuses, and the error body.

use serde::Serialize;

/// Every error `__type` Trent can send: the KMS model's exceptions plus the generic ones of the
/// AWS JSON protocol (authentication, serialization, validation, throttling).
///
/// The names are AWS's, verbatim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)]
pub enum ErrorCode {
    AccessDeniedException,
    AlreadyExistsException,
    CloudHsmClusterInUseException,
    CloudHsmClusterInvalidConfigurationException,
    CloudHsmClusterNotActiveException,
    CloudHsmClusterNotFoundException,
    CloudHsmClusterNotRelatedException,
    CustomKeyStoreHasCMKsException,
    CustomKeyStoreInvalidStateException,
    CustomKeyStoreNameInUseException,
    CustomKeyStoreNotFoundException,
    DependencyTimeoutException,
    DisabledException,
    DryRunOperationException,
    EntityAlreadyExistsException,
    ExpiredImportTokenException,
    ExpiredTokenException,
    IncompleteSignatureException,
    IncorrectKeyException,
    IncorrectKeyMaterialException,
    IncorrectTrustAnchorException,
    InvalidAliasNameException,
    InvalidArnException,
    InvalidCiphertextException,
    InvalidGrantIdException,
    InvalidGrantTokenException,
    InvalidImportTokenException,
    InvalidKeyUsageException,
    InvalidMarkerException,
    InvalidSignatureException,
    KMSInternalException,
    KMSInvalidMacException,
    KMSInvalidSignatureException,
    KMSInvalidStateException,
    KeyUnavailableException,
    LimitExceededException,
    MalformedPolicyDocumentException,
    MissingAuthenticationTokenException,
    NoSuchEntityException,
    NotAuthorizedException,
    NotFoundException,
    RequestEntityTooLargeException,
    /// The front door's: a request body that did not arrive in time (not a KMS error).
    RequestTimeoutException,
    SerializationException,
    TagException,
    ThrottlingException,
    UnknownOperationException,
    UnrecognizedClientException,
    UnsupportedOperationException,
    ValidationException,
    XksKeyAlreadyInUseException,
    XksKeyInvalidConfigurationException,
    XksKeyNotFoundException,
    XksProxyIncorrectAuthenticationCredentialException,
    XksProxyInvalidConfigurationException,
    XksProxyInvalidResponseException,
    XksProxyUriEndpointInUseException,
    XksProxyUriInUseException,
    XksProxyUriUnreachableException,
    XksProxyVpcEndpointServiceInUseException,
    XksProxyVpcEndpointServiceInvalidConfigurationException,
    XksProxyVpcEndpointServiceNotFoundException,
}

impl ErrorCode {
    /// The `__type` string.
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            AccessDeniedException => "AccessDeniedException",
            EntityAlreadyExistsException => "EntityAlreadyExistsException",
            NoSuchEntityException => "NoSuchEntityException",
            AlreadyExistsException => "AlreadyExistsException",
            CloudHsmClusterInvalidConfigurationException => {
                "CloudHsmClusterInvalidConfigurationException"
            }
            CustomKeyStoreNotFoundException => "CustomKeyStoreNotFoundException",
            CloudHsmClusterInUseException => "CloudHsmClusterInUseException",
            CloudHsmClusterNotActiveException => "CloudHsmClusterNotActiveException",
            CloudHsmClusterNotFoundException => "CloudHsmClusterNotFoundException",
            CloudHsmClusterNotRelatedException => "CloudHsmClusterNotRelatedException",
            CustomKeyStoreHasCMKsException => "CustomKeyStoreHasCMKsException",
            CustomKeyStoreInvalidStateException => "CustomKeyStoreInvalidStateException",
            CustomKeyStoreNameInUseException => "CustomKeyStoreNameInUseException",
            IncorrectTrustAnchorException => "IncorrectTrustAnchorException",
            DependencyTimeoutException => "DependencyTimeoutException",
            DisabledException => "DisabledException",
            DryRunOperationException => "DryRunOperationException",
            ExpiredImportTokenException => "ExpiredImportTokenException",
            ExpiredTokenException => "ExpiredTokenException",
            IncompleteSignatureException => "IncompleteSignatureException",
            IncorrectKeyException => "IncorrectKeyException",
            IncorrectKeyMaterialException => "IncorrectKeyMaterialException",
            InvalidAliasNameException => "InvalidAliasNameException",
            InvalidArnException => "InvalidArnException",
            InvalidCiphertextException => "InvalidCiphertextException",
            InvalidGrantIdException => "InvalidGrantIdException",
            InvalidGrantTokenException => "InvalidGrantTokenException",
            InvalidImportTokenException => "InvalidImportTokenException",
            InvalidKeyUsageException => "InvalidKeyUsageException",
            InvalidMarkerException => "InvalidMarkerException",
            InvalidSignatureException => "InvalidSignatureException",
            KMSInternalException => "KMSInternalException",
            KMSInvalidMacException => "KMSInvalidMacException",
            KMSInvalidSignatureException => "KMSInvalidSignatureException",
            KMSInvalidStateException => "KMSInvalidStateException",
            KeyUnavailableException => "KeyUnavailableException",
            LimitExceededException => "LimitExceededException",
            MalformedPolicyDocumentException => "MalformedPolicyDocumentException",
            MissingAuthenticationTokenException => "MissingAuthenticationTokenException",
            NotAuthorizedException => "NotAuthorizedException",
            NotFoundException => "NotFoundException",
            RequestEntityTooLargeException => "RequestEntityTooLargeException",
            RequestTimeoutException => "RequestTimeoutException",
            SerializationException => "SerializationException",
            TagException => "TagException",
            ThrottlingException => "ThrottlingException",
            UnknownOperationException => "UnknownOperationException",
            UnrecognizedClientException => "UnrecognizedClientException",
            UnsupportedOperationException => "UnsupportedOperationException",
            ValidationException => "ValidationException",
            XksKeyAlreadyInUseException => "XksKeyAlreadyInUseException",
            XksKeyInvalidConfigurationException => "XksKeyInvalidConfigurationException",
            XksKeyNotFoundException => "XksKeyNotFoundException",
            XksProxyIncorrectAuthenticationCredentialException => {
                "XksProxyIncorrectAuthenticationCredentialException"
            }
            XksProxyInvalidConfigurationException => "XksProxyInvalidConfigurationException",
            XksProxyInvalidResponseException => "XksProxyInvalidResponseException",
            XksProxyUriEndpointInUseException => "XksProxyUriEndpointInUseException",
            XksProxyUriInUseException => "XksProxyUriInUseException",
            XksProxyUriUnreachableException => "XksProxyUriUnreachableException",
            XksProxyVpcEndpointServiceInUseException => "XksProxyVpcEndpointServiceInUseException",
            XksProxyVpcEndpointServiceInvalidConfigurationException => {
                "XksProxyVpcEndpointServiceInvalidConfigurationException"
            }
            XksProxyVpcEndpointServiceNotFoundException => {
                "XksProxyVpcEndpointServiceNotFoundException"
            }
        }
    }

    /// The HTTP status AWS sends with this error.
    ///
    /// KMS answers every client error with 400; the model marks `KMSInternalException` and
    /// `DependencyTimeoutException` as faults (5xx); a missing authentication token is 400 on the
    /// JSON protocol as well.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::KMSInternalException => 500,
            ErrorCode::DependencyTimeoutException => 503,
            ErrorCode::KeyUnavailableException => 500,
            ErrorCode::RequestEntityTooLargeException => 413,
            ErrorCode::RequestTimeoutException => 408,
            ErrorCode::NoSuchEntityException => 404,
            ErrorCode::EntityAlreadyExistsException => 409,
            _ => 400,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error ready for the wire: a code and a message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct WireError {
    pub code: ErrorCode,
    pub message: String,
}

/// What AWS KMS says of an internal error: nothing of its cause.
pub const INTERNAL_MESSAGE: &str = "We encountered an internal error. Please try again.";

impl WireError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> WireError {
        WireError {
            code,
            message: message.into(),
        }
    }

    /// `KMSInternalException` in AWS's words.
    pub fn internal() -> WireError {
        WireError::new(ErrorCode::KMSInternalException, INTERNAL_MESSAGE)
    }

    /// The JSON body, `{"__type": "...", "message": "..."}`.
    ///
    /// AWS sends no `message` at all for some errors (`InvalidCiphertextException`,
    /// `UnknownOperationException`); an empty message is left out the same way. Its
    /// `AccessDeniedException` spells the member `Message`; so does Trent (every SDK reads
    /// either).
    pub fn body(&self) -> Vec<u8> {
        #[derive(Serialize)]
        struct Body<'a> {
            #[serde(rename = "__type")]
            kind: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            message: Option<&'a str>,
            #[serde(rename = "Message", skip_serializing_if = "Option::is_none")]
            capital_message: Option<&'a str>,
        }
        let message = (!self.message.is_empty()).then_some(self.message.as_str());
        let capital = self.code == ErrorCode::AccessDeniedException;
        serde_json::to_vec(&Body {
            kind: self.code.as_str(),
            message: if capital { None } else { message },
            capital_message: if capital { message } else { None },
        })
        .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::{ErrorCode, WireError};

    #[test]
    fn bodies_are_spelled_as_aws_spells_them() {
        let cases = [
            (
                WireError::new(ErrorCode::NotFoundException, "Key 'k' does not exist"),
                r#"{"__type":"NotFoundException","message":"Key 'k' does not exist"}"#,
            ),
            (
                WireError::new(ErrorCode::InvalidCiphertextException, ""),
                r#"{"__type":"InvalidCiphertextException"}"#,
            ),
            (
                WireError::new(
                    ErrorCode::AccessDeniedException,
                    "User: u is not authorized",
                ),
                r#"{"__type":"AccessDeniedException","Message":"User: u is not authorized"}"#,
            ),
        ];
        for (error, body) in cases {
            assert_eq!(String::from_utf8(error.body()).unwrap(), body);
        }
    }
}
