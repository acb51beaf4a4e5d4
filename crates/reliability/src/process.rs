//! What a test learns about a process: its peak memory, and the lines the helper programs
//! print to say where they are.

/// The line a helper program prints on stdout once it is ready for the test to act (the
/// store is open, the lock is held).
pub const READY: &str = "ready";

/// The peak resident set size of this process so far, in KiB (`VmHWM` in
/// `/proc/self/status`), or `None` where there is no such file (not Linux).
pub fn peak_rss_kib() -> Option<u64> {
    status_field("VmHWM:")
}

/// The resident set size of this process now, in KiB (`VmRSS`).
pub fn rss_kib() -> Option<u64> {
    status_field("VmRSS:")
}

fn status_field(name: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The value of `key=value` in a line of space-separated pairs, as the helper programs
/// report their figures.
pub fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_whitespace()
        .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peak_is_read_from_proc_and_is_at_least_the_current_size() {
        // The current size first: the peak read after it can only be as large or larger.
        let now = rss_kib().expect("Linux has /proc/self/status");
        let peak = peak_rss_kib().expect("Linux has /proc/self/status");
        assert!(peak >= now && now > 0, "peak {peak} KiB, now {now} KiB");
    }

    #[test]
    fn a_field_is_found_by_its_exact_key() {
        let line = "peak_before_kib=10 peak_after_kib=20";
        assert_eq!(field(line, "peak_after_kib"), Some("20"));
        assert_eq!(field(line, "peak"), None);
    }
}
