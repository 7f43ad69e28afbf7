//! The `Store` contract, one suite run against every backend: the embedded store always,
//! Redis at `REDIS_URL` (default `redis://127.0.0.1:6379`) when it answers — and it must
//! answer when `GRAYGATE_REQUIRE_REDIS=1`.

mod common;
#[path = "store_contract/outcomes.rs"]
mod outcomes;
#[path = "store_contract/reports.rs"]
mod reports;
#[path = "store_contract/suspensions.rs"]
mod suspensions;

use std::collections::BTreeMap;
use std::sync::Arc;

use graygate::model::{
    Action, AppId, Env, EnvPolicy, HistoryEntry, MiniProgramId, MiniProgramVersion, PackageUrl,
    Percentage, Release, Salt, Status, TargetApp, TestGroup, TokenSha256, Version,
};
use graygate::store::embedded::EmbeddedStore;
use graygate::store::redis::RedisStore;
use graygate::store::{Batch, Reads, Records, Route, Store, StoreError};

fn app(revision: u64) -> TargetApp {
    let mut environments = BTreeMap::new();
    environments.insert(
        Env::Production,
        EnvPolicy {
            approval: graygate::model::Approval::Manual,
            pilot_testing: true,
        },
    );
    TargetApp {
        id: AppId::parse("superapp-a").expect("id"),
        environments,
        // Both stores keep the report token (SPEC §9).
        report_token_sha256: TokenSha256::parse(&"0f".repeat(32)).ok(),
        revision,
        updated_at: 1,
    }
}

fn version(v: &str, revision: u64) -> MiniProgramVersion {
    MiniProgramVersion {
        mini_program: MiniProgramId::parse("mp-coupons").expect("id"),
        version: Version::parse(v).expect("version"),
        package_url: PackageUrl::parse(&format!("https://cdn.example.com/{v}.zip")).expect("url"),
        sha256: None,
        created_by: "dev".into(),
        created_at: 1,
        revision,
    }
}

fn release(id: u64, status: Status, revision: u64) -> Release {
    Release {
        id,
        mini_program: MiniProgramId::parse("mp-coupons").expect("id"),
        version: Version::parse(&format!("1.{id}.0")).expect("version"),
        app: AppId::parse("superapp-a").expect("id"),
        env: Env::Production,
        status,
        percentage: Percentage::ZERO,
        salt: Salt::parse("0123456789abcdef").expect("salt"),
        config: Arc::default(),
        test_group_size: 0,
        applied_by: None,
        plan: None,
        guard: None,
        targeting: None,
        predecessor: None,
        revision,
        created_at: 1,
        updated_at: 1,
    }
}

fn history(id: u64, revision: u64, to: Status) -> HistoryEntry {
    HistoryEntry {
        release_id: id,
        revision,
        at: 1,
        actor: "dev".into(),
        action: Action::Create,
        from: None,
        to,
        details: serde_json::json!({}),
    }
}

/// The route every `release(..)` serves on.
fn coupons_route() -> Route {
    let r = release(0, Status::NewVersionCreated, 0);
    (r.app, r.env, r.mini_program)
}

/// What a decision on the coupons route reads: the route (rules 1-3) and the app.
fn reads_route() -> Reads {
    Reads {
        apps: vec![app(0).id],
        routes: vec![coupons_route()],
        ..Reads::default()
    }
}

