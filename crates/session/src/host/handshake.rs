//! One incoming session on the host: wait for the viewer's `control`
//! channel, then drive core's handshake state machine
//! ([`latchkey_core::handshake::host`], DESIGN §2 and §5) over it: feed it
//! what arrives, do what it says (send, audit, persist, show the accept
//! window, sleep until its deadline), and run the session it grants.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use latchkey_core::audit::AuditEvent;
use latchkey_core::handshake::host::{
    HostEnv, HostHandshake, HostInput, HostOutcome, HostOutput, HostParams, Persist,
    PersonDecision, WaitingRequests,
};
use latchkey_core::handshake::{self, DenialCode, HandshakeError, HostMessage};
use latchkey_core::identity::DeviceKey;
use latchkey_core::pake::ServerSecret;
use latchkey_core::settings::Settings;
use latchkey_core::throttle::Throttle;
use latchkey_core::totp::TotpSecret;
use latchkey_core::UnixTime;
use latchkey_store::config::now;
use latchkey_store::{Config, SecretName};
use rand_core::OsRng;
use tokio::sync::oneshot;

use crate::host::requests::{Decision, RequestInfo};
use crate::host::shared::{is_dead, refused_connection, HostShared};
use crate::machine_clock::MachineClock;
use crate::transport::peer::{Control, Peer, PeerEvent, CONTROL_LABEL};
use crate::Error;

/// How long the viewer's control channel may take to open.
const STEP: Duration = Duration::from_secs(handshake::host::STEP_S);

/// Run one session to its end. `from_addr` is the viewer's address as the
/// rendezvous reported it.
pub async fn run(
    shared: HostShared,
    mut peer: Peer,
    video: Option<crate::features::video::VideoOut>,
    sound: Option<crate::features::sound::SoundOut>,
    from_addr: Option<String>,
    device_key: Arc<DeviceKey>,
) -> Result<(), Error> {
    // Wait for the viewer's control channel; keep the pointer channel if it comes first.
    let mut early = Vec::new();
    let control = tokio::time::timeout(STEP, async {
        loop {
            match peer.next_event().await {
                Some(PeerEvent::DataChannel(dc)) => match dc.label().await.ok().as_deref() {
                    Some(CONTROL_LABEL) => return Ok(Control::new(dc)),
                    Some(_) => early.push(dc),
                    None => {}
                },
                Some(PeerEvent::State(s)) if is_dead(s) => return Err(Error::PeerGone),
                Some(_) => {}
                None => return Err(Error::PeerGone),
            }
        }
    })
    .await;
    let control = match control {
        Ok(Ok(control)) => Ok(control),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(Error::Timeout("waiting for the viewer's control channel")),
    };
    let control = control.inspect_err(|_| {
        if let Some(why) = peer.relay_failure() {
            tracing::warn!(%why, "no path to the viewer");
        }
    })?;
    if let Some(path) = peer.selected_path().await {
        tracing::info!(local = %path.local, remote = %path.remote, "ICE selected a candidate pair");
    }

    // The transcript names the DTLS certificates this connection really
    // authenticated, never what SDP text claims (a rendezvous could rewrite it).
    let (local_fp, remote_fp) = match peer.authenticated_fingerprints().await {
        Ok(fps) => fps,
        Err(e) => {
            refused_connection(&shared, &from_addr, &e.to_string());
            let _ = control
                .send(&HostMessage::Denied {
                    error: DenialCode::Protocol,
                    retry_after_s: None,
                    message: e.to_string(),
                })
                .await;
            linger(&control).await;
            return Err(e);
        }
    };
    let params = HostParams {
        transcript: handshake::transcript(&remote_fp, &local_fp),
        host_id: shared.device_id.clone(),
        from_addr,
    };
    let mut machine = HostHandshake::new(params, &device_key, now());
    let mut env = Env {
        shared: &shared,
        config: None,
        error: None,
    };
    let outcome = drive(&mut machine, &mut env, &control).await;
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            machine.abort(now(), &mut lock(&shared.throttle));
            return Err(e);
        }
    };
    match outcome {
        HostOutcome::Granted(grant) => {
            tracing::info!(viewer = %grant.viewer.fingerprint(), method = grant.credential.method.name(), "session granted");
            let grant = crate::host::live::Grant {
                viewer: grant.viewer.fingerprint(),
                viewer_key: grant.viewer,
                viewer_name: grant.viewer_name,
                profile: grant.profile,
                permissions: grant.permissions,
                credential: grant.credential,
            };
            crate::host::live::run(
                shared.clone(),
                &mut peer,
                &control,
                early,
                (video, sound),
                grant,
            )
            .await;
        }
        HostOutcome::Refused => linger(&control).await,
        HostOutcome::Failed {
            error,
            linger: wait,
        } => {
            if wait {
                linger(&control).await;
            }
            return Err(env.error.take().unwrap_or_else(|| match error {
                HandshakeError::Timeout(what) => Error::Timeout(what),
                HandshakeError::PeerLeft => Error::PeerGone,
                other => Error::Protocol(other.to_string()),
            }));
        }
    }
    peer.close().await;
    Ok(())
}

