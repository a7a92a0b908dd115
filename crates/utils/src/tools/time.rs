//! Time tools: the current time in any IANA zone, conversion between zones, zone listing and info.
//!
//! `time_get_current_time` and `time_get_timezone_info` keep the original fleet's names and
//! arguments (the original always answered UTC: this one honours the zone). `get_current_time`
//! and `convert_time` follow mcp-server-time's contract exactly, so clients written for it work.
//! Wall times that do not exist (a DST gap) are refused; ambiguous ones (a DST fold) resolve to
//! the earlier instant and say so.

use jiff::{
    Timestamp, Zoned,
    civil::{Date, DateTime, Time},
    tz::{AmbiguousOffset, TimeZone},
};
use rmcp::{Json, handler::server::wrapper::Parameters, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

use crate::{error::UtilsError, server::UtilsServer};

/// Arguments of `time_get_current_time`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct GetCurrentTimeOriginalArgs {
    /// IANA time zone, e.g. `Europe/Paris`; defaults to the server's local zone.
    #[serde(default)]
    pub timezone_name: Option<String>,
}

/// Result of `time_get_current_time`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CurrentTimeOriginal {
    /// Always true for a result (failures are tool errors).
    pub success: bool,
    /// ISO 8601 time with offset, e.g. `2026-11-21T18:04:05+01:00`.
    pub time: String,
    /// The IANA zone used.
    pub timezone: String,
    /// Seconds since the Unix epoch.
    pub unix_timestamp: i64,
    /// Human-readable form, e.g. `Saturday, 21 November 2026, 18:04:05 CET`.
    pub formatted: String,
    /// Day of the week in English.
    pub day_of_week: String,
    /// Whether daylight saving time is in effect.
    pub is_dst: bool,
    /// Offset from UTC, e.g. `+01:00`.
    pub utc_offset: String,
}

/// Arguments of `get_current_time`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct GetCurrentTimeArgs {
    /// IANA time zone name, e.g. `America/New_York`, `Europe/London`.
    pub timezone: String,
}

/// A moment in one zone (mcp-server-time's shape).
#[derive(Debug, Serialize, schemars::JsonSchema, PartialEq, Eq)]
pub struct TimeInZone {
    /// The IANA zone.
    pub timezone: String,
    /// ISO 8601 with offset, to the second.
    pub datetime: String,
    /// Day of the week in English.
    pub day_of_week: String,
    /// Whether daylight saving time is in effect.
    pub is_dst: bool,
}

/// Arguments of `convert_time`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ConvertTimeArgs {
    /// Source IANA zone, e.g. `America/New_York`.
    pub source_timezone: String,
    /// Wall time in the source zone, 24-hour `HH:MM` (or `HH:MM:SS`).
    pub time: String,
    /// Target IANA zone, e.g. `Asia/Kathmandu`.
    pub target_timezone: String,
    /// Date in the source zone, `YYYY-MM-DD`; defaults to today there.
    #[serde(default)]
    pub date: Option<String>,
}

/// Result of `convert_time`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ConvertTimeOutput {
    /// The time in the source zone.
    pub source: TimeInZone,
    /// The same instant in the target zone.
    pub target: TimeInZone,
    /// Target offset minus source offset, e.g. `+10.75h`, `-5.0h`.
    pub time_difference: String,
    /// Set when the wall time occurred twice (DST fold) and the earlier one was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Arguments of `time_get_timezone_info`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct TimezoneInfoArgs {
    /// Describe this IANA zone in detail (offset, abbreviation, DST, next transition).
    #[serde(default)]
    pub timezone_name: Option<String>,
    /// Only list zones whose name contains this text (case-insensitive), e.g. `europe`.
    #[serde(default)]
    pub search: Option<String>,
}

/// Details of one zone.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ZoneDetail {
    /// The IANA zone.
    pub timezone: String,
    /// Current time there.
    pub current_time: String,
    /// Offset from UTC now, e.g. `+05:45`.
    pub utc_offset: String,
    /// Abbreviation now, e.g. `CET`.
    pub abbreviation: String,
    /// Whether daylight saving time is in effect now.
    pub is_dst: bool,
    /// The next offset change, if the zone has one, as ISO 8601 UTC.
    pub next_transition: Option<String>,
}

