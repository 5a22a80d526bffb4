//! `latchkey tunnel` between real processes on loopback: `-L` reaches an
//! HTTP server (python3's http.server) from the host's side, `-R` reaches
//! one on the viewer's side, 20 connections run at once through one tunnel,
//! and the host refuses (and audits) tunnels without `tcp_tunnel` and
//! destinations outside the profile's `tunnel_destinations`. One test prints
//! the throughput of a big transfer through `-L` next to a direct one.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use latchkey_e2e::cli::*;
use serde_json::Value;

/// `n` bytes that differ from one `seed` to another.
fn bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// `python3 -m http.server` on 127.0.0.1 (a free port) serving `dir`; killed on drop.
fn http_server(dir: &Path) -> (Proc, u16) {
    let child = Command::new("python3")
        .args([
            "-u",
            "-m",
            "http.server",
            "0",
            "--bind",
            "127.0.0.1",
            "--directory",
        ])
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 must be installed");
    let mut proc = Proc::new(child);
    let line = proc.wait_line(|l| l.contains("Serving HTTP"), Duration::from_secs(20));
    // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
    let port = line
        .split_whitespace()
        .skip_while(|w| *w != "port")
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    (proc, port)
}

/// A temporary directory holding `name` with `content`.
fn served(name: &str, content: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(name), content).expect("write");
    dir
}

/// `GET /path` over plain TCP to 127.0.0.1:`port`: the status line and the body.
fn http_get(port: u16, path: &str) -> (String, Vec<u8>) {
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(tcp, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").expect("request");
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).expect("answer");
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(&answer)));
    let status = String::from_utf8_lossy(&answer[..end])
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    (status, answer[end + 4..].to_vec())
}

/// A host with `tcp_tunnel` on its default profile (or not), unattended, running.
fn host(tunnels: bool) -> (Rendezvous, Device, Proc) {
    let rv = Rendezvous::start(0, None);
    let (host, h) = unattended_host(&rv);
    if tunnels {
        host.run(&["profile", "set", "default", "tcp_tunnel", "on"])
            .ok();
    }
    (rv, host, h)
}

/// `latchkey tunnel ID ARGS --password-stdin`, logged in.
fn tunnel(viewer: &Device, id: &str, rv: &Rendezvous, args: &[&str]) -> Proc {
    let mut all = vec!["tunnel", id, "--rendezvous", &rv.url, "--password-stdin"];
    all.extend_from_slice(args);
    let mut t = viewer.spawn_piped(&all);
    t.send(GOOD_PASSWORD);
    t
}

/// The bound port of a `tunnel ready -L 127.0.0.1:PORT -> ...` line.
fn ready_port(t: &mut Proc, kind: &str) -> u16 {
    let line = t.wait_line(|l| l.starts_with("tunnel ready"), Duration::from_secs(30));
    let prefix = format!("tunnel ready {kind} 127.0.0.1:");
    let rest = line
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("not a {kind} ready line: {line}"));
    rest.split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line}"))
}

#[test]
fn l_reaches_an_http_server_on_the_host_side() {
    let (rv, _host, h) = host(true);
    let page = bytes(300 * 1024, 1);
    let dir = served("page.bin", &page);
    let (_server, port) = http_server(dir.path());
    let viewer = Device::file();
    let dest = format!("0:127.0.0.1:{port}");
    let mut t = tunnel(&viewer, h.id(), &rv, &["-L", &dest]);
    let local = ready_port(&mut t, "-L");
    assert_ne!(local, 0);
    assert!(t
        .seen
        .last()
        .expect("line")
        .ends_with(&format!("-> 127.0.0.1:{port}")));
    for _ in 0..3 {
        let (status, body) = http_get(local, "/page.bin");
        assert!(status.contains("200"), "{status}");
        assert!(
            body == page,
            "the page came back different ({} bytes)",
            body.len()
        );
    }
    let (status, _) = http_get(local, "/missing");
    assert!(status.contains("404"), "{status}");
}

