//! STS on the same endpoint, over the AWS query protocol: `GetCallerIdentity` and
//! `AssumeRole`, translated between `trent_api::sts` (form in, XML out, STS's error shapes)
//! and the core.

use std::collections::BTreeMap;
use std::sync::Arc;

use trent_api::EpochMillis;
use trent_api::sts::{
    AssumeRoleResponse, AssumedRoleUser, Credentials, GetCallerIdentityResponse, StsAction,
    StsError, StsErrorCode,
};
use trent_core::Error;
use trent_core::iam::sts::AssumeRoleRequest;
use trent_core::model::{RequestContext, Tag};

use crate::run::state::AppState;

/// The signing name of STS.
pub const SERVICE: &str = trent_api::sts::SERVICE;

/// A core error in STS's codes (internal errors logged and answered without detail).
pub fn sts_error(e: Error) -> StsError {
    let message = crate::http::error::wire_message(&e);
    let code = match e {
        Error::AccessDenied { .. } | Error::Denied { .. } => StsErrorCode::AccessDenied,
        Error::Validation { .. }
        | Error::InvalidParameter { .. }
        | Error::Tag { .. }
        | Error::Unsupported { .. } => StsErrorCode::ValidationError,
        Error::MalformedPolicy { .. } => StsErrorCode::MalformedPolicyDocument,
        _ => {
            tracing::error!(error = %message, "STS internal error");
            return StsError::internal();
        }
    };
    StsError::new(code, message)
}

/// Runs one STS action for an authenticated caller; the XML body on success.
pub async fn handle(
    state: &Arc<AppState>,
    ctx: &RequestContext,
    params: &BTreeMap<String, String>,
) -> Result<String, StsError> {
    match StsAction::from_params(params)? {
        StsAction::GetCallerIdentity => {
            let id = state.kms.get_caller_identity(ctx);
            Ok(GetCallerIdentityResponse {
                account: id.account,
                arn: id.arn,
                user_id: id.user_id,
            }
            .body(&ctx.request_id))
        }
        StsAction::AssumeRole => {
            let wire = trent_api::sts::AssumeRoleRequest::from_params(params)?;
            let request = AssumeRoleRequest {
                role_arn: wire.role_arn,
                session_name: wire.role_session_name,
                duration_seconds: wire.duration_seconds,
                tags: wire
                    .tags
                    .into_iter()
                    .map(|t| Tag {
                        key: t.key,
                        value: t.value,
                    })
                    .collect(),
                transitive_tag_keys: wire.transitive_tag_keys,
                external_id: wire.external_id,
            };
            let issued = state
                .kms
                .assume_role(ctx, &request)
                .await
                .map_err(sts_error)?;
            Ok(AssumeRoleResponse {
                credentials: Credentials {
                    access_key_id: issued.access_key_id,
                    secret_access_key: issued.secret.into(),
                    session_token: issued.token.into(),
                    expiration: EpochMillis(issued.expires.0),
                },
                assumed_role_user: AssumedRoleUser {
                    assumed_role_id: issued.assumed_role_id,
                    arn: issued.arn,
                },
                packed_policy_size: (!request.tags.is_empty()).then_some(1),
            }
            .body(&ctx.request_id))
        }
    }
}
