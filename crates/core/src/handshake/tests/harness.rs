//! A host and a viewer state machine wired to each other on fake time, with
//! an in-memory store: what the session crate's drivers do, without processes,
//! sockets or clocks. [`progress`] makes one step (one message delivered, one
//! decision given, or time moved to the earliest deadline); [`run`] steps
//! until both sides are done.

use std::collections::VecDeque;
use std::sync::OnceLock;

use rand::rngs::StdRng;
use rand::SeedableRng;
use zeroize::Zeroizing;

use crate::audit::AuditEvent;
use crate::handshake::host::{
    AskRequest, HostEnv, HostHandshake, HostInput, HostOutcome, HostOutput, HostParams, Persist,
    PersonDecision, WaitingRequests,
};
use crate::handshake::viewer::{
    Credential, ViewerHandshake, ViewerInput, ViewerOutcome, ViewerOutput, ViewerParams,
    ViewerPersist,
};
use crate::handshake::{self, HandshakeError, HostMessage, ViewerMessage};
use crate::identity::DeviceKey;
use crate::pake::{self, KsfParams, PasswordRecord, ServerSecret};
use crate::settings::{SecretStoreKind, Settings};
use crate::signal::DeviceId;
use crate::throttle::{Throttle, ThrottlePolicy};
use crate::totp::TotpSecret;
use crate::UnixTime;

/// The password every fixture host has on its `default` profile.
pub const PASSWORD: &str = "correct horse battery staple";
/// When every test begins (a whole TOTP step).
pub const START: UnixTime = UnixTime(1_800_000_000);

/// One OPAQUE server secret and one record of [`PASSWORD`], made once: each
/// registration runs Argon2id at the production cost, which the viewer's
/// floor (`KsfParams::MINIMUM`) does not let tests lower.
fn opaque() -> &'static (Vec<u8>, PasswordRecord) {
    static OPAQUE: OnceLock<(Vec<u8>, PasswordRecord)> = OnceLock::new();
    OPAQUE.get_or_init(|| {
        let mut rng = StdRng::seed_from_u64(99);
        let server = ServerSecret::generate(&mut rng);
        let record = pake::register(&server, PASSWORD.as_bytes(), KsfParams::DEFAULT, &mut rng)
            .expect("register");
        (server.to_bytes().to_vec(), record)
    })
}

/// A second record (another password), for "the password was set meanwhile".
pub fn other_record() -> PasswordRecord {
    static OTHER: OnceLock<PasswordRecord> = OnceLock::new();
    OTHER
        .get_or_init(|| {
            let server = ServerSecret::from_bytes(&opaque().0).expect("server");
            pake::register(
                &server,
                b"another password 42",
                KsfParams::DEFAULT,
                &mut StdRng::seed_from_u64(98),
            )
            .expect("register")
        })
        .clone()
}

/// A change made to the settings by someone else.
pub type SettingsEdit = Box<dyn FnMut(&mut Settings)>;

/// The host's store as the fake driver keeps it.
pub struct FakeStore {
    /// The settings "on disk".
    pub settings: Settings,
    /// The TOTP secret, once enrolled.
    pub totp: Option<TotpSecret>,
    /// Whether the main window is open.
    pub window_open: bool,
    /// Requests already waiting.
    pub waiting: WaitingRequests,
    /// A change to make to the settings the next time they are read (another
    /// process writing while a login runs), once the given number of reads passed.
    pub change_on_read: Option<(usize, SettingsEdit)>,
    pub reads: usize,
}

impl HostEnv for FakeStore {
    fn settings(&mut self) -> Result<Settings, HandshakeError> {
        self.reads += 1;
        if let Some((after, change)) = &mut self.change_on_read {
            if self.reads > *after {
                change(&mut self.settings);
                self.change_on_read = None;
            }
        }
        Ok(self.settings.clone())
    }

    fn server_secret(&mut self) -> Result<ServerSecret, HandshakeError> {
        ServerSecret::from_bytes(&opaque().0).map_err(|e| HandshakeError::Store(e.to_string()))
    }

    fn totp_secret(&mut self) -> Result<Option<TotpSecret>, HandshakeError> {
        Ok(self.totp.clone())
    }

    fn window_open(&self) -> bool {
        self.window_open
    }

    fn waiting_requests(&self, _addr: Option<std::net::IpAddr>) -> WaitingRequests {
        self.waiting
    }
}

/// A host with the `default` profile's password set and unattended access on.
pub fn host_settings() -> Settings {
    let mut s = Settings::new(SecretStoreKind::File, &mut StdRng::seed_from_u64(1));
    s.set_password("default", opaque().1.clone()).expect("set");
    s.set_unattended("default", true).expect("on");
    s
}

/// The store of a host with [`host_settings`].
pub fn store() -> FakeStore {
    FakeStore {
        settings: host_settings(),
        totp: None,
        window_open: false,
        waiting: WaitingRequests::default(),
        change_on_read: None,
        reads: 0,
    }
}

