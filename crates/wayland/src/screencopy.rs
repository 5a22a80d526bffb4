//! Screen capture with `zwlr_screencopy_manager_v1`: one output into a wl_shm
//! buffer (a memfd this process owns), converted to packed BGRA.
//!
//! [`Screencopy::capture`] copies the output now. [`Screencopy::capture_damage`]
//! uses `copy_with_damage`: the compositor answers only once something on the
//! output changed since this capturer's previous damage-aware copy, and says
//! where (wlroots sends the bounding box of what changed). On a still screen it
//! returns `Ok(None)` when the caller's timeout passes.

use std::fs::File;
use std::os::fd::AsFd;
use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};

use rustix::fs::MemfdFlags;
use wayland_client::protocol::{wl_buffer, wl_shm, wl_shm_pool};
use wayland_client::{Proxy, WEnum};
use wayland_protocols_wlr::screencopy::v1::client::{
    zwlr_screencopy_frame_v1, zwlr_screencopy_manager_v1,
};

use crate::convert::{self, Rect};
use crate::display::{Display, OutputInfo, Target, DEFAULT_TIMEOUT};
use crate::error::{Error, Result};

/// Byte order of a [`Frame`]'s pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PixelFormat {
    /// Blue, green, red, alpha; alpha is always 255.
    Bgra,
}

/// One captured output.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    /// Width in pixels (the output's current mode).
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Bytes from one row to the next: always `width * 4` (rows are packed).
    pub stride: usize,
    /// Always [`PixelFormat::Bgra`]; rows top to bottom whatever the compositor's
    /// y-invert flag said.
    pub format: PixelFormat,
    /// `height * stride` bytes.
    pub data: Vec<u8>,
    /// What changed, in frame pixels. For [`Screencopy::capture`] the whole frame;
    /// for [`Screencopy::capture_damage`] the boxes the compositor reported
    /// (pixels outside them are unchanged since the previous damage-aware copy).
    pub damage: Vec<Rect>,
    /// The shm format the compositor wrote (`wl_shm` code), for diagnostics.
    pub source_format: u32,
    /// When the compositor presented the frame (its clock, usually `CLOCK_MONOTONIC`).
    pub presented: Duration,
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frame")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("stride", &self.stride)
            .field("format", &self.format)
            .field("data_len", &self.data.len())
            .field("damage", &self.damage)
            .field("source_format", &format_args!("{:#x}", self.source_format))
            .field("presented", &self.presented)
            .finish()
    }
}

impl Frame {
    /// The pixel at (`x`, `y`) as `[b, g, r, a]`, or `None` outside the frame.
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 4]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = y as usize * self.stride + x as usize * 4;
        let p = self.data.get(i..i + 4)?;
        Some([p[0], p[1], p[2], p[3]])
    }
}

/// The shm buffer the compositor asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ShmSpec {
    format: u32,
    width: u32,
    height: u32,
    stride: u32,
}

/// What the compositor said about the frame in flight (filled by the event queue).
#[derive(Debug, Default)]
pub(crate) struct FrameEvents {
    /// Which capture these events belong to (events of an abandoned one are ignored).
    serial: u64,
    /// The shm buffer description (`buffer` event).
    buffer: Option<ShmSpec>,
    /// A shm format the compositor offered that this crate cannot convert.
    unsupported: Option<u32>,
    /// All buffer descriptions came (`buffer_done`, version 3).
    buffer_done: bool,
    y_invert: bool,
    /// Damage boxes in buffer coordinates (x, y, width, height).
    damage: Vec<(u32, u32, u32, u32)>,
    ready: Option<Duration>,
    failed: bool,
}

impl FrameEvents {
    pub(crate) fn handle(&mut self, serial: u64, event: zwlr_screencopy_frame_v1::Event) {
        use zwlr_screencopy_frame_v1::Event;
        if serial != self.serial {
            return;
        }
        match event {
            Event::Buffer {
                format,
                width,
                height,
                stride,
            } => {
                let code = match format {
                    WEnum::Value(f) => u32::from(f),
                    WEnum::Unknown(u) => u,
                };
                if convert::layout(code).is_some() {
                    self.buffer = Some(ShmSpec {
                        format: code,
                        width,
                        height,
                        stride,
                    });
                } else {
                    self.unsupported = Some(code);
                }
            }
            Event::BufferDone => self.buffer_done = true,
            Event::Flags { flags } => {
                self.y_invert = match flags {
                    WEnum::Value(f) => f.contains(zwlr_screencopy_frame_v1::Flags::YInvert),
                    WEnum::Unknown(u) => u & 1 != 0,
                };
            }
            Event::Damage {
                x,
                y,
                width,
                height,
            } => self.damage.push((x, y, width, height)),
            Event::Ready {
                tv_sec_hi,
                tv_sec_lo,
                tv_nsec,
            } => {
                let secs = (u64::from(tv_sec_hi) << 32) | u64::from(tv_sec_lo);
                self.ready = Some(Duration::new(secs, tv_nsec.min(999_999_999)));
            }
            Event::Failed => self.failed = true,
            _ => {}
        }
    }
}

