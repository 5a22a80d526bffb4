//! The simulated hosts: each opens a real WebSocket, registers with a real
//! Ed25519 key as a real host does, then stays connected and answers every
//! incoming session at once, until the fleet is stopped.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use latchkey_core::identity::DeviceKey;
use latchkey_core::signal::{ClientMessage, DeviceId, ServerMessage};
use rand_core::OsRng;
use tokio::sync::{mpsc, watch, Semaphore};

use crate::client;

/// Registrations in flight at once.
const IN_FLIGHT: usize = 256;
/// One registration's limit.
const REGISTER_TIMEOUT: Duration = Duration::from_secs(30);
/// What a simulated host answers (the node relays it verbatim).
const ANSWER_SDP: &str = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=load\r\nt=0 0\r\n";

/// The connected fleet.
pub struct Fleet {
    /// IDs of the hosts that registered.
    pub ids: Vec<DeviceId>,
    /// Time from the first connection to the last registration.
    pub elapsed: Duration,
    /// Each registration's time, connection included.
    pub latencies: Vec<Duration>,
    /// Registrations that failed.
    pub failed: usize,
    /// The first failure, for the report.
    pub first_error: Option<String>,
    stop: watch::Sender<bool>,
}

impl Fleet {
    /// Connect and register up to `count` hosts, spread over `nodes` in turn;
    /// stops early once failures pass 1% (the node's limit is reached).
    pub async fn register(nodes: &[SocketAddr], count: usize) -> Fleet {
        let (stop, stopped) = watch::channel(false);
        let (done_tx, mut done_rx) = mpsc::unbounded_channel();
        let permits = Arc::new(Semaphore::new(IN_FLIGHT));
        let failures = Arc::new(AtomicUsize::new(0));
        let give_up = (count / 100).max(50);
        let started = Instant::now();
        let mut launched = 0;
        for i in 0..count {
            if failures.load(Ordering::Relaxed) > give_up {
                break;
            }
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let node = nodes[i % nodes.len()];
            let done = done_tx.clone();
            let failures = failures.clone();
            let stopped = stopped.clone();
            tokio::spawn(async move {
                let t = Instant::now();
                let attempt = tokio::time::timeout(REGISTER_TIMEOUT, async {
                    let mut ws = client::connect(node, client::source(1, i)).await?;
                    let key = DeviceKey::generate(&mut OsRng);
                    let id = client::register(&mut ws, &key).await?;
                    anyhow::Ok((ws, id))
                })
                .await;
                drop(permit);
                match attempt {
                    Ok(Ok((ws, id))) => {
                        let _ = done.send(Ok((id, t.elapsed())));
                        serve(ws, stopped).await;
                    }
                    Ok(Err(e)) => {
                        failures.fetch_add(1, Ordering::Relaxed);
                        let _ = done.send(Err(format!("{e:#}")));
                    }
                    Err(_) => {
                        failures.fetch_add(1, Ordering::Relaxed);
                        let _ = done.send(Err("no registration within 30 s".into()));
                    }
                }
            });
            launched += 1;
        }
        drop(done_tx);
        let mut fleet = Fleet {
            ids: Vec::with_capacity(launched),
            elapsed: Duration::ZERO,
            latencies: Vec::with_capacity(launched),
            failed: 0,
            first_error: None,
            stop,
        };
        for _ in 0..launched {
            match done_rx.recv().await {
                Some(Ok((id, took))) => {
                    fleet.ids.push(id);
                    fleet.latencies.push(took);
                }
                Some(Err(e)) => {
                    fleet.failed += 1;
                    fleet.first_error.get_or_insert(e);
                }
                None => break,
            }
        }
        fleet.elapsed = started.elapsed();
        fleet
    }

    /// Close every host's connection.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

/// A registered host: answer each incoming session until stopped or closed.
async fn serve(mut ws: client::Ws, mut stopped: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = stopped.changed() => break,
            message = client::recv(&mut ws) => match message {
                Ok(Some(ServerMessage::Incoming { session, .. })) => {
                    let answer = ClientMessage::Answer { session, sdp: ANSWER_SDP.into() };
                    if client::send(&mut ws, &answer).await.is_err() {
                        break;
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            },
        }
    }
    let _ = ws.close(None).await;
}
