//! Binary data frames, for the features that carry bulk bytes (`files`,
//! `tcp_tunnel`): one tag byte ([`FRAME_DATA`]), a fixed head of the ids the
//! feature needs (big-endian), then the bytes, instead of base64 in JSON. A
//! JSON message starts with `{`, so one channel carries both forms, and the
//! JSON form of a `data` message ([`Payload`], base64) still reads.

use std::fmt;

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{FeatureSpec, WireError};

/// First byte of a binary `data` frame.
pub const FRAME_DATA: u8 = 0;

/// A frame of `head` and `bytes` (the caller keeps it within its feature's
/// `max_message`).
pub fn data_frame(head: &[u8], bytes: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(1 + head.len() + bytes.len());
    frame.push(FRAME_DATA);
    frame.extend_from_slice(head);
    frame.extend_from_slice(bytes);
    frame
}

/// A binary frame's fixed head and its bytes.
pub type Frame<'a, const HEAD: usize> = ([u8; HEAD], &'a [u8]);

/// The head and bytes of a binary frame of `spec`; `None` when `bytes` is
/// not one (a JSON message); an error when it is one that is shorter than
/// its head. A frame over `spec`'s limit is `None` too, and so refused by
/// [`super::parse`]'s size check, like any message.
pub fn split<'a, const HEAD: usize>(
    spec: &FeatureSpec,
    bytes: &'a [u8],
) -> Option<Result<Frame<'a, HEAD>, WireError>> {
    match bytes.split_first() {
        Some((&FRAME_DATA, rest)) if bytes.len() <= spec.max_message => {
            Some(match rest.split_first_chunk::<HEAD>() {
                Some((head, payload)) => Ok((*head, payload)),
                None => Err(WireError::Malformed { feature: spec.name }),
            })
        }
        _ => None,
    }
}

/// Bytes of a `data` message, base64 in the JSON form (bounded, like the
/// binary form, by the feature's message size, checked before parsing).
#[derive(Clone, PartialEq, Eq)]
pub struct Payload(pub Vec<u8>);

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Payload({} bytes)", self.0.len())
    }
}

impl Serialize for Payload {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Payload {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map(Payload)
            .map_err(serde::de::Error::custom)
    }
}
