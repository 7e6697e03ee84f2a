//! Quotas through `aws-sdk-kms`: request-rate quotas (off by default; on with `[quotas]
//! enabled = true` or `--aws-quotas`) per account and class answering `ThrottlingException`,
//! refilled with the injected clock; resource quotas, always on, answering
//! `LimitExceededException`.

use std::time::Duration;

use aws_sdk_kms::primitives::Blob;

use crate::builders::created;
use crate::harness::{Harness, error_of};

const CONFIG: &str = r#"
[[accounts]]
id = "111122223333"
[[accounts.access_keys]]
id = "AKIAQUOTAS0000000001"
secret = "quota-secret-0000000000000000000000000"

[[accounts]]
id = "444455556666"
[[accounts.access_keys]]
id = "AKIAQUOTAS0000000002"
secret = "quota-secret-0000000000000000000000002"

[quotas]
enabled = true
rates = { CreateKey = 3, symmetric = 5 }
keys_per_region = 4
aliases_per_key = 1
"#;

async fn harness(config: &str) -> Harness {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("trent.toml");
    std::fs::write(&path, config).unwrap();
    Harness::start_with(|o| o.config = Some(path.clone())).await
}

#[tokio::test]
async fn request_rates_are_limited_per_account_and_class() {
    let h = harness(CONFIG).await;
    let a = h.client_for(
        "us-east-1",
        "AKIAQUOTAS0000000001",
        "quota-secret-0000000000000000000000000",
    );
    let b = h.client_for(
        "us-east-1",
        "AKIAQUOTAS0000000002",
        "quota-secret-0000000000000000000000002",
    );
    // CreateKey: 3 a second, with one second of burst.
    let mut keys = Vec::new();
    for _ in 0..3 {
        keys.push(created(a.create_key()).await.key_id);
    }
    let (code, message) = error_of(a.create_key().send().await);
    assert_eq!(code, "ThrottlingException");
    assert_eq!(
        message,
        "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls."
    );
    // Another account has its own quota.
    b.create_key().send().await.unwrap();
    // A second later the bucket has refilled.
    h.clock.advance(Duration::from_secs(1));
    a.create_key().send().await.unwrap();

    // The shared symmetric quota counts Encrypt, Decrypt, GenerateDataKey and GenerateRandom
    // together: 5 a second.
    let key = &keys[0];
    h.clock.advance(Duration::from_secs(1));
    let blob = a
        .encrypt()
        .key_id(key)
        .plaintext(Blob::new("x"))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    a.decrypt()
        .ciphertext_blob(blob.clone())
        .send()
        .await
        .unwrap();
    a.generate_data_key()
        .key_id(key)
        .number_of_bytes(16)
        .send()
        .await
        .unwrap();
    a.generate_random().number_of_bytes(8).send().await.unwrap();
    a.encrypt()
        .key_id(key)
        .plaintext(Blob::new("x"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(a.decrypt().ciphertext_blob(blob).send().await).0,
        "ThrottlingException"
    );
    // Management operations have their own quotas: DescribeKey is not throttled by it.
    a.describe_key().key_id(key).send().await.unwrap();
}

#[tokio::test]
async fn resource_quotas() {
    let h = harness(CONFIG).await;
    let a = h.client_for(
        "us-east-1",
        "AKIAQUOTAS0000000001",
        "quota-secret-0000000000000000000000000",
    );
    let mut keys = Vec::new();
    for i in 0..4 {
        if i == 3 {
            h.clock.advance(Duration::from_secs(1));
        }
        keys.push(created(a.create_key()).await.key_id);
    }
    h.clock.advance(Duration::from_secs(1));
    // AWS's answer: the quota, then the keys the Region has.
    assert_eq!(
        error_of(a.create_key().send().await),
        (
            "LimitExceededException".to_owned(),
            "Key quota for this account in this region is 4 but the current usage is 4.".to_owned()
        )
    );
    // Another region has its own.
    h.client_for(
        "eu-west-1",
        "AKIAQUOTAS0000000001",
        "quota-secret-0000000000000000000000000",
    )
    .create_key()
    .send()
    .await
    .unwrap();

    a.create_alias()
        .alias_name("alias/one")
        .target_key_id(&keys[0])
        .send()
        .await
        .unwrap();
    // AWS's answer: the quota, then the aliases the key has.
    assert_eq!(
        error_of(
            a.create_alias()
                .alias_name("alias/two")
                .target_key_id(&keys[0])
                .send()
                .await,
        ),
        (
            "LimitExceededException".to_owned(),
            "Aliases per key quota for this account in this region is 1, current usage is 1."
                .to_owned()
        )
    );
}

/// Six CreateAlias calls in one instant: AWS's quota for it is 5 a second.
async fn create_aliases(kms: &aws_sdk_kms::Client) -> Vec<String> {
    let key = created(kms.create_key()).await.key_id;
    let mut codes = Vec::new();
    for i in 0..6 {
        let r = kms
            .create_alias()
            .alias_name(format!("alias/a{i}"))
            .target_key_id(&key)
            .send()
            .await;
        codes.push(r.map(|_| "ok".to_owned()).unwrap_or_else(|e| {
            use aws_sdk_kms::error::ProvideErrorMetadata as _;
            e.code().unwrap_or_default().to_owned()
        }));
    }
    codes
}

#[tokio::test]
async fn request_rates_are_off_by_default() {
    // The quotas a plain `trent serve` starts with.
    let h = Harness::start_with(|o| {
        o.rate_limits = trent_server::ServerOptions::new(o.listen, o.data_dir.clone()).rate_limits;
    })
    .await;
    assert!(!h.server.kms.quotas().enabled);
    let kms = h.client();
    // A test suite creates keys faster than AWS's 5 a second.
    for _ in 0..20 {
        kms.create_key().send().await.unwrap();
    }
    assert_eq!(create_aliases(&kms).await, ["ok"; 6]);
    // A `[quotas]` section that does not say `enabled = true` keeps request rates off, and
    // its resource quotas on.
    let h = harness(
        r#"
[[accounts]]
id = "111122223333"
[[accounts.access_keys]]
id = "AKIAQUOTAS0000000001"
secret = "quota-secret-0000000000000000000000000"
[quotas]
rates = { CreateKey = 1 }
keys_per_region = 3
"#,
    )
    .await;
    let kms = h.client_for(
        "us-east-1",
        "AKIAQUOTAS0000000001",
        "quota-secret-0000000000000000000000000",
    );
    for _ in 0..3 {
        kms.create_key().send().await.unwrap();
    }
    assert_eq!(
        error_of(kms.create_key().send().await).0,
        "LimitExceededException"
    );
}

#[tokio::test]
async fn aws_quotas_switches_aws_rates_on() {
    // `--aws-quotas`, without a config.
    let h = Harness::start_with(|o| o.aws_quotas = true).await;
    let codes = create_aliases(&h.client()).await;
    assert_eq!(codes[..5], ["ok", "ok", "ok", "ok", "ok"]);
    assert_eq!(codes[5], "ThrottlingException");
}

#[tokio::test]
async fn aws_defaults_apply_when_enabled_and_can_be_switched_off() {
    // AWS's default for CreateAlias is 5 a second.
    let h = Harness::start_with(|o| o.rate_limits = trent_core::quota::RateLimits::aws()).await;
    let codes = create_aliases(&h.client()).await;
    assert_eq!(codes[..5], ["ok", "ok", "ok", "ok", "ok"]);
    assert_eq!(codes[5], "ThrottlingException");

    let off = harness(
        r#"
[[accounts]]
id = "111122223333"
[[accounts.access_keys]]
id = "AKIAQUOTAS0000000001"
secret = "quota-secret-0000000000000000000000000"
[quotas]
enabled = false
"#,
    )
    .await;
    let kms = off.client_for(
        "us-east-1",
        "AKIAQUOTAS0000000001",
        "quota-secret-0000000000000000000000000",
    );
    for _ in 0..60 {
        kms.create_key().send().await.unwrap();
    }
}
