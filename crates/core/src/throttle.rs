//! Back-off after failed logins, per viewer device key and per source address.
//!
//! The first 3 failures are free; each further one doubles a delay starting at
//! 1 s, up to 15 min, during which that key or address is refused before any
//! password is checked. 30 failures within an hour block it hard for an hour;
//! a success resets the count only before that. A global cap limits how many
//! logins may be pending (in the middle of a handshake) at once. IPv6 sources are
//! counted per /64, since one host usually owns a whole /64.

use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

use crate::identity::DevicePublicKey;
use crate::UnixTime;

/// The numbers behind the throttle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures that cost nothing.
    pub free_failures: u32,
    /// Delay after the first failure past the free ones, in seconds.
    pub base_delay_s: u64,
    /// Longest back-off delay, in seconds.
    pub max_delay_s: u64,
    /// Failures within `hard_window_s` that trigger the hard block.
    pub hard_block_failures: usize,
    /// Window for counting towards the hard block, in seconds.
    pub hard_window_s: u64,
    /// How long the hard block lasts, in seconds.
    pub hard_block_s: u64,
    /// Logins that may be pending at once.
    pub max_pending: u32,
    /// Keys or addresses remembered at most (old, harmless ones are forgotten first).
    pub max_entries: usize,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            free_failures: 3,
            base_delay_s: 1,
            max_delay_s: 15 * 60,
            hard_block_failures: 30,
            hard_window_s: 3600,
            hard_block_s: 3600,
            max_pending: 16,
            max_entries: 10_000,
        }
    }
}

/// Why a login attempt is refused before it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum ThrottleRefusal {
    /// Backing off after failures; try again in `retry_after_s`.
    Backoff {
        /// Seconds until the next attempt is allowed.
        retry_after_s: u64,
    },
    /// Hard-blocked after too many failures.
    Blocked {
        /// Seconds until the block lifts.
        retry_after_s: u64,
    },
    /// Too many logins pending at once.
    Busy,
}

