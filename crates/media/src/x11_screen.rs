//! The X11 screen on one persistent connection: its monitors (RandR 1.5,
//! including virtual monitors that have no output), what changed on it (the
//! DAMAGE extension), and grabs of only the changed part of one monitor.
//!
//! This is the capture path the host uses on X11. An idle screen costs no
//! grab at all: the server tells us when something was drawn, and
//! [`X11Screen::grab`] then fetches only the bounding box of what was drawn
//! (a blinking cursor in a terminal is a few hundred bytes, not 8 MB), patching
//! it into the picture it keeps. `xcap` ([`crate::Capturer`]) stays for the
//! Wayland/PipeWire path.

use std::time::Duration;

use x11rb::connection::Connection;
use x11rb::protocol::damage::{self, ConnectionExt as _, ReportLevel};
use x11rb::protocol::randr::ConnectionExt as _;
use x11rb::protocol::xfixes::{self, ConnectionExt as _};
use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat, Window};
use x11rb::protocol::Event;
use x11rb::rust_connection::RustConnection;

use crate::capture::DisplayInfo;
use crate::damage::Rect;
use crate::error::{Error, Result};
use crate::frame::{Frame, PixelFormat};

fn x_err(e: impl std::fmt::Display) -> Error {
    Error::Display(format!("X11: {e}"))
}

/// The monitors of the X server on `conn`, primary first.
fn monitors(conn: &RustConnection, root: Window) -> Result<Vec<DisplayInfo>> {
    let reply = conn
        .randr_get_monitors(root, true)
        .map_err(x_err)?
        .reply()
        .map_err(x_err)?;
    let mut out = Vec::with_capacity(reply.monitors.len());
    for m in reply.monitors {
        let name = conn
            .get_atom_name(m.name)
            .map_err(x_err)?
            .reply()
            .map(|r| String::from_utf8_lossy(&r.name).into_owned())
            .unwrap_or_else(|_| format!("monitor-{}", m.name));
        out.push(DisplayInfo {
            // The name atom: unique per monitor and stable for the X session,
            // also for virtual monitors (`xrandr --setmonitor`) without outputs.
            id: m.name,
            name,
            x: i32::from(m.x),
            y: i32::from(m.y),
            width: u32::from(m.width),
            height: u32::from(m.height),
            primary: m.primary,
        });
    }
    if out.is_empty() {
        // No RandR monitors: the whole root window is the one display.
        let screen = &conn.setup().roots[0];
        out.push(DisplayInfo {
            id: 0,
            name: "screen".into(),
            x: 0,
            y: 0,
            width: u32::from(screen.width_in_pixels),
            height: u32::from(screen.height_in_pixels),
            primary: true,
        });
    }
    out.sort_by_key(|d| (!d.primary, d.x, d.y));
    Ok(out)
}

/// One monitor of the X display named by `DISPLAY`, watched for damage.
pub struct X11Screen {
    conn: RustConnection,
    root: Window,
    damage: damage::Damage,
    region: xfixes::Region,
    display: DisplayInfo,
    /// The monitor's picture as last grabbed (BGRA); `None` until the first grab.
    picture: Option<Frame>,
    /// Root-window area drawn since the last grab (bounding box), if any.
    dirty: Option<Rect>,
}

impl std::fmt::Debug for X11Screen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("X11Screen")
            .field("display", &self.display)
            .field("dirty", &self.dirty)
            .finish()
    }
}

impl X11Screen {
    /// Connects to `DISPLAY` and watches the monitor with this id (the
    /// primary one when `None`). An unknown id is [`Error::NoSuchDisplay`].
    pub fn open(id: Option<u32>) -> Result<Self> {
        let (conn, screen_num) = x11rb::connect(None).map_err(x_err)?;
        let root = conn
            .setup()
            .roots
            .get(screen_num)
            .ok_or_else(|| Error::Display("X11: no such screen".into()))?
            .root;
        conn.randr_query_version(1, 5)
            .map_err(x_err)?
            .reply()
            .map_err(|e| Error::Display(format!("X11: RandR is missing: {e}")))?;
        conn.xfixes_query_version(5, 0)
            .map_err(x_err)?
            .reply()
            .map_err(|e| Error::Display(format!("X11: XFIXES is missing: {e}")))?;
        conn.damage_query_version(1, 1)
            .map_err(x_err)?
            .reply()
            .map_err(|e| Error::Display(format!("X11: DAMAGE is missing: {e}")))?;
        let display = Self::find(&conn, root, id)?;
        let damage = conn.generate_id().map_err(x_err)?;
        conn.damage_create(damage, root, ReportLevel::NON_EMPTY)
            .map_err(x_err)?;
        let region = conn.generate_id().map_err(x_err)?;
        conn.xfixes_create_region(region, &[]).map_err(x_err)?;
        conn.flush().map_err(x_err)?;
        Ok(Self {
            conn,
            root,
            damage,
            region,
            display,
            picture: None,
            dirty: None,
        })
    }