/// Result of `time_get_timezone_info`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TimezoneInfo {
    /// The zone used when none is given.
    pub local_timezone: String,
    /// Zones matching `search` (all when no search), sorted.
    pub available_timezones: Vec<String>,
    /// How many zones matched.
    pub count: usize,
    /// Present when `timezone_name` was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<ZoneDetail>,
}

#[tool_router(router = time_tools, vis = "pub(crate)")]
impl UtilsServer {
    /// Current time in an IANA time zone (default: the server's local zone), with Unix
    /// timestamp, day of week, DST flag and UTC offset. Example: `{"timezone_name": "Asia/Tokyo"}`.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    pub fn time_get_current_time(
        &self,
        Parameters(args): Parameters<GetCurrentTimeOriginalArgs>,
    ) -> Result<Json<CurrentTimeOriginal>, UtilsError> {
        let (tz, name) = match args
            .timezone_name
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(name) => (zone("timezone_name", name)?, canonical(name)),
            None => (
                self.config.local_timezone.clone(),
                self.config.local_timezone_name.clone(),
            ),
        };
        let now = Timestamp::now().to_zoned(tz);
        let info = now.time_zone().to_offset_info(now.timestamp());
        Ok(Json(CurrentTimeOriginal {
            success: true,
            time: iso(&now),
            timezone: name,
            unix_timestamp: now.timestamp().as_second(),
            formatted: now.strftime("%A, %-d %B %Y, %H:%M:%S %Z").to_string(),
            day_of_week: weekday(&now),
            is_dst: info.dst().is_dst(),
            utc_offset: info.offset().to_string(),
        }))
    }

    /// Current time in a specific IANA time zone (mcp-server-time's contract).
    /// Example: `{"timezone": "Europe/Paris"}`.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    pub fn get_current_time(
        &self,
        Parameters(args): Parameters<GetCurrentTimeArgs>,
    ) -> Result<Json<TimeInZone>, UtilsError> {
        let name = args.timezone.trim();
        if name.is_empty() {
            return Err(UtilsError::arg(
                "timezone",
                "must not be empty; use an IANA name such as Europe/Paris",
            ));
        }
        let tz = zone("timezone", name)?;
        Ok(Json(time_in_zone(
            &Timestamp::now().to_zoned(tz),
            canonical(name),
        )))
    }

    /// Convert a wall time (`HH:MM`, 24-hour) from one IANA zone to another, on today's date in
    /// the source zone unless `date` is given. Times skipped by a DST change are refused; times
    /// that occur twice use the earlier one. Example:
    /// `{"source_timezone": "America/New_York", "time": "16:30", "target_timezone": "Asia/Kathmandu"}`.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub fn convert_time(
        &self,
        Parameters(args): Parameters<ConvertTimeArgs>,
    ) -> Result<Json<ConvertTimeOutput>, UtilsError> {
        let source_tz = zone("source_timezone", &args.source_timezone)?;
        let target_tz = zone("target_timezone", &args.target_timezone)?;
        let date = match args
            .date
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(d) => d.parse::<Date>().map_err(|e| {
                UtilsError::arg("date", format!("expected YYYY-MM-DD, got {d:?} ({e})"))
            })?,
            None => Timestamp::now().to_zoned(source_tz.clone()).date(),
        };
        let out = convert(
            &source_tz,
            &canonical(&args.source_timezone),
            &target_tz,
            &canonical(&args.target_timezone),
            date,
            parse_wall_time(&args.time)?,
        )?;
        Ok(Json(out))
    }

    /// List IANA time zones (filter with `search`, e.g. `"america"`) and the server's local zone;
    /// with `timezone_name`, also that zone's offset, abbreviation, DST state and next transition.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub fn time_get_timezone_info(
        &self,
        Parameters(args): Parameters<TimezoneInfoArgs>,
    ) -> Result<Json<TimezoneInfo>, UtilsError> {
        let needle = args
            .search
            .as_deref()
            .map(str::trim)
            .unwrap_or("")
            .to_lowercase();
        let mut zones: Vec<String> = jiff::tz::db()
            .available()
            .map(|n| n.to_string())
            .filter(|n| needle.is_empty() || n.to_lowercase().contains(&needle))
            .collect();
        zones.sort();
        zones.dedup();
        let zone_detail = match args
            .timezone_name
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(name) => Some(detail(&zone("timezone_name", name)?, canonical(name))),
            None => None,
        };
        Ok(Json(TimezoneInfo {
            local_timezone: self.config.local_timezone_name.clone(),
            count: zones.len(),
            available_timezones: zones,
            zone: zone_detail,
        }))
    }
}