#[test]
fn r_reaches_an_http_server_on_the_viewer_side() {
    let (rv, _host, h) = host(true);
    let page = bytes(200 * 1024, 2);
    let dir = served("viewer.bin", &page);
    let (_server, port) = http_server(dir.path());
    let viewer = Device::file();
    let spec = format!("0:127.0.0.1:{port}");
    let mut t = tunnel(&viewer, h.id(), &rv, &["-R", &spec, "--json"]);
    let line = t.wait_line(|l| l.starts_with('{'), Duration::from_secs(30));
    let v: Value = serde_json::from_str(&line).expect("json");
    assert_eq!(
        (v["ok"].clone(), v["tunnel"].clone(), v["bind"].clone()),
        (Value::Bool(true), "-R".into(), "127.0.0.1".into()),
        "{v}"
    );
    assert_eq!(v["dest_port"], port, "{v}");
    // The host listens on that port; this test runs on the same machine.
    let on_host = v["port"].as_u64().expect("port") as u16;
    assert_ne!(on_host, 0);
    let (status, body) = http_get(on_host, "/viewer.bin");
    assert!(status.contains("200"), "{status}");
    assert!(
        body == page,
        "the page came back different ({} bytes)",
        body.len()
    );
    // Both at once: a -L next to the -R in one session.
    drop(t);
    let l = format!("0:127.0.0.1:{port}");
    let mut t = tunnel(&viewer, h.id(), &rv, &["-R", &spec, "-L", &l]);
    let first = ready_port(&mut t, "-L");
    let second = ready_port(&mut t, "-R");
    assert!(http_get(first, "/viewer.bin").1 == page);
    assert!(http_get(second, "/viewer.bin").1 == page);
}