/// The whole contract, against one fresh, empty store.
async fn contract(store: Arc<dyn Store>) {
    let empty = store.load().await.expect("load empty");
    assert_eq!(empty.revision, 0);
    assert!(empty.releases.is_empty() && empty.apps.is_empty());
    let mut revisions = store.subscribe();

    // Revision 1: an app and a version.
    let b1 = Batch {
        base_revision: 0,
        records: Records {
            revision: 1,
            apps: vec![app(1)],
            versions: vec![version("1.1.0", 1)],
            ..Records::default()
        },
        history: Vec::new(),
        reads: Reads::default(),
        suspension_history: Vec::new(),
    };
    store.commit(Arc::new(b1)).await.expect("commit 1");
    assert_eq!(store.revision().await.expect("revision"), 1);
    tokio::time::timeout(
        std::time::Duration::from_secs(2),
        revisions.wait_for(|r| *r >= 1),
    )
    .await
    .expect("subscribers hear of the commit")
    .expect("channel open");

    // Revision 2: a release with a test group and its history.
    let mut r1 = release(1, Status::NewVersionCreated, 2);
    r1.test_group_size = 2;
    let group = Arc::new(TestGroup::parse(&["alice", "bob"]).expect("group"));
    let b2 = Batch {
        base_revision: 1,
        records: Records {
            revision: 1 + 1,
            releases: vec![r1.clone()],
            test_groups: vec![(1, Arc::clone(&group))],
            ..Records::default()
        },
        history: vec![history(1, 2, Status::NewVersionCreated)],
        reads: Reads::default(),
        suspension_history: Vec::new(),
    };
    store.commit(Arc::new(b2)).await.expect("commit 2");

    // A batch decided on a stale revision, on the route release 1 has since joined, is
    // refused and changes nothing.
    let stale = Batch {
        base_revision: 1,
        records: Records {
            revision: 1 + 1,
            releases: vec![release(2, Status::UnderReview, 2)],
            ..Records::default()
        },
        history: Vec::new(),
        reads: reads_route(),
        suspension_history: Vec::new(),
    };
    match store.commit(Arc::new(stale)).await {
        Err(StoreError::Conflict {
            expected: 1,
            actual: 2,
        }) => {}
        other => panic!("stale batch must conflict, got {other:?}"),
    }

    // Revision 3: the release moves on.
    let r1b = release(1, Status::UnderReview, 3);
    let b3 = Batch {
        base_revision: 2,
        records: Records {
            revision: 2 + 1,
            releases: vec![r1b.clone()],
            ..Records::default()
        },
        history: vec![history(1, 3, Status::UnderReview)],
        reads: Reads::default(),
        suspension_history: Vec::new(),
    };
    store.commit(Arc::new(b3)).await.expect("commit 3");

    let all = store.load().await.expect("load");
    assert_eq!(all.revision, 3);
    assert_eq!(all.apps, vec![app(1)]);
    assert_eq!(all.versions, vec![version("1.1.0", 1)]);
    assert_eq!(
        all.releases,
        vec![r1b.clone()],
        "the stale batch left no trace"
    );
    assert_eq!(all.test_groups.len(), 1);
    assert_eq!(*all.test_groups[0].1, *group);

    let since = store.changes_since(2).await.expect("changes");
    assert_eq!(since.revision, 3);
    assert!(
        since.apps.is_empty() && since.versions.is_empty(),
        "only what changed after 2"
    );
    assert_eq!(since.releases, vec![r1b]);
    assert!(
        store
            .changes_since(3)
            .await
            .expect("no changes")
            .releases
            .is_empty()
    );

    let h = store.history(1).await.expect("history");
    assert_eq!(h.iter().map(|e| e.revision).collect::<Vec<_>>(), vec![2, 3]);
    assert!(store.history(99).await.expect("empty history").is_empty());
}

/// Two writers deciding on the same revision, both reading one route: exactly one commits.
async fn one_writer_wins(a: Arc<dyn Store>, b: Arc<dyn Store>) {
    let base = a.revision().await.expect("revision");
    let batch = |id| {
        Arc::new(Batch {
            base_revision: base,
            records: Records {
                revision: base + 1,
                releases: vec![release(id, Status::NewVersionCreated, base + 1)],
                ..Records::default()
            },
            history: Vec::new(),
            reads: reads_route(),
            suspension_history: Vec::new(),
        })
    };
    let (ra, rb) = tokio::join!(a.commit(batch(10)), b.commit(batch(11)));
    let wins = [ra.is_ok(), rb.is_ok()].iter().filter(|w| **w).count();
    assert_eq!(
        wins, 1,
        "exactly one of two racing commits lands: {ra:?} {rb:?}"
    );
    let loser = if ra.is_ok() { rb } else { ra };
    assert!(matches!(loser, Err(StoreError::Conflict { .. })));
    let ids: Vec<u64> = a
        .load()
        .await
        .expect("load")
        .releases
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids.iter().filter(|id| **id == 10 || **id == 11).count(), 1);
}

