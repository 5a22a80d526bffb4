//! The session handshake on the `control` channel: its messages as either
//! side reads them, and the host's state machine fed a script of inputs.

use std::sync::OnceLock;

use rand::rngs::StdRng;
use rand::SeedableRng;

use latchkey_core::handshake::host::{
    HostEnv, HostHandshake, HostInput, HostOutcome, HostOutput, HostParams, Persist,
    PersonDecision, WaitingRequests,
};
use latchkey_core::handshake::{
    self, hello_message, HandshakeError, HostMessage, Role, ViewerMessage, MAX_CONTROL_MESSAGE,
};
use latchkey_core::identity::DeviceKey;
use latchkey_core::pake::{self, KsfParams, PasswordRecord, ServerSecret, ViewerLogin};
use latchkey_core::settings::{InteractiveMode, SecretStoreKind, Settings};
use latchkey_core::signal::{DeviceId, Signature};
use latchkey_core::throttle::{Throttle, ThrottlePolicy};
use latchkey_core::token::Token;
use latchkey_core::totp::TotpSecret;
use latchkey_core::UnixTime;

use crate::assert_round_trip;

/// A control message as the host reads the viewer's and the viewer the host's.
pub fn handshake_message(data: &[u8]) {
    let viewer = handshake::parse::<ViewerMessage>(data);
    let host = handshake::parse::<HostMessage>(data);
    if data.len() > MAX_CONTROL_MESSAGE {
        assert!(viewer.is_err() && host.is_err());
        return;
    }
    if let Ok(m) = &viewer {
        let wire = serde_json::to_vec(m).expect("serializes");
        assert_round_trip(m, &wire, crate::from_json::<ViewerMessage>);
    }
    if let Ok(m) = &host {
        let wire = serde_json::to_vec(m).expect("serializes");
        assert_round_trip(m, &wire, crate::from_json::<HostMessage>);
    }
}

/// The most inputs one run feeds.
const MAX_STEPS: usize = 24;
/// When every run begins (a whole TOTP step).
const START: UnixTime = UnixTime(1_800_000_000);

/// The host's handshake fed a script: the first byte picks the host's
/// configuration, then one input per line. A line is a viewer message as
/// JSON, or one of the words `!hello` (a correctly signed hello), `!password`
/// (a real OPAQUE request), `!token` (the viewer's valid saved-login token),
/// `!code` (the current TOTP code), `!tick` (31 s pass), `!close`,
/// `!accept`, `!deny`, `!noanswer` (the person at the host).
///
/// Checked: every message the host sends fits the control-message limit and
/// reads back as itself; every settings change it asks for applies; it
/// finishes once and is silent afterwards; a grant never exceeds the
/// granted profile's permissions.
pub fn handshake_host(data: &[u8]) {
    let Some((&config, script)) = data.split_first() else {
        return;
    };
    let mut run = HostRun::new(config);
    for line in script.split(|b| *b == b'\n').take(MAX_STEPS) {
        let input = match line {
            b"!hello" => HostInput::Message(fixture().viewer_hello.clone()),
            b"!password" => HostInput::Message(fixture().password.clone()),
            b"!token" => HostInput::Message(ViewerMessage::Token {
                token: run.token.clone(),
            }),
            b"!code" => HostInput::Message(ViewerMessage::SecondFactor {
                code: fixture().totp.code_at_step(run.now.0 / 30).expect("a code"),
            }),
            b"!tick" => {
                run.now = run.now.plus(31);
                HostInput::Tick
            }
            b"!close" => HostInput::Closed,
            b"!accept" => HostInput::Decision(PersonDecision::Accept {
                profile: None,
                withdraw: Vec::new(),
            }),
            b"!deny" => HostInput::Decision(PersonDecision::Deny),
            b"!noanswer" => HostInput::Decision(PersonDecision::NoAnswer),
            json => match handshake::parse::<ViewerMessage>(json) {
                Ok(m) => HostInput::Message(m),
                Err(_) => HostInput::Malformed,
            },
        };
        run.feed(input);
    }
}

/// What every run shares (made once: an OPAQUE registration runs Argon2id).
struct Fixture {
    server: Vec<u8>,
    record: PasswordRecord,
    host_key: DeviceKey,
    viewer_key: DeviceKey,
    viewer_hello: ViewerMessage,
    password: ViewerMessage,
    totp: TotpSecret,
}

const PASSWORD: &str = "correct horse battery staple";

fn transcript() -> Vec<u8> {
    handshake::transcript("AA:BB:CC", "DD:EE:FF")
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let mut rng = StdRng::seed_from_u64(1);
        let server = ServerSecret::generate(&mut rng);
        let record = pake::register(&server, PASSWORD.as_bytes(), KsfParams::DEFAULT, &mut rng)
            .expect("register");
        let viewer_key = DeviceKey::generate(&mut rng);
        let viewer_hello = ViewerMessage::Hello {
            version: handshake::VERSION,
            device_key: viewer_key.public(),
            name: "alice@laptop".into(),
            signature: Signature(viewer_key.sign(&hello_message(Role::Viewer, &transcript()))),
        };
        let (_, request) = ViewerLogin::start(PASSWORD.as_bytes(), &mut rng).expect("start");
        Fixture {
            server: server.to_bytes().to_vec(),
            record,
            host_key: DeviceKey::generate(&mut rng),
            viewer_key,
            viewer_hello,
            password: ViewerMessage::Password {
                profile: None,
                request,
                remember: true,
            },
            totp: TotpSecret::generate(&mut rng),
        }
    })
}

