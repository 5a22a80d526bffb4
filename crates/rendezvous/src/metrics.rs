//! Counters for `GET /metrics`, written by hand in the Prometheus text format
//! (version 0.0.4). Gauges are read from the shared state when scraped;
//! counters are atomics bumped where the event happens.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use latchkey_core::signal::ErrorCode;

/// Every refusal code, in the order they are reported.
const CODES: [ErrorCode; 12] = [
    ErrorCode::UnknownId,
    ErrorCode::HostOffline,
    ErrorCode::Malformed,
    ErrorCode::TooLarge,
    ErrorCode::RateLimited,
    ErrorCode::TooManyPending,
    ErrorCode::NotRegistered,
    ErrorCode::BadSignature,
    ErrorCode::UnknownSession,
    ErrorCode::NoTurn,
    ErrorCode::Replaced,
    ErrorCode::Unavailable,
];

/// The position of `code` in [`CODES`]. The exhaustive match makes a new
/// variant in the protocol a compile error here until it is counted.
fn index(code: ErrorCode) -> usize {
    match code {
        ErrorCode::UnknownId => 0,
        ErrorCode::HostOffline => 1,
        ErrorCode::Malformed => 2,
        ErrorCode::TooLarge => 3,
        ErrorCode::RateLimited => 4,
        ErrorCode::TooManyPending => 5,
        ErrorCode::NotRegistered => 6,
        ErrorCode::BadSignature => 7,
        ErrorCode::UnknownSession => 8,
        ErrorCode::NoTurn => 9,
        ErrorCode::Replaced => 10,
        ErrorCode::Unavailable => 11,
    }
}

/// The server's counters. Relaxed atomics: each is independent and only
/// ever read for reporting.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    /// Offers forwarded to a host as `Incoming`.
    sessions_relayed: AtomicU64,
    /// `Error` messages sent (and HTTP 503s at capacity), by code.
    refusals: [AtomicU64; CODES.len()],
}

impl Metrics {
    /// One offer reached its host.
    pub(crate) fn session_relayed(&self) {
        self.sessions_relayed.fetch_add(1, Ordering::Relaxed);
    }

    /// One refusal with `code` was sent.
    pub(crate) fn refused(&self, code: ErrorCode) {
        self.refusals[index(code)].fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text, given the current gauges.
    pub(crate) fn render(&self, connected_hosts: usize, connections: usize) -> String {
        let mut out = String::with_capacity(2048);
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "# HELP latchkey_rendezvous_connected_hosts Hosts registered and connected now.\n\
             # TYPE latchkey_rendezvous_connected_hosts gauge\n\
             latchkey_rendezvous_connected_hosts {connected_hosts}\n\
             # HELP latchkey_rendezvous_connections Open WebSocket connections (hosts and viewers).\n\
             # TYPE latchkey_rendezvous_connections gauge\n\
             latchkey_rendezvous_connections {connections}\n\
             # HELP latchkey_rendezvous_sessions_relayed_total Offers forwarded to a host.\n\
             # TYPE latchkey_rendezvous_sessions_relayed_total counter\n\
             latchkey_rendezvous_sessions_relayed_total {}\n\
             # HELP latchkey_rendezvous_refusals_total Requests refused, by reason.\n\
             # TYPE latchkey_rendezvous_refusals_total counter\n",
            self.sessions_relayed.load(Ordering::Relaxed),
        );
        for code in CODES {
            let _ = writeln!(
                out,
                "latchkey_rendezvous_refusals_total{{reason=\"{}\"}} {}",
                code.name(),
                self.refusals[index(code)].load(Ordering::Relaxed)
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_indices_agree() {
        for (i, code) in CODES.iter().enumerate() {
            assert_eq!(index(*code), i, "{code:?}");
        }
    }

    #[test]
    fn renders_every_series() {
        let m = Metrics::default();
        m.session_relayed();
        m.refused(ErrorCode::RateLimited);
        m.refused(ErrorCode::RateLimited);
        let text = m.render(3, 7);
        assert!(text.contains("\nlatchkey_rendezvous_connected_hosts 3\n"));
        assert!(text.contains("\nlatchkey_rendezvous_connections 7\n"));
        assert!(text.contains("\nlatchkey_rendezvous_sessions_relayed_total 1\n"));
        assert!(text.contains("\nlatchkey_rendezvous_refusals_total{reason=\"rate_limited\"} 2\n"));
        assert!(text.contains("\nlatchkey_rendezvous_refusals_total{reason=\"unavailable\"} 0\n"));
        assert!(text.ends_with('\n'));
    }
}
