//! A remote desktop session through xdg-desktop-portal on the session bus:
//! `RemoteDesktop.CreateSession` -> `RemoteDesktop.SelectDevices` (keyboard
//! and pointer, `persist_mode` 2, the restore token kept) ->
//! `ScreenCast.SelectSources` (one monitor) -> `RemoteDesktop.Start` (where
//! the portal shows its dialog unless the token restores the approval) ->
//! `ScreenCast.OpenPipeWireRemote` for frames, and `Notify*` calls for input.
//!
//! Every portal request answers through a `Response` signal on a Request
//! object whose path the caller can compute before calling:
//! `/org/freedesktop/portal/desktop/request/SENDER/TOKEN`, where SENDER is the
//! caller's unique bus name without its `:` and with `.` turned to `_`, and
//! TOKEN the `handle_token` option the caller chose. The subscription is made
//! on that path before the call, so a fast answer is never missed.

use std::collections::{BTreeSet, HashMap};
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use futures_lite::StreamExt;
use latchkey_mutter::{Bus, Button, Capture, CursorMode};
use zbus::blocking::{Connection, Proxy};
use zbus::zvariant::{ObjectPath, OwnedObjectPath, OwnedValue, Value};

use crate::error::{Error, Result};
use crate::store::TokenFile;
use crate::token::{Plan, RestoreToken, SessionKind, StartOutcome, TokenState, Verdict};

/// The portal's bus name.
pub const PORTAL: &str = "org.freedesktop.portal.Desktop";
/// The RemoteDesktop interface.
pub const REMOTE_DESKTOP: &str = "org.freedesktop.portal.RemoteDesktop";
/// The ScreenCast interface.
pub const SCREEN_CAST: &str = "org.freedesktop.portal.ScreenCast";
const PORTAL_PATH: &str = "/org/freedesktop/portal/desktop";
const REQUEST: &str = "org.freedesktop.portal.Request";
const SESSION: &str = "org.freedesktop.portal.Session";

/// Device types for `SelectDevices`: keyboard (1) and pointer (2).
const KEYBOARD_AND_POINTER: u32 = 1 | 2;
/// Source types for `SelectSources`: monitor.
const MONITOR: u32 = 1;
/// `persist_mode` 2: remember the approval until it is revoked.
const PERSIST_UNTIL_REVOKED: u32 = 2;
/// RemoteDesktop hands out restore tokens from version 2 (xdg-desktop-portal
/// 1.18; Debian 12's 1.16 has version 1).
const RD_RESTORE_VERSION: u32 = 2;
/// ScreenCast hands out restore tokens from version 4 (xdg-desktop-portal 1.12).
const SC_RESTORE_VERSION: u32 = 4;

/// Largest wheel movement per call and axis, in notches.
pub const MAX_WHEEL_NOTCHES: i32 = 50;
/// Largest text typed at once, in characters.
pub const MAX_TEXT_CHARS: usize = 4096;
/// How long calls and non-interactive answers take at most by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether someone at the desk may be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    /// Unattended: start only with a restore token. With none, fail with
    /// [`Error::DeskMustApproveOnce`] before anything shows on the screen;
    /// when the portal shows its dialog anyway (the token was not accepted),
    /// close the session after [`PortalOptions::timeout`] and fail the same way.
    RestoreOnly,
    /// Someone is at the desk (unattended access is being turned on): show the
    /// portal's dialog if needed, and wait this long for the answer.
    AtDesk(Duration),
}

/// How to set a session up.
#[derive(Debug, Clone)]
pub struct PortalOptions {
    /// The desktop, as `XDG_CURRENT_DESKTOP` names it: tokens are kept per desktop.
    pub desktop: String,
    /// Screen and input ([`SessionKind::RemoteDesktop`]) or the screen only
    /// ([`SessionKind::ScreenCast`], for view-only sessions).
    pub kind: SessionKind,
    /// Whether the pointer shows in the frames.
    pub cursor: CursorMode,
    /// Whether the desk may be asked.
    pub approval: Approval,
    /// Longest wait for a call, and for a Start that should need no dialog.
    pub timeout: Duration,
}

