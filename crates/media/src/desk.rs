//! The person at the host's desk, kept out while a viewer asks for it (X11):
//! [`InputBlock`] makes the local keyboards and pointers have no effect, and
//! [`Blanker`] makes the monitors show nothing while the framebuffer, which
//! the capture reads, stays as it is.
//!
//! Input: every XInput2 slave device except the XTEST devices our own
//! injection sends through is held by an active XI2 grab with an empty event
//! mask. An active grab on a slave floats it off its master for as long as it
//! lasts, so its events reach no window and move no cursor; its input is
//! dropped. Grabs and not the "Device Enabled" property or an
//! `XIChangeHierarchy` float, because the X server refuses to disable or
//! float an XTEST device (BadAccess / BadDevice: a second master's XTEST
//! slaves, through which another client's XTest input arrives, could not be
//! kept out otherwise), and because a grab ends with the connection that
//! holds it: when the host process dies the desk gets its input back at
//! once, with nothing left behind to repair.
//!
//! Monitors: every CRTC's gamma ramp is set to zero through RandR (the
//! monitor shows black, the framebuffer is untouched), and DPMS is forced off
//! where the server has it. The ramps as they were are a [`SavedScreen`]
//! (serde), which the caller writes down before blanking, so that a host
//! that died can give them back exactly at its next start.

use serde::{Deserialize, Serialize};
use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::dpms::{self, ConnectionExt as _, DPMSMode};
use x11rb::protocol::randr::ConnectionExt as _;
use x11rb::protocol::xinput::{self, ConnectionExt as _, DeviceType, GrabOwner};
use x11rb::protocol::xproto::{self, ConnectionExt as _, GrabMode, GrabStatus, Window};
use x11rb::rust_connection::RustConnection;
use x11rb::{CURRENT_TIME, NONE};

use crate::error::{Error, Result};

fn x_err(e: impl std::fmt::Display) -> Error {
    Error::Display(format!("X11: {e}"))
}

/// A connection to the display named by `DISPLAY`, and its first root window.
fn connect() -> Result<(RustConnection, Window)> {
    let (conn, screen) = x11rb::connect(None).map_err(x_err)?;
    let root = conn
        .setup()
        .roots
        .get(screen)
        .map(|s| s.root)
        .ok_or_else(|| Error::Display("X11: no screen".into()))?;
    Ok((conn, root))
}

/// Wait until the server carried out every request sent before (a round trip).
fn sync(conn: &RustConnection) -> Result<()> {
    conn.get_input_focus()
        .map_err(x_err)?
        .reply()
        .map(|_| ())
        .map_err(x_err)
}

/// The local keyboards and pointers, held away from the desktop while this
/// lives (or until [`InputBlock::stop`]).
pub struct InputBlock {
    conn: RustConnection,
    root: Window,
    xtest_atom: xproto::Atom,
    /// The slave devices we hold by a grab.
    held: Vec<u16>,
}

impl InputBlock {
    /// Hold every slave device but our own injection's XTEST devices.
    pub fn start() -> Result<Self> {
        let (conn, root) = connect()?;
        let version = conn
            .xinput_xi_query_version(2, 2)
            .map_err(x_err)?
            .reply()
            .map_err(x_err)?;
        if version.major_version < 2 {
            return Err(Error::Display("X11: no XInput 2".into()));
        }
        let xtest_atom = conn
            .intern_atom(true, b"XTEST Device")
            .map_err(x_err)?
            .reply()
            .map_err(x_err)?
            .atom;
        let mut block = InputBlock {
            conn,
            root,
            xtest_atom,
            held: Vec::new(),
        };
        block.refresh()?;
        Ok(block)
    }

