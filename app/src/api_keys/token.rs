//! The key format: `gth_` + 30 base62 characters of entropy (178 bits) + a 6-character
//! base62 CRC32 of those 30, like GitHub's tokens: secret scanners recognize it, and a
//! mistyped key is refused without a database call.

use rand::Rng;
use sha2::{Digest, Sha256};

pub const PREFIX: &str = "gth_";
const ENTROPY: usize = 30;
const CHECKSUM: usize = 6;
/// The length of a whole key.
pub const LEN: usize = PREFIX.len() + ENTROPY + CHECKSUM;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// `value` in base62, left-padded with zeros to `width`.
fn base62(mut value: u64, width: usize) -> String {
    let mut digits = vec![b'0'; width];
    for digit in digits.iter_mut().rev() {
        *digit = BASE62[(value % 62) as usize];
        value /= 62;
    }
    String::from_utf8(digits).unwrap_or_default()
}

fn checksum(entropy: &str) -> String {
    base62(u64::from(CRC32.checksum(entropy.as_bytes())), CHECKSUM)
}

/// A new key from the operating system's generator.
pub fn generate() -> String {
    let mut rng = rand::rngs::OsRng;
    let entropy: String = (0..ENTROPY).map(|_| BASE62[rng.gen_range(0..62)] as char).collect();
    let checksum = checksum(&entropy);
    format!("{PREFIX}{entropy}{checksum}")
}

/// Whether `key` has the form of a key and its checksum holds.
pub fn well_formed(key: &str) -> bool {
    let Some(rest) = key.strip_prefix(PREFIX) else { return false };
    if rest.len() != ENTROPY + CHECKSUM || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let (entropy, sum) = rest.split_at(ENTROPY);
    checksum(entropy) == sum
}

/// What is stored: the SHA-256 of the key, hex.
pub fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// What is shown to recognize a key: `gth_` and its first six characters.
pub fn display_prefix(key: &str) -> String {
    key.chars().take(PREFIX.len() + 6).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_a_checksum_that_catches_typos() {
        let key = generate();
        assert_eq!(key.len(), LEN);
        assert_eq!(LEN, 40);
        assert!(well_formed(&key));
        assert_ne!(generate(), key);
        // Every single-character change is caught by the checksum or the form.
        for at in PREFIX.len()..LEN {
            let mut typo = key.clone().into_bytes();
            typo[at] = if typo[at] == b'a' { b'b' } else { b'a' };
            assert!(!well_formed(&String::from_utf8(typo).unwrap()), "a change at {at} slipped through");
        }
        assert!(!well_formed(&key[1..]));
        assert!(!well_formed(&format!("{key}0")));
        assert!(!well_formed(&key.replace(PREFIX, "ghp_")));
        assert!(!well_formed(""));
        // The known answer of the checksum: CRC-32 (ISO-HDLC) of "123456789" is 0xCBF43926.
        assert_eq!(CRC32.checksum(b"123456789"), 0xCBF4_3926);
        assert_eq!(base62(0xCBF4_3926, 6), base62(3_421_780_262, 6));
        assert_eq!(base62(61, 2), "0z");
        assert_eq!(hash(&key).len(), 64);
        assert_eq!(display_prefix(&key), &key[..10]);
    }
}
