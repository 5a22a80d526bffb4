//! The host's half of the handshake (DESIGN §2 and §5) as typed states: it
//! checks the viewer's hello against the transcript, counts the attempt with
//! the throttle, takes the login method, runs the ACL, token, password
//! (OPAQUE), second-factor and accept-window rules of [`crate::access`], and
//! ends in [`HostOutcome`]. No I/O: what it reads from the host's store comes
//! through [`HostEnv`], what it wants done comes out of
//! [`HostHandshake::poll_output`].

use std::collections::VecDeque;
use std::net::IpAddr;

use rand_core::CryptoRngCore;
use zeroize::Zeroizing;

use super::{DenialCode, HandshakeError, HostMessage, Method, Role, ViewerMessage};
use crate::access::{self, AskDecision, PasswordTarget, SessionCredential};
use crate::audit::AuditEvent;
use crate::identity::{DeviceKey, DevicePublicKey};
use crate::pake::{HostLogin, KsfParams, ServerSecret};
use crate::permission::{Permission, PermissionSet};
use crate::settings::Settings;
use crate::signal::{DeviceId, Signature};
use crate::throttle::{LoginOutcome, PendingLogin, Throttle};
use crate::token::{Token, TokenRecord};
use crate::totp::{LoginKind, TotpSecret};
use crate::{require_msg, Invalid, UnixTime};

/// The value of a read from the host's surroundings ([`HostEnv`]), or, when it
/// failed, the handshake ends as broken (the attempt is abandoned, not counted
/// as a wrong password).
macro_rules! or_broken {
    ($io:expr, $login:expr, $ctx:expr, $read:expr) => {
        match $read {
            Ok(value) => value,
            Err(e) => {
                return $io.broken($login, LoginOutcome::Abandoned, e, $ctx.now, $ctx.throttle)
            }
        }
    };
}

/// Seconds the viewer has for its hello, a password finish or a second factor.
pub const STEP_S: u64 = 15;
/// Seconds a viewer has to say how it logs in after the hellos: a real viewer
/// sends its method at once, a silent one must not hold a pending slot.
pub const METHOD_STEP_S: u64 = 5;
/// Requests waiting for the person at the host at once; more are refused.
pub const MAX_WAITING_REQUESTS: usize = 8;
/// Requests from one source address waiting for the person at the host at once.
pub const MAX_WAITING_PER_ADDR: usize = 2;

/// What the host's machine reads from its surroundings, at the moment it needs
/// it (so changes made with the CLI apply to the request under way).
pub trait HostEnv {
    /// The settings as they are on disk now.
    fn settings(&mut self) -> Result<Settings, HandshakeError>;
    /// The OPAQUE server secret (made on first use).
    fn server_secret(&mut self) -> Result<ServerSecret, HandshakeError>;
    /// The TOTP secret, if 2FA was ever enrolled.
    fn totp_secret(&mut self) -> Result<Option<TotpSecret>, HandshakeError>;
    /// Whether the host's main window is open (interactive mode `window`).
    fn window_open(&self) -> bool;
    /// Requests already waiting for the person at the host: in all, and from
    /// `addr` (as the throttle counts addresses).
    fn waiting_requests(&self, addr: Option<IpAddr>) -> WaitingRequests;
}

/// How many requests wait for the person at the host.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WaitingRequests {
    /// All of them.
    pub total: usize,
    /// Those from the new request's source address.
    pub from_addr: usize,
}

/// What the host learns from outside, besides time.
#[derive(Debug)]
pub enum HostInput {
    /// A control message that parsed.
    Message(ViewerMessage),
    /// A control message that did not parse or was too large.
    Malformed,
    /// The control channel closed (or the peer failed).
    Closed,
    /// The person at the host answered the accept window.
    Decision(PersonDecision),
    /// A deadline the machine asked for may have passed.
    Tick,
}

/// The answer of the person at the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonDecision {
    /// Accept, optionally with another profile and fewer permissions.
    Accept {
        /// Profile to grant instead of the one asked for.
        profile: Option<String>,
        /// Permissions to withdraw.
        withdraw: Vec<Permission>,
    },
    /// Refuse.
    Deny,
    /// The request went away without an answer (expired or withdrawn).
    NoAnswer,
}

/// What the driver must do, in the order given.
#[derive(Debug)]
pub enum HostOutput {
    /// Send this message on the control channel.
    Send(HostMessage),
    /// Append this event to the audit log.
    Audit(AuditEvent),
    /// Write this change; if it cannot be written, `abort` the handshake.
    Persist(Persist),
    /// Show the accept window for this request; answer with [`HostInput::Decision`].
    Ask(AskRequest),
    /// Feed a [`HostInput::Tick`] once this time has come.
    Deadline(UnixTime),
    /// The handshake is over.
    Done(HostOutcome),
}

/// A change the driver writes to the host's store.
#[derive(Debug)]
pub enum Persist {
    /// The failed-login counters changed: save the throttle's state as it is now.
    ThrottleCounters,
    /// Apply this change to the settings on disk, under their lock.
    Settings(SettingsChange),
}

/// A settings change found by the handshake, re-checked against the settings
/// on disk when it is written ([`SettingsChange::apply`]).
#[derive(Debug)]
pub enum SettingsChange {
    /// A token logged in: mark it used.
    TokenUsed {
        /// The token presented.
        token: Token,
        /// The key it must have been issued to.
        viewer: DevicePublicKey,
        /// When.
        at: UnixTime,
    },
    /// A second factor was accepted: record its step (the replay mark) or spend the recovery code.
    SecondFactorUsed {
        /// The TOTP secret it was checked against.
        secret: TotpSecret,
        /// The code.
        code: Zeroizing<String>,
        /// When.
        at: UnixTime,
    },
    /// A saved-login token was issued: keep its record (only its hash).
    TokenIssued(TokenRecord),
    /// A reconnect credential logged in: it is spent.
    ReconnectUsed {
        /// The credential presented.
        credential: Token,
        /// The key it must have been issued to.
        viewer: DevicePublicKey,
        /// When.
        at: UnixTime,
    },
}

