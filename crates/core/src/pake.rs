//! Password-authenticated key exchange (OPAQUE, `opaque-ke`) with Argon2id as
//! its key-stretching function.
//!
//! The host never stores the password, nor a fast hash of it: it keeps a
//! [`PasswordRecord`] (the OPAQUE registration record) in its settings and a
//! [`ServerSecret`] (the OPRF seed and the host's OPAQUE key pair) in the secret
//! store. Neither alone allows an offline guess; together they allow one Argon2id
//! evaluation per guess, like any stored password hash.
//!
//! A login runs in three messages. The viewer starts with the password
//! ([`ViewerLogin::start`]), the host answers ([`HostLogin::start`]), the viewer
//! finishes ([`ViewerLogin::finish`], which runs Argon2id and fails at once on a
//! wrong password) and the host checks the finalization ([`HostLogin::finish`]).
//! Both ends then hold the same session key. The `context` both ends pass in is
//! bound into the key exchange: the session layer passes the DTLS fingerprints of
//! the peer connection, so a relay in the middle cannot reuse a transcript.

use argon2::{Algorithm, Argon2, Params, Version};
use opaque_ke::{
    ClientLogin, ClientLoginFinishParameters, ClientRegistration,
    ClientRegistrationFinishParameters, CredentialFinalization, CredentialRequest,
    CredentialResponse, Identifiers, ServerLogin, ServerLoginStartParameters, ServerRegistration,
    ServerSetup,
};
use rand_core::CryptoRngCore;
use serde::{Deserialize, Serialize};
use std::fmt;
use zeroize::Zeroizing;

use crate::Error;

/// The OPAQUE cipher suite: ristretto255 for the OPRF and the key exchange
/// (3DH), SHA-512, Argon2id as the key-stretching function.
pub struct Suite;

impl opaque_ke::CipherSuite for Suite {
    type OprfCs = opaque_ke::Ristretto255;
    type KeGroup = opaque_ke::Ristretto255;
    type KeyExchange = opaque_ke::key_exchange::tripledh::TripleDh;
    type Ksf = Argon2<'static>;
}

/// Argon2id parameters used to stretch the password inside OPAQUE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KsfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes over memory.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl KsfParams {
    /// What Latchkey uses: 64 MiB, 3 passes, 1 lane (RFC 9106's second
    /// recommended option; see the closing note of the foundation issue for its cost).
    pub const DEFAULT: KsfParams = KsfParams {
        m_kib: 64 * 1024,
        t: 3,
        p: 1,
    };
    /// The floor a viewer accepts from a host: weaker stretching is refused.
    pub const MINIMUM: KsfParams = KsfParams {
        m_kib: 64 * 1024,
        t: 3,
        p: 1,
    };

    /// Whether these parameters are at least [`KsfParams::MINIMUM`].
    pub fn meets_minimum(&self) -> bool {
        self.m_kib >= Self::MINIMUM.m_kib
            && self.t >= Self::MINIMUM.t
            && self.p >= 1
            && self.p <= 16
            && self.m_kib <= 4 * 1024 * 1024
    }

    /// The Argon2id instance these parameters describe.
    pub fn argon2(&self) -> Result<Argon2<'static>, Error> {
        let params = Params::new(self.m_kib, self.t, self.p, None)
            .map_err(|_| Error::corrupt("Argon2id parameters out of range"))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// The host's OPAQUE secret (OPRF seed and key pair). Lives in the secret store.
pub struct ServerSecret(ServerSetup<Suite>);

impl ServerSecret {
    /// A fresh secret, made once per device.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        ServerSecret(ServerSetup::new(rng))
    }

    /// Restore from the bytes kept in the secret store.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        ServerSetup::deserialize(bytes)
            .map(ServerSecret)
            .map_err(|_| Error::corrupt("OPAQUE server secret"))
    }

    /// The bytes to keep in the secret store.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.0.serialize().to_vec())
    }
}

impl fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerSecret(REDACTED)")
    }
}

/// A profile's password as the host keeps it: the OPAQUE registration record,
/// the identifier it was registered under, and the Argon2id parameters.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordRecord {
    /// Random per record, so a renamed profile keeps its password and two
    /// profiles with the same password have unrelated records.
    #[serde(with = "hex")]
    pub credential_id: Vec<u8>,
    /// `ServerRegistration` bytes.
    #[serde(with = "hex")]
    pub registration: Vec<u8>,
    /// Stretching the viewer must apply.
    pub ksf: KsfParams,
}

