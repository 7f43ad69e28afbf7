//! The rules of SPEC §2 that span releases: once per target (1), one in flight (2), full
//! release archives the previous one (3), grayscale percentages (4).

use serde_json::{Value, json};

use crate::common::{Gateway, Reply, Who};
use crate::support::*;

const PROD: &str = "production";

#[track_caller]
fn already_released(gw: &Gateway, who: Who, body: &Value, existing: u64) {
    let reply = create(gw, who, body).expect_error(409, "already_released");
    assert_eq!(
        reply.body["error"]["release_id"], existing,
        "{}",
        reply.text
    );
}

/// Rule 1: a (mini program, version, app, environment) gets at most one release, ever —
/// while new, once released, after archiving and after cancel.
#[test]
fn rule1_a_version_goes_to_a_target_at_most_once() {
    let gw = gateway();
    let prod = new_release(&gw, PILOT_APP, PROD, "1.0.0");
    let again = release_body(MP, "1.0.0", PILOT_APP, PROD);
    already_released(&gw, Who::Developer, &again, prod.id);
    already_released(&gw, Who::Admin, &again, prod.id);

    // The same version to other targets is another release.
    let mut dev = None;
    for (app, env) in [
        (PILOT_APP, "development"),
        (PILOT_APP, "sandbox"),
        (PLAIN_APP, PROD),
    ] {
        let reply = create(&gw, Who::Developer, &release_body(MP, "1.0.0", app, env)).expect(201);
        if env == "development" {
            dev = reply.body["id"].as_u64().map(|id| Release { gw: &gw, id });
        }
    }
    let dev = dev.expect("development release");
    let dev_body = release_body(MP, "1.0.0", PILOT_APP, "development");
    moved(dev.apply(Who::Developer), "full_release", FULL);
    already_released(&gw, Who::Developer, &dev_body, dev.id);
    let next = new_release(&gw, PILOT_APP, "development", "1.1.0");
    moved(
        next.apply(Who::Developer),
        "full_release",
        FULL_WITH_PREDECESSOR,
    );
    assert_eq!(dev.status(), "archived");
    already_released(&gw, Who::Developer, &dev_body, dev.id);

    to_pilot_testing(&prod);
    moved(prod.act(Who::Admin, "cancel"), "canceled", NOTHING);
    already_released(&gw, Who::Developer, &again, prod.id);
    let query = format!("mini_program={MP}&app={PILOT_APP}&env={PROD}");
    assert_eq!(
        listed_where(&gw, &query),
        vec![prod.id],
        "no second release was made"
    );
}

/// Rule 2: `apply` is refused while another release of the same mini program and
/// target is under review, pilot testing, in preparation or in grayscale.
#[test]
fn rule2_one_release_in_flight_per_target() {
    let gw = gateway();
    let v1 = new_release(&gw, PLAIN_APP, PROD, "1.0.0");
    moved(v1.apply(Who::Developer), "under_review", UNDER_REVIEW);
    let v2 = new_release(&gw, PLAIN_APP, PROD, "1.1.0");
    let blocked = &["edit_config"];
    assert_eq!(
        allowed_of(&v2.get()),
        set_of(blocked),
        "apply is not allowed now"
    );

    let assert_blocked = |by: &Release<'_>| {
        let reply = refused_because(
            v2.apply(Who::Developer),
            "another_release_in_flight",
            "new_version_created",
            blocked,
        );
        assert_eq!(
            reply.body["error"]["in_flight_release_id"], by.id,
            "{}",
            reply.text
        );
    };
    assert_blocked(&v1);

    // Other mini programs, environments and apps are other targets.
    let other_mp = new_release_of(&gw, "mp-other", PLAIN_APP, PROD, "1.0.0", json!({}));
    moved(other_mp.apply(Who::Developer), "under_review", UNDER_REVIEW);
    let other_env = new_release(&gw, PLAIN_APP, "sandbox", "1.1.0");
    moved(
        other_env.apply(Who::Developer),
        "under_review",
        UNDER_REVIEW,
    );
    let other_app = create(
        &gw,
        Who::Developer,
        &release_body(MP, "1.1.0", AUTO_APP, PROD),
    );
    let other_app = Release {
        gw: &gw,
        id: other_app.expect(201).body["id"].as_u64().unwrap_or(0),
    };
    moved(
        other_app.apply(Who::Developer),
        "under_review",
        UNDER_REVIEW,
    );

    // Withdrawn, v1 is no longer in flight; now v2 is and v1 waits.
    moved(
        v1.act(Who::Developer, "withdraw"),
        "new_version_created",
        NEW_NO_PILOT,
    );
    assert_eq!(allowed_of(&v2.get()), set_of(NEW_NO_PILOT));
    moved(v2.apply(Who::Developer), "under_review", UNDER_REVIEW);
    let v1_blocked = || {
        refused_because(
            v1.apply(Who::Developer),
            "another_release_in_flight",
            "new_version_created",
            blocked,
        )
    };
    v1_blocked();
    moved(
        v2.approve(Who::Reviewer),
        "release_preparation",
        PREPARATION,
    );
    v1_blocked();
    moved(v2.go_live_grayscale(5.0), "grayscale_release", GRAYSCALE);
    v1_blocked();
    moved(v2.go_live_full(), "full_release", FULL);
    assert_eq!(
        allowed_of(&v1.get()),
        set_of(NEW_NO_PILOT),
        "a full release is not in flight"
    );
    moved(v1.apply(Who::Developer), "under_review", UNDER_REVIEW);

    // Pilot testing is in flight too.
    let p1 = new_release(&gw, PILOT_APP, PROD, "1.0.0");
    to_pilot_testing(&p1);
    let p2 = new_release(&gw, PILOT_APP, PROD, "1.1.0");
    let reply = refused_because(
        p2.apply(Who::Admin),
        "another_release_in_flight",
        "new_version_created",
        &["edit_config", "set_test_group"],
    );
    assert_eq!(reply.body["error"]["in_flight_release_id"], p1.id);
}

