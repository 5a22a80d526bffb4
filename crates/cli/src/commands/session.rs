//! `id`, `host`, `requests`, `accept`, `deny`, `connect`, `known-hosts`:
//! thin wrappers over `latchkey_session`.
//!
//! A feature's own subcommand (`latchkey cp`, `latchkey tunnel`, ... in its
//! own module) flattens a [`ConnectTarget`] into its arguments, then calls
//! [`connect_options`], `viewer::connect` on [`runtime`], and its feature's
//! handle on the session; a refused connection goes through [`report_failure`].

use std::path::Path;

use latchkey_core::permission::Permission;
use latchkey_core::settings::SecretStoreKind;
use latchkey_core::signal::DeviceId;
use latchkey_core::ErrorCode;
use latchkey_session::host::control_socket::{self, ControlRequest};
use latchkey_session::viewer::{self, ConnectError, ConnectOptions};
use latchkey_store::known_hosts::KnownHosts;
use latchkey_store::Config;
use serde_json::json;

use super::print_json;
use crate::cli::{ConnectArgs, ConnectTarget, KnownHostsCmd};
use crate::exit::{self, CliError};
use crate::input::read_password;

/// The async runtime a viewer subcommand runs its session on.
pub(super) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Runtime::new()
        .map_err(|e| CliError::Coded(exit::OTHER, format!("cannot start the async runtime: {e}")))
}

fn session_err(e: latchkey_session::Error) -> CliError {
    match e {
        latchkey_session::Error::Store(s) => CliError::Store(s),
        latchkey_session::Error::Usage(m) => CliError::Usage(m),
        other => CliError::Coded(exit::OTHER, other.to_string()),
    }
}

/// The rendezvous URL: the one given (remembered for next time) or the remembered one.
fn rendezvous_url(config: &mut Config, given: Option<String>) -> Result<String, CliError> {
    match given {
        Some(url) => {
            latchkey_session::transport::signaling::check_url(&url).map_err(session_err)?;
            if config.settings().rendezvous.as_deref() != Some(url.as_str()) {
                let u = url.clone();
                config.update(|s, _| {
                    s.rendezvous = Some(u);
                    Ok(((), vec![]))
                })?;
            }
            Ok(url)
        }
        None => config.settings().rendezvous.clone().ok_or_else(|| {
            CliError::Usage(
                "no rendezvous server configured: pass --rendezvous ws://HOST:PORT once".into(),
            )
        }),
    }
}

/// `latchkey id`.
pub fn id(config: &Config) -> Result<(), CliError> {
    match &config.settings().device_id {
        Some(id) => {
            println!("{}", id.grouped());
            Ok(())
        }
        None => Err(CliError::Coded(
            exit::OTHER,
            "this device has no ID yet: run 'latchkey host --rendezvous URL' once".into(),
        )),
    }
}

/// How often a host waiting for its rendezvous server reads its settings again.
const RENDEZVOUS_POLL: std::time::Duration = std::time::Duration::from_secs(3);

/// `latchkey host`'s own arguments.
pub struct HostArgs {
    /// `--rendezvous URL`.
    pub rendezvous: Option<String>,
    /// The display to share (`--display`, or the one `--display auto` found).
    pub display: Option<String>,
    /// `--wait-for-rendezvous`.
    pub wait_for_rendezvous: bool,
}