/// Look up an IANA zone, naming the argument when it is unknown.
fn zone(arg: &'static str, name: &str) -> Result<TimeZone, UtilsError> {
    let name = name.trim();
    TimeZone::get(name).map_err(|_| {
        UtilsError::arg(
            arg,
            format!("unknown time zone {name:?}; use an IANA name such as Europe/Paris or America/New_York (time_get_timezone_info lists them)"),
        )
    })
}

/// The database's spelling of a zone name (lookups are case-insensitive).
fn canonical(name: &str) -> String {
    let name = name.trim();
    jiff::tz::db()
        .available()
        .find(|n| n.as_str().eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_owned(), |n| n.to_string())
}

fn iso(z: &Zoned) -> String {
    z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

fn weekday(z: &Zoned) -> String {
    z.strftime("%A").to_string()
}

fn time_in_zone(z: &Zoned, name: String) -> TimeInZone {
    TimeInZone {
        timezone: name,
        datetime: iso(z),
        day_of_week: weekday(z),
        is_dst: z.time_zone().to_offset_info(z.timestamp()).dst().is_dst(),
    }
}

fn detail(tz: &TimeZone, name: String) -> ZoneDetail {
    let now = Timestamp::now();
    let info = tz.to_offset_info(now);
    let next = tz
        .following(now)
        .next()
        .map(|t| t.timestamp().strftime("%Y-%m-%dT%H:%M:%SZ").to_string());
    ZoneDetail {
        timezone: name,
        current_time: iso(&now.to_zoned(tz.clone())),
        utc_offset: info.offset().to_string(),
        abbreviation: info.abbreviation().to_string(),
        is_dst: info.dst().is_dst(),
        next_transition: next,
    }
}

/// Parse `HH:MM` or `HH:MM:SS`, 24-hour.
pub(crate) fn parse_wall_time(s: &str) -> Result<Time, UtilsError> {
    let s = s.trim();
    let bad = || UtilsError::arg("time", format!("expected 24-hour HH:MM, got {s:?}"));
    let parts: Vec<&str> = s.split(':').collect();
    if !(2..=3).contains(&parts.len())
        || parts
            .iter()
            .any(|p| p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad());
    }
    let num = |i: usize| {
        parts
            .get(i)
            .map_or(Ok(0), |p| p.parse::<i8>().map_err(|_| bad()))
    };
    Time::new(num(0)?, num(1)?, num(2)?, 0).map_err(|_| bad())
}

/// Format an offset difference like mcp-server-time: `+5.0h`, `+10.75h`, `-3.5h`.
pub(crate) fn format_difference(seconds: i32) -> String {
    let hours = f64::from(seconds) / 3600.0;
    if hours.fract() == 0.0 {
        format!("{hours:+.1}h")
    } else {
        let s = format!("{hours:+.2}");
        format!("{}h", s.trim_end_matches('0').trim_end_matches('.'))
    }
}

