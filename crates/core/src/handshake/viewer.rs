//! The viewer's half of the handshake as typed states: it proves its key over
//! the transcript, checks the host's hello (version, signature, claimed ID),
//! has the driver check the host key against `known_hosts`, logs in with a
//! password (OPAQUE), a saved token or by asking, and believes a grant only in
//! the order the protocol allows (a password login is granted only after its
//! OPAQUE exchange finished here; no second factor is sent before it).

use std::collections::VecDeque;

use rand_core::CryptoRngCore;
use zeroize::Zeroizing;

use super::{DenialCode, HandshakeError, HostMessage, Method, Role, ViewerMessage};
use crate::identity::{DeviceKey, DevicePublicKey};
use crate::pake::ViewerLogin;
use crate::permission::PermissionSet;
use crate::signal::{DeviceId, Signature};
use crate::token::Token;
use crate::{require_msg, UnixTime};

/// Seconds the host has for each step (the accept window gets its time on top).
pub const STEP_S: u64 = 10;
/// How refusals for a connection someone sits in the middle of begin.
pub const TRANSCRIPT_MISMATCH: &str = "transcript_mismatch";

/// How the viewer logs in.
pub enum Credential {
    /// With the profile's password.
    Password {
        /// The password (never leaves this machine).
        password: Zeroizing<String>,
        /// Whether to ask for a saved-login token.
        remember: bool,
    },
    /// With the token this host issued earlier.
    Token(Zeroizing<String>),
    /// Back after a restart, with the reconnect credential the host issued.
    Reconnect(Zeroizing<String>),
    /// No credential: ask the person at the host.
    Ask,
}

/// What the viewer needs to start.
pub struct ViewerParams {
    /// Both DTLS fingerprints of this connection (see [`super::transcript`]).
    pub transcript: Vec<u8>,
    /// The ID the viewer dialled: a host claiming another is refused.
    pub host_id: DeviceId,
    /// The name shown in the host's accept window.
    pub name: String,
    /// The profile to ask for (default: the host's default).
    pub profile: Option<String>,
    /// How to log in.
    pub credential: Credential,
    /// The TOTP or recovery code, if the host asks for one.
    pub totp: Option<Zeroizing<String>>,
}

/// What the viewer learns from outside, besides time.
#[derive(Debug)]
pub enum ViewerInput {
    /// A control message that parsed.
    Message(HostMessage),
    /// A control message that did not parse or was too large.
    Malformed,
    /// The control channel closed, the peer failed or the host left signaling.
    Closed,
    /// The host key the machine asked about ([`ViewerOutput::CheckHostKey`]) is trusted.
    HostKeyTrusted,
    /// A deadline the machine asked for may have passed.
    Tick,
}

/// What the driver must do, in the order given.
#[derive(Debug)]
pub enum ViewerOutput {
    /// Send this message on the control channel.
    Send(ViewerMessage),
    /// Check this key against the host keys remembered for the ID (trust on
    /// first use); answer with [`ViewerInput::HostKeyTrusted`] or stop.
    CheckHostKey(DevicePublicKey),
    /// Write this change to the viewer's secret store.
    Persist(ViewerPersist),
    /// Feed a [`ViewerInput::Tick`] once this time has come.
    Deadline(UnixTime),
    /// The handshake is over.
    Done(ViewerOutcome),
}

/// A change to the viewer's secret store.
pub enum ViewerPersist {
    /// Keep the saved-login token the host issued.
    SaveToken(Zeroizing<String>),
    /// The token no longer works: forget it, so the next attempt asks for the password.
    ForgetToken,
    /// The reconnect credential was used (or refused): forget it.
    ForgetReconnect,
}

impl std::fmt::Debug for ViewerPersist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ViewerPersist::SaveToken(_) => f.write_str("SaveToken(REDACTED)"),
            ViewerPersist::ForgetToken => f.write_str("ForgetToken"),
            ViewerPersist::ForgetReconnect => f.write_str("ForgetReconnect"),
        }
    }
}

/// How the viewer's handshake ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewerOutcome {
    /// The session is open.
    Granted(ViewerGrant),
    /// The host refused (or the host asked for a second factor we do not have).
    Denied {
        /// Why.
        code: DenialCode,
        /// For `throttled`.
        retry_after_s: Option<u64>,
        /// For people.
        message: String,
    },
    /// The host went away or did not answer in time.
    HostGone,
    /// The host broke the protocol (or is not who it should be).
    Failed(HandshakeError),
}

