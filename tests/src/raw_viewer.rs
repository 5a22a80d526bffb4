//! A viewer built from the session crate's pieces (signaling, peer, control
//! channel, the core's handshake messages) that a test drives one message at
//! a time: it can stop between any two steps of a login, or misbehave, which
//! the `latchkey connect` binary never does.

use latchkey_core::handshake::{self, HostMessage, Role, ViewerMessage};
use latchkey_core::identity::DeviceKey;
use latchkey_core::signal::{ClientMessage, DeviceId, ServerMessage, Signature};
use latchkey_session::transport::peer::{Control, Peer};
use latchkey_session::transport::signaling::SignalSocket;
use rand_core::OsRng;
use std::time::Duration;

/// One connection to a host, its hellos exchanged.
pub struct RawViewer {
    pub peer: Peer,
    pub control: Control,
    pub signal: SignalSocket,
    pub transcript: Vec<u8>,
    pub key: DeviceKey,
}

impl RawViewer {
    /// Reach host `id` through the rendezvous at `url` and exchange hellos as `key`.
    pub async fn connect(url: &str, id: &str, key: DeviceKey) -> RawViewer {
        let mut signal = SignalSocket::connect(url).await.expect("rendezvous");
        let mut peer = Peer::bound_to(vec!["127.0.0.1:0".into()])
            .await
            .expect("peer");
        latchkey_session::features::video::add_receiver(peer.connection())
            .await
            .expect("receiver");
        let control = Control::new(peer.create_control().await.expect("control"));
        let offer = peer.offer().await.expect("offer");
        let session = hex::encode(rand_core::RngCore::next_u64(&mut OsRng).to_be_bytes());
        let session = format!("{session}{session}");
        signal
            .send(&ClientMessage::Offer {
                to: DeviceId::parse(id).expect("id"),
                session,
                sdp: offer,
            })
            .await
            .expect("offer sent");
        let answer = tokio::time::timeout(Duration::from_secs(15), async {
            loop {
                match signal.recv().await {
                    Ok(Some(ServerMessage::Answer { sdp, .. })) => return sdp,
                    Ok(Some(_)) => {}
                    other => panic!("no answer: {other:?}"),
                }
            }
        })
        .await
        .expect("answer in time");
        peer.accept_answer(&answer).await.expect("accept answer");
        tokio::time::timeout(Duration::from_secs(15), control.opened())
            .await
            .expect("open in time")
            .expect("open");
        let (local, remote) = peer.authenticated_fingerprints().await.expect("fps");
        let transcript = handshake::transcript(&local, &remote);
        let viewer = RawViewer {
            peer,
            control,
            signal,
            transcript,
            key,
        };
        viewer
            .send(&ViewerMessage::Hello {
                version: handshake::VERSION,
                device_key: viewer.key.public(),
                name: "raw viewer".into(),
                signature: Signature(
                    viewer
                        .key
                        .sign(&handshake::hello_message(Role::Viewer, &viewer.transcript)),
                ),
            })
            .await;
        match viewer.recv().await {
            HostMessage::Hello { .. } => viewer,
            other => panic!("expected the host's hello, got {other:?}"),
        }
    }

    pub async fn send(&self, m: &ViewerMessage) {
        self.control.send(m).await.expect("send");
    }

    /// The host's next handshake message (20 s at most).
    pub async fn recv(&self) -> HostMessage {
        let bytes = tokio::time::timeout(Duration::from_secs(20), self.control.recv())
            .await
            .expect("host answered in time")
            .expect("channel open");
        handshake::parse(&bytes).expect("a host message")
    }

    /// Start and finish an OPAQUE login with `password` for the default profile.
    /// Returns the host's message after the finalization.
    pub async fn password_login(&self, password: &str, remember: bool) -> HostMessage {
        let (login, request) =
            latchkey_core::pake::ViewerLogin::start(password.as_bytes(), &mut OsRng)
                .expect("start");
        self.send(&ViewerMessage::Password {
            profile: None,
            request,
            remember,
        })
        .await;
        let HostMessage::PasswordChallenge { response, ksf } = self.recv().await else {
            panic!("expected a password challenge");
        };
        let (finalization, _key) = login
            .finish(password.as_bytes(), &response, &self.transcript, ksf)
            .expect("the right password");
        self.send(&ViewerMessage::PasswordFinish { finalization })
            .await;
        self.recv().await
    }

    pub async fn close(self) {
        self.control.close().await;
        self.peer.close().await;
        self.signal.close().await;
    }
}
