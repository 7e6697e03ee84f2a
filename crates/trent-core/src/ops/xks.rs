//! External key stores (`EXTERNAL_KEY_STORE`) as the KMS uses them: calls to a store's proxy,
//! AWS's answer for each way a proxy can fail, and the double encryption of their keys.
//!
//! A key of an external store has key material of its own, sealed in Trent's store like any
//! key's, and an external key behind the proxy. Encrypt seals with Trent's material first (the
//! usual envelope) and then has the proxy encrypt that ciphertext under the external key, so
//! neither Trent nor the proxy alone can decrypt (ADR 0020). The blob is the envelope's header
//! followed by the proxy's parts (see [`xks_body`]).

use std::sync::Arc;

use crate::backend::{
    XksAnswer, XksCall, XksCiphertext, XksFault, XksRefusal, XksRequestMetadata, XksTarget,
};
use crate::error::{Error, KeyStoreFault, Result};
use crate::kms::Kms;
use crate::model::{ConnectionErrorCode, KeyRecord, KeyStoreRecord, RequestContext};
use crate::secret::{Plaintext, Secret};
use crate::vault::Purpose;

/// What a call to a proxy is made for: the same failure is a different exception in each
/// (the spec's table "KMS Considerations" under "Error codes").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum XksUse {
    /// CreateCustomKeyStore and UpdateCustomKeyStore.
    Manage,
    /// CreateKey.
    CreateKey,
    /// Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext).
    Crypto,
}

/// AWS's message when a proxy's answer cannot be read.
const UNINTERPRETABLE: &str = "AWS KMS cannot interpret the response from the external key store proxy. If you see this error repeatedly, report it to your external key store proxy administrator.";

/// AWS's message when the proxy could not open what it was given (wrong ciphertext or
/// encryption context).
const PROXY_REJECTED_CIPHERTEXT: &str = "The external key store proxy rejected the request because the specified ciphertext or encryption context is corrupted, missing, or otherwise invalid.";

/// AWS's message when what the proxy decrypted does not open under the KMS key's own material.
const PROXY_RETURNED_BAD_CIPHERTEXT: &str = "The ciphertext that the external key store proxy submitted for decryption, or the encryption context, is corrupted, missing, or otherwise invalid.";

/// AWS's message for a key of an external store that is not connected.
pub(crate) const NOT_CONNECTED: &str = "This KMS key is in a custom key store that is not connected to its external key store proxy. Connect the external key store and try the request again.";

/// AWS's message for each failure (the spec's table, verbatim).
fn message(fault: &XksFault) -> &'static str {
    match fault {
        XksFault::Refused(refusal) => match refusal {
            XksRefusal::Validation => UNINTERPRETABLE,
            XksRefusal::InvalidState => {
                "The external key associated with this KMS key in an external key store is not enabled in the external key manager. Enable the external key in the external key manager and retry the request."
            }
            XksRefusal::InvalidCiphertext => PROXY_REJECTED_CIPHERTEXT,
            XksRefusal::InvalidKeyUsage => {
                "The external key associated with this KMS key in an external key store does not support the requested operation. Enable the operation on the key in your external key manager, and try the request again."
            }
            XksRefusal::AuthenticationFailed => {
                "The external key store proxy rejected the request because it could not authenticate AWS KMS. Verify the XKS proxy authentication credentials for your external key store and update if necessary."
            }
            XksRefusal::AccessDenied => {
                "The external key store proxy denied access to the operation. Verify that the user and the external key are both authorized for this operation, and try the request again."
            }
            XksRefusal::KeyNotFound => {
                "The external key associated with this KMS key in an external key store was not found in its external key manager. If the external key ID associated with this KMS key is incorrect, create a new KMS key with the correct external key ID."
            }
            XksRefusal::InvalidUriPath => {
                "The external key store proxy rejected the request because of an invalid URI path. Verify the URI path for your external key store and update if necessary."
            }
            XksRefusal::UnsupportedOperation => {
                "The external key store proxy rejected the request because it does not support the requested operation. If you see this error repeatedly, report it to your external key store proxy administrator."
            }
            XksRefusal::DependencyTimeout => {
                "The external key store proxy did not respond to the request in the time allotted. Retry the request. If you see this error repeatedly, report it to your external key store proxy administrator."
            }
            XksRefusal::Throttling => {
                "The external key store proxy rejected the request due to a very high request rate. Reduce the frequency of your calls using KMS keys in this external key store."
            }
            XksRefusal::Internal => {
                "The external key store proxy rejected the request because it cannot communicate with the external key manager. Verify that the external key store proxy configuration is correct and that the external key manager is available."
            }
        },
        XksFault::NotReachable(_) => {
            "AWS KMS cannot communicate with the external key store proxy. This might be a transient network issue. If you see this error repeatedly, verify that your external key store proxy is active and is connected to the network, and that its endpoint URI is correct in your external keystore."
        }
        XksFault::Tls(_) => {
            "AWS KMS cannot establish a TLS connection to the external key store proxy. Verify the TLS configuration, including its certificate."
        }
        XksFault::TimedOut => {
            "AWS KMS rejected the request because the external key store proxy did not respond in time. Retry the request. If you see this error repeatedly, report it to your external key store proxy administrator."
        }
        XksFault::InvalidResponse(_) => UNINTERPRETABLE,
    }
}