/// The host's store as the driver keeps it.
struct Store {
    settings: Settings,
    totp: bool,
    window_open: bool,
}

impl HostEnv for Store {
    fn settings(&mut self) -> Result<Settings, HandshakeError> {
        Ok(self.settings.clone())
    }

    fn server_secret(&mut self) -> Result<ServerSecret, HandshakeError> {
        ServerSecret::from_bytes(&fixture().server)
            .map_err(|e| HandshakeError::Store(e.to_string()))
    }

    fn totp_secret(&mut self) -> Result<Option<TotpSecret>, HandshakeError> {
        Ok(self.totp.then(|| fixture().totp.clone()))
    }

    fn window_open(&self) -> bool {
        self.window_open
    }

    fn waiting_requests(&self, _addr: Option<std::net::IpAddr>) -> WaitingRequests {
        WaitingRequests::default()
    }
}

/// One handshake on the host, driven as the session crate's driver does.
struct HostRun {
    machine: HostHandshake,
    store: Store,
    throttle: Throttle,
    rng: StdRng,
    now: UnixTime,
    token: String,
    done: bool,
}

impl HostRun {
    /// Config bits: 0 two-factor on, 1 it applies to tokens, 2 saving
    /// logins allowed, 3-4 the interactive mode, 5 the window is open,
    /// 6 unattended access on.
    fn new(config: u8) -> Self {
        let f = fixture();
        let mut rng = StdRng::seed_from_u64(u64::from(config));
        let mut settings = Settings::new(SecretStoreKind::File, &mut rng);
        settings
            .set_password("default", f.record.clone())
            .expect("password");
        settings
            .set_unattended("default", config & 0x40 != 0)
            .expect("unattended");
        settings.two_factor.enabled = config & 0x01 != 0;
        settings.two_factor.apply_to_tokens = config & 0x02 != 0;
        settings.interactive = match (config >> 3) & 0x03 {
            0 => InteractiveMode::Always,
            1 => InteractiveMode::Window,
            _ => InteractiveMode::Never,
        };
        // A token issued to the fixture's viewer (needs saving logins on).
        settings.save_login = true;
        let epoch = settings.profiles.get("default").expect("default").epoch;
        let token = settings
            .issue_token(
                f.viewer_key.public(),
                "default",
                epoch,
                "fuzz",
                START,
                &mut rng,
            )
            .map(|(t, _)| t.expose().to_string())
            .unwrap_or_else(|_| Token::generate(&mut rng).expose().to_string());
        settings.save_login = config & 0x04 != 0;
        let params = HostParams {
            transcript: transcript(),
            host_id: DeviceId::from_number(123_456_789),
            from_addr: Some("192.0.2.7".into()),
        };
        let mut run = HostRun {
            machine: HostHandshake::new(params, &f.host_key, START),
            store: Store {
                settings,
                totp: config & 0x01 != 0,
                window_open: config & 0x20 != 0,
            },
            throttle: Throttle::new(ThrottlePolicy::default()),
            rng,
            now: START,
            token,
            done: false,
        };
        run.drain();
        run
    }

    fn feed(&mut self, input: HostInput) {
        self.machine.handle(
            self.now,
            input,
            &mut self.throttle,
            &mut self.store,
            &mut self.rng,
        );
        self.drain();
    }

    fn drain(&mut self) {
        while let Some(out) = self.machine.poll_output() {
            assert!(!self.done, "output after the end: {out:?}");
            match out {
                HostOutput::Send(m) => {
                    let wire = serde_json::to_vec(&m).expect("serializes");
                    assert!(
                        wire.len() <= MAX_CONTROL_MESSAGE,
                        "the host sent {} bytes, over the viewer's limit",
                        wire.len()
                    );
                    assert_round_trip(&m, &wire, handshake::parse::<HostMessage>);
                }
                HostOutput::Persist(Persist::Settings(change)) => {
                    change
                        .apply(&mut self.store.settings)
                        .expect("the change applies");
                }
                HostOutput::Done(outcome) => {
                    self.done = true;
                    assert!(self.machine.is_done());
                    if let HostOutcome::Granted(grant) = outcome {
                        let profile = self
                            .store
                            .settings
                            .profiles
                            .get(&grant.profile)
                            .expect("granted profile exists");
                        assert!(
                            grant
                                .permissions
                                .iter()
                                .all(|p| profile.permissions.contains(p)),
                            "granted more than the profile has"
                        );
                    }
                }
                HostOutput::Persist(Persist::ThrottleCounters)
                | HostOutput::Audit(_)
                | HostOutput::Ask(_)
                | HostOutput::Deadline(_) => {}
            }
        }
    }
}
