//! Keeps a received media track read while nothing else reads it.
//!
//! The WebRTC stack queues a track's packets until somebody polls it; a
//! viewer that never takes a screenshot (`connect --commands` with input and
//! clipboard only) or never records sound would fill that queue, and every
//! packet after that is dropped inside the stack. So each track gets a drain
//! task as soon as it appears, which reads and discards while no reader holds
//! the track. A reader takes it over with a [`TrackClaim`]; when the last claim
//! is dropped, the drain resumes. A reader that waits for a track not there
//! yet holds the kind's [`Readers`] while it waits, so the drain does not eat
//! the first packets (the host's first keyframe) before the reader gets them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::watch;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};

/// How many readers hold (or wait for) the tracks of one kind, shared by the
/// session and the drains of every track of that kind.
#[derive(Clone)]
pub(crate) struct Readers(Arc<watch::Sender<usize>>);

impl Readers {
    pub(crate) fn new() -> Self {
        Readers(Arc::new(watch::channel(0usize).0))
    }

    /// Keep the drains off the tracks of this kind while the claim lives.
    pub(crate) fn hold(&self) -> TrackClaim {
        self.0.send_modify(|n| *n += 1);
        TrackClaim {
            readers: self.0.clone(),
        }
    }
}

/// A track with its drain running.
#[derive(Clone)]
pub(crate) struct DrainedTrack {
    track: Arc<dyn TrackRemote>,
    /// Who holds the tracks of its kind; the drain reads only while nobody does.
    readers: Readers,
    /// Packets the drain discarded so far.
    discarded: Arc<AtomicU64>,
}

/// A reader's hold on a track: while it lives, the drain leaves the track alone.
pub struct TrackClaim {
    readers: Arc<watch::Sender<usize>>,
}

impl Drop for TrackClaim {
    fn drop(&mut self) {
        self.readers.send_modify(|n| *n = n.saturating_sub(1));
    }
}

impl DrainedTrack {
    /// Start draining `track` (on the current tokio runtime) while no reader
    /// of `readers` holds its kind; the task ends with the track or once
    /// every handle on it is gone.
    pub(crate) fn start(track: Arc<dyn TrackRemote>, readers: &Readers) -> Self {
        let idle = readers.0.subscribe();
        let drained = DrainedTrack {
            track,
            readers: readers.clone(),
            discarded: Arc::new(AtomicU64::new(0)),
        };
        tokio::spawn(drain(
            drained.track.clone(),
            idle,
            drained.discarded.clone(),
        ));
        drained
    }

    /// Take the track over from the drain: the track, the claim that keeps
    /// the drain off it, and whether the drain had discarded anything (a
    /// video reader then asks for a keyframe at once instead of waiting for
    /// the next one).
    pub(crate) fn claim(&self) -> (Arc<dyn TrackRemote>, TrackClaim, bool) {
        let claim = self.readers.hold();
        let discarded = self.discarded.load(Ordering::Relaxed) > 0;
        (self.track.clone(), claim, discarded)
    }
}

/// How long a new track's packets are left for a reader before the drain reads.
const FIRST_READ_GRACE: std::time::Duration = std::time::Duration::from_millis(500);

/// Read and discard `track`'s packets whenever no reader holds it.
async fn drain(
    track: Arc<dyn TrackRemote>,
    mut readers: watch::Receiver<usize>,
    discarded: Arc<AtomicU64>,
) {
    // A reader asked for right after the session starts (a screenshot, the
    // app's window) may claim a moment after the track appeared: leave the
    // first packets (the host's first keyframe) queued for it a little while.
    // The stack's queue holds 256 packets, seconds of a busy screen.
    let grace = tokio::time::sleep(FIRST_READ_GRACE);
    tokio::select! {
        _ = grace => {}
        r = readers.wait_for(|n| *n > 0) => if r.is_err() { return },
    }
    loop {
        // Every sender gone: the session is gone.
        if readers.wait_for(|n| *n == 0).await.is_err() {
            return;
        }
        tokio::select! {
            // A reader came: stop polling (the poll is cancel-safe: a queue
            // receive behind a lock) and wait until it is done.
            r = readers.wait_for(|n| *n > 0) => if r.is_err() { return },
            event = track.poll() => match event {
                Some(TrackRemoteEvent::OnEnded) | None => return,
                Some(_) => {
                    discarded.fetch_add(1, Ordering::Relaxed);
                }
            },
        }
    }
}
