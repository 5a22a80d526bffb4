//! The crate's only `unsafe` code: a thin, safe wrapper over Debian's libvpx
//! (VP8 encoder and decoder) through the raw `env-libvpx-sys` bindings.
//!
//! Why raw bindings: `vpx-encode` cannot change the bitrate or force a
//! keyframe and has no decoder, and `vpx-rs` cannot change the bitrate while
//! encoding (`vpx_codec_enc_config_set`). Everything here is a handful of
//! libvpx calls; the public, documented API is in `encode.rs` and `decode.rs`.
//!
//! Safety rules kept by this module:
//! - each context lives in a `Box` (never moves after init) and is destroyed
//!   exactly once, in `Drop`, and only if init succeeded;
//! - an image handed to `vpx_codec_encode` only borrows the caller's planes for
//!   the duration of the call (VP8 copies the source into its own buffers);
//! - packet and decoded-image pointers are read before the next libvpx call on
//!   the same context, as the libvpx docs require, and copied out.
#![allow(unsafe_code)]

use std::ffi::CStr;
use std::mem::MaybeUninit;
use std::os::raw::{c_int, c_uint, c_ulong};

use vpx_sys as sys;

use crate::error::{Error, Result};
use crate::frame::I420Frame;

/// Encoder settings that libvpx needs at init; see `encode::EncoderConfig` for their meaning.
pub(crate) struct RawEncoderParams {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub bitrate_kbps: u32,
    pub keyframe_interval: Option<u32>,
    pub threads: u32,
    pub cpu_used: i32,
    pub screen_content: bool,
}

/// One compressed frame, copied out of libvpx.
pub(crate) struct RawPacket {
    pub data: Vec<u8>,
    pub keyframe: bool,
    pub pts: i64,
}

fn error_of(ctx: &mut sys::vpx_codec_ctx_t, op: &'static str) -> Error {
    // SAFETY: ctx is an initialised (or at least zeroed) context; libvpx
    // returns static or context-owned NUL-terminated strings, or null.
    let detail = unsafe {
        let msg = sys::vpx_codec_error(ctx);
        let det = sys::vpx_codec_error_detail(ctx);
        let mut s = if msg.is_null() {
            String::from("unknown error")
        } else {
            CStr::from_ptr(msg).to_string_lossy().into_owned()
        };
        if !det.is_null() {
            s.push_str(": ");
            s.push_str(&CStr::from_ptr(det).to_string_lossy());
        }
        s
    };
    Error::Codec { op, detail }
}

fn check(
    ctx: &mut sys::vpx_codec_ctx_t,
    err: sys::vpx_codec_err_t,
    op: &'static str,
) -> Result<()> {
    if err == sys::vpx_codec_err_t::VPX_CODEC_OK {
        Ok(())
    } else {
        Err(error_of(ctx, op))
    }
}

fn zeroed_ctx() -> Box<sys::vpx_codec_ctx_t> {
    // SAFETY: vpx_codec_ctx_t is a plain C struct of pointers and integers for
    // which all-zero is the documented "not yet initialised" state.
    Box::new(unsafe { MaybeUninit::<sys::vpx_codec_ctx_t>::zeroed().assume_init() })
}

/// A live VP8 encoder context.
pub(crate) struct RawEncoder {
    ctx: Box<sys::vpx_codec_ctx_t>,
    /// Kept so the bitrate can be changed with `vpx_codec_enc_config_set`.
    cfg: Box<sys::vpx_codec_enc_cfg_t>,
}

// SAFETY: a libvpx context has no thread affinity; it is only used through
// `&mut self`, so never from two threads at once.
unsafe impl Send for RawEncoder {}

