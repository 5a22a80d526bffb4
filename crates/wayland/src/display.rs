//! One connection to a Wayland compositor: finding its socket, the globals it
//! offers, its outputs and seats, and waiting for events with a deadline.
//!
//! [`crate::Screencopy`] and [`crate::VirtualInput`] each own one [`Display`].
//! Every wait goes through [`Display::dispatch_until`], which polls the socket
//! with a timeout, so a compositor that stops answering gives
//! [`Error::Timeout`] instead of a hang.

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec};
use wayland_client::protocol::{
    wl_buffer, wl_callback, wl_output, wl_registry, wl_seat, wl_shm, wl_shm_pool,
};
use wayland_client::{Connection, Dispatch, EventQueue, Proxy, QueueHandle, WEnum};
use wayland_protocols_misc::zwp_virtual_keyboard_v1::client::{
    zwp_virtual_keyboard_manager_v1, zwp_virtual_keyboard_v1,
};
use wayland_protocols_wlr::screencopy::v1::client::{
    zwlr_screencopy_frame_v1, zwlr_screencopy_manager_v1,
};
use wayland_protocols_wlr::virtual_pointer::v1::client::{
    zwlr_virtual_pointer_manager_v1, zwlr_virtual_pointer_v1,
};

use crate::error::{Error, Result};
use crate::screencopy::FrameEvents;

/// How long connecting and each round trip may take by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Which Wayland display to talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The one the environment names: `WAYLAND_DISPLAY`, relative to
    /// `XDG_RUNTIME_DIR` unless absolute (as libwayland resolves it;
    /// `WAYLAND_SOCKET`, an inherited descriptor, is not used).
    Env,
    /// A socket by name (`wayland-1`, resolved against `XDG_RUNTIME_DIR`) or by absolute path.
    Socket(PathBuf),
}

impl Target {
    /// The socket path this target names.
    pub fn socket_path(&self) -> Result<PathBuf> {
        let name = match self {
            Target::Env => PathBuf::from(
                std::env::var_os("WAYLAND_DISPLAY")
                    .ok_or_else(|| Error::NoDisplay("WAYLAND_DISPLAY is not set".to_string()))?,
            ),
            Target::Socket(p) => p.clone(),
        };
        if name.is_absolute() {
            return Ok(name);
        }
        let dir = std::env::var_os("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .filter(|d| d.is_absolute())
            .ok_or_else(|| {
                Error::NoDisplay(format!(
                    "XDG_RUNTIME_DIR is not set (an absolute path), so {} cannot be found",
                    name.display()
                ))
            })?;
        Ok(dir.join(name))
    }
}

impl From<&Path> for Target {
    fn from(p: &Path) -> Self {
        Target::Socket(p.to_path_buf())
    }
}

/// The interfaces of the globals the display `target` names offers (one
/// connection, two round trips, then closed): how a host tells a wlroots
/// compositor (`zwlr_screencopy_manager_v1`) from others.
pub fn globals(target: &Target) -> Result<Vec<String>> {
    let display = Display::connect(target, DEFAULT_TIMEOUT)?;
    Ok(display
        .state
        .globals
        .iter()
        .map(|g| g.interface.clone())
        .collect())
}

/// What the compositor says about one output (a monitor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputInfo {
    /// Its name, e.g. `HEADLESS-1`, `DP-2` (from `wl_output` version 4; `output-N`
    /// with N the global's number on older compositors).
    pub name: String,
    /// Position of its top-left corner in the compositor's layout (logical pixels).
    pub x: i32,
    /// Position of its top-left corner in the compositor's layout (logical pixels).
    pub y: i32,
    /// Width of its current mode in pixels: the width of a captured frame.
    pub width: u32,
    /// Height of its current mode in pixels: the height of a captured frame.
    pub height: u32,
    /// The output's scale factor (logical size = pixel size / scale).
    pub scale: i32,
}

