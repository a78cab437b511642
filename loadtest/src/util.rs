//! Small shared pieces: the system-wide monotonic clock, a seeded PRNG, shard ranges,
//! and raising the open-files limit.

use std::ops::Range;

/// Nanoseconds on CLOCK_MONOTONIC. Unlike `Instant`, the raw value is meaningful
/// across processes on one machine, so a child process can stamp a message and
/// another child can compute its delivery latency on the same clock.
pub fn mono_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we pass; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// CPU time (user + system) this process has used, in nanoseconds.
pub fn cpu_time_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: as for `mono_ns`.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// CPU used by the harness (and by the server, given its pid) over a window of wall time.
pub struct CpuWindow {
    wall_ns: u64,
    cpu_ns: u64,
    server: Option<(u32, u64)>,
}

impl CpuWindow {
    /// Start measuring; pass the server's pid in one process only, so it is counted once.
    pub fn start(server_pid: Option<u32>) -> Self {
        let server = server_pid.and_then(|p| crate::memory::cpu_ms(p).map(|ms| (p, ms)));
        CpuWindow { wall_ns: mono_ns(), cpu_ns: cpu_time_ns(), server }
    }

    /// Add `harness_cpu_ms`, `harness_wall_ms` and `server_cpu_ms` to the result.
    pub fn finish(self, r: &mut crate::report::RunResult) {
        r.count("harness_cpu_ms", cpu_time_ns().saturating_sub(self.cpu_ns) / 1_000_000);
        r.count("harness_wall_ms", mono_ns().saturating_sub(self.wall_ns) / 1_000_000);
        if let Some((pid, ms)) = self.server {
            if let Some(now) = crate::memory::cpu_ms(pid) {
                r.count("server_cpu_ms", now.saturating_sub(ms));
            }
        }
    }
}

/// The part of `total` items that shard `index` of `shards` handles: contiguous,
/// sizes differ by at most one, the first `total % shards` shards take one more.
pub fn shard_range(total: usize, shards: usize, index: usize) -> Range<usize> {
    assert!(shards > 0 && index < shards, "shard {index} of {shards}");
    let (base, rem) = (total / shards, total % shards);
    let start = index * base + index.min(rem);
    let len = base + usize::from(index < rem);
    start..start + len
}

/// Parse `I/K` as (index, count).
pub fn parse_shard(s: &str) -> anyhow::Result<(usize, usize)> {
    let (i, k) = s.split_once('/').ok_or_else(|| anyhow::anyhow!("shard must be I/K, got `{s}`"))?;
    let (i, k): (usize, usize) = (i.parse()?, k.parse()?);
    anyhow::ensure!(k > 0 && i < k, "shard {i}/{k} out of range");
    Ok((i, k))
}

/// xorshift64*: deterministic, dependency-free, good enough to pick actions and jitter.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        // splitmix64 of the seed, so that nearby seeds give unrelated streams and 0 is fine.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [0, n).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }
    /// Exponentially distributed with the given mean (a Poisson process's gaps).
    pub fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.f64()).ln()
    }
}

/// Raise the soft open-files limit to the hard limit; returns the limit in force.
pub fn raise_nofile_limit() -> u64 {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: plain syscalls on a struct we own.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        if lim.rlim_cur < lim.rlim_max {
            let want = libc::rlimit { rlim_cur: lim.rlim_max, rlim_max: lim.rlim_max };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
                return want.rlim_cur;
            }
        }
    }
    lim.rlim_cur
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_everything_once_and_are_balanced() {
        for total in [0usize, 1, 7, 10, 1000, 1001] {
            for shards in 1..=5 {
                let ranges: Vec<_> = (0..shards).map(|i| shard_range(total, shards, i)).collect();
                assert_eq!(ranges[0].start, 0);
                assert_eq!(ranges.last().unwrap().end, total);
                for w in ranges.windows(2) {
                    assert_eq!(w[0].end, w[1].start, "contiguous");
                }
                let lens: Vec<_> = ranges.iter().map(|r| r.len()).collect();
                assert!(lens.iter().max().unwrap() - lens.iter().min().unwrap() <= 1, "{lens:?}");
            }
        }
        assert_eq!(shard_range(10, 3, 0), 0..4);
        assert_eq!(shard_range(10, 3, 1), 4..7);
        assert_eq!(shard_range(10, 3, 2), 7..10);
    }

    #[test]
    fn shard_strings_parse() {
        assert_eq!(parse_shard("2/4").unwrap(), (2, 4));
        assert!(parse_shard("4/4").is_err());
        assert!(parse_shard("1/0").is_err());
        assert!(parse_shard("x").is_err());
    }

    #[test]
    fn rng_is_deterministic_and_in_range() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..1000 {
            let x = a.f64();
            assert_eq!(x, b.f64());
            assert!((0.0..1.0).contains(&x));
            assert!(a.below(10) < 10);
            b.below(10);
        }
    }

    #[test]
    fn monotonic_clock_moves_forward() {
        let a = mono_ns();
        let b = mono_ns();
        assert!(b >= a && a > 0);
    }
}