impl SettingsChange {
    /// Apply to `settings` (freshly read under the lock). Fails when the
    /// settings changed so that the change no longer holds (the token was
    /// revoked, the code used by another login, the profile's password set).
    pub fn apply(&self, settings: &mut Settings) -> Result<(), Invalid> {
        match self {
            SettingsChange::TokenUsed { token, viewer, at } => {
                access::check_token(settings, token, viewer, *at)
                    .map_err(|_| Invalid::UnknownToken("changed".into()))?;
            }
            SettingsChange::SecondFactorUsed { secret, code, at } => {
                access::check_second_factor(settings, secret, code, *at)
                    .map_err(|_| Invalid::CodeAlreadyUsed)?;
            }
            SettingsChange::TokenIssued(record) => settings.admit_token(record.clone())?,
            // Spent on disk under the lock: of two logins racing with one
            // credential, the second fails here.
            SettingsChange::ReconnectUsed {
                credential,
                viewer,
                at,
            } => {
                access::check_reconnect(settings, credential, viewer, *at)
                    .map_err(|_| Invalid::UnknownToken("reconnect credential used".into()))?;
            }
        }
        Ok(())
    }
}

/// A request for the person at the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AskRequest {
    /// The viewer's proven device key.
    pub viewer: DevicePublicKey,
    /// The name it gave (sanitized; proves nothing).
    pub viewer_name: String,
    /// The profile asked for (or the default).
    pub profile: String,
    /// Its source address as the rendezvous saw it.
    pub addr: Option<String>,
    /// Seconds before it is denied.
    pub expires_in_s: u64,
}

/// How the handshake ended.
#[derive(Debug)]
pub enum HostOutcome {
    /// The session is open: run it with this grant.
    Granted(Grant),
    /// The viewer was told no (and it is in the audit log): let the last
    /// message leave, then close.
    Refused,
    /// The handshake broke off. `linger`: a refusal was sent that should
    /// have time to leave before closing.
    Failed {
        /// Why.
        error: HandshakeError,
        /// Whether to let the last message leave first.
        linger: bool,
    },
}

/// A granted session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The viewer's proven device key.
    pub viewer: DevicePublicKey,
    /// The name it gave (sanitized; proves nothing: shown, never trusted):
    /// its printer's name and the label beside its pointer.
    pub viewer_name: String,
    /// The granted profile.
    pub profile: String,
    /// The granted permissions.
    pub permissions: PermissionSet,
    /// What it logged in with, checked again whenever the settings change.
    pub credential: SessionCredential,
}

/// What the host needs to start.
#[derive(Debug, Clone)]
pub struct HostParams {
    /// Both DTLS fingerprints of this connection (see [`super::transcript`]).
    pub transcript: Vec<u8>,
    /// The host's ID, once registered.
    pub host_id: Option<DeviceId>,
    /// The viewer's source address as the rendezvous reported it.
    pub from_addr: Option<String>,
}

/// The host's handshake: feed it with [`handle`](Self::handle), then drain
/// [`poll_output`](Self::poll_output) until `None`.
pub struct HostHandshake {
    state: HostState,
    io: Io,
}

/// The states, each named for what it awaits.
enum HostState {
    ExpectHello(ExpectHello),
    ExpectMethod(ExpectMethod),
    ExpectPasswordFinish(Box<ExpectPasswordFinish>),
    ExpectSecondFactor(ExpectSecondFactor),
    AwaitingPerson(AwaitingPerson),
    /// `Done` was emitted.
    Finished,
}

/// Waiting for the viewer's hello; holds our own, signed.
pub struct ExpectHello {
    hello: HostMessage,
    deadline: UnixTime,
}

/// Hellos exchanged and the attempt counted: waiting for the login method.
pub struct ExpectMethod {
    login: Login,
    deadline: UnixTime,
}

/// The OPAQUE challenge was sent: waiting for the viewer's finalization.
pub struct ExpectPasswordFinish {
    login: Login,
    target: PasswordTarget,
    opaque: HostLogin,
    remember: bool,
    /// The settings the target was read from (for the 2FA rule).
    settings: Settings,
    deadline: UnixTime,
}

/// The credential held; a TOTP or recovery code is asked for.
pub struct ExpectSecondFactor {
    login: Login,
    then: AfterSecondFactor,
    deadline: UnixTime,
}

/// The accept window is shown: waiting for the person at the host.
pub struct AwaitingPerson {
    login: Login,
    wanted: String,
    deadline: UnixTime,
}

/// What a login continues with once its second factor passed.
enum AfterSecondFactor {
    Token(SessionCredential),
    /// A reconnect, with the grant it carries; the credential is spent when
    /// it is granted (a missing or wrong code leaves it for another try).
    Reconnect {
        session: SessionCredential,
        permissions: PermissionSet,
        credential: Token,
    },
    Password {
        target: PasswordTarget,
        remember: bool,
    },
}

impl AfterSecondFactor {
    fn method(&self) -> &'static str {
        match self {
            AfterSecondFactor::Token(_) => "token",
            AfterSecondFactor::Reconnect { .. } => "reconnect",
            AfterSecondFactor::Password { .. } => "password",
        }
    }

    fn profile(&self) -> &str {
        match self {
            AfterSecondFactor::Token(c) => &c.profile,
            AfterSecondFactor::Reconnect { session, .. } => &session.profile,
            AfterSecondFactor::Password { target, .. } => &target.profile,
        }
    }
}

/// Who is logging in, and the throttle's slot for the attempt (handed back once).
struct Login {
    viewer: DevicePublicKey,
    name: String,
    pending: Option<PendingLogin>,
}

/// What every state shares: where outputs go, who is at the other end.
struct Io {
    transcript: Vec<u8>,
    from_addr: Option<String>,
    addr: IpAddr,
    out: VecDeque<HostOutput>,
}

