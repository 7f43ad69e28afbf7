//! The console in a real Chromium: what an operator sees and does.

use serde_json::{Value, json};

use crate::common::{Gateway, Release, Who};
use crate::driver::{Browser, available};
use crate::support::{created, full, gateway, prepared, resolve_many};

/// Opens the console and logs in as `who`; waits for the landing view.
pub fn login(b: &Browser, gw: &Gateway, who: Who) {
    b.goto(&format!("{}/console/", gw.admin_url()));
    b.fill("token-input", &who.token());
    b.click("login");
    let me = format!("{} ({})", who.name(), who.role());
    b.until(&format!("logged in as {me}"), |b| {
        let shown = b.script("return document.getElementById('who').textContent", vec![]);
        (shown == me.as_str()).then_some(())
    });
}

/// Opens the release page of `release` from the landing view's row.
pub fn open(b: &Browser, release: &Release<'_>) {
    let css = format!(
        "[data-testid=\"release-row\"][data-release-id=\"{}\"]",
        release.id
    );
    b.until("the release row", |b| b.all(&css).into_iter().next());
    b.script(
        &format!(
            "document.querySelector('{}').click()",
            css.replace('\'', "\\'")
        ),
        vec![],
    );
    b.testid("release-status");
}

/// The `action-…` hooks on the page now, in order.
fn action_buttons(b: &Browser) -> Vec<String> {
    let found = b.script(
        "return [...document.querySelectorAll('[data-testid^=\"action-\"]')].map(e => e.dataset.testid)",
        vec![],
    );
    serde_json::from_value(found).unwrap_or_default()
}

/// Waits until the page shows `n` history entries.
fn wait_history(b: &Browser, n: usize) {
    b.until(&format!("{n} history entries"), |b| {
        (b.count("[data-testid=\"history-entry\"]") == n).then_some(())
    });
}

/// Goes live from the open dialog-less page: opens `go_live`, sets it, confirms.
fn go_live(b: &Browser, kind: &str, percentage: Option<&str>) {
    b.click("action-go_live");
    b.select("golive-type", kind);
    if let Some(p) = percentage {
        b.fill("percentage-input", p);
    }
    b.click("confirm");
}

fn take_screenshot(b: &Browser) {
    let Ok(path) = std::env::var("GRAYGATE_SCREENSHOT") else {
        return;
    };
    let png = b.screenshot();
    std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {path}: {e}"));
}

#[test]
fn an_admin_takes_a_release_from_preparation_through_5_percent_to_full() {
    if !available("an_admin_takes_a_release_from_preparation_through_5_percent_to_full") {
        return;
    }
    let gw = gateway();
    full(&gw, "1.0.0");
    let config = json!({"network_allowlist": ["api.example.com"], "payment": {"merchant": "m-1"}});
    let release = prepared(&gw, "1.1.0", &json!({ "config": config }));
    resolve_many(&gw, "before", 50);
    let b = Browser::start();
    login(&b, &gw, Who::Admin);
    // The landing view: the target app with its environments, releases by status.
    b.until("the apps and releases by status", |b| {
        let text = b.script("return document.querySelector('main').innerText", vec![]);
        let text = text.as_str().unwrap_or_default();
        let wanted = [
            "superapp-a",
            "production",
            "sandbox",
            "release_preparation (1)",
            "full_release (1)",
        ];
        wanted.iter().all(|w| text.contains(w)).then_some(())
    });
    assert_eq!(b.count("[data-testid=\"release-row\"]"), 2);
    open(&b, &release);
    b.wait_attr("release-status", "data-status", "release_preparation");
    let entries = release.history().len();
    wait_history(&b, entries);

    go_live(&b, "grayscale", Some("5"));
    b.wait_attr("release-status", "data-status", "grayscale_release");
    b.wait_attr("release-percentage", "data-percentage", "5");
    wait_history(&b, entries + 1);
    assert_eq!(release.get()["percentage"], 5);

    // The split chart draws both versions of the route once users are answered.
    let answers = resolve_many(&gw, "after", 400);
    let on_candidate = answers.iter().filter(|v| *v == "1.1.0").count();
    assert!(on_candidate > 0, "5 % of 400 users get the candidate");
    let chart = "[data-testid=\"split-chart\"]";
    b.until("the chart with both versions", |b| {
        let versions = b.script(
            &format!("return document.querySelector('{chart}').dataset.versions"),
            vec![],
        );
        (versions == "1.0.0,1.1.0").then_some(())
    });
    let total: u64 = b.until("the chart's counts", |b| {
        let total = b.script(
            &format!("return Number(document.querySelector('{chart}').dataset.total)"),
            vec![],
        );
        total.as_u64().filter(|&t| t >= 450)
    });
    assert!(total >= 450, "{total}");
    let painted = b.script(CANVAS_PAINTED, vec![]);
    assert_eq!(
        painted,
        Value::Bool(true),
        "the chart's canvas has drawn pixels"
    );
    take_screenshot(&b);

    // Scaling down is refused; the page shows the server's message and stays put.
    go_live(&b, "grayscale", Some("3"));
    let error = b.text("error-message");
    let refusal = release.act_with(
        Who::Admin,
        "go_live",
        &json!({"type": "grayscale", "percentage": 3}),
    );
    let message = refusal.body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        !message.is_empty() && error.contains(&message),
        "{error:?} lacks {message:?}"
    );
    b.wait_attr("release-percentage", "data-percentage", "5");
    wait_history(&b, entries + 1);

    go_live(&b, "full", None);
    b.wait_attr("release-status", "data-status", "full_release");
    wait_history(&b, entries + 2);
    assert_eq!(release.status(), "full_release");
    assert!(action_buttons(&b).iter().all(|a| a != "action-go_live"));
    b.assert_quiet_console(&[409]);
}

