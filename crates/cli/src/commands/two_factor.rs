//! `2fa enroll|confirm|disable|status|tokens|reconnect`.

use latchkey_store::atomic::write_atomic;
use latchkey_store::ops::{self, TwoFactorScope};
use latchkey_store::Config;

use super::{on_off, print_json};
use crate::cli::TwoFactorCmd;
use crate::exit::CliError;

/// Run a `2fa` subcommand.
pub fn run(config: &mut Config, cmd: TwoFactorCmd) -> Result<(), CliError> {
    match cmd {
        TwoFactorCmd::Enroll { qr } => {
            let e = ops::enroll_two_factor(config)?;
            if let Some(path) = &qr {
                write_atomic(path, e.qr_svg.as_bytes(), 0o600)?;
            }
            println!("Add this account to your authenticator app:");
            println!("  {}", e.uri.as_str());
            println!("or type the secret by hand: {}", e.secret_base32.as_str());
            if let Some(path) = qr {
                println!(
                    "QR code written to {} (it holds the secret: delete it once scanned).",
                    path.display()
                );
            }
            println!("Then turn two-factor authentication on with: latchkey 2fa confirm CODE");
            Ok(())
        }
        TwoFactorCmd::Confirm { code } => {
            let codes = ops::confirm_two_factor(config, &code)?;
            println!("Two-factor authentication is on. Recovery codes (each works once; store them safely, they are not shown again):");
            for c in codes {
                println!("  {}", c.as_str());
            }
            Ok(())
        }
        TwoFactorCmd::Disable => {
            ops::disable_two_factor(config)?;
            println!("Two-factor authentication is off.");
            Ok(())
        }
        TwoFactorCmd::Status(f) => {
            let s = ops::two_factor_status(config)?;
            if f.json {
                return print_json(&s);
            }
            println!(
                "Two-factor:            {}{}",
                on_off(s.enabled),
                if s.pending {
                    " (enrolment pending)"
                } else {
                    ""
                }
            );
            println!("Applies to tokens:     {}", on_off(s.apply_to_tokens));
            println!("Applies to reconnects: {}", on_off(s.apply_to_reconnect));
            println!("Recovery codes left:   {}", s.recovery_codes_left);
            Ok(())
        }
        TwoFactorCmd::Tokens { state } => {
            ops::set_two_factor_scope(config, TwoFactorScope::Tokens, state.on())?;
            println!(
                "Saved-login (token) logins {} a second factor.",
                if state.on() { "need" } else { "do not need" }
            );
            Ok(())
        }
        TwoFactorCmd::Reconnect { state } => {
            ops::set_two_factor_scope(config, TwoFactorScope::Reconnect, state.on())?;
            println!(
                "Reconnects after a remote restart {} a second factor.",
                if state.on() { "need" } else { "do not need" }
            );
            Ok(())
        }
    }
}
