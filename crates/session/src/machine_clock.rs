//! Wall-clock time for core's sans-I/O state machines (the handshakes): the
//! machines take time as a whole-second `UnixTime` and ask for deadlines in
//! it; this turns a deadline into a tokio wait measured from when the machine
//! was last fed, and picks the time to feed it with.

use std::time::Duration;

use latchkey_core::UnixTime;
use latchkey_store::config::now;
use tokio::time::Instant;

/// When a machine was last fed, on both clocks.
pub(crate) struct MachineClock {
    fed_at: UnixTime,
    fed_instant: Instant,
}

impl MachineClock {
    /// Start counting now.
    pub(crate) fn start() -> Self {
        MachineClock {
            fed_at: now(),
            fed_instant: Instant::now(),
        }
    }

    /// Wait until `deadline` (forever without one).
    pub(crate) async fn until(&self, deadline: Option<UnixTime>) {
        match deadline {
            Some(d) => {
                let wake = self.fed_instant + Duration::from_secs(d.since(self.fed_at));
                tokio::time::sleep_until(wake).await
            }
            None => std::future::pending().await,
        }
    }

    /// The time to feed the machine with now, recorded as its last feed.
    /// `fired` is the deadline whose timer just fired: the machine sees at
    /// least that, whatever the whole-second clock says.
    pub(crate) fn feed(&mut self, fired: Option<UnixTime>) -> UnixTime {
        let at = match fired {
            Some(d) => now().max(d),
            None => now(),
        };
        self.fed_at = at;
        self.fed_instant = Instant::now();
        at
    }
}
