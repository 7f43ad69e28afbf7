//! A plan survives `kill -9` (SPEC §8, rule 5): after a restart its state and step are
//! as last acknowledged, and it goes on to `full_release` with no step applied twice.
//! A step that fell due while the node was down is applied once, and restarts its hold.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::common::Who;
use crate::support::*;

fn now_nanos() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

#[test]
fn a_plan_survives_kill_9_and_finishes() {
    let mut gw = gateway();
    let id = {
        let r = prepared(&gw, MP, "1.0.0");
        let plan = plan_of(
            &[(1.0, "1s"), (5.0, "4s"), (25.0, "1s"), (50.0, "1s")],
            true,
        );
        status_is(r.put_plan(Who::Admin, &plan), "release_preparation");
        status_is(r.start_plan(), "grayscale_release");
        r.id
    };

    // Killed during the 4 s hold of 5 %, restarted at once: as acknowledged.
    let r = Release { gw: &gw, id };
    let acknowledged = r.wait_for_step(1, Duration::from_secs(1) + SLACK);
    let history = r.history();
    let since = Instant::now();
    gw.kill9();
    gw.restart();
    let r = Release { gw: &gw, id };
    let after = r.get();
    // Only a restart within the 4 s hold can show the release unmoved.
    let restart_took = since.elapsed();
    println!("kill -9 and restart took {restart_took:?}");
    if restart_took < Duration::from_secs(3) {
        assert_eq!(after, acknowledged, "the release after kill -9 and restart");
    } else {
        crate::common::skip(
            "a_plan_survives_kill_9_and_finishes",
            "the restart was too slow to compare the release before its next step",
        );
    }
    assert_eq!(
        &r.history()[..history.len()],
        &history[..],
        "acknowledged history survives"
    );

    // Killed during the 1 s hold of 25 %, down for longer than two holds: one step
    // (50 %) on start, whose hold then restarts before full.
    r.wait_for_step(2, Duration::from_secs(4) + SLACK);
    gw.kill9();
    std::thread::sleep(Duration::from_millis(2500));
    let restarting = now_nanos();
    gw.restart();
    let r = Release { gw: &gw, id };
    let done = r.wait_for_status("full_release", Duration::from_secs(1) + 2 * SLACK);
    assert_plan(&done["plan"], "completed", Some(4));
    let steps = r.go_lives();
    assert_each_step_once(
        &steps,
        &[Some(1.0), Some(5.0), Some(25.0), Some(50.0), None],
        1,
    );
    held(steps[0].at, steps[1].at, Duration::from_secs(1));
    held(steps[1].at, steps[2].at, Duration::from_secs(4));
    assert!(
        steps[3].at >= restarting,
        "the overdue step came before the restart: {steps:#?}"
    );
    assert!(
        steps[3].at - restarting <= (Duration::from_secs(1) + SLACK).as_nanos() as i128,
        "the overdue step came more than 1 s (+ slack) after the start: {steps:#?}"
    );
    held(steps[3].at, steps[4].at, Duration::from_secs(1));
}
