//! Encryption at rest for the few secrets the server must read back (TOTP seeds):
//! XChaCha20-Poly1305 under the configured key, with a random 192-bit nonce per value and
//! the owning row's id as associated data, so a ciphertext cannot be moved to another user.

use crate::config::SecretKey;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

const VERSION: &str = "v1:";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("the stored value is malformed")]
    Malformed,
    #[error("the stored value does not decrypt with this key and owner")]
    Rejected,
}

/// Encrypts `plaintext` for `owner` (e.g. a user id).
pub fn seal(key: &SecretKey, owner: &str, plaintext: &[u8]) -> String {
    let cipher = XChaCha20Poly1305::new(&key.0.into());
    let mut nonce = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    // Encryption with a valid key and nonce cannot fail for inputs this small.
    let sealed = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad: owner.as_bytes() })
        .unwrap_or_default();
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    format!("{VERSION}{}", B64.encode(out))
}

/// Decrypts what [`seal`] produced for the same `owner`.
pub fn open(key: &SecretKey, owner: &str, sealed: &str) -> Result<Vec<u8>, CryptoError> {
    let data = sealed.strip_prefix(VERSION).ok_or(CryptoError::Malformed)?;
    let bytes = B64.decode(data).map_err(|_| CryptoError::Malformed)?;
    if bytes.len() < 24 + 16 {
        return Err(CryptoError::Malformed);
    }
    let (nonce, ciphertext) = bytes.split_at(24);
    XChaCha20Poly1305::new(&key.0.into())
        .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: owner.as_bytes() })
        .map_err(|_| CryptoError::Rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SecretKey {
        let mut k = [byte; 32];
        k[0] = 7;
        SecretKey(k)
    }

    #[test]
    fn round_trip_and_fresh_nonces() {
        let a = seal(&key(1), "user-1", b"secret seed");
        let b = seal(&key(1), "user-1", b"secret seed");
        assert_ne!(a, b, "a fresh nonce every time");
        assert!(!a.contains("secret"));
        assert_eq!(open(&key(1), "user-1", &a).unwrap(), b"secret seed");
    }

    #[test]
    fn wrong_key_owner_or_tampering_is_rejected() {
        let sealed = seal(&key(1), "user-1", b"secret seed");
        assert_eq!(open(&key(2), "user-1", &sealed), Err(CryptoError::Rejected));
        assert_eq!(open(&key(1), "user-2", &sealed), Err(CryptoError::Rejected));
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(open(&key(1), "user-1", &String::from_utf8(tampered).unwrap()).is_err());
        assert_eq!(open(&key(1), "user-1", "plain"), Err(CryptoError::Malformed));
    }
}