impl ThrottleRefusal {
    /// Seconds the viewer should wait (1 for `Busy`).
    pub fn retry_after_s(&self) -> u64 {
        match self {
            ThrottleRefusal::Backoff { retry_after_s }
            | ThrottleRefusal::Blocked { retry_after_s } => *retry_after_s,
            ThrottleRefusal::Busy => 1,
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Entry {
    consecutive: u32,
    next_allowed: Option<UnixTime>,
    recent: VecDeque<UnixTime>,
    blocked_until: Option<UnixTime>,
    last_seen: UnixTime,
}

impl Entry {
    fn refusal(&self, now: UnixTime) -> Option<ThrottleRefusal> {
        if let Some(until) = self.blocked_until.filter(|u| *u > now) {
            return Some(ThrottleRefusal::Blocked {
                retry_after_s: until.since(now),
            });
        }
        if let Some(at) = self.next_allowed.filter(|a| *a > now) {
            return Some(ThrottleRefusal::Backoff {
                retry_after_s: at.since(now),
            });
        }
        None
    }

    fn fail(&mut self, policy: &ThrottlePolicy, now: UnixTime) {
        self.last_seen = now;
        if self.blocked_until.is_some_and(|u| u <= now) {
            // A lifted block starts over with a clean slate.
            *self = Entry {
                last_seen: now,
                ..Entry::default()
            };
        }
        self.consecutive = self.consecutive.saturating_add(1);
        if self.consecutive > policy.free_failures {
            let exp = (self.consecutive - policy.free_failures - 1).min(32);
            let delay = policy
                .base_delay_s
                .saturating_mul(1u64 << exp)
                .min(policy.max_delay_s);
            self.next_allowed = Some(now.plus(delay));
        }
        self.recent.push_back(now);
        while self
            .recent
            .front()
            .is_some_and(|t| now.since(*t) >= policy.hard_window_s)
        {
            self.recent.pop_front();
        }
        while self.recent.len() > policy.hard_block_failures {
            self.recent.pop_front();
        }
        if self.recent.len() >= policy.hard_block_failures {
            self.blocked_until = Some(now.plus(policy.hard_block_s));
        }
    }

    fn is_idle(&self, policy: &ThrottlePolicy, now: UnixTime) -> bool {
        self.refusal(now).is_none()
            && self
                .recent
                .back()
                .is_none_or(|t| now.since(*t) >= policy.hard_window_s)
    }
}

/// A login in progress; hand it back to [`Throttle::finish`].
#[derive(Debug)]
#[must_use = "a pending login must be finished, or the global cap leaks"]
pub struct PendingLogin {
    key: Option<DevicePublicKey>,
    addr: IpAddr,
}

/// How a login ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Credentials accepted.
    Success,
    /// Credentials refused.
    Failure,
    /// Neither (the viewer left, or the person at the host decided): not counted.
    Abandoned,
}

/// Failure counters and the pending-login cap.
#[derive(Debug, Clone, Default)]
pub struct Throttle {
    policy: ThrottlePolicy,
    keys: HashMap<DevicePublicKey, Entry>,
    addrs: HashMap<IpAddr, Entry>,
    pending: u32,
}

/// Count IPv6 addresses per /64 and IPv4-mapped ones as IPv4.
pub fn normalize_addr(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

impl Throttle {
    /// A throttle with `policy`.
    pub fn new(policy: ThrottlePolicy) -> Self {
        Throttle {
            policy,
            ..Throttle::default()
        }
    }

    /// Whether this key and address may try now.
    pub fn check(
        &self,
        key: Option<&DevicePublicKey>,
        addr: IpAddr,
        now: UnixTime,
    ) -> Result<(), ThrottleRefusal> {
        let by_key = key
            .and_then(|k| self.keys.get(k))
            .and_then(|e| e.refusal(now));
        let by_addr = self
            .addrs
            .get(&normalize_addr(addr))
            .and_then(|e| e.refusal(now));
        // Report the longer wait when both apply.
        match (by_key, by_addr) {
            (None, None) => Ok(()),
            (Some(r), None) | (None, Some(r)) => Err(r),
            (Some(a), Some(b)) => Err(if a.retry_after_s() >= b.retry_after_s() {
                a
            } else {
                b
            }),
        }
    }

    /// Start a login: refused when throttled or when too many are pending.
    pub fn begin(
        &mut self,
        key: Option<DevicePublicKey>,
        addr: IpAddr,
        now: UnixTime,
    ) -> Result<PendingLogin, ThrottleRefusal> {
        self.check(key.as_ref(), addr, now)?;
        if self.pending >= self.policy.max_pending {
            return Err(ThrottleRefusal::Busy);
        }
        self.pending += 1;
        Ok(PendingLogin {
            key,
            addr: normalize_addr(addr),
        })
    }

    /// End a login started with [`Throttle::begin`].
    pub fn finish(&mut self, login: PendingLogin, outcome: LoginOutcome, now: UnixTime) {
        self.pending = self.pending.saturating_sub(1);
        match outcome {
            LoginOutcome::Success => self.record_success(login.key.as_ref(), login.addr, now),
            LoginOutcome::Failure => self.record_failure(login.key.as_ref(), login.addr, now),
            LoginOutcome::Abandoned => {}
        }
    }

    /// Logins pending now.
    pub fn pending(&self) -> u32 {
        self.pending
    }

    /// Count a failure against this key and address.
    pub fn record_failure(&mut self, key: Option<&DevicePublicKey>, addr: IpAddr, now: UnixTime) {
        let policy = self.policy;
        if let Some(k) = key {
            self.keys.entry(*k).or_default().fail(&policy, now);
        }
        self.addrs
            .entry(normalize_addr(addr))
            .or_default()
            .fail(&policy, now);
        self.prune(now);
    }

    /// A success clears the counters of this key and address, unless hard-blocked.
    pub fn record_success(&mut self, key: Option<&DevicePublicKey>, addr: IpAddr, now: UnixTime) {
        let blocked = |e: &Entry| e.blocked_until.is_some_and(|u| u > now);
        if let Some(k) = key {
            if self.keys.get(k).is_some_and(|e| !blocked(e)) {
                self.keys.remove(k);
            }
        }
        let a = normalize_addr(addr);
        if self.addrs.get(&a).is_some_and(|e| !blocked(e)) {
            self.addrs.remove(&a);
        }
    }

    /// Remembered keys and addresses (for tests and metrics).
    pub fn tracked(&self) -> (usize, usize) {
        (self.keys.len(), self.addrs.len())
    }

    fn prune(&mut self, now: UnixTime) {
        let policy = self.policy;
        if self.keys.len() > policy.max_entries {
            self.keys.retain(|_, e| !e.is_idle(&policy, now));
            evict_oldest(&mut self.keys, policy.max_entries);
        }
        if self.addrs.len() > policy.max_entries {
            self.addrs.retain(|_, e| !e.is_idle(&policy, now));
            evict_oldest(&mut self.addrs, policy.max_entries);
        }
    }
}

fn evict_oldest<K: Clone + Eq + std::hash::Hash>(map: &mut HashMap<K, Entry>, max: usize) {
    while map.len() > max {
        let oldest = map
            .iter()
            .min_by_key(|(_, e)| e.last_seen)
            .map(|(k, _)| k.clone());
        match oldest {
            Some(k) => {
                map.remove(&k);
            }
            None => break,
        }
    }
}

#[cfg(test)]
mod tests;