/// A granted session as the viewer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewerGrant {
    /// How it was granted.
    pub method: Method,
    /// The granted profile.
    pub profile: String,
    /// The granted permissions.
    pub permissions: PermissionSet,
    /// Whether a new saved-login token is to be kept (a `SaveToken` came before).
    pub token_saved: bool,
}

/// The viewer's handshake: feed it with [`handle`](Self::handle), then drain
/// [`poll_output`](Self::poll_output) until `None`.
pub struct ViewerHandshake {
    state: ViewerState,
    io: Io,
}

enum ViewerState {
    ExpectHostHello(ExpectHostHello),
    ExpectHostKeyTrust(ExpectHostKeyTrust),
    ExpectChallenge(Box<ExpectChallenge>),
    ExpectPasswordResult(ExpectResult),
    ExpectTokenResult(ExpectResult),
    ExpectAskResult(ExpectResult),
    ExpectSecondFactorResult(ExpectResult),
    Finished,
}

/// Our hello is out: waiting for the host's.
pub struct ExpectHostHello {
    deadline: UnixTime,
}

/// The host's hello verified: waiting for the driver to trust its key.
pub struct ExpectHostKeyTrust;

/// The OPAQUE request is out: waiting for the host's challenge.
pub struct ExpectChallenge {
    login: ViewerLogin,
    password: Zeroizing<String>,
    deadline: UnixTime,
}

/// A credential (or the question) is out: waiting for the host's answer.
pub struct ExpectResult {
    deadline: UnixTime,
}

struct Io {
    transcript: Vec<u8>,
    host_id: DeviceId,
    profile: Option<String>,
    credential: Option<Credential>,
    totp: Option<Zeroizing<String>>,
    /// Set once a token was sent: a refusal then means it no longer works.
    used_token: bool,
    /// Set once a reconnect credential was sent: it is spent or dead after the answer.
    used_reconnect: bool,
    /// Set once a password login began: only a password grant is believed.
    used_password: bool,
    out: VecDeque<ViewerOutput>,
}

impl ViewerHandshake {
    /// Start at `now`: our hello, signed with `device_key`, goes out at once.
    pub fn new(params: ViewerParams, device_key: &DeviceKey, now: UnixTime) -> Self {
        let signature =
            Signature(device_key.sign(&super::hello_message(Role::Viewer, &params.transcript)));
        let mut io = Io {
            transcript: params.transcript,
            host_id: params.host_id,
            profile: params.profile,
            credential: Some(params.credential),
            totp: params.totp,
            used_token: false,
            used_reconnect: false,
            used_password: false,
            out: VecDeque::new(),
        };
        io.send(ViewerMessage::Hello {
            version: super::VERSION,
            device_key: device_key.public(),
            name: params.name,
            signature,
        });
        let deadline = io.deadline(now, STEP_S);
        ViewerHandshake {
            state: ViewerState::ExpectHostHello(ExpectHostHello { deadline }),
            io,
        }
    }

    /// The next thing to do, or `None` when the machine waits for input.
    pub fn poll_output(&mut self) -> Option<ViewerOutput> {
        self.io.out.pop_front()
    }

    /// Whether the handshake is over (`Done` was emitted).
    pub fn is_done(&self) -> bool {
        matches!(self.state, ViewerState::Finished)
    }

