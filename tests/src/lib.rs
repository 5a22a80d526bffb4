//! # latchkey-e2e: the process-level end-to-end suites and their harness
//!
//! The second layer of tests (the first is each crate's unit tests, such as
//! the handshake's in `latchkey-core`): real `latchkey` processes, a real
//! rendezvous, a real Secret Service, real X servers and the real desktop
//! app, talking over loopback only (or inside network namespaces a test
//! made for itself, [`netns`]).
//!
//! # Layout
//!
//! - `cli/*.rs`: one suite per topic for the `latchkey` binary and the service
//!   (`cargo test -p latchkey-e2e --test sessions`).
//! - `app/real_app.rs`: the desktop app under Xvfb, driven through WebDriver.
//! - [`bins`]: where the binaries under test are, refused when stale.
//! - [`cli`]: devices (config dirs), processes, the rendezvous, outcomes.
//! - [`coturn`]: a TURN server of the test's own (coturn, `use-auth-secret`, TLS).
//! - [`cups`]: a CUPS scheduler of the test's own, with Latchkey's backend.
//! - [`desktop`]: a host on a private X display and what the suites read from it.
//! - [`desktop_user`]: a throwaway desktop user and a fake `loginctl`, for a root host.
//! - [`netns`]: network namespaces with no default route, linked by veth pairs.
//! - [`nspawn`]: a booted Debian container (systemd as PID 1) with the .deb installed.
//! - [`raw_host`], [`raw_viewer`]: hand-driven sides of the handshake that
//!   send what the real ones never would.
//! - [`redis`]: a private `redis-server` and `latchkey-rendezvous --redis` nodes on it.
//! - [`sound`]: a private PulseAudio server (null sink), tones, a WAV's peak frequency and level.
//! - [`trees`]: a file's hash, a tree's files, links and modes, to compare copies.
//! - [`webdriver`]: a minimal WebDriver client for the app.
//!
//! Build the binaries first (`cargo build --workspace --bins`;
//! `scripts/test.sh` does): cargo builds only a package's own binaries for its tests.

pub mod bins;
pub mod cli;
pub mod coturn;
pub mod cups;
pub mod desktop;
pub mod desktop_user;
pub mod netns;
pub mod nspawn;
pub mod raw_host;
pub mod raw_viewer;
pub mod redis;
pub mod sound;
pub mod trees;
pub mod webdriver;
