//! The viewer's RTP-to-VP8 reassembly: the screen track's RTP payloads in,
//! whole VP8 frames out. Pure (no track, no decoder), so the video feature,
//! its tests and the fuzz targets feed it packets directly.

use bytes::Bytes;
use rtc::rtp::codec::vp8::Vp8Packet;
use rtc::rtp::packetizer::Depacketizer;

/// Largest VP8 frame reassembled, in bytes (a 1080p keyframe is ~0.6 MB):
/// a sender that never ends a frame (no marker bit) cannot make the viewer
/// buffer more; such a frame is dropped as lost.
pub const MAX_FRAME: usize = 16 * 1024 * 1024;

/// What one packet led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assembled {
    /// Nothing to do yet (mid-frame, or a packet that could not be read).
    Pending,
    /// A whole frame for the decoder.
    Frame(Vec<u8>),
    /// A frame was lost, or no keyframe has been seen yet: ask for a keyframe.
    NeedKeyframe,
}

/// Reassembles VP8 frames from RTP packets in arrival order.
#[derive(Debug, Default)]
pub struct Vp8Assembler {
    frame: Vec<u8>,
    /// Whether the frame being assembled lost a packet (drop it, ask for a keyframe).
    broken: bool,
    last_seq: Option<u16>,
    seen_keyframe: bool,
}

impl Vp8Assembler {
    /// Take one packet: its sequence number, marker bit and payload.
    pub fn push(&mut self, seq: u16, marker: bool, payload: &Bytes) -> Assembled {
        if let Some(last) = self.last_seq {
            if seq.wrapping_sub(last) != 1 {
                self.broken = true;
            }
        }
        self.last_seq = Some(seq);
        let mut depacketizer = Vp8Packet::default();
        let Ok(data) = depacketizer.depacketize(payload) else {
            self.broken = true;
            return Assembled::Pending;
        };
        if depacketizer.is_partition_head(payload) {
            self.frame.clear();
            self.broken = false;
        }
        if self.frame.len() + data.len() > MAX_FRAME {
            self.frame = Vec::new();
            self.broken = true;
        } else {
            self.frame.extend_from_slice(&data);
        }
        if !marker {
            return Assembled::Pending;
        }
        let keyframe = self.frame.first().is_some_and(|b| b & 0x01 == 0);
        if self.broken || (!self.seen_keyframe && !keyframe) {
            self.frame.clear();
            self.broken = false;
            return Assembled::NeedKeyframe;
        }
        self.seen_keyframe |= keyframe;
        Assembled::Frame(std::mem::take(&mut self.frame))
    }

    /// The decoder refused the last frame: wait for a keyframe again.
    pub fn decode_failed(&mut self) {
        self.seen_keyframe = false;
    }

    /// Bytes of the frame being assembled (never more than [`MAX_FRAME`]).
    pub fn buffered(&self) -> usize {
        self.frame.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A VP8 payload descriptor (S bit when `start`) followed by `data`.
    fn packet(start: bool, data: &[u8]) -> Bytes {
        let mut p = vec![if start { 0x10 } else { 0x00 }];
        p.extend_from_slice(data);
        Bytes::from(p)
    }

    #[test]
    fn a_frame_in_two_packets_comes_out_whole() {
        let mut a = Vp8Assembler::default();
        // A keyframe starts with a frame tag whose low bit is 0.
        assert_eq!(
            a.push(7, false, &packet(true, &[0x10, 1, 2])),
            Assembled::Pending
        );
        assert_eq!(
            a.push(8, true, &packet(false, &[3, 4, 5])),
            Assembled::Frame(vec![0x10, 1, 2, 3, 4, 5])
        );
        // A delta frame after it is passed on too.
        assert_eq!(
            a.push(9, true, &packet(true, &[0x11, 9, 9])),
            Assembled::Frame(vec![0x11, 9, 9])
        );
    }

    #[test]
    fn a_gap_or_a_delta_frame_first_asks_for_a_keyframe() {
        let mut a = Vp8Assembler::default();
        assert_eq!(
            a.push(1, true, &packet(true, &[0x11, 0, 0])),
            Assembled::NeedKeyframe
        );
        assert_eq!(
            a.push(2, false, &packet(true, &[0x10, 0, 0])),
            Assembled::Pending
        );
        assert_eq!(
            a.push(4, true, &packet(false, &[1, 1, 1])),
            Assembled::NeedKeyframe
        );
        assert_eq!(
            a.push(5, true, &packet(true, &[0x10, 2, 2])),
            Assembled::Frame(vec![0x10, 2, 2])
        );
        a.decode_failed();
        assert_eq!(
            a.push(6, true, &packet(true, &[0x11, 0, 0])),
            Assembled::NeedKeyframe
        );
    }

    /// A frame that never ends stops growing at the cap and is dropped.
    #[test]
    fn a_frame_without_an_end_is_bounded() {
        let mut a = Vp8Assembler::default();
        let chunk = vec![0x10u8; 1200];
        let mut seq = 0u16;
        assert_eq!(
            a.push(seq, false, &packet(true, &chunk)),
            Assembled::Pending
        );
        for _ in 0..(MAX_FRAME / 1200 + 10) {
            seq = seq.wrapping_add(1);
            assert_eq!(
                a.push(seq, false, &packet(false, &chunk)),
                Assembled::Pending
            );
            assert!(a.buffered() <= MAX_FRAME);
        }
        seq = seq.wrapping_add(1);
        assert_eq!(
            a.push(seq, true, &packet(false, &chunk)),
            Assembled::NeedKeyframe
        );
        assert_eq!(a.buffered(), 0);
    }
}
