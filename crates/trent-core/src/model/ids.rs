//! Identifiers: account ids, regions, key ids, ARNs, alias names, key references, material ids.

use std::fmt;

use crate::error::{Constraint, Error};

/// A twelve-digit AWS account id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId(String);

impl AccountId {
    /// Parses a twelve-digit account id.
    pub fn parse(value: &str) -> Option<AccountId> {
        (value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()))
            .then(|| AccountId(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A region name such as `us-east-1`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Region(String);

impl Region {
    /// Parses a region name: lower-case letters, digits and dashes, as AWS spells them.
    pub fn parse(value: &str) -> Option<Region> {
        let ok = !value.is_empty()
            && value.len() <= 64
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !value.starts_with('-');
        ok.then(|| Region(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A key id: a UUID (`1234abcd-12ab-34cd-56ef-1234567890ab`), or `mrk-` and 32 hex digits for
/// multi-Region keys.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(String);

impl KeyId {
    /// Parses a key id in either of AWS's two forms (lower-case, as AWS issues them).
    pub fn parse(value: &str) -> Option<KeyId> {
        let hex = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        let uuid = value.len() == 36
            && value.split('-').map(str::len).eq([8, 4, 4, 4, 12])
            && value.split('-').all(hex);
        let mrk = value
            .strip_prefix("mrk-")
            .is_some_and(|rest| rest.len() == 32 && hex(rest));
        (uuid || mrk).then(|| KeyId(value.to_owned()))
    }

    /// A new random single-Region key id.
    pub fn random() -> KeyId {
        KeyId(uuid::Uuid::new_v4().hyphenated().to_string())
    }

    /// A new multi-Region key id: `mrk-` and 32 hex digits.
    pub fn random_multi_region() -> KeyId {
        KeyId(format!("mrk-{}", uuid::Uuid::new_v4().simple()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `arn:aws:kms:<region>:<account>:key/<id>`.
    pub fn arn(&self, scope: &super::Scope) -> String {
        format!(
            "arn:aws:kms:{}:{}:key/{}",
            scope.region, scope.account, self.0
        )
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An alias name: `alias/` and then letters, digits, `/`, `_`, `-` and `:`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AliasName(String);

impl AliasName {
    /// The prefix of every alias.
    pub const PREFIX: &'static str = "alias/";
    /// The prefix reserved for AWS managed keys.
    pub const AWS_PREFIX: &'static str = "alias/aws/";
    /// The model's pattern of `AliasName`, as AWS quotes it.
    pub const PATTERN: &'static str = "^[a-zA-Z0-9:/_-]+$";

    /// Parses an alias name under AWS's rules.
    pub fn parse(value: &str) -> Result<AliasName, Error> {
        if !value.starts_with(Self::PREFIX) {
            return Err(Error::Validation {
                message: "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html".to_owned(),
            });
        }
        let valid = value.len() > Self::PREFIX.len()
            && value.len() <= 256
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'/' | b'_' | b'-'));
        if !valid {
            return Err(Error::invalid_parameter(
                "aliasName",
                Some(value.to_owned()),
                Constraint::Pattern(Self::PATTERN),
            ));
        }
        Ok(AliasName(value.to_owned()))
    }

    /// Whether the name is reserved for AWS managed keys (`alias/aws/...`).
    pub fn is_reserved(&self) -> bool {
        self.0.starts_with(Self::AWS_PREFIX)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `arn:aws:kms:<region>:<account>:alias/<name>`.
    pub fn arn(&self, scope: &super::Scope) -> String {
        format!("arn:aws:kms:{}:{}:{}", scope.region, scope.account, self.0)
    }
}

impl fmt::Display for AliasName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a request names a key: key id, key ARN, alias name or alias ARN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyRef {
    Id(KeyId),
    Arn {
        scope: super::Scope,
        id: KeyId,
    },
    Alias(AliasName),
    AliasArn {
        scope: super::Scope,
        name: AliasName,
    },
}

impl KeyRef {
    /// Parses a `KeyId` request member.
    ///
    /// A malformed reference is `NotFoundException` (`Invalid keyId '...'`), as at AWS.
    pub fn parse(value: &str) -> Result<KeyRef, Error> {
        let invalid = || Error::InvalidKeyId {
            value: value.to_owned(),
        };
        if let Some(rest) = value.strip_prefix("arn:") {
            // arn:<partition>:kms:<region>:<account>:<resource>
            let mut parts = rest.splitn(5, ':');
            let (Some(partition), Some(service), Some(region), Some(account), Some(resource)) = (
                parts.next(),
                parts.next(),
                parts.next(),
                parts.next(),
                parts.next(),
            ) else {
                return Err(Error::InvalidArn {
                    value: value.to_owned(),
                });
            };
            let scope = match (
                partition.starts_with("aws"),
                service == "kms",
                Region::parse(region),
                AccountId::parse(account),
            ) {
                (true, true, Some(region), Some(account)) => super::Scope { account, region },
                _ => {
                    return Err(Error::InvalidArn {
                        value: value.to_owned(),
                    });
                }
            };
            if let Some(id) = resource.strip_prefix("key/") {
                let id = KeyId::parse(id).ok_or_else(invalid)?;
                return Ok(KeyRef::Arn { scope, id });
            }
            if resource.starts_with(AliasName::PREFIX) {
                let name = AliasName::parse(resource).map_err(|_| invalid())?;
                return Ok(KeyRef::AliasArn { scope, name });
            }
            return Err(Error::InvalidArn {
                value: value.to_owned(),
            });
        }
        if value.starts_with(AliasName::PREFIX) {
            return AliasName::parse(value)
                .map(KeyRef::Alias)
                .map_err(|_| invalid());
        }
        KeyId::parse(value).map(KeyRef::Id).ok_or_else(invalid)
    }
}

/// The id of one version of a key's material: 32 bytes, shown as 64 lower-case hex digits as
/// AWS shows `KeyMaterialId`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MaterialId(pub [u8; 32]);

impl MaterialId {
    pub const LEN: usize = 32;

    pub fn to_hex(&self) -> String {
        let mut out = String::with_capacity(64);
        for b in self.0 {
            out.push_str(&format!("{b:02x}"));
        }
        out
    }
}

impl fmt::Debug for MaterialId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MaterialId({})", self.to_hex())
    }
}

impl fmt::Display for MaterialId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// The services with AWS managed keys, as their aliases name them (`alias/aws/<service>`).
pub const AWS_MANAGED_SERVICES: &[(&str, &str)] = &[
    ("acm", "acm"),
    ("backup", "backup"),
    ("codeartifact", "codeartifact"),
    ("codecommit", "codecommit"),
    ("dynamodb", "dynamodb"),
    ("ebs", "ec2"),
    ("ecr", "ecr"),
    ("elasticfilesystem", "elasticfilesystem"),
    ("es", "es"),
    ("glue", "glue"),
    ("kinesis", "kinesis"),
    ("kinesisvideo", "kinesisvideo"),
    ("lambda", "lambda"),
    ("lightsail", "lightsail"),
    ("rds", "rds"),
    ("redshift", "redshift"),
    ("s3", "s3"),
    ("secretsmanager", "secretsmanager"),
    ("sns", "sns"),
    ("sqs", "sqs"),
    ("ssm", "ssm"),
    ("xray", "xray"),
];

impl AliasName {
    /// The service an AWS managed alias (`alias/aws/<service>`) names, and the service's
    /// endpoint prefix (for `kms:ViaService`).
    pub fn aws_managed_service(&self) -> Option<(&'static str, &'static str)> {
        let service = self.as_str().strip_prefix("alias/aws/")?;
        AWS_MANAGED_SERVICES
            .iter()
            .find(|(s, _)| *s == service)
            .copied()
    }
}
