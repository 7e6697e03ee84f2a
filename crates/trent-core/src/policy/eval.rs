//! AWS KMS's authorization logic over compiled policies, returning a decision that says which
//! statement, policy or grant decided it.
//!
//! 1. An explicit `Deny` that applies, in the key policy or in the caller's identity policies,
//!    denies.
//! 2. A key policy `Allow` that names the caller (its ARN, its role for an assumed-role session,
//!    or `*`) allows, in any account.
//! 3. A key policy `Allow` that names the caller's account (`arn:aws:iam::<account>:root` or
//!    the bare id) delegates to identity policies: the account root is allowed, an IAM
//!    principal needs an identity policy `Allow` too. Across accounts this is the only way
//!    in besides grants, and it always needs both sides.
//! 4. A grant for the caller that covers the operation (and whose constraints the request's
//!    encryption context meets) allows.
//! 5. Otherwise deny, saying whether a resource-based or an identity-based allow was missing.

use std::collections::BTreeMap;

use super::condition::{Context, glob, substitute};
use super::document::{Effect, Policy, Principals, Statement};

/// The caller, as policies see it.
#[derive(Clone, Debug)]
pub struct Caller<'a> {
    /// `arn:aws:iam::<a>:root`, `...:user/<n>`, or `arn:aws:sts::<a>:assumed-role/<r>/<s>`.
    pub arn: &'a str,
    pub account: &'a str,
    /// For an assumed-role session, the role's ARN, which policies name.
    pub role_arn: Option<&'a str>,
    /// The unique id of the user or of the session's role (`AIDA...`, `AROA...`).
    pub unique_id: Option<&'a str>,
}

impl Caller<'_> {
    pub fn is_root(&self) -> bool {
        self.arn.ends_with(":root")
    }
}

/// A grant, as evaluation needs it.
#[derive(Clone, Debug)]
pub struct GrantView<'a> {
    pub id: &'a str,
    pub grantee: &'a str,
    /// The grantee's unique id when the grant was made, if it was a user or role.
    pub grantee_id: Option<&'a str>,
    /// Operation names as in the API (`Encrypt`, `GenerateDataKey`).
    pub operations: &'a [String],
    pub context_equals: Option<&'a BTreeMap<String, String>>,
    pub context_subset: Option<&'a BTreeMap<String, String>>,
}

/// What is asked.
pub struct Request<'a> {
    pub caller: Caller<'a>,
    /// `kms:Encrypt`.
    pub action: &'a str,
    /// The key ARN.
    pub resource: &'a str,
    pub resource_account: &'a str,
    pub context: &'a dyn Context,
    /// The request's encryption context, for grant constraints.
    pub encryption_context: Option<&'a BTreeMap<String, String>>,
    /// The key policy's users and roles bound to their unique ids (by ARN): an ARN names
    /// the caller only if the caller is the principal it was bound to.
    pub bound_principals: Option<&'a BTreeMap<String, String>>,
}

impl std::fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("caller", &self.caller)
            .field("action", &self.action)
            .field("resource", &self.resource)
            .finish_non_exhaustive()
    }
}

/// Which statement of which policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementRef {
    /// `key-policy`, or the identity policy's name.
    pub policy: String,
    pub index: usize,
    pub sid: Option<String>,
}

impl std::fmt::Display for StatementRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.sid {
            Some(sid) => write!(f, "{} statement \"{sid}\"", self.policy),
            None => write!(f, "{} statement #{}", self.policy, self.index),
        }
    }
}

