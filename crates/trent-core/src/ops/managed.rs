//! AWS managed keys: the key behind `alias/aws/<service>`, created the first time the alias is
//! used, with KeyManager `AWS`, AWS's managed-key policy (use only through the service, key
//! metadata for the account), and yearly rotation that cannot be turned off.
//!
//! Nothing in their policy lets anyone change, disable, tag or delete them, so those requests
//! are denied by ordinary policy evaluation, as at AWS.

use crate::error::{Error, Result};
use crate::kms::Kms;
use crate::model::{
    AliasName, AliasRecord, KeyId, KeyManager, KeyRecord, KeySpec, KeyState, KeyUsage, Origin,
    Rotation, Scope,
};
use crate::ops::rotation::DEFAULT_ROTATION_DAYS;
use crate::store::StoreError;

/// AWS's key policy for an AWS managed key.
pub fn managed_key_policy(scope: &Scope, service: &str, endpoint: &str) -> String {
    let (account, region) = (scope.account.as_str(), scope.region.as_str());
    format!(
        r#"{{
  "Version" : "2012-10-17",
  "Id" : "auto-{service}-1",
  "Statement" : [ {{
    "Sid" : "Allow access through {service} for all principals in the account that are authorized to use {service}",
    "Effect" : "Allow",
    "Principal" : {{
      "AWS" : "*"
    }},
    "Action" : [ "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey" ],
    "Resource" : "*",
    "Condition" : {{
      "StringEquals" : {{
        "kms:CallerAccount" : "{account}",
        "kms:ViaService" : "{endpoint}.{region}.amazonaws.com"
      }}
    }}
  }}, {{
    "Sid" : "Allow direct access to key metadata to the account",
    "Effect" : "Allow",
    "Principal" : {{
      "AWS" : "arn:aws:iam::{account}:root"
    }},
    "Action" : [ "kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant" ],
    "Resource" : "*"
  }} ]
}}"#
    )
}

impl Kms {
    /// Creates the AWS managed key of `alias` in `scope` (and the alias), or finds the one a
    /// concurrent request made first; returns its key id.
    pub(crate) async fn managed_key(
        &self,
        scope: &Scope,
        alias: &AliasName,
        service: &str,
        endpoint: &str,
    ) -> Result<KeyId> {
        let now = self.clock.now();
        let material = self.backend.generate_symmetric_material()?;
        let record = KeyRecord {
            scope: scope.clone(),
            id: KeyId::random(),
            created: now,
            description: format!(
                "Default key that protects my {service} data when no other key is defined"
            ),
            spec: KeySpec::SymmetricDefault,
            usage: KeyUsage::EncryptDecrypt,
            origin: Origin::AwsKms,
            manager: KeyManager::Aws,
            state: KeyState::Enabled,
            deletion_date: None,
            pending_window_days: None,
            current_material: self.backend.material_id(&material),
            multi_region: false,
            policy: managed_key_policy(scope, service, endpoint),
            public_key: None,
            version: 0,
            rotation: Rotation {
                period_days: Some(DEFAULT_ROTATION_DAYS),
                next: Some(now.plus_days(DEFAULT_ROTATION_DAYS)),
                ..Rotation::default()
            },
            valid_to: None,
            expiration_model: None,
            primary_region: None,
            policy_principals: Default::default(),
            custom_key_store: None,
            xks_key_id: None,
        };
        // Held until the sealed value is written: a root-key rotation waits for it.
        let _sealing = self.sealing.read().await;
        let sealed =
            self.seal_material(&record.arn(), record.current_material, &material, now, None)?;
        let alias_record = AliasRecord {
            scope: scope.clone(),
            name: alias.clone(),
            target: record.id.clone(),
            created: now,
            updated: now,
        };
        match self
            .store
            .create_key(&record, std::slice::from_ref(&sealed), &[], &[alias_record])
            .await
        {
            Ok(()) => Ok(record.id),
            // Another request created it first: use that one.
            Err(StoreError::Conflict { .. }) => self
                .store
                .alias(scope, alias)
                .await?
                .map(|a| a.target)
                .ok_or_else(|| Error::AliasNotFound {
                    alias_arn: alias.arn(scope),
                }),
            Err(e) => Err(e.into()),
        }
    }
}
