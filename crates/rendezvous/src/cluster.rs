//! Several rendezvous nodes sharing one Redis: the ID registry, presence
//! (which node holds each host's WebSocket) and the bus that carries
//! signaling between nodes.
//!
//! # Keys (all under `latchkey:`)
//!
//! - `key:<hex key>` -> ID and `id:<ID>` -> hex key: the registry, bound once
//!   by the [`BIND`] script (atomic in Redis), never expiring. Keep it with
//!   AOF (`appendonly yes`).
//! - `host:<ID>` -> `"<node> <conn>"`: the connection holding the ID. Written
//!   by each registration (`SET .. GET`, so the node that held it before is
//!   told to close its connection: `Replace`), deleted on disconnect only by
//!   its holder ([`RELEASE`]), kept alive by its node every [`HOST_REFRESH`]
//!   ([`REFRESH`]) with a [`HOST_TTL`].
//! - `node:<node>`: the node is alive; set every [`NODE_REFRESH`] with a
//!   [`NODE_TTL`]. A host counts as online only while its node's key exists
//!   ([`LOCATE`]), so a dead node's hosts go offline within `NODE_TTL`
//!   without the node refreshing every host that often.
//!
//! # The bus
//!
//! Each node subscribes to the channel `latchkey:bus:<node>`. A message for
//! a party on another node ([`Envelope`]) is published to that node's
//! channel by one writer task, in order ([`Link`] queues it without
//! blocking, so the routing tables' lock is never held across an `.await`).
//! Pub/sub delivers at most once: a message published while a node is
//! resubscribing is lost, as a message to a dropped WebSocket would be; the
//! clients' own timeouts cover it.
//!
//! The pending-session counter of a host is kept by the node holding that
//! host: every offer to it passes through that node, so the limit holds
//! across nodes without a shared counter that a dead node would leave behind.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt as _;
use latchkey_core::identity::DevicePublicKey;
use latchkey_core::signal::{DeviceId, ErrorCode, ServerMessage};
use rand::Rng as _;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, PubSub};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

use crate::metrics::Metrics;
use crate::state::{ConnId, Hub};
use crate::Error;

/// Where a node finds the Redis that several nodes share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisConfig {
    /// `redis://HOST:PORT[/DB]` (or `redis://:PASSWORD@HOST:PORT`).
    pub url: String,
    /// This node's name in presence, on the bus and in `/metrics`
    /// (`[A-Za-z0-9_-]`, 1 to 64). `None` draws a random one at each start:
    /// a restarted node is a new node, its old connections are gone.
    pub node_id: Option<String>,
}

/// Prefix of every key and channel.
const PREFIX: &str = "latchkey:";
/// How long a node's liveness key lasts without a refresh.
const NODE_TTL: Duration = Duration::from_secs(5);
/// How often a node refreshes its liveness key (and checks the nodes its
/// sessions go to).
const NODE_REFRESH: Duration = Duration::from_secs(1);
/// How long a host's presence lasts without a refresh.
const HOST_TTL: Duration = Duration::from_secs(30);
/// How often a node refreshes the presence of its hosts.
const HOST_REFRESH: Duration = Duration::from_secs(10);
/// Hosts refreshed per script call.
const REFRESH_BATCH: usize = 1000;
/// Messages queued for Redis before the node counts Redis as not keeping up.
const OUTBOUND_CAPACITY: usize = 65_536;
/// Commands sent in one pipeline by the writer task.
const WRITE_BATCH: usize = 512;
/// Draws before giving up on finding a free ID.
const ID_ATTEMPTS: usize = 32;
/// Longest wait for Redis to connect or answer.
const REDIS_TIMEOUT: Duration = Duration::from_secs(5);

/// Bind a key to an ID once: `KEYS[1]` = `key:<hex>`, `KEYS[2]` = `id:<ID>`,
/// `ARGV[1]` = the candidate ID, `ARGV[2]` = the hex key. Returns the key's
/// ID (the existing one, or the candidate if it was free), or nil when the
/// candidate ID belongs to another key (draw again). One script, so two
/// nodes racing for the same key get the same ID and two keys never share one.
const BIND: &str = r"
local bound = redis.call('GET', KEYS[1])
if bound then return bound end
if redis.call('SET', KEYS[2], ARGV[2], 'NX') then
  redis.call('SET', KEYS[1], ARGV[1])
  return ARGV[1]
end
return false
";

/// Where the host `KEYS[1]` is, if its node is alive (`ARGV[1]` = the node
/// key prefix). The node key is derived here, which suits one Redis (not a
/// Redis Cluster).
const LOCATE: &str = r"
local v = redis.call('GET', KEYS[1])
if not v then return false end
local node = string.match(v, '^(%S+) ')
if node and redis.call('EXISTS', ARGV[1] .. node) == 1 then return v end
return false
";

