//! Per-account login back-off, on top of the per-IP login limit (`limits`).
//!
//! After `login_backoff_after` failed logins in a row for one username, every
//! further attempt for it must wait: `login_backoff_base_ms` after that failure,
//! doubled for each further one, never more than `login_backoff_max_ms`. An
//! attempt made while the account waits is refused with `rate_limited` and
//! `retry_after_ms` *before* the password is checked, and does not count as a
//! failure, so hammering a waiting account does not push its wait past the cap.
//! A successful login clears the account's count; so do [`FORGET_AFTER`]
//! without a failure.
//!
//! So that an attacker cannot lock a real user out for as long as they keep
//! failing, an IP address that logged in to the account successfully (since
//! this server started; the last [`TRUSTED_PER_ACCOUNT`] of them) is exempt from
//! the account's wait. It is still under the per-IP limit, and its failures
//! still count for everyone else.
//!
//! Usernames are keyed as typed (trimmed, lowercased), whether they exist or
//! not, so the answer does not reveal which accounts exist. Memory: one entry
//! per username that failed within [`FORGET_AFTER`] (bounded by the per-IP login
//! rate) or logged in since the start; [`LoginBackoff::housekeeping`] drops the rest.
//!
//! What does not live here: the per-IP buckets (`limits`), password checks (`auth`).

use crate::config::RateLimits as RateConfig;
use crate::error::{AppError, AppResult};
use dashmap::DashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A username's failures are forgotten this long after its last one.
pub const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// Addresses remembered per account as having logged in successfully.
pub const TRUSTED_PER_ACCOUNT: usize = 4;

/// Where the back-off reads the time (a manual clock in tests).
pub trait Clock: Send + Sync {
    fn now(&self) -> Instant;
}

/// The monotonic system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// How long an account waits after how many failures.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// Failures in a row before the first wait; 0 turns the back-off off.
    pub after: u32,
    pub base: Duration,
    pub max: Duration,
}

impl Policy {
    pub fn from_config(c: &RateConfig) -> Policy {
        Policy {
            after: c.login_backoff_after,
            base: Duration::from_millis(c.login_backoff_base_ms),
            max: Duration::from_millis(c.login_backoff_max_ms),
        }
    }

    /// The wait after `failures` failures in a row: none below `after`, then
    /// `base`, doubled per further failure, at most `max`.
    pub fn wait(&self, failures: u32) -> Duration {
        if self.after == 0 || failures < self.after {
            return Duration::ZERO;
        }
        let doublings = (failures - self.after).min(31);
        self.base.saturating_mul(1u32 << doublings).min(self.max)
    }
}

#[derive(Default)]
struct Account {
    failures: u32,
    last_failure: Option<Instant>,
    /// Attempts before this are refused (except from `trusted`).
    wait_until: Option<Instant>,
    /// Addresses that logged in successfully, oldest first.
    trusted: Vec<IpAddr>,
}

pub struct LoginBackoff {
    policy: Policy,
    accounts: DashMap<String, Account>,
    clock: Arc<dyn Clock>,
}

fn key(username: &str) -> String {
    username.trim().to_lowercase()
}

impl LoginBackoff {
    pub fn new(policy: Policy) -> LoginBackoff {
        LoginBackoff::with_clock(policy, Arc::new(SystemClock))
    }

    pub fn with_clock(policy: Policy, clock: Arc<dyn Clock>) -> LoginBackoff {
        LoginBackoff { policy, accounts: DashMap::new(), clock }
    }

    /// Before the password is checked: `rate_limited` while the account waits.
    /// Otherwise the attempt is counted as a failure right away, so concurrent
    /// attempts cannot slip past the threshold together; [`Self::succeeded`]
    /// undoes it.
    pub fn begin(&self, username: &str, ip: IpAddr) -> AppResult<()> {
        if self.policy.after == 0 {
            return Ok(());
        }
        let now = self.clock.now();
        let mut a = self.accounts.entry(key(username)).or_default();
        if a.last_failure.is_some_and(|t| now.saturating_duration_since(t) >= FORGET_AFTER) {
            a.failures = 0;
            a.wait_until = None;
        }
        if let Some(until) = a.wait_until.filter(|&u| u > now) {
            if !a.trusted.contains(&ip) {
                return Err(AppError::RateLimited(until - now));
            }
        }
        a.failures = a.failures.saturating_add(1);
        a.last_failure = Some(now);
        let wait = self.policy.wait(a.failures);
        a.wait_until = (!wait.is_zero()).then(|| now + wait);
        Ok(())
    }

    /// The password was right: clear the account's failures and trust `ip` for it.
    pub fn succeeded(&self, username: &str, ip: IpAddr) {
        if self.policy.after == 0 {
            return;
        }
        let mut a = self.accounts.entry(key(username)).or_default();
        a.failures = 0;
        a.last_failure = None;
        a.wait_until = None;
        if !a.trusted.contains(&ip) {
            if a.trusted.len() >= TRUSTED_PER_ACCOUNT {
                a.trusted.remove(0);
            }
            a.trusted.push(ip);
        }
    }