/// The outcome and its reason, for the response and the audit trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    AllowedByKeyPolicy(StatementRef),
    /// The key policy delegated to the account and this identity policy allowed.
    AllowedByIdentityPolicy {
        key_policy: StatementRef,
        identity: StatementRef,
    },
    /// The account root, allowed by a key policy statement that names its account.
    AllowedAsAccountRoot(StatementRef),
    AllowedByGrant(String),
    /// Allowed by an identity policy alone, for actions on IAM and STS resources that have no
    /// resource policy (the admin API).
    AllowedByIdentity(StatementRef),
    /// `--dev`: the caller's own account, policies not consulted.
    Permissive,
    /// A key exposed through Trent's XKS proxy, allowed by its exposure's rule (the proxy's
    /// secondary authorization on `requestMetadata`).
    AllowedByProxyRule(String),
    ExplicitDenyInKeyPolicy(StatementRef),
    ExplicitDenyInIdentityPolicy(StatementRef),
    NoResourcePolicyAllows,
    NoIdentityPolicyAllows,
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Decision::AllowedByKeyPolicy(s) => write!(f, "allowed by {s}"),
            Decision::AllowedByIdentityPolicy {
                key_policy,
                identity,
            } => write!(f, "allowed by {identity}, delegated by {key_policy}"),
            Decision::AllowedAsAccountRoot(s) => write!(f, "allowed as account root by {s}"),
            Decision::AllowedByGrant(id) => write!(f, "allowed by grant {id}"),
            Decision::AllowedByIdentity(s) => write!(f, "allowed by {s}"),
            Decision::Permissive => f.write_str("allowed by --dev"),
            Decision::AllowedByProxyRule(rule) => write!(f, "allowed by the XKS proxy's {rule}"),
            Decision::ExplicitDenyInKeyPolicy(s) => write!(f, "denied by {s}"),
            Decision::ExplicitDenyInIdentityPolicy(s) => write!(f, "denied by {s}"),
            Decision::NoResourcePolicyAllows => {
                f.write_str("denied: no resource-based policy allows")
            }
            Decision::NoIdentityPolicyAllows => {
                f.write_str("denied: no identity-based policy allows")
            }
        }
    }
}

impl Decision {
    pub fn allowed(&self) -> bool {
        matches!(
            self,
            Decision::AllowedByKeyPolicy(_)
                | Decision::AllowedByIdentityPolicy { .. }
                | Decision::AllowedAsAccountRoot(_)
                | Decision::AllowedByGrant(_)
                | Decision::AllowedByIdentity(_)
                | Decision::Permissive
        )
    }
}

/// A named identity policy of the caller.
#[derive(Clone, Copy, Debug)]
pub struct IdentityPolicy<'a> {
    pub name: &'a str,
    pub policy: &'a Policy,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PrincipalMatch {
    No,
    /// The statement names the caller itself (or `*`).
    Direct,
    /// The statement names the caller's account.
    Account,
}

/// Whether a user or role ARN that names the caller names this very principal: not when the
/// ARN was bound to another unique id (a user or role since deleted and re-created).
fn same_principal(
    arn: &str,
    caller: &Caller<'_>,
    bound: Option<&BTreeMap<String, String>>,
) -> bool {
    bound
        .and_then(|b| b.get(arn))
        .is_none_or(|id| Some(id.as_str()) == caller.unique_id)
}

fn principal_match(
    statement: &Statement,
    caller: &Caller<'_>,
    bound: Option<&BTreeMap<String, String>>,
) -> PrincipalMatch {
    let listed = match &statement.principal {
        Principals::Unspecified => return PrincipalMatch::Direct,
        Principals::Anyone => PrincipalMatch::Direct,
        Principals::Named { aws, .. } => {
            let mut best = PrincipalMatch::No;
            for p in aws {
                if (p == caller.arn || Some(p.as_str()) == caller.role_arn)
                    && same_principal(p, caller, bound)
                {
                    best = PrincipalMatch::Direct;
                    break;
                }
                let account_root = format!("arn:aws:iam::{}:root", caller.account);
                if p == caller.account || *p == account_root {
                    best = PrincipalMatch::Account;
                }
            }
            best
        }
    };
    if statement.not_principal {
        // NotPrincipal applies to everyone it does not list. Naming an account spares only
        // the account principal itself, not its users and roles (as at AWS), so only a
        // direct match counts here.
        if listed != PrincipalMatch::Direct {
            PrincipalMatch::Direct
        } else {
            PrincipalMatch::No
        }
    } else {
        listed
    }
}