/// Delete `KEYS[1]` if it still holds `ARGV[1]` (a connection leaving must
/// not erase the connection that replaced it).
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

/// Refresh each `KEYS[i]` to `ARGV[i + 1]` for `ARGV[1]` ms, unless another
/// connection holds it now (a missing key is written again: Redis may have
/// lost it, the host is still here).
const REFRESH: &str = r"
for i, k in ipairs(KEYS) do
  local v = redis.call('GET', k)
  if (not v) or v == ARGV[i + 1] then
    redis.call('SET', k, ARGV[i + 1], 'PX', ARGV[1])
  end
end
return #KEYS
";

/// `key:<hex>`.
fn key_key(key: &DevicePublicKey) -> String {
    format!("{PREFIX}key:{}", hex::encode(key.0))
}

/// `id:<ID>`.
fn id_key(id: &DeviceId) -> String {
    format!("{PREFIX}id:{id}")
}

/// `host:<ID>`.
fn host_key(id: &DeviceId) -> String {
    format!("{PREFIX}host:{id}")
}

/// `node:<node>`.
fn node_key(node: &str) -> String {
    format!("{PREFIX}node:{node}")
}

/// The bus channel of `node`.
fn bus(node: &str) -> String {
    format!("{PREFIX}bus:{node}")
}

/// Whether `name` can name a node.
fn valid_node_id(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A connection on another node.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Remote {
    /// Its node.
    pub(crate) node: String,
    /// Its connection there.
    pub(crate) conn: ConnId,
}

impl Remote {
    /// From a presence value `"<node> <conn>"`.
    fn parse(value: &str) -> Option<Remote> {
        let (node, conn) = value.split_once(' ')?;
        Some(Remote {
            node: node.to_owned(),
            conn: conn.parse().ok()?,
        })
    }
}

/// A presence value `"<node> <conn>"`.
fn presence(node: &str, conn: ConnId) -> String {
    format!("{node} {conn}")
}

/// What one node tells another over the bus.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub(crate) enum Envelope {
    /// A viewer here offers `session` to the host `host`, held there.
    Offer {
        /// The viewer's connection on the sending node.
        viewer: ConnId,
        /// The host's ID.
        host: DeviceId,
        /// Session identifier.
        session: String,
        /// SDP offer.
        sdp: String,
        /// The viewer's address, for `Incoming.from_addr`.
        from_addr: String,
    },
    /// The host's node refused an [`Envelope::Offer`].
    Refused {
        /// The viewer's connection on the receiving node.
        viewer: ConnId,
        /// Session identifier.
        session: String,
        /// Why.
        code: ErrorCode,
        /// For people.
        message: String,
    },
    /// `Answer`, `Candidate` or `Bye` of a session, from one party to the other.
    Relay {
        /// The party on the receiving node.
        to: ConnId,
        /// The party on the sending node.
        from: ConnId,
        /// What to hand to `to`.
        message: ServerMessage,
    },
    /// The host `id` registered on the sending node: its connection `conn`
    /// on the receiving node is replaced.
    Replace {
        /// The replaced connection.
        conn: ConnId,
        /// The ID it held.
        id: DeviceId,
    },
}

/// An [`Envelope`] with its sender.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Wire {
    /// The sending node.
    pub(crate) from: String,
    /// The message.
    pub(crate) body: Envelope,
}

/// Something for the writer task to send to Redis, in order.
#[derive(Debug)]
enum Outbound {
    /// Publish on a node's bus.
    Publish {
        /// The channel.
        channel: String,
        /// JSON of a [`Wire`].
        payload: String,
    },
    /// A host connection left: delete its presence if it still holds it.
    Release {
        /// `host:<ID>`.
        key: String,
        /// Its presence value.
        value: String,
    },
}

/// The non-blocking side of the cluster: queues messages for Redis from
/// code that holds the routing tables' lock.
#[derive(Clone)]
pub(crate) struct Link {
    /// This node.
    node: Arc<str>,
    /// To the writer task.
    tx: mpsc::Sender<Outbound>,
    /// Counters.
    metrics: Arc<Metrics>,
}

impl Link {
    /// This node's name.
    pub(crate) fn node(&self) -> &str {
        &self.node
    }

