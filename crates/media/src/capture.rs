//! Screen capture through `xcap`: list displays, grab one as an owned [`Frame`].
//!
//! On Linux `xcap` uses its Wayland/PipeWire portal path when
//! `XDG_SESSION_TYPE=wayland` or `WAYLAND_DISPLAY` names a Wayland socket, and
//! X11 (`GetImage` on fresh connections, per grab) otherwise; both are compiled
//! in. A host that serves an X display (e.g. Xvfb) from inside a Wayland
//! desktop session must therefore clear those two variables. The X server is the one named by the **process's**
//! `DISPLAY` environment variable (xcap reads it on each call and offers no way
//! to pass one): a host that serves another display sets `DISPLAY` before it
//! starts any thread, or runs the capture in a child process.

use crate::error::{Error, Result};
use crate::frame::{Frame, PixelFormat};

/// One monitor as the windowing system reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DisplayInfo {
    /// Stable id for the life of the X session (the RandR output/CRTC id); pass it to [`Capturer::open`].
    pub id: u32,
    /// Output name, e.g. `screen` under Xvfb or `HDMI-1`.
    pub name: String,
    /// Left edge in root-window coordinates; pointer events for this display add it.
    pub x: i32,
    /// Top edge in root-window coordinates.
    pub y: i32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Whether the windowing system calls this the primary monitor.
    pub primary: bool,
}

fn display_err(e: xcap::XCapError) -> Error {
    Error::Display(e.to_string())
}

fn info_of(m: &xcap::Monitor) -> Result<DisplayInfo> {
    Ok(DisplayInfo {
        id: m.id().map_err(display_err)?,
        name: m.name().map_err(display_err)?,
        x: m.x().map_err(display_err)?,
        y: m.y().map_err(display_err)?,
        width: m.width().map_err(display_err)?,
        height: m.height().map_err(display_err)?,
        primary: m.is_primary().unwrap_or(false),
    })
}

/// Lists the monitors of the current display server, primary first.
pub fn list_displays() -> Result<Vec<DisplayInfo>> {
    let mut out = xcap::Monitor::all()
        .map_err(display_err)?
        .iter()
        .map(info_of)
        .collect::<Result<Vec<_>>>()?;
    out.sort_by_key(|d| (!d.primary, d.x, d.y));
    Ok(out)
}

/// Captures one monitor, frame after frame. To switch monitors, open another
/// `Capturer` (and start a new encoder if the size differs).
///
/// Holds the `xcap` monitor handle so that each [`Capturer::capture`] is one
/// grab and nothing else. Frames come back as [`PixelFormat::Rgba`] with opaque alpha.
pub struct Capturer {
    monitor: xcap::Monitor,
    /// Geometry when opened; a grab of another size is reported as it is, so the caller can notice a mode change.
    info: DisplayInfo,
}

impl std::fmt::Debug for Capturer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capturer")
            .field("info", &self.info)
            .finish()
    }
}

impl Capturer {
    /// Opens the display with this id. An unknown id is [`Error::NoSuchDisplay`].
    pub fn open(id: u32) -> Result<Self> {
        let monitors = xcap::Monitor::all().map_err(display_err)?;
        let mut available = Vec::with_capacity(monitors.len());
        for m in monitors {
            let info = info_of(&m)?;
            if info.id == id {
                return Ok(Self { monitor: m, info });
            }
            available.push(info.id);
        }
        Err(Error::NoSuchDisplay { id, available })
    }

    /// Opens the primary display (or the first one when none is marked primary).
    pub fn primary() -> Result<Self> {
        let first = list_displays()?
            .into_iter()
            .next()
            .ok_or_else(|| Error::Display("no display found".into()))?;
        Self::open(first.id)
    }

    /// What was known about the display when it was opened.
    pub fn info(&self) -> &DisplayInfo {
        &self.info
    }

    /// Grabs the whole display as an owned RGBA frame.
    pub fn capture(&mut self) -> Result<Frame> {
        let image = self.monitor.capture_image().map_err(display_err)?;
        let (w, h) = (image.width(), image.height());
        Frame::packed(w, h, PixelFormat::Rgba, image.into_raw())
    }
}
