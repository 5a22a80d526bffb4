//! Benchmark: file copies and a TCP tunnel on loopback against OpenSSH in
//! the same run. `latchkey cp` of one big file (both ways) and of a tree of
//! small files, against `scp` to an `sshd` this bench starts on 127.0.0.1
//! (a throwaway host key, Debian's binary unpacked by bench/run.sh); and a
//! `latchkey tunnel -L` against `ssh -L` to the same TCP sink. Prints MB/s,
//! the ratio to OpenSSH and the CPU each side used.
//!
//! The Latchkey host runs as root with a throwaway desktop user (reported
//! by a fake `loginctl`, as the e2e suite does), so its file operations run
//! with that user's rights, as a system service's do.
//!
//! Usage (as root): `file-transfer path/to/latchkey OPENSSH_ROOT [BIG_MIB] [SMALL_FILES]`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use latchkey_bench::Killed;

const PASSWORD: &str = "kettle-orbit-cactus-71";
const PROFILE: &str = "full_access";

fn fail(what: &str, e: impl std::fmt::Display) -> String {
    format!("{what}: {e}")
}

/// Run a command to its end; its stdout, or why it failed.
fn run(c: &mut Command, stdin: Option<&str>) -> Result<String, String> {
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail("spawn", e))?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())
            .map_err(|e| fail("stdin", e))?;
    }
    let out = child.wait_with_output().map_err(|e| fail("wait", e))?;
    if !out.status.success() {
        return Err(format!(
            "{:?} failed: {}{}",
            c.get_program(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// CPU seconds of a process and its reaped children (`/proc/PID/stat`).
fn cpu_of(pid: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces): utime is the 14th field.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(4)
        .filter_map(|v| v.parse().ok())
        .collect();
    f.iter().sum::<f64>() / 100.0
}

/// A throwaway user (the host's desktop user), removed on drop.
struct User {
    name: String,
    uid: String,
    home: PathBuf,
}

impl User {
    fn new() -> Result<User, String> {
        let name = format!("lkbench{}", std::process::id());
        run(
            Command::new("useradd").args(["-m", "-s", "/bin/sh", &name]),
            None,
        )?;
        let uid = run(Command::new("id").args(["-u", &name]), None)?
            .trim()
            .to_string();
        Ok(User {
            home: PathBuf::from(format!("/home/{name}")),
            name,
            uid,
        })
    }
}

impl Drop for User {
    fn drop(&mut self) {
        let _ = Command::new("userdel").args(["-r", &self.name]).output();
        let _ = Command::new("groupdel").arg(&self.name).output();
    }
}

/// `sshd` on 127.0.0.1 with its own host key and config; the `sshd`
/// privilege separation user is made for it when missing (and removed).
struct Sshd {
    _proc: Killed,
    pid: String,
    port: u16,
    key: PathBuf,
    made_user: bool,
}

impl Sshd {
    fn start(openssh: &Path, dir: &Path) -> Result<Sshd, String> {
        let sshd = openssh.join("usr/sbin/sshd");
        let sftp = openssh.join("usr/lib/openssh/sftp-server");
        if !sshd.exists() {
            return Err(format!("no {} (bench/run.sh unpacks it)", sshd.display()));
        }
        let made_user = run(Command::new("id").arg("sshd"), None).is_err();
        if made_user {
            run(
                Command::new("useradd").args([
                    "-r",
                    "-M",
                    "-d",
                    "/run/sshd",
                    "-s",
                    "/usr/sbin/nologin",
                    "sshd",
                ]),
                None,
            )?;
        }
        std::fs::create_dir_all("/run/sshd").map_err(|e| fail("/run/sshd", e))?;
        let (host_key, key) = (dir.join("host_key"), dir.join("user_key"));
        for k in [&host_key, &key] {
            run(
                Command::new("ssh-keygen")
                    .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                    .arg(k),
                None,
            )?;
        }
        let auth = dir.join("authorized_keys");
        std::fs::copy(key.with_extension("pub"), &auth).map_err(|e| fail("authorized_keys", e))?;
        let port = latchkey_testkit::free_port()?;
        let config = dir.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "ListenAddress 127.0.0.1\nPort {port}\nHostKey {}\nAuthorizedKeysFile {}\n\
                 PidFile {}\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n\
                 PermitRootLogin prohibit-password\nSubsystem sftp {}\n",
                host_key.display(),
                auth.display(),
                dir.join("sshd.pid").display(),
                sftp.display()
            ),
        )
        .map_err(|e| fail("sshd_config", e))?;
        let child = Command::new(&sshd)
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| fail("sshd", e))?;
        let pid = child.id().to_string();
        wait_port(port)?;
        Ok(Sshd {
            _proc: Killed(child),
            pid,
            port,
            key,
            made_user,
        })
    }

    fn ssh_args(&self, c: &mut Command, port_flag: &str) {
        c.arg("-i").arg(&self.key).args([
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            port_flag,
            &self.port.to_string(),
        ]);
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        if self.made_user {
            let _ = Command::new("userdel").arg("sshd").output();
        }
    }
}

