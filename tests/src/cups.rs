//! A CUPS scheduler of the test's own (needs root, as cupsd does): its own
//! configuration, spool, logs and unix socket in a temporary folder, the
//! system's filters, and a backend folder holding the system's backends and
//! Latchkey's (`latchkey-print-backend` as `latchkey`, mode 0700 so that
//! cupsd runs it as root, as the package installs it). Clients reach it
//! with `CUPS_SERVER` set to [`Cupsd::server`]; stopped on drop.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian keeps CUPS's programs (filters, backends, ...).
const SYSTEM_SERVER_BIN: &str = "/usr/lib/cups";

/// A running cupsd.
pub struct Cupsd {
    dir: tempfile::TempDir,
    child: Child,
}

impl Cupsd {
    /// Start one and wait until it answers.
    pub fn start() -> Cupsd {
        let dir = tempfile::Builder::new()
            .prefix("lk-cups")
            .tempdir()
            .expect("temp dir");
        let d = dir.path();
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        for sub in [
            "spool",
            "cache",
            "state",
            "log",
            "bin",
            "bin/backend",
            "tmp",
        ] {
            std::fs::create_dir_all(d.join(sub)).expect("mkdir");
        }
        // The filters run as `lp`: its temporary files go here.
        let tmp = d.join("tmp");
        Command::new("chgrp")
            .arg("lp")
            .arg(&tmp)
            .status()
            .expect("chgrp");
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o1770)).expect("chmod");
        let bin = d.join("bin");
        for entry in
            std::fs::read_dir(SYSTEM_SERVER_BIN).expect("CUPS is installed (scripts/setup.sh)")
        {
            let entry = entry.expect("entry");
            let name = entry.file_name();
            if name != "backend" {
                std::os::unix::fs::symlink(entry.path(), bin.join(&name)).expect("symlink");
            }
        }
        let backends = bin.join("backend");
        let ours = backends.join("latchkey");
        std::fs::copy(crate::bins::print_backend(), &ours).expect("copy the backend");
        std::fs::set_permissions(&ours, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        let socket = d.join("cups.sock");
        std::fs::write(
            d.join("cupsd.conf"),
            format!(
                "Listen {}\nLogLevel debug\nBrowsing No\nWebInterface No\n\
                 <Location />\n  Order allow,deny\n  Allow all\n</Location>\n\
                 <Location /admin>\n  Order allow,deny\n  Allow all\n</Location>\n",
                socket.display()
            ),
        )
        .expect("cupsd.conf");
        std::fs::write(
            d.join("cups-files.conf"),
            format!(
                "ServerRoot {d}\nRequestRoot {d}/spool\nCacheDir {d}/cache\nStateDir {d}/state\n\
                 TempDir {d}/tmp\nAccessLog {d}/log/access_log\nErrorLog {d}/log/error_log\n\
                 PageLog {d}/log/page_log\nDataDir /usr/share/cups\nServerBin {d}/bin\nFileDevice No\n",
                d = d.display()
            ),
        )
        .expect("cups-files.conf");
        let child = Command::new("/usr/sbin/cupsd")
            .arg("-f")
            .arg("-c")
            .arg(d.join("cupsd.conf"))
            .arg("-s")
            .arg(d.join("cups-files.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cupsd (scripts/setup.sh installs cups)");
        let cupsd = Cupsd { dir, child };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !cupsd.lp("lpstat", &["-r"]).contains("is running") {
            assert!(
                Instant::now() < deadline,
                "cupsd did not start: {}",
                cupsd.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        cupsd
    }

    /// What `CUPS_SERVER` should be.
    pub fn server(&self) -> PathBuf {
        self.dir.path().join("cups.sock")
    }

    /// Its folder.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Run a CUPS client (`lpstat`, `lp`, `lpadmin`) against it; its output.
    pub fn lp(&self, program: &str, args: &[&str]) -> String {
        let out = Command::new(program)
            .args(args)
            .env("CUPS_SERVER", self.server())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e}"));
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }

    /// Its queues (`lpstat -p`'s printer names).
    pub fn queues(&self) -> Vec<String> {
        self.lp("lpstat", &["-p"])
            .lines()
            .filter_map(|l| l.strip_prefix("printer "))
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_string)
            .collect()
    }

    /// Its error log (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log/error_log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with("E ") || l.contains("[Job"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Cupsd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