    fn find(conn: &RustConnection, root: Window, id: Option<u32>) -> Result<DisplayInfo> {
        let all = monitors(conn, root)?;
        let found = match id {
            None => all.first().cloned(),
            Some(id) => all.iter().find(|d| d.id == id).cloned(),
        };
        found.ok_or_else(|| Error::NoSuchDisplay {
            id: id.unwrap_or(0),
            available: all.iter().map(|d| d.id).collect(),
        })
    }

    /// Every monitor of this X server, primary first.
    pub fn list_displays(&self) -> Result<Vec<DisplayInfo>> {
        monitors(&self.conn, self.root)
    }

    /// The monitor being watched.
    pub fn display(&self) -> &DisplayInfo {
        &self.display
    }

    /// Watch another monitor from now on; the next grab is a whole one.
    pub fn select(&mut self, id: u32) -> Result<()> {
        self.display = Self::find(&self.conn, self.root, Some(id))?;
        self.picture = None;
        Ok(())
    }

    /// Forget the kept picture: the next grab fetches the whole monitor
    /// (after a keyframe request, or when the monitor's size may have changed).
    pub fn invalidate(&mut self) {
        self.picture = None;
    }

    /// Collects the damage the server reported, without blocking. Returns
    /// whether anything on the watched monitor changed since the last grab
    /// (or no picture was grabbed yet).
    pub fn poll_damage(&mut self) -> Result<bool> {
        self.collect(false)
    }

    /// Reads pending events; on a damage notification, or always when
    /// `force`, takes the accumulated damage from the server into `dirty`.
    fn collect(&mut self, force: bool) -> Result<bool> {
        let mut notified = force;
        while let Some(event) = self.conn.poll_for_event().map_err(x_err)? {
            if let Event::DamageNotify(_) = event {
                notified = true;
            }
        }
        if notified {
            // Take the accumulated damage (which re-arms the notification)
            // and read back where it was.
            self.conn
                .damage_subtract(self.damage, x11rb::NONE, self.region)
                .map_err(x_err)?;
            let reply = self
                .conn
                .xfixes_fetch_region(self.region)
                .map_err(x_err)?
                .reply()
                .map_err(x_err)?;
            let e = reply.extents;
            if e.width > 0 && e.height > 0 {
                let drawn = Rect {
                    x: u32::try_from(e.x.max(0)).unwrap_or(0),
                    y: u32::try_from(e.y.max(0)).unwrap_or(0),
                    width: u32::from(e.width),
                    height: u32::from(e.height),
                };
                self.dirty = Some(match self.dirty {
                    Some(d) => union(d, drawn),
                    None => drawn,
                });
            }
        }
        Ok(self.picture.is_none() || self.dirty_on_display().is_some())
    }

    /// Waits up to `timeout` for damage on the watched monitor, polling the
    /// connection every few milliseconds (cheap: no request is sent while nothing happens).
    pub fn wait_damage(&mut self, timeout: Duration) -> Result<bool> {
        const STEP: Duration = Duration::from_millis(4);
        let mut waited = Duration::ZERO;
        loop {
            if self.poll_damage()? {
                return Ok(true);
            }
            if waited >= timeout {
                return Ok(false);
            }
            let step = STEP.min(timeout - waited);
            std::thread::sleep(step);
            waited += step;
        }
    }