impl PortalOptions {
    /// Unattended options for `desktop`, pointer drawn into the frames.
    pub fn unattended(desktop: impl Into<String>) -> Self {
        PortalOptions {
            desktop: desktop.into(),
            kind: SessionKind::RemoteDesktop,
            cursor: CursorMode::Embedded,
            approval: Approval::RestoreOnly,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// One screen the session shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stream {
    /// Its PipeWire node.
    pub node_id: u32,
    /// Its position in the desktop, if the portal said.
    pub position: Option<(i32, i32)>,
    /// Its size, if the portal said.
    pub size: Option<(u32, u32)>,
}

/// What the portal on a bus offers (see [`probe`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortalInfo {
    /// `org.freedesktop.portal.RemoteDesktop` version (restore tokens from 2).
    pub remote_desktop_version: u32,
    /// `org.freedesktop.portal.ScreenCast` version.
    pub screen_cast_version: u32,
    /// Device types the backend offers: 1 keyboard, 2 pointer, 4 touchscreen.
    pub device_types: u32,
}

fn connect(bus: &Bus, timeout: Duration) -> Result<Connection> {
    let builder = match bus {
        Bus::Session => zbus::blocking::connection::Builder::session(),
        Bus::Address(a) => zbus::blocking::connection::Builder::address(a.as_str()),
    }
    .map_err(|e| Error::NoSessionBus(Box::new(e)))?;
    builder
        .method_timeout(timeout)
        .build()
        .map_err(|e| Error::NoSessionBus(Box::new(e)))
}

fn proxy(conn: &Connection, path: String, iface: &'static str) -> Result<Proxy<'static>> {
    zbus::blocking::proxy::Builder::new(conn)
        .destination(PORTAL)
        .and_then(|b| b.path(path))
        .and_then(|b| b.interface(iface))
        .map(|b| b.cache_properties(zbus::proxy::CacheProperties::No))
        .and_then(|b| b.build())
        .map_err(Error::bus("creating a proxy"))
}

fn version(p: &Proxy<'_>, interface: &'static str, method: &'static str) -> Result<u32> {
    p.get_property::<u32>("version")
        .map_err(|e| match Error::call(method)(e) {
            // A portal without the interface answers property reads with an error.
            Error::Refused { .. } => Error::PortalAbsent { interface },
            other => other,
        })
}

/// Whether the portal on `bus` offers RemoteDesktop and ScreenCast, and their
/// versions; creates no session (nothing shows on the desktop).
pub fn probe(bus: &Bus, timeout: Duration) -> Result<PortalInfo> {
    let conn = connect(bus, timeout)?;
    let rd = proxy(&conn, PORTAL_PATH.into(), REMOTE_DESKTOP)?;
    let sc = proxy(&conn, PORTAL_PATH.into(), SCREEN_CAST)?;
    Ok(PortalInfo {
        remote_desktop_version: version(&rd, REMOTE_DESKTOP, "RemoteDesktop.version")?,
        screen_cast_version: version(&sc, SCREEN_CAST, "ScreenCast.version")?,
        device_types: rd
            .get_property("AvailableDeviceTypes")
            .map_err(Error::call("RemoteDesktop.AvailableDeviceTypes"))?,
    })
}

/// The Request path the portal will use for `token` on this connection.
pub fn request_path(unique_name: &str, token: &str) -> String {
    let sender = unique_name.trim_start_matches(':').replace('.', "_");
    format!("{PORTAL_PATH}/request/{sender}/{token}")
}

/// A fresh handle token: letters, digits and `_` only, as the portal requires.
fn handle_token() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "latchkey_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// How a request ended.
enum Response {
    /// Code 0 with its results.
    Ok(HashMap<String, OwnedValue>),
    /// Code 1: cancelled by the user.
    Cancelled,
    /// Code 2 (or another code): failed.
    Failed,
    /// No answer in the time allowed.
    NoAnswer,
}

/// Sends one portal request and waits up to `wait` for its `Response`.
fn request<B>(
    conn: &Connection,
    iface: &Proxy<'_>,
    method: &'static str,
    member: &'static str,
    body: impl FnOnce(&str) -> B,
    wait: Duration,
) -> Result<Response>
where
    B: serde::Serialize + zbus::zvariant::DynamicType,
{
    let token = handle_token();
    let unique = conn
        .unique_name()
        .ok_or_else(|| {
            Error::bus("the connection's name")(zbus::Error::Failure("no unique name".into()))
        })?
        .to_string();
    let expected = request_path(&unique, &token);
    let req = proxy(conn, expected.clone(), REQUEST)?;
    let mut responses = async_io::block_on(req.inner().receive_signal("Response"))
        .map_err(Error::bus("subscribing to the request's Response"))?;
    let handle: OwnedObjectPath = iface
        .call(member, &body(&token))
        .map_err(Error::call(method))?;
    if handle.as_str() != expected {
        // Portals before 0.9 chose the path themselves: follow theirs (an
        // answer sent before this subscription would be missed).
        tracing::debug!(method, "the portal chose its own request path");
        let req = proxy(conn, handle.to_string(), REQUEST)?;
        responses = async_io::block_on(req.inner().receive_signal("Response"))
            .map_err(Error::bus("subscribing to the request's Response"))?;
    }
    let msg = async_io::block_on(futures_lite::future::or(
        async { Some(responses.next().await) },
        async {
            async_io::Timer::after(wait).await;
            None
        },
    ));
    match msg {
        None => {
            // Dismiss the request (its dialog, if any); it may be gone already.
            if let Ok(req) = proxy(conn, handle.to_string(), REQUEST) {
                let _ = req.call::<_, _, ()>("Close", &());
            }
            Ok(Response::NoAnswer)
        }
        Some(None) => Err(Error::Bus {
            what: method,
            source: Box::new(zbus::Error::Failure("the connection closed".into())),
        }),
        Some(Some(msg)) => {
            let (code, results): (u32, HashMap<String, OwnedValue>) =
                msg.body().deserialize().map_err(Error::bus(method))?;
            Ok(match code {
                0 => Response::Ok(results),
                1 => Response::Cancelled,
                _ => Response::Failed,
            })
        }
    }
}

/// Reads `streams` (`a(ua{sv})`) from Start's results.
fn parse_streams(value: &Value<'_>) -> Vec<Stream> {
    let Value::Array(items) = value else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let Value::Structure(s) = item else {
                return None;
            };
            let fields = s.fields();
            let node_id = match fields.first()? {
                Value::U32(n) => *n,
                _ => return None,
            };
            let mut stream = Stream {
                node_id,
                position: None,
                size: None,
            };
            if let Some(Value::Dict(props)) = fields.get(1) {
                let pair = |key: &str| -> Option<(i32, i32)> {
                    let v: Option<Value<'_>> = props.get(&key).ok().flatten();
                    let v = v?;
                    let v = match v {
                        Value::Value(inner) => *inner,
                        other => other,
                    };
                    <(i32, i32)>::try_from(v).ok()
                };
                stream.position = pair("position");
                stream.size = pair("size")
                    .and_then(|(w, h)| Some((u32::try_from(w).ok()?, u32::try_from(h).ok()?)));
            }
            Some(stream)
        })
        .collect()
}

