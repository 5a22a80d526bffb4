//! Owned frame types handed between capture, conversion and the codec.

use crate::error::{Error, Result};

/// Byte order of a 4-byte-per-pixel [`Frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PixelFormat {
    /// Blue, green, red, alpha (X11's native ZPixmap order on little-endian).
    Bgra,
    /// Red, green, blue, alpha (what `xcap` and the decoder produce).
    Rgba,
}

/// An owned, packed 4-byte-per-pixel image: a captured screen or a decoded picture.
///
/// Invariants (checked by [`Frame::new`]): `width > 0`, `height > 0`,
/// `stride >= width * 4` and `data` holds at least `height` rows of `stride` bytes
/// (the last row may be just `width * 4` long).
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    width: u32,
    height: u32,
    /// Bytes from one row to the next; lets a capture source hand over padded rows without copying.
    stride: usize,
    format: PixelFormat,
    data: Vec<u8>,
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frame")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("stride", &self.stride)
            .field("format", &self.format)
            .field("data_len", &self.data.len())
            .finish()
    }
}

impl Frame {
    /// Wraps `data` after checking its size against the geometry.
    pub fn new(
        width: u32,
        height: u32,
        stride: usize,
        format: PixelFormat,
        data: Vec<u8>,
    ) -> Result<Self> {
        if width == 0 || height == 0 {
            return Err(Error::BadFrame(format!("empty frame {width}x{height}")));
        }
        let row = width as usize * 4;
        if stride < row {
            return Err(Error::BadFrame(format!(
                "stride {stride} shorter than a row of {row} bytes"
            )));
        }
        let need = stride
            .checked_mul(height as usize - 1)
            .and_then(|n| n.checked_add(row))
            .ok_or_else(|| {
                Error::BadFrame(format!("{width}x{height} (stride {stride}) overflows"))
            })?;
        if data.len() < need {
            return Err(Error::BadFrame(format!(
                "{} bytes for {width}x{height} (stride {stride}) needs {need}",
                data.len()
            )));
        }
        Ok(Self {
            width,
            height,
            stride,
            format,
            data,
        })
    }

    /// A packed (stride = width * 4) frame.
    pub fn packed(width: u32, height: u32, format: PixelFormat, data: Vec<u8>) -> Result<Self> {
        Self::new(width, height, width as usize * 4, format, data)
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }
    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }
    /// Bytes between the starts of two rows.
    pub fn stride(&self) -> usize {
        self.stride
    }
    /// Channel order.
    pub fn format(&self) -> PixelFormat {
        self.format
    }
    /// The raw bytes (rows of `stride` bytes).
    pub fn data(&self) -> &[u8] {
        &self.data
    }
    /// Gives the buffer back, e.g. to reuse it.
    pub fn into_data(self) -> Vec<u8> {
        self.data
    }

    /// The raw bytes, for a capture source that patches changed areas in place.
    pub(crate) fn data_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }

    /// Row `y` without its padding (`width * 4` bytes). Panics if `y >= height`.
    pub fn row(&self, y: u32) -> &[u8] {
        let start = y as usize * self.stride;
        &self.data[start..start + self.width as usize * 4]
    }

    /// The pixel at (x, y) as `[r, g, b, a]`, whatever the storage order.
    /// `None` outside the frame.
    pub fn rgba_at(&self, x: u32, y: u32) -> Option<[u8; 4]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = y as usize * self.stride + x as usize * 4;
        let p = self.data.get(i..i + 4)?;
        Some(match self.format {
            PixelFormat::Rgba => [p[0], p[1], p[2], p[3]],
            PixelFormat::Bgra => [p[2], p[1], p[0], p[3]],
        })
    }

    /// Peak signal-to-noise ratio in dB over the R, G and B channels (alpha
    /// ignored), comparing `self` with `other` pixel by pixel. Identical frames
    /// give `f64::INFINITY`. Both must have the same size; formats may differ.
    pub fn psnr(&self, other: &Frame) -> Result<f64> {
        if self.width != other.width || self.height != other.height {
            return Err(Error::BadFrame(format!(
                "psnr of {}x{} against {}x{}",
                self.width, self.height, other.width, other.height
            )));
        }
        let order = |f: PixelFormat| match f {
            PixelFormat::Rgba => [0usize, 1, 2],
            PixelFormat::Bgra => [2usize, 1, 0],
        };
        let (oa, ob) = (order(self.format), order(other.format));
        let mut sse: u64 = 0;
        for y in 0..self.height {
            let (ra, rb) = (self.row(y), other.row(y));
            for (pa, pb) in ra.chunks_exact(4).zip(rb.chunks_exact(4)) {
                for c in 0..3 {
                    let d = i64::from(pa[oa[c]]) - i64::from(pb[ob[c]]);
                    sse += (d * d) as u64;
                }
            }
        }
        if sse == 0 {
            return Ok(f64::INFINITY);
        }
        let n = f64::from(self.width) * f64::from(self.height) * 3.0;
        let mse = sse as f64 / n;
        Ok(10.0 * (255.0 * 255.0 / mse).log10())
    }
}

/// An owned planar YUV 4:2:0 picture (BT.601, limited range), the codec's input
/// and output. Chroma planes are `ceil(width/2) x ceil(height/2)`.
#[derive(Clone, PartialEq, Eq)]
pub struct I420Frame {
    width: u32,
    height: u32,
    /// Luma plane, `width` bytes per row, `height` rows (packed).
    pub(crate) y: Vec<u8>,
    /// Cb plane, `chroma_width()` bytes per row (packed).
    pub(crate) u: Vec<u8>,
    /// Cr plane, `chroma_width()` bytes per row (packed).
    pub(crate) v: Vec<u8>,
}

impl std::fmt::Debug for I420Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("I420Frame")
            .field("width", &self.width)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

impl I420Frame {
    /// A black (Y=16, U=V=128) picture. Fails on a zero dimension.
    pub fn black(width: u32, height: u32) -> Result<Self> {
        if width == 0 || height == 0 {
            return Err(Error::BadFrame(format!("empty frame {width}x{height}")));
        }
        let (cw, ch) = (width.div_ceil(2) as usize, height.div_ceil(2) as usize);
        Ok(Self {
            width,
            height,
            y: vec![16; width as usize * height as usize],
            u: vec![128; cw * ch],
            v: vec![128; cw * ch],
        })
    }

    /// Builds a picture from packed planes, checking their sizes.
    pub fn from_planes(
        width: u32,
        height: u32,
        y: Vec<u8>,
        u: Vec<u8>,
        v: Vec<u8>,
    ) -> Result<Self> {
        let f = Self::black(width, height)?;
        if y.len() != f.y.len() || u.len() != f.u.len() || v.len() != f.v.len() {
            return Err(Error::BadFrame(format!(
                "plane sizes {}/{}/{} do not fit {width}x{height}",
                y.len(),
                u.len(),
                v.len()
            )));
        }
        Ok(Self {
            width,
            height,
            y,
            u,
            v,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }
    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }
    /// Width of the chroma planes (also their stride).
    pub fn chroma_width(&self) -> u32 {
        self.width.div_ceil(2)
    }
    /// Height of the chroma planes.
    pub fn chroma_height(&self) -> u32 {
        self.height.div_ceil(2)
    }
    /// The luma plane (stride = width).
    pub fn y(&self) -> &[u8] {
        &self.y
    }
    /// The Cb plane (stride = chroma width).
    pub fn u(&self) -> &[u8] {
        &self.u
    }
    /// The Cr plane (stride = chroma width).
    pub fn v(&self) -> &[u8] {
        &self.v
    }
}
