//! The tray icon and its quick toggles: incoming access mode, unattended
//! access for the default profile, allowing saved logins, the ID, open and
//! quit. A toggle goes through the same operations as the settings window,
//! and `reflect` puts the check marks back in step whenever settings change
//! (from a window, the CLI or here).

use tauri::menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Wry};

use latchkey_core::settings::InteractiveMode;
use latchkey_store::{ops, Config};

use crate::commands::AppStatus;
use crate::events::{self, Notice};
use crate::state::AppState;

/// The menu items whose state follows the settings.
pub struct TrayItems {
    id: MenuItem<Wry>,
    always: CheckMenuItem<Wry>,
    window: CheckMenuItem<Wry>,
    never: CheckMenuItem<Wry>,
    unattended: CheckMenuItem<Wry>,
    save_login: CheckMenuItem<Wry>,
}

/// Build the tray (a machine without a tray area simply shows nothing).
pub fn install(app: &AppHandle) -> tauri::Result<()> {
    let check =
        |id: &str, text: &str| CheckMenuItem::with_id(app, id, text, true, false, None::<&str>);
    let items = TrayItems {
        id: MenuItem::with_id(app, "show_id", "ID: not yet known", true, None::<&str>)?,
        always: check("mode_always", "Always ask me")?,
        window: check("mode_window", "Ask only while Latchkey is open")?,
        never: check("mode_never", "Never ask (unattended access only)")?,
        unattended: check("unattended", "Unattended access (default profile)")?,
        save_login: check("save_login", "Allow saving login information")?,
    };
    let mode = Submenu::with_items(
        app,
        "Incoming session requests",
        true,
        &[&items.always, &items.window, &items.never],
    )?;
    let open = MenuItem::with_id(app, "open", "Open Latchkey", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Latchkey", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &items.id,
            &PredefinedMenuItem::separator(app)?,
            &mode,
            &items.unattended,
            &items.save_login,
            &PredefinedMenuItem::separator(app)?,
            &open,
            &quit,
        ],
    )?;
    let mut tray = TrayIconBuilder::with_id("latchkey")
        .tooltip("Latchkey")
        .menu(&menu)
        .on_menu_event(on_menu);
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    app.manage(items);
    Ok(())
}

/// Put the check marks and the ID in step with `status`.
pub fn reflect(app: &AppHandle, status: &AppStatus) {
    let Some(items) = app.try_state::<TrayItems>() else {
        return;
    };
    let mode = status.status.interactive;
    let _ = items.always.set_checked(mode == InteractiveMode::Always);
    let _ = items.window.set_checked(mode == InteractiveMode::Window);
    let _ = items.never.set_checked(mode == InteractiveMode::Never);
    let default_unattended = status
        .status
        .profiles
        .iter()
        .any(|p| p.default && p.unattended);
    let _ = items.unattended.set_checked(default_unattended);
    let _ = items.save_login.set_checked(status.status.save_login);
    let id = status
        .status
        .device_id
        .as_deref()
        .and_then(latchkey_core::signal::DeviceId::parse)
        .map(|d| format!("ID: {}", d.grouped()))
        .unwrap_or_else(|| "ID: not yet known".into());
    let _ = items.id.set_text(id);
}

fn on_menu(app: &AppHandle, event: MenuEvent) {
    let app = app.clone();
    let id = event.id().as_ref().to_string();
    match id.as_str() {
        "open" | "show_id" => show_main(&app),
        "quit" => app.exit(0),
        _ => {
            tauri::async_runtime::spawn(async move {
                let result = toggle(&app, &id).await;
                if let Err(message) = result {
                    show_main(&app);
                    events::emit(
                        &app,
                        events::NOTICE,
                        Notice {
                            message,
                            section: Some("profiles".into()),
                        },
                    );
                }
                // Also after a refusal: the check mark goes back.
                app.state::<AppState>().settings_touched.notify_one();
            });
        }
    }
}

/// Show and focus the main window.
pub fn show_main(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

async fn toggle(app: &AppHandle, id: &str) -> Result<(), String> {
    let state = app.state::<AppState>();
    if crate::first_run::problem(app).is_some() || !*state.checked.borrow() {
        // Nothing is written before the secret store works (the main window offers the choice).
        show_main(app);
        return Err("Choose where Latchkey keeps its secrets first, in the main window.".into());
    }
    let (dir, store) = (state.config_dir.clone(), state.store());
    let id = id.to_string();
    tokio::task::spawn_blocking(move || {
        let mut c = Config::open(&dir, store).map_err(|e| e.to_string())?;
        let result = match id.as_str() {
            "mode_always" => ops::set_interactive(&mut c, InteractiveMode::Always),
            "mode_window" => ops::set_interactive(&mut c, InteractiveMode::Window),
            "mode_never" => ops::set_interactive(&mut c, InteractiveMode::Never),
            "save_login" => {
                let on = !c.settings().save_login;
                ops::set_save_login(&mut c, on)
            }
            "unattended" => {
                let name = c.settings().default_profile.clone();
                let profile = c.settings().profiles.get(&name).map_err(|e| e.to_string())?;
                let (on, has_password) = (!profile.unattended, profile.password.is_some());
                if on && !has_password {
                    return Err(format!(
                        "Unattended access for '{name}' needs a password first: set one in Settings, Profiles."
                    ));
                }
                ops::set_unattended(&mut c, Some(&name), on).map(|_| ())
            }
            _ => Ok(()),
        };
        result.map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}
