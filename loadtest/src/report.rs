//! Results: what one process measured ([`RunResult`]), how the parent merges its
//! children's, the human summary, and the `--json` file.
//!
//! Counters are named plainly (`delivered`, `acked`, `client_errors`, ...) and
//! added when merging; histograms are added; time marks are merged by min/max on
//! the shared monotonic clock, so rates over merged results are exact.

use crate::check::CheckSummary;
use crate::stats::{Hist, Summary};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// At most this many error messages are kept.
const MAX_ERRORS: usize = 30;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RunResult {
    pub scenario: String,
    /// The flags that shaped the load, for the record.
    pub params: serde_json::Value,
    pub counters: BTreeMap<String, u64>,
    pub hists: BTreeMap<String, Hist>,
    pub check: CheckSummary,
    /// Samples of client errors (transport failures, unexpected closes, error replies).
    pub errors: Vec<String>,
    /// Start of the measured phase (mono ns); merged by min.
    pub t_start_ns: u64,
    /// End of the measured phase (publishers stopped); merged by max.
    pub t_end_ns: u64,
    /// Last delivery of a message (mono ns); merged by max.
    pub t_last_delivery_ns: u64,
    pub memory: Option<Memory>,
}

/// Server memory around the connections a run holds.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Memory {
    /// Where the figures come from: `/proc/PID/status` or `/metrics`.
    pub source: String,
    pub rss_before_bytes: u64,
    pub rss_with_connections_bytes: u64,
    pub connections: u64,
    pub bytes_per_connection: f64,
}

impl RunResult {
    pub fn new(scenario: &str, params: serde_json::Value) -> Self {
        RunResult { scenario: scenario.to_owned(), params, ..Default::default() }
    }

    pub fn count(&mut self, name: &str, n: u64) {
        *self.counters.entry(name.to_owned()).or_default() += n;
    }

    pub fn counter(&self, name: &str) -> u64 {
        self.counters.get(name).copied().unwrap_or(0)
    }

    pub fn hist(&mut self, name: &str) -> &mut Hist {
        self.hists.entry(name.to_owned()).or_default()
    }