fn no_options() -> HashMap<&'static str, Value<'static>> {
    HashMap::new()
}

/// A started portal remote desktop session: screens shared as PipeWire nodes,
/// pointer and keys through the portal. Closed (and held keys and buttons
/// released) when dropped.
pub struct PortalSession {
    conn: Connection,
    rd: Proxy<'static>,
    sc: Proxy<'static>,
    kind: SessionKind,
    session: OwnedObjectPath,
    streams: Vec<Stream>,
    remembered: bool,
    held_keys: BTreeSet<u32>,
    held_buttons: BTreeSet<Button>,
    closed: bool,
}

impl std::fmt::Debug for PortalSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalSession")
            .field("session", &self.session.as_str())
            .field("streams", &self.streams)
            .field("remembered", &self.remembered)
            .field("held_keys", &self.held_keys.len())
            .finish_non_exhaustive()
    }
}

fn since_epoch() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl PortalSession {
    /// Loads the token state from `file`, starts a session with it, and saves
    /// what the portal answered (a new token, or the loss of the old one),
    /// whether or not the session started. A damaged file is set aside (see
    /// [`TokenFile`]) and the session asks as with no token.
    pub fn start_with_file(bus: &Bus, options: &PortalOptions, file: &TokenFile) -> Result<Self> {
        let mut state = match file.load() {
            Ok(state) => state,
            Err(e @ Error::CorruptTokenFile { .. }) => {
                tracing::warn!(error = %e, "starting with no portal token");
                TokenState::default()
            }
            Err(e) => return Err(e),
        };
        let before = state.clone();
        let result = Self::start(bus, options, &mut state);
        if state != before {
            file.save(&state)?;
        }
        result
    }

    /// Starts a session following `state`'s plan, and updates `state` with
    /// the outcome (the caller saves it, whatever the result: a granted Start
    /// always replaces the token).
    pub fn start(bus: &Bus, options: &PortalOptions, state: &mut TokenState) -> Result<Self> {
        let kind = options.kind;
        let timeout = options.timeout;
        let plan = state.plan(&options.desktop, kind);
        let conn = connect(bus, timeout)?;
        let rd = proxy(&conn, PORTAL_PATH.into(), REMOTE_DESKTOP)?;
        let sc = proxy(&conn, PORTAL_PATH.into(), SCREEN_CAST)?;
        let (version, needed, interface) = match kind {
            SessionKind::RemoteDesktop => (
                version(&rd, REMOTE_DESKTOP, "RemoteDesktop.version")?,
                RD_RESTORE_VERSION,
                REMOTE_DESKTOP,
            ),
            SessionKind::ScreenCast => (
                version(&sc, SCREEN_CAST, "ScreenCast.version")?,
                SC_RESTORE_VERSION,
                SCREEN_CAST,
            ),
        };
        // A portal that cannot remember can still share with the desk's
        // approval each time; unattended, it cannot.
        let persist = version >= needed;
        if !persist && options.approval == Approval::RestoreOnly {
            return Err(Error::PortalTooOld {
                interface,
                version,
                needed,
            });
        }
        if let (Plan::AskOnce(reason), Approval::RestoreOnly) = (&plan, options.approval) {
            // Nobody to answer a dialog: say so without showing one.
            return Err(Error::DeskMustApproveOnce(reason.clone()));
        }
        let main = match kind {
            SessionKind::RemoteDesktop => &rd,
            SessionKind::ScreenCast => &sc,
        };
        let step = |rd: &'static str, sc: &'static str| match kind {
            SessionKind::RemoteDesktop => rd,
            SessionKind::ScreenCast => sc,
        };

        // CreateSession.
        let session_token = handle_token();
        let method = step("RemoteDesktop.CreateSession", "ScreenCast.CreateSession");
        let created = request(
            &conn,
            main,
            method,
            "CreateSession",
            |token| {
                let mut o: HashMap<&str, Value<'_>> = HashMap::new();
                o.insert("handle_token", Value::from(token.to_string()));
                o.insert("session_handle_token", Value::from(session_token.clone()));
                (o,)
            },
            timeout,
        )?;
        let results = expect_ok(created, method, timeout)?;
        let session: OwnedObjectPath = results
            .get("session_handle")
            .and_then(|v| {
                let s: Option<String> = v.try_clone().ok().and_then(|v| String::try_from(v).ok());
                s.or_else(|| {
                    v.try_clone()
                        .ok()
                        .and_then(|v| OwnedObjectPath::try_from(v).ok())
                        .map(|p| p.to_string())
                })
            })
            .and_then(|s| OwnedObjectPath::try_from(s).ok())
            .ok_or_else(|| Error::Refused {
                method,
                message: "no session_handle in the response".to_string(),
            })?;
        let mut session_guard = SessionGuard {
            conn: conn.clone(),
            path: Some(session.clone()),
        };
        // Persistence and the token go in SelectDevices for a remote desktop
        // session, in SelectSources for a screen cast.
        let persist_options = |o: &mut HashMap<&str, Value<'_>>| {
            if persist {
                o.insert("persist_mode", Value::from(PERSIST_UNTIL_REVOKED));
                if let Some(t) = plan.token() {
                    o.insert("restore_token", Value::from(t.as_str().to_string()));
                }
            }
        };

        if kind == SessionKind::RemoteDesktop {
            // SelectDevices: keyboard and pointer.
            let selected = request(
                &conn,
                &rd,
                "RemoteDesktop.SelectDevices",
                "SelectDevices",
                |token| {
                    let mut o: HashMap<&str, Value<'_>> = HashMap::new();
                    o.insert("handle_token", Value::from(token.to_string()));
                    o.insert("types", Value::from(KEYBOARD_AND_POINTER));
                    persist_options(&mut o);
                    (ObjectPath::from(&session), o)
                },
                timeout,
            )?;
            expect_ok(selected, "RemoteDesktop.SelectDevices", timeout)?;
        }

        // SelectSources: one monitor.
        let cursor_mode: u32 = match options.cursor {
            CursorMode::Hidden => 1,
            _ => 2,
        };
        let sources = request(
            &conn,
            &sc,
            "ScreenCast.SelectSources",
            "SelectSources",
            |token| {
                let mut o: HashMap<&str, Value<'_>> = HashMap::new();
                o.insert("handle_token", Value::from(token.to_string()));
                o.insert("types", Value::from(MONITOR));
                o.insert("multiple", Value::from(false));
                o.insert("cursor_mode", Value::from(cursor_mode));
                if kind == SessionKind::ScreenCast {
                    persist_options(&mut o);
                }
                (ObjectPath::from(&session), o)
            },
            timeout,
        )?;
        expect_ok(sources, "ScreenCast.SelectSources", timeout)?;

        // Start: restores with no dialog, or asks the desk.
        let wait = match options.approval {
            Approval::RestoreOnly => timeout,
            Approval::AtDesk(wait) => wait,
        };
        tracing::info!(
            ?kind,
            persist,
            restoring = persist && plan.token().is_some(),
            "starting a portal session"
        );
        let method = step("RemoteDesktop.Start", "ScreenCast.Start");
        let started = request(
            &conn,
            main,
            method,
            "Start",
            |token| {
                let mut o: HashMap<&str, Value<'_>> = HashMap::new();
                o.insert("handle_token", Value::from(token.to_string()));
                (ObjectPath::from(&session), "", o)
            },
            wait,
        )?;
        let now = since_epoch();
        let (outcome, results) = match started {
            Response::Ok(results) => {
                let token = results
                    .get("restore_token")
                    .and_then(|v| v.try_clone().ok())
                    .and_then(|v| String::try_from(v).ok())
                    .and_then(RestoreToken::new);
                (StartOutcome::Granted(token), results)
            }
            Response::Cancelled => (StartOutcome::Cancelled, HashMap::new()),
            Response::Failed => (StartOutcome::Failed, HashMap::new()),
            Response::NoAnswer => (StartOutcome::NoAnswer, HashMap::new()),
        };
        let verdict = if persist {
            state.on_start(&plan, &options.desktop, kind, outcome, now)
        } else {
            // Nothing was asked to be remembered: the state is not this
            // session's business (a token kept stays for a newer portal).
            let mut scratch = state.clone();
            scratch.on_start(&plan, &options.desktop, kind, outcome, now)
        };
        match verdict {
            Verdict::Sharing { remembered } => {
                let streams = results
                    .get("streams")
                    .map(|v| parse_streams(v))
                    .unwrap_or_default();
                if streams.is_empty() {
                    return Err(Error::NoStream);
                }
                let remembered = remembered && persist;
                tracing::info!(
                    ?kind,
                    remembered,
                    streams = streams.len(),
                    "portal session started"
                );
                session_guard.path = None;
                Ok(PortalSession {
                    rd,
                    sc,
                    kind,
                    session,
                    streams,
                    remembered,
                    held_keys: BTreeSet::new(),
                    held_buttons: BTreeSet::new(),
                    closed: false,
                    conn,
                })
            }
            Verdict::DeskMustApproveOnce(reason) => Err(Error::DeskMustApproveOnce(reason)),
            Verdict::DeclinedAtDesk => Err(Error::DeclinedAtDesk),
            Verdict::PortalFailed => Err(Error::PortalFailed { step: method }),
        }
    }

    /// What the session shares.
    pub fn kind(&self) -> SessionKind {
        self.kind
    }

    /// The screens shared (one: this crate asks for one monitor).
    pub fn streams(&self) -> &[Stream] {
        &self.streams
    }

    /// Whether the portal handed out a token for the next session.
    pub fn remembered(&self) -> bool {
        self.remembered
    }

    /// The session's D-Bus connection.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// A connection to PipeWire that sees this session's nodes (`OpenPipeWireRemote`).
    pub fn open_pipewire_remote(&self) -> Result<OwnedFd> {
        let fd: zbus::zvariant::OwnedFd = self
            .sc
            .call(
                "OpenPipeWireRemote",
                &(ObjectPath::from(&self.session), no_options()),
            )
            .map_err(Error::call("ScreenCast.OpenPipeWireRemote"))?;
        Ok(fd.into())
    }

    /// Frames of the first shared screen, through the portal's PipeWire connection.
    pub fn capture(&self) -> Result<Capture> {
        let stream = self.streams.first().ok_or(Error::NoStream)?;
        let fd = self.open_pipewire_remote()?;
        Ok(Capture::connect_fd(stream.node_id, fd)?)
    }

    fn notify<B>(&self, method: &'static str, member: &'static str, body: &B) -> Result<()>
    where
        B: serde::Serialize + zbus::zvariant::DynamicType,
    {
        if self.closed {
            return Err(Error::Closed);
        }
        if self.kind != SessionKind::RemoteDesktop {
            return Err(Error::ViewOnly);
        }
        self.rd
            .call::<_, _, ()>(member, body)
            .map_err(Error::call(method))
    }

    /// Moves the pointer to (`x`, `y`) in the first screen's pixels.
    pub fn move_to(&mut self, x: f64, y: f64) -> Result<()> {
        let stream = *self.streams.first().ok_or(Error::NoStream)?;
        if !x.is_finite() || !y.is_finite() || x < 0.0 || y < 0.0 {
            return Err(Error::OutOfRange("pointer position"));
        }
        if let Some((w, h)) = stream.size {
            if x >= f64::from(w) || y >= f64::from(h) {
                return Err(Error::OutOfRange("pointer position"));
            }
        }
        self.notify(
            "RemoteDesktop.NotifyPointerMotionAbsolute",
            "NotifyPointerMotionAbsolute",
            &(
                ObjectPath::from(&self.session),
                no_options(),
                stream.node_id,
                x,
                y,
            ),
        )
    }

    /// Presses or releases `button`.
    pub fn button(&mut self, button: Button, pressed: bool) -> Result<()> {
        self.notify(
            "RemoteDesktop.NotifyPointerButton",
            "NotifyPointerButton",
            &(
                ObjectPath::from(&self.session),
                no_options(),
                button.code(),
                u32::from(pressed),
            ),
        )?;
        if pressed {
            self.held_buttons.insert(button);
        } else {
            self.held_buttons.remove(&button);
        }
        Ok(())
    }

    /// Presses and releases `button`.
    pub fn click(&mut self, button: Button) -> Result<()> {
        self.button(button, true)?;
        self.button(button, false)
    }

    /// Turns the wheel `dx` notches right and `dy` down (negative: left, up).
    pub fn scroll(&mut self, dx: i32, dy: i32) -> Result<()> {
        if dx.abs() > MAX_WHEEL_NOTCHES || dy.abs() > MAX_WHEEL_NOTCHES {
            return Err(Error::OutOfRange("wheel notches"));
        }
        // Axis 0 is vertical, 1 horizontal.
        for (axis, steps) in [(0u32, dy), (1u32, dx)] {
            if steps != 0 {
                self.notify(
                    "RemoteDesktop.NotifyPointerAxisDiscrete",
                    "NotifyPointerAxisDiscrete",
                    &(ObjectPath::from(&self.session), no_options(), axis, steps),
                )?;
            }
        }
        Ok(())
    }

    fn send_keysym(&mut self, keysym: u32, pressed: bool) -> Result<()> {
        let signed = i32::try_from(keysym).map_err(|_| Error::UnknownKey)?;
        self.notify(
            "RemoteDesktop.NotifyKeyboardKeysym",
            "NotifyKeyboardKeysym",
            &(
                ObjectPath::from(&self.session),
                no_options(),
                signed,
                u32::from(pressed),
            ),
        )?;
        if pressed {
            self.held_keys.insert(keysym);
        } else {
            self.held_keys.remove(&keysym);
        }
        Ok(())
    }

    /// Presses or releases the key `name` names (`latchkey_mutter::key_names`).
    pub fn key(&mut self, name: &str, pressed: bool) -> Result<()> {
        let keysym = latchkey_mutter::keysym_for_name(name).ok_or(Error::UnknownKey)?;
        self.send_keysym(keysym, pressed)
    }

    /// Types `text` key by key.
    pub fn type_text(&mut self, text: &str) -> Result<()> {
        let keysyms: Option<Vec<u32>> =
            text.chars().map(latchkey_mutter::keysym_for_char).collect();
        let keysyms = keysyms.ok_or(Error::UntypableText)?;
        if keysyms.len() > MAX_TEXT_CHARS {
            return Err(Error::UntypableText);
        }
        for k in keysyms {
            self.send_keysym(k, true)?;
            self.send_keysym(k, false)?;
        }
        Ok(())
    }

    /// Releases held keys and buttons and closes the session.
    pub fn close(&mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        let mut first_error = None;
        for k in std::mem::take(&mut self.held_keys) {
            if let Err(e) = self.send_keysym(k, false) {
                first_error.get_or_insert(e);
            }
        }
        for b in std::mem::take(&mut self.held_buttons) {
            if let Err(e) = self.button(b, false) {
                first_error.get_or_insert(e);
            }
        }
        self.closed = true;
        if let Err(e) = close_session(&self.conn, &self.session) {
            first_error.get_or_insert(e);
        }
        first_error.map_or(Ok(()), Err)
    }
}