/// A decision as the audit log and the viewer see it.
struct Verdict {
    message: HostMessage,
    grant: Option<Grant>,
    outcome: LoginOutcome,
    method: &'static str,
    profile: Option<String>,
    reason: Option<String>,
}

/// What one `handle` call may use besides its input.
struct Ctx<'a, E: HostEnv, R: CryptoRngCore> {
    now: UnixTime,
    throttle: &'a mut Throttle,
    env: &'a mut E,
    rng: &'a mut R,
}

fn denied(
    error: DenialCode,
    method: &'static str,
    profile: Option<String>,
    reason: &str,
    outcome: LoginOutcome,
) -> Verdict {
    let message = match error {
        DenialCode::WrongCredentials => "wrong credentials",
        DenialCode::SecondFactorRequired => "a second factor is required",
        DenialCode::SecondFactorInvalid => "the second-factor code is wrong or was already used",
        DenialCode::Denied => "the host refused the request",
        DenialCode::Throttled => "too many failed attempts",
        DenialCode::Protocol => "protocol error",
    };
    Verdict {
        message: HostMessage::Denied {
            error,
            retry_after_s: None,
            message: message.into(),
        },
        grant: None,
        outcome,
        method,
        profile,
        reason: Some(reason.to_string()),
    }
}

/// A saved credential (token, reconnect) that does not log in: the viewer
/// hears "wrong credentials", the audit log has `reason`.
fn wrong_credential(method: &'static str, reason: &str) -> Verdict {
    denied(
        DenialCode::WrongCredentials,
        method,
        None,
        reason,
        LoginOutcome::Failure,
    )
}

/// A refusal's snake_case name, for the audit log.
fn refusal_name(refusal: impl serde::Serialize) -> String {
    serde_json::to_value(refusal)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn acl_denied(profile: Option<String>, method: &'static str) -> Verdict {
    denied(
        DenialCode::Denied,
        method,
        profile,
        crate::acl::AclRefusal::REASON,
        LoginOutcome::Abandoned,
    )
}

fn wrong_password(profile: String) -> Verdict {
    denied(
        DenialCode::WrongCredentials,
        "password",
        Some(profile),
        "wrong password, or unattended access off for this profile",
        LoginOutcome::Failure,
    )
}

/// The name a viewer gives, as the accept window and the audit log show it.
fn sanitize_name(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).take(64).collect()
}

impl HostHandshake {
    /// Start a handshake at `now`, signing our hello with `device_key`.
    pub fn new(params: HostParams, device_key: &DeviceKey, now: UnixTime) -> Self {
        let signature =
            Signature(device_key.sign(&super::hello_message(Role::Host, &params.transcript)));
        let hello = HostMessage::Hello {
            version: super::VERSION,
            device_key: device_key.public(),
            host_id: params.host_id,
            signature,
        };
        let addr = params
            .from_addr
            .as_deref()
            .and_then(|a| a.parse().ok())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let deadline = now.plus(STEP_S);
        let mut io = Io {
            transcript: params.transcript,
            from_addr: params.from_addr,
            addr,
            out: VecDeque::new(),
        };
        io.out.push_back(HostOutput::Deadline(deadline));
        HostHandshake {
            state: HostState::ExpectHello(ExpectHello { hello, deadline }),
            io,
        }
    }

    /// The next thing to do, or `None` when the machine waits for input.
    pub fn poll_output(&mut self) -> Option<HostOutput> {
        self.io.out.pop_front()
    }

    /// Whether the handshake is over (`Done` was emitted).
    pub fn is_done(&self) -> bool {
        matches!(self.state, HostState::Finished)
    }

    /// Feed one input at `now`. `throttle` is the host's, shared by all its
    /// handshakes; `env` reads the store; `rng` is for OPAQUE and tokens.
    pub fn handle(
        &mut self,
        now: UnixTime,
        input: HostInput,
        throttle: &mut Throttle,
        env: &mut impl HostEnv,
        rng: &mut impl CryptoRngCore,
    ) {
        let mut ctx = Ctx {
            now,
            throttle,
            env,
            rng,
        };
        let state = std::mem::replace(&mut self.state, HostState::Finished);
        self.state = match state {
            HostState::ExpectHello(s) => s.handle(&mut self.io, &mut ctx, input),
            HostState::ExpectMethod(s) => s.handle(&mut self.io, &mut ctx, input),
            HostState::ExpectPasswordFinish(s) => (*s).handle(&mut self.io, &mut ctx, input),
            HostState::ExpectSecondFactor(s) => s.handle(&mut self.io, &mut ctx, input),
            HostState::AwaitingPerson(s) => s.handle(&mut self.io, &mut ctx, input),
            HostState::Finished => HostState::Finished,
        };
    }

    /// The driver gives up (a write failed, the task ends): the attempt's
    /// throttle slot is handed back as abandoned. Nothing more is sent.
    pub fn abort(&mut self, now: UnixTime, throttle: &mut Throttle) {
        let state = std::mem::replace(&mut self.state, HostState::Finished);
        let login = match state {
            HostState::ExpectMethod(s) => Some(s.login),
            HostState::ExpectPasswordFinish(s) => Some(s.login),
            HostState::ExpectSecondFactor(s) => Some(s.login),
            HostState::AwaitingPerson(s) => Some(s.login),
            HostState::ExpectHello(_) | HostState::Finished => None,
        };
        if let Some(mut login) = login {
            self.io
                .finish(&mut login, LoginOutcome::Abandoned, now, throttle);
        }
        self.io.out.clear();
    }
}

impl Io {
    fn send(&mut self, message: HostMessage) {
        self.out.push_back(HostOutput::Send(message));
    }

    fn deadline(&mut self, at: UnixTime) {
        self.out.push_back(HostOutput::Deadline(at));
    }

