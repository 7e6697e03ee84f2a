//! Who is calling: accounts, IAM users and roles, access keys and role sessions, the resolved
//! principal, and the per-request context.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use super::{AccountId, Region, Scope, Tag, UnixMillis};
use crate::policy::Policy;

/// An account and the regions it may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRecord {
    pub id: AccountId,
    pub regions: Vec<Region>,
}

/// An access key: its id, its secret sealed under the root key, and the principal it acts as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessKeyRecord {
    pub id: String,
    pub account: AccountId,
    /// The IAM user name the key belongs to (the account root when `None`).
    pub user: Option<String>,
    pub sealed_secret: Vec<u8>,
    /// `Active` (true) or `Inactive` (false), as IAM's access key status.
    pub enabled: bool,
    pub created: UnixMillis,
}

/// Whether an IAM principal is a user or a role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrincipalType {
    User,
    Role,
}

impl PrincipalType {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::User => "user",
            PrincipalType::Role => "role",
        }
    }

    pub fn parse(text: &str) -> Option<PrincipalType> {
        match text {
            "user" => Some(PrincipalType::User),
            "role" => Some(PrincipalType::Role),
            _ => None,
        }
    }
}

/// An IAM user or role as the store keeps it, with its inline identity policies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrincipalRecord {
    pub account: AccountId,
    pub kind: PrincipalType,
    pub name: String,
    /// IAM's unique id (`AIDA...` for users, `AROA...` for roles): `aws:userid`.
    pub id: String,
    pub tags: Vec<Tag>,
    /// Inline identity policies by name, verbatim.
    pub policies: BTreeMap<String, String>,
    /// A role's trust policy (who may assume it), verbatim.
    pub trust_policy: Option<String>,
    /// The longest session a role grants, in seconds (3600 to 43200; IAM's default 3600).
    pub max_session_seconds: u32,
    pub created: UnixMillis,
}

impl PrincipalRecord {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:{}/{}",
            self.account,
            self.kind.as_str(),
            self.name
        )
    }
}

/// Temporary credentials issued by `AssumeRole`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    /// `ASIA...`.
    pub access_key_id: String,
    pub sealed_secret: Vec<u8>,
    /// The session token, sealed under the root key like the secret.
    pub sealed_token: Vec<u8>,
    pub account: AccountId,
    pub role_name: String,
    /// The role's unique id when the session was issued: a role deleted and created again
    /// under the same name does not inherit the old role's sessions.
    pub role_id: String,
    pub session_name: String,
    /// Session tags, which override the role's tags of the same key.
    pub tags: Vec<Tag>,
    /// The keys of `tags` that pass on when this session assumes another role.
    pub transitive_tag_keys: Vec<String>,
    pub expires: UnixMillis,
}

/// A parsed identity policy with its name.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedPolicy {
    pub name: String,
    pub policy: Policy,
}

/// What kind of principal signed the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrincipalKind {
    Root,
    User {
        name: String,
    },
    AssumedRole {
        role_name: String,
        session_name: String,
    },
}

/// The authenticated caller, with everything authorization reads about it.
#[derive(Clone, Debug, PartialEq)]
pub struct Principal {
    pub account: AccountId,
    /// `arn:aws:iam::<a>:root`, `arn:aws:iam::<a>:user/<n>` or
    /// `arn:aws:sts::<a>:assumed-role/<role>/<session>`.
    pub arn: String,
    pub kind: PrincipalKind,
    /// `aws:userid`: the account id for the root, the user's id, `<role id>:<session>`.
    pub user_id: String,
    pub access_key_id: Option<String>,
    /// `aws:PrincipalTag/*`: the user's or role's tags, with session tags over them.
    pub tags: BTreeMap<String, String>,
    /// A role session's own session tags (passed on when it assumes another role).

