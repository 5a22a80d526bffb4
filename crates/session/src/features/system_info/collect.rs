//! Gathering the host's system information: the `sysinfo` crate for what it
//! knows (CPU, memory, disks, interfaces, load, uptime), `/etc/os-release`
//! for the OS's names and the utmp file for who is logged in. Blocking: run
//! it on a blocking thread.

use latchkey_core::feature::system_info::{
    os_release, parse_utmp, Cpu, Disk, Display, Interface, Memory, Os, SystemInfo,
};
use sysinfo::{CpuRefreshKind, Disks, MemoryRefreshKind, Networks, RefreshKind, System};

/// Where the OS describes itself, first found wins.
const OS_RELEASE: [&str; 2] = ["/etc/os-release", "/usr/lib/os-release"];
/// Where the logged-in users are recorded, first found wins.
const UTMP: [&str; 2] = ["/run/utmp", "/var/run/utmp"];

/// The host's system information now; `displays` are the shared desktop's monitors.
pub(super) fn collect(displays: Vec<Display>) -> SystemInfo {
    let sys = System::new_with_specifics(
        RefreshKind::nothing()
            .with_cpu(CpuRefreshKind::nothing())
            .with_memory(MemoryRefreshKind::everything()),
    );
    let release = OS_RELEASE
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|text| os_release(&text))
        .unwrap_or_default();
    let os = Os {
        name: release
            .name
            .or_else(System::name)
            .unwrap_or_else(|| std::env::consts::OS.to_string()),
        version: release
            .version
            .or_else(System::os_version)
            .unwrap_or_default(),
        pretty: release
            .pretty
            .or_else(System::long_os_version)
            .unwrap_or_default(),
        arch: System::cpu_arch(),
    };
    let load = System::load_average();
    let cpu = Cpu {
        model: sys
            .cpus()
            .first()
            .map(|c| c.brand().trim().to_string())
            .unwrap_or_default(),
        logical_cores: u32::try_from(sys.cpus().len()).unwrap_or(u32::MAX),
        physical_cores: System::physical_core_count().and_then(|n| u32::try_from(n).ok()),
        load: [load.one, load.five, load.fifteen],
    };
    let memory = Memory {
        total: sys.total_memory(),
        available: sys.available_memory(),
        swap_total: sys.total_swap(),
        swap_free: sys.free_swap(),
    };
    let mut disks: Vec<Disk> = Disks::new_with_refreshed_list()
        .list()
        .iter()
        .map(|d| Disk {
            mount: d.mount_point().to_string_lossy().into_owned(),
            filesystem: d.file_system().to_string_lossy().into_owned(),
            total: d.total_space(),
            free: d.available_space(),
        })
        .collect();
    disks.sort_by(|a, b| a.mount.cmp(&b.mount));
    disks.dedup_by(|a, b| a.mount == b.mount);
    let mut interfaces: Vec<Interface> = Networks::new_with_refreshed_list()
        .list()
        .iter()
        .map(|(name, data)| Interface {
            name: name.clone(),
            mac: data.mac_address().to_string(),
            addresses: data
                .ip_networks()
                .iter()
                .map(|n| format!("{}/{}", n.addr, n.prefix))
                .collect(),
        })
        .collect();
    interfaces.sort_by(|a, b| a.name.cmp(&b.name));
    let users = UTMP
        .iter()
        .find_map(|p| std::fs::read(p).ok())
        .map(|bytes| parse_utmp(&bytes))
        .unwrap_or_default();
    SystemInfo {
        os,
        kernel: System::kernel_version().unwrap_or_default(),
        hostname: System::host_name().unwrap_or_default(),
        cpu,
        memory,
        disks,
        displays,
        uptime_secs: System::uptime(),
        interfaces,
        users,
        latchkey_version: env!("CARGO_PKG_VERSION").to_string(),
    }
}
