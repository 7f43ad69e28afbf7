//! Many writers on two nodes at once (issue 10). Writers on different routes never
//! refuse each other: every write is accepted, each with a revision of its own. Writers
//! on one release take turns: each round has exactly one winner, and every other writer
//! gets the typed answer of SPEC §2/§4 (412 with a stale `If-Match`, 409 when the action
//! no longer fits), never a 503.

use std::sync::Barrier;

use serde_json::{Value, json};

use crate::common::{Gateway, Namespace, Reply, Who, redis_url};
use crate::support::*;

const WRITERS: usize = 8;

/// `PUT /v1/admin/releases/{id}/config` through `gw`, with an optional `If-Match`.
fn edit_config(gw: &Gateway, id: u64, config: &Value, if_match: Option<u64>) -> Reply {
    let mut call = gw
        .admin("PUT", &format!("/v1/admin/releases/{id}/config"))
        .by(Who::Developer);
    if let Some(revision) = if_match {
        call = call.if_match(revision);
    }
    call.json(config).send()
}

/// `store_commit_retries_total{reason}` as `gw` counts it.
fn retries(gw: &Gateway, reason: &str) -> u64 {
    let text = gw.admin("GET", "/metrics").send().expect(200).text;
    let series = format!("graygate_store_commit_retries_total{{reason=\"{reason}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(series.as_str()))
        .map_or(0, |v| v.trim().parse().expect("a count"))
}

/// Runs `write(writer)` for every writer on its own thread, all released at once.
fn all_at_once<T: Send>(write: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let barrier = Barrier::new(WRITERS);
    std::thread::scope(|s| {
        let threads: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (barrier, write) = (&barrier, &write);
                s.spawn(move || {
                    barrier.wait();
                    write(w)
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("writer panicked"))
            .collect()
    })
}

/// Eight releases of their own mini programs (so their own routes), created through
/// the first node; their ids.
fn own_releases(ns: &Namespace, nodes: &[Gateway; 2]) -> Vec<u64> {
    let ids = (0..WRITERS)
        .map(|w| {
            let mp = format!("mp-w{w}");
            crate::common::upload_reply(&nodes[0], &mp, "1.0.0").expect(201);
            let body = crate::common::release_body(&mp, "1.0.0", APP, PROD);
            let reply = nodes[0].post(Who::Developer, "/v1/admin/releases", &body);
            reply.expect(201).body["id"].as_u64().expect("id")
        })
        .collect();
    in_step(ns, &[&nodes[0], &nodes[1]]);
    ids
}

/// Every writer edits its own release's config `writes` times at once, write `k` of
/// writer `w` through node `via(w, k)`. Asserts that none is refused, that each took
/// a revision of its own (rule 5), and that both nodes end with every last write and
/// every edit in the history.
fn race(
    ns: &Namespace,
    nodes: &[Gateway; 2],
    writes: usize,
    via: impl Fn(usize, usize) -> usize + Sync,
) {
    let ids = own_releases(ns, nodes);
    let before = ns.revision();
    let replies = all_at_once(|w| {
        (0..writes)
            .map(|k| {
                let config = json!({ "writer": w, "write": k });
                let reply = edit_config(&nodes[via(w, k)], ids[w], &config, None);
                (reply.status, reply.body["revision"].as_u64(), reply.text)
            })
            .collect::<Vec<_>>()
    });
    let refused: Vec<&(u16, Option<u64>, String)> =
        replies.iter().flatten().filter(|r| r.0 != 200).collect();
    assert!(refused.is_empty(), "{} refused: {refused:?}", refused.len());
    let mut revisions: Vec<Option<u64>> = replies.iter().flatten().map(|r| r.1).collect();
    revisions.sort_unstable();
    revisions.dedup();
    assert_eq!(revisions.len(), WRITERS * writes, "one revision per write");
    assert_eq!(ns.revision() - before, (WRITERS * writes) as u64);
    converged(ns, &[&nodes[0], &nodes[1]]);
    for (w, id) in ids.iter().enumerate() {
        let last = json!({ "writer": w, "write": writes - 1 });
        for gw in nodes {
            assert_eq!(release(gw, *id)["config"], last, "writer {w}'s last write");
        }
        let edits = history(&nodes[1], *id);
        let edits = edits.iter().filter(|h| h["action"] == "edit_config");
        assert_eq!(edits.count(), writes, "writer {w}: every edit recorded");
    }
}

/// Eight writers, four on each node, each on its own release: no write is refused or
/// even decided again, since another node's writes only make the base stale.
#[test]
fn writers_on_distinct_releases_are_never_refused() {
    let Some(url) = redis_url("writers_on_distinct_releases_are_never_refused") else {
        return;
    };
    let ns = Namespace::fresh(&url, "nodes-writers");
    let nodes = [node(&ns, 60.0), node(&ns, 60.0)];
    race(&ns, &nodes, 40, |w, _| w % 2);
    let stale: u64 = nodes.iter().map(|gw| retries(gw, "stale_base")).sum();
    let conflicts: u64 = nodes.iter().map(|gw| retries(gw, "conflict")).sum();
    println!("{} writes: {stale} restamped on a newer base", WRITERS * 40);
    assert_eq!(conflicts, 0, "writes on different routes never conflict");
}

/// The same writers, each switching node on every write: a node may decide before it
/// heard of the writer's previous write through the other node (a real conflict); it
/// catches up and decides again, and still no write is refused.
#[test]
fn writers_switching_nodes_are_never_refused() {
    let Some(url) = redis_url("writers_switching_nodes_are_never_refused") else {
        return;
    };
    let ns = Namespace::fresh(&url, "nodes-switching");
    let nodes = [node(&ns, 60.0), node(&ns, 60.0)];
    race(&ns, &nodes, 40, |w, k| (w + k) % 2);
}

/// Splits one round's replies into the winner and the losers, asserting one winner.
#[track_caller]
fn one_winner(round: usize, replies: Vec<Reply>) -> (Reply, Vec<Reply>) {
    let (won, lost): (Vec<Reply>, Vec<Reply>) = replies.into_iter().partition(|r| r.status == 200);
    let statuses: Vec<u16> = lost.iter().map(|r| r.status).collect();
    let [winner] = <[Reply; 1]>::try_from(won)
        .unwrap_or_else(|won| panic!("round {round}: {} winners, losers {statuses:?}", won.len()));
    (winner, lost)
}

/// Eight writers (four per node) on one release at once: with the `If-Match` they all
/// read, one config edit wins and the rest get 412 `revision_mismatch`; applying it,
/// one moves it under review and the rest get 409 `action_not_allowed`.
#[test]
fn writers_on_one_release_get_one_winner_and_typed_refusals() {
    const ROUNDS: usize = 10;
    let Some(url) = redis_url("writers_on_one_release_get_one_winner_and_typed_refusals") else {
        return;
    };
    let ns = Namespace::fresh(&url, "nodes-one-release");
    let nodes = [node(&ns, 60.0), node(&ns, 60.0)];
    let id = new_release(&nodes[0], PROD, "1.0.0");
    for round in 0..ROUNDS {
        in_step(&ns, &[&nodes[0], &nodes[1]]);
        let seen = release(&nodes[0], id)["revision"].as_u64();
        let replies = all_at_once(|w| {
            let config = json!({ "round": round, "writer": w });
            edit_config(&nodes[w % 2], id, &config, seen)
        });
        let (winner, lost) = one_winner(round, replies);
        for loser in lost {
            loser.expect_error(412, "revision_mismatch");
        }
        let applied = all_at_once(|w| act(&nodes[w % 2], Who::Developer, id, "apply", None, None));
        let (applied, lost) = one_winner(round, applied);
        for loser in lost {
            let loser = loser.expect_error(409, "action_not_allowed");
            assert_eq!(
                loser.body["error"]["status"], "under_review",
                "{}",
                loser.text
            );
        }
        converged(&ns, &[&nodes[0], &nodes[1]]);
        assert_eq!(release(&nodes[1], id)["config"], winner.body["config"]);
        assert_eq!(
            moved_to(applied, "under_review")["config"],
            winner.body["config"]
        );
        let withdrawn = act(&nodes[1], Who::Developer, id, "withdraw", None, None);
        moved_to(withdrawn, "new_version_created");
    }
    let h = history(&nodes[0], id);
    let count = |action: &str| h.iter().filter(|e| e["action"] == action).count();
    assert_eq!((count("edit_config"), count("apply")), (ROUNDS, ROUNDS));
}

/// Eight writers uploading versions and creating releases of their own mini programs
/// at once, switching node on every write: release ids are drawn from one sequence, so
/// two creates at once collide on the id and one is decided again, but none is refused
/// and every release gets an id of its own.
#[test]
fn creates_on_distinct_routes_are_never_refused() {
    const CREATES: usize = 10;
    let Some(url) = redis_url("creates_on_distinct_routes_are_never_refused") else {
        return;
    };
    let ns = Namespace::fresh(&url, "nodes-creates");
    let nodes = [node(&ns, 60.0), node(&ns, 60.0)];
    let replies = all_at_once(|w| {
        let mp = format!("mp-c{w}");
        (0..CREATES)
            .flat_map(|k| {
                let version = format!("1.{k}.0");
                let gw = &nodes[(w + k) % 2];
                let upload = crate::common::upload_reply(gw, &mp, &version);
                let body = crate::common::release_body(&mp, &version, APP, PROD);
                [upload, gw.post(Who::Developer, "/v1/admin/releases", &body)]
            })
            .map(|r| (r.status, r.body["id"].as_u64(), r.text))
            .collect::<Vec<_>>()
    });
    let refused: Vec<_> = replies.iter().flatten().filter(|r| r.0 != 201).collect();
    assert!(refused.is_empty(), "{} refused: {refused:?}", refused.len());
    let mut ids: Vec<u64> = replies.iter().flatten().filter_map(|r| r.1).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), WRITERS * CREATES, "one id per release");
    converged(&ns, &[&nodes[0], &nodes[1]]);
    assert_eq!(
        releases(&nodes[1]).as_array().map(Vec::len),
        Some(WRITERS * CREATES)
    );
}
