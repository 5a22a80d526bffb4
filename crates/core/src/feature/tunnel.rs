//! TCP tunnels (`tcp_tunnel`), ssh's `-L` and `-R`, on one reliable ordered
//! channel that carries every TCP connection of the session as a stream with
//! its own credit window: the receiver grants bytes, the sender never has more
//! than that in flight, so one stalled reader never holds up another stream.
//! Here: the wire messages, the `[BIND:]PORT:DEST:DESTPORT` form, and the
//! host owner's destination policy (a profile's `tunnel_destinations`).
//! Bytes travel as binary frames ([`data_frame`]: no JSON, no base64); every
//! other message is JSON.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Access, ChannelKind, FeatureSpec, MAX_MESSAGE};
use crate::permission::Permission;

/// The tunnel feature.
pub const SPEC: FeatureSpec = FeatureSpec {
    name: "tcp_tunnel",
    access: Access::Needs(Permission::TcpTunnel),
    channel: ChannelKind::ReliableOrdered,
    max_message: MAX_MESSAGE,
};

pub use super::frame::FRAME_DATA;
/// Bytes of a binary frame before its payload: the tag and the stream id.
const FRAME_HEAD: usize = 5;
/// Largest payload of one binary `data` frame.
pub const FRAME_CHUNK: usize = MAX_MESSAGE - FRAME_HEAD;
/// The credit each side grants a stream at its start, in bytes.
pub const WINDOW: u32 = 512 * 1024;
/// Most streams open at once in one session.
pub const MAX_STREAMS: usize = 256;
/// Most `-R` listeners in one session.
pub const MAX_LISTENS: usize = 16;
/// Longest host name in a request.
pub const MAX_HOST: usize = 253;

pub use super::frame::Payload;

/// From the viewer. Its request ids (`id`, and `stream` of `connect`) are
/// even; the streams the host opens (`incoming`) have odd ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromViewer {
    /// Whether this session may reach `host:port` (a `-L` as it starts);
    /// answered `checked`, `refused` or `not_allowed`.
    Check {
        /// Request id.
        id: u32,
        /// Destination, as the host resolves it.
        host: String,
        /// Its port.
        port: u16,
    },
    /// Open a stream to `host:port` from the host (a `-L` connection);
    /// answered `connected`, `refused`, `not_allowed` or `failed`.
    Connect {
        /// The new stream's id (even).
        stream: u32,
        /// Destination.
        host: String,
        /// Its port.
        port: u16,
        /// Bytes the host may send on it before more credit.
        window: u32,
    },
    /// Listen on the host (a `-R`); answered `listening`, `refused` or `failed`.
    Listen {
        /// Request id, named by the `incoming` of its connections.
        id: u32,
        /// Address to bind on the host.
        bind: String,
        /// Port (0: any free one).
        port: u16,
    },
    /// The viewer reached its side of an `incoming` stream.
    Accepted {
        /// The stream.
        stream: u32,
        /// Bytes the host may send on it before more credit.
        window: u32,
    },
    /// Bytes on a stream.
    Data {
        /// The stream.
        stream: u32,
        /// The bytes.
        data: Payload,
    },
    /// The viewer took `bytes` more off the stream: the host may send them.
    Credit {
        /// The stream.
        stream: u32,
        /// How many.
        bytes: u32,
    },
    /// The viewer's side of the stream sends no more (TCP half-close).
    Eof {
        /// The stream.
        stream: u32,
    },
    /// The stream is over, both ways (an error, or refused).
    Reset {
        /// The stream.
        stream: u32,
    },
}