/// Whether the chart's canvas has any pixel that is not transparent.
const CANVAS_PAINTED: &str = "
    const canvas = document.querySelector('[data-testid=\"split-chart\"] canvas');
    if (!canvas) return false;
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
    return false;";

#[test]
fn a_config_script_shows_as_text_runs_nothing_and_a_viewer_has_no_buttons() {
    if !available("a_config_script_shows_as_text_runs_nothing_and_a_viewer_has_no_buttons") {
        return;
    }
    let gw = gateway();
    let evil = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">";
    let release = prepared(&gw, "2.0.0", &json!({"config": {"note": evil}}));
    let b = Browser::start();
    login(&b, &gw, Who::Viewer);
    open(&b, &release);
    let shown = b.until("the config as text", |b| {
        let text = b.script(
            "return [...document.querySelectorAll('pre')].map(p => p.textContent).join('\\n')",
            vec![],
        );
        text.as_str()
            .filter(|t| t.contains("<script>"))
            .map(str::to_string)
    });
    assert!(shown.contains(&evil.replace('"', "\\\"")), "{shown}");
    let ran = b.script("return [window.__pwned === undefined, document.querySelectorAll('main script, main img').length]", vec![]);
    assert_eq!(
        ran,
        json!([true, 0]),
        "nothing from the config became markup or ran"
    );
    assert_eq!(
        action_buttons(&b),
        Vec::<String>::new(),
        "a viewer never sees an action"
    );
    b.assert_quiet_console(&[]);
}

#[test]
fn under_review_a_reviewer_sees_approve_and_reject_and_a_developer_withdraw() {
    if !available("under_review_a_reviewer_sees_approve_and_reject_and_a_developer_withdraw") {
        return;
    }
    let gw = gateway();
    let release = created(&gw, "3.0.0", &json!({}));
    release.act(Who::Developer, "apply").expect(200);
    let b = Browser::start();
    for (who, expected) in [
        (Who::Developer, vec!["action-withdraw"]),
        (Who::Admin, vec!["action-withdraw"]),
        (Who::Reviewer, vec!["action-approve", "action-reject"]),
    ] {
        b.script("sessionStorage.clear()", vec![]);
        login(&b, &gw, who);
        open(&b, &release);
        b.wait_attr("release-status", "data-status", "under_review");
        b.until(&format!("the buttons of {who:?}"), |b| {
            (action_buttons(b) == expected).then_some(())
        });
    }
    // The reviewer rejects with a reason, and the timeline shows it.
    b.click("action-reject");
    b.fill(
        "reason-input",
        "the payment config names the wrong merchant",
    );
    b.click("confirm");
    b.wait_attr("release-status", "data-status", "new_version_created");
    let history = release.history();
    wait_history(&b, history.len());
    let newest = b.text("history-entry");
    for part in [
        "rev-rita",
        "reject",
        "under_review → new_version_created",
        "wrong merchant",
    ] {
        assert!(newest.contains(part), "{newest:?} lacks {part:?}");
    }
    b.assert_quiet_console(&[]);
}

