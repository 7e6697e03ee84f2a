//! The in-memory directory of accounts, users, roles and credentials that authentication and
//! authorization read, so that neither touches the disk per request.
//!
//! It is rebuilt from the store at start and after every identity change; role sessions are
//! added to it as they are issued.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use crate::model::{
    AccessKeyRecord, AccountId, NamedPolicy, Principal, PrincipalKind, PrincipalRecord,
    PrincipalType, Region, SessionRecord, UnixMillis,
};
use crate::policy::Policy;
use crate::secret::Secret;

/// An access key as the authenticator needs it: the secret (unsealed, zeroizing), who it acts
/// as, and for a role session its token and expiry.
#[derive(Clone, Debug)]
pub struct Credential {
    pub secret: Arc<Secret>,
    pub principal: Principal,
    pub enabled: bool,
    /// A role session's token, which must come with every request it signs.
    pub session_token: Option<Arc<Secret>>,
    pub expires: Option<UnixMillis>,
}

/// A user or role with its policies parsed.
#[derive(Clone, Debug)]
pub struct Entry {
    pub record: PrincipalRecord,
    pub policies: Arc<[NamedPolicy]>,
    pub trust_policy: Option<Arc<Policy>>,
}

impl Entry {
    /// Parses a record's policies; a document that no longer parses is left out with a
    /// warning (the admin API never stores one).
    pub fn new(record: PrincipalRecord) -> Entry {
        let policies: Vec<NamedPolicy> = record
            .policies
            .iter()
            .filter_map(|(name, text)| match Policy::parse(text, false) {
                Ok(policy) => Some(NamedPolicy {
                    name: name.clone(),
                    policy,
                }),
                Err(e) => {
                    tracing::warn!(principal = %record.arn(), policy = %name, error = %e, "identity policy ignored");
                    None
                }
            })
            .collect();
        let trust_policy = record
            .trust_policy
            .as_deref()
            .and_then(|t| Policy::parse(t, true).ok())
            .map(Arc::new);
        Entry {
            policies: Arc::from(policies),
            trust_policy,
            record,
        }
    }

    /// The principal that acts as this user (for a role, see [`Entry::session_principal`]).
    pub fn user_principal(&self, access_key_id: &str) -> Principal {
        Principal {
            account: self.record.account.clone(),
            arn: self.record.arn(),
            kind: PrincipalKind::User {
                name: self.record.name.clone(),
            },
            user_id: self.record.id.clone(),
            access_key_id: Some(access_key_id.to_owned()),
            tags: self
                .record
                .tags
                .iter()
                .map(|t| (t.key.clone(), t.value.clone()))
                .collect(),
            transitive_tags: BTreeMap::new(),
            policies: self.policies.clone(),
        }
    }

    /// The principal of a session of this role.
    pub fn session_principal(&self, session: &SessionRecord) -> Principal {
        let mut tags: BTreeMap<String, String> = BTreeMap::new();
        for t in self.record.tags.iter().chain(session.tags.iter()) {
            // Session tags replace role tags whose keys differ only in case.
            tags.retain(|k, _| !k.eq_ignore_ascii_case(&t.key));
            tags.insert(t.key.clone(), t.value.clone());
        }
        Principal {
            account: self.record.account.clone(),
            arn: format!(
                "arn:aws:sts::{}:assumed-role/{}/{}",
                self.record.account, self.record.name, session.session_name
            ),
            kind: PrincipalKind::AssumedRole {
                role_name: self.record.name.clone(),
                session_name: session.session_name.clone(),
            },
            user_id: format!("{}:{}", self.record.id, session.session_name),
            access_key_id: Some(session.access_key_id.clone()),
            tags,
            transitive_tags: session
                .tags
                .iter()
                .filter(|t| {
                    session
                        .transitive_tag_keys
                        .iter()
                        .any(|k| k.eq_ignore_ascii_case(&t.key))
                })
                .map(|t| (t.key.clone(), t.value.clone()))
                .collect(),
            policies: self.policies.clone(),
        }
    }
}

