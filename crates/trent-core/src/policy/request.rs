//! The condition keys of a request: the global `aws:` keys from the caller and the connection,
//! the key's own `kms:` keys and tags, and the facts each operation adds (algorithms,
//! encryption context, grant parameters).

use crate::key::CachedKey;
use crate::model::{EncryptionContext, PrincipalKind, RequestContext, UnixMillis};

use super::condition::Context;

/// What an operation adds to its request's condition keys.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// `(lower-case key, value)`; a key given several times is multi-valued.
    pub values: Vec<(String, String)>,
    /// The request's encryption context, for `kms:EncryptionContext:*` and grant constraints.
    pub encryption_context: Option<EncryptionContext>,
}

impl Facts {
    pub fn new() -> Facts {
        Facts::default()
    }

    /// Adds a value of a condition key (its name in any case).
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Facts {
        self.values.push((key.to_ascii_lowercase(), value.into()));
        self
    }

    /// Adds a value if there is one.
    pub fn with_opt(self, key: &str, value: Option<impl Into<String>>) -> Facts {
        match value {
            Some(v) => self.with(key, v),
            None => self,
        }
    }

    pub fn with_context(mut self, context: &EncryptionContext) -> Facts {
        self.encryption_context = Some(context.clone());
        self
    }

    /// `aws:RequestTag/<k>` and `aws:TagKeys` for tags a request sets.
    pub fn with_request_tags<'a>(
        mut self,
        tags: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Facts {
        for (k, v) in tags {
            self = self
                .with(&format!("aws:requesttag/{k}"), v)
                .with("aws:tagkeys", k);
        }
        self
    }

    fn get(&self, key: &str) -> Option<Vec<String>> {
        let values: Vec<String> = self
            .values
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect();
        (!values.is_empty()).then_some(values)
    }
}

/// The condition context of one request against one key (or none, for IAM and STS actions).
#[derive(Debug)]
pub struct Conditions<'a> {
    pub ctx: &'a RequestContext,
    pub now: UnixMillis,
    pub key: Option<&'a CachedKey>,
    pub facts: &'a Facts,
}

