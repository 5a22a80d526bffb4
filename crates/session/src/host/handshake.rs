//! One incoming session on the host: WebRTC answer, then the handshake of
//! DESIGN §2 and §5 on the `control` channel, deciding with the rules in
//! `latchkey_core::access` against settings re-read for this request, and
//! writing every decision to the audit log.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use latchkey_core::access::{self, AskDecision, SessionCredential};
use latchkey_core::audit::AuditEvent;
use latchkey_core::handshake::{self, DenialCode, HostMessage, Method, Role, ViewerMessage};
use latchkey_core::identity::{DeviceKey, DevicePublicKey};
use latchkey_core::pake::{HostLogin, KsfParams};
use latchkey_core::permission::PermissionSet;
use latchkey_core::signal::Signature;
use latchkey_core::throttle::{LoginOutcome, PendingLogin};
use latchkey_core::token::Token;
use latchkey_core::totp::{LoginKind, TotpSecret};
use latchkey_store::config::now;
use latchkey_store::{ops, Config, SecretName};
use rand_core::OsRng;

use crate::host::requests::{Decision, RequestInfo};
use crate::host::shared::{is_dead, refused_connection, HostShared};
use crate::transport::peer::{Control, Peer, PeerEvent, CONTROL_LABEL};
use crate::Error;

/// Requests waiting for the person at the host at once; more are refused.
const MAX_WAITING_REQUESTS: usize = 8;
/// How long each handshake step may take (the accept window has its own 60 s).
const STEP: Duration = Duration::from_secs(15);
/// How long a viewer may take to say how it logs in after the hellos: a real
/// viewer sends its method at once, a silent one must not hold a pending slot.
const METHOD_STEP: Duration = Duration::from_secs(5);
/// Requests from one source address waiting for the person at the host at once.
const MAX_WAITING_PER_ADDR: usize = 2;

/// The outcome as the audit log and the viewer see it.
struct Verdict {
    message: HostMessage,
    /// For a grant: what the session logged in with.
    credential: Option<SessionCredential>,
    outcome: LoginOutcome,
    method: &'static str,
    profile: Option<String>,
    reason: Option<String>,
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
        credential: None,
        outcome,
        method,
        profile,
        reason: Some(reason.to_string()),
    }
}