type EntryKey = (AccountId, PrincipalType, String);

/// Accounts, principals and credentials, in memory.
#[derive(Debug, Default)]
pub struct Directory {
    accounts: RwLock<HashMap<AccountId, Vec<Region>>>,
    entries: RwLock<HashMap<EntryKey, Arc<Entry>>>,
    credentials: RwLock<HashMap<String, Credential>>,
    /// The account whose root may create accounts.
    operator: RwLock<Option<AccountId>>,
}

/// What a reload reads from the store, secrets already unsealed.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub accounts: Vec<(AccountId, Vec<Region>)>,
    pub principals: Vec<PrincipalRecord>,
    pub access_keys: Vec<(AccessKeyRecord, Secret)>,
    pub sessions: Vec<(SessionRecord, Secret, Secret)>,
}

impl Directory {
    /// Replaces everything with a snapshot of the store.
    pub fn replace(&self, snapshot: Snapshot) {
        let entries: HashMap<EntryKey, Arc<Entry>> = snapshot
            .principals
            .into_iter()
            .map(|r| {
                (
                    (r.account.clone(), r.kind, r.name.clone()),
                    Arc::new(Entry::new(r)),
                )
            })
            .collect();
        let mut credentials = HashMap::new();
        for (key, secret) in snapshot.access_keys {
            let principal = match &key.user {
                None => {
                    let mut p = Principal::root(key.account.clone());
                    p.access_key_id = Some(key.id.clone());
                    p
                }
                Some(user) => {
                    match entries.get(&(key.account.clone(), PrincipalType::User, user.clone())) {
                        Some(entry) => entry.user_principal(&key.id),
                        // A key of a user the config names only by its access key: a user
                        // without tags or policies.
                        None => {
                            Entry::new(implicit_user(&key.account, user)).user_principal(&key.id)
                        }
                    }
                }
            };
            credentials.insert(
                key.id.clone(),
                Credential {
                    secret: Arc::new(secret),
                    principal,
                    enabled: key.enabled,
                    session_token: None,
                    expires: None,
                },
            );
        }
        for (session, secret, token) in snapshot.sessions {
            let Some(entry) = entries.get(&(
                session.account.clone(),
                PrincipalType::Role,
                session.role_name.clone(),
            )) else {
                continue;
            };
            // A role deleted and created again does not inherit the old role's sessions.
            if entry.record.id != session.role_id {
                continue;
            }
            credentials.insert(
                session.access_key_id.clone(),
                session_credential(entry, &session, secret, token),
            );
        }
        if let Ok(mut a) = self.accounts.write() {
            *a = snapshot.accounts.into_iter().collect();
        }
        if let Ok(mut e) = self.entries.write() {
            *e = entries;
        }
        if let Ok(mut c) = self.credentials.write() {
            *c = credentials;
        }
    }

    pub fn set_operator(&self, account: Option<AccountId>) {
        if let Ok(mut o) = self.operator.write() {
            *o = account;
        }
    }

    pub fn operator(&self) -> Option<AccountId> {
        self.operator.read().ok()?.clone()
    }

    pub fn credential(&self, access_key_id: &str) -> Option<Credential> {
        self.credentials.read().ok()?.get(access_key_id).cloned()
    }

    /// Adds an issued role session.
    pub fn add_credential(&self, access_key_id: String, credential: Credential) {
        if let Ok(mut c) = self.credentials.write() {
            c.insert(access_key_id, credential);
        }
    }

    /// Forgets sessions that expired at or before `now`.
    pub fn purge_expired(&self, now: UnixMillis) {
        if let Ok(mut c) = self.credentials.write() {
            c.retain(|_, cred| cred.expires.is_none_or(|e| e > now));
        }
    }

    pub fn regions(&self, account: &AccountId) -> Option<Vec<Region>> {
        self.accounts.read().ok()?.get(account).cloned()
    }

    pub fn accounts(&self) -> Vec<AccountId> {
        let mut ids: Vec<AccountId> = self
            .accounts
            .read()
            .map(|a| a.keys().cloned().collect())
            .unwrap_or_default();
        ids.sort();
        ids
    }