/// From the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromHost {
    /// Answer to `check`: allowed.
    Checked {
        /// The request.
        id: u32,
    },
    /// Answer to `connect`: the host reached the destination.
    Connected {
        /// The stream.
        stream: u32,
        /// Bytes the viewer may send on it before more credit.
        window: u32,
    },
    /// Answer to `listen`: the host listens on this port.
    Listening {
        /// The request.
        id: u32,
        /// The port bound.
        port: u16,
    },
    /// A connection to the host's listener `id`: a new stream.
    Incoming {
        /// The `listen` request.
        id: u32,
        /// The new stream's id (odd).
        stream: u32,
        /// Bytes the viewer may send on it before more credit.
        window: u32,
    },
    /// The session's permissions do not allow the request (or no longer do).
    Refused {
        /// The request (or stream).
        id: u32,
        /// What was refused (`tunnel_connect`, ...).
        what: String,
        /// The permission it needs.
        permission: String,
    },
    /// The destination is outside the profile's `tunnel_destinations`.
    NotAllowed {
        /// The request (or stream).
        id: u32,
        /// The destination, `host:port`.
        destination: String,
    },
    /// The request failed (no such host, connection refused, port in use, too many streams).
    Failed {
        /// The request (or stream).
        id: u32,
        /// Why, for a person.
        message: String,
    },
    /// Bytes on a stream.
    Data {
        /// The stream.
        stream: u32,
        /// The bytes.
        data: Payload,
    },
    /// The host took `bytes` more off the stream: the viewer may send them.
    Credit {
        /// The stream.
        stream: u32,
        /// How many.
        bytes: u32,
    },
    /// The host's side of the stream sends no more (TCP half-close).
    Eof {
        /// The stream.
        stream: u32,
    },
    /// The stream is over, both ways.
    Reset {
        /// The stream.
        stream: u32,
    },
}

/// `data` on `stream` as a binary frame: [`FRAME_DATA`], the stream id
/// (big-endian), the bytes (at most [`FRAME_CHUNK`]).
pub fn data_frame(stream: u32, bytes: &[u8]) -> Vec<u8> {
    super::frame::data_frame(&stream.to_be_bytes(), bytes)
}

/// One message off the channel, either form: a binary `data` frame (through
/// `data`) or JSON; the size is checked first.
fn read<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    data: fn(u32, Payload) -> T,
) -> Result<T, super::WireError> {
    match super::frame::split::<4>(&SPEC, bytes) {
        Some(frame) => {
            frame.map(|(head, rest)| data(u32::from_be_bytes(head), Payload(rest.to_vec())))
        }
        None => super::parse(&SPEC, bytes),
    }
}

/// A message from the viewer, either form.
pub fn from_viewer(bytes: &[u8]) -> Result<FromViewer, super::WireError> {
    read(bytes, |stream, data| FromViewer::Data { stream, data })
}

/// A message from the host, either form.
pub fn from_host(bytes: &[u8]) -> Result<FromHost, super::WireError> {
    read(bytes, |stream, data| FromHost::Data { stream, data })
}

/// Why a tunnel spec or a destination pattern was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// Not `[BIND:]PORT:DEST:DESTPORT`.
    #[error("'{0}' is not [BIND:]PORT:DEST:DESTPORT")]
    Shape(String),
    /// A port that is not 0 to 65535 (or 0 where a real one is needed).
    #[error("'{0}' is not a port")]
    Port(String),
    /// A host that is neither a name nor an address.
    #[error("'{0}' is not a host name or address")]
    Host(String),
    /// Not a destination pattern.
    #[error("'{0}' is not a destination pattern (HOST[:PORT], HOST a name, *.domain, an address, a CIDR block or *; PORT a number, LOW-HIGH or *)")]
    Pattern(String),
}

/// One `-L` or `-R`: listen on `bind:port`, reach `dest:dest_port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelSpec {
    /// Address to listen on (loopback unless given).
    pub bind: String,
    /// Port to listen on (0: any free one).
    pub port: u16,
    /// Destination host.
    pub dest: String,
    /// Destination port.
    pub dest_port: u16,
}

/// `host:port`, with an IPv6 address in brackets.
pub fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Split on `:` outside brackets; a bracketed part loses its brackets.
fn split_colons(s: &str) -> Option<Vec<String>> {
    let mut parts = vec![String::new()];
    let mut in_brackets = false;
    for c in s.chars() {
        match c {
            '[' if !in_brackets => in_brackets = true,
            ']' if in_brackets => in_brackets = false,
            '[' | ']' => return None,
            ':' if !in_brackets => parts.push(String::new()),
            c => parts.last_mut()?.push(c),
        }
    }
    (!in_brackets).then_some(parts)
}

