//! Time as this crate sees it: whole seconds since the Unix epoch, always passed in.

use serde::{Deserialize, Serialize};

/// Seconds since 1970-01-01T00:00:00Z. The caller reads the clock; core never does.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct UnixTime(pub u64);

impl UnixTime {
    /// This time plus `secs` seconds (saturating).
    pub fn plus(self, secs: u64) -> UnixTime {
        UnixTime(self.0.saturating_add(secs))
    }

    /// Seconds from `earlier` to `self`, or 0 if `earlier` is later.
    pub fn since(self, earlier: UnixTime) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}