fn wait_port(port: u16) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("nothing listens on 127.0.0.1:{port}"))
}

/// A fake `loginctl` that reports `user` logged in on a graphical seat.
fn fake_logind(dir: &Path, user: &User) -> Result<PathBuf, String> {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).map_err(|e| fail("bin", e))?;
    std::fs::write(dir.join("seat"), "ActiveSession=c7\n").map_err(|e| fail("seat", e))?;
    std::fs::write(
        dir.join("session"),
        format!(
            "Display=:77\nName={}\nUser={}\nType=x11\nState=active\n",
            user.name, user.uid
        ),
    )
    .map_err(|e| fail("session", e))?;
    let script = format!(
        "#!/bin/sh\ncase \"$1\" in\n  show-seat) cat '{0}/seat' ;;\n  show-session) cat '{0}/session' ;;\n  *) exit 1 ;;\nesac\n",
        dir.display()
    );
    let path = bin.join("loginctl");
    std::fs::write(&path, script).map_err(|e| fail("loginctl", e))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| fail("chmod", e))?;
    Ok(bin)
}

/// `size` bytes of noise in `path` (xorshift: fast, incompressible enough).
fn noise(path: &Path, size: u64, seed: u64) -> Result<(), String> {
    let mut f =
        std::io::BufWriter::new(std::fs::File::create(path).map_err(|e| fail("create", e))?);
    let mut x = seed | 1;
    let mut buf = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        for chunk in buf.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
        }
        let n = left.min(buf.len() as u64) as usize;
        f.write_all(&buf[..n]).map_err(|e| fail("write", e))?;
        left -= n as u64;
    }
    f.flush().map_err(|e| fail("flush", e))
}

/// One measured run: seconds, viewer (client) CPU, host (server) CPU.
struct Measured {
    secs: f64,
    client_cpu: f64,
    server_cpu: f64,
}

/// Time `c` to its end; CPU of this process's reaped children (the client)
/// and of `server_pid` (with its own reaped children).
fn measure(c: &mut Command, stdin: Option<&str>, server_pid: &str) -> Result<Measured, String> {
    let (client0, server0) = (cpu_of("self") - own_cpu(), cpu_of(server_pid));
    let started = Instant::now();
    run(c, stdin)?;
    let secs = started.elapsed().as_secs_f64();
    Ok(Measured {
        secs,
        client_cpu: cpu_of("self") - own_cpu() - client0,
        server_cpu: cpu_of(server_pid) - server0,
    })
}

/// This process's own CPU (without its children), to keep the children's.
fn own_cpu() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let rest = stat.rsplit(')').next().unwrap_or("");
    rest.split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse::<f64>().ok())
        .sum::<f64>()
        / 100.0
}

/// A TCP sink on 127.0.0.1: reads each connection to its end, then answers
/// one byte (so the sender knows everything arrived).
fn sink() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| fail("sink", e))?;
    let port = l.local_addr().map_err(|e| fail("sink", e))?.port();
    std::thread::spawn(move || {
        for conn in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut conn = conn;
                let mut buf = vec![0u8; 1 << 16];
                while matches!(conn.read(&mut buf), Ok(n) if n > 0) {}
                let _ = conn.write_all(b"k");
            });
        }
    });
    Ok(port)
}

/// Push `bytes` through 127.0.0.1:`port` to the sink; seconds until it said it had them all.
fn push(port: u16, bytes: u64) -> Result<f64, String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| fail("connect", e))?;
    let buf = vec![0x5au8; 1 << 16];
    let started = Instant::now();
    let mut left = bytes;
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        s.write_all(&buf[..n]).map_err(|e| fail("push", e))?;
        left -= n as u64;
    }
    s.shutdown(Shutdown::Write)
        .map_err(|e| fail("shutdown", e))?;
    let mut ack = [0u8; 1];
    s.read_exact(&mut ack).map_err(|e| fail("ack", e))?;
    Ok(started.elapsed().as_secs_f64())
}