fn action_matches(statement: &Statement, action: &str) -> bool {
    let action = action.to_ascii_lowercase();
    let listed = statement.actions.iter().any(|p| glob(p, &action));
    listed != statement.not_action
}

fn resource_matches(statement: &Statement, resource: &str, ctx: &dyn Context) -> bool {
    let Some(patterns) = &statement.resources else {
        return true;
    };
    let listed = patterns
        .iter()
        .any(|p| substitute(p, ctx).is_some_and(|p| glob(&p, resource)));
    listed != statement.not_resource
}

/// Condition keys that name one entry of the request (`kms:EncryptionContext:tenant`,
/// `aws:ResourceTag/env`, `aws:RequestTag/env`): condition key names ignore case, but the
/// request's entries do not, so `Tenant` and `tenant` both match the first.
const ONE_ENTRY_KEYS: &[&str] = &[
    "kms:encryptioncontext:",
    "aws:resourcetag/",
    "aws:requesttag/",
];

/// Whether one of the statement's conditions names a key that several entries of the
/// request match (they differ only in case). AWS documents no answer for such a request.
fn ambiguous(statement: &Statement, ctx: &dyn Context) -> bool {
    statement.conditions.iter().any(|c| {
        ONE_ENTRY_KEYS.iter().any(|p| c.key.starts_with(p))
            && ctx.values(&c.key).is_some_and(|v| v.len() > 1)
    })
}

fn applies(statement: &Statement, request: &Request<'_>) -> bool {
    if !(action_matches(statement, request.action)
        && resource_matches(statement, request.resource, request.context))
    {
        return false;
    }
    // An ambiguous request is refused by every statement that conditions on the key: a Deny
    // applies whichever entry it meant, an Allow allows for none of them.
    if ambiguous(statement, request.context) {
        return statement.effect == Effect::Deny;
    }
    statement
        .conditions
        .iter()
        .all(|c| c.holds(request.context))
}

fn statement_ref(policy: &str, index: usize, statement: &Statement) -> StatementRef {
    StatementRef {
        policy: policy.to_owned(),
        index,
        sid: statement.sid.clone(),
    }
}

fn grant_allows(grant: &GrantView<'_>, request: &Request<'_>) -> bool {
    let grantee_ok = (grant.grantee == request.caller.arn
        || Some(grant.grantee) == request.caller.role_arn)
        && grant
            .grantee_id
            .is_none_or(|id| Some(id) == request.caller.unique_id);
    let operation = request
        .action
        .strip_prefix("kms:")
        .unwrap_or(request.action);
    let operation_ok = grant.operations.iter().any(|o| o == operation);
    // In a grant constraint the keys ignore case and the values do not (AWS's
    // GrantConstraints documentation). A request whose context has two keys differing only
    // in case meets no constraint on that key.
    let context = request.encryption_context;
    let value_of = |have: &BTreeMap<String, String>, key: &str| {
        let mut found = have.iter().filter(|(k, _)| k.eq_ignore_ascii_case(key));
        match (found.next(), found.next()) {
            (Some((_, v)), None) => Some(v.clone()),
            _ => None,
        }
    };
    let meets = |have: &BTreeMap<String, String>, want: &BTreeMap<String, String>| {
        want.iter()
            .all(|(k, v)| value_of(have, k).is_some_and(|got| &got == v))
    };
    let equals_ok = grant.context_equals.is_none_or(|want| {
        context.is_some_and(|have| have.len() == want.len() && meets(have, want))
    });
    let subset_ok = grant
        .context_subset
        .is_none_or(|want| context.is_some_and(|have| meets(have, want)));
    grantee_ok && operation_ok && equals_ok && subset_ok
}

