//! The listener: HTTP routes, WebSocket upgrades with the connection cap,
//! and graceful shutdown.
//!
//! Shutdown follows mini-redis: when the `shutdown` future completes, the
//! HTTP side stops accepting, every WebSocket connection is told through a
//! `watch` channel (it answers `Error { code: Unavailable }` and closes),
//! and [`serve`] waits until each has dropped its clone of an `mpsc`
//! sender before it returns.

use std::future::{Future, IntoFuture as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt as _;
use axum::Router;
use latchkey_core::signal::{ErrorCode, PROTOCOL};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tracing::{debug, info};

use crate::cluster::{self, RedisConfig};
use crate::connection;
use crate::db::IdStore;
use crate::ids::IdRegistry;
use crate::limits::Limits;
use crate::metrics::{Metrics, NodeInfo};
use crate::proxy::{client_addr, TrustedProxy};
use crate::state::Hub;
use crate::turn::TurnConfig;
use crate::Error;

/// How the server runs.
#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    /// The SQLite file that binds IDs to keys; `None` keeps it in memory, so
    /// every ID is forgotten when the server stops (for tests).
    pub db_path: Option<PathBuf>,
    /// Share IDs, presence and signaling with other nodes through this
    /// Redis (then `db_path` must be `None`); `None` runs one node alone.
    pub redis: Option<RedisConfig>,
    /// TURN credentials to hand out; `None` answers `TurnRequest` with `NoTurn`.
    pub turn: Option<TurnConfig>,
    /// Resource limits.
    pub limits: Limits,
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` headers name the
    /// client (`Incoming.from_addr`); from anyone else they are ignored.
    pub trusted_proxies: Vec<TrustedProxy>,
}

/// Serve the rendezvous protocol on `listener` until `shutdown` completes,
/// then close every connection and return once they are all gone.
///
/// Routes: the WebSocket at `/` (and `/ws`), `GET /healthz` and
/// `GET /metrics` (Prometheus text).
pub async fn serve(
    listener: TcpListener,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    let ServerConfig {
        db_path,
        redis,
        turn,
        limits,
        trusted_proxies,
    } = config;
    let trusted_proxies: Arc<[TrustedProxy]> = trusted_proxies.into();
    let counters = Arc::new(Metrics::default());
    let (registry, cluster) = match (redis, db_path) {
        (Some(_), Some(path)) => {
            return Err(Error::Config(format!(
                "an SQLite file ({}) and Redis are two stores for the same IDs: give one",
                path.display()
            )))
        }
        (Some(redis), None) => {
            let connected = cluster::connect(&redis, counters.clone()).await?;
            (IdRegistry::Redis(connected.ids.clone()), Some(connected))
        }
        (None, db_path) => {
            let db = tokio::task::spawn_blocking(move || IdStore::open(db_path.as_deref()))
                .await
                .map_err(|e| Error::Internal(e.to_string()))??;
            (IdRegistry::Embedded(Arc::new(db)), None)
        }
    };

    // Tells every connection (and the HTTP side) that the server is shutting down.
    let (notify_shutdown, shutdown_rx) = watch::channel(false);
    // Each connection holds a clone of the sender; `recv` returns `None`
    // once they are all dropped.
    let (shutdown_complete_tx, mut shutdown_complete_rx) = mpsc::channel::<()>(1);
    let hub = Hub::new(
        registry,
        cluster.as_ref().map(|c| c.cluster.clone()),
        counters,
        limits,
        turn,
        shutdown_rx.clone(),
        shutdown_complete_tx,
    );
    let cluster_tasks = match cluster {
        Some(connected) => connected.start(hub.clone(), shutdown_rx.clone()),
        None => Vec::new(),
    };
    let expiry = tokio::spawn(expire_sessions(hub.clone(), shutdown_rx.clone()));

    let app = Router::new()
        .route("/", get(websocket))
        .route("/ws", get(websocket))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .layer(axum::Extension(trusted_proxies))
        .with_state(hub.clone());
    if let Ok(addr) = listener.local_addr() {
        info!(%addr, "rendezvous server listening");
    }
    let http_shutdown = {
        let mut rx = shutdown_rx;
        async move {
            // An error means the sender is gone: shut down as well.
            let _ = rx.wait_for(|stop| *stop).await;
        }
    };
    // Signaling messages are small and latency matters: no Nagle delay.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            debug!(error = %e, "TCP_NODELAY");
        }
    });
    let serving = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(http_shutdown)
    .into_future();
    tokio::pin!(serving);
    let served = tokio::select! {
        served = &mut serving => served,
        () = shutdown => {
            info!("shutting down");
            notify_shutdown.send_replace(true);
            serving.await
        }
    };

    // Also when serving stopped on its own.
    notify_shutdown.send_replace(true);
    hub.stop_admitting();
    drop(hub);
    // Every connection has ended when the last sender is gone.
    let _ = shutdown_complete_rx.recv().await;
    expiry.await.map_err(|e| Error::Internal(e.to_string()))?;
    for task in cluster_tasks {
        // The writer ends once nothing can queue any more; the others at
        // the shutdown signal. None may keep `serve` waiting for long.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(6), task).await;
    }
    info!("stopped");
    served.map_err(Error::Io)
}

/// Initial read buffer of each WebSocket, in bytes.
const WS_READ_BUFFER: usize = 4096;

/// Ends pending sessions when their deadline passes, until shutdown.
async fn expire_sessions(hub: Hub, mut shutdown: watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        let next = hub.expire(tokio::time::Instant::now());
        tokio::select! {
            () = async {
                match next {
                    Some(when) => tokio::time::sleep_until(when).await,
                    None => std::future::pending().await,
                }
            } => {}
            () = hub.expiry_changed() => {}
            changed = shutdown.changed() => {
                if changed.is_err() {
                    return;
                }
            }
        }
    }
}

/// `GET /` and `/ws`: upgrade to the signaling WebSocket.
async fn websocket(
    ws: WebSocketUpgrade,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    axum::Extension(trusted): axum::Extension<Arc<[TrustedProxy]>>,
    headers: HeaderMap,
    State(hub): State<Hub>,
) -> Response {
    let client = client_addr(peer.ip(), &headers, &trusted);
    let Some(admission) = hub.admit() else {
        hub.metrics().refused(ErrorCode::Unavailable);
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "at capacity or shutting down; try again later\n",
        )
            .into_response();
    };
    let max = hub.limits().ws_max_bytes();
    // Most connections are idle hosts: a small read buffer (it grows for a
    // large frame) and no write buffering (every frame is flushed at once
    // anyway). The 128 KiB defaults cost ~145 KB per connected host.
    ws.protocols([PROTOCOL])
        .read_buffer_size(WS_READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(max)
        .max_frame_size(max)
        .on_failed_upgrade(move |e| debug!(%peer, error = %e, "WebSocket upgrade failed"))
        .on_upgrade(move |socket| connection::run(socket, peer, client, hub, admission))
}

/// `GET /healthz`.
async fn healthz() -> &'static str {
    "ok"
}

/// `GET /metrics`.
async fn metrics(State(hub): State<Hub>) -> Response {
    let (hosts, connections) = hub.gauges();
    let info = NodeInfo {
        node: hub.node(),
        hosts,
        connections,
    };
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        hub.metrics().render(info),
    )
        .into_response()
}
