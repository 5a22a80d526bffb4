//! The host half of `tcp_tunnel`: reaches destinations for `-L` (within the
//! profile's `tunnel_destinations`, read as the settings are at each
//! connection; a refusal is audited once per destination and session),
//! listens for `-R` (loopback unless the viewer names an address) and
//! announces each connection as a new stream. Everything it started stops
//! when the session ends (the half is dropped) or the live grant loses
//! `tcp_tunnel`: listeners close and every stream is reset.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use latchkey_core::audit::AuditEvent;
use latchkey_core::feature::tunnel::{
    host_port, valid_host, Destinations, FromHost, FromViewer, MAX_LISTENS, MAX_STREAMS, SPEC,
    WINDOW,
};
use latchkey_core::feature::{self, FeatureSpec, WireError};
use latchkey_core::permission::PermissionSet;
use latchkey_store::Config;

use super::stream::Streams;
use crate::host::feature_host::{FeatureContext, FeatureHost, Gate, LiveGrant};
use crate::transport::peer::Control;

/// How long resolving and connecting to a destination may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// One session's tunnels.
pub(crate) struct TunnelHost {
    ctx: FeatureContext,
    streams: Streams,
    /// Connection attempts, listeners and the grant watcher (aborted on drop).
    tasks: JoinSet<()>,
    /// Listeners opened.
    listens: usize,
    /// The next id of a stream the host opens (odd).
    next_stream: Arc<AtomicU32>,
    /// Destinations already audited as refused in this session.
    audited: Arc<Mutex<HashSet<String>>>,
    watching: bool,
}

fn allowed(g: &LiveGrant) -> bool {
    g.revoked.is_none() && SPEC.allowed(g.permissions)
}

fn refusal(id: u32, what: &str) -> FromHost {
    FromHost::Refused {
        id,
        what: what.into(),
        permission: SPEC
            .permission()
            .map(|p| p.name())
            .unwrap_or_default()
            .into(),
    }
}

impl Drop for TunnelHost {
    fn drop(&mut self) {
        self.streams.reset_all();
    }
}

/// Why a destination was not reached: the answer to send.
enum Unreached {
    NotAllowed,
    Failed(String),
}

impl Unreached {
    fn answer(self, id: u32, destination: String) -> FromHost {
        match self {
            Unreached::NotAllowed => FromHost::NotAllowed { id, destination },
            Unreached::Failed(message) => FromHost::Failed { id, message },
        }
    }
}

/// What a destination check needs, apart from the half (connects run in tasks).
#[derive(Clone)]
struct Reach {
    ctx: FeatureContext,
    audited: Arc<Mutex<HashSet<String>>>,
}

impl Reach {
    /// The profile's destinations as the settings say now (none if unreadable).
    fn destinations(&self) -> Destinations {
        let shared = &self.ctx.shared;
        match Config::open(&shared.config_dir, shared.store) {
            Ok(c) => match c.settings().profiles.get(&self.ctx.profile) {
                Ok(p) => p.tunnel_destinations.clone(),
                Err(_) => Destinations::Only(Vec::new()),
            },
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the settings: tunnels refused");
                Destinations::Only(Vec::new())
            }
        }
    }

    /// Audit a refused destination, once per session.
    fn refused(&self, destination: &str) -> Unreached {
        tracing::info!(%destination, "tunnel destination refused");
        let first = self
            .audited
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(destination.to_string());
        if first {
            let shared = &self.ctx.shared;
            let event = AuditEvent::TunnelRefused {
                viewer: self.ctx.viewer.clone(),
                destination: destination.to_string(),
            };
            if let Err(e) =
                Config::open(&shared.config_dir, shared.store).and_then(|c| c.record(event))
            {
                tracing::error!(error = %e, "cannot write the audit log");
            }
        }
        Unreached::NotAllowed
    }

    /// Whether `host:port` may be reached at all (before resolving it).
    fn check(&self, host: &str, port: u16) -> Result<(), Unreached> {
        if !valid_host(host) || port == 0 {
            return Err(Unreached::Failed(format!("'{host}' is not a destination")));
        }
        if !self.destinations().may_allow(host, port) {
            return Err(self.refused(&host_port(host, port)));
        }
        Ok(())
    }

    /// Resolve `host`, keep the addresses the profile allows, connect to the first that answers.
    async fn connect(&self, host: &str, port: u16) -> Result<TcpStream, Unreached> {
        self.check(host, port)?;
        let destinations = self.destinations();
        let addrs: Vec<SocketAddr> = match tokio::time::timeout(
            CONNECT_TIMEOUT,
            tokio::net::lookup_host((host, port)),
        )
        .await
        {
            Ok(Ok(a)) => a.collect(),
            Ok(Err(e)) => return Err(Unreached::Failed(format!("cannot resolve {host}: {e}"))),
            Err(_) => return Err(Unreached::Failed(format!("resolving {host} timed out"))),
        };
        let allowed: Vec<SocketAddr> = addrs
            .into_iter()
            .filter(|a| destinations.allows(host, Some(a.ip()), port))
            .collect();
        if allowed.is_empty() {
            return Err(self.refused(&host_port(host, port)));
        }
        let mut last = String::new();
        for addr in allowed {
            match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
                Ok(Ok(tcp)) => return Ok(tcp),
                Ok(Err(e)) => last = format!("cannot connect to {addr}: {e}"),
                Err(_) => last = format!("connecting to {addr} timed out"),
            }
        }
        Err(Unreached::Failed(last))
    }
}

