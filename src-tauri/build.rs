//! Tauri's build step: reads `tauri.conf.json` (a link to the one at the
//! repository root), and declares the app's commands so each window's
//! capability file can grant exactly the ones it needs (`allow-<command>`).

fn main() {
    // The one list of commands, shared with `src/commands/mod.rs` (a unit
    // test there checks that both name the same commands).
    println!("cargo:rerun-if-changed=commands.txt");
    let list = include_str!("commands.txt");
    let commands: &'static [&'static str] = list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect::<Vec<_>>()
        .leak();
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(commands));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {e:#}");
    }
}
