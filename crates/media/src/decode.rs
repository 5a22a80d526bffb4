//! VP8 decoding through libvpx, for the viewer side and for tests.

use crate::convert;
use crate::error::{Error, Result};
use crate::frame::{Frame, I420Frame};
use crate::vpx::RawDecoder;

/// The widest or tallest picture decoded (8K UHD is 7680 x 4320).
pub const MAX_SIDE: u32 = 8192;
/// The most pixels a picture may have (8K UHD's): a keyframe may declare
/// up to 16383 x 16383, which libvpx would allocate (~800 MB) before
/// finding the data short.
pub const MAX_PIXELS: u64 = 7680 * 4320;

/// The size a VP8 keyframe declares (RFC 6386 9.1: a 3-byte frame tag
/// whose low bit is 0 for keyframes, the start code 9d 01 2a, then 14-bit
/// width and height), or `None` for a delta frame or a short packet.
pub fn keyframe_size(packet: &[u8]) -> Option<(u32, u32)> {
    if packet.len() < 10 || packet[0] & 1 != 0 || packet[3..6] != [0x9d, 0x01, 0x2a] {
        return None;
    }
    let width = u32::from(u16::from_le_bytes([packet[6], packet[7]]) & 0x3fff);
    let height = u32::from(u16::from_le_bytes([packet[8], packet[9]]) & 0x3fff);
    Some((width, height))
}

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
        check_size(packet)?;
        self.raw.decode(packet)
    }

    /// Decodes one VP8 frame to a packed RGBA [`Frame`].
    pub fn decode(&mut self, packet: &[u8]) -> Result<Option<Frame>> {
        match self.decode_i420(packet)? {
            Some(picture) => convert::to_rgba(&picture).map(Some),
            None => Ok(None),
        }
    }
}

/// Refuse a keyframe larger than [`MAX_SIDE`] / [`MAX_PIXELS`] before libvpx
/// allocates for it.
fn check_size(packet: &[u8]) -> Result<()> {
    match keyframe_size(packet) {
        Some((w, h))
            if w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS =>
        {
            Err(Error::BadFrame(format!(
                "a keyframe of {w}x{h} is larger than this viewer decodes"
            )))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyframe(w: u16, h: u16) -> Vec<u8> {
        let mut p = vec![0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a];
        p.extend_from_slice(&w.to_le_bytes());
        p.extend_from_slice(&h.to_le_bytes());
        p.extend_from_slice(&[0; 32]);
        p
    }

    #[test]
    fn keyframes_declaring_a_huge_picture_are_refused_before_decoding() {
        assert_eq!(keyframe_size(&keyframe(1920, 1080)), Some((1920, 1080)));
        assert_eq!(
            keyframe_size(&keyframe(0x3fff | 0xc000, 5)),
            Some((16383, 5))
        );
        let mut delta = keyframe(16383, 16383);
        delta[0] |= 1;
        assert_eq!(keyframe_size(&delta), None);
        assert_eq!(keyframe_size(&[0, 0, 0]), None);
        let mut d = Vp8Decoder::new(1).expect("decoder");
        let huge = d.decode_i420(&keyframe(16383, 16383));
        assert!(matches!(huge, Err(Error::BadFrame(_))), "{huge:?}");
        let tall = d.decode_i420(&keyframe(100, 9000));
        assert!(matches!(tall, Err(Error::BadFrame(_))), "{tall:?}");
        // A plausible size reaches libvpx (which finds this one corrupt).
        assert!(!matches!(
            d.decode_i420(&keyframe(640, 480)),
            Err(Error::BadFrame(_))
        ));
    }
}
