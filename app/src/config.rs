//! Typed configuration, read once at start-up from environment variables (documented in
//! `.env.example`). Nothing secret has a default; a bad value stops the server with the
//! variable's name.

use std::str::FromStr;

/// The largest request body accepted; larger ones are refused with 413 before being read.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone, Debug)]
pub struct Config {
    /// `DATABASE_URL`: `sqlite://…` (default `sqlite://data/gatehouse.db`) or `postgres://…`.
    pub database_url: String,
    /// `GATEHOUSE_DB_MAX_CONNECTIONS`: pool size (default 10).
    pub db_max_connections: u32,
    /// `GATEHOUSE_PUBLIC_URL`: the origin users browse to (default `http://127.0.0.1:3000`).
    /// Decides `Secure` cookies (https) and the origin state-changing requests must come from.
    pub public_origin: String,
    pub secure_cookies: bool,
    /// `GATEHOUSE_SESSION_IDLE_MINUTES` (default 480): sign out after this long unused.
    pub session_idle_secs: i64,
    /// `GATEHOUSE_SESSION_PRIVILEGED_IDLE_MINUTES` (default 60): the idle timeout for roles
    /// that require MFA.
    pub session_privileged_idle_secs: i64,
    /// `GATEHOUSE_SESSION_ABSOLUTE_HOURS` (default 168): sign out this long after sign-in.
    pub session_absolute_secs: i64,
    /// `GATEHOUSE_HASH_CONCURRENCY`: password hashes computed at once (default: CPU count).
    pub hash_concurrency: usize,
    /// `GATEHOUSE_TRUSTED_PROXIES` (default 0): how many reverse proxies stand in front of
    /// the app, each appending the address it received the request from to
    /// `X-Forwarded-For`. The client address is the entry that many hops from the right; the
    /// entries to its left were written by the client and are never believed.
    pub trusted_proxies: usize,
    /// `GATEHOUSE_LOG_FORMAT`: `text` (default) or `json`.
    pub log_json: bool,
    /// `GATEHOUSE_SECRET_KEY` (base64 of 32 random bytes) or `GATEHOUSE_SECRET_KEY_FILE` (a
    /// file holding that): encrypts TOTP secrets at rest. Required; there is no default.
    pub secret_key: SecretKey,
    /// `GATEHOUSE_SMTP_URL`: lettre's SMTP URL (`smtps://…`, `smtp://…?tls=required`); without
    /// it mail stays in the outbox for operators to read.
    pub smtp_url: Option<String>,
    /// `GATEHOUSE_MAIL_DIR`: deliver mail as `.eml` files into this folder instead (demos and
    /// tests). At most one of the two.
    pub mail_dir: Option<String>,
    /// `GATEHOUSE_MAIL_FROM` (default `Gatehouse <no-reply@gatehouse.invalid>`).
    pub mail_from: String,
}

