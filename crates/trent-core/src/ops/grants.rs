//! CreateGrant, ListGrants, ListRetirableGrants, RetireGrant and RevokeGrant, and grant tokens.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::kms::Kms;
use crate::model::{GRANT_OPERATIONS, GrantRecord, KeyId, KeyRef, RequestContext, grant};
use crate::ops::pipeline::{Aliases, KeyUse, StateRule};
use crate::policy::{Decision, DenyReason, Facts};
use crate::store::{Page, StoreError};

/// AWS's quota of grants per KMS key.
pub const MAX_GRANTS_PER_KEY: usize = 50_000;

/// Operations without an encryption context, for which context constraints mean nothing.
/// DescribeKey, RetireGrant and CreateGrant may carry them: the constraint does not apply to
/// the first two and binds the grants the third creates.
const NO_CONTEXT_OPERATIONS: &[&str] = &[
    "Sign",
    "Verify",
    "GetPublicKey",
    "GenerateMac",
    "VerifyMac",
    "DeriveSharedSecret",
    "Encapsulate",
    "Decapsulate",
];

/// Whether a grant made through `parent` asks for no more than the parent gives: a subset of
/// its operations, under constraints at least as strict (AWS's rule for grants created by a
/// grantee).
fn narrower(parent: &GrantRecord, child: &GrantRequest) -> bool {
    let ops = child
        .operations
        .iter()
        .all(|o| parent.operations.contains(o));
    let equals = parent
        .context_equals
        .as_ref()
        .is_none_or(|want| child.context_equals.as_ref() == Some(want));
    let contains = |have: &BTreeMap<String, String>, want: &BTreeMap<String, String>| {
        want.iter().all(|(k, v)| have.get(k) == Some(v))
    };
    let subset = parent.context_subset.as_ref().is_none_or(|want| {
        child
            .context_subset
            .as_ref()
            .is_some_and(|c| contains(c, want))
            || child
                .context_equals
                .as_ref()
                .is_some_and(|c| contains(c, want))
    });
    ops && equals && subset
}

/// The grant id a grant token names; `InvalidGrantTokenException` when it is not one.
pub(crate) fn grant_id_of_token(token: &str) -> Result<String> {
    grant::id_of_token(token)
        .map(str::to_owned)
        .ok_or(Error::InvalidGrantToken)
}

/// What CreateGrant asks for.
#[derive(Clone, Debug, Default)]
pub struct GrantRequest {
    pub operations: Vec<String>,
    pub grantee: Option<String>,
    pub retiring: Option<String>,
    pub name: Option<String>,
    pub context_equals: Option<BTreeMap<String, String>>,
    pub context_subset: Option<BTreeMap<String, String>>,
    pub service_principal: bool,
    pub dry_run: bool,
}

/// A grant id with a fresh token.
#[derive(Clone, Debug)]
pub struct CreatedGrant {
    pub id: String,
    pub token: String,
}

/// A principal a grant may name: an AWS account id or an IAM/STS ARN.
fn valid_principal(value: &str) -> bool {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", "aws", "iam" | "sts", "", account, resource]
        if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && !resource.is_empty())
}

impl Kms {
    fn new_token(&self, id: &str) -> Result<String> {
        let nonce = self.random(16)?;
        Ok(grant::token(id, &hex(nonce.as_slice())))
    }

    /// Refuses a principal that is malformed or names a user or role that does not exist;
    /// returns the unique id of a user or role Trent hosts, which the grant binds to.
    fn check_principal(&self, value: &str) -> Result<Option<String>> {
        let known = self.directory.principal_id(value);
        if !valid_principal(value) || known == Some(None) {
            return Err(Error::InvalidPrincipal {
                value: value.to_owned(),
            });
        }
        Ok(known.flatten())
    }

