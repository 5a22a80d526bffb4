//! A remote desktop session with Mutter over D-Bus: one connection holds a
//! `org.gnome.Mutter.RemoteDesktop` session and the `org.gnome.Mutter.ScreenCast`
//! session tied to it (the interfaces gnome-remote-desktop uses; no portal and
//! no "share your screen?" dialog), records one monitor into a PipeWire stream
//! and sends pointer, wheel and key events through the session.
//!
//! Mutter ends a session when its caller's connection closes, so the session
//! owns its connection for its whole life. A thread of its own follows the
//! session's signals (`Closed`, and the clipboard's `SelectionOwnerChanged` and
//! `SelectionTransfer`) and answers Mutter's requests for the text this
//! session put on the clipboard.

use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use futures_lite::StreamExt;
use zbus::blocking::{Connection, Proxy};
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

use crate::error::{Error, Result};
use crate::keysym;

/// Mutter's remote desktop service (bus name).
pub const REMOTE_DESKTOP: &str = "org.gnome.Mutter.RemoteDesktop";
/// Mutter's screen cast service (bus name).
pub const SCREEN_CAST: &str = "org.gnome.Mutter.ScreenCast";
const REMOTE_DESKTOP_PATH: &str = "/org/gnome/Mutter/RemoteDesktop";
const SCREEN_CAST_PATH: &str = "/org/gnome/Mutter/ScreenCast";
const RD_SESSION: &str = "org.gnome.Mutter.RemoteDesktop.Session";
const SC_SESSION: &str = "org.gnome.Mutter.ScreenCast.Session";
const SC_STREAM: &str = "org.gnome.Mutter.ScreenCast.Stream";

/// How long calls to Mutter and waits for its signals last at most, unless
/// [`SessionOptions::timeout`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest wheel movement per call and axis, in notches.
pub const MAX_WHEEL_NOTCHES: i32 = 50;

/// Largest text [`MutterSession::type_text`] accepts at once, in characters.
pub const MAX_TEXT_CHARS: usize = 4096;

/// Largest clipboard content read or written, in bytes.
pub const MAX_CLIPBOARD_BYTES: usize = 8 << 20;

/// The keysym `VoidSymbol`: on no key of any keymap.
const VOID_SYMBOL: u32 = 0x00ff_ffff;

/// Text mime types, most preferred first (what GTK, Qt and Xwayland offer).
const TEXT_MIME_TYPES: &[&str] = &[
    "text/plain;charset=utf-8",
    "UTF8_STRING",
    "text/plain",
    "STRING",
    "TEXT",
];

/// Which session bus to talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bus {
    /// The bus `DBUS_SESSION_BUS_ADDRESS` names.
    Session,
    /// A bus at this D-Bus address (`unix:path=/run/user/1000/bus`).
    Address(String),
}

/// Whether and how the pointer shows in the frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorMode {
    /// Not drawn.
    Hidden,
    /// Drawn into the frames.
    Embedded,
}

impl CursorMode {
    fn as_u32(self) -> u32 {
        match self {
            CursorMode::Hidden => 0,
            CursorMode::Embedded => 1,
        }
    }
}

/// How to set a session up.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// The monitor to record, by connector (`Meta-0`, `DP-1`); `None` for the primary one.
    pub connector: Option<String>,
    /// Whether the pointer shows in the frames.
    pub cursor: CursorMode,
    /// Whether to take part in the clipboard ([`MutterSession::clipboard_text`],
    /// [`MutterSession::set_clipboard_text`]).
    pub clipboard: bool,
    /// Longest wait for any answer from Mutter.
    pub timeout: Duration,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            connector: None,
            cursor: CursorMode::Embedded,
            clipboard: true,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// A mouse button.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Button {
    /// Primary button (`BTN_LEFT`).
    Left,
    /// Wheel button (`BTN_MIDDLE`).
    Middle,
    /// Secondary button (`BTN_RIGHT`).
    Right,
}

impl Button {
    /// The Linux input event code, what `NotifyPointerButton` takes.
    pub fn code(self) -> i32 {
        match self {
            Button::Left => 0x110,
            Button::Right => 0x111,
            Button::Middle => 0x112,
        }
    }
}

