//! Latency histograms (HdrHistogram, microseconds) and their percentile summaries.
//!
//! A [`Hist`] serializes to a hex string of HdrHistogram's V2 format so child
//! processes can hand their histograms to the parent, which adds them: merged
//! percentiles are exact (to the histogram's precision), never averages of percentiles.

use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Highest trackable value: one hour in microseconds. Larger values are clamped.
const MAX_US: u64 = 3_600_000_000;

/// A latency histogram in microseconds, 3 significant figures.
#[derive(Clone, Debug)]
pub struct Hist(pub Histogram<u64>);

impl Default for Hist {
    fn default() -> Self {
        Hist(Histogram::new_with_bounds(1, MAX_US, 3).expect("valid histogram bounds"))
    }
}

impl Hist {
    pub fn record_us(&mut self, us: u64) {
        self.0.saturating_record(us.clamp(1, MAX_US));
    }
    pub fn record(&mut self, d: Duration) {
        self.record_us(d.as_micros().min(u64::MAX as u128) as u64);
    }
    /// Record the time between two `mono_ns` readings (0 if the clock went "backwards" across cores).
    pub fn record_ns_between(&mut self, start_ns: u64, end_ns: u64) {
        self.record_us(end_ns.saturating_sub(start_ns) / 1000);
    }
    pub fn add(&mut self, other: &Hist) {
        // Both have the same bounds, so adding cannot fail.
        self.0.add(&other.0).expect("histograms with equal bounds add");
    }
    pub fn len(&self) -> u64 {
        self.0.len()
    }
    pub fn summary(&self) -> Summary {
        let h = &self.0;
        let ms = |us: u64| us as f64 / 1000.0;
        if h.is_empty() {
            return Summary::default();
        }
        Summary {
            count: h.len(),
            mean_ms: h.mean() / 1000.0,
            p50_ms: ms(h.value_at_quantile(0.50)),
            p90_ms: ms(h.value_at_quantile(0.90)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            p999_ms: ms(h.value_at_quantile(0.999)),
            max_ms: ms(h.max()),
        }
    }
}

impl Serialize for Hist {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = Vec::new();
        V2Serializer::new().serialize(&self.0, &mut buf).map_err(|e| serde::ser::Error::custom(format!("{e:?}")))?;
        let hex: String = buf.iter().map(|b| format!("{b:02x}")).collect();
        s.serialize_str(&hex)
    }
}

impl<'de> Deserialize<'de> for Hist {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let hex = String::deserialize(d)?;
        if hex.len() % 2 != 0 {
            return Err(D::Error::custom("odd hex length"));
        }
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(D::Error::custom)?;
        let h: Histogram<u64> =
            Deserializer::new().deserialize(&mut &bytes[..]).map_err(|e| D::Error::custom(format!("{e:?}")))?;
        let mut out = Hist::default();
        out.0.add(&h).map_err(|e| D::Error::custom(format!("{e:?}")))?;
        Ok(out)
    }
}

/// Percentiles of one histogram, in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub count: u64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl Summary {
    /// One line: `n=1000 p50=1.20 p90=2.00 p99=3.10 p99.9=4.00 max=5.00 ms`.
    pub fn line(&self) -> String {
        if self.count == 0 {
            return "n=0".to_owned();
        }
        format!(
            "n={} p50={:.3} p90={:.3} p99={:.3} p99.9={:.3} max={:.3} ms",
            self.count, self.p50_ms, self.p90_ms, self.p99_ms, self.p999_ms, self.max_ms
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_distribution() {
        let mut h = Hist::default();
        for us in 1..=10_000u64 {
            h.record_us(us * 100); // 0.1 ms .. 1000 ms, uniform
        }
        let s = h.summary();
        assert_eq!(s.count, 10_000);
        let close = |got: f64, want: f64| (got - want).abs() / want < 0.01;
        assert!(close(s.p50_ms, 500.0), "{s:?}");
        assert!(close(s.p90_ms, 900.0), "{s:?}");
        assert!(close(s.p99_ms, 990.0), "{s:?}");
        assert!(close(s.p999_ms, 999.0), "{s:?}");
        assert!(close(s.max_ms, 1000.0), "{s:?}");
        assert!(s.line().starts_with("n=10000 p50=5"), "{}", s.line());
    }

    #[test]
    fn empty_histogram_summarizes_to_zeroes() {
        assert_eq!(Hist::default().summary(), Summary::default());
        assert_eq!(Hist::default().summary().line(), "n=0");
    }

    #[test]
    fn serialization_round_trips_and_merging_is_exact() {
        let (mut a, mut b) = (Hist::default(), Hist::default());
        for i in 0..1000 {
            a.record_us(1000 + i);
            b.record_us(50_000 + i);
        }
        let json = serde_json::to_string(&a).unwrap();
        let mut back: Hist = serde_json::from_str(&json).unwrap();
        assert_eq!(back.summary(), a.summary());
        back.add(&b);
        let s = back.summary();
        assert_eq!(s.count, 2000);
        assert!(s.p50_ms < 2.1 && s.p90_ms > 49.0, "{s:?}");
    }

    #[test]
    fn out_of_range_values_are_clamped_not_lost() {
        let mut h = Hist::default();
        h.record_us(0);
        h.record_us(u64::MAX);
        h.record_ns_between(10, 5);
        assert_eq!(h.len(), 3);
    }
}
