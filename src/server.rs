//! Start-up and shutdown: open the store, start the control plane, bind both listeners,
//! keep the snapshot in step with the store, and drain in-flight requests on shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::{AppConfig, Config, StoreKind};
use crate::control::{Control, ControlError};
use crate::health::Health;
use crate::http::client_service::ClientService;
use crate::http::listener::{self, ConnectionLimits};
use crate::http::{self, AdminState, ClientState, auth::Auth};
use crate::metrics::Metrics;
use crate::served_history::{self, ServedHistory};
use crate::snapshot;
use crate::store::{Store, StoreError, embedded::EmbeddedStore, redis::RedisStore};
use hyper_util::service::TowerToHyperService;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the store: {0}")]
    Store(#[from] StoreError),
    #[error("cannot start the control plane: {0}")]
    Control(#[from] ControlError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server failed: {0}")]
    Serve(std::io::Error),
}

/// A gateway with its listeners bound, ready to [`Server::run`].
pub struct Server {
    client: TcpListener,
    admin: TcpListener,
    client_service: ClientService,
    admin_router: axum::Router,
    control: Arc<Control>,
    health: Arc<Health>,
    served: Arc<ServedHistory>,
    check_every: Duration,
    guard_every: Duration,
    grace: Duration,
    limits: ConnectionLimits,
}

async fn open_store(config: &Config) -> Result<Arc<dyn Store>, StartError> {
    match config.store.kind {
        StoreKind::Embedded => {
            let cache = config.store.cache_mib.saturating_mul(1024 * 1024);
            Ok(Arc::new(EmbeddedStore::open_with_cache(
                &config.store.path,
                cache,
            )?))
        }
        StoreKind::Redis => {
            let url = config.store.url.as_deref().unwrap_or_default();
            Ok(Arc::new(
                RedisStore::connect(url, &config.store.namespace).await?,
            ))
        }
    }
}

/// Config apps are created when missing and otherwise left as stored (SPEC §5), so a
/// report token written into the file later does not reach an app that exists: say so
/// at start rather than let an operator believe it is in force. A file without a token
/// is quiet: the reviewer may have set one with `PUT`, and that one stays.
fn warn_kept_report_tokens(apps: &[AppConfig], snapshot: &snapshot::Snapshot) {
    for app in apps {
        let stored = snapshot.report_token(app.id.as_str());
        if let Some(wanted) = &app.report_token_sha256
            && stored != Some(wanted)
        {
            tracing::warn!(
                app = %app.id,
                stored_token = stored.is_some(),
                "the config file's report_token_sha256 is not the stored app's, which \
                 stays in force; set it with PUT /v1/admin/apps/{{app}}"
            );
        }
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })
}

impl Server {
    pub async fn start(config: &Config) -> Result<Server, StartError> {
        let store = open_store(config).await?;
        let health = Arc::new(Health::new(store.kind()));
        let metrics = Metrics::new();
        let cell = snapshot::new_cell(&metrics);
        let control = Arc::new(Control::start(store, Arc::clone(&cell), metrics.clone()).await?);
        for app in control
            .ensure_apps(config.apps.iter().map(AppConfig::input))
            .await?
        {
            tracing::info!(app = %app, "target app created from the config file");
        }
        warn_kept_report_tokens(&config.apps, &cell.load());
        let client_state = ClientState {
            snapshot: Arc::clone(&cell),
            health: Arc::clone(&health),
            max_batch: config.limits.max_batch,
            metrics: metrics.clone(),
        };
        let served = Arc::new(ServedHistory::new(metrics.clone()));
        let admin_state = AdminState {
            control: Arc::clone(&control),
            auth: Arc::new(Auth::new(&config.auth.tokens)),
            snapshot: cell,
            health: Arc::clone(&health),
            metrics,
            served: Arc::clone(&served),
        };
        for warning in config.warnings() {
            tracing::warn!("{warning}");
        }
        Ok(Server {
            client: bind(config.server.client_listen).await?,
            admin: bind(config.server.admin_listen).await?,
            client_service: ClientService::new(
                client_state.clone(),
                http::client_router(client_state, &config.limits),
                Duration::from_secs_f64(config.limits.request_timeout_seconds),
            ),
            admin_router: http::admin_router(admin_state, &config.limits),
            control,
            health,
            served,
            check_every: Duration::from_secs_f64(config.store.revision_check_seconds),
            guard_every: Duration::from_secs_f64(config.guard.interval_seconds),
            grace: Duration::from_secs(config.server.shutdown_grace_seconds),
            limits: ConnectionLimits {
                max_connections: config.limits.max_connections,
                header_read_timeout: Duration::from_secs_f64(
                    config.limits.header_read_timeout_seconds,
                ),
                max_header_bytes: config.limits.max_header_bytes,
            },
        })
    }

    pub fn client_addr(&self) -> std::io::Result<SocketAddr> {
        self.client.local_addr()
    }

