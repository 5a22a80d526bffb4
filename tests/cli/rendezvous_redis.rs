//! Three rendezvous nodes on one Redis (`latchkey-rendezvous --redis`): a
//! viewer on one node sees the screen of a host on another; one ID per key
//! even when two nodes register it at once; a host given all three URLs
//! moves to the next node when its node dies, keeping its ID; the registry
//! survives a hard Redis restart (AOF).

use latchkey_core::identity::DeviceKey;
use latchkey_core::signal::{ClientMessage, DeviceId, ErrorCode, ServerMessage, Signature};
use latchkey_e2e::cli::*;
use latchkey_e2e::desktop::{password_on, screenshot_psnr};
use latchkey_e2e::raw_host::RawHost;
use latchkey_e2e::redis::{nodes, urls, RedisServer};
use latchkey_session::transport::signaling::SignalSocket;
use latchkey_testkit::{desktop, draw_rgba, Xvfb, HEIGHT, WIDTH};
use rand_core::OsRng;
use std::time::{Duration, Instant};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("runtime")
}

/// A host sharing `x`'s display through the rendezvous setting `url`
/// (one URL or several), registered: its device and process.
fn host_at(x: &Xvfb, url: &str) -> (Device, Proc) {
    let host = Device::file();
    password_on(&host, "default");
    let mut proc = host.spawn(
        &["host", "--rendezvous", url, "--display", &x.display],
        None,
    );
    let line = proc.wait_line(|l| l.contains("host ready: ID"), Duration::from_secs(30));
    proc.id = line.rsplit("ID ").next().map(|s| s.replace(' ', ""));
    (host, proc)
}

/// A full-screen picture drawn on `x`; its RGBA pixels.
fn draw(x: &Xvfb, seed: u32) -> Vec<u8> {
    let (conn, screen) = latchkey_testkit::connect(&x.display);
    let picture = desktop(WIDTH, HEIGHT, seed);
    draw_rgba(&conn, screen, 0, 0, WIDTH as u16, &picture);
    picture
}

#[test]
fn a_viewer_on_node_3_sees_a_host_on_node_1() {
    let x = Xvfb::start();
    let picture = draw(&x, 0);
    let redis = RedisServer::start();
    let rv = nodes(&redis, 3);
    let (_host, h) = host_at(&x, &rv[0].url);
    let viewer = Device::file();
    let psnr = screenshot_psnr(&viewer, h.id(), &rv[2].url, picture);
    assert!(psnr >= 30.0, "PSNR {psnr:.1} dB");
}

#[test]
fn one_key_registering_on_two_nodes_at_once_gets_one_id() {
    let redis = RedisServer::start();
    let rv = nodes(&redis, 2);
    let key = DeviceKey::generate(&mut OsRng);
    let secret = key.to_secret_bytes();
    let rt = runtime();
    let ids: Vec<DeviceId> = rt.block_on(async {
        let attempts = (0..24).map(|i| {
            let url = rv[i % 2].url.clone();
            let key = DeviceKey::from_secret_bytes(&secret).expect("key");
            tokio::spawn(async move { RawHost::register(&url, key).await.id })
        });
        let mut ids = Vec::new();
        for a in attempts.collect::<Vec<_>>() {
            ids.push(a.await.expect("registration task"));
        }
        ids
    });
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
    // Other keys racing on both nodes get IDs of their own.
    let others: Vec<DeviceId> = rt.block_on(async {
        let attempts = (0..24).map(|i| {
            let url = rv[i % 2].url.clone();
            tokio::spawn(async move {
                RawHost::register(&url, DeviceKey::generate(&mut OsRng))
                    .await
                    .id
            })
        });
        let mut ids = Vec::new();
        for a in attempts.collect::<Vec<_>>() {
            ids.push(a.await.expect("registration task"));
        }
        ids
    });
    let mut all: Vec<&DeviceId> = others.iter().collect();
    all.push(&ids[0]);
    let distinct: std::collections::BTreeSet<_> = all.iter().collect();
    assert_eq!(distinct.len(), all.len(), "{all:?}");
}

#[test]
fn a_host_moves_to_the_next_node_when_its_node_dies() {
    let x = Xvfb::start();
    let picture = draw(&x, 3);
    let redis = RedisServer::start();
    let mut rv = nodes(&redis, 3);
    let all = urls(&rv);
    let (_host, mut h) = host_at(&x, &all);
    let id = h.id().to_owned();
    let killed = Instant::now();
    rv[0].proc.kill();
    let line = h.wait_line(|l| l.contains("host ready: ID"), Duration::from_secs(20));
    let moved = killed.elapsed();
    assert_eq!(
        line.rsplit("ID ").next().map(|s| s.replace(' ', "")),
        Some(id.clone()),
        "same ID on the next node"
    );
    println!("the host registered again {moved:?} after its node died");
    // The viewer reaches it through the third node, and with the whole
    // list (the dead first node is skipped).
    let viewer = Device::file();
    let psnr = screenshot_psnr(&viewer, &id, &rv[2].url, picture.clone());
    assert!(psnr >= 30.0, "PSNR {psnr:.1} dB through node 3");
    let psnr = screenshot_psnr(&viewer, &id, &all, picture);
    assert!(psnr >= 30.0, "PSNR {psnr:.1} dB through the list");
}

/// Register `key` at `url`, retrying while the node reports the shared
/// state unavailable (Redis coming back); its ID.
async fn register_when_ready(url: &str, key: &DeviceKey) -> DeviceId {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut signal = SignalSocket::connect(url).await.expect("rendezvous");
        signal
            .send(&ClientMessage::Hello {
                public_key: key.public(),
            })
            .await
            .expect("hello");
        let nonce = match signal.recv_timeout(Duration::from_secs(10)).await {
            Ok(ServerMessage::Challenge { nonce }) => hex::decode(nonce).expect("hex"),
            other => panic!("expected a challenge, got {other:?}"),
        };
        signal
            .send(&ClientMessage::Register {
                signature: Signature(key.sign(&latchkey_core::signal::register_message(&nonce))),
            })
            .await
            .expect("register");
        match signal.recv_timeout(Duration::from_secs(10)).await {
            Ok(ServerMessage::Registered { id }) => return id,
            Ok(ServerMessage::Error {
                code: ErrorCode::Unavailable,
                ..
            }) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            other => panic!("expected Registered, got {other:?}"),
        }
    }
}

#[test]
fn a_redis_restart_loses_no_id() {
    let mut redis = RedisServer::start();
    let rv = nodes(&redis, 3);
    let keys: Vec<DeviceKey> = (0..5).map(|_| DeviceKey::generate(&mut OsRng)).collect();
    let rt = runtime();
    let before: Vec<DeviceId> = rt.block_on(async {
        let mut ids = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            ids.push(register_when_ready(&rv[i % 3].url, k).await);
        }
        ids
    });
    redis.restart();
    let (after, fresh) = rt.block_on(async {
        let mut ids = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            ids.push(register_when_ready(&rv[(i + 1) % 3].url, k).await);
        }
        let mut fresh = Vec::new();
        for i in 0..5 {
            fresh.push(register_when_ready(&rv[i % 3].url, &DeviceKey::generate(&mut OsRng)).await);
        }
        (ids, fresh)
    });
    assert_eq!(before, after, "same IDs after the restart\n{}", redis.log());
    for id in &fresh {
        assert!(!before.contains(id), "a new key got an existing ID {id}");
    }
}
