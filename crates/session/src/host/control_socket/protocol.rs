//! The control socket's wire: one JSON object per line each way, a
//! [`ControlRequest`] in and a [`ControlResponse`] out (the table is in the
//! parent module's docs).

use serde::{Deserialize, Serialize};

use latchkey_core::ErrorCode;
use latchkey_store::ops::AdminOp;

use crate::host::requests::{RemotePointer, RequestInfo};

/// Longest request line accepted.
pub const MAX_LINE: usize = 64 * 1024;

/// A request on the socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case", deny_unknown_fields)]
pub enum ControlRequest {
    /// List pending requests.
    Requests,
    /// Accept one: only if it is still the request the person saw.
    Accept {
        /// Request id.
        id: String,
        /// The viewer's key fingerprint, as shown to the person accepting.
        viewer: String,
        /// The profile the viewer asked for, as shown.
        requested_profile: String,
        /// Another profile to grant.
        #[serde(default)]
        profile: Option<String>,
        /// Permissions to withdraw.
        #[serde(default)]
        deny_permissions: Vec<String>,
    },
    /// Deny one.
    Deny {
        /// Request id.
        id: String,
    },
    /// Pointers of viewers that may show theirs but not move the host's.
    Pointers,
    /// Which capture and input paths the host opened on its desktop (`status`).
    Desktop,
    /// A settings operation on the host's own configuration (the desktop
    /// app uses it as the control panel of a host it does not run).
    Admin {
        /// What to do.
        op: AdminOp,
    },
}

impl ControlRequest {
    /// Whether the request changes anything on the host (a decision, a
    /// setting), as opposed to reading. Only trusted callers may send those
    /// (see the module docs). No wildcard arm: a new request must be classified.
    pub fn changes_anything(&self) -> bool {
        match self {
            ControlRequest::Requests | ControlRequest::Pointers | ControlRequest::Desktop => false,
            ControlRequest::Accept { .. } | ControlRequest::Deny { .. } => true,
            ControlRequest::Admin { op } => op.changes_anything(),
        }
    }
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlResponse {
    /// Whether it worked.
    pub ok: bool,
    /// For `requests`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<Vec<RequestInfo>>,
    /// For `pointers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointers: Option<Vec<RemotePointer>>,
    /// For `desktop`: the capture and input paths the host opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desktop: Option<latchkey_media::session::DesktopReport>,
    /// For `admin`: what the operation returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    /// Machine-readable failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<ErrorCode>,
    /// For people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

pub(crate) fn failure(code: ErrorCode, error: impl Into<String>) -> ControlResponse {
    ControlResponse {
        ok: false,
        requests: None,
        pointers: None,
        desktop: None,
        result: None,
        code: Some(code),
        error: Some(error.into()),
    }
}

pub(crate) fn success() -> ControlResponse {
    ControlResponse {
        ok: true,
        requests: None,
        pointers: None,
        desktop: None,
        result: None,
        code: None,
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The code goes out as the same string as before it was an enum.
    #[test]
    fn a_failure_keeps_its_wire_form() {
        let r = failure(ErrorCode::RequestMismatch, "look again");
        let wire = serde_json::to_string(&r).expect("json");
        assert_eq!(
            wire,
            r#"{"ok":false,"code":"request_mismatch","error":"look again"}"#
        );
        let back: ControlResponse = serde_json::from_str(&wire).expect("parse");
        assert_eq!(back, r);
        assert_eq!(
            serde_json::to_string(&success()).expect("json"),
            r#"{"ok":true}"#
        );
    }
}