fn fault(kind: KeyStoreFault, message: impl Into<String>) -> Error {
    Error::KeyStore {
        kind,
        message: message.into(),
    }
}

/// The exception AWS answers a failed call with, by what the call was for.
pub(crate) fn answer(fault_: &XksFault, used: XksUse) -> Error {
    let text = message(fault_);
    let refusal = match fault_ {
        XksFault::Refused(r) => Some(*r),
        _ => None,
    };
    match used {
        XksUse::Crypto => Error::KeyStateConflict {
            message: text.to_owned(),
        },
        XksUse::CreateKey => match refusal {
            Some(XksRefusal::KeyNotFound) => fault(KeyStoreFault::XksKeyNotFound, text),
            Some(XksRefusal::InvalidState | XksRefusal::InvalidKeyUsage) => {
                fault(KeyStoreFault::XksKeyInvalidConfiguration, text)
            }
            Some(XksRefusal::AccessDenied) => Error::KeyStateConflict {
                message: text.to_owned(),
            },
            _ => fault(KeyStoreFault::InvalidState, text),
        },
        XksUse::Manage => {
            let kind = match fault_ {
                XksFault::Refused(XksRefusal::AuthenticationFailed) => {
                    KeyStoreFault::XksProxyIncorrectAuthenticationCredential
                }
                XksFault::Refused(
                    XksRefusal::InvalidUriPath
                    | XksRefusal::AccessDenied
                    | XksRefusal::InvalidState,
                ) => KeyStoreFault::XksProxyInvalidConfiguration,
                XksFault::Refused(XksRefusal::DependencyTimeout | XksRefusal::Throttling)
                | XksFault::NotReachable(_)
                | XksFault::Tls(_)
                | XksFault::TimedOut => KeyStoreFault::XksProxyUriUnreachable,
                XksFault::Refused(_) | XksFault::InvalidResponse(_) => {
                    KeyStoreFault::XksProxyInvalidResponse
                }
            };
            fault(kind, text)
        }
    }
}

/// The `ConnectionErrorCode` of a store whose connection failed this way.
pub(crate) fn connection_error(fault: &XksFault) -> ConnectionErrorCode {
    match fault {
        XksFault::Refused(XksRefusal::AuthenticationFailed) => {
            ConnectionErrorCode::InvalidCredentials
        }
        XksFault::Refused(XksRefusal::AccessDenied) => ConnectionErrorCode::XksProxyAccessDenied,
        XksFault::Refused(XksRefusal::InvalidUriPath | XksRefusal::InvalidState) => {
            ConnectionErrorCode::XksProxyInvalidConfiguration
        }
        XksFault::Refused(XksRefusal::Throttling | XksRefusal::DependencyTimeout)
        | XksFault::TimedOut => ConnectionErrorCode::XksProxyTimedOut,
        XksFault::NotReachable(_) => ConnectionErrorCode::XksProxyNotReachable,
        XksFault::Tls(_) => ConnectionErrorCode::XksProxyInvalidTlsConfiguration,
        XksFault::Refused(_) | XksFault::InvalidResponse(_) => {
            ConnectionErrorCode::XksProxyInvalidResponse
        }
    }
}