/// `latchkey host [--rendezvous URL] [--display :N] [--wait-for-rendezvous]`.
pub fn host(
    config: &mut Config,
    dir: &Path,
    store: Option<SecretStoreKind>,
    args: HostArgs,
) -> Result<(), CliError> {
    if let Some(d) = args.display {
        if !d.contains(':') {
            return Err(CliError::Usage(format!(
                "'{d}' is not an X display (like :0)"
            )));
        }
        // Capture and input read DISPLAY; set it before any thread starts
        // (the runtime below starts some). xcap would prefer a Wayland
        // session it finds in the environment.
        std::env::set_var("DISPLAY", d);
        std::env::remove_var("WAYLAND_DISPLAY");
        std::env::remove_var("XDG_SESSION_TYPE");
    }
    let rt = runtime()?;
    let url = match args.rendezvous {
        None if args.wait_for_rendezvous && config.settings().rendezvous.is_none() => {
            match rt.block_on(wait_for_rendezvous(config))? {
                Some(url) => url,
                // Stopped while waiting: a clean exit.
                None => return Ok(()),
            }
        }
        given => rendezvous_url(config, given)?,
    };
    let options = latchkey_session::host::HostOptions {
        config_dir: dir.to_path_buf(),
        store,
        rendezvous: url,
        window_open: Default::default(),
        presence: None,
    };
    rt.block_on(latchkey_session::host::run(
        options,
        crate::rendezvous_cmd::shutdown_signal(),
    ))
    .map_err(session_err)
}

/// Wait until a rendezvous server is configured (read again every
/// [`RENDEZVOUS_POLL`]): its URL, or `None` when asked to stop first. A
/// service enabled before anyone set it up waits here quietly instead of
/// failing and being started again and again.
async fn wait_for_rendezvous(config: &mut Config) -> Result<Option<String>, CliError> {
    println!(
        "No rendezvous server is configured in {}: waiting for one (set it with \
         'latchkey service install --rendezvous URL', with sudo and --system for the system \
         service); the host starts as soon as it is set",
        config.dir().display()
    );
    let shutdown = crate::rendezvous_cmd::shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => return Ok(None),
            _ = tokio::time::sleep(RENDEZVOUS_POLL) => {}
        }
        config.reload()?;
        if let Some(url) = config.settings().rendezvous.clone() {
            latchkey_session::transport::signaling::check_url(&url).map_err(session_err)?;
            println!("Rendezvous server configured: {url}; starting the host");
            return Ok(Some(url));
        }
    }
}

fn control(
    dir: &Path,
    request: ControlRequest,
) -> Result<control_socket::ControlResponse, CliError> {
    let response = runtime()?
        .block_on(control_socket::call(dir, &request))
        .map_err(|e| match e {
            latchkey_session::Error::Forbidden(m) => CliError::Coded(exit::FORBIDDEN, m),
            other => CliError::Coded(exit::OTHER, other.to_string()),
        })?;
    if response.ok {
        Ok(response)
    } else {
        let msg = response.error.clone().unwrap_or_else(|| "refused".into());
        let code = exit::for_code(response.code.unwrap_or(ErrorCode::Local));
        Err(CliError::Coded(code, msg))
    }
}

/// `latchkey requests [--json]`.
pub fn requests(dir: &Path, json: bool) -> Result<(), CliError> {
    let list = control(dir, ControlRequest::Requests)?
        .requests
        .unwrap_or_default();
    if json {
        return print_json(&list);
    }
    if list.is_empty() {
        println!("No pending requests.");
    }
    for r in list {
        println!(
            "{}  {}  calls itself \"{}\"  {}  profile {}  from {}  denied in {} s",
            r.id,
            r.viewer,
            r.viewer_name,
            seen_text(r.seen),
            r.profile,
            r.addr.as_deref().unwrap_or("?"),
            r.expires_in_s
        );
    }
    Ok(())
}

fn seen_text(seen: latchkey_session::host::requests::Seen) -> &'static str {
    use latchkey_session::host::requests::Seen;
    match seen {
        Seen::FirstRequest => "first request from this device",
        Seen::Known => "device seen before",
        Seen::SavedLogin => "device has a saved login",
    }
}

