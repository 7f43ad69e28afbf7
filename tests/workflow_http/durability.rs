//! Rule 5 at the moment of acknowledgement: writers keep the gateway busy, the gateway
//! is SIGKILLed the instant one of their writes is acknowledged, and after a restart on
//! the same store every acknowledged write is there (the version, the release with the
//! acknowledged status, the history entry with the acknowledged revision). Run on the
//! embedded store and on Redis.
//!
//! What a SIGKILL cannot prove: the kernel outlives the process, so bytes the gateway
//! wrote but never fsynced are still in the page cache and read back after the restart.
//! This test proves the gateway answers only after its store accepted the commit (no
//! acknowledgement from memory, no write-behind queue); it cannot tell a commit that was
//! fsynced from one that was not. That part rests on the stores: the embedded store
//! commits with redb's `Durability::Immediate` (fsync before `commit` returns,
//! src/store/embedded.rs), and Redis is durable only with `appendonly yes` +
//! `appendfsync always`, which the gateway checks and warns about at start
//! (src/store/redis.rs); `RedisServer` in tests/common runs that way and the outage
//! tests SIGKILL Redis itself. Only a power cut or a VM snapshot would test the fsync.

use std::collections::BTreeMap;
use std::sync::mpsc;

use serde_json::{Value, json};

use crate::common::{Gateway, Namespace, Release, Reply, StoreSpec, Who, redis_url};
use crate::support::*;

/// Concurrent writers.
const WRITERS: usize = 4;
/// The acknowledgement right after which the gateway is killed.
const KILL_AT_ACK: usize = 60;

/// An acknowledged workflow action: the release, the action and what the answer said.
#[derive(Debug, Clone)]
struct Acked {
    id: u64,
    action: &'static str,
    to: String,
    revision: u64,
}

/// One acknowledged write.
#[derive(Debug, Clone)]
enum Ack {
    Version(String),
    Action(Acked),
}

/// Why a writer stopped: the gateway went away (expected), or it answered otherwise.
enum Stop {
    Transport,
    Unexpected(String),
}

/// `POST` as the developer; a transport failure is a [`Stop::Transport`].
fn post(gw: &Gateway, path: &str, body: Option<&Value>) -> Result<Reply, Stop> {
    let call = gw.admin("POST", path).by(Who::Developer);
    let call = match body {
        Some(body) => call.json(body),
        None => call,
    };
    call.try_send().map_err(|_| Stop::Transport)
}

/// The ack of a 200/201 answer representing the release after `action`.
fn acked(reply: Reply, action: &'static str) -> Result<Acked, Stop> {
    let b = &reply.body;
    match (reply.status, b["id"].as_u64(), b["revision"].as_u64()) {
        (200 | 201, Some(id), Some(revision)) => Ok(Acked {
            id,
            action,
            to: b["status"].as_str().unwrap_or_default().to_string(),
            revision,
        }),
        _ => Err(Stop::Unexpected(format!("{}: {}", reply.what, reply.text))),
    }
}

/// Uploads, creates in development and applies (straight to `full_release`) a new
/// mini program, sending each ack the moment its answer arrives.
fn write_one(gw: &Gateway, mp: &str, acks: &mpsc::Sender<Ack>) -> Result<(), Stop> {
    let version = json!({ "version": "1.0.0", "package_url": package_url(mp, "1.0.0") });
    let path = format!("/v1/admin/mini-programs/{mp}/versions");
    let uploaded = post(gw, &path, Some(&version))?;
    if uploaded.status != 201 {
        return Err(Stop::Unexpected(uploaded.text));
    }
    let _ = acks.send(Ack::Version(mp.to_string()));
    let body = release_body(mp, "1.0.0", PILOT_APP, "development");
    let created = acked(post(gw, "/v1/admin/releases", Some(&body))?, "create")?;
    let release = Release { gw, id: created.id };
    let _ = acks.send(Ack::Action(created));
    let applied = acked(post(gw, &release.path("/apply"), None)?, "apply")?;
    let _ = acks.send(Ack::Action(applied));
    Ok(())
}

/// Writer `w` writes until the gateway is gone; why it stopped.
fn writer(gw: &Gateway, w: usize, acks: mpsc::Sender<Ack>) -> Stop {
    let mut i = 0;
    loop {
        if let Err(stop) = write_one(gw, &format!("mp-w{w}-{i}"), &acks) {
            return stop;
        }
        i += 1;
    }
}