impl TunnelHost {
    fn reach(&self) -> Reach {
        Reach {
            ctx: self.ctx.clone(),
            audited: self.audited.clone(),
        }
    }

    /// Once: reset every stream whenever the grant loses `tcp_tunnel`.
    fn watch_grant(&mut self, channel: &Control) {
        if std::mem::replace(&mut self.watching, true) {
            return;
        }
        let (mut grant, streams, channel) = (
            self.ctx.grant.clone(),
            self.streams.clone(),
            channel.clone(),
        );
        self.tasks.spawn(async move {
            loop {
                if grant.wait_for(|g| !allowed(g)).await.is_err() {
                    return;
                }
                for stream in streams.reset_all() {
                    let _ = channel.send(&FromHost::Reset { stream }).await;
                }
                if grant.wait_for(allowed).await.is_err() {
                    return;
                }
            }
        });
    }

    async fn listen(&mut self, id: u32, bind: String, port: u16, channel: &Control) {
        if self.listens >= MAX_LISTENS {
            let message = format!("at most {MAX_LISTENS} listeners per session");
            let _ = channel.send(&FromHost::Failed { id, message }).await;
            return;
        }
        if !valid_host(&bind) {
            let message = format!("'{bind}' is not an address to listen on");
            let _ = channel.send(&FromHost::Failed { id, message }).await;
            return;
        }
        let listener = match TcpListener::bind((bind.as_str(), port)).await {
            Ok(l) => l,
            Err(e) => {
                let message = format!("cannot listen on {}: {e}", host_port(&bind, port));
                let _ = channel.send(&FromHost::Failed { id, message }).await;
                return;
            }
        };
        let bound = listener.local_addr().map(|a| a.port()).unwrap_or(port);
        self.listens += 1;
        tracing::info!(listen = %host_port(&bind, bound), "tunnel listening (-R)");
        let _ = channel.send(&FromHost::Listening { id, port: bound }).await;
        self.tasks.spawn(accept_loop(
            listener,
            id,
            channel.clone(),
            self.streams.clone(),
            self.next_stream.clone(),
            self.ctx.grant.clone(),
        ));
    }
}