    /// The dirty area clipped to the watched monitor, in monitor coordinates.
    fn dirty_on_display(&self) -> Option<Rect> {
        let d = self.dirty?;
        let m = &self.display;
        let (mx, my) = (i64::from(m.x), i64::from(m.y));
        let x0 = (i64::from(d.x) - mx).max(0);
        let y0 = (i64::from(d.y) - my).max(0);
        let x1 = (i64::from(d.x) + i64::from(d.width) - mx).min(i64::from(m.width));
        let y1 = (i64::from(d.y) + i64::from(d.height) - my).min(i64::from(m.height));
        if x1 <= x0 || y1 <= y0 {
            return None;
        }
        Some(Rect {
            x: x0 as u32,
            y: y0 as u32,
            width: (x1 - x0) as u32,
            height: (y1 - y0) as u32,
        })
    }

    /// Brings the kept picture up to date (fetching only the damaged part)
    /// and returns it (BGRA, the monitor's size).
    pub fn grab(&mut self) -> Result<&Frame> {
        // Take all damage done so far, notified or not: it is all in this grab
        // (a notification still on its way finds an empty region later).
        self.collect(true)?;
        let (w, h) = (self.display.width, self.display.height);
        let area = match &self.picture {
            Some(p) if p.width() == w && p.height() == h => self.dirty_on_display(),
            _ => {
                self.picture = Some(Frame::packed(
                    w,
                    h,
                    PixelFormat::Bgra,
                    vec![0; w as usize * h as usize * 4],
                )?);
                Some(Rect {
                    x: 0,
                    y: 0,
                    width: w,
                    height: h,
                })
            }
        };
        self.dirty = None;
        if let Some(area) = area {
            self.fetch(area)?;
        }
        self.picture
            .as_ref()
            .ok_or_else(|| Error::Display("X11: no picture".into()))
    }

    /// GetImage of `area` (monitor coordinates) into the kept picture.
    fn fetch(&mut self, area: Rect) -> Result<()> {
        let m = &self.display;
        let reply = self
            .conn
            .get_image(
                ImageFormat::Z_PIXMAP,
                self.root,
                i16::try_from(i64::from(m.x) + i64::from(area.x)).map_err(x_err)?,
                i16::try_from(i64::from(m.y) + i64::from(area.y)).map_err(x_err)?,
                u16::try_from(area.width).map_err(x_err)?,
                u16::try_from(area.height).map_err(x_err)?,
                u32::MAX,
            )
            .map_err(x_err)?
            .reply()
            .map_err(x_err)?;
        if reply.depth != 24 && reply.depth != 32 {
            return Err(Error::Display(format!(
                "X11: {}-bit screens are not supported (24 or 32)",
                reply.depth
            )));
        }
        let row = area.width as usize * 4;
        if reply.data.len() < row * area.height as usize {
            return Err(Error::Display(format!(
                "X11: short image ({} bytes for {}x{})",
                reply.data.len(),
                area.width,
                area.height
            )));
        }
        let picture = self
            .picture
            .as_mut()
            .ok_or_else(|| Error::Display("X11: no picture".into()))?;
        let stride = picture.stride();
        let data = picture.data_mut();
        for (i, src) in reply
            .data
            .chunks_exact(row)
            .take(area.height as usize)
            .enumerate()
        {
            let start = (area.y as usize + i) * stride + area.x as usize * 4;
            if let Some(dst) = data.get_mut(start..start + row) {
                dst.copy_from_slice(src);
                // X leaves the padding byte undefined: make the picture opaque.
                for px in dst.chunks_exact_mut(4) {
                    px[3] = 255;
                }
            }
        }
        Ok(())
    }
}

impl Drop for X11Screen {
    fn drop(&mut self) {
        let _ = self.conn.damage_destroy(self.damage);
        let _ = self.conn.xfixes_destroy_region(self.region);
        let _ = self.conn.flush();
    }
}

/// The smallest rectangle holding both.
fn union(a: Rect, b: Rect) -> Rect {
    let x0 = a.x.min(b.x);
    let y0 = a.y.min(b.y);
    let x1 = (a.x + a.width).max(b.x + b.width);
    let y1 = (a.y + a.height).max(b.y + b.height);
    Rect {
        x: x0,
        y: y0,
        width: x1 - x0,
        height: y1 - y0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_covers_both() {
        let a = Rect {
            x: 10,
            y: 10,
            width: 5,
            height: 5,
        };
        let b = Rect {
            x: 0,
            y: 12,
            width: 3,
            height: 20,
        };
        assert_eq!(
            union(a, b),
            Rect {
                x: 0,
                y: 10,
                width: 15,
                height: 22
            }
        );
    }
}
