//! Key rotation through `aws-sdk-kms`, with the injected clock: automatic rotation when due
//! (once, even after downtime across several periods), on-demand rotation and its limit,
//! every older ciphertext still decrypting, ReEncrypt moving to the newest material.

use std::time::Duration;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeySpec, KeyUsageType, RotationType};

use crate::harness::{Harness, error_of};

const DAY: Duration = Duration::from_secs(86_400);

/// The material id a symmetric ciphertext names (see docs/ciphertext-format.md).
fn material_of(blob: &Blob) -> String {
    let bytes = blob.as_ref();
    let len = usize::from(bytes[1]);
    bytes[2 + len..34 + len]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The clock's now, in seconds.
fn now_secs(h: &Harness) -> i64 {
    use trent_core::clock::Clock as _;
    h.clock.now().0 / 1000
}

/// Two instants within a few seconds of each other (the test clock runs with the real one).
fn close(a: i64, b: i64) -> bool {
    (a - b).abs() <= 5
}

async fn current_material(h: &Harness, key: &str) -> String {
    h.describe(key).await.current_key_material_id.unwrap()
}

#[tokio::test]
async fn enabling_disabling_and_status() {
    let h = Harness::start().await;
    let kms = h.client();
    let key = h.key().await;
    let status = kms
        .get_key_rotation_status()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert!(!status.key_rotation_enabled);
    assert!(status.next_rotation_date.is_none());

    kms.enable_key_rotation().key_id(&key).send().await.unwrap();
    let status = kms
        .get_key_rotation_status()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert!(status.key_rotation_enabled);
    assert_eq!(status.rotation_period_in_days, Some(365));
    let now = now_secs(&h);
    let next = status.next_rotation_date.unwrap().secs();
    assert!(close(next, now + 365 * 86_400), "{next} vs {now}");
    assert!(status.key_id.unwrap().starts_with("arn:aws:kms:"));

    // A new period keeps the schedule's origin.
    kms.enable_key_rotation()
        .key_id(&key)
        .rotation_period_in_days(90)
        .send()
        .await
        .unwrap();
    let status = kms
        .get_key_rotation_status()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(status.rotation_period_in_days, Some(90));
    assert!(close(
        status.next_rotation_date.unwrap().secs(),
        now + 90 * 86_400
    ));

    let (code, message) = error_of(
        kms.enable_key_rotation()
            .key_id(&key)
            .rotation_period_in_days(89)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "1 validation error detected: Value '89' at 'rotationPeriodInDays' failed to satisfy \
         constraint: Member must have value greater than or equal to 90"
    );

    kms.disable_key_rotation()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert!(
        !kms.get_key_rotation_status()
            .key_id(&key)
            .send()
            .await
            .unwrap()
            .key_rotation_enabled
    );

    // Asymmetric and HMAC keys do not rotate; their status is simply "not enabled".
    let rsa = h.key_of(KeySpec::Rsa2048, KeyUsageType::SignVerify).await;
    // AWS answers EnableKeyRotation on such a key with the bare type, no message.
    assert_eq!(
        error_of(kms.enable_key_rotation().key_id(&rsa).send().await),
        ("UnsupportedOperationException".to_owned(), String::new())
    );
    assert_eq!(
        error_of(kms.rotate_key_on_demand().key_id(&rsa).send().await),
        ("UnsupportedOperationException".to_owned(), String::new())
    );
    assert!(
        !kms.get_key_rotation_status()
            .key_id(&rsa)
            .send()
            .await
            .unwrap()
            .key_rotation_enabled
    );
    // A disabled key's rotation cannot be changed.
    kms.disable_key().key_id(&key).send().await.unwrap();
    assert_eq!(
        error_of(kms.enable_key_rotation().key_id(&key).send().await).0,
        "DisabledException"
    );
}

#[tokio::test]
async fn automatic_rotation_when_due_and_every_ciphertext_still_decrypts() {
    let h = Harness::start().await;
    let kms = h.client();
    let key = h.key().await;
    let first = current_material(&h, &key).await;
    let old = h.encrypt(&key, "before rotation").await;
    assert_eq!(material_of(&old), first);
    kms.enable_key_rotation()
        .key_id(&key)
        .rotation_period_in_days(90)
        .send()
        .await
        .unwrap();

    // Not due yet: nothing happens.
    h.clock.advance(89 * DAY);
    h.server.run_maintenance().await.unwrap();
    assert_eq!(current_material(&h, &key).await, first);

    h.clock.advance(2 * DAY);
    h.server.run_maintenance().await.unwrap();
    let second = current_material(&h, &key).await;
    assert_ne!(second, first);
    // A second sweep at the same time does not rotate again.
    h.server.run_maintenance().await.unwrap();
    assert_eq!(current_material(&h, &key).await, second);

    let rotations = kms.list_key_rotations().key_id(&key).send().await.unwrap();
    let list = rotations.rotations.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].rotation_type, Some(RotationType::Automatic));
    assert_eq!(list[0].key_material_id.as_deref(), Some(second.as_str()));
    let status = kms
        .get_key_rotation_status()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert!(close(
        status.next_rotation_date.unwrap().secs(),
        now_secs(&h) + 90 * 86_400
    ));

    // New ciphertexts use the new material; the old one still decrypts; ReEncrypt moves it.
    let new = h.encrypt(&key, "after rotation").await;
    assert_eq!(material_of(&new), second);
    let back = kms
        .decrypt()
        .ciphertext_blob(old.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext.unwrap().as_ref(), b"before rotation");
    let moved = kms
        .re_encrypt()
        .ciphertext_blob(old)
        .destination_key_id(&key)
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    assert_eq!(material_of(&moved), second);
    let back = kms.decrypt().ciphertext_blob(moved).send().await.unwrap();
    assert_eq!(back.plaintext.unwrap().as_ref(), b"before rotation");
}