    /// Send `body` to `node`'s bus.
    pub(crate) fn publish(&self, node: &str, body: Envelope) {
        let wire = Wire {
            from: self.node.to_string(),
            body,
        };
        let payload = match serde_json::to_string(&wire) {
            Ok(p) => p,
            Err(e) => {
                warn!(error = %e, "cannot encode a bus message");
                return;
            }
        };
        self.queue(Outbound::Publish {
            channel: bus(node),
            payload,
        });
        self.metrics.cross_node_sent();
    }

    /// Connection `conn`, host of `id`, left.
    pub(crate) fn release(&self, id: &DeviceId, conn: ConnId) {
        self.queue(Outbound::Release {
            key: host_key(id),
            value: presence(&self.node, conn),
        });
    }

    /// Queue for the writer; a full queue drops the message (counted).
    fn queue(&self, item: Outbound) {
        if self.tx.try_send(item).is_err() {
            self.metrics.redis_error();
            warn!("the Redis queue is full; dropping a message for another node");
        }
    }
}

/// The ID registry in Redis.
#[derive(Clone)]
pub(crate) struct RedisIds {
    /// Shared, reconnecting connection.
    conn: ConnectionManager,
}

impl RedisIds {
    /// The ID bound to `key`, binding a fresh random one on first sight.
    pub(crate) async fn id_for_key(&self, key: &DevicePublicKey) -> Result<DeviceId, Error> {
        let script = redis::Script::new(BIND);
        let mut conn = self.conn.clone();
        for _ in 0..ID_ATTEMPTS {
            let n = rand::rngs::OsRng.gen_range(100_000_000..=999_999_999u32);
            let Some(candidate) = DeviceId::from_number(n) else {
                continue;
            };
            let bound: Option<String> = script
                .key(key_key(key))
                .key(id_key(&candidate))
                .arg(candidate.as_str())
                .arg(hex::encode(key.0))
                .invoke_async(&mut conn)
                .await?;
            if let Some(id) = bound {
                return DeviceId::parse(&id)
                    .ok_or_else(|| Error::Redis(format!("stored ID '{id}' is not a 9-digit ID")));
            }
        }
        Err(Error::Redis(format!(
            "no free ID found in {ID_ATTEMPTS} draws"
        )))
    }

    /// Whether some key was ever bound to `id`.
    pub(crate) async fn is_known(&self, id: &DeviceId) -> Result<bool, Error> {
        let mut conn = self.conn.clone();
        let n: u64 = redis::cmd("EXISTS")
            .arg(id_key(id))
            .query_async(&mut conn)
            .await?;
        Ok(n > 0)
    }
}

/// This node's handle on the shared Redis.
#[derive(Clone)]
pub(crate) struct Cluster {
    /// Shared, reconnecting connection for commands.
    conn: ConnectionManager,
    /// The queue to the writer task.
    link: Link,
}

/// What [`connect`] sets up before the server starts.
pub(crate) struct Connected {
    /// Presence and the bus.
    pub(crate) cluster: Cluster,
    /// The registry.
    pub(crate) ids: RedisIds,
    /// The subscription to this node's bus, made before any client is
    /// served so that no message to it is missed.
    subscription: PubSub,
    /// The client, to subscribe again after a lost connection.
    client: redis::Client,
    /// The writer task's queue.
    outbound: mpsc::Receiver<Outbound>,
}

/// Connect to Redis, check it answers, and subscribe to this node's bus.
pub(crate) async fn connect(
    config: &RedisConfig,
    metrics: Arc<Metrics>,
) -> Result<Connected, Error> {
    let node: Arc<str> = match &config.node_id {
        Some(name) if valid_node_id(name) => name.as_str().into(),
        Some(name) => {
            return Err(Error::Config(format!(
                "'{name}' cannot name a node: use 1 to 64 of A-Z a-z 0-9 - _"
            )))
        }
        None => hex::encode(rand::rngs::OsRng.gen::<[u8; 6]>()).into(),
    };
    let client = redis::Client::open(config.url.as_str())?;
    let manager_config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(REDIS_TIMEOUT))
        .set_response_timeout(Some(REDIS_TIMEOUT))
        .set_number_of_retries(2)
        .set_max_delay(Duration::from_secs(1));
    let mut conn = tokio::time::timeout(
        REDIS_TIMEOUT,
        ConnectionManager::new_with_config(client.clone(), manager_config),
    )
    .await
    .map_err(|_| Error::Redis(format!("{}: no answer", redact(&config.url))))??;
    let _: String = redis::cmd("PING").query_async(&mut conn).await?;
    let mut subscription = client.get_async_pubsub().await?;
    subscription.subscribe(bus(&node)).await?;
    let (tx, outbound) = mpsc::channel(OUTBOUND_CAPACITY);
    info!(node = %node, redis = %redact(&config.url), "sharing state through Redis");
    Ok(Connected {
        cluster: Cluster {
            conn: conn.clone(),
            link: Link { node, tx, metrics },
        },
        ids: RedisIds { conn },
        subscription,
        client,
        outbound,
    })
}