/// The memfd-backed buffer the compositor copies into, kept between captures of
/// the same size and format.
struct ShmBuffer {
    spec: ShmSpec,
    file: File,
    pool: wl_shm_pool::WlShmPool,
    buffer: wl_buffer::WlBuffer,
}

impl ShmBuffer {
    fn destroy(self) {
        self.buffer.destroy();
        self.pool.destroy();
    }
}

/// Captures outputs of a wlroots compositor.
pub struct Screencopy {
    display: Display,
    manager: zwlr_screencopy_manager_v1::ZwlrScreencopyManagerV1,
    shm: wl_shm::WlShm,
    buffer: Option<ShmBuffer>,
    /// Numbers captures, so late events of an abandoned one are ignored.
    serial: u64,
    /// Whether frames include the pointer (`overlay_cursor`).
    with_cursor: bool,
    /// Scratch space the buffer is read into before conversion.
    raw: Vec<u8>,
}

impl std::fmt::Debug for Screencopy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Screencopy")
            .field("version", &self.manager.version())
            .field("with_cursor", &self.with_cursor)
            .finish_non_exhaustive()
    }
}

impl Screencopy {
    /// Connects to the display named by the environment (`WAYLAND_DISPLAY`).
    pub fn connect() -> Result<Self> {
        Self::connect_to(&Target::Env)
    }

    /// Connects to `target` and checks that it offers `zwlr_screencopy_manager_v1`.
    pub fn connect_to(target: &Target) -> Result<Self> {
        let display = Display::connect(target, DEFAULT_TIMEOUT)?;
        let manager =
            display.bind::<zwlr_screencopy_manager_v1::ZwlrScreencopyManagerV1, _>(1, 3, ())?;
        let shm = display.bind::<wl_shm::WlShm, _>(1, 1, ())?;
        tracing::debug!(version = manager.version(), "wlr-screencopy bound");
        Ok(Self {
            display,
            manager,
            shm,
            buffer: None,
            serial: 0,
            with_cursor: false,
            raw: Vec::new(),
        })
    }

    /// Whether captures draw the pointer into the frame (off by default).
    pub fn set_cursor(&mut self, with_cursor: bool) {
        self.with_cursor = with_cursor;
    }