/// A `wl_output` the compositor announced, with what it said so far.
pub(crate) struct OutputSlot {
    /// The registry name of the global, to forget it on `global_remove`.
    pub global: u32,
    pub proxy: wl_output::WlOutput,
    /// Filled in as events arrive; shown once `done` came.
    pub info: OutputInfo,
    /// The compositor sent `done` at least once: `info` is complete.
    pub done: bool,
}

/// One global from the registry.
#[derive(Debug, Clone)]
pub(crate) struct Global {
    pub name: u32,
    pub interface: String,
    pub version: u32,
}

/// Everything events update. One type for the whole crate, so one event queue
/// serves capture and input alike.
#[derive(Default)]
pub(crate) struct State {
    pub globals: Vec<Global>,
    pub outputs: Vec<OutputSlot>,
    pub seats: Vec<(u32, wl_seat::WlSeat)>,
    /// Highest `wl_display.sync` number answered.
    pub synced: u64,
    /// Events of the screencopy frame in flight, if any.
    pub frame: FrameEvents,
    /// What wlr-data-control said (offers, the selection, pastes to answer).
    pub clip: crate::clipboard::ClipState,
}

/// A connection, its event queue and the state its events build.
pub(crate) struct Display {
    pub conn: Connection,
    pub queue: EventQueue<State>,
    pub qh: QueueHandle<State>,
    pub state: State,
    /// Numbers `wl_display.sync` calls, so each round trip waits for its own answer.
    next_sync: u64,
    /// The deadline for round trips.
    pub timeout: Duration,
    /// Globals are bound through it.
    registry: wl_registry::WlRegistry,
}

