//! The periodic revision check (`store.revision_check_seconds`) is the safety net under
//! pub/sub (SPEC §7): a node that gets no change notification at all still catches up.
//!
//! Pub/sub is taken out of the picture by Redis itself, not by timing: the node under
//! test logs in as a Redis user whose ACL denies `SUBSCRIBE`, so its subscriber task
//! (src/store/redis.rs `follow_revisions`) can never join the revision channel, while
//! everything else it does (the commit and catch-up scripts, `GET` of the revision)
//! works. The test proves the subscription is absent (`PUBSUB NUMSUB` counts only the
//! writer; no connection of that user holds a subscription; Redis logged the denied
//! `SUBSCRIBE`), and a twin node on the same user with its check a minute away stays
//! behind, so nothing but the check brought the change.

use std::time::Duration;

use crate::common::{Gateway, Namespace, Options, RedisServer, StoreSpec, TargetApp};
use crate::support::*;

/// The Redis user that may do anything but subscribe, and its password.
const DEAF: (&str, &str) = ("deaf-node", "deaf-node-password");
/// The revision check of the node that must catch up.
const CHECK_SECONDS: f64 = 0.3;

/// Creates [`DEAF`] on `redis`; its URL.
fn deaf_user(redis: &RedisServer) -> String {
    let mut conn = redis.connection();
    let (name, password) = DEAF;
    let () = redis::cmd("ACL")
        .arg(
            &[
                "SETUSER",
                name,
                "on",
                &format!(">{password}"),
                "~*",
                "&*",
                "+@all",
            ][..],
        )
        .arg(&["-subscribe", "-psubscribe", "-ssubscribe"][..])
        .query(&mut conn)
        .expect("ACL SETUSER");
    redis.url_as(name, password)
}

/// A node of [`APP`] on `ns`, reaching Redis through `url`.
fn node_via(ns: &Namespace, url: &str, revision_check_seconds: f64) -> Gateway {
    let app = TargetApp::new(APP)
        .env(PROD, "{ pilot_testing = false }")
        .env(DEV, "{}");
    let store = StoreSpec::Section(ns.store_section_via(url, revision_check_seconds));
    Gateway::start(Options::default().app(app).store(store))
}

/// Subscribers of the namespace's channel, and whether any connection of the deaf
/// user holds a subscription; and whether Redis logged a denied `SUBSCRIBE` of it.
fn subscriptions(redis: &RedisServer, ns: &Namespace) -> (i64, bool, bool) {
    let mut conn = redis.connection();
    let (_, count): (String, i64) = redis::cmd("PUBSUB")
        .arg(&["NUMSUB", &ns.channel()][..])
        .query(&mut conn)
        .expect("PUBSUB NUMSUB");
    let clients: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query(&mut conn)
        .expect("CLIENT LIST");
    let deaf_subscribed = clients
        .lines()
        .filter(|l| l.contains(&format!(" user={} ", DEAF.0)))
        .any(|l| !l.contains(" sub=0 ") || !l.contains(" psub=0 "));
    let log: redis::Value = redis::cmd("ACL")
        .arg("LOG")
        .query(&mut conn)
        .expect("ACL LOG");
    let denied = format!("{log:?}").contains("subscribe") && format!("{log:?}").contains(DEAF.0);
    (count, deaf_subscribed, denied)
}

#[test]
fn the_revision_check_catches_up_a_node_without_pub_sub() {
    let test = "the_revision_check_catches_up_a_node_without_pub_sub";
    let Some(redis) = RedisServer::for_test(test) else {
        return;
    };
    let ns = Namespace::fresh(&redis.url(), "nodes-catch-up");
    let deaf = deaf_user(&redis);
    let writer = node_via(&ns, &redis.url(), 60.0);
    let checked = node_via(&ns, &deaf, CHECK_SECONDS);
    let unchecked = node_via(&ns, &deaf, 60.0);
    eventually("only the writer subscribed", DEADLINE, || {
        (subscriptions(&redis, &ns) == (1, false, true)).then_some(())
    });

    release_to_development(&writer, "1.0.0");
    let target = ns.revision();
    let (_, took) = eventually("the checked node serves 1.0.0", DEADLINE, || {
        (served(&checked, DEV, "user-1").as_deref() == Some("1.0.0")).then_some(())
    });
    println!("caught up by the revision check after {took:?}");
    assert_eq!(checked.revision(), target);
    assert_eq!(
        releases(&checked),
        releases(&writer),
        "the check brings every record"
    );

    std::thread::sleep(Duration::from_secs_f64(CHECK_SECONDS * 3.0));
    assert_eq!(
        served(&unchecked, DEV, "user-1"),
        None,
        "no other path brought it"
    );
    assert!(unchecked.revision() < target);
    assert_eq!(
        subscriptions(&redis, &ns),
        (1, false, true),
        "still no subscription"
    );
}
