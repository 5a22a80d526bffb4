//! Several nodes sharing a real `redis-server`: one ID per key whichever
//! node registers it, signaling between a viewer on one node and a host on
//! another, replacement and presence across nodes, and the Redis registry
//! surviving a restart (AOF).

mod common;

use std::time::Duration;

use common::{end_session, expect_incoming, key, session_id, Client, TestServer, WAIT};
use latchkey_core::identity::DeviceKey;
use latchkey_core::signal::{ClientMessage, DeviceId, ErrorCode, ServerMessage};
use latchkey_rendezvous::{Limits, RedisConfig, ServerConfig};
use latchkey_testkit::redis::RedisServer;

/// A node on `redis`.
async fn node(redis: &RedisServer, name: &str) -> TestServer {
    node_with(redis, name, Limits::default()).await
}

/// A node on `redis` with `limits`.
async fn node_with(redis: &RedisServer, name: &str, limits: Limits) -> TestServer {
    TestServer::start(ServerConfig {
        redis: Some(RedisConfig {
            url: redis.url(),
            node_id: Some(name.into()),
        }),
        limits,
        ..Default::default()
    })
    .await
}

/// Offer `session` from `viewer` to `to`.
async fn offer(viewer: &mut Client, to: &DeviceId, session: &str) {
    viewer
        .send(&ClientMessage::Offer {
            to: to.clone(),
            session: session.to_owned(),
            sdp: format!("v=0 offer {session}"),
        })
        .await;
}

/// `from` sends candidate `c` of `session`; `to` gets it.
async fn relay_candidate(from: &mut Client, to: &mut Client, session: &str, c: &str) {
    from.send(&ClientMessage::Candidate {
        session: session.to_owned(),
        candidate: c.into(),
    })
    .await;
    assert_eq!(
        to.recv().await,
        ServerMessage::Candidate {
            session: session.to_owned(),
            candidate: c.into()
        }
    );
}