/// Run one session to its end. `from_addr` is the viewer's address as the
/// rendezvous reported it; `answer` sends our SDP answer through signaling.
pub async fn run(
    shared: HostShared,
    mut peer: Peer,
    video: Option<crate::features::video::VideoOut>,
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
    .await
    .map_err(|_| Error::Timeout("waiting for the viewer's control channel"))??;

    // The transcript names the DTLS certificates this connection really
    // authenticated, never what SDP text claims (a rendezvous could rewrite it).
    let (local_fp, remote_fp) = match peer.authenticated_fingerprints().await {
        Ok(fps) => fps,
        Err(e) => {
            refused_connection(&shared, &from_addr, &e.to_string());
            let _ = refuse_protocol(&control, &e.to_string()).await;
            linger(&control).await;
            return Err(e);
        }
    };
    let transcript = handshake::transcript(&remote_fp, &local_fp);

    // Viewer hello.
    let hello: ViewerMessage = match recv(&control).await {
        Ok(h) => h,
        Err(Error::Protocol(why)) => return refuse_protocol(&control, &why).await,
        Err(e) => return Err(e),
    };
    let (viewer_key, viewer_name) = match hello {
        ViewerMessage::Hello {
            version,
            device_key: key,
            name,
            signature,
        } => {
            if version != handshake::VERSION {
                return refuse_protocol(&control, "unsupported handshake version").await;
            }
            if key
                .verify(
                    &handshake::hello_message(Role::Viewer, &transcript),
                    &signature.0,
                )
                .is_err()
            {
                let why = "transcript_mismatch: the viewer's hello is not signed over this connection's DTLS certificates (someone in the middle?)";
                audit(
                    &shared,
                    &key,
                    &sanitize_name(&name),
                    &from_addr,
                    "-",
                    None,
                    "refused",
                    Some(why),
                );
                let result = refuse_protocol(&control, why).await;
                linger(&control).await;
                return result;
            }
            (key, sanitize_name(&name))
        }
        _ => return refuse_protocol(&control, "expected hello").await,
    };
    let signature = Signature(device_key.sign(&handshake::hello_message(Role::Host, &transcript)));
    control
        .send(&HostMessage::Hello {
            version: handshake::VERSION,
            device_key: device_key.public(),
            host_id: shared.device_id.clone(),
            signature,
        })
        .await?;

    let addr: IpAddr = from_addr
        .as_deref()
        .and_then(|a| a.parse().ok())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let begin = {
        let mut t = shared.throttle.lock().unwrap_or_else(|p| p.into_inner());
        t.begin(Some(viewer_key), addr, now())
    };
    let mut pending = match begin {
        Ok(p) => Some(p),
        Err(refusal) => {
            let msg = HostMessage::Denied {
                error: DenialCode::Throttled,
                retry_after_s: Some(refusal.retry_after_s()),
                message: "too many failed attempts: wait before trying again".into(),
            };
            control.send(&msg).await?;
            audit(
                &shared,
                &viewer_key,
                &viewer_name,
                &from_addr,
                "-",
                None,
                "refused",
                Some("throttled"),
            );
            linger(&control).await;
            return Ok(());
        }
    };

    let verdict = decide(
        &shared,
        &control,
        &transcript,
        &viewer_key,
        &viewer_name,
        &from_addr,
        &mut pending,
    )
    .await;
    let verdict = match verdict {
        Ok(v) => v,
        Err(e) => {
            // The viewer left or broke the protocol mid-way.
            finish_login(&shared, &mut pending, LoginOutcome::Abandoned);
            return Err(e);
        }
    };
    finish_login(&shared, &mut pending, verdict.outcome);
    let granted = matches!(verdict.message, HostMessage::Granted { .. });
    let outcome = if granted { "granted" } else { "refused" };
    audit(
        &shared,
        &viewer_key,
        &viewer_name,
        &from_addr,
        verdict.method,
        verdict.profile.clone(),
        outcome,
        verdict.reason.as_deref(),
    );
    control.send(&verdict.message).await?;
    if granted {
        tracing::info!(viewer = %viewer_key.fingerprint(), method = verdict.method, "session granted");
        if let (
            HostMessage::Granted {
                profile,
                permissions,
                ..
            },
            Some(credential),
        ) = (&verdict.message, verdict.credential.clone())
        {
            crate::host::live::run(
                shared.clone(),
                &mut peer,
                &control,
                early,
                video,
                crate::host::live::Grant {
                    viewer: viewer_key.fingerprint(),
                    profile: profile.clone(),
                    permissions: *permissions,
                    credential,
                },
            )
            .await;
        }
    } else {
        linger(&control).await;
    }
    peer.close().await;
    Ok(())
}

/// Hand a pending login back to the throttle (once).
fn finish_login(shared: &HostShared, pending: &mut Option<PendingLogin>, outcome: LoginOutcome) {
    if let Some(p) = pending.take() {
        let mut t = shared.throttle.lock().unwrap_or_else(|p| p.into_inner());
        if t.finish(p, outcome, now()) {
            save_counters(shared, &t);
        }
    }
}

/// Keep the counters across a restart; called under the lock so saves keep their order.
fn save_counters(shared: &HostShared, throttle: &latchkey_core::throttle::Throttle) {
    if let Err(e) = latchkey_store::throttle_file::save(&shared.config_dir, throttle) {
        tracing::warn!(error = %e, "cannot save the failed-login counters");
    }
}

