//! `latchkey cp [-r] SRC... DST`: one side `ID:PATH`, either direction,
//! planned and carried out by `latchkey_session::features::files::transfer`
//! (the app's file window copies the same way), with a progress bar on a
//! terminal and a summary.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::json;

use latchkey_core::feature::files::Location;
use latchkey_core::ErrorCode;
use latchkey_session::features::files::transfer::{self, Direction};
use latchkey_session::features::files::viewer::Files;
use latchkey_store::Config;

use super::{checked, remote, report, usage, with_files, CpArgs};
use crate::commands::print_json;
use crate::exit::CliError;

/// Progress on a terminal: bytes, rate, time left; drawn at most 10 times a second.
struct Bar {
    total: u64,
    done: AtomicU64,
    start: Instant,
    drawn: Mutex<Option<Instant>>,
    on: bool,
}

impl Bar {
    fn add(&self, n: u64) {
        let done = self.done.fetch_add(n, Ordering::Relaxed) + n;
        if !self.on {
            return;
        }
        let mut drawn = self.drawn.lock().unwrap_or_else(|p| p.into_inner());
        if drawn.is_some_and(|t| t.elapsed() < Duration::from_millis(100)) && done < self.total {
            return;
        }
        *drawn = Some(Instant::now());
        let secs = self.start.elapsed().as_secs_f64().max(0.001);
        let rate = done as f64 / secs;
        let left = self.total.saturating_sub(done) as f64 / rate.max(1.0);
        let mib = |b: f64| b / 1048576.0;
        let width = 30usize;
        let filled = if self.total == 0 {
            width
        } else {
            (done as f64 / self.total as f64 * width as f64) as usize
        };
        eprint!(
            "\r[{}{}] {:.1}/{:.1} MiB  {:.1} MiB/s  ETA {:.0} s   ",
            "#".repeat(filled.min(width)),
            " ".repeat(width - filled.min(width)),
            mib(done as f64),
            mib(self.total as f64),
            mib(rate),
            left
        );
        let _ = std::io::stderr().flush();
    }
}

/// `latchkey cp [-r] SRC... DST`.
pub fn cp(config: &mut Config, args: CpArgs) -> Result<(), CliError> {
    let json = args.login.json;
    let mut paths = args.paths.clone();
    let dst = paths.pop().unwrap_or_default();
    let srcs = paths;
    let way = match Location::parse(&dst) {
        Location::Remote { .. } => Direction::Upload,
        Location::Local(_) => Direction::Download,
    };
    // The host's ID and the host-side paths.
    let mut id = None;
    let mut remotes = Vec::new();
    for p in srcs.iter().chain([&dst]) {
        match Location::parse(p) {
            Location::Remote { .. } => {
                let (i, path) = checked(json, remote(p))?;
                let i = i.replace([' ', '-'], "");
                if id.as_ref().is_some_and(|known| *known != i) {
                    return Err(report(
                        &usage(
                            ErrorCode::BadInput,
                            "all ID:PATH names must be of one host".into(),
                        ),
                        json,
                    ));
                }
                id = Some(i);
                remotes.push(path);
            }
            Location::Local(_) => {}
        }
    }
    let one_side = match way {
        Direction::Upload => srcs
            .iter()
            .all(|s| matches!(Location::parse(s), Location::Local(_))),
        Direction::Download => srcs
            .iter()
            .all(|s| matches!(Location::parse(s), Location::Remote { .. })),
    };
    let Some(id) = id.filter(|_| one_side) else {
        return Err(report(
            &usage(
                ErrorCode::BadInput,
                "cp copies between this computer and one host: exactly one side is ID:PATH".into(),
            ),
            json,
        ));
    };
    let recursive = args.recursive;
    let start = Instant::now();
    let bar_on = !json && std::io::stderr().is_terminal();
    let summary = with_files(config, &id, &args.login, async move |files: &Files| {
        let plan = match way {
            Direction::Upload => {
                let dst = remotes.pop().unwrap_or_default();
                let srcs: Vec<PathBuf> = srcs.iter().map(PathBuf::from).collect();
                transfer::plan_upload(files, &srcs, &dst, recursive).await?
            }
            Direction::Download => {
                transfer::plan_download(files, &remotes, Path::new(&dst), recursive).await?
            }
        };
        let bar = Bar {
            total: plan.bytes(),
            done: AtomicU64::new(0),
            start: Instant::now(),
            drawn: Mutex::new(None),
            on: bar_on,
        };
        let done = transfer::run(files, &plan, &|n| bar.add(n)).await;
        if bar_on {
            eprintln!();
        }
        done
    })?;
    let secs = start.elapsed().as_secs_f64();
    let mib_s = summary.copied.sent as f64 / 1048576.0 / secs.max(0.001);
    if json {
        return print_json(&json!({
            "ok": true,
            "files": summary.files,
            "dirs": summary.dirs,
            "links": summary.links,
            "bytes": summary.copied.size,
            "sent": summary.copied.sent,
            "resumed": summary.copied.resumed,
            "seconds": secs,
            "mib_per_s": mib_s,
        }));
    }
    println!(
        "Copied {} files, {} directories, {} links: {:.1} MiB ({:.1} MiB sent, {:.1} MiB resumed) in {:.1} s ({:.1} MiB/s).",
        summary.files,
        summary.dirs,
        summary.links,
        summary.copied.size as f64 / 1048576.0,
        summary.copied.sent as f64 / 1048576.0,
        summary.copied.resumed as f64 / 1048576.0,
        secs,
        mib_s
    );
    Ok(())
}
