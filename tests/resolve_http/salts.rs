//! Salts and test groups at the scale SPEC §3/§4 promise: every release draws its own
//! salt (so two rollouts at the same percentage pick different users), the salt never
//! changes, and a test group of 1,000,000 ids in the SPEC body shape is taken whole.

use std::collections::BTreeSet;
use std::time::Instant;

use serde_json::json;

use crate::checks::*;
use crate::common::Who;
use crate::support::*;

const TARGET: (&str, &str) = (APP, PROD);

/// Twelve releases across mini programs, targets and versions have twelve different
/// salts of 16 lowercase hex characters, each kept unchanged through the workflow and
/// shown by explain.
#[test]
fn every_release_gets_a_salt_of_its_own() {
    let gw = gateway();
    let mut salts = BTreeSet::new();
    let mut releases = Vec::new();
    for (i, target) in [(APP, PROD), (APP, DEV), (OTHER_APP, PROD)]
        .into_iter()
        .enumerate()
    {
        for mp in ["mp-a", "mp-b"] {
            for version in [format!("1.{i}.0"), format!("2.{i}.0")] {
                let r = create(&gw, mp, &version, target, json!({}));
                assert!(
                    r.salt.len() == 16
                        && r.salt
                            .bytes()
                            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
                    "salt {:?}",
                    r.salt
                );
                salts.insert(r.salt.clone());
                releases.push(r);
            }
        }
    }
    assert_eq!(
        salts.len(),
        releases.len(),
        "two releases share a salt: {salts:?}"
    );
    let r = &releases[0];
    r.to_grayscale(10.0);
    assert_eq!(r.get()["salt"], r.salt, "the salt changed in the workflow");
    let explained = explained(&gw, TARGET, "mp-a", "someone");
    assert_eq!(explained["in_flight"]["salt"], r.salt, "{explained}");
}

/// Two mini programs at 30 % each: with independent salts about 9 % of users are in
/// both grayscales, not the 30 % one shared salt (or none) would give.
#[test]
fn two_rollouts_at_one_percentage_pick_different_users() {
    let gw = gateway();
    let crowd = users("user", 1000);
    let mut cohorts = Vec::new();
    for mp in ["mp-a", "mp-b"] {
        released_full(&gw, mp, "1.0.0", TARGET);
        create(&gw, mp, "2.0.0", TARGET, json!({})).to_grayscale(30.0);
        let inside: BTreeSet<&String> = crowd
            .iter()
            .filter(|u| served(&gw, TARGET, mp, u).is_some_and(|(_, c)| c == "grayscale"))
            .collect();
        assert!((230..370).contains(&inside.len()), "{mp}: {}", inside.len());
        cohorts.push(inside);
    }
    let both = cohorts[0].intersection(&cohorts[1]).count();
    assert!(
        (40..160).contains(&both),
        "{both} of 1000 users are in both grayscales; independent salts give about 90"
    );
}

/// `PUT …/test-group` with 1,000,000 ids as `{"test_group":[…]}`: all of them count,
/// the first, a middle and the last id get the pilot version, others do not.
#[test]
fn a_test_group_of_a_million_ids_is_taken_whole() {
    let gw = gateway();
    released_full(&gw, MP, "1.0.0", TARGET);
    let r = create(&gw, MP, "2.0.0", TARGET, json!({}));
    let ids = users("qa", 1_000_000);
    let started = Instant::now();
    let reply = gw.put(
        Who::Developer,
        &r.path("/test-group"),
        &json!({ "test_group": ids }),
    );
    let reply = reply.expect(200);
    println!(
        "a 1,000,000-id test group was stored in {:?}",
        started.elapsed()
    );
    assert_eq!(
        reply.body["test_group_size"],
        1_000_000,
        "{}",
        &reply.text[..200.min(reply.text.len())]
    );
    r.apply();
    assert_eq!(r.approve()["status"], "pilot_testing");
    for member in ["qa-0", "qa-500000", "qa-999999"] {
        serves(&gw, TARGET, MP, member, Some(("2.0.0", "pilot")));
    }
    for outsider in ["qa-1000000", "qa-", "QA-0"] {
        serves(&gw, TARGET, MP, outsider, Some(("1.0.0", "full")));
    }
}
