//! The start-up durability check (README "Deployment"): a node warns when its Redis
//! would lose acknowledged writes on a restart, stays quiet when Redis runs with
//! `appendonly yes` + `appendfsync always` (read over RESP3, the default, and RESP2),
//! and says something different when it cannot read the settings at all.

use crate::common::{Gateway, Namespace, Options, RedisServer, StoreSpec, TargetApp};
use crate::support::*;

const DURABLE: &str = "redis keeps acknowledged writes";
const NOT_DURABLE: &str = "redis is not durable";
const UNKNOWN: &str = "cannot read whether redis is durable";

/// A node on `ns` through `url`; what it logged by the time it listens.
fn started_log(ns: &Namespace, url: &str) -> String {
    let app = TargetApp::new(APP).env(PROD, "{ pilot_testing = false }");
    let store = StoreSpec::Section(ns.store_section_via(url, 1.0));
    let gw = Gateway::start(Options::default().app(app).store(store));
    gw.stderr()
}

#[test]
fn a_durable_redis_is_recognised_over_resp3_and_resp2() {
    let Some(redis) = RedisServer::for_test("a_durable_redis_is_recognised_over_resp3_and_resp2")
    else {
        return;
    };
    let ns = Namespace::fresh(&redis.url(), "durable");
    for url in [redis.url(), format!("{}/?protocol=resp2", redis.url())] {
        let log = started_log(&ns, &url);
        assert!(log.contains(DURABLE), "{url}: {log}");
        assert!(
            !log.contains(NOT_DURABLE) && !log.contains(UNKNOWN),
            "{url}: {log}"
        );
    }
}

#[test]
fn a_redis_without_fsync_on_every_write_is_warned_about_with_its_settings() {
    let Some(redis) = RedisServer::for_test("a_redis_without_fsync_on_every_write") else {
        return;
    };
    let mut conn = redis.connection();
    let () = redis::cmd("CONFIG")
        .arg(&["SET", "appendfsync", "everysec"][..])
        .query(&mut conn)
        .expect("CONFIG SET");
    let ns = Namespace::fresh(&redis.url(), "lossy");
    for url in [redis.url(), format!("{}/?protocol=resp2", redis.url())] {
        let log = started_log(&ns, &url);
        assert!(log.contains(NOT_DURABLE), "{url}: {log}");
        assert!(
            log.contains("everysec") && !log.contains(DURABLE),
            "{url}: {log}"
        );
    }
}

#[test]
fn settings_that_cannot_be_read_are_not_taken_for_either_answer() {
    let Some(redis) = RedisServer::for_test("settings_that_cannot_be_read") else {
        return;
    };
    let mut conn = redis.connection();
    let () = redis::cmd("ACL")
        .arg(
            &[
                "SETUSER",
                "no-config",
                "on",
                ">no-config-pw",
                "~*",
                "&*",
                "+@all",
                "-config",
            ][..],
        )
        .query(&mut conn)
        .expect("ACL SETUSER");
    let ns = Namespace::fresh(&redis.url(), "opaque");
    let log = started_log(&ns, &redis.url_as("no-config", "no-config-pw"));
    assert!(log.contains(UNKNOWN), "{log}");
    assert!(
        !log.contains(DURABLE) && !log.contains(NOT_DURABLE),
        "{log}"
    );
}
