//! Words and numbers as every report, figure and view writes them: one rule each, so the CLI,
//! the exported figures and the explorer say the same thing the same way.

/// A number for labels: at most 3 decimals, trailing zeros dropped, no `-0`; from a million up,
/// in scientific notation with 4 significant digits.
pub fn number(x: f64) -> String {
    if x.abs() >= 1e6 && x.is_finite() {
        return format!("{x:.3e}");
    }
    let text = format!("{x:.3}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        &text
    };
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// `"1 fixed point"`, `"3 fixed points"`, `"0 branches"`: a count with the right form of the
/// noun (`plural` is the plural form).
pub fn count(n: usize, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

/// `"A"`, `"B"`, ..., `"Z"`, then `"I27"`, ...: the name of input channel `s` (0-based) of a
/// network, whose files do not name their inputs (the DMS convention: A is channel 0).
pub fn channel_letter(s: usize) -> String {
    u8::try_from(s).ok().filter(|&k| k < 26).map_or_else(
        || format!("I{}", s + 1),
        |k| char::from(b'A' + k).to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_never_negative_zero() {
        assert_eq!(number(0.2), "0.2");
        assert_eq!(number(-0.0001), "0");
        assert_eq!(number(12.0), "12");
        assert_eq!(number(-1.23456), "-1.235");
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(-1.8759e300), "-1.876e300");
        assert_eq!(number(999_999.0), "999999");
    }

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count(1, "branch", "branches"), "1 branch");
        assert_eq!(count(0, "branch", "branches"), "0 branches");
        assert_eq!(count(13, "fixed point", "fixed points"), "13 fixed points");
    }

    #[test]
    fn channels_are_lettered_then_numbered() {
        assert_eq!(channel_letter(0), "A");
        assert_eq!(channel_letter(25), "Z");
        assert_eq!(channel_letter(26), "I27");
    }
}
