//! Instants are stored as unix seconds (UTC) and shown in the organization's timezone.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
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

/// The first instant of the local day number `day` in `tz`.
pub fn day_start(day: i64, tz: &str) -> Option<i64> {
    let date = NaiveDate::from_num_days_from_ce_opt(i32::try_from(day + EPOCH_CE).ok()?)?;
    start_of_day(date, tz)
}

/// `YYYY-MM-DD` of a local day number (days since 1970-01-01).
pub fn day_string(day: i64) -> String {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(day + EPOCH_CE).unwrap_or(EPOCH_CE as i32))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Days from 0001-01-01 to 1970-01-01 in chrono's count.
pub const EPOCH_CE: i64 = 719_163;

/// The local day number of a `YYYY-MM-DD` date.
pub fn parse_day(field: &str, raw: &str) -> Result<i64, crate::error::AppError> {
    let date = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| crate::error::AppError::invalid(field, "Enter a date as YYYY-MM-DD."))?;
    Ok(i64::from(date.num_days_from_ce()) - EPOCH_CE)
}

/// The local day number and the year of the instant `t` in `tz` (UTC if unknown).
pub fn local_day_and_year(t: i64, tz: &str) -> (i64, i64) {
    let zone = chrono_tz::Tz::from_str(tz).unwrap_or(chrono_tz::UTC);
    let local = DateTime::from_timestamp(t, 0).unwrap_or_default().with_timezone(&zone).date_naive();
    (i64::from(local.num_days_from_ce()) - EPOCH_CE, i64::from(local.year()))
}

/// Today's local day number in `tz`.
pub fn today(now: i64, tz: &str) -> i64 {
    local_day_and_year(now, tz).0
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