impl Display {
    /// Connects, reads the globals and the outputs' descriptions (two round trips).
    pub fn connect(target: &Target, timeout: Duration) -> Result<Self> {
        let path = target.socket_path()?;
        let stream = UnixStream::connect(&path).map_err(|source| Error::Connect {
            path: path.clone(),
            source,
        })?;
        let conn = Connection::from_socket(stream).map_err(|e| Error::Connect {
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        let queue = conn.new_event_queue();
        let qh = queue.handle();
        let registry = conn.display().get_registry(&qh, ());
        let mut display = Display {
            conn,
            queue,
            qh,
            state: State::default(),
            next_sync: 0,
            timeout,
            registry,
        };
        // The first round trip brings the globals (outputs are bound as they are
        // announced), the second the outputs' descriptions.
        display.roundtrip()?;
        display.roundtrip()?;
        let (globals, outputs) = (display.state.globals.len(), display.state.outputs.len());
        tracing::debug!(
            socket = %path.to_string_lossy(),
            globals,
            outputs,
            "connected to the Wayland display"
        );
        Ok(display)
    }

    /// The global named `interface`, if the compositor offers it.
    pub fn global(&self, interface: &str) -> Option<&Global> {
        self.state.globals.iter().find(|g| g.interface == interface)
    }

    /// Binds the global `I` at version `min(offered, max)`, requiring at least `min`.
    pub fn bind<I, U>(&self, min: u32, max: u32, udata: U) -> Result<I>
    where
        I: Proxy + 'static,
        U: Send + Sync + 'static,
        State: Dispatch<I, U>,
    {
        let interface = I::interface().name;
        let global = self
            .global(interface)
            .ok_or(Error::MissingProtocol {
                protocol: I::interface().name,
            })?
            .clone();
        if global.version < min {
            return Err(Error::ProtocolTooOld {
                protocol: I::interface().name,
                have: global.version,
                need: min,
            });
        }
        Ok(self
            .registry
            .bind::<I, U, State>(global.name, global.version.min(max), &self.qh, udata))
    }

    /// The outputs the compositor described completely, in announcement order.
    pub fn outputs(&self) -> Vec<OutputInfo> {
        self.state
            .outputs
            .iter()
            .filter(|o| o.done)
            .map(|o| o.info.clone())
            .collect()
    }

    /// The output named `name`, or the first one when `name` is `None`.
    pub fn output(&self, name: Option<&str>) -> Result<(wl_output::WlOutput, OutputInfo)> {
        self.state
            .outputs
            .iter()
            .filter(|o| o.done)
            .find(|o| name.is_none_or(|n| o.info.name == n))
            .map(|o| (o.proxy.clone(), o.info.clone()))
            .ok_or_else(|| Error::NoOutput(name.unwrap_or("(any)").to_string()))
    }

    /// Sends what is queued and waits until the compositor has handled it.
    pub fn roundtrip(&mut self) -> Result<()> {
        self.next_sync += 1;
        let n = self.next_sync;
        self.conn.display().sync(&self.qh, n);
        let deadline = Instant::now() + self.timeout;
        self.dispatch_until(deadline, "a round trip", |s| s.synced >= n)
    }

    /// Sends what is queued without waiting for an answer.
    pub fn flush(&mut self) -> Result<()> {
        match self.conn.flush() {
            Ok(()) => Ok(()),
            // The socket is full: what is left goes with the next flush.
            Err(wayland_client::backend::WaylandError::Io(e))
                if e.kind() == std::io::ErrorKind::WouldBlock =>
            {
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Dispatches events until `done` holds or `deadline` passes ([`Error::Timeout`]).
    pub fn dispatch_until(
        &mut self,
        deadline: Instant,
        what: &'static str,
        mut done: impl FnMut(&State) -> bool,
    ) -> Result<()> {
        let started = Instant::now();
        loop {
            self.queue.dispatch_pending(&mut self.state)?;
            if done(&self.state) {
                return Ok(());
            }
            self.flush()?;
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Timeout {
                    what,
                    after: now - started,
                });
            }
            let Some(guard) = self.queue.prepare_read() else {
                // Events are already queued: dispatch them first.
                continue;
            };
            let left = deadline - now;
            let timeout = Timespec {
                tv_sec: left.as_secs().try_into().unwrap_or(i64::MAX),
                tv_nsec: left.subsec_nanos().into(),
            };
            let ready = {
                let mut fds = [PollFd::from_borrowed_fd(
                    guard.connection_fd(),
                    PollFlags::IN | PollFlags::ERR | PollFlags::HUP,
                )];
                match rustix::event::poll(&mut fds, Some(&timeout)) {
                    Ok(n) => n > 0,
                    Err(rustix::io::Errno::INTR) => false,
                    Err(e) => return Err(Error::io("waiting for the compositor")(e.into())),
                }
            };
            if ready {
                match guard.read() {
                    Ok(_) => {}
                    Err(wayland_client::backend::WaylandError::Io(e))
                        if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) => return Err(self.explain(e)),
                }
            }
        }
    }

    /// Turns a read failure into the compositor's protocol error when it sent one.
    fn explain(&self, e: wayland_client::backend::WaylandError) -> Error {
        match self.conn.protocol_error() {
            Some(p) => Error::Wayland(format!(
                "protocol error {} on {}@{}: {}",
                p.code, p.object_interface, p.object_id, p.message
            )),
            None => e.into(),
        }
    }

    /// The first seat the compositor announced.
    pub fn seat(&self) -> Result<wl_seat::WlSeat> {
        self.state
            .seats
            .first()
            .map(|(_, s)| s.clone())
            .ok_or(Error::NoSeat)
    }
}

impl Dispatch<wl_registry::WlRegistry, ()> for State {
    fn event(
        state: &mut Self,
        registry: &wl_registry::WlRegistry,
        event: wl_registry::Event,
        _: &(),
        _: &Connection,
        qh: &QueueHandle<Self>,
    ) {
        match event {
            wl_registry::Event::Global {
                name,
                interface,
                version,
            } => {
                if interface == wl_output::WlOutput::interface().name {
                    let proxy = registry.bind::<wl_output::WlOutput, u32, State>(
                        name,
                        version.min(4),
                        qh,
                        name,
                    );
                    state.outputs.push(OutputSlot {
                        global: name,
                        proxy,
                        info: OutputInfo {
                            name: format!("output-{name}"),
                            x: 0,
                            y: 0,
                            width: 0,
                            height: 0,
                            scale: 1,
                        },
                        done: false,
                    });
                } else if interface == wl_seat::WlSeat::interface().name {
                    let seat =
                        registry.bind::<wl_seat::WlSeat, (), State>(name, version.min(2), qh, ());
                    state.seats.push((name, seat));
                }
                state.globals.push(Global {
                    name,
                    interface,
                    version,
                });
            }
            wl_registry::Event::GlobalRemove { name } => {
                state.globals.retain(|g| g.name != name);
                state.outputs.retain(|o| {
                    if o.global == name {
                        if o.proxy.version() >= 3 {
                            o.proxy.release();
                        }
                        false
                    } else {
                        true
                    }
                });
                state.seats.retain(|(n, _)| *n != name);
            }
            _ => {}
        }
    }
}

impl Dispatch<wl_output::WlOutput, u32> for State {
    fn event(
        state: &mut Self,
        _: &wl_output::WlOutput,
        event: wl_output::Event,
        global: &u32,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let Some(slot) = state.outputs.iter_mut().find(|o| o.global == *global) else {
            return;
        };
        match event {
            wl_output::Event::Geometry { x, y, .. } => {
                slot.info.x = x;
                slot.info.y = y;
            }
            wl_output::Event::Mode {
                flags,
                width,
                height,
                ..
            } => {
                let current = match flags {
                    WEnum::Value(f) => f.contains(wl_output::Mode::Current),
                    WEnum::Unknown(_) => false,
                };
                if current {
                    slot.info.width = width.max(0).unsigned_abs();
                    slot.info.height = height.max(0).unsigned_abs();
                }
            }
            wl_output::Event::Scale { factor } => slot.info.scale = factor,
            wl_output::Event::Name { name } => slot.info.name = name,
            wl_output::Event::Done => slot.done = true,
            _ => {}
        }
    }
}

impl Dispatch<wl_callback::WlCallback, u64> for State {
    fn event(
        state: &mut Self,
        _: &wl_callback::WlCallback,
        event: wl_callback::Event,
        n: &u64,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wl_callback::Event::Done { .. } = event {
            state.synced = state.synced.max(*n);
        }
    }
}

wayland_client::delegate_noop!(State: ignore wl_seat::WlSeat);
wayland_client::delegate_noop!(State: ignore wl_shm::WlShm);
wayland_client::delegate_noop!(State: wl_shm_pool::WlShmPool);
wayland_client::delegate_noop!(State: ignore wl_buffer::WlBuffer);
wayland_client::delegate_noop!(State: zwlr_screencopy_manager_v1::ZwlrScreencopyManagerV1);
wayland_client::delegate_noop!(State: zwlr_virtual_pointer_manager_v1::ZwlrVirtualPointerManagerV1);
wayland_client::delegate_noop!(State: zwlr_virtual_pointer_v1::ZwlrVirtualPointerV1);
wayland_client::delegate_noop!(State: zwp_virtual_keyboard_manager_v1::ZwpVirtualKeyboardManagerV1);
wayland_client::delegate_noop!(State: zwp_virtual_keyboard_v1::ZwpVirtualKeyboardV1);

impl Dispatch<zwlr_screencopy_frame_v1::ZwlrScreencopyFrameV1, u64> for State {
    fn event(
        state: &mut Self,
        _: &zwlr_screencopy_frame_v1::ZwlrScreencopyFrameV1,
        event: zwlr_screencopy_frame_v1::Event,
        serial: &u64,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        state.frame.handle(*serial, event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absolute_socket_path_is_used_as_it_is() {
        let p = PathBuf::from("/run/user/1000/wayland-1");
        assert_eq!(Target::Socket(p.clone()).socket_path().expect("path"), p);
        assert_eq!(Target::from(p.as_path()), Target::Socket(p));
    }
}
