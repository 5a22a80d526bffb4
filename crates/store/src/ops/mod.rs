//! The administrative operations on a host's configuration, shared by the
//! `latchkey` CLI and the desktop app so both follow the same rules: each
//! checks its input with the core, changes the settings through
//! [`Config::update`] and records what it did in the audit log.
//!
//! Each operation is a function (for Rust callers, with borrowed inputs) and
//! a struct carrying its inputs that implements [`Operation`]: its output
//! type, whether it changes anything, and `apply`. [`AdminOp`] lists the
//! ones a host carries out for another program (the control socket) and
//! delegates to them.
//!
//! # Layout
//!
//! - [`mod@status`]: the whole status, the audit log, times as RFC 3339.
//! - [`access`]: interactive mode, saved logins allowed, unattended access per profile.
//! - [`passwords`]: judge, set, verify and clear a profile's password.
//! - [`tokens`]: list, issue and revoke saved-login tokens.
//! - [`two_factor`]: enrol, confirm, disable 2FA and its exemptions.
//! - [`profiles`]: create, rename, delete, enable profiles and their permissions.
//! - [`acl`]: the access control list.

use serde::{Deserialize, Serialize};

use latchkey_core::Error as CoreError;

use crate::{Config, Error};

pub mod access;
pub mod acl;
pub mod passwords;
pub mod profiles;
pub mod status;
pub mod tokens;
pub mod two_factor;

pub use access::{set_interactive, set_save_login, set_unattended};
pub use access::{SetInteractive, SetSaveLogin, SetUnattended};
pub use acl::{acl_add, acl_list, acl_remove, set_acl_enabled};
pub use acl::{AddAclEntry, ListAcl, RemoveAclEntry, SetAcl};
pub use passwords::{clear_password, password_strength, set_password, verify_password};
pub use passwords::{ClearPassword, PasswordStrength, SetPassword, VerifyPassword};
pub use profiles::{
    create_profile, delete_profile, rename_profile, set_default_profile, set_permission,
    set_profile_enabled, set_tunnel_destinations, show_profile,
};
pub use profiles::{
    CreateProfile, DeleteProfile, RenameProfile, SetDefaultProfile, SetPermission,
    SetProfileEnabled, SetTunnelDestinations, ShowProfile,
};
pub use status::{audit, rfc3339, status, GetStatus, ReadAudit, Status};
pub use tokens::{
    clear_tokens, issue_reconnect, issue_token, list_tokens, revoke_token, TokenSummary,
};
pub use tokens::{ClearTokens, IssueToken, ListTokens, RevokeToken};
pub use two_factor::{
    confirm_two_factor, disable_two_factor, enroll_two_factor, set_two_factor_scope,
    two_factor_status, Enrollment, RecoveryCodes, TwoFactorScope, TwoFactorStatus,
};
pub use two_factor::{
    ConfirmTwoFactor, DisableTwoFactor, EnrollTwoFactor, GetTwoFactorStatus, SetTwoFactorScope,
};

/// One operation on a configuration, as data (mini-redis's `cmd/`: one
/// struct per command, with the same methods).
pub trait Operation {
    /// What it returns.
    type Output;
    /// Whether it changes anything (only trusted callers may send those).
    const CHANGES: bool;
    /// Carry it out on `config`.
    fn apply(self, config: &mut Config) -> Result<Self::Output, Error>;
}

/// An output as JSON, for a program on the other end.
fn to_json<T: Serialize>(output: T) -> Result<serde_json::Value, Error> {
    serde_json::to_value(output).map_err(|e| Error::Core(CoreError::Corrupt(e.to_string())))
}

/// Declares [`AdminOp`] from its list of `Variant(Operation)`, with the
/// delegations (`changes_anything`, `apply`, `From`) written once.
macro_rules! admin_ops {
    ($( $(#[$doc:meta])* $variant:ident($op:ty), )*) => {
        /// One administrative operation as data: what the desktop app asks of a
        /// host it does not run (the system service, through its control socket),
        /// and what that host applies to its own configuration. The same
        /// operations as above, so the rules are the same wherever the change
        /// comes from. On the wire: `{"op":"set_interactive","mode":"never"}`.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "op", rename_all = "snake_case")]
        pub enum AdminOp {
            $( $(#[$doc])* $variant($op), )*
        }

        impl AdminOp {
            /// Whether it changes anything (only trusted callers may send those):
            /// the operation's own [`Operation::CHANGES`].
            pub fn changes_anything(&self) -> bool {
                match self {
                    $( AdminOp::$variant(_) => <$op as Operation>::CHANGES, )*
                }
            }

            /// Carry it out on `config`; the result as JSON (what the
            /// operation returns: a status, a list, a count, the enrolment, ...).
            pub fn apply(self, config: &mut Config) -> Result<serde_json::Value, Error> {
                match self {
                    $( AdminOp::$variant(op) => to_json(op.apply(config)?), )*
                }
            }
        }

        $(
            impl From<$op> for AdminOp {
                fn from(op: $op) -> Self {
                    AdminOp::$variant(op)
                }
            }
        )*
    };
}

admin_ops! {
    /// Read the status.
    Status(GetStatus),
    /// Interactive mode.
    SetInteractive(SetInteractive),
    /// Allow saving login information.
    SetSaveLogin(SetSaveLogin),
    /// Read the saved logins.
    ListTokens(ListTokens),
    /// Revoke one saved login.
    RevokeToken(RevokeToken),
    /// Revoke every saved login.
    ClearTokens(ClearTokens),
    /// Start a 2FA enrolment.
    EnrollTwoFactor(EnrollTwoFactor),
    /// Confirm it with a code.
    ConfirmTwoFactor(ConfirmTwoFactor),
    /// Turn 2FA off.
    DisableTwoFactor(DisableTwoFactor),
    /// An exemption.
    SetTwoFactorScope(SetTwoFactorScope),
    /// A new profile.
    CreateProfile(CreateProfile),
    /// Rename a profile.
    RenameProfile(RenameProfile),
    /// Delete a profile.
    DeleteProfile(DeleteProfile),
    /// Enable or disable a profile.
    SetProfileEnabled(SetProfileEnabled),
    /// Grant or withdraw a permission.
    SetPermission(SetPermission),
    /// The default profile.
    SetDefaultProfile(SetDefaultProfile),
    /// Where a profile's tunnels may lead.
    SetTunnelDestinations(SetTunnelDestinations),
    /// Unattended access for a profile.
    SetUnattended(SetUnattended),
    /// Judge a password (read-only).
    PasswordStrength(PasswordStrength),
    /// Set a profile's password.
    SetPassword(SetPassword),
    /// Remove a profile's password.
    ClearPassword(ClearPassword),
    /// Read the access control list.
    ListAcl(ListAcl),
    /// Put a viewer on the access control list.
    AddAclEntry(AddAclEntry),
    /// Take a viewer off the access control list.
    RemoveAclEntry(RemoveAclEntry),
    /// Turn the access control list on or off.
    SetAcl(SetAcl),
}

#[cfg(test)]
mod tests;
