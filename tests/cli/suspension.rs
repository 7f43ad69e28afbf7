//! `graygate suspend`, `unsuspend` and `suspensions` (SPEC §11) against the real gateway.

use super::{ADM, DEV, REV, assert_fails_with, start_gateway, stderr, stdout};

/// A reviewer suspends a mini program with a reason, everybody sees it in the list (as a
/// table, or the API's JSON), and the reviewer lifts it; refusals fail with the code.
#[test]
fn a_reviewer_suspends_lists_and_lifts_through_the_cli() {
    let gw = start_gateway();
    gw.create("1.0.0", "sandbox", &[]);
    let target = ["superapp-a", "mp-coupons"];
    let by_admin = gw.graygate(
        Some(ADM),
        &[&["suspend"], &target[..], &["--reason", "x"]].concat(),
    );
    assert_fails_with(&by_admin, "forbidden");
    let empty = gw.graygate(
        Some(REV),
        &[&["suspend"], &target[..], &["--reason", " "]].concat(),
    );
    assert_fails_with(&empty, "reason");

    let args = [&["suspend"], &target[..], &["--reason", "payment fraud"]].concat();
    let suspended = gw.graygate(Some(REV), &args);
    assert!(suspended.status.success(), "{}", stderr(&suspended));
    let shown = stdout(&suspended);
    assert!(
        shown.starts_with("suspended  mp-coupons\nreason     payment fraud\nby         rev\n"),
        "{shown}"
    );
    assert_fails_with(&gw.graygate(Some(REV), &args), "already_suspended");

    let listed = gw.graygate(Some(DEV), &["suspensions", "superapp-a"]);
    let table = stdout(&listed);
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(rows.len(), 2, "{table}");
    assert!(rows[0].starts_with("MINI_PROGRAM  REV"), "{table}");
    assert!(
        rows[1].starts_with("mp-coupons") && rows[1].ends_with("rev  payment fraud"),
        "{table}"
    );
    let json = gw.graygate(Some(DEV), &["--json", "suspensions", "superapp-a"]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).expect("--json prints JSON");
    assert_eq!(json["suspensions"][0]["reason"], "payment fraud");

    let lifted = gw.graygate(Some(REV), &[&["unsuspend"], &target[..]].concat());
    assert!(lifted.status.success(), "{}", stderr(&lifted));
    assert!(
        stdout(&lifted).starts_with("lifted     mp-coupons\n"),
        "{}",
        stdout(&lifted)
    );
    assert_fails_with(
        &gw.graygate(Some(REV), &[&["unsuspend"], &target[..]].concat()),
        "not_suspended",
    );
    let none = gw.graygate(Some(DEV), &["suspensions", "superapp-a"]);
    assert_eq!(stdout(&none), "no suspensions\n");
    let typo = gw.graygate(
        Some(REV),
        &["suspend", "superapp-a", "mp-cupons", "--reason", "x"],
    );
    assert_fails_with(&typo, "mini_program_not_found");
}
