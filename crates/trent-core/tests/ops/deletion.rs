//! ScheduleKeyDeletion, CancelKeyDeletion and the deletion sweep, on the fixed clock: the
//! deletion date is exact, and the waiting period ends to the millisecond.

use std::time::Duration;

use trent_core::Error;
use trent_core::clock::Clock;
use trent_core::model::{KeyRef, KeyState, UnixMillis};
use trent_core::secret::Secret;

use crate::fixture::{DAY_MILLIS, Fixture, START, context, days_after_start};

#[tokio::test]
async fn the_deletion_date_is_now_plus_the_window_exactly() {
    let f = Fixture::new().await;
    let ctx = f.owner();
    // (PendingWindowInDays asked, the window it gets)
    let cases = [(Some(7), 7), (Some(15), 15), (Some(30), 30), (None, 30)];
    for (asked, days) in cases {
        let key = f.symmetric_key().await;
        let scheduled = f
            .kms
            .schedule_key_deletion(&ctx, &KeyRef::Id(key.id.clone()), asked)
            .await
            .unwrap();
        assert_eq!(scheduled.id, key.id);
        assert_eq!(scheduled.state, KeyState::PendingDeletion, "{asked:?}");
        assert_eq!(scheduled.pending_window_days, Some(days), "{asked:?}");
        assert_eq!(
            scheduled.deletion_date,
            Some(days_after_start(days)),
            "{asked:?}"
        );
        // DescribeKey shows the same, from the store.
        let described = f
            .kms
            .describe_key(&ctx, &KeyRef::Id(key.id.clone()))
            .await
            .unwrap();
        assert_eq!(described.deletion_date, Some(days_after_start(days)));
        assert_eq!(described.state, KeyState::PendingDeletion);
    }
    // The clock never moved by itself.
    assert_eq!(f.clock.now(), START);
}

#[tokio::test]
async fn the_deletion_date_counts_from_the_clock_when_scheduled() {
    let f = Fixture::new().await;
    let ctx = f.owner();
    let key = f.symmetric_key().await;
    f.clock.advance(Duration::from_millis(1_234));
    let scheduled = f
        .kms
        .schedule_key_deletion(&ctx, &KeyRef::Id(key.id.clone()), Some(7))
        .await
        .unwrap();
    assert_eq!(
        scheduled.deletion_date,
        Some(UnixMillis(START.0 + 1_234 + 7 * DAY_MILLIS))
    );
    // The key was made before the clock moved.
    assert_eq!(scheduled.created, START);
}

#[tokio::test]
async fn a_window_outside_7_to_30_days_is_refused() {
    let f = Fixture::new().await;
    let ctx = f.owner();
    let key = f.symmetric_key().await;
    let id = KeyRef::Id(key.id.clone());
    for days in [0, 6, 31, 365] {
        let outcome = f.kms.schedule_key_deletion(&ctx, &id, Some(days)).await;
        assert!(
            matches!(outcome, Err(Error::Validation { .. })),
            "{days} days: {outcome:?}"
        );
    }
    let described = f.kms.describe_key(&ctx, &id).await.unwrap();
    assert_eq!(described.state, KeyState::Enabled);
    assert_eq!(described.deletion_date, None);
}

#[tokio::test]
async fn a_key_pending_deletion_refuses_use_and_management() {
    let f = Fixture::new().await;
    let ctx = f.owner();
    let key = f.symmetric_key().await;
    let id = KeyRef::Id(key.id.clone());
    f.kms
        .schedule_key_deletion(&ctx, &id, Some(7))
        .await
        .unwrap();

    let outcomes: Vec<(&str, trent_core::Result<()>)> = vec![
        (
            "Encrypt",
            f.kms
                .encrypt(
                    &ctx,
                    &id,
                    &Secret::from_slice(b"x"),
                    &context(&[]),
                    None,
                    false,
                )
                .await
                .map(drop),
        ),
        ("EnableKey", f.kms.enable_key(&ctx, &id).await),
        ("DisableKey", f.kms.disable_key(&ctx, &id).await),
        (
            "ScheduleKeyDeletion",
            f.kms
                .schedule_key_deletion(&ctx, &id, Some(30))
                .await
                .map(drop),
        ),
    ];
    for (op, outcome) in outcomes {
        match outcome {
            Err(Error::InvalidState { arn, state }) => {
                assert_eq!(arn, key.arn(), "{op}");
                assert_eq!(state, KeyState::PendingDeletion, "{op}");
            }
            other => panic!("{op}: {other:?}"),
        }
    }
    // The second schedule did not move the date.
    let described = f.kms.describe_key(&ctx, &id).await.unwrap();
    assert_eq!(described.deletion_date, Some(days_after_start(7)));
}

#[tokio::test]
async fn the_waiting_period_ends_to_the_millisecond() {
    let f = Fixture::new().await;
    let ctx = f.owner();
    let (doomed, saved) = (f.symmetric_key().await, f.symmetric_key().await);
    let (doomed_id, saved_id) = (KeyRef::Id(doomed.id.clone()), KeyRef::Id(saved.id.clone()));
    for id in [&doomed_id, &saved_id] {
        f.kms
            .schedule_key_deletion(&ctx, id, Some(7))
            .await
            .unwrap();
    }

    // One millisecond before the end: nothing is due, and the deletion can be cancelled.
    f.clock.advance(Duration::from_millis(7 * 86_400_000 - 1));
    assert_eq!(f.clock.now(), UnixMillis(days_after_start(7).0 - 1));
    assert_eq!(f.kms.delete_due_keys(f.clock.now()).await.unwrap(), 0);
    let cancelled = f.kms.cancel_key_deletion(&ctx, &saved_id).await.unwrap();
    assert_eq!(
        cancelled.state,
        KeyState::Disabled,
        "cancelled keys are disabled"
    );
    assert_eq!(cancelled.deletion_date, None);
    assert_eq!(cancelled.pending_window_days, None);

    // At the end: the other key is gone even before the sweep runs, then swept.
    f.clock.advance(Duration::from_millis(1));
    assert_eq!(f.clock.now(), days_after_start(7));
    let outcome = f.kms.cancel_key_deletion(&ctx, &doomed_id).await;
    assert!(
        matches!(outcome, Err(Error::KeyNotFound { .. })),
        "{outcome:?}"
    );
    assert_eq!(f.kms.delete_due_keys(f.clock.now()).await.unwrap(), 1);
    match f.kms.describe_key(&ctx, &doomed_id).await {
        Err(Error::KeyNotFound { arn }) => assert_eq!(arn, doomed.arn()),
        other => panic!("{other:?}"),
    }
    // A second sweep finds nothing; the cancelled key stays.
    assert_eq!(f.kms.delete_due_keys(f.clock.now()).await.unwrap(), 0);
    let kept = f.kms.describe_key(&ctx, &saved_id).await.unwrap();
    assert_eq!(kept.state, KeyState::Disabled);
}

#[tokio::test]
async fn cancel_key_deletion_of_a_key_not_pending_deletion_is_refused() {
    let f = Fixture::new().await;
    let key = f.symmetric_key().await;
    match f
        .kms
        .cancel_key_deletion(&f.owner(), &KeyRef::Id(key.id.clone()))
        .await
    {
        Err(Error::NotPendingDeletion { arn }) => assert_eq!(arn, key.arn()),
        other => panic!("{other:?}"),
    }
}
