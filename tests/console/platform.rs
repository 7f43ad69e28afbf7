//! SPEC §11 in the console: a suspension by the super app listed on the landing view
//! and shown as a banner on the release page until it is lifted.

use serde_json::json;

use crate::browser::{login, open};
use crate::common::Who;
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
