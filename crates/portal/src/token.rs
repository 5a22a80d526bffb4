//! The restore-token rules, with no I/O: what to ask the portal for, and what
//! a Start's outcome means for the token kept and for the person at the desk.
//!
//! xdg-desktop-portal's RemoteDesktop (version 2 and later) hands out a
//! restore token with every successful Start when asked to persist
//! (`persist_mode` 2, "until revoked"). Passing it to the next session's
//! `SelectDevices` restores the approved selection with no dialog. Each token
//! is good for one restore: the portal answers every Start with a new token
//! and forgets the old one, so the new token always replaces the old. When a
//! token is not accepted (revoked, expired, another desktop, another user),
//! the portal falls back to its dialog: someone at the desk must approve once.
//!
//! Time is an input (`now` in Unix seconds); nothing here reads the clock.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A restore token handed out by the portal. It lets the next session start
/// with no dialog, so it is kept like a credential: its `Debug` shows nothing
/// of it, and it is never logged.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RestoreToken(String);

impl RestoreToken {
    /// Wraps a token string the portal returned; `None` when empty (the
    /// portal's way of saying it remembered nothing).
    pub fn new(token: impl Into<String>) -> Option<Self> {
        let token = token.into();
        (!token.is_empty()).then_some(RestoreToken(token))
    }

    /// The token, to pass to `SelectDevices`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for RestoreToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RestoreToken(..)")
    }
}

/// What a session shares; the portal keeps approvals for each apart (a
/// screen cast's token restores no remote desktop session, nor the reverse).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    /// Screen, pointer and keys (`org.freedesktop.portal.RemoteDesktop`).
    RemoteDesktop,
    /// The screen only, for view-only sessions (`org.freedesktop.portal.ScreenCast`).
    ScreenCast,
}

/// An approval the person at the desk gave, as the portal remembers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The token for the next session.
    pub token: RestoreToken,
    /// What it approved.
    pub kind: SessionKind,
    /// The desktop whose portal gave it (`XDG_CURRENT_DESKTOP`, e.g. `KDE`):
    /// tokens live in that desktop's portal backend and mean nothing to another.
    pub desktop: String,
    /// When it was handed out, Unix seconds (every Start hands out a new one).
    pub granted_at: u64,
}

/// Why the next Start will show the portal's dialog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum AskReason {
    /// No approval was ever given here (or it was cleared).
    NeverApproved,
    /// The approval kept was given on another desktop.
    OtherDesktop {
        /// The desktop it was given on.
        approved_on: String,
    },
    /// The portal did not accept the kept token (revoked, expired, or the
    /// portal's permission store was reset) and showed its dialog instead.
    TokenRefused,
    /// The last session was approved without "remember" (or the portal is too
    /// old to hand out restore tokens), so there is nothing to restore.
    NotRemembered,
}

impl std::fmt::Display for AskReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AskReason::NeverApproved => f.write_str("no approval was given here yet"),
            AskReason::OtherDesktop { approved_on } => {
                write!(
                    f,
                    "the approval kept was given on another desktop ({approved_on})"
                )
            }
            AskReason::TokenRefused => f.write_str("the portal did not accept the approval kept"),
            AskReason::NotRemembered => f.write_str("the last approval was not remembered"),
        }
    }
}

impl AskReason {
    /// What the app tells the user about this step.
    pub fn explain(&self) -> String {
        let why = match self {
            AskReason::NeverApproved => {
                "This desktop shares its screen and input only after someone at this computer has approved it once.".to_string()
            }
            AskReason::OtherDesktop { approved_on } => format!(
                "The approval was given on another desktop ({approved_on}); this desktop needs its own."
            ),
            AskReason::TokenRefused => {
                "The desktop no longer accepts the earlier approval (it was revoked or has expired).".to_string()
            }
            AskReason::NotRemembered => {
                "The last approval was given without \"remember\", so the desktop will ask again.".to_string()
            }
        };
        format!(
            "{why} The person at the desk must approve once: turn unattended access on while sitting at this \
             computer and choose Share in the desktop's dialog, keeping \"Remember this selection\" on. \
             After that, remote sessions start without asking."
        )
    }
}