impl RawEncoder {
    pub fn new(p: &RawEncoderParams) -> Result<Self> {
        let fps =
            c_int::try_from(p.fps).map_err(|_| Error::InvalidSetting(format!("fps {}", p.fps)))?;
        // SAFETY: all-zero is a valid value for this plain C config struct; it
        // is filled by vpx_codec_enc_config_default right below.
        let mut cfg: Box<sys::vpx_codec_enc_cfg_t> =
            Box::new(unsafe { MaybeUninit::zeroed().assume_init() });
        let mut ctx = zeroed_ctx();
        // SAFETY: iface is a static libvpx object; cfg points to writable memory.
        let err =
            unsafe { sys::vpx_codec_enc_config_default(sys::vpx_codec_vp8_cx(), &mut *cfg, 0) };
        check(&mut ctx, err, "vpx_codec_enc_config_default")?;

        cfg.g_w = p.width;
        cfg.g_h = p.height;
        // STACK-NOTES: time base [1, fps] with pts = frame index; a 1 ms time base starves rate control.
        cfg.g_timebase = sys::vpx_rational { num: 1, den: fps };
        cfg.g_threads = p.threads;
        cfg.g_lag_in_frames = 0; // real time: no look-ahead
        cfg.g_error_resilient = 0;
        cfg.g_pass = sys::vpx_enc_pass::VPX_RC_ONE_PASS;
        cfg.rc_end_usage = sys::vpx_rc_mode::VPX_CBR;
        cfg.rc_target_bitrate = p.bitrate_kbps;
        cfg.rc_min_quantizer = 2;
        cfg.rc_max_quantizer = 56;
        cfg.rc_undershoot_pct = 100;
        cfg.rc_overshoot_pct = 15;
        cfg.rc_buf_initial_sz = 500;
        cfg.rc_buf_optimal_sz = 600;
        cfg.rc_buf_sz = 1000;
        // Never drop frames in the encoder: the damage tracker already skips idle frames.
        cfg.rc_dropframe_thresh = 0;
        cfg.rc_resize_allowed = 0;
        match p.keyframe_interval {
            Some(n) => {
                cfg.kf_mode = sys::vpx_kf_mode::VPX_KF_AUTO;
                cfg.kf_min_dist = 0;
                cfg.kf_max_dist = n;
            }
            None => {
                cfg.kf_mode = sys::vpx_kf_mode::VPX_KF_DISABLED;
                cfg.kf_max_dist = u32::MAX / 2;
            }
        }
        // SAFETY: ctx is zeroed and boxed (stable address); cfg is valid and
        // outlives the call (libvpx copies it).
        let err = unsafe {
            sys::vpx_codec_enc_init_ver(
                &mut *ctx,
                sys::vpx_codec_vp8_cx(),
                &*cfg,
                0,
                sys::VPX_ENCODER_ABI_VERSION as c_int,
            )
        };
        check(&mut ctx, err, "vpx_codec_enc_init")?;
        let mut enc = Self { ctx, cfg };
        enc.control(sys::vp8e_enc_control_id::VP8E_SET_CPUUSED, p.cpu_used)?;
        enc.control(sys::vp8e_enc_control_id::VP8E_SET_STATIC_THRESHOLD, 1)?;
        enc.control(sys::vp8e_enc_control_id::VP8E_SET_NOISE_SENSITIVITY, 0)?;
        enc.control(sys::vp8e_enc_control_id::VP8E_SET_TOKEN_PARTITIONS, 0)?;
        if p.screen_content {
            enc.control(sys::vp8e_enc_control_id::VP8E_SET_SCREEN_CONTENT_MODE, 1)?;
        }
        Ok(enc)
    }

    fn control(&mut self, id: sys::vp8e_enc_control_id, value: c_int) -> Result<()> {
        // SAFETY: ctx is initialised; these VP8E_SET_* controls take one int.
        let err = unsafe { sys::vpx_codec_control_(&mut *self.ctx, id as c_int, value) };
        check(&mut self.ctx, err, "vpx_codec_control")
    }

