//! GS1 dates (General Specifications 7.12): YYMMDD with the century of the
//! sliding window around a reference year, DD = 00 for the month's last
//! day; YYMMDDHHMM for AI 7003.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};

/// The year of two digits `yy` seen in `reference`'s year: a year more
/// than 49 years behind or 50 ahead of it wraps into the next or previous
/// century (GS1 7.12).
pub fn full_year(yy: i32, reference: i32) -> i32 {
    let century = reference.div_euclid(100) * 100;
    let difference = yy - reference.rem_euclid(100);
    if difference >= 51 {
        century - 100 + yy
    } else if difference <= -50 {
        century + 100 + yy
    } else {
        century + yy
    }
}

/// The last day of `month` in `year`.
fn last_day(year: i32, month: u32) -> Option<NaiveDate> {
    let (y, m) = if month == 12 {
        (year.checked_add(1)?, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)?.pred_opt()
}

/// Two ASCII digits at `at` of `s`.
fn two(s: &str, at: usize) -> Result<u32, String> {
    s.get(at..at + 2)
        .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| format!("{s:?} is not a date of digits"))
}

/// The date of `s` (YYMMDD) around `reference`.
pub fn date(s: &str, reference: NaiveDate) -> Result<NaiveDate, String> {
    if s.len() != 6 {
        return Err(format!("{s:?} is not a date: write YYMMDD"));
    }
    let (yy, mm, dd) = (two(s, 0)?, two(s, 2)?, two(s, 4)?);
    let year = full_year(i32::try_from(yy).unwrap_or(0), reference.year());
    if !(1..=12).contains(&mm) {
        return Err(format!("month {mm:02} in {s}: months run 01 to 12"));
    }
    if dd == 0 {
        return last_day(year, mm).ok_or_else(|| format!("{s} is out of range"));
    }
    NaiveDate::from_ymd_opt(year, mm, dd).ok_or_else(|| match last_day(year, mm) {
        Some(last) => format!("day {dd:02} in {s}: {year}-{mm:02} has {} days", last.day()),
        // The year of the century rule is past the calendar's last one.
        None => format!("{s} is out of range (year {year})"),
    })
}

/// The date and time of `s` (YYMMDDHHMM) around `reference`.
pub fn date_time(s: &str, reference: NaiveDate) -> Result<NaiveDateTime, String> {
    if s.len() != 10 {
        return Err(format!("{s:?} is not a date and time: write YYMMDDHHMM"));
    }
    let day = s.get(..6).ok_or_else(|| format!("{s:?} is not a date"))?;
    if day.ends_with("00") {
        return Err(format!(
            "{s}: a date with a time names its day (DD = 00 is not allowed)"
        ));
    }
    let on = date(day, reference)?;
    let (hh, mi) = (two(s, 6)?, two(s, 8)?);
    let time = NaiveTime::from_hms_opt(hh, mi, 0)
        .ok_or_else(|| format!("time {hh:02}:{mi:02} in {s}: hours 00-23, minutes 00-59"))?;
    Ok(on.and_time(time))
}
