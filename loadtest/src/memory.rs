//! The server's resident memory: /proc/PID/status `VmRSS` with `--server-pid`,
//! else `process_resident_memory_bytes` from the server's `/metrics` (if it has one);
//! and with `--server-pid`, the server's CPU time from /proc/PID/stat.

use crate::cli::Common;
use crate::setup::Http;

/// One RSS sample in bytes, and where it came from.
pub async fn sample(common: &Common) -> Option<(u64, String)> {
    if let Some(pid) = common.server_pid {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        return parse_vmrss(&status).map(|b| (b, format!("/proc/{pid}/status VmRSS")));
    }
    let http = Http::from_ws_url(&common.url, common.op_timeout).ok()?;
    http.metrics_rss().await.map(|b| (b, "/metrics process_resident_memory_bytes".to_owned()))
}

/// A sample taken once the RSS has stopped moving (two samples 500 ms apart within
/// 1%, or after 10 s): setup's password hashing leaves memory the allocator gives
/// back a little later, which would otherwise make the per-connection figure noise.
pub async fn settled_sample(common: &Common) -> Option<(u64, String)> {
    let mut last = sample(common).await?;
    for _ in 0..20 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let now = sample(common).await?;
        let stable = now.0.abs_diff(last.0) * 100 <= last.0;
        last = now;
        if stable {
            break;
        }
    }
    Some(last)
}

/// `VmRSS:   123456 kB` → bytes.
pub fn parse_vmrss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// User + system CPU time of a process, in milliseconds, from /proc/PID/stat.
pub fn cpu_ms(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    parse_stat_ticks(&stat).map(|t| t * 1000 / hz)
}

/// utime + stime (fields 14 and 15) in clock ticks. The command name (field 2)
/// may hold spaces, so fields are counted after its closing parenthesis.
fn parse_stat_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After ")": field 3 (state) is f[0], so field N is f[N - 3].
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn vmrss_is_read_in_bytes() {
        let status = "Name:\tagora\nVmPeak:\t  999 kB\nVmRSS:\t   20480 kB\nThreads:\t3\n";
        assert_eq!(super::parse_vmrss(status), Some(20480 * 1024));
        assert_eq!(super::parse_vmrss("Name: x\n"), None);
    }

    #[test]
    fn cpu_ticks_are_read_past_the_command_name() {
        let stat = "42 (agora srv) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 100 1000 200";
        assert_eq!(super::parse_stat_ticks(stat), Some(300));
        assert!(super::cpu_ms(std::process::id()).is_some());
    }
}
