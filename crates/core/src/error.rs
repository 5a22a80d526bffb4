//! The crate's error type: refused input, failed authentication, corrupt data.

/// Everything that can go wrong in the core.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The request breaks one of the rules (bad name, weak password, unknown profile...).
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// A password, code or token did not match.
    #[error("authentication failed")]
    AuthenticationFailed,
    /// Stored data could not be decoded. The string says what and where.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The settings were written by a newer Latchkey.
    #[error("the settings file has version {found}, newer than this build understands (up to {supported}); upgrade Latchkey rather than lose them")]
    NewerSettings {
        /// Version found in the file.
        found: u32,
        /// Highest version this build reads.
        supported: u32,
    },
    /// A cryptographic primitive failed where it should not (a bug or exhausted memory).
    #[error("cryptographic failure: {0}")]
    Crypto(&'static str),
}

/// A request that the rules refuse. Each message is meant for the person who made it.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
#[non_exhaustive]
pub enum Invalid {
    /// No profile has this name.
    #[error("unknown profile '{0}'")]
    UnknownProfile(String),
    /// Not one of the 14 permission names.
    #[error("unknown permission '{0}' (known: {known})", known = crate::permission::Permission::names().join(", "))]
    UnknownPermission(String),
    /// Profile names are 1 to 32 of `a-z 0-9 _ -`.
    #[error("invalid profile name '{0}': use 1 to 32 of a-z, 0-9, '_' and '-'")]
    BadProfileName(String),
    /// The name is taken.
    #[error("a profile named '{0}' already exists")]
    ProfileExists(String),
    /// Built-in profiles cannot be renamed or deleted.
    #[error("'{0}' is a built-in profile: it can be edited and disabled, not {1}")]
    BuiltinProfile(String, &'static str),
    /// The default profile cannot be deleted or disabled.
    #[error("'{0}' is the default profile: make another profile the default first")]
    IsDefaultProfile(String),
    /// A disabled profile cannot become the default.
    #[error("profile '{0}' is disabled: enable it first")]
    ProfileDisabled(String),
    /// Unattended access needs a password on that profile.
    #[error(
        "profile '{0}' has no password: set one with 'latchkey password set --profile {0}' first"
    )]
    NoPassword(String),
    /// The password policy refused the password.
    #[error("password refused: {}", .0.join("; "))]
    WeakPassword(Vec<String>),
    /// No token has this id.
    #[error("unknown token '{0}'")]
    UnknownToken(String),
    /// `2fa confirm` without a pending enrolment.
    #[error("no two-factor enrolment is pending: run 'latchkey 2fa enroll' first")]
    NoPendingEnrollment,
    /// 2FA is already on; disable it before enrolling again.
    #[error("two-factor authentication is already on: disable it first to enrol a new secret")]
    TwoFactorAlreadyOn,
    /// Saving login information is off, so no token may be issued.
    #[error("this host does not allow saving login information")]
    SaveLoginOff,
    /// A token may only be issued for an enabled profile with unattended access on.
    #[error("profile '{0}' is disabled or has unattended access off")]
    ProfileNotUnattended(String),

    /// The profile's password was set (its epoch moved) while a login was under way.
    #[error("the password of profile '{0}' changed during this login")]
    PasswordChanged(String),
    /// A second-factor code that passed was used by another login meanwhile.
    #[error("the second-factor code was already used")]
    CodeAlreadyUsed,
    /// A TOTP code is six digits.
    #[error("a code is 6 digits (or a recovery code like ABCD-EFGH-IJKL-MNOP)")]
    MalformedCode,
    /// A label too long or with control characters.
    #[error("invalid label: at most 64 printable characters")]
    BadLabel,
    /// Not a device key fingerprint.
    #[error("'{0}' is not a device key fingerprint: expected 16 characters of A-Z and 2-7, like ABCD-EFGH-IJKL-MNOP (run 'latchkey status' on the viewer)")]
    BadFingerprint(String),
    /// A viewer ID where the access control list needs a fingerprint.
    #[error("'{0}' looks like a device ID: the access control list takes the viewer's key fingerprint (run 'latchkey status' on the viewer), since a viewer does not prove an ID")]
    ViewerIdInAcl(String),
    /// The fingerprint is not on the access control list.
    #[error("{0} is not on the access control list")]
    NotOnAcl(String),
    /// Not `any`, `none` or a list of tunnel destination patterns.
    #[error("{0}")]
    BadTunnelDestinations(String),
}

impl Error {
    /// Shorthand for a [`Error::Corrupt`] with a message.
    pub fn corrupt(what: impl Into<String>) -> Self {
        Error::Corrupt(what.into())
    }
}
