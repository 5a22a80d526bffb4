//! Incoming requests waiting for the person at the host ("ask" method): the
//! host session registers one and waits; `latchkey accept`/`deny` (through the
//! control socket) or the 60 s timeout answers it.
//!
//! Request ids are random (64 bits) and never handed out twice by one host,
//! and an accept names what the person saw (the viewer's fingerprint and the
//! profile asked for): an accept meant for one request can never answer
//! another that came to have the same id or took its place.

use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

use latchkey_core::audit::AuditEvent;
use latchkey_core::identity::DevicePublicKey;
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

/// What the host knows of the viewer's device key before this request: the
/// accept window says it, since the name a viewer gives is only what it
/// calls itself.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Seen {
    /// This key never had a session here (as far as the audit log goes).
    FirstRequest,
    /// This key had a session here before (logged in or was accepted).
    Known,
    /// This key holds a saved login (token) of this host.
    SavedLogin,
}

impl Seen {
    /// What the host knows of `viewer`: a live token of its key, else a
    /// granted session in the audit log, else nothing. A viewer's name plays
    /// no part: it is whatever the viewer says.
    pub fn of(config: &latchkey_store::Config, viewer: &DevicePublicKey) -> Seen {
        if config
            .settings()
            .tokens
            .iter()
            .any(|t| t.device_key == *viewer)
        {
            return Seen::SavedLogin;
        }
        let fingerprint = viewer.fingerprint();
        let granted_before = config.audit_log().read_all().is_ok_and(|records| {
            records.iter().any(|r| {
                matches!(&r.event, AuditEvent::AccessDecision { viewer, outcome, .. }
                    if *viewer == fingerprint && outcome == "granted")
            })
        });
        if granted_before {
            Seen::Known
        } else {
            Seen::FirstRequest
        }
    }
}

/// What the person answering saw: an accept is carried out only for the
/// pending request with this viewer and profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saw {
    /// Fingerprint of the viewer's device key.
    pub viewer: String,
    /// The profile the viewer asked for.
    pub profile: String,
}

/// Why an answer was not carried out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerRefusal {
    /// No pending request has this id (answered, expired, or never).
    Unknown,
    /// The request with this id is not the one the person saw.
    Mismatch,
}

/// A request as `latchkey requests --json` shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RequestInfo {
    /// Handle for accept/deny.
    pub id: String,
    /// Fingerprint of the viewer's device key.
    pub viewer: String,
    /// The name the viewer gave: self-reported, proves nothing.
    pub viewer_name: String,
    /// Whether this device key was seen before.
    pub seen: Seen,
    /// Profile the viewer asked for (or the default).
    pub profile: String,
    /// Source address as the rendezvous saw it.
    pub addr: Option<String>,
    /// Seconds until it is denied automatically.
    pub expires_in_s: u64,
}

struct Pending {
    info: RequestInfo,
    created: Instant,
    deadline: Instant,
    reply: oneshot::Sender<Decision>,
}

/// The registry, shared by the host's sessions and its control socket.
/// A `std::sync::Mutex` suffices: it is never held across an `.await`.
#[derive(Clone, Default)]
pub struct Requests {
    inner: Arc<Mutex<Registry>>,
}

#[derive(Default)]
struct Registry {
    pending: HashMap<String, Pending>,
    /// Every id handed out by this host, so none is ever reused.
    issued: HashSet<u64>,
}

impl Requests {
    /// Register a request; returns its id and the receiver of the decision.
    pub fn add(
        &self,
        mut info: RequestInfo,
        timeout: Duration,
    ) -> (String, oneshot::Receiver<Decision>) {
        let (tx, rx) = oneshot::channel();
        let mut reg = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let n = loop {
            let n = OsRng.next_u64();
            if reg.issued.insert(n) {
                break n;
            }
        };
        info.id = format!("{n:016x}");
        let id = info.id.clone();
        let now = Instant::now();
        reg.pending.insert(
            id.clone(),
            Pending {
                info,
                created: now,
                deadline: now + timeout,
                reply: tx,
            },
        );
        (id, rx)
    }

