//! `latchkey-rendezvous`: the rendezvous server on its own (the same as `latchkey rendezvous`).

#[path = "../rendezvous_cmd.rs"]
mod rendezvous_cmd;

use clap::Parser;
use std::process::ExitCode;

/// Latchkey's ID and signaling server.
#[derive(Debug, Parser)]
#[command(name = "latchkey-rendezvous", version, about)]
struct Cli {
    #[command(flatten)]
    args: rendezvous_cmd::RendezvousArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("LATCHKEY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
    match rendezvous_cmd::run(cli.args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("latchkey-rendezvous: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}
