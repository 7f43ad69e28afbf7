//! Two nodes writing the same thing at the same instant: exactly one wins each round,
//! the other gets the 409 or 412 of SPEC §2/§4 (never a silent overwrite), and both
//! nodes end up listing the same releases.

use serde_json::Value;

use crate::common::{Gateway, Namespace, Reply, Who, redis_url};
use crate::support::*;

const ROUNDS: usize = 25;

/// Splits two concurrent replies into (winner, loser, whether node A won), asserting
/// that exactly one of them is a 2xx.
#[track_caller]
fn one_winner(round: usize, a: Reply, b: Reply) -> (Reply, Reply, bool) {
    let ok = |r: &Reply| (200..300).contains(&r.status);
    match (ok(&a), ok(&b)) {
        (true, false) => (a, b, true),
        (false, true) => (b, a, false),
        _ => panic!(
            "round {round}: expected exactly one winner\nA: {} {}\nB: {} {}",
            a.status, a.text, b.status, b.text
        ),
    }
}

/// How many history entries of a release record `action`.
fn recorded(gw: &Gateway, id: u64, action: &str) -> usize {
    history(gw, id)
        .iter()
        .filter(|h| h["action"] == action)
        .count()
}

/// Both nodes create the release of the same version for the same target: one 201,
/// one 409 `already_released` naming the winner (rule 1).
#[test]
fn concurrent_creates_of_one_release_admit_exactly_one() {
    let Some(url) = redis_url("concurrent_creates_of_one_release_admit_exactly_one") else {
        return;
    };
    let ns = Namespace::fresh(&url, "nodes-create");
    let (a, b) = (node(&ns, 60.0), node(&ns, 60.0));
    let mut a_won = 0;
    for round in 0..ROUNDS {
        let version = format!("1.{round}.0");
        upload(&a, &version);
        in_step(&ns, &[&a, &b]);
        let body = release_body(PROD, &version);
        let (ra, rb) = at_once(
            || a.post(Who::Developer, "/v1/admin/releases", &body),
            || b.post(Who::Developer2, "/v1/admin/releases", &body),
        );
        let (winner, loser, won) = one_winner(round, ra, rb);
        let loser = loser.expect_error(409, "already_released");
        assert_eq!(
            loser.body["error"]["release_id"], winner.body["id"],
            "{}",
            loser.text
        );
        a_won += usize::from(won);
        converged(&ns, &[&a, &b]);
    }
    println!("concurrent creates: node A won {a_won} of {ROUNDS} rounds");
    assert_eq!(releases(&a).as_array().map(Vec::len), Some(ROUNDS));
}

/// Node A applies release X while node B applies release Y of the same mini program
/// and target: one goes under review, the other gets 409 `another_release_in_flight`
/// naming it (rule 2). The winner is withdrawn and the race runs again.
#[test]
fn concurrent_applies_on_one_target_admit_exactly_one() {
    let Some(url) = redis_url("concurrent_applies_on_one_target_admit_exactly_one") else {
        return;
    };
    let ns = Namespace::fresh(&url, "nodes-apply");
    let (a, b) = (node(&ns, 60.0), node(&ns, 60.0));
    let x = new_release(&a, PROD, "1.0.0");
    let y = new_release(&b, PROD, "2.0.0");
    let mut wins = [0usize; 2];
    for round in 0..ROUNDS {
        in_step(&ns, &[&a, &b]);
        let (ra, rb) = at_once(
            || act(&a, Who::Developer, x, "apply", None, None),
            || act(&b, Who::Developer2, y, "apply", None, None),
        );
        let (winner, loser, a_won) = one_winner(round, ra, rb);
        let (won_id, lost_id) = if a_won { (x, y) } else { (y, x) };
        let winner = moved_to(winner, "under_review");
        let loser = loser.expect_error(409, "another_release_in_flight");
        let error = &loser.body["error"];
        assert_eq!(error["in_flight_release_id"], won_id, "{}", loser.text);
        assert_eq!(error["status"], "new_version_created", "{}", loser.text);
        wins[usize::from(!a_won)] += 1;
        converged(&ns, &[&a, &b]);
        for gw in [&a, &b] {
            assert_eq!(
                release(gw, won_id),
                winner,
                "round {round}: the winner as committed"
            );
            assert_eq!(release(gw, lost_id)["status"], "new_version_created");
        }
        // Withdrawn through the node that lost, so each node also writes after a loss.
        let other = if a_won { &b } else { &a };
        let withdrawn = act(other, Who::Developer, won_id, "withdraw", None, None);
        moved_to(withdrawn, "new_version_created");
    }
    converged(&ns, &[&a, &b]);
    println!(
        "concurrent applies: X (node A) won {}, Y (node B) won {}",
        wins[0], wins[1]
    );
    assert_eq!(
        recorded(&b, x, "apply"),
        wins[0],
        "X's history records each win"
    );
    assert_eq!(
        recorded(&a, y, "apply"),
        wins[1],
        "Y's history records each win"
    );
}

