//! STS: `AssumeRole` (role trust policies, session names, duration, session tags, temporary
//! credentials) and `GetCallerIdentity`.

use crate::error::{Constraint, Error, Result};
use crate::kms::Kms;
use crate::model::{PrincipalKind, PrincipalType, RequestContext, SessionRecord, Tag, UnixMillis};
use crate::ops::tags::validate_tags;
use crate::policy::eval::{Request, evaluate};
use crate::policy::{Conditions, DenyReason, Facts, caller, identity_policies};

use super::directory::session_credential;

/// The shortest session STS issues, in seconds.
pub const MIN_SESSION_SECONDS: u32 = 900;
/// A session assumed by a role session may last at most an hour (role chaining).
pub const CHAINED_SESSION_SECONDS: u32 = 3600;
/// STS's limit of session tags.
pub const MAX_SESSION_TAGS: usize = 50;
/// STS's pattern of `RoleSessionName`, as its messages quote it.
const SESSION_NAME_PATTERN: &str = r"[\w+=,.@-]*";

/// What AssumeRole asks for.
#[derive(Clone, Debug, Default)]
pub struct AssumeRoleRequest {
    pub role_arn: String,
    pub session_name: String,
    pub duration_seconds: Option<u32>,
    pub tags: Vec<Tag>,
    /// Keys of `tags` that pass on to sessions this session assumes in turn.
    pub transitive_tag_keys: Vec<String>,
    pub external_id: Option<String>,
}

/// Temporary credentials and who they act as.
#[derive(Debug)]
pub struct IssuedSession {
    pub access_key_id: String,
    pub secret: zeroize::Zeroizing<String>,
    pub token: zeroize::Zeroizing<String>,
    pub expires: UnixMillis,
    /// `<role id>:<session name>`.
    pub assumed_role_id: String,
    /// `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    pub arn: String,
}

/// What GetCallerIdentity answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

fn validation(message: impl Into<String>) -> Error {
    Error::validation(message)
}

impl Kms {
    pub fn get_caller_identity(&self, ctx: &RequestContext) -> CallerIdentity {
        let p = &ctx.principal;
        CallerIdentity {
            account: p.account.as_str().to_owned(),
            arn: p.arn.clone(),
            user_id: p.user_id.clone(),
        }
    }

