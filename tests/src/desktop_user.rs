//! A desktop user for a root host, as a system service has one: a
//! throwaway account (made with useradd, removed on drop) and a fake
//! `loginctl` that reports its graphical session (or none). Needs root.

use std::ffi::{OsStr, OsString};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use crate::cli::{pw, Device, Proc, Rendezvous, Run, GOOD_PASSWORD};

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

/// A root host (as a system service runs) whose desktop user is a throwaway
/// user, and a viewer: the file suites' setting.
pub struct RootHost {
    pub user: TempUser,
    pub logind: FakeLogind,
    pub host: Device,
    pub proc: Proc,
    pub id: String,
    pub viewer: Device,
    pub rv: Rendezvous,
    pub profile: &'static str,
}

impl RootHost {
    pub fn new(tag: &str, profile: &'static str) -> RootHost {
        RootHost::new_on(tag, profile, None)
    }

    /// The same, the host sharing X display `display` (when given).
    pub fn new_on(tag: &str, profile: &'static str, display: Option<&str>) -> RootHost {
        assert!(
            is_root(),
            "this suite makes a throwaway desktop user: run it as root (CI does)"
        );
        for tool in ["useradd", "userdel", "groupdel"] {
            assert!(
                root_cmd("sh", &["-c", &format!("command -v {tool}")]),
                "{tool} is missing (scripts/setup.sh installs passwd)"
            );
        }
        let user = TempUser::new(tag);
        let logind = FakeLogind::new();
        logind.logged_in(&user);
        let rv = Rendezvous::start(0, None);
        let host = Device::file();
        host.set_password(profile, GOOD_PASSWORD).ok();
        host.run(&["unattended", "on", "--profile", profile]).ok();
        let env = logind.env();
        let refs: Vec<(&str, &OsStr)> = env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
        let mut args = vec!["host", "--rendezvous", &rv.url];
        if let Some(d) = display {
            args.extend(["--display", d]);
        }
        let mut proc = host.spawn_piped_env(&args, &refs);
        let line = proc.wait_line(|l| l.contains("host ready: ID"), Duration::from_secs(30));
        let id = line.rsplit("ID ").next().expect("id").replace(' ', "");
        RootHost {
            user,
            logind,
            host,
            proc,
            id,
            viewer: Device::file(),
            rv,
            profile,
        }
    }

    /// `latchkey ARGS --json` with the login options, the password on stdin.
    pub fn lk(&self, args: &[&str]) -> Run {
        let mut all: Vec<&str> = args.to_vec();
        all.extend([
            "--rendezvous",
            &self.rv.url,
            "--profile",
            self.profile,
            "--password-stdin",
            "--json",
        ]);
        let env = self.logind.env();
        let refs: Vec<(&str, &OsStr)> = env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
        self.viewer.run_env(&all, &refs, Some(&pw(GOOD_PASSWORD)))
    }

    /// `ID:PATH`.
    pub fn at(&self, path: &str) -> String {
        format!("{}:{path}", self.id)
    }

    /// Give the desktop's user a path this suite made as root.
    pub fn chown(&self, path: &Path) {
        assert!(root_cmd(
            "chown",
            &[
                "-R",
                &format!("{0}:{0}", self.user.name),
                path.to_str().expect("utf-8")
            ]
        ));
    }
}
