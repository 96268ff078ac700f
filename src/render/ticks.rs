//! Axis ticks at "nice" values (1, 2 or 5 times a power of ten), labelled with just enough
//! decimals for the step, so labels never show float noise like `0.30000000000000004`.

/// A tick: its value and its label.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub value: f64,
    pub label: String,
}

/// Most ticks an axis gets, whatever the range.
const MAX_TICKS: f64 = 1000.0;
/// Largest tick index whose neighbours are distinct floats (2^52).
const EXACT_INDEX: f64 = 4_503_599_627_370_496.0;

/// About `target` ticks (at least 2 when the range allows) inside `[min, max]`.
pub fn ticks(min: f64, max: f64, target: usize) -> Vec<Tick> {
    let span = max - min;
    if !(span > 0.0 && span.is_finite()) {
        return Vec::new();
    }
    let raw = span / target.max(1) as f64;
    let power = raw.log10().floor();
    let magnitude = 10f64.powf(power);
    let nice = match raw / magnitude {
        r if r < 1.5 => 1.0,
        r if r < 3.5 => 2.0,
        r if r < 7.5 => 5.0,
        _ => 10.0,
    };
    let step = nice * magnitude;
    // A span too narrow for a power of ten (subnormal), or for the floats near its ends to tell
    // ticks apart (tick indices beyond 2^52 are no longer exact), has no ticks rather than a
    // ruinous count or repeated labels.
    let (first, last) = ((min / step).ceil(), (max / step).floor());
    let exact = |k: f64| k.is_finite() && k.abs() < EXACT_INDEX;
    if !(step > 0.0 && exact(first) && exact(last) && last - first <= MAX_TICKS) {
        return Vec::new();
    }
    let (first, last) = (first as i64, last as i64);
    // A step of 10^k (or 2, 5 times it) needs max(0, -k) decimals.
    let decimals = (-(step.log10().floor())).max(0.0) as usize;
    (first..=last)
        .map(|k| {
            let value = k as f64 * step;
            let label = format!("{value:.decimals$}");
            let label = if label
                .trim_start_matches('-')
                .trim_matches(['0', '.'])
                .is_empty()
            {
                "0".to_string()
            } else {
                label
            };
            Tick { value, label }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(t: &[Tick]) -> Vec<&str> {
        t.iter().map(|t| t.label.as_str()).collect()
    }

    #[test]
    fn a_subnormal_span_has_no_ticks_and_does_not_allocate_its_way_there() {
        assert!(ticks(0.0, 5e-324, 5).is_empty());
        assert!(ticks(1.0, 1.0 + f64::EPSILON, 5).len() <= 2);
    }

    #[test]
    fn ticks_are_nice_round_and_inside() {
        assert_eq!(
            labels(&ticks(-1.2, 1.2, 5)),
            ["-1.0", "-0.5", "0", "0.5", "1.0"]
        );
        assert_eq!(
            labels(&ticks(0.0, 1.0, 10)),
            [
                "0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1.0"
            ]
        );
        assert_eq!(
            labels(&ticks(-30.0, 70.0, 4)),
            ["-20", "0", "20", "40", "60"]
        );
        for t in ticks(-0.037, 0.081, 6) {
            assert!((-0.037..=0.081).contains(&t.value));
        }
    }

    #[test]
    fn empty_or_broken_ranges_have_no_ticks() {
        assert!(ticks(1.0, 1.0, 5).is_empty());
        assert!(ticks(1.0, 0.0, 5).is_empty());
        assert!(ticks(f64::NAN, 1.0, 5).is_empty());
        assert!(ticks(0.0, f64::INFINITY, 5).is_empty());
    }
}
