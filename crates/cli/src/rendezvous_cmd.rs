//! `latchkey rendezvous` and `latchkey-rendezvous`: run the ID and signaling
//! server in the foreground until SIGINT or SIGTERM.

use clap::Args;
use std::path::PathBuf;

/// Options of the rendezvous server.
#[derive(Debug, Args)]
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
    /// coturn `static-auth-secret`, to hand out short-lived TURN credentials.
    #[arg(long, value_name = "S", requires = "turn_url")]
    pub turn_secret: Option<String>,
    /// TURN URL given with the credentials (repeatable), e.g. turn:turn.example.org:3478.
    #[arg(long, value_name = "URL", requires = "turn_secret")]
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

/// Run the server; returns the process exit code.
pub fn run(args: RendezvousArgs) -> Result<(), String> {
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async move {
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
            turn: args
                .turn_secret
                .map(|secret| latchkey_rendezvous::TurnConfig {
                    secret,
                    urls: args.turn_url,
                    ttl_s: 3600,
                }),
            trusted_proxies: args.trusted_proxy,
            limits: latchkey_rendezvous::Limits {
                max_connections: args.max_connections,
                ..Default::default()
            },
            ..Default::default()
        };
        println!("Latchkey rendezvous listening on ws://{local}");
        latchkey_rendezvous::serve(listener, config, shutdown_signal())
            .await
            .map_err(|e| e.to_string())
    })
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