/// What the signal thread keeps up to date.
#[derive(Default)]
struct ClipboardState {
    /// Text this session put on the clipboard, served on Mutter's request.
    offered: Option<Vec<u8>>,
    /// Mime types the clipboard's current owner offers.
    owner_types: Vec<String>,
    /// Whether this session owns the clipboard.
    session_is_owner: bool,
    /// How many times the owner changed (to wait for a change).
    owner_changes: u64,
}

struct Shared {
    closed: AtomicBool,
    clipboard: Mutex<ClipboardState>,
    changed: std::sync::Condvar,
}

impl Shared {
    fn clipboard(&self) -> MutexGuard<'_, ClipboardState> {
        // Every update is a plain assignment: a poisoned lock holds consistent data.
        self.clipboard.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A started Mutter remote desktop session recording one monitor.
pub struct MutterSession {
    conn: Connection,
    rd: Proxy<'static>,
    stream_path: String,
    node_id: u32,
    position: (i32, i32),
    size: (u32, u32),
    timeout: Duration,
    clipboard: bool,
    shared: Arc<Shared>,
    stop_signals: Arc<AtomicBool>,
    signals: Option<JoinHandle<()>>,
    /// Keysyms pressed and not yet released.
    held_keys: BTreeSet<u32>,
    /// Buttons pressed and not yet released.
    held_buttons: BTreeSet<Button>,
    stopped: bool,
}

impl std::fmt::Debug for MutterSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Held keys are what someone is typing: counts only.
        f.debug_struct("MutterSession")
            .field("stream", &self.stream_path)
            .field("node_id", &self.node_id)
            .field("size", &self.size)
            .field("held_keys", &self.held_keys.len())
            .field("held_buttons", &self.held_buttons)
            .finish_non_exhaustive()
    }
}

fn proxy(
    conn: &Connection,
    dest: &'static str,
    path: String,
    iface: &'static str,
) -> Result<Proxy<'static>> {
    zbus::blocking::proxy::Builder::new(conn)
        .destination(dest)
        .and_then(|b| b.path(path))
        .and_then(|b| b.interface(iface))
        .map(|b| b.cache_properties(zbus::proxy::CacheProperties::No))
        .and_then(|b| b.build())
        .map_err(Error::bus("creating a proxy"))
}

/// Waits for the next message of `stream` for at most `timeout`.
fn next_signal(
    stream: &mut zbus::proxy::SignalStream<'_>,
    timeout: Duration,
) -> Option<Option<zbus::Message>> {
    async_io::block_on(futures_lite::future::or(
        async { Some(stream.next().await) },
        async {
            async_io::Timer::after(timeout).await;
            None
        },
    ))
}

/// What Mutter on a bus offers (see [`probe`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MutterInfo {
    /// `org.gnome.Mutter.RemoteDesktop` API version (1 in Mutter 43).
    pub remote_desktop_version: i32,
    /// `org.gnome.Mutter.ScreenCast` API version (4 in Mutter 43).
    pub screen_cast_version: i32,
    /// Input device types sessions can use: 1 keyboard, 2 pointer, 4 touchscreen.
    pub device_types: u32,
}

fn connect(bus: &Bus, timeout: Duration) -> Result<Connection> {
    let builder = match bus {
        Bus::Session => zbus::blocking::connection::Builder::session(),
        Bus::Address(a) => zbus::blocking::connection::Builder::address(a.as_str()),
    }
    .map_err(Error::no_bus)?;
    builder
        .method_timeout(timeout)
        .build()
        .map_err(Error::no_bus)
}

/// Fails with [`Error::MutterAbsent`] unless Mutter's two services are on the bus.
fn check_services(conn: &Connection) -> Result<()> {
    let dbus = zbus::blocking::fdo::DBusProxy::new(conn).map_err(Error::bus("bus proxy"))?;
    for service in [REMOTE_DESKTOP, SCREEN_CAST] {
        let name = zbus::names::BusName::try_from(service)
            .map_err(|e| Error::bus("bus name")(e.into()))?;
        let owned = dbus
            .name_has_owner(name)
            .map_err(|e| Error::bus("NameHasOwner")(e.into()))?;
        if !owned {
            return Err(Error::MutterAbsent { service });
        }
    }
    Ok(())
}