/// What to ask the portal for in `SelectDevices`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Pass this token: the session should start with no dialog.
    Restore(RestoreToken),
    /// No usable token: the portal will show its dialog, and someone at the
    /// desk must approve once.
    AskOnce(AskReason),
}

impl Plan {
    /// The token to pass, if any.
    pub fn token(&self) -> Option<&RestoreToken> {
        match self {
            Plan::Restore(t) => Some(t),
            Plan::AskOnce(_) => None,
        }
    }
}

/// How a Start ended, as seen on the bus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartOutcome {
    /// Response 0: sharing runs; the portal's new restore token, if it gave one.
    Granted(Option<RestoreToken>),
    /// Response 1: the dialog was shown and the person at the desk said no.
    Cancelled,
    /// Response 2: the portal failed for another reason.
    Failed,
    /// No response in the time allowed: the portal is showing its dialog and
    /// nobody has answered it.
    NoAnswer,
}

/// What the caller makes of a Start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Sharing runs. `remembered`: the next session needs no approval.
    Sharing {
        /// Whether a new token was kept for the next session.
        remembered: bool,
    },
    /// The person at the desk must approve once ([`AskReason::explain`]).
    DeskMustApproveOnce(AskReason),
    /// The dialog was shown and refused at the desk.
    DeclinedAtDesk,
    /// The portal failed; the token kept (if any) is still the one to try.
    PortalFailed,
}

/// The restore tokens kept between sessions (one per [`SessionKind`]), and
/// why one is missing when it is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenState {
    #[serde(default)]
    grants: BTreeMap<SessionKind, Grant>,
    #[serde(default)]
    lost: BTreeMap<SessionKind, AskReason>,
}

impl TokenState {
    /// The approval kept for `kind`, if any.
    pub fn grant(&self, kind: SessionKind) -> Option<&Grant> {
        self.grants.get(&kind)
    }

    /// What to ask the portal of `desktop` (`XDG_CURRENT_DESKTOP`) for, for a
    /// session of `kind`.
    pub fn plan(&self, desktop: &str, kind: SessionKind) -> Plan {
        match self.grants.get(&kind) {
            Some(g) if g.desktop == desktop => Plan::Restore(g.token.clone()),
            Some(g) => Plan::AskOnce(AskReason::OtherDesktop {
                approved_on: g.desktop.clone(),
            }),
            None => Plan::AskOnce(
                self.lost
                    .get(&kind)
                    .cloned()
                    .unwrap_or(AskReason::NeverApproved),
            ),
        }
    }

    /// Takes in how a Start of `kind` that followed `plan` on `desktop` ended,
    /// at `now` (Unix seconds); updates the token kept and says what it means.
    /// The caller saves the state afterwards: a granted Start always changes it.
    pub fn on_start(
        &mut self,
        plan: &Plan,
        desktop: &str,
        kind: SessionKind,
        outcome: StartOutcome,
        now: u64,
    ) -> Verdict {
        match outcome {
            StartOutcome::Granted(Some(token)) => {
                // The portal hands out a new token each time and forgets the
                // one it was given: the old one is now worthless.
                self.grants.insert(
                    kind,
                    Grant {
                        token,
                        kind,
                        desktop: desktop.to_string(),
                        granted_at: now,
                    },
                );
                self.lost.remove(&kind);
                Verdict::Sharing { remembered: true }
            }
            StartOutcome::Granted(None) => {
                self.grants.remove(&kind);
                self.lost.insert(kind, AskReason::NotRemembered);
                Verdict::Sharing { remembered: false }
            }
            StartOutcome::Cancelled | StartOutcome::NoAnswer => match plan {
                Plan::Restore(_) => {
                    // A good token restores with no dialog; a dialog (refused
                    // or unanswered) means the portal did not take it.
                    self.grants.remove(&kind);
                    self.lost.insert(kind, AskReason::TokenRefused);
                    if outcome == StartOutcome::Cancelled {
                        Verdict::DeclinedAtDesk
                    } else {
                        Verdict::DeskMustApproveOnce(AskReason::TokenRefused)
                    }
                }
                Plan::AskOnce(reason) => {
                    if outcome == StartOutcome::Cancelled {
                        Verdict::DeclinedAtDesk
                    } else {
                        Verdict::DeskMustApproveOnce(reason.clone())
                    }
                }
            },
            // Whether the portal spent the token on a failed Start is unknown;
            // it stays the best one to try (a refused token falls back to the
            // dialog anyway).
            StartOutcome::Failed => Verdict::PortalFailed,
        }
    }