    pub async fn assume_role(
        &self,
        ctx: &RequestContext,
        request: &AssumeRoleRequest,
    ) -> Result<IssuedSession> {
        let name = &request.session_name;
        if name.len() < 2
            || name.len() > 64
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
        {
            return Err(Error::invalid_parameter(
                "roleSessionName",
                Some(name.clone()),
                Constraint::Pattern(SESSION_NAME_PATTERN),
            ));
        }
        let duration = request.duration_seconds.unwrap_or(3600);
        if duration < MIN_SESSION_SECONDS {
            return Err(Error::invalid_parameter(
                "durationSeconds",
                Some(duration.to_string()),
                Constraint::Min(i64::from(MIN_SESSION_SECONDS)),
            ));
        }
        if request.tags.len() > MAX_SESSION_TAGS {
            // AWS leaves a list's value out of the message.
            return Err(Error::invalid_parameter(
                "tags",
                None,
                Constraint::MaxLength(i64::try_from(MAX_SESSION_TAGS).unwrap_or(i64::MAX)),
            ));
        }
        validate_tags(&request.tags)?;
        for key in &request.transitive_tag_keys {
            if !request.tags.iter().any(|t| t.key.eq_ignore_ascii_case(key)) {
                return Err(validation(format!(
                    "The transitive tag key {key} is not one of the session tags."
                )));
            }
        }
        // A chained session inherits the caller's transitive tags, which it cannot override.
        let inherited = &ctx.principal.transitive_tags;
        if let Some(clash) = request
            .tags
            .iter()
            .find(|t| inherited.keys().any(|k| k.eq_ignore_ascii_case(&t.key)))
        {
            return Err(validation(format!(
                "The session tag {} has the key of a transitive tag of the calling session, which cannot be overridden.",
                clash.key
            )));
        }

        let denied = |reason| Error::AccessDenied {
            principal: ctx.principal.arn.clone(),
            action: "sts:AssumeRole".to_owned(),
            resource: request.role_arn.clone(),
            reason,
        };
        if ctx.principal.is_root() {
            return Err(Error::Denied {
                message: "Roles may not be assumed by root accounts.".to_owned(),
            });
        }
        let (account, role_name) = parse_role_arn(&request.role_arn)
            .ok_or_else(|| validation(format!("{} is invalid", request.role_arn)))?;
        let entry = self
            .directory
            .entry(&account, PrincipalType::Role, &role_name)
            .ok_or_else(|| denied(DenyReason::NoResourcePolicy))?;
        let trust = entry
            .trust_policy
            .clone()
            .ok_or_else(|| denied(DenyReason::NoResourcePolicy))?;

        let facts = Facts::new()
            .with("sts:RoleSessionName", name.as_str())
            .with_opt("sts:ExternalId", request.external_id.as_deref())
            .with_request_tags(
                request
                    .tags
                    .iter()
                    .map(|t| (t.key.as_str(), t.value.as_str())),
            );
        let conditions = Conditions {
            ctx,
            now: self.clock.now(),
            key: None,
            facts: &facts,
        };
        let role_arn = ctx.principal.role_arn();
        let identity = identity_policies(&ctx.principal);
        let resource = entry.record.arn();
        let mut actions = vec!["sts:AssumeRole"];
        // Passing tags on, given or inherited, needs sts:TagSession in the role's trust policy.
        if !request.tags.is_empty() || !inherited.is_empty() {
            actions.push("sts:TagSession");
        }
        for action in actions {
            let req = Request {
                caller: caller(ctx, &role_arn),
                action,
                resource: &resource,
                resource_account: account.as_str(),
                context: &conditions,
                encryption_context: None,
                bound_principals: None,
            };
            let decision = evaluate(&req, &trust, &identity, &[]);
            if !decision.allowed() {
                return Err(Error::AccessDenied {
                    principal: ctx.principal.arn.clone(),
                    action: action.to_owned(),
                    resource: resource.clone(),
                    reason: DenyReason::of(&decision),
                });
            }
        }

        let chained = matches!(ctx.principal.kind, PrincipalKind::AssumedRole { .. });
        if chained && duration > CHAINED_SESSION_SECONDS {
            return Err(validation(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            ));
        }
        if duration > entry.record.max_session_seconds {
            return Err(validation(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            ));
        }

        let access_key_id = self.new_iam_id("ASIA")?;
        let secret = self.new_secret(40)?;
        let token = self.new_secret(256)?;
        let expires = UnixMillis(
            self.clock
                .now()
                .0
                .saturating_add(i64::from(duration).saturating_mul(1000)),
        );
        // Only the caller's transitive tags pass on (and stay transitive); its other session
        // tags, and its role's own tags, do not.
        let mut tags = request.tags.clone();
        let mut transitive_tag_keys = request.transitive_tag_keys.clone();
        for (k, v) in inherited {
            tags.push(Tag {
                key: k.clone(),
                value: v.clone(),
            });
            transitive_tag_keys.push(k.clone());
        }
        // Identity changes are serialized; and held until the sealed value is written, a
        // root-key rotation waits for it (always in this order: identity, then sealing).
        let _guard = self.identity_lock.lock().await;
        let _sealing = self.sealing.read().await;
        let session = SessionRecord {
            sealed_secret: self.seal_secret(&access_key_id, secret.as_bytes())?,
            sealed_token: self.vault.seal(
                crate::vault::Purpose::SessionToken {
                    access_key_id: &access_key_id,
                },
                token.as_bytes(),
            )?,
            access_key_id: access_key_id.clone(),
            account: account.clone(),
            role_name: role_name.clone(),
            role_id: entry.record.id.clone(),
            session_name: name.clone(),
            tags,
            transitive_tag_keys,
            expires,
        };
        self.store.put_session(&session).await?;
        let credential = session_credential(
            &entry,
            &session,
            crate::secret::Secret::from_slice(secret.as_bytes()),
            crate::secret::Secret::from_slice(token.as_bytes()),
        );
        let arn = credential.principal.arn.clone();
        let assumed_role_id = credential.principal.user_id.clone();
        self.directory
            .add_credential(access_key_id.clone(), credential);
        Ok(IssuedSession {
            access_key_id,
            secret,
            token,
            expires,
            assumed_role_id,
            arn,
        })
    }

    /// Forgets expired role sessions, in memory and in the store.
    /// Sessions are kept a day past expiry so that their use is answered
    /// `ExpiredTokenException` rather than as an unknown key.
    pub async fn purge_expired_sessions(&self) -> Result<u64> {
        let _guard = self.identity_lock.lock().await;
        let now = UnixMillis(self.clock.now().0.saturating_sub(UnixMillis::DAY));
        self.directory.purge_expired(now);
        Ok(self.store.delete_expired_sessions(now).await?)
    }
}

/// `arn:aws:iam::<account>:role/<path/>name` into the account and the name.
fn parse_role_arn(arn: &str) -> Option<(crate::model::AccountId, String)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path = resource.strip_prefix("role/")?;
    let name = path.rsplit('/').next()?;
    if name.is_empty() {
        return None;
    }
    Some((crate::model::AccountId::parse(account)?, name.to_owned()))
}
