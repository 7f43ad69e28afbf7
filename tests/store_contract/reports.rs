//! Report totals (SPEC §9): deltas from any number of writers add up per release and arm,
//! a release with none reads as zero, and totals survive reopening the store.

use std::sync::Arc;

use graygate::guard::Counts;
use graygate::reports::ArmCounts;
use graygate::store::Store;

fn delta(candidate: (u64, u64), control: (u64, u64), pilot_error: u64) -> ArmCounts {
    ArmCounts {
        pilot: Counts {
            ok: 0,
            error: pilot_error,
        },
        candidate: Counts {
            ok: candidate.0,
            error: candidate.1,
        },
        control: Counts {
            ok: control.0,
            error: control.1,
        },
    }
}

/// Two writers (nodes) add deltas for two releases; each release's totals are the sums.
pub async fn report_totals(a: Arc<dyn Store>, b: Arc<dyn Store>) {
    assert_eq!(a.reports(41).await.expect("read"), ArmCounts::default());
    a.add_reports(vec![
        (41, delta((100, 3), (900, 20), 1)),
        (42, delta((5, 0), (0, 0), 0)),
    ])
    .await
    .expect("add on a");
    b.add_reports(vec![(41, delta((50, 2), (450, 5), 0))])
        .await
        .expect("add on b");
    a.add_reports(Vec::new()).await.expect("an empty flush");
    let total = delta((150, 5), (1350, 25), 1);
    assert_eq!(a.reports(41).await.expect("read a"), total);
    assert_eq!(
        b.reports(41).await.expect("read b"),
        total,
        "the same totals everywhere"
    );
    assert_eq!(b.reports(42).await.expect("read"), delta((5, 0), (0, 0), 0));
}