/// The `requestMetadata` of a call made for `ctx`.
pub(crate) fn request_metadata(
    ctx: &RequestContext,
    key: Option<&KeyRecord>,
) -> XksRequestMetadata {
    XksRequestMetadata {
        aws_principal_arn: Some(ctx.principal.arn.clone()),
        kms_key_arn: key.map(KeyRecord::arn),
        kms_operation: ctx.operation.to_owned(),
        kms_request_id: ctx.request_id.clone(),
    }
}

/// The health of a proxy as CreateCustomKeyStore, UpdateCustomKeyStore and ConnectCustomKeyStore
/// read it: every external key manager `UNAVAILABLE` is as good as no proxy.
fn healthy(answer: XksAnswer) -> std::result::Result<(), XksFault> {
    match answer {
        XksAnswer::Health { managers } if managers.iter().any(|m| m != "UNAVAILABLE") => Ok(()),
        XksAnswer::Health { .. } => Err(XksFault::NotReachable(
            "every external key manager of the proxy is UNAVAILABLE".to_owned(),
        )),
        other => Err(XksFault::InvalidResponse(format!(
            "a health check answered {other:?}"
        ))),
    }
}

/// The bytes of an external store key's blob after the envelope's header: the proxy's IV,
/// ciphertext metadata, tag and ciphertext, each length-prefixed where it varies.
pub(crate) fn xks_body(part: &XksCiphertext) -> Option<Vec<u8>> {
    let iv = u8::try_from(part.initialization_vector.len()).ok()?;
    let metadata = u8::try_from(part.ciphertext_metadata.len()).ok()?;
    if part.authentication_tag.len() != crate::envelope::TAG_LEN {
        return None;
    }
    let mut out = Vec::with_capacity(
        2 + part.initialization_vector.len()
            + part.ciphertext_metadata.len()
            + part.authentication_tag.len()
            + part.ciphertext.len(),
    );
    out.push(iv);
    out.extend_from_slice(&part.initialization_vector);
    out.push(metadata);
    out.extend_from_slice(&part.ciphertext_metadata);
    out.extend_from_slice(&part.authentication_tag);
    out.extend_from_slice(&part.ciphertext);
    Some(out)
}

/// Reads what [`xks_body`] wrote; `None` when it is not that shape.
pub(crate) fn parse_xks_body(body: &[u8]) -> Option<XksCiphertext> {
    let (&iv_len, rest) = body.split_first()?;
    let (iv, rest) = rest.split_at_checked(usize::from(iv_len))?;
    let (&md_len, rest) = rest.split_first()?;
    let (metadata, rest) = rest.split_at_checked(usize::from(md_len))?;
    let (tag, ciphertext) = rest.split_at_checked(crate::envelope::TAG_LEN)?;
    if !matches!(iv.len(), 12 | 16) || metadata.len() > 20 {
        return None;
    }
    Some(XksCiphertext {
        ciphertext: ciphertext.to_vec(),
        initialization_vector: iv.to_vec(),
        authentication_tag: tag.to_vec(),
        ciphertext_metadata: metadata.to_vec(),
    })
}

impl Kms {
    /// The way to external key store proxies (none unless the server gives one).
    pub fn with_xks_proxies(self, proxies: Arc<dyn crate::backend::XksProxies>) -> Kms {
        self.key_stores.set_proxies(proxies);
        self
    }

    /// A store's proxy secret, unsealed once and kept (the hot path does not reach the root
    /// key, which may be an HSM, for a warm store).
    fn xks_secret(&self, record: &KeyStoreRecord) -> Result<Arc<Secret>> {
        if let Some(secret) = self.key_stores.secret(&record.id, &record.sealed_password) {
            return Ok(secret);
        }
        let secret = Arc::new(self.vault.unseal(
            Purpose::KeyStorePassword { id: &record.id },
            &record.sealed_password,
        )?);
        self.key_stores
            .put_secret(&record.id, &record.sealed_password, secret.clone());
        Ok(secret)
    }

