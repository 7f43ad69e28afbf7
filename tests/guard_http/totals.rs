//! Cluster-wide report counts (SPEC §9): reports sent to different nodes on one Redis
//! add up, per arm, in the namespace's totals within about a second; full-channel
//! reports count as the control arm of the release in grayscale.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use crate::common::{Gateway, Namespace, Options, Release, StoreSpec, TargetApp, Who};
use crate::common::{eventually, redis_url, release_body, upload};

const APP: &str = "superapp-t";
const MP: &str = "mp-totals";

fn node(ns: &Namespace) -> Gateway {
    let app = TargetApp::new(APP).env("production", "{ pilot_testing = false }");
    let store = StoreSpec::Section(ns.store_section(1.0));
    Gateway::start(Options::default().app(app).store(store))
}

/// Version `version` through review to `release_preparation` on `gw`.
fn prepared<'g>(gw: &'g Gateway, version: &str) -> Release<'g> {
    upload(gw, MP, version);
    let body = release_body(MP, version, APP, "production");
    let r = Release::of(
        gw,
        &gw.post(Who::Developer, "/v1/admin/releases", &body)
            .expect(201),
    );
    r.act(Who::Developer, "apply").expect(200);
    r.act(Who::Reviewer, "approve").expect(200);
    r
}

fn send(gw: &Gateway, release: u64, channel: &str, outcome: &str, count: u64) {
    let event = json!({"mini_program": MP, "release_id": release, "channel": channel, "outcome": outcome, "count": count});
    let body = json!({"app": APP, "env": "production", "events": [event]});
    let reply = gw
        .client("POST", "/v1/report")
        .json(&body)
        .send()
        .expect(202);
    assert_eq!(reply.body["accepted"], 1, "{}", reply.text);
}

#[test]
fn reports_to_two_nodes_add_up_in_redis() {
    let test = "reports_to_two_nodes_add_up_in_redis";
    let Some(url) = redis_url(test) else { return };
    let ns = Namespace::fresh(&url, "reports-totals");
    let (a, b) = (node(&ns), node(&ns));
    let full = prepared(&a, "1.0.0");
    full.act_with(Who::Admin, "go_live", &json!({"type": "full"}))
        .expect(200);
    let gray = prepared(&a, "2.0.0");
    gray.act_with(
        Who::Admin,
        "go_live",
        &json!({"type": "grayscale", "percentage": 20}),
    )
    .expect(200);
    let on_b = Release {
        gw: &b,
        id: gray.id,
    };
    eventually(
        "node B serves the grayscale",
        Duration::from_secs(10),
        || (on_b.status() == "grayscale_release").then_some(()),
    );
    send(&a, gray.id, "grayscale", "error", 30);
    send(&b, gray.id, "grayscale", "error", 20);
    send(&a, gray.id, "grayscale", "ok", 400);
    send(&b, full.id, "full", "ok", 1000);
    send(&a, full.id, "full", "error", 9);
    let expected: BTreeMap<String, u64> = [
        ("candidate:error", 50),
        ("candidate:ok", 400),
        ("control:ok", 1000),
        ("control:error", 9),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let key = format!("reports:{}", gray.id);
    let ((), took) = eventually(
        "both nodes' counts in Redis",
        Duration::from_secs(5),
        || (ns.counts(&key) == expected).then_some(()),
    );
    println!("reports reached the cluster-wide totals within {took:?}");
    assert!(
        ns.counts(&format!("reports:{}", full.id)).is_empty(),
        "a full release has no arms"
    );
}