#[test]
fn a_wrong_token_shows_the_error_and_the_token_form_again() {
    if !available("a_wrong_token_shows_the_error_and_the_token_form_again") {
        return;
    }
    let gw = gateway();
    let b = Browser::start();
    b.goto(&format!("{}/console/", gw.admin_url()));
    b.fill("token-input", "not-a-token");
    b.click("login");
    let error = b.text("error-message");
    let refusal = gw
        .admin("GET", "/v1/admin/whoami")
        .bearer("not-a-token")
        .send();
    let message = refusal.body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        !message.is_empty() && error.contains(&message),
        "{error:?} lacks {message:?}"
    );
    b.testid("token-input");
    let kept = b.script("return [sessionStorage.length, document.cookie]", vec![]);
    assert_eq!(kept, json!([0, ""]), "no token kept, no cookie");
    // The right token is kept for this tab only, and nowhere in the URL.
    login(&b, &gw, Who::Developer);
    let state = b.script("return [sessionStorage.getItem('graygate.token'), localStorage.length, document.cookie, location.href]", vec![]);
    assert_eq!(state[0], Who::Developer.token().as_str());
    assert_eq!((&state[1], &state[2]), (&json!(0), &json!("")));
    assert!(
        !state[3].as_str().unwrap_or_default().contains("token"),
        "{state}"
    );
    // The console log is read for real: the refused login is in it, nothing else is.
    let console = b.assert_quiet_console(&[401]);
    assert!(
        console
            .iter()
            .any(|(_, m)| m.contains("/v1/admin/whoami") && m.contains("401")),
        "{console:#?}"
    );
}

/// The current step's text and the time shown as the next step's.
const NEXT_STEP: &str = "
    const current = document.querySelector('.steps li.current');
    const label = [...document.querySelectorAll('dt')].find(d => d.textContent === 'next step');
    return [current && current.textContent, label && label.nextElementSibling.textContent];";

/// Waits until the element matching `css` has `data-<name>` = `value`.
fn wait_data(b: &Browser, css: &str, name: &str, value: &str) {
    let selector = format!("{css}[data-{name}=\"{value}\"]");
    b.until(&format!("{css} with {name} {value}"), |b| {
        b.all(&selector).into_iter().next()
    });
}

#[test]
fn an_admin_sets_a_plan_and_a_guard_starts_pauses_and_resumes_the_plan() {
    if !available("an_admin_sets_a_plan_and_a_guard_starts_pauses_and_resumes_the_plan") {
        return;
    }
    let gw = gateway();
    full(&gw, "1.0.0");
    let release = prepared(&gw, "4.0.0", &json!({}));
    let b = Browser::start();
    login(&b, &gw, Who::Admin);
    open(&b, &release);
    let plan = json!({"steps": [{"percentage": 1, "hold": "30m"}, {"percentage": 5, "hold": "2h"}, {"full": true}]});
    b.click("action-set_plan");
    b.fill("json-input", &plan.to_string());
    b.click("confirm");
    wait_data(&b, ".plan-state", "state", "pending");
    assert_eq!(b.count(".steps li"), 3, "the plan's steps");

    // The guard's dialog starts from an example the admin may keep.
    b.click("action-set_guard");
    b.click("confirm");
    wait_data(&b, ".decision", "decision", "insufficient_data");
    assert!(release.get()["guard"].is_object());

    go_live(&b, "plan", None);
    wait_data(&b, ".plan-state", "state", "running");
    b.wait_attr("release-percentage", "data-percentage", "1");
    let plan_view = release.get()["plan"].clone();
    assert_eq!(plan_view["step"], 0, "{plan_view}");
    b.until("the current step and the next step's time", |b| {
        let shown = b.script(NEXT_STEP, vec![]);
        let current = shown[0] == "1 %, hold 30m";
        let at = shown[1].as_str().is_some_and(|t| !t.is_empty() && t != "—");
        (current && at).then_some(())
    });

    b.click("action-pause");
    b.click("confirm");
    wait_data(&b, ".plan-state", "state", "paused");
    b.click("action-resume");
    b.click("confirm");
    wait_data(&b, ".plan-state", "state", "running");
    assert_eq!(release.get()["plan"]["state"], "running");
    b.assert_quiet_console(&[]);
}
