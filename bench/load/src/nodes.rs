//! Rendezvous nodes as processes of their own, each on its own loopback port,
//! on SQLite (one node) or sharing one Redis: this binary started again as
//! `rendezvous-load node ...`, serving with the rendezvous library exactly as
//! `latchkey-rendezvous` does (its flags map to the same `ServerConfig`).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
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
        backend: &Backend,
        dir: &Path,
        index: usize,
        max_connections: usize,
    ) -> anyhow::Result<Node> {
        let log = std::fs::File::create(dir.join(format!("node-{index}.log")))
            .context("the node's log file")?;
        let bin = std::env::current_exe().context("this program's path")?;
        let mut cmd = Command::new(&bin);
        cmd.args(["node", "--listen", "127.0.0.1:0", "--max-connections"])
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

/// `rendezvous-load node --listen ADDR --max-connections N [--db FILE | --redis URL]`:
/// serve as one node until killed.
pub fn serve(args: &[String]) -> anyhow::Result<()> {
    let mut listen = None;
    let mut config = latchkey_rendezvous::ServerConfig::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--listen" => listen = Some(value.clone()),
            "--max-connections" => {
                config.limits.max_connections = value.parse().context("--max-connections")?
            }
            "--db" => config.db_path = Some(PathBuf::from(value)),
            "--redis" => {
                config.redis = Some(latchkey_rendezvous::RedisConfig {
                    url: value.clone(),
                    node_id: None,
                })
            }
            other => bail!("node: unknown option {other}"),
        }
    }
    let listen = listen.context("node: --listen is needed")?;
    let runtime = tokio::runtime::Runtime::new().context("the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        println!("node listening on ws://{}", listener.local_addr()?);
        latchkey_rendezvous::serve(listener, config, std::future::pending())
            .await
            .map_err(anyhow::Error::from)
    })
}