    /// How many devices are held now.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// Hold the devices that came since (hot-plugged, or busy in another
    /// client's grab the last time); forget the ones that went.
    pub fn refresh(&mut self) -> Result<()> {
        let devices = self
            .conn
            .xinput_xi_query_device(xinput::Device::ALL)
            .map_err(x_err)?
            .reply()
            .map_err(x_err)?
            .infos;
        self.held
            .retain(|id| devices.iter().any(|d| d.deviceid == *id));
        // Our injection's master pointer (the one a client that never chose
        // gets: the core pointer) and the keyboard paired with it.
        let pointer = self
            .conn
            .xinput_xi_get_client_pointer(NONE)
            .map_err(x_err)?
            .reply()
            .map_err(x_err)?;
        let ours_pointer = if pointer.set && pointer.deviceid != 0 {
            Some(pointer.deviceid)
        } else {
            devices
                .iter()
                .find(|d| d.type_ == DeviceType::MASTER_POINTER)
                .map(|d| d.deviceid)
        };
        let ours_keyboard = devices
            .iter()
            .find(|d| Some(d.deviceid) == ours_pointer)
            .map(|d| d.attachment);
        let ours = [ours_pointer, ours_keyboard];
        for d in &devices {
            let slave =
                d.type_ == DeviceType::SLAVE_POINTER || d.type_ == DeviceType::SLAVE_KEYBOARD;
            if !slave || self.held.contains(&d.deviceid) {
                continue;
            }
            if ours.contains(&Some(d.attachment)) && self.is_xtest(d.deviceid)? {
                continue;
            }
            let status = self
                .conn
                .xinput_xi_grab_device(
                    self.root,
                    CURRENT_TIME,
                    NONE,
                    d.deviceid,
                    GrabMode::ASYNC,
                    GrabMode::ASYNC,
                    GrabOwner::NO_OWNER,
                    &[0],
                )
                .map_err(x_err)?
                .reply()
                .map_err(x_err)?
                .status;
            if status == GrabStatus::SUCCESS {
                self.held.push(d.deviceid);
            } else {
                // Retried at the next refresh.
                tracing::debug!(
                    device = d.deviceid,
                    ?status,
                    "cannot hold an input device yet"
                );
            }
        }
        self.conn.flush().map_err(x_err)?;
        Ok(())
    }

    /// Whether the device is one of the server's XTEST devices.
    fn is_xtest(&self, device: u16) -> Result<bool> {
        if self.xtest_atom == NONE {
            return Ok(false);
        }
        let reply = self
            .conn
            .xinput_xi_get_property(device, false, self.xtest_atom, 0u32, 0, 1)
            .map_err(x_err)?
            .reply()
            .map_err(x_err)?;
        Ok(match reply.items {
            xinput::XIGetPropertyItems::Data8(v) => v.first().is_some_and(|b| *b != 0),
            xinput::XIGetPropertyItems::Data16(v) => v.first().is_some_and(|b| *b != 0),
            xinput::XIGetPropertyItems::Data32(v) => v.first().is_some_and(|b| *b != 0),
            _ => false,
        })
    }

    /// Give every device back to the desk.
    pub fn stop(mut self) -> Result<()> {
        self.release()
    }

    fn release(&mut self) -> Result<()> {
        for id in std::mem::take(&mut self.held) {
            self.conn
                .xinput_xi_ungrab_device(CURRENT_TIME, id)
                .map_err(x_err)?;
        }
        sync(&self.conn)
    }
}

impl Drop for InputBlock {
    fn drop(&mut self) {
        // Closing the connection ends the grabs anyway.
        let _ = self.release();
    }
}

/// One CRTC's gamma ramp as it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedRamp {
    /// The CRTC's id.
    pub crtc: u32,
    /// Red, green and blue ramps (of the CRTC's gamma size).
    pub red: Vec<u16>,
    /// Green.
    pub green: Vec<u16>,
    /// Blue.
    pub blue: Vec<u16>,
}

/// DPMS as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedDpms {
    /// Whether DPMS was enabled.
    pub enabled: bool,
}

/// What [`Blanker::blank`] changes, as it was before.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedScreen {
    /// Every CRTC that has a gamma ramp.
    pub ramps: Vec<SavedRamp>,
    /// DPMS, where the server has it.
    pub dpms: Option<SavedDpms>,
}

/// Blanks and restores the monitors of the display named by `DISPLAY`.
pub struct Blanker {
    conn: RustConnection,
    root: Window,
    has_dpms: bool,
}

