//! Business hours: a weekly schedule in a time zone, less holidays (the wire's
//! `BusinessHours`, carried by a ticket's SLA policy), as open intervals in
//! time: when a budget of open time started at some instant runs out (a due
//! time), skipping closed hours, weekends, holidays and pauses, and how much
//! open time lies between two instants (the KPIs' business-hours figures).
//!
//! Local times are turned into instants day by day with the zone's rules
//! (jiff's bundled tz database), so 09:00–17:00 stays that across DST changes;
//! a local time that does not exist (a spring-forward gap) is taken as the
//! instant after the gap. What does not live here: which targets are counted
//! in business hours (`sla.rs`) and the configuration (`config::Desk`).

use agora_protocol::ticket::{BusinessHours, Weekday};
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use std::collections::BTreeSet;

/// Days looked at before a schedule is taken to never open (one with no hours, or all holidays).
const HORIZON_DAYS: u32 = 2 * 366;

/// A parsed schedule.
#[derive(Clone, Debug)]
pub struct Schedule {
    tz: TimeZone,
    /// Per weekday (Monday first): open ranges in minutes after local midnight.
    week: [Vec<(u32, u32)>; 7],
    holidays: BTreeSet<Date>,
}

fn minutes(hhmm: &str) -> Result<u32, String> {
    let bad = || format!("not a time of day (HH:MM): {hhmm:?}");
    let (h, m) = hhmm.split_once(':').ok_or_else(bad)?;
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m >= 60 || h > 24 || (h == 24 && m > 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

fn day_index(d: Weekday) -> usize {
    match d {
        Weekday::Mon => 0,
        Weekday::Tue => 1,
        Weekday::Wed => 2,
        Weekday::Thu => 3,
        Weekday::Fri => 4,
        Weekday::Sat => 5,
        Weekday::Sun => 6,
    }
}

fn ms(t: Timestamp) -> u64 {
    t.as_millisecond().max(0) as u64
}

impl Schedule {
    /// Parse and check a schedule (a known zone, `from` before `to`, real dates).
    pub fn parse(h: &BusinessHours) -> Result<Schedule, String> {
        let tz = TimeZone::get(&h.time_zone).map_err(|e| format!("time zone {:?}: {e}", h.time_zone))?;
        let mut week: [Vec<(u32, u32)>; 7] = Default::default();
        for o in &h.hours {
            let (from, to) = (minutes(&o.from)?, minutes(&o.to)?);
            if from >= to {
                return Err(format!("opening hours {}–{} end before they start", o.from, o.to));
            }
            for d in &o.days {
                week[day_index(*d)].push((from, to));
            }
        }
        for day in &mut week {
            day.sort_unstable();
        }
        let holidays = h
            .holidays
            .iter()
            .map(|d| d.parse::<Date>().map_err(|e| format!("holiday {d:?}: {e}")))
            .collect::<Result<_, _>>()?;
        Ok(Schedule { tz, week, holidays })
    }

    /// The instant a local time of `day` names (minute 1440 is the next midnight).
    fn instant(&self, day: Date, minute: u32) -> Option<u64> {
        let dt: DateTime = if minute >= 1440 {
            day.tomorrow().ok()?.at(0, 0, 0, 0)
        } else {
            day.at((minute / 60) as i8, (minute % 60) as i8, 0, 0)
        };
        self.tz.to_timestamp(dt).ok().map(ms)
    }

    /// Open intervals `[a, b)` in ms from `start` on (the first clipped to it), in order.
    fn open_from(&self, start: u64) -> impl Iterator<Item = (u64, u64)> + '_ {
        let first = Timestamp::from_millisecond(start as i64).map(|t| self.tz.to_datetime(t).date()).ok();
        let days = std::iter::successors(first, |d| d.tomorrow().ok()).take(HORIZON_DAYS as usize);
        days.filter(|d| !self.holidays.contains(d)).flat_map(move |d| {
            let ranges = &self.week[d.weekday().to_monday_zero_offset() as usize];
            ranges.iter().filter_map(move |&(f, t)| {
                let (a, b) = (self.instant(d, f)?.max(start), self.instant(d, t)?);
                (a < b).then_some((a, b))
            })
        })
    }

    /// When `budget` ms of open time outside `pauses` (closed intervals `[s, e)`)
    /// have passed since `start`; `None` if the schedule never gets there.
    pub fn add(&self, start: u64, budget: u64, pauses: &[(u64, u64)]) -> Option<u64> {
        let mut left = budget;
        if left == 0 {
            return Some(start);
        }
        for (a, b) in self.open_from(start) {
            for (x, y) in outside(a, b, pauses) {
                if y - x >= left {
                    return Some(x + left);
                }
                left -= y - x;
            }
        }
        None
    }

    /// Open time between `a` and `b`.
    pub fn between(&self, a: u64, b: u64) -> u64 {
        let mut total = 0;
        for (x, y) in self.open_from(a) {
            if x >= b {
                break;
            }
            total += y.min(b) - x;
        }
        total
    }
}

/// `[a, b)` less every pause, as ordered pieces.
fn outside(a: u64, b: u64, pauses: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut pieces = vec![(a, b)];
    for &(s, e) in pauses.iter().filter(|(s, e)| *s < b && *e > a) {
        pieces = pieces
            .into_iter()
            .flat_map(|(x, y)| [(x, y.min(s)), (x.max(e), y)].into_iter().filter(|(p, q)| p < q))
            .collect();
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use agora_protocol::ticket::OpenHours;

    const H: u64 = 3_600_000;

    fn berlin() -> Schedule {
        use Weekday::*;
        Schedule::parse(&BusinessHours {
            time_zone: "Europe/Berlin".into(),
            hours: vec![OpenHours { days: vec![Mon, Tue, Wed, Thu, Fri], from: "09:00".into(), to: "17:00".into() }],
            holidays: vec!["2027-11-01".into()],
        })
        .unwrap()
    }

    fn at(s: &str) -> u64 {
        ms(s.parse::<Timestamp>().unwrap())
    }

    #[test]
    fn a_budget_skips_the_night_the_weekend_a_holiday_and_follows_dst() {
        let s = berlin();
        // Friday 2027-10-29 16:00 CEST (14:00Z); DST ends on Sunday the 31st;
        // Monday 1 November is a holiday: 1 h on Friday, 1 h on Tuesday from 09:00 CET (08:00Z).
        assert_eq!(s.add(at("2027-10-29T14:00:00Z"), 2 * H, &[]), Some(at("2027-11-02T09:00:00Z")));
        // Within one day, and starting before opening time.
        assert_eq!(s.add(at("2027-10-28T05:00:00Z"), 3 * H, &[]), Some(at("2027-10-28T10:00:00Z")));
        assert_eq!(s.between(at("2027-10-29T14:00:00Z"), at("2027-11-02T09:00:00Z")), 2 * H);
        // A pause on Tuesday morning (08:00Z–08:30Z) pushes it by half an hour.
        let pause = [(at("2027-11-02T08:00:00Z"), at("2027-11-02T08:30:00Z"))];
        assert_eq!(s.add(at("2027-10-29T14:00:00Z"), 2 * H, &pause), Some(at("2027-11-02T09:30:00Z")));
    }

    #[test]
    fn bad_schedules_are_refused_and_an_empty_one_never_opens() {
        let mut h = BusinessHours { time_zone: "Mars/Olympus".into(), ..BusinessHours::default() };
        assert!(Schedule::parse(&h).is_err());
        h.time_zone = "UTC".into();
        h.hours = vec![OpenHours { days: vec![Weekday::Mon], from: "17:00".into(), to: "09:00".into() }];
        assert!(Schedule::parse(&h).is_err());
        h.hours.clear();
        assert_eq!(Schedule::parse(&h).unwrap().add(0, 1, &[]), None);
        assert!(minutes("24:00").is_ok() && minutes("9").is_err() && minutes("10:60").is_err());
    }
}
