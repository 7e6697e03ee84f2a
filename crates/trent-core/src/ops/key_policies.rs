//! GetKeyPolicy, PutKeyPolicy and ListKeyPolicies, and the policy lockout safety check that
//! CreateKey shares.

use std::collections::{BTreeMap, HashMap};

use crate::error::{Error, Result};
use crate::kms::Kms;
use crate::model::{KeyRef, RequestContext};
use crate::ops::pipeline::{KeyUse, StateRule, check_state};
use crate::policy::condition::MapContext;
use crate::policy::document::Principals;
use crate::policy::eval::{Caller, Decision, Request, evaluate};
use crate::policy::{Facts, Policy, PolicyError};

/// The only policy name a key has.
pub const DEFAULT_POLICY_NAME: &str = "default";

/// The lockout message of AWS.
const LOCKOUT: &str =
    "The new key policy will not allow you to update the key policy in the future.";

fn malformed(e: PolicyError) -> Error {
    Error::MalformedPolicy { message: e.0 }
}

fn policy_name(name: Option<&str>) -> Result<()> {
    match name {
        None | Some(DEFAULT_POLICY_NAME) => Ok(()),
        Some(other) => Err(Error::PolicyNotFound {
            name: other.to_owned(),
        }),
    }
}

/// Parses a key policy document (`MalformedPolicyDocumentException` when it is not one).
pub fn parse_key_policy(text: &str) -> Result<Policy> {
    Policy::parse(text, true).map_err(malformed)
}

/// AWS's policy lockout safety check: the caller must still be able to call PutKeyPolicy under
/// the new policy, directly or through its account's delegation to identity policies.
pub fn check_lockout(
    ctx: &RequestContext,
    policy: &Policy,
    key_arn: &str,
    key_account: &str,
) -> Result<()> {
    let caller_arn = ctx.principal.arn.clone();
    let role_arn = ctx.principal.role_arn();
    let account = ctx.principal.account.as_str().to_owned();
    let mut values = HashMap::new();
    values.insert(
        "aws:principalarn".to_owned(),
        vec![role_arn.clone().unwrap_or_else(|| caller_arn.clone())],
    );
    values.insert("aws:principalaccount".to_owned(), vec![account.clone()]);
    values.insert("kms:calleraccount".to_owned(), vec![account.clone()]);
    if let Some(user) = caller_arn.rsplit_once(":user/").map(|(_, u)| u.to_owned()) {
        values.insert("aws:username".to_owned(), vec![user]);
    }
    let values = MapContext(values);
    let request = Request {
        caller: Caller {
            arn: &caller_arn,
            account: &account,
            role_arn: role_arn.as_deref(),
            unique_id: ctx.principal.unique_id(),
        },
        action: "kms:PutKeyPolicy",
        resource: key_arn,
        resource_account: key_account,
        context: &values,
        encryption_context: None,
        bound_principals: None,
    };
    match evaluate(&request, policy, &[], &[]) {
        d if d.allowed() => Ok(()),
        // Delegated to the caller's account: its identity policies decide, as at AWS.
        Decision::NoIdentityPolicyAllows => Ok(()),
        _ => Err(Error::MalformedPolicy {
            message: LOCKOUT.to_owned(),
        }),
    }
}

impl Kms {
    /// AWS refuses a key policy that names an IAM user or role that does not exist; Trent can
    /// tell for the accounts it hosts. Returns the unique id of each user and role the policy
    /// names, by ARN: the policy is theirs, as AWS binds it, and not a later principal's of
    /// the same name.
    pub(crate) fn bind_principals(&self, policy: &Policy) -> Result<BTreeMap<String, String>> {
        let mut bound = BTreeMap::new();
        for statement in &policy.statements {
            let Principals::Named { aws, .. } = &statement.principal else {
                continue;
            };
            for arn in aws {
                match self.directory.principal_id(arn) {
                    Some(Some(id)) => {
                        bound.insert(arn.clone(), id);
                    }
                    Some(None) => {
                        return Err(Error::MalformedPolicy {
                            message:
                                "Policy contains a statement with one or more invalid principals."
                                    .to_owned(),
                        });
                    }
                    None => {}
                }
            }
        }
        Ok(bound)
    }

    /// The key policy as GetKeyPolicy shows it: verbatim, except that a user or role that was
    /// deleted (or deleted and re-created) since the policy named it appears as the unique id
    /// it had, as at AWS.
    pub fn displayed_policy(&self, record: &crate::model::KeyRecord) -> String {
        let stale: BTreeMap<&str, &str> = record
            .policy_principals
            .iter()
            .filter(|(arn, id)| self.directory.no_longer(arn, id))
            .map(|(arn, id)| (arn.as_str(), id.as_str()))
            .collect();
        if stale.is_empty() {
            return record.policy.clone();
        }
        let Ok(mut doc) = serde_json::from_str::<serde_json::Value>(&record.policy) else {
            return record.policy.clone();
        };
        let replace = |v: &mut serde_json::Value| {
            if let Some(id) = v.as_str().and_then(|s| stale.get(s)) {
                *v = serde_json::Value::String((*id).to_owned());
            }
        };
        let statements = match doc.get_mut("Statement") {
            Some(serde_json::Value::Array(list)) => list.iter_mut().collect::<Vec<_>>(),
            Some(one) => vec![one],
            None => Vec::new(),
        };
        for statement in statements {
            for field in ["Principal", "NotPrincipal"] {
                if let Some(aws) = statement.get_mut(field).and_then(|p| p.get_mut("AWS")) {
                    match aws {
                        serde_json::Value::Array(list) => list.iter_mut().for_each(replace),
                        other => replace(other),
                    }
                }
            }
        }
        serde_json::to_string_pretty(&doc).unwrap_or_else(|_| record.policy.clone())
    }

    pub async fn get_key_policy(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        name: Option<&str>,
    ) -> Result<String> {
        let key = self
            .key_for(
                ctx,
                KeyUse::new(key, "kms:GetKeyPolicy", StateRule::Any).without_aliases(),
            )
            .await?;
        policy_name(name)?;
        Ok(self.displayed_policy(&key.key().record))
    }

    pub async fn put_key_policy(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        name: Option<&str>,
        text: String,
        bypass_lockout_check: bool,
    ) -> Result<()> {
        let current = self
            .key_for(
                ctx,
                KeyUse::new(key, "kms:PutKeyPolicy", StateRule::Any)
                    .without_aliases()
                    .facts(Facts::new().with(
                        "kms:BypassPolicyLockoutSafetyCheck",
                        bypass_lockout_check.to_string(),
                    )),
            )
            .await?;
        policy_name(name)?;
        let policy = parse_key_policy(&text)?;
        let bound = self.bind_principals(&policy)?;
        let record = &current.key().record;
        if !bypass_lockout_check {
            check_lockout(ctx, &policy, &record.arn(), record.scope.account.as_str())?;
        }
        let key_ref = KeyRef::Arn {
            scope: record.scope.clone(),
            id: record.id.clone(),
        };
        self.modify_key(ctx, &key_ref, "kms:PutKeyPolicy", move |r| {
            check_state(r.state, &r.arn(), StateRule::NotPendingDeletion)?;
            r.policy = text;
            r.policy_principals = bound;
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// ListKeyPolicies: every key has the one policy `default`.
    pub async fn list_key_policies(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
    ) -> Result<Vec<String>> {
        self.key_for(
            ctx,
            KeyUse::new(key, "kms:ListKeyPolicies", StateRule::Any).without_aliases(),
        )
        .await?;
        Ok(vec![DEFAULT_POLICY_NAME.to_owned()])
    }
}