/// Runs the writers and SIGKILLs the gateway right after ack number [`KILL_AT_ACK`];
/// every ack any writer received, in the order they arrived.
fn acks_until_killed(gw: &Gateway) -> Vec<Ack> {
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|s| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let tx = tx.clone();
                s.spawn(move || writer(gw, w, tx))
            })
            .collect();
        drop(tx);
        let mut acks = Vec::new();
        for ack in rx.iter() {
            acks.push(ack);
            if acks.len() == KILL_AT_ACK {
                assert!(gw.send_sigkill(), "SIGKILL sent");
            }
        }
        for w in writers {
            if let Stop::Unexpected(why) = w.join().expect("a writer panicked") {
                panic!("a writer stopped on an unexpected answer: {why}");
            }
        }
        assert!(acks.len() >= KILL_AT_ACK, "the writers stopped early");
        acks
    })
}

/// Every ack is in the restarted gateway. A release may be one step ahead of its last
/// ack (the write in flight at the kill), and at most one per writer is.
fn assert_acknowledged(gw: &Gateway, acks: &[Ack]) {
    let mut actions: BTreeMap<u64, Vec<&Acked>> = BTreeMap::new();
    for ack in acks {
        match ack {
            Ack::Version(mp) => {
                let path = format!("/v1/admin/mini-programs/{mp}/versions");
                let listed = gw.get(Who::Viewer, &path).expect(200).body;
                assert!(
                    listed.to_string().contains("\"1.0.0\""),
                    "acknowledged upload of {mp} lost: {listed}"
                );
            }
            Ack::Action(a) => actions.entry(a.id).or_default().push(a),
        }
    }
    let mut ahead = 0;
    for (id, acked) in &actions {
        ahead += assert_release_has(&Release { gw, id: *id }, acked);
    }
    assert!(ahead <= WRITERS, "{ahead} unacknowledged writes ahead");
    let last = acks.iter().filter_map(|a| match a {
        Ack::Action(a) => Some(a.revision),
        Ack::Version(_) => None,
    });
    assert!(
        gw.revision() >= last.max().unwrap_or(0),
        "revision went back"
    );
}

/// The release's history holds every acked entry and its status is the last ack's,
/// or that of the one entry after it; how many entries are ahead of the acks.
fn assert_release_has(release: &Release<'_>, acked: &[&Acked]) -> usize {
    let history = release.history();
    for a in acked {
        let found = history.iter().find(|h| h["revision"] == a.revision);
        let found = found.map(|h| (h["action"].clone(), h["to"].clone()));
        assert_eq!(
            found,
            Some((json!(a.action), json!(a.to))),
            "acknowledged {a:?} lost: {history:?}"
        );
    }
    let last = acked.last().map_or(0, |a| a.revision);
    let later: Vec<&Value> = history
        .iter()
        .filter(|h| h["revision"].as_u64() > Some(last))
        .collect();
    assert!(
        later.len() <= 1,
        "release {} is ahead: {later:?}",
        release.id
    );
    let status = later
        .last()
        .map(|h| h["to"].clone())
        .or_else(|| acked.last().map(|a| json!(a.to)));
    assert_eq!(Some(release.get()["status"].clone()), status);
    later.len()
}

/// Kills under load, restarts on the same store and finds every acknowledged write.
fn every_acknowledged_write_survives(mut gw: Gateway) {
    let acks = acks_until_killed(&gw);
    println!(
        "{} writes acknowledged before and just after the SIGKILL",
        acks.len()
    );
    gw.restart();
    assert_acknowledged(&gw, &acks);
}

#[test]
fn acknowledged_writes_survive_a_sigkill_under_load_embedded() {
    every_acknowledged_write_survives(gateway());
}

#[test]
fn acknowledged_writes_survive_a_sigkill_under_load_redis() {
    let test = "acknowledged_writes_survive_a_sigkill_under_load_redis";
    let Some(url) = redis_url(test) else { return };
    let ns = Namespace::fresh(&url, "durability-ack");
    let store = StoreSpec::Section(ns.store_section(2.0));
    every_acknowledged_write_survives(Gateway::start(options().store(store)));
}