/// `latchkey accept REQ [--viewer FP] [--profile P] [--deny-permission PERM]...`:
/// the accept names the viewer and profile of the request as the CLI finds
/// it (or the viewer given with `--viewer`), so the host carries it out only
/// for that request.
pub fn accept(
    dir: &Path,
    id: String,
    viewer: Option<String>,
    profile: Option<String>,
    deny_permissions: Vec<String>,
) -> Result<(), CliError> {
    for p in &deny_permissions {
        p.parse::<latchkey_core::permission::Permission>()?;
    }
    let viewer = viewer
        .map(|v| latchkey_core::acl::parse_fingerprint(&v))
        .transpose()?;
    let pending = control(dir, ControlRequest::Requests)?
        .requests
        .unwrap_or_default()
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| CliError::Coded(exit::USAGE, format!("no pending request '{id}'")))?;
    let viewer = viewer.unwrap_or_else(|| pending.viewer.clone());
    control(
        dir,
        ControlRequest::Accept {
            id: id.clone(),
            viewer: viewer.clone(),
            requested_profile: pending.profile.clone(),
            profile,
            deny_permissions,
        },
    )?;
    println!(
        "Request {id} accepted: {viewer} (calls itself \"{}\", {}).",
        pending.viewer_name,
        seen_text(pending.seen)
    );
    Ok(())
}

/// `latchkey control JSON`: one raw request; prints the answer as JSON.
pub fn control_raw(dir: &Path, request: &str) -> Result<(), CliError> {
    let request: ControlRequest = serde_json::from_str(request)
        .map_err(|e| CliError::Usage(format!("not a control request: {e}")))?;
    let response = control(dir, request)?;
    print_json(&response)
}

/// `latchkey deny REQ`.
pub fn deny(dir: &Path, id: String) -> Result<(), CliError> {
    control(dir, ControlRequest::Deny { id: id.clone() })?;
    println!("Request {id} denied.");
    Ok(())
}

/// What to connect to, from the arguments every viewer subcommand shares;
/// `check` runs after the rendezvous is known and before the password is read.
pub(super) fn connect_options(
    config: &mut Config,
    target: &ConnectTarget,
    check: impl FnOnce() -> Result<(), CliError>,
) -> Result<ConnectOptions, CliError> {
    let host_id = DeviceId::parse(&target.id).ok_or_else(|| {
        CliError::Usage(format!("'{}' is not a Latchkey ID (9 digits)", target.id))
    })?;
    let url = rendezvous_url(config, target.login.rendezvous.clone())?;
    check()?;
    let password = if target.login.password_stdin {
        Some(read_password("Password: ", false)?)
    } else {
        None
    };
    if let Some(code) = &target.login.totp {
        if code.trim().is_empty() || code.len() > 64 {
            return Err(CliError::Usage(
                "--totp takes a 6-digit code or a recovery code".into(),
            ));
        }
    }
    Ok(ConnectOptions {
        host_id,
        rendezvous: url,
        profile: target.login.profile.clone(),
        password,
        totp: target.login.totp.clone().map(zeroize::Zeroizing::new),
        remember: target.login.remember,
        accept_new_host_key: target.login.accept_new_host_key,
        name: viewer::default_name(),
    })
}