impl Blanker {
    /// Connect to the display.
    pub fn connect() -> Result<Self> {
        let (conn, root) = connect()?;
        conn.randr_query_version(1, 3)
            .map_err(x_err)?
            .reply()
            .map_err(x_err)?;
        let has_dpms = conn
            .extension_information(dpms::X11_EXTENSION_NAME)
            .map_err(x_err)?
            .is_some()
            && conn
                .dpms_capable()
                .map_err(x_err)?
                .reply()
                .map(|r| r.capable)
                .unwrap_or(false);
        Ok(Blanker {
            conn,
            root,
            has_dpms,
        })
    }

    /// The CRTCs with a gamma ramp, and its size.
    fn crtcs(&self) -> Result<Vec<(u32, u16)>> {
        let crtcs = self
            .conn
            .randr_get_screen_resources_current(self.root)
            .map_err(x_err)?
            .reply()
            .map_err(x_err)?
            .crtcs;
        let mut out = Vec::new();
        for crtc in crtcs {
            let size = self
                .conn
                .randr_get_crtc_gamma_size(crtc)
                .map_err(x_err)?
                .reply()
                .map_err(x_err)?
                .size;
            if size > 0 {
                out.push((crtc, size));
            }
        }
        Ok(out)
    }

    /// Every CRTC's gamma ramp (and DPMS) as it is now.
    pub fn save(&self) -> Result<SavedScreen> {
        let mut ramps = Vec::new();
        for (crtc, _) in self.crtcs()? {
            let r = self
                .conn
                .randr_get_crtc_gamma(crtc)
                .map_err(x_err)?
                .reply()
                .map_err(x_err)?;
            ramps.push(SavedRamp {
                crtc,
                red: r.red,
                green: r.green,
                blue: r.blue,
            });
        }
        let dpms = if self.has_dpms {
            let info = self
                .conn
                .dpms_info()
                .map_err(x_err)?
                .reply()
                .map_err(x_err)?;
            Some(SavedDpms {
                enabled: info.state,
            })
        } else {
            None
        };
        Ok(SavedScreen { ramps, dpms })
    }

    /// CRTCs with a gamma ramp that `saved` does not have (a monitor plugged
    /// in since): save them before [`Blanker::blank`] touches them.
    pub fn unsaved(&self, saved: &SavedScreen) -> Result<bool> {
        Ok(self
            .crtcs()?
            .iter()
            .any(|(c, _)| !saved.ramps.iter().any(|r| r.crtc == *c)))
    }

    /// Every CRTC's ramp to zero; DPMS off where the server has it. Again
    /// when called again (something else may have set a ramp since).
    pub fn blank(&self) -> Result<()> {
        for (crtc, size) in self.crtcs()? {
            let zero = vec![0u16; usize::from(size)];
            self.conn
                .randr_set_crtc_gamma(crtc, &zero, &zero, &zero)
                .map_err(x_err)?;
        }
        if self.has_dpms {
            self.conn.dpms_enable().map_err(x_err)?;
            self.conn.dpms_force_level(DPMSMode::OFF).map_err(x_err)?;
        }
        sync(&self.conn)
    }

    /// Put back what `saved` says, exactly (CRTCs that went are skipped).
    pub fn restore(&self, saved: &SavedScreen) -> Result<()> {
        let now: Vec<(u32, u16)> = self.crtcs()?;
        for ramp in &saved.ramps {
            let fits = now
                .iter()
                .any(|(c, size)| *c == ramp.crtc && usize::from(*size) == ramp.red.len());
            if fits && ramp.green.len() == ramp.red.len() && ramp.blue.len() == ramp.red.len() {
                self.conn
                    .randr_set_crtc_gamma(ramp.crtc, &ramp.red, &ramp.green, &ramp.blue)
                    .map_err(x_err)?;
            }
        }
        if let (true, Some(d)) = (self.has_dpms, saved.dpms) {
            self.conn.dpms_force_level(DPMSMode::ON).map_err(x_err)?;
            if !d.enabled {
                self.conn.dpms_disable().map_err(x_err)?;
            }
        }
        sync(&self.conn)
    }
}
