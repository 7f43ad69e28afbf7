//! Suspensions (SPEC §11) on every backend: a suspension and its lift are committed with
//! their events at the next revision; `changes_since` conveys the lift too (a record
//! without a suspension), so another node learns of it; two writers deciding on one
//! (app, mini program) never both win, while writers on another one only restamp; and
//! everything reads back after a restart.

use std::sync::Arc;

use graygate::model::{
    AppId, MiniProgramId, Reason, Suspension, SuspensionAction, SuspensionEvent, SuspensionRecord,
};
use graygate::store::{Batch, Records, Store, StoreError};

fn ids(mp: &str) -> (AppId, MiniProgramId) {
    let app = AppId::parse("superapp-a").expect("id");
    (app, MiniProgramId::parse(mp).expect("id"))
}

/// A batch on `base` that suspends `mp` (or, with `suspend` false, lifts it).
fn change(base: u64, mp: &str, suspend: bool) -> Batch {
    let (app, mini_program) = ids(mp);
    let mut batch = Batch::on(base);
    let revision = batch.revision();
    let reason = Reason::parse("fraud reported").expect("reason");
    let active = suspend.then(|| Suspension {
        reason: reason.clone(),
        by: "rev-rita".into(),
        at: 1_000 + i64::try_from(revision).expect("small"),
        revision,
    });
    let action = if suspend {
        SuspensionAction::Suspend
    } else {
        SuspensionAction::Unsuspend
    };
    batch.suspension_history.push(SuspensionEvent {
        app: app.clone(),
        mini_program: mini_program.clone(),
        revision,
        at: 1_000,
        actor: "rev-rita".into(),
        action,
        reason,
    });
    batch.records.suspensions.push(SuspensionRecord {
        app,
        mini_program,
        revision,
        active,
    });
    batch
}

fn the_record(records: &Records, mp: &str) -> Option<SuspensionRecord> {
    let (_, mp) = ids(mp);
    records
        .suspensions
        .iter()
        .find(|s| s.mini_program == mp)
        .cloned()
}

/// What [`suspensions`] left in the store, for [`read_back`].
pub struct Written {
    revision: u64,
    records: Vec<SuspensionRecord>,
    events: Vec<SuspensionEvent>,
}

/// Runs against one fresh, empty store, `a` and `b` two handles on it.
pub async fn suspensions(a: Arc<dyn Store>, b: Arc<dyn Store>) -> Written {
    let suspend = change(0, "mp-wallet", true);
    a.commit(Arc::new(suspend.clone())).await.expect("suspend");
    let loaded = b.load().await.expect("load");
    assert_eq!(loaded.revision, 1);
    assert_eq!(
        the_record(&loaded, "mp-wallet"),
        suspend.records.suspensions.first().cloned()
    );

    // Both decided on revision 0: the one about the same mini program read what the
    // suspension wrote (a conflict); the one about another mini program only restamps.
    let racing = change(0, "mp-wallet", true);
    match b.commit(Arc::new(racing)).await {
        Err(StoreError::Conflict {
            expected: 0,
            actual: 1,
        }) => {}
        other => panic!("a second suspension on the same base must conflict, got {other:?}"),
    }
    let mut elsewhere = change(0, "mp-maps", true);
    match b.commit(Arc::new(elsewhere.clone())).await {
        Err(StoreError::Stale {
            base: 0,
            current: 1,
        }) => {}
        other => panic!("another mini program's suspension is only stale, got {other:?}"),
    }
    elsewhere.restamp(1);
    b.commit(Arc::new(elsewhere)).await.expect("restamped");

    // The lift: the record stays, without a suspension, and catch-up conveys it.
    let lift = change(2, "mp-wallet", false);
    b.commit(Arc::new(lift.clone())).await.expect("lift");
    let since = a.changes_since(2).await.expect("changes");
    assert_eq!(since.revision, 3);
    let lifted = the_record(&since, "mp-wallet").expect("the lift is a change");
    assert_eq!((lifted.revision, lifted.active), (3, None));
    assert!(
        the_record(&since, "mp-maps").is_none(),
        "only what changed after 2"
    );

    let (app, wallet) = ids("mp-wallet");
    let events = a.suspension_history(&app, &wallet).await.expect("history");
    let actions: Vec<_> = events.iter().map(|e| (e.action, e.revision)).collect();
    assert_eq!(
        actions,
        vec![
            (SuspensionAction::Suspend, 1),
            (SuspensionAction::Unsuspend, 3)
        ]
    );
    let (_, maps) = ids("mp-maps");
    let restamped = b.suspension_history(&app, &maps).await.expect("history");
    assert_eq!(
        restamped.iter().map(|e| e.revision).collect::<Vec<_>>(),
        vec![2]
    );
    let maps_record = the_record(&a.load().await.expect("load"), "mp-maps").expect("record");
    let stamped = maps_record.active.as_ref().map(|s| s.revision);
    assert_eq!(
        (maps_record.revision, stamped),
        (2, Some(2)),
        "restamped throughout"
    );
    let (_, never) = ids("mp-never");
    assert!(
        a.suspension_history(&app, &never)
            .await
            .expect("empty")
            .is_empty()
    );

    let all = a.load().await.expect("load");
    Written {
        revision: all.revision,
        records: sorted(all.suspensions),
        events,
    }
}

fn sorted(mut records: Vec<SuspensionRecord>) -> Vec<SuspensionRecord> {
    records.sort_by(|x, y| x.mini_program.cmp(&y.mini_program));
    records
}

/// A store opened again on what [`suspensions`] wrote reads all of it back.
pub async fn read_back(store: &dyn Store, written: &Written) {
    let loaded = store.load().await.expect("load after restart");
    assert_eq!(loaded.revision, written.revision);
    assert_eq!(sorted(loaded.suspensions), written.records);
    let (app, wallet) = ids("mp-wallet");
    let events = store
        .suspension_history(&app, &wallet)
        .await
        .expect("history");
    assert_eq!(events, written.events);
}
