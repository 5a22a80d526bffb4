//! VP8 encode/decode on synthetic desktop-like pictures (no display needed).

mod common;

use latchkey_media::{convert, EncoderConfig, Error, Frame, PixelFormat, Vp8Decoder, Vp8Encoder};

const W: u32 = 1280;
const H: u32 = 720;

fn picture(variant: u32) -> Frame {
    Frame::packed(W, H, PixelFormat::Rgba, common::desktop(W, H, variant)).expect("size")
}

fn encoder() -> Vp8Encoder {
    let mut cfg = EncoderConfig::new(W, H);
    cfg.bitrate_kbps = 6000;
    Vp8Encoder::new(cfg).expect("encoder")
}

#[test]
fn desktop_and_its_change_decode_above_30_db() {
    let mut enc = encoder();
    let mut dec = Vp8Decoder::new(2).expect("decoder");
    for (pts, variant) in [(0, 0), (1, 0), (2, 1), (3, 1)] {
        let src = picture(variant);
        let packets = enc
            .encode(&convert::to_i420(&src).expect("convert"), pts)
            .expect("encode");
        assert_eq!(packets.len(), 1, "real-time VP8: one packet per picture");
        assert_eq!(
            packets[0].keyframe,
            pts == 0,
            "only the first frame is a keyframe"
        );
        assert_eq!(packets[0].pts, pts);
        let out = dec
            .decode(&packets[0].data)
            .expect("decode")
            .expect("a picture");
        let psnr = src.psnr(&out).expect("same size");
        assert!(psnr >= 30.0, "frame {pts}: {psnr:.1} dB");
    }
}

#[test]
fn keyframe_on_request_and_periodic() {
    let mut enc = encoder();
    let yuv = convert::to_i420(&picture(0)).expect("convert");
    let mut keys = Vec::new();
    for pts in 0..6 {
        if pts == 3 {
            enc.request_keyframe();
        }
        let p = enc.encode(&yuv, pts).expect("encode");
        keys.push(p.iter().any(|p| p.keyframe));
    }
    assert_eq!(keys, [true, false, false, true, false, false]);

    let mut cfg = EncoderConfig::new(W, H);
    cfg.keyframe_interval = Some(3);
    let mut enc = Vp8Encoder::new(cfg).expect("encoder");
    let n = (0..9)
        .filter(|&pts| {
            enc.encode(&yuv, pts)
                .expect("encode")
                .iter()
                .any(|p| p.keyframe)
        })
        .count();
    assert!(n >= 3, "{n} keyframes in 9 frames with interval 3");
}

#[test]
fn bitrate_changes_while_encoding() {
    let mut enc = encoder();
    let mut dec = Vp8Decoder::new(1).expect("decoder");
    let mut pts = 0;
    for kbps in [6000, 300, 12000] {
        enc.set_bitrate_kbps(kbps).expect("accepted");
        assert_eq!(enc.bitrate_kbps(), kbps);
        for variant in 0..3 {
            let src = picture(variant + pts as u32);
            for p in enc
                .encode(&convert::to_i420(&src).expect("convert"), pts)
                .expect("encode")
            {
                assert!(dec.decode(&p.data).expect("decodes").is_some());
            }
            pts += 1;
        }
    }
    assert!(matches!(
        enc.set_bitrate_kbps(0),
        Err(Error::InvalidSetting(_))
    ));
    assert_eq!(enc.bitrate_kbps(), 12000);
}

#[test]
fn bad_input_is_an_error_not_a_crash() {
    let mut enc = encoder();
    let yuv = convert::to_i420(&picture(0)).expect("convert");
    enc.encode(&yuv, 5).expect("encode");
    assert!(
        matches!(enc.encode(&yuv, 5), Err(Error::InvalidSetting(_))),
        "pts must increase"
    );
    let small = latchkey_media::I420Frame::black(64, 64).expect("size");
    assert!(matches!(enc.encode(&small, 6), Err(Error::BadFrame(_))));
    assert!(Vp8Encoder::new(EncoderConfig {
        fps: 0,
        ..EncoderConfig::new(W, H)
    })
    .is_err());

    let mut dec = Vp8Decoder::new(1).expect("decoder");
    assert!(dec.decode(&[0xde, 0xad, 0xbe, 0xef, 1, 2, 3]).is_err());
    assert!(dec.decode(&[]).is_err() || dec.decode(&[]).expect("empty").is_none());
}
