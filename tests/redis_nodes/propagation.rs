//! A write acknowledged by one node reaches the other node's resolves and admin reads.

use std::time::Instant;

use crate::common::{Namespace, redis_url};
use crate::support::*;

/// How many writes each propagation test makes.
const WRITES: usize = 20;

/// Node A and node B take turns releasing a new version to development; each time
/// the other node serves it within the deadline. Their revision checks are a minute
/// apart, so only pub/sub can carry the change that fast.
#[test]
fn a_write_on_one_node_reaches_the_others_resolves() {
    let Some(url) = redis_url("a_write_on_one_node_reaches_the_others_resolves") else {
        return;
    };
    let ns = Namespace::fresh(&url, "nodes-propagation");
    let a = node(&ns, 60.0);
    let b = node(&ns, 60.0);
    let mut lags = Vec::new();
    for i in 0..WRITES {
        let (writer, reader) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let version = format!("1.{i}.0");
        release_to_development(writer, &version);
        let acknowledged = Instant::now();
        let what = format!("the other node serves {version}");
        eventually(&what, DEADLINE, || {
            (served(reader, DEV, "user-1").as_deref() == Some(version.as_str())).then_some(())
        });
        lags.push(acknowledged.elapsed());
    }
    println!(
        "write on one node → resolve on the other: {}",
        summary(&lags)
    );
    converged(&ns, &[&a, &b]);
    assert_eq!(
        answers(&a, &users("user", 20)),
        answers(&b, &users("user", 20))
    );
}

/// What one node committed, the other shows in full: the release, its history and the
/// archived predecessor (rule 3 applied in the same step).
#[test]
fn the_other_node_shows_the_release_its_history_and_the_archived_one() {
    let Some(url) = redis_url("the_other_node_shows_the_release_its_history_and_the_archived_one")
    else {
        return;
    };
    let ns = Namespace::fresh(&url, "nodes-records");
    let a = node(&ns, 60.0);
    let b = node(&ns, 60.0);
    let first = release_to_development(&a, "1.0.0");
    let second = release_to_development(&b, "2.0.0");
    converged(&ns, &[&a, &b]);
    assert_eq!(release(&a, first)["status"], "archived");
    for id in [first, second] {
        assert_eq!(release(&a, id), release(&b, id), "release {id}");
        assert_eq!(history(&a, id), history(&b, id), "history of {id}");
    }
    let last = history(&a, first).last().cloned().expect("history");
    assert_eq!(last["action"], "archive", "{last}");
    assert_eq!(
        last["revision"],
        release(&b, second)["revision"],
        "same atomic step"
    );
}
