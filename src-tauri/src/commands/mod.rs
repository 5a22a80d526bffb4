//! Every command the UI can invoke, declared once in [`app_commands!`]: the
//! macro writes the thin `#[tauri::command]` wrappers (which hand a [`Ctx`]
//! and the arguments to the implementation in a sibling module), Tauri's
//! handler, and the table the TypeScript bindings are generated from. The
//! argument and result types in the table are the ones the wrappers take and
//! return, so the bindings cannot drift from the Rust side.

mod acl;
mod clipboard_files;
mod desk;
mod files;
mod first_run;
mod print;
mod profiles;
mod requests;
mod restart;
mod settings;
mod system_info;
mod viewer;
mod whiteboard;

use tauri::{AppHandle, Manager};

use crate::error::AppResult;
use crate::state::AppState;
use crate::ts_types::Signature;

/// What an implementation gets: the app, and which window asked.
pub struct Ctx {
    /// The app.
    pub app: AppHandle,
    /// The asking window's label (`main`, `accept`, `viewer-…`).
    pub window: String,
}

impl Ctx {
    /// The managed state.
    pub fn state(&self) -> tauri::State<'_, AppState> {
        self.app.state::<AppState>()
    }
}

macro_rules! app_commands {
    ($( $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty => $imp:path ;)*) => {
        $(
            #[tauri::command]
            async fn $name(app: AppHandle, window: tauri::WebviewWindow $(, $arg: $ty)*) -> AppResult<$ret> {
                let ctx = Ctx { app, window: window.label().to_string() };
                $imp(&ctx $(, $arg)*).await
            }
        )*

        /// Tauri's invoke handler for every command.
        pub fn handler() -> impl Fn(tauri::ipc::Invoke<tauri::Wry>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }

        /// The commands and their TypeScript signatures, in declaration order.
        pub fn signatures(cfg: &ts_rs::Config) -> Vec<Signature> {
            vec![$(
                Signature {
                    name: stringify!($name),
                    args: vec![$((stringify!($arg), <$ty as ts_rs::TS>::name(cfg))),*],
                    result: <$ret as ts_rs::TS>::name(cfg),
                }
            ),*]
        }

        /// Declarations of every type the commands take or return (and what they use).
        pub fn declarations(cfg: &ts_rs::Config) -> Vec<(String, String)> {
            let mut out = Vec::new();
            $(
                $( crate::ts_types::collect::<$ty>(cfg, &mut out); )*
                crate::ts_types::collect::<$ret>(cfg, &mut out);
            )*
            crate::ts_types::collect::<crate::error::AppError>(cfg, &mut out);
            out
        }
    };
}