/// 32 bytes of key material; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(pub [u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl SecretKey {
    /// Reads base64 (standard or URL-safe, padded or not) of exactly 32 bytes.
    pub fn parse(text: &str) -> Result<SecretKey, String> {
        use base64::Engine as _;
        use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
        let text = text.trim();
        let bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(text).ok())
            .ok_or("is not base64")?;
        let key: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| format!("must be 32 bytes, got {}", b.len()))?;
        if key.iter().all(|b| *b == key[0]) {
            return Err("is not random".into());
        }
        Ok(SecretKey(key))
    }
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {name}: {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &'static str| lookup(name).filter(|v| !v.trim().is_empty());
        if get("GATEHOUSE_TRUST_FORWARDED_FOR").is_some() {
            // It trusted the leftmost entry, which the client writes: refuse to start rather
            // than silently keep or drop that trust.
            return Err(ConfigError {
                name: "GATEHOUSE_TRUST_FORWARDED_FOR",
                problem: "is gone: set GATEHOUSE_TRUSTED_PROXIES to the number of proxies in front of the app".into(),
            });
        }
        let database_url = get("DATABASE_URL").unwrap_or_else(|| "sqlite://data/gatehouse.db".to_string());
        if crate::db::Backend::of_url(&database_url).is_none() {
            return Err(ConfigError { name: "DATABASE_URL", problem: "must start with sqlite: or postgres:".into() });
        }
        let public_url = get("GATEHOUSE_PUBLIC_URL").unwrap_or_else(|| "http://127.0.0.1:3000".to_string());
        let (public_origin, secure_cookies) =
            parse_origin(&public_url).map_err(|problem| ConfigError { name: "GATEHOUSE_PUBLIC_URL", problem })?;
        let cpus = std::thread::available_parallelism().map(usize::from).unwrap_or(2);
        let secret_key = match (get("GATEHOUSE_SECRET_KEY"), get("GATEHOUSE_SECRET_KEY_FILE")) {
            (Some(key), _) => {
                SecretKey::parse(&key).map_err(|problem| ConfigError { name: "GATEHOUSE_SECRET_KEY", problem })?
            }
            (None, Some(path)) => {
                let text = std::fs::read_to_string(&path).map_err(|e| ConfigError {
                    name: "GATEHOUSE_SECRET_KEY_FILE",
                    problem: format!("cannot read {path}: {e}"),
                })?;
                SecretKey::parse(&text).map_err(|problem| ConfigError { name: "GATEHOUSE_SECRET_KEY_FILE", problem })?
            }
            (None, None) => {
                return Err(ConfigError {
                    name: "GATEHOUSE_SECRET_KEY",
                    problem: "is required: base64 of 32 random bytes (`head -c 32 /dev/urandom | base64`), or set \
                              GATEHOUSE_SECRET_KEY_FILE"
                        .into(),
                });
            }
        };
        if get("GATEHOUSE_SMTP_URL").is_some() && get("GATEHOUSE_MAIL_DIR").is_some() {
            return Err(ConfigError {
                name: "GATEHOUSE_MAIL_DIR",
                problem: "set either GATEHOUSE_SMTP_URL or GATEHOUSE_MAIL_DIR, not both".into(),
            });
        }
        Ok(Config {
            database_url,
            db_max_connections: parse(&get, "GATEHOUSE_DB_MAX_CONNECTIONS", 10, 1..=1000)?,
            public_origin,
            secure_cookies,
            session_idle_secs: 60 * parse(&get, "GATEHOUSE_SESSION_IDLE_MINUTES", 480, 1..=43_200)?,
            session_privileged_idle_secs: 60
                * parse(&get, "GATEHOUSE_SESSION_PRIVILEGED_IDLE_MINUTES", 60, 1..=43_200)?,
            session_absolute_secs: 3600 * parse(&get, "GATEHOUSE_SESSION_ABSOLUTE_HOURS", 168, 1..=8_760)?,
            hash_concurrency: parse(&get, "GATEHOUSE_HASH_CONCURRENCY", cpus, 1..=256)?,
            trusted_proxies: parse(&get, "GATEHOUSE_TRUSTED_PROXIES", 0, 0..=16)?,
            log_json: match get("GATEHOUSE_LOG_FORMAT").as_deref() {
                None | Some("text") => false,
                Some("json") => true,
                Some(_) => {
                    return Err(ConfigError { name: "GATEHOUSE_LOG_FORMAT", problem: "must be text or json".into() });
                }
            },
            secret_key,
            smtp_url: get("GATEHOUSE_SMTP_URL"),
            mail_dir: get("GATEHOUSE_MAIL_DIR"),
            mail_from: get("GATEHOUSE_MAIL_FROM").unwrap_or_else(|| "Gatehouse <no-reply@gatehouse.invalid>".into()),
        })
    }
}

