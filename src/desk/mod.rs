//! The ticket desk's services beyond the ticket kind: the agents' queue (a
//! projection over every ticket), the manager's KPIs (`kpis.rs`, `activity.rs`, the Prometheus gauges in `gauges.rs`) and routing (agents' availability and
//! capacity, round-robin assignment, the team queue).
//!
//! What does not live here: a ticket's rules and state (`streams/kinds/ticket`)
//! and the ops' input checks (`ops/tickets.rs`).

pub mod activity;
pub mod gauges;
pub mod kpis;
pub mod kpis_hours;
pub mod queue;
pub mod routing;

pub use queue::TicketQueue;
pub use routing::Routing;