impl fmt::Debug for PasswordRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PasswordRecord(id {}, {:?})",
            hex::encode(&self.credential_id),
            self.ksf
        )
    }
}

fn protocol(_: impl fmt::Debug) -> Error {
    Error::AuthenticationFailed
}

/// Make the record for `password` (both halves of OPAQUE registration, run locally
/// on the host when its owner sets the password).
pub fn register(
    server: &ServerSecret,
    password: &[u8],
    ksf: KsfParams,
    rng: &mut impl CryptoRngCore,
) -> Result<PasswordRecord, Error> {
    let mut credential_id = vec![0u8; 16];
    rng.fill_bytes(&mut credential_id);
    let argon = ksf.argon2()?;
    let start = ClientRegistration::<Suite>::start(rng, password)
        .map_err(|_| Error::Crypto("OPAQUE registration start"))?;
    let response = ServerRegistration::<Suite>::start(&server.0, start.message, &credential_id)
        .map_err(|_| Error::Crypto("OPAQUE registration response"))?;
    let finish = start
        .state
        .finish(
            rng,
            password,
            response.message,
            ClientRegistrationFinishParameters::new(Identifiers::default(), Some(&argon)),
        )
        .map_err(|_| Error::Crypto("OPAQUE registration finish (Argon2id)"))?;
    let record = ServerRegistration::<Suite>::finish(finish.message);
    Ok(PasswordRecord {
        credential_id,
        registration: record.serialize().to_vec(),
        ksf,
    })
}

/// The shared session key both ends hold after a successful login.
pub type SessionKey = Zeroizing<Vec<u8>>;

/// The viewer's half of a login, waiting for the host's answer.
pub struct ViewerLogin(ClientLogin<Suite>);

impl ViewerLogin {
    /// Blind the password; returns the state and the first message for the host.
    pub fn start(password: &[u8], rng: &mut impl CryptoRngCore) -> Result<(Self, Vec<u8>), Error> {
        let start = ClientLogin::<Suite>::start(rng, password)
            .map_err(|_| Error::Crypto("OPAQUE login start"))?;
        Ok((ViewerLogin(start.state), start.message.serialize().to_vec()))
    }

    /// Finish with the host's answer. Runs Argon2id with `ksf` (refused when below
    /// the minimum). Returns the finalization for the host and the session key, or
    /// [`Error::AuthenticationFailed`] for a wrong password.
    pub fn finish(
        self,
        password: &[u8],
        host_response: &[u8],
        context: &[u8],
        ksf: KsfParams,
    ) -> Result<(Vec<u8>, SessionKey), Error> {
        if !ksf.meets_minimum() {
            return Err(Error::AuthenticationFailed);
        }
        let argon = ksf.argon2()?;
        let response = CredentialResponse::<Suite>::deserialize(host_response).map_err(protocol)?;
        let done = self
            .0
            .finish(
                password,
                response,
                ClientLoginFinishParameters::new(
                    Some(context),
                    Identifiers::default(),
                    Some(&argon),
                ),
            )
            .map_err(protocol)?;
        Ok((
            done.message.serialize().to_vec(),
            Zeroizing::new(done.session_key.to_vec()),
        ))
    }
}

/// The host's half of a login, waiting for the viewer's finalization.
pub struct HostLogin(ServerLogin<Suite>);

impl HostLogin {
    /// Answer the viewer's first message. With `record` = `None` (no password set)
    /// OPAQUE still answers with a plausible fake, so the viewer learns nothing
    /// more than "wrong password"; `fallback_id` names the fake credential.
    pub fn start(
        server: &ServerSecret,
        record: Option<&PasswordRecord>,
        fallback_id: &[u8],
        viewer_request: &[u8],
        context: &[u8],
        rng: &mut impl CryptoRngCore,
    ) -> Result<(Self, Vec<u8>), Error> {
        let request = CredentialRequest::<Suite>::deserialize(viewer_request).map_err(protocol)?;
        let (registration, id) = match record {
            Some(r) => (
                Some(
                    ServerRegistration::<Suite>::deserialize(&r.registration)
                        .map_err(|_| Error::corrupt("password record"))?,
                ),
                r.credential_id.as_slice(),
            ),
            None => (None, fallback_id),
        };
        let start = ServerLogin::start(
            rng,
            &server.0,
            registration,
            request,
            id,
            ServerLoginStartParameters {
                context: Some(context),
                identifiers: Identifiers::default(),
            },
        )
        .map_err(protocol)?;
        Ok((HostLogin(start.state), start.message.serialize().to_vec()))
    }