/// The host's side: its machine and everything its driver would do.
pub struct HostSide {
    pub machine: HostHandshake,
    pub store: FakeStore,
    pub throttle: Throttle,
    pub now: UnixTime,
    pub inbox: VecDeque<HostInput>,
    /// Messages sent, in order (also delivered to the viewer).
    pub sent: Vec<HostMessage>,
    pub audit: Vec<AuditEvent>,
    /// How often the counters were to be saved.
    pub counters_saved: usize,
    pub asked: Vec<AskRequest>,
    /// What the person at the host answers (when asked); `None`: never.
    pub decision: Option<PersonDecision>,
    pub deadline: Option<UnixTime>,
    pub outcome: Option<HostOutcome>,
    rng: StdRng,
}

/// The viewer's side.
pub struct ViewerSide {
    pub machine: ViewerHandshake,
    pub key: DeviceKey,
    pub now: UnixTime,
    pub inbox: VecDeque<ViewerInput>,
    pub sent: Vec<ViewerMessage>,
    /// Whether it trusts the host key it is shown.
    pub trusts_host: bool,
    pub host_keys_checked: usize,
    pub saved_token: Option<String>,
    pub forgot_token: bool,
    pub forgot_reconnect: bool,
    pub deadline: Option<UnixTime>,
    pub outcome: Option<ViewerOutcome>,
    rng: StdRng,
}

/// Both DTLS fingerprints, as both sides see them (no one in the middle).
pub fn transcript() -> Vec<u8> {
    handshake::transcript("AA:BB:CC", "DD:EE:FF")
}

/// The host's ID.
pub fn host_id() -> DeviceId {
    DeviceId::from_number(123_456_789).expect("id")
}

/// A host with `store`, answering from 192.0.2.7.
pub fn host(store: FakeStore) -> HostSide {
    host_with(
        store,
        Throttle::new(ThrottlePolicy::default()),
        transcript(),
    )
}

/// A host with its own throttle and transcript.
pub fn host_with(store: FakeStore, throttle: Throttle, transcript: Vec<u8>) -> HostSide {
    let key = DeviceKey::generate(&mut StdRng::seed_from_u64(2));
    let params = HostParams {
        transcript,
        host_id: Some(host_id()),
        from_addr: Some("192.0.2.7".into()),
    };
    HostSide {
        machine: HostHandshake::new(params, &key, START),
        store,
        throttle,
        now: START,
        inbox: VecDeque::new(),
        sent: Vec::new(),
        audit: Vec::new(),
        counters_saved: 0,
        asked: Vec::new(),
        decision: None,
        deadline: None,
        outcome: None,
        rng: StdRng::seed_from_u64(3),
    }
}

/// A viewer logging in with `credential`, device key from `seed`.
pub fn viewer(credential: Credential, seed: u64) -> ViewerSide {
    viewer_with(credential, seed, None, None)
}

/// A viewer with a profile to ask for and a TOTP code to give.
pub fn viewer_with(
    credential: Credential,
    seed: u64,
    profile: Option<&str>,
    totp: Option<String>,
) -> ViewerSide {
    let key = DeviceKey::generate(&mut StdRng::seed_from_u64(seed));
    let params = ViewerParams {
        transcript: transcript(),
        host_id: host_id(),
        name: "alice@laptop".into(),
        profile: profile.map(str::to_string),
        credential,
        totp: totp.map(Zeroizing::new),
    };
    ViewerSide {
        machine: ViewerHandshake::new(params, &key, START),
        key,
        now: START,
        inbox: VecDeque::new(),
        sent: Vec::new(),
        trusts_host: true,
        host_keys_checked: 0,
        saved_token: None,
        forgot_token: false,
        forgot_reconnect: false,
        deadline: None,
        outcome: None,
        rng: StdRng::seed_from_u64(4),
    }
}

/// A password credential.
pub fn password(pw: &str, remember: bool) -> Credential {
    Credential::Password {
        password: Zeroizing::new(pw.to_string()),
        remember,
    }
}

/// Through JSON and the size check, as on the wire.
fn wire<T: serde::Serialize>(m: &T) -> Vec<u8> {
    serde_json::to_vec(m).expect("json")
}

impl HostSide {
    /// Feed one input now, then carry out every output.
    pub fn feed(&mut self, input: HostInput, viewer: &mut ViewerSide) {
        self.machine.handle(
            self.now,
            input,
            &mut self.throttle,
            &mut self.store,
            &mut self.rng,
        );
        self.drain(viewer);
    }

    /// Carry out every pending output (what the session driver does).
    pub fn drain(&mut self, viewer: &mut ViewerSide) {
        while let Some(out) = self.machine.poll_output() {
            match out {
                HostOutput::Send(m) => {
                    let input = match handshake::parse(&wire(&m)) {
                        Ok(m) => ViewerInput::Message(m),
                        Err(_) => ViewerInput::Malformed,
                    };
                    viewer.inbox.push_back(input);
                    self.sent.push(m);
                }
                HostOutput::Audit(e) => self.audit.push(e),
                HostOutput::Persist(Persist::ThrottleCounters) => self.counters_saved += 1,
                HostOutput::Persist(Persist::Settings(change)) => {
                    // As `Config::update`: applied to the settings "on disk".
                    let mut on_disk = self.store.settings.clone();
                    change.apply(&mut on_disk).expect("the change still holds");
                    self.store.settings = on_disk;
                }
                HostOutput::Ask(request) => {
                    self.asked.push(request);
                    if let Some(d) = self.decision.take() {
                        self.inbox.push_back(HostInput::Decision(d));
                    }
                }
                HostOutput::Deadline(at) => self.deadline = Some(at),
                HostOutput::Done(outcome) => self.outcome = Some(outcome),
            }
        }
    }