    /// Drop usernames with nothing left to remember (bounded memory).
    pub fn housekeeping(&self) {
        let now = self.clock.now();
        self.accounts.retain(|_, a| {
            !a.trusted.is_empty() || a.last_failure.is_some_and(|t| now.saturating_duration_since(t) < FORGET_AFTER)
        });
    }

    /// Usernames remembered (for tests and metrics).
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A clock that moves only when told.
    struct ManualClock(Mutex<Instant>);

    impl ManualClock {
        fn advance(&self, d: Duration) {
            *self.0.lock().unwrap() += d;
        }
    }

    impl Clock for ManualClock {
        fn now(&self) -> Instant {
            *self.0.lock().unwrap()
        }
    }

    const ATTACKER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 7));
    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 1));

    fn setup() -> (LoginBackoff, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock(Mutex::new(Instant::now())));
        let policy = Policy { after: 5, base: Duration::from_secs(1), max: Duration::from_secs(300) };
        (LoginBackoff::with_clock(policy, clock.clone()), clock)
    }

    fn waits(b: &LoginBackoff, user: &str, ip: IpAddr) -> Option<Duration> {
        match b.begin(user, ip) {
            Ok(()) => None,
            Err(AppError::RateLimited(d)) => Some(d),
            Err(e) => panic!("unexpected {e:?}"),
        }
    }

    #[test]
    fn the_schedule_doubles_from_base_to_the_cap() {
        let p = Policy { after: 5, base: Duration::from_secs(1), max: Duration::from_secs(300) };
        let secs: Vec<u64> = (1..=16).map(|n| p.wait(n).as_secs()).collect();
        assert_eq!(secs, [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
        assert_eq!(p.wait(u32::MAX), Duration::from_secs(300));
        assert_eq!(Policy { after: 0, ..p }.wait(100), Duration::ZERO, "0 turns it off");
    }

    #[test]
    fn failures_make_the_account_wait_and_the_wait_never_exceeds_the_cap() {
        let (b, clock) = setup();
        for _ in 0..4 {
            assert_eq!(waits(&b, "ann", ATTACKER), None);
        }
        // The fifth attempt goes ahead; the sixth must wait 1 s.
        assert_eq!(waits(&b, "ann", ATTACKER), None);
        assert_eq!(waits(&b, "ann", ATTACKER), Some(Duration::from_secs(1)));
        // Refused attempts do not extend the wait.
        clock.advance(Duration::from_millis(400));
        assert_eq!(waits(&b, "ann", ATTACKER), Some(Duration::from_millis(600)));
        // Other accounts are not affected, and case and spaces do not make a new account.
        assert_eq!(waits(&b, "bob", ATTACKER), None);
        assert_eq!(waits(&b, " ANN ", ATTACKER), Some(Duration::from_millis(600)));
        // An attacker who fails every time the wait ends reaches the cap and stays there.
        let mut last = Duration::ZERO;
        for _ in 0..20 {
            clock.advance(last.max(Duration::from_millis(600)));
            assert_eq!(waits(&b, "ann", ATTACKER), None);
            last = waits(&b, "ann", ATTACKER).expect("waiting");
            assert!(last <= Duration::from_secs(300), "{last:?}");
        }
        assert_eq!(last, Duration::from_secs(300));
    }

    #[test]
    fn success_resets_and_trusts_the_address() {
        let (b, clock) = setup();
        assert_eq!(waits(&b, "ann", HOME), None);
        b.succeeded("ann", HOME);
        for _ in 0..8 {
            clock.advance(Duration::from_secs(300));
            let _ = waits(&b, "ann", ATTACKER);
        }
        assert!(waits(&b, "ann", ATTACKER).is_some(), "the attacker waits");
        // The real user, from where they logged in before, does not.
        assert_eq!(waits(&b, "ann", HOME), None);
        b.succeeded("ann", HOME);
        // Their success cleared the count for everyone.
        for _ in 0..4 {
            assert_eq!(waits(&b, "ann", ATTACKER), None);
        }
    }

    #[test]
    fn failures_are_forgotten_after_a_quiet_period_and_housekeeping_drops_them() {
        let (b, clock) = setup();
        for _ in 0..5 {
            let _ = waits(&b, "ann", ATTACKER);
        }
        b.succeeded("bob", HOME);
        assert_eq!(b.len(), 2);
        clock.advance(FORGET_AFTER);
        b.housekeeping();
        assert_eq!(b.len(), 1, "bob is kept for his trusted address");
        for _ in 0..4 {
            assert_eq!(waits(&b, "ann", ATTACKER), None, "a fresh count");
        }
    }
}
