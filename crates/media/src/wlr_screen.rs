//! [`WlrScreen`]: one output of a wlroots compositor (sway), captured with
//! wlr-screencopy (`latchkey_wayland::Screencopy`), damage-aware: waiting for
//! a change costs nothing on a still screen (the compositor answers only
//! once the output changed). The host's path when [`crate::session::detect`]
//! says wlroots.

use std::time::Duration;

use latchkey_wayland::{OutputInfo, Screencopy, Target};

use crate::capture::DisplayInfo;
use crate::error::{Error, Result};
use crate::frame::{Frame, PixelFormat};

/// How long [`WlrScreen::grab`] waits for a change it was not told about
/// (a grab the caller makes without waiting first, e.g. for a keyframe).
const GRAB_WAIT: Duration = Duration::from_millis(20);

fn wl_err(e: latchkey_wayland::Error) -> Error {
    Error::Display(format!("Wayland: {e}"))
}

/// A wlroots frame (packed BGRA, rows top to bottom) as the media crate's [`Frame`].
pub fn frame_of(frame: latchkey_wayland::Frame) -> Result<Frame> {
    match frame.format {
        latchkey_wayland::PixelFormat::Bgra => Frame::new(
            frame.width,
            frame.height,
            frame.stride,
            PixelFormat::Bgra,
            frame.data,
        ),
        other => Err(Error::Display(format!(
            "Wayland: frames in {other:?} are not handled"
        ))),
    }
}

/// The outputs as [`DisplayInfo`]s: ids are positions in the compositor's
/// announcement order; `x`/`y` its layout position.
fn infos(outputs: &[OutputInfo]) -> Vec<DisplayInfo> {
    outputs
        .iter()
        .enumerate()
        .map(|(i, o)| DisplayInfo {
            id: u32::try_from(i).unwrap_or(u32::MAX),
            name: o.name.clone(),
            x: o.x,
            y: o.y,
            width: o.width,
            height: o.height,
            primary: i == 0,
        })
        .collect()
}

/// One output of the compositor `WAYLAND_DISPLAY` names, watched for damage.
pub struct WlrScreen {
    capture: Screencopy,
    display: DisplayInfo,
    /// The picture as last captured; `None` until the first capture.
    picture: Option<Frame>,
    /// A capture [`WlrScreen::wait_damage`] made that [`WlrScreen::grab`] has not handed out yet.
    fresh: bool,
}

impl std::fmt::Debug for WlrScreen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WlrScreen")
            .field("display", &self.display)
            .field("fresh", &self.fresh)
            .finish_non_exhaustive()
    }
}

impl WlrScreen {
    /// Connects to `WAYLAND_DISPLAY` and watches the output with this id (the
    /// first when `None`). A compositor without wlr-screencopy version 2
    /// (damage) is refused.
    pub fn open(id: Option<u32>) -> Result<Self> {
        let capture = Screencopy::connect_to(&Target::Env).map_err(wl_err)?;
        if !capture.supports_damage() {
            return Err(Error::Display(
                "Wayland: the compositor's wlr-screencopy has no damage (version 2 needed)".into(),
            ));
        }
        let display = Self::find(&capture, id)?;
        Ok(Self {
            capture,
            display,
            picture: None,
            fresh: false,
        })
    }

    fn find(capture: &Screencopy, id: Option<u32>) -> Result<DisplayInfo> {
        let all = infos(&capture.outputs());
        let found = match id {
            None => all.first().cloned(),
            Some(id) => all.iter().find(|d| d.id == id).cloned(),
        };
        found.ok_or_else(|| Error::NoSuchDisplay {
            id: id.unwrap_or(0),
            available: all.iter().map(|d| d.id).collect(),
        })
    }

    /// Every output of the compositor.
    pub fn list_displays(&self) -> Result<Vec<DisplayInfo>> {
        Ok(infos(&self.capture.outputs()))
    }

    /// The output being captured.
    pub fn display(&self) -> &DisplayInfo {
        &self.display
    }

    /// Captures the output with this id from now on.
    pub fn select(&mut self, id: u32) -> Result<()> {
        self.display = Self::find(&self.capture, Some(id))?;
        self.picture = None;
        self.fresh = false;
        Ok(())
    }

    /// Waits up to `timeout` for the output to change; `true` when it did
    /// (the changed picture is then what [`WlrScreen::grab`] gives).
    pub fn wait_damage(&mut self, timeout: Duration) -> Result<bool> {
        if self.fresh {
            return Ok(true);
        }
        self.capture_damage(timeout)
    }

    fn capture_damage(&mut self, timeout: Duration) -> Result<bool> {
        let name = self.display.name.clone();
        match self
            .capture
            .capture_damage(Some(&name), timeout)
            .map_err(wl_err)?
        {
            Some(frame) => {
                self.display.width = frame.width;
                self.display.height = frame.height;
                self.picture = Some(frame_of(frame)?);
                self.fresh = true;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The output's picture: what [`WlrScreen::wait_damage`] captured, else a
    /// change of the last moment, else the picture as last captured (the
    /// compositor said nothing changed since).
    pub fn grab(&mut self) -> Result<&Frame> {
        if !self.fresh {
            let wait = if self.picture.is_none() {
                // The first damage-aware capture answers at once.
                latchkey_wayland::DEFAULT_TIMEOUT
            } else {
                GRAB_WAIT
            };
            self.capture_damage(wait)?;
        }
        self.fresh = false;
        self.picture
            .as_ref()
            .ok_or_else(|| Error::Display("Wayland: no frame from the compositor".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_become_displays_in_order() {
        let outputs = vec![
            OutputInfo {
                name: "HEADLESS-1".into(),
                x: 0,
                y: 0,
                width: 1280,
                height: 720,
                scale: 1,
            },
            OutputInfo {
                name: "HEADLESS-2".into(),
                x: 1280,
                y: 0,
                width: 800,
                height: 600,
                scale: 1,
            },
        ];
        let d = infos(&outputs);
        assert_eq!(d.len(), 2);
        assert_eq!(
            (d[0].id, d[0].primary, d[0].name.as_str()),
            (0, true, "HEADLESS-1")
        );
        assert_eq!((d[1].id, d[1].x, d[1].width), (1, 1280, 800));
        assert!(!d[1].primary);
    }

    #[test]
    fn a_wayland_frame_converts_once_without_copying_rows() {
        let frame = latchkey_wayland::Frame {
            width: 2,
            height: 1,
            stride: 8,
            format: latchkey_wayland::PixelFormat::Bgra,
            data: vec![1, 2, 3, 255, 4, 5, 6, 255],
            damage: Vec::new(),
            source_format: 1,
            presented: Duration::ZERO,
        };
        let f = frame_of(frame).expect("frame");
        assert_eq!(
            (f.width(), f.height(), f.format()),
            (2, 1, PixelFormat::Bgra)
        );
        assert_eq!(f.rgba_at(1, 0), Some([6, 5, 4, 255]));
    }
}
