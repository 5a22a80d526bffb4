//! A host built from the session crate's pieces that a test scripts message
//! by message: it registers with the rendezvous like a real host, answers one
//! viewer, exchanges hellos honestly, and then says whatever the test wants
//! (a fake host that "grants" a password it never checked, say).

use latchkey_core::handshake::{self, HostMessage, Role, ViewerMessage};
use latchkey_core::identity::DeviceKey;
use latchkey_core::signal::{ClientMessage, DeviceId, ServerMessage, Signature};
use latchkey_session::transport::peer::{Control, Peer, PeerEvent, CONTROL_LABEL};
use latchkey_session::transport::signaling::SignalSocket;
use std::time::Duration;

/// A registered fake host.
pub struct RawHost {
    pub signal: SignalSocket,
    pub key: DeviceKey,
    pub id: DeviceId,
}

/// One viewer's connection to a [`RawHost`], hellos exchanged.
pub struct RawHostSession {
    pub peer: Peer,
    pub control: Control,
}

impl RawHost {
    /// Register `key` at the rendezvous `url`.
    pub async fn register(url: &str, key: DeviceKey) -> RawHost {
        let mut signal = SignalSocket::connect(url).await.expect("rendezvous");
        let id = signal.register(&key).await.expect("registered");
        RawHost { signal, key, id }
    }

    /// Answer the next viewer and exchange hellos (honestly, over the real certificates).
    pub async fn accept(&mut self) -> RawHostSession {
        let (session, offer) = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                match self.signal.recv().await {
                    Ok(Some(ServerMessage::Incoming { session, sdp, .. })) => {
                        return (session, sdp)
                    }
                    Ok(Some(_)) => {}
                    other => panic!("rendezvous gone: {other:?}"),
                }
            }
        })
        .await
        .expect("a viewer came");
        let mut peer = Peer::bound_to(vec!["127.0.0.1:0".into()])
            .await
            .expect("peer");
        let answer = peer.answer(&offer).await.expect("answer");
        self.signal
            .send(&ClientMessage::Answer {
                session,
                sdp: answer,
            })
            .await
            .expect("answer sent");
        let control = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                match peer.next_event().await {
                    Some(PeerEvent::DataChannel(dc))
                        if dc.label().await.ok().as_deref() == Some(CONTROL_LABEL) =>
                    {
                        return Control::new(dc)
                    }
                    Some(_) => {}
                    None => panic!("peer gone"),
                }
            }
        })
        .await
        .expect("control channel");
        let (local, remote) = peer.authenticated_fingerprints().await.expect("fps");
        let transcript = handshake::transcript(&remote, &local);
        let s = RawHostSession { peer, control };
        match s.recv().await {
            ViewerMessage::Hello { .. } => {}
            other => panic!("expected hello, got {other:?}"),
        }
        s.send(&HostMessage::Hello {
            version: handshake::VERSION,
            device_key: self.key.public(),
            host_id: Some(self.id.clone()),
            signature: Signature(
                self.key
                    .sign(&handshake::hello_message(Role::Host, &transcript)),
            ),
        })
        .await;
        s
    }
}

impl RawHostSession {
    pub async fn send(&self, m: &HostMessage) {
        self.control.send(m).await.expect("send");
    }

    pub async fn recv(&self) -> ViewerMessage {
        let bytes = tokio::time::timeout(Duration::from_secs(20), self.control.recv())
            .await
            .expect("viewer answered in time")
            .expect("channel open");
        handshake::parse(&bytes).expect("a viewer message")
    }
}