    pub fn entry(
        &self,
        account: &AccountId,
        kind: PrincipalType,
        name: &str,
    ) -> Option<Arc<Entry>> {
        self.entries
            .read()
            .ok()?
            .get(&(account.clone(), kind, name.to_owned()))
            .cloned()
    }

    /// The users or roles of an account, by name.
    pub fn entries(&self, account: &AccountId, kind: PrincipalType) -> Vec<Arc<Entry>> {
        let mut list: Vec<Arc<Entry>> = self
            .entries
            .read()
            .map(|e| {
                e.iter()
                    .filter(|((a, k, _), _)| a == account && *k == kind)
                    .map(|(_, v)| v.clone())
                    .collect()
            })
            .unwrap_or_default();
        list.sort_by(|a, b| a.record.name.cmp(&b.record.name));
        list
    }

    /// Whether a policy principal names something that exists: `None` when the ARN is not of
    /// an IAM user or role in an account hosted here (Trent cannot know).
    pub fn principal_exists(&self, arn: &str) -> Option<bool> {
        self.principal_id(arn).map(|id| id.is_some())
    }

    /// The unique id (`AIDA...`, `AROA...`) of the IAM user or role an ARN names, for the
    /// accounts Trent hosts: `Some(None)` if there is no such user or role now, `None` if the
    /// ARN is not one Trent can tell about (another account, the root, a wildcard).
    pub fn principal_id(&self, arn: &str) -> Option<Option<String>> {
        let rest = arn.strip_prefix("arn:aws:iam::")?;
        let (account, resource) = rest.split_once(':')?;
        let account = AccountId::parse(account)?;
        self.regions(&account)?;
        let (kind, name) = if let Some(n) = resource.strip_prefix("user/") {
            (PrincipalType::User, n)
        } else if let Some(n) = resource.strip_prefix("role/") {
            (PrincipalType::Role, n)
        } else {
            return None;
        };
        // Paths: the name is the last segment.
        let name = name.rsplit('/').next().unwrap_or(name);
        if name.contains('*') {
            return None;
        }
        Some(
            self.entry(&account, kind, name)
                .map(|e| e.record.id.clone()),
        )
    }

    /// Whether the user or role an ARN names is no longer the one bound to `id` (deleted, or
    /// deleted and re-created under a new unique id).
    pub fn no_longer(&self, arn: &str, id: &str) -> bool {
        self.principal_id(arn).flatten().as_deref() != Some(id)
    }

    /// The access keys of an account (of one user, or the root's when `user` is `None`).
    pub fn access_keys(&self, account: &AccountId, user: Option<&str>) -> Vec<(String, bool)> {
        let mut keys: Vec<(String, bool)> = self
            .credentials
            .read()
            .map(|c| {
                c.iter()
                    .filter(|(_, cred)| {
                        cred.expires.is_none()
                            && &cred.principal.account == account
                            && cred.principal.user_name() == user
                    })
                    .map(|(id, cred)| (id.clone(), cred.enabled))
                    .collect()
            })
            .unwrap_or_default();
        keys.sort();
        keys
    }
}

/// The credential of an issued role session.
pub fn session_credential(
    entry: &Entry,
    session: &SessionRecord,
    secret: Secret,
    token: Secret,
) -> Credential {
    Credential {
        secret: Arc::new(secret),
        principal: entry.session_principal(session),
        enabled: true,
        session_token: Some(Arc::new(token)),
        expires: Some(session.expires),
    }
}

fn implicit_user(account: &AccountId, name: &str) -> PrincipalRecord {
    PrincipalRecord {
        account: account.clone(),
        kind: PrincipalType::User,
        name: name.to_owned(),
        id: format!("AIDA{}", name.to_ascii_uppercase()),
        tags: Vec::new(),
        policies: BTreeMap::new(),
        trust_policy: None,
        max_session_seconds: 3600,
        created: UnixMillis(0),
    }
}