/// Count a password guess against `profile` (the throttle's per-profile ceiling);
/// `Some(verdict)` when the profile had its share of guesses today.
fn count_guess(
    shared: &HostShared,
    pending: &mut Option<PendingLogin>,
    profile: &str,
) -> Option<Verdict> {
    let login = pending.as_mut()?;
    let mut t = shared.throttle.lock().unwrap_or_else(|p| p.into_inner());
    let Err(refusal) = t.begin_guess(login, profile, now()) else {
        // On disk before the challenge leaves: a restart must not give the guess back.
        save_counters(shared, &t);
        return None;
    };
    let mut verdict = denied(
        DenialCode::Throttled,
        "password",
        Some(profile.to_string()),
        "too many password guesses for this profile today",
        LoginOutcome::Abandoned,
    );
    if let HostMessage::Denied { retry_after_s, .. } = &mut verdict.message {
        *retry_after_s = Some(refusal.retry_after_s());
    }
    Some(verdict)
}

/// Give the last message time to leave before closing.
async fn linger(control: &Control) {
    let _ = tokio::time::timeout(Duration::from_secs(2), control.recv()).await;
}

async fn refuse_protocol(control: &Control, why: &str) -> Result<(), Error> {
    let _ = control
        .send(&HostMessage::Denied {
            error: DenialCode::Protocol,
            retry_after_s: None,
            message: why.to_string(),
        })
        .await;
    Err(Error::Protocol(why.to_string()))
}

async fn recv<T: for<'de> serde::Deserialize<'de>>(control: &Control) -> Result<T, Error> {
    recv_within(control, STEP).await
}

async fn recv_within<T: for<'de> serde::Deserialize<'de>>(
    control: &Control,
    limit: Duration,
) -> Result<T, Error> {
    let bytes = tokio::time::timeout(limit, control.recv())
        .await
        .map_err(|_| Error::Timeout("waiting for the viewer"))??;
    handshake::parse(&bytes)
        .map_err(|_| Error::Protocol("malformed or oversized control message".into()))
}

fn sanitize_name(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).take(64).collect()
}

fn open_config(shared: &HostShared) -> Result<Config, Error> {
    Ok(Config::open(&shared.config_dir, shared.store)?)
}

#[allow(clippy::too_many_arguments)]
fn audit(
    shared: &HostShared,
    viewer: &DevicePublicKey,
    name: &str,
    addr: &Option<String>,
    method: &str,
    profile: Option<String>,
    outcome: &str,
    reason: Option<&str>,
) {
    let event = AuditEvent::AccessDecision {
        viewer: viewer.fingerprint(),
        viewer_name: name.to_string(),
        addr: addr.clone(),
        method: method.to_string(),
        profile,
        outcome: outcome.to_string(),
        reason: reason.map(str::to_string),
    };
    match open_config(shared).and_then(|c| c.record(event).map_err(Error::from)) {
        Ok(()) => {}
        Err(e) => tracing::error!(error = %e, "cannot write the audit log"),
    }
}