/// A child that prints a line containing `marker`; the child and that line.
fn start_until(mut c: Command, marker: &str) -> Result<(Child, String), String> {
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| fail("spawn", e))?;
    let out = child.stdout.take().ok_or("no stdout")?;
    let mut lines = BufReader::new(out).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        match lines.next() {
            Some(Ok(line)) if line.contains(marker) => {
                std::thread::spawn(move || lines.for_each(drop));
                return Ok((child, line));
            }
            Some(Ok(_)) => {}
            _ => break,
        }
    }
    let _ = child.kill();
    Err(format!("no '{marker}' line"))
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: file-transfer path/to/latchkey OPENSSH_ROOT [BIG_MIB] [SMALL_FILES]";
    let bin = args.get(1).cloned().ok_or(usage)?;
    let openssh = PathBuf::from(args.get(2).ok_or(usage)?);
    let big_mib: u64 = args
        .get(3)
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024)
        .clamp(16, 8192);
    let small: usize = args
        .get(4)
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
        .clamp(100, 100_000);
    if own_uid()? != "0" {
        return Err("run as root (it makes a throwaway desktop user and starts sshd)".into());
    }
    let tmp = tempfile::tempdir().map_err(|e| fail("tempdir", e))?;
    let dir = tmp.path();
    let user = User::new()?;
    let sshd = Sshd::start(&openssh, &made(dir.join("ssh"))?)?;
    let logind_bin = fake_logind(&made(dir.join("logind"))?, &user)?;
    let path = format!(
        "{}:{}",
        logind_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let lk = |config: &str| {
        let mut c = Command::new(&bin);
        c.arg("--config-dir")
            .arg(dir.join(config))
            .args(["--secret-store", "file"])
            .env("LATCHKEY_ICE_BIND", "127.0.0.1")
            .env("PATH", &path);
        c
    };

    let mut c = Command::new(&bin);
    c.args(["rendezvous", "--listen", "127.0.0.1:0"]);
    let (rv, line) = start_until(c, "listening on ws://")?;
    let _rv = Killed(rv);
    let url = line.rsplit(' ').next().ok_or("no url")?.to_string();
    run(
        lk("host").args(["password", "set", "--profile", PROFILE]),
        Some(&format!("{PASSWORD}\n")),
    )?;
    run(
        lk("host").args(["unattended", "on", "--profile", PROFILE]),
        None,
    )?;
    run(lk("host").args(["save-login", "on"]), None)?;
    let mut c = lk("host");
    c.args(["host", "--rendezvous", &url]);
    let (host, line) = start_until(c, "host ready: ID")?;
    let host_pid = host.id().to_string();
    let _host = Killed(host);
    let id = line.rsplit("ID ").next().ok_or("no id")?.replace(' ', "");
    // Log in once with the password and keep the token: every run after logs in with it.
    run(
        lk("viewer").args([
            "ls",
            &format!("{id}:~"),
            "--rendezvous",
            &url,
            "--profile",
            PROFILE,
            "--password-stdin",
            "--remember",
        ]),
        Some(&format!("{PASSWORD}\n")),
    )?;

    println!(
        "Loopback file copies and tunnel, Latchkey vs {}, {} cores",
        Command::new("ssh")
            .arg("-V")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stderr).trim().to_string())
            .unwrap_or_default(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    let big = dir.join("big.bin");
    noise(&big, big_mib << 20, 0x9e37_79b9_7f4a_7c15)?;
    let tree = dir.join("small");
    for i in 0..small {
        let sub = tree.join(format!("d{:03}", i % 100));
        std::fs::create_dir_all(&sub).map_err(|e| fail("tree", e))?;
        noise(&sub.join(format!("f{i:05}")), 4096, i as u64 + 1)?;
    }
    let small_bytes = small as u64 * 4096;
    let home = user.home.display().to_string();
    let scp = |args: &[&str]| {
        let mut c = Command::new("scp");
        c.arg("-q");
        sshd.ssh_args(&mut c, "-P");
        c.args(args);
        c
    };
    let clear = |p: &str| {
        let _ = std::fs::remove_dir_all(p);
        let _ = std::fs::remove_file(p);
    };
    let big_s = big.display().to_string();
    let tree_s = tree.display().to_string();
    let back = dir.join("back.bin").display().to_string();
    let mut rows: Vec<(String, u64, Measured, Measured)> = Vec::new();

    // One big file, up.
    clear(&format!("{home}/big.bin"));
    let ours = measure(
        lk("viewer").args([
            "cp",
            &big_s,
            &format!("{id}:~/big.bin"),
            "--rendezvous",
            &url,
            "--profile",
            PROFILE,
        ]),
        None,
        &host_pid,
    )?;
    let theirs = measure(
        &mut scp(&[&big_s, &format!("root@127.0.0.1:{home}/big-scp.bin")]),
        None,
        &sshd.pid,
    )?;
    rows.push((
        format!("one {big_mib} MiB file, viewer -> host"),
        big_mib << 20,
        ours,
        theirs,
    ));
    // And down.
    clear(&back);
    let ours = measure(
        lk("viewer").args([
            "cp",
            &format!("{id}:~/big.bin"),
            &back,
            "--rendezvous",
            &url,
            "--profile",
            PROFILE,
        ]),
        None,
        &host_pid,
    )?;
    clear(&back);
    let theirs = measure(
        &mut scp(&[&format!("root@127.0.0.1:{home}/big-scp.bin"), &back]),
        None,
        &sshd.pid,
    )?;
    rows.push((
        format!("one {big_mib} MiB file, host -> viewer"),
        big_mib << 20,
        ours,
        theirs,
    ));
    clear(&format!("{home}/big.bin"));
    clear(&format!("{home}/big-scp.bin"));
    // Many small files, up.
    let ours = measure(
        lk("viewer").args([
            "cp",
            "-r",
            &tree_s,
            &format!("{id}:~/small"),
            "--rendezvous",
            &url,
            "--profile",
            PROFILE,
        ]),
        None,
        &host_pid,
    )?;
    let theirs = measure(
        &mut scp(&["-r", &tree_s, &format!("root@127.0.0.1:{home}/small-scp")]),
        None,
        &sshd.pid,
    )?;
    rows.push((
        format!("{small} files of 4 KiB, viewer -> host"),
        small_bytes,
        ours,
        theirs,
    ));

    // The tunnel: the same bytes to the same sink through each.
    let target = sink()?;
    let tunnel_bytes = big_mib << 20;
    let mut c = lk("viewer");
    c.args([
        "tunnel",
        &id,
        "-L",
        &format!("0:127.0.0.1:{target}"),
        "--rendezvous",
        &url,
        "--profile",
        PROFILE,
        "--json",
    ]);
    let (tunnel, line) = start_until(c, "\"port\"")?;
    let tunnel_pid = tunnel.id().to_string();
    let tunnel = Killed(tunnel);
    let port: u16 = serde_json::from_str::<serde_json::Value>(&line)
        .ok()
        .and_then(|v| v["port"].as_u64())
        .and_then(|p| u16::try_from(p).ok())
        .ok_or("no port in the tunnel's ready line")?;
    let (c0, s0) = (cpu_of(&tunnel_pid), cpu_of(&host_pid));
    let secs = push(port, tunnel_bytes)?;
    let ours = Measured {
        secs,
        client_cpu: cpu_of(&tunnel_pid) - c0,
        server_cpu: cpu_of(&host_pid) - s0,
    };
    drop(tunnel);
    let ssh_port = latchkey_testkit::free_port()?;
    let mut c = Command::new("ssh");
    sshd.ssh_args(&mut c, "-p");
    c.args([
        "-N",
        "-L",
        &format!("{ssh_port}:127.0.0.1:{target}"),
        "root@127.0.0.1",
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    let ssh = c.spawn().map_err(|e| fail("ssh -L", e))?;
    let ssh_pid = ssh.id().to_string();
    let ssh = Killed(ssh);
    wait_port(ssh_port)?;
    let (c0, s0) = (cpu_of(&ssh_pid), cpu_of(&sshd.pid));
    let secs = push(ssh_port, tunnel_bytes)?;
    let theirs = Measured {
        secs,
        client_cpu: cpu_of(&ssh_pid) - c0,
        server_cpu: cpu_of(&sshd.pid) - s0,
    };
    drop(ssh);
    rows.push((
        format!("tunnel -L, {big_mib} MiB one stream"),
        tunnel_bytes,
        ours,
        theirs,
    ));

    println!(
        "{:<38} {:>11} {:>11} {:>8} {:>17} {:>17}",
        "what", "latchkey", "openssh", "ratio", "cpu s latchkey", "cpu s openssh"
    );
    println!(
        "{:<38} {:>11} {:>11} {:>8} {:>17} {:>17}",
        "", "MB/s", "MB/s", "", "viewer / host", "client / server"
    );
    for (what, bytes, ours, theirs) in rows {
        let (a, b) = (
            bytes as f64 / 1e6 / ours.secs,
            bytes as f64 / 1e6 / theirs.secs,
        );
        println!(
            "{what:<38} {a:>11.1} {b:>11.1} {:>7.2}x {:>8.2} / {:<6.2} {:>8.2} / {:<6.2}",
            a / b,
            ours.client_cpu,
            ours.server_cpu,
            theirs.client_cpu,
            theirs.server_cpu
        );
    }
    Ok(())
}

fn own_uid() -> Result<String, String> {
    Ok(run(Command::new("id").arg("-u"), None)?.trim().to_string())
}

/// `path`, made first (with its parents).
fn made(path: PathBuf) -> Result<PathBuf, String> {
    std::fs::create_dir_all(&path).map_err(|e| fail("mkdir", e))?;
    Ok(path)
}
