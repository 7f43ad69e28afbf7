//! SPEC §11 in the console: a suspension by the super app listed on the landing view
//! and shown as a banner on the release page until it is lifted; the dialogs of
//! `rollback` and `take_offline`, and a rollback that restores the predecessor.

use serde_json::json;

use crate::browser::{login, open};
use crate::common::{Gateway, Options, Release, TargetApp, Who, create_release, release_body};
use crate::driver::{Browser, available};
use crate::support::{APP, MP, full, gateway};

/// A reason with markup in it: it must show as text, like every value.
const REASON: &str = "leaks card numbers <b>to a third party</b>";

fn suspension_path() -> String {
    format!("/v1/admin/apps/{APP}/suspensions/{MP}")
}

#[test]
fn a_suspension_is_listed_and_bannered_until_it_is_lifted() {
    if !available("a_suspension_is_listed_and_bannered_until_it_is_lifted") {
        return;
    }
    let gw = gateway();
    let release = full(&gw, "1.0.0");
    let body = json!({ "reason": REASON });
    gw.put(Who::Reviewer, &suspension_path(), &body).expect(201);

    let b = Browser::start();
    login(&b, &gw, Who::Developer);
    let listed = b.text("suspension");
    let by = Who::Reviewer.name();
    for part in [MP, REASON, by] {
        assert!(listed.contains(part), "{listed:?} lacks {part:?}");
    }
    assert_eq!(b.count("[data-testid=\"suspension\"]"), 1);

    open(&b, &release);
    let banner = b.text("suspended-banner");
    let wanted = format!("Suspended by the super app: {REASON} (by {by}, ");
    assert!(banner.starts_with(&wanted), "{banner:?}");
    let markup = b.script(
        "return document.querySelectorAll('[data-testid=\"suspended-banner\"] *').length",
        vec![],
    );
    assert_eq!(markup, json!(0), "the reason stays text");

    // Lifted: the page's own refresh drops the banner, and a reload does not bring it back.
    gw.admin("DELETE", &suspension_path())
        .by(Who::Reviewer)
        .send()
        .expect(200);
    b.until("the banner gone", |b| {
        (b.count("[data-testid=\"suspended-banner\"]") == 0).then_some(())
    });
    let here = b.script("return location.href", vec![]);
    b.goto(here.as_str().unwrap_or_default());
    b.wait_attr("release-status", "data-status", "full_release");
    assert_eq!(b.count("[data-testid=\"suspended-banner\"]"), 0);
    b.goto(&format!("{}/console/#/", gw.admin_url()));
    b.testid("release-row");
    assert_eq!(b.count("[data-testid=\"suspension\"]"), 0);
    b.assert_quiet_console(&[]);
}

/// A gateway with [`APP`] in production (which every app has) and development, where
/// `apply` goes straight to full.
fn development() -> Gateway {
    let app = TargetApp::new(APP)
        .env("production", "{}")
        .env("development", "{}");
    Gateway::start(Options::default().app(app))
}

/// `version` of [`MP`] applied in development by the developer: `full_release`.
fn full_in_development<'g>(gw: &'g Gateway, version: &str) -> Release<'g> {
    let body = release_body(MP, version, APP, "development");
    let release = Release::of(gw, &create_release(gw, &body));
    release.act(Who::Developer, "apply").expect(200);
    assert_eq!(release.status(), "full_release");
    release
}

#[test]
fn an_admin_rolls_back_with_a_reason_and_the_predecessor_is_full_again() {
    if !available("an_admin_rolls_back_with_a_reason_and_the_predecessor_is_full_again") {
        return;
    }
    let gw = development();
    let first = full_in_development(&gw, "1.0.0");
    let second = full_in_development(&gw, "1.1.0");
    assert_eq!(first.status(), "archived");

    let b = Browser::start();
    login(&b, &gw, Who::Admin);
    open(&b, &second);
    b.wait_attr("release-status", "data-status", "full_release");
    b.click("action-rollback");
    let reason = "1.1.0 crashes on start for older clients";
    b.fill("reason-input", reason);
    b.click("confirm");
    b.wait_attr("release-status", "data-status", "rolled_back");
    let newest = b.until("the rollback in the history", |b| {
        let text = b.text("history-entry");
        text.contains("rollback").then_some(text)
    });
    for part in [Who::Admin.name(), "full_release → rolled_back", reason] {
        assert!(newest.contains(part), "{newest:?} lacks {part:?}");
    }
    assert_eq!(second.status(), "rolled_back");

    // The predecessor serves again; its take-offline dialog asks for a reason too.
    b.goto(&format!("{}/console/#/", gw.admin_url()));
    open(&b, &first);
    b.wait_attr("release-status", "data-status", "full_release");
    b.click("action-take_offline");
    b.testid("reason-input");
    b.testid("confirm");
    b.script(
        "document.querySelector('dialog .secondary').click()",
        vec![],
    );
    b.until("the dialog closed", |b| {
        (b.count("dialog") == 0).then_some(())
    });
    assert_eq!(
        first.status(),
        "full_release",
        "a cancelled dialog sends nothing"
    );
    b.assert_quiet_console(&[]);
}