/// Decides a request against the key policy, the caller's identity policies and the key's
/// grants.
pub fn evaluate(
    request: &Request<'_>,
    key_policy: &Policy,
    identity: &[IdentityPolicy<'_>],
    grants: &[GrantView<'_>],
) -> Decision {
    evaluate_with(request, key_policy, identity, &mut grants.iter().cloned())
}

/// [`evaluate`] with the grants as an iterator, read only as far as the decision needs.
pub fn evaluate_with<'g>(
    request: &Request<'_>,
    key_policy: &Policy,
    identity: &[IdentityPolicy<'_>],
    grants: &mut dyn Iterator<Item = GrantView<'g>>,
) -> Decision {
    const KEY_POLICY: &str = "key-policy";
    let caller = &request.caller;
    let mut key_direct = None;
    let mut key_account = None;
    for (i, s) in key_policy.statements.iter().enumerate() {
        let m = principal_match(s, caller, request.bound_principals);
        if m == PrincipalMatch::No || !applies(s, request) {
            continue;
        }
        match (s.effect, m) {
            (Effect::Deny, _) => {
                return Decision::ExplicitDenyInKeyPolicy(statement_ref(KEY_POLICY, i, s));
            }
            (Effect::Allow, PrincipalMatch::Direct) => {
                key_direct.get_or_insert_with(|| statement_ref(KEY_POLICY, i, s));
            }
            (Effect::Allow, _) => {
                key_account.get_or_insert_with(|| statement_ref(KEY_POLICY, i, s));
            }
        }
    }
    let identity_allow = match identity_allow(request, identity) {
        Ok(allow) => allow,
        Err(deny) => return deny,
    };
    let same_account = caller.account == request.resource_account;
    if same_account {
        if let Some(s) = key_direct {
            return Decision::AllowedByKeyPolicy(s);
        }
    } else if let Some(s) = &key_direct {
        // Across accounts a direct key policy allow still needs the caller's own account to
        // allow it (its root always does).
        if caller.is_root() {
            return Decision::AllowedByKeyPolicy(s.clone());
        }
        if let Some(identity) = identity_allow.clone() {
            return Decision::AllowedByIdentityPolicy {
                key_policy: s.clone(),
                identity,
            };
        }
    }
    if let Some(s) = &key_account {
        if caller.is_root() {
            return Decision::AllowedAsAccountRoot(s.clone());
        }
        if let Some(identity) = identity_allow.clone() {
            return Decision::AllowedByIdentityPolicy {
                key_policy: s.clone(),
                identity,
            };
        }
    }
    for grant in grants {
        if grant_allows(&grant, request) {
            return Decision::AllowedByGrant(grant.id.to_owned());
        }
    }
    if key_direct.is_some() || key_account.is_some() {
        Decision::NoIdentityPolicyAllows
    } else {
        Decision::NoResourcePolicyAllows
    }
}

/// The first identity policy statement that allows the request, or the explicit deny that
/// decides it.
fn identity_allow(
    request: &Request<'_>,
    identity: &[IdentityPolicy<'_>],
) -> Result<Option<StatementRef>, Decision> {
    let mut allow = None;
    for policy in identity {
        for (i, s) in policy.policy.statements.iter().enumerate() {
            if !applies(s, request) {
                continue;
            }
            match s.effect {
                Effect::Deny => {
                    return Err(Decision::ExplicitDenyInIdentityPolicy(statement_ref(
                        policy.name,
                        i,
                        s,
                    )));
                }
                Effect::Allow => {
                    allow.get_or_insert_with(|| statement_ref(policy.name, i, s));
                }
            }
        }
    }
    Ok(allow)
}

/// Decides a request on a resource that has no resource policy (an IAM user, role or access
/// key of the caller's own account): an explicit deny wins, then an identity policy allow.
pub fn evaluate_identity(request: &Request<'_>, identity: &[IdentityPolicy<'_>]) -> Decision {
    match identity_allow(request, identity) {
        Err(deny) => deny,
        Ok(Some(s)) => Decision::AllowedByIdentity(s),
        Ok(None) => Decision::NoIdentityPolicyAllows,
    }
}
