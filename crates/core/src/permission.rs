//! The 14 permissions a session can be granted, and sets of them.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::Invalid;

/// One thing a remote session may do. Names and order are shared with the CLI and UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename_all = "snake_case"))]
#[repr(u8)]
pub enum Permission {
    /// Hear the host's sound.
    HearSound,
    /// Use the host's keyboard and mouse.
    ControlInput,
    /// Share the clipboard (text and images).
    Clipboard,
    /// Copy files through the clipboard.
    ClipboardFiles,
    /// Block the host's local keyboard and mouse.
    BlockInput,
    /// Restart the host.
    Restart,
    /// Use the file manager.
    FileManager,
    /// Lock the host's session when the remote session ends.
    LockOnEnd,
    /// See system information.
    SystemInfo,
    /// Print to the viewer's printer.
    Print,
    /// Draw on the whiteboard.
    Whiteboard,
    /// Open TCP tunnels.
    TcpTunnel,
    /// Black out the host's screen (privacy mode).
    PrivacyMode,
    /// Show the viewer's pointer on the host.
    ShowPointer,
}

impl Permission {
    /// All permissions in seed order.
    pub const ALL: [Permission; 14] = [
        Permission::HearSound,
        Permission::ControlInput,
        Permission::Clipboard,
        Permission::ClipboardFiles,
        Permission::BlockInput,
        Permission::Restart,
        Permission::FileManager,
        Permission::LockOnEnd,
        Permission::SystemInfo,
        Permission::Print,
        Permission::Whiteboard,
        Permission::TcpTunnel,
        Permission::PrivacyMode,
        Permission::ShowPointer,
    ];

    /// The shared snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Permission::HearSound => "hear_sound",
            Permission::ControlInput => "control_input",
            Permission::Clipboard => "clipboard",
            Permission::ClipboardFiles => "clipboard_files",
            Permission::BlockInput => "block_input",
            Permission::Restart => "restart",
            Permission::FileManager => "file_manager",
            Permission::LockOnEnd => "lock_on_end",
            Permission::SystemInfo => "system_info",
            Permission::Print => "print",
            Permission::Whiteboard => "whiteboard",
            Permission::TcpTunnel => "tcp_tunnel",
            Permission::PrivacyMode => "privacy_mode",
            Permission::ShowPointer => "show_pointer",
        }
    }

    /// A short label for people, and one line on what granting it allows.
    pub fn describe(self) -> (&'static str, &'static str) {
        match self {
            Permission::HearSound => ("Hear sound", "The viewer hears what this computer plays."),
            Permission::ControlInput => (
                "Keyboard and mouse",
                "The viewer types and clicks on this computer as if sitting at it.",
            ),
            Permission::Clipboard => (
                "Clipboard",
                "Copied text and images travel between the two computers, both ways.",
            ),
            Permission::ClipboardFiles => (
                "Copy files via clipboard",
                "Files copied on one side can be pasted on the other.",
            ),
            Permission::BlockInput => (
                "Block local input",
                "The viewer can stop anyone here from using the keyboard and mouse.",
            ),
            Permission::Restart => (
                "Restart",
                "The viewer can restart this computer and reconnect afterwards.",
            ),
            Permission::FileManager => (
                "File manager",
                "The viewer can browse, copy and delete files on this computer.",
            ),
            Permission::LockOnEnd => (
                "Lock when the session ends",
                "This computer's session is locked when the viewer leaves.",
            ),
            Permission::SystemInfo => (
                "System information",
                "The viewer can see hardware, operating system and network details.",
            ),
            Permission::Print => (
                "Print",
                "Documents printed here can come out of the viewer's printer.",
            ),
            Permission::Whiteboard => (
                "Whiteboard",
                "The viewer can draw on top of this screen for the person here.",
            ),
            Permission::TcpTunnel => (
                "TCP tunnels",
                "The viewer can reach network services through this computer.",
            ),
            Permission::PrivacyMode => (
                "Privacy mode",
                "The viewer can black out this screen so nobody here sees the session.",
            ),
            Permission::ShowPointer => (
                "Show pointer",
                "The viewer's pointer is shown here, without moving this computer's pointer.",
            ),
        }
    }

    /// All names, in seed order.
    pub fn names() -> Vec<&'static str> {
        Permission::ALL.iter().map(|p| p.name()).collect()
    }

    fn bit(self) -> u16 {
        1 << (self as u8)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Permission {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Permission::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| Invalid::UnknownPermission(s.to_string()))
    }
}

impl Serialize for Permission {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A set of permissions. Serialized as a list of names in seed order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(as = "Vec<Permission>"))]
pub struct PermissionSet(u16);

impl PermissionSet {
    /// No permission at all (view only).
    pub const NONE: PermissionSet = PermissionSet(0);

    /// Every permission.
    pub fn all() -> Self {
        Permission::ALL.into_iter().collect()
    }

    /// Whether `p` is in the set.
    pub fn contains(self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }

    /// Add or remove `p`.
    pub fn set(&mut self, p: Permission, on: bool) {
        if on {
            self.0 |= p.bit();
        } else {
            self.0 &= !p.bit();
        }
    }

    /// The set without `p`.
    pub fn without(mut self, p: Permission) -> Self {
        self.set(p, false);
        self
    }

    /// Permissions in both sets (used when the person accepting lowers a grant).
    pub fn intersect(self, other: PermissionSet) -> Self {
        PermissionSet(self.0 & other.0)
    }

    /// Members in seed order.
    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }

    /// Member names in seed order.
    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Permission::name).collect()
    }

    /// Number of members.
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        let mut set = PermissionSet::NONE;
        for p in iter {
            set.set(p, true);
        }
        set
    }
}

impl fmt::Debug for PermissionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl Serialize for PermissionSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for PermissionSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let list = Vec::<Permission>::deserialize(d)?;
        Ok(list.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_in_seed_order() {
        assert_eq!(Permission::ALL.len(), 14);
        for p in Permission::ALL {
            assert_eq!(p.name().parse::<Permission>(), Ok(p));
        }
        assert_eq!(Permission::names()[0], "hear_sound");
        assert_eq!(Permission::names()[13], "show_pointer");
        assert!(matches!(
            "teleport".parse::<Permission>(),
            Err(Invalid::UnknownPermission(_))
        ));
    }

    #[test]
    fn set_operations() {
        let mut s = PermissionSet::NONE;
        assert!(s.is_empty());
        s.set(Permission::Clipboard, true);
        s.set(Permission::HearSound, true);
        assert_eq!(s.names(), vec!["hear_sound", "clipboard"]);
        assert_eq!(PermissionSet::all().len(), 14);
        assert_eq!(PermissionSet::all().without(Permission::Print).len(), 13);
        assert_eq!(s.intersect(PermissionSet::all()), s);
        let json = serde_json::to_string(&s).expect("serialize");
        assert_eq!(json, r#"["hear_sound","clipboard"]"#);
        assert_eq!(
            serde_json::from_str::<PermissionSet>(&json).expect("parse"),
            s
        );
        assert!(serde_json::from_str::<PermissionSet>(r#"["fly"]"#).is_err());
    }
}
