//! Instants are stored as unix seconds (UTC) and shown in the organization's timezone.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use std::str::FromStr;

/// `YYYY-MM-DD HH:MM` of `unix_seconds` in the IANA timezone `tz` (UTC if unknown).
pub fn format_local(unix_seconds: i64, tz: &str) -> String {
    let Some(utc) = DateTime::<Utc>::from_timestamp(unix_seconds, 0) else {
        return String::new();
    };
    match chrono_tz::Tz::from_str(tz) {
        Ok(zone) => utc.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string(),
        Err(_) => utc.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

/// Midnight at the start of `date` in `tz` (UTC if unknown), as unix seconds. On a day whose
/// midnight falls in a DST gap, the first instant that exists.
pub fn start_of_day(date: NaiveDate, tz: &str) -> Option<i64> {
    let zone = chrono_tz::Tz::from_str(tz).unwrap_or(chrono_tz::UTC);
    let midnight = date.and_hms_opt(0, 0, 0)?;
    zone.from_local_datetime(&midnight)
        .earliest()
        .or_else(|| zone.from_local_datetime(&(midnight + chrono::Duration::hours(1))).earliest())
        .map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_hour_offsets_are_respected() {
        // 2026-01-01 18:45 UTC is 00:15 the next day in India (UTC+05:30).
        let t = 1_767_293_100;
        assert_eq!(format_local(t, "Asia/Kolkata"), "2026-01-02 00:15");
        assert_eq!(format_local(t, "Europe/Berlin"), "2026-01-01 19:45");
        assert_eq!(format_local(t, "Nowhere/Else"), "2026-01-01 18:45 UTC");
    }
}