/// Whether Mutter's remote desktop and screen cast services are on `bus`, and
/// their versions; creates no session (so nothing shows on the desktop).
pub fn probe(bus: &Bus, timeout: Duration) -> Result<MutterInfo> {
    let conn = connect(bus, timeout)?;
    check_services(&conn)?;
    let rd = proxy(
        &conn,
        REMOTE_DESKTOP,
        REMOTE_DESKTOP_PATH.into(),
        REMOTE_DESKTOP,
    )?;
    let sc = proxy(&conn, SCREEN_CAST, SCREEN_CAST_PATH.into(), SCREEN_CAST)?;
    Ok(MutterInfo {
        remote_desktop_version: rd
            .get_property("Version")
            .map_err(Error::call("RemoteDesktop.Version"))?,
        screen_cast_version: sc
            .get_property("Version")
            .map_err(Error::call("ScreenCast.Version"))?,
        device_types: rd
            .get_property("SupportedDeviceTypes")
            .map_err(Error::call("RemoteDesktop.SupportedDeviceTypes"))?,
    })
}

impl MutterSession {
    /// Creates a remote desktop session on `bus`, a screen cast of one monitor
    /// tied to it, and starts it; returns once Mutter has named the PipeWire
    /// node of the stream ([`MutterSession::node_id`]).
    pub fn start(bus: &Bus, options: &SessionOptions) -> Result<Self> {
        let timeout = options.timeout;
        let conn = connect(bus, timeout)?;
        // Say which service is missing rather than fail on a call.
        check_services(&conn)?;

        let rd_root = proxy(
            &conn,
            REMOTE_DESKTOP,
            REMOTE_DESKTOP_PATH.into(),
            REMOTE_DESKTOP,
        )?;
        let rd_path: OwnedObjectPath = rd_root
            .call("CreateSession", &())
            .map_err(Error::call("RemoteDesktop.CreateSession"))?;
        let rd = proxy(&conn, REMOTE_DESKTOP, rd_path.to_string(), RD_SESSION)?;
        let session_id: String = rd
            .get_property("SessionId")
            .map_err(Error::call("RemoteDesktop.Session.SessionId"))?;

        let sc_root = proxy(&conn, SCREEN_CAST, SCREEN_CAST_PATH.into(), SCREEN_CAST)?;
        let mut props: HashMap<&str, Value<'_>> = HashMap::new();
        props.insert(
            "remote-desktop-session-id",
            Value::from(session_id.as_str()),
        );
        let sc_path: OwnedObjectPath = sc_root
            .call("CreateSession", &(props,))
            .map_err(Error::call("ScreenCast.CreateSession"))?;
        let sc = proxy(&conn, SCREEN_CAST, sc_path.to_string(), SC_SESSION)?;
        let mut props: HashMap<&str, Value<'_>> = HashMap::new();
        props.insert("cursor-mode", Value::from(options.cursor.as_u32()));
        let connector = options.connector.clone().unwrap_or_default();
        let stream_path: OwnedObjectPath =
            sc.call("RecordMonitor", &(connector.as_str(), props))
                .map_err(Error::call("ScreenCast.Session.RecordMonitor"))?;
        let stream = proxy(&conn, SCREEN_CAST, stream_path.to_string(), SC_STREAM)?;

        // Subscribe before starting: the node id comes once, right after Start.
        let mut added = async_io::block_on(stream.inner().receive_signal("PipeWireStreamAdded"))
            .map_err(Error::bus("subscribing to PipeWireStreamAdded"))?;
        let all = async_io::block_on(rd.inner().receive_all_signals())
            .map_err(Error::bus("subscribing to the session's signals"))?;

        rd.call::<_, _, ()>("Start", &())
            .map_err(Error::call("RemoteDesktop.Session.Start"))?;
        let node_id: u32 = match next_signal(&mut added, timeout) {
            Some(Some(msg)) => msg
                .body()
                .deserialize()
                .map_err(|e| Error::bus("PipeWireStreamAdded")(e))?,
            Some(None) => {
                return Err(Error::Bus {
                    what: "waiting for PipeWireStreamAdded",
                    source: Box::new(zbus::Error::Failure("the connection closed".into())),
                })
            }
            None => {
                return Err(Error::Timeout {
                    what: "the PipeWire node of the screen cast (PipeWireStreamAdded)",
                    after: timeout,
                })
            }
        };
        drop(added);

        let params: HashMap<String, OwnedValue> = stream
            .get_property("Parameters")
            .map_err(Error::call("ScreenCast.Stream.Parameters"))?;
        let pair = |key: &str| -> Option<(i32, i32)> {
            params
                .get(key)
                .and_then(|v| v.try_clone().ok())
                .and_then(|v| <(i32, i32)>::try_from(v).ok())
        };
        let position = pair("position").unwrap_or((0, 0));
        let size = pair("size")
            .and_then(|(w, h)| Some((u32::try_from(w).ok()?, u32::try_from(h).ok()?)))
            .unwrap_or((0, 0));
        tracing::info!(
            node_id,
            ?size,
            ?position,
            "Mutter remote desktop session started"
        );

        let shared = Arc::new(Shared {
            closed: AtomicBool::new(false),
            clipboard: Mutex::new(ClipboardState::default()),
            changed: std::sync::Condvar::new(),
        });
        let stop_signals = Arc::new(AtomicBool::new(false));
        let signals = {
            let rd = rd.clone();
            let shared = shared.clone();
            let stop = stop_signals.clone();
            std::thread::Builder::new()
                .name("latchkey-mutter-signals".to_string())
                .spawn(move || follow_signals(all, rd, shared, stop, timeout))
                .map_err(Error::io("starting the signal thread"))?
        };

        let mut session = MutterSession {
            conn,
            rd,
            stream_path: stream_path.to_string(),
            node_id,
            position,
            size,
            timeout,
            clipboard: false,
            shared,
            stop_signals,
            signals: Some(signals),
            held_keys: BTreeSet::new(),
            held_buttons: BTreeSet::new(),
            stopped: false,
        };
        session.create_devices()?;
        if options.clipboard {
            let empty: HashMap<&str, Value<'_>> = HashMap::new();
            session.call(
                "RemoteDesktop.Session.EnableClipboard",
                "EnableClipboard",
                &(empty,),
            )?;
            session.clipboard = true;
        }
        Ok(session)
    }