/// Rules 1 and 2 hold when the requests race: of many concurrent creates of one version
/// for one target exactly one succeeds, and of many concurrent applies on one target
/// exactly one goes through.
#[test]
fn rules_1_and_2_hold_under_concurrent_requests() {
    let gw = gateway();
    const RACERS: usize = 8;
    upload(&gw, MP, "1.0.0");
    let body = release_body(MP, "1.0.0", AUTO_APP, PROD);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let racers: Vec<_> = (0..RACERS)
            .map(|_| s.spawn(|| create(&gw, Who::Developer, &body).status))
            .collect();
        racers.into_iter().map(|t| t.join().unwrap_or(0)).collect()
    });
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 409).count(),
        RACERS - 1,
        "{statuses:?}"
    );

    let releases: Vec<Release<'_>> = (0..RACERS)
        .map(|i| new_release(&gw, AUTO_APP, "sandbox", &format!("2.0.{i}")))
        .chain((0..RACERS).map(|i| new_release(&gw, AUTO_APP, PROD, &format!("3.0.{i}"))))
        .collect();
    let replies: Vec<Reply> = std::thread::scope(|s| {
        let racers: Vec<_> = releases
            .iter()
            .map(|r| s.spawn(|| r.apply(Who::Developer)))
            .collect();
        racers.into_iter().filter_map(|t| t.join().ok()).collect()
    });
    for env in ["sandbox", PROD] {
        let of_env: Vec<&Reply> = replies
            .iter()
            .zip(&releases)
            .filter(|(_, r)| r.get()["env"] == env)
            .map(|(reply, _)| reply)
            .collect();
        let accepted = of_env.iter().filter(|r| r.status == 200).count();
        let in_flight = of_env
            .iter()
            .filter(|r| r.error_code() == "another_release_in_flight")
            .count();
        // Sandbox applies go straight to full release (not in flight), so all pass there.
        let expected = if env == PROD { 1 } else { RACERS };
        assert_eq!(
            (accepted, in_flight),
            (expected, RACERS - expected),
            "{env}"
        );
    }
    let query = format!("mini_program={MP}&app={AUTO_APP}&env={PROD}&status=under_review");
    assert_eq!(listed_where(&gw, &query).len(), 1);
    let query = format!("mini_program={MP}&app={AUTO_APP}&env=sandbox&status=full_release");
    assert_eq!(
        listed_where(&gw, &query).len(),
        1,
        "rule 3 under concurrency"
    );
}

/// Rule 3: entering `full_release` archives the previous full release of the same mini
/// program and target in the same revision, and only that one.
#[test]
fn rule3_full_release_archives_the_previous_one() {
    let gw = gateway();
    let dev = "development";
    let neighbour_env = new_release(&gw, PILOT_APP, "test", "1.0.0");
    moved(neighbour_env.apply(Who::Developer), "full_release", FULL);
    let neighbour_mp = new_release_of(&gw, "mp-other", PILOT_APP, dev, "1.0.0", json!({}));
    moved(neighbour_mp.apply(Who::Developer), "full_release", FULL);

    let mut previous: Option<Release<'_>> = None;
    for version in ["1.0.0", "1.1.0", "1.2.0"] {
        let r = new_release(&gw, PILOT_APP, dev, version);
        let allowed = match previous {
            Some(_) => FULL_WITH_PREDECESSOR,
            None => FULL,
        };
        let full = moved(r.apply(Who::Developer), "full_release", allowed);
        let query = format!("mini_program={MP}&app={PILOT_APP}&env={dev}&status=full_release");
        assert_eq!(
            listed_where(&gw, &query),
            vec![r.id],
            "exactly one full release"
        );
        if let Some(p) = previous {
            let archived = p.get();
            assert_eq!(archived["status"], "archived");
            assert_eq!(
                archived["revision"], full["revision"],
                "archived in the same step"
            );
            let last = p.history().last().cloned().unwrap_or_default();
            assert_eq!(entry_of(&last).1, "archive");
            assert_eq!(last["details"]["superseded_by"], r.id);
            assert_eq!(last["revision"], full["revision"]);
        }
        serves(&gw, PILOT_APP, dev, "somebody", Some((version, "full")));
        previous = Some(r);
    }
    let query = format!("mini_program={MP}&app={PILOT_APP}&env={dev}&status=archived");
    assert_eq!(listed_where(&gw, &query).len(), 2);
    assert_eq!(
        neighbour_env.status(),
        "full_release",
        "other environments are untouched"
    );
    assert_eq!(
        neighbour_mp.status(),
        "full_release",
        "other mini programs are untouched"
    );
}

