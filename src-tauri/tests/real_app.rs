//! The real desktop app under Xvfb, driven through `tauri-driver` and
//! WebKitWebDriver (the webview Tauri uses on Linux): it starts, runs its
//! own host and local rendezvous and shows the ID it got; a settings change
//! made in the window is what `latchkey status --json` reads, and a change
//! made with the CLI shows in the window; a second start with a
//! `latchkey://connect/...` link reaches the running instance (and a link
//! carrying a password is refused). Screenshots are saved under
//! `target/app-screenshots/`.
//!
//! Needs `tauri-driver` (`cargo install tauri-driver`, done by
//! scripts/test.sh), `WebKitWebDriver` (Debian's webkit2gtk-driver), Xvfb
//! and dbus-daemon.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::webdriver::Driver;
use latchkey_testkit::{SessionBus, Xvfb};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The `latchkey` CLI built beside the app.
fn cli() -> PathBuf {
    let mut dir = std::env::current_exe().expect("test binary");
    dir.pop(); // deps
    dir.pop(); // debug
    dir.join("latchkey")
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The environment the app (and every helper) runs in: the test's own X
/// server, session bus, home and configuration.
fn env_for(cmd: &mut Command, x: &Xvfb, bus: &SessionBus, home: &Path, config: &Path) {
    cmd.env("DISPLAY", &x.display)
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .env("LATCHKEY_CONFIG_DIR", config)
        .env("LATCHKEY_SECRET_STORE", "file")
        .env("LATCHKEY_ICE_BIND", "127.0.0.1")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("XDG_SESSION_TYPE");
}

fn save_screenshot(driver: &Driver, name: &str) -> PathBuf {
    let png = driver.screenshot();
    let mut dir = std::env::current_exe().expect("test binary");
    dir.pop();
    dir.pop();
    let dir = dir.join("app-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, &png).expect("write screenshot");
    // Not blank: many distinct colours.
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().expect("png");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png data");
    let step = info.color_type.samples();
    let mut colours = std::collections::HashSet::new();
    for px in buf[..info.buffer_size()].chunks(step).step_by(7) {
        colours.insert(px[..3.min(px.len())].to_vec());
    }
    assert!(
        colours.len() > 20,
        "{name}: the window looks blank ({} colours)",
        colours.len()
    );
    println!("screenshot: {}", path.display());
    path
}

fn status(home: &Path, config: &Path, x: &Xvfb, bus: &SessionBus) -> serde_json::Value {
    let mut cmd = Command::new(cli());
    env_for(&mut cmd, x, bus, home, config);
    let out = cmd
        .args(["--config-dir"])
        .arg(config)
        .args(["--secret-store", "file", "status", "--json"])
        .output()
        .expect("run latchkey status");
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).expect("status JSON")
}

#[test]
fn the_app_starts_shows_its_id_syncs_settings_and_takes_links() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = tmp.path().join("home");
    for d in ["config", "data", "cache", "run"] {
        std::fs::create_dir_all(home.join(d)).expect("home dirs");
    }
    let config = tmp.path().join("latchkey");
    let x = Xvfb::start();
    let bus = SessionBus::start(tmp.path(), &home);
    let app = env!("CARGO_BIN_EXE_latchkey-app");

    let port = free_port();
    let mut driver_cmd = Command::new("tauri-driver");
    env_for(&mut driver_cmd, &x, &bus, &home, &config);
    let _driver_proc = Killed(
        driver_cmd
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &free_port().to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tauri-driver must be installed (scripts/test.sh installs it)"),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "tauri-driver did not listen");
        std::thread::sleep(Duration::from_millis(100));
    }
    let driver = Driver::start(port, app).expect("a WebDriver session with the app");

    // The main window shows the ID the in-app host got from the local rendezvous.
    let id = driver.wait_text("[data-testid=device-id]", Duration::from_secs(60), |t| {
        t.chars().filter(char::is_ascii_digit).count() == 9
    });
    let digits: String = id.chars().filter(char::is_ascii_digit).collect();
    driver.wait_text("[data-testid=online]", Duration::from_secs(30), |t| {
        t.to_lowercase().contains("online")
    });
    // (WebKit's first snapshot can predate the first paint of the data.)
    std::thread::sleep(Duration::from_secs(1));
    save_screenshot(&driver, "main-window");
    let s = status(&home, &config, &x, &bus);
    assert_eq!(s["interactive"], "always");

    // A setting changed in the window is what the CLI reads.
    let security = driver.wait("nav a[href='#security']", Duration::from_secs(10));
    driver.click(&security);
    let never = driver.wait("#mode-never", Duration::from_secs(10));
    driver.click(&never);
    let deadline = Instant::now() + Duration::from_secs(15);
    while status(&home, &config, &x, &bus)["interactive"] != "never" {
        assert!(
            Instant::now() < deadline,
            "the CLI never saw the app's change"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    save_screenshot(&driver, "security-settings");

    // And the reverse: the CLI changes it, the window follows.
    let mut cmd = Command::new(cli());
    env_for(&mut cmd, &x, &bus, &home, &config);
    let out = cmd
        .arg("--config-dir")
        .arg(&config)
        .args(["--secret-store", "file", "interactive", "window"])
        .output()
        .expect("latchkey interactive");
    assert!(out.status.success(), "{out:?}");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let el = driver.wait("#mode-window", Duration::from_secs(5));
        if driver.property(&el, "checked") == serde_json::Value::Bool(true) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the window never showed the CLI's change"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // A second start with a link reaches this instance, which opens the
    // connect flow for that host.
    let second = |link: &str| {
        let mut cmd = Command::new(app);
        env_for(&mut cmd, &x, &bus, &home, &config);
        let mut child = Killed(
            cmd.arg(link)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("second start"),
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = child.0.try_wait() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the second instance did not hand over and leave"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let target = if digits == "123456789" {
        "987654321"
    } else {
        "123456789"
    };
    assert!(second(&format!(
        "latchkey://connect/{target}?profile=screen_sharing"
    ))
    .success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let el = driver.find("#host-id");
        let value = el.map(|e| driver.property(&e, "value")).and_then(|v| {
            v.as_str()
                .map(|s| s.chars().filter(char::is_ascii_digit).collect::<String>())
        });
        if value.as_deref() == Some(target) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the link never reached the window ({value:?})"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    save_screenshot(&driver, "deep-link-connect");

    // A link that carries a password is refused, with a message.
    let _ = second(&format!("latchkey://connect/{target}?password=hunter2"));
    driver.wait_text("[role=alert]", Duration::from_secs(15), |t| {
        t.to_lowercase().contains("refused") || t.to_lowercase().contains("secret")
    });
    save_screenshot(&driver, "deep-link-refused");
    driver.quit();
}
