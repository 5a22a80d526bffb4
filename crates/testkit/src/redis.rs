//! A private `redis-server` for tests: on a free loopback port, its AOF
//! (`appendonly yes`, `appendfsync always`) in a temporary directory, killed
//! on drop. [`RedisServer::restart`] kills it hard (SIGKILL) and starts it
//! again on the same port and directory: what it kept is what the AOF kept.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long `redis-server` may take to answer `PING` after starting.
const READY_WITHIN: Duration = Duration::from_secs(10);

/// A running `redis-server`.
pub struct RedisServer {
    /// The process.
    child: Child,
    /// Its data (the AOF) and log.
    dir: tempfile::TempDir,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl RedisServer {
    /// Start one on a free port of 127.0.0.1. Panics (it is a test) when
    /// `redis-server` is missing or does not answer within 10 s.
    pub fn start() -> RedisServer {
        let dir = tempfile::tempdir().expect("temp dir for redis");
        let port = crate::free_port().expect("free port");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let child = spawn(dir.path(), port);
        let server = RedisServer { child, dir, addr };
        server.wait_ready();
        server
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    /// Its process ID (for memory and CPU readings).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kill it hard and start it again on the same port, with the same AOF.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let deadline = Instant::now() + READY_WITHIN;
        // The port is free again once the old process is reaped.
        while TcpStream::connect_timeout(&self.addr, Duration::from_millis(100)).is_ok()
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child = spawn(self.dir.path(), self.addr.port());
        self.wait_ready();
    }

    /// Send one command in RESP (inline form) and return the raw reply.
    pub fn command(&self, line: &str) -> String {
        let mut tcp =
            TcpStream::connect_timeout(&self.addr, Duration::from_secs(2)).expect("redis answers");
        tcp.set_read_timeout(Some(Duration::from_secs(2)))
            .expect("timeout");
        tcp.write_all(format!("{line}\r\n").as_bytes())
            .expect("write");
        let mut buf = [0u8; 4096];
        let n = tcp.read(&mut buf).expect("reply");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    /// Its log, for a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default()
    }

    /// Wait until it answers `PING`.
    fn wait_ready(&self) {
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if let Ok(mut tcp) = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200))
            {
                let _ = tcp.set_read_timeout(Some(Duration::from_millis(500)));
                let mut buf = [0u8; 64];
                if tcp.write_all(b"PING\r\n").is_ok()
                    && tcp
                        .read(&mut buf)
                        .is_ok_and(|n| buf[..n].starts_with(b"+PONG"))
                {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer within {READY_WITHIN:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// `redis-server` on `port`, keeping its AOF in `dir`.
fn spawn(dir: &Path, port: u16) -> Child {
    Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string(), "--dir"])
        .arg(dir)
        .args([
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--save",
            "",
            "--daemonize",
            "no",
            "--logfile",
            "redis.log",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server (scripts/setup.sh installs it)")
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
