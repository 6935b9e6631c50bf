//! RFC 6238 TOTP (totp-rs): SHA-1, 6 digits, 30-second steps, one step of drift either way,
//! and each time step accepted once per user.

use rand::RngCore;
use totp_rs::{Algorithm, Secret, TOTP};

pub const STEP_SECS: i64 = 30;
pub const DIGITS: usize = 6;
pub const ISSUER: &str = "Gatehouse";

/// A fresh 160-bit secret from the OS RNG (RFC 4226's recommended length).
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    secret
}

/// The secret as users type it into an app (RFC 4648 base32, no padding).
pub fn to_base32(secret: &[u8]) -> String {
    Secret::Raw(secret.to_vec()).to_encoded().to_string()
}

/// A base32 secret back to bytes.
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    Secret::Encoded(text.to_string()).to_bytes().ok()
}

fn totp(secret: &[u8], account: &str) -> Option<TOTP> {
    TOTP::new(Algorithm::SHA1, DIGITS, 1, STEP_SECS as u64, secret.to_vec(), Some(ISSUER.into()), account.into()).ok()
}

/// The `otpauth://` URL an authenticator app scans.
pub fn otpauth_url(secret: &[u8], account: &str) -> String {
    totp(secret, account).map(|t| t.get_url()).unwrap_or_default()
}

/// The QR code of `text` as an SVG document.
pub fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => code.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).quiet_zone(true).build(),
        Err(_) => String::new(),
    }
}

/// The code for the time step containing `unix` (for tests and the demo).
pub fn code_at(secret: &[u8], unix: i64) -> String {
    totp(secret, "x").map(|t| t.generate(unix.max(0) as u64)).unwrap_or_default()
}

/// What a typed code is worth at `now`, given the last step this user already used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeCheck {
    /// Valid for this step, which has not been used yet.
    Accepted {
        step: i64,
    },
    /// Valid, but its step (or a later one) was already used: a replay.
    Replayed,
    Wrong,
}

/// Checks `code` against the steps around `now` (one of drift each way).
pub fn check(secret: &[u8], code: &str, now: i64, last_step: Option<i64>) -> CodeCheck {
    let current = now.div_euclid(STEP_SECS);
    for step in [current - 1, current, current + 1] {
        if constant_time_eq(code_at(secret, step * STEP_SECS).as_bytes(), code.as_bytes()) {
            return match last_step {
                Some(last) if step <= last => CodeCheck::Replayed,
                _ => CodeCheck::Accepted { step },
            };
        }
    }
    CodeCheck::Wrong
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 seed, 8 digits truncated to our 6 (same HOTP value mod 10^6).
    #[test]
    fn matches_the_rfc_test_vectors() {
        let secret = b"12345678901234567890";
        assert_eq!(code_at(secret, 59), "287082");
        assert_eq!(code_at(secret, 1_111_111_109), "081804");
        assert_eq!(code_at(secret, 1_234_567_890), "005924");
        assert_eq!(code_at(secret, 2_000_000_000), "279037");
    }

    #[test]
    fn one_step_of_drift_either_way_and_no_more() {
        let secret = new_secret();
        let now = 1_800_000_015; // inside a step
        let step = now / STEP_SECS;
        for (offset, ok) in [(-2, false), (-1, true), (0, true), (1, true), (2, false)] {
            let code = code_at(&secret, (step + offset) * STEP_SECS);
            let result = check(&secret, &code, now, None);
            assert_eq!(matches!(result, CodeCheck::Accepted { .. }), ok, "offset {offset}: {result:?}");
        }
    }

    #[test]
    fn a_code_is_accepted_once() {
        let secret = new_secret();
        let now = 1_800_000_000;
        let code = code_at(&secret, now);
        let CodeCheck::Accepted { step } = check(&secret, &code, now, None) else { panic!("first use") };
        assert_eq!(check(&secret, &code, now + 5, Some(step)), CodeCheck::Replayed);
        // An older code is a replay too once a newer step has been used.
        let older = code_at(&secret, now - STEP_SECS);
        assert_eq!(check(&secret, &older, now, Some(step)), CodeCheck::Replayed);
        // The next step's code is fine.
        let next = code_at(&secret, now + STEP_SECS);
        assert_eq!(check(&secret, &next, now + STEP_SECS, Some(step)), CodeCheck::Accepted { step: step + 1 });
    }

    #[test]
    fn wrong_codes_are_wrong() {
        let secret = new_secret();
        let code = code_at(&secret, 1_800_000_000);
        let wrong = if code == "000000" { "000001" } else { "000000" };
        assert_eq!(check(&secret, wrong, 1_800_000_000, None), CodeCheck::Wrong);
    }

    #[test]
    fn the_demo_secret_is_160_bits_and_round_trips() {
        let bytes = from_base32("GATEHOUSEDEMOTOTPSECRET234567XYZ").unwrap();
        assert_eq!(bytes.len(), 20);
        assert_eq!(to_base32(&bytes), "GATEHOUSEDEMOTOTPSECRET234567XYZ");
        assert_eq!(new_secret().len(), 20);
        let url = otpauth_url(&bytes, "owner@acme.test");
        assert!(
            url.starts_with("otpauth://totp/Gatehouse:owner%40acme.test?secret=GATEHOUSEDEMOTOTPSECRET234567XYZ"),
            "{url}"
        );
        assert!(qr_svg(&url).contains("<svg"));
    }
}