app_commands! {
    get_status() -> settings::AppStatus => settings::get_status;
    set_interactive(mode: latchkey_core::settings::InteractiveMode) -> settings::AppStatus => settings::set_interactive;
    set_save_login(on: bool) -> settings::AppStatus => settings::set_save_login;
    list_tokens() -> Vec<latchkey_store::ops::TokenSummary> => settings::list_tokens;
    revoke_token(id: String) -> () => settings::revoke_token;
    clear_tokens() -> u32 => settings::clear_tokens;
    enroll_two_factor() -> settings::Enrollment => settings::enroll_two_factor;
    confirm_two_factor(code: String) -> Vec<String> => settings::confirm_two_factor;
    disable_two_factor() -> () => settings::disable_two_factor;
    set_two_factor_scope(scope: settings::Scope, on: bool) -> () => settings::set_two_factor_scope;
    list_permissions() -> Vec<profiles::PermissionInfo> => profiles::list_permissions;
    create_profile(name: String, copy_from: Option<String>) -> latchkey_core::settings::ProfileSummary => profiles::create_profile;
    rename_profile(name: String, new_name: String) -> () => profiles::rename_profile;
    delete_profile(name: String) -> u32 => profiles::delete_profile;
    set_profile_enabled(name: String, enabled: bool) -> () => profiles::set_profile_enabled;
    set_permission(profile: String, permission: latchkey_core::permission::Permission, on: bool) -> () => profiles::set_permission;
    set_default_profile(name: String) -> () => profiles::set_default_profile;
    set_unattended(profile: String, on: bool) -> () => profiles::set_unattended;
    password_strength(profile: String, password: String) -> latchkey_core::password_policy::Strength => profiles::password_strength;
    set_password(profile: String, password: String) -> u32 => profiles::set_password;
    clear_password(profile: String) -> () => profiles::clear_password;
    list_acl() -> latchkey_core::acl::AccessList => acl::list_acl;
    add_acl_entry(fingerprint: String, profiles: Vec<String>) -> latchkey_core::acl::AccessList => acl::add_acl_entry;
    remove_acl_entry(fingerprint: String) -> latchkey_core::acl::AccessList => acl::remove_acl_entry;
    set_acl(on: bool) -> latchkey_core::acl::AccessList => acl::set_acl;
    list_requests() -> Vec<requests::Request> => requests::list_requests;
    answer_request(id: String, accept: bool, viewer: String, profile: String, permissions: Option<Vec<latchkey_core::permission::Permission>>) -> () => requests::answer_request;
    known_hosts() -> Vec<viewer::KnownHost> => viewer::known_hosts;
    connect(request: viewer::ConnectRequest) -> viewer::SessionInfo => viewer::connect;
    session_info(session_id: String) -> viewer::SessionInfo => viewer::session_info;
    send_input(session_id: String, input: latchkey_media::InputEvent) -> () => viewer::send_input;
    move_pointer(session_id: String, x: i32, y: i32) -> () => viewer::move_pointer;
    clipboard_get(session_id: String) -> Option<String> => viewer::clipboard_get;
    clipboard_set(session_id: String, text: String) -> () => viewer::clipboard_set;
    clipboard_get_files(session_id: String, dir: Option<String>) -> clipboard_files::ClipboardFilesDone => clipboard_files::clipboard_get_files;
    clipboard_put_files(session_id: String, paths: Vec<String>) -> clipboard_files::ClipboardFilesDone => clipboard_files::clipboard_put_files;
    switch_display(session_id: String, id: u32) -> viewer::SessionInfo => viewer::switch_display;
    system_info(session_id: String) -> latchkey_core::feature::system_info::SystemInfo => system_info::system_info;
    start_print(session_id: String) -> print::PrintStarted => print::start_print;
    print_job(session_id: String, job: u64) -> () => print::print_job;
    save_print_job(session_id: String, job: u64, dir: Option<String>) -> String => print::save_print_job;
    set_block_input(session_id: String, on: bool) -> bool => desk::set_block_input;
    set_privacy_mode(session_id: String, on: bool) -> bool => desk::set_privacy_mode;
    set_lock_on_end(session_id: String, on: bool) -> bool => desk::set_lock_on_end;
    restart_host(session_id: String) -> restart::RestartStarted => restart::restart_host;
    draw(session_id: String, color: String, points: Vec<(i32, i32)>, arrow: bool) -> u32 => whiteboard::draw;
    clear_drawing(session_id: String) -> () => whiteboard::clear_drawing;
    open_files_window(session_id: String) -> () => files::open_files_window;
    local_list(path: Option<String>) -> files::FileListing => files::local_list;
    remote_list(session_id: String, path: String) -> files::FileListing => files::remote_list;
    remote_mkdir(session_id: String, path: String) -> () => files::remote_mkdir;
    start_transfer(session_id: String, request: files::TransferRequest) -> files::TransferStarted => files::start_transfer;
    cancel_transfer(session_id: String, id: u32) -> () => files::cancel_transfer;
    end_session(session_id: String) -> () => viewer::end_session;
    pending_deep_link() -> Option<crate::deep_links::LinkOutcome> => viewer::pending_deep_link;
    store_problem() -> Option<crate::first_run::StoreProblem> => first_run::store_problem;
    choose_secret_store(choice: crate::first_run::StoreChoice) -> Option<crate::first_run::StoreProblem> => first_run::choose_secret_store;
    quit_app() -> () => first_run::quit_app;
}

/// The payload type of `status_changed`.
pub fn status_type(cfg: &ts_rs::Config) -> String {
    <settings::AppStatus as ts_rs::TS>::name(cfg)
}

/// The payload type of `requests_changed`.
pub fn requests_type(cfg: &ts_rs::Config) -> String {
    <Vec<requests::Request> as ts_rs::TS>::name(cfg)
}

pub use files::Transfers;
pub use requests::pending as pending_requests;
pub use settings::status_now;
pub use settings::AppStatus;

#[cfg(test)]
mod tests {
    /// `commands.txt` (read by build.rs for the capability permissions) and
    /// the handler list name the same commands.
    #[test]
    fn the_command_list_matches_the_handlers() {
        let listed: Vec<&str> = include_str!("../../commands.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        let declared: Vec<&str> = super::signatures(&ts_rs::Config::new())
            .iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(listed, declared);
    }

    /// Each window's capability grants only commands that exist.
    #[test]
    fn capabilities_name_existing_commands() {
        let declared: Vec<String> = super::signatures(&ts_rs::Config::new())
            .iter()
            .map(|s| format!("allow-{}", s.name.replace('_', "-")))
            .collect();
        for file in [
            include_str!("../../capabilities/main.json"),
            include_str!("../../capabilities/accept.json"),
            include_str!("../../capabilities/viewer.json"),
        ] {
            let v: serde_json::Value = serde_json::from_str(file).expect("capability JSON");
            for p in v["permissions"].as_array().expect("permissions") {
                let p = p.as_str().expect("string");
                if p.starts_with("core:") {
                    continue;
                }
                assert!(declared.iter().any(|d| d == p), "{p} names no command");
            }
        }
    }
}
