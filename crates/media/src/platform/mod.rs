//! Per-OS helpers that the portable modules call. Only Linux/X11 exists so far.

#[cfg(target_os = "linux")]
pub(crate) mod linux;