    /// Hand the attempt back to the throttle (once); persist when it changed.
    fn finish(
        &mut self,
        login: &mut Login,
        outcome: LoginOutcome,
        now: UnixTime,
        throttle: &mut Throttle,
    ) {
        if let Some(p) = login.pending.take() {
            if throttle.finish(p, outcome, now) {
                self.out
                    .push_back(HostOutput::Persist(Persist::ThrottleCounters));
            }
        }
    }

    fn audit(
        &mut self,
        viewer: &str,
        name: &str,
        method: &str,
        profile: Option<String>,
        outcome: &str,
        reason: Option<&str>,
    ) {
        self.out
            .push_back(HostOutput::Audit(AuditEvent::AccessDecision {
                viewer: viewer.to_string(),
                viewer_name: name.to_string(),
                addr: self.from_addr.clone(),
                method: method.to_string(),
                profile,
                outcome: outcome.to_string(),
                reason: reason.map(str::to_string),
            }));
    }

    /// Refuse with a protocol error before any attempt was counted.
    fn refuse_protocol(&mut self, why: String, linger: bool) -> HostState {
        self.send(HostMessage::Denied {
            error: DenialCode::Protocol,
            retry_after_s: None,
            message: why.clone(),
        });
        self.out.push_back(HostOutput::Done(HostOutcome::Failed {
            error: HandshakeError::Protocol(why),
            linger,
        }));
        HostState::Finished
    }

    /// Break off without telling the viewer (it left, or the store failed).
    fn broken(
        &mut self,
        mut login: Login,
        outcome: LoginOutcome,
        error: HandshakeError,
        now: UnixTime,
        throttle: &mut Throttle,
    ) -> HostState {
        self.finish(&mut login, outcome, now, throttle);
        self.out.push_back(HostOutput::Done(HostOutcome::Failed {
            error,
            linger: false,
        }));
        HostState::Finished
    }

    /// Carry out a decision: throttle, audit, tell the viewer, done.
    fn conclude(
        &mut self,
        mut login: Login,
        verdict: Verdict,
        now: UnixTime,
        throttle: &mut Throttle,
    ) -> HostState {
        self.finish(&mut login, verdict.outcome, now, throttle);
        let granted = verdict.grant.is_some();
        self.audit(
            &login.viewer.fingerprint(),
            &login.name,
            verdict.method,
            verdict.profile,
            if granted { "granted" } else { "refused" },
            verdict.reason.as_deref(),
        );
        self.send(verdict.message);
        let outcome = match verdict.grant {
            Some(grant) => HostOutcome::Granted(Grant {
                viewer_name: login.name.clone(),
                ..grant
            }),
            None => HostOutcome::Refused,
        };
        self.out.push_back(HostOutput::Done(outcome));
        HostState::Finished
    }

    /// Ask for a second factor; the login continues with `then`.
    fn ask_second_factor(
        &mut self,
        login: Login,
        then: AfterSecondFactor,
        now: UnixTime,
    ) -> HostState {
        self.send(HostMessage::SecondFactorRequired);
        let deadline = now.plus(STEP_S);
        self.deadline(deadline);
        HostState::ExpectSecondFactor(ExpectSecondFactor {
            login,
            then,
            deadline,
        })
    }
}

/// The grant for `credential`: `permissions` when the person accepting chose
/// them, else the profile's.
fn grant(
    settings: &Settings,
    viewer: DevicePublicKey,
    credential: SessionCredential,
    token: Option<String>,
    permissions: Option<PermissionSet>,
) -> Verdict {
    let profile = credential.profile.clone();
    let method = credential.method;
    let permissions = permissions
        .or_else(|| settings.profiles.get(&profile).ok().map(|p| p.permissions))
        .unwrap_or(PermissionSet::NONE);
    Verdict {
        message: HostMessage::Granted {
            method,
            profile: profile.clone(),
            permissions,
            token,
        },
        grant: Some(Grant {
            viewer,
            // Filled in by `conclude`, which knows the login.
            viewer_name: String::new(),
            profile: profile.clone(),
            permissions,
            credential,
        }),
        outcome: LoginOutcome::Success,
        method: method.name(),
        profile: Some(profile),
        reason: None,
    }
}

impl ExpectHello {
    fn handle<E: HostEnv, R: CryptoRngCore>(
        self,
        io: &mut Io,
        ctx: &mut Ctx<'_, E, R>,
        input: HostInput,
    ) -> HostState {
        let message = match input {
            HostInput::Message(m) => m,
            HostInput::Malformed => {
                return io.refuse_protocol("malformed or oversized control message".into(), false)
            }
            HostInput::Closed => {
                io.out.push_back(HostOutput::Done(HostOutcome::Failed {
                    error: HandshakeError::PeerLeft,
                    linger: false,
                }));
                return HostState::Finished;
            }
            HostInput::Tick if ctx.now >= self.deadline => {
                io.out.push_back(HostOutput::Done(HostOutcome::Failed {
                    error: HandshakeError::Timeout("waiting for the viewer"),
                    linger: false,
                }));
                return HostState::Finished;
            }
            HostInput::Tick | HostInput::Decision(_) => return HostState::ExpectHello(self),
        };
        let (key, name, signature) = match viewer_hello(message) {
            Ok(hello) => hello,
            Err(e) => return io.refuse_protocol(e.to_string(), false),
        };
        let name = sanitize_name(&name);
        let signed = super::hello_message(Role::Viewer, &io.transcript);
        if key.verify(&signed, &signature.0).is_err() {
            let why = "transcript_mismatch: the viewer's hello is not signed over this connection's DTLS certificates (someone in the middle?)";
            io.audit(&key.fingerprint(), &name, "-", None, "refused", Some(why));
            return io.refuse_protocol(why.into(), true);
        }
        io.send(self.hello);
        let login = Login {
            viewer: key,
            name,
            pending: None,
        };
        ExpectMethod::begin(login, io, ctx)
    }
}

