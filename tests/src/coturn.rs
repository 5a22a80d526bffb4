//! A coturn TURN server of the test's own (Debian package `coturn`), in a
//! network namespace, with coturn's `use-auth-secret` (the credentials the
//! rendezvous hands out) and TLS on a certificate from a throwaway CA made
//! here with `openssl` (clients trust it through `SSL_CERT_FILE`). Killed on
//! drop.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::netns::Netns;

/// TURN over UDP and TCP.
pub const PORT: u16 = 3478;
/// TURN over TLS.
pub const TLS_PORT: u16 = 5349;

/// A running coturn.
pub struct Coturn {
    child: Child,
    /// What it logged (its log goes to stdout).
    log: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
    /// The CA that signed its certificate (PEM), for `SSL_CERT_FILE`.
    pub ca: PathBuf,
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run openssl");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and a server certificate it signed for `ip` (subjectAltName IP).
/// Returns (CA cert, server cert, server key).
fn certificates(dir: &Path, ip: &str) -> (PathBuf, PathBuf, PathBuf) {
    let p = |name: &str| dir.join(name);
    let new_key = |path: PathBuf| {
        run(Command::new("openssl")
            .args([
                "ecparam",
                "-name",
                "prime256v1",
                "-genkey",
                "-noout",
                "-out",
            ])
            .arg(path))
    };
    new_key(p("ca.key"));
    run(Command::new("openssl")
        .args(["req", "-x509", "-new", "-key"])
        .arg(p("ca.key"))
        .args(["-days", "2", "-subj", "/CN=Latchkey test TURN CA", "-out"])
        .arg(p("ca.pem")));
    new_key(p("server.key"));
    run(Command::new("openssl")
        .args(["req", "-new", "-key"])
        .arg(p("server.key"))
        .args(["-subj", "/CN=turn.test", "-out"])
        .arg(p("server.csr")));
    std::fs::write(
        p("ext.cnf"),
        format!("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:{ip}\n"),
    )
    .expect("write ext");
    run(Command::new("openssl")
        .args(["x509", "-req", "-in"])
        .arg(p("server.csr"))
        .arg("-CA")
        .arg(p("ca.pem"))
        .arg("-CAkey")
        .arg(p("ca.key"))
        .args(["-CAcreateserial", "-days", "2", "-extfile"])
        .arg(p("ext.cnf"))
        .arg("-out")
        .arg(p("server.pem")));
    (p("ca.pem"), p("server.pem"), p("server.key"))
}

impl Coturn {
    /// Start coturn in `ns`, listening and relaying on `ip` only, with the
    /// shared secret `secret`; waits until it listens.
    pub fn start_in(ns: &Netns, ip: &str, secret: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let (ca, cert, key) = certificates(dir.path(), ip);
        let mut child = ns
            .command("turnserver")
            .args([
                "-n",
                "--no-cli",
                "--log-file=stdout",
                "--simple-log",
                "--no-dtls",
                "--no-rfc5780",
                "--fingerprint",
                "--use-auth-secret",
                &format!("--static-auth-secret={secret}"),
                "--realm=latchkey.test",
                &format!("--listening-ip={ip}"),
                &format!("--relay-ip={ip}"),
                &format!("--listening-port={PORT}"),
                &format!("--tls-listening-port={TLS_PORT}"),
                "--min-port=49152",
                "--max-port=49999",
            ])
            .arg(format!("--cert={}", cert.display()))
            .arg(format!("--pkey={}", key.display()))
            .arg(format!(
                "--pidfile={}",
                dir.path().join("turnserver.pid").display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("turnserver (Debian package coturn) must be installed");
        let log = Arc::new(Mutex::new(String::new()));
        for pipe in [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let sink = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if let Ok(mut s) = sink.lock() {
                        s.push_str(&line);
                        s.push('\n');
                    }
                }
            });
        }
        let coturn = Coturn {
            child,
            log,
            _dir: dir,
            ca,
        };
        // Listening once its TCP and TLS listeners accept connections.
        let deadline = Instant::now() + Duration::from_secs(15);
        while crate::netns::Site::tcp_connect(ns, ip, PORT).is_err()
            || crate::netns::Site::tcp_connect(ns, ip, TLS_PORT).is_err()
        {
            assert!(
                Instant::now() < deadline,
                "coturn did not listen within 15 s: {}",
                coturn.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        coturn
    }

    /// Everything it logged so far.
    pub fn log(&self) -> String {
        self.log.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for Coturn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