    /// Forgets every approval (turning unattended access off, or "forget
    /// this computer's approval"); the next Start asks the desk again.
    pub fn clear(&mut self) {
        self.grants.clear();
        self.lost.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RD: SessionKind = SessionKind::RemoteDesktop;
    const SC: SessionKind = SessionKind::ScreenCast;

    fn token(s: &str) -> RestoreToken {
        RestoreToken::new(s).expect("non-empty")
    }

    fn granted(s: &str) -> StartOutcome {
        StartOutcome::Granted(Some(token(s)))
    }

    /// A start on `desktop` as its plan says, ending in `outcome` at `now`.
    fn start(
        state: &mut TokenState,
        desktop: &str,
        kind: SessionKind,
        outcome: StartOutcome,
        now: u64,
    ) -> Verdict {
        let plan = state.plan(desktop, kind);
        state.on_start(&plan, desktop, kind, outcome, now)
    }

    #[test]
    fn nothing_kept_asks_the_desk_once() {
        let state = TokenState::default();
        assert_eq!(
            state.plan("KDE", RD),
            Plan::AskOnce(AskReason::NeverApproved)
        );
        assert_eq!(state.plan("KDE", RD).token(), None);
    }

    #[test]
    fn every_start_replaces_the_token() {
        let mut state = TokenState::default();
        let v = start(&mut state, "KDE", RD, granted("t1"), 100);
        assert_eq!(v, Verdict::Sharing { remembered: true });
        assert_eq!(state.plan("KDE", RD), Plan::Restore(token("t1")));

        let v = start(&mut state, "KDE", RD, granted("t2"), 200);
        assert_eq!(v, Verdict::Sharing { remembered: true });
        assert_eq!(state.plan("KDE", RD), Plan::Restore(token("t2")));
        let grant = state.grant(RD).expect("kept");
        assert_eq!((grant.desktop.as_str(), grant.granted_at), ("KDE", 200));
    }

    #[test]
    fn a_refused_token_falls_back_to_asking_once() {
        let mut state = TokenState::default();
        start(&mut state, "KDE", RD, granted("t1"), 1);
        let v = start(&mut state, "KDE", RD, StartOutcome::NoAnswer, 2);
        assert_eq!(v, Verdict::DeskMustApproveOnce(AskReason::TokenRefused));
        assert_eq!(state.grant(RD), None);
        // The reason survives until the desk approves.
        assert_eq!(
            state.plan("KDE", RD),
            Plan::AskOnce(AskReason::TokenRefused)
        );
        let v = start(&mut state, "KDE", RD, StartOutcome::NoAnswer, 3);
        assert_eq!(v, Verdict::DeskMustApproveOnce(AskReason::TokenRefused));
        // The desk approves: back to no prompts.
        start(&mut state, "KDE", RD, granted("t3"), 4);
        assert_eq!(state.plan("KDE", RD), Plan::Restore(token("t3")));
    }

    #[test]
    fn a_dialog_refused_at_the_desk_drops_the_token() {
        let mut state = TokenState::default();
        start(&mut state, "GNOME", RD, granted("t1"), 1);
        assert_eq!(
            start(&mut state, "GNOME", RD, StartOutcome::Cancelled, 2),
            Verdict::DeclinedAtDesk
        );
        assert_eq!(
            state.plan("GNOME", RD),
            Plan::AskOnce(AskReason::TokenRefused)
        );
    }

    #[test]
    fn a_portal_failure_keeps_the_token() {
        let mut state = TokenState::default();
        start(&mut state, "KDE", RD, granted("t1"), 1);
        assert_eq!(
            start(&mut state, "KDE", RD, StartOutcome::Failed, 2),
            Verdict::PortalFailed
        );
        assert_eq!(state.plan("KDE", RD), Plan::Restore(token("t1")));
    }

    #[test]
    fn approval_without_remember_is_said() {
        let mut state = TokenState::default();
        start(&mut state, "KDE", RD, granted("t1"), 1);
        let v = start(&mut state, "KDE", RD, StartOutcome::Granted(None), 2);
        assert_eq!(v, Verdict::Sharing { remembered: false });
        assert_eq!(
            state.plan("KDE", RD),
            Plan::AskOnce(AskReason::NotRemembered)
        );
    }

    #[test]
    fn a_token_from_another_desktop_is_not_used() {
        let mut state = TokenState::default();
        start(&mut state, "KDE", RD, granted("t1"), 1);
        assert_eq!(
            state.plan("GNOME", RD),
            Plan::AskOnce(AskReason::OtherDesktop {
                approved_on: "KDE".into()
            })
        );
        let v = start(&mut state, "GNOME", RD, StartOutcome::NoAnswer, 2);
        assert!(
            matches!(
                v,
                Verdict::DeskMustApproveOnce(AskReason::OtherDesktop { .. })
            ),
            "{v:?}"
        );
        // The KDE approval is still there for KDE.
        assert_eq!(state.plan("KDE", RD), Plan::Restore(token("t1")));
    }

    #[test]
    fn screen_cast_and_remote_desktop_tokens_are_apart() {
        let mut state = TokenState::default();
        start(&mut state, "GNOME", SC, granted("sc1"), 1);
        assert_eq!(
            state.plan("GNOME", RD),
            Plan::AskOnce(AskReason::NeverApproved)
        );
        start(&mut state, "GNOME", RD, granted("rd1"), 2);
        assert_eq!(state.plan("GNOME", SC), Plan::Restore(token("sc1")));
        assert_eq!(state.plan("GNOME", RD), Plan::Restore(token("rd1")));
        // A refused screen-cast token leaves the remote desktop one alone.
        start(&mut state, "GNOME", SC, StartOutcome::NoAnswer, 3);
        assert_eq!(
            state.plan("GNOME", SC),
            Plan::AskOnce(AskReason::TokenRefused)
        );
        assert_eq!(state.plan("GNOME", RD), Plan::Restore(token("rd1")));
    }

    #[test]
    fn clearing_forgets_the_approval() {
        let mut state = TokenState::default();
        start(&mut state, "KDE", RD, granted("t1"), 1);
        state.clear();
        assert_eq!(state, TokenState::default());
        assert_eq!(
            state.plan("KDE", RD),
            Plan::AskOnce(AskReason::NeverApproved)
        );
    }

    #[test]
    fn tokens_never_show_in_debug_output() {
        let mut state = TokenState::default();
        start(&mut state, "KDE", RD, granted("secret-token-1234"), 1);
        let shown = format!("{state:?} {:?}", state.plan("KDE", RD));
        assert!(!shown.contains("secret-token-1234"), "{shown}");
        assert!(RestoreToken::new("").is_none());
    }

    #[test]
    fn every_reason_explains_the_one_approval() {
        for reason in [
            AskReason::NeverApproved,
            AskReason::OtherDesktop {
                approved_on: "KDE".into(),
            },
            AskReason::TokenRefused,
            AskReason::NotRemembered,
        ] {
            assert!(reason.explain().contains("must approve once"), "{reason:?}");
        }
    }
}