/// The viewer's hello in a version we speak: its key, name and signature.
fn viewer_hello(
    message: ViewerMessage,
) -> Result<(DevicePublicKey, String, Signature), HandshakeError> {
    let (version, hello) = require_msg!(message, "hello",
        ViewerMessage::Hello { version, device_key, name, signature } => (version, (device_key, name, signature)));
    if version != super::VERSION {
        return Err(HandshakeError::Protocol(
            "unsupported handshake version".into(),
        ));
    }
    Ok(hello)
}

/// A login method, as the viewer gave it.
enum LoginMethod {
    Token(String),
    Reconnect(String),
    Password {
        profile: Option<String>,
        request: Vec<u8>,
        remember: bool,
    },
    Ask(Option<String>),
}

fn login_method(message: ViewerMessage) -> Result<LoginMethod, HandshakeError> {
    Ok(require_msg!(message, "a login method",
        ViewerMessage::Token { token } => LoginMethod::Token(token),
        ViewerMessage::Reconnect { credential } => LoginMethod::Reconnect(credential),
        ViewerMessage::Password { profile, request, remember } => LoginMethod::Password { profile, request, remember },
        ViewerMessage::Ask { profile } => LoginMethod::Ask(profile)))
}

/// The password login's finalization, or `None` when the viewer gave up.
fn password_finish(message: ViewerMessage) -> Result<Option<Vec<u8>>, HandshakeError> {
    Ok(require_msg!(message, "password_finish",
        ViewerMessage::PasswordFinish { finalization } => Some(finalization),
        ViewerMessage::Abort { .. } => None))
}

fn second_factor(message: ViewerMessage) -> Result<Zeroizing<String>, HandshakeError> {
    Ok(require_msg!(message, "a second factor",
        ViewerMessage::SecondFactor { code } => Zeroizing::new(code)))
}

impl ExpectMethod {
    /// Count the attempt (or refuse it as throttled) and start the method deadline.
    fn begin<E: HostEnv, R: CryptoRngCore>(
        mut login: Login,
        io: &mut Io,
        ctx: &mut Ctx<'_, E, R>,
    ) -> HostState {
        match ctx.throttle.begin(Some(login.viewer), io.addr, ctx.now) {
            Ok(p) => login.pending = Some(p),
            Err(refusal) => {
                io.send(HostMessage::Denied {
                    error: DenialCode::Throttled,
                    retry_after_s: Some(refusal.retry_after_s()),
                    message: "too many failed attempts: wait before trying again".into(),
                });
                io.audit(
                    &login.viewer.fingerprint(),
                    &login.name,
                    "-",
                    None,
                    "refused",
                    Some("throttled"),
                );
                io.out.push_back(HostOutput::Done(HostOutcome::Refused));
                return HostState::Finished;
            }
        }
        let deadline = ctx.now.plus(METHOD_STEP_S);
        io.deadline(deadline);
        HostState::ExpectMethod(ExpectMethod { login, deadline })
    }

    fn handle<E: HostEnv, R: CryptoRngCore>(
        self,
        io: &mut Io,
        ctx: &mut Ctx<'_, E, R>,
        input: HostInput,
    ) -> HostState {
        let message = match input {
            HostInput::Message(m) => m,
            // A login that never says how it logs in counts against its address.
            HostInput::Tick if ctx.now >= self.deadline => {
                let verdict = denied(
                    DenialCode::Protocol,
                    "-",
                    None,
                    "no login method in time",
                    LoginOutcome::NoMethod,
                );
                return io.conclude(self.login, verdict, ctx.now, ctx.throttle);
            }
            HostInput::Tick | HostInput::Decision(_) => return HostState::ExpectMethod(self),
            HostInput::Malformed => {
                let error =
                    HandshakeError::Protocol("malformed or oversized control message".into());
                return io.broken(
                    self.login,
                    LoginOutcome::NoMethod,
                    error,
                    ctx.now,
                    ctx.throttle,
                );
            }
            HostInput::Closed => {
                let error = HandshakeError::PeerLeft;
                return io.broken(
                    self.login,
                    LoginOutcome::NoMethod,
                    error,
                    ctx.now,
                    ctx.throttle,
                );
            }
        };
        // Fresh settings for every request: CLI changes apply at once.
        let settings = or_broken!(io, self.login, ctx, ctx.env.settings());
        if let Some(v) = acl_refusal(&settings, &self.login.viewer, &message, ctx.now) {
            return io.conclude(self.login, v, ctx.now, ctx.throttle);
        }
        match login_method(message) {
            Ok(LoginMethod::Token(token)) => self.token(io, ctx, settings, &token),
            Ok(LoginMethod::Reconnect(credential)) => {
                self.reconnect(io, ctx, settings, &credential)
            }
            Ok(LoginMethod::Password {
                profile,
                request,
                remember,
            }) => self.password(io, ctx, settings, profile, &request, remember),
            Ok(LoginMethod::Ask(profile)) => self.ask(io, ctx, &settings, profile),
            Err(e) => {
                let reason = e.to_string();
                let verdict = denied(
                    DenialCode::Protocol,
                    "-",
                    None,
                    &reason,
                    LoginOutcome::Failure,
                );
                io.conclude(self.login, verdict, ctx.now, ctx.throttle)
            }
        }
    }

    fn token<E: HostEnv, R: CryptoRngCore>(
        self,
        io: &mut Io,
        ctx: &mut Ctx<'_, E, R>,
        settings: Settings,
        text: &str,
    ) -> HostState {
        let refuse = |reason: &str| wrong_credential("token", reason);
        let Ok(token) = Token::parse(text) else {
            return io.conclude(self.login, refuse("malformed token"), ctx.now, ctx.throttle);
        };
        let mut probe = settings.clone();
        let profile = match access::check_token(&mut probe, &token, &self.login.viewer, ctx.now) {
            Ok(p) => p,
            Err(refusal) => {
                let verdict = refuse(&format!("token: {}", refusal_name(refusal)));
                return io.conclude(self.login, verdict, ctx.now, ctx.throttle);
            }
        };
        // "Last used", re-checked against the settings on disk.
        io.out.push_back(HostOutput::Persist(Persist::Settings(
            SettingsChange::TokenUsed {
                token: token.clone(),
                viewer: self.login.viewer,
                at: ctx.now,
            },
        )));
        let credential = SessionCredential {
            epoch: probe.profiles.get(&profile).map_or(0, |p| p.epoch),
            token_id: probe.tokens.id_of(&token),
            profile,
            method: Method::Token,
            attended: false,
        };
        if access::needs_second_factor(&probe, LoginKind::Token) {
            return io.ask_second_factor(self.login, AfterSecondFactor::Token(credential), ctx.now);
        }
        let verdict = grant(&probe, self.login.viewer, credential, None, None);
        io.conclude(self.login, verdict, ctx.now, ctx.throttle)
    }