    /// A role session's transitive session tags (`TransitiveTagKeys`): what passes on when it
    /// assumes another role. Empty for users, roots, and sessions without any.
    pub transitive_tags: BTreeMap<String, String>,
    /// The identity policies attached to the user or role.
    pub policies: Arc<[NamedPolicy]>,
}

impl Principal {
    /// The root principal of an account.
    pub fn root(account: AccountId) -> Principal {
        Principal {
            arn: format!("arn:aws:iam::{account}:root"),
            user_id: account.as_str().to_owned(),
            account,
            kind: PrincipalKind::Root,
            access_key_id: None,
            tags: BTreeMap::new(),
            transitive_tags: BTreeMap::new(),
            policies: Arc::from(Vec::new()),
        }
    }

    /// For an assumed-role session, the role's ARN, which policies name.
    /// IAM's unique id of the user, or of the role a session belongs to (`AIDA...`,
    /// `AROA...`), which key policies and grants bind to; `None` for an account's root.
    pub fn unique_id(&self) -> Option<&str> {
        match &self.kind {
            PrincipalKind::Root => None,
            PrincipalKind::User { .. } => Some(&self.user_id),
            PrincipalKind::AssumedRole { .. } => self.user_id.split(':').next(),
        }
    }

    pub fn role_arn(&self) -> Option<String> {
        match &self.kind {
            PrincipalKind::AssumedRole { role_name, .. } => {
                Some(format!("arn:aws:iam::{}:role/{role_name}", self.account))
            }
            _ => None,
        }
    }

    /// The user name (`aws:username`), for IAM users only.
    pub fn user_name(&self) -> Option<&str> {
        match &self.kind {
            PrincipalKind::User { name } => Some(name),
            _ => None,
        }
    }

    pub fn is_root(&self) -> bool {
        self.kind == PrincipalKind::Root
    }

    /// A tag of the principal, by case-insensitive key as IAM compares tag keys.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

/// What every operation knows about its request: who, where, and which request.
#[derive(Clone, Debug)]
pub struct RequestContext {
    pub principal: Principal,
    pub region: Region,
    pub request_id: String,
    /// The operation being served (`Encrypt`), as external key store proxies are told it.
    pub operation: &'static str,
    pub source_ip: Option<IpAddr>,
    /// Whether the request came over TLS (`aws:SecureTransport`).
    pub secure_transport: bool,
    /// The request's `GrantTokens`, which let grants act before they are visible everywhere.
    pub grant_tokens: Vec<String>,
    /// What authorization decided about which keys, for the audit trail.
    pub audit: AuditNotes,
}

/// The keys a request touched and the decision about each, noted by authorization and read
/// by the audit trail when the request ends.
#[derive(Clone, Debug, Default)]
pub struct AuditNotes(Arc<std::sync::Mutex<Vec<AuditNote>>>);

/// One authorization of one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditNote {
    /// The key's ARN.
    pub resource: String,
    /// Which statement or grant decided, and how.
    pub decision: String,
}

impl AuditNotes {
    pub fn note(&self, resource: String, decision: String) {
        if let Ok(mut notes) = self.0.lock() {
            notes.push(AuditNote { resource, decision });
        }
    }

    pub fn take(&self) -> Vec<AuditNote> {
        self.0
            .lock()
            .map(|mut n| std::mem::take(&mut *n))
            .unwrap_or_default()
    }
}

impl RequestContext {
    /// A context for `principal` in `region` with nothing else set.
    pub fn new(principal: Principal, region: Region, request_id: impl Into<String>) -> Self {
        RequestContext {
            principal,
            region,
            request_id: request_id.into(),
            operation: "",
            source_ip: None,
            secure_transport: false,
            grant_tokens: Vec::new(),
            audit: AuditNotes::default(),
        }
    }

    /// The caller's own account and region, where names without an ARN are looked up.
    pub fn scope(&self) -> Scope {
        Scope {
            account: self.principal.account.clone(),
            region: self.region.clone(),
        }
    }
}
