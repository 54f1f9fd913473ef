//! Paired statistics of the throughput rounds: two clients compared within each round (their
//! blocks interleaved on the same machine), then the median over the rounds.

use super::stats::median;
use super::throughput::{CellKey, CellStats, Throughput};

impl Throughput {
    /// The median over the rounds of `f(a, b)`, `a` and `b` being the two cells of one round
    /// (rounds missing either are left out); `None` if no round has both.
    pub(crate) fn paired(&self, a: &CellKey, b: &CellKey, f: fn(&CellStats, &CellStats) -> f64) -> Option<f64> {
        let mut values = self.pairs(a, b, f);
        (!values.is_empty()).then(|| median(&mut values))
    }

    /// `f(a, b)` of each round having both cells, sorted.
    fn pairs(&self, a: &CellKey, b: &CellKey, f: fn(&CellStats, &CellStats) -> f64) -> Vec<f64> {
        let mut values: Vec<f64> =
            self.per_round.iter().filter_map(|r| Some(f(r.get(a)?, r.get(b)?))).filter(|v| v.is_finite()).collect();
        values.sort_by(f64::total_cmp);
        values
    }

    /// The first and third quartiles of the rounds' throughput ratios of `a` to `b` (nearest
    /// rank); `None` with fewer than four rounds.
    pub(crate) fn ratio_quartiles(&self, a: &CellKey, b: &CellKey) -> Option<(f64, f64)> {
        let values = self.pairs(a, b, |a, b| a.ops_per_sec / b.ops_per_sec);
        let n = values.len();
        (n >= 4).then(|| (values[(n - 1) / 4], values[(3 * (n - 1)).div_ceil(4)]))
    }

    /// The paired ratio of `a`'s throughput to `b`'s (see [`Throughput::paired`]).
    pub(crate) fn ratio(&self, a: &CellKey, b: &CellKey) -> Option<f64> {
        self.paired(a, b, |a, b| a.ops_per_sec / b.ops_per_sec)
    }

    /// The paired difference of `a`'s CPU per operation and `b`'s, in µs.
    pub(crate) fn cpu_gap(&self, a: &CellKey, b: &CellKey) -> Option<f64> {
        self.paired(a, b, |a, b| a.cpu_us_per_op - b.cpu_us_per_op)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::throughput::{CellKey, CellStats, Throughput};

    fn stats(ops_per_sec: f64, cpu_us_per_op: f64) -> CellStats {
        CellStats { ops_per_sec, p50_us: 0.0, p99_us: 0.0, cpu_us_per_op, instructions_per_op: f64::NAN }
    }

    fn key(client: &str) -> CellKey {
        (client.to_owned(), "bare".to_owned(), "get".to_owned(), 1)
    }

    fn throughput(rounds: &[&[(&str, f64, f64)]]) -> Throughput {
        let per_round = rounds
            .iter()
            .map(|r| r.iter().map(|&(client, ops, cpu)| (key(client), stats(ops, cpu))).collect())
            .collect();
        Throughput {
            cells: BTreeMap::new(),
            per_round,
            callgrind: BTreeMap::new(),
            rounds: rounds.len(),
            ops: 0,
            block: 0,
            warmup: 0,
            commands: Vec::new(),
            perf_missing: None,
            callgrind_command: None,
            loads: Vec::new(),
            failures: Vec::new(),
        }
    }

    #[test]
    fn ratios_are_paired_within_rounds_then_the_median() {
        // Machine speed swings between rounds; within each, azkv is 1.1, 1.2 and 1.0 × raw.
        let t = throughput(&[
            &[("azkv", 1100.0, 90.0), ("raw", 1000.0, 100.0)],
            &[("azkv", 6000.0, 80.0), ("raw", 5000.0, 95.0)],
            &[("azkv", 3000.0, 99.0), ("raw", 3000.0, 97.0)],
            // A round without raw's sample is left out of the pairs.
            &[("azkv", 100.0, 500.0)],
        ]);
        let r = t.ratio(&key("azkv"), &key("raw")).unwrap();
        assert!((r - 1.1).abs() < 1e-9, "{r}");
        // Ratio of medians would say 3000 / 3000 = 1.0.
        let gap = t.cpu_gap(&key("azkv"), &key("raw")).unwrap();
        assert!((gap - -10.0).abs() < 1e-9, "{gap}");
        assert_eq!(t.ratio(&key("azkv"), &key("microsoft")), None);
        assert_eq!(t.ratio_quartiles(&key("azkv"), &key("raw")), None, "three pairs are too few");
    }

    #[test]
    fn ratio_quartiles_are_of_the_sorted_pairs() {
        let rounds: Vec<Vec<(&str, f64, f64)>> =
            [1.3, 0.9, 1.0, 1.2, 1.1].iter().map(|r| vec![("azkv", 1000.0 * r, 0.0), ("raw", 1000.0, 0.0)]).collect();
        let t = throughput(&rounds.iter().map(Vec::as_slice).collect::<Vec<_>>());
        let (q1, q3) = t.ratio_quartiles(&key("azkv"), &key("raw")).unwrap();
        assert!((q1 - 1.0).abs() < 1e-9 && (q3 - 1.2).abs() < 1e-9, "{q1} {q3}");
    }
}
