//! SPEC §11 under `kill -9`: rollbacks are fired one after another and the gateway is
//! SIGKILLed right after some of them are acknowledged; after a restart on the same
//! store, every route has either both releases moved (rolled back, predecessor
//! restored, both history entries at one revision) or neither, and every acknowledged
//! rollback is there. On the embedded store and on Redis.

use std::sync::mpsc;

use serde_json::json;

use crate::common::{Gateway, Namespace, Release, StoreSpec, Who, redis_url};
use crate::support::*;

/// Routes, each with a full release that replaced another.
const ROUTES: usize = 24;
/// The acknowledged rollback right after which the gateway is killed.
const KILL_AT_ACK: usize = 8;
const ENV: &str = "development";

/// Per route: the predecessor and the release that replaced it (both ids).
fn seed(gw: &Gateway) -> Vec<(u64, u64)> {
    (0..ROUTES)
        .map(|i| {
            let mp = format!("mp-kill-{i}");
            let mut ids = ["1.0.0", "2.0.0"].map(|v| {
                let r = new_release_of(gw, &mp, PILOT_APP, ENV, v, json!({}));
                r.apply(Who::Developer).expect(200);
                r.id
            });
            ids.sort_unstable();
            (ids[0], ids[1])
        })
        .collect()
}

/// Rolls back every route's release in turn, SIGKILLing the gateway right after ack
/// number [`KILL_AT_ACK`]; the ids whose rollback was acknowledged.
fn rollbacks_until_killed(gw: &Gateway, routes: &[(u64, u64)]) -> Vec<u64> {
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|s| {
        s.spawn(move || {
            for &(_, id) in routes {
                let path = Release { gw, id }.path("/rollback");
                let call = gw.admin("POST", &path).by(Who::Admin);
                match call.json(&json!({ "reason": "incident" })).try_send() {
                    Ok(reply) if reply.status == 200 => {
                        let _ = tx.send(id);
                    }
                    Ok(reply) => panic!("rollback {id} answered {}: {}", reply.status, reply.text),
                    Err(_) => return, // the gateway is gone
                }
            }
        });
        let mut acked = Vec::new();
        for id in rx.iter() {
            acked.push(id);
            if acked.len() == KILL_AT_ACK {
                assert!(gw.send_sigkill(), "SIGKILL sent");
            }
        }
        acked
    })
}

/// Both releases of a route moved, or neither; the acknowledged ones moved.
fn assert_all_or_nothing(gw: &Gateway, routes: &[(u64, u64)], acked: &[u64]) {
    let mut moved = 0;
    for &(old, new) in routes {
        let (o, n) = (Release { gw, id: old }, Release { gw, id: new });
        let statuses = (o.status(), n.status());
        match (statuses.0.as_str(), statuses.1.as_str()) {
            ("full_release", "rolled_back") => {
                moved += 1;
                let (ho, hn) = (o.history(), n.history());
                let (last_o, last_n) = (&ho[ho.len() - 1], &hn[hn.len() - 1]);
                assert_eq!(
                    (&last_o["action"], &last_n["action"]),
                    (&json!("restore"), &json!("rollback"))
                );
                assert_eq!(
                    last_o["revision"], last_n["revision"],
                    "one revision for both"
                );
            }
            ("archived", "full_release") => {
                assert!(!acked.contains(&new), "acknowledged rollback of {new} lost");
            }
            other => panic!("route of {old} and {new} is half rolled back: {other:?}"),
        }
    }
    assert!(
        moved >= acked.len(),
        "{moved} moved, {} acknowledged",
        acked.len()
    );
    println!(
        "{moved} of {ROUTES} routes rolled back, {} acknowledged",
        acked.len()
    );
}

fn rollbacks_survive_a_sigkill(mut gw: Gateway) {
    let routes = seed(&gw);
    let acked = rollbacks_until_killed(&gw, &routes);
    assert!(acked.len() >= KILL_AT_ACK, "the rollbacks stopped early");
    gw.restart();
    assert_all_or_nothing(&gw, &routes, &acked);
}

#[test]
fn a_rollback_moves_both_releases_or_neither_across_a_sigkill_embedded() {
    rollbacks_survive_a_sigkill(gateway());
}

#[test]
fn a_rollback_moves_both_releases_or_neither_across_a_sigkill_redis() {
    let test = "a_rollback_moves_both_releases_or_neither_across_a_sigkill_redis";
    let Some(url) = redis_url(test) else { return };
    let ns = Namespace::fresh(&url, "platform-kill");
    let store = StoreSpec::Section(ns.store_section(2.0));
    rollbacks_survive_a_sigkill(Gateway::start(options().store(store)));
}
