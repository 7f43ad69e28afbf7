//! The many-node store: state in Redis under a key namespace, every batch committed by
//! one Lua script (atomic on the server) that compares the global revision first and,
//! off its base, checks what the batch read against the records written since; and
//! change notification over pub/sub.
//!
//! Keys (all share the `{ns}` hash tag, so they live in one cluster slot):
//! `{ns}:revision`, `{ns}:apps` / `{ns}:versions` / `{ns}:releases` (hashes of JSON),
//! `{ns}:test_group:<id>` (newline-separated ids), `{ns}:history:<id>` (list of JSON),
//! `{ns}:suspensions` (hash `app/mini_program` → JSON, lifted ones included) and
//! `{ns}:suspension_history:<app>/<mini_program>` (list of JSON),
//! `{ns}:changes` (sorted set: record → revision of its last change, for catch-up) and the
//! channel `{ns}:revisions`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Script};
use tokio::sync::watch;

use super::{Batch, Records, Store, StoreError, decode, encode, unavailable};
use crate::model::{AppId, HistoryEntry, MiniProgramId, ReleaseId, SuspensionEvent, TestGroup};
use crate::reports::ArmCounts;

mod reports;
mod scripts;
use scripts::{CHANGES, COMMIT};

/// A Redis-backed [`Store`]. Cheap to clone.
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    ns: Arc<str>,
    commit: Arc<Script>,
    changes: Arc<Script>,
    revisions: Arc<watch::Sender<u64>>,
}

/// Whether the Redis server keeps acknowledged writes across its own restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Durability {
    /// `appendonly yes` and `appendfsync always`.
    Durable,
    /// Read, and not both: the settings as the server reported them.
    NotDurable {
        appendonly: String,
        appendfsync: String,
    },
    /// The settings could not be read (a managed Redis that refuses `CONFIG`, say).
    Unknown(String),
}

impl RedisStore {
    /// Every JSON record of the list at `key` (a history), oldest first.
    async fn read_list<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Vec<T>, StoreError> {
        let mut conn = self.conn.clone();
        let rows: Vec<Vec<u8>> = redis::cmd("LRANGE")
            .arg(self.key(key))
            .arg(0)
            .arg(-1)
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        rows.iter().map(|r| decode(r)).collect()
    }

    /// Connects to `url` and starts following the namespace's revision channel.
    pub async fn connect(url: &str, namespace: &str) -> Result<RedisStore, StoreError> {
        let client = client(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(3)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(2));
        let conn = ConnectionManager::new_with_config(client.clone(), config)
            .await
            .map_err(unavailable)?;
        let store = RedisStore {
            conn,
            ns: Arc::from(format!("{{{namespace}}}")),
            commit: Arc::new(Script::new(COMMIT)),
            changes: Arc::new(Script::new(CHANGES)),
            revisions: Arc::new(watch::channel(0).0),
        };
        let revision = store.revision().await?;
        store.revisions.send_replace(revision);
        store.warn_unless_durable().await;
        tokio::spawn(follow_revisions(
            client,
            format!("{}:revisions", store.ns),
            Arc::downgrade(&store.revisions),
        ));
        Ok(store)
    }

    /// Acknowledged writes survive a Redis restart only with the AOF fsynced on every
    /// write; says so at start when the server is not set up that way, or cannot tell.
    async fn warn_unless_durable(&self) {
        match self.durability().await {
            Durability::Durable => tracing::info!(
                "redis keeps acknowledged writes (appendonly yes, appendfsync always)"
            ),
            Durability::NotDurable {
                appendonly,
                appendfsync,
            } => tracing::warn!(
                %appendonly,
                %appendfsync,
                "redis is not durable: acknowledged admin writes can be lost if Redis restarts; run it with appendonly yes + appendfsync always"
            ),
            Durability::Unknown(why) => tracing::warn!(
                error = %why,
                "cannot read whether redis is durable (CONFIG GET appendonly/appendfsync failed); make sure it runs with appendonly yes + appendfsync always"
            ),
        }
    }

