//! `tokens list|revoke|clear`.

use latchkey_store::{ops, Config};

use super::print_json;
use crate::cli::TokensCmd;
use crate::exit::CliError;

/// Run a `tokens` subcommand.
pub fn run(config: &mut Config, cmd: TokensCmd) -> Result<(), CliError> {
    match cmd {
        TokensCmd::List(f) => {
            let list = ops::list_tokens(config);
            if f.json {
                return print_json(&list);
            }
            if list.is_empty() {
                println!("No saved logins.");
            }
            for t in list {
                println!(
                    "{}  {:<16} profile {:<14} created {}  last used {}  device {}",
                    t.id,
                    t.label,
                    t.profile,
                    t.created,
                    t.last_used.as_deref().unwrap_or("never"),
                    t.device
                );
            }
            Ok(())
        }
        TokensCmd::Revoke { id } => {
            ops::revoke_token(config, &id)?;
            println!("Saved login {id} revoked.");
            Ok(())
        }
        TokensCmd::Clear => {
            let n = ops::clear_tokens(config)?;
            println!("{n} saved login(s) revoked.");
            Ok(())
        }
    }
}
