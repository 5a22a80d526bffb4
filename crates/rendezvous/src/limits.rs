//! Limits that keep one client (or many) from exhausting the server, and the
//! per-connection token bucket that enforces the message rate.

use std::time::Duration;

use tokio::time::Instant;

use latchkey_core::signal::MAX_MESSAGE_BYTES;

/// Resource limits. [`Limits::default`] suits a public server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest text frame answered normally; larger ones get
    /// `Error { code: TooLarge }`. The WebSocket layer itself accepts frames up
    /// to twice this size (so the server can still answer), and closes the
    /// connection on anything bigger.
    pub max_message_bytes: usize,
    /// Sustained messages per second allowed on one connection.
    pub messages_per_second: u32,
    /// Messages a connection may send in a burst above the sustained rate.
    pub burst: u32,
    /// Sessions offered to one host and not yet answered by it; further offers
    /// get `Error { code: TooManyPending }`.
    pub max_pending_per_host: usize,
    /// Simultaneous WebSocket connections; further upgrades get HTTP 503.
    pub max_connections: usize,
    /// How long an offered session may wait for the host's answer before both
    /// sides get a `Bye` and the session is forgotten.
    pub pending_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: MAX_MESSAGE_BYTES,
            messages_per_second: 20,
            burst: 40,
            max_pending_per_host: 8,
            max_connections: 10_000,
            pending_timeout: Duration::from_secs(60),
        }
    }
}

impl Limits {
    /// The size the WebSocket layer enforces: room above
    /// [`Limits::max_message_bytes`] so that an oversized message can still
    /// be read and refused with `TooLarge` instead of a dropped connection.
    pub(crate) fn ws_max_bytes(&self) -> usize {
        self.max_message_bytes.saturating_mul(2).max(1024)
    }
}

/// A token bucket: `burst` tokens, refilled at `rate` per second, one token a
/// message. Time is passed in so it can be tested without waiting.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    /// Tokens left, fractional so slow refills are not lost to rounding.
    tokens: f64,
    /// Bucket size: how many messages may come at once.
    capacity: f64,
    /// Tokens added per second.
    rate: f64,
    /// When `tokens` was last brought up to date.
    last: Instant,
}

impl RateLimiter {
    /// A full bucket.
    pub(crate) fn new(limits: &Limits, now: Instant) -> Self {
        let capacity = f64::from(limits.burst.max(1));
        RateLimiter {
            tokens: capacity,
            capacity,
            rate: f64::from(limits.messages_per_second),
            last: now,
        }
    }

    /// Take one token if there is one.
    pub(crate) fn allow(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_burst_then_refills_at_rate() {
        let limits = Limits {
            messages_per_second: 10,
            burst: 5,
            ..Limits::default()
        };
        let t0 = Instant::now();
        let mut bucket = RateLimiter::new(&limits, t0);
        assert!((0..5).all(|_| bucket.allow(t0)));
        assert!(!bucket.allow(t0));
        // 10/s: one token every 100 ms.
        assert!(!bucket.allow(t0 + Duration::from_millis(50)));
        assert!(bucket.allow(t0 + Duration::from_millis(110)));
        assert!(!bucket.allow(t0 + Duration::from_millis(110)));
        // A long pause refills only up to the burst.
        let later = t0 + Duration::from_secs(60);
        assert_eq!((0..10).filter(|_| bucket.allow(later)).count(), 5);
    }

    #[test]
    fn ws_limit_leaves_room_to_answer() {
        let limits = Limits::default();
        assert!(limits.ws_max_bytes() > limits.max_message_bytes);
    }
}