    /// One call to a store's proxy, with `secret` when given (a credential not yet stored:
    /// CreateCustomKeyStore's and UpdateCustomKeyStore's checks).
    pub(crate) async fn call_proxy(
        &self,
        record: &KeyStoreRecord,
        secret: Option<&Secret>,
        metadata: &XksRequestMetadata,
        call: XksCall<'_>,
    ) -> Result<std::result::Result<XksAnswer, XksFault>> {
        let Some(settings) = &record.xks else {
            return Err(Error::internal(format!(
                "custom key store {} has no proxy",
                record.id
            )));
        };
        let stored;
        let secret = match secret {
            Some(s) => s,
            None => {
                stored = self.xks_secret(record)?;
                stored.as_ref()
            }
        };
        let target = XksTarget {
            uri_endpoint: &settings.uri_endpoint,
            uri_path: &settings.uri_path,
            access_key_id: &settings.access_key_id,
            secret,
            region: record.scope.region.as_str(),
        };
        let outcome = self
            .key_stores
            .proxies()
            .call(&target, metadata, call)
            .await;
        if let Err(fault) = &outcome {
            tracing::warn!(store = %record.id, endpoint = %settings.uri_endpoint, error = %fault, "an external key store proxy call failed");
        }
        Ok(outcome)
    }

    /// The health check of CreateCustomKeyStore and UpdateCustomKeyStore: the exception AWS
    /// answers when the proxy fails it.
    pub(crate) async fn check_proxy(
        &self,
        ctx: &RequestContext,
        record: &KeyStoreRecord,
        secret: Option<&Secret>,
    ) -> Result<()> {
        let metadata = XksRequestMetadata {
            aws_principal_arn: None,
            kms_key_arn: None,
            kms_operation: ctx.operation.to_owned(),
            kms_request_id: ctx.request_id.clone(),
        };
        self.call_proxy(record, secret, &metadata, XksCall::Health)
            .await?
            .and_then(healthy)
            .map_err(|f| answer(&f, XksUse::Manage))
    }

    /// The health check of ConnectCustomKeyStore's second half: `None` when healthy, else the
    /// store's connection error.
    pub(crate) async fn connect_proxy(
        &self,
        record: &KeyStoreRecord,
        request_id: &str,
    ) -> Option<ConnectionErrorCode> {
        let metadata = XksRequestMetadata {
            aws_principal_arn: None,
            kms_key_arn: None,
            kms_operation: "ConnectCustomKeyStore".to_owned(),
            kms_request_id: request_id.to_owned(),
        };
        match self
            .call_proxy(record, None, &metadata, XksCall::Health)
            .await
        {
            Ok(outcome) => outcome
                .and_then(healthy)
                .err()
                .map(|f| connection_error(&f)),
            Err(e) => {
                tracing::warn!(store = %record.id, error = %e, "cannot call an external key store proxy");
                Some(ConnectionErrorCode::InternalError)
            }
        }
    }

    /// CreateKey's check of an external key: it exists, is an enabled AES-256 key, and
    /// encrypts and decrypts (AWS's `XksKeyInvalidConfigurationException` otherwise).
    pub(crate) async fn check_external_key(
        &self,
        ctx: &RequestContext,
        record: &KeyStoreRecord,
        external_key_id: &str,
    ) -> Result<()> {
        let metadata = request_metadata(ctx, None);
        let answer_ = self
            .call_proxy(
                record,
                None,
                &metadata,
                XksCall::Metadata { external_key_id },
            )
            .await?
            .map_err(|f| answer(&f, XksUse::CreateKey))?;
        let XksAnswer::Metadata {
            key_spec,
            key_usage,
            key_status,
        } = answer_
        else {
            return Err(answer(
                &XksFault::InvalidResponse("not a key's metadata".to_owned()),
                XksUse::CreateKey,
            ));
        };
        let invalid = |why: String| fault(KeyStoreFault::XksKeyInvalidConfiguration, why);
        if key_spec != "AES_256" {
            return Err(invalid(format!(
                "The external key {external_key_id} has key spec {key_spec}. The external key of a KMS key in an external key store must be an AES_256 key."
            )));
        }
        for needed in ["ENCRYPT", "DECRYPT"] {
            if !key_usage.iter().any(|u| u == needed) {
                return Err(invalid(format!(
                    "The external key {external_key_id} does not support {needed}. The external key of a KMS key in an external key store must support ENCRYPT and DECRYPT."
                )));
            }
        }
        if key_status != "ENABLED" {
            return Err(invalid(format!(
                "The external key {external_key_id} is {key_status} in its external key manager. Enable it and try again."
            )));
        }
        Ok(())
    }