    /// Makes Mutter create the session's virtual pointer and keyboard now.
    ///
    /// Mutter creates them on their first event, and Wayland clients get a
    /// pointer and a keyboard only once they exist (a headless Mutter has no
    /// other input devices); the key press that creates the keyboard reaches
    /// no client, as focus is not set yet. So a pointer motion of zero and
    /// a press and release of `VoidSymbol` (a keysym no keymap has, so nothing
    /// is typed; Mutter logs that it found no key for it) go out first.
    fn create_devices(&mut self) -> Result<()> {
        self.call(
            "RemoteDesktop.Session.NotifyPointerMotionRelative",
            "NotifyPointerMotionRelative",
            &(0.0f64, 0.0f64),
        )?;
        self.send_keysym(VOID_SYMBOL, true)?;
        self.send_keysym(VOID_SYMBOL, false)
    }

    /// The PipeWire node the monitor's frames come from (see [`crate::Capture`]).
    pub fn node_id(&self) -> u32 {
        self.node_id
    }

    /// The recorded monitor's size in its logical pixels (what pointer
    /// positions are in), `(0, 0)` if Mutter did not say.
    pub fn size(&self) -> (u32, u32) {
        self.size
    }

    /// The recorded monitor's position in the desktop's coordinates.
    pub fn position(&self) -> (i32, i32) {
        self.position
    }

    /// The D-Bus connection the session lives on.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Whether the session has ended (Mutter closed it, or [`MutterSession::stop`] ran).
    pub fn is_closed(&self) -> bool {
        self.stopped || self.shared.closed.load(Ordering::SeqCst)
    }

    fn call<B>(&self, method: &'static str, member: &'static str, body: &B) -> Result<()>
    where
        B: zbus::export::serde::ser::Serialize + zbus::zvariant::DynamicType,
    {
        if self.is_closed() {
            return Err(Error::Closed);
        }
        self.rd
            .call::<_, _, ()>(member, body)
            .map_err(Error::call(method))
    }

