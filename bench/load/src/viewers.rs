//! Simulated viewers doing real signaling exchanges: each sends `Offer`s to
//! random hosts of the fleet at a steady pace, times each until the host's
//! `Answer` comes back through the node(s), then ends the session with `Bye`.
//! Offers go out on schedule whether or not earlier ones were answered (an
//! open loop), so a slow node shows as latency, not as a lower offered rate.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use latchkey_core::signal::{ClientMessage, DeviceId, ServerMessage};
use rand::Rng;
use tokio::time::MissedTickBehavior;

use crate::client;

/// Exchanges per second one viewer connection offers: each is two messages
/// (offer, bye), under the node's per-connection rate limit of 20/s.
const PER_VIEWER_RATE: u32 = 4;
/// How long the last offers may wait for their answers.
const DRAIN: Duration = Duration::from_secs(5);

/// What the viewers saw.
#[derive(Default)]
pub struct Exchanges {
    /// Offers sent.
    pub offered: u64,
    /// Offer-to-answer times of the answered ones.
    pub latencies: Vec<Duration>,
    /// Error replies (rate limits, offline hosts...), and their first text.
    pub errors: u64,
    pub first_error: Option<String>,
    /// Viewer connections that could not be opened.
    pub failed_viewers: usize,
    /// From the first offer to the last answer.
    pub elapsed: Duration,
}

/// Offer `rate` exchanges per second in all, for `seconds`, from viewers
/// spread over `nodes`, each to a random host of `hosts`.
pub async fn run(
    nodes: &[SocketAddr],
    hosts: Arc<Vec<DeviceId>>,
    rate: u32,
    seconds: u64,
) -> Exchanges {
    let viewers = rate.div_ceil(PER_VIEWER_RATE).max(1) as usize;
    let per_viewer = f64::from(rate) / viewers as f64;
    let period = Duration::from_secs_f64(1.0 / per_viewer);
    let offers_each = (per_viewer * seconds as f64).round() as u64;
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(viewers);
    for v in 0..viewers {
        let node = nodes[v % nodes.len()];
        let hosts = hosts.clone();
        // Spread the viewers' first offers over one period.
        let offset = period.mul_f64(v as f64 / viewers as f64);
        tasks.push(tokio::spawn(async move {
            viewer(node, v, hosts, period, offset, offers_each).await
        }));
    }
    let mut total = Exchanges::default();
    for task in tasks {
        match task.await {
            Ok(Ok(one)) => {
                total.offered += one.offered;
                total.latencies.extend(one.latencies);
                total.errors += one.errors;
                if total.first_error.is_none() {
                    total.first_error = one.first_error;
                }
            }
            Ok(Err(e)) => {
                total.failed_viewers += 1;
                total.first_error.get_or_insert(format!("a viewer: {e:#}"));
            }
            Err(e) => {
                total.failed_viewers += 1;
                total
                    .first_error
                    .get_or_insert(format!("a viewer task: {e}"));
            }
        }
    }
    total.elapsed = started.elapsed();
    total
}

/// One viewer connection's share.
async fn viewer(
    node: SocketAddr,
    index: usize,
    hosts: Arc<Vec<DeviceId>>,
    period: Duration,
    offset: Duration,
    offers: u64,
) -> anyhow::Result<Exchanges> {
    let mut ws = client::connect(node, client::source(2, index)).await?;
    let sdp = offer_sdp();
    let mut out = Exchanges::default();
    let mut waiting: HashMap<String, Instant> = HashMap::new();
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + offset, period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut drain_until: Option<tokio::time::Instant> = None;
    loop {
        if out.offered == offers && drain_until.is_none() {
            drain_until = Some(tokio::time::Instant::now() + DRAIN);
        }
        if drain_until.is_some() && waiting.is_empty() {
            break;
        }
        let deadline = drain_until.unwrap_or_else(|| tokio::time::Instant::now() + DRAIN * 1000);
        tokio::select! {
            _ = ticks.tick(), if out.offered < offers => {
                if hosts.is_empty() {
                    anyhow::bail!("no hosts to call");
                }
                let (to, session) = {
                    let mut rng = rand::thread_rng();
                    (hosts[rng.gen_range(0..hosts.len())].clone(), hex::encode(rng.gen::<[u8; 16]>()))
                };
                waiting.insert(session.clone(), Instant::now());
                client::send(&mut ws, &ClientMessage::Offer { to, session, sdp: sdp.clone() }).await?;
                out.offered += 1;
            }
            message = client::recv(&mut ws) => match message? {
                Some(ServerMessage::Answer { session, .. }) => {
                    if let Some(sent) = waiting.remove(&session) {
                        out.latencies.push(sent.elapsed());
                        let bye = ClientMessage::Bye { session, reason: None };
                        client::send(&mut ws, &bye).await?;
                    }
                }
                Some(ServerMessage::Error { code, message, session }) => {
                    out.errors += 1;
                    out.first_error.get_or_insert(format!("{}: {message}", code.name()));
                    if let Some(s) = session {
                        waiting.remove(&s);
                    }
                }
                Some(ServerMessage::Bye { session, .. }) => {
                    waiting.remove(&session);
                }
                Some(_) => {}
                None => anyhow::bail!("the node closed the connection"),
            },
            _ = tokio::time::sleep_until(deadline) => break,
        }
    }
    out.errors += waiting.len() as u64;
    if !waiting.is_empty() {
        out.first_error
            .get_or_insert(format!("{} offers never answered", waiting.len()));
    }
    let _ = ws.close(None).await;
    Ok(out)
}

/// An offer of a realistic size (a browser's offer with one video track and
/// data channels is 1 to 3 KB); the node relays it without reading it.
fn offer_sdp() -> String {
    let mut sdp = String::from("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=load\r\nt=0 0\r\n");
    while sdp.len() < 1500 {
        sdp.push_str("a=x-load:0123456789abcdef0123456789abcdef\r\n");
    }
    sdp
}