    /// Check the viewer's finalization; returns the session key or
    /// [`Error::AuthenticationFailed`].
    pub fn finish(self, viewer_finalization: &[u8]) -> Result<SessionKey, Error> {
        let message =
            CredentialFinalization::<Suite>::deserialize(viewer_finalization).map_err(protocol)?;
        let done = self.0.finish(message).map_err(protocol)?;
        Ok(Zeroizing::new(done.session_key.to_vec()))
    }
}

/// Run a whole login in one process: does `password` match `record`?
/// Used by `latchkey password verify`; exercises exactly the network code path.
pub fn verify_locally(
    server: &ServerSecret,
    record: &PasswordRecord,
    password: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<(), Error> {
    const CONTEXT: &[u8] = b"latchkey local verification";
    let (viewer, request) = ViewerLogin::start(password, rng)?;
    let (host, response) = HostLogin::start(
        server,
        Some(record),
        &record.credential_id,
        &request,
        CONTEXT,
        rng,
    )?;
    let (finalization, viewer_key) = viewer.finish(password, &response, CONTEXT, record.ksf)?;
    let host_key = host.finish(&finalization)?;
    use subtle::ConstantTimeEq;
    if bool::from(viewer_key.ct_eq(&host_key)) {
        Ok(())
    } else {
        Err(Error::AuthenticationFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn right_password_logs_in_wrong_one_does_not() {
        let mut rng = StdRng::seed_from_u64(3);
        let server = ServerSecret::generate(&mut rng);
        let record = register(
            &server,
            b"kettle-orbit-cactus-71",
            KsfParams::DEFAULT,
            &mut rng,
        )
        .expect("register");
        verify_locally(&server, &record, b"kettle-orbit-cactus-71", &mut rng)
            .expect("right password");
        assert_eq!(
            verify_locally(&server, &record, b"kettle-orbit-cactus-72", &mut rng),
            Err(Error::AuthenticationFailed)
        );
        // The record holds neither the password nor anything that equals it.
        let json = serde_json::to_string(&record).expect("json");
        assert!(!json.contains("kettle"));
    }

    #[test]
    fn context_mismatch_fails_and_secret_round_trips() {
        let mut rng = StdRng::seed_from_u64(4);
        let server = ServerSecret::generate(&mut rng);
        let server = ServerSecret::from_bytes(&server.to_bytes()).expect("round trip");
        let record = register(
            &server,
            b"pw-for-context-test",
            KsfParams::DEFAULT,
            &mut rng,
        )
        .expect("register");
        let (viewer, req) = ViewerLogin::start(b"pw-for-context-test", &mut rng).expect("start");
        let (_host, resp) = HostLogin::start(
            &server,
            Some(&record),
            b"",
            &req,
            b"fingerprints A",
            &mut rng,
        )
        .expect("host");
        // The host's MAC covers the context: a viewer on another connection refuses it.
        assert_eq!(
            viewer
                .finish(b"pw-for-context-test", &resp, b"fingerprints B", record.ksf)
                .err(),
            Some(Error::AuthenticationFailed)
        );
    }

    #[test]
    fn weak_stretching_from_a_host_is_refused_and_garbage_is_an_error() {
        let mut rng = StdRng::seed_from_u64(5);
        let server = ServerSecret::generate(&mut rng);
        let record = register(&server, b"some password 123", KsfParams::DEFAULT, &mut rng)
            .expect("register");
        let (viewer, req) = ViewerLogin::start(b"some password 123", &mut rng).expect("start");
        let (_host, resp) =
            HostLogin::start(&server, Some(&record), b"", &req, b"c", &mut rng).expect("host");
        let weak = KsfParams {
            m_kib: 8,
            t: 1,
            p: 1,
        };
        assert_eq!(
            viewer.finish(b"some password 123", &resp, b"c", weak).err(),
            Some(Error::AuthenticationFailed)
        );
        assert!(HostLogin::start(&server, Some(&record), b"", b"garbage", b"c", &mut rng).is_err());
        assert!(ServerSecret::from_bytes(b"short").is_err());
    }

    #[test]
    fn no_record_still_answers_and_fails() {
        let mut rng = StdRng::seed_from_u64(6);
        let server = ServerSecret::generate(&mut rng);
        let (viewer, req) = ViewerLogin::start(b"anything at all", &mut rng).expect("start");
        let (_host, resp) =
            HostLogin::start(&server, None, b"default", &req, b"c", &mut rng).expect("fake answer");
        assert_eq!(
            viewer
                .finish(b"anything at all", &resp, b"c", KsfParams::DEFAULT)
                .err(),
            Some(Error::AuthenticationFailed)
        );
    }
}
