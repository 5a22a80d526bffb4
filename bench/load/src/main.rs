//! rendezvous-load: the rendezvous under load, on loopback, in one run: one
//! node on SQLite (the reference), one node on Redis, three nodes on one
//! Redis. For each: how many simulated hosts stay connected (real
//! WebSockets, real Ed25519 registrations), registrations per second, the
//! memory each connected host costs, then signaling exchanges (offer ->
//! host's answer -> bye) at a fixed rate with their p50/p99 latency and the
//! CPU they cost. Prints figures and ratios; asserts nothing.
//!
//! Usage: rendezvous-load [--hosts N] [--rate R] [--seconds S]
//!        [--setups sqlite,redis,redis3]
//! (`--hosts` is per node; default 100000, rate 1000/s for 10 s).

mod client;
mod hosts;
mod nodes;
mod proc_stats;
mod stats;
mod viewers;

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use latchkey_testkit::redis::RedisServer;

use crate::nodes::{Backend, Node};
use crate::stats::{ms, quantile};

/// What one set-up measured.
struct Figures {
    setup: String,
    hosts: usize,
    failed: usize,
    registrations_per_s: f64,
    register_p50: Duration,
    register_p99: Duration,
    node_bytes_per_host: f64,
    redis_bytes_per_host: f64,
    offered: u64,
    answered: usize,
    exchanges_per_s: f64,
    p50: Duration,
    p99: Duration,
    cpu_per_exchange: Duration,
    errors: u64,
}

struct Options {
    hosts_per_node: usize,
    rate: u32,
    seconds: u64,
    setups: Vec<String>,
}

fn options() -> anyhow::Result<Options> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: rendezvous-load [--hosts N] [--rate R] [--seconds S] [--setups sqlite,redis,redis3]";
    let mut o = Options {
        hosts_per_node: 100_000,
        rate: 1000,
        seconds: 10,
        setups: vec!["sqlite".into(), "redis".into(), "redis3".into()],
    };
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value; {usage}"))?;
        match flag.as_str() {
            "--hosts" => o.hosts_per_node = value.parse().context("--hosts: a number")?,
            "--rate" => o.rate = value.parse().context("--rate: a number")?,
            "--seconds" => o.seconds = value.parse().context("--seconds: a number")?,
            "--setups" => o.setups = value.split(',').map(str::to_owned).collect(),
            _ => bail!("unknown option {flag}; {usage}"),
        }
    }
    if o.hosts_per_node == 0 || o.rate == 0 || o.seconds == 0 || o.seconds > 600 {
        bail!("--hosts and --rate must be positive, --seconds 1 to 600");
    }
    Ok(o)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("node") => nodes::serve(&args[1..]),
        _ => run(),
    };
    if let Err(e) = outcome {
        eprintln!("rendezvous-load: {e:#}");
        std::process::exit(2);
    }
}

fn run() -> anyhow::Result<()> {
    let o = options()?;
    let descriptors = raise_descriptor_limit(o.hosts_per_node * 3 * 2 + 10_000);
    println!(
        "rendezvous load on loopback: up to {} hosts per node, {} exchanges/s for {} s; {} file descriptors",
        o.hosts_per_node, o.rate, o.seconds, descriptors
    );
    let needed = (o.hosts_per_node * 3 + o.rate as usize + 1_000) as u64;
    if descriptors < needed {
        println!(
            "warning: this process may open {descriptors} files and cannot raise it (the hard limit): \
             the set-ups with more hosts than that will stop there (lower --hosts)"
        );
    }
    let runtime = tokio::runtime::Runtime::new().context("the async runtime")?;
    let mut all = Vec::new();
    for setup in &o.setups {
        let figures = runtime.block_on(measure(&o, setup))?;
        print_one(&figures);
        all.push(figures);
    }
    print_ratios(&all);
    Ok(())
}

/// Raise the open-file limit (soft and, as root, hard) for this process and
/// the nodes it starts; returns the soft limit in force.
fn raise_descriptor_limit(wanted: usize) -> u64 {
    let wanted = wanted as u64;
    if let Ok((_, hard)) = rlimit::getrlimit(rlimit::Resource::NOFILE) {
        if hard < wanted {
            let _ = rlimit::setrlimit(rlimit::Resource::NOFILE, wanted, wanted);
        }
    }
    rlimit::increase_nofile_limit(wanted).unwrap_or(0)
}

