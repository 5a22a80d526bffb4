//! The tests' own Wayland client: one full-screen xdg-shell window showing a
//! known picture through wl_shm, on a thread of the test. It follows the
//! compositor's configures (redrawing at the size asked) and answers pings, and
//! ends when the compositor goes away.

use std::io::{Seek, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use wayland_client::globals::{registry_queue_init, GlobalListContents};
use wayland_client::protocol::{
    wl_buffer, wl_compositor, wl_registry, wl_shm, wl_shm_pool, wl_surface,
};
use wayland_client::{delegate_noop, Connection, Dispatch, QueueHandle};
use wayland_protocols::xdg::shell::client::{xdg_surface, xdg_toplevel, xdg_wm_base};

/// Draws a BGRA picture of `width` x `height`.
pub type Draw = fn(u32, u32) -> Vec<u8>;

struct State {
    draw: Draw,
    shm: wl_shm::WlShm,
    surface: wl_surface::WlSurface,
    /// The size the last toplevel configure asked for (0: the client picks).
    asked: (i32, i32),
    /// Sizes drawn, reported to the test.
    drawn: mpsc::Sender<(u32, u32)>,
    error: Option<String>,
}

impl State {
    fn redraw(&mut self, qh: &QueueHandle<State>) {
        let (w, h) = match self.asked {
            (w, h) if w > 0 && h > 0 => (w as u32, h as u32),
            _ => (super::WIDTH, super::HEIGHT),
        };
        let pixels = (self.draw)(w, h);
        let mut file = match tempfile::tempfile() {
            Ok(f) => f,
            Err(e) => {
                self.error = Some(format!("shm file: {e}"));
                return;
            }
        };
        if let Err(e) = file.write_all(&pixels).and_then(|_| file.rewind()) {
            self.error = Some(format!("shm write: {e}"));
            return;
        }
        let size = pixels.len() as i32;
        let pool = self.shm.create_pool(file.as_fd(), size, qh, ());
        let buffer = pool.create_buffer(
            0,
            w as i32,
            h as i32,
            w as i32 * 4,
            wl_shm::Format::Xrgb8888,
            qh,
            (),
        );
        pool.destroy();
        self.surface.attach(Some(&buffer), 0, 0);
        self.surface.damage_buffer(0, 0, w as i32, h as i32);
        self.surface.commit();
        let _ = self.drawn.send((w, h));
    }
}

impl Dispatch<wl_registry::WlRegistry, GlobalListContents> for State {
    fn event(
        _: &mut Self,
        _: &wl_registry::WlRegistry,
        _: wl_registry::Event,
        _: &GlobalListContents,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
    }
}

impl Dispatch<xdg_wm_base::XdgWmBase, ()> for State {
    fn event(
        _: &mut Self,
        wm: &xdg_wm_base::XdgWmBase,
        event: xdg_wm_base::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let xdg_wm_base::Event::Ping { serial } = event {
            wm.pong(serial);
        }
    }
}

impl Dispatch<xdg_surface::XdgSurface, ()> for State {
    fn event(
        state: &mut Self,
        xdg: &xdg_surface::XdgSurface,
        event: xdg_surface::Event,
        _: &(),
        _: &Connection,
        qh: &QueueHandle<Self>,
    ) {
        if let xdg_surface::Event::Configure { serial } = event {
            xdg.ack_configure(serial);
            state.redraw(qh);
        }
    }
}

impl Dispatch<xdg_toplevel::XdgToplevel, ()> for State {
    fn event(
        state: &mut Self,
        _: &xdg_toplevel::XdgToplevel,
        event: xdg_toplevel::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let xdg_toplevel::Event::Configure { width, height, .. } = event {
            state.asked = (width, height);
        }
    }
}

delegate_noop!(State: ignore wl_compositor::WlCompositor);
delegate_noop!(State: ignore wl_surface::WlSurface);
delegate_noop!(State: ignore wl_shm::WlShm);
delegate_noop!(State: ignore wl_shm_pool::WlShmPool);
delegate_noop!(State: ignore wl_buffer::WlBuffer);

/// A running picture client: the sizes it drew come through `drawn`.
pub struct Picture {
    /// One (width, height) per frame drawn.
    pub drawn: mpsc::Receiver<(u32, u32)>,
}

impl Picture {
    /// Connects to the compositor at `socket` and shows `draw`'s picture in a
    /// full-screen window titled `title`.
    pub fn show(socket: &Path, title: &str, draw: Draw) -> Picture {
        let stream = UnixStream::connect(socket).expect("connect to the Wayland socket");
        let conn = Connection::from_socket(stream).expect("Wayland connection");
        let (globals, mut queue) = registry_queue_init::<State>(&conn).expect("registry");
        let qh = queue.handle();
        let compositor: wl_compositor::WlCompositor =
            globals.bind(&qh, 4..=4, ()).expect("wl_compositor");
        let shm: wl_shm::WlShm = globals.bind(&qh, 1..=1, ()).expect("wl_shm");
        let wm: xdg_wm_base::XdgWmBase = globals.bind(&qh, 1..=1, ()).expect("xdg_wm_base");
        let surface = compositor.create_surface(&qh, ());
        let xdg = wm.get_xdg_surface(&surface, &qh, ());
        let toplevel = xdg.get_toplevel(&qh, ());
        toplevel.set_title(title.to_string());
        toplevel.set_app_id("latchkey-picture".to_string());
        toplevel.set_fullscreen(None);
        surface.commit();
        let (tx, rx) = mpsc::channel();
        let mut state = State {
            draw,
            shm,
            surface,
            asked: (0, 0),
            drawn: tx,
            error: None,
        };
        std::thread::spawn(move || {
            // Keeps the objects alive as long as the window shows.
            let _objects = (compositor, wm, xdg, toplevel);
            // Ends with an error when the compositor goes away.
            while queue.blocking_dispatch(&mut state).is_ok() {
                if let Some(e) = state.error.take() {
                    eprintln!("picture client: {e}");
                    break;
                }
            }
        });
        Picture { drawn: rx }
    }

    /// Waits up to `timeout` for the client to draw at `size`.
    pub fn wait_drawn(&self, size: (u32, u32), timeout: Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) else {
                return false;
            };
            match self.drawn.recv_timeout(left) {
                Ok(s) if s == size => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
    }
}

pub use latchkey_testkit::wayland_client::pattern;
