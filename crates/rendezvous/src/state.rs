//! The state every connection shares: who is connected, which host ID each
//! registered connection serves, and the sessions being relayed.
//!
//! [`Hub`] is a cheap-clone handle around `Arc<Shared>`. The routing tables
//! sit behind one `std::sync::Mutex`, not Tokio's: every critical section
//! is a few map operations plus non-blocking `try_send`s into the other
//! connections' outboxes, and **the lock is never held across an `.await`**.
//! (The ID database has its own lock, see [`crate::db`], and is reached
//! through `spawn_blocking`.)
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

use crate::db::IdStore;
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
    db: IdStore,
    /// Counters for `/metrics`.
    metrics: Metrics,
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
    /// Registered hosts that are connected: ID -> its connection.
    hosts: HashMap<DeviceId, ConnId>,
    /// Sessions being relayed, by session identifier.
    sessions: HashMap<String, Session>,
    /// Deadlines of pending (unanswered) sessions, earliest first.
    expirations: BTreeSet<(Instant, String)>,
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

/// A session between a viewer connection and a host connection.
struct Session {
    /// The connection that sent the offer.
    viewer: ConnId,
    /// The host's connection.
    host: ConnId,
    /// While the host has not answered: when the session times out.
    pending_until: Option<Instant>,
}

impl Session {
    /// The party that is not `me`, if `me` is a party at all.
    fn other(&self, me: ConnId) -> Option<ConnId> {
        if me == self.viewer {
            Some(self.host)
        } else if me == self.host {
            Some(self.viewer)
        } else {
            None
        }
    }
}

