//! Rendezvous nodes as real processes (`latchkey-rendezvous`), each on its own
//! loopback port: on SQLite (one node) or sharing one Redis.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};

use anyhow::{bail, Context};

/// Where the nodes keep the registry.
#[derive(Clone, Debug)]
pub enum Backend {
    /// One node, its own SQLite file.
    Sqlite,
    /// Nodes sharing the Redis at this URL.
    Redis(String),
}

/// A running node, killed on drop.
pub struct Node {
    child: Child,
    /// Kept open: the node may still print.
    _stdout: BufReader<ChildStdout>,
    /// Its WebSocket address.
    pub addr: SocketAddr,
}

impl Node {
    /// Start node `index` with `backend`, its files and log in `dir`.
    pub fn start(
        bin: &Path,
        backend: &Backend,
        dir: &Path,
        index: usize,
        max_connections: usize,
    ) -> anyhow::Result<Node> {
        let log = std::fs::File::create(dir.join(format!("node-{index}.log")))
            .context("the node's log file")?;
        let mut cmd = Command::new(bin);
        cmd.args(["--listen", "127.0.0.1:0", "--max-connections"])
            .arg(max_connections.to_string())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log);
        match backend {
            Backend::Sqlite => {
                cmd.arg("--db").arg(dir.join(format!("ids-{index}.sqlite")));
            }
            Backend::Redis(url) => {
                cmd.args(["--redis", url]);
            }
        }
        let mut child = cmd
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let Some(stdout) = child.stdout.take() else {
            bail!("no stdout from the node");
        };
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .context("the node's first line")?;
        let Some(addr) = line
            .trim()
            .rsplit("ws://")
            .next()
            .and_then(|a| a.parse::<SocketAddr>().ok())
        else {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "node {index} did not start (it printed {line:?}; see {})",
                dir.join(format!("node-{index}.log")).display()
            );
        };
        Ok(Node {
            child,
            _stdout: stdout,
            addr,
        })
    }

    /// Its process ID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
