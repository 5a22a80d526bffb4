//! Who may use the control socket: the rule, and pure parsers for
//! the files it reads (`/etc/group`, `/etc/passwd`, `/proc/self/status`).
//! Only local files count: users and groups from a directory service (LDAP
//! through NSS) are not seen.

/// What the client on the other end of the socket may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Read and change: root, the host's own user, a `latchkey` group member.
    Full,
    /// Nothing; the reason is the answer to every request.
    Denied(String),
}

/// Members of this group may change things.
pub const GROUP: &str = "latchkey";
/// Where groups are listed.
pub const ETC_GROUP: &str = "/etc/group";
/// Where users are listed.
pub const ETC_PASSWD: &str = "/etc/passwd";

/// One entry of `/etc/group`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Group name.
    pub name: String,
    /// Numeric id.
    pub gid: u32,
    /// Users listed as supplementary members.
    pub members: Vec<String>,
}

/// One entry of `/etc/passwd` (the fields Latchkey uses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Login name.
    pub name: String,
    /// Numeric user id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Home directory.
    pub home: String,
}

/// Fields of a line of a colon-separated database, or `None` for blank
/// lines, comments and NIS compat entries (`+`, `-`).
fn fields(line: &str) -> Option<Vec<&str>> {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.trim().is_empty() || line.starts_with(['#', '+', '-']) {
        return None;
    }
    Some(line.split(':').collect())
}

/// Parse one line of `/etc/group`: `name:password:gid:user1,user2`.
pub fn parse_group_line(line: &str) -> Option<Group> {
    let f = fields(line)?;
    let [name, _password, gid, members] = f.as_slice() else {
        return None;
    };
    if name.is_empty() {
        return None;
    }
    Some(Group {
        name: (*name).to_string(),
        gid: gid.trim().parse().ok()?,
        members: members
            .split(',')
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_string)
            .collect(),
    })
}

/// Parse one line of `/etc/passwd`: `name:password:uid:gid:gecos:home:shell`.
pub fn parse_passwd_line(line: &str) -> Option<User> {
    let f = fields(line)?;
    let [name, _password, uid, gid, _gecos, home, _shell] = f.as_slice() else {
        return None;
    };
    if name.is_empty() {
        return None;
    }
    Some(User {
        name: (*name).to_string(),
        uid: uid.trim().parse().ok()?,
        gid: gid.trim().parse().ok()?,
        home: (*home).to_string(),
    })
}

/// The first group called `name` in the text of `/etc/group`.
pub fn find_group(etc_group: &str, name: &str) -> Option<Group> {
    etc_group
        .lines()
        .filter_map(parse_group_line)
        .find(|g| g.name == name)
}

/// The first user with `uid` in the text of `/etc/passwd`.
pub fn find_user(etc_passwd: &str, uid: u32) -> Option<User> {
    etc_passwd
        .lines()
        .filter_map(parse_passwd_line)
        .find(|u| u.uid == uid)
}

/// The effective uid in the text of `/proc/PID/status` (`Uid: real effective saved fs`).
pub fn parse_effective_uid(proc_status: &str) -> Option<u32> {
    proc_status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|rest| rest.split_whitespace().nth(1))
        .and_then(|uid| uid.parse().ok())
}

/// This process's effective uid.
pub fn effective_uid() -> Option<u32> {
    parse_effective_uid(&std::fs::read_to_string("/proc/self/status").ok()?)
}

/// The local user with `uid`, from `/etc/passwd`.
pub fn user(uid: u32) -> Option<User> {
    find_user(&std::fs::read_to_string(ETC_PASSWD).ok()?, uid)
}

/// The rule. A peer (`peer_uid`, primary `peer_gid` as the kernel reports
/// it) may read and change things if it is root, the host's own user, or a member
/// of the `latchkey` group: its primary group (from the kernel or from
/// `/etc/passwd`) or a supplementary member listed by name in `/etc/group`.
/// Unreadable databases (`None`) count as "no membership": fail closed.
pub fn decide(
    peer_uid: u32,
    peer_gid: u32,
    host_uid: Option<u32>,
    etc_passwd: Option<&str>,
    etc_group: Option<&str>,
) -> Access {
    if peer_uid == 0 || host_uid == Some(peer_uid) {
        return Access::Full;
    }
    let user = etc_passwd.and_then(|text| find_user(text, peer_uid));
    let who = match &user {
        Some(u) => format!("user {} (uid {peer_uid})", u.name),
        None => format!("uid {peer_uid}"),
    };
    let Some(group) = etc_group.and_then(|text| find_group(text, GROUP)) else {
        return Access::Denied(format!(
            "forbidden: {who} may not use this host's control socket (it shows viewers' \
             names and addresses); only root or the host's own user may (there is no \
             '{GROUP}' group on this machine)"
        ));
    };
    let member = peer_gid == group.gid
        || user
            .as_ref()
            .is_some_and(|u| u.gid == group.gid || group.members.contains(&u.name));
    if member {
        Access::Full
    } else {
        let name = user.as_ref().map(|u| u.name.as_str()).unwrap_or("USER");
        Access::Denied(format!(
            "forbidden: {who} may not use this host's control socket (it shows viewers' \
             names and addresses); only root, the host's own user or members of the \
             '{GROUP}' group may (usermod -aG {GROUP} {name}, then log in again)"
        ))
    }
}