/// Whether `host` is an address or a plausible DNS name.
pub fn valid_host(host: &str) -> bool {
    if host.parse::<IpAddr>().is_ok() {
        return true;
    }
    !host.is_empty()
        && host.len() <= MAX_HOST
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn port(s: &str, zero_ok: bool) -> Result<u16, SpecError> {
    match s.parse::<u16>() {
        Ok(0) if !zero_ok => Err(SpecError::Port(s.into())),
        Ok(p) => Ok(p),
        Err(_) => Err(SpecError::Port(s.into())),
    }
}

impl std::str::FromStr for TunnelSpec {
    type Err = SpecError;

    /// `[BIND:]PORT:DEST:DESTPORT`; IPv6 addresses in brackets; BIND `*`
    /// (or empty) is every interface, and without BIND it is 127.0.0.1.
    fn from_str(s: &str) -> Result<Self, SpecError> {
        let shape = || SpecError::Shape(s.into());
        let parts = split_colons(s).ok_or_else(shape)?;
        let (bind, rest) = match parts.as_slice() {
            [p, d, dp] => ("127.0.0.1".to_string(), [p, d, dp]),
            [b, p, d, dp] => {
                let bind = if b.is_empty() || b == "*" {
                    "0.0.0.0".to_string()
                } else {
                    b.clone()
                };
                (bind, [p, d, dp])
            }
            _ => return Err(shape()),
        };
        let [p, dest, dp] = rest;
        if !valid_host(&bind) {
            return Err(SpecError::Host(bind));
        }
        if !valid_host(dest) {
            return Err(SpecError::Host(dest.clone()));
        }
        Ok(TunnelSpec {
            bind,
            port: port(p, true)?,
            dest: dest.clone(),
            dest_port: port(dp, false)?,
        })
    }
}

/// One allowed destination: `HOST[:PORT]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestPattern {
    host: HostPattern,
    /// Inclusive range.
    ports: (u16, u16),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    /// `*`.
    Any,
    /// A name, lowercase, matched as the viewer wrote it.
    Name(String),
    /// `*.domain`: any name under it.
    Suffix(String),
    /// An address or a CIDR block, matched against the address connected to.
    Net(IpAddr, u8),
}

impl HostPattern {
    fn parse(s: &str) -> Option<HostPattern> {
        if s == "*" {
            return Some(HostPattern::Any);
        }
        if let Some(domain) = s.strip_prefix("*.") {
            return valid_host(domain).then(|| HostPattern::Suffix(domain.to_ascii_lowercase()));
        }
        let (addr, bits) = match s.split_once('/') {
            Some((a, b)) => (a, Some(b)),
            None => (s, None),
        };
        if let Ok(ip) = addr.parse::<IpAddr>() {
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                Some(b) => b.parse::<u8>().ok().filter(|b| *b <= max)?,
                None => max,
            };
            return Some(HostPattern::Net(ip, bits));
        }
        (bits.is_none() && valid_host(s)).then(|| HostPattern::Name(s.to_ascii_lowercase()))
    }

    fn matches(&self, name: &str, ip: Option<IpAddr>) -> bool {
        match self {
            HostPattern::Any => true,
            HostPattern::Name(n) => name.eq_ignore_ascii_case(n),
            HostPattern::Suffix(d) => {
                let name = name.to_ascii_lowercase();
                name.len() > d.len() + 1 && name.ends_with(d.as_str()) && {
                    name.as_bytes()[name.len() - d.len() - 1] == b'.'
                }
            }
            HostPattern::Net(net, bits) => ip.is_some_and(|ip| in_net(ip, *net, *bits)),
        }
    }
}

fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    // An IPv4-mapped IPv6 address is its IPv4 address.
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

impl std::str::FromStr for DestPattern {
    type Err = SpecError;

    fn from_str(s: &str) -> Result<Self, SpecError> {
        let bad = || SpecError::Pattern(s.into());
        let parts = split_colons(s.trim()).ok_or_else(bad)?;
        let bracketed = s.trim().starts_with('[');
        let (host, ports) = match parts.as_slice() {
            [h] => (h.as_str(), None),
            [h, p] => (h.as_str(), Some(p.as_str())),
            // A bare IPv6 address or CIDR block, without brackets or port.
            _ if !bracketed => (s.trim(), None),
            _ => return Err(bad()),
        };
        let host = HostPattern::parse(host).ok_or_else(bad)?;
        let ports = match ports {
            None | Some("*") => (1, u16::MAX),
            Some(p) => match p.split_once('-') {
                Some((lo, hi)) => {
                    let (lo, hi) = (port(lo, false), port(hi, false));
                    match (lo, hi) {
                        (Ok(lo), Ok(hi)) if lo <= hi => (lo, hi),
                        _ => return Err(bad()),
                    }
                }
                None => {
                    let p = port(p, false).map_err(|_| bad())?;
                    (p, p)
                }
            },
        };
        Ok(DestPattern { host, ports })
    }
}

