//! The host: keeps a registered WebSocket to the rendezvous (reconnecting with
//! backoff), answers each incoming session in its own task, and serves the
//! local control socket. Runs until `shutdown` resolves.

pub mod active_desktop;
pub mod boot;
pub mod control_socket;
pub mod desk;
pub mod desktop;
pub(crate) mod feature_host;
pub mod handshake;
pub mod live;
pub mod lock;
pub mod overlay;
pub mod requests;
pub(crate) mod router;
pub mod shared;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch, Semaphore};

use latchkey_core::settings::SecretStoreKind;
use latchkey_core::signal::{ClientMessage, DeviceId, ServerMessage};
use latchkey_core::throttle::{normalize_addr, ThrottlePolicy};
use latchkey_store::config::now;
use latchkey_store::Config;

use crate::host::requests::Requests;
use crate::transport::peer::Peer;
use crate::transport::signaling::SignalSocket;
use crate::transport::turn::{self, TurnServers};
use crate::Error;
use shared::HostShared;

/// Sessions handled at once.
const MAX_SESSIONS: usize = 32;
/// Sessions one source address may hold at once (so that one address cannot
/// take every slot with logins that never finish).
const MAX_SESSIONS_PER_ADDR: usize = 6;
/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Keepalive interval on the signaling socket.
const PING_EVERY: Duration = Duration::from_secs(20);

/// How to run a host.
#[derive(Debug, Clone)]
pub struct HostOptions {
    /// Configuration directory.
    pub config_dir: PathBuf,
    /// Secret store asked for on the command line.
    pub store: Option<SecretStoreKind>,
    /// Rendezvous URL.
    pub rendezvous: String,
    /// Whether a main window is open now (the headless host: never). The
    /// interactive mode `window` asks the person only while it is.
    pub window_open: Arc<AtomicBool>,
    /// Where to report reachability (the desktop app shows it).
    pub presence: Option<watch::Sender<Presence>>,
}

/// Whether the host is reachable through the rendezvous.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Presence {
    /// Connecting or registering.
    #[default]
    Connecting,
    /// Registered under this ID.
    Online(DeviceId),
    /// The rendezvous is unreachable or refused us; retrying.
    Offline(String),
}

/// Run the host until `shutdown` resolves.
pub async fn run(options: HostOptions, shutdown: impl Future<Output = ()>) -> Result<(), Error> {
    crate::transport::signaling::check_url(&options.rendezvous)?;
    let mut config = Config::open(&options.config_dir, options.store)?;
    let device_key = Arc::new(config.device_key()?);
    config.server_secret()?;
    let requests = Requests::default();
    let pointers = crate::host::requests::RemotePointers::default();
    let socket_path = control_socket::socket_path(&options.config_dir);
    let control = tokio::spawn(control_socket::serve(
        socket_path.clone(),
        requests.clone(),
        pointers.clone(),
        control_socket::AdminTarget {
            config_dir: options.config_dir.clone(),
            store: options.store,
        },
    ));
    // Fail early when another host owns the socket.
    tokio::time::sleep(Duration::from_millis(50)).await;
    if control.is_finished() {
        return match control.await {
            Ok(Err(e)) => Err(e),
            _ => Err(Error::Io("the control socket stopped".into())),
        };
    }
    // The failed-login counters of the last run: a restart must not reset them.
    let (throttle, damaged) =
        latchkey_store::throttle_file::load(&options.config_dir, ThrottlePolicy::default(), now());
    if let Some(e) = damaged {
        tracing::error!(error = %e, "the failed-login counters are damaged; starting with none");
    }
    let shared = HostShared {
        config_dir: options.config_dir.clone(),
        store: options.store,
        throttle: Arc::new(Mutex::new(throttle)),
        requests,
        window_open: options.window_open.clone(),
        device_id: config.settings().device_id.clone(),
        desktop: crate::host::desktop::Desktop::start()?,
        desk: crate::host::desk::Desk::start(&options.config_dir)?,
        pointers,
        restarting: Arc::new(AtomicBool::new(false)),
        printers: crate::features::print::printers::Printers::start(&options.config_dir).await,
        overlays: crate::host::overlay::Overlays::start()?,
    };
    let desk = shared.desk.clone();
    let printers = shared.printers.clone();
    let result = tokio::select! {
        r = serve_rendezvous(&options, &mut config, device_key, shared) => r,
        _ = shutdown => Ok(()),
    };
    desk.stop().await;
    printers.stop().await;
    control.abort();
    let _ = std::fs::remove_file(&socket_path);
    tracing::info!("host stopped");
    result
}

