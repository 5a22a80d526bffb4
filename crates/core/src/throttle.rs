//! Back-off after failed logins, per viewer device key and per source address.
//!
//! The first 3 failures are free; each further one doubles a delay starting at
//! 1 s, up to 15 min, during which that key or address is refused before any
//! password is checked. 30 failures within an hour block it hard for an hour;
//! a success resets the count only before that. A global cap limits how many
//! logins may be pending (in the middle of a handshake) at once, and a smaller
//! one how many of them one address may hold. IPv6 sources are counted per /64,
//! since one host usually owns a whole /64.
//!
//! Fresh device keys and many addresses defeat counters kept per key and per
//! address, so every password guess is also counted against the profile it
//! targets: at most [`ThrottlePolicy::profile_max_guesses`] in any
//! [`ThrottlePolicy::profile_window_s`] (a day), whoever makes them. A guess is
//! counted when the challenge goes out (the viewer can test its password
//! against the challenge alone) and handed back only when the login succeeds.
//!
//! Entries that are refusing (backing off or blocked) are never forgotten to
//! make room; [`Throttle::snapshot`] and [`Throttle::restore`] carry the
//! counters across a restart.

use serde::{Deserialize, Serialize};
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
    /// Logins one source address may have pending at once.
    pub max_pending_per_addr: u32,
    /// Keys or addresses remembered at most; only harmless ones (not refusing)
    /// are forgotten to stay under it, oldest first.
    pub max_entries: usize,
    /// Password guesses one profile may receive within `profile_window_s`, from
    /// every key and address together (successful logins do not count).
    pub profile_max_guesses: usize,
    /// Window for the per-profile ceiling, in seconds.
    pub profile_window_s: u64,
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
            max_pending_per_addr: 4,
            max_entries: 10_000,
            profile_max_guesses: 60,
            profile_window_s: 24 * 3600,
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
    /// Too many logins pending at once (in all, or from this address).
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

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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

    fn is_refusing(&self, now: UnixTime) -> bool {
        self.refusal(now).is_some()
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
    /// The profile guess counted by [`Throttle::begin_guess`], and when.
    guess: Option<(String, UnixTime)>,
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
    /// The viewer never said how it logs in (it stayed silent past the
    /// deadline, or left before): counted as a failure against its address.
    NoMethod,
}

/// Failure counters and the pending-login caps.
#[derive(Debug, Clone, Default)]
pub struct Throttle {
    policy: ThrottlePolicy,
    keys: HashMap<DevicePublicKey, Entry>,
    addrs: HashMap<IpAddr, Entry>,
    /// Password guesses per profile within the window, oldest first.
    profiles: HashMap<String, VecDeque<UnixTime>>,
    pending: u32,
    pending_by_addr: HashMap<IpAddr, u32>,
}

