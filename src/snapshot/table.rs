//! The route table: (app, env, mini program) → route, split into shards that are each
//! shared between snapshots. A resolve hashes its key once and probes one shard; a
//! change copies only the shards it touches, so an admin action costs the same at ten
//! routes and at a hundred thousand.

use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Arc;

use hashbrown::{DefaultHashBuilder, HashTable};

use super::Route;
use crate::model::Env;

const SHARDS: usize = 64;

#[derive(Debug, Clone)]
struct Entry {
    hash: u64,
    /// `app`, a NUL, then the mini program: one allocation, compared in one pass.
    key: Arc<str>,
    app_len: usize,
    env: Env,
    route: Arc<Route>,
}

impl Entry {
    fn is(&self, app: &str, env: Env, mini_program: &str) -> bool {
        let key = self.key.as_bytes();
        self.env == env
            && self.app_len == app.len()
            && key.len() == app.len() + 1 + mini_program.len()
            && key.starts_with(app.as_bytes())
            && key.ends_with(mini_program.as_bytes())
    }
}

#[derive(Debug, Clone)]
pub struct RouteTable {
    hasher: DefaultHashBuilder,
    shards: Vec<Arc<HashTable<Entry>>>,
    len: usize,
}

impl Default for RouteTable {
    fn default() -> Self {
        RouteTable {
            hasher: DefaultHashBuilder::default(),
            shards: (0..SHARDS).map(|_| Arc::new(HashTable::new())).collect(),
            len: 0,
        }
    }
}

impl RouteTable {
    fn hash(&self, app: &str, env: Env, mini_program: &str) -> u64 {
        let mut h = self.hasher.build_hasher();
        app.hash(&mut h);
        env.hash(&mut h);
        mini_program.hash(&mut h);
        h.finish()
    }

    /// The shard of a hash: bits the table itself does not use for its slots (the low
    /// bits) or its tags (the top seven).
    fn shard(hash: u64) -> usize {
        ((hash >> 32) as usize) % SHARDS
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, app: &str, env: Env, mini_program: &str) -> Option<&Arc<Route>> {
        let hash = self.hash(app, env, mini_program);
        let shard = &self.shards[Self::shard(hash)];
        shard
            .find(hash, |e| e.is(app, env, mini_program))
            .map(|e| &e.route)
    }

    /// Sets (or with `None` removes) one route; copies its shard if another snapshot
    /// still shares it.
    pub fn set(&mut self, app: &str, env: Env, mini_program: &str, route: Option<Arc<Route>>) {
        let hash = self.hash(app, env, mini_program);
        let shard = Arc::make_mut(&mut self.shards[Self::shard(hash)]);
        let found = shard.find_entry(hash, |e| e.is(app, env, mini_program));
        match (found, route) {
            (Ok(mut entry), Some(route)) => entry.get_mut().route = route,
            (Ok(entry), None) => {
                entry.remove();
                self.len -= 1;
            }
            (Err(_), Some(route)) => {
                let key: Arc<str> = format!("{app}\0{mini_program}").into();
                let entry = Entry {
                    hash,
                    key,
                    app_len: app.len(),
                    env,
                    route,
                };
                shard.insert_unique(hash, entry, |e| e.hash);
                self.len += 1;
            }
            (Err(_), None) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_do_not_collide_across_their_parts() {
        let mut t = RouteTable::default();
        let r = Arc::new(Route::default());
        t.set("ab", Env::Production, "c", Some(Arc::clone(&r)));
        assert!(t.get("ab", Env::Production, "c").is_some());
        assert!(t.get("a", Env::Production, "bc").is_none());
        assert!(t.get("ab", Env::Sandbox, "c").is_none());
        assert!(t.get("ab", Env::Production, "").is_none());
        let before = t.clone();
        t.set("ab", Env::Production, "c", None);
        assert!(t.is_empty() && t.get("ab", Env::Production, "c").is_none());
        assert_eq!(before.len(), 1, "earlier snapshots keep their shards");
        for i in 0..5000 {
            t.set("app", Env::Test, &format!("mp-{i}"), Some(Arc::clone(&r)));
        }
        assert_eq!(t.len(), 5000);
        assert!((0..5000).all(|i| t.get("app", Env::Test, &format!("mp-{i}")).is_some()));
    }
}
