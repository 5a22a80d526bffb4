//! Incoming requests waiting for the person at the host ("ask" method): the
//! host session registers one and waits; `latchkey accept`/`deny` (through the
//! control socket) or the 60 s timeout answers it.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

use latchkey_core::permission::Permission;

/// The answer of the person at the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Accept, optionally with another profile and fewer permissions.
    Accept {
        /// Profile to grant instead of the one asked for.
        profile: Option<String>,
        /// Permissions to withdraw.
        withdraw: Vec<Permission>,
    },
    /// Refuse.
    Deny,
}

/// A request as `latchkey requests --json` shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RequestInfo {
    /// Handle for accept/deny.
    pub id: String,
    /// Fingerprint of the viewer's device key.
    pub viewer: String,
    /// The name the viewer gave.
    pub viewer_name: String,
    /// Profile the viewer asked for (or the default).
    pub profile: String,
    /// Source address as the rendezvous saw it.
    pub addr: Option<String>,
    /// Seconds until it is denied automatically.
    pub expires_in_s: u64,
}

struct Pending {
    info: RequestInfo,
    deadline: Instant,
    reply: oneshot::Sender<Decision>,
}

/// The registry, shared by the host's sessions and its control socket.
/// A `std::sync::Mutex` suffices: it is never held across an `.await`.
#[derive(Clone, Default)]
pub struct Requests {
    inner: Arc<Mutex<HashMap<String, Pending>>>,
}

impl Requests {
    /// Register a request; returns its id and the receiver of the decision.
    pub fn add(
        &self,
        mut info: RequestInfo,
        timeout: Duration,
    ) -> (String, oneshot::Receiver<Decision>) {
        let (tx, rx) = oneshot::channel();
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut n = map.len() as u64 + 1;
        while map.contains_key(&n.to_string()) {
            n += 1;
        }
        info.id = n.to_string();
        let id = info.id.clone();
        map.insert(
            id.clone(),
            Pending {
                info,
                deadline: Instant::now() + timeout,
                reply: tx,
            },
        );
        (id, rx)
    }

    /// How many requests are waiting.
    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether none is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Take a request away (its session ended or timed out).
    pub fn remove(&self, id: &str) {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
    }

    /// Every pending request, oldest first.
    pub fn list(&self) -> Vec<RequestInfo> {
        let now = Instant::now();
        let map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut list: Vec<RequestInfo> = map
            .values()
            .map(|p| RequestInfo {
                expires_in_s: p.deadline.saturating_duration_since(now).as_secs(),
                ..p.info.clone()
            })
            .collect();
        list.sort_by_key(|r| r.id.parse::<u64>().unwrap_or(u64::MAX));
        list
    }

    /// Answer a request. `false` when no such request is pending.
    pub fn decide(&self, id: &str, decision: Decision) -> bool {
        let pending = self
            .inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
        match pending {
            Some(p) => p.reply.send(decision).is_ok(),
            None => false,
        }
    }
}

/// Where each viewer's pointer is, for viewers allowed to show it but not to
/// move the host's (`show_pointer` without `control_input`): the desktop app
/// draws these for the person at the host.
#[derive(Clone, Default)]
pub struct RemotePointers {
    inner: Arc<Mutex<HashMap<String, PointerAt>>>,
}

/// A position and when it was reported.
type PointerAt = (i32, i32, Instant);

/// One viewer's pointer as the control socket reports it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RemotePointer {
    /// Fingerprint of the viewer's device key.
    pub viewer: String,
    /// Position on the host's screen.
    pub x: i32,
    /// Position on the host's screen.
    pub y: i32,
    /// Milliseconds since it last moved.
    pub age_ms: u64,
}

impl RemotePointers {
    /// Record a viewer's pointer position.
    pub fn set(&self, viewer: &str, x: i32, y: i32) {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(viewer.to_string(), (x, y, Instant::now()));
    }

    /// Forget a viewer (its session ended).
    pub fn remove(&self, viewer: &str) {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(viewer);
    }

    /// Every viewer pointer shown now.
    pub fn list(&self) -> Vec<RemotePointer> {
        let map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut list: Vec<RemotePointer> = map
            .iter()
            .map(|(v, (x, y, t))| RemotePointer {
                viewer: v.clone(),
                x: *x,
                y: *y,
                age_ms: t.elapsed().as_millis() as u64,
            })
            .collect();
        list.sort_by(|a, b| a.viewer.cmp(&b.viewer));
        list
    }
}
