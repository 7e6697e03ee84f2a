//! Authorization: the policy language (parse, compile, evaluate) and the only maker of
//! [`AuthorizedKey`], the capability through which operations reach key material.
//!
//! `document` parses policy JSON once, when it is stored; `condition` evaluates every condition
//! operator family; `eval` is AWS KMS's decision logic over key policies, identity policies and
//! grants. The requests of the API are not yet routed through `eval` (key policies are stored
//! and validated, and the rule in force is AWS's default key policy: the key's own account may
//! use it, other accounts may not); that wiring comes with principals, identity policies and
//! grants.

pub mod condition;
pub mod document;
pub mod eval;

pub use document::{Policy, PolicyError};

use std::sync::Arc;

use crate::cache::CachedKey;
use crate::error::Error;
use crate::model::RequestContext;

/// A key the caller has been allowed to use for one action.
///
/// Only [`authorize`] constructs it; operations take key material only from it.
#[derive(Debug)]
pub struct AuthorizedKey {
    key: Arc<CachedKey>,
    action: &'static str,
}

impl AuthorizedKey {
    pub fn key(&self) -> &Arc<CachedKey> {
        &self.key
    }

    /// The action this authorization is for (`kms:Encrypt`).
    pub fn action(&self) -> &'static str {
        self.action
    }
}

/// Decides whether the caller may perform `action` on `key`.
pub fn authorize(
    ctx: &RequestContext,
    key: Arc<CachedKey>,
    action: &'static str,
) -> Result<AuthorizedKey, Error> {
    if key.record.scope.account != ctx.principal.account {
        return Err(Error::AccessDenied {
            principal: ctx.principal.arn.clone(),
            action: action.to_owned(),
            resource: key.record.arn(),
        });
    }
    Ok(AuthorizedKey { key, action })
}

#[cfg(test)]
mod tests;
