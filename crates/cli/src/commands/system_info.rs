//! `latchkey sysinfo ID [--json]`: log in like `connect`, ask the host for
//! its system information (`session.system_info()`), print it, leave.

use std::time::{Duration, UNIX_EPOCH};

use latchkey_core::feature::system_info::SystemInfo;
use latchkey_session::viewer::{self, SessionError};
use latchkey_store::Config;
use serde_json::json;

use super::print_json;
use super::session::{connect_options, report_failure, runtime};
use crate::cli::SysinfoArgs;
use crate::exit::{self, CliError};

/// `latchkey sysinfo ID ...`.
pub fn sysinfo(config: &mut Config, args: SysinfoArgs) -> Result<(), CliError> {
    let options = connect_options(config, &args.target, || Ok(()))?;
    let rt = runtime()?;
    let report = rt.block_on(async {
        let (_, session) = viewer::connect(config, options)
            .await
            .map_err(|e| report_failure(&e, args.json))?;
        let report = session.system_info().get().await;
        session.close().await;
        report.map_err(|e| refused(&e, args.json))
    })?;
    if args.json {
        let mut v = serde_json::to_value(&report).map_err(|e| CliError::Other(e.into()))?;
        v["ok"] = json!(true);
        print_json(&v)
    } else {
        print!("{}", human(&report));
        Ok(())
    }
}

/// A request the host refused or could not answer: its exit code, and the
/// JSON line with `--json`.
pub(super) fn refused(e: &SessionError, json: bool) -> CliError {
    let code = exit::for_code(e.code());
    if !json {
        return CliError::Coded(code, e.to_string());
    }
    if let Err(err) = print_json(&json!({"ok": false, "error": e.code(), "message": e.to_string()}))
    {
        return err;
    }
    eprintln!("latchkey: {e}");
    CliError::Reported(code)
}

/// Bytes as a person reads them: `512 B`, `3.2 GiB`.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A duration as a person reads it: `3 d 4 h 12 min`, `5 min`.
fn uptime(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60);
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h {m} min"),
    }
}

/// The report as aligned lines, a heading per part.
fn human(r: &SystemInfo) -> String {
    let mut lines: Vec<(&str, String)> = vec![
        ("Host", r.hostname.clone()),
        (
            "OS",
            format!(
                "{} ({})",
                if r.os.pretty.is_empty() {
                    format!("{} {}", r.os.name, r.os.version)
                } else {
                    r.os.pretty.clone()
                },
                r.os.arch
            ),
        ),
        ("Kernel", r.kernel.clone()),
        ("Uptime", uptime(r.uptime_secs)),
        (
            "CPU",
            format!(
                "{}: {} cores{}, load {:.2} {:.2} {:.2}",
                r.cpu.model,
                r.cpu.logical_cores,
                r.cpu
                    .physical_cores
                    .map(|p| format!(" ({p} physical)"))
                    .unwrap_or_default(),
                r.cpu.load[0],
                r.cpu.load[1],
                r.cpu.load[2]
            ),
        ),
        (
            "Memory",
            format!(
                "{} available of {}; swap {} free of {}",
                bytes(r.memory.available),
                bytes(r.memory.total),
                bytes(r.memory.swap_free),
                bytes(r.memory.swap_total)
            ),
        ),
    ];
    let mount_width = r.disks.iter().map(|d| d.mount.len()).max().unwrap_or(0);
    let mut part = |heading: &'static str, items: Vec<String>| {
        if items.is_empty() {
            lines.push((heading, "none".into()));
        }
        for (i, item) in items.into_iter().enumerate() {
            lines.push((if i == 0 { heading } else { "" }, item));
        }
    };
    part(
        "Disks",
        r.disks
            .iter()
            .map(|d| {
                format!(
                    "{:mount_width$}  {:<8} {} free of {}",
                    d.mount,
                    d.filesystem,
                    bytes(d.free),
                    bytes(d.total)
                )
            })
            .collect(),
    );
    part(
        "Displays",
        r.displays
            .iter()
            .map(|d| {
                format!(
                    "{} {}x{} at {},{}{}",
                    d.name,
                    d.width,
                    d.height,
                    d.x,
                    d.y,
                    if d.primary { " (primary)" } else { "" }
                )
            })
            .collect(),
    );
    let name_width = r.interfaces.iter().map(|i| i.name.len()).max().unwrap_or(0);
    part(
        "Network",
        r.interfaces
            .iter()
            .map(|i| {
                format!(
                    "{:name_width$}  {}  {}",
                    i.name,
                    i.mac,
                    i.addresses.join(", ")
                )
            })
            .collect(),
    );
    part(
        "Users",
        r.users
            .iter()
            .map(|u| {
                let since =
                    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(u.since));
                let from = if u.host.is_empty() {
                    String::new()
                } else {
                    format!(" from {}", u.host)
                };
                format!("{} on {}{from} since {since}", u.name, u.line)
            })
            .collect(),
    );
    lines.push(("Latchkey", r.latchkey_version.clone()));
    lines
        .into_iter()
        .map(|(heading, value)| format!("{heading:<10}{value}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_read_well() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(5 << 30), "5.0 GiB");
        assert_eq!(uptime(59), "0 min");
        assert_eq!(uptime(3 * 3600 + 120), "3 h 2 min");
        assert_eq!(uptime(2 * 86_400 + 3600), "2 d 1 h 0 min");
    }
}
