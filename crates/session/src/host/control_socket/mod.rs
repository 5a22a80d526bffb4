//! The host's local control socket, `<config-dir>/control.sock`: one JSON
//! object per line each way. `latchkey requests|accept|deny` use it.
//!
//! ```text
//! {"cmd":"requests"}                                        -> {"ok":true,"requests":[...]}
//! {"cmd":"accept","id":"9f3c…","viewer":"ABCD-…","requested_profile":"default",
//!  "profile":null,"deny_permissions":["clipboard"]}          -> {"ok":true}
//! {"cmd":"deny","id":"9f3c…"}                               -> {"ok":true}
//! {"cmd":"desktop"}                                         -> {"ok":true,"desktop":{"capture":"wlroots","input":"wlroots","notes":[...]}}
//! {"cmd":"admin","op":{"op":"set_interactive","mode":"never"}} -> {"ok":true,"result":null}
//! {"cmd":"admin","op":{"op":"status"}}                      -> {"ok":true,"result":{...status...}}
//! anything else                                             -> {"ok":false,"code":"...","error":"..."}
//! ```
//!
//! # Who may do what
//!
//! The kernel tells the host who is on the other end (`SO_PEERCRED`). Every
//! request, reading or changing (pending requests carry viewers' names and
//! addresses, the status the host's settings), is carried out only for root,
//! the host's own user, or a member of the `latchkey` group as `/etc/group`
//! and `/etc/passwd` say at the time of the connection. Anyone else gets
//! `{"ok":false,"code":"forbidden",...}` whatever it asks.
//!
//! The file system says the same first: the socket is 0660 with group
//! `latchkey` when that group exists on the machine (and the host may give
//! the socket to it), else 0600 (the host's user only). A client refused by
//! the file system gets [`crate::Error::Forbidden`] from [`call`]. The config dir
//! around the default socket (0700) still gates who can reach it; the system
//! service's is in `/run/latchkey` (0755) for the group's sake.
//!
//! # Layout
//!
//! - `protocol`: the request and response types (the wire).
//! - [`auth`]: peer authorization, who may use the socket.
//! - `server`: the host's end ([`serve`], one task per client).
//! - `client`: the caller's end ([`locate`], [`call`]).

pub mod auth;
mod client;
mod protocol;
mod server;

pub use auth::Access;
pub use client::{call, locate, SYSTEM_SOCKET};
pub use protocol::{ControlRequest, ControlResponse, MAX_LINE};
pub use server::{
    handle_line, handle_line_as, serve, socket_mode, socket_path, AdminTarget, SOCKET_ENV,
};
