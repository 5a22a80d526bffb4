//! One TCP connection carried as a stream of the `tcp_tunnel` channel, the
//! same on both sides: a task reads the socket and sends `data` as far as
//! the other side's credit allows (binary frames), and writes what arrives to the socket,
//! granting credit back as it goes. What arrives is queued per stream and
//! bounded by the credit granted (a peer that sends more is reset), so a
//! stalled socket holds up only its own stream.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;

use latchkey_core::feature::tunnel::{data_frame, FromHost, FromViewer, FRAME_CHUNK, WINDOW};

use crate::transport::peer::Control;

/// The messages one side sends about its streams (bytes go as binary frames).
pub(super) trait Wire: serde::Serialize + Send + Sync + 'static {
    /// More credit.
    fn credit(stream: u32, bytes: u32) -> Self;
    /// No more bytes this way.
    fn eof(stream: u32) -> Self;
    /// Over.
    fn reset(stream: u32) -> Self;
}

impl Wire for FromHost {
    fn credit(stream: u32, bytes: u32) -> Self {
        FromHost::Credit { stream, bytes }
    }
    fn eof(stream: u32) -> Self {
        FromHost::Eof { stream }
    }
    fn reset(stream: u32) -> Self {
        FromHost::Reset { stream }
    }
}

impl Wire for FromViewer {
    fn credit(stream: u32, bytes: u32) -> Self {
        FromViewer::Credit { stream, bytes }
    }
    fn eof(stream: u32) -> Self {
        FromViewer::Eof { stream }
    }
    fn reset(stream: u32) -> Self {
        FromViewer::Reset { stream }
    }
}

/// What the writing half of a stream is given.
enum ToSocket {
    Data(Vec<u8>),
    Eof,
}

/// One open stream, as the side's receiving loop sees it.
struct Entry {
    to_socket: mpsc::UnboundedSender<ToSocket>,
    /// Bytes this side may send in all (the peer's credit).
    may_send: watch::Sender<u64>,
    /// Bytes received from the peer.
    received: u64,
    /// Credit granted to the peer beyond the first [`WINDOW`].
    granted: Arc<AtomicU64>,
    task: AbortHandle,
}

/// The open streams of one side of one session.
#[derive(Clone, Default)]
pub(super) struct Streams(Arc<Mutex<HashMap<u32, Entry>>>);

/// A stream the peer broke the rules on (or that is not open): reset it.
pub(super) struct Broken;

impl Streams {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Entry>> {
        // No await while locked; a poisoned map is still the map.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many are open.
    pub fn len(&self) -> usize {
        self.map().len()
    }

    /// Carry `tcp` as stream `id`; it sends nothing until [`Streams::credit`].
    /// False (and `tcp` closed) when `id` is already open.
    #[must_use]
    pub fn start<W: Wire>(&self, id: u32, tcp: TcpStream, channel: Control) -> bool {
        let mut map = self.map();
        if map.contains_key(&id) {
            return false;
        }
        let (to_socket, from_peer) = mpsc::unbounded_channel();
        let (may_send, credit) = watch::channel(0u64);
        let granted = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(pump::<W>(
            id,
            tcp,
            channel,
            credit,
            from_peer,
            granted.clone(),
            self.clone(),
        ))
        .abort_handle();
        map.insert(
            id,
            Entry {
                to_socket,
                may_send,
                received: 0,
                granted,
                task,
            },
        );
        true
    }

    /// Bytes from the peer on `id`.
    pub fn data(&self, id: u32, bytes: Vec<u8>) -> Result<(), Broken> {
        let mut map = self.map();
        let entry = map.get_mut(&id).ok_or(Broken)?;
        entry.received += bytes.len() as u64;
        let allowed = u64::from(WINDOW) + entry.granted.load(Ordering::SeqCst);
        if entry.received > allowed || entry.to_socket.send(ToSocket::Data(bytes)).is_err() {
            if let Some(e) = map.remove(&id) {
                e.task.abort();
            }
            return Err(Broken);
        }
        Ok(())
    }

    /// The peer lets this side send `bytes` more on `id`.
    pub fn credit(&self, id: u32, bytes: u32) {
        if let Some(e) = self.map().get(&id) {
            e.may_send.send_modify(|c| *c += u64::from(bytes));
        }
    }

    /// The peer sends no more on `id`.
    pub fn eof(&self, id: u32) {
        if let Some(e) = self.map().get(&id) {
            let _ = e.to_socket.send(ToSocket::Eof);
        }
    }

    /// Stream `id` is over (its socket closes).
    pub fn reset(&self, id: u32) {
        if let Some(e) = self.map().remove(&id) {
            e.task.abort();
        }
    }

    /// Every stream is over; their ids.
    pub fn reset_all(&self) -> Vec<u32> {
        let drained: Vec<(u32, Entry)> = self.map().drain().collect();
        drained
            .into_iter()
            .map(|(id, e)| {
                e.task.abort();
                id
            })
            .collect()
    }

    /// Forget `id` (its task ended by itself).
    fn finished(&self, id: u32) {
        self.map().remove(&id);
    }
}

/// Both halves of one stream, until both ended (or one failed: reset).
async fn pump<W: Wire>(
    id: u32,
    tcp: TcpStream,
    channel: Control,
    mut credit: watch::Receiver<u64>,
    mut from_peer: mpsc::UnboundedReceiver<ToSocket>,
    granted: Arc<AtomicU64>,
    streams: Streams,
) {
    let _ = tcp.set_nodelay(true);
    let (mut rd, mut wr) = tcp.into_split();
    let channel = &channel;
    let reading = async {
        let mut sent = 0u64;
        let mut buf = vec![0u8; FRAME_CHUNK];
        loop {
            let allowed = match credit.wait_for(|c| *c > sent).await {
                Ok(c) => *c,
                Err(_) => return false,
            };
            let room = usize::try_from(allowed - sent)
                .unwrap_or(FRAME_CHUNK)
                .min(FRAME_CHUNK);
            match rd.read(&mut buf[..room]).await {
                Ok(0) => return channel.send(&W::eof(id)).await.is_ok(),
                Ok(n) => {
                    if channel.send_raw(&data_frame(id, &buf[..n])).await.is_err() {
                        return false;
                    }
                    sent += n as u64;
                }
                Err(_) => return false,
            }
        }
    };
    let writing = async {
        let mut unreported = 0u64;
        while let Some(m) = from_peer.recv().await {
            match m {
                ToSocket::Data(bytes) => {
                    if wr.write_all(&bytes).await.is_err() {
                        return false;
                    }
                    unreported += bytes.len() as u64;
                    if unreported >= u64::from(WINDOW / 4) {
                        granted.fetch_add(unreported, Ordering::SeqCst);
                        let n = u32::try_from(unreported).unwrap_or(u32::MAX);
                        if channel.send(&W::credit(id, n)).await.is_err() {
                            return false;
                        }
                        unreported = 0;
                    }
                }
                ToSocket::Eof => return wr.shutdown().await.is_ok(),
            }
        }
        false
    };
    tokio::pin!(reading, writing);
    let (mut read_done, mut write_done) = (false, false);
    let clean = loop {
        tokio::select! {
            ok = &mut reading, if !read_done => {
                if !ok { break false; }
                read_done = true;
            }
            ok = &mut writing, if !write_done => {
                if !ok { break false; }
                write_done = true;
            }
        }
        if read_done && write_done {
            break true;
        }
    };
    if !clean {
        tracing::debug!(stream = id, "tunnel stream reset");
        let _ = channel.send(&W::reset(id)).await;
    }
    streams.finished(id);
}