    /// Back after a restart: the credential is spent (on disk, under the
    /// lock, before anything is granted), then 2FA if the reconnect
    /// exemption is off.
    fn reconnect<E: HostEnv, R: CryptoRngCore>(
        self,
        io: &mut Io,
        ctx: &mut Ctx<'_, E, R>,
        settings: Settings,
        text: &str,
    ) -> HostState {
        let refuse = |reason: &str| wrong_credential("reconnect", reason);
        let Ok(credential) = Token::parse(text) else {
            let verdict = refuse("malformed reconnect credential");
            return io.conclude(self.login, verdict, ctx.now, ctx.throttle);
        };
        let mut probe = settings.clone();
        let back =
            match access::check_reconnect(&mut probe, &credential, &self.login.viewer, ctx.now) {
                Ok(back) => back,
                Err(refusal) => {
                    let verdict = refuse(&format!("reconnect: {}", refusal_name(refusal)));
                    return io.conclude(self.login, verdict, ctx.now, ctx.throttle);
                }
            };
        let session = SessionCredential {
            profile: back.profile,
            method: Method::Reconnect,
            epoch: back.epoch,
            token_id: None,
            attended: back.attended,
        };
        let then = AfterSecondFactor::Reconnect {
            session,
            permissions: back.permissions,
            credential,
        };
        if access::needs_second_factor(&probe, LoginKind::Reconnect) {
            return io.ask_second_factor(self.login, then, ctx.now);
        }
        authorized(io, ctx, self.login, then)
    }

    fn password<E: HostEnv, R: CryptoRngCore>(
        mut self,
        io: &mut Io,
        ctx: &mut Ctx<'_, E, R>,
        settings: Settings,
        profile: Option<String>,
        request: &[u8],
        remember: bool,
    ) -> HostState {
        let target = access::password_target(&settings, profile.as_deref());
        if target.record.is_some() {
            // Count the guess against the profile (its daily ceiling).
            if let Some(pending) = self.login.pending.as_mut() {
                match ctx.throttle.begin_guess(pending, &target.profile, ctx.now) {
                    // On disk before the challenge leaves: a restart must not give the guess back.
                    Ok(()) => io
                        .out
                        .push_back(HostOutput::Persist(Persist::ThrottleCounters)),
                    Err(refusal) => {
                        let mut verdict = denied(
                            DenialCode::Throttled,
                            "password",
                            Some(target.profile.clone()),
                            "too many password guesses for this profile today",
                            LoginOutcome::Abandoned,
                        );
                        if let HostMessage::Denied { retry_after_s, .. } = &mut verdict.message {
                            *retry_after_s = Some(refusal.retry_after_s());
                        }
                        return io.conclude(self.login, verdict, ctx.now, ctx.throttle);
                    }
                }
            }
        }
        let server = or_broken!(io, self.login, ctx, ctx.env.server_secret());
        let started = HostLogin::start(
            &server,
            target.record.as_ref(),
            target.profile.as_bytes(),
            request,
            &io.transcript,
            ctx.rng,
        );
        let Ok((opaque, response)) = started else {
            let error = HandshakeError::Protocol("bad OPAQUE request".into());
            return io.broken(
                self.login,
                LoginOutcome::Abandoned,
                error,
                ctx.now,
                ctx.throttle,
            );
        };
        let ksf = target
            .record
            .as_ref()
            .map(|r| r.ksf)
            .unwrap_or(KsfParams::DEFAULT);
        io.send(HostMessage::PasswordChallenge { response, ksf });
        let deadline = ctx.now.plus(STEP_S);
        io.deadline(deadline);
        HostState::ExpectPasswordFinish(Box::new(ExpectPasswordFinish {
            login: self.login,
            target,
            opaque,
            remember,
            settings,
            deadline,
        }))
    }

    fn ask<E: HostEnv, R: CryptoRngCore>(
        mut self,
        io: &mut Io,
        ctx: &mut Ctx<'_, E, R>,
        settings: &Settings,
        profile: Option<String>,
    ) -> HostState {
        let wanted = profile.unwrap_or_else(|| settings.default_profile.clone());
        let refuse = |reason: &str, wanted: String| {
            denied(
                DenialCode::Denied,
                "ask",
                Some(wanted),
                reason,
                LoginOutcome::Abandoned,
            )
        };
        if access::interactive_decision(settings.interactive, ctx.env.window_open())
            == AskDecision::Refuse
        {
            let why = format!(
                "interactive mode '{}' refuses requests without a credential",
                settings.interactive
            );
            return io.conclude(self.login, refuse(&why, wanted), ctx.now, ctx.throttle);
        }
        // Waiting for a person is not a credential check: give the throttle's
        // pending-login slot back, and cap waiting requests on their own.
        io.finish(
            &mut self.login,
            LoginOutcome::Abandoned,
            ctx.now,
            ctx.throttle,
        );
        let from = io
            .from_addr
            .as_deref()
            .and_then(|a| a.parse::<IpAddr>().ok());
        let waiting = ctx
            .env
            .waiting_requests(from.map(crate::throttle::normalize_addr));
        if waiting.total >= MAX_WAITING_REQUESTS {
            let verdict = refuse("too many requests are already waiting", wanted);
            return io.conclude(self.login, verdict, ctx.now, ctx.throttle);
        }
        if waiting.from_addr >= MAX_WAITING_PER_ADDR {
            let verdict = refuse(
                "too many requests from this address are already waiting",
                wanted,
            );
            return io.conclude(self.login, verdict, ctx.now, ctx.throttle);
        }
        io.out.push_back(HostOutput::Ask(AskRequest {
            viewer: self.login.viewer,
            viewer_name: self.login.name.clone(),
            profile: wanted.clone(),
            addr: io.from_addr.clone(),
            expires_in_s: super::ASK_TIMEOUT_S,
        }));
        io.send(HostMessage::Waiting {
            timeout_s: super::ASK_TIMEOUT_S,
        });
        let deadline = ctx.now.plus(super::ASK_TIMEOUT_S);
        io.deadline(deadline);
        HostState::AwaitingPerson(AwaitingPerson {
            login: self.login,
            wanted,
            deadline,
        })
    }
}

