//! The viewer half of `tcp_tunnel`: `session.tunnel()`. One task reads the
//! channel and hands each answer to the request waiting for it and each
//! stream's bytes, credit and end to that stream; `-R` connections the host
//! announces are connected here to the destination their listener names.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::{oneshot, OnceCell};

use latchkey_core::feature;
use latchkey_core::feature::tunnel::{host_port, FromHost, FromViewer, WINDOW};

use super::stream::Streams;
use crate::transport::peer::Control;
use crate::viewer::link::FeatureLink;
use crate::Error;

/// How long the host has to answer (it may take 10 s to resolve and 10 s to connect).
const ANSWER: Duration = Duration::from_secs(30);
/// How long reaching a `-R` destination may take here.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a tunnel request did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum TunnelError {
    /// The session's permissions do not allow tunnels.
    #[error("the host does not allow {what} in this session (permission '{permission}')")]
    Refused {
        /// What was refused.
        what: String,
        /// The missing permission.
        permission: String,
    },
    /// The destination is outside the profile's `tunnel_destinations`.
    #[error(
        "the host does not allow tunnels to {destination} (its profile's tunnel_destinations)"
    )]
    NotAllowed {
        /// `host:port`.
        destination: String,
    },
    /// The host could not do it (resolve, connect, listen).
    #[error("{0}")]
    Failed(String),
    /// The session broke.
    #[error(transparent)]
    Broken(#[from] Error),
}

/// The state the reading task and the requests share.
#[derive(Default)]
struct Inner {
    /// Requests waiting for their answer, by id.
    pending: Mutex<HashMap<u32, oneshot::Sender<FromHost>>>,
    /// Where each `-R` listener's connections go, by its id.
    listeners: Mutex<HashMap<u32, (String, u16)>>,
    streams: Streams,
    /// The next request id (even).
    next_id: AtomicU32,
}

impl Inner {
    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<u32, oneshot::Sender<FromHost>>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn destination(&self, id: u32) -> Option<(String, u16)> {
        self.listeners
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .cloned()
    }
}

/// TCP tunnels through the host (it refuses without `tcp_tunnel`).
#[derive(Clone)]
pub struct Tunnel {
    link: FeatureLink,
    inner: Arc<Inner>,
    reader: Arc<OnceCell<Control>>,
}

impl Tunnel {
    pub(crate) fn new(link: FeatureLink) -> Self {
        let inner = Inner {
            next_id: AtomicU32::new(2),
            ..Default::default()
        };
        Tunnel {
            link,
            inner: Arc::new(inner),
            reader: Arc::new(OnceCell::new()),
        }
    }

    /// The channel, with its reading task started (once).
    async fn channel(&self) -> Result<Control, Error> {
        let channel = self
            .reader
            .get_or_try_init(|| async {
                let channel = self.link.channel().await?.clone();
                tokio::spawn(read(channel.clone(), self.inner.clone()));
                Ok::<_, Error>(channel)
            })
            .await?;
        Ok(channel.clone())
    }

    fn next_id(&self) -> u32 {
        self.inner.next_id.fetch_add(2, Ordering::Relaxed)
    }

    /// Send `message` (request `id`) and wait for its answer.
    async fn ask(&self, id: u32, message: FromViewer) -> Result<FromHost, TunnelError> {
        let channel = self.channel().await?;
        let (tx, rx) = oneshot::channel();
        self.inner.pending().insert(id, tx);
        if let Err(e) = channel.send(&message).await {
            self.inner.pending().remove(&id);
            return Err(e.into());
        }
        let answer = tokio::time::timeout(ANSWER, rx).await;
        self.inner.pending().remove(&id);
        match answer {
            Err(_) => Err(Error::Timeout("waiting for the host").into()),
            Ok(Err(_)) => Err(Error::PeerGone.into()),
            Ok(Ok(FromHost::Refused {
                what, permission, ..
            })) => Err(TunnelError::Refused { what, permission }),
            Ok(Ok(FromHost::NotAllowed { destination, .. })) => {
                Err(TunnelError::NotAllowed { destination })
            }
            Ok(Ok(FromHost::Failed { message, .. })) => Err(TunnelError::Failed(message)),
            Ok(Ok(answer)) => Ok(answer),
        }
    }

    /// Whether the host lets this session reach `host:port` (a `-L` as it
    /// starts; each connection is checked again).
    pub async fn check(&self, host: &str, port: u16) -> Result<(), TunnelError> {
        let id = self.next_id();
        let message = FromViewer::Check {
            id,
            host: host.into(),
            port,
        };
        match self.ask(id, message).await? {
            FromHost::Checked { .. } => Ok(()),
            _ => Err(Error::Protocol("an unexpected tunnel answer".into()).into()),
        }
    }