    /// The last access decision in the audit log: (method, profile, outcome, reason).
    pub fn decision_audited(&self) -> (String, Option<String>, String, Option<String>) {
        let last = self.audit.iter().rev().find_map(|e| match e {
            AuditEvent::AccessDecision {
                method,
                profile,
                outcome,
                reason,
                ..
            } => Some((
                method.clone(),
                profile.clone(),
                outcome.clone(),
                reason.clone(),
            )),
            _ => None,
        });
        last.expect("an access decision was audited")
    }

    /// The last message the host sent.
    pub fn last_sent(&self) -> &HostMessage {
        self.sent.last().expect("the host sent something")
    }
}

impl ViewerSide {
    /// Feed one input now, then carry out every output.
    pub fn feed(&mut self, input: ViewerInput, host: &mut HostSide) {
        self.machine.handle(self.now, input, &mut self.rng);
        self.drain(host);
    }

    /// Carry out every pending output.
    pub fn drain(&mut self, host: &mut HostSide) {
        while let Some(out) = self.machine.poll_output() {
            match out {
                ViewerOutput::Send(m) => {
                    let input = match handshake::parse(&wire(&m)) {
                        Ok(m) => HostInput::Message(m),
                        Err(_) => HostInput::Malformed,
                    };
                    host.inbox.push_back(input);
                    self.sent.push(m);
                }
                ViewerOutput::CheckHostKey(_) => {
                    self.host_keys_checked += 1;
                    if self.trusts_host {
                        // Answered at once, before anything else is read (as the driver does).
                        self.inbox.push_front(ViewerInput::HostKeyTrusted);
                    } else {
                        self.outcome = Some(ViewerOutcome::Failed(HandshakeError::Protocol(
                            "host key changed".into(),
                        )));
                    }
                }
                ViewerOutput::Persist(ViewerPersist::SaveToken(t)) => {
                    self.saved_token = Some(t.to_string())
                }
                ViewerOutput::Persist(ViewerPersist::ForgetToken) => self.forgot_token = true,
                ViewerOutput::Persist(ViewerPersist::ForgetReconnect) => {
                    self.forgot_reconnect = true
                }
                ViewerOutput::Deadline(at) => self.deadline = Some(at),
                ViewerOutput::Done(outcome) => self.outcome = Some(outcome),
            }
        }
    }

    fn done(&self) -> bool {
        self.outcome.is_some()
    }
}

/// One step: deliver one message (or decision), else tell a side whose peer
/// finished that the channel closed, else move time to the earliest deadline.
/// `false` when nothing more can happen.
pub fn progress(host: &mut HostSide, viewer: &mut ViewerSide) -> bool {
    host.drain(viewer);
    viewer.drain(host);
    if !viewer.done() {
        if let Some(input) = viewer.inbox.pop_front() {
            viewer.feed(input, host);
            return true;
        }
    }
    if host.outcome.is_none() {
        if let Some(input) = host.inbox.pop_front() {
            host.feed(input, viewer);
            return true;
        }
    }
    // Nothing in flight. A side that finished closes the connection.
    if viewer.done() && host.outcome.is_none() {
        host.feed(HostInput::Closed, viewer);
        return true;
    }
    if host.outcome.is_some() && !viewer.done() {
        viewer.feed(ViewerInput::Closed, host);
        return true;
    }
    // Both wait: time passes to the earliest deadline.
    let pending = [
        host.deadline.filter(|_| host.outcome.is_none()),
        viewer.deadline.filter(|_| !viewer.done()),
    ];
    let Some(next) = pending.into_iter().flatten().min() else {
        return false;
    };
    let now = next.max(host.now).max(viewer.now);
    host.now = now;
    viewer.now = now;
    if host.deadline.is_some_and(|d| d <= now) && host.outcome.is_none() {
        host.deadline = None;
        host.feed(HostInput::Tick, viewer);
    }
    if viewer.deadline.is_some_and(|d| d <= now) && !viewer.done() {
        viewer.deadline = None;
        viewer.feed(ViewerInput::Tick, host);
    }
    true
}

/// Step until nothing more happens; panics past a bound (a loop is a bug).
pub fn run(host: &mut HostSide, viewer: &mut ViewerSide) {
    for _ in 0..200 {
        if !progress(host, viewer) {
            return;
        }
    }
    panic!("the handshake did not settle in 200 steps");
}

/// Run `credential` against `store`: the usual shape of a test.
pub fn handshake(store: FakeStore, viewer_side: ViewerSide) -> (HostSide, ViewerSide) {
    let mut h = host(store);
    let mut v = viewer_side;
    run(&mut h, &mut v);
    (h, v)
}