/// `latchkey connect ID ...`.
pub fn connect(config: &mut Config, args: ConnectArgs) -> Result<(), CliError> {
    let options = connect_options(config, &args.target, || {
        for code in &args.hold_key {
            if !latchkey_media::input::is_key_code(code) {
                return Err(CliError::Usage(format!(
                    "'{code}' is not a key code (like KeyA, ShiftLeft, Enter)"
                )));
            }
        }
        if let Some(dir) = &args.print_to {
            super::print::check_dir(dir)?;
        }
        Ok(())
    })?;
    let rt = runtime()?;
    let result = rt.block_on(async {
        let (granted, session) = viewer::connect(config, options)
            .await
            .map_err(Shot::Connect)?;
        let mut acted = match act(&session, &args).await {
            Ok(a) => a,
            Err(e) => {
                session.close().await;
                return Err(e);
            }
        };
        // One-shot actions leave afterwards, unless keys are to stay held.
        let one_shot = args.hold_key.is_empty()
            && !args.commands
            && args.print_to.is_none()
            && (args.move_to.is_some()
                || args.click
                || args.type_text.is_some()
                || args.clipboard_set.is_some()
                || args.clipboard_get
                || args.list_displays);
        if args.record.is_some() || args.record_audio.is_some() {
            let frames = async {
                match &args.record {
                    Some(path) => {
                        latchkey_session::features::recording::record(&session, path, args.seconds)
                            .await
                            .map(Some)
                            .map_err(|e| Shot::Frame(e.to_string()))
                    }
                    None => Ok(None),
                }
            };
            let sound = async {
                match &args.record_audio {
                    Some(path) => {
                        if !session.permissions().contains(Permission::HearSound) {
                            eprintln!(
                                "This session has no hear_sound permission: the host sends \
                                 no sound, and {} will be silent",
                                path.display()
                            );
                        }
                        latchkey_session::features::sound::record_wav(&session, path, args.seconds)
                            .await
                            .map(Some)
                            .map_err(|e| Shot::Frame(e.to_string()))
                    }
                    None => Ok(None),
                }
            };
            let (frames, sound) = tokio::join!(frames, sound);
            session.close().await;
            let (size, sound) = (frames?, sound?);
            acted.sound = sound;
            return Ok((granted, None, size, acted));
        }
        if let Some(path) = &args.screenshot {
            let shot = latchkey_session::features::recording::screenshot(
                &session,
                path,
                args.after_frames,
            )
            .await
            .map_err(|e| Shot::Frame(e.to_string()));
            session.close().await;
            return shot.map(|size| (granted, None, Some(size), acted));
        }
        if args.probe || one_shot {
            session.close().await;
            return Ok((granted, None, None, acted));
        }
        Ok((granted, Some(session), None, acted))
    });
    let (granted, session, shot, acted) = match result {
        Ok(v) => v,
        Err(Shot::Frame(e)) => return Err(CliError::Coded(exit::OTHER, e)),
        Err(Shot::Refused(e)) => return Err(CliError::Coded(exit::AUTH, e)),
        Err(Shot::Usage(e)) => return Err(CliError::Coded(exit::USAGE, e)),
        Err(Shot::Connect(e)) => return Err(report_failure(&e, args.json)),
    };
    if args.json {
        let mut v = serde_json::to_value(&granted).map_err(|e| CliError::Other(e.into()))?;
        v["ok"] = json!(true);
        if args.clipboard_get {
            v["clipboard"] = json!(acted.clipboard);
        }
        if let Some((displays, current)) = &acted.displays {
            v["displays"] = json!(displays);
            v["display"] = json!(current);
        }
        if let Some((queue, description)) = &acted.printer {
            v["print_queue"] = json!(queue);
            v["print_description"] = json!(description);
        }
        if let (Some(sound), Some(path)) = (acted.sound, &args.record_audio) {
            v["record_audio"] = json!(path.display().to_string());
            v["sound_packets"] = json!(sound.packets);
            v["sound_bytes"] = json!(sound.bytes);
        }
        if let (Some((w, h)), Some(path)) = (shot, &args.record) {
            v["record"] = json!(path.display().to_string());
            v["width"] = json!(w);
            v["height"] = json!(h);
        }
        if let (Some((w, h)), Some(path)) = (shot, &args.screenshot) {
            v["screenshot"] = json!(path.display().to_string());
            v["width"] = json!(w);
            v["height"] = json!(h);
        }
        print_json(&v)?;
    } else {
        println!(
            "Connected to {} ({}): profile {}, permissions: {}{}",
            DeviceId::parse(&granted.host_id)
                .map(|i| i.grouped())
                .unwrap_or(granted.host_id.clone()),
            granted.method.name(),
            granted.profile,
            if granted.permissions.is_empty() {
                "none (view only)".to_string()
            } else {
                granted.permissions.names().join(", ")
            },
            if granted.token_saved {
                "; login saved on this device"
            } else {
                ""
            }
        );
        if let (Some((w, h)), Some(path)) = (shot, &args.screenshot) {
            println!("Saved a {w}x{h} frame of its screen to {}", path.display());
        }
        if let (Some(sound), Some(path)) = (acted.sound, &args.record_audio) {
            println!(
                "Saved {} s of its sound to {} ({} packets)",
                args.seconds,
                path.display(),
                sound.packets
            );
        }
        if let Some((displays, current)) = &acted.displays {
            for d in displays {
                println!(
                    "{} display {}  {}  {}x{} at {},{}{}",
                    if d.id == *current { "*" } else { " " },
                    d.id,
                    d.name,
                    d.width,
                    d.height,
                    d.x,
                    d.y,
                    if d.primary { "  (primary)" } else { "" }
                );
            }
        }
        if let (Some((queue, description)), Some(dir)) = (&acted.printer, &args.print_to) {
            println!(
                "The host offers the printer '{description}' (queue {queue}); jobs are saved in {}",
                dir.display()
            );
        }
        if args.clipboard_get {
            match &acted.clipboard {
                Some(text) => println!("Host clipboard: {text}"),
                None => println!("The host's clipboard holds no text."),
            }
        }
    }
    if let Some(session) = session {
        if args.commands {
            rt.block_on(async {
                super::script::run(&session).await;
                session.close().await;
            });
            return Ok(());
        }
        // Hold the session until Ctrl-C or the host ends it.
        rt.block_on(async {
            tokio::select! {
                _ = crate::rendezvous_cmd::shutdown_signal() => {},
                // Until the connection closes.
                _ = session.closed() => {},
            }
            session.close().await;
        });
    }
    Ok(())
}

