//! Pixel conversion: from the shm layouts a compositor writes to packed BGRA,
//! with rows in top-to-bottom order. Pure functions, unit-tested below.

use crate::error::{Error, Result};

/// A rectangle in frame pixels (origin top-left).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl Rect {
    /// Whether the pixel at (`px`, `py`) lies inside.
    pub fn contains(&self, px: u32, py: u32) -> bool {
        px >= self.x
            && py >= self.y
            && u64::from(px) < u64::from(self.x) + u64::from(self.width)
            && u64::from(py) < u64::from(self.y) + u64::from(self.height)
    }

    /// Its area in pixels.
    pub fn area(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

/// Where blue, green and red sit in one 4-byte pixel of a shm format (the fourth
/// byte is alpha or unused and is ignored: frames are opaque).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    b: usize,
    g: usize,
    r: usize,
}

/// `wl_shm` format codes: 0 and 1 are ARGB8888/XRGB8888, the rest are DRM fourccs.
const fn fourcc(code: &[u8; 4]) -> u32 {
    (code[0] as u32) | (code[1] as u32) << 8 | (code[2] as u32) << 16 | (code[3] as u32) << 24
}

/// The byte layout of a 32-bit shm format, or `None` for formats not handled.
///
/// DRM formats name channels from the most significant bit of a little-endian
/// 32-bit word, so ARGB8888 is stored as the bytes B, G, R, A.
pub(crate) fn layout(format: u32) -> Option<Layout> {
    const ARGB8888: u32 = 0;
    const XRGB8888: u32 = 1;
    let bgr = |b, g, r| Some(Layout { b, g, r });
    match format {
        ARGB8888 | XRGB8888 => bgr(0, 1, 2),
        f if f == fourcc(b"AR24") || f == fourcc(b"XR24") => bgr(0, 1, 2),
        f if f == fourcc(b"AB24") || f == fourcc(b"XB24") => bgr(2, 1, 0),
        f if f == fourcc(b"RA24") || f == fourcc(b"RX24") => bgr(1, 2, 3),
        f if f == fourcc(b"BA24") || f == fourcc(b"BX24") => bgr(3, 2, 1),
        _ => None,
    }
}

/// Converts `height` rows of `stride` bytes in `format` into packed BGRA
/// (stride `width * 4`, alpha 255), flipping rows when `y_invert`.
pub(crate) fn to_bgra(
    src: &[u8],
    width: u32,
    height: u32,
    stride: usize,
    format: u32,
    y_invert: bool,
) -> Result<Vec<u8>> {
    let layout = layout(format).ok_or(Error::UnsupportedFormat(format))?;
    let row = width as usize * 4;
    if width == 0 || height == 0 || stride < row {
        return Err(Error::BadGeometry(format!(
            "{width}x{height} with stride {stride}"
        )));
    }
    let need = stride
        .checked_mul(height as usize)
        .ok_or_else(|| Error::BadGeometry(format!("{width}x{height} overflows")))?;
    if src.len() < need {
        return Err(Error::BadGeometry(format!(
            "{} bytes for {height} rows of {stride}",
            src.len()
        )));
    }
    let mut out = vec![0u8; row * height as usize];
    for (y, dst_row) in out.chunks_exact_mut(row).enumerate() {
        let src_y = if y_invert { height as usize - 1 - y } else { y };
        let src_row = &src[src_y * stride..src_y * stride + row];
        if layout == (Layout { b: 0, g: 1, r: 2 }) {
            dst_row.copy_from_slice(src_row);
            for px in dst_row.chunks_exact_mut(4) {
                px[3] = 255;
            }
        } else {
            for (d, s) in dst_row.chunks_exact_mut(4).zip(src_row.chunks_exact(4)) {
                d[0] = s[layout.b];
                d[1] = s[layout.g];
                d[2] = s[layout.r];
                d[3] = 255;
            }
        }
    }
    Ok(out)
}