/// A `-R` listener: each connection becomes a stream the viewer is told of;
/// it stops once the grant loses `tcp_tunnel` (or the session ends).
async fn accept_loop(
    listener: TcpListener,
    id: u32,
    channel: Control,
    streams: Streams,
    next_stream: Arc<AtomicU32>,
    mut grant: watch::Receiver<LiveGrant>,
) {
    loop {
        let accepted = tokio::select! {
            _ = grant.wait_for(|g| !allowed(g)) => {
                tracing::info!("tunnel listener closed: tcp_tunnel withdrawn");
                return;
            }
            a = listener.accept() => a,
        };
        match accepted {
            Ok((tcp, _)) => {
                if streams.len() >= MAX_STREAMS {
                    tracing::warn!("tunnel connection dropped: too many streams");
                    continue;
                }
                let stream = next_stream.fetch_add(2, Ordering::Relaxed);
                if !streams.start::<FromHost>(stream, tcp, channel.clone()) {
                    continue;
                }
                let incoming = FromHost::Incoming {
                    id,
                    stream,
                    window: WINDOW,
                };
                if channel.send(&incoming).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, "tunnel accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

impl FeatureHost for TunnelHost {
    const SPEC: &'static FeatureSpec = &feature::tunnel::SPEC;
    type FromViewer = FromViewer;

    fn new(ctx: &FeatureContext) -> Self {
        TunnelHost {
            ctx: ctx.clone(),
            streams: Streams::default(),
            tasks: JoinSet::new(),
            listens: 0,
            next_stream: Arc::new(AtomicU32::new(1)),
            audited: Arc::default(),
            watching: false,
        }
    }

    fn decode(bytes: &[u8]) -> Result<FromViewer, WireError> {
        feature::tunnel::from_viewer(bytes)
    }

    fn gate(message: &FromViewer) -> Gate {
        match message {
            FromViewer::Check { .. } => Gate::Checked("tunnel_check"),
            FromViewer::Connect { .. } => Gate::Checked("tunnel_connect"),
            FromViewer::Listen { .. } => Gate::Checked("tunnel_listen"),
            FromViewer::Accepted { .. } => Gate::Checked("tunnel_accepted"),
            FromViewer::Data { .. } => Gate::Checked("tunnel_data"),
            FromViewer::Credit { .. } | FromViewer::Eof { .. } => Gate::Quiet,
            // Closing a stream is always allowed.
            FromViewer::Reset { .. } => Gate::Free,
        }
    }

    async fn handle(&mut self, message: FromViewer, _: PermissionSet, channel: &Control) {
        self.watch_grant(channel);
        // Finished attempts and listeners leave the set.
        while self.tasks.try_join_next().is_some() {}
        match message {
            FromViewer::Check { id, host, port } => {
                let answer = match self.reach().check(&host, port) {
                    Ok(()) => FromHost::Checked { id },
                    Err(u) => u.answer(id, host_port(&host, port)),
                };
                let _ = channel.send(&answer).await;
            }
            FromViewer::Connect {
                stream,
                host,
                port,
                window,
            } => {
                // Attempts under way count too (tasks holds them, the listeners and the watcher).
                if stream % 2 != 0 || self.streams.len() + self.tasks.len() >= MAX_STREAMS {
                    let message = format!("at most {MAX_STREAMS} streams, with even ids");
                    let _ = channel
                        .send(&FromHost::Failed {
                            id: stream,
                            message,
                        })
                        .await;
                    return;
                }
                let (reach, streams, channel) =
                    (self.reach(), self.streams.clone(), channel.clone());
                self.tasks.spawn(async move {
                    match reach.connect(&host, port).await {
                        Ok(tcp) => {
                            if !streams.start::<FromHost>(stream, tcp, channel.clone()) {
                                let message = format!("stream {stream} is already open");
                                let _ = channel
                                    .send(&FromHost::Failed {
                                        id: stream,
                                        message,
                                    })
                                    .await;
                                return;
                            }
                            let connected = FromHost::Connected {
                                stream,
                                window: WINDOW,
                            };
                            if channel.send(&connected).await.is_ok() {
                                streams.credit(stream, window);
                            }
                        }
                        Err(u) => {
                            let _ = channel
                                .send(&u.answer(stream, host_port(&host, port)))
                                .await;
                        }
                    }
                });
            }
            FromViewer::Listen { id, bind, port } => self.listen(id, bind, port, channel).await,
            FromViewer::Accepted { stream, window } => self.streams.credit(stream, window),
            FromViewer::Data { stream, data } => {
                if self.streams.data(stream, data.0).is_err() {
                    let _ = channel.send(&FromHost::Reset { stream }).await;
                }
            }
            FromViewer::Credit { stream, bytes } => self.streams.credit(stream, bytes),
            FromViewer::Eof { stream } => self.streams.eof(stream),
            FromViewer::Reset { stream } => self.streams.reset(stream),
        }
    }

    async fn refused(&mut self, message: FromViewer, channel: &Control) {
        let answer = match message {
            FromViewer::Check { id, .. } => refusal(id, "tunnel_check"),
            FromViewer::Connect { stream, .. } => refusal(stream, "tunnel_connect"),
            FromViewer::Listen { id, .. } => refusal(id, "tunnel_listen"),
            FromViewer::Accepted { stream, .. } | FromViewer::Data { stream, .. } => {
                self.streams.reset(stream);
                FromHost::Reset { stream }
            }
            FromViewer::Credit { .. } | FromViewer::Eof { .. } | FromViewer::Reset { .. } => return,
        };
        let _ = channel.send(&answer).await;
    }
}
