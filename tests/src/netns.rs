//! Network namespaces a test makes for itself (as root): an isolated "site"
//! where no namespace has a default route. The servers' namespace holds one
//! service address on its loopback, routed (by a host route, not a default
//! one) from each peer's namespace over its own veth link; the peers'
//! namespaces cannot reach each other (the servers' namespace does not
//! forward). Every name carries the test process's id, and everything is
//! deleted on drop.

use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// The address the servers (rendezvous, coturn) listen on, in their namespace.
pub const SERVICE_IP: &str = "10.77.0.1";

/// One network namespace, deleted on drop.
pub struct Netns {
    /// Its name (`ip netns exec NAME ...`).
    pub name: String,
}

fn ip(args: &[&str]) -> Output {
    Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("ip (Debian package iproute2) must be installed")
}

/// Run `ip ARGS`, panicking with its message if it fails.
fn ip_ok(args: &[&str]) {
    let out = ip(args);
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Netns {
    /// A new, empty namespace (its loopback up), named after `tag`, this
    /// process and a counter.
    pub fn create(tag: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "lk-{tag}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        ip_ok(&["netns", "add", &name]);
        let ns = Netns { name };
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// `ip -n NAME ARGS`, which must succeed.
    pub fn ip(&self, args: &[&str]) {
        let mut all = vec!["-n", self.name.as_str()];
        all.extend_from_slice(args);
        ip_ok(&all);
    }

    /// The words that run a command inside: `ip netns exec NAME`.
    pub fn prefix(&self) -> [&str; 4] {
        ["ip", "netns", "exec", &self.name]
    }

    /// `program` to run inside this namespace.
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.name, program]);
        cmd
    }

    /// The namespace's IPv4 routes (`ip route`), for assertions.
    pub fn routes(&self) -> String {
        let out = ip(&["-n", &self.name, "-4", "route", "show"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Whether it has a default route.
    pub fn has_default_route(&self) -> bool {
        self.routes().lines().any(|l| l.starts_with("default"))
    }

    /// Connect this namespace to `other` with a veth pair: `mine`/30 here,
    /// `theirs`/30 there (link names are local to each namespace).
    pub fn link(&self, other: &Netns, link: &str, mine: &str, theirs: &str) {
        self.ip(&[
            "link",
            "add",
            link,
            "type",
            "veth",
            "peer",
            "name",
            link,
            "netns",
            &other.name,
        ]);
        self.ip(&["addr", "add", &format!("{mine}/30"), "dev", link]);
        self.ip(&["link", "set", link, "up"]);
        other.ip(&["addr", "add", &format!("{theirs}/30"), "dev", link]);
        other.ip(&["link", "set", link, "up"]);
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Deleting the namespace removes its veth ends (and their peers).
        let _ = ip(&["netns", "delete", &self.name]);
    }
}

/// A site: the servers' namespace and two peers' namespaces, `a` (for the
/// host) and `b` (for the viewer), none with a default route.
pub struct Site {
    /// Holds [`SERVICE_IP`]; linked to both peers.
    pub servers: Netns,
    /// The host's side: 10.77.1.2/30, a route to [`SERVICE_IP`] only.
    pub a: Netns,
    /// The viewer's side: 10.77.2.2/30, a route to [`SERVICE_IP`] only.
    pub b: Netns,
}

/// Address of the host's namespace on its link.
pub const A_IP: &str = "10.77.1.2";
/// Address of the viewer's namespace on its link.
pub const B_IP: &str = "10.77.2.2";

impl Site {
    /// Build it (see [`Site`]).
    pub fn build() -> Self {
        let servers = Netns::create("srv");
        let a = Netns::create("a");
        let b = Netns::create("b");
        servers.ip(&["addr", "add", &format!("{SERVICE_IP}/32"), "dev", "lo"]);
        servers.link(&a, "lka", "10.77.1.1", A_IP);
        servers.link(&b, "lkb", "10.77.2.1", B_IP);
        a.ip(&[
            "route",
            "add",
            &format!("{SERVICE_IP}/32"),
            "via",
            "10.77.1.1",
        ]);
        b.ip(&[
            "route",
            "add",
            &format!("{SERVICE_IP}/32"),
            "via",
            "10.77.2.1",
        ]);
        let site = Site { servers, a, b };
        for ns in [&site.servers, &site.a, &site.b] {
            assert!(!ns.has_default_route(), "{}: {}", ns.name, ns.routes());
        }
        site
    }

    /// Open a TCP connection from `from` to `ip:port` (bash's /dev/tcp,
    /// bounded to 3 s): `Err` carries why it failed (e.g. "Network is
    /// unreachable" when no route leads there).
    pub fn tcp_connect(from: &Netns, ip: &str, port: u16) -> Result<(), String> {
        let out = from
            .command("timeout")
            .args(["3", "bash", "-c", &format!("exec 3<>/dev/tcp/{ip}/{port}")])
            .stdin(Stdio::null())
            .output()
            .expect("run bash in the namespace");
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }
}
