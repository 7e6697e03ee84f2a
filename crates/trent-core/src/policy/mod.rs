//! Authorization: the policy language (parse, compile, evaluate), the condition keys of a
//! request, and the only maker of [`AuthorizedKey`], the capability through which operations
//! reach key material.
//!
//! `document` parses policy JSON once, when it is stored; `condition` evaluates every condition
//! operator family; `request` supplies a request's condition keys; `eval` is AWS's decision
//! logic over key policies, identity policies and grants.

pub mod condition;
pub mod document;
pub mod eval;
pub mod request;

pub use document::{Policy, PolicyError};
pub use eval::Decision;
pub use request::{Conditions, Facts};

use std::sync::Arc;

use crate::error::Error;
use crate::key::CachedKey;
use crate::model::{GrantRecord, RequestContext, UnixMillis};
use eval::{Caller, GrantView, IdentityPolicy, Request};

pub use crate::error::DenyReason;

impl DenyReason {
    pub fn of(decision: &Decision) -> DenyReason {
        match decision {
            Decision::ExplicitDenyInKeyPolicy(_) => DenyReason::ExplicitInResourcePolicy,
            Decision::ExplicitDenyInIdentityPolicy(_) => DenyReason::ExplicitInIdentityPolicy,
            Decision::NoIdentityPolicyAllows => DenyReason::NoIdentityPolicy,
            _ => DenyReason::NoResourcePolicy,
        }
    }
}

/// A key the caller has been allowed to use for one action.
///
/// Only [`authorize`] constructs it; operations take key material only from it.
#[derive(Debug)]
pub struct AuthorizedKey {
    key: Arc<CachedKey>,
    action: &'static str,
    decision: Decision,
}

impl AuthorizedKey {
    pub fn key(&self) -> &Arc<CachedKey> {
        &self.key
    }

    /// The action this authorization is for (`kms:Encrypt`).
    pub fn action(&self) -> &'static str {
        self.action
    }

    /// Which statement or grant allowed it, for the audit trail.
    pub fn decision(&self) -> &Decision {
        &self.decision
    }
}

/// How authorization is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// AWS's evaluation logic.
    Enforce,
    /// `--dev`: any principal may use the keys of its own account, whatever the policies say.
    Permissive,
}

/// Everything one authorization reads, all of it in memory.
#[derive(Debug)]
pub struct Check<'a> {
    pub ctx: &'a RequestContext,
    pub action: &'static str,
    pub facts: &'a Facts,
    pub now: UnixMillis,
    /// Grants named by the request's grant tokens that the key's cached list lacks.
    pub token_grants: &'a [GrantRecord],
    pub mode: Mode,
}

/// The caller as policies see it; `role_arn` must outlive the returned value.
pub fn caller<'a>(ctx: &'a RequestContext, role_arn: &'a Option<String>) -> Caller<'a> {
    Caller {
        arn: &ctx.principal.arn,
        account: ctx.principal.account.as_str(),
        role_arn: role_arn.as_deref(),
        unique_id: ctx.principal.unique_id(),
    }
}

/// The caller's identity policies, as evaluation takes them.
pub fn identity_policies(principal: &crate::model::Principal) -> Vec<IdentityPolicy<'_>> {
    principal
        .policies
        .iter()
        .map(|p| IdentityPolicy {
            name: &p.name,
            policy: &p.policy,
        })
        .collect()
}

fn grant_view(g: &GrantRecord) -> GrantView<'_> {
    GrantView {
        id: &g.id,
        grantee: &g.grantee,
        grantee_id: g.grantee_id.as_deref(),
        operations: &g.operations,
        context_equals: g.context_equals.as_ref(),
        context_subset: g.context_subset.as_ref(),
    }
}

/// The secondary authorization of a key exposed through Trent's XKS proxy: which principals
/// (`awsPrincipalArn`) and which KMS keys (`kmsKeyArn`) may use it, each a list of patterns
/// with `*` and `?`; an empty list allows any.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyRule {
    pub allowed_principals: Vec<String>,
    pub allowed_kms_key_arns: Vec<String>,
}