/// Print a refused connection (JSON on stdout too with --json) and pick its exit code.
pub(super) fn report_failure(e: &ConnectError, json: bool) -> CliError {
    let code = match e {
        ConnectError::Denied { .. } => exit::AUTH,
        ConnectError::HostKeyChanged { .. } => exit::HOST_KEY,
        ConnectError::HostOffline(_) | ConnectError::UnknownId(_) | ConnectError::NoPath { .. } => {
            exit::OFFLINE
        }
        ConnectError::Local(latchkey_session::Error::RendezvousUnreachable(_)) => exit::OFFLINE,
        ConnectError::Local(latchkey_session::Error::Store(
            latchkey_store::Error::SecretStoreUnavailable { .. },
        )) => exit::STORE,
        _ => exit::OTHER,
    };
    if !json {
        return CliError::Coded(code, e.to_string());
    }
    let mut v = json!({"ok": false, "error": e.code(), "message": e.to_string()});
    if let ConnectError::Denied {
        retry_after_s: Some(s),
        ..
    } = e
    {
        v["retry_after_s"] = json!(s);
    }
    if let Err(err) = print_json(&v) {
        return err;
    }
    eprintln!("latchkey: {e}");
    CliError::Reported(code)
}

/// Why `connect` failed: the connection, or what was done after it.
enum Shot {
    Connect(ConnectError),
    Frame(String),
    Refused(String),
    Usage(String),
}

/// What the actions after connecting brought back.
#[derive(Default)]
struct Acted {
    clipboard: Option<String>,
    /// What --record-audio received.
    sound: Option<latchkey_session::features::sound::SoundRecord>,
    displays: Option<(Vec<latchkey_media::DisplayInfo>, u32)>,
    /// The printer the host offers (its queue, its description).
    printer: Option<(String, String)>,
}

