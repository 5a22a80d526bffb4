//! Device identity: each Latchkey device has an Ed25519 key pair. The public key
//! identifies the device to its peers; its fingerprint is what people compare.

use ed25519_dalek::{Signer, Verifier};
use rand_core::CryptoRngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;
use zeroize::Zeroizing;

use crate::Error;

/// A device's private signing key. Kept in the secret store, never in settings.
pub struct DeviceKey(ed25519_dalek::SigningKey);

impl DeviceKey {
    /// A fresh random key.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        DeviceKey(ed25519_dalek::SigningKey::generate(rng))
    }

    /// Restore from the 32 secret bytes kept in the secret store.
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::corrupt("device key: expected 32 bytes"))?;
        Ok(DeviceKey(ed25519_dalek::SigningKey::from_bytes(&arr)))
    }

    /// The 32 secret bytes, for the secret store only.
    pub fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.0.to_bytes().to_vec())
    }

    /// The public half.
    pub fn public(&self) -> DevicePublicKey {
        DevicePublicKey(self.0.verifying_key().to_bytes())
    }

    /// Sign `message` with this device's key.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}

impl fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceKey(REDACTED, public {})", self.public())
    }
}

/// A device's public key (32 bytes), shown and stored as hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DevicePublicKey(pub [u8; 32]);

impl DevicePublicKey {
    /// The short human fingerprint: 80 bits of SHA-256 in base32, as `ABCD-EFGH-IJKL-MNOP`.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(self.0);
        let b32 = data_encoding::BASE32_NOPAD.encode(&digest[..10]);
        group4(&b32)
    }

    /// Check an Ed25519 signature by this key.
    pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> Result<(), Error> {
        let key = ed25519_dalek::VerifyingKey::from_bytes(&self.0)
            .map_err(|_| Error::AuthenticationFailed)?;
        key.verify(message, &ed25519_dalek::Signature::from_bytes(signature))
            .map_err(|_| Error::AuthenticationFailed)
    }
}

/// `ABCDEFGH...` as `ABCD-EFGH-...`.
pub(crate) fn group4(s: &str) -> String {
    s.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

impl fmt::Display for DevicePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for DevicePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DevicePublicKey({})", self.fingerprint())
    }
}

impl FromStr for DevicePublicKey {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out)
            .map_err(|_| Error::corrupt("device public key: expected 64 hex digits"))?;
        Ok(DevicePublicKey(out))
    }
}

impl Serialize for DevicePublicKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for DevicePublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn fingerprint_is_stable_and_grouped() {
        let key = DeviceKey::generate(&mut StdRng::seed_from_u64(7));
        let fp = key.public().fingerprint();
        assert_eq!(fp.len(), 19);
        assert_eq!(fp.matches('-').count(), 3);
        assert_eq!(fp, key.public().fingerprint());
        let other = DeviceKey::generate(&mut StdRng::seed_from_u64(8));
        assert_ne!(fp, other.public().fingerprint());
    }

    #[test]
    fn sign_verify_and_roundtrip() {
        let key = DeviceKey::generate(&mut StdRng::seed_from_u64(1));
        let sig = key.sign(b"hello");
        key.public()
            .verify(b"hello", &sig)
            .expect("valid signature");
        assert_eq!(
            key.public().verify(b"hellO", &sig),
            Err(Error::AuthenticationFailed)
        );
        let restored = DeviceKey::from_secret_bytes(&key.to_secret_bytes()).expect("32 bytes");
        assert_eq!(restored.public(), key.public());
        assert!(DeviceKey::from_secret_bytes(&[1, 2, 3]).is_err());
        let pk: DevicePublicKey = key.public().to_string().parse().expect("hex");
        assert_eq!(pk, key.public());
        assert!(!format!("{key:?}").contains(&hex::encode(key.to_secret_bytes().as_slice())));
    }
}