/// ISO 8601 in UTC with seconds, as `aws:CurrentTime`.
pub fn iso8601(t: UnixMillis) -> String {
    let secs = t.0.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn one(v: impl Into<String>) -> Option<Vec<String>> {
    Some(vec![v.into()])
}

impl Context for Conditions<'_> {
    fn values(&self, key: &str) -> Option<Vec<String>> {
        let p = &self.ctx.principal;
        if let Some(found) = self.facts.get(key) {
            return Some(found);
        }
        if let Some(tag) = key.strip_prefix("aws:principaltag/") {
            return p.tag(tag).map(|v| vec![v.to_owned()]);
        }
        // Every entry whose name matches (they may differ in case): the evaluator refuses a
        // statement's decision on such a key when there are several.
        if let Some(tag) = key.strip_prefix("aws:resourcetag/") {
            let k = self.key?;
            let found: Vec<String> = k
                .tags
                .iter()
                .filter(|t| t.key.eq_ignore_ascii_case(tag))
                .map(|t| t.value.clone())
                .collect();
            return (!found.is_empty()).then_some(found);
        }
        if let Some(name) = key.strip_prefix("kms:encryptioncontext:") {
            let ec = self.facts.encryption_context.as_ref()?;
            let found: Vec<String> =
                ec.0.iter()
                    .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone())
                    .collect();
            return (!found.is_empty()).then_some(found);
        }
        match key {
            // For a role session, the role's ARN, as at AWS.
            "aws:principalarn" => one(p.role_arn().unwrap_or_else(|| p.arn.clone())),
            "aws:principalaccount" | "kms:calleraccount" => one(p.account.as_str()),
            "aws:principaltype" => one(match p.kind {
                PrincipalKind::Root => "Account",
                PrincipalKind::User { .. } => "User",
                PrincipalKind::AssumedRole { .. } => "AssumedRole",
            }),
            "aws:username" => p.user_name().map(|n| vec![n.to_owned()]),
            "aws:userid" => one(p.user_id.clone()),
            "aws:sourceip" => self.ctx.source_ip.map(|ip| vec![ip.to_string()]),
            "aws:currenttime" => one(iso8601(self.now)),
            "aws:epochtime" => one(self.now.0.div_euclid(1000).to_string()),
            "aws:securetransport" => one(self.ctx.secure_transport.to_string()),
            "aws:requestedregion" => one(self.ctx.region.as_str()),
            "aws:principalisawsservice" | "kms:grantisforawsresource" => one("false"),
            "kms:encryptioncontextkeys" => {
                let ec = self.facts.encryption_context.as_ref()?;
                (!ec.0.is_empty()).then(|| ec.0.keys().cloned().collect())
            }
            _ => {
                let k = self.key?;
                let r = &k.record;
                match key {
                    "kms:keyspec" | "kms:customermasterkeyspec" => one(r.spec.as_str()),
                    "kms:keyusage" | "kms:customermasterkeyusage" => one(r.usage.as_str()),
                    "kms:keyorigin" => one(r.origin.as_str()),
                    "kms:keymanager" => one(r.manager.as_str()),
                    "kms:multiregion" => one(r.multi_region.to_string()),
                    "kms:multiregionkeytype" if r.multi_region => {
                        one(if r.is_primary() { "PRIMARY" } else { "REPLICA" })
                    }
                    "kms:resourcealiases" => (!k.aliases.is_empty()).then(|| k.aliases.clone()),
                    _ => None,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccountId, Principal, Region};

    fn session() -> RequestContext {
        let mut p =
            Principal::root(AccountId::parse("111122223333").unwrap_or_else(|| unreachable!()));
        p.arn = "arn:aws:sts::111122223333:assumed-role/Ops/s1".into();
        p.kind = PrincipalKind::AssumedRole {
            role_name: "Ops".into(),
            session_name: "s1".into(),
        };
        p.user_id = "AROAOPS:s1".into();
        p.tags.insert("Team".into(), "blue".into());
        let mut ctx = RequestContext::new(
            p,
            Region::parse("eu-west-1").unwrap_or_else(|| unreachable!()),
            "r",
        );
        ctx.source_ip = "192.0.2.1".parse().ok();
        ctx
    }

    #[test]
    fn global_and_request_keys() {
        let ctx = session();
        let mut ec = EncryptionContext::default();
        ec.0.insert("Purpose".into(), "backup".into());
        let facts = Facts::new()
            .with("kms:SigningAlgorithm", "ECDSA_SHA_256")
            .with("kms:GrantOperations", "Encrypt")
            .with("kms:GrantOperations", "Decrypt")
            .with_context(&ec)
            .with_request_tags([("env", "prod")]);
        let c = Conditions {
            ctx: &ctx,
            now: UnixMillis(1_700_000_000_000),
            key: None,
            facts: &facts,
        };
        let v = |k: &str| c.values(k);
        let one = |s: &str| Some(vec![s.to_owned()]);
        // A role session's aws:PrincipalArn is its role's ARN, as at AWS.
        assert_eq!(
            v("aws:principalarn"),
            one("arn:aws:iam::111122223333:role/Ops")
        );
        assert_eq!(v("aws:principaltype"), one("AssumedRole"));
        assert_eq!(v("aws:userid"), one("AROAOPS:s1"));
        assert_eq!(v("aws:username"), None);
        assert_eq!(v("aws:principaltag/team"), one("blue"));
        assert_eq!(v("aws:sourceip"), one("192.0.2.1"));
        assert_eq!(v("aws:currenttime"), one("2023-11-14T22:13:20Z"));
        assert_eq!(v("aws:epochtime"), one("1700000000"));
        assert_eq!(v("aws:securetransport"), one("false"));
        assert_eq!(v("aws:requestedregion"), one("eu-west-1"));
        assert_eq!(v("kms:calleraccount"), one("111122223333"));
        assert_eq!(v("kms:signingalgorithm"), one("ECDSA_SHA_256"));
        assert_eq!(
            v("kms:grantoperations"),
            Some(vec!["Encrypt".to_owned(), "Decrypt".to_owned()])
        );
        assert_eq!(v("kms:encryptioncontext:purpose"), one("backup"));
        assert_eq!(v("kms:encryptioncontextkeys"), one("Purpose"));
        assert_eq!(v("aws:requesttag/env"), one("prod"));
        assert_eq!(v("aws:tagkeys"), one("env"));
        assert_eq!(v("kms:grantisforawsresource"), one("false"));
        // Keys of the KMS key are absent without one, and kms:ViaService never occurs.
        assert_eq!(v("kms:keyspec"), None);
        assert_eq!(v("kms:viaservice"), None);
    }

    #[test]
    fn iso8601_renders_utc() {
        assert_eq!(iso8601(UnixMillis(0)), "1970-01-01T00:00:00Z");
        assert_eq!(
            iso8601(UnixMillis(1_700_000_000_000)),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(iso8601(UnixMillis(951_825_600_000)), "2000-02-29T12:00:00Z");
    }
}
