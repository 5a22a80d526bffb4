//! What each fuzz target runs: one `pub fn <target>(data: &[u8])` per decoder
//! of outside input, calling the product's own decoding functions and
//! asserting their invariants (round trips, size limits checked first, what a
//! decoded value may hold). The cargo-fuzz targets in `fuzz/` call these, and
//! `tests/replay.rs` feeds them every committed corpus and regression input,
//! so the test suite exercises exactly what is fuzzed.
//!
//! No I/O beyond what the decoders themselves do. A panic is a finding.

mod features;
mod files;
mod handshake;
mod media;
mod signal;

pub use features::feature_message;
pub use files::{secrets_file, settings_file};
pub use handshake::{handshake_host, handshake_message};
pub use media::{opus_rtp, vp8_decode, vp8_rtp};
pub use signal::{control_request, deep_link, rendezvous_frame};

use std::fmt::Debug;

/// A target's body: one input in, a panic for a finding.
pub type Body = fn(&[u8]);

/// Every target, by the name of its `fuzz/fuzz_targets/<name>.rs` and its
/// corpus folder `fuzz/corpus/<name>/`.
pub const TARGETS: &[(&str, Body)] = &[
    ("rendezvous_frame", rendezvous_frame),
    ("handshake_message", handshake_message),
    ("handshake_host", handshake_host),
    ("feature_message", feature_message),
    ("settings_file", settings_file),
    ("secrets_file", secrets_file),
    ("deep_link", deep_link),
    ("control_request", control_request),
    ("vp8_rtp", vp8_rtp),
    ("vp8_decode", vp8_decode),
    ("opus_rtp", opus_rtp),
];

/// The target called `name`.
pub fn target(name: &str) -> Option<Body> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// Records of a multi-message input: each is a big-endian `u16` length and
/// that many bytes (the last one may be cut short).
pub fn records(mut data: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        let (head, rest) = data.split_first_chunk::<2>()?;
        let n = usize::from(u16::from_be_bytes(*head)).min(rest.len());
        let (record, rest) = rest.split_at(n);
        data = rest;
        Some(record)
    })
}

/// The inverse of [`records`] (for seed corpora).
pub fn join_records<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        let n = u16::try_from(part.len()).expect("a record fits in u16");
        out.extend_from_slice(&n.to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

/// JSON bytes as a `T` (a plain function for [`assert_round_trip`]).
fn from_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    serde_json::from_slice(bytes)
}

/// A value that was read must write back to something that reads as itself.
fn assert_round_trip<T, E: Debug>(value: &T, wire: &[u8], read: impl Fn(&[u8]) -> Result<T, E>)
where
    T: PartialEq + Debug,
{
    match read(wire) {
        Ok(again) => assert_eq!(&again, value, "round trip changed the value"),
        Err(e) => panic!(
            "{value:?} wrote {:?}, which does not read back: {e:?}",
            String::from_utf8_lossy(wire)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_split_and_join() {
        let parts: [&[u8]; 3] = [b"ab", b"", b"xyz"];
        let joined = join_records(parts);
        assert_eq!(records(&joined).collect::<Vec<_>>(), parts.to_vec());
        // A cut-short record, and a lone byte that is no record.
        assert_eq!(
            records(&[0, 5, 1, 2]).collect::<Vec<_>>(),
            vec![&[1u8, 2][..]]
        );
        assert_eq!(records(&[7]).count(), 0);
    }
}
