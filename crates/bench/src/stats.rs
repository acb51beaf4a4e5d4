//! Latency percentiles.

use std::time::Duration;

/// The percentiles of a row.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Percentiles {
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
    pub(crate) max: Duration,
}

impl Percentiles {
    /// Nearest-rank percentiles of `latencies` (sorted here).
    pub(crate) fn of(latencies: &mut [Duration]) -> Self {
        latencies.sort_unstable();
        let rank = |p: f64| {
            if latencies.is_empty() {
                return Duration::ZERO;
            }
            let index = (p * latencies.len() as f64).ceil() as usize;
            latencies[index.clamp(1, latencies.len()) - 1]
        };
        Self {
            p50: rank(0.50),
            p99: rank(0.99),
            max: latencies.last().copied().unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut latencies: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        let p = Percentiles::of(&mut latencies);
        assert_eq!(p.p50, Duration::from_millis(50));
        assert_eq!(p.p99, Duration::from_millis(99));
        assert_eq!(p.max, Duration::from_millis(100));
    }

    #[test]
    fn no_latencies_give_zeros() {
        assert_eq!(Percentiles::of(&mut []), Percentiles::default());
    }
}