/// Both nodes apply the same release: one moves it under review, the other gets 409
/// `action_not_allowed` with the status the winner left.
#[test]
fn concurrent_applies_of_one_release_admit_exactly_one() {
    let Some(url) = redis_url("concurrent_applies_of_one_release_admit_exactly_one") else {
        return;
    };
    let ns = Namespace::fresh(&url, "nodes-apply-same");
    let (a, b) = (node(&ns, 60.0), node(&ns, 60.0));
    let x = new_release(&a, PROD, "1.0.0");
    for round in 0..ROUNDS {
        in_step(&ns, &[&a, &b]);
        let (ra, rb) = at_once(
            || act(&a, Who::Developer, x, "apply", None, None),
            || act(&b, Who::Developer2, x, "apply", None, None),
        );
        let (winner, loser, _) = one_winner(round, ra, rb);
        moved_to(winner, "under_review");
        let loser = loser.expect_error(409, "action_not_allowed");
        assert_eq!(
            loser.body["error"]["status"], "under_review",
            "{}",
            loser.text
        );
        converged(&ns, &[&a, &b]);
        moved_to(
            act(&b, Who::Developer, x, "withdraw", None, None),
            "new_version_created",
        );
    }
    converged(&ns, &[&a, &b]);
    assert_eq!(recorded(&a, x, "apply"), ROUNDS, "one apply per round");
}

/// Both nodes raise one grayscale release at the same instant, each with `If-Match` of
/// the revision both read, to different percentages: one wins; the other gets 412
/// `revision_mismatch` (or 409 `percentage_not_increasing` when it asked for less than
/// the winner set). The release then holds the winner's percentage on both nodes.
/// Then both ask for the same percentage without `If-Match`: one wins, the other gets
/// 409 `percentage_not_increasing`.
#[test]
fn concurrent_go_lives_admit_exactly_one() {
    let Some(url) = redis_url("concurrent_go_lives_admit_exactly_one") else {
        return;
    };
    let ns = Namespace::fresh(&url, "nodes-go-live");
    let (a, b) = (node(&ns, 60.0), node(&ns, 60.0));
    let id = to_release_preparation(&a, "1.0.0");
    let mut winners = Vec::new();
    for round in 0..ROUNDS + 10 {
        in_step(&ns, &[&a, &b]);
        let seen = release(&a, id)["revision"].as_u64();
        let (pa, pb, if_match) = match round.checked_sub(ROUNDS) {
            None => ((3 * round + 1) as f64, (3 * round + 2) as f64, seen),
            Some(k) => ((80 + k) as f64, (80 + k) as f64, None),
        };
        let (ra, rb) = at_once(
            || go_live(&a, id, pa, if_match),
            || go_live(&b, id, pb, if_match),
        );
        let (winner, loser, a_won) = one_winner(round, ra, rb);
        let (won, lost) = if a_won { (pa, pb) } else { (pb, pa) };
        let winner = moved_to(winner, "grayscale_release");
        assert_eq!(winner["percentage"].as_f64(), Some(won), "{winner}");
        lost_go_live(round, loser, lost, won);
        winners.push(won);
        converged(&ns, &[&a, &b]);
        for gw in [&a, &b] {
            assert_eq!(
                release(gw, id),
                winner,
                "round {round}: the winner as committed"
            );
        }
    }
    let expected: Vec<Option<f64>> = winners.iter().copied().map(Some).collect();
    let recorded = go_live_percentages(&b, id);
    assert_eq!(
        recorded, expected,
        "history records exactly the winning go_lives"
    );
}

/// The percentages of a release's `go_live` history entries, oldest first.
fn go_live_percentages(gw: &Gateway, id: u64) -> Vec<Option<f64>> {
    history(gw, id)
        .iter()
        .filter(|h| h["action"] == "go_live")
        .map(|h| h["details"]["percentage"].as_f64())
        .collect()
}

/// The losing `go_live` of a round: 412 `revision_mismatch`, or 409
/// `percentage_not_increasing` when it asked for no more than the winner set.
#[track_caller]
fn lost_go_live(round: usize, loser: Reply, asked: f64, won: f64) {
    let context = format!(
        "round {round}: asked {asked}, winner set {won}: {}",
        loser.text
    );
    let error: &Value = &loser.body["error"];
    match loser.status {
        412 => {
            loser.clone().expect_error(412, "revision_mismatch");
        }
        409 => {
            assert!(asked <= won, "{context}");
            loser.clone().expect_error(409, "percentage_not_increasing");
            assert_eq!(error["percentage"].as_f64(), Some(won), "{context}");
        }
        other => panic!("unexpected status {other}: {context}"),
    }
}