/// An echo server on 127.0.0.1 (a thread per connection); its port.
fn echo_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for conn in listener.incoming().take(1000) {
            let Ok(mut conn) = conn else { continue };
            std::thread::spawn(move || {
                let mut back = conn.try_clone().expect("clone");
                let _ = std::io::copy(&mut conn, &mut back);
                let _ = back.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    port
}

/// Send `data` on a new connection to `port` (from another thread) and read
/// everything that comes back until the other side closes.
fn echo_through(port: u16, data: Vec<u8>) -> Vec<u8> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let mut writer = tcp.try_clone().expect("clone");
    let sending = std::thread::spawn(move || {
        writer.write_all(&data).expect("send");
        writer
            .shutdown(std::net::Shutdown::Write)
            .expect("half-close");
    });
    let mut back = Vec::new();
    (&tcp).read_to_end(&mut back).expect("echo");
    sending.join().expect("sender");
    back
}

#[test]
fn twenty_connections_at_once_through_one_tunnel() {
    let (rv, _host, h) = host(true);
    let port = echo_server();
    let viewer = Device::file();
    let dest = format!("0:127.0.0.1:{port}");
    let mut t = tunnel(&viewer, h.id(), &rv, &["-L", &dest]);
    let local = ready_port(&mut t, "-L");
    let started = Instant::now();
    let clients: Vec<_> = (0..20u64)
        .map(|i| {
            std::thread::spawn(move || {
                let data = bytes(256 * 1024, 100 + i);
                let back = echo_through(local, data.clone());
                (back == data, back.len())
            })
        })
        .collect();
    for (i, c) in clients.into_iter().enumerate() {
        let (same, len) = c.join().expect("client");
        assert!(same, "connection {i} came back different ({len} bytes)");
    }
    println!(
        "20 connections x 256 KiB echoed through one -L in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    // One stalled connection does not hold up another.
    let stalled = TcpStream::connect(("127.0.0.1", local)).expect("connect");
    stalled
        .set_write_timeout(Some(Duration::from_secs(3)))
        .expect("timeout");
    // Never read: the echo backs up as far as its window, then waits.
    (&stalled).write_all(&bytes(4 * 1024 * 1024, 7)).ok();
    let data = bytes(64 * 1024, 8);
    assert!(echo_through(local, data.clone()) == data);
    drop(stalled);
}

#[test]
fn without_tcp_tunnel_the_host_refuses_and_audits() {
    let (rv, host, h) = host(false);
    let viewer = Device::file();
    let t = tunnel(&viewer, h.id(), &rv, &["-L", "0:127.0.0.1:9", "--json"]);
    let run = t.finish(Duration::from_secs(30));
    let v = refused(&run, "permission", 3);
    assert!(
        v["message"].as_str().unwrap_or("").contains("tcp_tunnel"),
        "{v}"
    );
    let t = tunnel(&viewer, h.id(), &rv, &["-R", "0:127.0.0.1:9"]);
    let run = t.finish(Duration::from_secs(30));
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("tcp_tunnel"), "{run:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut kinds = latchkey_e2e::desktop::dropped(&host);
        kinds.sort();
        if kinds.len() >= 2 || Instant::now() > deadline {
            assert_eq!(
                kinds,
                vec![
                    ("tunnel_check".to_string(), "tcp_tunnel".to_string()),
                    ("tunnel_listen".to_string(), "tcp_tunnel".to_string()),
                ]
            );
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_destination_outside_tunnel_destinations_is_refused_and_audited() {
    let (rv, host, h) = host(true);
    let page = bytes(10 * 1024, 3);
    let dir = served("p.bin", &page);
    let (_server, port) = http_server(dir.path());
    let viewer = Device::file();
    let dest = format!("0:127.0.0.1:{port}");

    // Refused as the tunnel starts.
    host.run(&[
        "profile",
        "tunnel-destinations",
        "default",
        "localhost:1,10.0.0.0/8",
    ])
    .ok();
    let t = tunnel(&viewer, h.id(), &rv, &["-L", &dest, "--json"]);
    let run = t.finish(Duration::from_secs(30));
    let v = refused(&run, "permission", 3);
    assert!(
        v["message"]
            .as_str()
            .unwrap_or("")
            .contains("tunnel_destinations"),
        "{v}"
    );
    let audited = host.audited("tunnel_refused", 1);
    assert_eq!(
        audited.last().map(|e| e["destination"].clone()),
        Some(Value::from(format!("127.0.0.1:{port}"))),
        "{audited:?}"
    );

    // Allowed, then refused per connection once the owner narrows the list.
    let allowed = format!("127.0.0.1:{port}");
    host.run(&["profile", "tunnel-destinations", "default", &allowed])
        .ok();
    let shown = host.run(&["profile", "show", "default", "--json"]).json();
    assert_eq!(shown["tunnel_destinations"], serde_json::json!([allowed]));
    let mut t = tunnel(&viewer, h.id(), &rv, &["-L", &dest]);
    let local = ready_port(&mut t, "-L");
    assert!(http_get(local, "/p.bin").1 == page);
    host.run(&["profile", "tunnel-destinations", "default", "none"])
        .ok();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut tcp = TcpStream::connect(("127.0.0.1", local)).expect("connect");
        tcp.set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let _ = write!(tcp, "GET /p.bin HTTP/1.0\r\n\r\n");
        let mut answer = Vec::new();
        let _ = tcp.read_to_end(&mut answer);
        if answer.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "the narrower list never applied");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The viewer says why; the host audited it.
    t.kill();
    let run = t.finish(Duration::from_secs(10));
    assert!(run.stderr.contains("tunnel_destinations"), "{run:?}");
    assert!(host.audited("tunnel_refused", 2).len() >= 2);
}

#[test]
fn withdrawing_tcp_tunnel_closes_the_tunnels() {
    let (rv, host, h) = host(true);
    let port = echo_server();
    let viewer = Device::file();
    let spec = format!("0:127.0.0.1:{port}");
    let mut t = tunnel(&viewer, h.id(), &rv, &["-R", &spec]);
    let on_host = ready_port(&mut t, "-R");
    assert!(echo_through(on_host, b"hello".to_vec()) == b"hello");
    host.run(&["profile", "set", "default", "tcp_tunnel", "off"])
        .ok();
    let run = t.finish(Duration::from_secs(20));
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("tcp_tunnel"), "{run:?}");
    // The host stopped listening.
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", on_host)).is_ok() {
        assert!(Instant::now() < deadline, "the host still listens");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A server that sends `size` bytes to each connection, then closes.
fn source_server(size: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let block = bytes(64 * 1024, 9);
        for conn in listener.incoming().take(10) {
            let Ok(mut conn) = conn else { continue };
            std::thread::spawn({
                let block = block.clone();
                move || {
                    let mut left = size;
                    while left > 0 {
                        let n = left.min(block.len());
                        if conn.write_all(&block[..n]).is_err() {
                            return;
                        }
                        left -= n;
                    }
                }
            });
        }
    });
    port
}

/// Read everything from 127.0.0.1:`port`; the byte count and the seconds it took.
fn drain(port: u16) -> (usize, f64) {
    let started = Instant::now();
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0;
    loop {
        match tcp.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(e) => panic!("after {total} bytes: {e}"),
        }
    }
    (total, started.elapsed().as_secs_f64())
}

#[test]
fn a_big_transfer_through_l_prints_its_throughput() {
    const SIZE: usize = 100 * 1024 * 1024;
    let (rv, _host, h) = host(true);
    let port = source_server(SIZE);
    let viewer = Device::file();
    let dest = format!("0:127.0.0.1:{port}");
    let mut t = tunnel(&viewer, h.id(), &rv, &["-L", &dest]);
    let local = ready_port(&mut t, "-L");
    let (direct, direct_s) = drain(port);
    let (through, through_s) = drain(local);
    assert_eq!((direct, through), (SIZE, SIZE));
    let mb = SIZE as f64 / 1e6;
    println!(
        "100 MiB: through -L {:.1} MB/s ({through_s:.2} s); direct TCP {:.1} MB/s; ratio {:.3}",
        mb / through_s,
        mb / direct_s,
        direct_s / through_s
    );
}