/// The counters of a [`Throttle`] as they are kept across a restart (pending
/// logins are not: they ended with the process).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ThrottleState {
    keys: Vec<(DevicePublicKey, Entry)>,
    addrs: Vec<(IpAddr, Entry)>,
    profiles: Vec<(String, VecDeque<UnixTime>)>,
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
        let addr = normalize_addr(addr);
        let by_addr = self.pending_by_addr.get(&addr).copied().unwrap_or(0);
        if self.pending >= self.policy.max_pending || by_addr >= self.policy.max_pending_per_addr {
            return Err(ThrottleRefusal::Busy);
        }
        self.pending += 1;
        self.pending_by_addr.insert(addr, by_addr + 1);
        Ok(PendingLogin {
            key,
            addr,
            guess: None,
        })
    }

    /// Count a password guess against `profile` before its challenge goes out:
    /// refused (`Blocked`, until the oldest guess leaves the window) when the
    /// profile had its share of guesses. Call at most once per login.
    pub fn begin_guess(
        &mut self,
        login: &mut PendingLogin,
        profile: &str,
        now: UnixTime,
    ) -> Result<(), ThrottleRefusal> {
        let policy = self.policy;
        let guesses = self.profiles.entry(profile.to_string()).or_default();
        while guesses
            .front()
            .is_some_and(|t| now.since(*t) >= policy.profile_window_s)
        {
            guesses.pop_front();
        }
        if guesses.len() >= policy.profile_max_guesses {
            let retry_after_s = guesses
                .front()
                .map(|t| t.plus(policy.profile_window_s).since(now))
                .unwrap_or(policy.profile_window_s)
                .max(1);
            return Err(ThrottleRefusal::Blocked { retry_after_s });
        }
        guesses.push_back(now);
        login.guess = Some((profile.to_string(), now));
        Ok(())
    }

    /// Password guesses counted against `profile` within the window ending `now`.
    pub fn profile_guesses(&self, profile: &str, now: UnixTime) -> usize {
        self.profiles.get(profile).map_or(0, |g| {
            g.iter()
                .filter(|t| now.since(**t) < self.policy.profile_window_s)
                .count()
        })
    }

    /// End a login started with [`Throttle::begin`]. Returns whether a counter
    /// changed (so that the caller knows to save them).
    pub fn finish(&mut self, login: PendingLogin, outcome: LoginOutcome, now: UnixTime) -> bool {
        self.pending = self.pending.saturating_sub(1);
        if let Some(n) = self.pending_by_addr.get_mut(&login.addr) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.pending_by_addr.remove(&login.addr);
            }
        }
        let refunded = match (&login.guess, outcome) {
            (Some((profile, at)), LoginOutcome::Success) => self.refund_guess(profile, *at),
            _ => false,
        };
        match outcome {
            LoginOutcome::Success => {
                let had = self.tracked();
                self.record_success(login.key.as_ref(), login.addr, now);
                refunded || had != self.tracked()
            }
            LoginOutcome::Failure => {
                self.record_failure(login.key.as_ref(), login.addr, now);
                true
            }
            LoginOutcome::NoMethod => {
                self.record_failure(None, login.addr, now);
                true
            }
            LoginOutcome::Abandoned => login.guess.is_some(),
        }
    }

    fn refund_guess(&mut self, profile: &str, at: UnixTime) -> bool {
        let Some(guesses) = self.profiles.get_mut(profile) else {
            return false;
        };
        match guesses.iter().rposition(|t| *t == at) {
            Some(i) => {
                guesses.remove(i);
                if guesses.is_empty() {
                    self.profiles.remove(profile);
                }
                true
            }
            None => false,
        }
    }

    /// The counters, to keep across a restart.
    pub fn snapshot(&self) -> ThrottleState {
        ThrottleState {
            keys: self.keys.iter().map(|(k, e)| (*k, e.clone())).collect(),
            addrs: self.addrs.iter().map(|(a, e)| (*a, e.clone())).collect(),
            profiles: self
                .profiles
                .iter()
                .filter(|(_, g)| !g.is_empty())
                .map(|(p, g)| (p.clone(), g.clone()))
                .collect(),
        }
    }

    /// A throttle with `policy` and the counters of `state` (as of `now`:
    /// what has expired is dropped).
    pub fn restore(policy: ThrottlePolicy, state: ThrottleState, now: UnixTime) -> Self {
        let mut t = Throttle::new(policy);
        t.keys = state.keys.into_iter().collect();
        t.addrs = state
            .addrs
            .into_iter()
            .map(|(a, e)| (normalize_addr(a), e))
            .collect();
        for (profile, guesses) in state.profiles {
            let kept: VecDeque<UnixTime> = guesses
                .into_iter()
                .filter(|g| now.since(*g) < policy.profile_window_s)
                .collect();
            if !kept.is_empty() {
                t.profiles.insert(profile, kept);
            }
        }
        t.keys.retain(|_, e| !e.is_idle(&policy, now));
        t.addrs.retain(|_, e| !e.is_idle(&policy, now));
        t.prune(now);
        t
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
            evict_oldest(&mut self.keys, policy.max_entries, now);
        }
        if self.addrs.len() > policy.max_entries {
            self.addrs.retain(|_, e| !e.is_idle(&policy, now));
            evict_oldest(&mut self.addrs, policy.max_entries, now);
        }
        if self.profiles.len() > policy.max_entries {
            self.profiles.retain(|_, g| {
                g.back()
                    .is_some_and(|t| now.since(*t) < policy.profile_window_s)
            });
        }
    }
}

/// Forget the oldest entries that are not refusing until `max` are left (or
/// only refusing ones: forgetting those would lift their back-off or block).
fn evict_oldest<K: Clone + Eq + std::hash::Hash>(
    map: &mut HashMap<K, Entry>,
    max: usize,
    now: UnixTime,
) {
    while map.len() > max {
        let oldest = map
            .iter()
            .filter(|(_, e)| !e.is_refusing(now))
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
