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
    /// Messages this node published for another node.
    cross_node_sent: AtomicU64,
    /// Messages another node published for this one.
    cross_node_received: AtomicU64,
    /// Redis commands that failed, and messages dropped for want of Redis.
    redis_errors: AtomicU64,
}

/// Who is reporting: a node's name and where its state lives.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeInfo<'a> {
    /// The node's name (several nodes), or `None` (one node).
    pub(crate) node: Option<&'a str>,
    /// Hosts registered and connected to this node.
    pub(crate) hosts: usize,
    /// Open WebSocket connections of this node.
    pub(crate) connections: usize,
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

    /// One message went to another node's bus.
    pub(crate) fn cross_node_sent(&self) {
        self.cross_node_sent.fetch_add(1, Ordering::Relaxed);
    }

    /// One message came from another node's bus.
    pub(crate) fn cross_node_received(&self) {
        self.cross_node_received.fetch_add(1, Ordering::Relaxed);
    }

    /// One Redis command failed (or a message was dropped for want of Redis).
    pub(crate) fn redis_error(&self) {
        self.redis_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text, given the current gauges.
    pub(crate) fn render(&self, info: NodeInfo<'_>) -> String {
        let NodeInfo {
            node,
            hosts: connected_hosts,
            connections,
        } = info;
        let mut out = String::with_capacity(2048);
        let (name, store) = match node {
            Some(name) => (name, "redis"),
            None => ("", "sqlite"),
        };
        let _ = write!(
            out,
            "# HELP latchkey_rendezvous_node This node: its name (several nodes) and where IDs are kept.\n\
             # TYPE latchkey_rendezvous_node gauge\n\
             latchkey_rendezvous_node{{node=\"{name}\",store=\"{store}\"}} 1\n\
             # HELP latchkey_rendezvous_cross_node_messages_total Messages over the Redis bus, by direction.\n\
             # TYPE latchkey_rendezvous_cross_node_messages_total counter\n\
             latchkey_rendezvous_cross_node_messages_total{{direction=\"sent\"}} {}\n\
             latchkey_rendezvous_cross_node_messages_total{{direction=\"received\"}} {}\n\
             # HELP latchkey_rendezvous_redis_errors_total Failed Redis commands and messages dropped for want of Redis.\n\
             # TYPE latchkey_rendezvous_redis_errors_total counter\n\
             latchkey_rendezvous_redis_errors_total {}\n",
            self.cross_node_sent.load(Ordering::Relaxed),
            self.cross_node_received.load(Ordering::Relaxed),
            self.redis_errors.load(Ordering::Relaxed),
        );
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "# HELP latchkey_rendezvous_connected_hosts Hosts registered and connected to this node now.\n\
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
        m.cross_node_sent();
        m.redis_error();
        let text = m.render(NodeInfo {
            node: Some("n1"),
            hosts: 3,
            connections: 7,
        });
        assert!(text.contains("\nlatchkey_rendezvous_node{node=\"n1\",store=\"redis\"} 1\n"));
        assert!(text
            .contains("\nlatchkey_rendezvous_cross_node_messages_total{direction=\"sent\"} 1\n"));
        assert!(text.contains(
            "\nlatchkey_rendezvous_cross_node_messages_total{direction=\"received\"} 0\n"
        ));
        assert!(text.contains("\nlatchkey_rendezvous_redis_errors_total 1\n"));
        assert!(text.contains("\nlatchkey_rendezvous_connected_hosts 3\n"));
        assert!(text.contains("\nlatchkey_rendezvous_connections 7\n"));
        assert!(text.contains("\nlatchkey_rendezvous_sessions_relayed_total 1\n"));
        assert!(text.contains("\nlatchkey_rendezvous_refusals_total{reason=\"rate_limited\"} 2\n"));
        assert!(text.contains("\nlatchkey_rendezvous_refusals_total{reason=\"unavailable\"} 0\n"));
        assert!(text.ends_with('\n'));
    }
}
