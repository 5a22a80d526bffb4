//! Which address a client connects from: the TCP peer's, or, when that peer is
//! a trusted reverse proxy (`--trusted-proxy CIDR`), the client it names in
//! `Forwarded` (RFC 7239) or `X-Forwarded-For`. Headers from anyone else are
//! ignored: any client can write them.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use axum::http::HeaderMap;

/// A range of addresses whose forwarding headers are believed, e.g.
/// `127.0.0.1/32`, `10.0.0.0/8` or `::1` (a bare address is the one host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedProxy {
    net: IpAddr,
    prefix: u8,
}

/// A `--trusted-proxy` value that is not a CIDR range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an address range: use ADDR/BITS, e.g. 10.0.0.0/8 or ::1/128")]
pub struct BadCidr(String);

impl FromStr for TrustedProxy {
    type Err = BadCidr;

    fn from_str(s: &str) -> Result<Self, BadCidr> {
        let bad = || BadCidr(s.to_string());
        let (addr, bits) = match s.split_once('/') {
            Some((a, b)) => (a, Some(b)),
            None => (s, None),
        };
        let net: IpAddr = addr.trim().parse().map_err(|_| bad())?;
        let net = net.to_canonical();
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match bits {
            Some(b) => b.trim().parse::<u8>().map_err(|_| bad())?,
            None => max,
        };
        if prefix > max {
            return Err(bad());
        }
        Ok(TrustedProxy { net, prefix })
    }
}

impl fmt::Display for TrustedProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.net, self.prefix)
    }
}

impl TrustedProxy {
    /// Whether `ip` is inside the range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, ip.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(&n.octets(), &a.octets(), self.prefix),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(&n.octets(), &a.octets(), self.prefix),
            _ => false,
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let bits = usize::from(bits);
    let whole = bits / 8;
    if a[..whole] != b[..whole] {
        return false;
    }
    let rest = bits % 8;
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    (a[whole] & mask) == (b[whole] & mask)
}

/// The client's address: `peer` unless `peer` is a trusted proxy, then the
/// rightmost address of the forwarding chain that is not one (`Forwarded`
/// when present, else `X-Forwarded-For`). An entry that is not an address
/// (`unknown`, an obfuscated name) stops the walk at the proxy that wrote it.
pub fn client_addr(peer: IpAddr, headers: &HeaderMap, trusted: &[TrustedProxy]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|t| t.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let chain = forwarded_chain(headers);
    let mut current = peer;
    for hop in chain.iter().rev() {
        let Some(ip) = hop else {
            return current;
        };
        current = ip.to_canonical();
        if !is_trusted(current) {
            return current;
        }
    }
    current
}

/// The addresses the proxies listed, leftmost (the original client) first;
/// `None` for an entry that is not an address.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect()
    };
    let forwarded = values("forwarded");
    if !forwarded.is_empty() {
        let mut out = Vec::new();
        for element in forwarded.iter().flat_map(|v| v.split(',')) {
            let node = element.split(';').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                k.trim().eq_ignore_ascii_case("for").then(|| v.trim())
            });
            // An element without `for=` says nothing about the client.
            if let Some(node) = node {
                out.push(parse_node(node));
            }
        }
        return out;
    }
    values("x-forwarded-for")
        .iter()
        .flat_map(|v| v.split(','))
        .map(|n| parse_node(n.trim()))
        .collect()
}

/// `192.0.2.1`, `"192.0.2.1:80"`, `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim().trim_matches('"');
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    if let Ok(ip) = node.parse() {
        return Some(ip);
    }
    // IPv4 with a port.
    let (host, port) = node.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn parses_ranges() {
        let t: TrustedProxy = "10.0.0.0/8".parse().expect("cidr");
        assert!(t.contains(ip("10.200.1.1")));
        assert!(!t.contains(ip("11.0.0.1")));
        assert!(t.contains(ip("::ffff:10.1.2.3")));
        let one: TrustedProxy = "127.0.0.1".parse().expect("host");
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let v6: TrustedProxy = "fd00::/12".parse().expect("v6");
        assert!(v6.contains(ip("fd0f::1")) && !v6.contains(ip("fd10::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
        let any: TrustedProxy = "0.0.0.0/0".parse().expect("all");
        assert!(any.contains(ip("8.8.8.8")));
        for bad in ["10.0.0.0/33", "nope", "::/129", "10.0.0.0/x", ""] {
            assert!(bad.parse::<TrustedProxy>().is_err(), "{bad}");
        }
    }

    #[test]
    fn headers_only_from_trusted_peers() {
        let trusted: Vec<TrustedProxy> = vec!["127.0.0.1/32".parse().expect("cidr")];
        let h = headers(&[("x-forwarded-for", "203.0.113.7")]);
        assert_eq!(
            client_addr(ip("127.0.0.1"), &h, &trusted),
            ip("203.0.113.7")
        );
        assert_eq!(client_addr(ip("127.0.0.2"), &h, &trusted), ip("127.0.0.2"));
        assert_eq!(client_addr(ip("127.0.0.1"), &h, &[]), ip("127.0.0.1"));
        // No header: the proxy itself.
        assert_eq!(
            client_addr(ip("127.0.0.1"), &HeaderMap::new(), &trusted),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn rightmost_untrusted_hop_wins() {
        let trusted: Vec<TrustedProxy> = vec![
            "127.0.0.1/32".parse().expect("cidr"),
            "10.0.0.0/8".parse().expect("cidr"),
        ];
        // The client wrote a fake first entry; the proxies appended the rest.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.9, 10.0.0.5")]);
        assert_eq!(
            client_addr(ip("127.0.0.1"), &h, &trusted),
            ip("198.51.100.9")
        );
        let h = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-for", "198.51.100.9:5000"),
        ]);
        assert_eq!(
            client_addr(ip("127.0.0.1"), &h, &trusted),
            ip("198.51.100.9")
        );
        let h = headers(&[("x-forwarded-for", "unknown")]);
        assert_eq!(client_addr(ip("127.0.0.1"), &h, &trusted), ip("127.0.0.1"));
    }

    #[test]
    fn forwarded_header() {
        let trusted: Vec<TrustedProxy> = vec!["::1/128".parse().expect("cidr")];
        let h = headers(&[
            ("forwarded", "for=192.0.2.60;proto=https;by=203.0.113.43"),
            ("forwarded", "for=\"[2001:db8::7]:4711\""),
            ("x-forwarded-for", "9.9.9.9"),
        ]);
        assert_eq!(client_addr(ip("::1"), &h, &trusted), ip("2001:db8::7"));
        let h = headers(&[("forwarded", "For=\"192.0.2.1:8080\", proto=http")]);
        assert_eq!(client_addr(ip("::1"), &h, &trusted), ip("192.0.2.1"));
        let h = headers(&[("forwarded", "for=_hidden")]);
        assert_eq!(client_addr(ip("::1"), &h, &trusted), ip("::1"));
    }
}