#[tokio::test]
async fn one_id_per_key_whichever_node_registers_it() {
    let redis = RedisServer::start();
    let (a, b) = (node(&redis, "a").await, node(&redis, "b").await);
    // The same key registering on both nodes at once, many times over.
    let k = key();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let url = format!("ws://{}/", if i % 2 == 0 { a.addr } else { b.addr });
        let k = DeviceKey::from_secret_bytes(&k.to_secret_bytes()).expect("same key");
        tasks.push(tokio::spawn(async move {
            let mut c = Client::connect(&url).await;
            c.send_register(&k).await;
            // Later registrations replace earlier ones: the first message is
            // `Registered`, whatever follows.
            match c.recv().await {
                ServerMessage::Registered { id } => id,
                other => panic!("expected Registered, got {other:?}"),
            }
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.expect("task"));
    }
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
    // Different keys, different IDs.
    let mut other = Vec::new();
    for i in 0..10 {
        let server = if i % 2 == 0 { &a } else { &b };
        other.push(server.client().await.register(&key()).await);
    }
    other.push(ids[0].clone());
    let distinct: std::collections::BTreeSet<_> = other.iter().collect();
    assert_eq!(distinct.len(), other.len(), "{other:?}");
}

#[tokio::test]
async fn a_viewer_on_one_node_reaches_a_host_on_another() {
    let redis = RedisServer::start();
    let (a, b) = (node(&redis, "a").await, node(&redis, "b").await);
    let mut host = a.client().await;
    let id = host.register(&key()).await;
    let mut viewer = b.client().await;
    assert!(viewer.lookup(&id).await, "online seen from the other node");
    let session = session_id();
    offer(&mut viewer, &id, &session).await;
    expect_incoming(&mut host, &session).await;
    host.send(&ClientMessage::Answer {
        session: session.clone(),
        sdp: "v=0 answer".into(),
    })
    .await;
    assert_eq!(
        viewer.recv().await,
        ServerMessage::Answer {
            session: session.clone(),
            sdp: "v=0 answer".into()
        }
    );
    relay_candidate(&mut viewer, &mut host, &session, "v").await;
    relay_candidate(&mut host, &mut viewer, &session, "h").await;
    // Ended, the session is gone on both nodes.
    end_session(&mut viewer, &mut host, &session).await;

    // A second session; the host leaving ends it for the viewer over there.
    let second = session_id();
    offer(&mut viewer, &id, &second).await;
    assert!(matches!(host.recv().await, ServerMessage::Incoming { .. }));
    host.close().await;
    assert_eq!(
        viewer.recv().await,
        ServerMessage::Bye {
            session: second,
            reason: Some("peer disconnected".into())
        }
    );
    viewer.wait_presence(&id, false).await;
    let third = session_id();
    offer(&mut viewer, &id, &third).await;
    assert_eq!(
        viewer.expect_error(ErrorCode::HostOffline).await,
        Some(third)
    );
    assert!(
        b.metric("latchkey_rendezvous_cross_node_messages_total{direction=\"sent\"}")
            .await
            >= Some(4)
    );
    assert!(
        a.metric("latchkey_rendezvous_cross_node_messages_total{direction=\"received\"}")
            .await
            >= Some(4)
    );
    assert_eq!(
        a.metric("latchkey_rendezvous_redis_errors_total").await,
        Some(0)
    );
}

#[tokio::test]
async fn registering_on_another_node_replaces_the_connection() {
    let redis = RedisServer::start();
    let (a, b) = (node(&redis, "a").await, node(&redis, "b").await);
    let k = key();
    let mut first = a.client().await;
    let id = first.register(&k).await;
    let mut second = b.client().await;
    assert_eq!(second.register(&k).await, id);
    first.expect_error(ErrorCode::Replaced).await;
    first.expect_closed().await;
    // Offers made on the first node now reach the second connection.
    let mut viewer = a.client().await;
    let session = session_id();
    offer(&mut viewer, &id, &session).await;
    match second.recv().await {
        ServerMessage::Incoming { session: s, .. } => assert_eq!(s, session),
        other => panic!("expected Incoming, got {other:?}"),
    }
    a.wait_metric("latchkey_rendezvous_connected_hosts", 0)
        .await;
    b.wait_metric("latchkey_rendezvous_connected_hosts", 1)
        .await;
}

#[tokio::test]
async fn the_pending_limit_of_a_host_holds_across_nodes() {
    let redis = RedisServer::start();
    let limits = Limits {
        max_pending_per_host: 2,
        ..Limits::default()
    };
    let a = node_with(&redis, "a", limits.clone()).await;
    let b = node_with(&redis, "b", limits).await;
    let mut host = a.client().await;
    let id = host.register(&key()).await;
    let mut viewer_a = a.client().await;
    let mut viewer_b = b.client().await;
    offer(&mut viewer_a, &id, &session_id()).await;
    offer(&mut viewer_b, &id, &session_id()).await;
    for _ in 0..2 {
        assert!(matches!(host.recv().await, ServerMessage::Incoming { .. }));
    }
    let third = session_id();
    offer(&mut viewer_b, &id, &third).await;
    assert_eq!(
        viewer_b.expect_error(ErrorCode::TooManyPending).await,
        Some(third)
    );
}

#[tokio::test]
async fn a_stopped_node_s_hosts_go_offline_and_come_back_elsewhere() {
    let redis = RedisServer::start();
    let (a, b) = (node(&redis, "a").await, node(&redis, "b").await);
    let k = key();
    let mut host = a.client().await;
    let id = host.register(&k).await;
    let mut viewer = b.client().await;
    assert!(viewer.lookup(&id).await);
    a.stop().await.expect("node a stops");
    viewer.wait_presence(&id, false).await;
    let mut again = b.client().await;
    assert_eq!(again.register(&k).await, id, "same ID on another node");
    assert!(viewer.lookup(&id).await);
}

#[tokio::test]
async fn the_registry_survives_a_redis_restart() {
    let mut redis = RedisServer::start();
    let (a, b) = (node(&redis, "a").await, node(&redis, "b").await);
    let k = key();
    let id = a.client().await.register(&k).await;
    redis.restart();
    // The node reconnects by itself; the key keeps its ID.
    let deadline = tokio::time::Instant::now() + WAIT * 2;
    let again = loop {
        let mut c = a.client().await;
        c.send_register(&k).await;
        match c.recv().await {
            ServerMessage::Registered { id } => break id,
            ServerMessage::Error {
                code: ErrorCode::Unavailable,
                ..
            } if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            other => panic!("expected Registered, got {other:?}\n{}", redis.log()),
        }
    };
    assert_eq!(again, id);
    let fresh = a.client().await.register(&key()).await;
    assert_ne!(fresh, id);

    // Both nodes subscribe to the bus again: an offer and its answer cross
    // (an attempt made while a node was still resubscribing is lost: retry).
    let mut host = a.client().await;
    let host_id = host.register(&key()).await;
    let mut viewer = b.client().await;
    let deadline = tokio::time::Instant::now() + WAIT * 2;
    let quick = Duration::from_millis(500);
    loop {
        if tokio::time::Instant::now() >= deadline {
            panic!(
                "the bus did not come back\na: {}\nb: {}\n{}",
                a.get("/metrics").await.1,
                b.get("/metrics").await.1,
                redis.log()
            );
        }
        let session = session_id();
        offer(&mut viewer, &host_id, &session).await;
        match tokio::time::timeout(quick, host.recv()).await {
            Ok(ServerMessage::Incoming { session: s, .. }) if s == session => {}
            _ => continue,
        }
        host.send(&ClientMessage::Answer {
            session: session.clone(),
            sdp: "v=0 answer".into(),
        })
        .await;
        // Refusals of earlier attempts may come first.
        let answered = tokio::time::timeout(quick, async {
            loop {
                if let ServerMessage::Answer { session: s, .. } = viewer.recv().await {
                    if s == session {
                        return;
                    }
                }
            }
        })
        .await;
        if answered.is_ok() {
            break;
        }
    }
}

#[tokio::test]
async fn a_node_refuses_to_start_without_redis() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let config = ServerConfig {
        redis: Some(RedisConfig {
            url: format!("redis://127.0.0.1:{port}"),
            node_id: None,
        }),
        ..Default::default()
    };
    let result = tokio::time::timeout(
        WAIT * 2,
        latchkey_rendezvous::serve(listener, config, std::future::pending()),
    )
    .await
    .expect("fails fast");
    assert!(
        matches!(result, Err(latchkey_rendezvous::Error::Redis(_))),
        "{result:?}"
    );
}