/// `url` without its password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***{}", &url[..scheme], &url[at..])
        }
        _ => url.to_owned(),
    }
}

impl Connected {
    /// Start the node's tasks (writer, bus reader, heartbeat); they end at
    /// shutdown (the writer once nothing can queue any more).
    pub(crate) fn start(
        self,
        hub: Hub,
        shutdown: watch::Receiver<bool>,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        let Connected {
            cluster,
            subscription,
            client,
            outbound,
            ..
        } = self;
        vec![
            tokio::spawn(write(
                outbound,
                cluster.conn.clone(),
                cluster.link.metrics.clone(),
            )),
            tokio::spawn(read_bus(
                subscription,
                client,
                cluster.link.node.clone(),
                hub.clone(),
                shutdown.clone(),
            )),
            tokio::spawn(heartbeat(cluster, hub, shutdown)),
        ]
    }
}

impl Cluster {
    /// This node's name.
    pub(crate) fn node(&self) -> &str {
        self.link.node()
    }

    /// The non-blocking side.
    pub(crate) fn link(&self) -> &Link {
        &self.link
    }

    /// Connection `conn` here now holds `id`; the connection that held it
    /// before, if any.
    pub(crate) async fn claim(&self, id: &DeviceId, conn: ConnId) -> Result<Option<Remote>, Error> {
        let mut redis = self.conn.clone();
        let before: Option<String> = redis::cmd("SET")
            .arg(host_key(id))
            .arg(presence(self.node(), conn))
            .arg("PX")
            .arg(millis(HOST_TTL))
            .arg("GET")
            .query_async(&mut redis)
            .await?;
        Ok(before.as_deref().and_then(Remote::parse))
    }

    /// The connection holding `id`, if its node is alive.
    pub(crate) async fn locate(&self, id: &DeviceId) -> Result<Option<Remote>, Error> {
        let mut redis = self.conn.clone();
        let found: Option<String> = redis::Script::new(LOCATE)
            .key(host_key(id))
            .arg(format!("{PREFIX}node:"))
            .invoke_async(&mut redis)
            .await?;
        Ok(found.as_deref().and_then(Remote::parse))
    }
}

/// Milliseconds, for `PX`.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The writer task: sends what [`Link`] queued, in order, a pipeline at a
/// time; ends when every [`Link`] is gone.
async fn write(
    mut rx: mpsc::Receiver<Outbound>,
    mut conn: ConnectionManager,
    metrics: Arc<Metrics>,
) {
    while let Some(first) = rx.recv().await {
        let mut pipe = redis::pipe();
        let mut next = Some(first);
        while let Some(item) = next.take() {
            match item {
                Outbound::Publish { channel, payload } => {
                    pipe.cmd("PUBLISH").arg(channel).arg(payload).ignore();
                }
                Outbound::Release { key, value } => {
                    pipe.cmd("EVAL")
                        .arg(RELEASE)
                        .arg(1)
                        .arg(key)
                        .arg(value)
                        .ignore();
                }
            }
            if pipe.len() < WRITE_BATCH {
                next = rx.try_recv().ok();
            }
        }
        if let Err(e) = pipe.exec_async(&mut conn).await {
            metrics.redis_error();
            warn!(error = %e, "Redis write failed");
        }
    }
}

/// The bus reader: hands each message for this node to the hub;
/// resubscribes (with a short backoff) when the connection breaks.
async fn read_bus(
    first: PubSub,
    client: redis::Client,
    node: Arc<str>,
    hub: Hub,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut subscription = Some(first);
    let mut backoff = Duration::from_millis(100);
    while !*shutdown.borrow() {
        let pubsub = match subscription.take() {
            Some(s) => s,
            None => {
                let attempt = async {
                    let mut s = client.get_async_pubsub().await?;
                    s.subscribe(bus(&node)).await?;
                    Ok::<_, redis::RedisError>(s)
                };
                tokio::select! {
                    result = tokio::time::timeout(REDIS_TIMEOUT, attempt) => match result {
                        Ok(Ok(s)) => {
                            info!("subscribed to the Redis bus again");
                            s
                        }
                        Ok(Err(e)) => {
                            hub.metrics().redis_error();
                            warn!(error = %e, "cannot subscribe to the Redis bus");
                            sleep_or_stop(backoff, &mut shutdown).await;
                            backoff = (backoff * 2).min(Duration::from_secs(2));
                            continue;
                        }
                        Err(_) => {
                            hub.metrics().redis_error();
                            warn!("Redis did not answer the subscription");
                            continue;
                        }
                    },
                    _ = shutdown.changed() => return,
                }
            }
        };
        backoff = Duration::from_millis(100);
        let mut messages = pubsub.into_on_message();
        loop {
            tokio::select! {
                message = messages.next() => match message {
                    Some(m) => hub.on_bus_message(m.get_payload_bytes()),
                    None => break,
                },
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() {
                        return;
                    }
                }
            }
        }
        hub.metrics().redis_error();
        warn!("lost the Redis bus; subscribing again");
    }
}

