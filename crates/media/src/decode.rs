//! VP8 decoding through libvpx, for the viewer side and for tests.

use crate::convert;
use crate::error::Result;
use crate::frame::{Frame, I420Frame};
use crate::vpx::RawDecoder;

/// A VP8 decoder. Feed it packets in order; a stream must start with a keyframe.
pub struct Vp8Decoder {
    raw: RawDecoder,
}

impl std::fmt::Debug for Vp8Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vp8Decoder").finish_non_exhaustive()
    }
}

impl Vp8Decoder {
    /// Creates a decoder using up to `threads` threads (at least 1).
    pub fn new(threads: u32) -> Result<Self> {
        Ok(Self {
            raw: RawDecoder::new(threads.max(1))?,
        })
    }

    /// Decodes one VP8 frame to I420. `Ok(None)` when the packet produced no
    /// picture. Corrupt data, or a delta frame before any keyframe, is an
    /// error; the caller then asks the sender for a keyframe (PLI).
    pub fn decode_i420(&mut self, packet: &[u8]) -> Result<Option<I420Frame>> {
        self.raw.decode(packet)
    }

    /// Decodes one VP8 frame to a packed RGBA [`Frame`].
    pub fn decode(&mut self, packet: &[u8]) -> Result<Option<Frame>> {
        match self.raw.decode(packet)? {
            Some(picture) => convert::to_rgba(&picture).map(Some),
            None => Ok(None),
        }
    }
}