#[tokio::test]
async fn overdue_rotation_happens_once_after_downtime() {
    let h = Harness::start().await;
    let kms = h.client();
    let key = h.key().await;
    kms.enable_key_rotation()
        .key_id(&key)
        .rotation_period_in_days(90)
        .send()
        .await
        .unwrap();
    let old = h.encrypt(&key, "old").await;
    // Trent is down across four periods; the start-up sweep catches up with one rotation.
    h.clock.advance(400 * DAY);
    let h = h.restart().await;
    let kms = h.client();
    let list = kms
        .list_key_rotations()
        .key_id(&key)
        .send()
        .await
        .unwrap()
        .rotations
        .unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    let status = kms
        .get_key_rotation_status()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert!(close(
        status.next_rotation_date.unwrap().secs(),
        now_secs(&h) + 90 * 86_400
    ));
    let back = kms.decrypt().ciphertext_blob(old).send().await.unwrap();
    assert_eq!(back.plaintext.unwrap().as_ref(), b"old");
}

#[tokio::test]
async fn on_demand_rotation_and_its_limit() {
    let h = Harness::start().await;
    let kms = h.client();
    let key = h.key().await;
    kms.enable_key_rotation().key_id(&key).send().await.unwrap();
    let next = kms
        .get_key_rotation_status()
        .key_id(&key)
        .send()
        .await
        .unwrap()
        .next_rotation_date;
    let mut blobs = vec![(h.encrypt(&key, "v0").await, "v0".to_owned())];
    for i in 1..=25 {
        let out = kms
            .rotate_key_on_demand()
            .key_id(&key)
            .send()
            .await
            .unwrap();
        // AWS answers with the key ARN, whatever the request named.
        assert_eq!(
            out.key_id.as_deref(),
            Some(format!("arn:aws:kms:us-east-1:111122223333:key/{key}").as_str())
        );
        let text = format!("v{i}");
        blobs.push((h.encrypt(&key, &text).await, text));
    }
    assert_eq!(
        error_of(kms.rotate_key_on_demand().key_id(&key).send().await),
        (
            "LimitExceededException".to_owned(),
            format!(
                "The on-demand rotations limit has been reached for the given keyId. No more \
                 on-demand rotations can be performed for this key: \
                 arn:aws:kms:us-east-1:111122223333:key/{key}"
            )
        )
    );
    // The automatic schedule did not move. OnDemandRotationStartDate shows only while a
    // rotation is in progress; AWS removes it once done, and Trent's are done in the call.
    let status = kms
        .get_key_rotation_status()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(status.next_rotation_date, next);
    assert_eq!(status.on_demand_rotation_start_date, None);
    // Every version still decrypts.
    for (blob, text) in blobs {
        let back = kms.decrypt().ciphertext_blob(blob).send().await.unwrap();
        assert_eq!(back.plaintext.unwrap().as_ref(), text.as_bytes());
    }
    // Paging through 25 rotations, and the first material with ALL_KEY_MATERIAL.
    let page = kms
        .list_key_rotations()
        .key_id(&key)
        .limit(10)
        .send()
        .await
        .unwrap();
    assert!(page.truncated);
    assert_eq!(page.rotations().len(), 10);
    let rest = kms
        .list_key_rotations()
        .key_id(&key)
        .limit(100)
        .marker(page.next_marker.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.rotations().len(), 15);
    assert!(
        rest.rotations()
            .iter()
            .all(|r| r.rotation_type == Some(RotationType::OnDemand))
    );
    let all = kms
        .list_key_rotations()
        .key_id(&key)
        .include_key_material(aws_sdk_kms::types::IncludeKeyMaterial::AllKeyMaterial)
        .limit(100)
        .send()
        .await
        .unwrap();
    assert_eq!(all.rotations().len(), 26);
}

#[tokio::test]
async fn a_disabled_key_rotates_when_enabled_again() {
    let h = Harness::start().await;
    let kms = h.client();
    let key = h.key().await;
    kms.enable_key_rotation()
        .key_id(&key)
        .rotation_period_in_days(90)
        .send()
        .await
        .unwrap();
    kms.disable_key().key_id(&key).send().await.unwrap();
    let first = current_material(&h, &key).await;
    h.clock.advance(100 * DAY);
    h.server.run_maintenance().await.unwrap();
    assert_eq!(current_material(&h, &key).await, first);
    kms.enable_key().key_id(&key).send().await.unwrap();
    h.server.run_maintenance().await.unwrap();
    assert_ne!(current_material(&h, &key).await, first);
}