async fn decide(
    shared: &HostShared,
    control: &Control,
    transcript: &[u8],
    viewer_key: &DevicePublicKey,
    viewer_name: &str,
    from_addr: &Option<String>,
    pending: &mut Option<PendingLogin>,
) -> Result<Verdict, Error> {
    // A login that never says how it logs in counts against its address.
    let method: ViewerMessage = match recv_within(control, METHOD_STEP).await {
        Ok(m) => m,
        Err(Error::Timeout(_)) => {
            return Ok(denied(
                DenialCode::Protocol,
                "-",
                None,
                "no login method in time",
                LoginOutcome::NoMethod,
            ))
        }
        Err(e) => {
            finish_login(shared, pending, LoginOutcome::NoMethod);
            return Err(e);
        }
    };
    // Fresh settings for every request: CLI changes apply at once.
    let mut config = open_config(shared)?;
    if let Some(v) = acl_refusal(config.settings(), viewer_key, &method) {
        return Ok(v);
    }
    match method {
        ViewerMessage::Token { token } => {
            let Ok(token) = Token::parse(&token) else {
                return Ok(denied(
                    DenialCode::WrongCredentials,
                    "token",
                    None,
                    "malformed token",
                    LoginOutcome::Failure,
                ));
            };
            let mut probe = config.settings().clone();
            let profile = match access::check_token(&mut probe, &token, viewer_key, now()) {
                Ok(p) => p,
                Err(refusal) => {
                    let reason = serde_json::to_value(refusal)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default();
                    return Ok(denied(
                        DenialCode::WrongCredentials,
                        "token",
                        None,
                        &format!("token: {reason}"),
                        LoginOutcome::Failure,
                    ));
                }
            };
            // Persist "last used" (re-checked under the lock).
            config.update(|s, _| {
                access::check_token(s, &token, viewer_key, now())
                    .map_err(|_| latchkey_core::Invalid::UnknownToken("changed".into()))?;
                Ok(((), vec![]))
            })?;
            if access::needs_second_factor(config.settings(), LoginKind::Token) {
                if let Some(v) = second_factor(&mut config, control, "token", &profile).await? {
                    return Ok(v);
                }
            }
            let credential = SessionCredential {
                epoch: probe.profiles.get(&profile).map_or(0, |p| p.epoch),
                token_id: probe.tokens.id_of(&token),
                profile,
                method: Method::Token,
            };
            Ok(grant(&config, credential, None, None))
        }
        ViewerMessage::Password {
            profile,
            request,
            remember,
        } => {
            let target = access::password_target(config.settings(), profile.as_deref());
            if target.record.is_some() {
                if let Some(v) = count_guess(shared, pending, &target.profile) {
                    return Ok(v);
                }
            }
            let server = config.server_secret()?;
            let (login, response) = HostLogin::start(
                &server,
                target.record.as_ref(),
                target.profile.as_bytes(),
                &request,
                transcript,
                &mut OsRng,
            )
            .map_err(|_| Error::Protocol("bad OPAQUE request".into()))?;
            let ksf = target
                .record
                .as_ref()
                .map(|r| r.ksf)
                .unwrap_or(KsfParams::DEFAULT);
            control
                .send(&HostMessage::PasswordChallenge { response, ksf })
                .await?;
            // A viewer that leaves here typed a wrong password: count it.
            let finish: ViewerMessage = match recv(control).await {
                Ok(m) => m,
                Err(_) => {
                    return Ok(denied(
                        DenialCode::WrongCredentials,
                        "password",
                        Some(target.profile),
                        "viewer left after the challenge",
                        LoginOutcome::Failure,
                    ))
                }
            };
            let finalization = match finish {
                ViewerMessage::PasswordFinish { finalization } => finalization,
                ViewerMessage::Abort { .. } => {
                    return Ok(denied(
                        DenialCode::WrongCredentials,
                        "password",
                        Some(target.profile),
                        "wrong password, or unattended access off for this profile",
                        LoginOutcome::Failure,
                    ))
                }
                _ => {
                    return Ok(denied(
                        DenialCode::Protocol,
                        "password",
                        Some(target.profile),
                        "expected password_finish",
                        LoginOutcome::Failure,
                    ))
                }
            };
            if target.record.is_none() || login.finish(&finalization).is_err() {
                return Ok(denied(
                    DenialCode::WrongCredentials,
                    "password",
                    Some(target.profile),
                    "wrong password, or unattended access off for this profile",
                    LoginOutcome::Failure,
                ));
            }
            if access::needs_second_factor(config.settings(), LoginKind::Password) {
                if let Some(v) =
                    second_factor(&mut config, control, "password", &target.profile).await?
                {
                    return Ok(v);
                }
            }
            // The password may have been set (or unattended access turned off)
            // while this login ran: then it was checked against a record that
            // no longer holds, and nothing is granted or issued.
            config.reload()?;
            if !access::password_still_current(config.settings(), &target) {
                return Ok(denied(
                    DenialCode::WrongCredentials,
                    "password",
                    Some(target.profile),
                    "the password changed during this login",
                    LoginOutcome::Abandoned,
                ));
            }
            let token = if remember && config.settings().save_login {
                let label = if viewer_name.is_empty() {
                    viewer_key.fingerprint()
                } else {
                    viewer_name.to_string()
                };
                match ops::issue_token(
                    &mut config,
                    *viewer_key,
                    &target.profile,
                    target.epoch,
                    &label,
                ) {
                    Ok((t, _)) => Some(t.expose().to_string()),
                    Err(e) => {
                        tracing::warn!(error = %e, "no token issued");
                        None
                    }
                }
            } else {
                None
            };
            let credential = SessionCredential {
                profile: target.profile,
                method: Method::Password,
                epoch: target.epoch,
                token_id: None,
            };
            Ok(grant(&config, credential, token, None))
        }
        ViewerMessage::Ask { profile } => {
            let settings = config.settings();
            let wanted = profile.unwrap_or_else(|| settings.default_profile.clone());
            if access::interactive_decision(
                settings.interactive,
                shared
                    .window_open
                    .load(std::sync::atomic::Ordering::Relaxed),
            ) == AskDecision::Refuse
            {
                let why = format!(
                    "interactive mode '{}' refuses requests without a credential",
                    settings.interactive
                );
                return Ok(denied(
                    DenialCode::Denied,
                    "ask",
                    Some(wanted),
                    &why,
                    LoginOutcome::Abandoned,
                ));
            }
            // Waiting for a person is not a credential check: give the throttle's
            // pending-login slot back, and cap waiting requests on their own.
            finish_login(shared, pending, LoginOutcome::Abandoned);
            if shared.requests.len() >= MAX_WAITING_REQUESTS {
                return Ok(denied(
                    DenialCode::Denied,
                    "ask",
                    Some(wanted),
                    "too many requests are already waiting",
                    LoginOutcome::Abandoned,
                ));
            }
            let source = |a: &Option<String>| {
                let ip = a.as_deref().and_then(|a| a.parse::<IpAddr>().ok());
                ip.map(latchkey_core::throttle::normalize_addr)
            };
            let from_here = shared.requests.list().into_iter();
            let same = from_here.filter(|r| source(&r.addr) == source(from_addr));
            if same.count() >= MAX_WAITING_PER_ADDR {
                return Ok(denied(
                    DenialCode::Denied,
                    "ask",
                    Some(wanted),
                    "too many requests from this address are already waiting",
                    LoginOutcome::Abandoned,
                ));
            }
            let info = RequestInfo {
                id: String::new(),
                viewer: viewer_key.fingerprint(),
                viewer_name: viewer_name.to_string(),
                seen: crate::host::requests::Seen::of(&config, viewer_key),
                profile: wanted.clone(),
                addr: from_addr.clone(),
                expires_in_s: handshake::ASK_TIMEOUT_S,
            };
            let timeout = Duration::from_secs(handshake::ASK_TIMEOUT_S);
            let (id, rx) = shared.requests.add(info, timeout);
            control
                .send(&HostMessage::Waiting {
                    timeout_s: handshake::ASK_TIMEOUT_S,
                })
                .await?;
            let decision = tokio::select! {
                d = tokio::time::timeout(timeout, rx) => d.ok().and_then(|r| r.ok()),
                _ = control.recv() => None,
            };
            shared.requests.remove(&id);
            match decision {
                Some(Decision::Accept { profile, withdraw }) => {
                    config.reload()?;
                    let granted_profile = profile.unwrap_or(wanted);
                    if access::acl_check(config.settings(), viewer_key, Some(&granted_profile))
                        .is_err()
                    {
                        return Ok(acl_denied(Some(granted_profile), "ask"));
                    }
                    match access::accepted_grant(config.settings(), &granted_profile, &withdraw) {
                        Ok(perms) => {
                            let credential = SessionCredential {
                                epoch: config
                                    .settings()
                                    .profiles
                                    .get(&granted_profile)
                                    .map_or(0, |p| p.epoch),
                                profile: granted_profile,
                                method: Method::Accepted,
                                token_id: None,
                            };
                            Ok(grant(&config, credential, None, Some(perms)))
                        }
                        Err(e) => Ok(denied(
                            DenialCode::Denied,
                            "ask",
                            Some(granted_profile),
                            &e.to_string(),
                            LoginOutcome::Abandoned,
                        )),
                    }
                }
                Some(Decision::Deny) => Ok(denied(
                    DenialCode::Denied,
                    "ask",
                    Some(wanted),
                    "denied by the person at the host",
                    LoginOutcome::Abandoned,
                )),
                None => Ok(denied(
                    DenialCode::Denied,
                    "ask",
                    Some(wanted),
                    "no answer within 60 s",
                    LoginOutcome::Abandoned,
                )),
            }
        }
        _ => Ok(denied(
            DenialCode::Protocol,
            "-",
            None,
            "expected a login method",
            LoginOutcome::Failure,
        )),
    }
}