/// The actions asked for after connecting, in a fixed order: display switch,
/// move, click, type, clipboard set, clipboard get, display list; then wait
/// until the host handled them.
async fn act(
    session: &latchkey_session::viewer::Session,
    args: &ConnectArgs,
) -> Result<Acted, Shot> {
    use latchkey_media::{InputEvent, MouseButton};
    use latchkey_session::viewer::SessionError;
    let broken = |e: latchkey_session::Error| Shot::Frame(format!("session: {e}"));
    let refused = |e: SessionError| match e {
        SessionError::Refused { .. } => Shot::Refused(e.to_string()),
        SessionError::TooLarge { .. } | SessionError::Invalid { .. } => Shot::Usage(e.to_string()),
        SessionError::HostFailed { .. } => Shot::Frame(e.to_string()),
        SessionError::Broken(b) => Shot::Frame(format!("session: {b}")),
    };
    let mut acted = Acted::default();
    // Only a session that would lock has anything to turn off.
    if args.no_lock_on_end
        && session
            .permissions()
            .contains(latchkey_core::permission::Permission::LockOnEnd)
    {
        session.lock_on_end().set(false).await.map_err(refused)?;
    }
    if let Some(id) = args.display {
        session.displays().switch(id).await.map_err(|e| match e {
            latchkey_session::Error::Usage(m) => Shot::Usage(m),
            other => broken(other),
        })?;
    }
    if let Some((x, y)) = args.move_to {
        session.pointer().move_to(x, y).await.map_err(broken)?;
    }
    if args.click {
        session
            .input()
            .send(InputEvent::ButtonDown {
                button: MouseButton::Left,
            })
            .await
            .map_err(broken)?;
        session
            .input()
            .send(InputEvent::ButtonUp {
                button: MouseButton::Left,
            })
            .await
            .map_err(broken)?;
    }
    if let Some(text) = &args.type_text {
        session
            .input()
            .send(InputEvent::Text { text: text.clone() })
            .await
            .map_err(broken)?;
    }
    for code in &args.hold_key {
        session
            .input()
            .send(InputEvent::KeyDown { code: code.clone() })
            .await
            .map_err(broken)?;
    }
    if args.move_to.is_some() || args.click || args.type_text.is_some() || !args.hold_key.is_empty()
    {
        session.input().sync().await.map_err(broken)?;
    }
    if let Some(text) = &args.clipboard_set {
        session.clipboard().set(text).await.map_err(refused)?;
    }
    if args.clipboard_get {
        acted.clipboard = session.clipboard().get().await.map_err(refused)?;
    }
    if args.list_displays {
        acted.displays = Some(session.displays().list().await.map_err(broken)?);
    }
    if let Some(dir) = &args.print_to {
        let (queue, description, _saver) = super::print::start(session, dir.clone())
            .await
            .map_err(refused)?;
        acted.printer = Some((queue, description));
    }
    Ok(acted)
}

/// `latchkey known-hosts list|forget`.
pub fn known_hosts(config: &Config, cmd: KnownHostsCmd) -> Result<(), CliError> {
    let mut known = KnownHosts::load(config.dir())?;
    match cmd {
        KnownHostsCmd::List(f) => {
            let list: Vec<_> = known
                .iter()
                .map(|(id, k)| json!({"id": id.as_str(), "fingerprint": k.key.fingerprint(), "key": k.key.to_string(), "since": k.since.0}))
                .collect();
            if f.json {
                return print_json(&list);
            }
            if list.is_empty() {
                println!("No known hosts.");
            }
            for (id, k) in known.iter() {
                println!("{}  {}", id.grouped(), k.key.fingerprint());
            }
            Ok(())
        }
        KnownHostsCmd::Forget { id } => {
            let id = DeviceId::parse(&id).ok_or_else(|| {
                CliError::Usage(format!("'{id}' is not a Latchkey ID (9 digits)"))
            })?;
            if known.forget(&id)? {
                println!("Forgot the key of {}.", id.grouped());
                Ok(())
            } else {
                Err(CliError::Usage(format!(
                    "{} is not a known host",
                    id.grouped()
                )))
            }
        }
    }
}
