//! Colour conversion between packed RGBA/BGRA frames and I420, through the
//! SIMD converters of `yuvutils-rs` (SSE/AVX2 chosen at run time).
//!
//! The matrix is BT.601 with limited ("TV") range: what VP8 decoders assume.

use yuvutils_rs::{
    BufferStoreMut, YuvConversionMode, YuvPlanarImage, YuvPlanarImageMut, YuvRange,
    YuvStandardMatrix,
};

use crate::error::{Error, Result};
use crate::frame::{Frame, I420Frame, PixelFormat};

const RANGE: YuvRange = YuvRange::Limited;
const MATRIX: YuvStandardMatrix = YuvStandardMatrix::Bt601;

fn conv_err(e: yuvutils_rs::YuvError) -> Error {
    Error::Convert(e.to_string())
}

/// Converts a captured frame to a new I420 picture.
pub fn to_i420(frame: &Frame) -> Result<I420Frame> {
    let mut out = I420Frame::black(frame.width(), frame.height())?;
    to_i420_into(frame, &mut out)?;
    Ok(out)
}

/// Converts into an existing picture of the same size, reusing its buffers
/// (the steady-state path: no allocation per frame).
pub fn to_i420_into(frame: &Frame, out: &mut I420Frame) -> Result<()> {
    if out.width() != frame.width() || out.height() != frame.height() {
        return Err(Error::BadFrame(format!(
            "I420 target {}x{} for a {}x{} frame",
            out.width(),
            out.height(),
            frame.width(),
            frame.height()
        )));
    }
    let (w, h, cw) = (out.width(), out.height(), out.chroma_width());
    let stride = u32::try_from(frame.stride())
        .map_err(|_| Error::BadFrame(format!("stride {} too large", frame.stride())))?;
    let mut planar = YuvPlanarImageMut {
        y_plane: BufferStoreMut::Borrowed(&mut out.y),
        y_stride: w,
        u_plane: BufferStoreMut::Borrowed(&mut out.u),
        u_stride: cw,
        v_plane: BufferStoreMut::Borrowed(&mut out.v),
        v_stride: cw,
        width: w,
        height: h,
    };
    let mode = YuvConversionMode::Balanced;
    match frame.format() {
        PixelFormat::Rgba => {
            yuvutils_rs::rgba_to_yuv420(&mut planar, frame.data(), stride, RANGE, MATRIX, mode)
        }
        PixelFormat::Bgra => {
            yuvutils_rs::bgra_to_yuv420(&mut planar, frame.data(), stride, RANGE, MATRIX, mode)
        }
    }
    .map_err(conv_err)
}

/// Converts an I420 picture to a packed RGBA frame (alpha 255).
pub fn to_rgba(image: &I420Frame) -> Result<Frame> {
    let (w, h, cw) = (image.width(), image.height(), image.chroma_width());
    let planar = YuvPlanarImage {
        y_plane: image.y(),
        y_stride: w,
        u_plane: image.u(),
        u_stride: cw,
        v_plane: image.v(),
        v_stride: cw,
        width: w,
        height: h,
    };
    let mut rgba = vec![0u8; w as usize * h as usize * 4];
    yuvutils_rs::yuv420_to_rgba(&planar, &mut rgba, w * 4, RANGE, MATRIX).map_err(conv_err)?;
    Frame::packed(w, h, PixelFormat::Rgba, rgba)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(w: u32, h: u32, format: PixelFormat) -> Frame {
        let mut data = Vec::with_capacity((w * h * 4) as usize);
        for y in 0..h {
            for x in 0..w {
                let (r, g, b) = (
                    (x * 255 / w) as u8,
                    (y * 255 / h) as u8,
                    ((x + y) * 255 / (w + h)) as u8,
                );
                match format {
                    PixelFormat::Rgba => data.extend_from_slice(&[r, g, b, 255]),
                    PixelFormat::Bgra => data.extend_from_slice(&[b, g, r, 255]),
                }
            }
        }
        Frame::packed(w, h, format, data).expect("test frame has the right size")
    }

    #[test]
    fn round_trip_keeps_the_picture() {
        for format in [PixelFormat::Rgba, PixelFormat::Bgra] {
            for (w, h) in [(64, 48), (33, 17), (1920, 1080)] {
                let f = gradient(w, h, format);
                let yuv = to_i420(&f).expect("convert");
                let back = to_rgba(&yuv).expect("convert back");
                let psnr = f.psnr(&back).expect("same size");
                assert!(psnr > 35.0, "{format:?} {w}x{h}: {psnr} dB");
            }
        }
    }

    #[test]
    fn flat_colours_survive_exactly_enough() {
        let f = Frame::packed(16, 16, PixelFormat::Rgba, [200u8, 30, 90, 255].repeat(256))
            .expect("size");
        let back = to_rgba(&to_i420(&f).expect("convert")).expect("back");
        let px = back.rgba_at(5, 5).expect("inside");
        for (a, b) in px.iter().zip([200u8, 30, 90, 255]) {
            assert!(a.abs_diff(b) <= 2, "{px:?}");
        }
    }

    #[test]
    fn size_mismatch_is_an_error() {
        let f = gradient(16, 16, PixelFormat::Rgba);
        let mut out = I420Frame::black(8, 8).expect("size");
        assert!(matches!(
            to_i420_into(&f, &mut out),
            Err(Error::BadFrame(_))
        ));
    }
}