/// Feed the machine until it is done, carrying out each output in order.
async fn drive(
    machine: &mut HostHandshake,
    env: &mut Env<'_>,
    control: &Control,
) -> Result<HostOutcome, Error> {
    let throttle = &env.shared.throttle;
    let mut clock = MachineClock::start();
    let mut deadline: Option<UnixTime> = None;
    // The accept window's request, and its answer while none came yet.
    let mut request: Option<String> = None;
    let mut answer: Option<oneshot::Receiver<Decision>> = None;
    // A token whose record could not be written is not handed out.
    let mut token_unsaved = false;
    loop {
        while let Some(output) = machine.poll_output() {
            match output {
                HostOutput::Send(mut m) => {
                    if let HostMessage::Granted { token, .. } = &mut m {
                        if token_unsaved {
                            *token = None;
                        }
                    }
                    control.send(&m).await?
                }
                HostOutput::Audit(AuditEvent::TokenIssued { .. }) if token_unsaved => {}
                HostOutput::Audit(event) => env.audit(event),
                HostOutput::Persist(Persist::ThrottleCounters) => {
                    save_counters(env.shared, &lock(throttle))
                }
                HostOutput::Persist(Persist::Settings(change)) => {
                    let issued = matches!(
                        change,
                        latchkey_core::handshake::host::SettingsChange::TokenIssued(_)
                    );
                    let written = env.config()?.update(|s, _| Ok((change.apply(s)?, vec![])));
                    match written {
                        Ok(()) => {}
                        Err(e) if issued => {
                            tracing::warn!(error = %e, "no token issued");
                            token_unsaved = true;
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                HostOutput::Ask(ask) => {
                    let info = RequestInfo {
                        id: String::new(),
                        viewer: ask.viewer.fingerprint(),
                        viewer_name: ask.viewer_name,
                        seen: crate::host::requests::Seen::of(env.config()?, &ask.viewer),
                        profile: ask.profile,
                        addr: ask.addr,
                        expires_in_s: ask.expires_in_s,
                    };
                    let timeout = Duration::from_secs(ask.expires_in_s);
                    let (id, rx) = env.shared.requests.add(info, timeout);
                    (request, answer) = (Some(id), Some(rx));
                }
                HostOutput::Deadline(at) => deadline = Some(at),
                HostOutput::Done(outcome) => {
                    if let Some(id) = request.take() {
                        env.shared.requests.remove(&id);
                    }
                    return Ok(outcome);
                }
            }
        }
        let input = tokio::select! {
            r = control.recv() => match r.map(|b| handshake::parse(&b)) {
                Ok(Ok(m)) => HostInput::Message(m),
                Ok(Err(_)) => HostInput::Malformed,
                Err(_) => HostInput::Closed,
            },
            d = async { answer.as_mut().expect("guarded by the condition").await }, if answer.is_some() => {
                answer = None;
                HostInput::Decision(match d {
                    Ok(Decision::Accept { profile, withdraw }) => PersonDecision::Accept { profile, withdraw },
                    Ok(Decision::Deny) => PersonDecision::Deny,
                    Err(_) => PersonDecision::NoAnswer,
                })
            },
            _ = clock.until(deadline) => HostInput::Tick,
        };
        let at = clock.feed(deadline.filter(|_| matches!(input, HostInput::Tick)));
        machine.handle(at, input, &mut lock(throttle), env, &mut OsRng);
    }
}

fn lock(throttle: &Mutex<Throttle>) -> std::sync::MutexGuard<'_, Throttle> {
    throttle.lock().unwrap_or_else(|p| p.into_inner())
}

/// What the machine reads from the host's store; keeps the first error for `run`.
struct Env<'a> {
    shared: &'a HostShared,
    config: Option<Config>,
    error: Option<Error>,
}

impl Env<'_> {
    fn config(&mut self) -> Result<&mut Config, Error> {
        match &mut self.config {
            Some(c) => Ok(c),
            slot => Ok(slot.insert(open_config(self.shared)?)),
        }
    }

    fn audit(&mut self, event: AuditEvent) {
        if let Err(e) = self
            .config()
            .and_then(|c| c.record(event).map_err(Error::from))
        {
            tracing::error!(error = %e, "cannot write the audit log");
        }
    }

    fn failed(&mut self, e: Error) -> HandshakeError {
        let why = HandshakeError::Store(e.to_string());
        self.error.get_or_insert(e);
        why
    }
}

