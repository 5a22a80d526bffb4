//! The screen as the viewer receives it: RTP packets reassembled into VP8
//! frames (`latchkey_session::features::vp8_rtp`, with the `rtc` crate's
//! RTP and VP8 payload parsers), and VP8 frames through libvpx; the host's
//! sound, RTP to PCM (`latchkey_session::features::sound`, libopus).

use bytes::Bytes;
use rtc::rtp::packet::Packet;
use rtc::shared::marshal::Unmarshal;

use latchkey_media::{convert, Vp8Decoder};
use latchkey_session::features::vp8_rtp::{Assembled, Vp8Assembler, MAX_FRAME};

/// RTP packets (the input's records), reassembled and decoded as the
/// viewer's video track does.
pub fn vp8_rtp(data: &[u8]) {
    let mut assembler = Vp8Assembler::default();
    let mut decoder = None;
    for raw in crate::records(data) {
        let Ok(packet) = Packet::unmarshal(&mut Bytes::copy_from_slice(raw)) else {
            continue;
        };
        let frame = match assembler.push(
            packet.header.sequence_number,
            packet.header.marker,
            &packet.payload,
        ) {
            Assembled::Frame(frame) => frame,
            Assembled::Pending | Assembled::NeedKeyframe => continue,
        };
        assert!(frame.len() <= MAX_FRAME);
        let decoder = match &mut decoder {
            Some(d) => d,
            None => decoder.insert(Vp8Decoder::new(1).expect("a decoder")),
        };
        if !decode(decoder, &frame) {
            assembler.decode_failed();
        }
        assert!(assembler.buffered() <= MAX_FRAME);
    }
}

/// VP8 frames (the input's records) handed to the decoder in order.
pub fn vp8_decode(data: &[u8]) {
    let mut decoder = Vp8Decoder::new(1).expect("a decoder");
    for frame in crate::records(data) {
        decode(&mut decoder, frame);
    }
}

/// Decode one frame as the viewer does, to I420 then RGBA; `false` when the
/// decoder refused it.
fn decode(decoder: &mut Vp8Decoder, frame: &[u8]) -> bool {
    match decoder.decode_i420(frame) {
        Ok(Some(picture)) => {
            let (w, h) = (picture.width() as usize, picture.height() as usize);
            assert!(w > 0 && h > 0);
            assert_eq!(picture.y().len(), w * h);
            let rgba = convert::to_rgba(&picture).expect("a decoded picture converts");
            assert_eq!(
                (rgba.width(), rgba.height()),
                (picture.width(), picture.height())
            );
            true
        }
        Ok(None) => true,
        Err(_) => false,
    }
}

/// RTP packets of the host's sound (the input's records), through the
/// viewer's depacketizer and libopus: lost frames rebuilt, silence restarted.
pub fn opus_rtp(data: &[u8]) {
    use latchkey_media::sound::{CHANNELS, FRAME};
    use latchkey_session::features::sound::{SoundDepacketizer, MAX_REBUILT};
    let mut sound = SoundDepacketizer::new().expect("a decoder");
    for raw in crate::records(data) {
        let Ok(packet) = Packet::unmarshal(&mut Bytes::copy_from_slice(raw)) else {
            continue;
        };
        let header = &packet.header;
        if let Some((_, samples)) =
            sound.push(header.sequence_number, header.timestamp, &packet.payload)
        {
            // Whole frames, at most the rebuilt ones and 120 ms (one packet's most).
            assert_eq!(samples.len() % CHANNELS, 0);
            assert!(samples.len() <= (usize::from(MAX_REBUILT) * FRAME + 5760) * CHANNELS);
        }
    }
}
