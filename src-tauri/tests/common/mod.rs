//! Helpers for the app's integration tests.
pub mod webdriver;