    /// Carry `tcp` to `host:port` reached from the host (one `-L`
    /// connection); returns once the host reached it, the bytes keep flowing
    /// in the background until either side closes.
    pub async fn open(&self, tcp: TcpStream, host: &str, port: u16) -> Result<(), TunnelError> {
        let channel = self.channel().await?;
        let stream = self.next_id();
        if !self
            .inner
            .streams
            .start::<FromViewer>(stream, tcp, channel.clone())
        {
            return Err(Error::Protocol("a tunnel stream id in use".into()).into());
        }
        let message = FromViewer::Connect {
            stream,
            host: host.into(),
            port,
            window: WINDOW,
        };
        match self.ask(stream, message).await {
            Ok(FromHost::Connected { window, .. }) => {
                self.inner.streams.credit(stream, window);
                Ok(())
            }
            Ok(_) => {
                self.inner.streams.reset(stream);
                Err(Error::Protocol("an unexpected tunnel answer".into()).into())
            }
            Err(e) => {
                self.inner.streams.reset(stream);
                Err(e)
            }
        }
    }

    /// Have the host listen on `bind:port` (a `-R`); each connection to it
    /// is carried to `dest:dest_port` reached from here. Returns the port
    /// the host bound.
    pub async fn listen(
        &self,
        bind: &str,
        port: u16,
        dest: &str,
        dest_port: u16,
    ) -> Result<u16, TunnelError> {
        let id = self.next_id();
        self.inner
            .listeners
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, (dest.to_string(), dest_port));
        let message = FromViewer::Listen {
            id,
            bind: bind.into(),
            port,
        };
        match self.ask(id, message).await? {
            FromHost::Listening { port, .. } => Ok(port),
            _ => Err(Error::Protocol("an unexpected tunnel answer".into()).into()),
        }
    }

    /// How many connections are being carried now.
    pub fn streams(&self) -> usize {
        self.inner.streams.len()
    }
}

/// The reading task: until the channel closes.
async fn read(channel: Control, inner: Arc<Inner>) {
    while let Ok(bytes) = channel.recv().await {
        let message = match feature::tunnel::from_host(&bytes) {
            Ok(m) => m,
            Err(e) => {
                tracing::debug!(error = %e, "ignoring a tunnel message");
                continue;
            }
        };
        match message {
            FromHost::Data { stream, data } => {
                if inner.streams.data(stream, data.0).is_err() {
                    let _ = channel.send(&FromViewer::Reset { stream }).await;
                }
            }
            FromHost::Credit { stream, bytes } => inner.streams.credit(stream, bytes),
            FromHost::Eof { stream } => inner.streams.eof(stream),
            FromHost::Reset { stream } => inner.streams.reset(stream),
            FromHost::Incoming { id, stream, window } => {
                incoming(&channel, &inner, id, stream, window);
            }
            answer @ (FromHost::Checked { .. }
            | FromHost::Connected { .. }
            | FromHost::Listening { .. }
            | FromHost::Refused { .. }
            | FromHost::NotAllowed { .. }
            | FromHost::Failed { .. }) => {
                let id = match &answer {
                    FromHost::Checked { id }
                    | FromHost::Listening { id, .. }
                    | FromHost::Refused { id, .. }
                    | FromHost::NotAllowed { id, .. }
                    | FromHost::Failed { id, .. } => *id,
                    FromHost::Connected { stream, .. } => *stream,
                    _ => continue,
                };
                let waiting = inner.pending().remove(&id);
                match waiting {
                    Some(tx) => {
                        let _ = tx.send(answer);
                    }
                    // A stream that gave up waiting: make sure it is gone.
                    None => inner.streams.reset(id),
                }
            }
        }
    }
    inner.pending().clear();
    inner.streams.reset_all();
}

/// A connection to one of the host's `-R` listeners: reach its destination here.
fn incoming(channel: &Control, inner: &Arc<Inner>, id: u32, stream: u32, window: u32) {
    let (channel, inner) = (channel.clone(), inner.clone());
    tokio::spawn(async move {
        let Some((dest, port)) = inner.destination(id) else {
            let _ = channel.send(&FromViewer::Reset { stream }).await;
            return;
        };
        let tcp = match tokio::time::timeout(
            CONNECT_TIMEOUT,
            TcpStream::connect((dest.as_str(), port)),
        )
        .await
        {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(e)) => {
                tracing::warn!(destination = %host_port(&dest, port), error = %e, "cannot reach a -R destination");
                let _ = channel.send(&FromViewer::Reset { stream }).await;
                return;
            }
            Err(_) => {
                tracing::warn!(destination = %host_port(&dest, port), "reaching a -R destination timed out");
                let _ = channel.send(&FromViewer::Reset { stream }).await;
                return;
            }
        };
        if !inner
            .streams
            .start::<FromViewer>(stream, tcp, channel.clone())
        {
            tracing::debug!(stream, "the host announced a stream id in use");
            return;
        }
        let accepted = FromViewer::Accepted {
            stream,
            window: WINDOW,
        };
        if channel.send(&accepted).await.is_ok() {
            inner.streams.credit(stream, window);
        }
    });
}