impl Drop for PortalSession {
    fn drop(&mut self) {
        if let Err(e) = self.close() {
            tracing::warn!(error = %e, "closing the portal session failed");
        }
    }
}

fn close_session(conn: &Connection, session: &OwnedObjectPath) -> Result<()> {
    proxy(conn, session.to_string(), SESSION)?
        .call::<_, _, ()>("Close", &())
        .map_err(Error::call("Session.Close"))
}

/// Closes a session that did not start (any error on the way).
struct SessionGuard {
    conn: Connection,
    path: Option<OwnedObjectPath>,
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = close_session(&self.conn, &path);
        }
    }
}

fn expect_ok(
    response: Response,
    step: &'static str,
    timeout: Duration,
) -> Result<HashMap<String, OwnedValue>> {
    match response {
        Response::Ok(results) => Ok(results),
        Response::Cancelled => Err(Error::DeclinedAtDesk),
        Response::Failed => Err(Error::PortalFailed { step }),
        Response::NoAnswer => Err(Error::Timeout {
            what: step,
            after: timeout,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths_follow_the_portals_rule() {
        assert_eq!(
            request_path(":1.42", "latchkey_7_0"),
            "/org/freedesktop/portal/desktop/request/1_42/latchkey_7_0"
        );
        let t = handle_token();
        assert!(
            t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{t}"
        );
        assert_ne!(handle_token(), handle_token());
    }

    #[test]
    fn streams_are_read_from_starts_results() {
        let mut props: HashMap<&str, Value<'_>> = HashMap::new();
        props.insert("size", Value::from((1280i32, 720i32)));
        props.insert("position", Value::from((0i32, 0i32)));
        props.insert("source_type", Value::from(1u32));
        let value = Value::from(vec![(44u32, props)]);
        assert_eq!(
            parse_streams(&value),
            [Stream {
                node_id: 44,
                position: Some((0, 0)),
                size: Some((1280, 720)),
            }]
        );
        assert!(parse_streams(&Value::from(3u32)).is_empty());
    }

    #[test]
    fn an_unreachable_bus_is_named() {
        let mut state = TokenState::default();
        let options = PortalOptions {
            approval: Approval::AtDesk(Duration::from_secs(1)),
            ..PortalOptions::unattended("KDE")
        };
        let err = PortalSession::start(
            &Bus::Address("unix:path=/nonexistent/bus".into()),
            &options,
            &mut state,
        )
        .expect_err("no bus");
        assert!(matches!(err, Error::NoSessionBus(_)), "{err:?}");
    }
}
