//! `latchkey`: the command-line face of Latchkey. It parses arguments, calls
//! the shared operations in `latchkey_store::ops`, prints their results, and
//! turns errors into one line on stderr and a distinct exit code.

mod cli;
mod commands;
mod exit;
mod input;
mod rendezvous_cmd;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return ExitCode::from(
                    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                        exit::USAGE
                    } else {
                        exit::OK
                    },
                );
            }
            // One line, not clap's whole usage block.
            let rendered = e.render().to_string();
            let first = rendered
                .lines()
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ");
            eprintln!("latchkey: {first} (see 'latchkey --help')");
            return ExitCode::from(exit::USAGE);
        }
    };
    init_tracing();
    match commands::run(cli) {
        Ok(()) => ExitCode::from(exit::OK),
        Err(e) => {
            if !matches!(e, exit::CliError::Reported(_)) {
                eprintln!("latchkey: {e}");
            }
            ExitCode::from(e.code())
        }
    }
}

/// Diagnostics go to stderr, quiet by default (our warnings, the WebRTC stack's
/// errors only); `LATCHKEY_LOG=debug` (any `EnvFilter` directive) shows more.
fn init_tracing() {
    const DEFAULT: &str =
        "error,latchkey=warn,latchkey_store=warn,latchkey_session=warn,latchkey_rendezvous=warn";
    let filter = tracing_subscriber::EnvFilter::try_from_env("LATCHKEY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
