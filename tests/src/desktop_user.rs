//! A desktop user for a root host, as a system service has one: a
//! throwaway account (made with useradd, removed on drop) and a fake
//! `loginctl` that reports its graphical session (or none). Needs root.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// useradd and userdel lock /etc/passwd: one at a time.
static ACCOUNTS: Mutex<()> = Mutex::new(());

pub fn root_cmd(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

pub fn is_root() -> bool {
    latchkey_session::host::control_socket::auth::effective_uid() == Some(0)
}

/// A throwaway user with a home of its own, removed on drop.
pub struct TempUser {
    pub name: String,
    pub uid: u32,
    pub home: PathBuf,
    _dir: tempfile::TempDir,
}

impl TempUser {
    pub fn new(tag: &str) -> Self {
        let _lock = ACCOUNTS.lock().unwrap_or_else(|p| p.into_inner());
        let dir = tempfile::tempdir().expect("tempdir");
        // The user must be able to reach its home.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        let home = dir.path().join("home");
        let name = format!("lkf{tag}{}", std::process::id() % 100_000);
        let h = home.to_str().expect("utf-8").to_string();
        assert!(
            root_cmd(
                "useradd",
                &[
                    "--no-create-home",
                    "--home-dir",
                    &h,
                    "--shell",
                    "/usr/sbin/nologin",
                    "--user-group",
                    &name
                ]
            ),
            "useradd {name}"
        );
        let passwd = std::fs::read_to_string("/etc/passwd").expect("passwd");
        let (uid, gid) = passwd
            .lines()
            .filter_map(latchkey_session::host::control_socket::auth::parse_passwd_line)
            .find(|u| u.name == name)
            .map(|u| (u.uid, u.gid))
            .expect("the new user");
        std::fs::create_dir(&home).expect("home");
        std::os::unix::fs::chown(&home, Some(uid), Some(gid)).expect("chown");
        TempUser {
            name,
            uid,
            home,
            _dir: dir,
        }
    }
}

impl Drop for TempUser {
    fn drop(&mut self) {
        let _lock = ACCOUNTS.lock().unwrap_or_else(|p| p.into_inner());
        root_cmd("userdel", &[&self.name]);
        root_cmd("groupdel", &[&self.name]);
    }
}

/// A fake `loginctl` reporting `user`'s graphical session (or none).
pub struct FakeLogind {
    dir: tempfile::TempDir,
}

impl Default for FakeLogind {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeLogind {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let script = format!(
            "#!/bin/sh\ncase \"$1\" in\n  show-seat) cat '{0}/seat' ;;\n  show-session) cat '{0}/session' ;;\n  *) exit 1 ;;\nesac\n",
            dir.path().display()
        );
        std::fs::create_dir(dir.path().join("bin")).expect("bin");
        let bin = dir.path().join("bin/loginctl");
        std::fs::write(&bin, script).expect("script");
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let fake = FakeLogind { dir };
        fake.nobody();
        fake
    }

    pub fn nobody(&self) {
        std::fs::write(self.dir.path().join("seat"), "ActiveSession=\n").expect("seat");
        std::fs::write(self.dir.path().join("session"), "").expect("session");
    }

    pub fn logged_in(&self, user: &TempUser) {
        std::fs::write(
            self.dir.path().join("session"),
            format!(
                "Display=:77\nName={}\nUser={}\nType=x11\nState=active\n",
                user.name, user.uid
            ),
        )
        .expect("session");
        std::fs::write(self.dir.path().join("seat"), "ActiveSession=c7\n").expect("seat");
    }

    pub fn env(&self) -> Vec<(&'static str, OsString)> {
        let mut path = OsString::from(self.dir.path().join("bin"));
        path.push(":");
        path.push(std::env::var_os("PATH").unwrap_or_default());
        vec![
            ("LATCHKEY_ICE_BIND", OsString::from("127.0.0.1")),
            ("PATH", path),
        ]
    }
}