async fn serve_rendezvous(
    options: &HostOptions,
    config: &mut Config,
    device_key: Arc<latchkey_core::identity::DeviceKey>,
    mut shared: HostShared,
) -> Result<(), Error> {
    let limit = Arc::new(Semaphore::new(MAX_SESSIONS));
    let per_addr = AddrSlots::default();
    let mut backoff = Duration::from_secs(1);
    // With several rendezvous nodes: the one to try first. After losing a
    // node, the host tries the next one first (the nodes share its ID).
    let mut node = 0;
    let report = |p: Presence| {
        if let Some(tx) = &options.presence {
            tx.send_replace(p);
        }
    };
    loop {
        report(Presence::Connecting);
        match SignalSocket::connect_from(&options.rendezvous, node).await {
            Ok((mut socket, reached)) => match socket.register(&device_key).await {
                Ok(id) => {
                    backoff = Duration::from_secs(1);
                    remember_id(config, &id)?;
                    shared.device_id = Some(id.clone());
                    // Before announcing: the first viewers already get a relay.
                    let (relays, early) = match turn::request(&mut socket).await {
                        Ok(answer) => answer,
                        Err(e) => {
                            tracing::warn!(error = %e, "no TURN credentials");
                            (None, Vec::new())
                        }
                    };
                    announce(&id);
                    report(Presence::Online(id.clone()));
                    let turn = Relay {
                        current: relays,
                        early: early.into(),
                    };
                    serve_connection(socket, turn, &shared, &device_key, &limit, &per_addr).await;
                    tracing::warn!("lost the rendezvous; reconnecting");
                    report(Presence::Offline("lost the rendezvous server".into()));
                    node = reached + 1;
                }
                Err(e) => {
                    node = reached + 1;
                    tracing::warn!(error = %e, "registration failed");
                    report(Presence::Offline(format!("registration failed: {e}")));
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, "rendezvous unreachable");
                report(Presence::Offline(format!("rendezvous unreachable: {e}")));
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

fn remember_id(config: &mut Config, id: &DeviceId) -> Result<(), Error> {
    config.reload()?;
    if config.settings().device_id.as_ref() != Some(id) {
        let id = id.clone();
        config.update(|s, _| {
            s.device_id = Some(id);
            Ok(((), vec![]))
        })?;
    }
    Ok(())
}

/// Tell whoever started us (a person, a test, a service manager) that we are reachable.
fn announce(id: &DeviceId) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "Latchkey host ready: ID {}", id.grouped());
    let _ = out.flush();
}

/// The TURN credentials the host holds, and what the rendezvous sent while
/// they were asked for (handled first).
struct Relay {
    current: Option<TurnServers>,
    early: std::collections::VecDeque<ServerMessage>,
}

impl Relay {
    /// When to ask for fresh credentials: at three quarters of their life.
    fn refresh_in(&self) -> Option<Duration> {
        self.current
            .as_ref()
            .map(|t| Duration::from_secs((t.ttl_s.saturating_mul(3) / 4).max(30)))
    }
}

/// The next message: one that arrived early, else the next from the socket.
async fn next_message(
    early: &mut std::collections::VecDeque<ServerMessage>,
    socket: &mut SignalSocket,
) -> Result<Option<ServerMessage>, Error> {
    match early.pop_front() {
        Some(m) => Ok(Some(m)),
        None => socket.recv().await,
    }
}

async fn serve_connection(
    mut socket: SignalSocket,
    mut relay: Relay,
    shared: &HostShared,
    device_key: &Arc<latchkey_core::identity::DeviceKey>,
    limit: &Arc<Semaphore>,
    per_addr: &AddrSlots,
) {
    // Session tasks hand us what to send; we own the socket.
    let (out_tx, mut out_rx) = mpsc::channel::<ClientMessage>(64);
    let mut ping = tokio::time::interval(PING_EVERY);
    let mut live: HashSet<String> = HashSet::new();
    let mut refresh = relay.refresh_in().map(|d| tokio::time::Instant::now() + d);
    loop {
        tokio::select! {
            msg = next_message(&mut relay.early, &mut socket) => match msg {
                Ok(Some(ServerMessage::Incoming { session, from_addr, sdp })) => {
                    if shared.restarting.load(std::sync::atomic::Ordering::SeqCst) {
                        // A reconnect must reach the host after the restart, not this one.
                        let _ = socket.send(&ClientMessage::Bye { session, reason: Some("host restarting".into()) }).await;
                        continue;
                    }
                    let slot = per_addr.take(from_addr.as_deref());
                    let (Some(slot), Ok(permit)) = (slot, limit.clone().try_acquire_owned()) else {
                        let _ = socket.send(&ClientMessage::Bye { session, reason: Some("host busy".into()) }).await;
                        continue;
                    };
                    live.insert(session.clone());
                    let shared = shared.clone();
                    let key = device_key.clone();
                    let out = out_tx.clone();
                    let turn = relay.current.clone();
                    tokio::spawn(async move {
                        let _permit = (permit, slot);
                        let mut reason = None;
                        if let Err(e) = answer_session(shared, key, session.clone(), from_addr, sdp, turn, out.clone()).await {
                            tracing::info!(error = %e, "session ended");
                            if matches!(e, Error::TranscriptMismatch(_)) {
                                reason = Some(e.to_string());
                            }
                        }
                        let _ = out.send(ClientMessage::Bye { session, reason }).await;
                    });
                }
                Ok(Some(ServerMessage::Bye { session, .. })) => {
                    live.remove(&session);
                }
                Ok(Some(m @ ServerMessage::Turn { .. })) => {
                    relay.current = TurnServers::from_message(&m);
                    refresh = relay.refresh_in().map(|d| tokio::time::Instant::now() + d);
                }
                Ok(Some(ServerMessage::Error { code: latchkey_core::signal::ErrorCode::NoTurn, .. })) => {
                    tracing::info!("the rendezvous no longer hands out TURN credentials");
                    relay.current = None;
                    refresh = None;
                }
                Ok(Some(ServerMessage::Error { code, message, .. })) => {
                    if code == latchkey_core::signal::ErrorCode::UnknownSession {
                        // A bye for a session the viewer already ended.
                        tracing::debug!(%message, "rendezvous forgot a session first");
                        continue;
                    }
                    tracing::warn!(code = code.name(), %message, "rendezvous error");
                    if code == latchkey_core::signal::ErrorCode::Replaced {
                        return;
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => return,
            },
            out = out_rx.recv() => {
                if let Some(m) = out {
                    if let ClientMessage::Bye { session, .. } = &m {
                        if !live.remove(session) {
                            continue;
                        }
                    }
                    if socket.send(&m).await.is_err() {
                        return;
                    }
                }
            }
            _ = ping.tick() => {
                if socket.send(&ClientMessage::Ping).await.is_err() {
                    return;
                }
            }
            _ = tokio::time::sleep_until(refresh.unwrap_or_else(tokio::time::Instant::now)), if refresh.is_some() => {
                // Asked again later unless the answer sets a new time.
                refresh = Some(tokio::time::Instant::now() + Duration::from_secs(60));
                if socket.send(&ClientMessage::TurnRequest).await.is_err() {
                    return;
                }
            }
        }
    }
}

async fn answer_session(
    shared: HostShared,
    key: Arc<latchkey_core::identity::DeviceKey>,
    session: String,
    from_addr: Option<String>,
    offer: String,
    turn: Option<TurnServers>,
    out: mpsc::Sender<ClientMessage>,
) -> Result<(), Error> {
    let mut peer = Peer::with_turn(turn.as_ref()).await?;
    let video = match crate::features::video::add_sender(peer.connection()).await {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::warn!(error = %e, "no video track");
            None
        }
    };
    let sound = match crate::features::sound::add_sender(peer.connection()).await {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(error = %e, "no sound track");
            None
        }
    };
    let answer = match peer.answer(&offer).await {
        Ok(a) => a,
        Err(e) => {
            if matches!(e, Error::TranscriptMismatch(_)) {
                shared::refused_connection(&shared, &from_addr, &e.to_string());
            }
            return Err(e);
        }
    };
    out.send(ClientMessage::Answer {
        session,
        sdp: answer,
    })
    .await
    .map_err(|_| Error::RendezvousLost("signaling loop gone".into()))?;
    handshake::run(shared, peer, video, sound, from_addr, key).await
}

/// Sessions held per source address (IPv6 per /64, as the throttle counts).
#[derive(Clone, Default)]
struct AddrSlots(Arc<Mutex<HashMap<IpAddr, usize>>>);

/// One session's place in [`AddrSlots`]; given back when dropped.
struct AddrSlot {
    slots: AddrSlots,
    addr: IpAddr,
}

impl AddrSlots {
    /// A place for a session from `from_addr`, unless that address holds its share.
    fn take(&self, from_addr: Option<&str>) -> Option<AddrSlot> {
        let addr = from_addr
            .and_then(|a| a.parse().ok())
            .map(normalize_addr)
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let held = map.entry(addr).or_insert(0);
        if *held >= MAX_SESSIONS_PER_ADDR {
            return None;
        }
        *held += 1;
        Some(AddrSlot {
            slots: self.clone(),
            addr,
        })
    }
}

impl Drop for AddrSlot {
    fn drop(&mut self) {
        let mut map = self.slots.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.addr) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.addr);
            }
        }
    }
}