    /// The second encryption of an external store key: the proxy encrypts `inner` (Trent's own
    /// ciphertext) under the external key, with `aad`; the proxy's parts.
    pub(crate) async fn xks_encrypt(
        &self,
        ctx: &RequestContext,
        key: &KeyRecord,
        aad: &[u8],
        inner: &[u8],
    ) -> Result<Vec<u8>> {
        let (store, external_key_id) = self.xks_of(key).await?;
        let metadata = request_metadata(ctx, Some(key));
        let answered = self
            .call_proxy(
                &store,
                None,
                &metadata,
                XksCall::Encrypt {
                    external_key_id: &external_key_id,
                    plaintext: inner,
                    aad,
                },
            )
            .await?
            .map_err(|f| answer(&f, XksUse::Crypto))?;
        match answered {
            XksAnswer::Encrypted(part) => xks_body(&part).ok_or_else(|| {
                answer(
                    &XksFault::InvalidResponse("parts too long".to_owned()),
                    XksUse::Crypto,
                )
            }),
            _ => Err(answer(
                &XksFault::InvalidResponse("not a ciphertext".to_owned()),
                XksUse::Crypto,
            )),
        }
    }

    /// The first decryption of an external store key's blob: the proxy opens its part, giving
    /// back Trent's own ciphertext. `InvalidCiphertextException` when the part is not one.
    pub(crate) async fn xks_decrypt(
        &self,
        ctx: &RequestContext,
        key: &KeyRecord,
        aad: &[u8],
        body: &[u8],
    ) -> Result<Plaintext> {
        let part = parse_xks_body(body).ok_or(Error::InvalidCiphertext)?;
        let (store, external_key_id) = self.xks_of(key).await?;
        let metadata = request_metadata(ctx, Some(key));
        let answered = self
            .call_proxy(
                &store,
                None,
                &metadata,
                XksCall::Decrypt {
                    external_key_id: &external_key_id,
                    ciphertext: &part,
                    aad,
                },
            )
            .await?
            .map_err(|f| answer(&f, XksUse::Crypto))?;
        match answered {
            XksAnswer::Decrypted(inner) => Ok(inner),
            _ => Err(answer(
                &XksFault::InvalidResponse("not a plaintext".to_owned()),
                XksUse::Crypto,
            )),
        }
    }

    /// AWS's answer when the proxy's plaintext does not open under the key's own material.
    pub(crate) fn xks_inner_failed() -> Error {
        Error::KeyStateConflict {
            message: PROXY_RETURNED_BAD_CIPHERTEXT.to_owned(),
        }
    }