/// The conversion itself, on a given date.
pub(crate) fn convert(
    source_tz: &TimeZone,
    source_name: &str,
    target_tz: &TimeZone,
    target_name: &str,
    date: Date,
    time: Time,
) -> Result<ConvertTimeOutput, UtilsError> {
    let local = DateTime::from_parts(date, time);
    let ambiguous = source_tz.to_ambiguous_zoned(local);
    let mut note = None;
    let source = match ambiguous.offset() {
        AmbiguousOffset::Unambiguous { .. } => ambiguous.compatible(),
        AmbiguousOffset::Gap { before, after } => {
            return Err(UtilsError::arg(
                "time",
                format!(
                    "{local} does not exist in {source_name}: clocks move from UTC{before} to UTC{after} then (daylight saving time); pick a time outside the gap"
                ),
            ));
        }
        AmbiguousOffset::Fold { before, after } => {
            note = Some(format!(
                "{local} occurs twice in {source_name} (UTC{before} and UTC{after}); the earlier one was used"
            ));
            ambiguous.earlier()
        }
    }
    .map_err(|e| UtilsError::arg("time", e.to_string()))?;
    let target = source.with_time_zone(target_tz.clone());
    let difference = target.offset().seconds() - source.offset().seconds();
    Ok(ConvertTimeOutput {
        source: time_in_zone(&source, source_name.to_owned()),
        target: time_in_zone(&target, target_name.to_owned()),
        time_difference: format_difference(difference),
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tz(n: &str) -> TimeZone {
        TimeZone::get(n).unwrap()
    }

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn fractional_offsets_are_exact() {
        let out = convert(
            &tz("America/New_York"),
            "America/New_York",
            &tz("Asia/Kathmandu"),
            "Asia/Kathmandu",
            date("2026-01-15"),
            parse_wall_time("16:30").unwrap(),
        )
        .unwrap();
        assert_eq!(out.time_difference, "+10.75h");
        assert_eq!(out.target.datetime, "2026-01-16T03:15:00+05:45");
        assert_eq!(out.target.day_of_week, "Friday");
        assert!(out.note.is_none());
        let india = convert(
            &tz("UTC"),
            "UTC",
            &tz("Asia/Kolkata"),
            "Asia/Kolkata",
            date("2026-01-15"),
            parse_wall_time("00:00").unwrap(),
        )
        .unwrap();
        assert_eq!(india.time_difference, "+5.5h");
        let back = convert(
            &tz("Europe/London"),
            "Europe/London",
            &tz("America/Los_Angeles"),
            "America/Los_Angeles",
            date("2026-01-15"),
            parse_wall_time("12:00").unwrap(),
        )
        .unwrap();
        assert_eq!(back.time_difference, "-8.0h");
    }

    #[test]
    fn dst_gap_is_refused_with_the_offsets() {
        // 2026-03-08 02:30 does not exist in New York (02:00 → 03:00).
        let err = convert(
            &tz("America/New_York"),
            "America/New_York",
            &tz("UTC"),
            "UTC",
            date("2026-03-08"),
            parse_wall_time("02:30").unwrap(),
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("does not exist in America/New_York")
                && msg.contains("-05")
                && msg.contains("-04"),
            "{msg}"
        );
    }

    #[test]
    fn dst_fold_uses_the_earlier_instant_and_says_so() {
        // 2026-11-01 01:30 happens twice in New York.
        let out = convert(
            &tz("America/New_York"),
            "America/New_York",
            &tz("UTC"),
            "UTC",
            date("2026-11-01"),
            parse_wall_time("01:30").unwrap(),
        )
        .unwrap();
        assert_eq!(out.source.datetime, "2026-11-01T01:30:00-04:00");
        assert!(out.source.is_dst);
        assert_eq!(out.target.datetime, "2026-11-01T05:30:00+00:00");
        assert!(out.note.unwrap().contains("occurs twice"));
    }

    #[test]
    fn wall_time_parsing_is_strict() {
        assert!(parse_wall_time("09:05").is_ok());
        assert!(parse_wall_time("23:59:59").is_ok());
        for bad in ["24:00", "9", "12:60", "1:2:3:4", "noon", "12:3a", "", " : "] {
            assert!(parse_wall_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_zones_name_the_argument() {
        let err = zone("source_timezone", "Mars/Base")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("invalid source_timezone: unknown time zone \"Mars/Base\""),
            "{err}"
        );
    }

    #[test]
    fn zone_names_are_reported_in_canonical_case() {
        assert_eq!(canonical("europe/paris"), "Europe/Paris");
        assert!(zone("timezone", "europe/paris").is_ok());
    }

    #[test]
    fn zone_detail_reports_transitions_for_dst_zones_only() {
        assert!(
            detail(&tz("Europe/Berlin"), "Europe/Berlin".into())
                .next_transition
                .is_some()
        );
        let kathmandu = detail(&tz("Asia/Kathmandu"), "Asia/Kathmandu".into());
        assert_eq!(kathmandu.utc_offset, "+05:45");
        assert!(!kathmandu.is_dst);
    }
}