    /// Reads `appendonly` and `appendfsync`.
    pub async fn durability(&self) -> Durability {
        let read = |name| self.config_value(name);
        let (appendonly, appendfsync) = match (read("appendonly").await, read("appendfsync").await)
        {
            (Ok(on), Ok(fsync)) => (on, fsync),
            (Err(e), _) | (_, Err(e)) => return Durability::Unknown(e),
        };
        if appendonly == "yes" && appendfsync == "always" {
            Durability::Durable
        } else {
            Durability::NotDurable {
                appendonly,
                appendfsync,
            }
        }
    }

    /// One `CONFIG GET` value. The reply is a flat list of name and value in RESP2 and a
    /// map in RESP3; a map type reads either.
    async fn config_value(&self, name: &str) -> Result<String, String> {
        let mut conn = self.conn.clone();
        let reply: Result<BTreeMap<String, String>, _> = redis::cmd("CONFIG")
            .arg("GET")
            .arg(name)
            .query_async(&mut conn)
            .await;
        match reply {
            Ok(mut values) => values
                .remove(name)
                .ok_or_else(|| format!("CONFIG GET {name} named no value")),
            Err(e) => Err(e.to_string()),
        }
    }

    fn key(&self, suffix: &str) -> String {
        format!("{}:{suffix}", self.ns)
    }

    async fn read_changes(&self, since: u64) -> Result<Records, StoreError> {
        let mut conn = self.conn.clone();
        let reply: Vec<Vec<u8>> = self
            .changes
            .arg(&*self.ns)
            .arg(since)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        let mut items = reply.into_iter();
        let revision = items
            .next()
            .and_then(|r| String::from_utf8(r).ok())
            .and_then(|r| r.parse().ok())
            .ok_or_else(|| StoreError::Corrupt("revision is not a number".into()))?;
        let mut records = Records {
            revision,
            ..Records::default()
        };
        while let (Some(kind), Some(value)) = (items.next(), items.next()) {
            match kind.as_slice() {
                b"app" => records.apps.push(decode(&value)?),
                b"version" => records.versions.push(decode(&value)?),
                b"release" => records.releases.push(decode(&value)?),
                b"suspension" => records.suspensions.push(decode(&value)?),
                group => {
                    let id = group
                        .strip_prefix(b"group:")
                        .and_then(|id| std::str::from_utf8(id).ok())
                        .and_then(|id| id.parse::<ReleaseId>().ok())
                        .ok_or_else(|| StoreError::Corrupt("unknown change kind".into()))?;
                    let group = TestGroup::from_lines(&value)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    records.test_groups.push((id, Arc::new(group)));
                }
            }
        }
        Ok(records)
    }

    fn batch_args(batch: &Batch) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut args: Vec<Vec<u8>> = Vec::new();
        let mut op = |kind: &str, key: String, value: Vec<u8>| {
            args.push(kind.as_bytes().to_vec());
            args.push(key.into_bytes());
            args.push(value);
        };
        for app in &batch.records.apps {
            op("app", app.id.to_string(), encode(app)?);
        }
        for v in &batch.records.versions {
            op(
                "version",
                format!("{}/{}", v.mini_program, v.version),
                encode(v)?,
            );
        }
        for r in &batch.records.releases {
            op("release", r.id.to_string(), encode(r)?);
        }
        for (id, group) in &batch.records.test_groups {
            op("group", id.to_string(), group.to_lines()?.to_vec());
        }
        for h in &batch.history {
            op("history", h.release_id.to_string(), encode(h)?);
        }
        // Ids never contain `/`, so `app/mini_program` is unambiguous.
        for s in &batch.records.suspensions {
            op(
                "suspension",
                format!("{}/{}", s.app, s.mini_program),
                encode(s)?,
            );
        }
        for e in &batch.suspension_history {
            let key = format!("{}/{}", e.app, e.mini_program);
            op("suspension_history", key, encode(e)?);
        }
        Ok(args)
    }
}

/// A client for `url`, on RESP3 unless the URL names a protocol: over RESP3 the
/// connection notices a dropped socket as it happens, so the first write after a Redis
/// restart does not fail on a dead connection.
fn client(url: &str) -> Result<Client, StoreError> {
    let bad = |e: redis::RedisError| StoreError::Unavailable(format!("bad redis url: {e}"));
    let info = redis::IntoConnectionInfo::into_connection_info(url).map_err(bad)?;
    let info = if url.contains("protocol=") {
        info
    } else {
        let settings = info
            .redis_settings()
            .clone()
            .set_protocol(redis::ProtocolVersion::RESP3);
        info.set_redis_settings(settings)
    };
    Client::open(info).map_err(bad)
}

