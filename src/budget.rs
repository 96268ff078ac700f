//! One memory budget for the whole program: every large allocation (decoded tensors, simulated
//! trajectories, drawn networks, fit data, figures) is sized *before* it is made and refused with
//! a clear error when it would exceed the budget, instead of the process aborting or swapping.
//!
//! The budget is half the memory available when the program starts (`MemAvailable` of
//! `/proc/meminfo`; 4 GiB where that is unknown), or what `--max-memory` (the CLI) or the
//! explorer's settings say.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use thiserror::Error;

/// The budget where the available memory cannot be read.
pub const FALLBACK: u64 = 4 << 30;

/// The budget set by the user, in bytes (0: not set, the default applies).
static LIMIT: AtomicU64 = AtomicU64::new(0);

/// An allocation the budget does not allow.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error(
    "{what} needs {} of memory, more than the budget of {} (set with --max-memory or the explorer's settings): {hint}",
    size_text(*.needed),
    size_text(*.limit)
)]
pub struct OverBudget {
    pub what: String,
    pub needed: u64,
    pub limit: u64,
    /// What to change to fit.
    pub hint: String,
}

/// The budget in bytes.
pub fn limit() -> u64 {
    static DEFAULT: OnceLock<u64> = OnceLock::new();
    user_limit().unwrap_or_else(|| *DEFAULT.get_or_init(default_limit))
}

/// Sets the budget (0 goes back to the default).
pub fn set_limit(bytes: u64) {
    LIMIT.store(bytes, Ordering::Relaxed);
}

/// The budget the user set, if any.
pub fn user_limit() -> Option<u64> {
    match LIMIT.load(Ordering::Relaxed) {
        0 => None,
        b => Some(b),
    }
}

/// Half the memory available now, or [`FALLBACK`].
pub fn default_limit() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| available_kib(&text))
        .map_or(FALLBACK, |kib| kib.saturating_mul(1024) / 2)
}

/// `MemAvailable` in KiB from the text of `/proc/meminfo`.
fn available_kib(meminfo: &str) -> Option<u64> {
    meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Whether `needed` bytes for `what` fit in the budget; `hint` says what to change if not.
pub fn check(what: impl Into<String>, needed: u64, hint: &str) -> Result<(), OverBudget> {
    check_within(limit(), what, needed, hint)
}

/// [`check`] against an explicit `limit`.
pub fn check_within(
    limit: u64,
    what: impl Into<String>,
    needed: u64,
    hint: &str,
) -> Result<(), OverBudget> {
    if needed <= limit {
        Ok(())
    } else {
        Err(OverBudget {
            what: what.into(),
            needed,
            limit,
            hint: hint.to_string(),
        })
    }
}

/// Bytes of `count` values of `width` bytes each (saturating: a size that overflows is over any
/// budget).
pub fn bytes(count: usize, width: usize) -> u64 {
    (count as u64).saturating_mul(width as u64)
}

/// Bytes of the product of `dims` values of `width` bytes each (saturating).
pub fn bytes_of(dims: &[usize], width: usize) -> u64 {
    dims.iter()
        .fold(width as u64, |acc, &d| acc.saturating_mul(d as u64))
}

/// Bytes a JSON document of `len` bytes may hold once parsed into a value tree: the text and at
/// most one 32-byte value for every two bytes of it (`0,`).
pub fn json_bytes(len: usize) -> u64 {
    bytes(len, 17)
}

/// [`check`] of parsing a JSON document of `len` bytes (see [`json_bytes`]).
pub fn check_json(len: usize) -> Result<(), OverBudget> {
    check(
        "parsing this JSON",
        json_bytes(len),
        "the file is too large for the memory budget",
    )
}

/// A size such as `4G`, `512M`, `1.5GiB`, `800000k` or a plain number of bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size: expected e.g. 4G, 512M or 1000000"))?;
    let unit = unit.trim();
    let scale: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => {
            return Err(format!(
                "{text:?}: unknown unit {unit:?} (use k, M, G or T)"
            ));
        }
    };
    let bytes = value * scale as f64;
    if !(bytes.is_finite() && bytes >= 1.0) {
        return Err(format!("{text:?}: the budget must be at least one byte"));
    }
    Ok(bytes.min(u64::MAX as f64) as u64)
}

/// `1.5 GiB`, `12.0 MiB`, `512 B`.
pub fn size_text(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_print() {
        assert_eq!(parse_size("4G"), Ok(4 << 30));
        assert_eq!(parse_size("512m"), Ok(512 << 20));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("1000000"), Ok(1_000_000));
        assert!(parse_size("4X").unwrap_err().contains("unknown unit"));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("0").is_err());
        assert_eq!(size_text(512), "512 B");
        assert_eq!(size_text(3 << 29), "1.5 GiB");
        assert_eq!(bytes_of(&[4, 255, 100_000], 8), 816_000_000);
        assert_eq!(bytes(usize::MAX, 8), u64::MAX);
    }

    #[test]
    fn the_default_is_half_the_available_memory_and_a_refusal_says_what_to_change() {
        assert_eq!(
            available_kib("MemTotal: 100 kB\nMemAvailable:   2048 kB\n"),
            Some(2048)
        );
        assert_eq!(available_kib("MemTotal: 100 kB\n"), None);
        assert!(default_limit() > 0);
        let err = check_within(
            1 << 30,
            "simulating 4 trials",
            3 << 30,
            "use a shorter delay",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("simulating 4 trials needs 3.0 GiB")
                && err.contains("budget of 1.0 GiB")
                && err.ends_with("use a shorter delay"),
            "{err}"
        );
        assert!(check_within(1 << 30, "x", 1 << 30, "").is_ok());
    }
}