/// The message for a client the file system kept off the socket at
/// `path` (this process's effective uid is `uid`).
pub fn refusal(uid: Option<u32>, path: &std::path::Path) -> String {
    let who = match uid {
        Some(uid) => match user(uid) {
            Some(u) => format!("user {} (uid {uid})", u.name),
            None => format!("uid {uid}"),
        },
        None => "this user".into(),
    };
    let name = uid
        .and_then(user)
        .map(|u| u.name)
        .unwrap_or_else(|| "USER".into());
    format!(
        "forbidden: {who} may not use the host's control socket {}; only root, the host's \
         own user or members of the '{GROUP}' group may (usermod -aG {GROUP} {name}, then \
         log in again)",
        path.display()
    )
}

/// [`decide`] with the machine's `/etc/passwd` and `/etc/group`, read now.
pub fn access_from_files(peer_uid: u32, peer_gid: u32, host_uid: Option<u32>) -> Access {
    let passwd = std::fs::read_to_string(ETC_PASSWD).ok();
    let group = std::fs::read_to_string(ETC_GROUP).ok();
    decide(
        peer_uid,
        peer_gid,
        host_uid,
        passwd.as_deref(),
        group.as_deref(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
        # a comment\n\
        +nis-compat\n\
        alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n\
        bob:x:1001:1001::/home/bob:/bin/sh\n\
        carol:x:1002:990::/home/carol:/bin/sh\n\
        broken:x:notanumber:1:::\n\
        short:x:1003\n";
    const GROUP_FILE: &str = "root:x:0:\n\
        users:x:100:alice,bob\n\
        latchkey:x:990: alice , dave\n\
        latchkeyx:x:991:bob\n";

    #[test]
    fn group_lines() {
        assert_eq!(
            parse_group_line("latchkey:x:990:alice,bob"),
            Some(Group {
                name: "latchkey".into(),
                gid: 990,
                members: vec!["alice".into(), "bob".into()],
            })
        );
        assert_eq!(
            parse_group_line("latchkey:x:990:\r\n").map(|g| g.members),
            Some(vec![])
        );
        for bad in [
            "", "# c", "+", "-x:x:1:", "x:x:1", "x:x:one:", ":x:1:", "x:x:1::",
        ] {
            assert_eq!(parse_group_line(bad), None, "{bad:?}");
        }
        // The exact name, not a prefix.
        assert_eq!(find_group(GROUP_FILE, "latchkey").map(|g| g.gid), Some(990));
        assert_eq!(find_group(GROUP_FILE, "latch"), None);
    }

    #[test]
    fn passwd_lines() {
        assert_eq!(
            find_user(PASSWD, 1000),
            Some(User {
                name: "alice".into(),
                uid: 1000,
                gid: 1000,
                home: "/home/alice".into(),
            })
        );
        assert_eq!(find_user(PASSWD, 4242), None);
        assert_eq!(parse_passwd_line("broken:x:notanumber:1:::"), None);
        assert_eq!(parse_passwd_line("short:x:1003"), None);
    }

    #[test]
    fn effective_uid_is_the_second_field() {
        let status = "Name:\tlatchkey\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n";
        assert_eq!(parse_effective_uid(status), Some(0));
        assert_eq!(parse_effective_uid("Name: x\n"), None);
        assert_eq!(parse_effective_uid("Uid:\t12\n"), None);
        assert!(effective_uid().is_some(), "this process has a uid");
    }

    fn full(a: &Access) -> bool {
        *a == Access::Full
    }

    #[test]
    fn who_may_change() {
        let (p, g) = (Some(PASSWD), Some(GROUP_FILE));
        // Root and the host's own user, whatever the files say.
        assert!(full(&decide(0, 0, Some(1000), None, None)));
        assert!(full(&decide(1001, 1001, Some(1001), None, None)));
        // Supplementary member listed in /etc/group (spaces tolerated).
        assert!(full(&decide(1000, 1000, Some(0), p, g)));
        // Primary group latchkey in /etc/passwd.
        assert!(full(&decide(1002, 1002, Some(0), p, g)));
        // Primary group latchkey as the kernel reports it (e.g. newgrp, sg).
        assert!(full(&decide(1001, 990, Some(0), p, g)));
        // Not a member: bob is only in latchkeyx and users.
        let bob = decide(1001, 1001, Some(0), p, g);
        let Access::Denied(why) = &bob else {
            panic!("bob may not change: {bob:?}")
        };
        assert!(why.contains("bob") && why.contains("latchkey"), "{why}");
        // A uid with no passwd entry is judged by its gid only.
        assert!(!full(&decide(4242, 4242, Some(0), p, g)));
        assert!(full(&decide(4242, 990, Some(0), p, g)));
        // No group on the machine, or unreadable databases: fail closed.
        assert!(!full(&decide(1000, 1000, Some(0), p, Some("root:x:0:\n"))));
        assert!(!full(&decide(1000, 1000, Some(0), None, None)));
        assert!(!full(&decide(1000, 1000, None, p, None)));
        // Listed by name only: a listed name without a passwd entry does not help uid 4243.
        assert!(!full(&decide(4243, 4243, Some(0), p, g)));
    }
}
