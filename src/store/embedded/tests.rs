//! The embedded store's own tests: what only this backend has (earlier file layouts).

use super::*;

/// A file written by an earlier version (one value per group) still loads, and the
/// next write of that group replaces it by chunks.
#[tokio::test]
async fn groups_stored_whole_by_earlier_versions_load_and_are_replaced_by_chunks() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = EmbeddedStore::open(&dir.path().join("g.db")).expect("open");
    let release = serde_json::json!({
        "id": 1, "mini_program": "mp-a", "version": "1.0.0", "app": "app", "env": "production",
        "status": "pilot_testing", "percentage": 0, "salt": "0123456789abcdef",
        "config": {}, "test_group_size": 2, "applied_by": null, "revision": 1,
        "created_at": 0, "updated_at": 0
    });
    let txn = store.db.begin_write().expect("txn");
    {
        let bytes = serde_json::to_vec(&release).expect("json");
        let mut releases = txn.open_table(RELEASES).expect("releases");
        releases.insert(1, bytes.as_slice()).expect("release");
        let mut legacy = txn.open_table(TEST_GROUPS).expect("groups");
        legacy.insert(1, &b"alice\nbob\n"[..]).expect("group");
        txn.open_table(META)
            .expect("meta")
            .insert(REVISION, 1)
            .expect("rev");
    }
    txn.commit().expect("commit");
    let loaded = store.load().await.expect("load");
    let old = TestGroup::parse(&["alice", "bob"]).expect("ids");
    assert_eq!(loaded.test_groups.first().map(|g| &*g.1), Some(&old));

    let ids: Vec<String> = (0..20_000).map(|i| format!("user-{i:07}")).collect();
    let new = Arc::new(TestGroup::parse(&ids).expect("ids"));
    let mut batch = Batch::on(1);
    batch.records.test_groups.push((1, Arc::clone(&new)));
    store.commit(Arc::new(batch)).await.expect("commit");
    let loaded = store.load().await.expect("load");
    assert_eq!(loaded.test_groups.first().map(|g| &*g.1), Some(&*new));
    let txn = store.db.begin_read().expect("txn");
    let legacy = txn.open_table(TEST_GROUPS).expect("groups");
    assert!(
        legacy.get(1).expect("read").is_none(),
        "the whole value is gone"
    );
    let chunks = txn.open_table(GROUP_CHUNKS).expect("chunks");
    let count = chunks.range((1, 0)..=(1, u32::MAX)).expect("range").count();
    assert!(count > 3, "several chunks: {count}");
}
