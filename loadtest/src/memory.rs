//! The server's resident memory: /proc/PID/status `VmRSS` with `--server-pid`,
//! else `process_resident_memory_bytes` from the server's `/metrics` (if it has one).

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

/// `VmRSS:   123456 kB` → bytes.
pub fn parse_vmrss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    #[test]
    fn vmrss_is_read_in_bytes() {
        let status = "Name:\tagora\nVmPeak:\t  999 kB\nVmRSS:\t   20480 kB\nThreads:\t3\n";
        assert_eq!(super::parse_vmrss(status), Some(20480 * 1024));
        assert_eq!(super::parse_vmrss("Name: x\n"), None);
    }
}