    /// Moves the pointer to (`x`, `y`) in the monitor's pixels (the coordinates
    /// of a captured frame when the monitor is not scaled).
    pub fn move_to(&mut self, x: f64, y: f64) -> Result<()> {
        if !x.is_finite() || !y.is_finite() || x < 0.0 || y < 0.0 {
            return Err(Error::OutOfRange("pointer position"));
        }
        let (w, h) = self.size;
        let (x, y) = if w > 0 && h > 0 {
            (x.min(f64::from(w - 1)), y.min(f64::from(h - 1)))
        } else {
            (x, y)
        };
        let stream = self.stream_path.clone();
        self.call(
            "RemoteDesktop.Session.NotifyPointerMotionAbsolute",
            "NotifyPointerMotionAbsolute",
            &(stream.as_str(), x, y),
        )
    }

    /// Presses or releases `button`.
    pub fn button(&mut self, button: Button, pressed: bool) -> Result<()> {
        let changed = if pressed {
            self.held_buttons.insert(button)
        } else {
            self.held_buttons.remove(&button)
        };
        if !changed {
            return Ok(());
        }
        self.call(
            "RemoteDesktop.Session.NotifyPointerButton",
            "NotifyPointerButton",
            &(button.code(), pressed),
        )
    }

    /// Presses and releases `button`.
    pub fn click(&mut self, button: Button) -> Result<()> {
        self.button(button, true)?;
        self.button(button, false)
    }

    /// Turns the wheel by whole notches: `dy > 0` scrolls down, `dx > 0` right
    /// (each clamped to ±[`MAX_WHEEL_NOTCHES`]).
    pub fn scroll(&mut self, dx: i32, dy: i32) -> Result<()> {
        for (axis, steps) in [(0u32, dy), (1u32, dx)] {
            let steps = steps.clamp(-MAX_WHEEL_NOTCHES, MAX_WHEEL_NOTCHES);
            if steps != 0 {
                self.call(
                    "RemoteDesktop.Session.NotifyPointerAxisDiscrete",
                    "NotifyPointerAxisDiscrete",
                    &(axis, steps),
                )?;
            }
        }
        Ok(())
    }

    fn send_keysym(&mut self, keysym: u32, pressed: bool) -> Result<()> {
        self.call(
            "RemoteDesktop.Session.NotifyKeyboardKeysym",
            "NotifyKeyboardKeysym",
            &(keysym, pressed),
        )
    }

    /// Presses or releases the key `name` (an X keysym name: `a`, `Return`,
    /// `Shift_L`, `F5`; see [`crate::key_names`]). Letters name their key, so `A`
    /// and `a` are the same key; hold `Shift_L` for capitals.
    pub fn key(&mut self, name: &str, pressed: bool) -> Result<()> {
        let keysym = keysym::keysym_for_name(name).ok_or(Error::UnknownKey)?;
        let changed = if pressed {
            self.held_keys.insert(keysym)
        } else {
            self.held_keys.remove(&keysym)
        };
        if !changed {
            return Ok(());
        }
        self.send_keysym(keysym, pressed)
    }

    /// Presses and releases the key `name`.
    pub fn tap(&mut self, name: &str) -> Result<()> {
        self.key(name, true)?;
        self.key(name, false)
    }

    /// Types `text` as characters: Mutter finds each character's key in the
    /// session's keymap and adds Shift (or AltGr) as needed. `\n` types Return
    /// and `\t` Tab; other control characters, or more than
    /// [`MAX_TEXT_CHARS`], are refused before anything is typed.
    ///
    /// Mutter 43 types only characters its current keymap has: others (`é` or
    /// `€` on a US layout) are dropped without an error (Mutter logs a
    /// warning), unlike the wlroots path, whose virtual keyboard brings its own
    /// keymap. Paste such text through the clipboard instead.
    pub fn type_text(&mut self, text: &str) -> Result<()> {
        let keysyms: Option<Vec<u32>> = text.chars().map(keysym::keysym_for_char).collect();
        let keysyms = keysyms.ok_or(Error::UntypableText)?;
        if keysyms.len() > MAX_TEXT_CHARS {
            return Err(Error::UntypableText);
        }
        for keysym in keysyms {
            self.send_keysym(keysym, true)?;
            self.send_keysym(keysym, false)?;
        }
        Ok(())
    }