/// Clips a damage box the compositor sent to the frame and flips it with the rows
/// when `y_invert`; `None` when nothing of it lies inside the frame.
pub(crate) fn damage_rect(
    x: u32,
    y: u32,
    w: u32,
    h: u32,
    width: u32,
    height: u32,
    y_invert: bool,
) -> Option<Rect> {
    if x >= width || y >= height {
        return None;
    }
    let w = w.min(width - x);
    let h = h.min(height - y);
    if w == 0 || h == 0 {
        return None;
    }
    let y = if y_invert { height - y - h } else { y };
    Some(Rect {
        x,
        y,
        width: w,
        height: h,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two pixels in one row, in a format's byte order: (r, g, b) = (1, 2, 3) and (4, 5, 6).
    fn two_pixels(format: u32) -> Vec<u8> {
        let l = layout(format).expect("handled format");
        let mut v = vec![0xEEu8; 8];
        for (i, (r, g, b)) in [(1u8, 2u8, 3u8), (4, 5, 6)].into_iter().enumerate() {
            v[i * 4 + l.r] = r;
            v[i * 4 + l.g] = g;
            v[i * 4 + l.b] = b;
        }
        v
    }

    #[test]
    fn every_handled_format_becomes_bgra() {
        for code in [
            0,
            1,
            fourcc(b"AR24"),
            fourcc(b"XR24"),
            fourcc(b"AB24"),
            fourcc(b"XB24"),
            fourcc(b"RA24"),
            fourcc(b"RX24"),
            fourcc(b"BA24"),
            fourcc(b"BX24"),
        ] {
            let out = to_bgra(&two_pixels(code), 2, 1, 8, code, false).expect("converts");
            assert_eq!(out, [3, 2, 1, 255, 6, 5, 4, 255], "format {code:#x}");
        }
    }

    #[test]
    fn xbgr_bytes_are_swapped_to_bgra() {
        // XBGR8888 is stored R, G, B, X.
        let src = [10, 20, 30, 0];
        let out = to_bgra(&src, 1, 1, 4, fourcc(b"XB24"), false).expect("converts");
        assert_eq!(out, [30, 20, 10, 255]);
    }

    #[test]
    fn padded_rows_are_packed_and_y_invert_flips_them() {
        // 1x3 image, stride 8 (4 bytes of padding per row), XRGB8888.
        let src = [
            1, 1, 1, 0, 9, 9, 9, 9, //
            2, 2, 2, 0, 9, 9, 9, 9, //
            3, 3, 3, 0, 9, 9, 9, 9,
        ];
        let up = to_bgra(&src, 1, 3, 8, 1, false).expect("converts");
        assert_eq!(up, [1, 1, 1, 255, 2, 2, 2, 255, 3, 3, 3, 255]);
        let flipped = to_bgra(&src, 1, 3, 8, 1, true).expect("converts");
        assert_eq!(flipped, [3, 3, 3, 255, 2, 2, 2, 255, 1, 1, 1, 255]);
    }

    #[test]
    fn short_buffers_and_unknown_formats_are_refused() {
        assert!(matches!(
            to_bgra(&[0; 7], 2, 1, 8, 1, false),
            Err(Error::BadGeometry(_))
        ));
        assert!(matches!(
            to_bgra(&[0; 8], 2, 1, 4, 1, false),
            Err(Error::BadGeometry(_))
        ));
        // RGB565 is a 16-bit format.
        assert!(matches!(
            to_bgra(&[0; 8], 2, 1, 8, fourcc(b"RG16"), false),
            Err(Error::UnsupportedFormat(_))
        ));
    }

    #[test]
    fn damage_is_clipped_and_flipped_with_the_rows() {
        assert_eq!(
            damage_rect(10, 0, 20, 5, 100, 50, false),
            Some(Rect {
                x: 10,
                y: 0,
                width: 20,
                height: 5
            })
        );
        // The top five rows of the buffer are the bottom five of the picture.
        assert_eq!(
            damage_rect(10, 0, 20, 5, 100, 50, true),
            Some(Rect {
                x: 10,
                y: 45,
                width: 20,
                height: 5
            })
        );
        assert_eq!(
            damage_rect(90, 40, 50, 50, 100, 50, false),
            Some(Rect {
                x: 90,
                y: 40,
                width: 10,
                height: 10
            })
        );
        assert_eq!(damage_rect(100, 0, 5, 5, 100, 50, false), None);
        assert_eq!(damage_rect(0, 0, 0, 5, 100, 50, false), None);
    }

    #[test]
    fn rect_contains_its_pixels_only() {
        let r = Rect {
            x: 2,
            y: 3,
            width: 2,
            height: 1,
        };
        assert!(r.contains(2, 3) && r.contains(3, 3));
        assert!(!r.contains(4, 3) && !r.contains(2, 4) && !r.contains(1, 3));
        assert_eq!(r.area(), 2);
    }
}