/// Follows the revision channel for as long as the store exists, reconnecting with
/// backoff; the periodic revision check covers whatever is missed while disconnected.
async fn follow_revisions(
    client: Client,
    channel: String,
    revisions: std::sync::Weak<watch::Sender<u64>>,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        if revisions.strong_count() == 0 {
            return;
        }
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => {
                if pubsub.subscribe(&channel).await.is_ok() {
                    backoff = Duration::from_millis(100);
                    let mut messages = pubsub.on_message();
                    while let Some(msg) = messages.next().await {
                        let Some(tx) = revisions.upgrade() else {
                            return;
                        };
                        if let Ok(rev) = msg.get_payload::<u64>() {
                            tx.send_if_modified(|known| {
                                let newer = rev > *known;
                                *known = (*known).max(rev);
                                newer
                            });
                        }
                    }
                }
            }
            Err(e) => tracing::debug!(error = %e, "redis pub/sub unavailable; retrying"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}

#[async_trait::async_trait]
impl Store for RedisStore {
    fn kind(&self) -> &'static str {
        "redis"
    }

    async fn load(&self) -> Result<Records, StoreError> {
        self.read_changes(0).await
    }

    async fn changes_since(&self, since: u64) -> Result<Records, StoreError> {
        self.read_changes(since).await
    }

    async fn revision(&self) -> Result<u64, StoreError> {
        let mut conn = self.conn.clone();
        let rev: Option<u64> = redis::cmd("GET")
            .arg(self.key("revision"))
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(rev.unwrap_or(0))
    }

    async fn commit(&self, batch: Arc<Batch>) -> Result<(), StoreError> {
        let args = Self::batch_args(&batch)?;
        let reads = batch.read_keys();
        let mut invocation = self.commit.prepare_invoke();
        invocation
            .arg(&*self.ns)
            .arg(batch.base_revision)
            .arg(batch.revision())
            .arg(reads.len());
        for key in &reads {
            invocation.arg(key.as_str());
        }
        for a in &args {
            invocation.arg(a.as_slice());
        }
        let mut conn = self.conn.clone();
        let reply: Vec<String> = invocation
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        match reply.first().map(String::as_str) {
            Some("ok") => {
                self.revisions.send_if_modified(|known| {
                    let newer = batch.revision() > *known;
                    *known = (*known).max(batch.revision());
                    newer
                });
                Ok(())
            }
            Some("conflict") => Err(StoreError::Conflict {
                expected: batch.base_revision,
                actual: reply.get(1).and_then(|r| r.parse().ok()).unwrap_or(0),
            }),
            Some("stale") => match reply.get(1).and_then(|r| r.parse().ok()) {
                Some(current) => Err(StoreError::Stale {
                    base: batch.base_revision,
                    current,
                }),
                None => Err(StoreError::Corrupt("revision is not a number".into())),
            },
            _ => Err(StoreError::Corrupt(format!(
                "unexpected commit reply {reply:?}"
            ))),
        }
    }

    async fn add_reports(&self, deltas: Vec<(ReleaseId, ArmCounts)>) -> Result<(), StoreError> {
        self.write_reports(&deltas).await
    }

    async fn reports(&self, release: ReleaseId) -> Result<ArmCounts, StoreError> {
        self.read_reports(release).await
    }

    async fn history(&self, release: ReleaseId) -> Result<Vec<HistoryEntry>, StoreError> {
        self.read_list(&format!("history:{release}")).await
    }

    async fn suspension_history(
        &self,
        app: &AppId,
        mini_program: &MiniProgramId,
    ) -> Result<Vec<SuspensionEvent>, StoreError> {
        self.read_list(&format!("suspension_history:{app}/{mini_program}"))
            .await
    }

    fn subscribe(&self) -> watch::Receiver<u64> {
        self.revisions.subscribe()
    }
}