/// Sleep for `d`, or less if the server shuts down.
async fn sleep_or_stop(d: Duration, shutdown: &mut watch::Receiver<bool>) {
    tokio::select! {
        () = tokio::time::sleep(d) => {}
        _ = shutdown.changed() => {}
    }
}

/// The heartbeat: this node's liveness key every [`NODE_REFRESH`], its hosts'
/// presence every [`HOST_REFRESH`], and the end of sessions whose other
/// party's node died. At shutdown the liveness key is deleted, so the other
/// nodes see this node's hosts offline at once.
async fn heartbeat(cluster: Cluster, hub: Hub, mut shutdown: watch::Receiver<bool>) {
    let mut conn = cluster.conn.clone();
    let node = cluster.node().to_owned();
    let mut tick = tokio::time::interval(NODE_REFRESH);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut hosts_refreshed = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
                continue;
            }
        }
        let alive: Result<(), redis::RedisError> = redis::cmd("SET")
            .arg(node_key(&node))
            .arg(unix_now())
            .arg("PX")
            .arg(millis(NODE_TTL))
            .query_async(&mut conn)
            .await;
        if let Err(e) = alive {
            hub.metrics().redis_error();
            warn!(error = %e, "cannot refresh this node's liveness in Redis");
            continue;
        }
        if hosts_refreshed.elapsed() >= HOST_REFRESH {
            hosts_refreshed = tokio::time::Instant::now();
            refresh_hosts(&mut conn, &node, &hub).await;
        }
        for other in hub.remote_nodes() {
            let exists: Result<u64, _> = redis::cmd("EXISTS")
                .arg(node_key(&other))
                .query_async(&mut conn)
                .await;
            match exists {
                Ok(0) => {
                    warn!(node = %other, "a node went away; ending its sessions");
                    hub.node_gone(&other);
                }
                Ok(_) => {}
                Err(e) => {
                    hub.metrics().redis_error();
                    warn!(error = %e, "cannot check a node's liveness");
                }
            }
        }
    }
    let gone: Result<(), redis::RedisError> = tokio::time::timeout(
        REDIS_TIMEOUT,
        redis::cmd("DEL")
            .arg(node_key(&node))
            .query_async(&mut conn),
    )
    .await
    .unwrap_or_else(|_| {
        Err(redis::RedisError::from(std::io::Error::from(
            std::io::ErrorKind::TimedOut,
        )))
    });
    if let Err(e) = gone {
        warn!(error = %e, "cannot remove this node's liveness from Redis");
    }
}

/// Refresh the presence of every host held here.
async fn refresh_hosts(conn: &mut ConnectionManager, node: &str, hub: &Hub) {
    let hosts = hub.local_hosts();
    let script = redis::Script::new(REFRESH);
    for chunk in hosts.chunks(REFRESH_BATCH) {
        let mut call = script.prepare_invoke();
        call.arg(millis(HOST_TTL));
        for (id, c) in chunk {
            call.key(host_key(id)).arg(presence(node, *c));
        }
        let done: Result<u64, _> = call.invoke_async(conn).await;
        if let Err(e) = done {
            hub.metrics().redis_error();
            warn!(error = %e, "cannot refresh host presence in Redis");
            return;
        }
    }
}

/// Seconds since the Unix epoch.
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presence_values_round_trip() {
        assert_eq!(
            Remote::parse(&presence("n-1", 42)),
            Some(Remote {
                node: "n-1".into(),
                conn: 42
            })
        );
        assert_eq!(Remote::parse("nospace"), None);
        assert_eq!(Remote::parse("n x"), None);
    }

    #[test]
    fn node_names() {
        assert!(valid_node_id("node-1_a"));
        assert!(!valid_node_id(""));
        assert!(!valid_node_id("a b"));
        assert!(!valid_node_id(&"a".repeat(65)));
    }

    #[test]
    fn passwords_stay_out_of_logs() {
        assert_eq!(
            redact("redis://:pw@127.0.0.1:6379"),
            "redis://***@127.0.0.1:6379"
        );
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
    }
}