/// Authorizes a request to Trent's XKS proxy by the exposed key's rule; the reason when
/// denied. The request was authenticated with the key store's credential before; IAM policies
/// do not apply (the caller is a KMS, not a principal of Trent's).
pub fn authorize_proxy(
    rule: &ProxyRule,
    action: &'static str,
    principal_arn: Option<&str>,
    kms_key_arn: Option<&str>,
    kms_operation: &str,
    key: Arc<CachedKey>,
) -> Result<AuthorizedKey, String> {
    let allows = |patterns: &[String], value: Option<&str>| {
        patterns.is_empty() || value.is_some_and(|v| patterns.iter().any(|p| condition::glob(p, v)))
    };
    // KMS's CreateKey asks for the key's metadata before its KMS key exists, so that call
    // names no kmsKeyArn (the spec); every other call must name an allowed one.
    let kms_key_allowed = match kms_key_arn {
        None if action == "xks:GetKeyMetadata" && kms_operation == "CreateKey" => true,
        value => allows(&rule.allowed_kms_key_arns, value),
    };
    if !allows(&rule.allowed_principals, principal_arn) {
        return Err(format!(
            "awsPrincipalArn {} is not among its allowed principals",
            principal_arn.unwrap_or("(none)")
        ));
    }
    if !kms_key_allowed {
        return Err(format!(
            "kmsKeyArn {} is not among its allowed KMS keys",
            kms_key_arn.unwrap_or("(none)")
        ));
    }
    let how = match (
        rule.allowed_principals.is_empty(),
        rule.allowed_kms_key_arns.is_empty(),
    ) {
        (true, true) => "credential (no rule)",
        (false, true) => "allowed principals",
        (true, false) => "allowed KMS keys",
        (false, false) => "allowed principals and KMS keys",
    };
    Ok(AuthorizedKey {
        key,
        action,
        decision: Decision::AllowedByProxyRule(how.to_owned()),
    })
}

/// The decision on `check.action` for `key`, with the key's grants if they were read (without
/// them, a request the policies leave to the grants is not allowed).
pub fn decide(check: &Check<'_>, key: &CachedKey) -> Decision {
    decide_on(check, key, &key.record.arn())
}

fn decide_on(check: &Check<'_>, key: &CachedKey, resource: &str) -> Decision {
    let ctx = check.ctx;
    let same_account = key.record.scope.account == ctx.principal.account;
    // AWS managed keys keep their policy even in --dev: it is what makes them immutable.
    let customer = key.record.manager == crate::model::KeyManager::Customer;
    if check.mode == Mode::Permissive && same_account && customer {
        return Decision::Permissive;
    }
    let role_arn = ctx.principal.role_arn();
    let conditions = Conditions {
        ctx,
        now: check.now,
        key: Some(key),
        facts: check.facts,
    };
    // A grant allows only its grantee (the caller, or the role of an assumed-role session):
    // the others are not looked at, and those only if the policies leave the request to the
    // grants.
    let mut grants = key
        .grants()
        .into_iter()
        .flat_map(|set| set.to(&ctx.principal.arn, role_arn.as_deref()))
        .chain(
            check
                .token_grants
                .iter()
                .filter(|g| g.key == key.record.id && g.scope == key.record.scope),
        )
        .map(grant_view);
    let identity = identity_policies(&ctx.principal);
    let request = Request {
        caller: caller(ctx, &role_arn),
        action: check.action,
        resource,
        resource_account: key.record.scope.account.as_str(),
        context: &conditions,
        encryption_context: check.facts.encryption_context.as_ref().map(|e| &e.0),
        bound_principals: Some(&key.record.policy_principals),
    };
    eval::evaluate_with(&request, &key.policy, &identity, &mut grants)
}

/// Decides whether the caller may perform `check.action` on `key`.
pub fn authorize(check: &Check<'_>, key: Arc<CachedKey>) -> Result<AuthorizedKey, Error> {
    let ctx = check.ctx;
    let resource = key.record.arn();
    let decision = decide_on(check, &key, &resource);
    ctx.audit.note(resource.clone(), decision.to_string());
    if !decision.allowed() {
        tracing::debug!(principal = %ctx.principal.arn, action = check.action, resource = %resource, ?decision, "access denied");
        return Err(Error::AccessDenied {
            principal: ctx.principal.arn.clone(),
            action: check.action.to_owned(),
            resource,
            reason: DenyReason::of(&decision),
        });
    }
    Ok(AuthorizedKey {
        key,
        action: check.action,
        decision,
    })
}

#[cfg(test)]
mod tests;
