//! Malformed and oversized input to the rendezvous, to the host's `control`
//! data channel and to its control socket: each is answered with an error and
//! every server stays up for the next, well-behaved, client.

use futures_util::{SinkExt, StreamExt};
use latchkey_core::handshake::{DenialCode, HostMessage};
use latchkey_core::signal::{ClientMessage, DeviceId, ServerMessage};
use latchkey_e2e::cli::*;
use latchkey_session::transport::peer::{Control, Peer};
use latchkey_session::transport::signaling::SignalSocket;
use std::io::{BufRead, BufReader, Read, Write};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("runtime")
}

fn healthz(port: u16) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

async fn next_server(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> Option<ServerMessage> {
    let frame = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .ok()??
        .ok()?;
    match frame {
        Message::Text(t) => latchkey_core::signal::parse_server(&t).ok(),
        _ => None,
    }
}

#[test]
fn rendezvous_survives_malformed_and_oversized_frames() {
    let rv = Rendezvous::start(0, None);
    let (_host, h) = unattended_host(&rv);
    runtime().block_on(async {
        let (mut ws, _) = tokio_tungstenite::connect_async(rv.url.as_str())
            .await
            .expect("ws");
        ws.send(Message::text("{this is not json"))
            .await
            .expect("send");
        match next_server(&mut ws).await {
            Some(ServerMessage::Error { code, .. }) => assert_eq!(code.name(), "malformed"),
            other => panic!("expected a malformed error, got {other:?}"),
        }
        ws.send(Message::binary(vec![0u8; 10])).await.expect("send");
        assert!(matches!(
            next_server(&mut ws).await,
            Some(ServerMessage::Error { .. })
        ));
        // Over the message limit (64 KiB) but within what the WebSocket layer
        // reads (twice that): answered with too_large, the connection kept.
        ws.send(Message::text("x".repeat(100 * 1024)))
            .await
            .expect("send");
        match next_server(&mut ws).await {
            Some(ServerMessage::Error { code, .. }) => assert_eq!(code.name(), "too_large"),
            other => panic!("expected a too_large error, got {other:?}"),
        }
        ws.send(Message::text(latchkey_core::signal::encode(
            &ClientMessage::Ping,
        )))
        .await
        .expect("send");
        assert_eq!(next_server(&mut ws).await, Some(ServerMessage::Pong));
        // Beyond what the WebSocket layer reads: this one connection is closed.
        let _ = ws.send(Message::text("x".repeat(300 * 1024))).await;
        let closed = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("the server acts on it within 5 s");
        assert!(
            matches!(closed, None | Some(Err(_)) | Some(Ok(Message::Close(_)))),
            "the connection closes: {closed:?}"
        );
        let (mut ws2, _) = tokio_tungstenite::connect_async(rv.url.as_str())
            .await
            .expect("a new client is served");
        ws2.send(Message::text(latchkey_core::signal::encode(
            &ClientMessage::Ping,
        )))
        .await
        .expect("send");
        assert_eq!(next_server(&mut ws2).await, Some(ServerMessage::Pong));
    });
    assert!(healthz(rv.port).starts_with("HTTP/1.1 200"), "healthz");
    let viewer = Device::file();
    viewer
        .connect(
            h.id(),
            &rv,
            &["--password-stdin"],
            Some(&format!("{GOOD_PASSWORD}\n")),
        )
        .ok();
}

/// Open a raw session to `id` as a misbehaving viewer and send `payload` first.
async fn raw_session(url: &str, id: &str, payload: Vec<u8>) -> Option<HostMessage> {
    let mut signal = SignalSocket::connect(url).await.expect("rendezvous");
    let mut peer = Peer::bound_to(vec!["127.0.0.1:0".into()])
        .await
        .expect("peer");
    let control = Control::new(peer.create_control().await.expect("control"));
    let offer = peer.offer().await.expect("offer");
    let to = DeviceId::parse(id).expect("id");
    signal
        .send(&ClientMessage::Offer {
            to,
            session: "ab".repeat(16),
            sdp: offer,
        })
        .await
        .expect("offer");
    let answer = loop {
        match signal
            .recv_timeout(Duration::from_secs(15))
            .await
            .expect("answer")
        {
            ServerMessage::Answer { sdp, .. } => break sdp,
            _ => continue,
        }
    };
    peer.accept_answer(&answer).await.expect("answer");
    tokio::time::timeout(Duration::from_secs(10), control.opened())
        .await
        .expect("open in time")
        .expect("open");
    control.send_raw(&payload).await.expect("send");
    let reply = tokio::time::timeout(Duration::from_secs(10), control.recv())
        .await
        .ok()?
        .ok()?;
    peer.close().await;
    serde_json::from_slice(&reply).ok()
}

#[test]
fn host_control_channel_survives_malformed_and_oversized_messages() {
    let rv = Rendezvous::start(0, None);
    let (_host, h) = unattended_host(&rv);
    let id = h.id().to_string();
    let rt = runtime();
    for payload in [
        b"{\"type\":\"hello\",".to_vec(),
        vec![b'{'; 12 * 1024],
        b"\xff\xfe".to_vec(),
    ] {
        let reply = rt.block_on(raw_session(&rv.url, &id, payload));
        match reply {
            Some(HostMessage::Denied { error, .. }) => assert_eq!(error, DenialCode::Protocol),
            other => panic!("expected a protocol refusal, got {other:?}"),
        }
    }
    // Still serving.
    let viewer = Device::file();
    viewer
        .connect(
            &id,
            &rv,
            &["--password-stdin"],
            Some(&format!("{GOOD_PASSWORD}\n")),
        )
        .ok();
}

#[test]
fn control_socket_is_private_and_survives_garbage() {
    let rv = Rendezvous::start(0, None);
    let host = Device::file();
    let _h = host.start_host(&rv);
    let path = host.dir.join("control.sock");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path)
            .expect("socket")
            .permissions()
            .mode()
            & 0o777,
        // 0600, or 0666 on a machine with a `latchkey` group (whose members
        // may answer requests; the socket itself checks who asks for what).
        latchkey_session::host::control_socket::socket_mode(
            latchkey_session::host::control_socket::auth::find_group(
                &std::fs::read_to_string("/etc/group").unwrap_or_default(),
                latchkey_session::host::control_socket::auth::GROUP
            )
            .is_some()
        )
    );
    let mut s = std::os::unix::net::UnixStream::connect(&path).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    s.write_all(b"garbage\n").expect("write");
    let mut reader = BufReader::new(s.try_clone().expect("clone"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("answer");
    assert!(
        line.contains("\"ok\":false") && line.contains("malformed"),
        "{line}"
    );
    let mut big = vec![b'x'; 70 * 1024];
    big.push(b'\n');
    let _ = s.write_all(&big);
    line.clear();
    let _ = reader.read_line(&mut line);
    assert!(line.contains("too_large"), "{line}");
    // A second host on the same config dir refuses to start rather than steal the socket.
    let second = host
        .spawn(&["host", "--rendezvous", &rv.url], None)
        .finish(Duration::from_secs(20));
    assert_ne!(second.code, 0);
    assert!(second.stderr.contains("already running"), "{second:?}");
    assert_eq!(
        host.run(&["requests", "--json"]).json(),
        serde_json::json!([])
    );
}