    /// How long [`Screencopy::capture`] and round trips may wait for the compositor.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.display.timeout = timeout;
    }

    /// The compositor's outputs, as last described (updated while capturing).
    pub fn outputs(&self) -> Vec<OutputInfo> {
        self.display.outputs()
    }

    /// Whether [`Screencopy::capture_damage`] is available (protocol version 2 or later).
    pub fn supports_damage(&self) -> bool {
        self.manager.version() >= 2
    }

    /// Copies output `output` (by name; `None` for the first) as it is now.
    pub fn capture(&mut self, output: Option<&str>) -> Result<Frame> {
        let deadline = Instant::now() + self.display.timeout;
        match self.capture_inner(output, false, deadline)? {
            Some(frame) => Ok(frame),
            None => Err(Error::Timeout {
                what: "a screencopy frame",
                after: self.display.timeout,
            }),
        }
    }

    /// Waits up to `timeout` for output `output` to change since this capturer's
    /// previous call, then copies it: [`Frame::damage`] says where it changed.
    /// `Ok(None)` when nothing changed in time. The first call answers at once
    /// with the whole output as damage.
    pub fn capture_damage(
        &mut self,
        output: Option<&str>,
        timeout: Duration,
    ) -> Result<Option<Frame>> {
        if !self.supports_damage() {
            return Err(Error::ProtocolTooOld {
                protocol: "zwlr_screencopy_manager_v1",
                have: self.manager.version(),
                need: 2,
            });
        }
        self.capture_inner(output, true, Instant::now() + timeout)
    }

    fn capture_inner(
        &mut self,
        output: Option<&str>,
        with_damage: bool,
        deadline: Instant,
    ) -> Result<Option<Frame>> {
        let (wl_output, info) = self.display.output(output)?;
        self.serial += 1;
        self.display.state.frame = FrameEvents {
            serial: self.serial,
            ..FrameEvents::default()
        };
        let frame = self.manager.capture_output(
            i32::from(self.with_cursor),
            &wl_output,
            &self.display.qh,
            self.serial,
        );
        let result = self.copy(&frame, &info, with_damage, deadline);
        // Destroying an unfinished frame cancels it; the compositor then writes no
        // more into the buffer.
        frame.destroy();
        self.display.flush()?;
        result
    }

    fn copy(
        &mut self,
        frame: &zwlr_screencopy_frame_v1::ZwlrScreencopyFrameV1,
        info: &OutputInfo,
        with_damage: bool,
        deadline: Instant,
    ) -> Result<Option<Frame>> {
        // Version 3 ends the buffer descriptions with buffer_done; before that the
        // single `buffer` event is all there is.
        let v3 = self.manager.version() >= 3;
        let buffer_deadline = deadline.max(Instant::now() + self.display.timeout);
        self.display
            .dispatch_until(buffer_deadline, "screencopy buffer parameters", |s| {
                let f = &s.frame;
                f.failed
                    || if v3 {
                        f.buffer_done
                    } else {
                        f.buffer.is_some() || f.unsupported.is_some()
                    }
            })?;
        let events = &self.display.state.frame;
        if events.failed {
            return Err(Error::CaptureFailed(info.name.clone()));
        }
        let spec = match (events.buffer, events.unsupported) {
            (Some(spec), _) => spec,
            (None, Some(code)) => return Err(Error::UnsupportedFormat(code)),
            (None, None) => {
                return Err(Error::Wayland(
                    "the compositor offered no shm buffer for screencopy".to_string(),
                ))
            }
        };
        let buffer = self.buffer_for(spec)?;
        if with_damage {
            frame.copy_with_damage(&buffer);
        } else {
            frame.copy(&buffer);
        }
        match self
            .display
            .dispatch_until(deadline, "a screencopy frame", |s| {
                s.frame.ready.is_some() || s.frame.failed
            }) {
            Ok(()) => {}
            Err(Error::Timeout { .. }) => return Ok(None),
            Err(e) => return Err(e),
        }
        let events = &self.display.state.frame;
        if events.failed {
            return Err(Error::CaptureFailed(info.name.clone()));
        }
        let y_invert = events.y_invert;
        let presented = events.ready.unwrap_or_default();
        let damage: Vec<Rect> = if with_damage {
            events
                .damage
                .iter()
                .filter_map(|&(x, y, w, h)| {
                    convert::damage_rect(x, y, w, h, spec.width, spec.height, y_invert)
                })
                .collect()
        } else {
            vec![Rect {
                x: 0,
                y: 0,
                width: spec.width,
                height: spec.height,
            }]
        };
        let len = spec.stride as usize * spec.height as usize;
        self.raw.resize(len, 0);
        let file = &self
            .buffer
            .as_ref()
            .ok_or_else(|| Error::Wayland("the capture buffer vanished".to_string()))?
            .file;
        file.read_exact_at(&mut self.raw, 0)
            .map_err(Error::io("reading the screencopy buffer"))?;
        let data = convert::to_bgra(
            &self.raw,
            spec.width,
            spec.height,
            spec.stride as usize,
            spec.format,
            y_invert,
        )?;
        Ok(Some(Frame {
            width: spec.width,
            height: spec.height,
            stride: spec.width as usize * 4,
            format: PixelFormat::Bgra,
            data,
            damage,
            source_format: spec.format,
            presented,
        }))
    }

    /// The shm buffer for `spec`, made anew when the size or format changed.
    fn buffer_for(&mut self, spec: ShmSpec) -> Result<wl_buffer::WlBuffer> {
        if let Some(b) = &self.buffer {
            if b.spec == spec {
                return Ok(b.buffer.clone());
            }
        }
        if let Some(old) = self.buffer.take() {
            old.destroy();
        }
        let row = u64::from(spec.width) * 4;
        if spec.width == 0 || spec.height == 0 || u64::from(spec.stride) < row {
            return Err(Error::BadGeometry(format!(
                "{}x{} with stride {}",
                spec.width, spec.height, spec.stride
            )));
        }
        let size = u64::from(spec.stride) * u64::from(spec.height);
        let size_i32 =
            i32::try_from(size).map_err(|_| Error::BadGeometry(format!("a {size}-byte buffer")))?;
        let (width, height, stride) = (
            i32::try_from(spec.width),
            i32::try_from(spec.height),
            i32::try_from(spec.stride),
        );
        let (Ok(width), Ok(height), Ok(stride)) = (width, height, stride) else {
            return Err(Error::BadGeometry(format!(
                "{}x{} with stride {}",
                spec.width, spec.height, spec.stride
            )));
        };
        let fd = rustix::fs::memfd_create("latchkey-screencopy", MemfdFlags::CLOEXEC)
            .map_err(|e| Error::io("creating a memfd for screencopy")(e.into()))?;
        let file = File::from(fd);
        file.set_len(size)
            .map_err(Error::io("sizing the screencopy memfd"))?;
        let format = wl_shm::Format::try_from(spec.format)
            .map_err(|()| Error::UnsupportedFormat(spec.format))?;
        let pool = self
            .shm
            .create_pool(file.as_fd(), size_i32, &self.display.qh, ());
        let buffer = pool.create_buffer(0, width, height, stride, format, &self.display.qh, ());
        self.buffer = Some(ShmBuffer {
            spec,
            file,
            pool,
            buffer: buffer.clone(),
        });
        Ok(buffer)
    }
}

impl Drop for Screencopy {
    fn drop(&mut self) {
        if let Some(b) = self.buffer.take() {
            b.destroy();
        }
        self.manager.destroy();
        let _ = self.display.flush();
    }
}