fn grant(
    config: &Config,
    credential: SessionCredential,
    token: Option<String>,
    permissions: Option<PermissionSet>,
) -> Verdict {
    let profile = credential.profile.clone();
    let method = credential.method;
    let permissions = permissions
        .or_else(|| {
            config
                .settings()
                .profiles
                .get(&profile)
                .ok()
                .map(|p| p.permissions)
        })
        .unwrap_or(PermissionSet::NONE);
    Verdict {
        message: HostMessage::Granted {
            method,
            profile: profile.clone(),
            permissions,
            token,
        },
        credential: Some(credential),
        outcome: LoginOutcome::Success,
        method: method.name(),
        profile: Some(profile),
        reason: None,
    }
}

/// Ask for and check a second factor. `Some(verdict)` when it refuses.
async fn second_factor(
    config: &mut Config,
    control: &Control,
    method: &'static str,
    profile: &str,
) -> Result<Option<Verdict>, Error> {
    let refuse = |error, reason: &str, outcome| {
        Some(denied(error, method, Some(profile.into()), reason, outcome))
    };
    control.send(&HostMessage::SecondFactorRequired).await?;
    let code = match recv::<ViewerMessage>(control).await {
        Ok(ViewerMessage::SecondFactor { code }) => zeroize::Zeroizing::new(code),
        Ok(_) => {
            return Ok(refuse(
                DenialCode::Protocol,
                "expected a second factor",
                LoginOutcome::Failure,
            ))
        }
        Err(_) => {
            return Ok(refuse(
                DenialCode::SecondFactorRequired,
                "no second factor given",
                LoginOutcome::Abandoned,
            ))
        }
    };
    let Some(secret) = config.secrets().get(&SecretName::Totp)? else {
        return Ok(refuse(
            DenialCode::SecondFactorInvalid,
            "2FA is on but its secret is missing",
            LoginOutcome::Failure,
        ));
    };
    let secret = TotpSecret::from_bytes(&secret)?;
    let checked = config.update(|s, _| {
        let used = access::check_second_factor(s, &secret, &code, now());
        Ok((used, vec![]))
    })?;
    match checked {
        Ok(_) => Ok(None),
        Err(refusal) => {
            let reason = format!("second factor {refusal:?}").to_lowercase();
            Ok(refuse(
                DenialCode::SecondFactorInvalid,
                &reason,
                LoginOutcome::Failure,
            ))
        }
    }
}