#[tokio::test]
async fn embedded_store_keeps_the_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nested/graygate.db");
    let store = Arc::new(EmbeddedStore::open(&path).expect("open"));
    contract(store.clone()).await;
    one_writer_wins(store.clone(), store.clone()).await;
    reports::report_totals(store.clone(), store.clone()).await;
    let fresh = EmbeddedStore::open(&dir.path().join("outcomes.db")).expect("open");
    outcomes::commit_outcomes(Arc::new(fresh)).await;
    let suspensions_at = dir.path().join("suspensions.db");
    let fresh = Arc::new(EmbeddedStore::open(&suspensions_at).expect("open"));
    let written = suspensions::suspensions(fresh.clone(), fresh.clone()).await;
    drop(fresh);
    let reopened = EmbeddedStore::open(&suspensions_at).expect("reopen");
    suspensions::read_back(&reopened, &written).await;
    let before = store.load().await.expect("load");
    drop(store);
    let reopened = EmbeddedStore::open(&path).expect("reopen");
    let after = reopened.load().await.expect("load");
    let kept = reopened
        .reports(41)
        .await
        .expect("report totals after reopening");
    assert_eq!(kept.candidate.ok, 150, "report totals are durable");
    assert_eq!(after.revision, before.revision);
    assert_eq!(
        after.releases, before.releases,
        "committed state survives a reopen"
    );
}

#[tokio::test]
async fn embedded_store_file_is_locked_to_one_process() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("graygate.db");
    let _first = EmbeddedStore::open(&path).expect("open");
    assert!(
        EmbeddedStore::open(&path).is_err(),
        "a second opener must be refused"
    );
}

/// A Redis URL to test against, or `None` (skip) when Redis is optional and absent.
async fn redis_url() -> Option<String> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let required = std::env::var("GRAYGATE_REQUIRE_REDIS").is_ok_and(|v| v == "1");
    match RedisStore::connect(&url, "graygate-probe").await {
        Ok(_) => Some(url),
        Err(e) if required => {
            panic!("GRAYGATE_REQUIRE_REDIS=1 but Redis at {url} is unavailable: {e}")
        }
        Err(e) => {
            let reason = format!("Redis at {url} unavailable ({e})");
            common::skip("the Redis store contract tests", &reason);
            None
        }
    }
}

/// Deletes every key of a test namespace.
async fn drop_namespace(url: &str, ns: &str) {
    let client = redis::Client::open(url).expect("url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{{{ns}}}:*"))
        .query_async(&mut conn)
        .await
        .expect("keys");
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut conn)
            .await
            .expect("del");
    }
}

fn fresh_namespace() -> String {
    format!(
        "contract-{}-{}",
        std::process::id(),
        graygate::bucket::new_salt().expect("random")
    )
}

#[tokio::test]
async fn redis_store_keeps_the_contract() {
    let Some(url) = redis_url().await else { return };
    let ns = fresh_namespace();
    let store = Arc::new(RedisStore::connect(&url, &ns).await.expect("connect"));
    contract(store.clone()).await;
    let other = Arc::new(RedisStore::connect(&url, &ns).await.expect("connect"));
    reports::report_totals(store.clone(), other.clone()).await;
    one_writer_wins(store, other).await;
    drop_namespace(&url, &ns).await;
    let ns = fresh_namespace();
    let fresh = RedisStore::connect(&url, &ns).await.expect("connect");
    outcomes::commit_outcomes(Arc::new(fresh)).await;
    drop_namespace(&url, &ns).await;
    let ns = fresh_namespace();
    let a = Arc::new(RedisStore::connect(&url, &ns).await.expect("connect"));
    let b = Arc::new(RedisStore::connect(&url, &ns).await.expect("connect"));
    let written = suspensions::suspensions(a, b).await;
    let reconnected = RedisStore::connect(&url, &ns).await.expect("reconnect");
    suspensions::read_back(&reconnected, &written).await;
    drop_namespace(&url, &ns).await;
}

#[tokio::test]
async fn redis_namespaces_are_isolated() {
    let Some(url) = redis_url().await else { return };
    let (na, nb) = (fresh_namespace(), fresh_namespace());
    let a = RedisStore::connect(&url, &na).await.expect("connect");
    let b = RedisStore::connect(&url, &nb).await.expect("connect");
    let batch = Batch {
        base_revision: 0,
        records: Records {
            revision: 1,
            apps: vec![app(1)],
            ..Records::default()
        },
        history: Vec::new(),
        reads: Reads::default(),
        suspension_history: Vec::new(),
    };
    a.commit(Arc::new(batch)).await.expect("commit");
    assert_eq!(a.revision().await.expect("a"), 1);
    assert_eq!(b.revision().await.expect("b"), 0);
    assert!(b.load().await.expect("load").apps.is_empty());
    drop_namespace(&url, &na).await;
}