    /// Record a client error: counted, and its message kept as a sample.
    pub fn error(&mut self, msg: impl Into<String>) {
        self.count("client_errors", 1);
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(msg.into());
        }
    }

    pub fn merge(&mut self, o: &RunResult) {
        for (k, v) in &o.counters {
            self.count(k, *v);
        }
        for (k, h) in &o.hists {
            self.hist(k).add(h);
        }
        self.check.merge(&o.check);
        let room = MAX_ERRORS.saturating_sub(self.errors.len());
        self.errors.extend(o.errors.iter().take(room).cloned());
        self.t_start_ns = match (self.t_start_ns, o.t_start_ns) {
            (0, b) => b,
            (a, 0) => a,
            (a, b) => a.min(b),
        };
        self.t_end_ns = self.t_end_ns.max(o.t_end_ns);
        self.t_last_delivery_ns = self.t_last_delivery_ns.max(o.t_last_delivery_ns);
        if self.memory.is_none() {
            self.memory = o.memory.clone();
        }
    }

    /// Seconds of the measured phase.
    pub fn measured_secs(&self) -> f64 {
        self.t_end_ns.saturating_sub(self.t_start_ns) as f64 / 1e9
    }

    /// Deliveries per second, from the start until the last delivery.
    pub fn delivery_rate(&self) -> f64 {
        let secs = self.t_last_delivery_ns.saturating_sub(self.t_start_ns) as f64 / 1e9;
        if secs > 0.0 {
            self.counter("delivered") as f64 / secs
        } else {
            0.0
        }
    }

    /// The harness's CPU time over its wall time in the measured phase and drain
    /// (summed over processes: 1.0 = one core busy).
    pub fn harness_cpu_share(&self) -> Option<f64> {
        let (cpu, wall) = (self.counter("harness_cpu_ms"), self.counter("harness_wall_ms"));
        let procs = self.params.get("procs").and_then(|p| p.as_u64()).unwrap_or(1).max(1);
        (wall > 0).then(|| cpu as f64 / (wall as f64 / procs as f64))
    }

    /// Whether the run passed: no correctness error and no client error.
    pub fn passed(&self) -> bool {
        self.check.errors() == 0 && self.counter("client_errors") == 0
    }

    /// The JSON document written by `--json`: the raw result plus derived figures.
    pub fn to_json(&self) -> serde_json::Value {
        let summaries: BTreeMap<&str, Summary> = self.hists.iter().map(|(k, h)| (k.as_str(), h.summary())).collect();
        let secs = self.measured_secs();
        let rate = |name: &str| if secs > 0.0 { self.counter(name) as f64 / secs } else { 0.0 };
        serde_json::json!({
            "scenario": self.scenario,
            "passed": self.passed(),
            "params": self.params,
            "measured_secs": secs,
            "counters": self.counters,
            "latency_ms": summaries,
            "rates_per_sec": {
                "acked": rate("acked"),
                "published": rate("published"),
                "delivered": self.delivery_rate(),
                "ops": rate("ops"),
            },
            "check": self.check,
            "errors": self.errors,
            "memory": self.memory,
            "raw": self,
        })
    }

    pub fn write_json(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(&self.to_json())?;
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
    }

    /// The human summary.
    pub fn human(&self) -> String {
        let mut out = String::new();
        let verdict = if self.passed() { "PASS" } else { "FAIL" };
        out += &format!("== {} — {verdict}\n", self.scenario);
        out += &format!("params: {}\n", self.params);
        let secs = self.measured_secs();
        out += &format!("measured phase: {secs:.2}s\n");
        if !self.counters.is_empty() {
            let list: Vec<String> = self.counters.iter().map(|(k, v)| format!("{k}={v}")).collect();
            out += &format!("counters: {}\n", list.join(" "));
        }
        if secs > 0.0 {
            for name in ["published", "acked", "ops"] {
                if self.counter(name) > 0 {
                    out += &format!("{name}/s: {:.0}\n", self.counter(name) as f64 / secs);
                }
            }
        }
        if self.counter("delivered") > 0 {
            out += &format!("delivered/s: {:.0} (start of the phase to the last delivery)\n", self.delivery_rate());
        }
        if let Some(share) = self.harness_cpu_share() {
            out += &format!(
                "harness CPU: {:.0}% of one core from the start of the phase to the end of the drain\n",
                share * 100.0
            );
            if share > 0.85 {
                out += "warning: the harness was nearly saturated: throughput may be the client's, not the server's (give it a core of its own, use --encoding msgpack, or fewer subscribers)\n";
            }
        }
        if self.counter("server_cpu_ms") > 0 && self.counter("harness_wall_ms") > 0 {
            let procs = self.params.get("procs").and_then(|p| p.as_u64()).unwrap_or(1).max(1);
            let wall = self.counter("harness_wall_ms") as f64 / procs as f64;
            let share = self.counter("server_cpu_ms") as f64 / wall;
            out += &format!("server CPU: {:.0}% of one core over the same window\n", share * 100.0);
        }
        if !self.hists.is_empty() {
            out += "latency:\n";
            for (k, h) in &self.hists {
                out += &format!("  {k:<22} {}\n", h.summary().line());
            }
        }
        if let Some(m) = &self.memory {
            out += &format!(
                "server memory ({}): {:.1} MiB before, {:.1} MiB with {} connections: {:.1} KiB per connection\n",
                m.source,
                m.rss_before_bytes as f64 / 1048576.0,
                m.rss_with_connections_bytes as f64 / 1048576.0,
                m.connections,
                m.bytes_per_connection / 1024.0
            );
        }
        let c = &self.check;
        if c.subscriptions > 0 {
            out += &format!(
                "correctness: {} subscriptions, {} events; missing={} (in {} gaps) duplicates={} reorders={} content_duplicates={}\n",
                c.subscriptions, c.events, c.missing, c.gaps, c.duplicates, c.reorders, c.content_duplicates
            );
            for s in &c.samples {
                out += &format!("  ! {s}\n");
            }
        }
        if self.counter("rate_limited") > 0 {
            out += &format!(
                "note: {} requests were rate limited: raise the server's limits (or use more users) for a throughput figure\n",
                self.counter("rate_limited")
            );
        }
        for e in &self.errors {
            out += &format!("  error: {e}\n");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_adds_counters_and_histograms_and_widens_the_window() {
        let mut a = RunResult::new("fanout", serde_json::json!({}));
        a.count("delivered", 100);
        a.hist("deliver").record_us(1000);
        a.t_start_ns = 10;
        a.t_end_ns = 1_000_000_010;
        a.t_last_delivery_ns = 2_000_000_010;
        let mut b = a.clone();
        b.t_start_ns = 5;
        b.error("boom");
        a.merge(&b);
        assert_eq!(a.counter("delivered"), 200);
        assert_eq!(a.hists["deliver"].len(), 2);
        assert_eq!(a.t_start_ns, 5);
        assert_eq!(a.counter("client_errors"), 1);
        assert!(!a.passed());
        assert!((a.delivery_rate() - 100.0).abs() < 1.0, "{}", a.delivery_rate());
        let j = a.to_json();
        assert_eq!(j["counters"]["delivered"], 200);
        assert!(j["latency_ms"]["deliver"]["p99_ms"].as_f64().unwrap() > 0.9);
        assert!(a.human().contains("FAIL"));
    }

    #[test]
    fn a_result_survives_the_trip_through_json() {
        let mut a = RunResult::new("resume", serde_json::json!({"connections": 3}));
        a.hist("reconnect").record_us(5000);
        a.count("reconnects", 3);
        let back: RunResult = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(back.counter("reconnects"), 3);
        assert_eq!(back.hists["reconnect"].summary(), a.hists["reconnect"].summary());
        assert!(back.passed());
    }
}