/// Rule 4: grayscale percentages are above 0, below 100, with at most four decimals, and
/// only go up; malformed go-live bodies are 400 and change nothing.
#[test]
fn rule4_grayscale_percentages_only_go_up() {
    let gw = gateway();
    let r = new_release(&gw, PLAIN_APP, PROD, "1.0.0");
    to_release_preparation(&r);
    let before = (r.get(), gw.revision());
    let gray = |p: Value| json!({ "type": "grayscale", "percentage": p });
    let bad = [
        gray(json!(0)),
        gray(json!(100)),
        gray(json!(100.5)),
        gray(json!(150)),
        gray(json!(-1)),
        gray(json!(12.34567)),
        gray(json!(0.00001)),
        gray(json!("10")),
        gray(Value::Null),
        json!({ "type": "grayscale" }),
        json!({ "type": "full", "percentage": 50 }),
        json!({ "type": "half" }),
        json!({ "percentage": 10 }),
        json!({}),
    ];
    for body in &bad {
        bad_request(r.go_live(body));
    }
    bad_request(r.act(Who::Admin, "go_live"));
    assert_eq!(
        (r.get(), gw.revision()),
        before,
        "malformed go-lives change nothing"
    );

    let tiny = moved(r.go_live_grayscale(0.0001), "grayscale_release", GRAYSCALE);
    assert_eq!(tiny["percentage"], json!(0.0001));
    let not_up = |p: f64, current: Value| {
        let reply = refused_because(
            r.go_live_grayscale(p),
            "percentage_not_increasing",
            "grayscale_release",
            GRAYSCALE,
        );
        assert_eq!(reply.body["error"]["percentage"], current, "{}", reply.text);
    };
    not_up(0.0001, json!(0.0001));
    let four = moved(r.go_live_grayscale(12.3456), "grayscale_release", GRAYSCALE);
    assert_eq!(four["percentage"], json!(12.3456));
    not_up(12.3456, json!(12.3456));
    not_up(12.0, json!(12.3456));
    not_up(0.0001, json!(12.3456));
    let top = moved(r.go_live_grayscale(99.9999), "grayscale_release", GRAYSCALE);
    assert_eq!(top["percentage"], json!(99.9999));
    bad_request(r.go_live_grayscale(100.0));
    moved(r.go_live_full(), "full_release", FULL);

    grayscale_only_in_production(&gw);
}

/// Rule 4: grayscale exists only in production.
fn grayscale_only_in_production(gw: &Gateway) {
    // Grayscale exists only in production: a sandbox release never offers go_live.
    let sandbox = new_release(gw, AUTO_APP, "sandbox", "1.0.0");
    refused(
        sandbox.go_live_grayscale(10.0),
        "new_version_created",
        NEW_NO_PILOT,
    );
    moved(sandbox.apply(Who::Developer), "full_release", FULL);
    refused(sandbox.go_live_grayscale(10.0), "full_release", FULL);
    // Where production would go to grayscale (pilot testing completed), sandbox goes
    // to full instead, and no step on the way offers or takes go_live.
    for app in [PILOT_APP, AUTO_PILOT_APP] {
        let pilot = new_release_of(gw, MP, app, "sandbox", "2.0.0", json!({}));
        never_grayscale(&pilot);
        pilot.apply(Who::Developer).expect(200);
        if pilot.status() == "under_review" {
            never_grayscale(&pilot);
            pilot.approve(Who::Reviewer).expect(200);
        }
        assert_eq!(pilot.status(), "pilot_testing", "{app}");
        never_grayscale(&pilot);
        let done = pilot.act(Who::Admin, "complete_testing").expect(200);
        assert_eq!(done.body["status"], "full_release", "{app}: {}", done.text);
        never_grayscale(&pilot);
    }
}

/// `r` (outside production) neither offers `go_live` nor takes it at any percentage, and
/// its percentage stays 0.
#[track_caller]
fn never_grayscale(r: &Release<'_>) {
    let before = r.get();
    assert!(
        !allowed_of(&before).contains("go_live"),
        "go_live offered outside production: {before}"
    );
    for p in [0.0001, 10.0, 50.0] {
        r.go_live_grayscale(p).expect(409);
    }
    assert_eq!(
        r.get(),
        before,
        "a refused go_live changed release {}",
        r.id
    );
    assert_eq!(before["percentage"], json!(0));
}
