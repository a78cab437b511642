//! The server acting on its own at a time: a kind-agnostic timer. Each stream's
//! kind says when it next needs attention (`Kind::due`: an SLA target, an
//! auto-close); [`Timers`] keeps the earliest due time per stream (a
//! `Projection`, so it is rebuilt from the recovered states on start and kept
//! current after every commit), and [`run`] submits `Action::Tick` as
//! `Actor::system()` for every stream whose time has come by `App::clock`. A
//! time that passed while the server was down is due at the first pass after
//! start, so what the kind appends then happens exactly once (the kind's state
//! records it and moves `due` on).
//!
//! What does not live here: what a tick does (the kind's `decide`). Tests move
//! the test clock with `POST /api/v1/test/clock`, which runs [`run_due`] before
//! answering: no sleeps.

use crate::app::App;
use crate::projections::Projection;
use crate::streams::{kinds, Action, Actor, StreamState};
use agora_protocol::{Event, StreamId};
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::Notify;

/// The longest the timer task sleeps before looking again (wall clock steps, a test clock moved).
const MAX_SLEEP: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Schedule {
    by_stream: HashMap<StreamId, u64>,
    order: BTreeSet<(u64, StreamId)>,
}

/// Every stream's next due time.
#[derive(Default)]
pub struct Timers {
    schedule: Mutex<Schedule>,
    /// Woken when a due time earlier than every other is set.
    wake: Notify,
}

impl Projection for Timers {
    fn load(&self, st: &StreamState) {
        let due = kinds::of(st.kind).and_then(|k| k.due(st));
        self.set(&st.id, due);
    }
    fn apply(&self, st: &StreamState, _ev: &Event) {
        self.load(st)
    }
}

impl Timers {
    fn lock(&self) -> std::sync::MutexGuard<'_, Schedule> {
        self.schedule.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, stream: &StreamId, due: Option<u64>) {
        let mut s = self.lock();
        if let Some(old) = s.by_stream.remove(stream) {
            s.order.remove(&(old, stream.clone()));
        }
        if let Some(due) = due {
            let earliest = s.order.first().is_none_or(|(d, _)| due < *d);
            s.by_stream.insert(stream.clone(), due);
            s.order.insert((due, stream.clone()));
            if earliest {
                self.wake.notify_one();
            }
        }
    }

    /// Streams due at `now`.
    fn due(&self, now: u64) -> Vec<(StreamId, u64)> {
        self.lock().order.iter().take_while(|(d, _)| *d <= now).map(|(d, s)| (s.clone(), *d)).collect()
    }

    /// The earliest due time.
    pub fn next(&self) -> Option<u64> {
        self.lock().order.first().map(|(d, _)| *d)
    }
}

/// Tick every stream that is due now, until none is (a tick may leave another
/// target of the same stream due). A tick that appends nothing or is refused
/// drops the stream from the schedule until its next event, so a kind that
/// keeps answering "not yet" cannot spin. Returns how many ticks appended.
pub async fn run_due(app: &App) -> usize {
    let timers = &app.projections.timers;
    let mut appended = 0;
    // Bounded: each round either appends (moving `due` on) or drops a stream.
    for _ in 0..10_000 {
        let due = timers.due(app.clock.now_ms());
        if due.is_empty() {
            break;
        }
        for (stream, at) in due {
            match app.sequencer.append(stream.clone(), Actor::system(), Action::Tick, None).await {
                Ok(a) if !a.duplicate => appended += 1,
                Ok(_) => timers.forget(&stream, at),
                Err(e) => {
                    tracing::warn!(%stream, error = %e, "timer tick refused");
                    timers.forget(&stream, at)
                }
            }
        }
    }
    appended
}

impl Timers {
    /// Drop `stream`'s due time if it is still `at`.
    fn forget(&self, stream: &StreamId, at: u64) {
        let mut s = self.lock();
        if s.by_stream.get(stream) == Some(&at) {
            s.by_stream.remove(stream);
            s.order.remove(&(at, stream.clone()));
        }
    }
}

/// The timer task: tick what is due, sleep until the next due time (at most
/// [`MAX_SLEEP`]) or until an earlier one is set; stop at shutdown.
pub async fn run(app: std::sync::Arc<App>) {
    loop {
        run_due(&app).await;
        let wait = match app.projections.timers.next() {
            Some(due) => Duration::from_millis(due.saturating_sub(app.clock.now_ms())).min(MAX_SLEEP),
            None => MAX_SLEEP,
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = app.projections.timers.wake.notified() => {}
            _ = app.shutdown.cancelled() => break,
        }
    }
}
