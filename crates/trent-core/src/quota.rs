//! Request-rate quotas: a token bucket per account and quota class (the shared cryptographic
//! classes, or one operation), refilled continuously at the class's rate with one second of
//! burst, answering `ThrottlingException` when empty; and the resource quotas.
//!
//! The rates are AWS's published ones (`docs/research/aws-quotas.md`); all are configurable.
//! Request-rate quotas are off unless asked for (test suites call faster than AWS's
//! management quotas allow); resource quotas are always on.

use crate::actions::Rate;
use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::model::{AccountId, KeyFamily, KeyRecord, Region, UnixMillis};

/// AWS's quota of customer managed keys per account and region.
pub const MAX_KEYS_PER_SCOPE: usize = 100_000;
/// AWS's quota of aliases per KMS key.
pub const MAX_ALIASES_PER_KEY: usize = 50;

/// What a request counts against.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum QuotaClass {
    /// Cryptographic operations with symmetric or HMAC keys, and GenerateRandom.
    Symmetric,
    /// Cryptographic operations with RSA keys.
    Rsa,
    /// Cryptographic operations with elliptic-curve keys (ECDSA, ECDH, Ed25519).
    Ecc,
    /// Cryptographic operations with ML-DSA or ML-KEM keys.
    PostQuantum,
    /// GenerateDataKeyPair(WithoutPlaintext) for one key pair spec.
    DataKeyPair(String),
    /// A management operation's own quota, by API name.
    Operation(String),
}

impl QuotaClass {
    /// The name used in the config file.
    pub fn name(&self) -> &str {
        match self {
            QuotaClass::Symmetric => "symmetric",
            QuotaClass::Rsa => "rsa",
            QuotaClass::Ecc => "ecc",
            QuotaClass::PostQuantum => "post_quantum",
            QuotaClass::DataKeyPair(spec) | QuotaClass::Operation(spec) => spec,
        }
    }
}

/// The class of a cryptographic action on a key; `None` for other actions (counted by their
/// operation), for ReEncrypt's second key (one request, counted once) and for
/// GenerateDataKeyPair (counted by its key pair spec).
pub fn crypto_class(action: &str, key: &KeyRecord) -> Option<QuotaClass> {
    if crate::actions::spec(action).map(|a| a.rate) != Some(Rate::Cryptographic) {
        return None;
    }
    Some(match key.spec.family() {
        KeyFamily::Symmetric | KeyFamily::Hmac => QuotaClass::Symmetric,
        KeyFamily::Rsa => QuotaClass::Rsa,
        KeyFamily::Ecc | KeyFamily::Ed25519 | KeyFamily::Sm2 => QuotaClass::Ecc,
        KeyFamily::MlDsa | KeyFamily::MlKem => QuotaClass::PostQuantum,
    })
}

/// The quota a request of `operation` counts against before its key is known: a management
/// operation's own, and the symmetric one for GenerateRandom. Cryptographic operations count
/// against their key type's once the key is known ([`crypto_class`]).
pub fn operation_class(operation: &str) -> Option<QuotaClass> {
    match crate::actions::of_operation(operation)?.rate {
        Rate::Symmetric => Some(QuotaClass::Symmetric),
        Rate::Own(_) => Some(QuotaClass::Operation(operation.to_owned())),
        Rate::Cryptographic | Rate::Elsewhere => None,
    }
}

/// Management operations and AWS's default requests per second for each: the actions of
/// [`crate::actions::ACTIONS`] with a quota of their own.
pub fn operation_defaults() -> impl Iterator<Item = (&'static str, u32)> {
    crate::actions::ACTIONS.iter().filter_map(|a| match a.rate {
        Rate::Own(rate) => Some((a.name.strip_prefix("kms:").unwrap_or(a.name), rate)),
        _ => None,
    })
}

/// GenerateDataKeyPair(WithoutPlaintext) quotas by key pair spec, outside the shared ones.
pub const DATA_KEY_PAIR_DEFAULTS: &[(&str, u32)] = &[
    ("RSA_2048", 20),
    ("RSA_3072", 4),
    ("RSA_4096", 1),
    ("ECC_NIST_P256", 100),
    ("ECC_NIST_P384", 100),
    ("ECC_NIST_P521", 100),
    ("ECC_SECG_P256K1", 100),
    ("ECC_NIST_EDWARDS25519", 100),
];

/// AWS's shared symmetric quota in a Region: 100,000 in its three largest, 20,000 in six
/// more, 10,000 elsewhere.
pub fn symmetric_default(region: &str) -> u32 {
    match region {
        "us-east-1" | "us-west-2" | "eu-west-1" => 100_000,
        "us-east-2" | "ap-southeast-1" | "ap-southeast-2" | "ap-northeast-1" | "eu-central-1"
        | "eu-west-2" => 20_000,
        _ => 10_000,
    }
}

/// Requests per second per account for each class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimits {
    pub enabled: bool,
    pub rates: HashMap<QuotaClass, u32>,
    /// Resource quota: KMS keys per account and region.
    pub keys_per_region: usize,
    /// Resource quota: aliases per KMS key.
    pub aliases_per_key: usize,
}

impl Default for RateLimits {
    /// AWS's rates, switched off: no request-rate limits until `enabled` is set; resource
    /// quotas stay.
    fn default() -> RateLimits {
        RateLimits {
            enabled: false,
            ..RateLimits::aws()
        }
    }
}