    pub fn set_bitrate(&mut self, kbps: u32) -> Result<()> {
        let old = self.cfg.rc_target_bitrate;
        self.cfg.rc_target_bitrate = kbps;
        // SAFETY: ctx is initialised; cfg is the config it was created with,
        // with only the bitrate changed.
        let err = unsafe { sys::vpx_codec_enc_config_set(&mut *self.ctx, &*self.cfg) };
        let res = check(&mut self.ctx, err, "vpx_codec_enc_config_set");
        if res.is_err() {
            self.cfg.rc_target_bitrate = old;
        }
        res
    }

    pub fn encode(&mut self, img: &I420Frame, pts: i64, keyframe: bool) -> Result<Vec<RawPacket>> {
        if img.width() != self.cfg.g_w || img.height() != self.cfg.g_h {
            return Err(Error::BadFrame(format!(
                "{}x{} picture for a {}x{} encoder",
                img.width(),
                img.height(),
                self.cfg.g_w,
                self.cfg.g_h
            )));
        }
        // SAFETY: all-zero is valid for vpx_image_t; vpx_img_wrap fills the
        // geometry for an I420 picture whose luma starts at the given pointer,
        // then we point the chroma planes at our separate buffers. libvpx only
        // reads the planes during vpx_codec_encode.
        let err = unsafe {
            let mut raw = MaybeUninit::<sys::vpx_image_t>::zeroed().assume_init();
            let wrapped = sys::vpx_img_wrap(
                &mut raw,
                sys::vpx_img_fmt::VPX_IMG_FMT_I420,
                img.width() as c_uint,
                img.height() as c_uint,
                1,
                img.y().as_ptr().cast_mut(),
            );
            if wrapped.is_null() {
                return Err(Error::Codec {
                    op: "vpx_img_wrap",
                    detail: "refused the picture geometry".into(),
                });
            }
            raw.planes[0] = img.y().as_ptr().cast_mut();
            raw.planes[1] = img.u().as_ptr().cast_mut();
            raw.planes[2] = img.v().as_ptr().cast_mut();
            raw.stride[0] = img.width() as c_int;
            raw.stride[1] = img.chroma_width() as c_int;
            raw.stride[2] = img.chroma_width() as c_int;
            let flags = if keyframe {
                sys::VPX_EFLAG_FORCE_KF as sys::vpx_enc_frame_flags_t
            } else {
                0
            };
            sys::vpx_codec_encode(
                &mut *self.ctx,
                &raw,
                pts,
                1,
                flags,
                sys::VPX_DL_REALTIME as c_ulong,
            )
        };
        check(&mut self.ctx, err, "vpx_codec_encode")?;
        let mut out = Vec::new();
        let mut iter: sys::vpx_codec_iter_t = std::ptr::null();
        loop {
            // SAFETY: ctx is initialised; iter starts null and is only advanced by libvpx.
            let pkt = unsafe { sys::vpx_codec_get_cx_data(&mut *self.ctx, &mut iter) };
            if pkt.is_null() {
                break;
            }
            // SAFETY: non-null packets are valid until the next call on this
            // context; for a frame packet, `data.frame` is the active union
            // member and `buf` holds `sz` bytes, copied out here.
            unsafe {
                if (*pkt).kind == sys::vpx_codec_cx_pkt_kind::VPX_CODEC_CX_FRAME_PKT {
                    let f = (*pkt).data.frame;
                    let data = if f.buf.is_null() || f.sz == 0 {
                        Vec::new()
                    } else {
                        std::slice::from_raw_parts(f.buf as *const u8, f.sz as usize).to_vec()
                    };
                    out.push(RawPacket {
                        data,
                        keyframe: f.flags & sys::VPX_FRAME_IS_KEY != 0,
                        pts: f.pts,
                    });
                }
            }
        }
        Ok(out)
    }
}

impl Drop for RawEncoder {
    fn drop(&mut self) {
        // SAFETY: ctx was initialised (construction fails otherwise) and is destroyed once.
        unsafe {
            sys::vpx_codec_destroy(&mut *self.ctx);
        }
    }
}

