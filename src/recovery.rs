//! Start-up recovery: rebuild every stream's folded state from the engine,
//! each from its latest snapshot plus the events after it.
//!
//! What lives here: [`recover`], run once before the sequencer starts. What
//! does not: deciding or appending (that is `sequencer`), and how snapshots and
//! events are stored (that is `engine`).

use crate::engine::Engine;
use crate::registry::Registry;
use crate::streams::StreamState;
use agora_protocol::Seq;
use std::time::Instant;

/// Rebuild the registry from the log: each stream's snapshot, then the events after it.
pub fn recover(log: &dyn Engine, registry: &Registry) -> Result<(), crate::engine::EngineError> {
    let started = Instant::now();
    let mut folded = 0u64;
    for stream in log.streams()? {
        let head = log.head(&stream)?;
        let snap: Option<StreamState> = log
            .snapshot(&stream)?
            .and_then(|b| rmp_serde::from_slice(&b).ok())
            .filter(|s: &StreamState| s.head <= head && s.version == crate::streams::state::STATE_VERSION);
        let mut state = snap;
        let mut after = state.as_ref().map(|s| s.head).unwrap_or(Seq(0));
        while after < head {
            let page = log.read_range(&stream, after, head, 1000)?;
            if page.is_empty() {
                break;
            }
            for ev in &page {
                folded += 1;
                match &mut state {
                    Some(st) => st.apply(ev),
                    None => state = StreamState::from_created(ev),
                }
                after = ev.seq;
            }
        }
        match state {
            Some(st) => {
                registry.insert(st, head);
            }
            None => tracing::warn!(%stream, "stream has no stream_created event; skipped"),
        }
    }
    tracing::info!(
        streams = registry.len(),
        folded,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "recovered stream state from the log"
    );
    Ok(())
}
