//! Several rendezvous nodes on one Redis: a private `redis-server`
//! ([`RedisServer`], from the testkit: AOF in a temporary directory, killed
//! on drop) and `latchkey-rendezvous --redis` processes on loopback ports.

use std::process::Command;

pub use latchkey_testkit::redis::RedisServer;

use crate::cli::Rendezvous;

/// A `latchkey-rendezvous --redis` node named `name` on a free port of 127.0.0.1.
pub fn node(redis: &RedisServer, name: &str) -> Rendezvous {
    let mut cmd = Command::new(crate::bins::rendezvous());
    cmd.args([
        "--listen",
        "127.0.0.1:0",
        "--redis",
        &redis.url(),
        "--node-id",
        name,
    ]);
    Rendezvous::spawn(cmd)
}

/// `n` nodes on `redis`, named `node1`, `node2`...
pub fn nodes(redis: &RedisServer, n: usize) -> Vec<Rendezvous> {
    (1..=n).map(|i| node(redis, &format!("node{i}"))).collect()
}

/// The nodes' URLs as one rendezvous setting (comma-separated).
pub fn urls(nodes: &[Rendezvous]) -> String {
    nodes
        .iter()
        .map(|n| n.url.as_str())
        .collect::<Vec<_>>()
        .join(",")
}
