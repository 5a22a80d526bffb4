//! The state every connection shares: who is connected, which host ID each
//! registered connection serves, and the sessions being relayed.
//!
//! [`Hub`] is a cheap-clone handle around `Arc<Shared>`. The routing tables
//! sit behind one `std::sync::Mutex`, not Tokio's: every critical section
//! is a few map operations plus non-blocking `try_send`s into the other
//! connections' outboxes, and **the lock is never held across an `.await`**.
//! (The ID registry is [`crate::ids`].)
//!
//! With several nodes ([`crate::cluster`]), a party of a session may be a
//! connection on another node ([`Party::There`]): what is for it goes on
//! that node's bus through [`Link`], queued without blocking, and what
//! other nodes send here arrives through [`Hub::on_bus_message`]. Each node keeps
//! its own copy of a session that crosses nodes.
//!
//! Messages for another connection go through that connection's bounded
//! outbox. A connection whose outbox is full is not reading what it is sent:
//! it is told to close (through its `kill` notifier) rather than letting its
//! backlog grow without bound.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use latchkey_core::signal::{ClientMessage, DeviceId, ErrorCode, ServerMessage};
use tokio::sync::{mpsc, watch, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tracing::{debug, warn};

use crate::cluster::{Cluster, Envelope, Link, Remote, Wire};
use crate::ids::IdRegistry;
use crate::limits::Limits;
use crate::metrics::Metrics;
use crate::turn::TurnConfig;

/// Messages queued for one connection before it counts as not reading.
const OUTBOX_CAPACITY: usize = 256;

/// Identifies one WebSocket connection for the life of the server.
pub(crate) type ConnId = u64;

/// Something another part of the server wants a connection to send.
#[derive(Debug)]
pub(crate) enum Outgoing {
    /// Send this message and carry on.
    Message(ServerMessage),
    /// Send `Error { code, message }`, then close the connection.
    Close {
        /// Why.
        code: ErrorCode,
        /// For people.
        message: &'static str,
    },
}

/// A refusal to send back to the client that asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// Machine-readable reason.
    pub(crate) code: ErrorCode,
    /// For people.
    pub(crate) message: &'static str,
    /// The session it concerns.
    pub(crate) session: Option<String>,
}

impl Refusal {
    /// A refusal not tied to a session.
    pub(crate) fn new(code: ErrorCode, message: &'static str) -> Self {
        Refusal {
            code,
            message,
            session: None,
        }
    }

    /// A refusal about `session`.
    pub(crate) fn about(code: ErrorCode, message: &'static str, session: &str) -> Self {
        Refusal {
            code,
            message,
            session: Some(session.to_owned()),
        }
    }

    /// As a wire message.
    pub(crate) fn into_message(self) -> ServerMessage {
        ServerMessage::Error {
            code: self.code,
            message: self.message.to_owned(),
            session: self.session,
        }
    }
}

/// What a WebSocket connection holds while it lives: a connection slot, a
/// handle that keeps [`crate::serve`] waiting for it at shutdown, and the
/// shutdown signal.
pub(crate) struct Admission {
    /// Returned to the connection cap when the connection ends.
    _permit: OwnedSemaphorePermit,
    /// Dropped when the connection ends; `serve` waits until every clone is gone.
    _complete: mpsc::Sender<()>,
    /// Becomes `true` when the server shuts down.
    pub(crate) shutdown: watch::Receiver<bool>,
}

/// What a connection needs to receive from the rest of the server.
pub(crate) struct Mailbox {
    /// This connection's ID in the tables.
    pub(crate) id: ConnId,
    /// Messages from other connections and from the server.
    pub(crate) outbox: mpsc::Receiver<Outgoing>,
    /// Notified when the connection must close at once (outbox overflow).
    pub(crate) kill: Arc<Notify>,
}

/// Cheap-clone handle to the shared state.
#[derive(Clone)]
pub(crate) struct Hub {
    /// Everything shared; dropped with the last handle.
    shared: Arc<Shared>,
}