    pub fn admin_addr(&self) -> std::io::Result<SocketAddr> {
        self.admin.local_addr()
    }

    /// Serves until `shutdown` completes, then stops accepting and lets in-flight
    /// requests finish (up to the grace period).
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let sync = tokio::spawn(sync_loop(
            Arc::clone(&self.control),
            Arc::clone(&self.health),
            self.check_every,
            stopped(stop_rx.clone()),
        ));
        let background = self.spawn_background(&stop_rx);
        let client = tokio::spawn(listener::serve(
            self.client,
            self.client_service,
            self.limits,
            stopped(stop_rx.clone()),
        ));
        let admin = tokio::spawn(listener::serve(
            self.admin,
            TowerToHyperService::new(self.admin_router),
            self.limits,
            stopped(stop_rx),
        ));
        shutdown.await;
        tracing::info!("shutting down: draining in-flight requests");
        let _ = stop_tx.send(true);
        let drained = tokio::time::timeout(self.grace, async { (client.await, admin.await) }).await;
        sync.abort();
        for (task, handle) in background {
            if tokio::time::timeout(self.grace, handle).await.is_err() {
                tracing::warn!(task, "did not stop within the grace period");
            }
        }
        match drained {
            Ok((Ok(()), Ok(()))) => Ok(()),
            Ok(_) => Err(StartError::Serve(std::io::Error::other(
                "a listener task panicked",
            ))),
            Err(_) => {
                tracing::warn!(grace = ?self.grace, "requests still running after the grace period; exiting");
                Ok(())
            }
        }
    }
}

/// A stopped watch: completes once `true` is sent.
async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

impl Server {
    /// The tasks every node runs beside its listeners, each stopped by the signal and
    /// awaited at shutdown: the report flush (it sends what was counted since its last
    /// round), the plan scheduler and the guard evaluator (a step or action being
    /// committed finishes first), and the served history's sampler. The store lets one
    /// node's step or action land.
    fn spawn_background(
        &self,
        stop: &watch::Receiver<bool>,
    ) -> Vec<(&'static str, tokio::task::JoinHandle<()>)> {
        let control = || Arc::clone(&self.control);
        let flush = report_flush_loop(control(), stopped(stop.clone()));
        let scheduler = crate::control::scheduler::run(control(), stopped(stop.clone()));
        let guard = crate::control::guard::run(control(), self.guard_every, stopped(stop.clone()));
        let sampler = served_history::run(Arc::clone(&self.served), stopped(stop.clone()));
        vec![
            ("the report flush", tokio::spawn(flush)),
            ("the plan scheduler", tokio::spawn(scheduler)),
            ("the guard evaluator", tokio::spawn(guard)),
            ("the served history sampler", tokio::spawn(sampler)),
        ]
    }
}

/// How often each node adds its report counts to the store's totals (SPEC §9: at least
/// once a second); a node that dies loses at most this much.
const REPORT_FLUSH_EVERY: Duration = Duration::from_secs(1);

/// Sends this node's report counts to the store every [`REPORT_FLUSH_EVERY`], and once
/// more when `stop` completes.
async fn report_flush_loop(control: Arc<Control>, stop: impl Future<Output = ()>) {
    let mut tick = tokio::time::interval(REPORT_FLUSH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    loop {
        let last = tokio::select! {
            () = &mut stop => true,
            _ = tick.tick() => false,
        };
        if let Err(e) = control.flush_reports().await {
            tracing::warn!(error = %e, "report counts not flushed; kept for the next round");
        }
        if last {
            return;
        }
    }
}

/// Keeps this node's snapshot in step with the store: on change notifications, and by
/// a periodic revision check that also records whether the store is reachable.
async fn sync_loop(
    control: Arc<Control>,
    health: Arc<Health>,
    every: Duration,
    stop: impl Future<Output = ()>,
) {
    let mut notified = control.store().subscribe();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    let mut store_up = true;
    loop {
        let known = tokio::select! {
            _ = &mut stop => return,
            _ = tick.tick() => match control.store().revision().await {
                Ok(rev) => {
                    if !std::mem::replace(&mut store_up, true) {
                        tracing::info!("store reachable again");
                    }
                    health.store_reachable(true);
                    control.metrics().store.up.set(1);
                    control.metrics().store.revision.set(i64::try_from(rev).unwrap_or(i64::MAX));
                    rev
                }
                Err(e) => {
                    health.store_reachable(false);
                    control.metrics().store.up.set(0);
                    control.metrics().store_error("revision");
                    if std::mem::replace(&mut store_up, false) {
                        tracing::warn!(error = %e, "store unreachable; serving the last good snapshot");
                    }
                    continue;
                }
            },
            changed = notified.changed() => match changed {
                Ok(()) => *notified.borrow_and_update(),
                Err(_) => { notified = control.store().subscribe(); continue; }
            },
        };
        if known > control.revision().await
            && let Err(e) = control.catch_up().await
        {
            tracing::warn!(error = %e, "cannot catch up with the store");
        }
    }
}
