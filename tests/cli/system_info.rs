//! `latchkey sysinfo` between real processes: what the host reports matches
//! what this machine says of itself (`/proc/meminfo`, `nproc`, `uname -r`,
//! `/etc/os-release`, `who`, the X display), in JSON and in words; without
//! `system_info` the host refuses it (exit 3, `permission`) and audits it.

use std::process::Command;
use std::time::Duration;

use latchkey_e2e::cli::*;
use latchkey_e2e::desktop::{dropped, host_on};
use latchkey_testkit::{Xvfb, HEIGHT, WIDTH};
use serde_json::Value;

/// A command's standard output, trimmed.
fn output(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A `/proc/meminfo` line's value in bytes.
fn meminfo(key: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/meminfo").expect("/proc/meminfo");
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{key}:")))
        .unwrap_or_else(|| panic!("no {key} in /proc/meminfo"));
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("a number");
    kib * 1024
}

/// `sysinfo ID --json` with the password, on `profile`.
fn sysinfo(viewer: &Device, id: &str, rv: &Rendezvous, profile: &str, json: bool) -> Run {
    let mut args = vec![
        "sysinfo",
        id,
        "--rendezvous",
        &rv.url,
        "--profile",
        profile,
        "--password-stdin",
    ];
    if json {
        args.push("--json");
    }
    viewer.run_stdin(&args, format!("{GOOD_PASSWORD}\n").as_bytes())
}

#[test]
fn sysinfo_reports_what_the_host_machine_says_of_itself() {
    let x = Xvfb::start();
    let rv = Rendezvous::start(0, None);
    let (_host, h) = host_on(&x, &rv, "default");
    let viewer = Device::file();
    // The capture thread lists the monitors once the session streams.
    let report = sysinfo(&viewer, h.id(), &rv, "default", true).json();
    assert_eq!(report["ok"], true, "{report}");

    assert_eq!(report["kernel"], output("uname", &["-r"]), "{report}");
    assert_eq!(
        report["hostname"],
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .expect("hostname")
            .trim(),
    );
    assert_eq!(report["os"]["arch"], output("uname", &["-m"]));
    let release = std::fs::read_to_string("/etc/os-release").expect("os-release");
    let name = release
        .lines()
        .find_map(|l| l.strip_prefix("NAME="))
        .expect("NAME")
        .trim_matches('"');
    assert_eq!(report["os"]["name"], name);
    assert!(
        !report["os"]["pretty"].as_str().unwrap_or("").is_empty(),
        "{report}"
    );

    let cores: u64 = output("nproc", &["--all"]).parse().expect("nproc");
    assert_eq!(report["cpu"]["logical_cores"], cores, "{report}");
    assert!(
        !report["cpu"]["model"].as_str().unwrap_or("").is_empty(),
        "{report}"
    );
    assert_eq!(report["cpu"]["load"].as_array().map(Vec::len), Some(3));

    assert_eq!(report["memory"]["total"], meminfo("MemTotal"), "{report}");
    assert_eq!(report["memory"]["swap_total"], meminfo("SwapTotal"));
    let available = report["memory"]["available"].as_u64().expect("available");
    assert!(available > 0 && available <= meminfo("MemTotal"));

    // The root file system, with its size as df counts it.
    let disks = report["disks"].as_array().expect("disks");
    let root = disks
        .iter()
        .find(|d| d["mount"] == "/")
        .unwrap_or_else(|| panic!("no / among {disks:?}"));
    let df_size: u64 = output("df", &["-B1", "--output=size", "/"])
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .expect("df");
    assert_eq!(root["total"], df_size, "{root}");
    assert!(root["free"].as_u64() <= root["total"].as_u64());

    // The host shares an Xvfb screen of WIDTH x HEIGHT.
    let displays = report["displays"].as_array().expect("displays");
    assert!(
        displays
            .iter()
            .any(|d| d["width"] == WIDTH && d["height"] == HEIGHT),
        "{displays:?}"
    );

    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .expect("uptime")
        .split_whitespace()
        .next()
        .and_then(|s| s.parse().ok())
        .expect("seconds");
    let reported = report["uptime_secs"].as_f64().expect("uptime_secs");
    assert!((reported - uptime).abs() < 120.0, "{reported} vs {uptime}");

    let interfaces = report["interfaces"].as_array().expect("interfaces");
    let lo = interfaces
        .iter()
        .find(|i| i["name"] == "lo")
        .unwrap_or_else(|| panic!("no lo among {interfaces:?}"));
    assert!(
        lo["addresses"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == "127.0.0.1/8")),
        "{lo}"
    );

    let who: Vec<String> = output("who", &[])
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    let users: Vec<String> = report["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| u["name"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(users, who);

    let version = output(
        &latchkey_e2e::bins::latchkey().to_string_lossy(),
        &["--version"],
    );
    assert!(
        version.ends_with(report["latchkey_version"].as_str().unwrap_or("?")),
        "{version} vs {report}"
    );

    // In words: a heading per part.
    let words = sysinfo(&viewer, h.id(), &rv, "default", false);
    let text = words.ok();
    for heading in [
        "Host", "OS", "Kernel", "CPU", "Memory", "Disks", "Displays", "Network",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(heading)),
            "no {heading} in:\n{text}"
        );
    }
    assert!(text.contains(&output("uname", &["-r"])), "{text}");
}

#[test]
fn without_system_info_the_host_refuses_and_audits_it() {
    let x = Xvfb::start();
    let rv = Rendezvous::start(0, None);
    let (host, h) = host_on(&x, &rv, "screen_sharing");
    let viewer = Device::file();
    let run = sysinfo(&viewer, h.id(), &rv, "screen_sharing", true);
    assert_eq!(run.code, 3, "{run:?}");
    let answer: Value = serde_json::from_str(run.stdout.trim()).expect("one JSON line");
    assert_eq!(answer["ok"], false);
    assert_eq!(answer["error"], "permission", "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap_or("")
            .contains("system_info"),
        "{answer}"
    );
    // In words: one line, the same exit code.
    let words = sysinfo(&viewer, h.id(), &rv, "screen_sharing", false);
    assert!(words.fails_with(3).contains("system_info"), "{words:?}");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let kinds = dropped(&host);
        if kinds.contains(&("system_info".to_string(), "system_info".to_string())) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no message_dropped for system_info: {kinds:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