async fn measure(o: &Options, setup: &str) -> anyhow::Result<Figures> {
    let dir = tempfile::tempdir().context("a temporary folder")?;
    let (redis, count) = match setup {
        "sqlite" => (None, 1),
        "redis" => (Some(RedisServer::start()), 1),
        "redis3" => (Some(RedisServer::start()), 3),
        other => bail!("unknown set-up '{other}': sqlite, redis or redis3"),
    };
    let backend = match &redis {
        Some(r) => Backend::Redis(r.url()),
        None => Backend::Sqlite,
    };
    let mut nodes = Vec::new();
    for i in 0..count {
        nodes.push(Node::start(
            &backend,
            dir.path(),
            i,
            o.hosts_per_node + 2_000,
        )?);
    }
    let addrs: Vec<_> = nodes.iter().map(|n| n.addr).collect();
    let node_pids: Vec<u32> = nodes.iter().map(Node::pid).collect();
    let redis_pids: Vec<u32> = redis.iter().map(RedisServer::pid).collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let node_rss_before = proc_stats::total_rss(&node_pids);
    let redis_rss_before = proc_stats::total_rss(&redis_pids);

    println!(
        "== {setup}: registering up to {} hosts on {count} node(s)",
        o.hosts_per_node * count
    );
    let mut fleet = hosts::Fleet::register(&addrs, o.hosts_per_node * count).await;
    if let Some(e) = &fleet.first_error {
        println!("   {} registrations failed; the first: {e}", fleet.failed);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let hosts = fleet.ids.len();
    let per_host =
        |after: u64, before: u64| after.saturating_sub(before) as f64 / hosts.max(1) as f64;
    let node_bytes_per_host = per_host(proc_stats::total_rss(&node_pids), node_rss_before);
    let redis_bytes_per_host = per_host(proc_stats::total_rss(&redis_pids), redis_rss_before);

    println!("== {setup}: {} exchanges/s for {} s", o.rate, o.seconds);
    let cpu_pids: Vec<u32> = node_pids.iter().chain(&redis_pids).copied().collect();
    let cpu_before = proc_stats::total_cpu(&cpu_pids);
    let ids = Arc::new(std::mem::take(&mut fleet.ids));
    let mut ex = viewers::run(&addrs, ids, o.rate, o.seconds).await;
    let cpu = proc_stats::total_cpu(&cpu_pids).saturating_sub(cpu_before);
    if let Some(e) = &ex.first_error {
        println!(
            "   {} exchange errors, {} viewers failed; the first: {e}",
            ex.errors, ex.failed_viewers
        );
    }
    fleet.stop();
    let answered = ex.latencies.len();
    let figures = Figures {
        setup: setup.to_owned(),
        hosts,
        failed: fleet.failed,
        registrations_per_s: hosts as f64 / fleet.elapsed.as_secs_f64().max(1e-9),
        register_p50: quantile(&mut fleet.latencies, 0.50),
        register_p99: quantile(&mut fleet.latencies, 0.99),
        node_bytes_per_host,
        redis_bytes_per_host,
        offered: ex.offered,
        answered,
        exchanges_per_s: answered as f64 / ex.elapsed.as_secs_f64().max(1e-9),
        p50: quantile(&mut ex.latencies, 0.50),
        p99: quantile(&mut ex.latencies, 0.99),
        cpu_per_exchange: if answered > 0 {
            cpu / answered as u32
        } else {
            Duration::ZERO
        },
        errors: ex.errors,
    };
    // Let the hosts' connections close before the nodes go.
    tokio::time::sleep(Duration::from_secs(1)).await;
    drop(nodes);
    drop(redis);
    Ok(figures)
}

fn print_one(f: &Figures) {
    println!(
        "{}: {} hosts connected ({} failed), {:.0} registrations/s (p50 {} ms, p99 {} ms), \
         {:.0} B per host on the node(s) + {:.0} B in Redis; exchanges: {} offered, {} answered \
         ({:.0}/s), p50 {} ms, p99 {} ms, {} errors, {:.0} us CPU each (nodes + Redis)",
        f.setup,
        f.hosts,
        f.failed,
        f.registrations_per_s,
        ms(f.register_p50),
        ms(f.register_p99),
        f.node_bytes_per_host,
        f.redis_bytes_per_host,
        f.offered,
        f.answered,
        f.exchanges_per_s,
        ms(f.p50),
        ms(f.p99),
        f.errors,
        f.cpu_per_exchange.as_secs_f64() * 1e6,
    );
}

/// Each set-up against the first (the reference, one node on SQLite).
fn print_ratios(all: &[Figures]) {
    let Some(reference) = all.first() else { return };
    println!(
        "\nratios against {} (x = this set-up / reference)",
        reference.setup
    );
    println!("setup    hosts   reg/s   mem/host   exch p50   exch p99   CPU/exchange");
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
    for f in all {
        let mem = f.node_bytes_per_host + f.redis_bytes_per_host;
        let ref_mem = reference.node_bytes_per_host + reference.redis_bytes_per_host;
        println!(
            "{:<8} {:>5.2}x  {:>5.2}x  {:>7.2}x  {:>8.2}x  {:>8.2}x  {:>10.2}x",
            f.setup,
            ratio(f.hosts as f64, reference.hosts as f64),
            ratio(f.registrations_per_s, reference.registrations_per_s),
            ratio(mem, ref_mem),
            ratio(f.p50.as_secs_f64(), reference.p50.as_secs_f64()),
            ratio(f.p99.as_secs_f64(), reference.p99.as_secs_f64()),
            ratio(
                f.cpu_per_exchange.as_secs_f64(),
                reference.cpu_per_exchange.as_secs_f64()
            ),
        );
    }
}
