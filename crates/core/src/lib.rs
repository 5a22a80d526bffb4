//! # latchkey-core: the rules of unattended access, with no I/O
//!
//! Everything that decides who may reach a Latchkey host lives here, as plain
//! data and pure functions: no files, no sockets, no async runtime, no clock and
//! no global randomness. Time comes in as a [`UnixTime`] argument and randomness
//! as a `&mut impl CryptoRngCore`, so every rule can be unit-tested, property
//! tested and fuzzed deterministically. The `store` crate persists what this
//! crate produces; the `session` crate drives it over the network.
//!
//! # Layout
//!
//! - [`access`]: the access decision (DESIGN §2) as pure functions over the settings.
//! - [`acl`]: the access control list: which viewer keys may ask at all, and for which profiles.
//! - [`feature`]: the feature registry: each feature's name, permission, channel, wire messages and limits.
//! - [`handshake`]: the session handshake messages and the signed transcript, and both
//!   sides of it as typed states: [`handshake::host`] and [`handshake::viewer`] (sans-I/O,
//!   fed with messages, decisions and ticks; drained through `poll_output`).
//! - [`bitrate`]: loss-based send-bitrate control for the video track.
//! - [`deep_link`]: `latchkey://connect/ID` links, refused whole when they carry secrets.
//! - [`identity`]: a device's Ed25519 key pair and its short human fingerprint.
//! - [`permission`]: the 14 permissions and sets of them.
//! - [`profile`]: permission profiles, the four built-ins and the rules for editing them.
//! - [`password_policy`]: what makes an unattended password acceptable (zxcvbn plus explicit rules).
//! - [`pake`]: OPAQUE registration records and the two halves of a login, with Argon2id key stretching.
//! - [`token`]: saved-login tokens, bound to a device key and a password epoch, kept only as hashes.
//! - [`totp`]: the TOTP second factor: enrolment, codes with replay refusal, recovery codes.
//! - [`throttle`]: back-off after failed logins per viewer key and per source address.
//! - [`signal`]: the rendezvous wire protocol (registration, presence, SDP/ICE relay).
//! - [`settings`]: the versioned settings model, its JSON form and migrations.
//! - [`audit`]: the security events written to the audit log.
//! - [`time`]: [`UnixTime`], the only notion of time in this crate.
//! - [`error`]: the crate's error type.
//! - [`error_code`]: [`ErrorCode`], the machine-readable failure names every program reads.
//!
//! # Secrets
//!
//! Types that hold secrets ([`token::Token`], [`totp::TotpSecret`], [`pake::ServerSecret`],
//! [`identity::DeviceKey`]) zeroize on drop and print as `REDACTED` through `Debug`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod access;
pub mod acl;
pub mod audit;
pub mod bitrate;
pub mod deep_link;
pub mod error;
pub mod error_code;
pub mod feature;
pub mod handshake;
pub mod identity;
pub mod pake;
pub mod password_policy;
pub mod permission;
pub mod profile;
pub mod reconnect;
pub mod settings;
pub mod signal;
pub mod throttle;
pub mod time;
pub mod token;
pub mod totp;

pub use error::{Error, Invalid};
pub use error_code::ErrorCode;
pub use time::UnixTime;

/// Randomness source accepted by every function that needs it: a cryptographic RNG.
pub use rand_core::CryptoRngCore;