/// The access control list's refusal of this request, if it refuses: taken
/// before any credential is checked or any person asked.
fn acl_refusal(
    settings: &Settings,
    viewer_key: &DevicePublicKey,
    method: &ViewerMessage,
    now: UnixTime,
) -> Option<Verdict> {
    let (name, profile) = match method {
        ViewerMessage::Password { profile, .. } => ("password", profile.clone()),
        ViewerMessage::Ask { profile } => ("ask", profile.clone()),
        ViewerMessage::Token { token } => {
            // The profile a valid token logs into; an invalid one fails later anyway.
            let mut probe = settings.clone();
            let profile = Token::parse(token)
                .ok()
                .and_then(|t| access::check_token(&mut probe, &t, viewer_key, now).ok());
            ("token", profile)
        }
        ViewerMessage::Reconnect { credential } => {
            let mut probe = settings.clone();
            let profile = Token::parse(credential).ok().and_then(|t| {
                access::check_reconnect(&mut probe, &t, viewer_key, now)
                    .ok()
                    .map(|back| back.profile)
            });
            ("reconnect", profile)
        }
        _ => return None,
    };
    let profile = match (name, profile) {
        ("token" | "reconnect", p) => p,
        (_, p) => Some(p.unwrap_or_else(|| settings.default_profile.clone())),
    };
    access::acl_check(settings, viewer_key, profile.as_deref())
        .err()
        .map(|_| acl_denied(profile, name))
}

impl ExpectPasswordFinish {
    fn handle<E: HostEnv, R: CryptoRngCore>(
        self,
        io: &mut Io,
        ctx: &mut Ctx<'_, E, R>,
        input: HostInput,
    ) -> HostState {
        let profile = self.target.profile.clone();
        let message = match input {
            HostInput::Message(m) => m,
            HostInput::Tick | HostInput::Decision(_) if ctx.now < self.deadline => {
                return HostState::ExpectPasswordFinish(Box::new(self))
            }
            // A viewer that leaves here typed a wrong password: count it.
            HostInput::Tick | HostInput::Decision(_) | HostInput::Malformed | HostInput::Closed => {
                let verdict = denied(
                    DenialCode::WrongCredentials,
                    "password",
                    Some(profile),
                    "viewer left after the challenge",
                    LoginOutcome::Failure,
                );
                return io.conclude(self.login, verdict, ctx.now, ctx.throttle);
            }
        };
        let finalization = match password_finish(message) {
            Ok(f) => f,
            Err(e) => {
                let verdict = denied(
                    DenialCode::Protocol,
                    "password",
                    Some(profile),
                    &e.to_string(),
                    LoginOutcome::Failure,
                );
                return io.conclude(self.login, verdict, ctx.now, ctx.throttle);
            }
        };
        let checked = match finalization {
            Some(f) => self.target.record.is_some() && self.opaque.finish(&f).is_ok(),
            None => false,
        };
        if !checked {
            return io.conclude(self.login, wrong_password(profile), ctx.now, ctx.throttle);
        }
        let then = AfterSecondFactor::Password {
            target: self.target,
            remember: self.remember,
        };
        if access::needs_second_factor(&self.settings, LoginKind::Password) {
            return io.ask_second_factor(self.login, then, ctx.now);
        }
        authorized(io, ctx, self.login, then)
    }
}

impl ExpectSecondFactor {
    fn handle<E: HostEnv, R: CryptoRngCore>(
        self,
        io: &mut Io,
        ctx: &mut Ctx<'_, E, R>,
        input: HostInput,
    ) -> HostState {
        let method = self.then.method();
        let profile = self.then.profile().to_string();
        let refuse = |error, reason: &str, outcome| {
            denied(error, method, Some(profile.clone()), reason, outcome)
        };
        let message = match input {
            HostInput::Message(m) => m,
            HostInput::Tick | HostInput::Decision(_) if ctx.now < self.deadline => {
                return HostState::ExpectSecondFactor(self)
            }
            HostInput::Tick | HostInput::Decision(_) | HostInput::Malformed | HostInput::Closed => {
                let verdict = refuse(
                    DenialCode::SecondFactorRequired,
                    "no second factor given",
                    LoginOutcome::Abandoned,
                );
                return io.conclude(self.login, verdict, ctx.now, ctx.throttle);
            }
        };
        let code = match second_factor(message) {
            Ok(c) => c,
            Err(e) => {
                let verdict = refuse(DenialCode::Protocol, &e.to_string(), LoginOutcome::Failure);
                return io.conclude(self.login, verdict, ctx.now, ctx.throttle);
            }
        };
        let secret = match ctx.env.totp_secret() {
            Ok(Some(s)) => s,
            Ok(None) => {
                let verdict = refuse(
                    DenialCode::SecondFactorInvalid,
                    "2FA is on but its secret is missing",
                    LoginOutcome::Failure,
                );
                return io.conclude(self.login, verdict, ctx.now, ctx.throttle);
            }
            Err(e) => {
                return io.broken(
                    self.login,
                    LoginOutcome::Abandoned,
                    e,
                    ctx.now,
                    ctx.throttle,
                )
            }
        };
        let mut settings = or_broken!(io, self.login, ctx, ctx.env.settings());
        if let Err(refusal) = access::check_second_factor(&mut settings, &secret, &code, ctx.now) {
            let reason = format!("second factor {refusal:?}").to_lowercase();
            let verdict = refuse(
                DenialCode::SecondFactorInvalid,
                &reason,
                LoginOutcome::Failure,
            );
            return io.conclude(self.login, verdict, ctx.now, ctx.throttle);
        }
        // The replay mark (or the spent recovery code), re-checked on disk.
        io.out.push_back(HostOutput::Persist(Persist::Settings(
            SettingsChange::SecondFactorUsed {
                secret,
                code,
                at: ctx.now,
            },
        )));
        authorized(io, ctx, self.login, self.then)
    }
}

