//! The KMS actions of IAM policies, each with what AWS documents of it: whether a principal
//! of another account may be allowed it on a key ("cross-account use"), and the request-rate
//! quota it counts against (`docs/research/aws-quotas.md`). The one table of these facts.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The request-rate quota an action counts against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rate {
    /// The shared cryptographic quota of its key's type, once the key is known.
    Cryptographic,
    /// The shared symmetric cryptographic quota, without a key (GenerateRandom).
    Symmetric,
    /// Its own quota: AWS's default requests per second.
    Own(u32),
    /// Counted elsewhere: ReEncryptTo with ReEncryptFrom (one request, counted once), the
    /// data key pair operations by their key pair spec.
    Elsewhere,
}

/// One action and its facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActionSpec {
    /// `kms:Encrypt`.
    pub name: &'static str,
    pub cross_account: bool,
    pub rate: Rate,
}

const fn action(name: &'static str, cross_account: bool, rate: Rate) -> ActionSpec {
    ActionSpec {
        name,
        cross_account,
        rate,
    }
}

/// Every KMS action Trent authorizes, by name.
pub const ACTIONS: &[ActionSpec] = &[
    action("kms:CancelKeyDeletion", false, Rate::Own(5)),
    action("kms:ConnectCustomKeyStore", false, Rate::Own(5)),
    action("kms:CreateCustomKeyStore", false, Rate::Own(5)),
    action("kms:DeleteCustomKeyStore", false, Rate::Own(5)),
    action("kms:DescribeCustomKeyStores", false, Rate::Own(5)),
    action("kms:DisconnectCustomKeyStore", false, Rate::Own(5)),
    action("kms:UpdateCustomKeyStore", false, Rate::Own(5)),
    action("kms:CreateAlias", false, Rate::Own(5)),
    action("kms:CreateGrant", true, Rate::Own(50)),
    action("kms:CreateKey", false, Rate::Own(5)),
    action("kms:Decapsulate", true, Rate::Cryptographic),
    action("kms:Decrypt", true, Rate::Cryptographic),
    action("kms:DeleteAlias", false, Rate::Own(15)),
    action("kms:DeleteImportedKeyMaterial", false, Rate::Own(15)),
    action("kms:DeriveSharedSecret", true, Rate::Cryptographic),
    action("kms:DescribeKey", true, Rate::Own(2000)),
    action("kms:DisableKey", false, Rate::Own(5)),
    action("kms:DisableKeyRotation", false, Rate::Own(5)),
    action("kms:EnableKey", false, Rate::Own(5)),
    action("kms:EnableKeyRotation", false, Rate::Own(15)),
    action("kms:Encapsulate", true, Rate::Cryptographic),
    action("kms:Encrypt", true, Rate::Cryptographic),
    action("kms:GenerateDataKey", true, Rate::Cryptographic),
    action("kms:GenerateDataKeyPair", true, Rate::Elsewhere),
    action(
        "kms:GenerateDataKeyPairWithoutPlaintext",
        true,
        Rate::Elsewhere,
    ),
    action(
        "kms:GenerateDataKeyWithoutPlaintext",
        true,
        Rate::Cryptographic,
    ),
    action("kms:GenerateMac", true, Rate::Cryptographic),
    action("kms:GenerateRandom", false, Rate::Symmetric),
    action("kms:GetKeyLastUsage", false, Rate::Own(5)),
    action("kms:GetKeyPolicy", false, Rate::Own(1000)),
    action("kms:GetKeyRotationStatus", true, Rate::Own(1000)),
    action("kms:GetParametersForImport", false, Rate::Own(1)),
    action("kms:GetPublicKey", true, Rate::Own(2000)),
    action("kms:ImportKeyMaterial", false, Rate::Own(15)),
    action("kms:ListAliases", false, Rate::Own(500)),
    action("kms:ListGrants", true, Rate::Own(100)),
    action("kms:ListKeyPolicies", false, Rate::Own(100)),
    action("kms:ListKeyRotations", false, Rate::Own(100)),
    action("kms:ListKeys", false, Rate::Own(500)),
    action("kms:ListResourceTags", false, Rate::Own(2000)),
    action("kms:ListRetirableGrants", false, Rate::Own(100)),
    action("kms:PutKeyPolicy", false, Rate::Own(15)),
    action("kms:ReEncryptFrom", true, Rate::Cryptographic),
    action("kms:ReEncryptTo", true, Rate::Elsewhere),
    action("kms:ReplicateKey", false, Rate::Own(5)),
    action("kms:RetireGrant", true, Rate::Own(50)),
    action("kms:RevokeGrant", true, Rate::Own(50)),
    action("kms:RotateKeyOnDemand", false, Rate::Own(5)),
    action("kms:ScheduleKeyDeletion", false, Rate::Own(15)),
    action("kms:Sign", true, Rate::Cryptographic),
    action("kms:TagResource", false, Rate::Own(10)),
    action("kms:UntagResource", false, Rate::Own(5)),
    action("kms:UpdateAlias", false, Rate::Own(5)),
    action("kms:UpdateKeyDescription", false, Rate::Own(5)),
    action("kms:UpdatePrimaryRegion", false, Rate::Own(5)),
    action("kms:Verify", true, Rate::Cryptographic),
    action("kms:VerifyMac", true, Rate::Cryptographic),
];

static BY_NAME: LazyLock<HashMap<&'static str, &'static ActionSpec>> =
    LazyLock::new(|| ACTIONS.iter().map(|a| (a.name, a)).collect());

/// The facts of an action (`kms:Encrypt`), if it is one of the table's.
pub fn spec(action: &str) -> Option<&'static ActionSpec> {
    BY_NAME.get(action).copied()
}

/// The facts of the action an operation asks for (`Encrypt` → `kms:Encrypt`).
pub fn of_operation(operation: &str) -> Option<&'static ActionSpec> {
    ACTIONS
        .iter()
        .find(|a| a.name.strip_prefix("kms:") == Some(operation))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_once_and_every_cryptographic_one_usable_across_accounts() {
        for (i, a) in ACTIONS.iter().enumerate() {
            assert!(a.name.starts_with("kms:"), "{}", a.name);
            assert!(
                ACTIONS.iter().skip(i + 1).all(|b| b.name != a.name),
                "{} twice",
                a.name
            );
            if a.rate == Rate::Cryptographic {
                assert!(a.cross_account, "{}", a.name);
            }
        }
        assert_eq!(spec("kms:CreateKey").map(|a| a.rate), Some(Rate::Own(5)));
        assert_eq!(of_operation("Encrypt").map(|a| a.name), Some("kms:Encrypt"));
        assert!(!spec("kms:PutKeyPolicy").is_some_and(|a| a.cross_account));
        assert_eq!(spec("kms:Nothing"), None);
    }
}