impl HostEnv for Env<'_> {
    fn settings(&mut self) -> Result<Settings, HandshakeError> {
        // Fresh settings for every read: CLI changes apply at once.
        let read = match &mut self.config {
            Some(c) => c
                .reload()
                .map_err(Error::from)
                .map(|()| c.settings().clone()),
            None => self.config().map(|c| c.settings().clone()),
        };
        read.map_err(|e| self.failed(e))
    }

    fn server_secret(&mut self) -> Result<ServerSecret, HandshakeError> {
        let secret = self.config().and_then(|c| Ok(c.server_secret()?));
        secret.map_err(|e| self.failed(e))
    }

    fn totp_secret(&mut self) -> Result<Option<TotpSecret>, HandshakeError> {
        let read = self
            .config()
            .and_then(|c| Ok(c.secrets().get(&SecretName::Totp)?));
        let parsed = read.and_then(|s| Ok(s.map(|b| TotpSecret::from_bytes(&b)).transpose()?));
        parsed.map_err(|e| self.failed(e))
    }

    fn window_open(&self) -> bool {
        self.shared
            .window_open
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    fn waiting_requests(&self, addr: Option<IpAddr>) -> WaitingRequests {
        let waiting = self.shared.requests.list();
        let source = |a: &Option<String>| {
            let ip = a.as_deref().and_then(|a| a.parse::<IpAddr>().ok());
            ip.map(latchkey_core::throttle::normalize_addr)
        };
        WaitingRequests {
            total: waiting.len(),
            from_addr: waiting.iter().filter(|r| source(&r.addr) == addr).count(),
        }
    }
}

/// Keep the counters across a restart; called under the lock so saves keep their order.
fn save_counters(shared: &HostShared, throttle: &Throttle) {
    if let Err(e) = latchkey_store::throttle_file::save(&shared.config_dir, throttle) {
        tracing::warn!(error = %e, "cannot save the failed-login counters");
    }
}

/// Give the last message time to leave before closing.
async fn linger(control: &Control) {
    let _ = tokio::time::timeout(Duration::from_secs(2), control.recv()).await;
}

fn open_config(shared: &HostShared) -> Result<Config, Error> {
    Ok(Config::open(&shared.config_dir, shared.store)?)
}
