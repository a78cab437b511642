//! Prometheus metrics, owned by the `App` (no global registry, so several
//! servers can run in one test process). Exposed at `GET /metrics`.
//!
//! prometheus-client was chosen over the `metrics` facade because it needs no
//! process-global recorder.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

pub struct Metrics {
    registry: Registry,
    pub connections: Gauge,
    pub subscriptions: Gauge,
    pub events_appended: Counter,
    pub deliveries: Counter,
    pub slow_consumers: Counter,
    pub rate_limited: Family<Vec<(String, String)>, Counter>,
    pub requests: Family<Vec<(String, String)>, Counter>,
    /// From a client's `post` being queued to its ack (decide + group commit).
    pub append_seconds: Histogram,
    /// One group commit: apply, flush and fsync.
    pub commit_seconds: Histogram,
    pub commit_batch_size: Histogram,
    /// Handing one event to every subscriber's queue.
    pub fanout_seconds: Histogram,
    resident_memory: Gauge,
    /// The ticket desk's gauges, set from the projections at each scrape (`desk::gauges`).
    pub desk: DeskGauges,
}

/// The ticket desk's gauges (definitions in docs/KPIS.md).
#[derive(Default)]
pub struct DeskGauges {
    /// Tickets new, open, pending or on-hold, by `status` and `priority`.
    pub outstanding: Family<Vec<(String, String)>, Gauge>,
    /// Tickets that breached an SLA `target` (first_response, next_reply, resolution).
    pub sla_breached: Family<Vec<(String, String)>, Gauge>,
    /// Conversations new or open (as routing counts them), by `assigned` yes/no.
    pub open_chats: Family<Vec<(String, String)>, Gauge>,
    /// Connected agents by routing `status` (available, busy, away).
    pub agents: Family<Vec<(String, String)>, Gauge>,
    pub csat_ratings: Gauge,
    /// Ratings 4–5 ÷ all ratings × 100 (NaN before the first rating).
    pub csat_score: Gauge<f64, AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut r = Registry::default();
        let m = Metrics {
            connections: Gauge::default(),
            subscriptions: Gauge::default(),
            events_appended: Counter::default(),
            deliveries: Counter::default(),
            slow_consumers: Counter::default(),
            rate_limited: Family::default(),
            requests: Family::default(),
            append_seconds: Histogram::new(exponential_buckets(0.000_05, 2.0, 18)),
            commit_seconds: Histogram::new(exponential_buckets(0.000_05, 2.0, 18)),
            commit_batch_size: Histogram::new(exponential_buckets(1.0, 2.0, 12)),
            fanout_seconds: Histogram::new(exponential_buckets(0.000_001, 2.0, 20)),
            resident_memory: Gauge::default(),
            desk: DeskGauges::default(),
            registry: Registry::default(),
        };
        r.register("agora_connections", "Open authenticated WebSocket connections", m.connections.clone());
        r.register("agora_subscriptions", "Active stream subscriptions", m.subscriptions.clone());
        r.register("agora_events_appended", "Events durably appended", m.events_appended.clone());
        r.register("agora_deliveries", "Events handed to subscriber queues", m.deliveries.clone());
        r.register(
            "agora_slow_consumers",
            "Connections closed as slow consumers (a full outbound queue, or a write past write_timeout_ms)",
            m.slow_consumers.clone(),
        );
        r.register("agora_rate_limited", "Requests refused by a rate limit, by class", m.rate_limited.clone());
        r.register("agora_requests", "Requests handled, by op", m.requests.clone());
        r.register("agora_append_seconds", "Append latency from request to durable ack", m.append_seconds.clone());
        r.register("agora_commit_seconds", "Group commit duration (apply, flush, fsync)", m.commit_seconds.clone());
        r.register("agora_commit_batch_size", "Events per group commit", m.commit_batch_size.clone());
        r.register("agora_fanout_seconds", "Time to queue one event to all subscribers", m.fanout_seconds.clone());
        r.register("process_resident_memory_bytes", "Resident set size", m.resident_memory.clone());
        let d = &m.desk;
        r.register(
            "agora_desk_tickets_outstanding",
            "Tickets new, open, pending or on-hold, by status and priority",
            d.outstanding.clone(),
        );
        r.register("agora_desk_sla_breached_tickets", "Tickets that breached an SLA target", d.sla_breached.clone());
        r.register("agora_desk_open_chats", "Conversations new or open, by assigned", d.open_chats.clone());
        r.register("agora_desk_agents_online", "Connected agents by routing status", d.agents.clone());
        r.register("agora_desk_csat_ratings", "CSAT ratings given", d.csat_ratings.clone());
        r.register("agora_desk_csat_score", "CSAT score: ratings 4-5 / all ratings x 100", d.csat_score.clone());
        Metrics { registry: r, ..m }
    }

    pub fn observe_commit(&self, took: Duration, events: usize) {
        self.commit_seconds.observe(took.as_secs_f64());
        self.commit_batch_size.observe(events as f64);
        self.events_appended.inc_by(events as u64);
    }

    pub fn count_request(&self, op: &'static str) {
        self.requests.get_or_create(&vec![("op".into(), op.into())]).inc();
    }

    pub fn count_rate_limited(&self, class: &'static str) {
        self.rate_limited.get_or_create(&vec![("class".into(), class.into())]).inc();
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        if let Some(rss) = resident_bytes() {
            self.resident_memory.set(rss as i64);
        }
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

/// VmRSS of this process, in bytes (Linux).
pub fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