/// Every check passed: grant, after the password login's last check (the
/// password may have been set, or unattended access turned off, while the
/// login ran: then it was checked against a record that no longer holds, and
/// nothing is granted or issued).
fn authorized<E: HostEnv, R: CryptoRngCore>(
    io: &mut Io,
    ctx: &mut Ctx<'_, E, R>,
    login: Login,
    then: AfterSecondFactor,
) -> HostState {
    let settings = or_broken!(io, login, ctx, ctx.env.settings());
    let (target, remember) = match then {
        AfterSecondFactor::Token(credential) => {
            let verdict = grant(&settings, login.viewer, credential, None, None);
            return io.conclude(login, verdict, ctx.now, ctx.throttle);
        }
        AfterSecondFactor::Reconnect {
            session,
            permissions,
            credential,
        } => {
            // Spent on disk, re-checked there, before the grant goes out.
            io.out.push_back(HostOutput::Persist(Persist::Settings(
                SettingsChange::ReconnectUsed {
                    credential,
                    viewer: login.viewer,
                    at: ctx.now,
                },
            )));
            let verdict = grant(&settings, login.viewer, session, None, Some(permissions));
            return io.conclude(login, verdict, ctx.now, ctx.throttle);
        }
        AfterSecondFactor::Password { target, remember } => (target, remember),
    };
    if !access::password_still_current(&settings, &target) {
        let verdict = denied(
            DenialCode::WrongCredentials,
            "password",
            Some(target.profile),
            "the password changed during this login",
            LoginOutcome::Abandoned,
        );
        return io.conclude(login, verdict, ctx.now, ctx.throttle);
    }
    let token = if remember && settings.save_login {
        let label = if login.name.is_empty() {
            login.viewer.fingerprint()
        } else {
            login.name.clone()
        };
        let mut scratch = settings.clone();
        match scratch.issue_token(
            login.viewer,
            &target.profile,
            target.epoch,
            &label,
            ctx.now,
            ctx.rng,
        ) {
            Ok((token, record)) => {
                io.out.push_back(HostOutput::Persist(Persist::Settings(
                    SettingsChange::TokenIssued(record.clone()),
                )));
                io.out.push_back(HostOutput::Audit(AuditEvent::TokenIssued {
                    id: record.id,
                    profile: record.profile,
                    device: record.device_key.fingerprint(),
                }));
                Some(token.expose().to_string())
            }
            // Not issued (e.g. a label the store refuses): the login still stands.
            Err(_) => None,
        }
    } else {
        None
    };
    let credential = SessionCredential {
        profile: target.profile,
        method: Method::Password,
        epoch: target.epoch,
        token_id: None,
        attended: false,
    };
    let verdict = grant(&settings, login.viewer, credential, token, None);
    io.conclude(login, verdict, ctx.now, ctx.throttle)
}

impl AwaitingPerson {
    fn handle<E: HostEnv, R: CryptoRngCore>(
        self,
        io: &mut Io,
        ctx: &mut Ctx<'_, E, R>,
        input: HostInput,
    ) -> HostState {
        let refuse = |reason: &str, profile: String| {
            denied(
                DenialCode::Denied,
                "ask",
                Some(profile),
                reason,
                LoginOutcome::Abandoned,
            )
        };
        let decision = match input {
            HostInput::Decision(d) => d,
            HostInput::Tick if ctx.now < self.deadline => return HostState::AwaitingPerson(self),
            // The viewer speaking (or leaving) while it waits withdraws the request.
            HostInput::Tick | HostInput::Message(_) | HostInput::Malformed | HostInput::Closed => {
                PersonDecision::NoAnswer
            }
        };
        let (profile, withdraw) = match decision {
            PersonDecision::Accept { profile, withdraw } => (profile, withdraw),
            PersonDecision::Deny => {
                let verdict = refuse("denied by the person at the host", self.wanted);
                return io.conclude(self.login, verdict, ctx.now, ctx.throttle);
            }
            PersonDecision::NoAnswer => {
                let verdict = refuse("no answer within 60 s", self.wanted);
                return io.conclude(self.login, verdict, ctx.now, ctx.throttle);
            }
        };
        let settings = or_broken!(io, self.login, ctx, ctx.env.settings());
        let granted = profile.unwrap_or(self.wanted);
        if access::acl_check(&settings, &self.login.viewer, Some(&granted)).is_err() {
            let verdict = acl_denied(Some(granted), "ask");
            return io.conclude(self.login, verdict, ctx.now, ctx.throttle);
        }
        let verdict = match access::accepted_grant(&settings, &granted, &withdraw) {
            Ok(perms) => {
                let credential = SessionCredential {
                    epoch: settings.profiles.get(&granted).map_or(0, |p| p.epoch),
                    profile: granted,
                    method: Method::Accepted,
                    token_id: None,
                    attended: true,
                };
                grant(&settings, self.login.viewer, credential, None, Some(perms))
            }
            Err(e) => refuse(&e.to_string(), granted),
        };
        io.conclude(self.login, verdict, ctx.now, ctx.throttle)
    }
}
