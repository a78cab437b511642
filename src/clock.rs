//! The server's clock: what "now" is for event times and for every rule that
//! depends on time (SLA targets, auto-close, mutes, protection expiry).
//!
//! In production it is the wall clock. With `test_clock` in the config, a test
//! can move it forward (`Clock::advance`, or `POST /api/v1/test/clock` as admin)
//! so timers are tested without sleeping. It never moves backwards.
//! What does not live here: scheduling work at a time (that is the kinds'
//! `due` times and whoever polls them).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Wall time plus an offset that only a test clock may grow.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicU64,
    adjustable: bool,
    /// The last time handed out, so `now_ms` never goes back (wall clock steps).
    last: AtomicU64,
}

impl Clock {
    /// The wall clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock tests may move forward.
    pub fn adjustable() -> Clock {
        Clock { adjustable: true, ..Clock::default() }
    }

    pub fn is_adjustable(&self) -> bool {
        self.adjustable
    }

    /// Milliseconds since the Unix epoch; never less than a value returned before.
    pub fn now_ms(&self) -> u64 {
        let wall = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
        let now = wall.saturating_add(self.offset_ms.load(Ordering::Acquire));
        let prev = self.last.fetch_max(now, Ordering::AcqRel);
        prev.max(now)
    }

    /// Move an adjustable clock forward by `ms`; answers whether it moved.
    pub fn advance(&self, ms: u64) -> bool {
        if !self.adjustable {
            return false;
        }
        self.offset_ms.fetch_add(ms, Ordering::AcqRel);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_adjustable_clock_moves_and_never_backwards() {
        let wall = Clock::system();
        assert!(!wall.advance(1000));
        let test = Clock::adjustable();
        let before = test.now_ms();
        assert!(test.advance(3_600_000));
        let after = test.now_ms();
        assert!(after >= before + 3_600_000, "{before} → {after}");
        assert!(test.now_ms() >= after);
    }
}