impl fmt::Display for DestPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = match &self.host {
            HostPattern::Any => "*".to_string(),
            HostPattern::Name(n) => n.clone(),
            HostPattern::Suffix(d) => format!("*.{d}"),
            HostPattern::Net(ip, bits) => {
                let whole = if ip.is_ipv4() { 32 } else { 128 };
                if *bits == whole {
                    ip.to_string()
                } else {
                    format!("{ip}/{bits}")
                }
            }
        };
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        match self.ports {
            (1, u16::MAX) => write!(f, "{host}:*"),
            (lo, hi) if lo == hi => write!(f, "{host}:{lo}"),
            (lo, hi) => write!(f, "{host}:{lo}-{hi}"),
        }
    }
}

/// Where a profile's tunnels may lead (`tunnel_destinations`): anywhere (the
/// default), or only to destinations matching one of the patterns. Written
/// `"any"` or a list of patterns.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Destinations {
    /// Any host and port.
    #[default]
    Any,
    /// Only these (none: no tunnel may lead anywhere).
    Only(Vec<DestPattern>),
}

impl Destinations {
    /// `any`, or a comma-separated list of patterns (`none` for the empty list).
    pub fn parse_list(s: &str) -> Result<Self, SpecError> {
        match s.trim() {
            "any" => Ok(Destinations::Any),
            "none" | "" => Ok(Destinations::Only(Vec::new())),
            list => list
                .split(',')
                .map(str::parse)
                .collect::<Result<_, _>>()
                .map(Destinations::Only),
        }
    }

    /// Whether the viewer may reach `name:port` when `name` is (or resolved
    /// to) `ip`: a name pattern matches `name` as written; an address or
    /// CIDR pattern matches the address the host connects to.
    pub fn allows(&self, name: &str, ip: Option<IpAddr>, port: u16) -> bool {
        let ip = ip.or_else(|| name.trim_matches(['[', ']']).parse().ok());
        match self {
            Destinations::Any => true,
            Destinations::Only(list) => list
                .iter()
                .any(|p| (p.ports.0..=p.ports.1).contains(&port) && p.host.matches(name, ip)),
        }
    }

    /// Whether some address of `name` could be allowed for `port` (before
    /// it is resolved: a name pattern decides alone, an address pattern needs
    /// the address).
    pub fn may_allow(&self, name: &str, port: u16) -> bool {
        match self {
            Destinations::Any => true,
            Destinations::Only(list) => list.iter().any(|p| {
                (p.ports.0..=p.ports.1).contains(&port)
                    && match &p.host {
                        HostPattern::Net(..) => name
                            .parse::<IpAddr>()
                            .map_or(true, |ip| p.host.matches(name, Some(ip))),
                        h => h.matches(name, None),
                    }
            }),
        }
    }

    /// Comma-separated, as [`Destinations::parse_list`] reads it.
    pub fn to_list(&self) -> String {
        match self {
            Destinations::Any => "any".into(),
            Destinations::Only(list) if list.is_empty() => "none".into(),
            Destinations::Only(list) => list
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(","),
        }
    }
}

impl Serialize for Destinations {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Destinations::Any => s.serialize_str("any"),
            Destinations::Only(list) => s.collect_seq(list.iter().map(ToString::to_string)),
        }
    }
}

impl<'de> Deserialize<'de> for Destinations {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Word(String),
            List(Vec<String>),
        }
        match Repr::deserialize(d)? {
            Repr::Word(w) if w == "any" => Ok(Destinations::Any),
            Repr::Word(w) => Err(serde::de::Error::custom(format!(
                "tunnel_destinations: '{w}' is neither \"any\" nor a list"
            ))),
            Repr::List(list) => list
                .iter()
                .map(|p| p.parse().map_err(serde::de::Error::custom))
                .collect::<Result<_, _>>()
                .map(Destinations::Only),
        }
    }
}