    /// How many requests are waiting.
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pending
            .len()
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
            .pending
            .remove(id);
    }

    /// Every pending request, oldest first.
    pub fn list(&self) -> Vec<RequestInfo> {
        let now = Instant::now();
        let reg = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut list: Vec<(Instant, RequestInfo)> = reg
            .pending
            .values()
            .map(|p| {
                (
                    p.created,
                    RequestInfo {
                        expires_in_s: p.deadline.saturating_duration_since(now).as_secs(),
                        ..p.info.clone()
                    },
                )
            })
            .collect();
        list.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
        list.into_iter().map(|(_, r)| r).collect()
    }

    /// Accept a request, only if it is the one the person saw (same viewer
    /// key and profile asked for); a mismatch leaves it pending.
    pub fn accept(
        &self,
        id: &str,
        saw: &Saw,
        profile: Option<String>,
        withdraw: Vec<Permission>,
    ) -> Result<(), AnswerRefusal> {
        let mut reg = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let p = reg.pending.get(id).ok_or(AnswerRefusal::Unknown)?;
        if p.info.viewer != saw.viewer || p.info.profile != saw.profile {
            return Err(AnswerRefusal::Mismatch);
        }
        let p = reg.pending.remove(id).ok_or(AnswerRefusal::Unknown)?;
        p.reply
            .send(Decision::Accept { profile, withdraw })
            .map_err(|_| AnswerRefusal::Unknown)
    }

    /// Deny a request. `false` when no such request is pending.
    pub fn deny(&self, id: &str) -> bool {
        let pending = self
            .inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pending
            .remove(id);
        match pending {
            Some(p) => p.reply.send(Decision::Deny).is_ok(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn info(viewer: &str) -> RequestInfo {
        RequestInfo {
            id: String::new(),
            viewer: viewer.into(),
            viewer_name: "IT Support".into(),
            seen: Seen::FirstRequest,
            profile: "default".into(),
            addr: None,
            expires_in_s: 60,
        }
    }

    #[test]
    fn ids_are_random_and_never_reused() {
        let r = Requests::default();
        let mut ids = HashSet::new();
        for _ in 0..200 {
            let (id, _rx) = r.add(info("A"), Duration::from_secs(60));
            assert_eq!(id.len(), 16, "{id}");
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
            // Answered or gone at once: a small counter would hand "1" out again.
            r.remove(&id);
            assert!(ids.insert(id), "an id came back");
        }
        assert!(r.is_empty());
        assert!(!ids.contains("1") && !ids.contains("0000000000000001"));
    }

    #[test]
    fn an_accept_must_match_what_the_person_saw() {
        let r = Requests::default();
        let (id, mut rx) = r.add(info("AAAA-AAAA-AAAA-AAAA"), Duration::from_secs(60));
        let saw = |viewer: &str, profile: &str| Saw {
            viewer: viewer.into(),
            profile: profile.into(),
        };
        assert_eq!(
            r.accept(&id, &saw("BBBB-BBBB-BBBB-BBBB", "default"), None, vec![]),
            Err(AnswerRefusal::Mismatch)
        );
        assert_eq!(
            r.accept(
                &id,
                &saw("AAAA-AAAA-AAAA-AAAA", "full_access"),
                None,
                vec![]
            ),
            Err(AnswerRefusal::Mismatch)
        );
        assert!(rx.try_recv().is_err(), "nothing was decided");
        assert_eq!(r.len(), 1, "still pending");
        assert_eq!(
            r.accept("0", &saw("AAAA-AAAA-AAAA-AAAA", "default"), None, vec![]),
            Err(AnswerRefusal::Unknown)
        );
        assert_eq!(
            r.accept(&id, &saw("AAAA-AAAA-AAAA-AAAA", "default"), None, vec![]),
            Ok(())
        );
        assert_eq!(
            rx.try_recv().ok(),
            Some(Decision::Accept {
                profile: None,
                withdraw: vec![]
            })
        );
        assert!(r.is_empty());
    }
}
