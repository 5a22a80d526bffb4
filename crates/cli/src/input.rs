//! Reading a password: from stdin (bounded), or a no-echo prompt on a terminal.
//! Never from the command line, where other users could read it.

use std::io::{BufRead, IsTerminal, Read};
use zeroize::Zeroizing;

use crate::exit::CliError;

/// Longest password input accepted, in bytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Read one password. On a terminal, prompt (twice when `confirm`); otherwise read
/// stdin (its first line), dropping the newline.
pub fn read_password(prompt: &str, confirm: bool) -> Result<Zeroizing<String>, CliError> {
    if std::io::stdin().is_terminal() {
        let first = Zeroizing::new(
            rpassword::prompt_password(prompt)
                .map_err(|e| CliError::Usage(format!("cannot read the password: {e}")))?,
        );
        if confirm {
            let again = Zeroizing::new(
                rpassword::prompt_password("Repeat it: ")
                    .map_err(|e| CliError::Usage(format!("cannot read the password: {e}")))?,
            );
            if *first != *again {
                return Err(CliError::Usage("the two passwords differ".into()));
            }
        }
        return check(first);
    }
    // One line: what follows stays readable (`connect --commands` reads on).
    let mut buf = Zeroizing::new(Vec::with_capacity(MAX_PASSWORD_BYTES + 2));
    std::io::stdin()
        .lock()
        .take(MAX_PASSWORD_BYTES as u64 + 3)
        .read_until(b'\n', &mut buf)
        .map_err(|e| CliError::Usage(format!("cannot read the password from stdin: {e}")))?;
    parse_stdin(&buf)
}

/// Turn raw stdin bytes into a password: one trailing newline dropped, bounded, UTF-8, not empty.
pub fn parse_stdin(raw: &[u8]) -> Result<Zeroizing<String>, CliError> {
    let mut bytes: &[u8] = raw;
    if let Some(rest) = bytes.strip_suffix(b"\n") {
        bytes = rest.strip_suffix(b"\r").unwrap_or(rest);
    }
    if bytes.len() > MAX_PASSWORD_BYTES {
        return Err(CliError::Usage(format!(
            "the password on stdin is longer than {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| CliError::Usage("the password on stdin is not UTF-8 text".into()))?;
    check(Zeroizing::new(text.to_string()))
}

fn check(p: Zeroizing<String>) -> Result<Zeroizing<String>, CliError> {
    if p.is_empty() {
        return Err(CliError::Usage(
            "the password is empty (give it on stdin or at the prompt)".into(),
        ));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdin_rules() {
        assert_eq!(
            parse_stdin(b"secret pw\n").expect("ok").as_str(),
            "secret pw"
        );
        assert_eq!(
            parse_stdin(b"secret pw\r\n").expect("ok").as_str(),
            "secret pw"
        );
        assert_eq!(parse_stdin(b"two\n\n").expect("ok").as_str(), "two\n");
        assert!(parse_stdin(b"").is_err());
        assert!(parse_stdin(b"\n").is_err());
        assert!(parse_stdin(&[0xff, 0xfe]).is_err());
        assert!(parse_stdin(&vec![b'a'; MAX_PASSWORD_BYTES + 1]).is_err());
        assert!(parse_stdin(&vec![b'a'; MAX_PASSWORD_BYTES]).is_ok());
    }
}
