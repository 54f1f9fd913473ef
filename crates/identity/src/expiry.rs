//! Expiry times in every form token endpoints return them.

use serde_json::Value;
use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// An absolute expiry (`expires_on`): an integer or string of seconds since the Unix epoch, an
/// RFC 3339 date, or App Service's older `"11/23/2026 10:00:00 +00:00"` form.
pub(crate) fn parse_expires_on(value: &Value) -> Option<OffsetDateTime> {
    match value {
        Value::Number(n) => from_epoch(n.as_f64()?),
        Value::String(s) => {
            let s = s.trim();
            if let Ok(secs) = s.parse::<f64>() {
                return from_epoch(secs);
            }
            OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok().or_else(|| parse_us_date(s))
        }
        _ => None,
    }
}

/// A relative expiry (`expires_in`): an integer or string of seconds from `now`.
pub(crate) fn parse_expires_in(value: &Value, now: OffsetDateTime) -> Option<OffsetDateTime> {
    let secs = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (secs.is_finite() && (0.0..1e10).contains(&secs)).then(|| now + Duration::seconds_f64(secs))
}

fn from_epoch(secs: f64) -> Option<OffsetDateTime> {
    if !secs.is_finite() || !(0.0..=253_402_300_799.0).contains(&secs) {
        return None;
    }
    OffsetDateTime::from_unix_timestamp(secs as i64).ok()
}

/// `M/D/YYYY H:MM:SS [AM|PM] +HH:MM` (the offset may also be `+HHMM` or absent for UTC).
fn parse_us_date(s: &str) -> Option<OffsetDateTime> {
    let mut parts = s.split_whitespace();
    let date = parts.next()?;
    let clock = parts.next()?;
    let mut rest: Vec<&str> = parts.collect();
    let mut pm = None;
    if let Some(first) = rest.first()
        && (first.eq_ignore_ascii_case("AM") || first.eq_ignore_ascii_case("PM"))
    {
        pm = Some(first.eq_ignore_ascii_case("PM"));
        rest.remove(0);
    }
    let offset = match rest.as_slice() {
        [] => UtcOffset::UTC,
        [o] => parse_offset(o)?,
        _ => return None,
    };
    let mut d = date.split('/').map(|p| p.parse::<u32>().ok());
    let (month, day, year) = (d.next()??, d.next()??, d.next()??);
    if d.next().is_some() {
        return None;
    }
    let mut c = clock.split(':').map(|p| p.parse::<u8>().ok());
    let (mut hour, minute, second) = (c.next()??, c.next()??, c.next()??);
    if c.next().is_some() {
        return None;
    }
    if let Some(pm) = pm {
        if hour == 0 || hour > 12 {
            return None;
        }
        hour = (hour % 12) + if pm { 12 } else { 0 };
    }
    let date = Date::from_calendar_date(
        i32::try_from(year).ok()?,
        Month::try_from(u8::try_from(month).ok()?).ok()?,
        u8::try_from(day).ok()?,
    )
    .ok()?;
    let time = Time::from_hms(hour, minute, second).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_offset(offset))
}

fn parse_offset(s: &str) -> Option<UtcOffset> {
    let (sign, digits) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = digits.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i8 = digits[..2].parse().ok()?;
    let minutes: i8 = digits[2..].parse().ok()?;
    UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()
}

/// A local date-time without offset, as the Azure CLI's `expiresOn` prints it
/// (`"2026-11-23 10:00:00.000000"`), read at `offset`.
pub(crate) fn parse_local_date_time(s: &str, offset: UtcOffset) -> Option<OffsetDateTime> {
    let s = s.trim();
    let (date, clock) = s.split_once([' ', 'T'])?;
    let mut d = date.split('-').map(|p| p.parse::<i32>().ok());
    let (year, month, day) = (d.next()??, d.next()??, d.next()??);
    let (clock, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut c = clock.split(':').map(|p| p.parse::<u8>().ok());
    let (hour, minute, second) = (c.next()??, c.next()??, c.next().unwrap_or(Some(0))?);
    let micros: u32 = if fraction.is_empty() {
        0
    } else {
        let digits: String = fraction.chars().take(6).collect();
        format!("{digits:0<6}").parse().ok()?
    };
    let date =
        Date::from_calendar_date(year, Month::try_from(u8::try_from(month).ok()?).ok()?, u8::try_from(day).ok()?)
            .ok()?;
    let time = Time::from_hms_micro(hour, minute, second, micros).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_offset(offset))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    #[test]
    fn expires_on_forms() {
        let cases = [
            (json!(1_795_428_000), Some(datetime!(2026-11-23 10:00:00 UTC))),
            (json!("1795428000"), Some(datetime!(2026-11-23 10:00:00 UTC))),
            (json!(" 1795428000 "), Some(datetime!(2026-11-23 10:00:00 UTC))),
            (json!("11/23/2026 10:00:00 +00:00"), Some(datetime!(2026-11-23 10:00:00 UTC))),
            (json!("11/23/2026 12:00:00 +02:00"), Some(datetime!(2026-11-23 10:00:00 UTC))),
            (json!("1/5/2026 3:04:05 PM +00:00"), Some(datetime!(2026-01-05 15:04:05 UTC))),
            (json!("1/5/2026 12:04:05 AM -0100"), Some(datetime!(2026-01-05 01:04:05 UTC))),
            (json!("2026-11-23T10:00:00Z"), Some(datetime!(2026-11-23 10:00:00 UTC))),
            (json!("2026-11-23T11:00:00+01:00"), Some(datetime!(2026-11-23 10:00:00 UTC))),
            (json!("soon"), None),
            (json!("13/40/2026 10:00:00 +00:00"), None),
            (json!(-5), None),
            (json!(null), None),
            (json!(true), None),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_expires_on(&input), expected, "{input}");
        }
    }

    #[test]
    fn expires_in_forms() {
        let now = datetime!(2026-11-23 10:00:00 UTC);
        assert_eq!(parse_expires_in(&json!(3600), now), Some(now + Duration::hours(1)));
        assert_eq!(parse_expires_in(&json!("3599"), now), Some(now + Duration::seconds(3599)));
        assert_eq!(parse_expires_in(&json!("x"), now), None);
        assert_eq!(parse_expires_in(&json!(-1), now), None);
    }

    #[test]
    fn cli_local_time() {
        let plus2 = UtcOffset::from_hms(2, 0, 0).unwrap();
        assert_eq!(
            parse_local_date_time("2026-11-23 10:00:00.000000", plus2),
            Some(datetime!(2026-11-23 08:00:00 UTC))
        );
        assert_eq!(
            parse_local_date_time("2026-11-23 10:00:00.5", UtcOffset::UTC),
            Some(datetime!(2026-11-23 10:00:00.5 UTC))
        );
        assert_eq!(
            parse_local_date_time("2026-11-23 10:00:00", UtcOffset::UTC),
            Some(datetime!(2026-11-23 10:00:00 UTC))
        );
        assert_eq!(parse_local_date_time("yesterday", UtcOffset::UTC), None);
    }
}