    pub async fn create_grant(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        request: GrantRequest,
    ) -> Result<CreatedGrant> {
        // AWS's answer (boto3 against AWS in ansible/ansible#31960): a grant must allow
        // something besides making grants.
        let only_create_grant = !request.operations.is_empty()
            && request
                .operations
                .iter()
                .all(|o| o.as_str() == "CreateGrant");
        if only_create_grant {
            return Err(Error::validation(
                "Grants must not contain only the CreateGrant operation.",
            ));
        }
        if request.service_principal {
            return Err(Error::Unsupported {
                message: "Grants for AWS service principals are not supported by Trent.".to_owned(),
            });
        }
        let grantee = request
            .grantee
            .clone()
            .ok_or_else(|| Error::validation("GranteePrincipal is required."))?;
        let grantee_id = self.check_principal(&grantee)?;
        let retiring_id = match &request.retiring {
            Some(r) => self.check_principal(r)?,
            None => None,
        };
        let has_constraints = request.context_equals.is_some() || request.context_subset.is_some();
        if has_constraints {
            let bad: Vec<&str> = request
                .operations
                .iter()
                .map(String::as_str)
                .filter(|o| NO_CONTEXT_OPERATIONS.contains(o))
                .collect();
            if !bad.is_empty() {
                return Err(Error::validation(format!(
                    "Grant constraints are not supported for the following operations: {}",
                    bad.join(", ")
                )));
            }
        }
        let mut operations: Vec<String> = Vec::new();
        for op in &request.operations {
            if GRANT_OPERATIONS.contains(&op.as_str()) && !operations.contains(op) {
                operations.push(op.clone());
            }
        }
        let mut facts = Facts::new()
            .with("kms:GranteePrincipal", grantee.as_str())
            .with_opt("kms:RetiringPrincipal", request.retiring.as_deref())
            .with("kms:GrantIsForAWSResource", "false");
        for op in &operations {
            facts = facts.with("kms:GrantOperations", op.as_str());
        }
        if request.context_equals.is_some() {
            facts = facts.with("kms:GrantConstraintType", "EncryptionContextEquals");
        }
        if request.context_subset.is_some() {
            facts = facts.with("kms:GrantConstraintType", "EncryptionContextSubset");
        }
        let authorized = self
            .key_for(
                ctx,
                KeyUse::new(key, "kms:CreateGrant", StateRule::NotPendingDeletion)
                    .without_aliases()
                    .facts(facts),
            )
            .await?;
        // A grantee whose grant allows CreateGrant may pass on no more than it holds.
        if let Decision::AllowedByGrant(parent_id) = authorized.decision() {
            let key = authorized.key();
            let parent = match self.grants_of(key).await?.get(parent_id) {
                Some(g) => Some(g.clone()),
                None => self.store.grant(parent_id).await?,
            };
            if !parent.is_some_and(|p| narrower(&p, &request)) {
                return Err(Error::AccessDenied {
                    principal: ctx.principal.arn.clone(),
                    action: "kms:CreateGrant".to_owned(),
                    resource: key.record.arn(),
                    reason: DenyReason::NoResourcePolicy,
                });
            }
        }
        let dry_run = request.dry_run;
        self.perform(ctx, "CreateGrant", dry_run, async move {
        let record = &authorized.key().record;
        let grant = GrantRecord {
            scope: record.scope.clone(),
            key: record.id.clone(),
            id: hex(self.random(32)?.as_slice()),
            name: request.name.clone(),
            grantee,
            grantee_id,
            retiring: request.retiring.clone(),
            retiring_id,
            issuing_account: format!("arn:aws:iam::{}:root", ctx.principal.account),
            operations,
            context_equals: request.context_equals,
            context_subset: request.context_subset,
            created: self.clock.now(),
        };
        // Name idempotency (the same request again returns the same grant, with a new token)
        // is the store's, inside its transaction: by the grant-name index, without reading the
        // key's other grants, and a retry racing this one (on another node, say) gets the same
        // grant.
        let id = match self.store.create_grant(&grant, MAX_GRANTS_PER_KEY).await {
            Ok(id) => id,
            Err(StoreError::Limit(_)) => {
                return Err(Error::LimitExceeded {
                    message: format!(
                        "The request was rejected because the KMS key {} has reached the limit of {MAX_GRANTS_PER_KEY} grants.",
                        record.arn()
                    ),
                });
            }
            Err(StoreError::NotFound) => {
                return Err(Error::KeyNotFound { arn: record.arn() });
            }
            Err(e) => return Err(e.into()),
        };
        Ok(CreatedGrant {
            token: self.new_token(&id)?,
            id,
        })
        })
        .await
    }