    /// Feed one input at `now`; `rng` blinds the password.
    pub fn handle(&mut self, now: UnixTime, input: ViewerInput, rng: &mut impl CryptoRngCore) {
        let state = std::mem::replace(&mut self.state, ViewerState::Finished);
        let io = &mut self.io;
        let message = match input {
            ViewerInput::Message(m) => m,
            ViewerInput::HostKeyTrusted => {
                self.state = match state {
                    ViewerState::ExpectHostKeyTrust(_) => io.log_in(now, rng),
                    other => other,
                };
                return;
            }
            ViewerInput::Tick => {
                self.state = match state.deadline() {
                    Some(d) if now >= d => io.done(ViewerOutcome::HostGone),
                    _ => state,
                };
                return;
            }
            ViewerInput::Closed => {
                self.state = match state {
                    ViewerState::Finished => ViewerState::Finished,
                    _ => io.done(ViewerOutcome::HostGone),
                };
                return;
            }
            ViewerInput::Malformed => {
                self.state = match state {
                    ViewerState::Finished => ViewerState::Finished,
                    _ => io.done(ViewerOutcome::Failed(HandshakeError::Protocol(
                        "malformed message from the host".into(),
                    ))),
                };
                return;
            }
        };
        // A refusal ends every state the same way.
        if let HostMessage::Denied {
            error,
            retry_after_s,
            message,
        } = &message
        {
            if !matches!(
                state,
                ViewerState::Finished | ViewerState::ExpectHostKeyTrust(_)
            ) {
                if io.used_token && *error == DenialCode::WrongCredentials {
                    io.out
                        .push_back(ViewerOutput::Persist(ViewerPersist::ForgetToken));
                }
                if io.used_reconnect && *error == DenialCode::WrongCredentials {
                    io.out
                        .push_back(ViewerOutput::Persist(ViewerPersist::ForgetReconnect));
                }
                self.state = io.done(ViewerOutcome::Denied {
                    code: *error,
                    retry_after_s: *retry_after_s,
                    message: message.clone(),
                });
                return;
            }
        }
        let next = match state {
            ViewerState::ExpectHostHello(_) => io.host_hello(message),
            ViewerState::ExpectChallenge(s) => (*s).handle(io, now, message),
            ViewerState::ExpectPasswordResult(_) | ViewerState::ExpectTokenResult(_) => {
                io.result(now, message)
            }
            ViewerState::ExpectAskResult(_) => io.ask_result(now, message),
            ViewerState::ExpectSecondFactorResult(_) => io.granted(message, "granted or denied"),
            ViewerState::ExpectHostKeyTrust(_) => Err(HandshakeError::UnexpectedMessage {
                expected: "nothing until the host key is checked",
                got: message.kind(),
            }),
            ViewerState::Finished => Ok(ViewerState::Finished),
        };
        self.state = match next {
            Ok(s) => s,
            Err(e) => io.done(ViewerOutcome::Failed(e)),
        };
    }
}

impl ViewerState {
    fn deadline(&self) -> Option<UnixTime> {
        match self {
            ViewerState::ExpectHostHello(s) => Some(s.deadline),
            ViewerState::ExpectChallenge(s) => Some(s.deadline),
            ViewerState::ExpectPasswordResult(s)
            | ViewerState::ExpectTokenResult(s)
            | ViewerState::ExpectAskResult(s)
            | ViewerState::ExpectSecondFactorResult(s) => Some(s.deadline),
            ViewerState::ExpectHostKeyTrust(_) | ViewerState::Finished => None,
        }
    }
}

impl Io {
    fn send(&mut self, message: ViewerMessage) {
        self.out.push_back(ViewerOutput::Send(message));
    }

    fn deadline(&mut self, now: UnixTime, secs: u64) -> UnixTime {
        let at = now.plus(secs);
        self.out.push_back(ViewerOutput::Deadline(at));
        at
    }

    fn done(&mut self, outcome: ViewerOutcome) -> ViewerState {
        self.out.push_back(ViewerOutput::Done(outcome));
        ViewerState::Finished
    }

    fn host_hello(&mut self, message: HostMessage) -> Result<ViewerState, HandshakeError> {
        let (version, key, host_id, signature) = require_msg!(message, "the host's hello",
            HostMessage::Hello { version, device_key, host_id, signature } => (version, device_key, host_id, signature));
        if version != super::VERSION {
            return Err(HandshakeError::Protocol(format!(
                "the host speaks handshake version {version}"
            )));
        }
        let signed = super::hello_message(Role::Host, &self.transcript);
        if key.verify(&signed, &signature.0).is_err() {
            return Err(HandshakeError::Protocol(format!(
                "{TRANSCRIPT_MISMATCH}: the host's hello is not signed over this connection's DTLS certificates (someone in the middle?)"
            )));
        }
        if host_id.as_ref().is_some_and(|id| id != &self.host_id) {
            return Err(HandshakeError::Protocol(
                "the host claims another ID".into(),
            ));
        }
        self.out.push_back(ViewerOutput::CheckHostKey(key));
        Ok(ViewerState::ExpectHostKeyTrust(ExpectHostKeyTrust))
    }

    /// The host is who it should be: say how we log in.
    fn log_in(&mut self, now: UnixTime, rng: &mut impl CryptoRngCore) -> ViewerState {
        let profile = self.profile.clone();
        match self.credential.take() {
            Some(Credential::Password { password, remember }) => {
                let (login, request) = match ViewerLogin::start(password.as_bytes(), rng) {
                    Ok(started) => started,
                    Err(e) => {
                        return self.done(ViewerOutcome::Failed(HandshakeError::Protocol(
                            e.to_string(),
                        )))
                    }
                };
                self.used_password = true;
                self.send(ViewerMessage::Password {
                    profile,
                    request,
                    remember,
                });
                let deadline = self.deadline(now, STEP_S);
                ViewerState::ExpectChallenge(Box::new(ExpectChallenge {
                    login,
                    password,
                    deadline,
                }))
            }
            Some(Credential::Token(token)) => {
                self.used_token = true;
                self.send(ViewerMessage::Token {
                    token: token.to_string(),
                });
                let deadline = self.deadline(now, STEP_S);
                ViewerState::ExpectTokenResult(ExpectResult { deadline })
            }
            Some(Credential::Reconnect(credential)) => {
                self.used_reconnect = true;
                self.send(ViewerMessage::Reconnect {
                    credential: credential.to_string(),
                });
                let deadline = self.deadline(now, STEP_S);
                ViewerState::ExpectTokenResult(ExpectResult { deadline })
            }
            Some(Credential::Ask) | None => {
                self.send(ViewerMessage::Ask { profile });
                let deadline = self.deadline(now, STEP_S);
                ViewerState::ExpectAskResult(ExpectResult { deadline })
            }
        }
    }