/// The access control list's refusal of this request, if it refuses: taken
/// before any credential is checked or any person asked.
fn acl_refusal(
    settings: &latchkey_core::settings::Settings,
    viewer_key: &DevicePublicKey,
    method: &ViewerMessage,
) -> Option<Verdict> {
    let (name, profile) = match method {
        ViewerMessage::Password { profile, .. } => ("password", profile.clone()),
        ViewerMessage::Ask { profile } => ("ask", profile.clone()),
        ViewerMessage::Token { token } => {
            // The profile a valid token logs into; an invalid one fails later anyway.
            let mut probe = settings.clone();
            let profile = Token::parse(token)
                .ok()
                .and_then(|t| access::check_token(&mut probe, &t, viewer_key, now()).ok());
            ("token", profile)
        }
        _ => return None,
    };
    let profile = match (name, profile) {
        ("token", p) => p,
        (_, p) => Some(p.unwrap_or_else(|| settings.default_profile.clone())),
    };
    access::acl_check(settings, viewer_key, profile.as_deref())
        .err()
        .map(|_| acl_denied(profile, name))
}

fn acl_denied(profile: Option<String>, method: &'static str) -> Verdict {
    denied(
        DenialCode::Denied,
        method,
        profile,
        latchkey_core::acl::AclRefusal::REASON,
        LoginOutcome::Abandoned,
    )
}