impl RateLimits {
    /// AWS's request-rate quotas, switched on; the symmetric quota follows the Region
    /// ([`symmetric_default`]) unless set.
    pub fn aws() -> RateLimits {
        let mut rates = HashMap::new();
        rates.insert(QuotaClass::Rsa, 1000);
        rates.insert(QuotaClass::Ecc, 1000);
        rates.insert(QuotaClass::PostQuantum, 1000);
        for (op, rate) in operation_defaults() {
            rates.insert(QuotaClass::Operation(op.to_owned()), rate);
        }
        for (spec, rate) in DATA_KEY_PAIR_DEFAULTS {
            rates.insert(QuotaClass::DataKeyPair((*spec).to_owned()), *rate);
        }
        RateLimits {
            enabled: true,
            rates,
            keys_per_region: MAX_KEYS_PER_SCOPE,
            aliases_per_key: MAX_ALIASES_PER_KEY,
        }
    }

    /// No request-rate limits (the default); resource quotas stay.
    pub fn off() -> RateLimits {
        RateLimits::default()
    }

    /// Sets a class's rate by its config name (`symmetric`, `rsa`, `ecc`, `post_quantum`, an
    /// operation such as `CreateKey`, or a key pair spec such as `RSA_2048` for
    /// GenerateDataKeyPair); `false` for a name that is none of these.
    pub fn set(&mut self, name: &str, rate: u32) -> bool {
        let class = match name {
            "symmetric" => QuotaClass::Symmetric,
            "rsa" => QuotaClass::Rsa,
            "ecc" => QuotaClass::Ecc,
            "post_quantum" => QuotaClass::PostQuantum,
            op if operation_defaults().any(|(o, _)| o == op) => {
                QuotaClass::Operation(op.to_owned())
            }
            spec if DATA_KEY_PAIR_DEFAULTS.iter().any(|(s, _)| *s == spec) => {
                QuotaClass::DataKeyPair(spec.to_owned())
            }
            _ => return false,
        };
        self.rates.insert(class, rate);
        true
    }
}

/// A bucket's level in thousandths of a request, and when it was last refilled.
#[derive(Debug)]
struct Bucket {
    milli_tokens: i64,
    at: UnixMillis,
}

/// The token buckets of every account and class.
#[derive(Debug)]
pub struct Limiter {
    limits: RateLimits,
    buckets: Mutex<HashMap<(AccountId, Region, QuotaClass), Bucket>>,
}

impl Limiter {
    pub fn new(limits: RateLimits) -> Limiter {
        Limiter {
            limits,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    /// Takes one request from the bucket of `(account, region, class)`;
    /// `ThrottlingException` when it is empty.
    pub fn take(
        &self,
        account: &AccountId,
        region: &Region,
        class: &QuotaClass,
        now: UnixMillis,
    ) -> Result<()> {
        if !self.limits.enabled {
            return Ok(());
        }
        let rate = match (self.limits.rates.get(class), class) {
            (Some(&rate), _) => rate,
            (None, QuotaClass::Symmetric) => symmetric_default(region.as_str()),
            (None, _) => return Ok(()),
        };
        // One second of burst: the bucket holds `rate` requests.
        let capacity = i64::from(rate).saturating_mul(1000);
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        let bucket = buckets
            .entry((account.clone(), region.clone(), class.clone()))
            .or_insert(Bucket {
                milli_tokens: capacity,
                at: now,
            });
        // `rate` requests a second is `rate` thousandths of a request a millisecond.
        let elapsed = now.0.saturating_sub(bucket.at.0).max(0);
        bucket.milli_tokens = bucket
            .milli_tokens
            .saturating_add(elapsed.saturating_mul(i64::from(rate)))
            .min(capacity);
        bucket.at = now;
        if bucket.milli_tokens < 1000 {
            return Err(Error::Throttling);
        }
        bucket.milli_tokens -= 1000;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_refill_at_their_rate() {
        let mut limits = RateLimits::aws();
        assert!(limits.set("CreateKey", 2));
        assert!(limits.set("RSA_2048", 3));
        assert!(!limits.set("Bogus", 1));
        let limiter = Limiter::new(limits);
        let a = AccountId::parse("111122223333").unwrap_or_else(|| unreachable!());
        let b = AccountId::parse("444455556666").unwrap_or_else(|| unreachable!());
        let east = Region::parse("us-east-1").unwrap_or_else(|| unreachable!());
        let west = Region::parse("eu-west-3").unwrap_or_else(|| unreachable!());
        let class = QuotaClass::Operation("CreateKey".into());
        let t = UnixMillis(1_000_000);
        assert!(limiter.take(&a, &east, &class, t).is_ok());
        assert!(limiter.take(&a, &east, &class, t).is_ok());
        assert!(matches!(
            limiter.take(&a, &east, &class, t),
            Err(Error::Throttling)
        ));
        // Another account, or another Region, has its own bucket.
        assert!(limiter.take(&b, &east, &class, t).is_ok());
        assert!(limiter.take(&a, &west, &class, t).is_ok());
        // Half a second refills one request at 2/s.
        assert!(
            limiter
                .take(&a, &east, &class, UnixMillis(t.0 + 499))
                .is_err()
        );
        assert!(
            limiter
                .take(&a, &east, &class, UnixMillis(t.0 + 1000))
                .is_ok()
        );
        // Switched off (the default), nothing is limited.
        assert!(!RateLimits::default().enabled);
        let off = Limiter::new(RateLimits::default());
        for _ in 0..10 {
            assert!(off.take(&a, &east, &class, t).is_ok());
        }
        assert_eq!(symmetric_default("us-east-1"), 100_000);
        assert_eq!(symmetric_default("eu-central-1"), 20_000);
        assert_eq!(symmetric_default("sa-east-1"), 10_000);
    }
}