    /// Releases every key and button this session holds.
    pub fn release_all(&mut self) -> Result<()> {
        let mut first_error = None;
        // Ordinary keys first, Shift last, so nothing types a capital on the way out.
        let mut keys: Vec<u32> = std::mem::take(&mut self.held_keys).into_iter().collect();
        keys.sort_by_key(|k| keysym::SHIFT_KEYSYMS.contains(k));
        for keysym in keys {
            if let Err(e) = self.send_keysym(keysym, false) {
                first_error.get_or_insert(e);
            }
        }
        for button in std::mem::take(&mut self.held_buttons) {
            if let Err(e) = self.call(
                "RemoteDesktop.Session.NotifyPointerButton",
                "NotifyPointerButton",
                &(button.code(), false),
            ) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Puts `text` on the desktop's clipboard: this session becomes its owner
    /// and hands the text to whoever pastes.
    pub fn set_clipboard_text(&mut self, text: &str) -> Result<()> {
        if !self.clipboard {
            return Err(Error::Refused {
                method: "RemoteDesktop.Session.SetSelection",
                message: "the session was started without the clipboard".to_string(),
            });
        }
        if text.len() > MAX_CLIPBOARD_BYTES {
            return Err(Error::ClipboardTooLarge(MAX_CLIPBOARD_BYTES));
        }
        self.shared.clipboard().offered = Some(text.as_bytes().to_vec());
        let types: Vec<&str> = TEXT_MIME_TYPES.to_vec();
        let mut options: HashMap<&str, Value<'_>> = HashMap::new();
        options.insert("mime-types", Value::from(types));
        self.call(
            "RemoteDesktop.Session.SetSelection",
            "SetSelection",
            &(options,),
        )
    }

    /// The text on the desktop's clipboard (whoever owns it), read through
    /// Mutter; [`Error::NoClipboardText`] when the clipboard holds no text.
    pub fn clipboard_text(&mut self) -> Result<String> {
        if !self.clipboard {
            return Err(Error::Refused {
                method: "RemoteDesktop.Session.SelectionRead",
                message: "the session was started without the clipboard".to_string(),
            });
        }
        let mime = {
            let state = self.shared.clipboard();
            if state.session_is_owner {
                if let Some(text) = &state.offered {
                    return String::from_utf8(text.clone()).map_err(|_| Error::NoClipboardText);
                }
            }
            TEXT_MIME_TYPES
                .iter()
                .find(|t| state.owner_types.iter().any(|o| o == *t))
                .copied()
                .ok_or(Error::NoClipboardText)?
        };
        if self.is_closed() {
            return Err(Error::Closed);
        }
        let fd: zbus::zvariant::OwnedFd = self
            .rd
            .call("SelectionRead", &(mime,))
            .map_err(Error::call("RemoteDesktop.Session.SelectionRead"))?;
        let bytes = read_bounded(fd.into(), self.timeout)?;
        String::from_utf8(bytes).map_err(|_| Error::NoClipboardText)
    }

    /// Waits up to `timeout` until the clipboard has changed owner `count`
    /// times since the session started (see [`MutterSession::clipboard_changes`]).
    pub fn wait_clipboard_change(&self, count: u64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.clipboard();
        while state.owner_changes < count {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            state = self
                .shared
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        true
    }

    /// How many times the clipboard has changed owner since the session started.
    pub fn clipboard_changes(&self) -> u64 {
        self.shared.clipboard().owner_changes
    }

    /// Releases what the session holds and ends it (Mutter then ends the
    /// screen cast and its PipeWire stream).
    pub fn stop(&mut self) -> Result<()> {
        if self.stopped {
            return Ok(());
        }
        let released = if self.shared.closed.load(Ordering::SeqCst) {
            Ok(())
        } else {
            self.release_all()
        };
        let stopped = if self.shared.closed.load(Ordering::SeqCst) {
            Ok(())
        } else {
            self.rd
                .call::<_, _, ()>("Stop", &())
                .map_err(Error::call("RemoteDesktop.Session.Stop"))
        };
        self.stopped = true;
        self.stop_signals.store(true, Ordering::SeqCst);
        if let Some(thread) = self.signals.take() {
            if thread.join().is_err() {
                tracing::warn!("the D-Bus signal thread panicked");
            }
        }
        released.and(stopped)
    }
}

impl Drop for MutterSession {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            tracing::warn!(error = %e, "ending the Mutter session failed");
        }
    }
}

/// The signal thread: follows `Closed`, clipboard owner changes, and serves
/// this session's clipboard text when Mutter asks (`SelectionTransfer`).
fn follow_signals(
    mut signals: zbus::proxy::SignalStream<'static>,
    rd: Proxy<'static>,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    timeout: Duration,
) {
    // Short waits, so a stop request is seen quickly.
    const POLL: Duration = Duration::from_millis(100);
    while !stop.load(Ordering::SeqCst) {
        let msg = match next_signal(&mut signals, POLL) {
            None => continue,
            Some(None) => {
                shared.closed.store(true, Ordering::SeqCst);
                break;
            }
            Some(Some(msg)) => msg,
        };
        let header = msg.header();
        let Some(member) = header.member() else {
            continue;
        };
        match member.as_str() {
            "Closed" => {
                tracing::info!("Mutter closed the remote desktop session");
                shared.closed.store(true, Ordering::SeqCst);
                shared.changed.notify_all();
                break;
            }
            "SelectionOwnerChanged" => {
                let Ok(options) = msg.body().deserialize::<HashMap<String, OwnedValue>>() else {
                    continue;
                };
                let types = options
                    .get("mime-types")
                    .map(|v| string_list(v))
                    .unwrap_or_default();
                let is_owner = options
                    .get("session-is-owner")
                    .and_then(|v| bool::try_from(v).ok())
                    .unwrap_or(false);
                tracing::debug!(types = types.len(), is_owner, "clipboard owner changed");
                let mut state = shared.clipboard();
                state.owner_types = types;
                state.session_is_owner = is_owner;
                state.owner_changes += 1;
                shared.changed.notify_all();
            }
            "SelectionTransfer" => {
                let Ok((mime, serial)) = msg.body().deserialize::<(String, u32)>() else {
                    continue;
                };
                let offered = shared.clipboard().offered.clone();
                let ok = match offered {
                    Some(text) if TEXT_MIME_TYPES.contains(&mime.as_str()) => {
                        match serve_transfer(&rd, serial, &text, timeout) {
                            Ok(()) => true,
                            Err(e) => {
                                tracing::warn!(error = %e, "clipboard transfer failed");
                                false
                            }
                        }
                    }
                    _ => false,
                };
                if let Err(e) = rd.call::<_, _, ()>("SelectionWriteDone", &(serial, ok)) {
                    tracing::warn!(error = %e, "SelectionWriteDone failed");
                }
            }
            _ => {}
        }
    }
}

/// The strings of an `as` value, or of the `(as)` Mutter 43 sends in
/// `SelectionOwnerChanged`.
fn string_list(value: &Value<'_>) -> Vec<String> {
    match value {
        Value::Array(array) => array
            .iter()
            .filter_map(|v| match v {
                Value::Str(s) => Some(s.to_string()),
                _ => None,
            })
            .collect(),
        Value::Structure(s) => s.fields().first().map(string_list).unwrap_or_default(),
        Value::Value(inner) => string_list(inner),
        _ => Vec::new(),
    }
}

/// Writes `text` into the descriptor Mutter hands out for transfer `serial`.
fn serve_transfer(rd: &Proxy<'_>, serial: u32, text: &[u8], timeout: Duration) -> Result<()> {
    let fd: zbus::zvariant::OwnedFd = rd
        .call("SelectionWrite", &(serial,))
        .map_err(Error::call("RemoteDesktop.Session.SelectionWrite"))?;
    write_bounded(fd.into(), text, timeout)
}

fn set_nonblocking(fd: &OwnedFd) -> Result<()> {
    let flags = rustix::fs::fcntl_getfl(fd).map_err(|e| Error::io("fcntl")(e.into()))?;
    rustix::fs::fcntl_setfl(fd, flags | rustix::fs::OFlags::NONBLOCK)
        .map_err(|e| Error::io("fcntl")(e.into()))
}

/// Waits until `fd` is ready for `flags`, or the deadline passes.
fn wait_ready(
    fd: &impl AsFd,
    flags: rustix::event::PollFlags,
    deadline: Instant,
    timeout: Duration,
    what: &'static str,
) -> Result<()> {
    loop {
        let left = deadline
            .checked_duration_since(Instant::now())
            .ok_or(Error::Timeout {
                what,
                after: timeout,
            })?;
        let timeout = rustix::event::Timespec {
            tv_sec: left.as_secs() as i64,
            tv_nsec: i64::from(left.subsec_nanos()),
        };
        let mut fds = [rustix::event::PollFd::new(fd, flags)];
        match rustix::event::poll(&mut fds, Some(&timeout)) {
            Ok(0) => continue,
            Ok(_) => return Ok(()),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(Error::io("poll")(e.into())),
        }
    }
}

/// Reads a clipboard transfer to its end, at most [`MAX_CLIPBOARD_BYTES`]
/// and for at most `timeout`.
fn read_bounded(fd: OwnedFd, timeout: Duration) -> Result<Vec<u8>> {
    set_nonblocking(&fd)?;
    let deadline = Instant::now() + timeout;
    let mut file = std::fs::File::from(fd);
    let mut out = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Ok(out),
            Ok(n) => {
                if out.len() + n > MAX_CLIPBOARD_BYTES {
                    return Err(Error::ClipboardTooLarge(MAX_CLIPBOARD_BYTES));
                }
                out.extend_from_slice(&buf[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                wait_ready(
                    &file,
                    rustix::event::PollFlags::IN,
                    deadline,
                    timeout,
                    "reading the clipboard",
                )?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io("reading the clipboard")(e)),
        }
    }
}

/// Writes all of `data` to `fd` within `timeout`, then closes it.
fn write_bounded(fd: OwnedFd, data: &[u8], timeout: Duration) -> Result<()> {
    set_nonblocking(&fd)?;
    let deadline = Instant::now() + timeout;
    let mut file = std::fs::File::from(fd);
    let mut rest = data;
    while !rest.is_empty() {
        match file.write(rest) {
            Ok(n) => rest = &rest[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                wait_ready(
                    &file,
                    rustix::event::PollFlags::OUT,
                    deadline,
                    timeout,
                    "writing the clipboard",
                )?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io("writing the clipboard")(e)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_type_lists_are_read_bare_or_in_a_structure() {
        let bare = Value::from(vec!["text/plain", "UTF8_STRING"]);
        assert_eq!(string_list(&bare), ["text/plain", "UTF8_STRING"]);
        let wrapped = Value::from((vec!["text/plain"],));
        assert_eq!(string_list(&wrapped), ["text/plain"]);
        assert!(string_list(&Value::from(7u32)).is_empty());
    }

    #[test]
    fn transfers_through_a_pipe_are_bounded_and_complete() {
        let (r, w) = rustix::pipe::pipe().expect("pipe");
        let text = vec![b'x'; 200_000];
        let writer = {
            let text = text.clone();
            std::thread::spawn(move || write_bounded(w, &text, Duration::from_secs(10)))
        };
        let read = read_bounded(r, Duration::from_secs(10)).expect("read");
        writer.join().expect("join").expect("write");
        assert_eq!(read, text);
    }

    #[test]
    fn a_silent_writer_times_out() {
        let (r, _w) = rustix::pipe::pipe().expect("pipe");
        let err = read_bounded(r, Duration::from_millis(200)).expect_err("no data, no EOF");
        assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    }

    #[test]
    fn an_unreachable_bus_is_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        let address = format!("unix:path={}", dir.path().join("no-bus").display());
        let err = MutterSession::start(&Bus::Address(address), &SessionOptions::default())
            .expect_err("nothing listens there");
        assert!(matches!(err, Error::NoSessionBus(_)), "{err:?}");
    }
}
