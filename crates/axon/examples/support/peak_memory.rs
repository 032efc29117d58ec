//! The peak resident memory of this process, for the benchmark examples' JSON lines (Linux:
//! `VmHWM` in `/proc/self/status`; NaN elsewhere).

/// Peak resident set size in MB.
pub fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(f64::NAN);
    kb / 1024.0
}