fn parse<T, G>(get: &G, name: &'static str, default: T, range: std::ops::RangeInclusive<T>) -> Result<T, ConfigError>
where
    T: FromStr + PartialOrd + std::fmt::Display + Copy,
    G: Fn(&'static str) -> Option<String>,
{
    let Some(raw) = get(name) else { return Ok(default) };
    let value: T = raw.trim().parse().map_err(|_| ConfigError { name, problem: format!("`{raw}` is not a number") })?;
    if !range.contains(&value) {
        return Err(ConfigError { name, problem: format!("{value} is outside {}..={}", range.start(), range.end()) });
    }
    Ok(value)
}

/// `scheme://host[:port]` of a URL, and whether it is https.
fn parse_origin(url: &str) -> Result<(String, bool), String> {
    let uri: http::Uri = url.parse().map_err(|_| format!("`{url}` is not a URL"))?;
    let secure = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err(format!("`{url}` must start with http:// or https://")),
    };
    let authority = uri.authority().ok_or_else(|| format!("`{url}` has no host"))?;
    Ok((format!("{}://{}", if secure { "https" } else { "http" }, authority.as_str().to_ascii_lowercase()), secure))
}

/// A configuration for unit tests: defaults, a fixed test key, and `pairs` on top.
#[cfg(test)]
pub fn test_config(pairs: &[(&str, &str)]) -> Config {
    let mut map: std::collections::HashMap<String, String> =
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    map.entry("GATEHOUSE_SECRET_KEY".into()).or_insert_with(|| tests::TEST_KEY.into());
    Config::from_lookup(|name| map.get(name).cloned()).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    pub const TEST_KEY: &str = "dGVzdC1rZXktZm9yLXVuaXQtdGVzdHMtb25seS0wMTI=";

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        map.entry("GATEHOUSE_SECRET_KEY".into()).or_insert_with(|| TEST_KEY.into());
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn the_secret_key_is_required_and_checked() {
        let none = Config::from_lookup(|_| None).unwrap_err();
        assert_eq!(none.name, "GATEHOUSE_SECRET_KEY");
        assert!(config(&[("GATEHOUSE_SECRET_KEY", "c2hvcnQ=")]).unwrap_err().problem.contains("32 bytes"));
        assert!(config(&[("GATEHOUSE_SECRET_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]).is_err());
        let c = config(&[]).unwrap();
        assert!(!format!("{c:?}").contains(TEST_KEY));
        assert!(format!("{c:?}").contains("redacted"));
    }

    #[test]
    fn defaults_are_usable_for_a_local_demo() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url, "sqlite://data/gatehouse.db");
        assert_eq!(c.public_origin, "http://127.0.0.1:3000");
        assert!(!c.secure_cookies);
        assert_eq!(c.session_idle_secs, 480 * 60);
        assert!(c.session_privileged_idle_secs < c.session_idle_secs);
    }

    #[test]
    fn https_public_url_means_secure_cookies() {
        let c = config(&[("GATEHOUSE_PUBLIC_URL", "https://Gatehouse.Example.com/")]).unwrap();
        assert!(c.secure_cookies);
        assert_eq!(c.public_origin, "https://gatehouse.example.com");
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = config(&[("GATEHOUSE_SESSION_IDLE_MINUTES", "soon")]).unwrap_err();
        assert_eq!(e.name, "GATEHOUSE_SESSION_IDLE_MINUTES");
        let e = config(&[("GATEHOUSE_HASH_CONCURRENCY", "0")]).unwrap_err();
        assert!(e.problem.contains("outside"));
        assert_eq!(config(&[("DATABASE_URL", "mysql://x")]).unwrap_err().name, "DATABASE_URL");
        assert_eq!(config(&[("GATEHOUSE_PUBLIC_URL", "ftp://x")]).unwrap_err().name, "GATEHOUSE_PUBLIC_URL");
        assert_eq!(config(&[("GATEHOUSE_TRUSTED_PROXIES", "many")]).unwrap_err().name, "GATEHOUSE_TRUSTED_PROXIES");
        let gone = config(&[("GATEHOUSE_TRUST_FORWARDED_FOR", "true")]).unwrap_err();
        assert!(gone.problem.contains("GATEHOUSE_TRUSTED_PROXIES"), "{}", gone.problem);
    }
}