    /// After a password finish or a token: a second factor may be asked for.
    fn result(
        &mut self,
        now: UnixTime,
        message: HostMessage,
    ) -> Result<ViewerState, HandshakeError> {
        if message == HostMessage::SecondFactorRequired {
            let Some(code) = self.totp.take() else {
                return Ok(self.done(ViewerOutcome::Denied {
                    code: DenialCode::SecondFactorRequired,
                    retry_after_s: None,
                    message: "the host requires a second factor: pass --totp CODE".into(),
                }));
            };
            self.send(ViewerMessage::SecondFactor {
                code: code.to_string(),
            });
            let deadline = self.deadline(now, STEP_S);
            return Ok(ViewerState::ExpectSecondFactorResult(ExpectResult {
                deadline,
            }));
        }
        self.granted(message, "second_factor_required, granted or denied")
    }

    fn ask_result(
        &mut self,
        now: UnixTime,
        message: HostMessage,
    ) -> Result<ViewerState, HandshakeError> {
        if let HostMessage::Waiting { timeout_s } = message {
            let deadline = self.deadline(now, timeout_s.min(300) + STEP_S);
            return Ok(ViewerState::ExpectAskResult(ExpectResult { deadline }));
        }
        self.granted(message, "waiting, granted or denied")
    }

    /// The grant (a refusal was handled before).
    fn granted(
        &mut self,
        message: HostMessage,
        expected: &'static str,
    ) -> Result<ViewerState, HandshakeError> {
        let (method, profile, permissions, token) = require_msg!(message, expected,
            HostMessage::Granted { method, profile, permissions, token } => (method, profile, permissions, token));
        if self.used_password && method != Method::Password {
            return Err(HandshakeError::Protocol(format!(
                "the host granted a password login as '{}'",
                method.name()
            )));
        }
        if self.used_reconnect && method != Method::Reconnect {
            return Err(HandshakeError::Protocol(format!(
                "the host granted a reconnect as '{}'",
                method.name()
            )));
        }
        if self.used_reconnect {
            self.out
                .push_back(ViewerOutput::Persist(ViewerPersist::ForgetReconnect));
        }
        let token = token.filter(|t| Token::parse(t).is_ok());
        let token_saved = token.is_some();
        if let Some(t) = token {
            self.out
                .push_back(ViewerOutput::Persist(ViewerPersist::SaveToken(
                    Zeroizing::new(t),
                )));
        }
        Ok(self.done(ViewerOutcome::Granted(ViewerGrant {
            method,
            profile,
            permissions,
            token_saved,
        })))
    }
}

impl ExpectChallenge {
    fn handle(
        self,
        io: &mut Io,
        now: UnixTime,
        message: HostMessage,
    ) -> Result<ViewerState, HandshakeError> {
        // Nothing but the challenge before the OPAQUE exchange finished here: a
        // host that grants, or asks for a code, without it never checked the password.
        let (response, ksf) = require_msg!(message, "password_challenge",
            HostMessage::PasswordChallenge { response, ksf } => (response, ksf));
        match self
            .login
            .finish(self.password.as_bytes(), &response, &io.transcript, ksf)
        {
            Ok((finalization, _key)) => {
                io.send(ViewerMessage::PasswordFinish { finalization });
                let deadline = io.deadline(now, STEP_S);
                Ok(ViewerState::ExpectPasswordResult(ExpectResult { deadline }))
            }
            Err(_) => {
                // Wrong password (or a host offering weak stretching): say so, so the host counts it at once.
                io.send(ViewerMessage::Abort {
                    reason: "password login failed".into(),
                });
                Ok(io.done(ViewerOutcome::Denied {
                    code: DenialCode::WrongCredentials,
                    retry_after_s: None,
                    message: "wrong credentials".into(),
                }))
            }
        }
    }
}
