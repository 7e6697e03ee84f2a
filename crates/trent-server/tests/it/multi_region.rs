//! Multi-Region keys through `aws-sdk-kms`: replicas with the same id and material in other
//! Regions, ciphertexts crossing Regions, rotation of the set, UpdatePrimaryRegion, and the
//! primary waiting in PendingReplicaDeletion for its replicas.

use std::time::Duration;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeyState, MultiRegionKeyType, Tag};

use crate::builders::created;
use crate::harness::{Harness, error_of};

const DAY: Duration = Duration::from_secs(86_400);

#[tokio::test]
async fn replicas_share_material_and_ciphertexts_cross_regions() {
    let h = Harness::start().await;
    let east = h.client_in("us-east-1");
    let west = h.client_in("eu-west-1");
    let meta = created(east.create_key().multi_region(true).description("primary")).await;
    let id = meta.key_id.clone();
    assert!(id.starts_with("mrk-") && id.len() == 36, "{id}");
    assert!(meta.multi_region.unwrap());
    let config = meta.multi_region_configuration.unwrap();
    assert_eq!(
        config.multi_region_key_type,
        Some(MultiRegionKeyType::Primary)
    );
    assert!(config.replica_keys().is_empty());

    let made_east = east
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new("from the east"))
        .encryption_context("k", "v")
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();

    let replica = east
        .replicate_key()
        .key_id(&id)
        .replica_region("eu-west-1")
        .description("replica")
        .tags(
            Tag::builder()
                .tag_key("site")
                .tag_value("dublin")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let replica_meta = replica.replica_key_metadata.unwrap();
    assert_eq!(replica_meta.key_id, id);
    assert!(replica_meta.arn.as_deref().unwrap().contains(":eu-west-1:"));
    assert_eq!(replica_meta.description.as_deref(), Some("replica"));
    let config = replica_meta.multi_region_configuration.unwrap();
    assert_eq!(
        config.multi_region_key_type,
        Some(MultiRegionKeyType::Replica)
    );
    assert_eq!(
        config.primary_key.unwrap().region.as_deref(),
        Some("us-east-1")
    );
    assert_eq!(replica.replica_tags.unwrap().len(), 1);
    assert!(replica.replica_policy.unwrap().contains("kms:*"));
    // The primary now lists its replica.
    let primary = h.describe(&id).await.multi_region_configuration.unwrap();
    assert_eq!(
        primary.replica_keys()[0].region.as_deref(),
        Some("eu-west-1")
    );

    // A ciphertext made in one Region decrypts in the other, both ways.
    let back = west
        .decrypt()
        .ciphertext_blob(made_east)
        .encryption_context("k", "v")
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext.unwrap().as_ref(), b"from the east");
    assert!(back.key_id.unwrap().contains(":eu-west-1:"));
    let made_west = west
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new("from the west"))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let back = east
        .decrypt()
        .ciphertext_blob(made_west)
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext.unwrap().as_ref(), b"from the west");

    // Its own policy, tags and description; errors of ReplicateKey.
    assert_eq!(
        error_of(
            east.replicate_key()
                .key_id(&id)
                .replica_region("eu-west-1")
                .send()
                .await
        )
        .0,
        "AlreadyExistsException"
    );
    assert_eq!(
        error_of(
            west.replicate_key()
                .key_id(&id)
                .replica_region("ap-south-1")
                .send()
                .await
        )
        .0,
        "UnsupportedOperationException"
    );
    let single = h.key().await;
    assert_eq!(
        error_of(
            east.replicate_key()
                .key_id(&single)
                .replica_region("eu-west-1")
                .send()
                .await
        )
        .0,
        "UnsupportedOperationException"
    );

    // Rotation of the primary rotates the set: new ciphertexts still cross Regions.
    east.rotate_key_on_demand()
        .key_id(&id)
        .send()
        .await
        .unwrap();
    let (p, r) = (
        h.describe(&id).await.current_key_material_id,
        west.describe_key()
            .key_id(&id)
            .send()
            .await
            .unwrap()
            .key_metadata
            .unwrap()
            .current_key_material_id,
    );
    assert_eq!(p, r);
    let rotated = east
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new("after rotation"))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    west.decrypt()
        .ciphertext_blob(rotated)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(west.rotate_key_on_demand().key_id(&id).send().await).0,
        "UnsupportedOperationException"
    );
}

#[tokio::test]
async fn primary_region_moves_and_deletion_waits_for_replicas() {
    let h = Harness::start().await;
    let east = h.client_in("us-east-1");
    let west = h.client_in("eu-west-1");
    let id = created(east.create_key().multi_region(true)).await.key_id;
    east.replicate_key()
        .key_id(&id)
        .replica_region("eu-west-1")
        .send()
        .await
        .unwrap();
    east.update_primary_region()
        .key_id(&id)
        .primary_region("eu-west-1")
        .send()
        .await
        .unwrap();
    let east_view = h.describe(&id).await.multi_region_configuration.unwrap();
    assert_eq!(
        east_view.multi_region_key_type,
        Some(MultiRegionKeyType::Replica)
    );
    assert_eq!(
        east_view.primary_key.unwrap().region.as_deref(),
        Some("eu-west-1")
    );

    // The primary (now in eu-west-1) waits for its replica.
    let scheduled = west
        .schedule_key_deletion()
        .key_id(&id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    assert_eq!(scheduled.key_state, Some(KeyState::PendingReplicaDeletion));
    east.schedule_key_deletion()
        .key_id(&id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    h.clock.advance(8 * DAY);
    h.server.run_maintenance().await.unwrap();
    assert_eq!(
        error_of(east.describe_key().key_id(&id).send().await).0,
        "NotFoundException"
    );
    let primary = west
        .describe_key()
        .key_id(&id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(primary.key_state, Some(KeyState::PendingDeletion));
    assert!(primary.deletion_date.is_some());
    h.clock.advance(8 * DAY);
    h.server.run_maintenance().await.unwrap();
    assert_eq!(
        error_of(west.describe_key().key_id(&id).send().await).0,
        "NotFoundException"
    );
}