impl Hub {
    /// Shared state for a new server.
    pub(crate) fn new(
        db: IdStore,
        limits: Limits,
        turn: Option<TurnConfig>,
        shutdown: watch::Receiver<bool>,
        shutdown_complete: mpsc::Sender<()>,
    ) -> Hub {
        Hub {
            shared: Arc::new(Shared {
                tables: Mutex::new(Tables::default()),
                db,
                metrics: Metrics::default(),
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

    /// The ID database.
    pub(crate) fn db(&self) -> &IdStore {
        &self.shared.db
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
            }
        }
        for session in conn.sessions {
            if let Some(ended) = tables.end_session(&session) {
                if let Some(other) = ended.other(id) {
                    tables.send(
                        other,
                        ServerMessage::Bye {
                            session,
                            reason: Some("peer disconnected".into()),
                        },
                    );
                }
            }
        }
    }

    /// Connection `conn` is now the host for `id`. A connection that held
    /// the ID before is told it was replaced and closed.
    pub(crate) fn bind_host(&self, conn: ConnId, id: DeviceId) {
        let mut tables = self.tables();
        let Some(entry) = tables.conns.get_mut(&conn) else {
            return;
        };
        entry.host_id = Some(id.clone());
        if let Some(old) = tables.hosts.insert(id, conn) {
            if old != conn {
                if let Some(old) = tables.conns.get(&old) {
                    deliver(
                        old,
                        Outgoing::Close {
                            code: ErrorCode::Replaced,
                            message: "another connection registered this device key",
                        },
                    );
                }
            }
        }
    }

    /// Whether a host with `id` is connected.
    pub(crate) fn is_online(&self, id: &DeviceId) -> bool {
        self.tables().hosts.contains_key(id)
    }

    /// Open `session` from `viewer` to the host `to` and hand it the offer.
    /// `HostOffline` means no host with that ID is connected (the caller
    /// tells an unknown ID apart with the database).
    pub(crate) fn offer(
        &self,
        viewer: ConnId,
        to: &DeviceId,
        session: String,
        sdp: String,
        from_addr: String,
    ) -> Result<(), Refusal> {
        let now = Instant::now();
        // A configured timeout too large for the clock means "never" (30 years).
        let deadline = now
            .checked_add(self.shared.limits.pending_timeout)
            .unwrap_or_else(|| now + std::time::Duration::from_secs(30 * 365 * 86_400));
        let max_pending = self.shared.limits.max_pending_per_host;
        let mut tables = self.tables();
        if tables.sessions.contains_key(&session) {
            return Err(Refusal::about(
                ErrorCode::Malformed,
                "this session identifier is already in use",
                &session,
            ));
        }
        let Some(&host) = tables.hosts.get(to) else {
            return Err(Refusal::about(
                ErrorCode::HostOffline,
                "the host is not connected",
                &session,
            ));
        };
        if host == viewer {
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
        if let Some(viewer_conn) = tables.conns.get_mut(&viewer) {
            viewer_conn.sessions.insert(session.clone());
        }
        let first = tables
            .expirations
            .first()
            .is_none_or(|(earliest, _)| deadline < *earliest);
        tables.expirations.insert((deadline, session.clone()));
        tables.sessions.insert(
            session,
            Session {
                viewer,
                host,
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

    /// Whether `message` from `conn` answers a session offered to it and not
    /// yet answered (its first `Answer`) or ends one it hosts (`Bye`). Such
    /// replies are bounded by the offers the viewers' own limits let through,
    /// so they are not held to the host's message rate: a host refusing a
    /// flood of offers ("host busy") must not lose its answers to real viewers.
    pub(crate) fn is_host_reply(&self, conn: ConnId, message: &ClientMessage) -> bool {
        let tables = self.tables();
        match message {
            ClientMessage::Answer { session, .. } => tables
                .sessions
                .get(session)
                .is_some_and(|s| s.host == conn && s.pending_until.is_some()),
            ClientMessage::Bye { session, .. } => {
                tables.sessions.get(session).is_some_and(|s| s.host == conn)
            }
            _ => false,
        }
    }

    /// The host's answer: the session is no longer pending; the viewer gets it.
    pub(crate) fn answer(&self, host: ConnId, session: String, sdp: String) -> Result<(), Refusal> {
        let mut tables = self.tables();
        let Tables {
            sessions,
            expirations,
            conns,
            ..
        } = &mut *tables;
        let Some(s) = sessions.get_mut(&session).filter(|s| s.host == host) else {
            return Err(Refusal::about(
                ErrorCode::UnknownSession,
                "no such session offered to this host",
                &session,
            ));
        };
        let viewer = s.viewer;
        if let Some(deadline) = s.pending_until.take() {
            expirations.remove(&(deadline, session.clone()));
            if let Some(h) = conns.get_mut(&host) {
                h.pending = h.pending.saturating_sub(1);
            }
        }
        tables.send(viewer, ServerMessage::Answer { session, sdp });
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
        let Some(other) = tables.sessions.get(&session).and_then(|s| s.other(from)) else {
            return Err(Refusal::about(
                ErrorCode::UnknownSession,
                "no such session on this connection",
                &session,
            ));
        };
        tables.send(other, ServerMessage::Candidate { session, candidate });
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
        let Some(other) = tables.sessions.get(&session).and_then(|s| s.other(from)) else {
            return Err(Refusal::about(
                ErrorCode::UnknownSession,
                "no such session on this connection",
                &session,
            ));
        };
        tables.end_session(&session);
        tables.send(other, ServerMessage::Bye { session, reason });
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
                for party in [ended.viewer, ended.host] {
                    tables.send(
                        party,
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
}

impl Tables {
    /// Forget `session` everywhere; the session, if it existed.
    fn end_session(&mut self, session: &str) -> Option<Session> {
        let ended = self.sessions.remove(session)?;
        if let Some(deadline) = ended.pending_until {
            self.expirations.remove(&(deadline, session.to_owned()));
            if let Some(host) = self.conns.get_mut(&ended.host) {
                host.pending = host.pending.saturating_sub(1);
            }
        }
        for party in [ended.viewer, ended.host] {
            if let Some(conn) = self.conns.get_mut(&party) {
                conn.sessions.remove(session);
            }
        }
        Some(ended)
    }

    /// Queue `message` for connection `to`, if it is still there.
    fn send(&self, to: ConnId, message: ServerMessage) {
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