    /// ListGrants: `marker` is the id of the last grant of the previous page.
    pub async fn list_grants(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        grant_id: Option<&str>,
        grantee: Option<&str>,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<Page<GrantRecord>> {
        let authorized = self
            .key_for(
                ctx,
                KeyUse::new(key, "kms:ListGrants", StateRule::Any).without_aliases(),
            )
            .await?;
        let key = authorized.key();
        let record = &key.record;
        let matches = |g: &GrantRecord| {
            g.key == record.id
                && g.scope == record.scope
                && grant_id.is_none_or(|id| g.id == id)
                && grantee.is_none_or(|p| g.grantee == p)
        };
        // The marker is the last grant of the page before: it must be one this listing
        // returns.
        if let Some(m) = marker {
            let known = match key.grants().and_then(|set| set.get(m)) {
                Some(g) => matches(g),
                None => self.store.grant(m).await?.is_some_and(|g| matches(&g)),
            };
            if !known {
                return Err(Error::InvalidMarker {
                    message: format!("Invalid marker '{m}'"),
                });
            }
        }
        let page = match grant_id {
            // One grant, or none.
            Some(id) => Page {
                items: self
                    .store
                    .grant(id)
                    .await?
                    .filter(|g| matches(g) && marker.is_none())
                    .into_iter()
                    .collect(),
                truncated: false,
            },
            None => {
                self.store
                    .list_grants(&record.scope, &record.id, grantee, marker, limit)
                    .await?
            }
        };
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(|g| self.displayed_grant(g))
                .collect(),
            truncated: page.truncated,
        })
    }

    /// A grant as ListGrants shows it: a grantee or retiring principal that was deleted (or
    /// deleted and re-created) since the grant was made appears as the unique id it had, as a
    /// key policy's does in GetKeyPolicy.
    fn displayed_grant(&self, mut grant: GrantRecord) -> GrantRecord {
        let gone = |arn: &str, id: &Option<String>| {
            id.as_ref()
                .filter(|id| self.directory.no_longer(arn, id))
                .cloned()
        };
        if let Some(id) = gone(&grant.grantee, &grant.grantee_id) {
            grant.grantee = id;
        }
        if let Some(arn) = &grant.retiring
            && let Some(id) = gone(arn, &grant.retiring_id)
        {
            grant.retiring = Some(id);
        }
        grant
    }

    /// ListRetirableGrants: an IAM-policy-only action (no key is named).
    pub async fn list_retirable_grants(
        &self,
        ctx: &RequestContext,
        retiring: &str,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<Page<GrantRecord>> {
        self.authorize_identity(ctx, "kms:ListRetirableGrants", "*")?;
        // Only the grants retirable by principals of the caller's own account.
        let account = if retiring.len() == 12 {
            Some(retiring)
        } else {
            retiring.split(':').nth(4)
        };
        if account != Some(ctx.principal.account.as_str()) {
            return Err(Error::AccessDenied {
                principal: ctx.principal.arn.clone(),
                action: "kms:ListRetirableGrants".to_owned(),
                resource: retiring.to_owned(),
                reason: DenyReason::NoIdentityPolicy,
            });
        }
        let grants = self
            .store
            .grants_retirable_by(retiring)
            .await?
            .into_iter()
            .map(|g| self.displayed_grant(g))
            .collect();
        paginate(grants, limit, marker)
    }

    /// RetireGrant, by token or by key and grant id. The retiring principal, a grantee
    /// allowed `RetireGrant`, the issuing account and principals allowed `kms:RetireGrant` on
    /// the key may retire it.
    pub async fn retire_grant(
        &self,
        ctx: &RequestContext,
        token: Option<&str>,
        key: Option<&KeyRef>,
        grant_id: Option<&str>,
        dry_run: bool,
    ) -> Result<()> {
        let grant = match (token, grant_id) {
            (Some(token), _) => {
                let id = grant_id_of_token(token)?;
                self.store
                    .grant(&id)
                    .await?
                    .ok_or(Error::InvalidGrantToken)?
            }
            (None, Some(id)) => {
                let key = key
                    .ok_or_else(|| Error::validation("KeyId is required when GrantId is given."))?;
                let found = self.find(ctx, key, Aliases::Forbidden).await?;
                if !grant::is_grant_id(id) {
                    return Err(Error::InvalidGrantId);
                }
                self.grants_of(&found)
                    .await?
                    .get(id)
                    .cloned()
                    .ok_or_else(|| Error::GrantNotFound { id: id.to_owned() })?
            }
            (None, None) => {
                return Err(Error::validation(
                    "Either GrantToken, or both GrantId and KeyId, must be specified.",
                ));
            }
        };
        let p = &ctx.principal;
        let role = p.role_arn();
        // A principal named by ARN is the one the grant was bound to, not a re-created one.
        let is = |who: &str, bound: &Option<String>| {
            (who == p.arn || Some(who) == role.as_deref())
                && bound.as_deref().is_none_or(|id| Some(id) == p.unique_id())
        };
        let by_grant = grant
            .retiring
            .as_deref()
            .is_some_and(|r| is(r, &grant.retiring_id))
            || (is(&grant.grantee, &grant.grantee_id)
                && grant.operations.iter().any(|o| o == "RetireGrant"))
            || (p.is_root() && grant.issuing_account == p.arn);
        // Only the grant decides (kms:RetireGrant in a key policy does not let anyone retire).
        if !by_grant {
            return Err(Error::AccessDenied {
                principal: p.arn.clone(),
                action: "kms:RetireGrant".to_owned(),
                resource: grant.key.arn(&grant.scope),
                reason: DenyReason::NoResourcePolicy,
            });
        }
        self.perform(
            ctx,
            "RetireGrant",
            dry_run,
            self.delete_grant(&grant.scope, &grant.key, &grant.id),
        )
        .await
    }

    pub async fn revoke_grant(
        &self,
        ctx: &RequestContext,
        key: &KeyRef,
        grant_id: &str,
        dry_run: bool,
    ) -> Result<()> {
        let authorized = self
            .key_for(
                ctx,
                KeyUse::new(key, "kms:RevokeGrant", StateRule::Any).without_aliases(),
            )
            .await?;
        if !grant::is_grant_id(grant_id) {
            return Err(Error::InvalidGrantId);
        }
        let record = &authorized.key().record;
        if self
            .grants_of(authorized.key())
            .await?
            .get(grant_id)
            .is_none()
        {
            return Err(Error::GrantNotFound {
                id: grant_id.to_owned(),
            });
        }
        self.perform(
            ctx,
            "RevokeGrant",
            dry_run,
            self.delete_grant(&record.scope, &record.id, grant_id),
        )
        .await
    }

    async fn delete_grant(&self, scope: &crate::model::Scope, key: &KeyId, id: &str) -> Result<()> {
        match self.store.delete_grant(scope, key, id).await {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(Error::GrantNotFound { id: id.to_owned() }),
            Err(e) => Err(e.into()),
        }
    }
}

fn paginate(
    grants: Vec<GrantRecord>,
    limit: usize,
    marker: Option<&str>,
) -> Result<Page<GrantRecord>> {
    let start = match marker {
        None => 0,
        Some(m) => grants
            .iter()
            .position(|g| g.id == m)
            .map(|i| i.saturating_add(1))
            .ok_or_else(|| Error::InvalidMarker {
                message: format!("Invalid marker '{m}'"),
            })?,
    };
    let rest: Vec<GrantRecord> = grants.into_iter().skip(start).collect();
    let truncated = rest.len() > limit;
    Ok(Page {
        items: rest.into_iter().take(limit).collect(),
        truncated,
    })
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

impl crate::ops::pipeline::UsesKeys for CreatedGrant {
    fn keys_used(&self) -> Vec<&crate::model::KeyRecord> {
        Vec::new()
    }
}