/// State shared by the accept side, every connection and the expiry task.
struct Shared {
    /// The routing tables; see the module comment for the locking rule.
    tables: Mutex<Tables>,
    /// The ID <-> key bindings.
    registry: IdRegistry,
    /// Presence and the bus, when several nodes share Redis.
    cluster: Option<Cluster>,
    /// Counters for `/metrics`.
    metrics: Arc<Metrics>,
    /// Resource limits.
    limits: Limits,
    /// TURN credentials to hand out, if configured.
    turn: Option<TurnConfig>,
    /// Source of [`ConnId`]s.
    next_conn: AtomicU64,
    /// Caps the number of WebSocket connections.
    connection_slots: Arc<Semaphore>,
    /// Cloned into each [`Admission`]; taken (set to `None`) at shutdown so
    /// that `serve`'s receiver sees the channel close once every connection
    /// has ended, and so no connection is admitted afterwards.
    shutdown_complete: Mutex<Option<mpsc::Sender<()>>>,
    /// The shutdown flag, cloned into each [`Admission`].
    shutdown: watch::Receiver<bool>,
    /// Wakes the expiry task when a new pending session may expire first.
    expiry_changed: Notify,
}

/// The routing tables.
#[derive(Default)]
struct Tables {
    /// Every open connection.
    conns: HashMap<ConnId, Conn>,
    /// Registered hosts that are connected here: ID -> its connection.
    hosts: HashMap<DeviceId, ConnId>,
    /// Sessions being relayed, by session identifier.
    sessions: HashMap<String, Session>,
    /// Deadlines of pending (unanswered) sessions, earliest first.
    expirations: BTreeSet<(Instant, String)>,
    /// To the other nodes, when there are any.
    link: Option<Link>,
}

impl Tables {
    /// Refuses a session identifier that another session already uses.
    fn session_unused(&self, session: &str) -> Result<(), Refusal> {
        if self.sessions.contains_key(session) {
            return Err(Refusal::about(
                ErrorCode::Malformed,
                "this session identifier is already in use",
                session,
            ));
        }
        Ok(())
    }
}

/// One open connection, as seen by the others.
struct Conn {
    /// Where messages for it go.
    outbox: mpsc::Sender<Outgoing>,
    /// Tells it to close at once.
    kill: Arc<Notify>,
    /// The ID it registered as, if it is a host.
    host_id: Option<DeviceId>,
    /// Sessions it is a party to, to end them when it goes away.
    sessions: HashSet<String>,
    /// Sessions offered to it (as host) and not answered yet.
    pending: usize,
}

/// One side of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Party {
    /// A connection of this node.
    Here(ConnId),
    /// A connection of another node.
    There(Remote),
}

/// A session between a viewer and a host.
struct Session {
    /// The side that sent the offer.
    viewer: Party,
    /// The host's side.
    host: Party,
    /// While the host has not answered: when the session times out.
    pending_until: Option<Instant>,
}

impl Session {
    /// The party that is not the connection `me` here, if `me` is a party.
    fn other(&self, me: ConnId) -> Option<&Party> {
        if self.viewer == Party::Here(me) {
            Some(&self.host)
        } else if self.host == Party::Here(me) {
            Some(&self.viewer)
        } else {
            None
        }
    }

    /// Whether `to` here is a party and the other party is on `from`'s
    /// node. (Only the node is compared: the host's node may have given the
    /// offer to a newer connection of the same host than presence named.)
    fn here_for(&self, from: &Remote, to: ConnId) -> bool {
        let on_node = |p: &Party| matches!(p, Party::There(r) if r.node == from.node);
        let to = Party::Here(to);
        (on_node(&self.viewer) && self.host == to) || (on_node(&self.host) && self.viewer == to)
    }
}

impl Hub {
    /// Shared state for a new server.
    pub(crate) fn new(
        registry: IdRegistry,
        cluster: Option<Cluster>,
        metrics: Arc<Metrics>,
        limits: Limits,
        turn: Option<TurnConfig>,
        shutdown: watch::Receiver<bool>,
        shutdown_complete: mpsc::Sender<()>,
    ) -> Hub {
        let tables = Tables {
            link: cluster.as_ref().map(|c| c.link().clone()),
            ..Tables::default()
        };
        Hub {
            shared: Arc::new(Shared {
                tables: Mutex::new(tables),
                registry,
                cluster,
                metrics,
                connection_slots: Arc::new(Semaphore::new(
                    limits.max_connections.min(Semaphore::MAX_PERMITS),
                )),
                limits,
                turn,
                next_conn: AtomicU64::new(1),
                shutdown_complete: Mutex::new(Some(shutdown_complete)),
                shutdown,
                expiry_changed: Notify::new(),
            }),
        }
    }