    /// An external store key's connected store and external key id.
    async fn xks_of(&self, key: &KeyRecord) -> Result<(KeyStoreRecord, String)> {
        let (Some(store), Some(external)) = (&key.custom_key_store, &key.xks_key_id) else {
            return Err(Error::internal(format!(
                "{} is not a key of an external key store",
                key.arn()
            )));
        };
        let records = self.key_store_records().await?;
        match records.get(store) {
            Some(record) if record.state == crate::model::ConnectionState::Connected => {
                Ok((record.clone(), external.clone()))
            }
            _ => Err(Error::KeyStateConflict {
                message: NOT_CONNECTED.to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proxys_parts_round_trip_and_bad_shapes_are_refused() {
        let part = XksCiphertext {
            ciphertext: vec![7; 40],
            initialization_vector: vec![1; 12],
            authentication_tag: vec![2; 16],
            ciphertext_metadata: vec![3; 20],
        };
        let body = xks_body(&part).unwrap();
        assert_eq!(parse_xks_body(&body), Some(part.clone()));
        for cut in 0..(2 + 12 + 20 + 16) {
            assert_eq!(parse_xks_body(&body[..cut]), None, "cut at {cut}");
        }
        let long_metadata = XksCiphertext {
            ciphertext_metadata: vec![0; 21],
            ..part.clone()
        };
        assert_eq!(parse_xks_body(&xks_body(&long_metadata).unwrap()), None);
        let odd_iv = XksCiphertext {
            initialization_vector: vec![0; 13],
            ..part
        };
        assert_eq!(parse_xks_body(&xks_body(&odd_iv).unwrap()), None);
    }

    #[test]
    fn every_failure_has_awss_exception_for_each_use() {
        use XksRefusal::*;
        let table: &[(
            XksFault,
            Option<KeyStoreFault>,
            Option<KeyStoreFault>,
            ConnectionErrorCode,
        )] = &[
            (
                XksFault::Refused(Validation),
                Some(KeyStoreFault::XksProxyInvalidResponse),
                Some(KeyStoreFault::InvalidState),
                ConnectionErrorCode::XksProxyInvalidResponse,
            ),
            (
                XksFault::Refused(InvalidState),
                Some(KeyStoreFault::XksProxyInvalidConfiguration),
                Some(KeyStoreFault::XksKeyInvalidConfiguration),
                ConnectionErrorCode::XksProxyInvalidConfiguration,
            ),
            (
                XksFault::Refused(InvalidKeyUsage),
                Some(KeyStoreFault::XksProxyInvalidResponse),
                Some(KeyStoreFault::XksKeyInvalidConfiguration),
                ConnectionErrorCode::XksProxyInvalidResponse,
            ),
            (
                XksFault::Refused(AuthenticationFailed),
                Some(KeyStoreFault::XksProxyIncorrectAuthenticationCredential),
                Some(KeyStoreFault::InvalidState),
                ConnectionErrorCode::InvalidCredentials,
            ),
            (
                XksFault::Refused(AccessDenied),
                Some(KeyStoreFault::XksProxyInvalidConfiguration),
                None,
                ConnectionErrorCode::XksProxyAccessDenied,
            ),
            (
                XksFault::Refused(KeyNotFound),
                Some(KeyStoreFault::XksProxyInvalidResponse),
                Some(KeyStoreFault::XksKeyNotFound),
                ConnectionErrorCode::XksProxyInvalidResponse,
            ),
            (
                XksFault::Refused(InvalidUriPath),
                Some(KeyStoreFault::XksProxyInvalidConfiguration),
                Some(KeyStoreFault::InvalidState),
                ConnectionErrorCode::XksProxyInvalidConfiguration,
            ),
            (
                XksFault::Refused(Throttling),
                Some(KeyStoreFault::XksProxyUriUnreachable),
                Some(KeyStoreFault::InvalidState),
                ConnectionErrorCode::XksProxyTimedOut,
            ),
            (
                XksFault::Refused(DependencyTimeout),
                Some(KeyStoreFault::XksProxyUriUnreachable),
                Some(KeyStoreFault::InvalidState),
                ConnectionErrorCode::XksProxyTimedOut,
            ),
            (
                XksFault::Refused(Internal),
                Some(KeyStoreFault::XksProxyInvalidResponse),
                Some(KeyStoreFault::InvalidState),
                ConnectionErrorCode::XksProxyInvalidResponse,
            ),
            (
                XksFault::NotReachable("refused".into()),
                Some(KeyStoreFault::XksProxyUriUnreachable),
                Some(KeyStoreFault::InvalidState),
                ConnectionErrorCode::XksProxyNotReachable,
            ),
            (
                XksFault::Tls("bad certificate".into()),
                Some(KeyStoreFault::XksProxyUriUnreachable),
                Some(KeyStoreFault::InvalidState),
                ConnectionErrorCode::XksProxyInvalidTlsConfiguration,
            ),
            (
                XksFault::TimedOut,
                Some(KeyStoreFault::XksProxyUriUnreachable),
                Some(KeyStoreFault::InvalidState),
                ConnectionErrorCode::XksProxyTimedOut,
            ),
            (
                XksFault::InvalidResponse("json".into()),
                Some(KeyStoreFault::XksProxyInvalidResponse),
                Some(KeyStoreFault::InvalidState),
                ConnectionErrorCode::XksProxyInvalidResponse,
            ),
        ];
        for (f, manage, create_key, code) in table {
            let kind = |e: Error| match e {
                Error::KeyStore { kind, message } => {
                    assert_eq!(message, message_of(f));
                    Some(kind)
                }
                Error::KeyStateConflict { message } => {
                    assert_eq!(message, message_of(f));
                    None
                }
                other => panic!("{other:?}"),
            };
            assert_eq!(kind(answer(f, XksUse::Manage)), *manage, "{f:?}");
            assert_eq!(kind(answer(f, XksUse::CreateKey)), *create_key, "{f:?}");
            assert_eq!(kind(answer(f, XksUse::Crypto)), None, "{f:?}");
            assert_eq!(connection_error(f), *code, "{f:?}");
        }
    }

    fn message_of(f: &XksFault) -> String {
        message(f).to_owned()
    }
}
