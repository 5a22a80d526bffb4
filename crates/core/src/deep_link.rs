//! `latchkey://` links, which the desktop app receives from the browser or
//! the desktop: `latchkey://connect/<ID>` and `latchkey://connect/<ID>?profile=P`.
//!
//! A link is untrusted input from anywhere on the web, so it may only say
//! *whom* to connect to and *which* profile to ask for. A link that carries a
//! password, a token, a code, or anything this parser does not know is
//! refused whole with a message, never partly used.

use crate::signal::DeviceId;

/// What a valid link asks for: open the connect flow, prefilled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectLink {
    /// The host to connect to.
    pub host_id: DeviceId,
    /// The profile to ask for, if the link names one.
    pub profile: Option<String>,
}

/// Why a link was refused (the message is for people).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not a `latchkey://` link at all.
    #[error("not a latchkey:// link")]
    Scheme,
    /// A link for something other than `connect`.
    #[error("unknown link action '{0}' (only latchkey://connect/ID is supported)")]
    Action(String),
    /// The ID is missing or malformed.
    #[error("'{0}' is not a Latchkey ID (9 digits)")]
    BadId(String),
    /// The link carries a secret: refused so nobody can be tricked into using one.
    #[error("the link carries a {0}; links may never carry secrets, so it was not used")]
    Secret(&'static str),
    /// A parameter this version does not know.
    #[error("the link has an unknown parameter '{0}', so it was not used")]
    Unknown(String),
    /// A profile name that cannot be one.
    #[error("'{0}' is not a valid profile name")]
    BadProfile(String),
    /// Too long to be a real link.
    #[error("the link is too long")]
    TooLong,
}

/// Longest link accepted, in bytes.
pub const MAX_LINK: usize = 512;

/// Parse a `latchkey://connect/<ID>[?profile=P]` link.
pub fn parse(link: &str) -> Result<ConnectLink, LinkError> {
    if link.len() > MAX_LINK {
        return Err(LinkError::TooLong);
    }
    let rest = link
        .get(..11)
        .filter(|s| s.eq_ignore_ascii_case("latchkey://"))
        .map(|_| &link[11..])
        .ok_or(LinkError::Scheme)?;
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    let path = path.split('#').next().unwrap_or("").trim_end_matches('/');
    let (action, id) = path.split_once('/').unwrap_or((path, ""));
    if !action.eq_ignore_ascii_case("connect") {
        return Err(LinkError::Action(decode(action)));
    }
    let id_text = decode(id);
    let host_id = DeviceId::parse(&id_text).ok_or(LinkError::BadId(id_text))?;
    let mut profile = None;
    for pair in query
        .unwrap_or("")
        .split('#')
        .next()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(key).to_ascii_lowercase();
        match key.as_str() {
            "profile" if profile.is_none() => {
                let name = decode(value);
                if crate::profile::validate_name(&name).is_err() {
                    return Err(LinkError::BadProfile(name));
                }
                profile = Some(name);
            }
            "password" | "pass" | "pw" | "pwd" => return Err(LinkError::Secret("password")),
            "token" | "auth" | "key" | "secret" => return Err(LinkError::Secret("token")),
            "totp" | "code" | "otp" => return Err(LinkError::Secret("one-time code")),
            _ => return Err(LinkError::Unknown(key)),
        }
    }
    Ok(ConnectLink { host_id, profile })
}

/// Percent-decoding (`%20`, `+` kept as is); invalid sequences stay literal,
/// invalid UTF-8 is replaced.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> DeviceId {
        DeviceId::parse("123456789").expect("id")
    }

    #[test]
    fn connect_links_are_understood() {
        assert_eq!(
            parse("latchkey://connect/123456789"),
            Ok(ConnectLink {
                host_id: id(),
                profile: None
            })
        );
        assert_eq!(
            parse("latchkey://connect/123-456-789/?profile=screen_sharing"),
            Ok(ConnectLink {
                host_id: id(),
                profile: Some("screen_sharing".into())
            })
        );
        assert_eq!(
            parse("LATCHKEY://Connect/123%20456%20789?Profile=my%2Dprofile"),
            Ok(ConnectLink {
                host_id: id(),
                profile: Some("my-profile".into())
            })
        );
    }

    #[test]
    fn links_with_secrets_or_unknown_parts_are_refused_whole() {
        for (link, want) in [
            (
                "latchkey://connect/123456789?password=hunter2",
                LinkError::Secret("password"),
            ),
            (
                "latchkey://connect/123456789?profile=a&token=abc",
                LinkError::Secret("token"),
            ),
            (
                "latchkey://connect/123456789?totp=123456",
                LinkError::Secret("one-time code"),
            ),
            (
                "latchkey://connect/123456789?PassWord=x",
                LinkError::Secret("password"),
            ),
            (
                "latchkey://connect/123456789?%70assword=x",
                LinkError::Secret("password"),
            ),
            (
                "latchkey://connect/123456789?autoconnect=1",
                LinkError::Unknown("autoconnect".into()),
            ),
            (
                "latchkey://connect/123456789?profile=a&profile=b",
                LinkError::Unknown("profile".into()),
            ),
            ("latchkey://connect/12345", LinkError::BadId("12345".into())),
            ("latchkey://connect/", LinkError::BadId(String::new())),
            (
                "latchkey://settings/unattended",
                LinkError::Action("settings".into()),
            ),
            ("https://connect/123456789", LinkError::Scheme),
            (
                "latchkey://connect/123456789?profile=",
                LinkError::BadProfile(String::new()),
            ),
            (
                "latchkey://connect/123456789?profile=a%2Fb",
                LinkError::BadProfile("a/b".into()),
            ),
        ] {
            assert_eq!(parse(link), Err(want), "{link}");
        }
        assert_eq!(
            parse(&format!(
                "latchkey://connect/123456789?profile={}",
                "a".repeat(600)
            )),
            Err(LinkError::TooLong)
        );
    }

    #[test]
    fn decoding_never_panics_on_odd_input() {
        for s in ["%", "%4", "%zz", "%%41", "%E2%82", "ü%"] {
            let _ = decode(s);
        }
        assert_eq!(decode("%41%42c"), "ABc");
        assert_eq!(decode("%4"), "%4");
    }
}