    /// The ID registry.
    pub(crate) fn registry(&self) -> &IdRegistry {
        &self.shared.registry
    }

    /// The counters.
    pub(crate) fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }

    /// The limits.
    pub(crate) fn limits(&self) -> &Limits {
        &self.shared.limits
    }

    /// The TURN configuration, if any.
    pub(crate) fn turn(&self) -> Option<&TurnConfig> {
        self.shared.turn.as_ref()
    }

    /// This node's name, when several nodes share Redis.
    pub(crate) fn node(&self) -> Option<&str> {
        self.shared.cluster.as_ref().map(Cluster::node)
    }

    /// The routing tables. A panic while they were held is a bug, but
    /// they stay usable (each update leaves them consistent before any call
    /// that could panic), so poisoning is ignored rather than spread.
    fn tables(&self) -> MutexGuard<'_, Tables> {
        self.shared
            .tables
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A slot for one more WebSocket connection, or `None` when the server is
    /// at capacity or shutting down.
    pub(crate) fn admit(&self) -> Option<Admission> {
        if *self.shared.shutdown.borrow() {
            return None;
        }
        let complete = self
            .shared
            .shutdown_complete
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()?;
        let permit = self
            .shared
            .connection_slots
            .clone()
            .try_acquire_owned()
            .ok()?;
        Some(Admission {
            _permit: permit,
            _complete: complete,
            shutdown: self.shared.shutdown.clone(),
        })
    }

    /// Admit no more connections and let go of the server's own completion
    /// handle, so that `serve` can wait for the connections' handles alone.
    pub(crate) fn stop_admitting(&self) {
        self.shared
            .shutdown_complete
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    /// Enter a new connection in the tables.
    pub(crate) fn connect(&self) -> Mailbox {
        let id = self.shared.next_conn.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(OUTBOX_CAPACITY);
        let kill = Arc::new(Notify::new());
        self.tables().conns.insert(
            id,
            Conn {
                outbox: tx,
                kill: kill.clone(),
                host_id: None,
                sessions: HashSet::new(),
                pending: 0,
            },
        );
        Mailbox {
            id,
            outbox: rx,
            kill,
        }
    }

    /// Remove a connection that ended: it is no longer the host for its ID,
    /// and the other party of each of its sessions gets a `Bye`.
    pub(crate) fn disconnect(&self, id: ConnId) {
        let mut tables = self.tables();
        let Some(conn) = tables.conns.remove(&id) else {
            return;
        };
        if let Some(host_id) = &conn.host_id {
            if tables.hosts.get(host_id) == Some(&id) {
                tables.hosts.remove(host_id);
                if let Some(link) = &tables.link {
                    link.release(host_id, id);
                }
            }
        }
        for session in conn.sessions {
            if let Some(ended) = tables.end_session(&session) {
                if let Some(other) = ended.other(id) {
                    tables.send(
                        other,
                        id,
                        ServerMessage::Bye {
                            session,
                            reason: Some("peer disconnected".into()),
                        },
                    );
                }
            }
        }
    }

    /// Connection `conn` is now the host for `id`, here and (with several
    /// nodes) for every node. A connection that held the ID before, here or
    /// on another node, is told it was replaced and closed.
    pub(crate) async fn register_host(&self, conn: ConnId, id: DeviceId) -> Result<(), Refusal> {
        self.bind_host(conn, id.clone());
        let Some(cluster) = &self.shared.cluster else {
            return Ok(());
        };
        match cluster.claim(&id, conn).await {
            Ok(Some(before)) if before.node != cluster.node() => {
                debug!(%id, node = %before.node, "host moved here from another node");
                cluster.link().publish(
                    &before.node,
                    Envelope::Replace {
                        conn: before.conn,
                        id,
                    },
                );
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(e) => {
                self.metrics().redis_error();
                warn!(error = %e, "cannot record a host's presence in Redis");
                let mut tables = self.tables();
                if tables.hosts.get(&id) == Some(&conn) {
                    tables.hosts.remove(&id);
                }
                if let Some(entry) = tables.conns.get_mut(&conn) {
                    entry.host_id = None;
                }
                Err(Refusal::new(
                    ErrorCode::Unavailable,
                    "the shared state is unavailable; try again",
                ))
            }
        }
    }

    /// Connection `conn` is now the host for `id` on this node.
    fn bind_host(&self, conn: ConnId, id: DeviceId) {
        let mut tables = self.tables();
        let Some(entry) = tables.conns.get_mut(&conn) else {
            return;
        };
        entry.host_id = Some(id.clone());
        if let Some(old) = tables.hosts.insert(id, conn) {
            if old != conn {
                tables.close_replaced(old);
            }
        }
    }

    /// Whether a host with `id` is connected (to any node).
    pub(crate) async fn is_online(&self, id: &DeviceId) -> bool {
        if self.tables().hosts.contains_key(id) {
            return true;
        }
        self.locate_elsewhere(id).await.is_some()
    }

    /// With several nodes: the host `id` on another node, if its node is alive.
    async fn locate_elsewhere(&self, id: &DeviceId) -> Option<Remote> {
        let cluster = self.shared.cluster.as_ref()?;
        match cluster.locate(id).await {
            Ok(found) => found.filter(|r| r.node != cluster.node()),
            Err(e) => {
                self.metrics().redis_error();
                warn!(error = %e, "cannot look a host up in Redis");
                None
            }
        }
    }

    /// Open `session` from `viewer` to the host `to` and hand it the offer,
    /// on this node or the one holding the host. `HostOffline` means no host
    /// with that ID is connected (the caller tells an unknown ID apart with
    /// the registry); refusals from another node arrive later as `Error`s.
    pub(crate) async fn offer(
        &self,
        viewer: ConnId,
        to: &DeviceId,
        session: String,
        sdp: String,
        from_addr: String,
    ) -> Result<(), Refusal> {
        let here = self.tables().hosts.contains_key(to);
        if !here {
            if let Some(remote) = self.locate_elsewhere(to).await {
                return self.offer_there(viewer, to, remote, session, sdp, from_addr);
            }
        }
        self.offer_here(Party::Here(viewer), to, session, sdp, from_addr)
    }

    /// When an offer made now times out.
    fn pending_deadline(&self) -> Instant {
        let now = Instant::now();
        // A configured timeout too large for the clock means "never" (30 years).
        now.checked_add(self.shared.limits.pending_timeout)
            .unwrap_or_else(|| now + std::time::Duration::from_secs(30 * 365 * 86_400))
    }

    /// The offer of `viewer` (here or on another node) to the host `to`
    /// held here.
    fn offer_here(
        &self,
        viewer: Party,
        to: &DeviceId,
        session: String,
        sdp: String,
        from_addr: String,
    ) -> Result<(), Refusal> {
        let deadline = self.pending_deadline();
        let max_pending = self.shared.limits.max_pending_per_host;
        let mut tables = self.tables();
        tables.session_unused(&session)?;
        let Some(&host) = tables.hosts.get(to) else {
            return Err(Refusal::about(
                ErrorCode::HostOffline,
                "the host is not connected",
                &session,
            ));
        };
        if viewer == Party::Here(host) {
            return Err(Refusal::about(
                ErrorCode::Malformed,
                "a host cannot open a session with itself",
                &session,
            ));
        }
        let Some(host_conn) = tables.conns.get_mut(&host) else {
            return Err(Refusal::about(
                ErrorCode::HostOffline,
                "the host is not connected",
                &session,
            ));
        };
        if host_conn.pending >= max_pending {
            return Err(Refusal::about(
                ErrorCode::TooManyPending,
                "the host has too many session requests waiting",
                &session,
            ));
        }
        host_conn.pending += 1;
        host_conn.sessions.insert(session.clone());
        deliver(
            host_conn,
            Outgoing::Message(ServerMessage::Incoming {
                session: session.clone(),
                from_addr: Some(from_addr),
                sdp,
            }),
        );
        if let Party::Here(viewer) = viewer {
            if let Some(viewer_conn) = tables.conns.get_mut(&viewer) {
                viewer_conn.sessions.insert(session.clone());
            }
        }
        let first = tables.add_deadline(deadline, &session);
        tables.sessions.insert(
            session,
            Session {
                viewer,
                host: Party::Here(host),
                pending_until: Some(deadline),
            },
        );
        drop(tables);
        self.shared.metrics.session_relayed();
        if first {
            self.shared.expiry_changed.notify_one();
        }
        Ok(())
    }

    /// The offer of `viewer` here to the host `to` held by `remote`: this
    /// node keeps its copy of the session (with the same deadline), the
    /// host's node gets the offer.
    fn offer_there(
        &self,
        viewer: ConnId,
        to: &DeviceId,
        remote: Remote,
        session: String,
        sdp: String,
        from_addr: String,
    ) -> Result<(), Refusal> {
        let deadline = self.pending_deadline();
        let mut tables = self.tables();
        tables.session_unused(&session)?;
        let Some(link) = tables.link.clone() else {
            return Err(Refusal::about(
                ErrorCode::HostOffline,
                "the host is not connected",
                &session,
            ));
        };
        let Some(viewer_conn) = tables.conns.get_mut(&viewer) else {
            // The viewer left meanwhile; nobody to answer.
            return Ok(());
        };
        viewer_conn.sessions.insert(session.clone());
        let first = tables.add_deadline(deadline, &session);
        link.publish(
            &remote.node,
            Envelope::Offer {
                viewer,
                host: to.clone(),
                session: session.clone(),
                sdp,
                from_addr,
            },
        );
        tables.sessions.insert(
            session,
            Session {
                viewer: Party::Here(viewer),
                host: Party::There(remote),
                pending_until: Some(deadline),
            },
        );
        drop(tables);
        if first {
            self.shared.expiry_changed.notify_one();
        }
        Ok(())
    }

    /// Whether `message` from `conn` answers a session offered to it and not
    /// yet answered (its first `Answer`) or ends one it hosts (`Bye`). Such
    /// replies are bounded by the offers the viewers' own limits let through,
    /// so they are not held to the host's message rate: a host refusing a
    /// flood of offers ("host busy") must not lose its answers to real viewers.
    pub(crate) fn is_host_reply(&self, conn: ConnId, message: &ClientMessage) -> bool {
        let tables = self.tables();
        let me = Party::Here(conn);
        match message {
            ClientMessage::Answer { session, .. } => tables
                .sessions
                .get(session)
                .is_some_and(|s| s.host == me && s.pending_until.is_some()),
            ClientMessage::Bye { session, .. } => {
                tables.sessions.get(session).is_some_and(|s| s.host == me)
            }
            _ => false,
        }
    }

    /// The host's answer: the session is no longer pending; the viewer gets it.
    pub(crate) fn answer(&self, host: ConnId, session: String, sdp: String) -> Result<(), Refusal> {
        let mut tables = self.tables();
        let Some(s) = tables
            .sessions
            .get(&session)
            .filter(|s| s.host == Party::Here(host))
        else {
            return Err(Refusal::about(
                ErrorCode::UnknownSession,
                "no such session offered to this host",
                &session,
            ));
        };
        let viewer = s.viewer.clone();
        tables.answered(&session);
        tables.send(&viewer, host, ServerMessage::Answer { session, sdp });
        Ok(())
    }

    /// An ICE candidate from one party, for the other.
    pub(crate) fn candidate(
        &self,
        from: ConnId,
        session: String,
        candidate: String,
    ) -> Result<(), Refusal> {
        let tables = self.tables();
        let Some(other) = tables
            .sessions
            .get(&session)
            .and_then(|s| s.other(from))
            .cloned()
        else {
            return Err(Refusal::about(
                ErrorCode::UnknownSession,
                "no such session on this connection",
                &session,
            ));
        };
        tables.send(
            &other,
            from,
            ServerMessage::Candidate { session, candidate },
        );
        Ok(())
    }

    /// One party ends the session: the other is told, the session forgotten.
    pub(crate) fn bye(
        &self,
        from: ConnId,
        session: String,
        reason: Option<String>,
    ) -> Result<(), Refusal> {
        let mut tables = self.tables();
        let Some(other) = tables
            .sessions
            .get(&session)
            .and_then(|s| s.other(from))
            .cloned()
        else {
            return Err(Refusal::about(
                ErrorCode::UnknownSession,
                "no such session on this connection",
                &session,
            ));
        };
        tables.end_session(&session);
        tables.send(&other, from, ServerMessage::Bye { session, reason });
        Ok(())
    }

    /// End the pending sessions whose deadline passed (both sides get a
    /// `Bye`); the next deadline, if any.
    pub(crate) fn expire(&self, now: Instant) -> Option<Instant> {
        let mut tables = self.tables();
        while let Some((deadline, session)) = tables.expirations.first().cloned() {
            if deadline > now {
                return Some(deadline);
            }
            debug!(session = %session, "pending session timed out");
            if let Some(ended) = tables.end_session(&session) {
                for (party, other) in [(&ended.viewer, &ended.host), (&ended.host, &ended.viewer)] {
                    // A remote party is told on behalf of the party here.
                    let from = match other {
                        Party::Here(c) => *c,
                        Party::There(_) => 0,
                    };
                    tables.send(
                        party,
                        from,
                        ServerMessage::Bye {
                            session: session.clone(),
                            reason: Some("timed out waiting for the host".into()),
                        },
                    );
                }
            } else {
                // Not expected (ending a session removes its deadline), but
                // never loop on a stale entry.
                tables.expirations.remove(&(deadline, session));
            }
        }
        None
    }

    /// Wait until the set of pending deadlines changed.
    pub(crate) async fn expiry_changed(&self) {
        self.shared.expiry_changed.notified().await;
    }

    /// `(connected hosts, open connections)` for the gauges.
    pub(crate) fn gauges(&self) -> (usize, usize) {
        let tables = self.tables();
        (tables.hosts.len(), tables.conns.len())
    }

    /// The hosts held here, to refresh their presence.
    pub(crate) fn local_hosts(&self) -> Vec<(DeviceId, ConnId)> {
        let tables = self.tables();
        tables
            .hosts
            .iter()
            .map(|(id, conn)| (id.clone(), *conn))
            .collect()
    }

    /// The other nodes that sessions here go to.
    pub(crate) fn remote_nodes(&self) -> BTreeSet<String> {
        let tables = self.tables();
        tables
            .sessions
            .values()
            .flat_map(|s| [&s.viewer, &s.host])
            .filter_map(|p| match p {
                Party::There(r) => Some(r.node.clone()),
                Party::Here(_) => None,
            })
            .collect()
    }

    /// `node` died: its sessions with parties here end (they get a `Bye`).
    pub(crate) fn node_gone(&self, node: &str) {
        let mut tables = self.tables();
        let gone: Vec<String> = tables
            .sessions
            .iter()
            .filter(|(_, s)| {
                [&s.viewer, &s.host]
                    .into_iter()
                    .any(|p| matches!(p, Party::There(r) if r.node == node))
            })
            .map(|(id, _)| id.clone())
            .collect();
        for session in gone {
            if let Some(ended) = tables.end_session(&session) {
                for party in [&ended.viewer, &ended.host] {
                    if let Party::Here(c) = party {
                        tables.send_here(
                            *c,
                            ServerMessage::Bye {
                                session: session.clone(),
                                reason: Some("peer disconnected".into()),
                            },
                        );
                    }
                }
            }
        }
    }

    /// A message from another node's bus (JSON of a [`Wire`]).
    pub(crate) fn on_bus_message(&self, payload: &[u8]) {
        let wire: Wire = match serde_json::from_slice(payload) {
            Ok(w) => w,
            Err(e) => {
                warn!(error = %e, "ignoring a malformed message on the bus");
                return;
            }
        };
        self.metrics().cross_node_received();
        let from = wire.from;
        match wire.body {
            Envelope::Offer {
                viewer,
                host,
                session,
                sdp,
                from_addr,
            } => {
                let party = Party::There(Remote {
                    node: from.clone(),
                    conn: viewer,
                });
                if let Err(refusal) = self.offer_here(party, &host, session.clone(), sdp, from_addr)
                {
                    if let Some(link) = &self.tables().link {
                        link.publish(
                            &from,
                            Envelope::Refused {
                                viewer,
                                session,
                                code: refusal.code,
                                message: refusal.message.to_owned(),
                            },
                        );
                    }
                }
            }
            Envelope::Refused {
                viewer,
                session,
                code,
                message,
            } => {
                let mut tables = self.tables();
                let ours = tables.sessions.get(&session).is_some_and(|s| {
                    s.viewer == Party::Here(viewer)
                        && matches!(&s.host, Party::There(r) if r.node == from)
                });
                if ours {
                    tables.end_session(&session);
                    tables.send_here(
                        viewer,
                        ServerMessage::Error {
                            code,
                            message,
                            session: Some(session),
                        },
                    );
                }
            }
            Envelope::Relay {
                to,
                from: sender,
                message,
            } => {
                let remote = Remote {
                    node: from,
                    conn: sender,
                };
                self.relayed(&remote, to, message);
            }
            Envelope::Replace { conn, id } => {
                let mut tables = self.tables();
                if tables.hosts.get(&id) == Some(&conn) {
                    tables.hosts.remove(&id);
                    tables.close_replaced(conn);
                }
            }
        }
    }

    /// `message` of a session from `from` on another node for `to` here.
    fn relayed(&self, from: &Remote, to: ConnId, message: ServerMessage) {
        let session = match &message {
            ServerMessage::Answer { session, .. }
            | ServerMessage::Candidate { session, .. }
            | ServerMessage::Bye { session, .. } => session.clone(),
            _ => {
                debug!("ignoring a relayed message that is not part of a session");
                return;
            }
        };
        let mut tables = self.tables();
        if !tables
            .sessions
            .get(&session)
            .is_some_and(|s| s.here_for(from, to))
        {
            debug!(session = %session, "relayed message for a session gone here");
            return;
        }
        match &message {
            ServerMessage::Answer { .. } => {
                tables.answered(&session);
                // Candidates go to the connection that answered.
                if let Some(s) = tables.sessions.get_mut(&session) {
                    if matches!(s.host, Party::There(_)) {
                        s.host = Party::There(from.clone());
                    }
                }
            }
            ServerMessage::Bye { .. } => {
                tables.end_session(&session);
            }
            _ => {}
        }
        tables.send_here(to, message);
    }
}

impl Tables {
    /// Add a pending deadline; whether it is now the earliest.
    fn add_deadline(&mut self, deadline: Instant, session: &str) -> bool {
        let first = self
            .expirations
            .first()
            .is_none_or(|(earliest, _)| deadline < *earliest);
        self.expirations.insert((deadline, session.to_owned()));
        first
    }

    /// `session` got its answer: no longer pending.
    fn answered(&mut self, session: &str) {
        let Some(s) = self.sessions.get_mut(session) else {
            return;
        };
        if let Some(deadline) = s.pending_until.take() {
            let host = s.host.clone();
            self.expirations.remove(&(deadline, session.to_owned()));
            if let Party::Here(host) = host {
                if let Some(h) = self.conns.get_mut(&host) {
                    h.pending = h.pending.saturating_sub(1);
                }
            }
        }
    }

    /// Forget `session` everywhere here; the session, if it existed.
    fn end_session(&mut self, session: &str) -> Option<Session> {
        let ended = self.sessions.remove(session)?;
        if let Some(deadline) = ended.pending_until {
            self.expirations.remove(&(deadline, session.to_owned()));
            if let Party::Here(host) = &ended.host {
                if let Some(host) = self.conns.get_mut(host) {
                    host.pending = host.pending.saturating_sub(1);
                }
            }
        }
        for party in [&ended.viewer, &ended.host] {
            if let Party::Here(party) = party {
                if let Some(conn) = self.conns.get_mut(party) {
                    conn.sessions.remove(session);
                }
            }
        }
        Some(ended)
    }

    /// Tell connection `old` here that another connection took its ID.
    fn close_replaced(&self, old: ConnId) {
        if let Some(old) = self.conns.get(&old) {
            deliver(
                old,
                Outgoing::Close {
                    code: ErrorCode::Replaced,
                    message: "another connection registered this device key",
                },
            );
        }
    }

    /// Queue `message` for `to`: a connection here (if it is still there),
    /// or one on another node, sent on behalf of `from` here.
    fn send(&self, to: &Party, from: ConnId, message: ServerMessage) {
        match to {
            Party::Here(to) => self.send_here(*to, message),
            Party::There(remote) => {
                if let Some(link) = &self.link {
                    link.publish(
                        &remote.node,
                        Envelope::Relay {
                            to: remote.conn,
                            from,
                            message,
                        },
                    );
                }
            }
        }
    }

    /// Queue `message` for connection `to` here, if it is still there.
    fn send_here(&self, to: ConnId, message: ServerMessage) {
        if let Some(conn) = self.conns.get(&to) {
            deliver(conn, Outgoing::Message(message));
        }
    }
}

/// Queue `message` for `conn`; a connection that is not reading is closed.
fn deliver(conn: &Conn, message: Outgoing) {
    match conn.outbox.try_send(message) {
        Ok(()) => {}
        Err(mpsc::error::TrySendError::Full(_)) => {
            warn!("a client is not reading its messages; closing it");
            conn.kill.notify_one();
        }
        // It is shutting down; `disconnect` will clean up.
        Err(mpsc::error::TrySendError::Closed(_)) => {}
    }
}