/// A live VP8 decoder context.
pub(crate) struct RawDecoder {
    ctx: Box<sys::vpx_codec_ctx_t>,
}

// SAFETY: as for RawEncoder.
unsafe impl Send for RawDecoder {}

impl RawDecoder {
    pub fn new(threads: u32) -> Result<Self> {
        let mut ctx = zeroed_ctx();
        let cfg = sys::vpx_codec_dec_cfg {
            threads,
            w: 0,
            h: 0,
        };
        // SAFETY: ctx is zeroed and boxed; cfg outlives the call.
        let err = unsafe {
            sys::vpx_codec_dec_init_ver(
                &mut *ctx,
                sys::vpx_codec_vp8_dx(),
                &cfg,
                0,
                sys::VPX_DECODER_ABI_VERSION as c_int,
            )
        };
        check(&mut ctx, err, "vpx_codec_dec_init")?;
        Ok(Self { ctx })
    }

    /// Decodes one compressed frame; returns the last picture it produced, if any.
    pub fn decode(&mut self, data: &[u8]) -> Result<Option<I420Frame>> {
        let len = c_uint::try_from(data.len())
            .map_err(|_| Error::BadFrame(format!("{} byte packet", data.len())))?;
        // SAFETY: ctx is initialised; data is valid for len bytes during the call.
        let err = unsafe {
            sys::vpx_codec_decode(&mut *self.ctx, data.as_ptr(), len, std::ptr::null_mut(), 0)
        };
        check(&mut self.ctx, err, "vpx_codec_decode")?;
        let mut last = None;
        let mut iter: sys::vpx_codec_iter_t = std::ptr::null();
        loop {
            // SAFETY: ctx is initialised; iter starts null.
            let img = unsafe { sys::vpx_codec_get_frame(&mut *self.ctx, &mut iter) };
            if img.is_null() {
                break;
            }
            // SAFETY: a non-null image is valid until the next decode call;
            // we copy it out row by row within the bounds libvpx reports.
            last = Some(unsafe { copy_image(&*img)? });
        }
        Ok(last)
    }
}

/// Copies an I420 `vpx_image_t` into an owned, packed picture.
///
/// # Safety
/// `img` must be a valid image returned by libvpx whose planes hold
/// `d_h` (luma) / `ceil(d_h/2)` (chroma) rows of their stride.
unsafe fn copy_image(img: &sys::vpx_image_t) -> Result<I420Frame> {
    if img.fmt != sys::vpx_img_fmt::VPX_IMG_FMT_I420 {
        return Err(Error::Codec {
            op: "vpx_codec_get_frame",
            detail: format!("unexpected image format {:?}", img.fmt),
        });
    }
    let (w, h) = (img.d_w as usize, img.d_h as usize);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let plane = |i: usize, pw: usize, ph: usize| -> Result<Vec<u8>> {
        let stride = usize::try_from(img.stride[i]).map_err(|_| Error::Codec {
            op: "vpx_codec_get_frame",
            detail: "negative stride".into(),
        })?;
        let mut out = Vec::with_capacity(pw * ph);
        for row in 0..ph {
            // SAFETY: guaranteed by the caller (see the function's contract).
            let src = unsafe { std::slice::from_raw_parts(img.planes[i].add(row * stride), pw) };
            out.extend_from_slice(src);
        }
        Ok(out)
    };
    let (y, u, v) = (plane(0, w, h)?, plane(1, cw, ch)?, plane(2, cw, ch)?);
    I420Frame::from_planes(img.d_w, img.d_h, y, u, v)
}

impl Drop for RawDecoder {
    fn drop(&mut self) {
        // SAFETY: ctx was initialised and is destroyed once.
        unsafe {
            sys::vpx_codec_destroy(&mut *self.ctx);
        }
    }
}
