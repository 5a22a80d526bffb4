//! `latchkey rendezvous` and `latchkey-rendezvous`: run the ID and signaling
//! server in the foreground until SIGINT or SIGTERM.

use clap::builder::TypedValueParser as _;
use clap::{ArgGroup, Args};
use std::path::{Path, PathBuf};

/// Exit code when the TURN secret file is refused (as the CLI's USAGE: refused input).
pub const EXIT_BAD_SECRET_FILE: u8 = 2;

/// Why the server did not run, and its exit code.
#[derive(Debug)]
pub struct Failure {
    /// The process's exit code.
    pub code: u8,
    /// One line for people.
    pub message: String,
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure { code: 1, message }
    }
}

/// Options of the rendezvous server.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("turn_source").args(["turn_secret", "turn_secret_file"])))]
pub struct RendezvousArgs {
    /// Address to listen on, e.g. 127.0.0.1:8765 (serves ws://127.0.0.1:8765).
    #[arg(long, value_name = "ADDR")]
    pub listen: String,
    /// SQLite file keeping the ID of every host key (default: in memory, lost on restart).
    #[arg(long, value_name = "FILE", conflicts_with = "redis")]
    pub db: Option<PathBuf>,
    /// Share IDs, presence and signaling with other nodes through this Redis,
    /// e.g. redis://127.0.0.1:6379 (run it with appendonly yes: it keeps the IDs).
    #[arg(long, value_name = "URL")]
    pub redis: Option<String>,
    /// This node's name with --redis (1 to 64 of A-Z a-z 0-9 - _; default: random at each start).
    #[arg(long, value_name = "NAME", requires = "redis")]
    pub node_id: Option<String>,
    /// File holding coturn's `static-auth-secret` (read once at start; one
    /// trailing newline ignored; must not be readable by other users), to
    /// hand out short-lived TURN credentials.
    #[arg(long, value_name = "FILE", requires = "turn_url")]
    pub turn_secret_file: Option<PathBuf>,
    /// Deprecated: the secret itself, visible to every user in the process
    /// list. Use --turn-secret-file.
    #[arg(long, value_name = "S", requires = "turn_url")]
    pub turn_secret: Option<String>,
    /// TURN URL given with the credentials (repeatable), e.g.
    /// turn:turn.example.org:3478, turn:turn.example.org:3478?transport=tcp,
    /// turns:turn.example.org:5349.
    #[arg(long, value_name = "URL", requires = "turn_source")]
    pub turn_url: Vec<String>,
    /// A reverse proxy's address range, e.g. 127.0.0.1/32 (repeatable): its
    /// Forwarded / X-Forwarded-For headers give the client's address; nobody
    /// else's are believed.
    #[arg(long, value_name = "CIDR")]
    pub trusted_proxy: Vec<latchkey_rendezvous::TrustedProxy>,
    /// Simultaneous WebSocket connections served (hosts and viewers); more
    /// get HTTP 503. Each needs a file descriptor: the server raises its own
    /// soft limit to the hard one at start (systemd: LimitNOFILE=).
    #[arg(long, value_name = "N", default_value_t = latchkey_rendezvous::Limits::default().max_connections,
          value_parser = clap::value_parser!(u32).range(1..=4_000_000).map(|n| n as usize))]
    pub max_connections: usize,
}

/// The TURN secret in `path`: refused when other users may read or write
/// the file, or when it is empty; one trailing newline is not part of it.
pub fn read_turn_secret(path: &Path) -> Result<String, Failure> {
    use std::os::unix::fs::PermissionsExt as _;
    let refuse = |message: String| Failure {
        code: EXIT_BAD_SECRET_FILE,
        message,
    };
    let shown = path.display();
    let meta = std::fs::metadata(path)
        .map_err(|e| refuse(format!("cannot read the TURN secret file {shown}: {e}")))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o007 != 0 {
        return Err(refuse(format!(
            "the TURN secret file {shown} is open to every user (mode {mode:04o}): \
             make it private, e.g. chmod 600 {shown}"
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| refuse(format!("cannot read the TURN secret file {shown}: {e}")))?;
    let secret = text
        .strip_suffix('\n')
        .map(|s| s.strip_suffix('\r').unwrap_or(s))
        .unwrap_or(&text);
    if secret.trim().is_empty() {
        return Err(refuse(format!("the TURN secret file {shown} is empty")));
    }
    Ok(secret.to_string())
}

/// Run the server until SIGINT or SIGTERM.
pub fn run(args: RendezvousArgs) -> Result<(), Failure> {
    let secret = match (&args.turn_secret_file, args.turn_secret) {
        (Some(path), _) => Some(read_turn_secret(path)?),
        (None, Some(secret)) => {
            tracing::warn!("--turn-secret is deprecated: every user can read it in the process list; use --turn-secret-file");
            Some(secret)
        }
        (None, None) => None,
    };
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime
        .block_on(async move {
            let listener = tokio::net::TcpListener::bind(&args.listen)
                .await
                .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
            let local = listener.local_addr().map_err(|e| e.to_string())?;
            let descriptors = raise_descriptor_limit();
            if (descriptors as usize) < args.max_connections.saturating_add(64) {
                tracing::warn!(
                    descriptors,
                    max_connections = args.max_connections,
                    "the file-descriptor limit is below --max-connections: connections past it will fail"
                );
            }
            let config = latchkey_rendezvous::ServerConfig {
                db_path: args.db,
                redis: args.redis.map(|url| latchkey_rendezvous::RedisConfig {
                    url,
                    node_id: args.node_id,
                }),
                turn: secret.map(|secret| latchkey_rendezvous::TurnConfig {
                    secret,
                    urls: args.turn_url,
                    ttl_s: 3600,
                }),
                trusted_proxies: args.trusted_proxy,
                limits: latchkey_rendezvous::Limits {
                    max_connections: args.max_connections,
                    ..Default::default()
                },
            };
            println!("Latchkey rendezvous listening on ws://{local}");
            latchkey_rendezvous::serve(listener, config, shutdown_signal())
                .await
                .map_err(|e| e.to_string())
        })
        .map_err(Failure::from)
}

/// Raise this process's soft limit on open files to its hard limit (each
/// connection is one); returns the soft limit now in force.
fn raise_descriptor_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "cannot raise the file-descriptor limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(0, |(soft, _)| soft)
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term.recv() => {},
    }
}
