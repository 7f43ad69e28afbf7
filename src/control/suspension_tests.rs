//! Suspensions through the control plane on a real embedded store: what the published
//! snapshot serves while one holds and after its lift, the refusals, and a race with
//! another node's suspension of the same mini program, which is decided again.

use std::collections::BTreeMap;

use super::tests::{Interleaved, start_interleaved};
use super::{Control, ControlError, CreateRelease};
use crate::model::{
    Actor, AppId, Env, EnvPolicyInput, MiniProgramId, MiniProgramVersion, PackageUrl, Reason,
    ReleaseConfig, Role, Version,
};
use crate::snapshot::Subject;
use crate::store::Store;
use crate::workflow::Command;

fn ids() -> (AppId, MiniProgramId) {
    let app = AppId::parse("first").expect("app");
    (app, MiniProgramId::parse("mp-s").expect("mp"))
}

fn reviewer() -> Actor {
    Actor::person("rev", Role::Reviewer)
}

/// `mp-s` 1.0.0 in full release in development of app `first`; its release id.
async fn released(control: &Control) -> u64 {
    let (app, mp) = ids();
    let envs = BTreeMap::from([
        (Env::Production, EnvPolicyInput::default()),
        (Env::Development, EnvPolicyInput::default()),
    ]);
    let input = super::AppInput::from((app.clone(), envs));
    control
        .put_app(&reviewer(), input, None)
        .await
        .expect("app");
    let dev = Actor::person("dev", Role::Developer);
    let version = Version::parse("1.0.0").expect("version");
    let upload = MiniProgramVersion {
        mini_program: mp.clone(),
        version: version.clone(),
        package_url: PackageUrl::parse("https://cdn.example.com/s.zip").expect("url"),
        sha256: None,
        created_by: String::new(),
        created_at: 0,
        revision: 0,
    };
    control.add_version(&dev, upload).await.expect("version");
    let req = CreateRelease {
        mini_program: mp,
        version,
        app,
        env: Env::Development,
        config: ReleaseConfig::default(),
        test_group: None,
        targeting: None,
    };
    let id = control
        .create_release(&dev, req)
        .await
        .expect("create")
        .release
        .id;
    control
        .act(&dev, id, Command::Apply, None)
        .await
        .expect("apply");
    id
}

/// The release id the published snapshot serves `u-1` in development, if any.
fn served(control: &Control) -> Option<u64> {
    let snapshot = control.snapshot.load();
    let subject = Subject::user("u-1");
    snapshot
        .resolve("first", Env::Development, "mp-s", &subject)
        .map(|s| s.release_id)
}

#[tokio::test]
async fn a_suspension_stops_the_route_in_the_snapshot_and_a_lift_restores_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (control, _) = start_interleaved(&dir).await;
    let id = released(&control).await;
    assert_eq!(served(&control), Some(id));
    let (app, mp) = ids();
    let reason = Reason::parse("fraud").expect("reason");
    let before = control.revision().await;
    let made = control
        .suspend(&reviewer(), &app, &mp, &reason)
        .await
        .expect("suspend");
    assert_eq!(made.suspension.revision, before + 1);
    assert_eq!(served(&control), None);
    let snapshot = control.snapshot.load();
    assert!(snapshot.is_suspended("first", "mp-s"));
    let listed = snapshot.target("first", Env::Development).map(|t| t.len());
    assert_eq!(
        listed,
        Some(1),
        "still listed, so a batch over the target answers null"
    );
    drop(snapshot);
    let lifted = control
        .unsuspend(&reviewer(), &app, &mp)
        .await
        .expect("lift");
    assert_eq!((lifted.lifted, lifted.event.revision), (made, before + 2));
    assert_eq!(served(&control), Some(id));
    assert!(!control.snapshot.load().is_suspended("first", "mp-s"));
}

#[tokio::test]
async fn refusals_say_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (control, _) = start_interleaved(&dir).await;
    released(&control).await;
    let (app, mp) = ids();
    let reason = Reason::parse("fraud").expect("reason");
    let admin = Actor::person("ops", Role::Admin);
    let refused = control.suspend(&admin, &app, &mp, &reason).await;
    assert!(
        matches!(
            refused,
            Err(ControlError::Forbidden {
                role: Some(Role::Admin)
            })
        ),
        "{refused:?}"
    );
    let typo = MiniProgramId::parse("mp-z").expect("mp");
    let refused = control.suspend(&reviewer(), &app, &typo, &reason).await;
    assert!(
        matches!(refused, Err(ControlError::MiniProgramNotFound)),
        "{refused:?}"
    );
    let nowhere = AppId::parse("nowhere").expect("app");
    let refused = control.suspend(&reviewer(), &nowhere, &mp, &reason).await;
    assert!(
        matches!(refused, Err(ControlError::AppNotFound)),
        "{refused:?}"
    );
    let refused = control.unsuspend(&reviewer(), &app, &mp).await;
    assert!(
        matches!(refused, Err(ControlError::NotSuspended)),
        "{refused:?}"
    );
    control
        .suspend(&reviewer(), &app, &mp, &reason)
        .await
        .expect("suspend");
    let refused = control.suspend(&reviewer(), &app, &mp, &reason).await;
    assert!(
        matches!(refused, Err(ControlError::AlreadySuspended)),
        "{refused:?}"
    );
}

/// Another node suspended the same mini program just before this node's commit: the
/// store finds the conflict, this node catches up, decides again and refuses.
#[tokio::test]
async fn a_race_with_another_nodes_suspension_is_decided_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (control, store) = start_interleaved(&dir).await;
    released(&control).await;
    let (app, mp) = ids();
    let reason = Reason::parse("fraud").expect("reason");
    let state = control.state.lock().await;
    let theirs = super::suspension::suspend(&state, &reviewer(), (&app, &mp), &reason, 0);
    drop(state);
    Interleaved::first_commit(&store, theirs.expect("their batch"));
    let mine = control.suspend(&reviewer(), &app, &mp, &reason).await;
    assert!(
        matches!(mine, Err(ControlError::AlreadySuspended)),
        "{mine:?}"
    );
    let events = store.suspension_history(&app, &mp).await.expect("history");
    assert_eq!(events.len(), 1, "one suspension, not two");
    assert_eq!(
        served(&control),
        None,
        "and this node serves what the store holds"
    );
}
