//! The three outcomes of a commit off its base, on every backend: committed on its base;
//! `Stale` (the revision moved, nothing the batch read did: nothing written, and the
//! batch restamped on the current revision commits); `Conflict` (a record it read, or a
//! release of a route it read, was written after its base).

use std::sync::Arc;

use graygate::model::{MiniProgramId, Release, Status};
use graygate::store::{Batch, Reads, Records, Store, StoreError};

use super::{app, history, reads_route, release, version};

/// A release of another mini program: another route than `release(..)`'s.
fn other_release(id: u64, status: Status, revision: u64) -> Release {
    Release {
        mini_program: MiniProgramId::parse("mp-other").expect("id"),
        ..release(id, status, revision)
    }
}

/// A batch on `base` writing `releases`, each with its history entry, after `reads`.
fn batch(base: u64, releases: Vec<Release>, reads: Reads) -> Batch {
    let mut b = Batch::on(base);
    for mut r in releases {
        r.revision = b.revision();
        b.history.push(history(r.id, r.revision, r.status));
        b.records.releases.push(r);
    }
    b.reads = reads;
    b
}

async fn commit(store: &Arc<dyn Store>, b: &Batch) -> Result<(), StoreError> {
    store.commit(Arc::new(b.clone())).await
}

#[track_caller]
fn conflicts(result: Result<(), StoreError>, base: u64, at: u64) {
    match result {
        Err(StoreError::Conflict { expected, actual }) => {
            assert_eq!((expected, actual), (base, at));
        }
        other => panic!("expected a conflict on {base} at {at}, got {other:?}"),
    }
}

/// Runs against one fresh, empty store.
pub async fn commit_outcomes(store: Arc<dyn Store>) {
    // Revision 1: the app, a version, release 1 (coupons) and release 2 (other route).
    let releases = vec![
        release(1, Status::NewVersionCreated, 0),
        other_release(2, Status::NewVersionCreated, 0),
    ];
    let mut b1 = batch(0, releases, Reads::default());
    b1.records.apps.push(app(1));
    b1.records.versions.push(version("1.1.0", 1));
    commit(&store, &b1).await.expect("commit on its base");

    // Two decisions on base 1: one on the other route, one on coupons.
    let other = batch(
        1,
        vec![other_release(2, Status::UnderReview, 0)],
        Reads::default(),
    );
    let mut coupons = batch(1, vec![release(1, Status::UnderReview, 0)], reads_route());
    commit(&store, &other)
        .await
        .expect("other route commits at 2");
    match commit(&store, &coupons).await {
        Err(StoreError::Stale {
            base: 1,
            current: 2,
        }) => {}
        other => panic!("unrelated writes make a base stale, not a conflict: {other:?}"),
    }
    let unchanged = store.load().await.expect("load");
    assert_eq!(unchanged.revision, 2, "a stale batch commits nothing");
    assert!(
        unchanged
            .releases
            .contains(&release(1, Status::NewVersionCreated, 1))
    );

    coupons.restamp(2);
    commit(&store, &coupons)
        .await
        .expect("restamped, it commits at 3");
    assert_eq!(store.revision().await.expect("revision"), 3);
    let since = store.changes_since(2).await.expect("changes");
    assert_eq!(since.releases, vec![release(1, Status::UnderReview, 3)]);
    let revisions: Vec<u64> = store
        .history(1)
        .await
        .expect("history")
        .iter()
        .map(|h| h.revision)
        .collect();
    assert_eq!(
        revisions,
        vec![1, 3],
        "the history entry carries the new revision"
    );

    // A decision on base 2 that read the coupons route now conflicts: release 1 moved.
    conflicts(commit(&store, &batch(2, vec![], reads_route())).await, 2, 3);
    // So does one that only read release 1 by id, or the app another writer changes.
    let by_id = Reads {
        releases: vec![1],
        ..Reads::default()
    };
    conflicts(commit(&store, &batch(2, vec![], by_id)).await, 2, 3);

    // A release the deciding node never saw, created on a route it read, conflicts.
    let created = batch(
        3,
        vec![release(3, Status::NewVersionCreated, 0)],
        Reads::default(),
    );
    let blind = batch(3, vec![release(1, Status::Canceled, 0)], reads_route());
    commit(&store, &created).await.expect("create at 4");
    conflicts(commit(&store, &blind).await, 3, 4);

    // A new target-app policy conflicts with decisions that read the app ...
    let mut policy = Batch::on(4);
    policy.records.apps.push(app(5));
    commit(&store, &policy).await.expect("app at 5");
    let app_read = Reads {
        apps: vec![app(0).id],
        ..Reads::default()
    };
    conflicts(commit(&store, &batch(4, vec![], app_read)).await, 4, 5);
    // ... and a version uploaded twice on one base conflicts the second time.
    let upload = |base| {
        let mut b = Batch::on(base);
        b.records.versions.push(version("9.0.0", base + 1));
        b
    };
    commit(&store, &upload(5)).await.expect("version at 6");
    conflicts(commit(&store, &upload(5)).await, 5, 6);
    let touched: Records = store.changes_since(5).await.expect("changes");
    assert_eq!(touched.revision, 6, "no refused batch left a trace");
    assert_eq!(touched.versions, vec![version("9.0.0", 6)]);
}
