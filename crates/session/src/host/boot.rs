//! Whether this host comes back by itself after the machine restarts (it is
//! a systemd system service that is enabled), and restarting the machine
//! (logind's `Reboot`, else `systemctl reboot`). The `restart` feature asks
//! both; a host run by hand refuses to restart, since nothing would bring
//! it back for the viewer to reconnect to.

use crate::host::lock::run;

/// The system unit this process runs in, from its cgroup
/// (`0::/system.slice/latchkey.service`), if it is one.
fn own_system_unit(cgroup: &str) -> Option<String> {
    cgroup.lines().find_map(|line| {
        let path = line.rsplit(':').next()?;
        let mut parts = path.trim().trim_start_matches('/').split('/');
        if parts.next()? != "system.slice" {
            return None;
        }
        let unit = parts.next()?;
        unit.ends_with(".service").then(|| unit.to_string())
    })
}

/// The enabled system unit this host runs as, or why it does not start at boot.
pub fn starts_at_boot() -> Result<String, String> {
    let not_a_service = || {
        "this host does not start at boot, so it would not come back after a restart: \
         run it as the system service (latchkey service install --system)"
            .to_string()
    };
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").map_err(|_| not_a_service())?;
    let unit = own_system_unit(&cgroup).ok_or_else(not_a_service)?;
    if !run("systemctl", &["is-enabled", "--quiet", &unit]) {
        return Err(format!(
            "{unit} is not enabled, so this host would not come back after a restart: \
             systemctl enable {unit}"
        ));
    }
    Ok(unit)
}

/// Restart the machine: which way was taken, or why none worked. Blocking.
pub fn reboot() -> Result<&'static str, String> {
    let logind = [
        "call",
        "org.freedesktop.login1",
        "/org/freedesktop/login1",
        "org.freedesktop.login1.Manager",
        "Reboot",
        "b",
        "false",
    ];
    if run("busctl", &logind) {
        return Ok("logind");
    }
    if run("systemctl", &["reboot"]) {
        return Ok("systemctl");
    }
    Err("neither logind nor systemctl would restart the machine".into())
}

#[cfg(test)]
mod tests {
    use super::own_system_unit;

    #[test]
    fn the_unit_is_read_from_the_cgroup() {
        assert_eq!(
            own_system_unit("0::/system.slice/latchkey.service\n").as_deref(),
            Some("latchkey.service")
        );
        assert_eq!(
            own_system_unit(
                "0::/user.slice/user-1000.slice/user@1000.service/app.slice/latchkey.service"
            ),
            None,
            "a user service stops at logout"
        );
        assert_eq!(own_system_unit("0::/init.scope"), None);
        assert_eq!(own_system_unit("0::/"), None);
        assert_eq!(
            own_system_unit(
                "12:pids:/system.slice/latchkey.service\n0::/system.slice/latchkey.service"
            ),
            Some("latchkey.service".into())
        );
    }
}
