//! The app's own settings, kept across runs (eframe storage) and shared by every document: which
//! panels are open, where the legend sits, the recent files, the memory budget.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Recent files kept.
pub const MAX_RECENT: usize = 8;

/// Where the phase plane's legend sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegendPlacement {
    /// In the corner of the plot that covers the fewest fixed points, cycles and trajectories.
    Auto,
    Hidden,
    /// In a column right of the plot: it never covers data.
    Outside,
    TopLeft,
    TopRight,
    BottomLeft,
    BottomRight,
}

impl LegendPlacement {
    pub const ALL: [LegendPlacement; 7] = [
        LegendPlacement::Auto,
        LegendPlacement::Outside,
        LegendPlacement::TopRight,
        LegendPlacement::TopLeft,
        LegendPlacement::BottomRight,
        LegendPlacement::BottomLeft,
        LegendPlacement::Hidden,
    ];

    /// The corners, in the order [`LegendPlacement::Auto`] prefers them on a tie.
    pub const CORNERS: [LegendPlacement; 4] = [
        LegendPlacement::TopRight,
        LegendPlacement::TopLeft,
        LegendPlacement::BottomRight,
        LegendPlacement::BottomLeft,
    ];

    pub fn label(self) -> &'static str {
        match self {
            LegendPlacement::Auto => "the emptiest corner",
            LegendPlacement::Hidden => "hidden",
            LegendPlacement::Outside => "outside the plot",
            LegendPlacement::TopLeft => "top left corner",
            LegendPlacement::TopRight => "top right corner",
            LegendPlacement::BottomLeft => "bottom left corner",
            LegendPlacement::BottomRight => "bottom right corner",
        }
    }
}

/// Which side panels are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Panels {
    /// The model's controls (left).
    pub controls: bool,
    /// Bifurcation diagram and readouts (right).
    pub analysis: bool,
    /// The trials' time series (bottom); `None` until the user chooses: then open on tall
    /// windows only.
    pub series: Option<bool>,
}

impl Default for Panels {
    fn default() -> Self {
        Panels {
            controls: true,
            analysis: true,
            series: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub legend: LegendPlacement,
    pub panels: Panels,
    /// Most recent first.
    pub recent: Vec<PathBuf>,
    /// The memory budget in bytes ([`crate::budget`]); `None`: half the memory available at start.
    pub max_memory: Option<u64>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            legend: LegendPlacement::Auto,
            panels: Panels::default(),
            recent: Vec::new(),
            max_memory: None,
        }
    }
}

impl Settings {
    /// Puts `path` first among the recent files.
    pub fn remember(&mut self, path: PathBuf) {
        self.recent.retain(|p| *p != path);
        self.recent.insert(0, path);
        self.recent.truncate(MAX_RECENT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_files_are_unique_newest_first_and_bounded() {
        let mut s = Settings::default();
        for k in 0..12 {
            s.remember(PathBuf::from(format!("f{}", k % 10)));
        }
        assert_eq!(s.recent.len(), MAX_RECENT);
        assert_eq!(s.recent[0], PathBuf::from("f1"));
        assert_eq!(s.recent[1], PathBuf::from("f0"));
        s.max_memory = Some(3 << 30);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<Settings>(&json).unwrap(), s);
    }
}
