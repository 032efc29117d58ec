//! The resident memory of this process, for the benchmark examples' JSON lines (Linux: `VmHWM`
//! and `VmRSS` in `/proc/self/status`; NaN elsewhere).

/// The `/proc/self/status` line `field` (kB), in MB.
fn status_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(f64::NAN);
    kb / 1024.0
}

/// Peak resident set size in MB.
pub fn peak_rss_mb() -> f64 {
    status_mb("VmHWM:")
}

/// Resident set size now, in MB.
#[allow(dead_code)] // Not every example that includes this file asks for it.
pub fn rss_mb() -> f64 {
    status_mb("VmRSS:")
}
